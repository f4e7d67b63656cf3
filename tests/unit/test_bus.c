// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "kvm/bus.h"
#include "kvm/kvm.h"
#include "test.h"
#include "vcpu/vcpu.h"

static int hits[8];
static u64 last_offset;

static void handler(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		    bool is_write, void *opaque)
{
	hits[(long)opaque]++;
	last_offset = offset;
	if (!is_write)
		memset(data, 0x5a, len);
}

TEST(bus_rejects_overlapping_ranges)
{
	struct bus b;

	bus_init(&b, "pio");
	TEST_ASSERT_EQ(bus_add(&b, 0x100, 0x10, handler, (void *)0, "a"), 0);
	TEST_ASSERT_EQ(bus_add(&b, 0x10f, 1, handler, (void *)1, "b"), -EEXIST);
	TEST_ASSERT_EQ(bus_add(&b, 0xf0, 0x11, handler, (void *)1, "c"), -EEXIST);
	TEST_ASSERT_EQ(bus_add(&b, 0xf0, 0x200, handler, (void *)1, "d"), -EEXIST);
	TEST_ASSERT_EQ(bus_add(&b, 0xf0, 0x10, handler, (void *)1, "e"), 0);
	TEST_ASSERT_EQ(bus_add(&b, 0x110, 0x10, handler, (void *)2, "f"), 0);
	TEST_ASSERT_EQ(bus_add(&b, 0x200, 0, handler, (void *)2, "empty"), -EINVAL);
	TEST_ASSERT_EQ(bus_add(&b, ~0ULL, 2, handler, (void *)2, "wraps"), -EINVAL);
	TEST_ASSERT_EQ(b.nr, 3);
	bus_free(&b);
}

TEST(bus_dispatches_with_offset_relative_to_base)
{
	struct bus b;
	u8 data[4];

	memset(hits, 0, sizeof(hits));
	bus_init(&b, "mmio");
	bus_add(&b, 0x1000, 0x100, handler, (void *)1, "one");
	bus_add(&b, 0x3000, 0x100, handler, (void *)2, "two");
	TEST_ASSERT(bus_access(&b, NULL, 0x3004, data, 4, false), "miss");
	TEST_ASSERT_EQ(hits[2], 1);
	TEST_ASSERT_EQ(last_offset, 4);
	TEST_ASSERT_EQ(data[3], 0x5a);
	TEST_ASSERT(bus_access(&b, NULL, 0x10ff, data, 1, true), "miss");
	TEST_ASSERT_EQ(hits[1], 1);
	TEST_ASSERT_EQ(last_offset, 0xff);
	bus_free(&b);
}

TEST(bus_unhandled_reads_all_ones_and_is_counted)
{
	struct bus b;
	u8 data[8] = { 0 };

	bus_init(&b, "pio");
	bus_add(&b, 0x1000, 0x100, handler, (void *)1, "one");
	TEST_ASSERT(!bus_access(&b, NULL, 0x1100, data, 8, false), "hit");
	for (int i = 0; i < 8; i++)
		TEST_ASSERT_EQ(data[i], 0xff);
	TEST_ASSERT(!bus_access(&b, NULL, 0xfff, data, 2, true), "hit");
	TEST_ASSERT(!bus_access(&b, NULL, 0xfff, data, 2, true), "hit");
	TEST_ASSERT_EQ(b.unhandled, 3);
	/* logged once per address */
	TEST_ASSERT_EQ(b.nr_logged, 2);
	bus_free(&b);
}

TEST(bus_lookup_is_correct_with_many_ranges)
{
	struct bus b;

	bus_init(&b, "mmio");
	/* insert in a scrambled order; every range must still be found */
	for (u64 i = 0; i < 1000; i++) {
		u64 k = (i * 7919) % 1000;

		TEST_ASSERT_EQ(bus_add(&b, k * 0x100, 0x80, handler, (void *)(long)(k & 7),
				       "r"), 0);
	}
	for (u64 k = 0; k < 1000; k++) {
		const struct bus_range *r = bus_find(&b, k * 0x100 + 0x7f);

		TEST_ASSERT(r && r->base == k * 0x100, "range %llu not found",
			    (unsigned long long)k);
		TEST_ASSERT(!bus_find(&b, k * 0x100 + 0x80), "gap %llu hit",
			    (unsigned long long)k);
	}
	for (unsigned int i = 1; i < b.nr; i++)
		TEST_ASSERT(b.ranges[i - 1].base < b.ranges[i].base, "unsorted at %u", i);
	bus_free(&b);
}

