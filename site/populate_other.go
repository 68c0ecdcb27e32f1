//go:build !linux

package site

// populate is a hint that only Linux takes (populate_linux.go).
func populate(region []byte) {}
