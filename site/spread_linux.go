package site

import "golang.org/x/sys/unix"

// topDirFlag is FS_TOPDIR_FL of linux/fs.h ("chattr +T"): ext4 then places
// each folder made inside the folder the way it places folders made at the
// file system's root, spread over the block groups with the fewest folders,
// not beside their parent.
const topDirFlag = 0x00020000

// spreadFolders marks dir, a new staging folder, as the top of a tree of
// folders (topDirFlag), so that ext4 places the folders made in it, and so
// their pages, away from the folders just removed. On ext4 without a
// journal, the allocator does not reuse an inode freed in the last minute
// (five, while its block is dirty) as long as its block is cached, and it
// looks past each such inode of a block group one by one, for every file it
// makes there (recently_deleted, fs/ext4/ialloc.c). After
// `rm -rf public`, that was most of the kernel's time in a cold build of
// 10,000 lessons: its page folders and files went to the groups the removed
// ones had left, beside the output folder. The flag is only a hint, and
// other file systems refuse it or do not have it: any error is ignored.
func spreadFolders(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil || flags&topDirFlag != 0 {
		return
	}
	unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|topDirFlag))
}
