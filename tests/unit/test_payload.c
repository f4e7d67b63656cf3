// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "util/payload.h"
#include "test.h"

static u64 rng_state = 0x243f6a8885a308d3ULL;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

/* An ELF header followed by compressible but not trivial bytes. */
static u8 *make_elf(size_t size)
{
	static const char words[][8] = { "mov", "push", "ret", "call", "\x90\x90", "lea" };
	u8 *p = malloc(size);
	Elf64_Ehdr eh = { 0 };

	for (size_t i = 0; i < size;) {
		const char *w = words[rnd() % ARRAY_SIZE(words)];

		for (size_t j = 0; w[j] && i < size; j++)
			p[i++] = w[j];
		if (i < size)
			p[i++] = rnd() % 8;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	memcpy(p, &eh, sizeof(eh));
	return p;
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* What the kernel build does after compressing: append the size. */
static size_t size_append(u8 *out, size_t len, size_t orig)
{
	put32(out + len, orig);
	return len + 4;
}

static size_t gzip_compress(const u8 *in, size_t len, u8 *out, size_t cap)
{
	z_stream zs = { 0 };
	size_t n;

	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		return 0;
	}
	n = zs.total_out;
	deflateEnd(&zs);
	return n;	/* gzip ends with ISIZE already: no size_append */
}

/* Like the kernel's xz_wrap.sh: CRC32 check, x86 BCJ, then LZMA2. */
static size_t xz_compress(const u8 *in, size_t len, u8 *out, size_t cap)
{
	lzma_options_lzma opt;
	lzma_filter filters[] = {
		{ .id = LZMA_FILTER_X86, .options = NULL },
		{ .id = LZMA_FILTER_LZMA2, .options = &opt },
		{ .id = LZMA_VLI_UNKNOWN, .options = NULL },
	};
	size_t pos = 0;

	lzma_lzma_preset(&opt, 6);
	if (lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, len, out, &pos,
				      cap) != LZMA_OK)
		return 0;
	return size_append(out, pos, len);
}

/* Streaming, so the frame has no content size (as when piped in Kbuild). */
static size_t zstd_compress(const u8 *in, size_t len, u8 *out, size_t cap)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_inBuffer zin = { in, len, 0 };
	ZSTD_outBuffer zout = { out, cap, 0 };
	size_t ret;

	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
	ret = ZSTD_compressStream2(cctx, &zout, &zin, ZSTD_e_end);
	ZSTD_freeCCtx(cctx);
	if (ret != 0)
		return 0;
	return size_append(out, zout.pos, len);
}

/* The lz4 legacy frame, with @block-byte blocks (lz4 -l uses 8 MiB). */
static size_t lz4_compress(const u8 *in, size_t len, u8 *out, size_t cap, size_t block)
{
	size_t pos = 4;

	put32(out, 0x184c2102);
	for (size_t off = 0; off < len; off += block) {
		int n = LZ4_compress_default((const char *)in + off, (char *)out + pos + 4,
					     MIN(block, len - off), cap - pos - 8);

		if (n <= 0)
			return 0;
		put32(out + pos, n);
		pos += 4 + n;
	}
	return size_append(out, pos, len);
}

enum { GZIP, XZ, ZSTD, LZ4, NR_FMTS };
static const char *const fmt_names[] = { "gzip", "xz", "zstd", "lz4" };

static size_t pack(int fmt, const u8 *in, size_t len, u8 *out, size_t cap)
{
	switch (fmt) {
	case GZIP:
		return gzip_compress(in, len, out, cap);
	case XZ:
		return xz_compress(in, len, out, cap);
	case ZSTD:
		return zstd_compress(in, len, out, cap);
	default:
		return lz4_compress(in, len, out, cap, 64 * KiB);
	}
}

#define ELF_SIZE	(300 * KiB)
#define BUF_CAP		(ELF_SIZE * 2)

TEST(payload_round_trips_every_format)
{
	u8 *elf = make_elf(ELF_SIZE), *z = malloc(BUF_CAP), *out;
	size_t zlen, out_len;
	const char *why = NULL;

	for (int fmt = 0; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, elf, ELF_SIZE, z, BUF_CAP);
		TEST_ASSERT(zlen > 0 && zlen < ELF_SIZE, "%s: compressed to %zu",
			    fmt_names[fmt], zlen);
		TEST_ASSERT(!strcmp(payload_format_name(z, zlen), fmt_names[fmt]),
			    "detected %s as %s", fmt_names[fmt], payload_format_name(z, zlen));
		TEST_ASSERT_EQ(payload_decompress(z, zlen, &out, &out_len, &why), 0);
		TEST_ASSERT_EQ(out_len, ELF_SIZE);
		TEST_ASSERT(!memcmp(out, elf, ELF_SIZE), "%s: output differs", fmt_names[fmt]);
		free(out);
	}
	free(elf);
	free(z);
}

