// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport and the device core, driven through the MMIO
 * bus the way a guest driver would (vm_fd = -1: kicks trap and go to the
 * I/O thread by eventfd, interrupts are counted).
 */
#include <errno.h>
#include <stdio.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "devices/virtio/mmio.h"
#include "devices/virtio/rng.h"
#include "test.h"
#include "virtio_echo.h"
#include "virtio_guest.h"

#define BASE	0xd0000000ULL
#define QSIZE	16
#define S_ACK	VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV	VIRTIO_CONFIG_S_DRIVER
#define S_FOK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK	VIRTIO_CONFIG_S_DRIVER_OK
#define F_V1	(1ULL << VIRTIO_F_VERSION_1)

static struct guest g;
static struct virtio_mmio *m;


/* ---- the driver side ---- */

static void wr(u64 off, u32 len, u64 val)
{
	u8 d[8];

	memcpy(d, &val, 8);
	bus_access(&g.vm.bus[BUS_MMIO], NULL, BASE + off, d, len, true);
}

static u64 rd(u64 off, u32 len)
{
	u64 v = 0;

	bus_access(&g.vm.bus[BUS_MMIO], NULL, BASE + off, (u8 *)&v, len, false);
	return v;
}

static void w32(u64 off, u32 val)
{
	wr(off, 4, val);
}

static u32 r32(u64 off)
{
	return rd(off, 4);
}

static void set_features(u64 f)
{
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, (u32)f);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
}

static void setup_queue(u32 q, u64 desc, u64 avail, u64 used)
{
	w32(VIRTIO_MMIO_QUEUE_SEL, q);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)desc);
	w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (u32)avail);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, (u32)used);
	w32(VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Linux's probe order (3.1.1); returns the final status. */
static u32 driver_init(u64 features)
{
	w32(VIRTIO_MMIO_STATUS, 0);
	memset(g.ram, 0, 0x10000);
	g.avail_idx = 0;
	w32(VIRTIO_MMIO_STATUS, S_ACK);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	set_features(features);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	if (!(r32(VIRTIO_MMIO_STATUS) & S_FOK))
		return r32(VIRTIO_MMIO_STATUS);
	setup_queue(0, g.desc, g.avail, g.used);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	return r32(VIRTIO_MMIO_STATUS);
}

static void start(const struct virtio_dev_ops *ops, void *opaque)
{
	int err = 0;

	guest_init(&g, QSIZE);
	memset(&echo, 0, sizeof(echo));
	m = virtio_mmio_create(&g.vm, BASE, 5, ops, opaque, &err);
}

static void stop(void)
{
	virtio_mmio_destroy(m);
	m = NULL;
	guest_free(&g);
}

static void kick0(void)
{
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

TEST(mmio_identifies_as_a_version_2_device)
{
	start(&echo_ops, &echo);
	TEST_ASSERT(m, "create");
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_VERSION), 2);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_ID), 42);
	TEST_ASSERT(r32(VIRTIO_MMIO_VENDOR_ID) != 0, "vendor");
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
	w32(VIRTIO_MMIO_QUEUE_SEL, 2);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES),
		       (1u << 3) | (1u << 28) | (1u << 29));
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 1);
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	stop();
}

TEST(mmio_refuses_features_ok_without_version_1)
{
	start(&echo_ops, &echo);
	TEST_ASSERT(!(driver_init(1ULL << 3) & S_FOK), "legacy driver accepted");
	TEST_ASSERT(!(driver_init(F_V1 | (1ULL << 5)) & S_FOK), "unoffered feature accepted");
	TEST_ASSERT(driver_init(F_V1 | (1ULL << 3)) & S_DOK, "modern driver refused");
	/* Features are frozen after FEATURES_OK. */
	set_features(F_V1 | (1ULL << 5));
	TEST_ASSERT_EQ(echo.dev->guest_features, F_V1 | (1ULL << 3));
	stop();
}

TEST(mmio_status_steps_must_come_in_order)
{
	start(&echo_ops, &echo);
	w32(VIRTIO_MMIO_STATUS, S_DRV);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), 0);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DOK);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), S_ACK);
	w32(VIRTIO_MMIO_STATUS, S_DRV);		/* cannot clear ACK */
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	w32(VIRTIO_MMIO_STATUS, 0);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), 0);
	TEST_ASSERT(echo.resets >= 1, "backend not reset");
	stop();
}

