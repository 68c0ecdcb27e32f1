package site

import (
	"os"
	"path/filepath"
)

// formulaDir keeps the formulas KaTeX rendered in the build cache folder, one
// file per formula named by its key, so that a cold start of a course with many
// formulas does not run KaTeX for each again. A file that cannot be written is
// only a formula rendered again next time.
type formulaDir struct{ dir string }

// Get returns a formula rendered by an earlier build.
func (f formulaDir) Get(key string) ([]byte, bool) {
	b, err := os.ReadFile(filepath.Join(f.dir, key))
	return b, err == nil
}

// Put keeps a formula, written whole or not at all (rename), since builds may
// run side by side.
func (f formulaDir) Put(key string, value []byte) {
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(f.dir, key+".*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(value)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(f.dir, key)) != nil {
		_ = os.Remove(tmp.Name())
	}
}
