// SPDX-License-Identifier: GPL-2.0
/* The split virtqueue against a well-behaved and a hostile driver. */
#include <errno.h>

#include "devices/virtio/virtqueue.h"
#include "test.h"
#include "virtio_guest.h"

#define QSIZE 8

static struct guest g;
static struct virtq vq;
static struct iovec iov[64];
static struct virtq_chain c;

static void setup(bool indirect, bool event_idx)
{
	guest_init(&g, QSIZE);
	memset(&vq, 0, sizeof(vq));
	virtq_init(&vq, &g.vm, 0, QSIZE);
	vq.desc_gpa = g.desc;
	vq.avail_gpa = g.avail;
	vq.used_gpa = g.used;
	virtq_set_features(&vq, indirect, event_idx);
	c = (struct virtq_chain){ .cap = ARRAY_SIZE(iov), .iov = iov };
}

/* Request-shaped chain: header (readable), data and status (writable). */
static void publish_good(u16 first)
{
	struct seg s[] = {
		{ 0x200000, 16, false },
		{ 0x201000, 512, true },
		{ 0x202000, 1, true },
	};

	guest_chain(&g, first, s, 3);
	guest_publish(&g, first);
}

/* One writable buffer (an rx buffer) in descriptor @head. */
static void publish_buf(u16 head)
{
	struct seg s = { 0x201000, 1526, true };

	guest_chain(&g, head, &s, 1);
	guest_publish(&g, head);
}

/* After a malformation: broken until reset, then a good chain works. */
static int recovers(void)
{
	if (virtq_pop(&vq, &c) != -EIO)
		return 1;
	virtq_reset(&vq);
	memset(g.ram, 0, 0x10000);
	g.avail_idx = 0;
	vq.desc_gpa = g.desc;
	vq.avail_gpa = g.avail;
	vq.used_gpa = g.used;
	virtq_set_features(&vq, true, false);
	c.cap = ARRAY_SIZE(iov);
	if (virtq_enable(&vq))
		return 2;
	publish_good(0);
	if (virtq_pop(&vq, &c) != 1 || c.nr != 3 || c.nr_out != 1)
		return 3;
	virtq_push(&vq, c.head, 513);
	return guest_used_idx(&g) == 1 ? 0 : 4;
}

#define EXPECT_MALFORMED(err)						\
	do {								\
		int r_ = virtq_pop(&vq, &c);				\
		TEST_ASSERT(r_ == (err), "pop = %d, expected %d", r_, (err)); \
		TEST_ASSERT(vq.broken && vq.why, "queue not marked broken"); \
		r_ = recovers();					\
		TEST_ASSERT(r_ == 0, "no recovery (step %d)", r_);	\
		guest_free(&g);						\
	} while (0)

TEST(virtq_pops_a_request_chain)
{
	setup(false, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 0);
	publish_good(0);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT_EQ(c.head, 0);
	TEST_ASSERT_EQ(c.nr, 3);
	TEST_ASSERT_EQ(c.nr_out, 1);
	TEST_ASSERT_EQ(c.out_len, 16);
	TEST_ASSERT_EQ(c.in_len, 513);
	TEST_ASSERT(iov[0].iov_base == g.ram + 0x200000, "iov0");
	TEST_ASSERT(iov[1].iov_base == g.ram + 0x201000 && iov[1].iov_len == 512, "iov1");
	TEST_ASSERT(iov[2].iov_base == g.ram + 0x202000 && iov[2].iov_len == 1, "iov2");
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 0);
	guest_free(&g);
}

