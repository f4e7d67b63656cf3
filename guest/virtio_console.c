// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.x 5.3) from ring 3, over either transport, and
 * the virtio_console test: a conversation with whoever feeds vmm's stdin.
 *
 * One port, no features beyond VERSION_1: queue 0 is receiveq(port0),
 * queue 1 transmitq(port0). Receive buffers are small (CON_RXBUF bytes) so
 * that a line longer than all of them together spans many buffers and makes
 * the device wait for buffers handed back. Everything is polled.
 *
 * What the device sends goes to vmm's stdout next to COM1's output; the
 * guest waits for each transmit buffer to be used before it goes on, and
 * vmm writes a buffer out before it marks it used, so hvc lines and COM1
 * lines keep their order on vmm's stdout.
 */
#include "virtio.h"

#define CON_RXQ			0
#define CON_TXQ			1
#define CON_RXBUFS		VQ_SIZE
#define CON_RXBUF		32
#define CON_LINE_MAX		1024
#define CON_LINE_US		10000000	/* per line from vmm's stdin */
#define CON_HOLD_US		500000		/* DRIVER_OK but no receive buffers */
#define VRING_USED_F_NO_NOTIFY	1

#define CON_LONG_MIN		(CON_RXBUFS * CON_RXBUF + 1)
#define CON_ASCII_FIRST		0x20
#define CON_ASCII_LAST		0x7e

static struct vring con_txq;
static struct {
	u8 rx[CON_RXBUFS][CON_RXBUF];
	char tx[CON_LINE_MAX + 64];
	char line[CON_LINE_MAX + 1];
} con __attribute__((aligned(4096)));

static struct {
	struct vdev *d;
	u16 tx_avail, tx_used;
	u16 cur_id;			/* the receive buffer being read */
	u32 cur_pos, cur_len;		/* cur_pos < cur_len: bytes left in it */
	u32 rx_taken;			/* used receive buffers with data */
	u32 rx_empty;			/* used receive buffers without */
	char err[160];
} cs;

static inline void con_mb(void)
{
	__asm__ __volatile__("lock orq $0, (%%rsp)" ::: "memory", "cc");
}

static void con_kick(struct vring *vr, u16 q)
{
	con_mb();
	if (!(*(volatile u16 *)&vr->used.flags & VRING_USED_F_NO_NOTIFY))
		cs.d->t->notify(cs.d, q);
}

/* ---- transmitq ---- */

/* One chain of @n device-readable segments; waits until the device used it. */
static bool con_tx(const char *const *buf, const u32 *len, int n)
{
	struct vring *vr = &con_txq;
	u64 t0;

	for (int i = 0; i < n; i++)
		vr->desc[i] = (struct vring_desc){ (u64)buf[i], len[i],
						   i + 1 < n ? VRING_DESC_F_NEXT : 0,
						   i + 1 < n ? i + 1 : 0 };
	vr->avail.ring[cs.tx_avail % VQ_SIZE] = 0;
	barrier();
	*(volatile u16 *)&vr->avail.idx = ++cs.tx_avail;
	con_kick(vr, CON_TXQ);
	t0 = rdtsc();
	while (*(volatile u16 *)&vr->used.idx == cs.tx_used) {
		if (tsc_to_us(rdtsc() - t0) > VQ_TIMEOUT_US) {
			snprintf(cs.err, sizeof(cs.err),
				 "transmitq: no used buffer in %u ms (used.idx=%u avail.idx=%u status=0x%x)",
				 VQ_TIMEOUT_US / 1000, *(volatile u16 *)&vr->used.idx, cs.tx_avail,
				 cs.d->t->get_status(cs.d));
			return false;
		}
		cpu_relax();
	}
	barrier();
	if (vr->used.ring[cs.tx_used % VQ_SIZE].id != 0) {
		snprintf(cs.err, sizeof(cs.err), "transmitq: used id=%u, sent 0",
			 vr->used.ring[cs.tx_used % VQ_SIZE].id);
		return false;
	}
	cs.tx_used++;
	return true;
}

static bool con_puts(const char *s)
{
	const char *buf[1] = { s };
	u32 len[1] = { strlen(s) };

	return con_tx(buf, len, 1);
}

/* "ECHO: " and the line, in a chain of three descriptors. */
static bool con_echo(const char *line, u32 n)
{
	static const char prefix[] = "ECHO: ", nl[] = "\n";
	const char *buf[3] = { prefix, line, nl };
	u32 len[3] = { sizeof(prefix) - 1, n, 1 };

	return con_tx(buf, len, 3);
}

/* ---- receiveq ---- */

static void con_rx_post(u16 id)
{
	struct vring *vr = cs.d->vr;

	vr->desc[id] = (struct vring_desc){ (u64)con.rx[id], CON_RXBUF, VRING_DESC_F_WRITE, 0 };
	vr->avail.ring[cs.d->avail_idx % VQ_SIZE] = id;
	barrier();
	*(volatile u16 *)&vr->avail.idx = ++cs.d->avail_idx;
}

