/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_VIRTIO_H
#define VMM_DEVICES_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "devices/virtio/virtqueue.h"
#include "util/types.h"

/*
 * The virtio device core: what every modern (1.x) device has whatever its
 * transport. A backend (blk, rng, ...) fills struct virtio_dev_ops; a
 * transport (mmio, pci) embeds a struct virtio_dev, maps its registers onto
 * the calls below, and delivers the interrupts the core asks for. A backend
 * includes this header only, never a transport's.
 *
 * Threads: each device has one I/O thread. It waits with epoll on the
 * queues' notify eventfds (signalled by KVM through ioeventfd, or by the
 * transport when a QueueNotify write traps) and on any fd the backend
 * watches (e.g. libaio completions), and calls the backend from there. So
 * no device work runs on a vcpu thread on the hot path.
 *
 * Locking: dev->lock guards everything but @isr. The I/O thread holds it
 * around every backend callback; transports hold it around register
 * accesses (functions marked "locked" below expect it held). A backend
 * therefore needs no lock of its own, and its reset() runs with no queue
 * callback in progress.
 */

struct vm;
struct virtio_dev;

/* Interrupt causes (the mmio InterruptStatus bits, the pci ISR bits). */
#define VIRTIO_ISR_VQ		0x1
#define VIRTIO_ISR_CONFIG	0x2

struct virtio_dev_ops {
	const char *name;		/* "blk": for thread names and messages */
	u32 device_id;			/* VIRTIO_ID_BLOCK ... (linux/virtio_ids.h) */
	/* Device feature bits; the core adds VERSION_1, INDIRECT_DESC, EVENT_IDX. */
	u64 (*features)(void *opaque);
	/* FEATURES_OK: the negotiated set; < 0 refuses it. May be NULL. */
	int (*set_features)(void *opaque, u64 features);
	u32 config_size;
	/* Called with offset + len <= config_size already checked. */
	void (*config_read)(void *opaque, u32 offset, u8 *data, u32 len);
	void (*config_write)(void *opaque, u32 offset, const u8 *data, u32 len);
	unsigned int nr_queues;
	u16 max_queue_size;		/* a power of 2 */
	/* The driver made buffers available: on the I/O thread, lock held. */
	void (*queue_notify)(void *opaque, struct virtq *vq);
	/*
	 * Device reset (status 0): forget every request; ones in flight on the
	 * host must be finished or cancelled before returning, and are never
	 * pushed. Lock held, on whatever thread wrote the status.
	 */
	void (*reset)(void *opaque);
	/* Once, before the I/O thread starts: keep @dev, watch fds. May be NULL. */
	int (*attach)(void *opaque, struct virtio_dev *dev);
	/* virtio_dev_dump(): the backend's own state, lines of "  key=value". May be NULL. */
	void (*dump)(void *opaque, FILE *f);
};

struct virtio_watch {
	int fd;
	void (*fn)(void *arg);
	void *arg;
};

#define VIRTIO_MAX_QUEUES	16
#define VIRTIO_MAX_WATCHES	4

struct virtio_dev {
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *opaque;
	pthread_mutex_t lock;

	u8 status;
	u64 host_features;
	u64 guest_features;
	u32 config_generation;
	_Atomic u32 isr;		/* pending VIRTIO_ISR_* bits */
	unsigned int nr_errors;		/* for rate-limiting the log */
	/* Per queue, for virtio_dev_dump() (lock held): kick wake-ups, interrupts raised or not. */
	u64 nr_kicks[VIRTIO_MAX_QUEUES];
	u64 nr_irqs[VIRTIO_MAX_QUEUES];
	u64 nr_irqs_suppressed[VIRTIO_MAX_QUEUES];

	struct virtq vqs[VIRTIO_MAX_QUEUES];
	int notify_fd[VIRTIO_MAX_QUEUES];	/* eventfds, one per queue */

	/*
	 * The transport's interrupt: raise @isr bits (already set in dev->isr)
	 * for used buffers on @queue, or a config change (@queue -1).
	 */
	void (*interrupt)(void *transport, u32 isr, int queue);
	void *transport;

	int epoll_fd;
	int stop_fd;
	struct virtio_watch watches[VIRTIO_MAX_WATCHES];
	unsigned int nr_watches;
	pthread_t thread;
	bool thread_started;
};

