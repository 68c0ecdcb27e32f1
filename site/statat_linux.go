package site

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// statNames looks at the named entries of one folder of the OS's file system
// (a path, not through fs.FS) without following links, each by its name within
// the open folder: the kernel resolves one name per file instead of every
// component of its full path, and no fs.FileInfo is made. A 10,000-lesson
// course is stat-ed whole on every build (walker.known), so this is most of a
// walk. Each entry's stamp is given to each, in order, rather than returned in
// a new list (a hundred folders' lists were half a megabyte of fresh memory);
// each returning false stops the loop. An entry that cannot be looked at (gone,
// say) is an error.
func statNames(folder string, names []string, each func(i int, st fileStamp) bool) error {
	// Opened as a bare descriptor: os.Open would register a folder with the
	// runtime's poller, only to be refused, three system calls per folder.
	fd, err := unix.Open(folder, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(folder, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: folder, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	for i, name := range names {
		for {
			err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			return &os.PathError{Op: "fstatat", Path: folder + "/" + name, Err: err}
		}
		if !each(i, fileStamp{
			size:    st.Size,
			mtime:   time.Unix(st.Mtim.Unix()),
			ctime:   st.Ctim.Nano(),
			regular: st.Mode&unix.S_IFMT == unix.S_IFREG,
		}) {
			return nil
		}
	}
	return nil
}
