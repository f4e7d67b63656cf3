// SPDX-License-Identifier: GPL-2.0
/* virtio-fs: requests off the queues into the FUSE server and back (fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "devices/virtio/fs.h"
#include "devices/virtio/fs_server.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/thread.h"

#define FS_QUEUE_SIZE	128
#define FS_CHAIN_MAX	(FS_MAX_IO / 4096 + 8)
/* The largest request: a WRITE of FS_MAX_IO and its headers, or two names. */
#define FS_REQ_MAX	(FS_MAX_IO + 4096)
#define FS_WORKERS	4	/* requests served at once */
#define FS_RESET_WAIT_MS 5000	/* a reset waits this long for requests in flight */

/* A request from its chain to its reply: queued, on a worker, then done. */
struct fs_job {
	struct fs_job *next;
	struct virtq *vq;
	struct virtq_chain c;
	u32 reply_len;
	u32 gen;			/* fs->gen when popped: another after a reset */
	struct iovec iov[FS_CHAIN_MAX];
};

/*
 * The device's I/O thread pops chains into jobs (fs_queue_notify) and
 * pushes the replies of done ones (fs_jobs_done, woken by done_efd); the
 * FS_WORKERS threads in between run them through the server, so one slow
 * host file holds up only its own request. virtio_fs_create() starts the
 * workers, virtio_fs_destroy() stops and joins them.
 */
struct virtio_fs {
	struct virtio_dev *dev;
	struct fs_server *server;
	struct virtio_fs_config config;
	pthread_mutex_t lock;		/* the lists below, busy, stop */
	pthread_cond_t work, idle;
	struct fs_job *todo, **todo_tail, *done, *free;
	unsigned int busy;		/* jobs on a worker now */
	u32 gen;			/* resets so far: older jobs are never pushed */
	bool stop;
	int done_efd;
	pthread_t workers[FS_WORKERS];
	unsigned int nr_workers;	/* 0 with one CPU: they could not run beside us */
	/* The I/O thread's own: */
	u8 *req;			/* FS_REQ_MAX: its copy of a request */
	struct fs_job *spare;		/* the next chain is popped into it */
};

static struct fs_job *fs_job_get(struct virtio_fs *fs)
{
	struct fs_job *j;

	pthread_mutex_lock(&fs->lock);
	j = fs->free;
	if (j)
		fs->free = j->next;
	pthread_mutex_unlock(&fs->lock);
	if (!j)
		j = malloc(sizeof(*j));
	if (j)
		*j = (struct fs_job){ .c = { .cap = FS_CHAIN_MAX } };
	if (j)
		j->c.iov = j->iov;
	return j;
}

/* Serve @j now, on this thread: its reply's length. */
static u32 fs_serve(struct virtio_fs *fs, struct fs_job *j, u8 *req)
{
	size_t len = MIN(j->c.out_len, (u64)FS_REQ_MAX);

	iov_to_buf(j->c.iov, j->c.nr_out, 0, req, len);
	/* A request longer than any valid one is answered as malformed. */
	return (u32)fs_server_handle(fs->server, req, j->c.out_len > FS_REQ_MAX ? 0 : len,
				     &j->c.iov[j->c.nr_out], j->c.nr - j->c.nr_out);
}

/* The jobs of @list (linked by ->next) onto the free list; fs->lock held. */
static void fs_jobs_free_locked(struct virtio_fs *fs, struct fs_job *list)
{
	struct fs_job *next;

	for (; list; list = next) {
		next = list->next;
		list->next = fs->free;
		fs->free = list;
	}
}

