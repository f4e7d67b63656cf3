// SPDX-License-Identifier: GPL-2.0
/*
 * bench_net_tx / bench_net_rx: virtio-net throughput from ring 3 against
 * tests/bench/nethost.c on the host side of the tap, over either transport
 * (the core's struct vtransport: virtio-mmio or virtio-pci).
 *
 * Both queues have BN_QSIZE entries, one descriptor per frame (the 12-byte
 * virtio_net_hdr_v1 and the frame in one buffer), VRING_AVAIL_F_NO_INTERRUPT:
 * the used rings are polled, a queue is kicked only while the device asks
 * for it (VRING_USED_F_NO_NOTIFY clear). Frames are full-size Ethernet
 * frames (1514 bytes) of EtherType 0x88b5; the payload says what they are:
 *
 *   guest -> host  "VMMBENCH-HELLO tx|rx", every 100 ms until
 *   host -> guest  "VMMBENCH-GO" (its source MAC is the host's address);
 *   tx: the guest sends "VMMBENCH-DATA" frames (a 32-bit sequence number at
 *       payload offset 16) as fast as the ring takes them, for bench_ms
 *       milliseconds (default 2000) or bench_n frames, waits until the device
 *       has used them all, then sends "VMMBENCH-STOP frames=<n> bytes=<b>
 *       us=<t>" three times, 20 ms apart;
 *   rx: the host sends DATA frames; the guest counts them from the first one
 *       for bench_ms (or bench_n frames), then sends STOP the same way.
 *
 * Time is the TSC. Prints `BENCH net <tx|rx> frames=... bytes=... us=...
 * Mbps=...` (bytes: Ethernet frame bytes, without the virtio header).
 */
#include "virtio.h"

#define BN_QSIZE		256
#define BN_BUF			1536
#define BN_HDR			12	/* virtio_net_hdr_v1 (VERSION_1) */
#define BN_FRAME		1514
#define BN_MIN_FRAME		60
#define BN_ETHERTYPE		0x88b5
#define BN_SEQ_OFF		(14 + 16)
#define BN_RXQ			0
#define BN_TXQ			1
#define NET_F_MAC		5
#define NET_F_STATUS		16
#define VRING_USED_F_NO_NOTIFY	1

#define BN_HELLO		"VMMBENCH-HELLO"
#define BN_GO			"VMMBENCH-GO"
#define BN_DATA			"VMMBENCH-DATA"
#define BN_STOP			"VMMBENCH-STOP"

struct bn_ring {
	VRING_LAYOUT(BN_QSIZE);
};

static struct bn_ring bn_rxq __attribute__((aligned(4096)));
static struct bn_ring bn_txq __attribute__((aligned(4096)));
static u8 bn_rxbuf[BN_QSIZE][BN_BUF] __attribute__((aligned(4096)));
static u8 bn_txbuf[BN_QSIZE][BN_BUF] __attribute__((aligned(4096)));

static struct {
	struct vdev *d;
	u8 mac[6], peer[6];
	u16 rx_avail, rx_used, tx_avail, tx_used;
	u16 tx_free[BN_QSIZE];
	u32 nr_free;
	bool go, counting;
	u64 frames, bytes, first, last;
	u32 seq_min, seq_max;
} bn;

static inline void bn_mb(void)
{
	__asm__ __volatile__("lock orq $0, (%%rsp)" ::: "memory", "cc");
}

static bool is_frame(const u8 *f, u32 len, const char *what)
{
	size_t n = strlen(what);

	return len >= 14 + n && f[12] == BN_ETHERTYPE >> 8 && f[13] == (BN_ETHERTYPE & 0xff) &&
	       !memcmp(f + 14, what, n);
}

/* ---- tx ---- */

static void bn_tx_reap(void)
{
	u16 idx = *(volatile u16 *)&bn_txq.used.idx;

	barrier();
	for (; bn.tx_used != idx; bn.tx_used++)
		bn.tx_free[bn.nr_free++] = bn_txq.used.ring[bn.tx_used % BN_QSIZE].id % BN_QSIZE;
}

