// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk backend (virtio 1.x, 5.2).
 *
 * A request is a chain: a 16-byte header (readable), data (readable for
 * OUT, writable for IN), and a status byte, the chain's last writable
 * byte. Everything the device learns from the guest is checked before use:
 * header size, the status byte's presence, data length (whole sectors),
 * the sector range against the capacity (no overflow). A chain too
 * malformed to answer (no header or no status byte) puts the device in
 * NEEDS_RESET; any other bad request is answered with IOERR or UNSUPP.
 *
 * I/O: IN/OUT/FLUSH are Linux AIO (libaio) requests submitted in batches
 * from the I/O thread; completions arrive on an eventfd that the I/O thread
 * also watches, and then the status byte is written, last, and the chain
 * pushed. Buffered files make io_submit() itself do the copy (the kernel
 * has no async buffered path for libaio), so for real concurrency use
 * `direct`. If io_setup() fails (aio-max-nr exhausted) the same requests
 * run synchronously with preadv/pwritev/fdatasync. DISCARD and
 * WRITE_ZEROES are fallocate() calls, synchronous: they are rare and cheap.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "devices/virtio/blk.h"
#include "util/file.h"
#include "util/log.h"
#include "util/why.h"

#define SECTOR_SHIFT		9
#define SECTOR_SIZE		(1u << SECTOR_SHIFT)
#define BLK_SEG_MAX		(VIRTIO_BLK_QUEUE_SIZE - 2)
#define BLK_CHAIN_MAX		(BLK_SEG_MAX + 2)	/* + header + status */
#define BLK_SIZE_MAX		(1u << 20)
#define BLK_DISCARD_SEG_MAX	32
#define BLK_DISCARD_SECTORS	(1u << 22)		/* 2 GiB per range */
#define BLK_DISCARD_ALIGN	8			/* sectors: 4 KiB */
#define BLK_RESET_WAIT_MS	5000	/* a reset waits this long for the disk */

struct blk_req {
	struct iocb iocb;
	struct virtq *vq;
	u8 *status;
	u32 used_len;		/* reported on success */
	u64 expect;		/* bytes the host I/O must move */
	struct blk_req *next;	/* free list */
	bool stale;		/* in flight across a reset: its completion is dropped */
	struct virtq_chain chain;
	struct iovec iov[BLK_CHAIN_MAX];
};

struct virtio_blk {
	struct virtio_dev *dev;
	char path[PATH_MAX];
	int fd;
	int fd_direct;		/* O_DIRECT, or -1 */
	u32 direct_align;	/* what O_DIRECT needs of offset, length, address */
	bool ro;
	bool is_bdev;
	u64 sectors;
	char serial[VIRTIO_BLK_SERIAL_MAX];
	struct virtio_blk_config config;	/* little-endian, as the guest sees it */

	io_context_t aio;	/* NULL: synchronous fallback */
	int aio_efd;
	unsigned int inflight;
	unsigned int stale;	/* of inflight: given up on by a reset */
	struct iocb *batch[VIRTIO_BLK_QUEUE_SIZE];
	unsigned int nr_batch;
	bool pushed;		/* something went to the used ring: notify */
	bool starved;		/* ran out of requests: rerun after completions */
	/*
	 * Kicks stay off while requests are in flight: each completion looks
	 * at the ring instead, which saves the guest an exit per request. Not
	 * while a FLUSH is in flight, which can take long enough to delay new
	 * requests noticeably.
	 */
	bool polling;
	unsigned int flushes;	/* FLUSHes queued or in flight */
	/*
	 * After a completion, how long to watch the ring for the driver's next
	 * request before sleeping, kicks off meanwhile: caught now rather than
	 * at the next completion or by a kick (a vcpu exit plus waking this
	 * thread). Doubles when that pays, halves when not: a driver that never
	 * refills that fast costs about a microsecond per completion batch.
	 */
	u32 poll_ns;
	u64 done_ns;		/* when the last completion pass (and its watch) ended */
	u64 watched_ns;		/* how long that watch lasted */
	bool reaping;		/* queue_notify runs from the completion path */