TEST(virtq_push_publishes_used_element)
{
	struct vring_used *u;

	setup(false, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	publish_good(3);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	virtq_push(&vq, c.head, 77);
	u = guest_used(&g);
	TEST_ASSERT_EQ(u->idx, 1);
	TEST_ASSERT_EQ(u->ring[0].id, 3);
	TEST_ASSERT_EQ(u->ring[0].len, 77);
	guest_free(&g);
}

TEST(virtq_wraps_around_the_ring_many_times)
{
	setup(false, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	for (int i = 0; i < 70000; i++) {
		publish_good((i * 3) % QSIZE);
		TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
		TEST_ASSERT_EQ(c.head, (i * 3) % QSIZE);
		virtq_push(&vq, c.head, 1);
	}
	TEST_ASSERT_EQ(guest_used_idx(&g), (u16)70000);
	guest_free(&g);
}

TEST(virtq_drops_zero_length_descriptors)
{
	struct seg s[] = { { 0x200000, 16, false }, { 0xdeadbeef000ULL, 0, true },
			   { 0x202000, 1, true } };

	setup(false, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	guest_chain(&g, 0, s, 3);
	guest_publish(&g, 0);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT_EQ(c.nr, 2);
	guest_free(&g);
}

TEST(virtq_follows_an_indirect_table)
{
	u64 t = 0x300008;	/* only 8-aligned: allowed for indirect tables */

	setup(true, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	guest_desc(&g, t, 0, 0x200000, 16, VRING_DESC_F_NEXT, 2);
	guest_desc(&g, t, 2, 0x201000, 4096, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	guest_desc(&g, t, 1, 0x202000, 1, VRING_DESC_F_WRITE, 0);
	guest_desc(&g, g.desc, 5, t, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 5);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT_EQ(c.head, 5);
	TEST_ASSERT_EQ(c.nr, 3);
	TEST_ASSERT_EQ(c.nr_out, 1);
	TEST_ASSERT_EQ(c.in_len, 4097);
	guest_free(&g);
}

TEST(virtq_follows_direct_then_indirect)
{
	u64 t = 0x300000;

	setup(true, false);
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	guest_desc(&g, g.desc, 0, 0x200000, 16, VRING_DESC_F_NEXT, 1);
	guest_desc(&g, g.desc, 1, t, 16, VRING_DESC_F_INDIRECT, 0);
	guest_desc(&g, t, 0, 0x202000, 1, VRING_DESC_F_WRITE, 0);
	guest_publish(&g, 0);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT_EQ(c.nr, 2);
	guest_free(&g);
}

TEST(virtq_enable_checks_size_alignment_and_placement)
{
	setup(false, false);
	vq.size = 6;
	TEST_ASSERT_EQ(virtq_enable(&vq), -EINVAL);
	vq.size = 0;
	TEST_ASSERT_EQ(virtq_enable(&vq), -EINVAL);
	vq.size = QSIZE * 2;
	TEST_ASSERT_EQ(virtq_enable(&vq), -EINVAL);
	vq.size = QSIZE;
	vq.desc_gpa = g.desc + 8;
	TEST_ASSERT_EQ(virtq_enable(&vq), -EINVAL);
	vq.desc_gpa = g.desc;
	vq.used_gpa = g.used + 2;
	TEST_ASSERT_EQ(virtq_enable(&vq), -EINVAL);
	vq.used_gpa = GUEST_RAM_SIZE - 16;	/* runs off the end of RAM */
	TEST_ASSERT_EQ(virtq_enable(&vq), -EFAULT);
	vq.used_gpa = ~0ULL & ~3ULL;		/* wraps */
	TEST_ASSERT_EQ(virtq_enable(&vq), -EFAULT);
	vq.used_gpa = 0x100000000ULL;		/* a hole */
	TEST_ASSERT_EQ(virtq_enable(&vq), -EFAULT);
	TEST_ASSERT(!vq.ready, "ready after failures");
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 0);
	vq.used_gpa = g.used;
	TEST_ASSERT_EQ(virtq_enable(&vq), 0);
	guest_free(&g);
}

/* ---- the hostile driver ---- */

TEST(virtq_detects_a_descriptor_loop)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, 0x200000, 16, VRING_DESC_F_NEXT, 1);
	guest_desc(&g, g.desc, 1, 0x200000, 16, VRING_DESC_F_NEXT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-ELOOP);
}

TEST(virtq_detects_a_loop_through_the_whole_table)
{
	setup(true, false);
	virtq_enable(&vq);
	for (u16 i = 0; i < QSIZE; i++)
		guest_desc(&g, g.desc, i, 0x200000, 16, VRING_DESC_F_NEXT, (i + 1) % QSIZE);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-ELOOP);
}

TEST(virtq_detects_a_loop_inside_an_indirect_table)
{
	u64 t = 0x300000;

	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, t, 0, 0x200000, 16, VRING_DESC_F_NEXT, 1);
	guest_desc(&g, t, 1, 0x200000, 16, VRING_DESC_F_NEXT, 0);
	guest_desc(&g, g.desc, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-ELOOP);
}

TEST(virtq_accepts_a_chain_as_long_as_the_queue)
{
	setup(true, false);
	virtq_enable(&vq);
	for (u16 i = 0; i < QSIZE; i++)
		guest_desc(&g, g.desc, i, 0x200000, 16,
			   i + 1 < QSIZE ? VRING_DESC_F_NEXT : 0, i + 1);
	guest_publish(&g, 0);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT_EQ(c.nr, QSIZE);
	guest_free(&g);
}

TEST(virtq_refuses_more_segments_than_the_device_takes)
{
	setup(true, false);
	virtq_enable(&vq);
	c.cap = 2;
	publish_good(0);
	EXPECT_MALFORMED(-E2BIG);
}

TEST(virtq_refuses_buffers_outside_ram)
{
	struct seg s[] = { { GUEST_RAM_SIZE, 16, false } };

	setup(true, false);
	virtq_enable(&vq);
	guest_chain(&g, 0, s, 1);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EFAULT);
}

