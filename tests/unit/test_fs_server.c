// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-fs FUSE server (devices/virtio/fs_server.c) on a real
 * temporary directory, driven as a guest would, misbehaving guests
 * included: every escape attempt must fail and the host files must show
 * exactly what the guest did.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "devices/virtio/fs_server.h"
#include "test.h"

static char dir[64], outside[64];
static u8 reply[FS_MAX_IO + 4096];
static u64 unique;

static void host_write(const char *name, const char *s)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

static struct fs_server *make(bool ro, unsigned int max_inodes)
{
	struct fs_server_opts o = { .ro = ro, .xattr = true, .max_inodes = max_inodes,
				    .max_handles = 8 };
	char p[256];
	int err = 0;

	snprintf(dir, sizeof(dir), "/tmp/vmm-test-fs-XXXXXX");
	snprintf(outside, sizeof(outside), "/tmp/vmm-test-out-XXXXXX");
	if (!mkdtemp(dir) || !mkdtemp(outside))
		return NULL;
	host_write("a.txt", "hello from the host\n");
	snprintf(p, sizeof(p), "%s/secret", outside);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/esc", dir);
	if (symlink(outside, p) < 0)
		return NULL;
	snprintf(p, sizeof(p), "%s/fifo", dir);
	mkfifo(p, 0600);
	return fs_server_create(open(dir, O_PATH | O_DIRECTORY), &o, &err);
}