	struct blk_req *reqs;
	struct blk_req *free;
};

/* ---- options ---- */

int virtio_blk_parse_opts(const char *arg, struct virtio_blk_opts *o,
			  const char **why)
{
	const char *p = strchr(arg, ','), *end;
	size_t n = p ? (size_t)(p - arg) : strlen(arg);

	memset(o, 0, sizeof(*o));
	if (!n)
		return why_fail(why, -EINVAL, "disk: no path given");
	if (n >= sizeof(o->path))
		return why_fail(why, -EINVAL, "disk: path too long");
	memcpy(o->path, arg, n);

	for (; p; p = end) {
		const char *opt = p + 1;
		size_t len;

		end = strchr(opt, ',');
		len = end ? (size_t)(end - opt) : strlen(opt);
		if (len == 2 && !strncmp(opt, "ro", 2)) {
			o->ro = true;
		} else if (len == 6 && !strncmp(opt, "direct", 6)) {
			o->direct = true;
		} else if (len >= 7 && !strncmp(opt, "serial=", 7)) {
			if (len - 7 > VIRTIO_BLK_SERIAL_MAX)
				return why_fail(why, -EINVAL,
						"disk: serial longer than %d characters",
						VIRTIO_BLK_SERIAL_MAX);
			memcpy(o->serial, opt + 7, len - 7);
			o->serial[len - 7] = '\0';
		} else {
			return why_fail(why, -EINVAL, "disk: unknown option '%.*s'"
					" (expected ro, direct, serial=ID)", (int)len, opt);
		}
	}
	return 0;
}

/* ---- completion ---- */

static void blk_complete(struct virtio_blk *b, struct blk_req *req, u8 status,
			 u32 used_len)
{
	/* The status byte is the last thing written, before the push publishes it. */
	__atomic_store_n(req->status, status, __ATOMIC_RELAXED);
	virtq_push(req->vq, req->chain.head, used_len);
	b->pushed = true;
	req->next = b->free;
	b->free = req;
}

static void blk_finish(struct virtio_blk *b, struct blk_req *req, long res)
{
	if (res >= 0 && (u64)res == req->expect)
		blk_complete(b, req, VIRTIO_BLK_S_OK, req->used_len);
	else
		blk_complete(b, req, VIRTIO_BLK_S_IOERR, 1);
}

static void blk_notify(struct virtio_blk *b)
{
	if (b->pushed) {
		b->pushed = false;
		virtio_notify_used(b->dev, &b->dev->vqs[0]);
	}
}

/* ---- request handling ---- */

static bool blk_range_ok(const struct virtio_blk *b, u64 sector, u64 nsectors)
{
	return sector <= b->sectors && nsectors <= b->sectors - sector;
}

static bool blk_aligned(const struct virtio_blk *b, const struct iovec *iov,
			unsigned int nr, u64 off)
{
	u64 a = b->direct_align - 1;

	if (off & a)
		return false;
	for (unsigned int i = 0; i < nr; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & a)
			return false;
	return true;
}

/* Drop @bytes from the front of iov[0, *nr): returns the new start. */
static struct iovec *iov_skip(struct iovec *iov, unsigned int *nr, u64 bytes)
{
	while (*nr && bytes >= iov->iov_len) {
		bytes -= iov->iov_len;
		iov++;
		(*nr)--;
	}
	if (*nr && bytes) {
		iov->iov_base = (u8 *)iov->iov_base + bytes;
		iov->iov_len -= bytes;
	}
	return iov;
}

