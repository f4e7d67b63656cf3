// SPDX-License-Identifier: GPL-2.0
/*
 * The FUSE server behind virtio-fs (fs_server.h): an inode table of O_PATH
 * descriptors, a handle table of open descriptors, and one function per
 * FUSE request. Every guest value (node ids, handles, lengths, names) is
 * checked before use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/fuse.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "devices/virtio/fs_server.h"
#include "devices/virtio/virtqueue.h"

#define FS_TIMEOUT_S	1	/* how long the guest may cache names and attributes */
#define FS_HASH		4096	/* inode hash buckets (dev, ino) */
#define FS_NONE		UINT32_MAX
#define FS_MINOR_MIN	27	/* what we answer for; Linux 4.19+ sends 27 or newer */

/* Not in every <linux/magic.h>. */
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC		0x19800202
#endif
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC		0x62656570
#endif
#ifndef FUSECTL_SUPER_MAGIC
#define FUSECTL_SUPER_MAGIC	0x65735543
#endif

struct fs_inode {
	int fd;			/* O_PATH; -1: a free slot */
	bool sealed;		/* on a host kernel interface (fs_sealed_fs) */
	u64 nlookup;		/* the guest's references; FORGET brings it to 0 */
	dev_t dev;
	ino_t ino;
	u32 next;		/* hash chain; for a free slot, the next free one */
};

struct fs_server {
	/*
	 * Every request runs under it but for the host I/O of READ, WRITE,
	 * FSYNC and FALLOCATE (fs_io_begin()): one slow file stalls no other.
	 */
	pthread_mutex_t lock;
	bool ro;
	bool xattr;
	int proc_fd;		/* /proc/self/fd: reopening our own O_PATH fds */
	struct fs_inode *inodes;	/* nodeid = index + 1; index 0 the root */
	u32 nr_inodes, max_inodes, used_inodes;	/* nr_inodes: slots ever used */
	u32 free_head;		/* freed slots, through .next (FS_NONE: none) */
	u32 last;		/* the inode made last: its .sealed is reused */
	u32 hash[FS_HASH];
	int *handles;		/* fh = index + 1 */
	u32 max_handles, used_handles;
	u8 *scratch;		/* FS_MAX_IO: request copies, directory listings */
	struct fs_server_stats stats;
};

/* --- inodes ------------------------------------------------------------ */

static u32 fs_hash(dev_t dev, ino_t ino)
{
	return (u32)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) % FS_HASH;
}

static struct fs_inode *fs_inode(struct fs_server *s, u64 nodeid)
{
	if (!nodeid || nodeid > s->nr_inodes || s->inodes[nodeid - 1].fd < 0)
		return NULL;
	return &s->inodes[nodeid - 1];
}

static void fs_unhash(struct fs_server *s, u32 idx)
{
	u32 *p = &s->hash[fs_hash(s->inodes[idx].dev, s->inodes[idx].ino)];

	while (*p != FS_NONE && *p != idx)
		p = &s->inodes[*p].next;
	if (*p == idx)
		*p = s->inodes[idx].next;
}

/*
 * File systems that are host kernel interfaces, not files: sharing "/"
 * must not hand the guest the host's /proc, /sys and the like. tmpfs
 * (/dev, /run) is not among them; fs_reopen() refuses device nodes.
 */
static const u32 fs_sealed_magic[] = {
	PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
	CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC, EFIVARFS_MAGIC,
	PSTOREFS_MAGIC, DEVPTS_SUPER_MAGIC, BINFMTFS_MAGIC, MQUEUE_MAGIC, CONFIGFS_MAGIC,
	FUSECTL_SUPER_MAGIC, SELINUX_MAGIC, SMACK_MAGIC, NSFS_MAGIC, XENFS_SUPER_MAGIC,
};

static bool fs_sealed_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return true;	/* unknown: refuse rather than guess */
	for (size_t i = 0; i < ARRAY_SIZE(fs_sealed_magic); i++)
		if ((u32)sf.f_type == fs_sealed_magic[i])
			return true;
	return false;
}

/*
 * The node id for @fd (an O_PATH descriptor we opened, taken), one more
 * lookup on it: an inode the guest already holds keeps its id (hard links,
 * the same name looked up twice). 0 with *@err on failure.
 */
static u64 fs_inode_get(struct fs_server *s, int fd, const struct stat *st, int *err)
{
	u32 h = fs_hash(st->st_dev, st->st_ino), idx;
	struct fs_inode *last = &s->inodes[s->last];
	bool sealed;

	for (idx = s->hash[h]; idx != FS_NONE; idx = s->inodes[idx].next) {
		if (s->inodes[idx].dev == st->st_dev && s->inodes[idx].ino == st->st_ino) {
			close(fd);
			s->inodes[idx].nlookup++;
			return idx + 1;
		}
	}
	if (s->used_inodes >= s->max_inodes) {
		close(fd);
		*err = -ENFILE;
		return 0;
	}
	/*
	 * On the device of the inode made last, while that one is held (its
	 * descriptor pins the file system, so the number was not reused):
	 * the same answer. A tree walk pays one fstatfs per file system.
	 */
	sealed = last->fd >= 0 && last->dev == st->st_dev ? last->sealed : fs_sealed_fs(fd);
	/* A freed slot, else a new one: no scan, a tree walk makes thousands. */
	idx = s->free_head;
	if (idx != FS_NONE)
		s->free_head = s->inodes[idx].next;
	else
		idx = s->nr_inodes++;
	s->inodes[idx] = (struct fs_inode){ .fd = fd, .sealed = sealed, .nlookup = 1,
					    .dev = st->st_dev, .ino = st->st_ino,
					    .next = s->hash[h] };
	s->hash[h] = idx;
	s->last = idx;
	s->used_inodes++;
	return idx + 1;
}

