// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console over virtio-mmio, driven by a fake guest: what it
 * transmits reaches the terminal (a real struct term writing to a pipe),
 * and terminal input lands in its receive buffers, never more than they
 * hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "devices/term.h"
#include "devices/virtio/console.h"
#include "devices/virtio/mmio.h"
#include "test.h"
#include "virtio_guest.h"

#define BASE		GUEST_MMIO_BASE
#define QSIZE		16
#define S_ALL		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

static struct guest rx;			/* owns the RAM and the vm; receiveq */
static struct guest tx;			/* transmitq: same RAM, its own ring */
static struct virtio_mmio *m;
static struct virtio_console *con;
static struct term *term;
static int out_pipe[2] = { -1, -1 };

static void w32(u64 off, u32 val)
{
	guest_mmio_w32(&rx, off, val);
}

static u32 r32(u64 off)
{
	return guest_mmio_r32(&rx, off);
}

static void queue_setup(u32 q, struct guest *g)
{
	guest_mmio_queue_setup(&rx, q, g, QSIZE);
}

static const char *start(void)
{
	static const struct term_ops ops = { NULL, NULL, 0 };
	int err = 0;

	guest_init(&rx, QSIZE);
	tx = rx;
	tx.desc = 0x8000;
	tx.avail = tx.desc + 16ULL * QSIZE;
	tx.used = ALIGN_UP(tx.avail + 6 + 2ULL * QSIZE, 4);
	tx.heap = 0x200000;
	if (pipe2(out_pipe, O_NONBLOCK) < 0)
		return "pipe";
	term = term_open(-1, out_pipe[1], &ops, NULL);
	if (!term)
		return "term_open";
	rx.vm.term = term;
	con = virtio_console_create(&rx.vm);
	if (!con)
		return "create";
	m = virtio_mmio_create(&rx.vm, BASE, 5, &virtio_console_ops, con, &err);
	if (!m)
		return "mmio create";
	rx.vm.console_rx = virtio_console_rx;
	rx.vm.console_opaque = con;
	if (r32(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_CONSOLE)
		return "device id";
	guest_mmio_features_ok(&rx);
	queue_setup(0, &rx);
	queue_setup(1, &tx);
	w32(VIRTIO_MMIO_STATUS, S_ALL);
	return r32(VIRTIO_MMIO_STATUS) == S_ALL ? NULL : "driver init";
}

static void stop(void)
{
	virtio_mmio_destroy(m);
	virtio_console_destroy(con);
	m = NULL;
	con = NULL;
	term_close(term);
	term = NULL;
	close(out_pipe[0]);
	close(out_pipe[1]);
	guest_free(&rx);
}

/* Everything the terminal wrote out so far. */
static size_t term_output(char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	term_flush(term);
	while (got < cap - 1 && (n = read(out_pipe[0], buf + got, cap - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	return got;
}

/* Guest transmits @s in one readable buffer at descriptor @d; waited for. */
static bool guest_send(u16 d, const char *s)
{
	u16 want = guest_used_idx(&tx) + 1;
	u64 a = guest_alloc(&tx, strlen(s));

	memcpy(guest_ptr(&tx, a), s, strlen(s));
	guest_desc(&tx, tx.desc, d, a, strlen(s), 0, 0);
	guest_publish(&tx, d);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	return guest_wait_used(&tx, want);
}

/* Guest offers a @len-byte receive buffer at descriptor @d; returns its gpa. */
static u64 guest_offer(u16 d, u32 len)
{
	u64 a = guest_alloc(&rx, len);

	memset(guest_ptr(&rx, a), 0, len);
	guest_desc(&rx, rx.desc, d, a, len, VRING_DESC_F_WRITE, 0);
	guest_publish(&rx, d);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return a;
}

static size_t host_type(const char *s)
{
	return rx.vm.console_rx(rx.vm.console_opaque, (const u8 *)s, strlen(s));
}

TEST(virtio_console_transmit_reaches_the_terminal)
{
	const char *why = start();
	char out[256];

	TEST_ASSERT(!why, "%s", why);
	TEST_ASSERT(guest_send(0, "hello from hvc0\n"), "tx not used");
	TEST_ASSERT(guest_send(1, "second line\n"), "tx not used");
	term_output(out, sizeof(out));
	TEST_ASSERT(!strcmp(out, "hello from hvc0\nsecond line\n"), "terminal got '%s'", out);
	TEST_ASSERT_EQ(guest_used(&tx)->ring[0].len, 0);
	stop();
}

TEST(virtio_console_transmit_gathers_a_chain)
{
	const char *why = start();
	u64 a = guest_alloc(&tx, 16), b = guest_alloc(&tx, 16);
	char out[64];

	TEST_ASSERT(!why, "%s", why);
	memcpy(guest_ptr(&tx, a), "abc", 3);
	memcpy(guest_ptr(&tx, b), "def\n", 4);
	guest_chain(&tx, 0, (struct seg[]){ { a, 3, false }, { b, 4, false } }, 2);
	guest_publish(&tx, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	TEST_ASSERT(guest_wait_used(&tx, 1), "tx not used");
	term_output(out, sizeof(out));
	TEST_ASSERT(!strcmp(out, "abcdef\n"), "terminal got '%s'", out);
	stop();
}

TEST(virtio_console_input_fills_receive_buffers)
{
	const char *why = start();
	u64 a, b;

	TEST_ASSERT(!why, "%s", why);
	a = guest_offer(0, 4);
	b = guest_offer(1, 64);
	TEST_ASSERT_EQ(host_type("ls -l\r"), 6);
	TEST_ASSERT_EQ(guest_used_idx(&rx), 2);
	TEST_ASSERT_EQ(guest_used(&rx)->ring[0].id, 0);
	TEST_ASSERT_EQ(guest_used(&rx)->ring[0].len, 4);
	TEST_ASSERT_EQ(guest_used(&rx)->ring[1].len, 2);
	TEST_ASSERT(!memcmp(guest_ptr(&rx, a), "ls -", 4), "first buffer");
	TEST_ASSERT(!memcmp(guest_ptr(&rx, b), "l\r", 2), "second buffer");
	stop();
}

TEST(virtio_console_input_without_buffers_is_refused_not_lost)
{
	const char *why = start();
	u64 a;

	TEST_ASSERT(!why, "%s", why);
	/* Nothing offered: nothing taken, so the terminal keeps it. */
	TEST_ASSERT_EQ(host_type("xyz"), 0);
	/* Too little room: only what fits is taken. */
	a = guest_offer(0, 2);
	TEST_ASSERT_EQ(host_type("xyz"), 2);
	TEST_ASSERT(!memcmp(guest_ptr(&rx, a), "xy", 2), "buffer");
	TEST_ASSERT_EQ(host_type("z"), 0);
	a = guest_offer(1, 8);
	TEST_ASSERT_EQ(host_type("z"), 1);
	TEST_ASSERT(!memcmp(guest_ptr(&rx, a), "z", 1), "buffer");
	TEST_ASSERT_EQ(guest_used_idx(&rx), 2);
	stop();
}

TEST(virtio_console_input_before_driver_ok_is_refused)
{
	const char *why = start();

	TEST_ASSERT(!why, "%s", why);
	w32(VIRTIO_MMIO_STATUS, 0);
	TEST_ASSERT_EQ(host_type("abc"), 0);
	stop();
}

TEST(virtio_console_malformed_receive_chain_needs_reset)
{
	const char *why = start();

	TEST_ASSERT(!why, "%s", why);
	/* A descriptor outside guest RAM. */
	guest_desc(&rx, rx.desc, 0, GUEST_RAM_SIZE - 2, 64, VRING_DESC_F_WRITE, 0);
	guest_publish(&rx, 0);
	TEST_ASSERT_EQ(host_type("abc"), 0);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	TEST_ASSERT_EQ(host_type("abc"), 0);
	stop();
}

TEST(virtio_console_malformed_transmit_chain_needs_reset_then_recovers)
{
	const char *why = start();
	char out[64];

	TEST_ASSERT(!why, "%s", why);
	/* A loop: descriptor 0 -> 1 -> 0. */
	guest_desc(&tx, tx.desc, 0, 0x300000, 4, VRING_DESC_F_NEXT, 1);
	guest_desc(&tx, tx.desc, 1, 0x300000, 4, VRING_DESC_F_NEXT, 0);
	guest_publish(&tx, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	for (int i = 0; i < 5000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	/* The driver resets and starts over: the device works again. */
	w32(VIRTIO_MMIO_STATUS, 0);
	memset(rx.ram, 0, 0x10000);
	rx.avail_idx = tx.avail_idx = 0;
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	w32(VIRTIO_MMIO_STATUS, S_ALL & ~VIRTIO_CONFIG_S_DRIVER_OK);
	queue_setup(0, &rx);
	queue_setup(1, &tx);
	w32(VIRTIO_MMIO_STATUS, S_ALL);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), S_ALL);
	term_output(out, sizeof(out));
	TEST_ASSERT(guest_send(0, "back\n"), "tx not used");
	term_output(out, sizeof(out));
	TEST_ASSERT(!strcmp(out, "back\n"), "terminal got '%s'", out);
	stop();
}

TEST(virtio_console_destroy_gives_the_console_back)
{
	const char *why = start();

	TEST_ASSERT(!why, "%s", why);
	virtio_mmio_destroy(m);
	virtio_console_destroy(con);
	TEST_ASSERT(rx.vm.console_rx == NULL, "console_rx still set");
	m = NULL;
	con = NULL;
	term_close(term);
	close(out_pipe[0]);
	close(out_pipe[1]);
	guest_free(&rx);
}

/*
 * start() accepts EVENT_IDX, as Linux does: the driver kicks only when
 * avail_event asks for it. Input held for want of receive buffers must ask
 * for a kick on the next one, or it waits for the terminal's slow retry.
 */
TEST(virtio_console_out_of_buffers_asks_for_a_kick)
{
	const char *why = start();
	u16 *avail_event = (u16 *)&guest_used(&rx)->ring[QSIZE];
	u16 old, new;

	TEST_ASSERT(!why, "%s", why);
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	TEST_ASSERT(r32(VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_RING_F_EVENT_IDX,
		    "EVENT_IDX not offered");
	guest_offer(0, 2);
	guest_offer(1, 2);
	TEST_ASSERT_EQ(host_type("abcdef"), 4);
	/* The driver's next buffer moves avail idx from 2 to 3: vring_need_event(). */
	old = rx.avail_idx;
	new = old + 1;
	TEST_ASSERT((u16)(new - *avail_event - 1) < (u16)(new - old),
		    "no kick asked for: avail_event %u, avail idx %u", *avail_event, old);
	guest_offer(2, 8);
	TEST_ASSERT_EQ(host_type("ef"), 2);
	TEST_ASSERT_EQ(guest_used_idx(&rx), 3);
	stop();
}
