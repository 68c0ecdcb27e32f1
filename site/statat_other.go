//go:build !linux

package site

// statNames is not wired up beyond Linux: the walk looks at each file through
// fs.FS instead (walker.known).
func statNames(folder string, names []string) ([]fileStamp, error) { return nil, errNoStatNames }