static void unmake(struct fs_server *s)
{
	char cmd[200];

	fs_server_destroy(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

/*
 * One request: @op on @nodeid with @arg then up to two names. Returns the
 * reply's error (0 ok), the reply payload in reply[] after the header.
 */
static int call(struct fs_server *s, u32 op, u64 nodeid, const void *arg, size_t arg_len,
		const char *n1, const char *n2, size_t *out_len)
{
	u8 req[FS_MAX_IO + 1024];
	struct fuse_in_header h = { .opcode = op, .unique = ++unique, .nodeid = nodeid };
	size_t len = sizeof(h);
	struct iovec iov = { reply, sizeof(reply) };
	struct fuse_out_header oh;
	size_t n;

	if (arg_len)
		memcpy(req + len, arg, arg_len);
	len += arg_len;
	for (const char *nm = n1; nm; nm = nm == n1 ? n2 : NULL) {
		memcpy(req + len, nm, strlen(nm) + 1);
		len += strlen(nm) + 1;
	}
	h.len = (u32)len;
	memcpy(req, &h, sizeof(h));
	memset(reply, 0x55, 64);
	n = fs_server_handle(s, req, len, &iov, 1);
	if (!n)
		return 1;	/* no reply */
	memcpy(&oh, reply, sizeof(oh));
	if (out_len)
		*out_len = n - sizeof(oh);
	if (oh.unique != unique || oh.len != n)
		return 2;
	return oh.error;
}

static const void *payload(void)
{
	return reply + sizeof(struct fuse_out_header);
}

static u64 lookup(struct fs_server *s, u64 parent, const char *name, int *err)
{
	struct fuse_entry_out e;

	*err = call(s, FUSE_LOOKUP, parent, NULL, 0, name, NULL, NULL);
	if (*err)
		return 0;
	memcpy(&e, payload(), sizeof(e));
	return e.nodeid;
}

static u64 open_node(struct fs_server *s, u64 node, u32 flags, int *err)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out o;

	*err = call(s, FUSE_OPEN, node, &in, sizeof(in), NULL, NULL, NULL);
	if (*err)
		return 0;
	memcpy(&o, payload(), sizeof(o));
	return o.fh;
}

TEST(fs_init_lookup_open_read)
{
	struct fs_server *s = make(false, 64);
	struct fuse_init_in init = { .major = 7, .minor = 36, .max_readahead = 65536 };
	struct fuse_init_out io;
	struct fuse_read_in rd = { .size = 4096 };
	struct fuse_release_in rel;
	size_t n;
	u64 node, fh;
	int err;

	TEST_ASSERT(s, "make");
	TEST_ASSERT_EQ(call(s, FUSE_INIT, 0, &init, sizeof(init), NULL, NULL, NULL), 0);
	memcpy(&io, payload(), sizeof(io));
	TEST_ASSERT(io.major == 7 && io.minor == 36 && io.max_write == FS_MAX_IO, "init");
	node = lookup(s, FUSE_ROOT_ID, "a.txt", &err);
	TEST_ASSERT(node > 1, "lookup: %d", err);
	fh = open_node(s, node, O_RDONLY, &err);
	TEST_ASSERT(fh, "open: %d", err);
	rd.fh = fh;
	TEST_ASSERT_EQ(call(s, FUSE_READ, node, &rd, sizeof(rd), NULL, NULL, &n), 0);
	TEST_ASSERT(n == 20 && !memcmp(payload(), "hello from the host\n", 20), "read %zu", n);
	rel = (struct fuse_release_in){ .fh = fh };
	TEST_ASSERT_EQ(call(s, FUSE_RELEASE, node, &rel, sizeof(rel), NULL, NULL, NULL), 0);
	/* The handle is gone: reading it is EBADF, not some other file. */
	TEST_ASSERT_EQ(call(s, FUSE_READ, node, &rd, sizeof(rd), NULL, NULL, NULL), -EBADF);
	/* The same name looked up again is the same node. */
	TEST_ASSERT_EQ(lookup(s, FUSE_ROOT_ID, "a.txt", &err), node);
	unmake(s);
}

TEST(fs_escapes_fail)
{
	struct fs_server *s = make(false, 64);
	struct fuse_entry_out e;
	u64 esc;
	int err;

	TEST_ASSERT(s, "make");
	/* Names are single components. */
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "..", NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, ".", NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "esc/secret", NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "/etc", NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "", NULL, NULL), -EINVAL);
	/* A symlink out of the share is a symlink inode, never its target. */
	esc = lookup(s, FUSE_ROOT_ID, "esc", &err);
	TEST_ASSERT(esc, "lookup esc: %d", err);
	memcpy(&e, payload(), sizeof(e));
	TEST_ASSERT(S_ISLNK(e.attr.mode), "mode 0%o", e.attr.mode);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, esc, NULL, 0, "secret", NULL, NULL), -ENOTDIR);
	open_node(s, esc, O_RDONLY, &err);
	TEST_ASSERT_EQ(err, -ELOOP);
	{
		struct fuse_open_in in = { .flags = O_RDONLY };

		TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, esc, &in, sizeof(in), NULL, NULL, NULL), -ELOOP);
	}
	/* READLINK hands the target over as data. */
	{
		size_t n;

		TEST_ASSERT_EQ(call(s, FUSE_READLINK, esc, NULL, 0, NULL, NULL, &n), 0);
		TEST_ASSERT(n == strlen(outside) && !memcmp(payload(), outside, n), "readlink");
	}
	/* A FIFO in the share is not opened (it would hold the I/O thread). */
	open_node(s, lookup(s, FUSE_ROOT_ID, "fifo", &err), O_RDONLY, &err);
	TEST_ASSERT_EQ(err, -EPERM);
	/* Made-up node ids and handles. */
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, 999, NULL, 0, NULL, NULL, NULL), -ENOENT);
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, 0, NULL, 0, NULL, NULL, NULL), -ENOENT);
	{
		struct fuse_read_in rd = { .fh = 7, .size = 10 };

		TEST_ASSERT_EQ(call(s, FUSE_READ, 1, &rd, sizeof(rd), NULL, NULL, NULL), -EBADF);
		rd.fh = ~0ULL;
		TEST_ASSERT_EQ(call(s, FUSE_READ, 1, &rd, sizeof(rd), NULL, NULL, NULL), -EBADF);
	}
	/* A rename or link out of the share: names are components, directories nodes. */
	TEST_ASSERT_EQ(call(s, FUSE_RENAME, FUSE_ROOT_ID, &(struct fuse_rename_in){ .newdir = esc },
			    sizeof(struct fuse_rename_in), "a.txt", "x", NULL), -ENOTDIR);
	TEST_ASSERT_EQ(call(s, FUSE_RENAME, FUSE_ROOT_ID, &(struct fuse_rename_in){ .newdir = 1 },
			    sizeof(struct fuse_rename_in), "a.txt", "../x", NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "l2", "/etc/passwd", NULL), 0);
	open_node(s, lookup(s, FUSE_ROOT_ID, "l2", &err), O_RDONLY, &err);
	TEST_ASSERT_EQ(err, -ELOOP);
	unmake(s);
}

