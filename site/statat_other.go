//go:build !linux

package site

// statNames is not wired up beyond Linux: the walk looks at each file through
// fs.FS instead (walker.known).
func statNames(folder string, names []string, each func(i int, st fileStamp) bool) error {
	return errNoStatNames
}
