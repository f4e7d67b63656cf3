// SPDX-License-Identifier: GPL-2.0
/* The PL061 GPIO model, driven as Linux's gpio-pl061 and gpio-keys drive it. */
#include "devices/pl061.h"
#include "test.h"

static int line = -1, changes;

static void irq_set(void *opaque, int level)
{
	line = level;
	changes++;
}

static u8 rd(struct pl061 *g, u64 off)
{
	u8 d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	pl061_io(NULL, off, d, 4, false, g);
	return d[0];
}

static void wr(struct pl061 *g, u64 off, u8 v)
{
	pl061_io(NULL, off, &v, 1, true, g);
}

static struct pl061 *make(void)
{
	line = -1;
	changes = 0;
	return pl061_create((struct pl061_irq){ irq_set, NULL });
}

TEST(pl061_ids_match_the_amba_driver)
{
	struct pl061 *g = make();
	u8 d[4];

	/* amba_read_periphid(): the low byte of each word at 0xfe0..0xffc. */
	TEST_ASSERT_EQ(rd(g, 0xfe0), 0x61);
	TEST_ASSERT_EQ(rd(g, 0xfe4), 0x10);
	TEST_ASSERT_EQ(rd(g, 0xfe8), 0x04);
	TEST_ASSERT_EQ(rd(g, 0xfec), 0x00);
	TEST_ASSERT_EQ(rd(g, 0xff0), 0x0d);
	TEST_ASSERT_EQ(rd(g, 0xffc), 0xb1);
	pl061_io(NULL, 0xfe0, d, 4, false, g);
	TEST_ASSERT(d[1] == 0 && d[2] == 0 && d[3] == 0, "zero-extended");
	TEST_ASSERT_EQ(rd(g, 0xfe1), 0);
	pl061_destroy(g);
}

TEST(pl061_data_reads_are_masked_by_address_bits)
{
	struct pl061 *g = make();

	pl061_set_input(g, 3, true, false);
	pl061_set_input(g, 0, true, false);
	TEST_ASSERT_EQ(rd(g, 0x3fc), 0x09);		/* all pins */
	TEST_ASSERT_EQ(rd(g, 1u << (3 + 2)), 0x08);	/* pin 3 alone */
	TEST_ASSERT_EQ(rd(g, 1u << (1 + 2)), 0x00);
	/* Outputs read what was written, through the same mask. */
	wr(g, 0x400, 0x80);				/* pin 7 an output */
	wr(g, 1u << (7 + 2), 0xff);
	wr(g, 1u << (6 + 2), 0xff);			/* an input: ignored */
	TEST_ASSERT_EQ(rd(g, 0x3fc), 0x89);
	TEST_ASSERT_EQ(line, -1);			/* no interrupt enabled */
	pl061_destroy(g);
}

TEST(pl061_both_edges_as_gpio_keys_asks)
{
	struct pl061 *g = make();

	/* gpio-keys: IRQ_TYPE_EDGE_BOTH on pin 3, unmasked. */
	wr(g, 0x408, 0x08);
	wr(g, 0x410, 0x08);
	TEST_ASSERT_EQ(line, -1);
	pl061_set_input(g, 3, true, false);
	TEST_ASSERT_EQ(line, 1);
	TEST_ASSERT_EQ(rd(g, 0x418), 0x08);		/* MIS */
	wr(g, 0x41c, 0x08);				/* IC: acknowledged */
	TEST_ASSERT_EQ(line, 0);
	TEST_ASSERT_EQ(rd(g, 0x414), 0);
	pl061_set_input(g, 3, false, false);		/* the falling edge too */
	TEST_ASSERT_EQ(line, 1);
	wr(g, 0x41c, 0x08);
	TEST_ASSERT_EQ(line, 0);
	/* Masked: latched in RIS, no line until unmasked. */
	wr(g, 0x410, 0);
	pl061_set_input(g, 3, true, false);
	TEST_ASSERT_EQ(line, 0);
	TEST_ASSERT_EQ(rd(g, 0x414), 0x08);
	wr(g, 0x410, 0x08);
	TEST_ASSERT_EQ(line, 1);
	pl061_destroy(g);
}

TEST(pl061_single_edges_and_levels)
{
	struct pl061 *g = make();

	wr(g, 0x40c, 0x01);			/* pin 0 rising; pin 1 falling */
	wr(g, 0x410, 0x03);
	pl061_set_input(g, 1, true, false);
	TEST_ASSERT_EQ(rd(g, 0x414), 0);	/* pin 1 rose: not its edge */
	pl061_set_input(g, 1, false, false);
	TEST_ASSERT_EQ(rd(g, 0x414), 0x02);
	wr(g, 0x41c, 0xff);
	pl061_set_input(g, 0, true, false);
	TEST_ASSERT_EQ(rd(g, 0x414), 0x01);
	wr(g, 0x41c, 0xff);
	TEST_ASSERT_EQ(line, 0);
	/* Level-high on pin 0: status follows the pin, IC cannot clear it. */
	wr(g, 0x404, 0x01);
	TEST_ASSERT_EQ(line, 1);
	wr(g, 0x41c, 0x01);
	TEST_ASSERT_EQ(line, 1);
	pl061_set_input(g, 0, false, false);
	TEST_ASSERT_EQ(line, 0);
	pl061_destroy(g);
}

TEST(pl061_key_press_lasts_until_read)
{
	struct pl061 *g = make();

	wr(g, 0x408, 0x08);
	wr(g, 0x410, 0x08);
	pl061_set_input(g, 3, true, true);
	TEST_ASSERT_EQ(line, 1);
	wr(g, 0x41c, 0x08);
	/* A read of other pins does not release it. */
	TEST_ASSERT_EQ(rd(g, 1u << 2), 0);
	TEST_ASSERT_EQ(line, 0);
	/* The driver reads the key as pressed: it is released, a new edge. */
	TEST_ASSERT_EQ(rd(g, 1u << (3 + 2)), 0x08);
	TEST_ASSERT_EQ(line, 1);
	wr(g, 0x41c, 0x08);
	TEST_ASSERT_EQ(rd(g, 1u << (3 + 2)), 0);
	TEST_ASSERT_EQ(line, 0);
	/* Unknown offsets and pins are harmless. */
	wr(g, 0x800, 0xff);
	TEST_ASSERT_EQ(rd(g, 0x800), 0);
	pl061_set_input(g, 8, true, true);
	TEST_ASSERT_EQ(rd(g, 0x3fc), 0);
	pl061_destroy(g);
}