static void *fs_worker(void *opaque)
{
	struct virtio_fs *fs = opaque;
	u8 *req = malloc(FS_REQ_MAX);
	struct fs_job *j;
	u64 one = 1;

	pthread_mutex_lock(&fs->lock);
	while (!fs->stop) {
		if (!fs->todo || !req) {
			pthread_cond_wait(&fs->work, &fs->lock);
			continue;
		}
		j = fs->todo;
		fs->todo = j->next;
		if (!fs->todo)
			fs->todo_tail = &fs->todo;
		fs->busy++;
		pthread_mutex_unlock(&fs->lock);

		j->reply_len = fs_serve(fs, j, req);

		pthread_mutex_lock(&fs->lock);
		fs->busy--;
		j->next = fs->done;
		fs->done = j;
		if (!fs->busy)
			pthread_cond_broadcast(&fs->idle);
		if (write(fs->done_efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: a wake-up is pending already */
		}
	}
	pthread_mutex_unlock(&fs->lock);
	free(req);
	return NULL;
}

/*
 * Host I/O that may take long goes to the workers; the rest (lookups,
 * attributes, listings: quick, and serialised by the server's lock
 * anyway) is served here at once, without two more thread switches.
 */
static bool fs_to_worker(const struct virtio_fs *fs, const struct fs_job *j)
{
	size_t at = offsetof(struct fuse_in_header, opcode);
	u32 op = 0;

	if (!fs->nr_workers || iov_to_buf(j->c.iov, j->c.nr_out, at, &op, sizeof(op)) != sizeof(op))
		return false;
	return op == FUSE_READ || op == FUSE_WRITE || op == FUSE_FSYNC || op == FUSE_FALLOCATE;
}

static void fs_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_fs *fs = opaque;
	struct fs_job *j, *first = NULL, **tail = &first;
	bool pushed = false;
	int r = 0;

	do {
		virtq_disable_notify(vq);
		/* A request served here leaves the spare job for the next one. */
		while ((j = fs->spare ? fs->spare : (fs->spare = fs_job_get(fs))) &&
		       (r = virtq_pop(vq, &j->c)) > 0) {
			j->vq = vq;
			j->gen = fs->gen;	/* fs_reset() changes it under the device lock we hold */
			if (fs_to_worker(fs, j)) {
				fs->spare = NULL;
				*tail = j;
				tail = &j->next;
				continue;
			}
			virtq_push(vq, j->c.head, fs_serve(fs, j, fs->req));
			pushed = true;
		}
	} while (j && r >= 0 && virtq_enable_notify(vq));
	if (pushed)
		virtio_notify_used(fs->dev, vq);
	if (!first)
		return;
	pthread_mutex_lock(&fs->lock);
	*fs->todo_tail = first;
	fs->todo_tail = tail;
	pthread_cond_broadcast(&fs->work);
	pthread_mutex_unlock(&fs->lock);
}

/* done_efd: push what the workers answered (I/O thread, device lock held). */
static void fs_jobs_done(void *opaque)
{
	struct virtio_fs *fs = opaque;
	struct fs_job *done, *j;
	struct virtq *pushed[2] = { NULL, NULL };
	u64 cnt;

	if (read(fs->done_efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: already taken */
	}
	pthread_mutex_lock(&fs->lock);
	done = fs->done;
	fs->done = NULL;
	pthread_mutex_unlock(&fs->lock);
	for (j = done; j; j = j->next) {
		if (j->gen == fs->gen) {
			virtq_push(j->vq, j->c.head, j->reply_len);
			pushed[pushed[0] && pushed[0] != j->vq] = j->vq;
		}
	}
	pthread_mutex_lock(&fs->lock);
	fs_jobs_free_locked(fs, done);
	pthread_mutex_unlock(&fs->lock);
	for (unsigned int i = 0; i < ARRAY_SIZE(pushed); i++)
		if (pushed[i])
			virtio_notify_used(fs->dev, pushed[i]);
}

/*
 * Device reset: queued requests are dropped, ones on a worker finished
 * (for at most FS_RESET_WAIT_MS: a hung host file must not hold the
 * guest's reset, nor vmm's stop) and never pushed.
 */
static void fs_reset(void *opaque)
{
	struct virtio_fs *fs = opaque;
	struct timespec until = clock_timespec(clock_now_ns() + FS_RESET_WAIT_MS * 1000000ULL);

	pthread_mutex_lock(&fs->lock);
	fs_jobs_free_locked(fs, fs->todo);
	fs_jobs_free_locked(fs, fs->done);
	fs->todo = fs->done = NULL;
	fs->todo_tail = &fs->todo;
	fs->gen++;
	while (fs->busy && pthread_cond_timedwait(&fs->idle, &fs->lock, &until) != ETIMEDOUT)
		;
	if (fs->busy)
		log_ratelimited(log_warn, "virtio-fs: %u requests still on the host %d ms into a reset; reset without them",
				fs->busy, FS_RESET_WAIT_MS);
	pthread_mutex_unlock(&fs->lock);
}

static void fs_config_read(void *opaque, u32 offset, u8 *data, u32 len)
{
	struct virtio_fs *fs = opaque;

	memcpy(data, (u8 *)&fs->config + offset, len);
}

static int fs_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_fs *fs = opaque;

	fs->dev = dev;
	return virtio_dev_watch(dev, fs->done_efd, fs_jobs_done, fs);
}

