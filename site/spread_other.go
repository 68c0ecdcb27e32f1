//go:build !linux

package site

// spreadFolders is a hint to Linux's ext4 only (spread_linux.go).
func spreadFolders(dir string) {}
