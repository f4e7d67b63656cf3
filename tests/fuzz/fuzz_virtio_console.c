// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-console (hvc0), both ways. The input is the
 * negotiated features and the queue sizes (parameter bytes), a sequence of
 * 8-byte operations, then the contents of guest RAM:
 *
 *   receiveq   desc 0x0000, avail 0x0400, used 0x0600   (queue 0)
 *   transmitq  desc 0x1000, avail 0x1400, used 0x1600   (queue 1)
 *
 * and buffers anywhere. Operations: terminal input for the guest (bytes
 * from the input, as the terminal's thread hands them over), the guest
 * kicks either queue, writes RAM, fills a queue with chains (long ones,
 * many at once), resets and renegotiates, re-places a queue, writes the
 * status. What the guest transmits goes to
 * console_write(): no terminal here, but the panic watch reads it. The
 * device has one port and no features, so no control queues to fuzz.
 *
 * One device serves every input (a thread per input would cost more than
 * the input): each starts with a device reset and a VM that has not
 * panicked, so it runs the same way whatever ran before.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/console.h"
#include "fuzz_vm.h"

#define RAM_SIZE	0x10000
#define PARAMS		4
#define RX_DESC		0x0000
#define RX_AVAIL	0x0400
#define RX_USED		0x0600
#define TX_DESC		0x1000
#define TX_AVAIL	0x1400
#define TX_USED		0x1600
#define RXQ		0
#define TXQ		1
#define INPUT_MAX	8192
#define RX_BUF		0x8000		/* where OP_FILL's buffers are */
#define TX_BUF		0x3000

enum {
	OP_INPUT,		/* off: where in the input, val: length */
	OP_KICK_RX, OP_KICK_TX,
	OP_RAM_WR,		/* 1, 2 or 4 bytes of val at off */
	OP_REINIT,		/* reset, renegotiate (features from val), queues again */
	OP_QUEUE,		/* reset, then queue arg & 1 at places from val */
	OP_STATUS,		/* a raw status write */
	OP_PUMP,
	OP_FILL,		/* queue arg & 1: (arg >> 1) + 1 chains of (off & 31) + 1 */
	NR_OPS
};

static struct virtio_dev dev;
static struct vm vm;
static struct virtio_console *con;
static const u8 *input;		/* the RAM part of the input: terminal bytes come from it */
static size_t input_len;
static u16 rx_size, tx_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	fuzz_vm_init(&vm, NULL, RAM_SIZE);	/* RAM: each input's own */
	con = virtio_console_create(&vm);
	if (!con || virtio_dev_init(&dev, &vm, &virtio_console_ops, con, NULL, NULL) < 0)
		abort();
	vm.console_rx = virtio_console_rx;
	vm.console_opaque = con;
	fuzz_dev_own(&dev);
	return 0;
}

/* A device with no features of its own: MULTIPORT gets FEATURES_OK refused. */
static u64 features(u8 sel)
{
	return (1ULL << VIRTIO_F_VERSION_1) |
	       (sel & 1 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
	       (sel & 2 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
	       (sel & 4 ? 1ULL << VIRTIO_CONSOLE_F_MULTIPORT : 0);
}

static void driver_init(u8 sel)
{
	fuzz_dev_driver(&dev, features(sel), false);
	fuzz_dev_queue(&dev, RXQ, rx_size, RX_DESC, RX_AVAIL, RX_USED);
	fuzz_dev_queue(&dev, TXQ, tx_size, TX_DESC, TX_AVAIL, TX_USED);
	fuzz_dev_set_status(&dev, dev.status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* The terminal's input thread: hands over bytes, keeps what is refused. */
static void terminal_input(u16 off, u32 len)
{
	static u8 buf[INPUT_MAX];
	size_t n;

	len %= sizeof(buf) + 1;
	memset(buf, 0, len);
	if (off < input_len)
		memcpy(buf, input + off, MIN((size_t)len, input_len - off));
	n = virtio_console_rx(con, buf, len);
	fuzz_check(n <= len, "the guest took %zu of %u bytes", n, len);
}

static void run_op(struct fuzz_op op)
{
	u8 a = op.arg;

	switch (op.kind % NR_OPS) {
	case OP_INPUT:
		terminal_input(op.off, op.val);
		break;
	case OP_KICK_RX:
		virtio_dev_kick(&dev, RXQ);
		break;
	case OP_KICK_TX:
		virtio_dev_kick(&dev, TXQ);
		break;
	case OP_RAM_WR:
		memcpy(vm.regions[0].hva + MIN(op.off, RAM_SIZE - 4), &op.val,
		       (u8[]){ 1, 2, 4, 4 }[a & 3]);
		break;
	case OP_REINIT:
		driver_init(op.val);
		break;
	case OP_QUEUE:
		/* Queue layout only changes across a reset. */
		fuzz_dev_driver(&dev, features(a >> 1), false);
		fuzz_dev_queue(&dev, a & 1, op.off, (op.val & 0xff) << 8,
			       ((op.val >> 8) & 0xff) << 8, ((op.val >> 16) & 0xff) << 8);
		fuzz_dev_queue(&dev, !(a & 1), a & 1 ? rx_size : tx_size,
			       a & 1 ? RX_DESC : TX_DESC, a & 1 ? RX_AVAIL : TX_AVAIL,
			       a & 1 ? RX_USED : TX_USED);
		fuzz_dev_set_status(&dev, dev.status | VIRTIO_CONFIG_S_DRIVER_OK);
		break;
	case OP_STATUS:
		fuzz_dev_set_status(&dev, a);
		break;
	case OP_PUMP:
		break;
	case OP_FILL:
		fuzz_ring_fill(vm.regions[0].hva, RAM_SIZE, a & 1 ? TX_DESC : RX_DESC,
			       a & 1 ? TX_AVAIL : RX_AVAIL, a & 1 ? tx_size : rx_size,
			       (a >> 1) + 1, (op.off & 31) + 1, op.val & 0x7f,
			       a & 1 ? TX_BUF : RX_BUF, !(a & 1));
		virtio_dev_kick(&dev, a & 1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 p[PARAMS] = { 0 };
	const u8 *opv;
	size_t nr_ops;
	u8 *ram;

	ram = fuzz_split(data, size, p, PARAMS, 3, &opv, &nr_ops, &input, &input_len, RAM_SIZE);
	if (!ram)
		return 0;
	rx_size = 1u << (p[1] % 8);	/* 1 .. 128: one too big */
	tx_size = 1u << (p[2] % 8);

	vm.regions[0].hva = ram;
	atomic_store(&vm.stop_reason, VM_RUNNING);
	memset(&vm.panic_watch, 0, sizeof(vm.panic_watch));
	fuzz_dev_set_status(&dev, 0);
	fuzz_dev_pump(&dev, FUZZ_PUMP_ROUNDS);	/* kicks left over: nothing runs */
	driver_init(p[0]);

	for (size_t i = 0; i < nr_ops; i++) {
		run_op(fuzz_op_at(opv + i * FUZZ_OP_SIZE));
		fuzz_dev_pump(&dev, FUZZ_PUMP_ROUNDS);
	}

	/* Nothing may point into this input's RAM any more. */
	fuzz_dev_set_status(&dev, 0);
	vm.regions[0].hva = NULL;
	free(ram);
	return 0;
}
