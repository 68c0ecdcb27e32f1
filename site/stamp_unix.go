//go:build unix && !darwin && !ios && !freebsd && !netbsd && !dragonfly

package site

import (
	"io/fs"
	"syscall"
)

// changeStamp is the time a file's inode last changed (ctime), in nanoseconds,
// or 0 when the file system does not say. Unlike the modification time, no tool
// can set it back: a file rewritten with its old size and time (cp -p, rsync -t,
// tar x) still gets a new one, so a cached page is not mistaken for the file.
func changeStamp(info fs.FileInfo) int64 {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	return int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec)
}