static void blk_submit_batch(struct virtio_blk *b)
{
	unsigned int done = 0;

	while (done < b->nr_batch) {
		int r = io_submit(b->aio, b->nr_batch - done, &b->batch[done]);

		if (r > 0) {
			done += r;
			b->inflight += r;
			continue;
		}
		/* The first one failed: answer it here and go on with the rest. */
		struct iocb *cb = b->batch[done++];
		struct blk_req *req = cb->data;

		if (cb->aio_lio_opcode == IO_CMD_FDSYNC)
			b->flushes--;

		if (r == -EINVAL && cb->aio_lio_opcode == IO_CMD_FDSYNC)
			/* A file system without aio fsync: do it synchronously. */
			blk_finish(b, req, fdatasync(cb->aio_fildes) < 0 ? -errno : 0);
		else
			blk_complete(b, req, VIRTIO_BLK_S_IOERR, 1);
	}
	b->nr_batch = 0;
}

static long blk_sync_io(int fd, bool write, struct iovec *iov, unsigned int nr,
			u64 off)
{
	ssize_t r = write ? pwritev(fd, iov, nr, off) : preadv(fd, iov, nr, off);

	return r < 0 ? -errno : r;
}

static void blk_rw(struct virtio_blk *b, struct blk_req *req, bool write,
		   struct iovec *iov, unsigned int nr, u64 off)
{
	int fd = b->fd;

	if (b->fd_direct >= 0 && blk_aligned(b, iov, nr, off))
		fd = b->fd_direct;
	if (!b->aio) {
		blk_finish(b, req, blk_sync_io(fd, write, iov, nr, off));
		return;
	}
	if (write)
		io_prep_pwritev(&req->iocb, fd, iov, nr, off);
	else
		io_prep_preadv(&req->iocb, fd, iov, nr, off);
	io_set_eventfd(&req->iocb, b->aio_efd);
	req->iocb.data = req;
	b->batch[b->nr_batch++] = &req->iocb;
	if (b->nr_batch == ARRAY_SIZE(b->batch))
		blk_submit_batch(b);
}

static void blk_flush(struct virtio_blk *b, struct blk_req *req)
{
	req->expect = 0;
	if (b->ro) {
		blk_complete(b, req, VIRTIO_BLK_S_OK, 1);
		return;
	}
	if (!b->aio) {
		blk_finish(b, req, fdatasync(b->fd) < 0 ? -errno : 0);
		return;
	}
	io_prep_fdsync(&req->iocb, b->fd);
	io_set_eventfd(&req->iocb, b->aio_efd);
	req->iocb.data = req;
	b->flushes++;
	b->batch[b->nr_batch++] = &req->iocb;
	if (b->nr_batch == ARRAY_SIZE(b->batch))
		blk_submit_batch(b);
}

static int blk_zero_fill(int fd, u64 off, u64 len)
{
	static const u8 zeroes[64 * 1024];

	while (len) {
		ssize_t r = pwrite(fd, zeroes, MIN(len, sizeof(zeroes)), off);

		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		off += r;
		len -= r;
	}
	return 0;
}

