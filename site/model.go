package site

import (
	"html/template"
	"time"
)

// Kind says what a page is in the course graph.
type Kind string

// The kinds of page a course has.
const (
	KindHome   Kind = "home"   // content/_index.md
	KindModule Kind = "module" // content/<module>/_index.md
	KindLesson Kind = "lesson" // content/<module>/<lesson>.md
	KindPage   Kind = "page"   // content/<page>.md: about, FAQ
)

// Heading is one entry of a page's table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Page is one page of the course: the home, a module, a lesson or a plain page.
// Templates read it as .Page.
type Page struct {
	Kind Kind
	// File is the source path relative to content/, with forward slashes.
	File string
	// ID is the stable identity: front matter id, or derived from File.
	ID string
	// URL is the root-relative URL of the page, including the base URL's path
	// ("/course/02-facilitating/prompts/"); Permalink is absolute.
	URL       string
	Permalink string

	Title      string
	Summary    string
	Date       time.Time
	Weight     int
	Draft      bool
	Tags       []string
	Objectives []string
	Discussion string // the prompt participants are asked to discuss
	// Assignment says the lesson asks for work: a participant's reply to
	// its post is a submission, reviewed by two peers (issue 14); Feedback
	// are the questions the reviewers are asked to answer.
	Assignment bool
	Feedback   []string
	Video      string // URL of the lesson's video
	Duration   time.Duration
	Opens      string // release offset or date, as written
	// OpensAt is the first moment the lesson opens for any cohort (zero without
	// cohorts); Locked says it has not opened at the build's time: its page shows
	// title, summary and opening date, not its text.
	OpensAt time.Time
	Locked  bool
	Aliases []string
	// OnlyCohort is front matter's cohort: the one cohort the lesson opens
	// for, "" for all. Quotes are the reply ids it quotes (front matter quotes).
	OnlyCohort string
	Quotes     []string
	// Params are the page's own free-form keys (front matter params).
	Params map[string]any

	// Content is the rendered body; TOC its h2/h3 headings.
	Content template.HTML
	TOC     []Heading
	// VideoEmbed is the rendered embed of Video, empty without one.
	VideoEmbed template.HTML
	// HasMath tells that Content has formulas: the page links KaTeX's stylesheet
	// and its own math.css (mathCSS). HasDiagram tells that it has a Mermaid
	// diagram: the page loads Mermaid. Both are set when the page renders.
	HasMath    bool
	HasDiagram bool
	mathCSS    []byte
	// Words is the body's word count; ReadingTime the estimated time (Duration when set).
	Words       int
	ReadingTime time.Duration

	// Module is the module a lesson belongs to, or the module a module page presents.
	Module *Module
	// Prev and Next are the neighbouring lessons in course order (nil at the ends).
	Prev, Next *Page
	// Order is the lesson's 1-based position in the whole course (lessons only).
	Order int
	// Number is the lesson's 1-based position within its module (lessons only).
	Number int

	// Hash is the hex SHA-256 of the source file; it identifies the lesson's text version.
	Hash string
	// Cohort is the cohort whose discussion the page shows: the one the lesson
	// opened for most recently (or, before it opens, first opens for); "" for a
	// course without cohorts.
	Cohort string
	// Thread is the lesson's discussion: public replies as a tree (nil when the
	// build has no discussion source).
	Thread *Thread
	// ThreadPages are the pages Thread is cut into (threadpages.go): the
	// first is shown on the lesson page, the others have pages of their own.
	ThreadPages []*ThreadPage
	// Archive lists the discussions of earlier cohorts, newest first: each has a
	// page of its own under the lesson (with a discussion source only).
	Archive []*Archived
	// ActivityURL is the id of the lesson's fediverse post (lessons of a course
	// with [federation] only): pages link it so that pasting the page's URL into
	// Mastodon's search finds the post.
	ActivityURL string

	src      []byte // the Markdown body, kept until rendered
	bodyLine int    // 1-based line in File where the body starts
	bodyAt   int    // byte offset in File where the body starts; -1: unknown
	// letGo: src was let go after reading (readPages), to be read again from
	// bodyAt when the page renders.
	letGo    bool
	reused   bool            // read from the build cache: src must be read again to render
	releases []cohortOpening // when the lesson opens for each cohort (schedule.go)
	cardKey  string          // digest of what lists and neighbours show of the page
	cardMemo keyMemo
	cardIn   cardInputs // what cardKey was made of
	// outRel is where the page goes in the output folder (run.outPath) when
	// its URL is outURL.
	outRel, outURL string
	// settled is Builder.settled of the last successful build that left this
	// page as its record in the state says (affected.go): a page of this
	// build with the last build's number is that page, unchanged.
	settled int
	// frags are the page's entries in the whole-course files, as makeFrags
	// last made or kept them (frags.go).
	frags   *pageFrags
	keyMemo keyMemo // of the render key
	// rec is the record this page was taken from (state.reuse), and recOf
	// the state that holds it: the build looks the record up no more.
	rec   *cachedPage
	recOf *state

	// searchBody is what the search index keeps of the rendered text
	// (searchBodyOf in search_index.go), made when the page rendered in this
	// build (bodyRead).
	searchBody []byte
	bodyRead   bool
}

