// SPDX-License-Identifier: GPL-2.0
/* The arm64 Image header and Image.gz (Documentation/arm64/booting.rst). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hw/arm64/image.h"
#include "util/why.h"

/* booting.rst: the 64-byte header at the start of the Image. */
#define IMAGE_HDR_SIZE		64
#define IMAGE_OFF_TEXT_OFFSET	8
#define IMAGE_OFF_IMAGE_SIZE	16
#define IMAGE_OFF_FLAGS		24
#define IMAGE_OFF_MAGIC		56
#define IMAGE_MAGIC		0x644d5241	/* "ARM\x64" */
#define IMAGE_TEXT_ALIGN	(2 * MiB)

static u64 get_le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int arm64_image_parse(const u8 *img, size_t size, struct arm64_image *out,
		      const char **why)
{
	if (size < IMAGE_HDR_SIZE || get_le(img + IMAGE_OFF_MAGIC, 4) != IMAGE_MAGIC)
		return why_fail(why, -ENOEXEC,
				"no arm64 Image header (magic \"ARM\\x64\" at 0x38)");
	out->text_offset = get_le(img + IMAGE_OFF_TEXT_OFFSET, 8);
	out->image_size = get_le(img + IMAGE_OFF_IMAGE_SIZE, 8);
	out->flags = get_le(img + IMAGE_OFF_FLAGS, 8);
	/* Before v3.17 image_size was 0 and text_offset of unknown endianness. */
	if (!out->image_size)
		return why_fail(why, -EINVAL, "pre-3.17 Image without image_size");
	if (out->flags & IMAGE_FLAG_BE)
		return why_fail(why, -EINVAL, "big-endian kernel");
	if (out->text_offset >= IMAGE_TEXT_ALIGN || out->text_offset & 0xfff)
		return why_fail(why, -EINVAL, "text_offset 0x%llx is not a page in 2 MiB",
				(unsigned long long)out->text_offset);
	if (out->image_size > 1ULL << 40)
		return why_fail(why, -EINVAL, "image_size 0x%llx is bogus",
				(unsigned long long)out->image_size);
	return 0;
}

/* Files that are surely not flat arm64 code: say what they are instead. */
static int flat_refuse(const u8 *img, size_t size, const char **why)
{
	if (!size)
		return why_fail(why, -ENOEXEC, "the file is empty");
	if (size >= 4 && !memcmp(img, "\177ELF", 4))
		return why_fail(why, -ENOEXEC, "an ELF file (vmm boots the Image, or a flat "
				"binary: objcopy -O binary)");
	if (size >= 0x206 && !memcmp(img + 0x202, "HdrS", 4))
		return why_fail(why, -ENOEXEC, "an x86 bzImage");
	return 0;
}

int arm64_kernel_plan(const u8 *img, size_t size, u64 room, struct arm64_image *out,
		      bool *flat, const char **why)
{
	int r = arm64_image_parse(img, size, out, why);

	*flat = false;
	if (r == -ENOEXEC) {
		r = flat_refuse(img, size, why);
		if (r < 0)
			return r;
		*flat = true;
		*out = (struct arm64_image){ .text_offset = ARM64_FLAT_TEXT_OFFSET,
					     .image_size = size };
	}
	if (r < 0)
		return r;
	/* image_size covers the BSS; a signed file may be longer still. */
	if (out->text_offset + MAX(out->image_size, (u64)size) > room)
		return why_fail(why, -E2BIG, "needs %llu MiB from the start of RAM, more than "
				"the %llu MiB below the device tree",
				(unsigned long long)((out->text_offset +
						      MAX(out->image_size, (u64)size) + MiB - 1) >> 20),
				(unsigned long long)(room >> 20));
	return 0;
}

int arm64_gunzip(const u8 *in, size_t in_len, size_t max, u8 **out, size_t *out_len,
		 const char **why)
{
	z_stream zs = { 0 };
	size_t cap, len = 0;
	u8 *buf = NULL;
	int r = Z_OK, err = 0;

	/* A gzip header (10 bytes) and trailer (8); zlib counts in uInt. */
	if (in_len < 18 || in_len > UINT32_MAX)
		return why_fail(why, -EINVAL, "not a gzip file of a sane size");
	/* The trailer holds the unpacked size modulo 4 GiB: a good first guess. */
	cap = MIN(MAX((size_t)get_le(in + in_len - 4, 4), in_len * 2), max);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return why_fail(why, -ENOMEM, "zlib initialisation failed");
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	while (r != Z_STREAM_END) {
		if (!buf || len == cap) {
			u8 *nb;

			if (buf && cap == max) {
				err = why_fail(why, -E2BIG, "unpacks to more than %zu MiB",
					       max >> 20);
				break;
			}
			if (buf)
				cap = MIN(cap * 2, max);
			nb = realloc(buf, cap);
			if (!nb) {
				err = why_fail(why, -ENOMEM, "out of memory");
				break;
			}
			buf = nb;
		}
		zs.next_out = buf + len;
		zs.avail_out = (uInt)MIN(cap - len, (size_t)UINT32_MAX);
		r = inflate(&zs, Z_NO_FLUSH);
		len = (size_t)(zs.next_out - buf);
		if (r == Z_BUF_ERROR && zs.avail_in == 0) {
			err = why_fail(why, -EINVAL, "truncated gzip data");
			break;
		}
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
			err = why_fail(why, -EINVAL, "corrupt gzip data (%s)",
				       zs.msg ? zs.msg : "zlib error");
			break;
		}
	}
	inflateEnd(&zs);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*out_len = len;
	return 0;
}
