package site

// Raster images in content/ and static/: their size goes on every <img> that shows
// them, and one wider than maxImageWidth gets smaller copies for a srcset, made
// once and kept in the build cache by the hash of the image's bytes. Output is
// deterministic: the same image always gives the same copies.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // width and height of .gif files (no copies: they may be animated)
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // width and height of .webp files (no copies: Go has no webp encoder)

	"github.com/cohort-course/cohort/site/markdown"
)

// maxImageWidth is the widest image a page is sent as it is: wider ones (photos
// straight from a camera, 4000 px and more) get copies at srcsetWidths, and the
// browser picks the one its screen needs.
const maxImageWidth = 1600

// srcsetWidths are the copies' widths: a phone, a tablet or narrow window, a wide
// screen at 2x the ~800 px content column.
var srcsetWidths = []int{480, 960, 1600}

// imageSizes tells the browser how wide an image is drawn: the whole viewport on
// a phone, at most the content column (about 50rem in the default theme).
const imageSizes = "(max-width: 50rem) 100vw, 50rem"

// jpegQuality for the copies: visually the same as a camera's file at a third of its size.
const jpegQuality = 82

// imageMeta is what a build learned of one image file, kept by the Builder so that
// a rebuild does not open files whose size and time did not change.
type imageMeta struct {
	version string // size and time, or a hash for embedded files
	w, h    int
	format  string // png, jpeg, gif, webp
	hash    string // of the bytes, for images that get copies
}

// rasterExts are the extensions of images whose size cohort reads.
var rasterExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true}

// imageSource is one raster image the build publishes.
type imageSource struct {
	rel     string // path under the output folder
	fsys    fs.FS
	name    string
	version string
}

// scanImages reads the size of every raster image the course publishes, writes
// the copies of the wide ones, and gives the link index what pages need to know.
func (r *run) scanImages() error {
	var srcs []imageSource
	for _, a := range r.tree.assets {
		if rasterExts[strings.ToLower(path.Ext(a.path))] {
			// Size, time and change stamp: any write changes one (content.go).
			srcs = append(srcs, imageSource{a.path, r.b.fsys, path.Join(ContentDir, a.path),
				strconv.FormatInt(a.size, 10) + "-" + strconv.FormatInt(a.mtime.UnixNano(), 10) + "-" + strconv.FormatInt(a.ctime, 10)})
		}
	}
	for rel, f := range r.theme.static {
		if !rasterExts[strings.ToLower(path.Ext(rel))] {
			continue
		}
		v, err := hashFile(f.fsys, f.name) // static/ holds few images: their bytes are their version
		if err != nil {
			return fmt.Errorf("static %s: %w", f.name, err)
		}
		srcs = append(srcs, imageSource{rel, f.fsys, f.name, v})
	}
	slices.SortFunc(srcs, func(a, b imageSource) int { return strings.Compare(a.rel, b.rel) })

	r.b.imageMu.Lock()
	known := r.b.images
	r.b.imageMu.Unlock()
	metas := make([]*imageMeta, len(srcs))
	err := parallel(r.ctx, len(srcs), func(i int) error {
		s := srcs[i]
		m := known[s.rel]
		if m == nil || m.version != s.version {
			var err error
			if m, err = readImageMeta(s); err != nil {
				// Not an image after all, or a broken one: published as it is, without a size.
				m = &imageMeta{version: s.version}
			}
		}
		metas[i] = m
		if m.w <= maxImageWidth || (m.format != "png" && m.format != "jpeg") {
			return nil
		}
		return r.writeCopies(s, m)
	})
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}

	next := make(map[string]*imageMeta, len(srcs))
	r.ix.images = make(map[string]markdown.ImageInfo, len(srcs))
	k := newKeyer()
	for i, s := range srcs {
		m := metas[i]
		next[s.rel] = m
		if m.w == 0 {
			continue
		}
		info := markdown.ImageInfo{Width: m.w, Height: m.h}
		if widths := copyWidths(m); len(widths) > 0 {
			var set []string
			for _, w := range widths {
				set = append(set, r.ix.base+copyName(s.rel, w)+" "+strconv.Itoa(w)+"w")
			}
			info.Srcset, info.Sizes = strings.Join(set, ", "), imageSizes
		}
		r.ix.images[r.ix.base+s.rel] = info
		k.str(s.rel, info.Srcset).int(int64(m.w), int64(m.h))
	}
	r.imagesKey = k.sum()
	r.b.imageMu.Lock()
	r.b.images = next
	r.b.imageMu.Unlock()
	return nil
}