static void bn_tx_queue(u16 id, u32 len)
{
	bn_txq.desc[id] = (struct vring_desc){ (u64)bn_txbuf[id], BN_HDR + len, 0, 0 };
	bn_txq.avail.ring[bn.tx_avail++ % BN_QSIZE] = id;
}

static void bn_tx_publish(void)
{
	barrier();
	*(volatile u16 *)&bn_txq.avail.idx = bn.tx_avail;
	bn_mb();
	if (!(*(volatile u16 *)&bn_txq.used.flags & VRING_USED_F_NO_NOTIFY))
		bn.d->t->notify(bn.d, BN_TXQ);
}

/* The frame header of tx buffer @id: to the peer (broadcast before GO), EtherType 0x88b5. */
static u8 *bn_tx_frame(u16 id)
{
	u8 *f = bn_txbuf[id] + BN_HDR;

	memset(bn_txbuf[id], 0, BN_HDR);
	if (bn.go)
		memcpy(f, bn.peer, 6);
	else
		memset(f, 0xff, 6);
	memcpy(f + 6, bn.mac, 6);
	f[12] = BN_ETHERTYPE >> 8;
	f[13] = BN_ETHERTYPE & 0xff;
	return f;
}

/* One small control frame with @text as its payload; false if the ring stays full for 1 s. */
static bool bn_send_text(const char *text)
{
	u64 t0 = rdtsc();
	size_t n = strlen(text);
	u8 *f;
	u16 id;

	for (bn_tx_reap(); !bn.nr_free; bn_tx_reap()) {
		if (tsc_to_us(rdtsc() - t0) > 1000000)
			return false;
		cpu_relax();
	}
	id = bn.tx_free[--bn.nr_free];
	f = bn_tx_frame(id);
	if (n > BN_FRAME - 14)
		n = BN_FRAME - 14;
	memset(f + 14, 0, BN_MIN_FRAME - 14);
	memcpy(f + 14, text, n);
	bn_tx_queue(id, 14 + n < BN_MIN_FRAME ? BN_MIN_FRAME : 14 + n);
	bn_tx_publish();
	return true;
}

/* Wait until the device used every tx buffer; false after 3 s. */
static bool bn_tx_drain(void)
{
	u64 t0 = rdtsc();

	for (bn_tx_reap(); bn.nr_free < BN_QSIZE; bn_tx_reap()) {
		if (tsc_to_us(rdtsc() - t0) > VQ_TIMEOUT_US)
			return false;
		cpu_relax();
	}
	return true;
}

/* ---- rx ---- */

static void bn_rx_frame(const u8 *f, u32 len)
{
	if (is_frame(f, len, BN_DATA) && len >= BN_SEQ_OFF + 4) {
		u32 seq;

		if (!bn.counting)
			return;
		memcpy(&seq, f + BN_SEQ_OFF, 4);
		bn.last = rdtsc();
		if (!bn.frames++) {
			bn.first = bn.last;
			bn.seq_min = bn.seq_max = seq;
		}
		if ((int)(seq - bn.seq_max) > 0)
			bn.seq_max = seq;
		if ((int)(seq - bn.seq_min) < 0)
			bn.seq_min = seq;
		bn.bytes += len;
	} else if (is_frame(f, len, BN_GO) && !bn.go) {
		memcpy(bn.peer, f + 6, 6);
		bn.go = true;
	}
}

/* Take what the device used, hand the buffers straight back; returns the frames seen. */
static u32 bn_rx_poll(void)
{
	u16 idx = *(volatile u16 *)&bn_rxq.used.idx;
	u32 n = 0;

	barrier();
	for (; bn.rx_used != idx; bn.rx_used++, n++) {
		u32 id = bn_rxq.used.ring[bn.rx_used % BN_QSIZE].id % BN_QSIZE;
		u32 len = bn_rxq.used.ring[bn.rx_used % BN_QSIZE].len;

		if (len > BN_HDR && len <= BN_BUF)
			bn_rx_frame(bn_rxbuf[id] + BN_HDR, len - BN_HDR);
		bn_rxq.avail.ring[bn.rx_avail++ % BN_QSIZE] = id;
	}
	if (n) {
		barrier();
		*(volatile u16 *)&bn_rxq.avail.idx = bn.rx_avail;
		bn_mb();
		if (!(*(volatile u16 *)&bn_rxq.used.flags & VRING_USED_F_NO_NOTIFY))
			bn.d->t->notify(bn.d, BN_RXQ);
	}
	return n;
}