TEST(fs_changes_reach_the_host)
{
	struct fs_server *s = make(false, 64);
	struct fuse_create_in cr = { .flags = O_WRONLY, .mode = S_IFREG | 0644 };
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct {
		struct fuse_write_in w;
		char data[16];
	} wr = { .w = { .size = 11 }, .data = "from guest\n" };
	struct fuse_open_out o;
	char p[256], buf[32] = "";
	struct stat st;
	FILE *f;
	u64 d;
	int err;

	TEST_ASSERT(s, "make");
	TEST_ASSERT_EQ(call(s, FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "new.txt", NULL, NULL), 0);
	memcpy(&o, (u8 *)payload() + sizeof(struct fuse_entry_out), sizeof(o));
	wr.w.fh = o.fh;
	TEST_ASSERT_EQ(call(s, FUSE_WRITE, 1, &wr, sizeof(wr.w) + 11, NULL, NULL, NULL), 0);
	snprintf(p, sizeof(p), "%s/new.txt", dir);
	f = fopen(p, "r");
	TEST_ASSERT(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "from guest\n"), "'%s'", buf);
	fclose(f);
	TEST_ASSERT_EQ(call(s, FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "sub", NULL, NULL), 0);
	d = lookup(s, FUSE_ROOT_ID, "sub", &err);
	TEST_ASSERT_EQ(call(s, FUSE_RENAME, FUSE_ROOT_ID, &(struct fuse_rename_in){ .newdir = d },
			    sizeof(struct fuse_rename_in), "new.txt", "moved.txt", NULL), 0);
	snprintf(p, sizeof(p), "%s/sub/moved.txt", dir);
	TEST_ASSERT_EQ(stat(p, &st), 0);
	TEST_ASSERT_EQ(st.st_size, 11);
	TEST_ASSERT_EQ(call(s, FUSE_UNLINK, d, NULL, 0, "moved.txt", NULL, NULL), 0);
	TEST_ASSERT(stat(p, &st) < 0, "still there");
	TEST_ASSERT_EQ(call(s, FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "sub", NULL, NULL), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	TEST_ASSERT(stat(p, &st) < 0, "dir still there");
	/* No device nodes made on the host. */
	TEST_ASSERT_EQ(call(s, FUSE_MKNOD, FUSE_ROOT_ID,
			    &(struct fuse_mknod_in){ .mode = S_IFCHR | 0600, .rdev = 0x0103 },
			    sizeof(struct fuse_mknod_in), "null", NULL, NULL), -EPERM);
	unmake(s);
}

/* As root, what the guest makes belongs to the request's uid and gid. */
TEST(fs_new_files_belong_to_the_caller)
{
	struct fs_server *s = make(false, 64);
	struct fuse_mkdir_in mk = { .mode = 0755 };
	u8 req[256];
	struct fuse_in_header h = { .opcode = FUSE_MKDIR, .unique = 1, .nodeid = 1,
				    .uid = 4321, .gid = 8765 };
	struct iovec iov = { reply, sizeof(reply) };
	struct fuse_out_header oh;
	char p[256];
	struct stat st;

	TEST_ASSERT(s, "make");
	if (geteuid() != 0) {
		unmake(s);
		return;		/* only root can take another's ids */
	}
	memcpy(req + sizeof(h), &mk, sizeof(mk));
	memcpy(req + sizeof(h) + sizeof(mk), "owned", 6);
	h.len = sizeof(h) + sizeof(mk) + 6;
	memcpy(req, &h, sizeof(h));
	/* The share is root's 0700: the caller may not create there, as on the host. */
	TEST_ASSERT(fs_server_handle(s, req, h.len, &iov, 1) > 0, "reply");
	memcpy(&oh, reply, sizeof(oh));
	TEST_ASSERT_EQ(oh.error, -EACCES);
	chmod(dir, 0777);
	TEST_ASSERT(fs_server_handle(s, req, h.len, &iov, 1) > 0, "reply");
	memcpy(&oh, reply, sizeof(oh));
	TEST_ASSERT_EQ(oh.error, 0);
	snprintf(p, sizeof(p), "%s/owned", dir);
	TEST_ASSERT_EQ(stat(p, &st), 0);
	TEST_ASSERT(st.st_uid == 4321 && st.st_gid == 8765, "owner %u:%u", st.st_uid, st.st_gid);
	/* And the thread is vmm again afterwards: root may read anything. */
	TEST_ASSERT_EQ(syscall(SYS_setfsuid, -1), 0);
	unmake(s);
}

