package site

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestThreadPagesGolden builds the stored thread with two top-level replies
// a page and one answer under each, and compares its pages with goldens: the
// lesson page shows the first page, "Older replies" leads to the second,
// and the reply with more answers links to its own page. Every link between
// them is a file of the build, and every reply is on some page: the whole
// thread reads without JavaScript.
func TestThreadPagesGolden(t *testing.T) {
	dir := threadCourse(t)
	d := &tableDiscussion{threads: map[string]*Thread{"writing-prompts": storedThread()}}
	out := filepath.Join(dir, "public")
	b := NewBuilder(Options{Source: dir, Out: out, Discussion: d, ThreadPaging: ThreadPaging{PageSize: 2, Answers: 1}})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	lessonDir := "02-facilitating/writing-prompts/"
	alice1 := "https://mastodon.example/users/alice/statuses/1"
	pages := map[string]string{
		"paged__writing-prompts.html":               discussionSection(t, readFile(t, filepath.Join(out, promptsPage))),
		"paged__writing-prompts__discussion_2.html": readFile(t, filepath.Join(out, lessonDir, "discussion/2/index.html")),
		"paged__writing-prompts__reply.html":        readFile(t, filepath.Join(out, lessonDir, "discussion", replySlug(alice1), "index.html")),
	}
	for name, got := range pages {
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if d := lineDiff(readFile(t, golden), got); d != "" {
			t.Errorf("%s differs (-want +got):\n%s", golden, d)
		}
	}

	first := pages["paged__writing-prompts.html"]
	if !strings.Contains(first, `<a class="thread-older" href="/02-facilitating/writing-prompts/discussion/2/" rel="next">Older replies</a>`) ||
		!strings.Contains(first, `Page 1 of 2`) {
		t.Errorf("the lesson page does not link the thread's second page:\n%s", first)
	}
	if !strings.Contains(first, `1 more answer</a>`) || strings.Contains(first, "Thanks for sharing it, Bob") {
		t.Errorf("the lesson page shows more than the first answer of alice's reply, or no link to the rest:\n%s", first)
	}
	second := pages["paged__writing-prompts__discussion_2.html"]
	if !strings.Contains(second, `rel="prev">Newer replies</a>`) || !strings.Contains(second, "HOSTILE-CONTENT") {
		t.Errorf("page 2 lacks the third reply or the link back")
	}

	// Every reply of the thread is on a page, and every link to a page of
	// the discussion is a file the build wrote.
	seen := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(out, lessonDir), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		page := readFile(t, p)
		for _, m := range regexp.MustCompile(`data-id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
			seen[m[1]] = true
		}
		for _, m := range regexp.MustCompile(`href="(/02-facilitating/writing-prompts/discussion/[^"#]*)"`).FindAllStringSubmatch(page, -1) {
			if _, err := os.Stat(filepath.Join(out, strings.TrimPrefix(m[1], "/"), "index.html")); err != nil {
				t.Errorf("%s links %s, which the build did not write", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var walk func([]*Reply)
	walk = func(rs []*Reply) {
		for _, r := range rs {
			if !seen[r.ID] {
				t.Errorf("reply %s is on no page", r.ID)
			}
			walk(r.Replies)
		}
	}
	walk(storedThread().Replies)

	// The thread shrinks to one page: its other pages go.
	th := storedThread()
	th.Replies = th.Replies[:1]
	th.Replies[0].Replies[0].Replies = nil
	d.mu.Lock()
	d.threads["writing-prompts"] = th
	d.mu.Unlock()
	b.ThreadChanged("writing-prompts")
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, lessonDir, "discussion/2/index.html")); err == nil {
		t.Error("a page of the thread that no longer exists is still there")
	}
}

// TestDeepAnswersFlattened: answers nested deeper than MaxReplyIndent are
// shown at that indent, beside their parent, and say whom they answer; an
// answer whose parent is on another page says so too.
func TestDeepAnswersFlattened(t *testing.T) {
	// a chain: top ← r1 ← r2 ← r3 ← r4 ← r5, each by another author
	chain := func(n int) *Reply {
		var root, cur *Reply
		for i := range n {
			r := &Reply{ID: "r" + string(rune('0'+i)), Author: Author{Name: "N" + string(rune('0'+i)), Handle: "@u" + string(rune('0'+i)) + "@example.org"},
				Published: time.Date(2026, 9, 7, 10, i, 0, 0, time.UTC)}
			if root == nil {
				root = r
			} else {
				cur.Replies = []*Reply{r}
			}
			cur = r
		}
		return root
	}
	type shown struct {
		indent     int
		replyingTo string
	}
	walk := func(r *Reply) map[string]shown {
		got := map[string]shown{}
		var f func(r *Reply, indent int)
		f = func(r *Reply, indent int) {
			got[r.ID] = shown{indent, r.ReplyingTo}
			for _, c := range r.Replies {
				f(c, indent+1)
			}
		}
		f(r, 0)
		return got
	}
	all := walk(FirstAnswers(chain(6), 10))
	want := map[string]shown{"r0": {0, ""}, "r1": {1, ""}, "r2": {2, ""}, "r3": {3, ""},
		"r4": {3, "@u3@example.org"}, "r5": {3, "@u4@example.org"}}
	for id, w := range want {
		if all[id] != w {
			t.Errorf("%s is shown at indent %d replying to %q, want %d and %q", id, all[id].indent, all[id].replyingTo, w.indent, w.replyingTo)
		}
	}
	// The second page of answers: r3's parent r2 is on the first.
	root := chain(5)
	page := trimAnswers(root, answersOf(root), 2, 2)
	got := walk(page)
	if got["r3"] != (shown{1, "@u2@example.org"}) || got["r4"] != (shown{2, ""}) {
		t.Errorf("on a later page: %v", got)
	}
}

// TestIndentedThread: an archive shows every answer, as deep as a page indents.
func TestIndentedThread(t *testing.T) {
	deep := &Reply{ID: "d", Author: Author{Handle: "@c@x"}, Published: time.Unix(5, 0)}
	r := &Reply{ID: "a", Published: time.Unix(1, 0), Replies: []*Reply{{ID: "b", Published: time.Unix(2, 0), Replies: []*Reply{
		{ID: "c", Published: time.Unix(3, 0), Author: Author{Handle: "@c@x"}, Replies: []*Reply{
			{ID: "c2", Published: time.Unix(4, 0), Author: Author{Name: "C2"}, Replies: []*Reply{deep}}}}}}}}
	got := (&Thread{Replies: []*Reply{r, nil}}).Indented()
	if len(got) != 1 || got[0].More != 0 {
		t.Fatalf("got %d top-level replies, %d left out", len(got), got[0].More)
	}
	c2 := got[0].Replies[0].Replies[0].Replies[0]
	if c2.ID != "c2" || len(c2.Replies) != 0 || c2.ReplyingTo != "" {
		t.Fatalf("the third indent is %+v", c2)
	}
	holder := got[0].Replies[0].Replies[0]
	if len(holder.Replies) != 2 || holder.Replies[1].ID != "d" || holder.Replies[1].ReplyingTo != "C2" {
		t.Errorf("the answer below the third indent is not beside its parent, replying to C2: %+v", holder.Replies)
	}
}
