// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target, threaded: device reset and teardown against I/O in
 * flight. A virtio-blk (on a scratch image, requests through Linux AIO) or
 * virtio-console device on the virtio-mmio transport runs with its real I/O
 * thread. A "vcpu" thread plays the driver through MMIO: probe, queues,
 * requests made available and kicked, and resets (status 0) at any moment,
 * while the I/O thread serves the requests and, for the console, a
 * "terminal" thread hands over input. Then, as vmm does at exit or reboot,
 * the vcpu and terminal threads stop and the device is destroyed, with
 * whatever the guest left in flight.
 *
 * Guest memory is handed back the moment it may no longer be used: at each
 * reset the vcpu thread moves guest RAM to a fresh copy (under the device
 * lock, as nothing of the device may run then) and frees the old one, and
 * after the device is destroyed its RAM and backend are freed. A device
 * that touches a request, buffer or ring after its reset or its destruction
 * touches freed memory, which ASan reports (heap-use-after-free), as it does
 * a backend freed while its thread still runs. This is the use-after-free
 * class of the stop and teardown issue; the run is not deterministic (the
 * threads race), so a crash input may need a few runs to reproduce.
 *
 * The input: parameter bytes (device, number of ops, how long to wait
 * before the teardown), then 8-byte ops, then bytes for requests and input.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/mmio.h"
#include "fuzz_vm.h"

#define RAM_SIZE	0x10000
#define PARAMS		3
#define BASE		0xd0001000ULL
#define QSIZE		16
#define DESC(q)		((q) * 0x3000)
#define AVAIL(q)	((q) * 0x3000 + 0x1000)
#define USED(q)		((q) * 0x3000 + 0x2000)
#define BUF		0x8000
#define BUF_SLOT	0x800		/* bytes per request slot */

enum { OP_INIT, OP_SUBMIT, OP_RESET, OP_KICK, OP_ACK, OP_YIELD, OP_INPUT, NR_OPS };

static struct vm vm;
static struct virtio_dev *dev;
static struct virtio_blk_opts blk_opts;
static bool is_blk;
static u16 avail_idx[2];
static const u8 *extra;		/* request and input bytes */
static size_t extra_len;
static _Atomic bool term_stop;