TEST(virtq_refuses_buffers_crossing_the_end_of_ram)
{
	struct seg s[] = { { GUEST_RAM_SIZE - 8, 16, true } };

	setup(true, false);
	virtq_enable(&vq);
	guest_chain(&g, 0, s, 1);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EFAULT);
}

TEST(virtq_refuses_lengths_that_wrap_the_address)
{
	struct seg s[] = { { ~0ULL - 10, 100, false } };

	setup(true, false);
	virtq_enable(&vq);
	guest_chain(&g, 0, s, 1);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EFAULT);
}

TEST(virtq_refuses_a_huge_length)
{
	struct seg s[] = { { 0x1000, 0xffffffff, true } };

	setup(true, false);
	virtq_enable(&vq);
	guest_chain(&g, 0, s, 1);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EFAULT);
}

TEST(virtq_refuses_readable_after_writable)
{
	struct seg s[] = { { 0x200000, 16, true }, { 0x201000, 16, false } };

	setup(true, false);
	virtq_enable(&vq);
	guest_chain(&g, 0, s, 2);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_next_out_of_range)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, 0x200000, 16, VRING_DESC_F_NEXT, QSIZE + 3);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_head_out_of_range)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_publish(&g, 0xffff);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_avail_idx_jumping_past_the_queue)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_avail(&g)->idx = QSIZE + 1;
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_indirect_when_not_negotiated)
{
	setup(false, false);
	virtq_enable(&vq);
	guest_desc(&g, 0x300000, 0, 0x200000, 16, 0, 0);
	guest_desc(&g, g.desc, 0, 0x300000, 16, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_indirect_inside_indirect)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, 0x300000, 0, 0x310000, 16, VRING_DESC_F_INDIRECT, 0);
	guest_desc(&g, 0x310000, 0, 0x200000, 16, 0, 0);
	guest_desc(&g, g.desc, 0, 0x300000, 16, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_zero_length_indirect)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, 0x300000, 0, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_indirect_length_not_a_multiple_of_16)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, 0x300000, 24, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_an_oversized_indirect_table)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, 0x300000, (VIRTQ_INDIRECT_MAX + 1) * 16,
		   VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_indirect_with_next)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, 0x300000, 0, 0x200000, 16, 0, 0);
	guest_desc(&g, g.desc, 0, 0x300000, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	guest_desc(&g, g.desc, 1, 0x200000, 16, 0, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EINVAL);
}