TEST(fs_read_only_refuses_every_change)
{
	struct fs_server *s = make(true, 64);
	struct fuse_create_in cr = { .flags = O_WRONLY, .mode = S_IFREG | 0644 };
	struct fuse_setattr_in sa = { .valid = FATTR_SIZE, .size = 0 };
	char p[256];
	struct stat st;
	u64 node;
	int err;

	TEST_ASSERT(s, "make");
	TEST_ASSERT_EQ(call(s, FUSE_CREATE, 1, &cr, sizeof(cr), "n", NULL, NULL), -EROFS);
	TEST_ASSERT_EQ(call(s, FUSE_MKDIR, 1, &(struct fuse_mkdir_in){ .mode = 0755 },
			    sizeof(struct fuse_mkdir_in), "d", NULL, NULL), -EROFS);
	TEST_ASSERT_EQ(call(s, FUSE_UNLINK, 1, NULL, 0, "a.txt", NULL, NULL), -EROFS);
	TEST_ASSERT_EQ(call(s, FUSE_SYMLINK, 1, NULL, 0, "l", "t", NULL), -EROFS);
	node = lookup(s, 1, "a.txt", &err);
	open_node(s, node, O_RDWR, &err);
	TEST_ASSERT_EQ(err, -EROFS);
	open_node(s, node, O_RDONLY | O_TRUNC, &err);
	TEST_ASSERT_EQ(err, -EROFS);
	TEST_ASSERT_EQ(call(s, FUSE_SETATTR, node, &sa, sizeof(sa), NULL, NULL, NULL), -EROFS);
	snprintf(p, sizeof(p), "%s/a.txt", dir);
	TEST_ASSERT(stat(p, &st) == 0 && st.st_size == 20, "a.txt changed");
	TEST_ASSERT(open_node(s, node, O_RDONLY, &err), "read-only open: %d", err);
	unmake(s);
}

TEST(fs_inodes_are_bounded_and_forgotten)
{
	struct fs_server *s = make(false, 3);	/* the root and two more */
	struct fs_server_stats st;
	struct fuse_forget_in fg = { .nlookup = 1 };
	u64 a, b;
	int err;

	TEST_ASSERT(s, "make");
	host_write("b.txt", "b");
	host_write("c.txt", "c");
	a = lookup(s, 1, "a.txt", &err);
	b = lookup(s, 1, "b.txt", &err);
	TEST_ASSERT(a && b, "lookups");
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, 1, NULL, 0, "c.txt", NULL, NULL), -ENFILE);
	/* FORGET takes no reply and frees the slot. */
	TEST_ASSERT_EQ(call(s, FUSE_FORGET, a, &fg, sizeof(fg), NULL, NULL, NULL), 1);
	fs_server_get_stats(s, &st);
	TEST_ASSERT_EQ(st.inodes, 2);
	TEST_ASSERT(lookup(s, 1, "c.txt", &err), "after forget: %d", err);
	/* The root is never forgotten. */
	fg.nlookup = 100;
	call(s, FUSE_FORGET, 1, &fg, sizeof(fg), NULL, NULL, NULL);
	TEST_ASSERT(lookup(s, 1, "a.txt", &err) == 0 && err == -ENFILE, "root still counts");
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, 1, NULL, 0, NULL, NULL, NULL), 0);
	unmake(s);
}

TEST(fs_readdir_lists_the_share)
{
	struct fs_server *s = make(false, 64);
	struct fuse_open_in in = { .flags = O_RDONLY };
	struct fuse_open_out o;
	struct fuse_read_in rd = { .size = 4096 };
	size_t n, pos = 0;
	char names[256] = "";

	TEST_ASSERT(s, "make");
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, 1, &in, sizeof(in), NULL, NULL, NULL), 0);
	memcpy(&o, payload(), sizeof(o));
	rd.fh = o.fh;
	TEST_ASSERT_EQ(call(s, FUSE_READDIR, 1, &rd, sizeof(rd), NULL, NULL, &n), 0);
	while (pos + FUSE_NAME_OFFSET <= n) {
		const struct fuse_dirent *d = (const void *)((const u8 *)payload() + pos);

		strncat(names, d->name, d->namelen);
		strcat(names, " ");
		pos += FUSE_DIRENT_SIZE(d);
	}
	TEST_ASSERT(strstr(names, "a.txt ") && strstr(names, "esc ") && strstr(names, "fifo "),
		    "'%s'", names);
	/* A tiny buffer: no partial entry, and the next call goes on from its offset. */
	rd.size = 8;
	TEST_ASSERT_EQ(call(s, FUSE_READDIR, 1, &rd, sizeof(rd), NULL, NULL, &n), 0);
	TEST_ASSERT_EQ(n, 0);
	unmake(s);
}

