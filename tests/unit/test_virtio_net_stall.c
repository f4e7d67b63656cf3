// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net receive under stress (issue 16: a guest's TCP receive stalled
 * until --timeout). A driver modelled on Linux's virtio_net, on the guest's
 * side of the rings: mergeable buffers (or one 1526-byte buffer a frame
 * without MRG_RXBUF), NAPI (interrupts off while polling, then used_event or
 * the flag, and a last look), kicks decided as virtqueue_kick_prepare() does
 * (vring_need_event() from the idx of the last decision, or NO_NOTIFY). It
 * gives receive buffers late and in small batches, each batch its own kick
 * decision, and also at the very moment vmm finds the queue short (the tap
 * backend's rx_enable(false), wrapped: on the I/O thread, as a vcpu racing
 * it would). A host thread keeps the "tap" (a socketpair, through the real
 * tap backend) full of frames of up to 64 KiB, until the 16-bit ring indices
 * have wrapped. Each variant: EVENT_IDX on and off, virtio-mmio (its
 * InterruptStatus/ACK) and virtio-pci (MSI-X; INTx with the read-to-clear
 * ISR). No frame for STALL_MS while frames wait is a stall: the test fails
 * and prints the device's state.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/net_backend.h"
#include "devices/virtio/pci.h"
#include "fake_kvm.h"
#include "kvm/irq.h"
#include "net_guest.h"
#include "test.h"
#include "vpci_driver.h"

#define STALL_MS	5000		/* no frame for this long: a stall (slack for a busy host) */
#define BUF_BASE	0x100000ULL	/* descriptor i's buffer: BUF_BASE + i * d.buf_len */
#define MRG_BUF_LEN	1536		/* about what Linux gives with MRG_RXBUF */
#define BIG_BUF_LEN	(HDR + 1514)	/* one frame a buffer without it */
#define NAPI_WEIGHT	64
#define F_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_MRG		(1ULL << VIRTIO_NET_F_MRG_RXBUF)

enum xport { MMIO, PCI_MSIX, PCI_INTX };

/* The driver's state; @lock is its rx queue lock (the hook runs on vmm's I/O thread). */
static struct drv {
	pthread_mutex_t lock;
	enum xport xport;
	bool event_idx, mrg;
	u32 buf_len;
	u16 free[QSIZE];	/* descriptors not in the ring */
	unsigned int nr_free;
	u16 last_used;
	u16 kicked_at;		/* avail idx at the last kick decision */
	u64 notify_addr;	/* pci: queue 0's notify address, found once */
	u64 published, kicks, irqs, hook_refills, polls;
	/* reassembly */
	u32 frame;		/* next frame expected */
	u32 left;		/* buffers still to come of the current frame */
	u32 got;		/* its bytes so far (without the header) */
	const char *bad;	/* what went wrong, for the report */
	u32 hook_turn;
} d = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct pci_bus *bus;
static struct virtio_pci *vp;
static int peer = -1;
static u32 nr_frames;
static volatile bool host_stop;
static void (*tap_rx_enable)(struct net_backend *b, bool on);
static struct net_backend_ops hooked_ops;

static u32 frame_len(u32 k, bool mrg)
{
	u32 x = k * 2654435761u;

	if (!mrg)
		return 60 + x % 1455;		/* up to 1514 */
	/* One in three a GSO frame of up to 64 KiB, the rest MTU-sized or less. */
	return k % 3 ? 60 + x % 1455 : 16384 + x % (VIRTIO_NET_MAX_FRAME - 16384 + 1);
}

static u8 frame_byte(u32 k, u32 off)
{
	return (u8)(k * 131 + off * 7 + (off >> 8));
}

static u64 nr_irqs(void)
{
	return d.xport == MMIO ? virtio_mmio_nr_irqs(m) : virtio_pci_nr_irqs(vp);
}

/* ---- the host: frames into the tap as fast as they are taken ---- */

static void *host_thread(void *arg)
{
	static u8 buf[HDR + VIRTIO_NET_MAX_FRAME];
	bool mrg = d.mrg;

	for (u32 k = 0; k < nr_frames && !host_stop; k++) {
		u32 len = frame_len(k, mrg);

		memset(buf, 0, HDR);
		for (u32 o = 0; o < len; o++)
			buf[HDR + o] = frame_byte(k, o);
		while (!host_stop) {
			struct pollfd p = { .fd = peer, .events = POLLOUT };

			if (send(peer, buf, HDR + len, MSG_DONTWAIT) == (ssize_t)(HDR + len))
				break;
			if (errno != EAGAIN && errno != ENOBUFS)
				return "send";
			poll(&p, 1, 50);
		}
	}
	return NULL;
}

