// SPDX-License-Identifier: GPL-2.0
/*
 * bzImage header validation (Documentation/arch/x86/boot.rst). Every offset
 * and length the header claims is checked against the file before use, so a
 * hostile or truncated image cannot make us read outside it.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/x86/bzimage.h"
#include "util/why.h"

#define SECTOR		512
#define HDR_OFF(f)	(BZIMAGE_SETUP_HDR_OFF + offsetof(struct setup_header, f))
#define HDRS_MAGIC	0x53726448	/* "HdrS" */
#define ENTRY64_OFFSET	0x200		/* boot.rst: 64-bit entry = load + 0x200 */

static u16 get_le16(const u8 *p)
{
	return p[0] | (u16)p[1] << 8;
}

static u32 get_le32(const u8 *p)
{
	return get_le16(p) | (u32)get_le16(p + 2) << 16;
}

static u64 get_le64(const u8 *p)
{
	return get_le32(p) | (u64)get_le32(p + 4) << 32;
}

/* Boot protocol 0x020f reads "2.15": the minor byte is decimal. */
#define VER_ARGS(v)	(unsigned int)((v) >> 8), (unsigned int)((v) & 0xff)

static void copy_version_str(const u8 *img, u32 setup_size, struct bzimage *out)
{
	u16 off = get_le16(img + HDR_OFF(kernel_version));
	u64 pos = (u64)off + 0x200;	/* boot.rst: pointer is relative to 0x200 */
	size_t n = 0;

	out->version_str[0] = '\0';
	if (!off)
		return;
	while (pos < setup_size && n < sizeof(out->version_str) - 1) {
		u8 c = img[pos++];

		if (c < 0x20 || c > 0x7e)
			break;
		out->version_str[n++] = c;
	}
	out->version_str[n] = '\0';
}

