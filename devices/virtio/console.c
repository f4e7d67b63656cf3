// SPDX-License-Identifier: GPL-2.0
/* virtio-console: hvc0, one port, the guest console on the host terminal. */
#include <stdlib.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "devices/console.h"
#include "devices/term.h"
#include "devices/virtio/console.h"
#include "kvm/kvm.h"

#define CONSOLE_QUEUE_SIZE	64
#define CONSOLE_CHAIN_MAX	16
#define CONSOLE_RXQ		0	/* 5.3.2: receiveq(port0) */
#define CONSOLE_TXQ		1	/* transmitq(port0) */

struct virtio_console {
	struct vm *vm;
	struct virtio_dev *dev;
	/* Input was refused for want of buffers: tell the terminal when some come. */
	bool rx_starved;
	struct iovec iov[CONSOLE_CHAIN_MAX];
	u8 tx_buf[4096];
};

static bool console_live(const struct virtio_dev *dev)
{
	return (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(dev->status & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED));
}

/* 5.3.6.2: the transmit buffers are device-readable; writable parts are ignored. */
static void console_transmit(struct virtio_console *c, struct virtq *vq)
{
	struct virtq_chain ch = { .cap = CONSOLE_CHAIN_MAX, .iov = c->iov };
	bool pushed = false;
	int r;

	do {
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &ch)) > 0) {
			size_t off = 0, n;

			/* In slices: console_write() may block on a slow terminal. */
			while ((n = iov_to_buf(ch.iov, ch.nr_out, off, c->tx_buf,
					       sizeof(c->tx_buf))) > 0) {
				console_write(c->vm, c->tx_buf, n);
				off += n;
			}
			virtq_push(vq, ch.head, 0);
			pushed = true;
		}
	} while (r == 0 && virtq_enable_notify(vq));
	if (pushed)
		virtio_notify_used(c->dev, vq);
}

/* Fill receive buffers from @buf; lock held. Returns the bytes taken. */
static size_t console_receive(struct virtio_console *c, const u8 *buf, size_t len)
{
	struct virtio_dev *dev = c->dev;
	struct virtq *vq = &dev->vqs[CONSOLE_RXQ];
	struct virtq_chain ch = { .cap = CONSOLE_CHAIN_MAX, .iov = c->iov };
	bool pushed = false;
	size_t done = 0;

	if (!console_live(dev) || !vq->ready || vq->broken)
		return 0;
	while (done < len) {
		int r = virtq_pop(vq, &ch);
		size_t n;

		if (r < 0) {
			virtio_dev_needs_reset(dev, vq->why ? vq->why : "malformed queue");
			break;
		}
		/*
		 * Out of buffers: ask for a kick on the next one (with EVENT_IDX
		 * the driver kicks only past avail_event), unless it came already.
		 */
		if (r == 0) {
			if (virtq_enable_notify(vq))
				continue;
			break;
		}
		/* A chain with no writable part takes nothing; it goes back empty. */
		n = iov_from_buf(&ch.iov[ch.nr_out], ch.nr - ch.nr_out, 0,
				 buf + done, len - done);
		virtq_push(vq, ch.head, n);
		pushed = true;
		done += n;
	}
	if (pushed)
		virtio_notify_used(dev, vq);
	return done;
}

size_t virtio_console_rx(void *opaque, const u8 *buf, size_t len)
{
	struct virtio_console *c = opaque;
	size_t n = 0;

	if (!c->dev)
		return 0;
	pthread_mutex_lock(&c->dev->lock);
	n = console_receive(c, buf, len);
	/* Set under the lock that queue_notify holds: a new buffer cannot be missed. */
	if (n < len)
		c->rx_starved = true;
	pthread_mutex_unlock(&c->dev->lock);
	return n;
}

static void console_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_console *c = opaque;

	if (vq->index == CONSOLE_TXQ) {
		console_transmit(c, vq);
		return;
	}
	/* New receive buffers: held-back input can come now. */
	if (c->rx_starved) {
		c->rx_starved = false;
		if (c->vm->term)
			term_input_ready(c->vm->term);
	}
}

static void console_reset(void *opaque)
{
	struct virtio_console *c = opaque;

	/* Buffers are forgotten; input waits for the driver's new ones. */
	c->rx_starved = true;
}

static int console_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_console *c = opaque;

	c->dev = dev;
	return 0;
}

const struct virtio_dev_ops virtio_console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = 2,
	.max_queue_size = CONSOLE_QUEUE_SIZE,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.attach = console_attach,
};

struct virtio_console *virtio_console_create(struct vm *vm)
{
	struct virtio_console *c = calloc(1, sizeof(*c));

	if (c)
		c->vm = vm;
	return c;
}

void virtio_console_destroy(struct virtio_console *c)
{
	if (!c)
		return;
	if (c->vm->console_opaque == c) {
		c->vm->console_rx = NULL;
		c->vm->console_opaque = NULL;
	}
	free(c);
}
