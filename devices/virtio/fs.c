// SPDX-License-Identifier: GPL-2.0
/* virtio-fs: requests off the queues into the FUSE server and back (fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "devices/virtio/fs.h"
#include "devices/virtio/fs_server.h"

#define FS_QUEUE_SIZE	128
#define FS_CHAIN_MAX	(FS_MAX_IO / 4096 + 8)
/* The largest request: a WRITE of FS_MAX_IO and its headers, or two names. */
#define FS_REQ_MAX	(FS_MAX_IO + 4096)

struct virtio_fs {
	struct virtio_dev *dev;
	struct fs_server *server;
	struct virtio_fs_config config;
	struct iovec iov[FS_CHAIN_MAX];
	u8 *req;			/* FS_REQ_MAX: the readable part of a chain */
};

static void fs_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_fs *fs = opaque;
	struct virtq_chain c = { .cap = FS_CHAIN_MAX, .iov = fs->iov };
	bool pushed = false;
	int r;

	do {
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &c)) > 0) {
			size_t len = MIN(c.out_len, (u64)FS_REQ_MAX), n;

			iov_to_buf(c.iov, c.nr_out, 0, fs->req, len);
			/* A request longer than any valid one is answered as malformed. */
			n = fs_server_handle(fs->server, fs->req, c.out_len > FS_REQ_MAX ? 0 : len,
					     &c.iov[c.nr_out], c.nr - c.nr_out);
			virtq_push(vq, c.head, (u32)n);
			pushed = true;
		}
	} while (r >= 0 && virtq_enable_notify(vq));
	if (pushed)
		virtio_notify_used(fs->dev, vq);
}

static void fs_config_read(void *opaque, u32 offset, u8 *data, u32 len)
{
	struct virtio_fs *fs = opaque;

	memcpy(data, (u8 *)&fs->config + offset, len);
}

static int fs_attach(void *opaque, struct virtio_dev *dev)
{
	((struct virtio_fs *)opaque)->dev = dev;
	return 0;
}

const struct virtio_dev_ops virtio_fs_ops = {
	.name = "fs",
	.device_id = VIRTIO_ID_FS,
	.config_size = sizeof(struct virtio_fs_config),
	.config_read = fs_config_read,
	.nr_queues = 2,			/* hiprio + one request queue */
	.max_queue_size = FS_QUEUE_SIZE,
	.queue_notify = fs_queue_notify,
	.attach = fs_attach,
};

static bool fs_tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > VIRTIO_FS_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] == ',' || t[i] <= ' ' || t[i] == 0x7f)
			return false;
	return true;
}

int virtio_fs_parse_opts(const char *arg, struct virtio_fs_opts *o, const char **why)
{
	const char *comma = strchr(arg, ','), *p, *base;
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);

	memset(o, 0, sizeof(*o));
	if (!len || len >= sizeof(o->path)) {
		*why = "expected a directory";
		return -EINVAL;
	}
	memcpy(o->path, arg, len);
	o->path[len] = '\0';
	for (p = comma; p; p = strchr(p + 1, ',')) {
		const char *opt = p + 1, *end = strchr(opt, ',');
		size_t n = end ? (size_t)(end - opt) : strlen(opt);

		if (n == 2 && !strncmp(opt, "ro", 2)) {
			o->ro = true;
		} else if (n > 4 && !strncmp(opt, "tag=", 4) && n - 4 <= VIRTIO_FS_TAG_MAX) {
			memcpy(o->tag, opt + 4, n - 4);
			o->tag[n - 4] = '\0';
		} else {
			*why = "unknown option (expected tag=NAME or ro)";
			return -EINVAL;
		}
	}
	if (!o->tag[0]) {
		/* The directory's last component ("/" and ".": "root" and "share"). */
		char tmp[4096];
		size_t n;

		snprintf(tmp, sizeof(tmp), "%s", o->path);
		while ((n = strlen(tmp)) > 1 && tmp[n - 1] == '/')
			tmp[n - 1] = '\0';
		base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
		snprintf(o->tag, sizeof(o->tag), "%.*s", VIRTIO_FS_TAG_MAX,
			 !*base ? "root" : !strcmp(base, ".") || !strcmp(base, "..") ? "share" : base);
	}
	if (!fs_tag_ok(o->tag)) {
		*why = "the tag must be 1 to 36 printable characters, no ',' or spaces";
		return -EINVAL;
	}
	return 0;
}

/*
 * Each inode the guest holds is a descriptor. Raise RLIMIT_NOFILE to what
 * the shares may need (as root, past the hard limit too, as virtiofsd
 * does: a hard limit of 4096 is common and a guest walking a tree of 10,000
 * files holds most of them), else the soft limit to the hard one; then keep
 * within it (512 left for everything else).
 */
#define FS_NOFILE_WANT	(4 * (FS_DEFAULT_INODES + FS_DEFAULT_HANDLES) + 1024)

static void fs_fd_budget(struct fs_server_opts *so)
{
	struct rlimit rl, want = { FS_NOFILE_WANT, FS_NOFILE_WANT };
	rlim_t budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max < FS_NOFILE_WANT && setrlimit(RLIMIT_NOFILE, &want) == 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
	} else if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	budget = rl.rlim_cur > 1024 ? rl.rlim_cur - 512 : 512;
	so->max_inodes = (unsigned int)MIN((rlim_t)so->max_inodes, budget * 3 / 4);
	so->max_handles = (unsigned int)MIN((rlim_t)so->max_handles, budget / 4);
}

struct virtio_fs *virtio_fs_create(const struct virtio_fs_opts *o, int *err, const char **why)
{
	struct fs_server_opts so = { .ro = o->ro, .max_inodes = FS_DEFAULT_INODES,
				     .max_handles = FS_DEFAULT_HANDLES };
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	struct stat st;
	int fd;

	if (!fs || !(fs->req = malloc(FS_REQ_MAX))) {
		*err = -ENOMEM;
		*why = "out of memory";
		goto fail;
	}
	fs_fd_budget(&so);
	fd = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*err = errno == ENOENT || errno == ENOTDIR ? -EINVAL : -errno;
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	fs->server = fs_server_create(fd, &so, err);
	if (!fs->server) {
		*why = strerror(-*err);
		goto fail;
	}
	memcpy(fs->config.tag, o->tag, strnlen(o->tag, sizeof(fs->config.tag)));
	fs->config.num_request_queues = 1;	/* little-endian hosts only, as the rest */
	return fs;
fail:
	if (fs)
		free(fs->req);
	free(fs);
	return NULL;
}

void virtio_fs_destroy(struct virtio_fs *fs)
{
	if (!fs)
		return;
	fs_server_destroy(fs->server);
	free(fs->req);
	free(fs);
}