/* ---- the driver ---- */

static u16 *avail_event(void)
{
	return (u16 *)&guest_used(&g)->ring[QSIZE];
}

static u16 *used_event(void)
{
	return &guest_avail(&g)->ring[QSIZE];
}

static void drv_kick(void)
{
	if (d.xport == MMIO)
		w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	else
		pg_mem_wr(&g, d.notify_addr, 2, 0);	/* no register lookups: lock-free */
	d.kicks++;
}

/* virtqueue_kick_prepare(): kick if the driver's idx passed avail_event, or no NO_NOTIFY. */
static void drv_kick_prepare(void)
{
	u16 new = g.avail_idx, old = d.kicked_at;
	bool kick;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d.event_idx)
		kick = vring_need_event(__atomic_load_n(avail_event(), __ATOMIC_RELAXED), new, old);
	else
		kick = !(__atomic_load_n(&guest_used(&g)->flags, __ATOMIC_RELAXED) &
			 VRING_USED_F_NO_NOTIFY);
	d.kicked_at = new;
	if (kick)
		drv_kick();
}

/* Up to @n buffers into the ring, in batches of @batch, a kick decision after each. */
static void drv_refill(unsigned int n, unsigned int batch)
{
	while (n && d.nr_free) {
		for (unsigned int i = 0; i < batch && n && d.nr_free; i++, n--) {
			u16 id = d.free[--d.nr_free];
			struct seg s = { BUF_BASE + (u64)id * d.buf_len, d.buf_len, true };

			guest_chain(&g, id, &s, 1);
			guest_publish(&g, id);
			d.published++;
		}
		drv_kick_prepare();
	}
}

static bool drv_fail(const char *why)
{
	if (!d.bad)
		d.bad = why;
	return false;
}

/* One used buffer: a frame's first (with its header) or a further one. */
static bool drv_take(u16 id, u32 len)
{
	const u8 *p = guest_ptr(&g, BUF_BASE + (u64)id * d.buf_len);
	u32 flen = frame_len(d.frame, d.mrg);

	if (len > d.buf_len)
		return drv_fail("used length larger than the buffer");
	if (!d.left) {
		const struct virtio_net_hdr_v1 *h = (const void *)p;

		if (len < HDR)
			return drv_fail("first buffer shorter than the header");
		d.left = d.mrg ? h->num_buffers : 1;
		if (!d.left || d.left > QSIZE)
			return drv_fail("num_buffers out of range");
		d.got = 0;
		p += HDR;
		len -= HDR;
	}
	if (d.got + len > flen)
		return drv_fail("more bytes than the frame has");
	for (u32 o = 0; o < len; o++)
		if (p[o] != frame_byte(d.frame, d.got + o))
			return drv_fail("frame bytes differ");
	d.got += len;
	if (--d.left)
		return true;
	if (d.got != flen)
		return drv_fail("frame shorter than sent");
	d.frame++;
	return true;
}

/* virtnet_receive(): up to @budget used buffers; false on a device bug. */
static bool drv_poll(unsigned int budget, unsigned int *done)
{
	struct vring_used *u = guest_used(&g);
	u16 used = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);

	*done = 0;
	while (d.last_used != used && *done < budget) {
		struct vring_used_elem e = u->ring[d.last_used % QSIZE];

		if (e.id >= QSIZE)
			return drv_fail("used id out of range");
		for (unsigned int i = 0; i < d.nr_free; i++)
			if (d.free[i] == e.id)
				return drv_fail("used id not in the ring");
		if (!drv_take(e.id, e.len))
			return false;
		d.free[d.nr_free++] = e.id;
		d.last_used++;
		(*done)++;
	}
	return true;
}

/* NAPI: interrupts off, poll, refill late and in small batches, then interrupts on. */
static bool drv_napi(void)
{
	bool more;

	do {
		unsigned int done;

		pthread_mutex_lock(&d.lock);
		d.polls++;
		/* virtqueue_disable_cb(): Linux writes used_event 0 with EVENT_IDX. */
		if (d.event_idx)
			__atomic_store_n(used_event(), 0, __ATOMIC_RELAXED);
		else
			guest_avail(&g)->flags = VRING_AVAIL_F_NO_INTERRUPT;
		if (!drv_poll(NAPI_WEIGHT, &done)) {
			pthread_mutex_unlock(&d.lock);
			return false;
		}
		/* Late: only once a quarter of the ring is free; every third time half of it. */
		if (d.nr_free > QSIZE / 4)
			drv_refill(d.polls % 3 ? d.nr_free : d.nr_free / 2, 1 + d.polls % 4);
		/* virtqueue_enable_cb_prepare() + virtqueue_poll(). */
		if (d.event_idx)
			__atomic_store_n(used_event(), d.last_used, __ATOMIC_RELAXED);
		else
			guest_avail(&g)->flags = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		more = done == NAPI_WEIGHT ||
		       __atomic_load_n(&guest_used(&g)->idx, __ATOMIC_ACQUIRE) != d.last_used;
		pthread_mutex_unlock(&d.lock);
	} while (more);
	return true;
}

