package markdown

import (
	"runtime"
	"testing"
)

// benchLesson is a realistic lesson of about 1000 words: headings, lists, a table, code,
// footnotes, a callout, a discussion prompt, a video and links to other lessons.
const benchLesson = `# Giving feedback that helps

Feedback is how a cohort learns from itself. In this lesson you practise giving feedback
that a colleague can act on, and you learn to ask for it in a way that makes it easy for
others to respond. We build on [the previous lesson](listening.md) about listening, so
have your notes from last week at hand.[^notes]

> [!NOTE]
> This lesson takes about forty minutes, plus the time you spend in the discussion.
> You can pause after each section; your place is kept.

## What you will learn

By the end of this lesson you will be able to:

- describe what someone did, rather than what you think they are;
- separate an observation from its effect on you and on the work;
- suggest a next step that the other person can take this week;
- ask for feedback on something specific, so that replies are useful.

These four skills are small on their own. Together they change how a group talks about
work: less defending, more trying things out. Participants in earlier cohorts said it was
the section they used most in the months after the course.[^survey]

## Why "good job" is not enough

Praise feels pleasant and says little. When a colleague writes "good job" under your
draft, you do not know what to keep doing. When they write "the example in the second
paragraph made the rule click for me", you know exactly what worked, and so does
everyone else who reads the thread. Specific praise is also more believable: it shows
the reader actually read your work.

The same holds for criticism. "This is confusing" leaves the writer guessing. "I lost the
thread between the table and the conclusion, because the table compares three tools and
the conclusion mentions a fourth" gives them something to fix. Notice that the second
version still says how the reader felt (lost), but it ties that feeling to something on
the page.

https://www.youtube.com/watch?v=dQw4w9WgXcQ

### A model to start from

Many teams use a three-part model. It is not the only one, and after a while you will
adapt it, but it is a good scaffold while the habit forms.

| Part        | Ask yourself                         | Example                                   |
|-------------|--------------------------------------|-------------------------------------------|
| Observation | What did I see or read, exactly?     | The summary is one paragraph of 300 words |
| Effect      | What did it do to me or to the work? | I skimmed it and missed the deadline      |
| Next step   | What could they try next?            | Put the deadline in the first sentence    |
| Check       | Did I understand their goal?         | Was the summary meant for managers?       |

The last row is optional, and it is the one most people forget. Asking about the goal
first avoids a common trap: good advice for a text the writer never meant to write.

### Practice with a real example

Read the short proposal below. It was written by a participant in an earlier cohort, who
kindly agreed to let us use it. Write down one observation, one effect and one next step
before you read on.

> Our team wants to move the weekly meeting to Thursday. Many people have said Monday is
> busy. We think Thursday is better. Please reply if you disagree. The change starts next
> week unless there are objections.

What did you notice? Most readers point at the missing reason for Thursday, and at the
short time to object. Some notice that "many people" is vague: how many, and who? A few
see that the proposal never says what problem the Monday meeting causes. All of these are
observations; the useful feedback connects each one to its effect and to a next step.

## Asking for feedback

Feedback you ask for is easier to give and easier to hear. When you share work in the
discussion, say what kind of feedback you want and what you will do with it. Compare:

1. "Here is my draft, any feedback welcome."
2. "Here is my draft for the team newsletter. I am unsure whether the opening is too long;
   would you keep reading after the first paragraph?"

The second request gets better replies, and faster ones. It also protects the writer:
nobody rewrites the whole piece when only the opening was in question.

### A small script for the discussion

Some participants like to collect the feedback they receive. The script below, which you
can run on your own computer, counts the replies that contain each part of the model.
You do not need it for the course; it is here for the curious.

` + "```go" + `
package main

import (
	"fmt"
	"strings"
)

// parts are the words that mark each part of the feedback model.
var parts = map[string][]string{
	"observation": {"I saw", "I read", "I noticed"},
	"effect":      {"made me", "so I", "I felt"},
	"next step":   {"try", "next time", "could you"},
}

func count(replies []string) map[string]int {
	n := map[string]int{}
	for _, r := range replies {
		for part, words := range parts {
			for _, w := range words {
				if strings.Contains(r, w) {
					n[part]++
					break
				}
			}
		}
	}
	return n
}

func main() {
	fmt.Println(count([]string{"I noticed the table; it made me stop. Could you try a chart?"}))
}
` + "```" + `

Run it with ` + "`go run feedback.go`" + ` and change the replies to your own.

## Receiving feedback well

Receiving feedback is a skill too. Thank the person, ask a question if something is
unclear, and decide later what you will change. You do not have to accept every
suggestion; you do have to understand it before you reject it. A short reply such as
"thanks, I will try moving the deadline up" closes the loop and tells others their time
was well spent. If you disagree, say so kindly and say why: the discussion is a place to
think together, not a vote.

> [!TIP] Keep a feedback log
> Many participants keep a simple list of the feedback they received and what they did
> with it. After a few weeks, patterns appear that no single reply shows.

Some feedback will sting. That is normal, and it usually fades after a day. If a reply
feels unfair or unkind, tell a moderator rather than answering in the heat of the moment;
moderators can hide replies that break the [course guidelines](guidelines.md).

## Summary

Good feedback is specific, connects what you saw to its effect, and suggests a next step.
Good requests for feedback say what kind of feedback you want. Receiving feedback well
means thanking, asking, and deciding later. None of this is new, but practising it in a
group, in public, with people who are learning the same thing, makes it stick.

> [!DISCUSS]
> Share a short piece of your own work — a paragraph, a slide, a message you sent this
> week — and ask for one specific kind of feedback. Then give feedback to two other
> participants, using the model from this lesson.

Next week we look at [facilitating a discussion](facilitating.md), where these skills
come back in a different role. ![Diagram of the feedback loop](feedback-loop.png)

[^notes]: If you missed last week, the recording and the notes are on the course home page.
[^survey]: From the survey after the spring cohort, answered by 212 of 340 participants.
`

func benchResolver(dest string) (string, error) { return dest, nil }

// BenchmarkRender renders one ~1000-word lesson per iteration on one goroutine.
func BenchmarkRender(b *testing.B) {
	renderBench(b, New(Options{Lang: "en", Unsafe: true}))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// renderBench renders benchLesson with r once per iteration.
func renderBench(b *testing.B, r *Renderer) {
	src := []byte(benchLesson)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(src, benchResolver); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderParallel renders the same lesson from GOMAXPROCS goroutines sharing one
// Renderer, as a full build does.
func BenchmarkRenderParallel(b *testing.B) {
	r := New(Options{Lang: "en", Unsafe: true})
	src := []byte(benchLesson)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Render(src, benchResolver); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}
