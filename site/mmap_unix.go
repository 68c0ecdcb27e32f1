//go:build unix

package site

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only into memory. The mapping is never undone: what
// was decoded from it shares its bytes (codec.go), and a process loads the
// cache once. An empty file comes back as an empty slice.
func mapFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if size == 0 {
		return []byte{}, nil
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%s: too large to map", name)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return os.ReadFile(name) // a file system that cannot map: read it whole
	}
	return data, nil
}