/*
 * For transports. init: queues, eventfds, ops->attach(), then the I/O
 * thread. exit: stop and join the thread, close the fds (the backend
 * itself is its owner's to destroy, afterwards).
 */
int virtio_dev_init(struct virtio_dev *dev, struct vm *vm,
		    const struct virtio_dev_ops *ops, void *opaque,
		    void (*interrupt)(void *transport, u32 isr, int queue),
		    void *transport);
void virtio_dev_exit(struct virtio_dev *dev);

/* Register-level operations for transports; all "locked". */
u32 virtio_dev_host_features(struct virtio_dev *dev, u32 sel);
void virtio_dev_set_guest_features(struct virtio_dev *dev, u32 sel, u32 val);
/* Status writes: 0 resets; bits out of order or refused are dropped. */
void virtio_dev_set_status(struct virtio_dev *dev, u8 status);
void virtio_dev_reset(struct virtio_dev *dev);
/* Out-of-range accesses read as zeroes and are dropped. */
void virtio_dev_config_read(struct virtio_dev *dev, u32 offset, u8 *data, u32 len);
void virtio_dev_config_write(struct virtio_dev *dev, u32 offset, const u8 *data, u32 len);
/* The queue a register write refers to, or NULL (out of range). */
struct virtq *virtio_dev_queue(struct virtio_dev *dev, u32 index);
/* QueueReady 1/0. A ring outside RAM puts the device in NEEDS_RESET. */
void virtio_dev_queue_ready(struct virtio_dev *dev, u32 index, bool ready);
/*
 * Stop (true) or allow (false) taking new buffers from any queue: PCI's
 * Bus Master Enable. Requests already taken complete. "locked".
 */
void virtio_dev_set_paused(struct virtio_dev *dev, bool paused);
/* A trapped notify: hand it to the I/O thread. Any thread, no lock needed. */
void virtio_dev_kick(struct virtio_dev *dev, u32 index);

/*
 * For backends (on the I/O thread, lock held): after pushing used buffers,
 * interrupt the driver if it wants one; or announce a config change.
 */
void virtio_notify_used(struct virtio_dev *dev, struct virtq *vq);
void virtio_notify_config(struct virtio_dev *dev);
/*
 * Serve queue @q now, as a kick would: only while the device is live
 * (DRIVER_OK, not FAILED or NEEDS_RESET), and a queue found malformed puts
 * the device in NEEDS_RESET. For backends that look at a queue on their
 * own (e.g. after completions).
 */
void virtio_dev_process(struct virtio_dev *dev, unsigned int q);
/* DRIVER_OK and neither NEEDS_RESET nor FAILED: the device may touch its queues. */
bool virtio_dev_live(const struct virtio_dev *dev);
/* Give up on the device until the driver resets it (DEVICE_NEEDS_RESET). */
void virtio_dev_needs_reset(struct virtio_dev *dev, const char *why);
/* Call @fn (lock held, on the I/O thread) when @fd is readable. From attach(). */
int virtio_dev_watch(struct virtio_dev *dev, int fd, void (*fn)(void *arg), void *arg);
/* Stop (false) or resume (true) watching a watched @fd. Lock held. */
int virtio_dev_watch_enable(struct virtio_dev *dev, int fd, bool on);
/*
 * For a stall report (at --timeout, on request): status, features, pending
 * ISR bits, then per queue virtq_dump() with its kick and interrupt counts,
 * then the backend's lines. Any thread. Takes the device lock for up to
 * 200 ms; a lock held longer (a stuck I/O thread) is said, and the state is
 * read without it.
 */
void virtio_dev_dump(struct virtio_dev *dev, FILE *f);

/* A device's counters, summed over its queues (the control API). */
struct virtio_dev_counters {
	u64 kicks;		/* I/O thread wake-ups for a queue notify */
	u64 irqs;		/* used-buffer interrupts raised */
	u64 irqs_suppressed;	/* ...and not raised (EVENT_IDX, NO_INTERRUPT) */
	unsigned int needs_reset;	/* times the driver broke it (virtio_dev_needs_reset) */
};

/* Any thread, while the device exists; waits at most 100 ms for its lock. */
void virtio_dev_counters(struct virtio_dev *dev, struct virtio_dev_counters *out);
/* The negotiated features (valid from FEATURES_OK). */
static inline u64 virtio_dev_features(const struct virtio_dev *dev)
{
	return dev->guest_features;
}

#endif
