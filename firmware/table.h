/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FIRMWARE_TABLE_H
#define VMM_FIRMWARE_TABLE_H

/*
 * Helpers shared by the firmware table builders (internal to firmware/).
 * Tables are little-endian byte layouts in guest memory: write them byte by
 * byte so the builders never depend on host endianness or alignment.
 */
#include <string.h>

#include "util/types.h"

static inline void table_put8(u8 *p, u8 v)
{
	p[0] = v;
}

static inline void table_put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void table_put32(u8 *p, u32 v)
{
	table_put16(p, v);
	table_put16(p + 2, v >> 16);
}

static inline void table_put64(u8 *p, u64 v)
{
	table_put32(p, v);
	table_put32(p + 4, v >> 32);
}

/* Copies a fixed-width text field, padding with spaces (ACPI and MP ids). */
static inline void table_put_id(u8 *p, const char *s, size_t width)
{
	size_t i = 0;

	for (; i < width && s[i]; i++)
		p[i] = s[i];
	for (; i < width; i++)
		p[i] = ' ';
}

/* The byte that makes the sum of p[0..len) zero once stored in it. */
static inline u8 table_checksum(const u8 *p, size_t len)
{
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (u8)-sum;
}

#endif
