package site

import (
	"path"
	"slices"
	"strings"
)

// copyStatic copies the theme's and the course's static files, and the files
// beside the Markdown in content/, to the output. The theme's KaTeX and Mermaid
// go only to a site with a page that loads them (partials/page-assets.html).
func (r *run) copyStatic() error {
	var math, diagram bool
	for _, p := range r.course.All() {
		math, diagram = math || p.HasMath, diagram || p.HasDiagram
	}
	names := make([]string, 0, len(r.theme.static))
	for rel := range r.theme.static {
		names = append(names, rel)
	}
	slices.Sort(names)
	for _, rel := range names {
		f := r.theme.static[rel]
		if f.theme && (!math && isMathAsset(rel) || !diagram && isDiagramAsset(rel)) {
			continue
		}
		if err := r.out.copyFile(rel, f.fsys, f.name); err != nil {
			return err
		}
	}
	for _, a := range r.tree.assets {
		if err := r.out.copyFile(a.path, r.b.fsys, path.Join(ContentDir, a.path)); err != nil {
			return err
		}
	}
	return nil
}

// isMathAsset tells whether the theme's static file rel is KaTeX's: its
// stylesheet and fonts, 336 KB that a course without formulas does not need.
func isMathAsset(rel string) bool { return strings.HasPrefix(rel, "katex/") }

// isDiagramAsset tells whether the theme's static file rel draws Mermaid
// diagrams: 3.5 MB of script that a course without diagrams does not need.
func isDiagramAsset(rel string) bool {
	return strings.HasPrefix(rel, "mermaid/") || rel == "js/mermaid-init.js"
}
