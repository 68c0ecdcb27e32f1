package site

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// maxLinkHops bounds how many symbolic links one path may pass through, as
// the kernel's own limit (40 on Linux) does: a loop of links ends in an error.
const maxLinkHops = 40

// errOutside says that a symbolic link leads outside the course folder.
var errOutside = errors.New("leads outside the course folder; copy the file into the course instead")

// errLinkedFolder says that a walk met a symbolic link to a folder: walks do
// not follow them (a link to a parent folder would never end).
var errLinkedFolder = errors.New("a symlink to a folder is not followed; link the files in it instead")

// checkLink refuses name, a slash path in the course fsys, when following the
// symbolic links on its way leads outside the course folder: the build
// publishes what it reads, and a link to ~/.ssh or /etc in static/ must not
// end up on the web. Links that stay inside are allowed. An absolute target
// is refused even when it points into the course, since it breaks as soon as
// the course is checked out elsewhere (a CI build, a co-author's clone).
//
// A file system without symbolic links (embed.FS, fstest.MapFS without
// ModeSymlink entries) passes.
func checkLink(fsys fs.FS, name string) error {
	resolved := "" // the real path so far, relative to the course folder
	rest := strings.Split(name, "/")
	hops := 0
	via := "path" // the last link followed, for the error
	for len(rest) > 0 {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if resolved == "" {
				return &Error{File: name, Err: fmt.Errorf("%s %w", via, errOutside)}
			}
			resolved = strings.TrimSuffix(path.Dir(resolved), ".")
			continue
		}
		next := path.Join(resolved, part)
		info, err := fs.Lstat(fsys, next)
		if err != nil {
			return nil // a missing file: reading it reports that
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if hops++; hops > maxLinkHops {
			return &Error{File: name, Err: fmt.Errorf("more than %d symlinks on the way (a loop?)", maxLinkHops)}
		}
		target, err := fs.ReadLink(fsys, next)
		if err != nil {
			return &Error{File: name, Err: err}
		}
		target = filepath.ToSlash(target)
		if path.IsAbs(target) || filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
			return &Error{File: name, Err: fmt.Errorf("symlink to absolute path %s: only relative links that stay inside the course folder are followed", target)}
		}
		// The target is relative to the folder holding the link: go on from there.
		rest = append(strings.Split(target, "/"), rest...)
		via = fmt.Sprintf("symlink %s to %s", next, target)
		if next == name {
			via = "symlink to " + target
		}
	}
	return nil
}