int bzimage_parse(const u8 *img, size_t size, struct bzimage *out, const char **why)
{
	u32 sects, setup_size, syssize, pay_off, pay_len, align;
	u64 kernel_size;
	size_t hdr_end;
	u16 version;

	memset(out, 0, sizeof(*out));

	/* Enough to read the magic and the version. */
	if (size < HDR_OFF(version) + 2)
		return why_fail(why, -ENOEXEC, "not a bzImage (only %zu bytes)", size);
	if (get_le32(img + HDR_OFF(header)) != HDRS_MAGIC)
		return why_fail(why, -ENOEXEC, "not a bzImage (no HdrS magic)");
	if (get_le16(img + HDR_OFF(boot_flag)) != 0xaa55)
		return why_fail(why, -ENOEXEC, "not a bzImage (no 0xAA55 boot signature)");
	if (size > BZIMAGE_MAX_SIZE)
		return why_fail(why, -EINVAL, "kernel image too large (%zu MiB, limit %llu)",
			    size >> 20, BZIMAGE_MAX_SIZE >> 20);

	version = get_le16(img + HDR_OFF(version));
	if (version < BZIMAGE_MIN_VERSION)
		return why_fail(why, -EINVAL, "boot protocol %u.%02u too old (need %u.%02u)",
			    VER_ARGS(version), VER_ARGS(BZIMAGE_MIN_VERSION));

	/* boot.rst: setup_sects == 0 means 4; the boot sector comes on top. */
	sects = img[HDR_OFF(setup_sects)];
	if (!sects)
		sects = 4;
	setup_size = (sects + 1) * SECTOR;
	if (setup_size >= size)
		return why_fail(why, -EINVAL,
			    "truncated: setup claims %u sectors but file has %zu bytes",
			    sects, size);
	/* From here on the whole setup header (ends at 0x26c) is inside the file. */
	_Static_assert(BZIMAGE_SETUP_HDR_OFF + sizeof(struct setup_header) <= 2 * SECTOR,
		       "setup header fits in the smallest setup");

	/* xloadflags (2.12) says whether there is a 64-bit entry at all. */
	if (version < 0x020c)
		return why_fail(why, -EINVAL,
			    "no 64-bit entry point (boot protocol %u.%02u has no xloadflags)",
			    VER_ARGS(version));
	out->xloadflags = get_le16(img + HDR_OFF(xloadflags));
	if (!(out->xloadflags & XLF_KERNEL_64))
		return why_fail(why, -EINVAL, "not a 64-bit kernel (XLF_KERNEL_64 clear)");
	out->loadflags = img[HDR_OFF(loadflags)];
	if (!(out->loadflags & LOADED_HIGH))
		return why_fail(why, -EINVAL, "zImage (kernel not loaded high) not supported");

	/*
	 * syssize counts 16-byte paragraphs rounded up; a signed kernel carries
	 * its signature after them, so the kernel is the smaller of the two.
	 */
	kernel_size = size - setup_size;
	syssize = get_le32(img + HDR_OFF(syssize));
	if ((u64)syssize * 16 > kernel_size + 15)
		return why_fail(why, -EINVAL,
			    "truncated: header claims %llu bytes of kernel but file has %llu",
			    (unsigned long long)syssize * 16,
			    (unsigned long long)kernel_size);
	if (syssize && (u64)syssize * 16 < kernel_size)
		kernel_size = (u64)syssize * 16;
	out->kernel = img + setup_size;
	out->kernel_size = kernel_size;
	out->setup_size = setup_size;
	out->version = version;

	/* payload_offset is relative to the protected-mode kernel (2.08). */
	pay_off = get_le32(img + HDR_OFF(payload_offset));
	pay_len = get_le32(img + HDR_OFF(payload_length));
	/* No payload (length 0): an uncompressed kernel, entered as it is. */
	if (pay_len && pay_len < 8)
		return why_fail(why, -EINVAL, "payload too short (%u bytes)", pay_len);
	if ((u64)pay_off + pay_len > kernel_size)
		return why_fail(why, -EINVAL,
			    "payload [%u, +%u) outside the %llu-byte kernel",
			    pay_off, pay_len, (unsigned long long)kernel_size);
	out->payload = pay_len ? out->kernel + pay_off : NULL;
	out->payload_size = pay_len;

	out->load_addr = get_le64(img + HDR_OFF(pref_address));
	out->init_size = get_le32(img + HDR_OFF(init_size));
	if (out->load_addr < 0x100000)
		return why_fail(why, -EINVAL, "preferred load address 0x%llx below 1 MiB",
			    (unsigned long long)out->load_addr);
	if (out->load_addr > UINT64_MAX - out->init_size)
		return why_fail(why, -EINVAL, "preferred load address 0x%llx overflows",
			    (unsigned long long)out->load_addr);
	if (out->init_size < kernel_size)
		return why_fail(why, -EINVAL, "init_size %u smaller than the %llu-byte kernel",
			    out->init_size, (unsigned long long)kernel_size);
	out->entry64 = out->load_addr + ENTRY64_OFFSET;

	align = get_le32(img + HDR_OFF(kernel_alignment));
	out->relocatable = img[HDR_OFF(relocatable_kernel)] != 0;
	if (align & (align - 1) || (out->relocatable && !align))
		return why_fail(why, -EINVAL, "bad kernel_alignment 0x%x", align);
	out->kernel_alignment = align;

	out->cmdline_size = get_le32(img + HDR_OFF(cmdline_size));
	if (!out->cmdline_size)
		return why_fail(why, -EINVAL, "cmdline_size is 0");
	out->initrd_addr_max = get_le32(img + HDR_OFF(initrd_addr_max));
	if (!out->initrd_addr_max)
		out->initrd_addr_max = 0x37ffffff;	/* boot.rst: old kernels */

	/* boot.rst: the header ends at 0x202 + the byte at 0x201. */
	hdr_end = 0x202 + (size_t)img[0x201];
	hdr_end = MIN(hdr_end, BZIMAGE_SETUP_HDR_OFF + sizeof(struct setup_header));
	out->setup_header = img + BZIMAGE_SETUP_HDR_OFF;
	out->setup_header_len = hdr_end - BZIMAGE_SETUP_HDR_OFF;

	copy_version_str(img, setup_size, out);
	return 0;
}
