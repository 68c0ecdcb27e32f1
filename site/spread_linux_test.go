package site

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// folderFlags reads a folder's inode flags ("lsattr -d").
func folderFlags(t *testing.T, dir string) (uint32, error) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	return unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
}

// TestOutputSpreadsFolders: on a file system that keeps the hint (ext4), the
// folder a first build makes is marked as the top of a tree of folders, so
// that its page folders are not all placed beside the output folder, where a
// `rm -rf public` just freed inodes that ext4 without a journal is slow to
// look past (spread_linux.go). Elsewhere the build goes on without it.
func TestOutputSpreadsFolders(t *testing.T) {
	probe := t.TempDir()
	spreadFolders(probe)
	if flags, err := folderFlags(t, probe); err != nil || flags&topDirFlag == 0 {
		t.Logf("the file system of %s does not keep the top-folder hint (flags %#x, %v): only checking that the build ignores that", probe, flags, err)
		mustBuild(t, course(t, smallCourse))
		return
	}
	dir := course(t, smallCourse)
	mustBuild(t, dir)
	flags, err := folderFlags(t, filepath.Join(dir, "public"))
	if err != nil {
		t.Fatal(err)
	}
	if flags&topDirFlag == 0 {
		t.Errorf("public/ has flags %#x, without the top-folder hint %#x", flags, topDirFlag)
	}
}