/* One DISCARD or WRITE_ZEROES range; 0 or a VIRTIO_BLK_S_* status. */
static u8 blk_discard_one(struct virtio_blk *b, bool zeroes, u64 sector,
			  u32 nsectors, u32 flags)
{
	u64 off = sector << SECTOR_SHIFT, len = (u64)nsectors << SECTOR_SHIFT;
	int mode;

	/* 5.2.6.2: unknown flags, or unmap on DISCARD, are unsupported. */
	if (flags & ~(zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0))
		return VIRTIO_BLK_S_UNSUPP;
	if (!blk_range_ok(b, sector, nsectors))
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;

	if (!zeroes) {
		/* Discard is a hint: a file system that cannot punch holes is fine. */
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0 &&
		    errno != EOPNOTSUPP)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	}
	mode = (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ?
	       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
	       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	if (!fallocate(b->fd, mode, off, len))
		return VIRTIO_BLK_S_OK;
	if (errno != EOPNOTSUPP)
		return VIRTIO_BLK_S_IOERR;
	/* Either way the range must read back as zeroes. */
	if (!fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return VIRTIO_BLK_S_OK;
	return blk_zero_fill(b->fd, off, len) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static u8 blk_discard(struct virtio_blk *b, struct blk_req *req, u32 type)
{
	struct virtq_chain *c = &req->chain;
	bool zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;
	u64 feature = zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;
	u64 len = c->out_len - sizeof(struct virtio_blk_outhdr);
	u8 status = VIRTIO_BLK_S_OK;

	if (!(virtio_dev_features(b->dev) & (1ULL << feature)))
		return VIRTIO_BLK_S_UNSUPP;
	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!len || len % sizeof(struct virtio_blk_discard_write_zeroes) ||
	    len / sizeof(struct virtio_blk_discard_write_zeroes) > BLK_DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;

	for (u64 off = 0; off < len && status == VIRTIO_BLK_S_OK;
	     off += sizeof(struct virtio_blk_discard_write_zeroes)) {
		struct virtio_blk_discard_write_zeroes r;

		iov_to_buf(c->iov, c->nr_out, sizeof(struct virtio_blk_outhdr) + off,
			   &r, sizeof(r));
		if (le32toh(r.num_sectors) > BLK_DISCARD_SECTORS)
			return VIRTIO_BLK_S_IOERR;
		status = blk_discard_one(b, zeroes, le64toh(r.sector),
					 le32toh(r.num_sectors), le32toh(r.flags));
	}
	return status;
}

static void blk_handle(struct virtio_blk *b, struct blk_req *req)
{
	struct virtq_chain *c = &req->chain;
	struct virtio_blk_outhdr hdr;
	struct iovec *data, *last;
	unsigned int nr;
	u64 sector, len;
	u32 type;
	size_t n;

	/* 5.2.6: a header we can read and a status byte we can write. */
	if (c->out_len < sizeof(hdr) || c->in_len < 1) {
		req->next = b->free;
		b->free = req;
		virtq_set_broken(req->vq, "blk request without header or status byte");
		return;
	}
	iov_to_buf(c->iov, c->nr_out, 0, &hdr, sizeof(hdr));
	type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);

	/* The status byte: the last writable byte, cut off the data. */
	last = &c->iov[c->nr - 1];
	req->status = (u8 *)last->iov_base + last->iov_len - 1;
	if (!--last->iov_len)
		c->nr--;
	len = 0;

	switch (type) {
	case VIRTIO_BLK_T_IN:
		data = &c->iov[c->nr_out];
		nr = c->nr - c->nr_out;
		len = c->in_len - 1;
		break;
	case VIRTIO_BLK_T_OUT:
		nr = c->nr_out;
		data = iov_skip(c->iov, &nr, sizeof(hdr));
		len = c->out_len - sizeof(hdr);
		break;
	case VIRTIO_BLK_T_FLUSH:
		blk_flush(b, req);
		return;
	case VIRTIO_BLK_T_GET_ID:
		n = iov_from_buf(&c->iov[c->nr_out], c->nr - c->nr_out, 0, b->serial,
				 MIN(sizeof(b->serial), c->in_len - 1));
		blk_complete(b, req, VIRTIO_BLK_S_OK, n + 1);
		return;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		blk_complete(b, req, blk_discard(b, req, type), 1);
		return;
	default:
		blk_complete(b, req, VIRTIO_BLK_S_UNSUPP, 1);
		return;
	}

	/* IN or OUT. */
	if (type == VIRTIO_BLK_T_OUT && b->ro) {
		blk_complete(b, req, VIRTIO_BLK_S_IOERR, 1);
		return;
	}
	if ((len & (SECTOR_SIZE - 1)) || !blk_range_ok(b, sector, len >> SECTOR_SHIFT)) {
		blk_complete(b, req, VIRTIO_BLK_S_IOERR, 1);
		return;
	}
	req->expect = len;
	req->used_len = type == VIRTIO_BLK_T_IN ? len + 1 : 1;
	if (!len) {
		blk_complete(b, req, VIRTIO_BLK_S_OK, req->used_len);
		return;
	}
	blk_rw(b, req, type == VIRTIO_BLK_T_OUT, data, nr, sector << SECTOR_SHIFT);
}

/* Take every available chain; false when we must stop (starved, broken). */
static bool blk_pop_all(struct virtio_blk *b, struct virtq *vq)
{
	struct blk_req *req;
	int r;

	for (;;) {
		req = b->free;
		if (!req) {
			/* More chains than requests: a completion reruns us. */
			b->starved = true;
			return false;
		}
		b->free = req->next;
		req->vq = vq;
		req->chain.cap = BLK_CHAIN_MAX;
		req->chain.iov = req->iov;
		r = virtq_pop(vq, &req->chain);
		if (r <= 0) {
			req->next = b->free;
			b->free = req;
			return r == 0;
		}
		blk_handle(b, req);
		if (vq->broken)
			return false;
	}
}

#define BLK_POLL_MAX_NS		32000
#define BLK_POLL_MIN_NS		1000
#define BLK_POLL_GROW_NS	(4 * BLK_POLL_MAX_NS)	/* kicks later than this: no watch */

static u64 blk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void blk_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_blk *b = opaque;

	/*
	 * A kick soon after the last completions: the driver's turnaround was
	 * the watch plus the time since (wake-up latency included). Watch
	 * twice that next time, up to the maximum.
	 */
	if (!b->reaping && !b->inflight) {
		u64 turnaround = b->watched_ns + blk_now_ns() - b->done_ns;

		if (turnaround < BLK_POLL_GROW_NS)
			b->poll_ns = MIN(MAX(b->poll_ns, 2 * turnaround + BLK_POLL_MIN_NS),
					 BLK_POLL_MAX_NS);
	}
again:
	for (;;) {
		virtq_disable_notify(vq);
		if (!blk_pop_all(b, vq))
			break;
		if (b->nr_batch)
			blk_submit_batch(b);
		/* Busy: the next completion looks again, kicks stay off. */
		b->polling = b->inflight && !b->flushes;
		if (b->polling || !virtq_enable_notify(vq))
			break;
	}
	if (b->nr_batch)
		blk_submit_batch(b);
	/* Starved, but every submission failed and was answered: no completion will rerun us. */
	if (b->starved && b->free && !b->inflight) {
		b->starved = false;
		goto again;
	}
	blk_notify(b);
}

