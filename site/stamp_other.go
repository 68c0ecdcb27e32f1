//go:build !unix

package site

import "io/fs"

// changeStamp is 0 where the file system gives no inode change time: a file is
// then known by its size and modification time alone.
func changeStamp(info fs.FileInfo) int64 { return 0 }