TEST(fs_malformed_requests)
{
	struct fs_server *s = make(false, 64);
	struct fuse_in_header h = { .len = 1000, .opcode = FUSE_GETATTR, .unique = 5, .nodeid = 1 };
	struct iovec iov = { reply, sizeof(reply) };
	struct fuse_out_header oh;
	u8 tiny[8];

	TEST_ASSERT(s, "make");
	/* A length past what arrived. */
	TEST_ASSERT(fs_server_handle(s, (u8 *)&h, sizeof(h), &iov, 1) > 0, "reply");
	memcpy(&oh, reply, sizeof(oh));
	TEST_ASSERT_EQ(oh.error, -EINVAL);
	/* Less than a header: nothing to answer. */
	TEST_ASSERT_EQ(fs_server_handle(s, tiny, sizeof(tiny), &iov, 1), 0);
	/* A reply buffer too small for the header. */
	iov.iov_len = 4;
	h.len = sizeof(h);
	TEST_ASSERT_EQ(fs_server_handle(s, (u8 *)&h, sizeof(h), &iov, 1), 0);
	/* A name without its NUL, an unknown opcode, truncated arguments. */
	TEST_ASSERT_EQ(call(s, 9999, 1, NULL, 0, NULL, NULL, NULL), -ENOSYS);
	TEST_ASSERT_EQ(call(s, FUSE_OPEN, 1, "x", 1, NULL, NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, 1, "abc", 3, NULL, NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_INIT, 0, &(u32[4]){ 8, 0 }, 16, NULL, NULL, NULL), -EPROTO);
	unmake(s);
}

/* READDIRPLUS: each entry carries its lookup; what is not sent is not held. */
TEST(fs_readdirplus_carries_lookups)
{
	struct fs_server *s = make(false, 64);
	struct fuse_open_in in = { .flags = O_RDONLY };
	struct fuse_open_out o;
	struct fuse_read_in rd = { .size = 4096 };
	struct fs_server_stats st0, st1;
	size_t n, pos = 0;
	bool saw_a = false, dot_zero = false;

	TEST_ASSERT(s, "make");
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, 1, &in, sizeof(in), NULL, NULL, NULL), 0);
	memcpy(&o, payload(), sizeof(o));
	rd.fh = o.fh;
	fs_server_get_stats(s, &st0);
	/* Room for no entry at all: nothing looked up is kept. */
	rd.size = 16;
	TEST_ASSERT_EQ(call(s, FUSE_READDIRPLUS, 1, &rd, sizeof(rd), NULL, NULL, &n), 0);
	TEST_ASSERT_EQ(n, 0);
	fs_server_get_stats(s, &st1);
	TEST_ASSERT_EQ(st1.inodes, st0.inodes);
	rd.size = 4096;
	TEST_ASSERT_EQ(call(s, FUSE_READDIRPLUS, 1, &rd, sizeof(rd), NULL, NULL, &n), 0);
	while (pos + FUSE_NAME_OFFSET_DIRENTPLUS <= n) {
		const struct fuse_direntplus *d = (const void *)((const u8 *)payload() + pos);

		if (d->dirent.namelen == 5 && !memcmp(d->dirent.name, "a.txt", 5))
			saw_a = d->entry_out.nodeid > 1 && d->entry_out.attr.size == 20;
		if (d->dirent.namelen == 1 && d->dirent.name[0] == '.')
			dot_zero = d->entry_out.nodeid == 0;
		pos += FUSE_DIRENTPLUS_SIZE(d);
	}
	TEST_ASSERT(saw_a, "a.txt without its lookup");
	TEST_ASSERT(dot_zero, "'.' carried a node");
	fs_server_get_stats(s, &st1);
	TEST_ASSERT(st1.inodes > st0.inodes, "no references taken");
	/* READDIRPLUS names its directory: a made-up one is refused. */
	TEST_ASSERT_EQ(call(s, FUSE_READDIRPLUS, 99, &rd, sizeof(rd), NULL, NULL, NULL), -ENOENT);
	unmake(s);
}

