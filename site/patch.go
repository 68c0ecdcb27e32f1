package site

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"os"
	"path/filepath"
)

// A whole-course file made of one entry per page (sitemap.xml) or per lesson
// (lessons.json) is, after an edit to a few pages, the last build's file with
// those pages' entries replaced. Assembling it whole copies every entry out of
// the mapped cache, ten thousand scattered reads; patching reads the last
// file back in one piece and copies it with the few new entries in place.
// The entries' places come from their lengths, which each build records among
// the special keys (entriesKey); the file read back must digest to what the
// last build recorded for it, and every replaced range must hold the entry
// the last build had there. On any doubt the file is assembled whole.

// entriesKey names, among the special keys, the lengths of a file's entries
// in the last build's file, in file order, as unsigned varints.
func entriesKey(name string) string { return name + " entry lengths" }

// entryLayout is where a file's entries sit: entry k starts at
// base + k*sep + the lengths of entries 0..k-1, and the file is prefix,
// the entries with their separators, and suffix.
type entryLayout struct {
	prefix, suffix []byte
	base, sep      int
}

// sitemapLayout is sitemap.xml's layout: its entries end in a newline each.
func sitemapLayout() entryLayout {
	head := xml.Header + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n"
	return entryLayout{prefix: []byte(head), suffix: []byte("</urlset>\n"), base: len(head)}
}

// manifestLayout is lessons.json's layout around its n lessons (manifest):
// each on its own line, after a comma but the first.
func manifestLayout(head []byte, n int) entryLayout {
	cut := bytes.LastIndex(head, []byte("[]"))
	l := entryLayout{prefix: head[:cut+1], base: cut + 1 + len("\n    "), sep: len(",\n    ")}
	var suffix []byte
	if n > 0 {
		suffix = append(suffix, "\n  "...)
	}
	l.suffix = append(append(suffix, head[cut+1:]...), '\n')
	return l
}

// encodeLengths is the special key's value for these entry lengths.
func encodeLengths(lengths []int) string {
	b := make([]byte, 0, 2*len(lengths))
	for _, n := range lengths {
		b = binary.AppendUvarint(b, uint64(n))
	}
	return string(b)
}

// decodeLengths reads what encodeLengths wrote, expecting n lengths; ok is
// false for anything else.
func decodeLengths(s string, n int) (lengths []int, ok bool) {
	lengths = make([]int, 0, n)
	b := []byte(s)
	for len(b) > 0 && len(lengths) <= n {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > 1<<30 {
			return nil, false
		}
		lengths, b = append(lengths, int(v)), b[k:]
	}
	return lengths, len(lengths) == n
}

// entryPatch replaces one entry: the one at index at, whose bytes in the last
// build's file were old, now new.
type entryPatch struct {
	at       int
	old, new []byte
}

// patchEntries makes the file name from the last build's by the patches, in
// increasing index, when the last file is in the output folder as the last
// build recorded it and laid out as l (now and then) with n entries whose
// lengths it recorded. It returns the new file and its entries' lengths.
func (r *run) patchEntries(name string, l entryLayout, n int, patches []entryPatch) (data []byte, lengths []int, ok bool) {
	lengths, ok = decodeLengths(r.prev.special(entriesKey(name)), n)
	h, known := r.out.prev[name]
	if !ok || !known {
		return nil, nil, false
	}
	old, err := os.ReadFile(filepath.Join(r.out.dir, filepath.FromSlash(name)))
	if err != nil || hashBytes(old) != h {
		return nil, nil, false
	}
	end := l.base - l.sep
	if n > 0 {
		end += n * l.sep
	}
	for _, k := range lengths {
		end += k
	}
	if n == 0 {
		end = len(l.prefix)
	}
	if !bytes.HasPrefix(old, l.prefix) || end+len(l.suffix) != len(old) || !bytes.Equal(old[end:], l.suffix) {
		return nil, nil, false
	}
	grow := 0
	for _, p := range patches {
		grow += len(p.new) - len(p.old)
	}
	data = make([]byte, 0, len(old)+grow)
	// at walks the entries in order, start being the offset of entry i.
	i, start, from := 0, l.base, 0
	for _, p := range patches {
		if p.at < i || p.at >= n || len(p.old) != lengths[p.at] {
			return nil, nil, false
		}
		for ; i < p.at; i++ {
			start += lengths[i] + l.sep
		}
		if !bytes.Equal(old[start:start+len(p.old)], p.old) {
			return nil, nil, false
		}
		data = append(append(data, old[from:start]...), p.new...)
		from = start + len(p.old)
		lengths[p.at] = len(p.new)
	}
	if patchedHook != nil {
		patchedHook(name)
	}
	return append(data, old[from:]...), lengths, true
}

// patchedHook, when set (by tests), is told each file patchEntries patched.
var patchedHook func(name string)

// patchedSitemap is sitemap.xml patched from the last build's (patchEntries),
// when the pages are the last build's in the same order.
func (r *run) patchedSitemap() (data []byte, lengths []int, ok bool) {
	if r.visit == nil || r.prev == nil {
		return nil, nil, false
	}
	all := r.course.All()
	var patches []entryPatch
	for _, i := range r.lookedAt {
		old, now := r.prev.Frags[all[i].File], all[i].frags
		if old == nil || now == nil {
			return nil, nil, false
		}
		if !bytes.Equal(old.Sitemap, now.Sitemap) {
			patches = append(patches, entryPatch{at: i, old: old.Sitemap, new: now.Sitemap})
		}
	}
	return r.patchEntries("sitemap.xml", sitemapLayout(), len(all), patches)
}

// patchedManifest is lessons.json patched from the last build's
// (patchEntries), when the pages are the last build's in the same order and
// its head is the last build's.
func (r *run) patchedManifest() (data []byte, lengths []int, ok bool) {
	if r.visit == nil || r.prev == nil || r.prev.special(manifestHeadKey) != r.manifestHead {
		return nil, nil, false
	}
	head, err := r.manifestHeadJSON()
	if err != nil {
		return nil, nil, false
	}
	all, lessons := r.course.All(), r.course.Lessons
	var patches []entryPatch
	for _, i := range r.lookedAt {
		p := all[i]
		old, now := r.prev.Frags[p.File], p.frags
		if old == nil || now == nil || (old.Manifest == nil) != (now.Manifest == nil) {
			return nil, nil, false // a page that became or stopped being a lesson
		}
		if now.Manifest == nil || bytes.Equal(old.Manifest, now.Manifest) {
			continue
		}
		// Order is a lesson's 1-based place among the lessons, as in the file.
		if p.Order < 1 || p.Order > len(lessons) || lessons[p.Order-1] != p {
			return nil, nil, false
		}
		patches = append(patches, entryPatch{at: p.Order - 1, old: old.Manifest, new: now.Manifest})
	}
	// lookedAt is in course order, and so are the lessons' places.
	return r.patchEntries("lessons.json", manifestLayout(head, len(lessons)), len(lessons), patches)
}
