// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-net, both ways. The device runs over a
 * socketpair standing in for the tap (one datagram = one frame with its
 * 12-byte vnet header), as in the unit tests. The input is the negotiated
 * features and the queue sizes (parameter bytes), a sequence of 8-byte
 * operations, then the contents of guest RAM:
 *
 *   rx ring  desc 0x0000, avail 0x1000, used 0x1800   (queue 0)
 *   tx ring  desc 0x3000, avail 0x4000, used 0x4800   (queue 1)
 *
 * and buffers anywhere. Operations: the host sends frames (bytes from the
 * input, any length, any vnet header), the guest kicks rx or tx, writes
 * RAM (new avail entries, changed descriptors), fills a queue with chains
 * (a full ring: the budgets, a frame in more buffers than a queue holds),
 * reads the config, resets and renegotiates, re-places a queue, writes
 * the status. After each one the I/O thread's work runs (fuzz_vm.h) and
 * the host side reads what the guest sent: every frame must carry a header
 * and be no larger than the device allows.
 *
 * One device serves every input (a thread and a socketpair per input
 * would cost more than the input): each input starts with a device reset,
 * empty sockets and the rx watch in its reset state, which is where a new
 * driver finds it, so an input runs the same way whatever ran before.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/net.h"
#include "fuzz_vm.h"

#define RAM_SIZE	0x20000
#define PARAMS		4
#define RX_DESC		0x0000
#define RX_AVAIL	0x1000
#define RX_USED		0x1800
#define TX_DESC		0x3000
#define TX_AVAIL	0x4000
#define TX_USED		0x4800
#define RXQ		0
#define TXQ		1
#define HDR		VIRTIO_NET_HDR_LEN
#define FRAME_MAX	(HDR + VIRTIO_NET_MAX_FRAME)
#define TX_BUF		0x6000		/* where OP_TX_FILL's frames are */
#define RX_BUF		0x8000		/* where OP_RX_FILL's buffers are */

enum {
	OP_HOST_FRAME,		/* off: where in the input, val: length, arg: how many */
	OP_KICK_RX, OP_KICK_TX,
	OP_RAM_WR,		/* 1, 2 or 4 bytes of val at (arg & 4) << 14 | off */
	OP_REINIT,		/* reset, renegotiate (features from val), queues again */
	OP_QUEUE,		/* reset, then queue arg & 1 at places from val */
	OP_STATUS,		/* a raw status write */
	OP_PUMP,
	OP_TX_FILL,		/* arg + 1 frames at once: chains of off & 3 + 1 */
	OP_RX_FILL,		/* arg + 1 buffers at once: chains of off & 3 + 1 */
	OP_CONFIG_RD,		/* device configuration: arg & 7 + 1 bytes at off */
	NR_OPS
};

static struct virtio_dev dev;
static struct vm vm;
static struct virtio_net *net;
static int dev_fd = -1;		/* the device's end of the socketpair */
static int peer = -1;		/* the host's end: the tap's other side */
static const u8 *input;		/* the RAM part of the input: host frames come from it */
static size_t input_len;
static u8 frame[FRAME_MAX + 64];
static u16 rx_size, tx_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	int sv[2];

	fuzz_quiet();
	fuzz_vm_init(&vm, NULL, RAM_SIZE);	/* RAM: each input's own */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	dev_fd = sv[0];
	peer = sv[1];
	net = virtio_net_create_fd(sv[0], mac);
	if (!net || virtio_dev_init(&dev, &vm, &virtio_net_ops, net, NULL, NULL) < 0)
		abort();
	fuzz_dev_own(&dev);
	return 0;
}

/* Back to what a new driver finds: reset, nothing in flight either way. */
static void device_reset(void)
{
	fuzz_dev_set_status(&dev, 0);
	while (recv(dev_fd, frame, sizeof(frame), MSG_DONTWAIT) >= 0)
		;
	while (recv(peer, frame, sizeof(frame), MSG_DONTWAIT) >= 0)
		;
	fuzz_dev_pump(&dev, FUZZ_PUMP_ROUNDS);	/* kicks left over: nothing runs */
	/* An rx kick on a reset device: the rx watch goes off, as after any reset. */
	pthread_mutex_lock(&dev.lock);
	virtio_net_ops.queue_notify(net, &dev.vqs[RXQ]);
	pthread_mutex_unlock(&dev.lock);
}

