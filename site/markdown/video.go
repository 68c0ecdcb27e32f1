package markdown

// Video embeds: a paragraph that holds nothing but the URL of a video becomes a player.
// Nothing is fetched from the video's host until the reader acts: YouTube, Vimeo and
// PeerTube become a "facade", a plain link to the video, and video files get
// preload="none".
//
// The facade's contract with the theme's script: on a click on a.video-link inside
// figure[data-embed], replace the link with
// <iframe src="{data-embed}" title="{data-title}" allow="autoplay; fullscreen" allowfullscreen>.
// data-embed already asks for autoplay, so one click plays; without the script the
// link simply opens the video on its host.

import (
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// video is a recognised video URL.
type video struct {
	Provider string // "youtube", "vimeo", "peertube" or "file"
	URL      string // as the author wrote it
	Embed    string // player URL for the iframe; empty for files
	Host     string // shown to the reader: where the link goes
}

// parseVideo recognises raw as a video URL. Only absolute http(s) URLs qualify.
func parseVideo(raw string) (video, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return video{}, false
	}
	host := strings.ToLower(u.Hostname())
	v := video{URL: raw, Host: strings.TrimPrefix(host, "www.")}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	q := u.Query()

	switch host {
	case "youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com":
		var id string
		switch {
		case len(segs) == 1 && segs[0] == "watch":
			id = q.Get("v")
		case len(segs) == 2 && (segs[0] == "embed" || segs[0] == "shorts" || segs[0] == "live" || segs[0] == "v"):
			id = segs[1]
		}
		return youtube(v, id, q)
	case "youtu.be", "www.youtu.be":
		if len(segs) != 1 {
			return video{}, false
		}
		return youtube(v, segs[0], q)
	case "vimeo.com", "www.vimeo.com", "player.vimeo.com":
		return vimeo(v, segs, q)
	}
	if len(segs) == 2 && segs[0] == "w" || len(segs) == 3 && segs[0] == "videos" && (segs[1] == "watch" || segs[1] == "embed") {
		id := segs[len(segs)-1]
		if !isPeerTubeID(id) {
			return video{}, false
		}
		v.Provider = "peertube"
		v.Embed = u.Scheme + "://" + u.Host + "/videos/embed/" + id + "?autoplay=1&p2p=0" // p2p=0: no IP shared with other viewers
		return v, true
	}
	if ext := strings.ToLower(u.Path); strings.HasSuffix(ext, ".mp4") || strings.HasSuffix(ext, ".webm") || strings.HasSuffix(ext, ".ogv") {
		v.Provider = "file"
		return v, true
	}
	return video{}, false
}

func youtube(v video, id string, q url.Values) (video, bool) {
	if !isYouTubeID(id) {
		return video{}, false
	}
	v.Provider = "youtube"
	v.Host = "youtube.com"
	v.Embed = "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"
	start := q.Get("t")
	if start == "" {
		start = q.Get("start")
	}
	if s, ok := parseSeconds(start); ok && s > 0 {
		v.Embed += "&start=" + strconv.Itoa(s)
	}
	return v, true
}

func vimeo(v video, segs []string, q url.Values) (video, bool) {
	var id, hash string
	switch {
	case len(segs) == 2 && segs[0] == "video": // player.vimeo.com/video/ID
		id, hash = segs[1], q.Get("h")
	case len(segs) == 1:
		id = segs[0]
	case len(segs) == 2: // unlisted: vimeo.com/ID/HASH
		id, hash = segs[0], segs[1]
	case len(segs) == 3 && segs[0] == "channels":
		id = segs[2]
	}
	if !isDigits(id) || hash != "" && !isAlnum(hash) {
		return video{}, false
	}
	v.Provider = "vimeo"
	v.Host = "vimeo.com"
	v.Embed = "https://player.vimeo.com/video/" + id + "?autoplay=1&dnt=1" // dnt=1: no tracking
	if hash != "" {
		v.Embed += "&h=" + hash
	}
	return v, true
}

// isYouTubeID reports whether s has the shape of a YouTube video id: 11 characters of
// the URL-safe base64 alphabet.
func isYouTubeID(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnumByte(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isPeerTubeID reports whether s looks like a PeerTube video id: a UUID (36 characters)
// or a short UUID (22 characters of base58). The length keeps "/w/index.php" and other
// wiki paths out.
func isPeerTubeID(s string) bool {
	if len(s) < 20 || len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnumByte(c) && c != '-' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func isAlnumByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parseSeconds reads a YouTube start time: "90", "90s" or "1h2m3s".
func parseSeconds(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0
	}
	total, num := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if num < 0 {
				num = 0
			}
			num = num*10 + int(c-'0')
			if num > 1_000_000 {
				return 0, false
			}
			continue
		}
		if num < 0 {
			return 0, false
		}
		switch c {
		case 'h':
			total += num * 3600
		case 'm':
			total += num * 60
		case 's':
			total += num
		default:
			return 0, false
		}
		num = -1
	}
	return total, num < 0
}

