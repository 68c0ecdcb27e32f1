package site

import (
	"path"
	"slices"
)

// copyStatic copies the theme's and the course's static files, and the files
// beside the Markdown in content/, to the output.
func (r *run) copyStatic() error {
	names := make([]string, 0, len(r.theme.static))
	for rel := range r.theme.static {
		names = append(names, rel)
	}
	slices.Sort(names)
	for _, rel := range names {
		f := r.theme.static[rel]
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
