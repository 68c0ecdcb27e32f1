package markdown

import (
	"strings"
	"testing"
)

func TestParseVideo(t *testing.T) {
	const id = "dQw4w9WgXcQ"
	const pt = "9c9de5e8-0a1e-484a-b099-e80766180a6d"
	tests := []struct {
		name     string
		url      string
		provider string // "" when not a video
		embed    string
	}{
		{"youtube watch", "https://www.youtube.com/watch?v=" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube without www", "https://youtube.com/watch?v=" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube mobile", "https://m.youtube.com/watch?v=" + id + "&feature=share", "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube short link", "https://youtu.be/" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube embed link", "https://www.youtube.com/embed/" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube nocookie link", "https://www.youtube-nocookie.com/embed/" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube shorts", "https://www.youtube.com/shorts/" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube start in seconds", "https://youtu.be/" + id + "?t=90", "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1&start=90"},
		{"youtube start in h m s", "https://www.youtube.com/watch?v=" + id + "&t=1h2m3s", "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1&start=3723"},
		{"youtube bad start is ignored", "https://youtu.be/" + id + "?t=soon", "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube over http", "http://www.youtube.com/watch?v=" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube host in capitals", "https://WWW.YouTube.com/watch?v=" + id, "youtube", "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"},
		{"youtube id of wrong length is no video", "https://www.youtube.com/watch?v=abc", "", ""},
		{"youtube id with markup is no video", "https://youtu.be/abc\"><x>12", "", ""},
		{"youtube channel is no video", "https://www.youtube.com/@golang", "", ""},
		{"youtube playlist is no video", "https://www.youtube.com/playlist?list=PL123", "", ""},
		{"vimeo", "https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1"},
		{"vimeo unlisted with hash", "https://vimeo.com/76979871/abc123def", "vimeo", "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1&h=abc123def"},
		{"vimeo player link", "https://player.vimeo.com/video/76979871?h=abc123", "vimeo", "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1&h=abc123"},
		{"vimeo channel video", "https://vimeo.com/channels/staffpicks/76979871", "vimeo", "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1"},
		{"vimeo page that is not a number is no video", "https://vimeo.com/about", "", ""},
		{"peertube short link", "https://framatube.org/w/kkGMgK9ZtnKfYAgnEtQxbv", "peertube", "https://framatube.org/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv?autoplay=1&p2p=0"},
		{"peertube watch link", "https://tube.example/videos/watch/" + pt, "peertube", "https://tube.example/videos/embed/" + pt + "?autoplay=1&p2p=0"},
		{"peertube embed link", "https://tube.example/videos/embed/" + pt, "peertube", "https://tube.example/videos/embed/" + pt + "?autoplay=1&p2p=0"},
		{"peertube keeps the port", "http://localhost:9000/w/" + pt, "peertube", "http://localhost:9000/videos/embed/" + pt + "?autoplay=1&p2p=0"},
		{"peertube playlist is no video", "https://framatube.org/w/p/kkGMgK9ZtnKfYAgnEtQxbv", "", ""},
		{"wiki path under /w/ is no video", "https://en.wikipedia.org/w/index.php", "", ""},
		{"short word under /w/ is no video", "https://example.org/w/about", "", ""},
		{"mp4 file", "https://media.example.org/lesson-1.mp4", "file", ""},
		{"webm file with query", "https://media.example.org/a.webm?token=1", "file", ""},
		{"ogv file in capitals", "https://media.example.org/A.OGV", "file", ""},
		{"other file is no video", "https://media.example.org/slides.pdf", "", ""},
		{"mp4 in the query only is no video", "https://example.org/get?f=a.mp4", "", ""},
		{"relative file is no video", "media/a.mp4", "", ""},
		{"javascript URL is no video", "javascript:alert(1)//a.mp4", "", ""},
		{"ftp file is no video", "ftp://example.org/a.mp4", "", ""},
		{"URL with user info is no video", "https://user:pw@example.org/a.mp4", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := parseVideo(tt.url)
			if ok != (tt.provider != "") {
				t.Fatalf("parseVideo(%q) ok = %v, want %v (got %+v)", tt.url, ok, !ok, v)
			}
			if !ok {
				return
			}
			if v.Provider != tt.provider || v.Embed != tt.embed {
				t.Errorf("parseVideo(%q) = %s %q, want %s %q", tt.url, v.Provider, v.Embed, tt.provider, tt.embed)
			}
			if v.URL != tt.url {
				t.Errorf("URL = %q, want it as written, %q", v.URL, tt.url)
			}
		})
	}
}

// TestVideoEmbedMatchesMarkdown proves the front matter's video field and a video line
// in the body give the same HTML.
func TestVideoEmbedMatchesMarkdown(t *testing.T) {
	r := New(Options{})
	tests := []struct {
		name, markdown, url, title string
	}{
		{"bare URL", "https://youtu.be/dQw4w9WgXcQ\n", "https://youtu.be/dQw4w9WgXcQ", ""},
		{"link with a title", "[https://vimeo.com/1234](https://vimeo.com/1234 \"Week 1\")\n", "https://vimeo.com/1234", "Week 1"},
		{"file", "<https://example.org/a.mp4>\n", "https://example.org/a.mp4", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Render([]byte(tt.markdown), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.VideoEmbed(tt.url, tt.title)
			if !ok {
				t.Fatalf("VideoEmbed(%q) not recognised", tt.url)
			}
			if string(got) != string(res.HTML) {
				t.Errorf("VideoEmbed = %s\nRender    = %s", got, res.HTML)
			}
		})
	}
}

func TestVideoEmbed(t *testing.T) {
	r := New(Options{Lang: "nl"})
	t.Run("not a video gives nothing", func(t *testing.T) {
		if got, ok := r.VideoEmbed("https://example.org/", "x"); ok || got != "" {
			t.Errorf("VideoEmbed = %q, %v; want \"\", false", got, ok)
		}
	})
	t.Run("title is escaped everywhere", func(t *testing.T) {
		got, _ := r.VideoEmbed("https://youtu.be/dQw4w9WgXcQ", `<script>"x"</script>`)
		if strings.Contains(string(got), "<script>") || strings.Contains(string(got), `"x"`) {
			t.Errorf("title not escaped: %s", got)
		}
	})
	t.Run("facade requests nothing from the host", func(t *testing.T) {
		got, _ := r.VideoEmbed("https://youtu.be/dQw4w9WgXcQ", "Intro")
		for _, bad := range []string{"<iframe", "<img", "<script", " src="} {
			if strings.Contains(string(got), bad) {
				t.Errorf("facade contains %q, which loads from the host: %s", bad, got)
			}
		}
		for _, want := range []string{`href="https://youtu.be/dQw4w9WgXcQ"`, "Video afspelen: Intro", "<figcaption>Intro</figcaption>", `data-title="Intro"`} {
			if !strings.Contains(string(got), want) {
				t.Errorf("facade lacks %q: %s", want, got)
			}
		}
	})
	t.Run("file does not preload", func(t *testing.T) {
		got, _ := r.VideoEmbed(" https://example.org/a.mp4 ", "")
		if !strings.Contains(string(got), `preload="none"`) || !strings.Contains(string(got), "Download de video") {
			t.Errorf("file embed = %s", got)
		}
	})
}
