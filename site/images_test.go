package site

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testImage makes a w×h image with a gradient, so that resizing has work to do.
func testImage(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func encodeImage(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const imageCourse = `
-- course.toml --
title = "Pictures"
base_url = "https://example.org/"
-- content/01-m/_index.md --
+++
title = "M"
+++
-- content/01-m/look.md --
+++
title = "Look"
+++
![small](small.png) ![anim](anim.gif) ![photo](photo.jpg) ![wide](wide.png)

{{< figure src="small.png" caption="A figure." >}}
`

func writeImages(t *testing.T, dir string) {
	t.Helper()
	for name, data := range map[string][]byte{
		"small.png": encodeImage(t, "png", testImage(40, 30)),
		"anim.gif":  encodeImage(t, "gif", testImage(20, 10)),
		"photo.jpg": encodeImage(t, "jpeg", testImage(2000, 1500)),
		"wide.png":  encodeImage(t, "png", testImage(1700, 100)),
	} {
		if err := os.WriteFile(filepath.Join(dir, "content/01-m", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImageAttributes: every image has its size, loads lazily and decodes off the
// main thread; images wider than maxImageWidth get a srcset of smaller copies,
// which are published with the sizes they claim.
func TestImageAttributes(t *testing.T) {
	dir := course(t, imageCourse)
	writeImages(t, dir)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	page := read(t, pub, "01-m/look/index.html")
	for _, want := range []string{
		`<img src="/01-m/small.png" alt="small" width="40" height="30" loading="lazy" decoding="async">`,
		`<img src="/01-m/anim.gif" alt="anim" width="20" height="10" loading="lazy" decoding="async">`,
		`<img src="/01-m/photo.jpg" alt="photo" width="2000" height="1500" srcset="/01-m/photo-480w.jpg 480w, /01-m/photo-960w.jpg 960w, /01-m/photo-1600w.jpg 1600w" sizes="` + imageSizes + `" loading="lazy" decoding="async">`,
		`srcset="/01-m/wide-480w.png 480w, /01-m/wide-960w.png 960w, /01-m/wide-1600w.png 1600w"`,
		`<img src="/01-m/small.png" alt="A figure." width="40" height="30" loading="lazy" decoding="async">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, c := range []struct {
		file   string
		format string
		w, h   int
	}{
		{"01-m/photo-480w.jpg", "jpeg", 480, 360}, {"01-m/photo-960w.jpg", "jpeg", 960, 720}, {"01-m/photo-1600w.jpg", "jpeg", 1600, 1200},
		{"01-m/wide-480w.png", "png", 480, 28}, {"01-m/wide-1600w.png", "png", 1600, 94},
	} {
		f, err := os.Open(filepath.Join(pub, c.file))
		if err != nil {
			t.Errorf("copy not published: %v", err)
			continue
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != c.format || cfg.Width != c.w || cfg.Height != c.h {
			t.Errorf("%s: %s %d×%d (err %v), want %s %d×%d", c.file, format, cfg.Width, cfg.Height, err, c.format, c.w, c.h)
		}
	}
	if _, err := os.Stat(filepath.Join(pub, "01-m/small-480w.png")); err == nil {
		t.Error("a small image got copies")
	}
}

// TestImageCopiesCachedAndDeterministic: the copies are kept in the build cache by
// the image's hash, a rebuild rewrites nothing, and a build without the cache
// makes the same bytes.
func TestImageCopiesCachedAndDeterministic(t *testing.T) {
	dir := course(t, imageCourse)
	writeImages(t, dir)
	mustBuild(t, dir)
	cached, err := os.ReadDir(filepath.Join(dir, ".cohort", "images"))
	if err != nil || len(cached) != 6 {
		t.Fatalf("%d copies in the build cache (err %v), want 6", len(cached), err)
	}
	if res := mustBuild(t, dir); len(res.Written) != 0 {
		t.Errorf("a rebuild without change wrote %v", res.Written)
	}
	first := read(t, dir, "public/01-m/photo-960w.jpg")

	// A new process, with the cache but a fresh output: copies come from the cache.
	if err := os.RemoveAll(filepath.Join(dir, "public")); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir)
	if read(t, dir, "public/01-m/photo-960w.jpg") != first {
		t.Error("the copy from the cache differs")
	}
	// No cache at all: resized again, to the same bytes.
	other := t.TempDir()
	if _, err := Build(t.Context(), Options{Source: dir, Out: other}); err != nil {
		t.Fatal(err)
	}
	if read(t, other, "01-m/photo-960w.jpg") != first {
		t.Error("resizing the same image twice gave different bytes")
	}
}

// TestImageSizeChange: a page shows an image's new size after the file changes.
func TestImageSizeChange(t *testing.T) {
	dir := course(t, imageCourse)
	writeImages(t, dir)
	mustBuild(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "content/01-m/small.png"), encodeImage(t, "png", testImage(64, 48)), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, dir)
	if !slices.Contains(res.Written, "01-m/look/index.html") {
		t.Errorf("the page was not rewritten: %v", res.Written)
	}
	if !strings.Contains(read(t, dir, "public/01-m/look/index.html"), `alt="small" width="64" height="48"`) {
		t.Error("the page shows the old size")
	}
}