TEST(payload_output_bounded_by_max_in_every_format)
{
	u8 *elf = make_elf(ELF_SIZE), *z = malloc(BUF_CAP), *out;
	size_t zlen, out_len;
	const char *why = NULL;

	/* 300 KiB of kernel, 256 KiB allowed: refused, whatever the format. */
	for (int fmt = 0; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, elf, ELF_SIZE, z, BUF_CAP);
		TEST_ASSERT(zlen > 0, "%s: compress", fmt_names[fmt]);
		TEST_ASSERT(payload_decompress_max(z, zlen, 256 * KiB, &out, &out_len, &why) < 0,
			    "%s: over the bound accepted", fmt_names[fmt]);
		TEST_ASSERT(!out, "%s: output left", fmt_names[fmt]);
		TEST_ASSERT_EQ(payload_decompress_max(z, zlen, ELF_SIZE, &out, &out_len, &why), 0);
		TEST_ASSERT_EQ(out_len, ELF_SIZE);
		free(out);
	}
	free(elf);
	free(z);
}

TEST(payload_lz4_full_blocks_and_concatenated_frames)
{
	size_t size = 8 * MiB + 100 * KiB, zlen, zlen2, out_len;
	u8 *elf = make_elf(size), *z = malloc(size * 3), *out;
	const char *why = NULL;

	/* Real 8 MiB blocks, the last one short. */
	zlen = lz4_compress(elf, size, z, size * 3, 8 * MiB);
	TEST_ASSERT(zlen > 0, "compress");
	TEST_ASSERT_EQ(payload_decompress(z, zlen, &out, &out_len, &why), 0);
	TEST_ASSERT(out_len == size && !memcmp(out, elf, size), "8 MiB blocks differ");
	free(out);

	/* A second frame (magic again) after the first, before the trailer. */
	zlen -= 4;
	zlen2 = lz4_compress(elf, 4096, z + zlen, size * 3 - zlen, 8 * MiB);
	TEST_ASSERT(zlen2 > 0, "compress 2");
	TEST_ASSERT_EQ(payload_decompress(z, zlen + zlen2, &out, &out_len, &why), 0);
	TEST_ASSERT_EQ(out_len, size + 4096);
	free(out);

	/* Without the size trailer the stream still ends cleanly. */
	zlen = lz4_compress(elf, size, z, size * 3, 1 * MiB) - 4;
	TEST_ASSERT_EQ(payload_decompress(z, zlen, &out, &out_len, &why), 0);
	TEST_ASSERT_EQ(out_len, size);
	free(out);
	free(elf);
	free(z);
}

TEST(payload_uncompressed_elf_is_copied)
{
	u8 *elf = make_elf(4096), *out;
	size_t out_len;
	const char *why = NULL;

	TEST_ASSERT(!strcmp(payload_format_name(elf, 4096), "none"), "name");
	TEST_ASSERT_EQ(payload_decompress(elf, 4096, &out, &out_len, &why), 0);
	TEST_ASSERT(out_len == 4096 && !memcmp(out, elf, 4096), "copy differs");
	free(out);
	free(elf);
}

TEST(payload_guest_only_formats_say_so)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} cases[] = {
		{ "BZh91AY&SY", 10, "bzip2" },
		{ "\x5d\x00\x00\x80\x00\xff\xff\xff", 8, "lzma" },
		{ "\x89LZO\x00\r\n\x1a\n", 9, "lzo" },
	};
	u8 buf[64] = { 0 };
	u8 *out = (u8 *)1;
	size_t out_len = 1;
	const char *why = NULL;
	char want[96];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memcpy(buf, cases[i].magic, cases[i].len);
		TEST_ASSERT(!strcmp(payload_format_name(buf, sizeof(buf)), cases[i].name),
			    "%s", payload_format_name(buf, sizeof(buf)));
		TEST_ASSERT_EQ(payload_decompress(buf, sizeof(buf), &out, &out_len, &why),
			       -ENOTSUP);
		snprintf(want, sizeof(want), "payload is %s: boot it with --guest-decompress",
			 cases[i].name);
		TEST_ASSERT(!strcmp(why, want), "why: %s", why);
		TEST_ASSERT(!out && !out_len, "outputs cleared");
	}
	memset(buf, 0x42, sizeof(buf));
	TEST_ASSERT(!strcmp(payload_format_name(buf, sizeof(buf)), "unknown"), "unknown");
	TEST_ASSERT_EQ(payload_decompress(buf, sizeof(buf), &out, &out_len, &why), -ENOEXEC);
	TEST_ASSERT_EQ(payload_decompress(buf, 3, &out, &out_len, &why), -EINVAL);
	TEST_ASSERT(!strcmp(payload_format_name(buf, 0), "unknown"), "empty");
}

TEST(payload_rejects_non_elf_output)
{
	u8 *data = make_elf(64 * KiB), *z = malloc(128 * KiB), *out;
	size_t zlen, out_len;
	const char *why = NULL;

	data[0] = 'X';
	for (int fmt = 0; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, data, 64 * KiB, z, 128 * KiB);
		TEST_ASSERT_EQ(payload_decompress(z, zlen, &out, &out_len, &why), -ENOEXEC);
		TEST_ASSERT(strstr(why, "not an ELF"), "why: %s", why);
	}
	free(data);
	free(z);
}

