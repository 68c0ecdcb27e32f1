package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Manifest is lessons.json: what the companion needs to know of the course,
// without ever reading Markdown.
type Manifest struct {
	Title      string           `json:"title"`
	BaseURL    string           `json:"base_url"`
	Language   string           `json:"language"`
	Federation Federation       `json:"federation"`
	Cohorts    []Cohort         `json:"cohorts"`
	Modules    []ManifestModule `json:"modules"`
	Lessons    []ManifestLesson `json:"lessons"`
}

// ManifestModule is a module as the companion sees it.
type ManifestModule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Order int    `json:"order"`
	Opens string `json:"opens,omitempty"`
}

// ManifestLesson is a lesson as the companion sees it: enough to post it and
// to know when what its post shows changed (Hash: title, summary, prompt and
// link, not the lesson's text, which the post does not carry).
type ManifestLesson struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary,omitempty"`
	Discussion string    `json:"discussion,omitempty"`
	URL        string    `json:"url"`
	Module     string    `json:"module"`
	Order      int       `json:"order"`
	Date       time.Time `json:"date,omitzero"`
	Opens      string    `json:"opens,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	Hash       string    `json:"hash"`
	// Quotes are the ids of the replies the lesson quotes (a weave): its
	// post links back to each and mentions their authors.
	Quotes []string `json:"quotes,omitempty"`
	// Assignment and Feedback: the lesson asks for work, reviewed by peers
	// who answer the Feedback questions (issue 14).
	Assignment bool     `json:"assignment,omitempty"`
	Feedback   []string `json:"feedback,omitempty"`
	// Releases says when the lesson opens for each cohort, by cohort id: the
	// companion publishes the cohort's post then.
	Releases map[string]time.Time `json:"releases,omitempty"`
}

// releases gives a lesson's opening time for each cohort, as the schedule
// computed it, or nil for a course without cohorts.
func releases(p *Page) map[string]time.Time {
	if len(p.releases) == 0 {
		return nil
	}
	out := make(map[string]time.Time, len(p.releases))
	for _, o := range p.releases {
		out[o.cohort] = o.at
	}
	return out
}

// manifest is lessons.json: the last build's file with the changed lessons'
// entries replaced when it can be (patch.go), else assembled from each
// lesson's cached entry; the rest is small. Either way it records its
// entries' lengths for the next build to patch.
func (r *run) manifest() ([]byte, error) {
	if data, lengths, ok := r.patchedManifest(); ok {
		r.setSpecial(entriesKey("lessons.json"), encodeLengths(lengths))
		return data, nil
	}
	head, err := r.manifestHeadJSON()
	if err != nil {
		return nil, err
	}
	// head ends with `"lessons": []` + "\n}": the lessons go between the brackets.
	l := manifestLayout(head, len(r.course.Lessons))
	lengths := make([]int, len(r.course.Lessons))
	var b bytes.Buffer
	b.Grow(r.prevSize("lessons.json"))
	b.Write(l.prefix)
	for i, p := range r.course.Lessons {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		e := r.frags(p).Manifest
		lengths[i] = len(e)
		b.Write(e)
	}
	b.Write(l.suffix)
	r.setSpecial(entriesKey("lessons.json"), encodeLengths(lengths))
	return b.Bytes(), nil
}

// manifestHeadKey names, among the special keys, the digest of lessons.json
// without its lessons: with every lesson's entry the same, an equal head
// means the file is the last build's.
const manifestHeadKey = "lessons.json head"

// manifestHeadJSON is lessons.json with an empty list of lessons: the course,
// its cohorts and its modules (a hundred entries, not ten thousand).
func (r *run) manifestHeadJSON() ([]byte, error) {
	m := Manifest{Title: r.cfg.Title, BaseURL: r.cfg.BaseURL, Language: r.cfg.Language,
		Federation: r.cfg.Federation, Cohorts: r.cfg.Cohorts,
		Modules: []ManifestModule{}, Lessons: []ManifestLesson{}}
	for _, mod := range r.course.Modules {
		m.Modules = append(m.Modules, ManifestModule{ID: mod.Page.ID, Title: mod.Page.Title,
			URL: mod.Page.Permalink, Order: mod.Number, Opens: mod.Page.Opens})
	}
	return json.MarshalIndent(m, "", "  ")
}

// manifestEntry is a lesson's entry in lessons.json.
func manifestEntry(p *Page) []byte {
	b, _ := json.Marshal(ManifestLesson{ID: p.ID, Title: p.Title, Summary: p.Summary,
		Discussion: p.Discussion, URL: p.Permalink, Module: p.Module.Page.ID, Order: p.Order,
		Date: p.Date, Opens: p.Opens, Tags: p.Tags, Quotes: p.Quotes, Hash: postHash(p), Releases: releases(p),
		Assignment: p.Assignment, Feedback: p.Feedback})
	return b
}

// postHash identifies what the companion's post of a lesson shows: its title,
// summary, discussion prompt, link and the replies it quotes (activitypub/publish, note). The companion
// sends an Update to every follower's server when it changes, so it changes only
// then: an edit to the lesson's text, which the post does not carry, is no news
// to the fediverse.
func postHash(p *Page) string {
	k := newKeyer().str(p.Title, p.Summary, p.Discussion, p.Permalink)
	if len(p.Quotes) > 0 { // only then, so lessons keep the hash they were posted with
		k.str(p.Quotes...)
	}
	// SHA-256, not digest: the companion keeps the hash each lesson was
	// posted with, and another function would announce every lesson again.
	sum := sha256.Sum256(k.buf)
	return hex.EncodeToString(sum[:16])
}