/* Bit i of the parameter byte: feature i of this list. */
static u64 features(u8 sel)
{
	static const u8 bits[8] = {
		VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
	};
	u64 f = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |
		(1ULL << VIRTIO_NET_F_STATUS);

	for (unsigned int i = 0; i < 8; i++)
		if (sel & (1u << i))
			f |= 1ULL << bits[i];
	return f;
}

static void driver_init(u8 sel)
{
	fuzz_dev_driver(&dev, features(sel), false);
	fuzz_dev_queue(&dev, RXQ, rx_size, RX_DESC, RX_AVAIL, RX_USED);
	fuzz_dev_queue(&dev, TXQ, tx_size, TX_DESC, TX_AVAIL, TX_USED);
	fuzz_dev_set_status(&dev, dev.status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* What the guest sent, as the tap's reader gets it. */
static void host_read(void)
{
	for (;;) {
		ssize_t n = recv(peer, frame, sizeof(frame), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0)
			return;
		fuzz_check(n >= HDR && n <= FRAME_MAX, "a %zd-byte frame reached the host", n);
	}
}

/* @nr frames at once (a budget's worth takes more than 256). */
static void host_send(u16 off, u32 len, unsigned int nr)
{
	len %= sizeof(frame);
	memset(frame, 0, len);
	if (off < input_len)
		memcpy(frame, input + off, MIN((size_t)len, input_len - off));
	while (nr--)
		if (send(peer, frame, len, MSG_DONTWAIT) < 0)
			return;	/* full: the host drops it, as a tap's queue would */
}

static void run_op(struct fuzz_op op)
{
	u8 a = op.arg;

	switch (op.kind % NR_OPS) {
	case OP_HOST_FRAME:
		host_send(op.off, op.val, a >= 0xf0 ? (a - 0xef) * 32 : 1);
		break;
	case OP_KICK_RX:
		virtio_dev_kick(&dev, RXQ);
		break;
	case OP_KICK_TX:
		virtio_dev_kick(&dev, TXQ);
		break;
	case OP_RAM_WR:
		/* arg bit 2 is address bit 16 */
		memcpy(vm.regions[0].hva + MIN(op.off | (u32)(a & 4) << 14, RAM_SIZE - 4),
		       &op.val, (u8[]){ 1, 2, 4, 4 }[a & 3]);
		break;
	case OP_REINIT:
		driver_init(op.val);
		break;
	case OP_QUEUE:
		/* Queue layout only changes across a reset. */
		fuzz_dev_driver(&dev, features(a), false);
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
	case OP_TX_FILL:
		fuzz_ring_fill(vm.regions[0].hva, RAM_SIZE, TX_DESC, TX_AVAIL, tx_size, a + 1,
			       (op.off & 3) + 1, op.val & 0x7ff, TX_BUF, false);
		virtio_dev_kick(&dev, TXQ);
		break;
	case OP_RX_FILL:
		fuzz_ring_fill(vm.regions[0].hva, RAM_SIZE, RX_DESC, RX_AVAIL, rx_size, a + 1,
			       (op.off & 3) + 1, MAX(op.val & 0xfff, 1u), RX_BUF, true);
		virtio_dev_kick(&dev, RXQ);
		break;
	case OP_CONFIG_RD: {
		u8 buf[8];

		pthread_mutex_lock(&dev.lock);
		virtio_dev_config_read(&dev, op.off, buf, (a & 7) + 1);
		pthread_mutex_unlock(&dev.lock);
		break;
	}
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
	rx_size = 1u << (p[1] % 10);	/* 1 .. 512: one too big */
	tx_size = 1u << (p[2] % 10);

	vm.regions[0].hva = ram;
	device_reset();
	driver_init(p[0]);

	for (size_t i = 0; i < nr_ops; i++) {
		run_op(fuzz_op_at(opv + i * FUZZ_OP_SIZE));
		fuzz_dev_pump(&dev, FUZZ_PUMP_ROUNDS);
		host_read();
	}

	/* Nothing may point into this input's RAM any more. */
	fuzz_dev_set_status(&dev, 0);
	vm.regions[0].hva = NULL;
	free(ram);
	return 0;
}