/* The next byte from vmm's stdin; -1 with cs.err set on timeout or a bad used entry. */
static int con_getc(u64 t0, u64 timeout_us)
{
	struct vring *vr = cs.d->vr;
	u8 c;

	while (cs.cur_pos == cs.cur_len) {
		u16 idx = *(volatile u16 *)&vr->used.idx;
		u32 id, len;

		if (idx == cs.d->last_used) {
			if (tsc_to_us(rdtsc() - t0) > timeout_us) {
				snprintf(cs.err, sizeof(cs.err), "timeout");
				return -1;
			}
			cpu_relax();
			continue;
		}
		barrier();
		id = vr->used.ring[cs.d->last_used % VQ_SIZE].id;
		len = vr->used.ring[cs.d->last_used % VQ_SIZE].len;
		cs.d->last_used++;
		if (id >= CON_RXBUFS || len > CON_RXBUF) {
			snprintf(cs.err, sizeof(cs.err), "receiveq: used id=%u len=%u (buffers of %u)",
				 id, len, CON_RXBUF);
			return -1;
		}
		if (!len) {
			cs.rx_empty++;
			con_rx_post(id);
			con_kick(vr, CON_RXQ);
			continue;
		}
		cs.rx_taken++;
		cs.cur_id = id;
		cs.cur_pos = 0;
		cs.cur_len = len;
	}
	c = con.rx[cs.cur_id][cs.cur_pos++];
	/* Used up: straight back to the device, which may be holding input for it. */
	if (cs.cur_pos == cs.cur_len) {
		con_rx_post(cs.cur_id);
		con_kick(vr, CON_RXQ);
	}
	return c;
}

/*
 * One line (without its '\n', a '\r' before it dropped) into con.line;
 * its length, or -1 with cs.err set. @bufs: receive buffers it came in.
 */
static int con_getline(u32 *bufs)
{
	u64 t0 = rdtsc();
	u32 taken = cs.rx_taken;
	bool open = cs.cur_pos < cs.cur_len;
	int n = 0, c;

	for (;;) {
		c = con_getc(t0, CON_LINE_US);
		if (c < 0) {
			char part[40];

			con.line[n] = 0;
			snprintf(part, sizeof(part), "%s", con.line);
			snprintf(cs.err + strlen(cs.err), sizeof(cs.err) - strlen(cs.err),
				 " after %d bytes of the line (\"%s\")", n, part);
			return -1;
		}
		if (c == '\n')
			break;
		if (n == CON_LINE_MAX) {
			snprintf(cs.err, sizeof(cs.err), "line longer than %u bytes", CON_LINE_MAX);
			return -1;
		}
		con.line[n++] = c;
	}
	if (n && con.line[n - 1] == '\r')
		n--;
	con.line[n] = 0;
	*bufs = cs.rx_taken - taken + open;
	return n;
}

/* "LONG n=<N> 000 001 ... <N-1>": every number once, in order, N * 4 >= CON_LONG_MIN. */
static bool long_line_ok(const char *s, int len, char *why, size_t whylen)
{
	const char *e;
	u64 want, i;

	if (strncmp(s, "LONG n=", 7)) {
		snprintf(why, whylen, "does not start with 'LONG n='");
		return false;
	}
	want = parse_u64(s + 7, &e);
	if (e == s + 7 || want > 1000) {
		snprintf(why, whylen, "bad count");
		return false;
	}
	for (i = 0; i < want; i++) {
		const char *p = e;
		u64 v;

		if (*e++ != ' ') {
			snprintf(why, whylen, "no ' ' before number %llu at offset %ld", i, (long)(p - s));
			return false;
		}
		v = parse_u64(e, &p);
		if (p != e + 3 || v != i) {
			snprintf(why, whylen, "number %llu reads %llu at offset %ld", i, v,
				 (long)(e - s));
			return false;
		}
		e = p;
	}
	if (e != s + len) {
		snprintf(why, whylen, "%ld bytes after number %llu", (long)(s + len - e), want - 1);
		return false;
	}
	if (len < CON_LONG_MIN) {
		snprintf(why, whylen, "%d bytes, shorter than the %u posted", len,
			 CON_RXBUFS * CON_RXBUF);
		return false;
	}
	return true;
}

static struct vdev *con_find(void)
{
	struct vdev *devs;
	int n = virtio_devs(&devs);

	for (int i = 0; i < n; i++)
		if (devs[i].usable && devs[i].id == ID_CONSOLE)
			return &devs[i];
	return NULL;
}

/* Driver set-up of both queues; false with the test failed or skipped. */
static bool con_setup(const char *name, struct vdev *d)
{
	if (!d) {
		test_skip(name, "no usable virtio-console device (vmm --console virtio)");
		return false;
	}
	memset(&cs, 0, sizeof(cs));
	cs.d = d;
	d->avail_idx = d->last_used = 0;
	if (!virtio_features(d, 0) || !virtio_queue_setup(d, CON_RXQ, d->vr) ||
	    !virtio_queue_setup(d, CON_TXQ, &con_txq) || !virtio_driver_ok(d)) {
		test_fail(name, "init at 0x%llx: %s", d->base, d->err);
		return false;
	}
	return true;
}