// readImageMeta reads an image's size from its header, and hashes the bytes of
// one that will get copies.
func readImageMeta(s imageSource) (*imageMeta, error) {
	f, err := s.fsys.Open(s.name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, err
	}
	m := &imageMeta{version: s.version, w: cfg.Width, h: cfg.Height, format: format}
	if m.w > maxImageWidth && (format == "png" || format == "jpeg") {
		data, err := fs.ReadFile(s.fsys, s.name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		m.hash = hex.EncodeToString(sum[:16])
	}
	return m, nil
}

// copyWidths are the widths of an image's copies: those of srcsetWidths below its own.
func copyWidths(m *imageMeta) []int {
	if m.w <= maxImageWidth || m.hash == "" {
		return nil
	}
	var ws []int
	for _, w := range srcsetWidths {
		if w < m.w {
			ws = append(ws, w)
		}
	}
	return ws
}

// copyName is where the copy of width w of the image at rel goes: beside it,
// photo.jpg → photo-480w.jpg.
func copyName(rel string, w int) string {
	ext := path.Ext(rel)
	return strings.TrimSuffix(rel, ext) + "-" + strconv.Itoa(w) + "w" + ext
}

// writeCopies writes an image's copies to the output, from the build cache when it
// has them, else resized now (and kept there).
func (r *run) writeCopies(s imageSource, m *imageMeta) error {
	widths := copyWidths(m)
	cacheDir := ""
	if r.b.o.CacheDir != "" {
		cacheDir = filepath.Join(r.b.o.CacheDir, "images")
	}
	cached := func(w int) string { return m.hash + "-" + strconv.Itoa(w) + path.Ext(s.rel) }
	missing := cacheDir == ""
	for _, w := range widths {
		if _, err := os.Stat(filepath.Join(cacheDir, cached(w))); err != nil {
			missing = true
		}
	}
	var made map[int][]byte
	if missing {
		data, err := fs.ReadFile(s.fsys, s.name)
		if err != nil {
			return err
		}
		if made, err = resizeImage(data, m.format, widths); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	for _, w := range widths {
		rel := copyName(s.rel, w)
		if made != nil && cacheDir != "" {
			keepFile(filepath.Join(cacheDir, cached(w)), made[w])
		}
		if cacheDir != "" {
			if _, err := os.Stat(filepath.Join(cacheDir, cached(w))); err == nil {
				if err := r.out.copyFile(rel, os.DirFS(cacheDir), cached(w)); err != nil {
					return err
				}
				continue
			}
		}
		if made == nil { // the cache lost a file between the checks: make them now
			data, err := fs.ReadFile(s.fsys, s.name)
			if err != nil {
				return err
			}
			if made, err = resizeImage(data, m.format, widths); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		if err := r.out.write(rel, made[w]); err != nil {
			return err
		}
	}
	return nil
}

// keepFile writes a file of the build cache whole or not at all; a file that
// cannot be written is only work done again next time.
func keepFile(name string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), name) != nil {
		_ = os.Remove(tmp.Name())
	}
}

// resizeImage decodes an image once and encodes it at each width, in its own
// format, keeping its aspect ratio (Catmull-Rom: sharp, without ringing).
func resizeImage(data []byte, format string, widths []int) (map[int][]byte, error) {
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	b := src.Bounds()
	out := make(map[int][]byte, len(widths))
	for _, w := range widths {
		h := max(1, (b.Dy()*w+b.Dx()/2)/b.Dx())
		var dst draw.Image
		if format == "jpeg" {
			dst = image.NewRGBA(image.Rect(0, 0, w, h))
		} else {
			dst = image.NewNRGBA(image.Rect(0, 0, w, h))
		}
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
		var buf bytes.Buffer
		switch format {
		case "jpeg":
			err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: jpegQuality})
		default:
			err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
		}
		if err != nil {
			return nil, fmt.Errorf("encode %d px: %w", w, err)
		}
		out[w] = buf.Bytes()
	}
	return out, nil
}

// imageLookup is the Env.Image of a page: what the build knows of the image at a
// resolved destination.
func (ix *linkIndex) imageLookup(dest string) (markdown.ImageInfo, bool) {
	info, ok := ix.images[dest]
	return info, ok
}
