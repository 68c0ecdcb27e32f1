package site

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cohort-course/cohort/site/early"
)

// statNames looks at the named entries of one folder of the OS's file system
// (a path, not through fs.FS) without following links, each by its name within
// the open folder: the kernel resolves one name per file instead of every
// component of its full path, and no fs.FileInfo is made. A 10,000-lesson
// course is stat-ed whole on every build (walker.known), so this is most of a
// walk. An entry that cannot be looked at (gone, say) is an error. In a new
// `cohort build` the folder's stamps were mostly taken already, while the
// process started (site/early); they are used once.
func statNames(folder string, names []string) ([]fileStamp, error) {
	if stamps, ok := early.Stamps(folder, names); ok { // looked at while the process started
		out := make([]fileStamp, len(stamps))
		for i, s := range stamps {
			out[i] = fileStamp{size: s.Size, mtime: time.Unix(s.MtimeSec, s.MtimeNsec), ctime: s.Ctime, regular: s.Regular}
		}
		return out, nil
	}
	// Opened as a bare descriptor: os.Open would register a folder with the
	// runtime's poller, only to be refused, three system calls per folder.
	fd, err := unix.Open(folder, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(folder, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: folder, Err: err}
	}
	defer unix.Close(fd)
	stamps := make([]fileStamp, len(names))
	var st unix.Stat_t
	for i, name := range names {
		for {
			err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			return nil, &os.PathError{Op: "fstatat", Path: folder + "/" + name, Err: err}
		}
		stamps[i] = fileStamp{
			size:    st.Size,
			mtime:   time.Unix(st.Mtim.Unix()),
			ctime:   st.Ctim.Nano(),
			regular: st.Mode&unix.S_IFMT == unix.S_IFREG,
		}
	}
	return stamps, nil
}