/* A server on the host directory @path (not a temporary one). */
static struct fs_server *make_on(const char *path, bool ro, int *err)
{
	struct fs_server_opts o = { .ro = ro, .max_inodes = 64, .max_handles = 8 };

	*err = 0;
	return fs_server_create(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), &o, err);
}

static bool is_fs(const char *path, u32 magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (u32)sf.f_type == magic;
}

/* Sharing the host's /proc or /sys itself is refused outright. */
TEST(fs_refuses_sharing_proc)
{
	int err;

	TEST_ASSERT(!make_on("/proc", true, &err), "sharing /proc");
	TEST_ASSERT_EQ(err, -EPERM);
	if (is_fs("/sys", 0x62656572)) {	/* SYSFS_MAGIC */
		TEST_ASSERT(!make_on("/sys", false, &err), "sharing /sys");
		TEST_ASSERT_EQ(err, -EPERM);
	}
}

/*
 * Sharing "/" (read-only): /proc and /sys are names the guest can look up
 * and stat (to mount its own there), but nothing in them is reachable.
 */
TEST(fs_seals_host_kernel_interfaces)
{
	struct fuse_open_in in = { .flags = O_RDONLY };
	struct fuse_read_in rd = { .fh = 1, .size = 4096 };
	struct fuse_setattr_in sa = { .valid = FATTR_MODE, .mode = 0777 };
	struct fuse_forget_in fg = { .nlookup = 1 };
	struct fuse_entry_out e;
	struct fuse_open_out o;
	struct fs_server *s;
	u64 proc, sys, etc, dev, node;
	size_t n, pos = 0;
	int err;

	s = make_on("/", true, &err);
	TEST_ASSERT(s, "sharing /: %d", err);
	proc = lookup(s, FUSE_ROOT_ID, "proc", &err);
	TEST_ASSERT(proc > 1, "lookup proc: %d", err);
	memcpy(&e, payload(), sizeof(e));
	TEST_ASSERT(S_ISDIR(e.attr.mode), "proc mode 0%o", e.attr.mode);
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, proc, NULL, 0, NULL, NULL, NULL), 0);
	TEST_ASSERT_EQ(call(s, FUSE_STATFS, proc, NULL, 0, NULL, NULL, NULL), 0);
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, proc, &in, sizeof(in), NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_OPEN, proc, &in, sizeof(in), NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, proc, NULL, 0, "self", NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, proc, NULL, 0, "1", NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_READDIRPLUS, proc, &rd, sizeof(rd), NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_READDIR, proc, &rd, sizeof(rd), NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_READLINK, proc, NULL, 0, NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_SETATTR, proc, &sa, sizeof(sa), NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, proc, NULL, 0, NULL, NULL, NULL), -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_ACCESS, proc, NULL, 0, NULL, NULL, NULL), -EACCES);
	if (is_fs("/sys", 0x62656572)) {	/* SYSFS_MAGIC */
		sys = lookup(s, FUSE_ROOT_ID, "sys", &err);
		TEST_ASSERT(sys > 1, "lookup sys: %d", err);
		TEST_ASSERT_EQ(call(s, FUSE_LOOKUP, sys, NULL, 0, "kernel", NULL, NULL), -EACCES);
	}
	/* An ordinary directory, made right after a sealed one, is not sealed. */
	etc = lookup(s, FUSE_ROOT_ID, "etc", &err);
	TEST_ASSERT(etc > 1, "lookup etc: %d", err);
	TEST_ASSERT(lookup(s, etc, "passwd", &err) > 1, "lookup etc/passwd: %d", err);
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, etc, &in, sizeof(in), NULL, NULL, NULL), 0);
	memcpy(&o, payload(), sizeof(o));
	rd.fh = o.fh;
	TEST_ASSERT_EQ(call(s, FUSE_READDIR, etc, &rd, sizeof(rd), NULL, NULL, &n), 0);
	TEST_ASSERT(n > 0, "etc listed empty");
	/* /dev (devtmpfs or tmpfs) is not sealed; its device nodes do not open. */
	dev = lookup(s, FUSE_ROOT_ID, "dev", &err);
	TEST_ASSERT(dev > 1, "lookup dev: %d", err);
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, dev, &in, sizeof(in), NULL, NULL, NULL), 0);
	node = lookup(s, dev, "null", &err);
	TEST_ASSERT(node > 1, "lookup dev/null: %d", err);
	open_node(s, node, O_RDONLY, &err);
	TEST_ASSERT_EQ(err, -EPERM);
	/* proc forgotten, then made anew by READDIRPLUS of "/": sealed again. */
	TEST_ASSERT_EQ(call(s, FUSE_FORGET, proc, &fg, sizeof(fg), NULL, NULL, NULL), 1);
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, proc, NULL, 0, NULL, NULL, NULL), -ENOENT);
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, FUSE_ROOT_ID, &in, sizeof(in), NULL, NULL, NULL), 0);
	memcpy(&o, payload(), sizeof(o));
	rd = (struct fuse_read_in){ .fh = o.fh, .size = 65536 };
	TEST_ASSERT_EQ(call(s, FUSE_READDIRPLUS, FUSE_ROOT_ID, &rd, sizeof(rd), NULL, NULL, &n), 0);
	proc = 0;
	while (pos + FUSE_NAME_OFFSET_DIRENTPLUS <= n) {
		const struct fuse_direntplus *d = (const void *)((const u8 *)payload() + pos);

		if (d->dirent.namelen == 4 && !memcmp(d->dirent.name, "proc", 4))
			proc = d->entry_out.nodeid;
		pos += FUSE_DIRENTPLUS_SIZE(d);
	}
	TEST_ASSERT(proc > 1, "proc not in the listing of /");
	TEST_ASSERT_EQ(call(s, FUSE_GETATTR, proc, NULL, 0, NULL, NULL, NULL), 0);
	TEST_ASSERT_EQ(call(s, FUSE_OPENDIR, proc, &in, sizeof(in), NULL, NULL, NULL), -EACCES);
	fs_server_destroy(s);
}

