package site

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// A thread of a MOOC's lesson has tens of thousands of replies: on one page
// that was 11 MB. The lesson page carries the first screens of its thread, and
// the rest is on pages of their own that work without JavaScript (issue 11).
const (
	// DefaultThreadPageSize is how many top-level replies a page of a thread
	// shows. With DefaultThreadAnswers answers under each, a page holds at
	// most 80 replies, a few KB of markup each: far below the 500 KB a lesson
	// page may weigh.
	DefaultThreadPageSize = 20
	// DefaultThreadAnswers is how many answers a top-level reply shows under
	// it on a page of the thread: its first, in published order. The others
	// are on the reply's own pages, linked from it.
	DefaultThreadAnswers = 3
)

// ThreadPage is one page of a lesson's thread. The thread's pages list its
// top-level replies in the order the companion gives them (featured first,
// then the newest), each with its first answers; page 1 is the lesson page
// itself. A reply's pages list all the answers to one top-level reply.
type ThreadPage struct {
	// URL is the page's root-relative URL; page 1 of a thread links to the
	// lesson's #discussion.
	URL    string
	Number int // 1-based
	Pages  int // how many pages the list has
	// Prev and Next are the URLs of the neighbouring pages, "" at the ends.
	Prev, Next string
	// Replies are copies of the thread's replies, each with only the answers
	// this page shows, and More and MoreURL telling where the rest are.
	Replies []*Reply
	// Reply is, on a reply's pages, the top-level reply whose answers they
	// list (Replies then holds that reply alone); nil on the thread's pages.
	Reply *Reply `json:"-"`
}

// ThreadPaging says how a thread is cut into pages; zero fields take the
// defaults.
type ThreadPaging struct {
	PageSize int // top-level replies per page (DefaultThreadPageSize)
	Answers  int // answers shown under each of them (DefaultThreadAnswers)
}

func (p ThreadPaging) withDefaults() ThreadPaging {
	if p.PageSize <= 0 {
		p.PageSize = DefaultThreadPageSize
	}
	if p.Answers <= 0 {
		p.Answers = DefaultThreadAnswers
	}
	return p
}

// MaxReplyIndent is how many levels a page indents answers below a top-level
// reply: on a 390 px phone a fourth level leaves a reply a third of the
// screen. Deeper answers are shown at this indent, saying whom they answer
// (Reply.ReplyingTo), and the theme's CSS indents no further.
const MaxReplyIndent = 3

// maxAnswerDepth bounds how deep answers are looked for, as the companion
// bounds its tree: a thread read from elsewhere may nest without end.
const maxAnswerDepth = 64

// answer is a reply below a top-level reply, with the reply it answers.
type answer struct{ r, parent *Reply }

// answersOf lists every reply below r, in published order (then id).
func answersOf(r *Reply) []answer {
	var out []answer
	var walk func(p *Reply, depth int)
	walk = func(p *Reply, depth int) {
		if depth >= maxAnswerDepth {
			return
		}
		for _, c := range p.Replies {
			if c != nil {
				out = append(out, answer{c, p})
				walk(c, depth+1)
			}
		}
	}
	walk(r, 0)
	slices.SortStableFunc(out, func(a, b answer) int {
		return cmp.Or(a.r.Published.Compare(b.r.Published), cmp.Compare(a.r.ID, b.r.ID))
	})
	return out
}

// trimAnswers returns a copy of r with only the answers all[skip:skip+n]
// below it, each under the reply it answers when that is shown too, else
// directly under r; More counts the answers after them.
func trimAnswers(r *Reply, all []answer, skip, n int) *Reply {
	c := *r
	c.Replies, c.More, c.MoreURL = []*Reply{}, 0, ""
	start, end := min(skip, len(all)), min(skip+n, len(all))
	copies := map[*Reply]*Reply{r: &c}
	indent := map[*Reply]int{&c: 0} // of each copy
	holder := map[*Reply]*Reply{}   // copy → the copy it is shown under
	for _, a := range all[start:end] {
		ac := *a.r
		ac.Replies, ac.More, ac.MoreURL, ac.ReplyingTo = []*Reply{}, 0, "", ""
		copies[a.r] = &ac
		p := copies[a.parent]
		if p == nil { // its parent is on another page: shown under r
			p = &c
			ac.ReplyingTo = authorLabel(a.parent.Author)
		}
		// Past the deepest indent, an answer goes beside its parent, under
		// the same reply, and says whom it answers.
		for indent[p] >= MaxReplyIndent {
			p = holder[p]
			ac.ReplyingTo = authorLabel(a.parent.Author)
		}
		indent[&ac], holder[&ac] = indent[p]+1, p
		p.Replies = append(p.Replies, &ac)
	}
	c.More = len(all) - end
	return &c
}

