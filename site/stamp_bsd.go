//go:build darwin || ios || freebsd || netbsd || dragonfly

package site

import (
	"io/fs"
	"syscall"
)

// changeStamp is stamp_unix.go's, where the BSDs name the field Ctimespec.
func changeStamp(info fs.FileInfo) int64 {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	return int64(st.Ctimespec.Sec)*1e9 + int64(st.Ctimespec.Nsec)
}
