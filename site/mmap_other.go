//go:build !unix

package site

import "os"

// mapFile reads a file whole where memory-mapping is not wired up.
func mapFile(name string) ([]byte, error) { return os.ReadFile(name) }
