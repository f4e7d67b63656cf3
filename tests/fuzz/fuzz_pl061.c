// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the PL061 GPIO (arm64's power key) as a guest and vmm
 * reach it: 4-byte records of guest reads and writes at any offset of its
 * 4 KiB window, in any width, and vmm's presses of the key.
 *   op    bits 0-1: 0 read, 1 write, 2 power key press, 3 any input pin
 *         driven (data bit 0 the level, bits 1-3 the pin); bits 2-3 the
 *         width (1, 2, 4, 8)
 *   off   u16: offset in the window (masked to 4 KiB)
 *   data  u8: what a write writes
 * Oracles: the interrupt callback only reports a change of level, and the
 * line is high exactly while GPIOMIS (raw status & enable) is non-zero; a
 * read fills exactly its width.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/pl061.h"
#include "fuzz_vm.h"

static int line;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void irq_set(void *opaque, int level)
{
	fuzz_check(level != line, "interrupt set to %d twice", level);
	line = level;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u32 widths[4] = { 1, 2, 4, 8 };
	struct pl061 *g;

	line = 0;
	g = pl061_create((struct pl061_irq){ irq_set, NULL });
	if (!g)
		abort();
	for (size_t i = 0; i + 4 <= size; i += 4) {
		const u8 *r = data + i;
		u32 width = widths[(r[0] >> 2) & 3];
		u64 off = (r[1] | r[2] << 8) & (PL061_SIZE - 1);
		u8 *buf = malloc(width), mis;

		if (!buf)
			abort();
		memset(buf, 0x5a, width);
		switch (r[0] & 3) {
		case 0:
			pl061_io(NULL, off, buf, width, false, g);
			break;
		case 1:
			buf[0] = r[3];
			pl061_io(NULL, off, buf, width, true, g);
			break;
		case 2:
			pl061_set_input(g, 3, true, true);
			break;
		case 3:
			pl061_set_input(g, (r[3] >> 1) & 7, r[3] & 1, false);
			break;
		}
		free(buf);
		mis = 0;
		pl061_io(NULL, 0x418, &mis, 1, false, g);
		fuzz_check(line == (mis != 0), "line %d with MIS 0x%02x", line, mis);
	}
	pl061_destroy(g);
	return 0;
}