static void fs_inode_forget(struct fs_server *s, u64 nodeid, u64 n)
{
	struct fs_inode *in = fs_inode(s, nodeid);

	if (!in || nodeid == FUSE_ROOT_ID)
		return;
	in->nlookup = n >= in->nlookup ? 0 : in->nlookup - n;
	if (in->nlookup)
		return;
	fs_unhash(s, (u32)(nodeid - 1));
	close(in->fd);
	in->fd = -1;
	in->next = s->free_head;
	s->free_head = (u32)(nodeid - 1);
	s->used_inodes--;
}

/* --- handles ----------------------------------------------------------- */

static int fs_handle_fd(struct fs_server *s, u64 fh)
{
	return fh && fh <= s->max_handles ? s->handles[fh - 1] : -1;
}

/* Takes @fd; the new handle, or 0 (fd closed) when all are in use. */
static u64 fs_handle_new(struct fs_server *s, int fd)
{
	for (u32 i = 0; i < s->max_handles; i++) {
		if (s->handles[i] < 0) {
			s->handles[i] = fd;
			s->used_handles++;
			return i + 1;
		}
	}
	close(fd);
	return 0;
}

static void fs_handle_close(struct fs_server *s, u64 fh)
{
	if (fs_handle_fd(s, fh) < 0)
		return;
	close(s->handles[fh - 1]);
	s->handles[fh - 1] = -1;
	s->used_handles--;
}

/* --- host calls, confined ---------------------------------------------- */

/* One path component: what LOOKUP, CREATE, ... may name. */
static bool fs_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* @name beneath @dirfd, never following a symlink or a magic link. */
static int fs_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (u64)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = flags & O_CREAT ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	/* Kernels before 5.6: a single checked component is beneath anyway. */
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd < 0 ? -errno : (int)fd;
}

/* The open flags a guest may ask for; anything else (O_PATH, O_NOFOLLOW, ...) is dropped. */
#define FS_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | O_DSYNC | O_SYNC | \
			 O_DIRECT | O_NOATIME | O_LARGEFILE | O_DIRECTORY)

/*
 * Our own O_PATH @fd opened for I/O (through /proc/self/fd). Only regular
 * files and directories: a FIFO would hold the I/O thread, and a device
 * node in a shared tree (/dev, sharing /) is not the guest's to open.
 */
static int fs_reopen(struct fs_server *s, int fd, int flags)
{
	struct stat st;
	char num[16];
	int r;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return S_ISLNK(st.st_mode) ? -ELOOP : -EPERM;
	snprintf(num, sizeof(num), "%d", fd);
	r = openat(s->proc_fd, num, (flags & FS_OPEN_FLAGS) | O_CLOEXEC | O_NOCTTY);
	return r < 0 ? -errno : r;
}

static void fs_attr(struct fuse_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = st->st_atim.tv_nsec;
	a->mtimensec = st->st_mtim.tv_nsec;
	a->ctimensec = st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = st->st_rdev;
	a->blksize = st->st_blksize;
}

static int fs_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* --- requests ------------------------------------------------------------ */

/* A request being answered: its header, its argument bytes, the reply. */
struct fs_req {
	const struct fuse_in_header *h;
	const u8 *arg;
	size_t arg_len;
	u8 reply[sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out) +
		 sizeof(struct fuse_open_out) + 64];
	size_t reply_len;	/* payload after the header */
};

#define ARG(r, type) ((r)->arg_len >= sizeof(type) ? (const type *)(r)->arg : NULL)

/*
 * The descriptor behind the handle a request names: every argument struct
 * that carries one (fuse_read_in, _fsync_in, _lseek_in, _fallocate_in)
 * starts with it. -EINVAL if the arguments are shorter than @len, -EBADF
 * for a handle not open.
 */
#define FS_ARG_FD(s, r, type) fs_arg_fd((s), (r), sizeof(type))
static int fs_arg_fd(struct fs_server *s, const struct fs_req *r, size_t len)
{
	u64 fh;
	int fd;

	if (r->arg_len < len)
		return -EINVAL;
	memcpy(&fh, r->arg, sizeof(fh));
	fd = fs_handle_fd(s, fh);
	return fd < 0 ? -EBADF : fd;
}
#define OUT(r, type) ((type *)((r)->reply + sizeof(struct fuse_out_header)))

/*
 * The host I/O of a request, unlocked, on a duplicate of the handle's
 * descriptor @fd (a RELEASE meanwhile closes only the original): returns
 * the duplicate, to hand to fs_io_end(), or -errno (still locked).
 */
static int fs_io_begin(struct fs_server *s, int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (d < 0)
		return -errno;
	pthread_mutex_unlock(&s->lock);
	return d;
}

/* Locked again; returns @r, the I/O's result, with errno kept. */
static long fs_io_end(struct fs_server *s, int d, long r)
{
	int err = errno;

	close(d);
	pthread_mutex_lock(&s->lock);
	errno = err;
	return r;
}

/* The NUL-terminated name at @off of the arguments, or NULL. */
static const char *fs_arg_name(const struct fs_req *r, size_t off)
{
	const char *p = (const char *)r->arg + off;

	if (off >= r->arg_len || !memchr(p, '\0', r->arg_len - off))
		return NULL;
	return p;
}

