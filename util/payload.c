// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel payload decompression on the host. The formats and their framing are
 * the ones the kernel build writes (scripts/Makefile.lib *_with_size): each
 * compressed stream is followed by the uncompressed size as a 32-bit
 * little-endian number. We use that size only as an allocation hint: the
 * output buffer grows as needed, up to PAYLOAD_MAX_SIZE, whatever it says.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "util/payload.h"
#include "util/why.h"

enum payload_fmt {
	FMT_UNKNOWN,
	FMT_NONE,
	FMT_GZIP,
	FMT_XZ,
	FMT_LZ4,
	FMT_ZSTD,
	FMT_BZIP2,
	FMT_LZMA,
	FMT_LZO,
};

static const struct {
	enum payload_fmt fmt;
	const char *name;
	u8 len;
	u8 magic[6];
} payload_magics[] = {
	{ FMT_NONE, "none", 4, { 0x7f, 'E', 'L', 'F' } },
	{ FMT_GZIP, "gzip", 2, { 0x1f, 0x8b } },
	{ FMT_XZ, "xz", 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
	{ FMT_LZ4, "lz4", 4, { 0x02, 0x21, 0x4c, 0x18 } },	/* legacy frame */
	{ FMT_ZSTD, "zstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } },
	{ FMT_BZIP2, "bzip2", 3, { 'B', 'Z', 'h' } },
	{ FMT_LZMA, "lzma", 3, { 0x5d, 0x00, 0x00 } },
	{ FMT_LZO, "lzo", 4, { 0x89, 'L', 'Z', 'O' } },
};

#define LZ4_LEGACY_MAGIC	0x184c2102U
#define LZ4_LEGACY_BLOCK	(8 * MiB)	/* lz4 -l: fixed uncompressed block */
#define MIN_ALLOC		(64 * KiB)
#define MAX_RATIO		32	/* most a size hint is believed */

struct outbuf {
	u8 *buf;
	size_t len;
	size_t cap;
	size_t max;		/* the most it may grow to */
};

static u32 get_le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static int payload_detect(const u8 *in, size_t len, const char **name)
{
	for (size_t i = 0; i < ARRAY_SIZE(payload_magics); i++) {
		if (len >= payload_magics[i].len &&
		    !memcmp(in, payload_magics[i].magic, payload_magics[i].len)) {
			*name = payload_magics[i].name;
			return payload_magics[i].fmt;
		}
	}
	*name = "unknown";
	return FMT_UNKNOWN;
}

const char *payload_format_name(const u8 *in, size_t len)
{
	const char *name;

	payload_detect(in, len, &name);
	return name;
}

/* Make room for @need more bytes (at least doubling), never past ob->max. */
static int outbuf_reserve(struct outbuf *ob, size_t need, const char **why)
{
	size_t cap;
	u8 *p;

	if (ob->cap - ob->len >= need)
		return 0;
	if (ob->cap >= ob->max)
		return why_fail(why, -EFBIG, "decompressed kernel exceeds %zu MiB",
			    ob->max >> 20);
	cap = MAX(ob->cap * 2, ob->len + MIN(need, ob->max));
	cap = MIN(cap, ob->max);
	p = realloc(ob->buf, cap);
	if (!p)
		return why_fail(why, -ENOMEM, "out of memory decompressing the kernel");
	ob->buf = p;
	ob->cap = cap;
	return 0;
}

static int inflate_gzip(const u8 *in, size_t len, struct outbuf *ob, const char **why)
{
	z_stream zs = { 0 };
	int ret, err = 0;

	if (len > UINT_MAX)
		return why_fail(why, -EINVAL, "gzip payload too large");
	/* 16 + MAX_WBITS: gzip wrapper only, not raw deflate or zlib. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return why_fail(why, -ENOMEM, "zlib init failed");
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	for (;;) {
		if ((err = outbuf_reserve(ob, 1, why)))
			break;
		zs.next_out = ob->buf + ob->len;
		zs.avail_out = MIN(ob->cap - ob->len, (size_t)UINT_MAX);
		ret = inflate(&zs, Z_NO_FLUSH);
		ob->len = zs.next_out - ob->buf;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK || (ret == Z_BUF_ERROR && !zs.avail_out))
			continue;
		if (ret == Z_BUF_ERROR)
			err = why_fail(why, -EINVAL, "truncated gzip payload");
		else
			err = why_fail(why, -EINVAL, "corrupt gzip payload (%s)",
				   zs.msg ? zs.msg : "error");
		break;
	}
	inflateEnd(&zs);
	return err;
}

static int inflate_xz(const u8 *in, size_t len, struct outbuf *ob, const char **why)
{
	lzma_stream xs = LZMA_STREAM_INIT;
	lzma_ret ret;
	int err = 0;

	/*
	 * One stream only (no LZMA_CONCATENATED): the size trailer after it is
	 * not xz stream padding. The memlimit bounds a hostile dictionary size.
	 */
	if (lzma_stream_decoder(&xs, 256 * MiB, 0) != LZMA_OK)
		return why_fail(why, -ENOMEM, "liblzma init failed");
	xs.next_in = in;
	xs.avail_in = len;
	for (;;) {
		if ((err = outbuf_reserve(ob, 1, why)))
			break;
		xs.next_out = ob->buf + ob->len;
		xs.avail_out = ob->cap - ob->len;
		ret = lzma_code(&xs, LZMA_FINISH);
		ob->len = xs.next_out - ob->buf;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK || (ret == LZMA_BUF_ERROR && !xs.avail_out))
			continue;
		if (ret == LZMA_BUF_ERROR)
			err = why_fail(why, -EINVAL, "truncated xz payload");
		else if (ret == LZMA_MEM_ERROR || ret == LZMA_MEMLIMIT_ERROR)
			err = why_fail(why, -ENOMEM, "xz payload needs too much memory");
		else
			err = why_fail(why, -EINVAL, "corrupt xz payload (liblzma error %d)", ret);
		break;
	}
	lzma_end(&xs);
	return err;
}

static int inflate_zstd(const u8 *in, size_t len, struct outbuf *ob, const char **why)
{
	ZSTD_inBuffer zin = { in, 0, 0 };
	ZSTD_DCtx *dctx;
	size_t ret;
	int err = 0;

	/* Decode exactly one frame: the size trailer is not a zstd frame. */
	zin.size = ZSTD_findFrameCompressedSize(in, len);
	if (ZSTD_isError(zin.size))
		return why_fail(why, -EINVAL, "corrupt or truncated zstd payload (%s)",
			    ZSTD_getErrorName(zin.size));
	dctx = ZSTD_createDCtx();
	if (!dctx)
		return why_fail(why, -ENOMEM, "libzstd init failed");
	for (;;) {
		ZSTD_outBuffer zout;

		if ((err = outbuf_reserve(ob, 1, why)))
			break;
		zout = (ZSTD_outBuffer){ ob->buf, ob->cap, ob->len };
		ret = ZSTD_decompressStream(dctx, &zout, &zin);
		ob->len = zout.pos;
		if (ZSTD_isError(ret)) {
			err = why_fail(why, -EINVAL, "corrupt zstd payload (%s)",
				   ZSTD_getErrorName(ret));
			break;
		}
		if (!ret)
			break;	/* frame complete */
		if (zin.pos == zin.size && zout.pos < zout.size) {
			err = why_fail(why, -EINVAL, "truncated zstd payload");
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	return err;
}

/*
 * The lz4 legacy frame: magic, then blocks of (32-bit compressed size, data),
 * each decoding to at most 8 MiB. It ends at the end of input; a further
 * magic starts a new frame. Exactly 4 bytes left over are the size trailer.
 */
static int inflate_lz4(const u8 *in, size_t len, struct outbuf *ob, const char **why)
{
	size_t pos = 4;

	while (len - pos >= 4) {
		u32 csize = get_le32(in + pos);
		size_t room;
		int n, err;

		if (csize == LZ4_LEGACY_MAGIC) {
			pos += 4;
			continue;
		}
		if (len - pos == 4) {
			pos = len;	/* the size trailer */
			break;
		}
		pos += 4;
		if (!csize || csize > (u32)LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK))
			return why_fail(why, -EINVAL, "corrupt lz4 payload (block size %u)",
				    csize);
		if (csize > len - pos)
			return why_fail(why, -EINVAL, "truncated lz4 payload");
		/*
		 * Decode into what the size hint left; only if that is too small
		 * make room for a whole block and try once more.
		 */
		room = MIN(ob->cap - ob->len, (size_t)LZ4_LEGACY_BLOCK);
		n = LZ4_decompress_safe((const char *)in + pos,
					(char *)ob->buf + ob->len, csize, room);
		if (n < 0 && room < LZ4_LEGACY_BLOCK) {
			err = outbuf_reserve(ob, LZ4_LEGACY_BLOCK, why);
			if (err && err != -EFBIG)
				return err;
			room = MIN(ob->cap - ob->len, (size_t)LZ4_LEGACY_BLOCK);
			n = LZ4_decompress_safe((const char *)in + pos,
						(char *)ob->buf + ob->len, csize, room);
		}
		if (n < 0 && room < LZ4_LEGACY_BLOCK)
			return why_fail(why, -EINVAL, "corrupt lz4 payload (or kernel over %zu MiB)",
				    ob->max >> 20);
		if (n < 0)
			return why_fail(why, -EINVAL, "corrupt lz4 payload");
		ob->len += n;
		pos += csize;
	}
	if (len - pos)
		return why_fail(why, -EINVAL, "truncated lz4 payload (%zu stray bytes)",
			    len - pos);
	return 0;
}

int payload_decompress(const u8 *in, size_t len, u8 **out, size_t *out_len,
		       const char **why)
{
	return payload_decompress_max(in, len, PAYLOAD_MAX_SIZE, out, out_len, why);
}

int payload_decompress_max(const u8 *in, size_t len, size_t max, u8 **out, size_t *out_len,
			   const char **why)
{
	struct outbuf ob = { .max = max };
	const char *name;
	size_t hint;
	int fmt, err;
	u8 *p;

	*out = NULL;
	*out_len = 0;
	if (len < 8)
		return why_fail(why, -EINVAL, "payload too short (%zu bytes)", len);

	fmt = payload_detect(in, len, &name);
	switch (fmt) {
	case FMT_UNKNOWN:
		return why_fail(why, -ENOEXEC,
			    "unknown payload format (magic %02x %02x %02x %02x)",
			    in[0], in[1], in[2], in[3]);
	case FMT_BZIP2:
	case FMT_LZMA:
	case FMT_LZO:
		return why_fail(why, -ENOTSUP,
			    "payload is %s: boot it with --guest-decompress", name);
	}

	/*
	 * The trailer is a hint only: grow later if it lied. Kernels compress
	 * 3-10x, so a hint far beyond that is not reserved up front.
	 */
	hint = fmt == FMT_NONE ? len : get_le32(in + len - 4);
	if (len < max / MAX_RATIO)
		hint = MIN(hint, len * MAX_RATIO);
	ob.cap = MIN(MAX(hint, (size_t)MIN_ALLOC), max);
	ob.buf = malloc(ob.cap);
	if (!ob.buf)
		return why_fail(why, -ENOMEM, "out of memory decompressing the kernel");

	switch (fmt) {
	case FMT_NONE:
		if (len > max) {
			err = why_fail(why, -EFBIG, "kernel exceeds %zu MiB", max >> 20);
			break;
		}
		memcpy(ob.buf, in, len);
		ob.len = len;
		err = 0;
		break;
	case FMT_GZIP:
		err = inflate_gzip(in, len, &ob, why);
		break;
	case FMT_XZ:
		err = inflate_xz(in, len, &ob, why);
		break;
	case FMT_LZ4:
		err = inflate_lz4(in, len, &ob, why);
		break;
	default:
		err = inflate_zstd(in, len, &ob, why);
		break;
	}
	if (!err && (ob.len < sizeof(Elf64_Ehdr) || memcmp(ob.buf, ELFMAG, SELFMAG)))
		err = why_fail(why, -ENOEXEC, "decompressed %s payload is not an ELF", name);
	if (err) {
		free(ob.buf);
		return err;
	}
	/* Give back what the hint over-reserved. */
	p = realloc(ob.buf, ob.len);
	*out = p ? p : ob.buf;
	*out_len = ob.len;
	return 0;
}