/* The kernel's aio completion ring, mapped where io_context_t points (fs/aio.c). */
struct blk_aio_ring {
	unsigned int id, nr, head, tail, magic;
};
#define BLK_AIO_RING_MAGIC	0xa10a10a1

/* Completions are waiting to be reaped (read without a system call). */
static bool blk_aio_pending(const struct virtio_blk *b)
{
	const struct blk_aio_ring *r = (const void *)b->aio;

	return r && __atomic_load_n(&r->magic, __ATOMIC_RELAXED) == BLK_AIO_RING_MAGIC &&
	       __atomic_load_n(&r->head, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

/*
 * Watch the ring for up to poll_ns: true if the driver made a request. A
 * completion ends the watch too (it would wait for it), without counting
 * as a miss.
 */
static bool blk_poll_avail(struct virtio_blk *b, struct virtq *vq)
{
	u64 end = blk_now_ns() + b->poll_ns;

	while (!virtq_has_avail(vq)) {
		if (blk_aio_pending(b))
			return false;
		if (blk_now_ns() >= end) {
			b->poll_ns /= 2;
			return false;
		}
	}
	b->poll_ns = MIN(b->poll_ns * 2 + BLK_POLL_MIN_NS, BLK_POLL_MAX_NS);
	return true;
}

/* A request a reset gave up on has completed: its ring is gone, drop it. */
static void blk_req_drop_stale(struct virtio_blk *b, struct blk_req *req)
{
	req->stale = false;
	b->stale--;
	req->next = b->free;
	b->free = req;
}

/* The aio eventfd is readable: reap what completed. */
static void blk_aio_done(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct timespec zero = { 0, 0 };
	struct io_event ev[64];
	bool reaped = false;
	u64 cnt;
	int n;

	if (read(b->aio_efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: already reaped */
	}
	do {
		n = io_getevents(b->aio, 0, ARRAY_SIZE(ev), ev, &zero);
		for (int i = 0; i < n; i++) {
			struct blk_req *req = ev[i].data;

			b->inflight--;
			if (ev[i].obj->aio_lio_opcode == IO_CMD_FDSYNC)
				b->flushes--;
			if (req->stale) {
				blk_req_drop_stale(b, req);
				continue;
			}
			blk_finish(b, req, (long)ev[i].res);
			reaped = true;
		}
	} while (n == ARRAY_SIZE(ev));
	if (b->starved || b->polling || reaped) {
		struct virtq *vq = &b->dev->vqs[0];
		bool found = virtq_has_avail(vq);

		b->starved = false;
		b->reaping = true;
		/* Takes what is there and sends the completions' interrupt. */
		virtio_dev_process(b->dev, vq->index);
		/* Requests came between completions: worth watching for. */
		if (found && b->poll_ns < BLK_POLL_MIN_NS)
			b->poll_ns = BLK_POLL_MIN_NS;
		b->watched_ns = 0;
		if (b->poll_ns >= BLK_POLL_MIN_NS / 2 && !virtq_has_avail(vq) && !vq->paused &&
		    virtio_dev_live(b->dev)) {
			u64 t0 = blk_now_ns();

			virtq_suppress_notify(vq);
			blk_poll_avail(b, vq);
			b->watched_ns = blk_now_ns() - t0;
			/* Takes what came, and turns kicks back on if idle. */
			virtio_dev_process(b->dev, vq->index);
		}
		b->reaping = false;
		b->done_ns = blk_now_ns();
	}
	blk_notify(b);		/* what no pass above notified yet */
}

/* ---- virtio_dev_ops ---- */

static u64 blk_features(void *opaque)
{
	struct virtio_blk *b = opaque;
	u64 f = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		(1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		(1ULL << VIRTIO_BLK_F_MQ);

	if (b->ro)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static void blk_config_read(void *opaque, u32 offset, u8 *data, u32 len)
{
	struct virtio_blk *b = opaque;

	memcpy(data, (u8 *)&b->config + offset, len);
}

/*
 * Wait for everything in flight and drop it: the rings are going away. A
 * disk that does not answer (a hung NFS server, a dying device) must not
 * hold the guest's reset, nor vmm's stop, for ever: after
 * BLK_RESET_WAIT_MS what is left is marked stale and dropped when it
 * completes, as a real controller's reset abandons its commands (their
 * buffers are still the guest's memory, which outlives the device).
 */
static void blk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct io_event ev[64];
	struct timespec wait = { 0, 50 * 1000000L };
	u64 end = blk_now_ns() + BLK_RESET_WAIT_MS * 1000000ULL;

	while (b->inflight > b->stale && blk_now_ns() < end) {
		int n = io_getevents(b->aio, 1, MIN(b->inflight, ARRAY_SIZE(ev)), ev, &wait);

		if (n < 0 && n != -EINTR)
			break;		/* cannot happen with a valid context */
		for (int i = 0; i < n; i++) {
			struct blk_req *req = ev[i].data;

			b->inflight--;
			if (ev[i].obj->aio_lio_opcode == IO_CMD_FDSYNC)
				b->flushes--;
			if (req->stale) {
				blk_req_drop_stale(b, req);
			} else {
				req->next = b->free;
				b->free = req;
			}
		}
	}
	if (b->inflight > b->stale) {
		bool is_free[VIRTIO_BLK_QUEUE_SIZE] = { false };

		for (struct blk_req *r = b->free; r; r = r->next)
			is_free[r - b->reqs] = true;
		for (unsigned int i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++) {
			if (!is_free[i] && !b->reqs[i].stale) {
				b->reqs[i].stale = true;
				b->stale++;
			}
		}
		log_ratelimited(log_warn, "virtio-blk %s: %u requests still in flight %u ms into a reset; reset without them",
				b->path, b->inflight, BLK_RESET_WAIT_MS);
	}
	b->nr_batch = 0;
	b->pushed = false;
	b->starved = false;
	b->polling = false;
}

static int blk_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_blk *b = opaque;

	if (b->dev)
		return -EBUSY;
	b->dev = dev;
	if (b->aio)
		return virtio_dev_watch(dev, b->aio_efd, blk_aio_done, b);
	return 0;
}

const struct virtio_dev_ops virtio_blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = blk_features,
	.config_size = offsetof(struct virtio_blk_config, max_secure_erase_sectors),
	.config_read = blk_config_read,
	.nr_queues = 1,
	.max_queue_size = VIRTIO_BLK_QUEUE_SIZE,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.attach = blk_attach,
};

/* ---- open ---- */

static int blk_lock(struct virtio_blk *b, const char **why)
{
	struct flock fl = {
		.l_type = b->ro ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	/* OFD locks: per open file, so they also guard against ourselves. */
	if (!fcntl(b->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return why_fail(why, -EBUSY, "%s: locked by another process (%s)", b->path,
				b->ro ? "open read-write elsewhere" : "already in use");
	if (errno != EINVAL)
		return why_fail(why, -errno, "%s: cannot lock: %s", b->path, strerror(errno));
	/* No OFD locks (old kernel): flock has the same per-open semantics. */
	if (!flock(b->fd, (b->ro ? LOCK_SH : LOCK_EX) | LOCK_NB))
		return 0;
	if (errno == EWOULDBLOCK)
		return why_fail(why, -EBUSY, "%s: locked by another process", b->path);
	return why_fail(why, -errno, "%s: cannot lock: %s", b->path, strerror(errno));
}

/* file_reopen() goes through /proc/self/fd, which a bare initramfs may lack. */
static const char *reopen_hint(int err)
{
	return err == -ENOENT ? " (it is reopened through /proc/self/fd: is /proc mounted?)" : "";
}

/*
 * The type is checked before anything can block or act on the file (see
 * file_open_checked()). A block device written by the guest is claimed
 * exclusively (O_EXCL: a mounted partition, or one another exclusive user
 * holds, is refused with EBUSY). Everything after the first open goes
 * through that fd, so the file locked, sized and used is one and the same.
 */
static int blk_open(struct virtio_blk *b, const struct virtio_blk_opts *o,
		    const char **why)
{
	int flags = o->ro ? O_RDONLY : O_RDWR;
	struct stat st;
	u64 size;
	int r;

	r = file_open_checked(o->path, flags, true, &st);
	if (r == -EINVAL)
		return why_fail(why, r, "%s: is %s, not a regular file or block device",
				o->path, file_type_name(st.st_mode));
	if (r < 0)
		return why_fail(why, r, "%s: %s", o->path, strerror(-r));
	b->fd = r;
	if (S_ISBLK(st.st_mode)) {
		b->is_bdev = true;
		if (!o->ro) {
			r = file_reopen(b->fd, flags | O_EXCL);
			if (r == -EBUSY)
				return why_fail(why, r, "%s: in use (mounted, or claimed by"
						" another program)", o->path);
			if (r < 0)
				return why_fail(why, r, "%s: cannot claim it (O_EXCL): %s%s",
						o->path, strerror(-r), reopen_hint(r));
			close(b->fd);
			b->fd = r;
		}
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			return why_fail(why, -errno, "%s: BLKGETSIZE64: %s", o->path,
					strerror(errno));
	} else {
		size = st.st_size;
	}
	r = blk_lock(b, why);
	if (r < 0)
		return r;
	if (size < SECTOR_SIZE)
		return why_fail(why, -EINVAL, "%s: %llu bytes, smaller than one %u-byte sector",
				o->path, (unsigned long long)size, SECTOR_SIZE);
	if (size % SECTOR_SIZE)
		log_warn("disk %s: the last %llu bytes are not a whole %u-byte sector: "
			 "the guest does not see them", o->path,
			 (unsigned long long)(size % SECTOR_SIZE), SECTOR_SIZE);
	b->sectors = size >> SECTOR_SHIFT;

	if (o->direct) {
		int bsz = 0;

		b->fd_direct = file_reopen(b->fd, flags | O_DIRECT);
		if (b->fd_direct < 0)
			return why_fail(why, b->fd_direct, "%s: cannot open with O_DIRECT: %s%s",
					o->path, strerror(-b->fd_direct),
					b->fd_direct == -EINVAL ?
					" (the file system may not support direct I/O)" :
					reopen_hint(b->fd_direct));
		/* What O_DIRECT needs; a file: assume the page size, always enough. */
		if (b->is_bdev && !ioctl(b->fd, BLKSSZGET, &bsz) && bsz > 0 &&
		    !(bsz & (bsz - 1)))
			b->direct_align = bsz;
		else
			b->direct_align = 4096;
	}
	return 0;
}

static void blk_fill_config(struct virtio_blk *b)
{
	struct virtio_blk_config *c = &b->config;
	int bsz = 0;

	c->capacity = htole64(b->sectors);
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	/* A block device's logical block size; files are 512-byte disks. */
	if (b->is_bdev && !ioctl(b->fd, BLKSSZGET, &bsz) && bsz >= (int)SECTOR_SIZE)
		c->blk_size = htole32(bsz);
	else
		c->blk_size = htole32(SECTOR_SIZE);
	c->num_queues = htole16(1);
	c->max_discard_sectors = htole32(BLK_DISCARD_SECTORS);
	c->max_discard_seg = htole32(BLK_DISCARD_SEG_MAX);
	c->discard_sector_alignment = htole32(BLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = htole32(BLK_DISCARD_SECTORS);
	c->max_write_zeroes_seg = htole32(BLK_DISCARD_SEG_MAX);
	c->write_zeroes_may_unmap = 1;
}

struct virtio_blk *virtio_blk_create(const struct virtio_blk_opts *o, int *err,
				     const char **why)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int r;

	if (!b) {
		*err = why_fail(why, -ENOMEM, "out of memory");
		return NULL;
	}
	b->fd = b->fd_direct = b->aio_efd = -1;
	b->ro = o->ro;
	snprintf(b->path, sizeof(b->path), "%s", o->path);
	memcpy(b->serial, o->serial, strnlen(o->serial, sizeof(b->serial)));

	r = blk_open(b, o, why);
	if (r < 0)
		goto fail;
	blk_fill_config(b);

	b->reqs = calloc(VIRTIO_BLK_QUEUE_SIZE, sizeof(*b->reqs));
	if (!b->reqs) {
		r = why_fail(why, -ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = VIRTIO_BLK_QUEUE_SIZE - 1; i >= 0; i--) {
		b->reqs[i].next = b->free;
		b->free = &b->reqs[i];
	}

	/* No aio context (fs.aio-max-nr used up) is slower, not fatal. */
	b->aio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->aio_efd < 0 || io_setup(VIRTIO_BLK_QUEUE_SIZE, &b->aio) < 0)
		b->aio = NULL;
	return b;

fail:
	virtio_blk_destroy(b);
	*err = r;
	return NULL;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	if (b->aio) {
		blk_reset(b);
		io_destroy(b->aio);
	}
	if (b->aio_efd >= 0)
		close(b->aio_efd);
	if (b->fd_direct >= 0)
		close(b->fd_direct);
	if (b->fd >= 0)
		close(b->fd);
	free(b->reqs);
	free(b);
}

u64 virtio_blk_sectors(const struct virtio_blk *b)
{
	return b->sectors;
}
