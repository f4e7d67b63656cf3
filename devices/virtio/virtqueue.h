/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_VIRTQUEUE_H
#define VMM_DEVICES_VIRTIO_VIRTQUEUE_H

#include <stdio.h>
#include <sys/uio.h>

#include "util/types.h"

/*
 * The split virtqueue (virtio 1.x section 2.7), device side.
 *
 * Everything the driver hands us is hostile: ring addresses, descriptor
 * addresses and lengths go through gpa_to_hva(); chains are bounded (a
 * direct chain by the queue size, an indirect table by VIRTQ_INDIRECT_MAX),
 * so a loop ends as an error; order (readable before writable) is enforced.
 * A malformed chain or ring marks the queue broken: virtq_pop() then
 * returns -EIO until virtq_reset(), and the device core turns that into
 * DEVICE_NEEDS_RESET. Nothing a guest writes can make vmm crash.
 *
 * A virtq is not thread-safe: the device core serialises access with the
 * device lock.
 */

struct vm;
struct vring_desc;
struct vring_avail;
struct vring_used;

#define VIRTQ_MAX_SIZE		32768	/* 2.7: queue size limit of split rings */
#define VIRTQ_INDIRECT_MAX	1024	/* descriptors in one indirect table */

struct virtq {
	const struct vm *vm;
	u16 index;		/* queue number within its device */
	u16 max_size;		/* QueueNumMax */

	/* Set by the driver through the transport while not ready. */
	u32 size;		/* QueueNum: checked by virtq_enable() */
	u64 desc_gpa;
	u64 avail_gpa;
	u64 used_gpa;

	/* Negotiated ring features (virtq_set_features). */
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC */
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX */

	bool ready;		/* enabled: rings translated and checked */
	/*
	 * The device may not touch guest memory for new work (PCI Bus Master
	 * Enable clear): nothing pops, and kick suppression does not loop.
	 */
	bool paused;
	bool broken;		/* a malformation was seen; see @why */
	const char *why;	/* what was malformed, for the log */

	/* Host views of the rings, valid while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	u16 last_avail;		/* next avail entry we will consume */
	u16 avail_seen;		/* avail idx at the last virtq_pop() */
	u16 used_idx;		/* our copy of used->idx */
	u16 signalled_used;	/* used_idx at the last notify decision */
	bool signalled_valid;

	void *priv;		/* the device core's per-queue state */
};

/*
 * One popped descriptor chain: iov[0, nr_out) are device-readable,
 * iov[nr_out, nr) device-writable. Zero-length descriptors are dropped.
 * The owner points @iov at @cap entries; a chain needing more is malformed.
 */
struct virtq_chain {
	u16 head;		/* give this back to virtq_push() */
	u16 nr;
	u16 nr_out;
	u16 cap;
	u64 out_len;		/* total readable bytes */
	u64 in_len;		/* total writable bytes */
	struct iovec *iov;
};

/* Power-on state: not ready, size = @max_size, no addresses. */
void virtq_init(struct virtq *vq, const struct vm *vm, u16 index, u16 max_size);
/* Device reset: back to the power-on state (priv is kept). */
void virtq_reset(struct virtq *vq);
void virtq_set_features(struct virtq *vq, bool indirect, bool event_idx);

/*
 * QueueReady = 1: check size (a power of 2, <= max_size), ring alignment
 * (16/2/4) and that each ring lies in guest RAM. 0 or -EINVAL/-EFAULT
 * (queue stays not ready, @why says what).
 */
int virtq_enable(struct virtq *vq);
void virtq_disable(struct virtq *vq);

/*
 * Take the next available chain: 1 with @c filled, 0 if none (or the
 * queue is not ready), -errno if the ring or the chain is malformed (the
 * queue is then broken). A malformed head is consumed all the same.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* A device found a chain it cannot answer: same as a malformed ring. */
void virtq_set_broken(struct virtq *vq, const char *why);
/* Give back the last @n popped chains, unanswered: they pop again next time. */
void virtq_unpop(struct virtq *vq, u16 n);
/* Return a chain with @len bytes written into its writable part. */
void virtq_push(struct virtq *vq, u16 head, u32 len);
/*
 * After one or more pushes: does the driver want an interrupt now?
 * (2.7.7 / 2.7.10: VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX.)
 */
bool virtq_should_notify(struct virtq *vq);

/*
 * Kick suppression around a processing loop:
 *	do {
 *		virtq_disable_notify(vq);
 *		while (virtq_pop(vq, &c) > 0)
 *			...;
 *	} while (virtq_enable_notify(vq));
 * virtq_enable_notify() asks for a kick on the next buffer published after
 * now (avail_event = the avail idx it sees), and returns true if buffers
 * wait that were not popped: the driver will not kick for those, so a true
 * must never be ignored. A device that leaves buffers it cannot use yet
 * (net rx: too few for its frame) still gets a kick on the next one, and
 * asks virtq_avail_moved() whether more came since its last try.
 */
void virtq_disable_notify(struct virtq *vq);
/*
 * As virtq_disable_notify(), and with EVENT_IDX also the very next kick
 * (which a just-enabled avail_event still asks for): for a device that
 * watches the ring itself for a while. virtq_enable_notify() undoes it.
 */
void virtq_suppress_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);
/* Has the driver published buffers since the last virtq_pop() looked? */
bool virtq_avail_moved(const struct virtq *vq);
/* Has the driver made buffers available that were not popped yet? */
bool virtq_has_avail(const struct virtq *vq);

/*
 * One line of key=value pairs for a stall report: the indices on both sides
 * (waiting = avail idx - last_avail), avail_event/used_event or the flags,
 * and whether the driver's next buffer kicks and our next push interrupts
 * (next_kick, next_irq). Reads the rings; no lock needed to be safe, the
 * device lock to be exact. No newline: the caller may add to the line.
 */
void virtq_dump(const struct virtq *vq, FILE *f);

/* Helpers over a chain's iovecs. Return bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned int nr, size_t off,
		  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int nr, size_t off,
		    const void *buf, size_t len);

#endif
