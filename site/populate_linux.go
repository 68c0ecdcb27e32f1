package site

import "golang.org/x/sys/unix"

// populate has the kernel map the pages of a memory-mapped file's region in
// one call (MADV_POPULATE_READ, Linux 5.14), instead of one page fault each
// as a decode first reads them. Only a hint: an older kernel says no, and
// the faults then come as before.
func populate(region []byte) {
	if len(region) > 0 {
		_ = unix.Madvise(region, unix.MADV_POPULATE_READ)
	}
}