const struct virtio_dev_ops virtio_fs_ops = {
	.name = "fs",
	.device_id = VIRTIO_ID_FS,
	.config_size = sizeof(struct virtio_fs_config),
	.config_read = fs_config_read,
	.nr_queues = 2,			/* hiprio + one request queue */
	.max_queue_size = FS_QUEUE_SIZE,
	.queue_notify = fs_queue_notify,
	.reset = fs_reset,
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
		} else if (n == 5 && !strncmp(opt, "xattr", 5)) {
			o->xattr = true;
		} else if (n > 4 && !strncmp(opt, "tag=", 4) && n - 4 <= VIRTIO_FS_TAG_MAX) {
			memcpy(o->tag, opt + 4, n - 4);
			o->tag[n - 4] = '\0';
		} else {
			*why = "unknown option (expected tag=NAME, ro or xattr)";
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
	struct fs_server_opts so = { .ro = o->ro, .xattr = o->xattr, .max_inodes = FS_DEFAULT_INODES,
				     .max_handles = FS_DEFAULT_HANDLES };
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	struct stat st;
	cpu_set_t cpus;
	int fd;

	if (!fs) {
		*err = -ENOMEM;
		*why = "out of memory";
		return NULL;
	}
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->work, NULL);
	pthread_cond_init(&fs->idle, NULL);
	fs->todo_tail = &fs->todo;
	fs->done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fs->req = malloc(FS_REQ_MAX);
	if (fs->done_efd < 0 || !fs->req) {
		*err = -errno;
		*why = strerror(errno);
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
	/*
	 * Workers only where they can run beside the I/O thread and the vcpus:
	 * on one CPU each hand-off is a wake-up that waits for a time slice.
	 */
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	for (fs->nr_workers = 0; CPU_COUNT(&cpus) > 1 && fs->nr_workers < FS_WORKERS;
	     fs->nr_workers++) {
		char name[16];
		int r;

		snprintf(name, sizeof(name), "fs-%u", fs->nr_workers);
		r = thread_spawn(&fs->workers[fs->nr_workers], NULL, name, false, fs_worker, fs);
		if (r) {
			*err = -r;
			*why = "cannot start its threads";
			goto fail;
		}
	}
	return fs;
fail:
	virtio_fs_destroy(fs);
	return NULL;
}

void virtio_fs_destroy(struct virtio_fs *fs)
{
	struct fs_job *j;

	if (!fs)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->stop = true;
	pthread_cond_broadcast(&fs->work);
	pthread_mutex_unlock(&fs->lock);
	for (unsigned int i = 0; i < fs->nr_workers; i++)
		pthread_join(fs->workers[i], NULL);
	/* Every job is on the free list now (no thread is left to race with). */
	fs_jobs_free_locked(fs, fs->todo);
	fs_jobs_free_locked(fs, fs->done);
	fs_jobs_free_locked(fs, fs->spare);
	while ((j = fs->free)) {
		fs->free = j->next;
		free(j);
	}
	fs_server_destroy(fs->server);
	if (fs->done_efd >= 0)
		close(fs->done_efd);
	pthread_cond_destroy(&fs->work);
	pthread_cond_destroy(&fs->idle);
	pthread_mutex_destroy(&fs->lock);
	free(fs->req);
	free(fs);
}