/* ---- setup, handshake, stop ---- */

static struct vdev *bn_find(void)
{
	struct vdev *devs;
	int n = virtio_devs(&devs);

	for (int i = 0; i < n; i++)
		if (devs[i].usable && devs[i].id == ID_NET)
			return &devs[i];
	return NULL;
}

static bool bn_setup(const char *name)
{
	struct vdev *d = bn_find();
	u32 cfg[2];

	memset(&bn, 0, sizeof(bn));
	if (!d) {
		test_skip(name, "no usable virtio-net device");
		return false;
	}
	bn.d = d;
	memset(&bn_rxq, 0, sizeof(bn_rxq));
	memset(&bn_txq, 0, sizeof(bn_txq));
	if (!virtio_features(d, 1ULL << NET_F_MAC | 1ULL << NET_F_STATUS) ||
	    !d->t->queue_setup(d, BN_RXQ, BN_QSIZE, bn_rxq.desc, &bn_rxq.avail, &bn_rxq.used) ||
	    !d->t->queue_setup(d, BN_TXQ, BN_QSIZE, bn_txq.desc, &bn_txq.avail, &bn_txq.used) ||
	    !virtio_driver_ok(d)) {
		test_fail(name, "init at 0x%llx: %s", d->base, d->err);
		return false;
	}
	cfg[0] = d->t->config_read32(d, 0);
	cfg[1] = d->t->config_read32(d, 4);
	for (int i = 0; i < 6; i++)
		bn.mac[i] = cfg[i / 4] >> (8 * (i % 4));
	bn_rxq.avail.flags = VRING_AVAIL_F_NO_INTERRUPT;
	bn_txq.avail.flags = VRING_AVAIL_F_NO_INTERRUPT;
	for (u16 i = 0; i < BN_QSIZE; i++) {
		bn_rxq.desc[i] = (struct vring_desc){ (u64)bn_rxbuf[i], BN_BUF, VRING_DESC_F_WRITE, 0 };
		bn_rxq.avail.ring[i] = i;
		bn.tx_free[i] = BN_QSIZE - 1 - i;
	}
	bn.rx_avail = BN_QSIZE;
	bn.nr_free = BN_QSIZE;
	barrier();
	*(volatile u16 *)&bn_rxq.avail.idx = bn.rx_avail;
	bn_mb();
	d->t->notify(d, BN_RXQ);
	return true;
}

/* HELLO every 100 ms until the host's GO, for up to 10 s. */
static bool bn_handshake(const char *name, const char *mode)
{
	char hello[32];
	u64 t0 = rdtsc(), last = 0;

	snprintf(hello, sizeof(hello), "%s %s", BN_HELLO, mode);
	while (!bn.go) {
		u64 now = tsc_to_us(rdtsc() - t0);

		if (now > 10000000) {
			test_fail(name, "no %s from the host in 10 s (transport=%s)", BN_GO, bn.d->t->name);
			return false;
		}
		if (!last || now - last >= 100000) {
			bn_send_text(hello);
			last = now ?: 1;
		}
		if (!bn_rx_poll())
			cpu_relax();
	}
	return true;
}

/* STOP with the guest's figures, three times 20 ms apart (the host may drop one). */
static void bn_stop(u64 us)
{
	char stop[96];

	snprintf(stop, sizeof(stop), "%s frames=%llu bytes=%llu us=%llu", BN_STOP, bn.frames,
		 bn.bytes, us);
	for (int i = 0; i < 3; i++) {
		u64 t0 = rdtsc();

		bn_send_text(stop);
		while (tsc_to_us(rdtsc() - t0) < 20000)
			if (!bn_rx_poll())
				cpu_relax();
	}
}

