// SPDX-License-Identifier: GPL-2.0
/*
 * AML encoder: the byte-code grammar is ACPI 6.4 section 20.2, resource
 * descriptors are section 6.4.
 */
#include <errno.h>
#include <string.h>

#include "firmware/aml.h"
#include "firmware/table.h"

#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR		'\\'
#define AML_PARENT_CHAR		'^'
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_NULL_NAME		0x00

/*
 * Room left after an opcode for its PkgLength (at most 4 bytes) and, for a
 * Buffer, its BufferSize integer (at most 9); aml_end() closes the gap.
 */
#define AML_PKG_GAP		13

void aml_init(struct aml *a, void *buf, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->size = size;
}

int aml_finish(struct aml *a)
{
	if (!a->err && a->depth)
		a->err = -EINVAL;
	return a->err ? a->err : (int)a->len;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->size - a->len) {
		aml_fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, u8 b)
{
	aml_bytes(a, &b, 1);
}

static bool aml_is_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool aml_is_name_char(char c)
{
	return aml_is_lead_char(c) || (c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = path;
	char segs[AML_MAX_DEPTH * 4][4];
	size_t nr = 0;

	if (*p == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == AML_PARENT_CHAR) {
			aml_byte(a, AML_PARENT_CHAR);
			p++;
		}
	}

	while (*p) {
		size_t n = 0;

		if (nr == ARRAY_SIZE(segs) || !aml_is_lead_char(*p))
			goto bad;
		/* Segments are 4 characters; shorter ones pad with '_'. */
		memset(segs[nr], '_', 4);
		while (*p && *p != '.') {
			if (n == 4 || !aml_is_name_char(*p))
				goto bad;
			segs[nr][n++] = *p++;
		}
		nr++;
		if (*p == '.' && !*++p)
			goto bad;
	}

	if (nr == 0) {
		aml_byte(a, AML_NULL_NAME);
		return;
	}
	if (nr == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nr > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, nr);
	}
	aml_bytes(a, segs, nr * 4);
	return;
bad:
	aml_fail(a, -EINVAL);
}

void aml_integer(struct aml *a, u64 v)
{
	u8 b[9];

	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
		return;
	}
	if (v == 1) {
		aml_byte(a, AML_ONE_OP);
		return;
	}
	if (v <= 0xff) {
		b[0] = AML_BYTE_PREFIX;
		b[1] = v;
		aml_bytes(a, b, 2);
	} else if (v <= 0xffff) {
		b[0] = AML_WORD_PREFIX;
		table_put16(b + 1, v);
		aml_bytes(a, b, 3);
	} else if (v <= 0xffffffff) {
		b[0] = AML_DWORD_PREFIX;
		table_put32(b + 1, v);
		aml_bytes(a, b, 5);
	} else {
		b[0] = AML_QWORD_PREFIX;
		table_put64(b + 1, v);
		aml_bytes(a, b, 9);
	}
}

void aml_string(struct aml *a, const char *s)
{
	/* AML strings are 7-bit ASCII, NUL-terminated. */
	for (const char *c = s; *c; c++) {
		if ((u8)*c > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	u8 b[5] = { AML_DWORD_PREFIX };
	int d[4];

	if (strlen(id) != 7)
		goto bad;
	for (int i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			goto bad;
	for (int i = 0; i < 4; i++)
		if ((d[i] = aml_hex(id[3 + i])) < 0)
			goto bad;

	/* Three 5-bit letters ('A' = 1) then four hex digits, big-endian. */
	b[1] = ((id[0] & 0x1f) << 2) | ((id[1] & 0x1f) >> 3);
	b[2] = ((id[1] & 0x1f) << 5) | (id[2] & 0x1f);
	b[3] = d[0] << 4 | d[1];
	b[4] = d[2] << 4 | d[3];
	aml_bytes(a, b, sizeof(b));
	return;
bad:
	aml_fail(a, -EINVAL);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, path);
}

void aml_name_integer(struct aml *a, const char *path, u64 v)
{
	aml_name(a, path);
	aml_integer(a, v);
}

void aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
	aml_name(a, path);
	aml_eisaid(a, id);
}

static void aml_open(struct aml *a, bool is_buffer)
{
	static const u8 gap[AML_PKG_GAP];

	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_bytes(a, gap, sizeof(gap));
	a->open[a->depth] = a->len;
	a->open_is_buffer[a->depth] = is_buffer;
	a->depth++;
}

void aml_end(struct aml *a)
{
	u8 hdr[AML_PKG_GAP];
	size_t body, n, hlen, ilen = 0, pkglen;
	struct aml ia;

	if (a->err)
		return;
	if (a->depth == 0) {
		aml_fail(a, -EINVAL);
		return;
	}
	a->depth--;
	body = a->open[a->depth];
	n = a->len - body;

	/* A Buffer's BufferSize integer sits between PkgLength and bytes. */
	if (a->open_is_buffer[a->depth]) {
		aml_init(&ia, hdr + 4, sizeof(hdr) - 4);
		aml_integer(&ia, n);
		ilen = ia.len;
	}

	/*
	 * PkgLength counts itself: 1 byte holds up to 63, else the lead byte
	 * says how many bytes follow and holds the low nibble (20.2.4).
	 */
	if (1 + ilen + n < 0x40)
		hlen = 1;
	else if (2 + ilen + n < (1u << 12))
		hlen = 2;
	else if (3 + ilen + n < (1u << 20))
		hlen = 3;
	else if (4 + ilen + n < (1u << 28))
		hlen = 4;
	else {
		aml_fail(a, -EINVAL);
		return;
	}
	pkglen = hlen + ilen + n;
	if (hlen == 1) {
		hdr[0] = pkglen;
	} else {
		hdr[0] = (hlen - 1) << 6 | (pkglen & 0xf);
		for (size_t i = 1; i < hlen; i++)
			hdr[i] = pkglen >> (4 + 8 * (i - 1));
	}
	memmove(hdr + hlen, hdr + 4, ilen);

	/* Close the gap left by aml_open(). */
	memcpy(a->buf + body - AML_PKG_GAP, hdr, hlen + ilen);
	memmove(a->buf + body - AML_PKG_GAP + hlen + ilen, a->buf + body, n);
	a->len = body - AML_PKG_GAP + hlen + ilen + n;
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a, false);
	aml_namestring(a, path);
}

