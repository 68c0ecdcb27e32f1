package site

// The OpenGraph image: what Mastodon, Matrix, Slack and the like show under a link
// to the course. They want a raster image about 1200×630 (SVG is not shown), so a
// course without its own og_image gets one drawn from its title, description and
// logo, in Go, with the Go fonts embedded: the same course always gives the same
// bytes.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"path"
	"strings"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The image's size, as the OpenGraph consumers crop to 1.91:1.
const (
	ogWidth  = 1200
	ogHeight = 630
	// ogFile is where the drawn image goes, under the output folder.
	ogFile = "og.png"
	// ogMargin keeps text clear of the rounded or cropped edges some apps draw.
	ogMargin = 80
	// ogLogoSize is the box the logo is scaled into.
	ogLogoSize = 144
)

// The colours of the drawn image: the default theme's dark ground and light text.
var (
	ogGround = color.NRGBA{0x1b, 0x2b, 0x40, 0xff}
	ogText   = color.NRGBA{0xf5, 0xf7, 0xfa, 0xff}
	ogMuted  = color.NRGBA{0xb8, 0xc4, 0xd4, 0xff}
	ogAccent = color.NRGBA{0x4f, 0xb3, 0xa9, 0xff}
)

// ogFaces are the fonts of the drawn image, parsed once.
var ogFaces = sync.OnceValues(func() ([2]font.Face, error) {
	var faces [2]font.Face
	for i, f := range []struct {
		ttf  []byte
		size float64
	}{{gobold.TTF, 64}, {goregular.TTF, 32}} {
		parsed, err := opentype.Parse(f.ttf)
		if err != nil {
			return faces, err
		}
		if faces[i], err = opentype.NewFace(parsed, &opentype.FaceOptions{Size: f.size, DPI: 72, Hinting: font.HintingNone}); err != nil {
			return faces, err
		}
	}
	return faces, nil
})

// ogImageURL is the absolute URL of the course's OpenGraph image: og_image from
// course.toml (a URL, or a path under the site), else the drawn one.
func ogImageURL(c *Config) string {
	abs := func(rel string) string { return c.Origin() + c.BasePath() + rel } // as run.abs
	if v := c.OGImage; v != "" {
		if strings.Contains(v, "://") {
			return v
		}
		return abs(strings.TrimPrefix(v, "/"))
	}
	return abs(ogFile)
}

// writeOGImage draws og.png when the course has no og_image. It is drawn again only
// when what it shows changed (kept by the Builder between builds).
func (r *run) writeOGImage() error {
	if r.cfg.OGImage != "" {
		return nil
	}
	var logo []byte
	if r.cfg.Logo != "" {
		if f, ok := r.theme.static[strings.TrimPrefix(r.cfg.Logo, "/")]; ok {
			logo, _ = fs.ReadFile(f.fsys, f.name) // an unreadable logo is left out
		}
	}
	key := newKeyer().str(r.cfg.Title, r.cfg.Description, r.cfg.BaseURL, string(logo)).sum()
	r.setSpecial(ogFile, key) // extras.go
	if r.prev.special(ogFile) == key && r.out.keep(ogFile) {
		return nil // drawn by an earlier process from the same text: a new process need not draw it again
	}
	r.b.ogMu.Lock()
	png, ok := r.b.ogPNG, r.b.ogKey == key
	r.b.ogMu.Unlock()
	if !ok {
		var err error
		if png, err = drawOGImage(r.cfg.Title, r.cfg.Description, siteAddress(r.cfg.BaseURL), logo, path.Ext(r.cfg.Logo)); err != nil {
			return fmt.Errorf("og image: %w", err)
		}
		r.b.ogMu.Lock()
		r.b.ogPNG, r.b.ogKey = png, key
		r.b.ogMu.Unlock()
	}
	return r.out.write(ogFile, png)
}

// siteAddress is the base URL as people say it: host and path, no scheme.
func siteAddress(baseURL string) string {
	_, rest, _ := strings.Cut(baseURL, "://")
	return strings.TrimSuffix(rest, "/")
}

// drawOGImage draws the card: the logo (a raster one; an SVG is left out, as Go
// does not draw SVG) at the top, the title in large bold type and the description
// below it, each wrapped to the width and cut with an ellipsis when too long, and
// the site's address at the bottom.
func drawOGImage(title, description, address string, logo []byte, logoExt string) ([]byte, error) {
	faces, err := ogFaces()
	if err != nil {
		return nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, ogWidth, ogHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(ogGround), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, ogHeight-12, ogWidth, ogHeight), image.NewUniform(ogAccent), image.Point{}, draw.Src)

	y := ogMargin
	if len(logo) > 0 && logoExt != ".svg" {
		if src, _, err := image.Decode(bytes.NewReader(logo)); err == nil {
			b := src.Bounds()
			scale := min(float64(ogLogoSize)/float64(b.Dx()), float64(ogLogoSize)/float64(b.Dy()))
			w, h := max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))
			draw.CatmullRom.Scale(img, image.Rect(ogMargin, y, ogMargin+w, y+h), src, b, draw.Over, nil)
			y += h + 40
		}
	}
	width := ogWidth - 2*ogMargin
	titleLines := wrapText(faces[0], title, width, 3)
	descLines := wrapText(faces[1], description, width, max(0, 5-len(titleLines)-(y-ogMargin)/90))
	y += faces[0].Metrics().Ascent.Ceil()
	for _, l := range titleLines {
		drawText(img, faces[0], ogText, ogMargin, y, l)
		y += 76
	}
	y += 12
	for _, l := range descLines {
		drawText(img, faces[1], ogMuted, ogMargin, y, l)
		y += 44
	}
	drawText(img, faces[1], ogAccent, ogMargin, ogHeight-ogMargin+24, address)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func drawText(dst draw.Image, face font.Face, c color.Color, x, y int, s string) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// wrapText breaks s into at most maxLines lines no wider than width pixels; the
// last line ends with an ellipsis when text was left out. A single word wider
// than the card has a line of its own and is clipped.
func wrapText(face font.Face, s string, width, maxLines int) []string {
	words := strings.Fields(s)
	if maxLines <= 0 || len(words) == 0 {
		return nil
	}
	fits := func(line string) bool { return font.MeasureString(face, line).Ceil() <= width }
	var lines []string
	line := ""
	for _, w := range words {
		next := w
		if line != "" {
			next = line + " " + w
		}
		if line == "" || fits(next) {
			line = next
			continue
		}
		if len(lines) == maxLines-1 { // no line left for w: end this one with an ellipsis
			for line != "" && !fits(line+"…") {
				r := []rune(line)
				line = strings.TrimSpace(string(r[:len(r)-1]))
			}
			return append(lines, line+"…")
		}
		lines = append(lines, line)
		line = w
	}
	return append(lines, line)
}