// Archived is an earlier cohort's discussion of a lesson, kept readable on a
// page of its own.
type Archived struct {
	Cohort Cohort
	URL    string // root-relative URL of the archive page
	Thread *Thread
}

// Module is a folder of lessons: a week of the course.
type Module struct {
	Page    *Page   // the module's _index.md
	Lessons []*Page // in order
	Number  int     // 1-based
	Dir     string  // folder name under content/
	// Duration is the sum of its lessons' reading times.
	Duration time.Duration

	// parts holds the module's part of each partial the layouts call with
	// modulePart, by name (run.moduleParts): set anew by every build before
	// any layout executes, so a module the graph kept holds none of the last's.
	parts map[string]*modulePart
}

// Course is the whole course graph, built from content/ and course.toml.
type Course struct {
	Config  *Config
	Home    *Page
	Modules []*Module
	Lessons []*Page // every lesson, in course order
	Pages   []*Page // plain top-level pages, in order
	// Duration is the sum of all lessons' reading times.
	Duration time.Duration

	// links and namesKey are worked out once per course graph and kept while
	// reuseGraph relinks it (Course.pageIndex, Course.pageNamesKey); links is
	// made on another core, and linksDone closed once it is (indexLinks).
	links     *linkIndex
	linksDone chan struct{}
	namesKey  string
}

// All returns every page: home, then modules with their lessons, then plain pages.
func (c *Course) All() []*Page {
	all := make([]*Page, 0, 1+len(c.Modules)+len(c.Lessons)+len(c.Pages))
	if c.Home != nil {
		all = append(all, c.Home)
	}
	for _, m := range c.Modules {
		all = append(all, m.Page)
		all = append(all, m.Lessons...)
	}
	return append(all, c.Pages...)
}

// PageData is what every page template executes with (the dot).
//
// Layouts: home.html, module.html, lesson.html, page.html, 404.html, search.html,
// alias.html; partials under partials/ are parsed into the same set, named by their path
// ("partials/head.html"). Functions available in templates: see funcMap in render.go.
type PageData struct {
	Site *SiteData
	Page *Page
	// Nav is the sidebar of a module's pages: the course outline with the
	// module's lesson list (partials/module-nav.html) open, rendered once per
	// module from partials/sidebar.html (lessons and modules only).
	Nav template.HTML
	// Outline is the course outline (all modules and lessons), rendered once per
	// build from partials/outline.html; only the home, search and 404 pages get it.
	// Lesson pages have Nav, which lists every lesson only in a course of at most
	// MaxSidebarLessons, so that a large course's page does not carry, and
	// depend on, every other lesson.
	Outline template.HTML
	// Header is the site header as partials/header.html writes it, when it is
	// the same on every page of the kind and rendered once per build (lesson
	// pages, with the theme's own header); empty otherwise, and the layout
	// executes the partial.
	Header template.HTML
	// Live is set by `cohort serve`: scripts it injects go at the end of <body>.
	Live template.HTML
	// Archived is the earlier cohort's discussion an archive page shows (layout
	// archive.html only).
	Archived *Archived
	// ThreadPage is the page of a lesson's thread a discussion page shows
	// (layout discussion.html only).
	ThreadPage *ThreadPage
	// Journal is the reflection journal page shown (layout journal.html
	// only; issue 14).
	Journal *JournalPage
}

// SiteData is the course-wide part of PageData, the same for every page of a build.
type SiteData struct {
	Title        string
	Description  string
	Language     string
	BaseURL      string // absolute, with a trailing slash
	BasePath     string // path of BaseURL, with a trailing slash ("/" or "/course/")
	Author       string
	Organisation string
	Logo         string // root-relative URL of the logo, empty without one
	// OGImage is the absolute URL of the picture apps show under a link to the
	// course (1200×630): og_image, or og.png drawn by the build.
	OGImage string
	// OGImageOwn tells that OGImage is the course's own og_image (of a size the
	// build does not know), not the drawn 1200×630 one.
	OGImageOwn bool
	License    string
	Params     map[string]any
	Federation Federation
	Cohorts    []Cohort
	Course     *Course
	// Schedules are the cohorts' calendars: when each module and lesson opens.
	Schedules []*Schedule
	// Generator names cohort and its version, for <meta name="generator">.
	Generator string
	// BuildDate is the newest date of a page that has opened (not of a lesson
	// still locked), so that builds stay deterministic.
	BuildDate time.Time
}