// authorLabel is how a reply names another's author: the handle, or the name
// of an author without one.
func authorLabel(a Author) string {
	return cmp.Or(a.Handle, a.Name)
}

// FirstAnswers returns a copy of r showing only its first n answers, in
// published order, with More set to how many it leaves out: the shape of a
// top-level reply on a page of the thread, for the threads API to give the
// same pages as the site.
func FirstAnswers(r *Reply, n int) *Reply { return trimAnswers(r, answersOf(r), 0, n) }

// Indented returns t's top-level replies with all their answers as a page
// shows them: none indented deeper than MaxReplyIndent, the deeper ones saying
// whom they answer (an archive page, which shows a whole thread).
func (t *Thread) Indented() []*Reply {
	var out []*Reply
	for _, r := range t.Replies {
		if r != nil {
			all := answersOf(r)
			out = append(out, trimAnswers(r, all, 0, len(all)))
		}
	}
	return out
}

// replySlug names a top-level reply's pages: a digest of its id, which is a
// URL on another server and no good as a path.
func replySlug(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "reply-" + hex.EncodeToString(sum[:6])
}

// paginate cuts a thread into its pages and the pages of its top-level
// replies whose answers do not all fit. lessonURL is the lesson's
// root-relative URL; the other pages go under its discussion/ folder.
func paginate(t *Thread, lessonURL string, paging ThreadPaging) []*ThreadPage {
	if t == nil || len(t.Replies) == 0 {
		return nil
	}
	pg := paging.withDefaults()
	dir := lessonURL + "discussion/"
	listURL := func(n int) string {
		if n == 1 {
			return lessonURL + "#discussion"
		}
		return dir + strconv.Itoa(n) + "/"
	}
	roots := slices.DeleteFunc(slices.Clone(t.Replies), func(r *Reply) bool { return r == nil })
	count := (len(roots) + pg.PageSize - 1) / pg.PageSize
	var pages, replyPages []*ThreadPage
	for i := range count {
		p := &ThreadPage{URL: listURL(i + 1), Number: i + 1, Pages: count}
		if i > 0 {
			p.Prev = listURL(i)
		}
		if i+1 < count {
			p.Next = listURL(i + 2)
		}
		for _, r := range roots[i*pg.PageSize : min((i+1)*pg.PageSize, len(roots))] {
			all := answersOf(r)
			c := trimAnswers(r, all, 0, pg.Answers)
			if c.More > 0 {
				c.MoreURL = dir + replySlug(r.ID) + "/"
				replyPages = append(replyPages, answerPages(r, all, c.MoreURL, pg)...)
			}
			p.Replies = append(p.Replies, c)
		}
		pages = append(pages, p)
	}
	return append(pages, replyPages...)
}

// answerPages are the pages of one top-level reply's answers: as many
// answers on each as a page of the thread holds replies at most.
func answerPages(r *Reply, all []answer, url string, pg ThreadPaging) []*ThreadPage {
	per := pg.PageSize * (pg.Answers + 1)
	count := (len(all) + per - 1) / per
	pageURL := func(n int) string {
		if n == 1 {
			return url
		}
		return url + strconv.Itoa(n) + "/"
	}
	var out []*ThreadPage
	for i := range count {
		c := trimAnswers(r, all, i*per, per)
		c.More = 0 // the pager shows the rest
		p := &ThreadPage{URL: pageURL(i + 1), Number: i + 1, Pages: count, Replies: []*Reply{c}, Reply: r}
		if i > 0 {
			p.Prev = pageURL(i)
		}
		if i+1 < count {
			p.Next = pageURL(i + 2)
		}
		out = append(out, p)
	}
	return out
}

// discussionPages writes, for each open lesson, the pages of its thread after
// the first (which is on the lesson page) and the pages of answers to its
// top-level replies (layout discussion.html, with .Page the lesson and
// .ThreadPage the page). Each page is written again only when what it shows
// changed: a new reply on page 1 leaves a reply's pages as they were.
func (r *run) discussionPages(base PageData) error {
	for _, l := range r.course.Lessons {
		if l.Locked {
			continue
		}
		for _, tp := range l.ThreadPages {
			if tp.Number == 1 && tp.Reply == nil {
				continue // the lesson page
			}
			rel := r.outPath(tp.URL)
			shown, err := json.Marshal(tp)
			if err != nil {
				return fmt.Errorf("discussion of %s: %w", l.ID, err)
			}
			key := newKeyer().str(r.key, r.pagesKey, r.modKeys[l.Module], l.cardKey, l.ActivityURL, l.Cohort, string(shown)).sum()
			data := base
			data.ThreadPage = tp
			if err := r.lessonPage(l, rel, key, "discussion.html", data, "discussion page "+tp.URL); err != nil {
				return err
			}
		}
	}
	return nil
}