/* The interrupt handler: vm_interrupt() (mmio), vp_interrupt() (INTx), or the MSI-X vector's. */
static bool drv_interrupt(void)
{
	u32 st = VIRTIO_ISR_VQ;

	d.irqs++;
	if (d.xport == MMIO) {
		st = r32(VIRTIO_MMIO_INTERRUPT_STATUS);
		w32(VIRTIO_MMIO_INTERRUPT_ACK, st);
	} else if (d.xport == PCI_INTX) {
		st = isr();
	}
	return !(st & VIRTIO_ISR_VQ) || drv_napi();
}

/* vmm found the queue short and stops reading the tap: a vcpu refills right now. */
static void hooked_rx_enable(struct net_backend *b, bool on)
{
	tap_rx_enable(b, on);
	if (on)
		return;
	pthread_mutex_lock(&d.lock);
	d.hook_refills++;
	drv_refill(1 + d.hook_turn++ % 2, 1);
	pthread_mutex_unlock(&d.lock);
}

/* ---- set-up ---- */

static bool pci_init(u64 refuse)
{
	u64 f;

	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (d.xport == PCI_MSIX) {
		for (unsigned int v = 0; v < 3; v++)
			msix_entry(v, 0x40 + v, false);
		msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	}
	set_status(0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	f = device_features() & ~refuse;
	set_features(f);
	set_status(S_ALL & ~VIRTIO_CONFIG_S_DRIVER_OK);
	setup_queue(0, g.desc, g.avail, g.used);
	setup_queue(1, tq.desc, tq.avail, tq.used);
	for (u16 q = 0; q < 2 && d.xport == PCI_MSIX; q++) {
		cc_wr(CC(queue_select), 2, q);
		cc_wr(CC(queue_msix_vector), 2, q);
	}
	cc_wr(CC(queue_select), 2, 0);
	d.notify_addr = c.bar + c.notify_off + cc_rd(CC(queue_notify_off), 2) * c.mult;
	set_status(S_ALL);
	return status() == S_ALL;
}

static const char *start(enum xport x, u64 refuse)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct net_backend *be;
	int sv[2], err = 0;

	pthread_mutex_lock(&d.lock);
	memset((u8 *)&d + sizeof(d.lock), 0, sizeof(d) - sizeof(d.lock));
	pthread_mutex_unlock(&d.lock);
	d.xport = x;
	d.event_idx = !(refuse & F_EVENT_IDX);
	d.mrg = !(refuse & F_MRG);
	d.buf_len = d.mrg ? MRG_BUF_LEN : BIG_BUF_LEN;
	for (unsigned int i = 0; i < QSIZE; i++)
		d.free[d.nr_free++] = QSIZE - 1 - i;
	host_stop = false;

	if (net_guest_tap_pair(sv) < 0)
		return "socketpair";
	peer = sv[1];
	be = net_tap_create_fd(sv[0]);
	if (!be)
		return "tap backend";
	hooked_ops = *be->ops;
	tap_rx_enable = be->ops->rx_enable;
	hooked_ops.rx_enable = hooked_rx_enable;
	be->ops = &hooked_ops;
	net = virtio_net_create_backend(be, mac);
	if (!net)
		return "create";
	if (x == MMIO)
		return net_guest_start(net, refuse);

	guest_init(&g, QSIZE);
	tq = g;
	tq.desc = 0x10000;
	tq.avail = tq.desc + 16ULL * QSIZE;
	tq.used = ALIGN_UP(tq.avail + 6 + 2ULL * QSIZE, 4);
	g.vm.msi = x == PCI_MSIX;
	if (x == PCI_INTX)
		g.vm.vm_fd = fake_kvm_open();	/* to see the INTx line's level */
	bus = pg_bus_create(&g, 0);
	if (!bus)
		return "pci bus";
	vp = virtio_pci_create(&g.vm, bus, &virtio_net_ops, net, &err);
	if (!vp || !vpci_find())
		return "virtio-pci function";
	return pci_init(refuse) ? NULL : "pci driver init";
}