TEST(virtq_refuses_indirect_table_outside_ram)
{
	setup(true, false);
	virtq_enable(&vq);
	guest_desc(&g, g.desc, 0, GUEST_RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	guest_publish(&g, 0);
	EXPECT_MALFORMED(-EFAULT);
}

/* ---- notification suppression ---- */

TEST(virtq_honours_no_interrupt_without_event_idx)
{
	setup(false, false);
	virtq_enable(&vq);
	publish_good(0);
	virtq_pop(&vq, &c);
	virtq_push(&vq, c.head, 1);
	TEST_ASSERT(virtq_should_notify(&vq), "notify by default");
	guest_avail(&g)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	TEST_ASSERT(!virtq_should_notify(&vq), "NO_INTERRUPT ignored");
	guest_free(&g);
}

TEST(virtq_event_idx_notifies_only_when_used_event_is_crossed)
{
	u16 *used_event;

	setup(false, true);
	virtq_enable(&vq);
	used_event = &guest_avail(&g)->ring[QSIZE];

	publish_good(0);
	virtq_pop(&vq, &c);
	virtq_push(&vq, c.head, 1);			/* used idx 1 */
	TEST_ASSERT(virtq_should_notify(&vq), "first decision always notifies");

	*used_event = 5;				/* "wake me at 6" */
	for (int i = 2; i <= 5; i++) {
		publish_good(0);
		virtq_pop(&vq, &c);
		virtq_push(&vq, c.head, 1);
		TEST_ASSERT(!virtq_should_notify(&vq), "notified early at used idx %d", i);
	}
	publish_good(0);
	virtq_pop(&vq, &c);
	virtq_push(&vq, c.head, 1);			/* used idx 6 crosses 5 */
	TEST_ASSERT(virtq_should_notify(&vq), "missed used_event");

	/* Two pushes at once crossing the event: one notification. */
	*used_event = 6;
	for (int i = 0; i < 2; i++) {
		publish_good(0);
		virtq_pop(&vq, &c);
		virtq_push(&vq, c.head, 1);
	}
	TEST_ASSERT(virtq_should_notify(&vq), "batch crossing used_event");
	TEST_ASSERT(!virtq_should_notify(&vq), "nothing new, yet notified");
	guest_free(&g);
}

TEST(virtq_event_idx_publishes_avail_event)
{
	u16 *avail_event;

	setup(false, true);
	virtq_enable(&vq);
	avail_event = (u16 *)&guest_used(&g)->ring[QSIZE];
	publish_good(0);
	publish_good(3);
	virtq_disable_notify(&vq);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT(virtq_enable_notify(&vq), "one still pending");
	/* The idx seen, not last_avail: the next kick is for the next buffer. */
	TEST_ASSERT_EQ(*avail_event, 2);
	TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
	TEST_ASSERT(!virtq_enable_notify(&vq), "nothing pending");
	TEST_ASSERT_EQ(*avail_event, 2);
	guest_free(&g);
}

/* vring_need_event() as a driver evaluates it after publishing old..new. */
static bool driver_kicks(u16 event, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

/*
 * Suppressing with EVENT_IDX right after an enable must still stop the kick
 * for the next request (a device watching the ring wants none), and
 * enabling asks for it again.
 */
TEST(virtq_event_idx_suppress_stops_the_next_kick)
{
	u16 *avail_event;

	setup(false, true);
	virtq_enable(&vq);
	avail_event = (u16 *)&guest_used(&g)->ring[QSIZE];
	for (u16 i = 0; i < 3 * QSIZE; i++) {
		TEST_ASSERT(!virtq_enable_notify(&vq), "nothing pending");
		TEST_ASSERT(driver_kicks(*avail_event, i + 1, i), "enabled: kick at %u", i);
		virtq_suppress_notify(&vq);
		TEST_ASSERT(!driver_kicks(*avail_event, i + 1, i), "suppressed: no kick at %u", i);
		publish_good((i * 3) % QSIZE);
		TEST_ASSERT(!driver_kicks(*avail_event, i + 1, i), "still none at %u", i);
		TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
		virtq_push(&vq, c.head, 1);
	}
	guest_free(&g);
}

/*
 * A device that leaves buffers it has seen (net rx with too few for its
 * frame) must still be kicked for the next one the driver adds, all the
 * way across the 16-bit wrap of the indices; with last_avail as
 * avail_event no such kick ever comes (the driver's old idx is past it).
 */
TEST(virtq_event_idx_kicks_after_buffers_left_behind)
{
	u16 *avail_event;

	setup(false, true);
	virtq_enable(&vq);
	avail_event = (u16 *)&guest_used(&g)->ring[QSIZE];
	for (u32 i = 0; i < 70000; i += 3) {
		u16 old = g.avail_idx;

		/* Two buffers: the device takes both, needs three, gives them back. */
		publish_buf(0);
		publish_buf(1);
		TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
		TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
		TEST_ASSERT_EQ(virtq_pop(&vq, &c), 0);
		virtq_unpop(&vq, 2);
		TEST_ASSERT(virtq_enable_notify(&vq), "two wait at %u", i);
		TEST_ASSERT(!virtq_avail_moved(&vq), "nothing new at %u", i);
		TEST_ASSERT(!driver_kicks(*avail_event, g.avail_idx, old), "seen: no kick at %u", i);
		/* The third buffer: its kick is what the device waits for. */
		old = g.avail_idx;
		publish_buf(2);
		TEST_ASSERT(driver_kicks(*avail_event, g.avail_idx, old),
			    "no kick for the buffer that completes the frame at idx %u (avail_event %u)",
			    g.avail_idx, *avail_event);
		TEST_ASSERT(virtq_avail_moved(&vq), "moved at %u", i);
		for (int k = 0; k < 3; k++) {
			TEST_ASSERT_EQ(virtq_pop(&vq, &c), 1);
			virtq_push(&vq, c.head, 1);
		}
	}
	TEST_ASSERT(g.avail_idx < 10000, "the indices wrapped (%u)", g.avail_idx);
	guest_free(&g);
}

TEST(virtq_no_notify_flag_without_event_idx)
{
	setup(false, false);
	virtq_enable(&vq);
	virtq_disable_notify(&vq);
	TEST_ASSERT_EQ(guest_used(&g)->flags, VRING_USED_F_NO_NOTIFY);
	TEST_ASSERT(!virtq_enable_notify(&vq), "nothing pending");
	TEST_ASSERT_EQ(guest_used(&g)->flags, 0);
	guest_free(&g);
}

TEST(iov_copies_across_segments)
{
	u8 a[3], b[5], out[8];
	struct iovec v[] = { { a, 3 }, { b, 5 } };

	TEST_ASSERT_EQ(iov_from_buf(v, 2, 1, "abcdefgh", 8), 7);
	TEST_ASSERT(!memcmp(a + 1, "ab", 2) && !memcmp(b, "cdefg", 5), "from_buf");
	TEST_ASSERT_EQ(iov_to_buf(v, 2, 2, out, 8), 6);
	TEST_ASSERT(!memcmp(out, "bcdefg", 6), "to_buf");
	TEST_ASSERT_EQ(iov_to_buf(v, 2, 9, out, 8), 0);
}
