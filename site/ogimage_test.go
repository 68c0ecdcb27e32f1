package site

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// TestOGImageDrawn: a course without og_image gets a 1200×630 PNG that apps can
// show, named in every page's og:image, with its logo drawn in, the same bytes
// every build.
func TestOGImageDrawn(t *testing.T) {
	archive := `
-- course.toml --
title = "Running a social-learning course online, with a title long enough to wrap over more than one line of the card"
description = "Six weeks on facilitation."
base_url = "https://example.org/course/"
logo = "logo.png"
-- content/_index.md --
+++
title = "Home"
+++
`
	dir := course(t, archive)
	logo := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range logo.Pix {
		logo.Pix[i] = 0xff // white: it shows against the dark ground
	}
	var b bytes.Buffer
	if err := png.Encode(&b, logo); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static/logo.png"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir)
	home := read(t, dir, "public/index.html")
	for _, want := range []string{`<meta property="og:image" content="https://example.org/course/og.png">`,
		`<meta property="og:image:width" content="1200">`, `<meta property="og:image:height" content="630">`} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %s", want)
		}
	}
	data := read(t, dir, "public/og.png")
	img, format, err := image.Decode(strings.NewReader(data))
	if err != nil || format != "png" {
		t.Fatalf("og.png: %s, %v", format, err)
	}
	if s := img.Bounds().Size(); s.X != ogWidth || s.Y != ogHeight {
		t.Fatalf("og.png is %v, want 1200×630", s)
	}
	// The logo's box is white, and the title left light pixels below it.
	if r, g, bl, _ := img.At(ogMargin+32, ogMargin+32).RGBA(); r>>8 < 0xf0 || g>>8 < 0xf0 || bl>>8 < 0xf0 {
		t.Error("the logo is not drawn at the top left")
	}
	light := 0
	for y := ogMargin + ogLogoSize + 40; y < ogHeight-ogMargin; y++ {
		for x := ogMargin; x < ogWidth-ogMargin; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r>>8 > 0xc0 {
				light++
			}
		}
	}
	if light < 5000 {
		t.Errorf("%d light pixels under the logo: the title is not drawn", light)
	}

	again := t.TempDir()
	if _, err := Build(t.Context(), Options{Source: dir, Out: again}); err != nil {
		t.Fatal(err)
	}
	if read(t, again, "og.png") != data {
		t.Error("two builds drew different og.png")
	}
}

// TestOGImageOwn: og_image from course.toml is used as it is, and nothing is drawn.
func TestOGImageOwn(t *testing.T) {
	dir := course(t, `
-- course.toml --
title = "Course"
base_url = "https://example.org/"
og_image = "/images/card.jpg"
-- content/_index.md --
+++
title = "Home"
+++
`)
	mustBuild(t, dir)
	home := read(t, dir, "public/index.html")
	if !strings.Contains(home, `<meta property="og:image" content="https://example.org/images/card.jpg">`) || strings.Contains(home, "og:image:width") {
		t.Errorf("og:image is not the course's own:\n%s", home)
	}
	if _, err := os.Stat(filepath.Join(dir, "public/og.png")); err == nil {
		t.Error("og.png drawn although the course has its own")
	}
}

// TestWrapText: a title wraps at the card's width and ends with an ellipsis when
// it needs more lines than it has.
func TestWrapText(t *testing.T) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 32, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("word ", 200)
	lines := wrapText(face, long, 400, 2)
	if len(lines) != 2 || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("lines = %q, want 2 ending in …", lines)
	}
	if got := wrapText(face, "Short title", 400, 3); len(got) != 1 || got[0] != "Short title" {
		t.Errorf("short title = %q", got)
	}
	if got := wrapText(face, "", 400, 3); got != nil {
		t.Errorf("empty = %q", got)
	}
}
