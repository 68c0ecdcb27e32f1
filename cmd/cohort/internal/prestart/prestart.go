// Package prestart starts a build's first looks at the course while the rest
// of the program's packages initialize (site/early). It imports nothing that
// takes time to initialize, so Go initializes it before them: a package is
// initialized as soon as the packages it imports are, in the order of import
// paths, and chroma's, the slowest, wait for regexp2's.
package prestart

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/cohort-course/cohort/site/early"
)

func init() {
	if source, ok := buildSource(os.Args[1:]); ok {
		early.Start(filepath.Join(source, "content")) // the folder site's walk stats by name (content.go)
	}
}

// buildSource returns the course folder of a build command line (its
// --source, "." by default), or false when args are not a build's. serve
// looks for itself: it builds again and again, long after its start.
func buildSource(args []string) (string, bool) {
	if len(args) == 0 || args[0] != "build" {
		return "", false
	}
	source := "."
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case hasValue || BoolFlags[name]:
		case i+1 < len(args):
			i++
			value = args[i]
		}
		if name == "source" {
			source = value
		}
	}
	return source, source != ""
}

// BoolFlags are build's flags that take no value (cmd/cohort/build.go;
// TestPrestartKnowsBuildFlags holds the two together).
var BoolFlags = map[string]bool{"drafts": true, "v": true, "h": true, "help": true}