// writeVideo writes the embed for v. title is plain text; it may be empty.
func writeVideo(w io.StringWriter, v video, title string, l *labels) {
	esc := template.HTMLEscapeString
	src := esc(string(util.URLEscape([]byte(v.URL), false))) // as goldmark writes a link's href
	title = strings.TrimSpace(title)
	if v.Provider == "file" {
		_, _ = w.WriteString(`<figure class="video video-file"><video controls preload="none" src="`)
		_, _ = w.WriteString(src)
		if title != "" {
			_, _ = w.WriteString(`" aria-label="`)
			_, _ = w.WriteString(esc(title))
		}
		_, _ = w.WriteString(`"><a href="`)
		_, _ = w.WriteString(src)
		_, _ = w.WriteString(`">`)
		_, _ = w.WriteString(l.dl)
		_, _ = w.WriteString(`</a></video>`)
		writeCaption(w, title)
		_, _ = w.WriteString("</figure>\n")
		return
	}
	frameTitle := title
	if frameTitle == "" {
		frameTitle = "Video (" + v.Host + ")"
	}
	_, _ = w.WriteString(`<figure class="video video-`)
	_, _ = w.WriteString(v.Provider)
	_, _ = w.WriteString(`" data-embed="`)
	_, _ = w.WriteString(esc(v.Embed))
	_, _ = w.WriteString(`" data-title="`)
	_, _ = w.WriteString(esc(frameTitle))
	_, _ = w.WriteString(`"><a class="video-link" href="`)
	_, _ = w.WriteString(src)
	_, _ = w.WriteString(`"><span aria-hidden="true">▶</span> `)
	_, _ = w.WriteString(l.play)
	if title != "" {
		_, _ = w.WriteString(": ")
		_, _ = w.WriteString(esc(title))
	}
	_, _ = w.WriteString(" (")
	_, _ = w.WriteString(l.watchOn)
	_, _ = w.WriteString(" ")
	_, _ = w.WriteString(esc(v.Host))
	_, _ = w.WriteString(")</a>")
	writeCaption(w, title)
	_, _ = w.WriteString("</figure>\n")
}

func writeCaption(w io.StringWriter, title string) {
	if title == "" {
		return
	}
	_, _ = w.WriteString("<figcaption>")
	_, _ = w.WriteString(template.HTMLEscapeString(title))
	_, _ = w.WriteString("</figcaption>")
}

// VideoEmbed returns the embed for a video URL, the same HTML as a paragraph holding
// only that URL, with title as its caption (for the front matter's video field).
// It reports false, and returns nothing, when rawURL is not a video it recognises.
func (r *Renderer) VideoEmbed(rawURL, title string) (template.HTML, bool) {
	v, ok := parseVideo(strings.TrimSpace(rawURL))
	if !ok {
		return "", false
	}
	var b strings.Builder
	writeVideo(&b, v, title, r.labels)
	return template.HTML(b.String()), true // writeVideo escapes every part it writes
}

var kindVideo = ast.NewNodeKind("Video")

// videoNode is a video embed that replaced a paragraph.
type videoNode struct {
	ast.BaseBlock
	Video video
	Title string // plain text; from the link's title, if any
}

func (n *videoNode) Kind() ast.NodeKind { return kindVideo }

func (n *videoNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"URL": n.Video.URL, "Title": n.Title}, nil)
}

// videoTransformer replaces each paragraph holding only a video URL with a videoNode.
type videoTransformer struct{}

// Transform implements parser.ASTTransformer.
func (videoTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var found []*videoNode
	var paras []*ast.Paragraph
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		p, ok := n.(*ast.Paragraph)
		if !ok {
			return ast.WalkContinue, nil
		}
		if v := videoOf(p, src); v != nil {
			found = append(found, v)
			paras = append(paras, p)
		}
		return ast.WalkSkipChildren, nil
	})
	for i, p := range paras {
		found[i].SetBlankPreviousLines(p.HasBlankPreviousLines())
		p.Parent().ReplaceChild(p.Parent(), p, found[i])
	}
}

// videoOf returns the video a paragraph consists of, or nil.
func videoOf(p *ast.Paragraph, src []byte) *videoNode {
	c := p.FirstChild()
	if c == nil || c.NextSibling() != nil {
		return nil
	}
	var dest, title string
	switch l := c.(type) {
	case *ast.AutoLink:
		if l.AutoLinkType != ast.AutoLinkURL {
			return nil
		}
		dest = string(l.URL(src))
	case *ast.Link:
		t, ok := l.FirstChild().(*ast.Text)
		if !ok || t.NextSibling() != nil || string(t.Segment.Value(src)) != string(l.Destination) {
			return nil
		}
		dest, title = string(l.Destination), string(l.Title)
	default:
		return nil
	}
	v, ok := parseVideo(dest)
	if !ok {
		return nil
	}
	return &videoNode{Video: v, Title: title}
}

// videoRenderer writes videoNodes.
type videoRenderer struct {
	labels *labels
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *videoRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindVideo, r.render)
}

func (r *videoRenderer) render(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*videoNode)
		writeVideo(w, n.Video, n.Title, r.labels)
	}
	return ast.WalkSkipChildren, nil
}

// videoExtension is the goldmark.Extender for video embeds.
type videoExtension struct {
	labels *labels
}

// Extend implements goldmark.Extender.
func (e *videoExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(
		util.Prioritized(videoTransformer{}, 110),
	))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(&videoRenderer{labels: e.labels}, 500),
	))
}
