/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FUZZ_VM_H
#define VMM_FUZZ_VM_H

/*
 * What the device fuzz targets share: a struct vm with one RAM region and
 * vm_fd = -1 (or fake_kvm's fd), kvm/vm.c's stop request without vcpus
 * (linking vm.c would pull in the vcpus and every machine), the split of an
 * input into parameters, ops and guest RAM, and a device core whose I/O
 * thread is replaced by direct calls.
 *
 * The I/O thread: virtio_dev_init() starts it; fuzz_dev_own() stops it at
 * once (nothing is queued yet), and fuzz_dev_pump() then runs what it
 * would, on the fuzzer's thread: the same epoll set, the same order
 * (drain the kick, then the backend under dev->lock), so every input runs
 * the same way. Keep fuzz_dev_pump() in step with virtio_dev_thread().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtio.h"
#include "kvm/kvm.h"
#include "util/log.h"

/* virtio.c's epoll tags: queue i is i, watch j is FUZZ_EV_WATCH + j. */
#define FUZZ_EV_WATCH	0x10000u
#define FUZZ_PUMP_ROUNDS	8

/* A hostile guest makes devices warn on most inputs; findings are not warnings. */
static FILE *fuzz_err;

static inline void fuzz_quiet(void)
{
	/*
	 * vmm's log goes through stdio's stderr; libFuzzer keeps its own
	 * FILE (taken at start-up) and the sanitizers write to fd 2, so
	 * only vmm's warnings go. FUZZ_VERBOSE=1 keeps them.
	 */
	fuzz_err = stderr;
	if (!getenv("FUZZ_VERBOSE")) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
}

/* An oracle failed: say which and crash, so libFuzzer keeps the input. */
#define fuzz_check(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(fuzz_err ? fuzz_err : stderr, __VA_ARGS__);	\
			fputc('\n', fuzz_err ? fuzz_err : stderr);	\
			abort();					\
		}							\
	} while (0)

static inline void fuzz_vm_init(struct vm *vm, u8 *ram, u64 size)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->sys_fd = vm->stop_fd = -1;
	vm->regions[0] = (struct mem_region){ .gpa = 0, .size = size, .hva = ram };
	vm->nr_regions = 1;
	vm->ram_size = size;
	bus_init(&vm->bus[BUS_PIO], "pio");
	bus_init(&vm->bus[BUS_MMIO], "mmio");
}

static inline void fuzz_vm_free(struct vm *vm)
{
	bus_free(&vm->bus[BUS_PIO]);
	bus_free(&vm->bus[BUS_MMIO]);
}

/* ---- kvm/vm.c's stop request, without vcpus to kick ---- */

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	int expected = VM_RUNNING;

	/* No vcpus to kick, no stop_fd to wake: only the reason. */
	atomic_compare_exchange_strong(&vm->stop_reason, &expected, reason);
}

enum vm_stop_reason vm_stop_reason(const struct vm *vm)
{
	return atomic_load(&vm->stop_reason);
}

/* ---- the device core without its thread ---- */

/* Stop @dev's I/O thread: the fuzzer is its thread from now on. */
static inline void fuzz_dev_own(struct virtio_dev *dev)
{
	u64 v = 1;

	if (!dev->thread_started)
		return;
	if (write(dev->stop_fd, &v, sizeof(v)) < 0)
		abort();
	pthread_join(dev->thread, NULL);
	dev->thread_started = false;
	if (read(dev->stop_fd, &v, sizeof(v)) < 0)	/* not readable any more */
		abort();
}

/*
 * What the I/O thread would do now: serve every kick and readable watched
 * fd, again while there are some (a device may kick itself), at most
 * @rounds times.
 */
static inline void fuzz_dev_pump(struct virtio_dev *dev, unsigned int rounds)
{
	struct epoll_event ev[16];

	while (rounds--) {
		int n = epoll_wait(dev->epoll_fd, ev, ARRAY_SIZE(ev), 0);

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			u32 tag = ev[i].data.u32;
			u64 v;

			if (tag < dev->ops->nr_queues &&
			    read(dev->notify_fd[tag], &v, sizeof(v)) < 0) {
				/* EAGAIN: drained already */
			}
			pthread_mutex_lock(&dev->lock);
			if (tag < dev->ops->nr_queues)
				virtio_dev_process(dev, tag);
			else if (tag - FUZZ_EV_WATCH < dev->nr_watches)
				dev->watches[tag - FUZZ_EV_WATCH].fn(
					dev->watches[tag - FUZZ_EV_WATCH].arg);
			else
				fuzz_check(0, "unexpected epoll tag 0x%x", tag);
			pthread_mutex_unlock(&dev->lock);
		}
	}
}

/* ---- the driver's side through the core, as a transport would call it ---- */

