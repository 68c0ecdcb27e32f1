// Package themes holds the themes built into cohort, embedded in the binary.
// A course picks one by name in course.toml; its own layouts/, static/ and i18n/
// override files of the same name. It holds files only, no logic.
package themes

import (
	"embed"
	"io/fs"
)

//go:embed all:default
var files embed.FS

// Get returns the named theme's files (layouts/, static/, i18n/), or false when
// no theme of that name is built in.
func Get(name string) (fs.FS, bool) {
	sub, err := fs.Sub(files, name)
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "layouts"); err != nil {
		return nil, false
	}
	return sub, true
}

// Names lists the built-in themes.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