TEST(mmio_round_trip_through_the_io_thread)
{
	start(&echo_ops, &echo);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	for (int i = 0; i < 50; i++)
		TEST_ASSERT(echo_once(&g, kick0), "request %d", i);
	TEST_ASSERT(r32(VIRTIO_MMIO_INTERRUPT_STATUS) & 1, "used-buffer interrupt");
	TEST_ASSERT(virtio_mmio_nr_irqs(m) >= 1, "no irq raised");
	w32(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	stop();
}

TEST(mmio_round_trip_with_event_idx_and_indirect)
{
	u64 t, out, in;

	start(&echo_ops, &echo);
	TEST_ASSERT(driver_init(F_V1 | (1ULL << 28) | (1ULL << 29)) & S_DOK, "init");
	TEST_ASSERT(echo_once(&g, kick0), "direct");
	t = guest_alloc(&g, 32);
	out = guest_alloc(&g, 16);
	in = guest_alloc(&g, 16);
	memcpy(guest_ptr(&g, out), "indir", 5);
	guest_desc(&g, t, 0, out, 5, VRING_DESC_F_NEXT, 1);
	guest_desc(&g, t, 1, in, 5, VRING_DESC_F_WRITE, 0);
	guest_desc(&g, g.desc, 9, t, 32, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 9);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 2), "indirect request");
	TEST_ASSERT(!memcmp(guest_ptr(&g, in), "indir", 5), "data");
	stop();
}

TEST(mmio_processes_buffers_made_available_before_driver_ok)
{
	u64 out, in;

	start(&echo_ops, &echo);
	w32(VIRTIO_MMIO_STATUS, S_ACK);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	set_features(F_V1);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(0, g.desc, g.avail, g.used);
	out = guest_alloc(&g, 16);
	in = guest_alloc(&g, 16);
	struct seg s[] = { { out, 4, false }, { in, 4, true } };
	guest_chain(&g, 0, s, 2);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(20000);
	TEST_ASSERT_EQ(guest_used_idx(&g), 0);	/* 3.1.1: not before DRIVER_OK */
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	TEST_ASSERT(guest_wait_used(&g, 1), "not processed at DRIVER_OK");
	stop();
}

TEST(mmio_ignores_wrong_widths_and_unaligned_registers)
{
	start(&echo_ops, &echo);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE + 1, 4), 0);
	wr(VIRTIO_MMIO_STATUS, 1, S_ACK);
	wr(VIRTIO_MMIO_STATUS, 2, S_ACK);
	wr(VIRTIO_MMIO_STATUS, 8, S_ACK);
	wr(VIRTIO_MMIO_STATUS + 2, 4, S_ACK);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_STATUS), 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2, 0);
	TEST_ASSERT_EQ(r32(0x0f0), 0);		/* reserved register */
	w32(0x0f0, 0xffffffff);
	w32(VIRTIO_MMIO_MAGIC_VALUE, 0);	/* read-only */
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init after junk");
	TEST_ASSERT(echo_once(&g, kick0), "request after junk");
	stop();
}

TEST(mmio_config_space_is_bounds_checked)
{
	start(&echo_ops, &echo);
	memcpy(echo.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG, 1), 1);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG + 2, 2), 0x0403);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG + 4, 4), 0x08070605);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG, 8), 0x0807060504030201ULL);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG + 6, 4), 0);	/* crosses the end */
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG + 8, 1), 0);
	TEST_ASSERT_EQ(rd(VIRTIO_MMIO_CONFIG + 0xfc, 4), 0);
	wr(VIRTIO_MMIO_CONFIG + 7, 2, 0xffff);
	wr(VIRTIO_MMIO_CONFIG + 8, 4, 0xffffffff);
	wr(VIRTIO_MMIO_CONFIG + 0xf8, 8, ~0ULL);
	TEST_ASSERT_EQ(echo.config_writes, 0);
	wr(VIRTIO_MMIO_CONFIG + 7, 1, 0xaa);
	TEST_ASSERT_EQ(echo.config_writes, 1);
	TEST_ASSERT_EQ(echo.config[7], 0xaa);
	stop();
}

TEST(mmio_survives_notify_of_unset_and_unready_queues)
{
	start(&echo_ops, &echo);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);	/* before any set-up */
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);	/* queue 1 never made ready */
	w32(VIRTIO_MMIO_QUEUE_SEL, 99);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);	/* no such queue */
	w32(VIRTIO_MMIO_QUEUE_NUM, 4);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 0);
	usleep(10000);
	TEST_ASSERT(!(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET), "needs reset");
	TEST_ASSERT(echo_once(&g, kick0), "request after bogus notifies");
	stop();
}