static void stop(void)
{
	if (d.xport == MMIO) {
		net_guest_stop();
	} else {
		virtio_pci_destroy(vp);
		vp = NULL;
		pci_bus_destroy(bus);
		bus = NULL;
		irq_routing_free(&g.vm);
		if (d.xport == PCI_INTX)
			fake_kvm_close(&g.vm);
		virtio_net_destroy(net);
		net = NULL;
		guest_free(&g);
	}
	close(peer);
	peer = -1;
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static bool irq_pending(u64 *seen)
{
	u64 n;

	if (d.xport == PCI_INTX)
		return fake_kvm_line(PG_INTX_LINE(slot)) == 1;
	n = nr_irqs();			/* an edge: any number since the last one is one */
	if (n == *seen)
		return false;
	*seen = n;
	return true;
}

/* The driver's view, then vmm's stall report (virtio_*_dump()). */
static void report(const char *what)
{
	printf("  %s after frame %u of %u: driver avail idx %u, last_used %u, %u buffers free, "
	       "%llu published, %llu kicks, %llu interrupts, %llu refills at vmm's wait\n",
	       what, d.frame, nr_frames, g.avail_idx, d.last_used, d.nr_free,
	       (unsigned long long)d.published, (unsigned long long)d.kicks,
	       (unsigned long long)d.irqs, (unsigned long long)d.hook_refills);
	if (d.xport == MMIO)
		virtio_mmio_dump(m, stdout);
	else
		virtio_pci_dump(vp, stdout);
}

/*
 * Frames until the ring indices wrapped; NULL, or what failed. The driver
 * starts with a few buffers only, so vmm runs short at once.
 */
static const char *run(enum xport x, u64 refuse)
{
	const char *e = start(x, refuse);
	u64 seen = 0, last = now_ms();
	u32 last_frame = 0;
	pthread_t host;
	void *hr = NULL;

	if (e)
		return e;
	/* Enough buffers go round for the indices to wrap (once the frames are in). */
	nr_frames = d.mrg ? 7200 : 66000 + QSIZE;
	if (pthread_create(&host, NULL, host_thread, NULL))
		return "host thread";
	pthread_mutex_lock(&d.lock);
	drv_refill(3, 1);
	pthread_mutex_unlock(&d.lock);
	while (d.frame < nr_frames && !d.bad) {
		if (irq_pending(&seen)) {
			if (!drv_interrupt())
				break;
		} else {
			usleep(20);
		}
		if (d.frame != last_frame) {
			last_frame = d.frame;
			last = now_ms();
		} else if (now_ms() - last > STALL_MS) {
			report("stall");
			e = "rx stalled: no frame for 5 s while the host had more";
			break;
		}
	}
	if (d.bad) {
		report(d.bad);
		e = d.bad;
	}
	host_stop = true;
	pthread_join(host, &hr);
	if (!e && hr)
		e = hr;
	if (!e && d.published < 65536 + QSIZE)
		e = "the ring indices did not wrap";
	if (!e)
		printf("  %u frames, %llu buffers, %llu kicks, %llu interrupts, %llu polls, "
		       "%llu refills at vmm's wait\n", d.frame, (unsigned long long)d.published,
		       (unsigned long long)d.kicks, (unsigned long long)d.irqs,
		       (unsigned long long)d.polls, (unsigned long long)d.hook_refills);
	stop();
	return e;
}

#define STALL_TEST(name, x, refuse)				\
	TEST(name)						\
	{							\
		const char *e = run(x, refuse);			\
								\
		TEST_ASSERT(!e, "%s", e);			\
	}

STALL_TEST(net_rx_stress_mmio_event_idx_mrg, MMIO, 0)
STALL_TEST(net_rx_stress_mmio_flags_mrg, MMIO, F_EVENT_IDX)
STALL_TEST(net_rx_stress_mmio_event_idx_one_buffer_a_frame, MMIO, F_MRG)
STALL_TEST(net_rx_stress_pci_msix_event_idx_mrg, PCI_MSIX, 0)
STALL_TEST(net_rx_stress_pci_msix_flags_mrg, PCI_MSIX, F_EVENT_IDX)
STALL_TEST(net_rx_stress_pci_intx_event_idx_mrg, PCI_INTX, 0)
STALL_TEST(net_rx_stress_pci_intx_flags_one_buffer_a_frame, PCI_INTX, F_EVENT_IDX | F_MRG)
