//go:build linux

package early

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// snapshot is what one Start found.
type snapshot struct {
	done    chan struct{}               // closed when folders is complete
	mu      sync.Mutex                  // guards folders after done
	folders map[string]map[string]Stamp // folder → file name → stamp
}

var (
	mu   sync.Mutex
	last *snapshot // the process's, from the last Start
)

// Start begins looking, in the background, at the files of the folder
// content: each folder's plain files, by stat, hidden folders left out. It is
// meant to be called from an init function, before anything asks; a later
// call replaces what an earlier one found.
func Start(content string) {
	s := start(content)
	mu.Lock()
	last = s
	mu.Unlock()
}

// Stamps returns the stamps of the files in names, within folder, as Start
// found them, or false when Start did not look there or one of them was not
// there. Each folder is handed out once.
func Stamps(folder string, names []string) ([]Stamp, bool) {
	mu.Lock()
	s := last
	mu.Unlock()
	if s == nil {
		return nil, false
	}
	return s.stamps(folder, names)
}

func start(content string) *snapshot {
	s := &snapshot{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		f := map[string]map[string]Stamp{}
		walk(content, f)
		s.folders = f
	}()
	return s
}

// walk stats the files of folder and of its sub-folders into f. A folder it
// cannot read is left out: the build's own walk says why.
func walk(folder string, f map[string]map[string]Stamp) {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return
	}
	fd, err := unix.Open(folder, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	stamps := make(map[string]Stamp, len(entries))
	var subs []string
	var st unix.Stat_t
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			if !strings.HasPrefix(name, ".") {
				subs = append(subs, filepath.Join(folder, name))
			}
			continue
		}
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // not there: the build finds it gone itself
		}
		stamps[name] = Stamp{
			Size:     st.Size,
			MtimeSec: st.Mtim.Sec, MtimeNsec: st.Mtim.Nsec,
			Ctime:   st.Ctim.Nano(),
			Regular: st.Mode&unix.S_IFMT == unix.S_IFREG,
		}
	}
	f[folder] = stamps
	for _, sub := range subs {
		walk(sub, f)
	}
}

func (s *snapshot) stamps(folder string, names []string) ([]Stamp, bool) {
	<-s.done
	s.mu.Lock()
	f, ok := s.folders[folder]
	delete(s.folders, folder)
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	out := make([]Stamp, len(names))
	for i, name := range names {
		if out[i], ok = f[name]; !ok {
			return nil, false
		}
	}
	return out, true
}