/*
 * Writable, a sealed inode is neither linked elsewhere nor renamed into.
 * (Harmless even unsealed: a directory is not hard-linked, the name to
 * rename does not exist.)
 */
TEST(fs_seals_link_and_rename)
{
	struct fs_server *s;
	u64 proc;
	int err;

	s = make_on("/", false, &err);
	TEST_ASSERT(s, "sharing /: %d", err);
	proc = lookup(s, FUSE_ROOT_ID, "proc", &err);
	TEST_ASSERT(proc > 1, "lookup proc: %d", err);
	TEST_ASSERT_EQ(call(s, FUSE_LINK, FUSE_ROOT_ID, &(struct fuse_link_in){ .oldnodeid = proc },
			    sizeof(struct fuse_link_in), "vmm-test-no-such-link", NULL, NULL),
		       -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_RENAME, FUSE_ROOT_ID, &(struct fuse_rename_in){ .newdir = proc },
			    sizeof(struct fuse_rename_in), "vmm-test-no-such-name", "x", NULL),
		       -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_RENAME2, FUSE_ROOT_ID,
			    &(struct fuse_rename2_in){ .newdir = proc },
			    sizeof(struct fuse_rename2_in), "vmm-test-no-such-name", "x", NULL),
		       -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_MKDIR, proc, &(struct fuse_mkdir_in){ .mode = 0755 },
			    sizeof(struct fuse_mkdir_in), "vmm-test-no-such-dir", NULL, NULL),
		       -EACCES);
	TEST_ASSERT_EQ(call(s, FUSE_UNLINK, proc, NULL, 0, "vmm-test-no-such-name", NULL, NULL),
		       -EACCES);
	fs_server_destroy(s);
}