TEST(bus_covers_the_top_of_the_address_space)
{
	struct bus b;

	bus_init(&b, "mmio");
	TEST_ASSERT_EQ(bus_add(&b, ~0ULL - 0xff, 0x100, handler, (void *)1, "top"), 0);
	TEST_ASSERT(bus_find(&b, ~0ULL) != NULL, "top byte");
	TEST_ASSERT(bus_find(&b, ~0ULL - 0x100) == NULL, "below");
	bus_free(&b);
}

static u8 seen[16];
static unsigned int nr_seen;

static void port_log(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		     void *opaque)
{
	if (is_write) {
		memcpy(seen + nr_seen, data, len);
	} else {
		for (u32 i = 0; i < len; i++)
			data[i] = nr_seen + i;
	}
	nr_seen += len;
}

TEST(bus_string_io_is_count_items_in_order)
{
	u8 out[12] = "abcdefghijkl", in[13];
	struct bus b;

	bus_init(&b, "pio");
	bus_add(&b, 0x3f8, 8, port_log, NULL, "log");
	nr_seen = 0;
	bus_pio_exit(&b, NULL, 0x3f8, out, 2, 6, true);	/* rep outsw, 6 words */
	TEST_ASSERT_EQ(nr_seen, 12);
	TEST_ASSERT(!memcmp(seen, "abcdefghijkl", 12), "items out of order");
	nr_seen = 0;
	in[12] = 0xee;
	bus_pio_exit(&b, NULL, 0x3f8, in, 4, 3, false);	/* rep insl, 3 dwords */
	for (u32 i = 0; i < 12; i++)
		TEST_ASSERT_EQ(in[i], i);
	TEST_ASSERT_EQ(in[12], 0xee);			/* nothing past count * size */
	bus_pio_exit(&b, NULL, 0x80, in, 1, 4, false);	/* nothing there: all-ones */
	TEST_ASSERT_EQ(in[3], 0xff);
	TEST_ASSERT_EQ(b.unhandled, 4);
	bus_free(&b);
}

TEST(bus_early_writes_are_counted_and_a_few_shown_until_the_console_is_used)
{
	static struct vm vm;
	struct vcpu vcpu = { .vm = &vm };
	struct bus b;
	u8 data[1] = { 'x' };

	bus_init(&b, "pio");
	TEST_ASSERT_EQ(bus_add(&b, 0x3f8, 8, handler, (void *)0, "uart"), 0);
	/* A kernel printing to COM2: every byte is counted, the address shown once. */
	for (int i = 0; i < 3; i++)
		bus_access(&b, &vcpu, 0x2f8, data, 1, true);
	bus_access(&b, &vcpu, 0x2fc, data, 1, false);	/* reads are probes */
	TEST_ASSERT_EQ(b.early_writes, 3);
	TEST_ASSERT_EQ(b.first_early, 0x2f8);
	TEST_ASSERT_EQ(b.nr_early_shown, 1);
	/* Rate limit: a few addresses are shown, the rest only counted. */
	for (u64 port = 0x100; port < 0x110; port++)
		bus_access(&b, &vcpu, port, data, 1, true);
	TEST_ASSERT_EQ(b.nr_early_shown, 4);
	TEST_ASSERT_EQ(b.early_writes, 19);
	/* Once the guest writes to its UART, misses are --debug's business. */
	TEST_ASSERT_EQ(bus_set_console(&b, 0x3f8), 0);
	TEST_ASSERT_EQ(bus_set_console(&b, 0x2f8), -ENOENT);
	bus_access(&b, &vcpu, 0x3f9, data, 1, false);		/* a read is no set-up */
	TEST_ASSERT(!atomic_load(&vm.console_output), "a read set the console up");
	bus_access(&b, &vcpu, 0x3fb, data, 1, true);		/* LCR */
	TEST_ASSERT(atomic_load(&vm.console_output), "a UART write did not");
	bus_access(&b, &vcpu, 0x2e8, data, 1, true);
	TEST_ASSERT_EQ(b.early_writes, 19);
	TEST_ASSERT_EQ(b.unhandled, 21);
	bus_free(&b);
}