static int fs_entry_reply(struct fs_server *s, struct fs_req *r, int fd)
{
	struct fuse_entry_out *e = OUT(r, struct fuse_entry_out);
	struct stat st;
	int err = fs_stat(fd, &st);

	if (err) {
		close(fd);
		return err;
	}
	memset(e, 0, sizeof(*e));
	e->nodeid = fs_inode_get(s, fd, &st, &err);
	if (!e->nodeid)
		return err;
	e->entry_valid = e->attr_valid = FS_TIMEOUT_S;
	fs_attr(&e->attr, &st);
	r->reply_len = sizeof(*e);
	return 0;
}

static int fs_init(struct fs_server *s, struct fs_req *r)
{
	const struct fuse_init_in *in = (const struct fuse_init_in *)r->arg;
	struct fuse_init_out *o = OUT(r, struct fuse_init_out);

	/* major, minor, max_readahead, flags: all that older clients send. */
	if (r->arg_len < 16)
		return -EINVAL;
	if (in->major != FUSE_KERNEL_VERSION || in->minor < FS_MINOR_MIN)
		return -EPROTO;
	memset(o, 0, sizeof(*o));
	o->major = FUSE_KERNEL_VERSION;
	o->minor = MIN(in->minor, FUSE_KERNEL_MINOR_VERSION);
	o->max_readahead = in->max_readahead;
	o->flags = in->flags & (FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES |
				FUSE_DO_READDIRPLUS);
	o->max_write = FS_MAX_IO;
	o->max_pages = FS_MAX_IO / 4096;
	o->time_gran = 1;
	r->reply_len = sizeof(*o);
	return 0;
}

static int fs_lookup(struct fs_server *s, struct fs_req *r, struct fs_inode *dir)
{
	const char *name = fs_arg_name(r, 0);
	int fd;

	if (!name || !fs_name_ok(name))
		return -EINVAL;
	fd = fs_openat(dir->fd, name, O_PATH, 0);
	return fd < 0 ? fd : fs_entry_reply(s, r, fd);
}

static int fs_getattr(struct fs_server *s, struct fs_req *r, struct fs_inode *in)
{
	struct fuse_attr_out *o = OUT(r, struct fuse_attr_out);
	struct stat st;
	int err = fs_stat(in->fd, &st);

	if (err)
		return err;
	memset(o, 0, sizeof(*o));
	o->attr_valid = FS_TIMEOUT_S;
	fs_attr(&o->attr, &st);
	r->reply_len = sizeof(*o);
	return 0;
}