/* Status 0, then ACKNOWLEDGE, DRIVER, @features, FEATURES_OK (and DRIVER_OK). */
static inline u8 fuzz_dev_driver(struct virtio_dev *dev, u64 features, bool driver_ok)
{
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	pthread_mutex_lock(&dev->lock);
	virtio_dev_set_status(dev, 0);
	virtio_dev_set_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_dev_set_status(dev, s);
	virtio_dev_set_guest_features(dev, 0, (u32)features);
	virtio_dev_set_guest_features(dev, 1, features >> 32);
	virtio_dev_set_status(dev, s | VIRTIO_CONFIG_S_FEATURES_OK);
	if (driver_ok)
		virtio_dev_set_status(dev, dev->status | VIRTIO_CONFIG_S_DRIVER_OK);
	s = dev->status;
	pthread_mutex_unlock(&dev->lock);
	return s;
}

/* Queue @q's layout (while it is not ready), then QueueReady = 1. */
static inline void fuzz_dev_queue(struct virtio_dev *dev, u32 q, u16 size, u64 desc,
				  u64 avail, u64 used)
{
	struct virtq *vq = virtio_dev_queue(dev, q);

	pthread_mutex_lock(&dev->lock);
	if (vq && !vq->ready) {
		vq->size = size;
		vq->desc_gpa = desc;
		vq->avail_gpa = avail;
		vq->used_gpa = used;
	}
	virtio_dev_queue_ready(dev, q, true);
	pthread_mutex_unlock(&dev->lock);
}

static inline void fuzz_dev_set_status(struct virtio_dev *dev, u8 status)
{
	pthread_mutex_lock(&dev->lock);
	virtio_dev_set_status(dev, status);
	pthread_mutex_unlock(&dev->lock);
}

/*
 * The driver makes @n chains of @segs descriptors of @len bytes available
 * at once (a ring mutation rarely gets there: a full queue, long chains):
 * chain k takes descriptors k * @segs ... of the ring at @desc, its
 * segments lie from @buf on, device-writable if @write. Whatever would
 * fall outside the @ram_size bytes at @ram is left out.
 */
static inline void fuzz_ring_fill(u8 *ram, u64 ram_size, u64 desc, u64 avail, u16 qsize,
				  u16 n, u16 segs, u32 len, u64 buf, bool write)
{
	u16 idx;

	if (!qsize || avail + 4 + 2ULL * qsize > ram_size || desc + 16ULL * qsize > ram_size)
		return;
	memcpy(&idx, ram + avail + 2, 2);
	for (u16 k = 0; k < n; k++) {
		u16 head = (u32)k * segs % qsize;

		for (u16 j = 0; j < segs; j++) {
			u16 i = ((u32)k * segs + j) % qsize;
			struct vring_desc d = {
				.addr = MIN(buf + (u64)j * len, ram_size),
				.len = len,
				.flags = (write ? VRING_DESC_F_WRITE : 0) |
					 (j + 1 < segs ? VRING_DESC_F_NEXT : 0),
				.next = (i + 1) % qsize,
			};

			memcpy(ram + desc + 16ULL * i, &d, sizeof(d));
		}
		memcpy(ram + avail + 4 + 2ULL * ((idx + k) % qsize), &head, 2);
	}
	idx += n;
	memcpy(ram + avail + 2, &idx, 2);
}

/* The op stream of a fuzz input: fixed 8-byte records. */
struct fuzz_op {
	u8 kind, arg;
	u16 off;
	u32 val;
};

static inline struct fuzz_op fuzz_op_at(const u8 *p)
{
	return (struct fuzz_op){
		.kind = p[0], .arg = p[1], .off = p[2] | p[3] << 8,
		.val = p[4] | p[5] << 8 | p[6] << 16 | (u32)p[7] << 24,
	};
}

#define FUZZ_OP_SIZE	8

/*
 * An input: @np parameter bytes into @p (zero-filled when short), then up
 * to p[@nr_ops_param] ops of FUZZ_OP_SIZE bytes, then the rest, whose first
 * @ram_size bytes become guest RAM. Returns that RAM (calloc'ed exactly
 * @ram_size, so ASan flags a byte past it); @rest and @rest_len: after the ops.
 */
static inline u8 *fuzz_split(const u8 *data, size_t size, u8 *p, size_t np,
			     unsigned int nr_ops_param, const u8 **ops, size_t *nr_ops,
			     const u8 **rest, size_t *rest_len, size_t ram_size)
{
	u8 *ram;

	memset(p, 0, np);
	memcpy(p, data, MIN(size, np));
	data += MIN(size, np);
	size -= MIN(size, np);
	*nr_ops = MIN((size_t)p[nr_ops_param], size / FUZZ_OP_SIZE);
	*ops = data;
	data += *nr_ops * FUZZ_OP_SIZE;
	size -= *nr_ops * FUZZ_OP_SIZE;
	*rest = data;
	*rest_len = size;
	ram = calloc(1, ram_size);
	if (ram)
		memcpy(ram, data, MIN(size, ram_size));
	return ram;
}

#endif