TEST(mmio_queue_layout_is_frozen_while_ready)
{
	start(&echo_ops, &echo);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x12340000);
	w32(VIRTIO_MMIO_QUEUE_NUM, 2);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_DESC_LOW), g.desc);
	TEST_ASSERT(echo_once(&g, kick0), "request");
	stop();
}

TEST(mmio_ring_outside_ram_needs_reset)
{
	start(&echo_ops, &echo);
	w32(VIRTIO_MMIO_STATUS, S_ACK);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	set_features(F_V1);
	w32(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(0, 0x7fff0000ULL, g.avail, g.used);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 0);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(VIRTIO_MMIO_QUEUE_NUM, 3);		/* not a power of 2 */
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init after reset");
	TEST_ASSERT(echo_once(&g, kick0), "request after reset");
	stop();
}

TEST(mmio_malformed_chain_needs_reset_then_recovers)
{
	u16 head;

	start(&echo_ops, &echo);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	TEST_ASSERT(echo_once(&g, kick0), "first");
	head = 4;
	guest_desc(&g, g.desc, head, 0x200000, 16, VRING_DESC_F_NEXT, head);	/* loop */
	guest_publish(&g, head);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 5000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	TEST_ASSERT(r32(VIRTIO_MMIO_INTERRUPT_STATUS) & 2, "no config interrupt");
	TEST_ASSERT(r32(VIRTIO_MMIO_CONFIG_GENERATION) != 0, "generation");
	/* A broken device does nothing more until reset... */
	guest_desc(&g, g.desc, 0, 0x200000, 16, VRING_DESC_F_WRITE, 0);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(20000);
	TEST_ASSERT_EQ(guest_used_idx(&g), 1);
	/* ...and after one, works again. */
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "re-init");
	TEST_ASSERT(echo_once(&g, kick0), "after reset");
	stop();
}

TEST(mmio_many_hostile_guests_in_a_row)
{
	static const struct { u64 addr; u32 len; u16 flags; u16 next; } bad[] = {
		{ GUEST_RAM_SIZE, 16, 0, 0 },
		{ ~0ULL - 4, 16, 0, 0 },
		{ 0x200000, 0xffffffff, 0, 0 },
		{ 0x200000, 16, VRING_DESC_F_NEXT, 200 },
		{ 0x200000, 0, VRING_DESC_F_INDIRECT, 0 },
		{ 0x200000, 16, VRING_DESC_F_INDIRECT, 0 },	/* not negotiated */
	};

	start(&echo_ops, &echo);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		u64 f = F_V1 | (i + 1 < ARRAY_SIZE(bad) ? 1ULL << 28 : 0);

		TEST_ASSERT(driver_init(f) & S_DOK, "init %u", i);
		guest_desc(&g, g.desc, 0, bad[i].addr, bad[i].len, bad[i].flags, bad[i].next);
		guest_publish(&g, 0);
		w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		for (int t = 0; t < 5000 &&
		     !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); t++)
			usleep(1000);
		TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
			    "case %u not detected", i);
	}
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "final init");
	TEST_ASSERT(echo_once(&g, kick0), "final request");
	stop();
}

TEST(mmio_rng_fills_the_buffer)
{
	struct virtio_rng *rng = virtio_rng_create();
	u64 buf;
	u8 *p;
	int nonzero = 0;

	start(&virtio_rng_ops, rng);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	buf = guest_alloc(&g, 256);
	p = guest_ptr(&g, buf);
	memset(p, 0, 256);
	guest_desc(&g, g.desc, 0, buf, 256, VRING_DESC_F_WRITE, 0);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer");
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, 256);
	for (int i = 0; i < 256; i++)
		nonzero += p[i] != 0;
	TEST_ASSERT(nonzero > 200, "only %d non-zero bytes", nonzero);
	stop();
	virtio_rng_destroy(rng);
}

TEST(mmio_cmdline_names_size_base_and_irq)
{
	char buf[64];

	virtio_mmio_cmdline(buf, sizeof(buf), 0xd0000200ULL, 7);
	TEST_ASSERT(!strcmp(buf, "virtio_mmio.device=512@0xd0000200:7"), "%s", buf);
}

TEST(mmio_refuses_an_overlapping_window)
{
	struct virtio_rng *rng = virtio_rng_create();
	struct virtio_mmio *m2;
	int err = 0;

	start(&echo_ops, &echo);
	m2 = virtio_mmio_create(&g.vm, BASE + 0x100, 6, &virtio_rng_ops, rng, &err);
	TEST_ASSERT(!m2 && err == -EEXIST, "err=%d", err);
	stop();
	virtio_rng_destroy(rng);
}