/*
 * Transmit two lines (HVC hello, HVC ascii with every byte 0x20-0x7e), wait
 * CON_HOLD_US with no receive buffers (vmm must hold what comes meanwhile),
 * post 16 buffers of 32 bytes, then read three lines from vmm's stdin and
 * echo each: any text (typed early), the LONG line (checked), the 95
 * printable bytes (checked).
 */
void test_virtio_console(const char *name)
{
	struct vdev *d = con_find();
	char ascii[CON_ASCII_LAST - CON_ASCII_FIRST + 2], why[96];
	u32 bufs[3];
	int len[3];
	u64 t0, held_us = 0;

	if (!con_setup(name, d))
		return;
	printf("VIRTIO_CONSOLE transport=%s base=0x%llx offered=0x%llx accepted=0x%llx\n",
	       d->t->name, d->base, d->offered, d->features);

	snprintf(con.tx, sizeof(con.tx), "HVC hello transport=%s\n", d->t->name);
	if (!con_puts(con.tx))
		return test_fail(name, "hello: %s", cs.err);
	for (int c = CON_ASCII_FIRST; c <= CON_ASCII_LAST; c++)
		ascii[c - CON_ASCII_FIRST] = c;
	ascii[sizeof(ascii) - 1] = 0;
	snprintf(con.tx, sizeof(con.tx), "HVC ascii=%s\n", ascii);
	if (!con_puts(con.tx))
		return test_fail(name, "ascii: %s", cs.err);

	udelay(CON_HOLD_US);
	for (u16 i = 0; i < CON_RXBUFS; i++)
		con_rx_post(i);
	con_kick(d->vr, CON_RXQ);
	printf("VIRTIO_CONSOLE rx buffers=%u size=%u posted after %u ms\n", CON_RXBUFS, CON_RXBUF,
	       CON_HOLD_US / 1000);

	for (int i = 0; i < 3; i++) {
		t0 = rdtsc();
		len[i] = con_getline(&bufs[i]);
		if (len[i] < 0)
			return test_fail(name, "line %d: %s", i + 1, cs.err);
		if (!i)
			held_us = tsc_to_us(rdtsc() - t0);
		printf("VIRTIO_CONSOLE rx line=%d len=%d buffers=%u\n", i + 1, len[i], bufs[i]);
		if (!con_echo(con.line, len[i]))
			return test_fail(name, "echo of line %d: %s", i + 1, cs.err);
		if (i == 0 && !len[i])
			return test_fail(name, "line 1 is empty");
		if (i == 1 && !long_line_ok(con.line, len[i], why, sizeof(why)))
			return test_fail(name, "line 2 (LONG, %d bytes in %u buffers): %s", len[i],
					 bufs[i], why);
		if (i == 1 && bufs[i] < 2)
			return test_fail(name, "line 2: %d bytes in %u buffer(s)", len[i], bufs[i]);
		if (i == 2 && (len[i] != (int)sizeof(ascii) - 1 || memcmp(con.line, ascii, len[i])))
			return test_fail(name, "line 3 is not the bytes 0x20-0x7e (len=%d)", len[i]);
	}
	test_pass(name, "transport=%s line1=%dB/%ums long=%dB/%ubufs ascii=%dB empty_bufs=%u",
		  d->t->name, len[0], (u32)(held_us / 1000), len[1], bufs[1], len[2], cs.rx_empty);
}

/*
 * Stress for vmm's teardown: the transmitq full of pieces of a panic line,
 * one kick, and a reset at once, while vmm's I/O thread is still writing
 * them out (and, with the console watch on, about to report the panic).
 * vmm must stop the device thread before it frees what it reaches. Never
 * returns: the guest resets (or vmm stopped it as panicked).
 */
void test_hvc_panic_reset(const char *name)
{
	struct vdev *d = con_find();
	struct vring *vr = &con_txq;
	static const char piece[] = "Kernel panic - not syncing: flood ";
	u16 n = VQ_SIZE, i;

	if (!con_setup(name, d))
		return;
	/* A different cut each boot: the race lands elsewhere every time. */
	n = VQ_SIZE / 2 + rdtsc() % (VQ_SIZE / 2);
	for (i = 0; i < n; i++) {
		vr->desc[i] = (struct vring_desc){ (u64)piece, sizeof(piece) - 1, 0, 0 };
		if (i + 1 == n)
			vr->desc[i] = (struct vring_desc){ (u64)"\n", 1, 0, 0 };
		vr->avail.ring[i] = i;
	}
	barrier();
	*(volatile u16 *)&vr->avail.idx = n;
	con_kick(vr, CON_TXQ);
	do_reset();
}