TEST(payload_size_trailer_is_only_a_hint)
{
	static const u32 lies[] = { 0, 1, 4096, ELF_SIZE - 1, ELF_SIZE + 1, 0x7fffffff,
				    0xffffffff };
	u8 *elf = make_elf(ELF_SIZE), *z = malloc(BUF_CAP), *out;
	size_t zlen, out_len;
	const char *why = NULL;

	/* gzip's own ISIZE is its trailer; lying about it breaks the CRC check. */
	for (int fmt = XZ; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, elf, ELF_SIZE, z, BUF_CAP);
		for (size_t i = 0; i < ARRAY_SIZE(lies); i++) {
			put32(z + zlen - 4, lies[i]);
			TEST_ASSERT_EQ(payload_decompress(z, zlen, &out, &out_len, &why), 0);
			TEST_ASSERT(out_len == ELF_SIZE && !memcmp(out, elf, ELF_SIZE),
				    "%s with trailer %u", fmt_names[fmt], lies[i]);
			free(out);
		}
	}
	free(elf);
	free(z);
}

TEST(payload_truncation_fails_cleanly)
{
	u8 *elf = make_elf(ELF_SIZE), *z = malloc(BUF_CAP), *out;
	size_t zlen, out_len;
	const char *why;

	for (int fmt = 0; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, elf, ELF_SIZE, z, BUF_CAP);
		/* Cut inside the stream (past the header, before the trailer). */
		for (size_t cut = 16; cut < zlen - 8; cut += MAX(zlen / 64, (size_t)1)) {
			u8 *copy = malloc(cut);
			int ret;

			memcpy(copy, z, cut);
			why = NULL;
			ret = payload_decompress(copy, cut, &out, &out_len, &why);
			free(copy);
			TEST_ASSERT(ret == -EINVAL && why && !out,
				    "%s cut at %zu/%zu: ret %d", fmt_names[fmt], cut, zlen, ret);
		}
	}
	free(elf);
	free(z);
}

TEST(payload_survives_corruption)
{
	u8 *elf = make_elf(32 * KiB), *z = malloc(64 * KiB), *out;
	size_t zlen, out_len;
	const char *why;
	int failed[NR_FMTS] = { 0 };

	for (int fmt = 0; fmt < NR_FMTS; fmt++) {
		zlen = pack(fmt, elf, 32 * KiB, z, 64 * KiB);
		for (int iter = 0; iter < 400; iter++) {
			u8 *copy = malloc(zlen);
			int ret;

			memcpy(copy, z, zlen);
			for (int n = 1 + rnd() % 4; n; n--) {
				/* Keep the magic and the trailer, so the decoder runs. */
				size_t at = 6 + rnd() % (zlen - 10);

				copy[at] ^= 1 + rnd() % 255;
			}
			why = NULL;
			ret = payload_decompress(copy, zlen, &out, &out_len, &why);
			free(copy);
			if (!ret) {
				/* lz4 has no checksum: it may decode to other bytes. */
				TEST_ASSERT(out_len >= sizeof(Elf64_Ehdr) &&
					    !memcmp(out, ELFMAG, SELFMAG), "bad success");
				free(out);
			} else {
				TEST_ASSERT(why && *why && !out, "%s: no reason", fmt_names[fmt]);
				failed[fmt]++;
			}
		}
	}
	/* The checksummed formats must notice nearly every corruption. */
	TEST_ASSERT(failed[GZIP] > 390 && failed[XZ] > 390 && failed[ZSTD] > 300,
		    "gzip %d xz %d zstd %d of 400 noticed", failed[GZIP], failed[XZ],
		    failed[ZSTD]);
	free(elf);
	free(z);
}

TEST(payload_caps_the_output_size)
{
	size_t chunk = 8 * MiB, cap = 64 * MiB, pos = 0;
	u8 *zeros = calloc(1, chunk), *z = malloc(cap), *out;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_outBuffer zout = { z, cap, 0 };
	size_t out_len;
	const char *why = NULL;
	Elf64_Ehdr eh = { 0 };

	/* A 520 MiB zstd bomb starting with an ELF header. */
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	memcpy(zeros, &eh, sizeof(eh));
	for (int i = 0; i < 65; i++) {
		ZSTD_inBuffer zin = { zeros, chunk, 0 };

		ZSTD_compressStream2(cctx, &zout, &zin, i == 64 ? ZSTD_e_end : ZSTD_e_continue);
		TEST_ASSERT(zin.pos == chunk, "compress");
		memset(zeros, 0, sizeof(eh));
	}
	ZSTD_freeCCtx(cctx);
	pos = size_append(z, zout.pos, 4096);	/* and it lies about its size */
	TEST_ASSERT_EQ(payload_decompress(z, pos, &out, &out_len, &why), -EFBIG);
	TEST_ASSERT(strstr(why, "512 MiB"), "why: %s", why);
	free(zeros);
	free(z);
}