static void bn_params(u64 *ms, u64 *n)
{
	char v[24];

	*ms = 2000;
	*n = 0;
	if (cmdline_get("bench_ms", v, sizeof(v)))
		*ms = parse_u64(v, NULL);
	if (cmdline_get("bench_n", v, sizeof(v)))
		*n = parse_u64(v, NULL);
	if (!*ms || *ms > 60000)
		*ms = 60000;
}

static void bn_report(const char *name, const char *dir, u64 cycles, const char *extra)
{
	u64 us = tsc_to_us(cycles) ?: 1;
	u64 mbps = bn.bytes * 8 / us;

	printf("BENCH net %s frames=%llu bytes=%llu frame=%u us=%llu Mbps=%llu%s transport=%s tsc=%s\n",
	       dir, bn.frames, bn.bytes, BN_FRAME, us, mbps, extra, bn.d->t->name,
	       tsc_khz_from_cpuid() ? "cpuid" : "pit");
	bn_stop(us);
	test_pass(name, "Mbps=%llu frames=%llu transport=%s", mbps, bn.frames, bn.d->t->name);
}

/* bench_net_tx: full-size frames to the host as fast as the tx ring takes them. */
void test_bench_net_tx(const char *name)
{
	u64 ms, n, t0, end, cycles;

	bn_params(&ms, &n);
	if (!bn_setup(name) || !bn_handshake(name, "tx"))
		return;
	if (!bn_tx_drain())
		return test_fail(name, "tx ring not drained after the handshake");
	for (u16 i = 0; i < BN_QSIZE; i++) {
		u8 *f = bn_tx_frame(i);

		for (u32 j = 14; j < BN_FRAME; j++)
			f[j] = (u8)(j * 7 + 1);
		memcpy(f + 14, BN_DATA, sizeof(BN_DATA) - 1);
		bn_txq.desc[i] = (struct vring_desc){ (u64)bn_txbuf[i], BN_HDR + BN_FRAME, 0, 0 };
	}
	t0 = rdtsc();
	end = t0 + ms * tsc_khz();
	while ((!n || bn.frames < n) && rdtsc() < end) {
		u32 queued = 0;

		bn_tx_reap();
		while (bn.nr_free && (!n || bn.frames < n)) {
			u16 id = bn.tx_free[--bn.nr_free];
			u32 seq = bn.frames++;

			memcpy(bn_txbuf[id] + BN_HDR + BN_SEQ_OFF, &seq, 4);
			bn_txq.avail.ring[bn.tx_avail++ % BN_QSIZE] = id;
			queued++;
		}
		if (queued)
			bn_tx_publish();
		else
			cpu_relax();
	}
	if (!bn_tx_drain())
		return test_fail(name, "%u frames not used by the device in 3 s (sent %llu)",
				 BN_QSIZE - bn.nr_free, bn.frames);
	cycles = rdtsc() - t0;
	bn.bytes = bn.frames * BN_FRAME;
	bn_report(name, "tx", cycles, "");
}

/* bench_net_rx: count the host's DATA frames for bench_ms from the first one. */
void test_bench_net_rx(const char *name)
{
	u64 ms, n, t0, limit;
	char extra[48];

	bn_params(&ms, &n);
	if (!bn_setup(name) || !bn_handshake(name, "rx"))
		return;
	bn.counting = true;
	t0 = rdtsc();
	limit = ms * tsc_khz();
	while (!bn.frames) {
		if (tsc_to_us(rdtsc() - t0) > 5000000)
			return test_fail(name, "no %s frame in 5 s after %s", BN_DATA, BN_GO);
		if (!bn_rx_poll())
			cpu_relax();
	}
	while ((!n || bn.frames < n) && rdtsc() - bn.first < limit)
		if (!bn_rx_poll())
			cpu_relax();
	bn.counting = false;
	snprintf(extra, sizeof(extra), " lost=%llu",
		 (u64)(bn.seq_max - bn.seq_min) + 1 - bn.frames);
	bn_report(name, "rx", bn.last - bn.first, extra);
}