static int fs_setattr(struct fs_server *s, struct fs_req *r, struct fs_inode *in)
{
	const struct fuse_setattr_in *a = ARG(r, struct fuse_setattr_in);
	char num[16];
	int fd;

	if (!a)
		return -EINVAL;
	snprintf(num, sizeof(num), "%d", in->fd);
	if ((a->valid & FATTR_MODE) && fchmodat(s->proc_fd, num, a->mode & 07777, 0) < 0)
		return -errno;
	if ((a->valid & (FATTR_UID | FATTR_GID)) &&
	    fchownat(in->fd, "", a->valid & FATTR_UID ? a->uid : (uid_t)-1,
		     a->valid & FATTR_GID ? a->gid : (gid_t)-1,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (a->valid & FATTR_SIZE) {
		fd = a->valid & FATTR_FH ? fs_handle_fd(s, a->fh) : -1;
		if (fd >= 0) {
			if (ftruncate(fd, a->size) < 0)
				return -errno;
		} else {
			fd = fs_reopen(s, in->fd, O_WRONLY);
			if (fd < 0)
				return fd;
			if (ftruncate(fd, a->size) < 0) {
				close(fd);
				return -errno;
			}
			close(fd);
		}
	}
	if (a->valid & (FATTR_ATIME | FATTR_MTIME)) {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

		if (a->valid & FATTR_ATIME)
			ts[0] = a->valid & FATTR_ATIME_NOW ? (struct timespec){ .tv_nsec = UTIME_NOW } :
				(struct timespec){ (time_t)a->atime, a->atimensec };
		if (a->valid & FATTR_MTIME)
			ts[1] = a->valid & FATTR_MTIME_NOW ? (struct timespec){ .tv_nsec = UTIME_NOW } :
				(struct timespec){ (time_t)a->mtime, a->mtimensec };
		if (utimensat(s->proc_fd, num, ts, 0) < 0)
			return -errno;
	}
	return fs_getattr(s, r, in);
}

static int fs_readlink(struct fs_server *s, struct fs_req *r, struct fs_inode *in,
		       const struct iovec *out, unsigned int nr_out, size_t *data_len)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(in->fd, "", buf, sizeof(buf));

	if (n < 0)
		return -errno;
	*data_len = iov_from_buf(out, nr_out, sizeof(struct fuse_out_header), buf, n);
	return *data_len == (size_t)n ? 0 : -ERANGE;
}

/* OPEN and OPENDIR: a handle on a descriptor reopened from the inode. */
static int fs_open(struct fs_server *s, struct fs_req *r, struct fs_inode *in, bool dir)
{
	const struct fuse_open_in *a = ARG(r, struct fuse_open_in);
	struct fuse_open_out *o = OUT(r, struct fuse_open_out);
	int flags, fd;

	if (!a)
		return -EINVAL;
	flags = dir ? O_RDONLY | O_DIRECTORY : a->flags;
	if (s->ro && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	fd = fs_reopen(s, in->fd, flags);
	if (fd < 0)
		return fd;
	memset(o, 0, sizeof(*o));
	o->fh = fs_handle_new(s, fd);
	if (!o->fh)
		return -EMFILE;
	r->reply_len = sizeof(*o);
	return 0;
}

static int fs_read(struct fs_server *s, struct fs_req *r, const struct iovec *out,
		   unsigned int nr_out, size_t *data_len)
{
	const struct fuse_read_in *a = ARG(r, struct fuse_read_in);
	struct iovec iov[64];
	unsigned int n = 0;
	size_t skip = sizeof(struct fuse_out_header), want;
	ssize_t got;
	int fd = FS_ARG_FD(s, r, struct fuse_read_in);

	if (fd < 0)
		return fd;
	want = MIN((size_t)a->size, (size_t)FS_MAX_IO);
	/* The chain's buffers past the header, @want bytes of them: read straight in. */
	for (unsigned int i = 0; i < nr_out && n < ARRAY_SIZE(iov) && want; i++) {
		size_t len = out[i].iov_len, off = MIN(skip, len);

		skip -= off;
		if (len == off)
			continue;
		iov[n].iov_base = (u8 *)out[i].iov_base + off;
		iov[n].iov_len = MIN(len - off, want);
		want -= iov[n++].iov_len;
	}
	fd = fs_io_begin(s, fd);
	if (fd < 0)
		return fd;
	got = fs_io_end(s, fd, n ? preadv(fd, iov, n, (off_t)a->offset) : 0);
	if (got < 0)
		return -errno;
	*data_len = got;
	return 0;
}

static int fs_write(struct fs_server *s, struct fs_req *r)
{
	const struct fuse_write_in *a = ARG(r, struct fuse_write_in);
	struct fuse_write_out *o = OUT(r, struct fuse_write_out);
	ssize_t n;
	int fd;

	if (!a || a->size > r->arg_len - sizeof(*a))
		return -EINVAL;
	if (s->ro)
		return -EROFS;
	fd = fs_handle_fd(s, a->fh);
	if (fd < 0)
		return -EBADF;
	fd = fs_io_begin(s, fd);
	if (fd < 0)
		return fd;
	n = fs_io_end(s, fd, pwrite(fd, r->arg + sizeof(*a), a->size, (off_t)a->offset));
	if (n < 0)
		return -errno;
	memset(o, 0, sizeof(*o));
	o->size = (u32)n;
	r->reply_len = sizeof(*o);
	return 0;
}

/*
 * One READDIRPLUS entry's lookup: the node (one more reference) and its
 * attributes in @e, or node 0 ("no attributes", which the guest accepts)
 * for "." and "..", a name gone meanwhile, or a full inode table.
 */
static void fs_readdir_lookup(struct fs_server *s, struct fs_inode *dir, const char *name,
			      struct fuse_entry_out *e)
{
	struct stat st;
	int fd, err = 0;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return;
	fd = fs_openat(dir->fd, name, O_PATH, 0);
	if (fd < 0)
		return;
	if (fs_stat(fd, &st)) {
		close(fd);
		return;
	}
	e->nodeid = fs_inode_get(s, fd, &st, &err);
	if (!e->nodeid)
		return;
	e->entry_valid = e->attr_valid = FS_TIMEOUT_S;
	fs_attr(&e->attr, &st);
}

/*
 * READDIR and READDIRPLUS (@dir set): getdents64 from the requested
 * offset, as fuse_dirent records, or fuse_direntplus ones that carry each
 * entry's lookup (the guest then needs no LOOKUP or GETATTR per name).
 */
static int fs_readdir(struct fs_server *s, struct fs_req *r, struct fs_inode *dir,
		      const struct iovec *out, unsigned int nr_out, size_t *data_len)
{
	const struct fuse_read_in *a = ARG(r, struct fuse_read_in);
	size_t size, used = 0, name_off = dir ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	u8 *dents = s->scratch, rec[sizeof(struct fuse_direntplus) + 256 + 8];
	long n;
	int fd = FS_ARG_FD(s, r, struct fuse_read_in);

	if (fd < 0)
		return fd;
	size = MIN((size_t)a->size, (size_t)FS_MAX_IO);
	if (lseek(fd, (off_t)a->offset, SEEK_SET) < 0)
		return -errno;
	n = syscall(SYS_getdents64, fd, dents, FS_MAX_IO);
	if (n < 0)
		return -errno;
	for (long pos = 0; pos < n;) {
		struct {
			u64 ino;
			s64 off;
			u16 reclen;
			u8 type;
			char name[];
		} *d = (void *)(dents + pos);
		struct fuse_direntplus *dp = (struct fuse_direntplus *)rec;
		struct fuse_dirent *de = dir ? &dp->dirent : (struct fuse_dirent *)rec;
		size_t nlen = strnlen(d->name, 255), rlen = FUSE_DIRENT_ALIGN(name_off + nlen);

		if (!d->reclen || rlen > size - used)
			break;
		memset(rec, 0, rlen);
		if (dir)
			fs_readdir_lookup(s, dir, d->name, &dp->entry_out);
		de->ino = d->ino;
		de->off = (u64)d->off;
		de->namelen = (u32)nlen;
		de->type = d->type;
		memcpy(de->name, d->name, nlen);
		if (iov_from_buf(out, nr_out, sizeof(struct fuse_out_header) + used, rec, rlen) != rlen) {
			/* Not sent: the guest does not hold what it did not get. */
			if (dir && dp->entry_out.nodeid)
				fs_inode_forget(s, dp->entry_out.nodeid, 1);
			break;
		}
		used += rlen;
		pos += d->reclen;
	}
	*data_len = used;
	return 0;
}

/*
 * New files belong to the guest's caller, as on a local file system: when
 * vmm runs as root, this thread takes the request's uid and gid as its
 * file-system ids around the creation (setfsuid is per thread), which
 * also makes the host check the caller's permissions on the directory.
 */
static bool fs_as_caller(const struct fs_req *r)
{
	if (geteuid() != 0)
		return false;
	syscall(SYS_setfsgid, r->h->gid);
	syscall(SYS_setfsuid, r->h->uid);
	return true;
}

static void fs_as_vmm(bool was)
{
	if (!was)
		return;
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
}

/* Where a creating request's name starts in its arguments. */
static size_t fs_make_name_off(u32 op)
{
	return op == FUSE_CREATE ? sizeof(struct fuse_create_in) :
	       op == FUSE_MKDIR ? sizeof(struct fuse_mkdir_in) :
	       op == FUSE_MKNOD ? sizeof(struct fuse_mknod_in) : 0;
}

static int fs_make_as(struct fs_server *s, struct fs_req *r, struct fs_inode *dir, int *fd);
static int fs_make_reply(struct fs_server *s, struct fs_req *r, struct fs_inode *dir, int fd);

/* CREATE, MKDIR, MKNOD, SYMLINK: the new name's entry (and CREATE's handle). */
static int fs_make(struct fs_server *s, struct fs_req *r, struct fs_inode *dir)
{
	int fd = -1, err;
	bool as;

	if (s->ro)
		return -EROFS;
	as = fs_as_caller(r);
	err = fs_make_as(s, r, dir, &fd);
	fs_as_vmm(as);
	if (err)
		return err;
	return fs_make_reply(s, r, dir, fd);
}

/* The creation itself, as the caller; CREATE's open descriptor in *@fd. */
static int fs_make_as(struct fs_server *s, struct fs_req *r, struct fs_inode *dir, int *fd_out)
{
	u32 op = r->h->opcode;
	const char *name, *target = NULL;
	size_t off;
	int fd = -1, err;

	off = fs_make_name_off(op);
	name = fs_arg_name(r, off);
	if (!name || !fs_name_ok(name) || off > r->arg_len)
		return -EINVAL;
	if (op == FUSE_SYMLINK) {
		target = fs_arg_name(r, strlen(name) + 1);
		if (!target)
			return -EINVAL;
		err = symlinkat(target, dir->fd, name) < 0 ? -errno : 0;
	} else if (op == FUSE_MKDIR) {
		const struct fuse_mkdir_in *a = (const void *)r->arg;

		err = mkdirat(dir->fd, name, a->mode & ~a->umask & 07777) < 0 ? -errno : 0;
	} else if (op == FUSE_MKNOD) {
		const struct fuse_mknod_in *a = (const void *)r->arg;

		/* Files, FIFOs and sockets; no device nodes on the host. */
		if (!S_ISREG(a->mode) && !S_ISFIFO(a->mode) && !S_ISSOCK(a->mode))
			return -EPERM;
		err = mknodat(dir->fd, name, a->mode & ~a->umask, 0) < 0 ? -errno : 0;
	} else {
		const struct fuse_create_in *a = (const void *)r->arg;

		if (!S_ISREG(a->mode))
			return -EINVAL;
		fd = fs_openat(dir->fd, name, (a->flags & FS_OPEN_FLAGS & ~O_DIRECTORY) | O_CREAT,
			       a->mode & ~a->umask & 07777);
		err = fd < 0 ? fd : 0;
	}
	*fd_out = fd;
	return err;
}

/* The new name's entry, and for CREATE the handle on @fd (taken). */
static int fs_make_reply(struct fs_server *s, struct fs_req *r, struct fs_inode *dir, int fd)
{
	u32 op = r->h->opcode;
	const char *name = fs_arg_name(r, fs_make_name_off(op));
	int err;

	err = fs_openat(dir->fd, name, O_PATH, 0);
	if (err < 0) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	err = fs_entry_reply(s, r, err);
	if (err || op != FUSE_CREATE) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	{
		struct fuse_open_out *o = (void *)(r->reply + sizeof(struct fuse_out_header) +
						   sizeof(struct fuse_entry_out));

		memset(o, 0, sizeof(*o));
		o->fh = fs_handle_new(s, fd);
		if (!o->fh) {
			fs_inode_forget(s, OUT(r, struct fuse_entry_out)->nodeid, 1);
			return -EMFILE;
		}
		r->reply_len += sizeof(*o);
	}
	return 0;
}

static int fs_unlink(struct fs_server *s, struct fs_req *r, struct fs_inode *dir)
{
	const char *name = fs_arg_name(r, 0);

	if (s->ro)
		return -EROFS;
	if (!name || !fs_name_ok(name))
		return -EINVAL;
	return unlinkat(dir->fd, name, r->h->opcode == FUSE_RMDIR ? AT_REMOVEDIR : 0) < 0 ?
	       -errno : 0;
}

static int fs_rename(struct fs_server *s, struct fs_req *r, struct fs_inode *dir)
{
	bool two = r->h->opcode == FUSE_RENAME2;
	size_t off = two ? sizeof(struct fuse_rename2_in) : sizeof(struct fuse_rename_in);
	const struct fuse_rename2_in *a = (const void *)r->arg;
	const char *oldname, *newname;
	struct fs_inode *newdir;

	if (s->ro)
		return -EROFS;
	if (r->arg_len < off)
		return -EINVAL;
	oldname = fs_arg_name(r, off);
	newname = oldname ? fs_arg_name(r, off + strlen(oldname) + 1) : NULL;
	newdir = fs_inode(s, a->newdir);
	if (!newname || !fs_name_ok(oldname) || !fs_name_ok(newname) || !newdir)
		return -EINVAL;
	if (newdir->sealed)
		return -EACCES;
	return syscall(SYS_renameat2, dir->fd, oldname, newdir->fd, newname,
		       two ? a->flags : 0) < 0 ? -errno : 0;
}

static int fs_link(struct fs_server *s, struct fs_req *r, struct fs_inode *newdir)
{
	const struct fuse_link_in *a = ARG(r, struct fuse_link_in);
	const char *name = fs_arg_name(r, sizeof(*a));
	struct fs_inode *old = a ? fs_inode(s, a->oldnodeid) : NULL;
	char num[16];

	if (s->ro)
		return -EROFS;
	if (!old || !name || !fs_name_ok(name))
		return -EINVAL;
	if (old->sealed)
		return -EACCES;
	snprintf(num, sizeof(num), "%d", old->fd);
	if (linkat(s->proc_fd, num, newdir->fd, name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return fs_entry_reply(s, r, fs_openat(newdir->fd, name, O_PATH, 0));
}

/*
 * Extended attributes: the "user." namespace only. trusted., security.
 * and system. ones are the host's business (a security.capability set by
 * the guest on a shared binary would be a file capability on the host;
 * ACLs would change who may open what), so they do not exist for the
 * guest: listed never, read ENODATA, set or removed EPERM. On regular
 * files and directories only, through a descriptor reopened read-only (a
 * symlink's or a device's are not the guest's to read).
 */
#define FS_XATTR_PREFIX	"user."
#define FS_XATTR_MAX	65536	/* XATTR_SIZE_MAX */

static bool fs_xattr_name_ok(const char *name)
{
	return name && !strncmp(name, FS_XATTR_PREFIX, strlen(FS_XATTR_PREFIX));
}

static int fs_xattr(struct fs_server *s, struct fs_req *r, struct fs_inode *in,
		    const struct iovec *out, unsigned int nr_out, size_t *data_len)
{
	u32 op = r->h->opcode, want = 0;
	const char *name = NULL, *value = NULL;
	struct fuse_getxattr_out *o = OUT(r, struct fuse_getxattr_out);
	size_t off = 0;
	ssize_t n;
	int fd;

	if (op == FUSE_GETXATTR || op == FUSE_LISTXATTR) {
		const struct fuse_getxattr_in *a = ARG(r, struct fuse_getxattr_in);

		if (!a)
			return -EINVAL;
		want = MIN(a->size, (u32)FS_XATTR_MAX);
		off = sizeof(*a);
	} else if (op == FUSE_SETXATTR) {
		const struct fuse_setxattr_in *a = ARG(r, struct fuse_setxattr_in);

		/* Without FUSE_SETXATTR_EXT the guest sends the 8-byte form. */
		if (!a || a->size > FS_XATTR_MAX)
			return -EINVAL;
		want = a->size;
		off = FUSE_COMPAT_SETXATTR_IN_SIZE;
	}
	if (op != FUSE_LISTXATTR) {
		name = fs_arg_name(r, off);
		if (!name)
			return -EINVAL;
		if (op == FUSE_SETXATTR) {
			value = name + strlen(name) + 1;
			if ((size_t)(value - (const char *)r->arg) + want > r->arg_len)
				return -EINVAL;
		}
		if (!fs_xattr_name_ok(name))
			return op == FUSE_GETXATTR ? -ENODATA : -EPERM;
	}
	if (s->ro && (op == FUSE_SETXATTR || op == FUSE_REMOVEXATTR))
		return -EROFS;
	fd = fs_reopen(s, in->fd, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd == -ELOOP || fd == -EPERM ? -ENOTSUP : fd;
	switch (op) {
	case FUSE_GETXATTR:
		n = fgetxattr(fd, name, s->scratch, want);
		break;
	case FUSE_LISTXATTR:
		/* The whole list, then the "user." part: its size too when asked for. */
		n = flistxattr(fd, (char *)s->scratch, FS_XATTR_MAX);
		break;
	case FUSE_SETXATTR:
		n = fsetxattr(fd, name, value, want,
			      (int)((const struct fuse_setxattr_in *)r->arg)->flags);
		break;
	default:
		n = fremovexattr(fd, name);
		break;
	}
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0 || op == FUSE_SETXATTR || op == FUSE_REMOVEXATTR)
		return n < 0 ? (int)n : 0;
	if (op == FUSE_LISTXATTR && n > 0) {
		/* Keep the "user." names: the list is NUL-separated. */
		char *src = (char *)s->scratch, *dst = src, *end = src + n;

		for (; src < end; src += strlen(src) + 1) {
			size_t len = strlen(src) + 1;

			if (fs_xattr_name_ok(src)) {
				memmove(dst, src, len);
				dst += len;
			}
		}
		n = dst - (char *)s->scratch;
	}
	/* Size 0: the guest asks how large a buffer it needs. */
	if (!want) {
		memset(o, 0, sizeof(*o));
		o->size = (u32)n;
		r->reply_len = sizeof(*o);
		return 0;
	}
	if ((size_t)n > want)
		return -ERANGE;
	*data_len = iov_from_buf(out, nr_out, sizeof(struct fuse_out_header), s->scratch, n);
	return *data_len == (size_t)n ? 0 : -ERANGE;
}

static int fs_statfs(struct fs_server *s, struct fs_req *r, struct fs_inode *in)
{
	struct fuse_statfs_out *o = OUT(r, struct fuse_statfs_out);
	struct statvfs v;

	if (fstatvfs(in->fd, &v) < 0)
		return -errno;
	memset(o, 0, sizeof(*o));
	o->st.blocks = v.f_blocks;
	o->st.bfree = v.f_bfree;
	o->st.bavail = v.f_bavail;
	o->st.files = v.f_files;
	o->st.ffree = v.f_ffree;
	o->st.bsize = (u32)v.f_bsize;
	o->st.namelen = (u32)v.f_namemax;
	o->st.frsize = (u32)v.f_frsize;
	r->reply_len = sizeof(*o);
	return 0;
}

static int fs_fsync(struct fs_server *s, struct fs_req *r)
{
	const struct fuse_fsync_in *a = ARG(r, struct fuse_fsync_in);
	int fd = FS_ARG_FD(s, r, struct fuse_fsync_in);

	if (fd < 0)
		return fd;
	fd = fs_io_begin(s, fd);
	if (fd < 0)
		return fd;
	return fs_io_end(s, fd, (a->fsync_flags & 1) ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static int fs_lseek(struct fs_server *s, struct fs_req *r)
{
	const struct fuse_lseek_in *a = ARG(r, struct fuse_lseek_in);
	struct fuse_lseek_out *o = OUT(r, struct fuse_lseek_out);
	int fd = FS_ARG_FD(s, r, struct fuse_lseek_in);
	off_t off;

	if (fd < 0)
		return fd;
	off = lseek(fd, (off_t)a->offset, (int)a->whence);
	if (off < 0)
		return -errno;
	o->offset = (u64)off;
	r->reply_len = sizeof(*o);
	return 0;
}

static int fs_fallocate(struct fs_server *s, struct fs_req *r)
{
	const struct fuse_fallocate_in *a = ARG(r, struct fuse_fallocate_in);
	int fd = FS_ARG_FD(s, r, struct fuse_fallocate_in);

	if (fd < 0)
		return fd;
	if (s->ro)
		return -EROFS;
	fd = fs_io_begin(s, fd);
	if (fd < 0)
		return fd;
	return fs_io_end(s, fd, fallocate(fd, (int)a->mode, (off_t)a->offset,
					  (off_t)a->length)) < 0 ? -errno : 0;
}

static void fs_forget_batch(struct fs_server *s, const struct fs_req *r)
{
	const struct fuse_batch_forget_in *a = ARG(r, struct fuse_batch_forget_in);
	const struct fuse_forget_one *one;
	size_t max;

	if (!a)
		return;
	max = (r->arg_len - sizeof(*a)) / sizeof(*one);
	one = (const void *)(r->arg + sizeof(*a));
	for (size_t i = 0; i < a->count && i < max; i++) {
		struct fuse_forget_one f;

		memcpy(&f, one + i, sizeof(f));
		fs_inode_forget(s, f.nodeid, f.nlookup);
	}
}

/* Returns the error for the reply (0: success); *@data_len: bytes already in @out. */
static int fs_dispatch(struct fs_server *s, struct fs_req *r, const struct iovec *out,
		       unsigned int nr_out, size_t *data_len)
{
	struct fs_inode *in = fs_inode(s, r->h->nodeid);
	u32 op = r->h->opcode;

	/* Requests about an inode: the guest must hold it. */
	if (!in && op != FUSE_INIT && op != FUSE_DESTROY && op != FUSE_RELEASE &&
	    op != FUSE_RELEASEDIR && op != FUSE_READ && op != FUSE_WRITE && op != FUSE_READDIR &&
	    op != FUSE_FLUSH && op != FUSE_FSYNC && op != FUSE_FSYNCDIR && op != FUSE_LSEEK &&
	    op != FUSE_FALLOCATE && op != FUSE_INTERRUPT)
		return -ENOENT;
	/*
	 * A sealed inode (fs_sealed_fs) is a name in its parent's listing,
	 * which the guest may stat and mount its own proc or sysfs on;
	 * nothing in it is opened, listed, looked up or changed.
	 */
	if (in && in->sealed && op != FUSE_GETATTR && op != FUSE_STATFS)
		return -EACCES;
	switch (op) {
	case FUSE_INIT: return fs_init(s, r);
	case FUSE_DESTROY: return 0;
	case FUSE_LOOKUP: return fs_lookup(s, r, in);
	case FUSE_GETATTR: return fs_getattr(s, r, in);
	case FUSE_SETATTR: return s->ro ? -EROFS : fs_setattr(s, r, in);
	case FUSE_READLINK: return fs_readlink(s, r, in, out, nr_out, data_len);
	case FUSE_OPEN: return fs_open(s, r, in, false);
	case FUSE_OPENDIR: return fs_open(s, r, in, true);
	case FUSE_READ: return fs_read(s, r, out, nr_out, data_len);
	case FUSE_WRITE: return fs_write(s, r);
	case FUSE_READDIR: return fs_readdir(s, r, NULL, out, nr_out, data_len);
	case FUSE_READDIRPLUS: return fs_readdir(s, r, in, out, nr_out, data_len);
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR: {
		const struct fuse_release_in *a = ARG(r, struct fuse_release_in);

		if (a)
			fs_handle_close(s, a->fh);
		return a ? 0 : -EINVAL;
	}
	case FUSE_FLUSH: return 0;
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR: return fs_fsync(s, r);
	case FUSE_CREATE:
	case FUSE_MKDIR:
	case FUSE_MKNOD:
	case FUSE_SYMLINK: return fs_make(s, r, in);
	case FUSE_UNLINK:
	case FUSE_RMDIR: return fs_unlink(s, r, in);
	case FUSE_RENAME:
	case FUSE_RENAME2: return fs_rename(s, r, in);
	case FUSE_LINK: return fs_link(s, r, in);
	case FUSE_STATFS: return fs_statfs(s, r, in);
	case FUSE_LSEEK: return fs_lseek(s, r);
	case FUSE_FALLOCATE: return fs_fallocate(s, r);
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
	case FUSE_SETXATTR:
	case FUSE_REMOVEXATTR:
		/* ENOSYS: the guest asks no more (a write would check security.capability). */
		return s->xattr ? fs_xattr(s, r, in, out, nr_out, data_len) : -ENOSYS;
	default: return -ENOSYS;	/* xattrs, locks, ACCESS, ...: the guest copes */
	}
}

static size_t fs_handle_locked(struct fs_server *s, const u8 *req, size_t len,
			       const struct iovec *out, unsigned int nr_out);

size_t fs_server_handle(struct fs_server *s, const u8 *req, size_t len,
			const struct iovec *out, unsigned int nr_out)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = fs_handle_locked(s, req, len, out, nr_out);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static size_t fs_handle_locked(struct fs_server *s, const u8 *req, size_t len,
			       const struct iovec *out, unsigned int nr_out)
{
	struct fuse_in_header h;
	struct fuse_out_header *oh;
	struct fs_req r = { .h = &h };
	size_t data_len = 0, total;
	int err;

	s->stats.requests++;
	if (len < sizeof(h))
		return 0;	/* not even a header: nothing to answer to */
	memcpy(&h, req, sizeof(h));
	r.arg = req + sizeof(h);
	/* A length that disagrees with the buffer: no arguments, and an error below. */
	r.arg_len = h.len >= sizeof(h) && h.len <= len ? h.len - sizeof(h) : 0;
	if (h.opcode == FUSE_FORGET) {
		const struct fuse_forget_in *a = ARG(&r, struct fuse_forget_in);

		if (a)
			fs_inode_forget(s, h.nodeid, a->nlookup);
		return 0;
	}
	if (h.opcode == FUSE_BATCH_FORGET) {
		fs_forget_batch(s, &r);
		return 0;
	}
	err = h.len < sizeof(h) || h.len > len ? -EINVAL : fs_dispatch(s, &r, out, nr_out, &data_len);
	if (err) {
		s->stats.errors++;
		r.reply_len = data_len = 0;
	}
	oh = (struct fuse_out_header *)r.reply;
	total = sizeof(*oh) + r.reply_len + data_len;
	oh->len = (u32)total;
	oh->error = err;
	oh->unique = h.unique;
	/* Header and fixed reply first; data (READ, READDIR, READLINK) is already there. */
	if (iov_from_buf(out, nr_out, 0, r.reply, sizeof(*oh) + r.reply_len) !=
	    sizeof(*oh) + r.reply_len)
		return 0;
	return total;
}

void fs_server_get_stats(struct fs_server *s, struct fs_server_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	st->inodes = s->used_inodes;
	st->handles = s->used_handles;
	pthread_mutex_unlock(&s->lock);
}

struct fs_server *fs_server_create(int root_fd, const struct fs_server_opts *o, int *err)
{
	struct fs_server *s = calloc(1, sizeof(*s));
	struct stat st;

	if (!s || !o->max_inodes || !o->max_handles) {
		*err = s ? -EINVAL : -ENOMEM;
		free(s);
		close(root_fd);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->ro = o->ro;
	s->xattr = o->xattr;
	s->max_inodes = o->max_inodes;
	s->max_handles = o->max_handles;
	s->inodes = calloc(o->max_inodes + 1, sizeof(*s->inodes));
	s->handles = malloc(o->max_handles * sizeof(*s->handles));
	s->scratch = malloc(FS_MAX_IO);
	s->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Before any failure: fs_server_destroy() closes the handles not -1. */
	for (u32 i = 0; s->handles && i < o->max_handles; i++)
		s->handles[i] = -1;
	if (!s->inodes || !s->handles || !s->scratch || s->proc_fd < 0 || fs_stat(root_fd, &st)) {
		*err = s->proc_fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	/* Sharing /proc or /sys itself: nothing in it could be used. */
	if (fs_sealed_fs(root_fd)) {
		*err = -EPERM;
		goto fail;
	}
	for (u32 i = 0; i < FS_HASH; i++)
		s->hash[i] = FS_NONE;
	for (u32 i = 0; i <= o->max_inodes; i++)
		s->inodes[i].fd = -1;
	/* The root: node id 1, never forgotten, counted against the limit. */
	s->inodes[0] = (struct fs_inode){ .fd = root_fd, .nlookup = 1, .dev = st.st_dev,
					  .ino = st.st_ino, .next = FS_NONE };
	s->hash[fs_hash(st.st_dev, st.st_ino)] = 0;
	s->nr_inodes = 1;
	s->used_inodes = 1;
	s->free_head = FS_NONE;
	return s;
fail:
	close(root_fd);
	fs_server_destroy(s);
	return NULL;
}

void fs_server_destroy(struct fs_server *s)
{
	if (!s)
		return;
	for (u32 i = 0; s->inodes && i < s->nr_inodes; i++)
		if (s->inodes[i].fd >= 0)
			close(s->inodes[i].fd);
	for (u32 i = 0; s->handles && i < s->max_handles; i++)
		if (s->handles[i] >= 0)
			close(s->handles[i]);
	if (s->proc_fd > 0)
		close(s->proc_fd);
	free(s->inodes);
	free(s->handles);
	free(s->scratch);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