void aml_device_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a, false);
	aml_namestring(a, path);
}

void aml_package_begin(struct aml *a, u8 nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a, false);
	aml_byte(a, nr_elements);
}

void aml_buffer_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a, true);
}

void aml_res_io(struct aml *a, u16 base, u16 len)
{
	u8 d[8];

	/* Small IO descriptor; a fixed range (min == max), 16-bit decode. */
	if (len > 0xff) {
		aml_fail(a, -EINVAL);
		return;
	}
	d[0] = 0x47;
	d[1] = 0x01;		/* decodes 16 address bits */
	table_put16(d + 2, base);
	table_put16(d + 4, base);
	d[6] = 1;		/* alignment */
	d[7] = len;
	aml_bytes(a, d, sizeof(d));
}

void aml_res_irq_noflags(struct aml *a, u8 irq)
{
	u8 d[3] = { 0x22 };	/* small IRQ descriptor, 2 bytes: the mask */

	if (irq > 15) {
		aml_fail(a, -EINVAL);
		return;
	}
	table_put16(d + 1, 1u << irq);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, bool writable, u32 base, u32 len)
{
	u8 d[12] = { 0x86, 9, 0 };

	d[3] = writable;
	table_put32(d + 4, base);
	table_put32(d + 8, len);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_interrupt(struct aml *a, bool level, u32 gsi)
{
	u8 d[9] = { 0x89, 6, 0 };

	/* Flags: bit0 consumer, bit1 edge; active high, exclusive. */
	d[3] = 0x01 | (level ? 0 : 0x02);
	d[4] = 1;		/* one interrupt number */
	table_put32(d + 5, gsi);
	aml_bytes(a, d, sizeof(d));
}

/* Address space descriptors (6.4.3.5): resource types and flags. */
#define AML_RES_WORD_ADDR	0x88
#define AML_RES_DWORD_ADDR	0x87
#define AML_ADDR_MEM		0
#define AML_ADDR_IO		1
#define AML_ADDR_BUS		2
/* General flags: producer (bit 0 clear), positive decode, _MIF and _MAF. */
#define AML_ADDR_FIXED_PRODUCER	0x0c
#define AML_IO_ENTIRE_RANGE	0x03	/* _RNG: ISA and non-ISA addresses */
#define AML_MEM_RW		0x01
#define AML_MEM_CACHEABLE	0x02

static void aml_res_word_addr(struct aml *a, u8 type, u8 type_flags, u16 min,
			      u16 max)
{
	u8 d[16] = { AML_RES_WORD_ADDR, 13, 0, type, AML_ADDR_FIXED_PRODUCER,
		     type_flags };

	if (min > max) {
		aml_fail(a, -EINVAL);
		return;
	}
	/* Granularity 0, then _MIN, _MAX, translation 0, _LEN. */
	table_put16(d + 8, min);
	table_put16(d + 10, max);
	table_put16(d + 14, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_word_bus(struct aml *a, u16 min, u16 max)
{
	aml_res_word_addr(a, AML_ADDR_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, u16 min, u16 max)
{
	aml_res_word_addr(a, AML_ADDR_IO, AML_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *a, bool cacheable, u32 min, u32 max)
{
	u8 d[26] = { AML_RES_DWORD_ADDR, 23, 0, AML_ADDR_MEM, AML_ADDR_FIXED_PRODUCER,
		     AML_MEM_RW | (cacheable ? AML_MEM_CACHEABLE : 0) };

	if (min > max) {
		aml_fail(a, -EINVAL);
		return;
	}
	table_put32(d + 10, min);
	table_put32(d + 14, max);
	table_put32(d + 22, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_end(struct aml *a)
{
	/* End tag; a zero checksum means "treat as valid" (6.4.2.9). */
	u8 d[2] = { 0x79, 0x00 };

	aml_bytes(a, d, sizeof(d));
}
