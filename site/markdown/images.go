package markdown

// Images: every Markdown image is loaded lazily and decoded off the main thread,
// and, when the caller knows the file (Env.Image), gets its width and height, so
// the page does not jump as it loads, and a srcset of smaller copies when the
// caller made them.

import (
	"strconv"

	"github.com/yuin/goldmark/ast"
)

// ImageInfo is what the caller knows of an image file.
type ImageInfo struct {
	Width, Height int
	// Srcset lists smaller copies ("a-480w.jpg 480w, a-960w.jpg 960w"), with the
	// Sizes to pick them by; both empty without copies.
	Srcset, Sizes string
}

// setImageAttrs sets the attributes of an image, once its link is resolved
// (links.go: the same walk).
func setImageAttrs(st *renderState, img *ast.Image) {
	if st != nil {
		if info, ok := st.image(string(img.Destination)); ok {
			setImageInfo(img, info)
		}
	}
	img.SetAttributeString("loading", "lazy")
	img.SetAttributeString("decoding", "async")
}

func setImageInfo(img *ast.Image, info ImageInfo) {
	if info.Width > 0 && info.Height > 0 {
		img.SetAttributeString("width", strconv.Itoa(info.Width))
		img.SetAttributeString("height", strconv.Itoa(info.Height))
	}
	if info.Srcset != "" {
		img.SetAttributeString("srcset", info.Srcset)
		img.SetAttributeString("sizes", info.Sizes)
	}
}

// image asks the caller about the file at a resolved destination.
func (st *renderState) image(dest string) (ImageInfo, bool) {
	if st.env.Image == nil {
		return ImageInfo{}, false
	}
	return st.env.Image(dest)
}

// imageAttrs writes an image's known attributes for HTML the shortcodes build.
func (st *renderState) imageAttrs(dest string, skipSize bool) string {
	info, ok := st.image(dest)
	if !ok {
		return ""
	}
	var s string
	if !skipSize && info.Width > 0 && info.Height > 0 {
		s += ` width="` + strconv.Itoa(info.Width) + `" height="` + strconv.Itoa(info.Height) + `"`
	}
	if info.Srcset != "" {
		s += ` srcset="` + info.Srcset + `" sizes="` + info.Sizes + `"`
	}
	return s
}
