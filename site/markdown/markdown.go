// Package markdown turns a lesson's Markdown body into HTML for the course site.
//
// It is goldmark, built once from options in New, with GFM, footnotes, typographer,
// definition lists, heading ids, CSS-class syntax highlighting, and cohort's own
// extensions: GitHub-style callouts, video embeds, discussion-prompt blocks, Hugo's
// shortcodes (shortcode*.go), TeX math rendered by KaTeX at build time and Mermaid
// blocks left for the browser (math.go, katex.go), and image sizes (images.go). It knows nothing of the course graph: links are resolved
// through the Resolver given to Render, and ref, param and a course's own shortcodes
// through the Env and Options the caller gives.
// It is not for federated HTML (that is sanitized by the companion, never rendered here).
package markdown

import (
	"bufio"
	"bytes"
	"fmt"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// Options configure a Renderer. The zero value is usable.
type Options struct {
	// Lang is the course language ("en", "nl"); it picks the built-in words used in
	// callouts, prompts and video embeds.
	Lang string
	// Labels overrides UI words used inside rendered HTML, keyed by i18n key
	// ("callout_note", "callout_tip", "callout_important", "callout_warning",
	// "callout_caution", "discussion_prompt", "discussion_join", "video_play",
	// "video_watch_on", "video_download"). Missing keys fall back to the built-in
	// words for Lang, then to English.
	Labels map[string]string
	// Unsafe allows raw HTML in Markdown (course authors are trusted; site turns it on).
	Unsafe bool
	// SkipWords leaves Result.Words and Result.Text empty, for a caller that
	// counts words itself (site does, before rendering): counting costs a tenth
	// of a render.
	SkipWords bool
	// Shortcodes are the caller's own shortcodes by name; they win over the built-ins
	// of the same name.
	Shortcodes map[string]Shortcode
	// Formulas keeps the formulas KaTeX rendered between builds; nil keeps them in
	// memory only.
	Formulas FormulaCache
}

// Env is what one RenderPage call knows of the page being rendered.
type Env struct {
	// Resolve rewrites link and image destinations (see Resolver); nil leaves them.
	Resolve Resolver
	// Ref finds the page a ref or relref shortcode names, and returns its URL:
	// absolute for ref, root-relative for relref. Nil: the target goes through Resolve.
	Ref func(target string, absolute bool) (string, error)
	// Param looks up a param shortcode's key (in the page's params, then the course's).
	Param func(key string) (any, bool)
	// Page is handed to the caller's shortcodes as ShortcodeCall.Page.
	Page any
	// Image tells what the caller knows of the image at a resolved destination
	// (images.go); nil, or false, and the image gets no size.
	Image func(dest string) (ImageInfo, bool)
}

// Resolver rewrites one link or image destination found in a document.
// It returns the destination to write, or an error when the link is broken.
// It is called for every link and image (not for bare autolinks), in document order.
type Resolver func(dest string) (string, error)

// Heading is one entry of a page's table of contents (h2 and h3).
type Heading struct {
	Level int    // 2 or 3
	ID    string // the id attribute of the rendered heading, unique in its page
	Text  string // plain text, without markup
}

// Result is what rendering one document gives.
type Result struct {
	HTML  []byte    // the body, ready for a template
	TOC   []Heading // h2 and h3 headings, in document order
	Words int       // words of prose (code blocks not counted), for reading time
	Text  string    // plain text of the first paragraph, at most ~300 bytes, for summaries
	// MathCSS is the stylesheet of the page's formulas (KaTeX's positions, as
	// classes); nil when the page has no math. The page needs KaTeX's own CSS too.
	MathCSS []byte
	// Diagram tells that the page has a Mermaid diagram, for the browser to draw.
	Diagram bool
}

// LinkError is a broken link: Line is 1-based within the Markdown given to Render.
type LinkError struct {
	Line int
	Dest string
	Err  error
}

// Error says where the broken link is and why it is broken.
func (e *LinkError) Error() string {
	return fmt.Sprintf("line %d: link %q: %v", e.Line, e.Dest, e.Err)
}

// Unwrap returns the resolver's error.
func (e *LinkError) Unwrap() error { return e.Err }

// Renderer renders Markdown documents with one goldmark instance built by New.
// It is safe for concurrent use by many goroutines.
type Renderer struct {
	md        goldmark.Markdown
	labels    *labels
	skipWords bool
}

// New builds a Renderer, and its goldmark instance, from o.
func New(o Options) *Renderer {
	return newWith(o, linkifyExtension{})
}

// newWith builds a Renderer as New does, autolinking with linkify: New's
// linkifyExtension (linkify.go), or goldmark's extension.Linkify in the tests that
// compare the two.
func newWith(o Options, linkify goldmark.Extender) *Renderer {
	l := newLabels(o.Lang, o.Labels)
	var htmlOpts []renderer.Option
	if o.Unsafe {
		htmlOpts = append(htmlOpts, html.WithUnsafe())
	}
	md := goldmark.New(
		goldmark.WithExtensions(
			// GFM, with table alignment as attributes: inline styles would need a
			// Content-Security-Policy that allows them.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			linkify, // goldmark's Linkify, asked only where a link can start
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
			extension.DefinitionList,
			highlighter(),
			&asideExtension{labels: l},
			&videoExtension{labels: l},
			linkExtension{},
			&shortcodeExtension{labels: l, custom: o.Shortcodes},
			&mathExtension{engine: newMathEngine(o.Formulas)}, // math.go
		),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(htmlOpts...),
	)
	return &Renderer{md: md, labels: l, skipWords: o.SkipWords}
}

// renderState is what one Render call shares with the AST transformers, through the
// parser context: the Resolver and Env in, the first broken link or shortcode out.
type renderState struct {
	resolve Resolver
	env     Env
	err     *LinkError
	scErr   *ShortcodeError
	// math.go: whether the page has formulas, their CSS rules, the first bad one,
	// and whether it has a diagram.
	math      bool
	mathRules map[string]bool
	mathErr   *MathError
	diagram   bool
}

// fail records a shortcode's error; the first one is reported.
func (st *renderState) fail(err *ShortcodeError) {
	if st.scErr == nil {
		st.scErr = err
	}
}

// resolveLink rewrites a destination a shortcode writes, as links are.
func (st *renderState) resolveLink(dest string) (string, error) {
	if st.resolve == nil {
		return dest, nil
	}
	return st.resolve(dest)
}

// ref finds the URL of the page a ref or relref names.
func (st *renderState) ref(target string, absolute bool) (string, error) {
	if st.env.Ref != nil {
		return st.env.Ref(target, absolute)
	}
	return st.resolveLink(target)
}

// param looks up a param shortcode's key.
func (st *renderState) param(key string) (any, bool) {
	if st.env.Param == nil {
		return nil, false
	}
	return st.env.Param(key)
}

var stateKey = parser.NewContextKey()

// maxPooledBuffer keeps one huge page from pinning its buffer in the pool for ever.
const maxPooledBuffer = 1 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var bufWriterPool = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// Render renders src. It calls resolve, when not nil, for each link and image
// destination. On a broken link it returns a *LinkError for the first one, together
// with the rest of the result rendered as if the link were fine, so nothing is lost.
func (r *Renderer) Render(src []byte, resolve Resolver) (Result, error) {
	return r.RenderPage(src, Env{Resolve: resolve})
}

// RenderPage renders src as Render does, with what env knows of the page for
// shortcodes. A shortcode that cannot render gives a *ShortcodeError (after any
// broken link), with the rest of the result.
func (r *Renderer) RenderPage(src []byte, env Env) (Result, error) {
	st := &renderState{resolve: env.Resolve, env: env}
	pc := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	pc.Set(stateKey, st)
	doc := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	// goldmark wraps a writer that does not buffer in a new bufio.Writer of 4 KB
	// per call; a pooled one is reused.
	bw := bufWriterPool.Get().(*bufio.Writer)
	bw.Reset(buf)
	err := r.md.Renderer().Render(bw, src, doc)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	bufWriterPool.Put(bw)
	if err != nil {
		return Result{}, fmt.Errorf("render html: %w", err)
	}
	res := Result{HTML: bytes.Clone(buf.Bytes())}
	summarize(doc, src, &res, !r.skipWords)
	res.Diagram = st.diagram
	if st.math {
		res.MathCSS = mathCSS(st.mathRules)
	}
	if st.err != nil {
		return res, st.err
	}
	if st.scErr != nil {
		return res, st.scErr
	}
	if st.mathErr != nil {
		return res, st.mathErr
	}
	return res, nil
}