static void image_unlink(void)
{
	unlink(blk_opts.path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/vmm-fuzz-teardown-XXXXXX";
	const char *why;
	int fd = mkstemp(path);

	fuzz_quiet();
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		abort();
	close(fd);
	/* Each input opens it anew (a device per input); it goes at exit. */
	if (virtio_blk_parse_opts(path, &blk_opts, &why) < 0)
		abort();
	atexit(image_unlink);
	return 0;
}

static void mmio(u32 reg, u32 val)
{
	u8 d[4];

	memcpy(d, &val, 4);
	bus_access(&vm.bus[BUS_MMIO], NULL, BASE + reg, d, 4, true);
}

static u32 mmio_rd(u32 reg)
{
	u8 d[4];
	u32 v;

	bus_access(&vm.bus[BUS_MMIO], NULL, BASE + reg, d, 4, false);
	memcpy(&v, d, 4);
	return v;
}

/* Guest RAM moves to a fresh copy; the old one is freed. Device lock held. */
static void ram_retire(void)
{
	u8 *old = vm.regions[0].hva, *new = malloc(RAM_SIZE);

	if (!new)
		abort();
	memcpy(new, old, RAM_SIZE);
	vm.regions[0].hva = new;
	free(old);
}

static void reset(void)
{
	mmio(VIRTIO_MMIO_STATUS, 0);
	/* Nothing of the device may touch what the driver gave it now. */
	pthread_mutex_lock(&dev->lock);
	ram_retire();
	pthread_mutex_unlock(&dev->lock);
	avail_idx[0] = avail_idx[1] = 0;
}

static void driver_init(u8 arg)
{
	u32 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	reset();
	memset(vm.regions[0].hva, 0, BUF);	/* rings empty */
	mmio(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mmio(VIRTIO_MMIO_STATUS, s);
	mmio(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio(VIRTIO_MMIO_DRIVER_FEATURES, 1);		/* VERSION_1 */
	mmio(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio(VIRTIO_MMIO_DRIVER_FEATURES, arg & 1 ? 1u << VIRTIO_RING_F_EVENT_IDX : 0);
	mmio(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	for (u32 q = 0; q < 2; q++) {
		mmio(VIRTIO_MMIO_QUEUE_SEL, q);
		mmio(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		mmio(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC(q));
		mmio(VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL(q));
		mmio(VIRTIO_MMIO_QUEUE_USED_LOW, USED(q));
		mmio(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	if (!(arg & 2))
		mmio(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK |
		     VIRTIO_CONFIG_S_DRIVER_OK);
}

static void desc_put(u8 *ram, u32 q, u16 i, u64 addr, u32 len, u16 flags)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags,
				.next = (i + 1) % QSIZE };

	memcpy(ram + DESC(q) + 16 * i, &d, sizeof(d));
}

static void publish(u8 *ram, u32 q, u16 head)
{
	memcpy(ram + AVAIL(q) + 4 + 2 * (avail_idx[q] % QSIZE), &head, 2);
	avail_idx[q]++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(ram + AVAIL(q) + 2, &avail_idx[q], 2);
}

/* @n requests on queue @q: blk reads/writes/flushes, console buffers. */
static void submit(u8 arg, u16 off, u32 val)
{
	u32 q = is_blk ? 0 : arg & 1, n = (arg >> 1 & 7) + 1;
	u8 *ram;

	pthread_mutex_lock(&dev->lock);	/* RAM does not move meanwhile */
	ram = vm.regions[0].hva;
	for (u32 k = 0; k < n; k++) {
		u16 slot = (avail_idx[q] % (QSIZE / 4)), head = slot * 4;
		u64 buf = BUF + (u64)(q * QSIZE / 4 + slot) * BUF_SLOT;
		u32 len = (val >> (k & 3) * 8 & 0xff) + 1;

		if (off < extra_len)
			memcpy(ram + buf, extra + off, MIN(extra_len - off, (size_t)BUF_SLOT));
		if (is_blk) {
			struct virtio_blk_outhdr h = {
				.type = (u32[]){ VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
						 VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID }[k & 3],
				.sector = (val >> 8) & 0x7ff,
			};
			bool in = h.type != VIRTIO_BLK_T_OUT;

			memcpy(ram + buf, &h, sizeof(h));
			len = 512u << (len & 1);	/* a sector or two; odd sizes: blk's own fuzzer */
			desc_put(ram, q, head, buf, sizeof(h), VRING_DESC_F_NEXT);
			desc_put(ram, q, head + 1, buf + 16, len,
				 VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0));
			desc_put(ram, q, head + 2, buf + BUF_SLOT - 1, 1, VRING_DESC_F_WRITE);
		} else {
			desc_put(ram, q, head, buf, MIN(len, (u32)BUF_SLOT),
				 q == 0 ? VRING_DESC_F_WRITE : 0);
		}
		publish(ram, q, head);
	}
	pthread_mutex_unlock(&dev->lock);
	if (!(arg & 0x80))
		mmio(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static const u8 *ops;
static size_t nr_ops;

/* The vcpu: the driver's accesses, one op after another. */
static void *vcpu_thread(void *arg)
{
	for (size_t i = 0; i < nr_ops; i++) {
		struct fuzz_op op = fuzz_op_at(ops + i * FUZZ_OP_SIZE);

		switch (op.kind % NR_OPS) {
		case OP_INIT:
			driver_init(op.arg);
			break;
		case OP_SUBMIT:
			submit(op.arg, op.off, op.val);
			break;
		case OP_RESET:
			reset();
			break;
		case OP_KICK:
			mmio(VIRTIO_MMIO_QUEUE_NOTIFY, op.arg & 1);
			break;
		case OP_ACK:
			mmio(VIRTIO_MMIO_INTERRUPT_ACK, mmio_rd(VIRTIO_MMIO_INTERRUPT_STATUS));
			break;
		case OP_YIELD:
			for (u32 k = 0; k < (op.arg & 15); k++)
				sched_yield();
			break;
		case OP_INPUT:
			break;		/* the terminal thread's */
		}
	}
	return NULL;
}

/* The terminal's input thread: console input at every OP_INPUT. */
static void *term_thread(void *arg)
{
	struct virtio_console *con = arg;

	for (size_t i = 0; i < nr_ops && !atomic_load(&term_stop); i++) {
		struct fuzz_op op = fuzz_op_at(ops + i * FUZZ_OP_SIZE);

		if (op.kind % NR_OPS == OP_INPUT && op.off < extra_len)
			virtio_console_rx(con, extra + op.off,
					  MIN(extra_len - op.off, (size_t)op.val % 512));
		sched_yield();
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 p[PARAMS] = { 0 };
	struct virtio_console *con = NULL;
	struct virtio_blk *blk = NULL;
	struct virtio_mmio *m;
	pthread_t vcpu, term;
	const char *why;
	u8 *ram;
	int err;

	ram = fuzz_split(data, size, p, PARAMS, 1, &ops, &nr_ops, &extra, &extra_len, RAM_SIZE);
	if (!ram)
		return 0;
	nr_ops = MIN(nr_ops, (size_t)64);
	fuzz_vm_init(&vm, ram, RAM_SIZE);
	is_blk = !(p[0] & 1);
	avail_idx[0] = avail_idx[1] = 0;
	if (is_blk) {
		blk = virtio_blk_create(&blk_opts, &err, &why);
		if (!blk)
			abort();
		m = virtio_mmio_create(&vm, BASE, 5, &virtio_blk_ops, blk, &err);
	} else {
		con = virtio_console_create(&vm);
		if (!con)
			abort();
		m = virtio_mmio_create(&vm, BASE, 5, &virtio_console_ops, con, &err);
	}
	if (!m)
		abort();
	dev = virtio_mmio_dev(m);

	atomic_store(&term_stop, false);
	if (pthread_create(&vcpu, NULL, vcpu_thread, NULL) ||
	    (con && pthread_create(&term, NULL, term_thread, con)))
		abort();
	/* vmm's order: the vcpus stop, then the terminal, then the devices go. */
	pthread_join(vcpu, NULL);
	if (con) {
		atomic_store(&term_stop, true);
		pthread_join(term, NULL);
	}
	for (u32 k = 0; k < p[2] % 32; k++)
		sched_yield();		/* let the I/O thread get some way, or not */
	virtio_mmio_destroy(m);
	if (blk)
		virtio_blk_destroy(blk);
	virtio_console_destroy(con);
	free(vm.regions[0].hva);
	fuzz_vm_free(&vm);
	return 0;
}
