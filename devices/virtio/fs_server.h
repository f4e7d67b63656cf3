/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_FS_SERVER_H
#define VMM_DEVICES_VIRTIO_FS_SERVER_H

#include <sys/uio.h>

#include "util/types.h"

/*
 * A FUSE file server for one shared host directory (linux/fuse.h, served
 * to the guest by virtio-fs, devices/virtio/fs.c). It knows nothing of
 * virtio: a request's bytes in, the reply into the chain's buffers out.
 *
 * Confinement: every inode the guest knows is an O_PATH descriptor, and
 * every name the guest sends is one path component (no '/', not "." or
 * ".."), opened beneath its parent's descriptor without following a
 * symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, O_NOFOLLOW).
 * No host path is ever built from guest data; a symlink's target is only
 * data the guest reads back (READLINK). An inode is reopened for I/O
 * through /proc/self/fd/N of vmm's own descriptor N.
 *
 * Sealed: names resolve across mount points, so sharing "/" would reach
 * the host's /proc, /sys, debugfs, cgroupfs and other kernel interfaces.
 * An inode on one of those file systems can be looked up, stat'ed and
 * forgotten (the guest mounts its own there); any other request naming it,
 * or linking it or renaming into it, answers EACCES.
 *
 * Bounds: at most max_inodes inodes the guest holds (LOOKUP and the like
 * answer ENFILE past it; FORGET frees them) and max_handles open files and
 * directories (EMFILE past it); at most FS_MAX_IO bytes a read or write.
 *
 * Thread-safe: several threads may hand it requests at once. Each runs
 * under the server's lock but for its host I/O (the read, write, fsync or
 * fallocate itself), so a slow file holds up only its own request.
 */
#define FS_MAX_IO		(128 * 1024)
#define FS_DEFAULT_INODES	16384
#define FS_DEFAULT_HANDLES	4096

struct fs_server_opts {
	bool ro;			/* refuse every modifying request (EROFS) */
	bool xattr;			/* serve "user." extended attributes (else ENOSYS) */
	unsigned int max_inodes;
	unsigned int max_handles;
};

struct fs_server;

/*
 * Takes @root_fd (an O_PATH or O_RDONLY directory). NULL: *@err set,
 * -EPERM when @root_fd itself is on a sealed file system (/proc, /sys, ...).
 */
struct fs_server *fs_server_create(int root_fd, const struct fs_server_opts *o, int *err);
void fs_server_destroy(struct fs_server *s);
/*
 * One request of @len bytes at @req; the reply goes into @out (@nr_out
 * writable buffers). Returns the reply's length (0: the request takes no
 * reply, such as FORGET, or the buffers cannot hold even a header).
 */
size_t fs_server_handle(struct fs_server *s, const u8 *req, size_t len,
			const struct iovec *out, unsigned int nr_out);

struct fs_server_stats {
	u64 requests;
	u64 errors;		/* replies with an error */
	u32 inodes;		/* held now */
	u32 handles;
};
void fs_server_get_stats(struct fs_server *s, struct fs_server_stats *st);

#endif