/* Extended attributes: "user." ones pass, the host's other namespaces do not exist. */
TEST(fs_xattrs_user_namespace_only)
{
	struct fs_server *s = make(false, 64);
	struct fuse_setxattr_in set = { .size = 2 };
	struct fuse_getxattr_in get = { .size = 0 };
	char p[256], host[16] = "";
	size_t n;
	u64 node, link;
	int err;

	TEST_ASSERT(s, "server");
	snprintf(p, sizeof(p), "%s/a.txt", dir);
	if (setxattr(p, "user.probe", "x", 1, 0) < 0) {
		printf("  no user xattrs on %s (%s): skipped\n", dir, strerror(errno));
		unmake(s);
		return;
	}
	node = lookup(s, FUSE_ROOT_ID, "a.txt", &err);
	TEST_ASSERT(node, "lookup: %d", err);
	/* SETXATTR in its 8-byte form: size, flags, then name and value. */
	TEST_ASSERT_EQ(call(s, FUSE_SETXATTR, node, &set, FUSE_COMPAT_SETXATTR_IN_SIZE,
			    "user.vmm", "v1", NULL), 0);
	TEST_ASSERT(getxattr(p, "user.vmm", host, sizeof(host)) == 2 && !memcmp(host, "v1", 2),
		    "host sees '%s'", host);
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, node, &get, sizeof(get), "user.vmm", NULL, &n), 0);
	TEST_ASSERT_EQ(((const struct fuse_getxattr_out *)payload())->size, 2);
	get.size = 64;
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, node, &get, sizeof(get), "user.vmm", NULL, &n), 0);
	TEST_ASSERT(n == 2 && !memcmp(payload(), "v1", 2), "value of %zu bytes", n);
	get.size = 1;
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, node, &get, sizeof(get), "user.vmm", NULL, &n),
		       -ERANGE);
	/* Only "user." names are listed, whatever else the host file has. */
	if (getuid() == 0)
		TEST_ASSERT_EQ(setxattr(p, "trusted.vmm", "t", 1, 0), 0);
	get.size = 256;
	TEST_ASSERT_EQ(call(s, FUSE_LISTXATTR, node, &get, sizeof(get), NULL, NULL, &n), 0);
	TEST_ASSERT(n == sizeof("user.probe\0user.vmm") &&
		    memmem(payload(), n, "user.vmm", 9) && !memmem(payload(), n, "trusted", 7),
		    "list of %zu bytes", n);
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, node, &get, sizeof(get), "trusted.vmm", NULL, NULL),
		       -ENODATA);
	TEST_ASSERT_EQ(call(s, FUSE_SETXATTR, node, &set, FUSE_COMPAT_SETXATTR_IN_SIZE,
			    "security.capability", "xx", NULL), -EPERM);
	TEST_ASSERT_EQ(call(s, FUSE_REMOVEXATTR, node, NULL, 0, "trusted.vmm", NULL, NULL), -EPERM);
	/* A value longer than the request carries. */
	set.size = 4000;
	TEST_ASSERT_EQ(call(s, FUSE_SETXATTR, node, &set, FUSE_COMPAT_SETXATTR_IN_SIZE,
			    "user.vmm", "v1", NULL), -EINVAL);
	TEST_ASSERT_EQ(call(s, FUSE_REMOVEXATTR, node, NULL, 0, "user.vmm", NULL, NULL), 0);
	TEST_ASSERT(getxattr(p, "user.vmm", host, sizeof(host)) < 0 && errno == ENODATA,
		    "still on the host");
	/* Not on a symlink: its target is the guest's to resolve, not ours. */
	link = lookup(s, FUSE_ROOT_ID, "esc", &err);
	TEST_ASSERT(link, "lookup esc: %d", err);
	TEST_ASSERT_EQ(call(s, FUSE_LISTXATTR, link, &get, sizeof(get), NULL, NULL, NULL),
		       -ENOTSUP);
	unmake(s);

	/* Read-only: no change. */
	s = make(true, 64);
	node = lookup(s, FUSE_ROOT_ID, "a.txt", &err);
	set.size = 2;
	TEST_ASSERT_EQ(call(s, FUSE_SETXATTR, node, &set, FUSE_COMPAT_SETXATTR_IN_SIZE,
			    "user.vmm", "v1", NULL), -EROFS);
	unmake(s);
}

/* Without the xattr option, ENOSYS: Linux then stops asking. */
TEST(fs_xattrs_off_by_default)
{
	struct fs_server_opts o = { .max_inodes = 8, .max_handles = 8 };
	struct fuse_getxattr_in get = { .size = 64 };
	struct fs_server *s;
	int err = 0;

	s = fs_server_create(open("/", O_PATH | O_DIRECTORY), &o, &err);
	TEST_ASSERT(s, "server: %d", err);
	TEST_ASSERT_EQ(call(s, FUSE_GETXATTR, FUSE_ROOT_ID, &get, sizeof(get), "user.x", NULL,
			    NULL), -ENOSYS);
	TEST_ASSERT_EQ(call(s, FUSE_LISTXATTR, FUSE_ROOT_ID, &get, sizeof(get), NULL, NULL, NULL),
		       -ENOSYS);
	fs_server_destroy(s);
}
