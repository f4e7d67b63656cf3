// SPDX-License-Identifier: GPL-2.0
/* arm64 Image header and Image.gz tests (booting.rst), on any host. */
#include <errno.h>
#include <zlib.h>

#include "hw/arm64/image.h"
#include "test.h"

static void put_le(u8 *p, u64 v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

/* A header like Debian 6.1's: text_offset 0, 4K pages, anywhere in RAM. */
static void make_header(u8 *p, u64 text_offset, u64 image_size, u64 flags)
{
	memset(p, 0, 64);
	p[0] = 'M';
	p[1] = 'Z';
	put_le(p + 8, text_offset, 8);
	put_le(p + 16, image_size, 8);
	put_le(p + 24, flags, 8);
	memcpy(p + 56, "ARM\x64", 4);
}

static u8 img[4096];

TEST(image_debian_header_parses)
{
	struct arm64_image h;
	const char *why = "";
	int r;

	make_header(img, 0, 0x2010000, 0xa);
	r = arm64_image_parse(img, sizeof(img), &h, &why);
	TEST_ASSERT(r == 0, "r=%d why=%s", r, why);
	TEST_ASSERT_EQ(h.text_offset, 0);
	TEST_ASSERT_EQ(h.image_size, 0x2010000);
	TEST_ASSERT_EQ((h.flags >> IMAGE_FLAG_PAGE_SHIFT) & 3, 1);
	TEST_ASSERT(h.flags & IMAGE_FLAG_ANYWHERE, "flags 0x%llx", (unsigned long long)h.flags);
}

TEST(image_old_text_offset_parses)
{
	struct arm64_image h;
	const char *why = "";

	make_header(img, 0x80000, 0x1000000, 0);
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), 0);
	TEST_ASSERT_EQ(h.text_offset, 0x80000);
}

TEST(image_without_magic_is_enoexec)
{
	struct arm64_image h;
	const char *why = "";

	make_header(img, 0, 0x2010000, 0xa);
	img[56] = 'X';
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "magic"), "why=%s", why);
	make_header(img, 0, 0x2010000, 0xa);
	TEST_ASSERT_EQ(arm64_image_parse(img, 63, &h, &why), -ENOEXEC);
}

TEST(image_unbootable_headers_are_einval)
{
	struct arm64_image h;
	const char *why = "";

	make_header(img, 0, 0x2010000, IMAGE_FLAG_BE);
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "big-endian"), "why=%s", why);
	make_header(img, 0x80000, 0, 0);
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "3.17"), "why=%s", why);
	make_header(img, 0x80010, 0x2010000, 0);
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), -EINVAL);
	make_header(img, 2 << 20, 0x2010000, 0);
	TEST_ASSERT_EQ(arm64_image_parse(img, sizeof(img), &h, &why), -EINVAL);
}

/* gzip -c of @len bytes of @src into a new buffer. */
static u8 *gzip(const u8 *src, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = compressBound(len) + 64;
	u8 *out = malloc(cap);

	if (!out || deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	zs.next_in = (Bytef *)src;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static u8 *make_kernel(size_t len)
{
	u8 *k = malloc(len);
	u32 x = 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		k[i] = (x >> 24) & 0x0f;	/* compressible, not trivial */
	}
	make_header(k, 0, len + 4096, 0xa);
	return k;
}

TEST(gunzip_image_gz_round_trips)
{
	size_t len = 3 << 20, zlen, out_len;
	u8 *k = make_kernel(len), *z = gzip(k, len, &zlen), *out = NULL;
	const char *why = "";
	struct arm64_image h;
	int r;

	TEST_ASSERT(z && arm64_is_gzip(z, zlen), "gzip failed");
	r = arm64_gunzip(z, zlen, 64 << 20, &out, &out_len, &why);
	TEST_ASSERT(r == 0, "r=%d why=%s", r, why);
	TEST_ASSERT_EQ(out_len, len);
	TEST_ASSERT(!memcmp(out, k, len), "unpacked bytes differ");
	TEST_ASSERT_EQ(arm64_image_parse(out, out_len, &h, &why), 0);
	free(k);
	free(z);
	free(out);
}

TEST(gunzip_grows_past_a_wrong_size_hint)
{
	size_t len = 1 << 20, zlen, out_len;
	u8 *k = make_kernel(len), *z = gzip(k, len, &zlen), *out = NULL;
	const char *why = "";
	int r;

	/*
	 * A trailer that claims 16 bytes: the buffer starts small and grows
	 * through the whole stream, then zlib's length check rejects it.
	 */
	put_le(z + zlen - 4, 16, 4);
	r = arm64_gunzip(z, zlen, 64 << 20, &out, &out_len, &why);
	TEST_ASSERT_EQ(r, -EINVAL);
	TEST_ASSERT(strstr(why, "length"), "why=%s", why);
	free(k);
	free(z);
}

TEST(gunzip_over_max_is_e2big)
{
	size_t len = 1 << 20, zlen, out_len;
	u8 *k = make_kernel(len), *z = gzip(k, len, &zlen), *out = NULL;
	const char *why = "";

	TEST_ASSERT_EQ(arm64_gunzip(z, zlen, len - 1, &out, &out_len, &why), -E2BIG);
	TEST_ASSERT_EQ(arm64_gunzip(z, zlen, len, &out, &out_len, &why), 0);
	TEST_ASSERT_EQ(out_len, len);
	free(out);
	free(k);
	free(z);
}

TEST(gunzip_truncated_or_corrupt_is_einval)
{
	size_t len = 1 << 20, zlen, out_len;
	u8 *k = make_kernel(len), *z = gzip(k, len, &zlen), *out = NULL;
	const char *why = "";
	int r;

	r = arm64_gunzip(z, zlen / 2, 64 << 20, &out, &out_len, &why);
	TEST_ASSERT_EQ(r, -EINVAL);
	TEST_ASSERT(strstr(why, "truncated") || strstr(why, "corrupt"), "why=%s", why);
	for (size_t i = zlen / 3; i < zlen / 3 + 64; i++)
		z[i] ^= 0x5a;
	r = arm64_gunzip(z, zlen, 64 << 20, &out, &out_len, &why);
	TEST_ASSERT_EQ(r, -EINVAL);
	TEST_ASSERT_EQ(arm64_gunzip(z, 10, 64 << 20, &out, &out_len, &why), -EINVAL);
	free(k);
	free(z);
}

TEST(plan_flat_binary_goes_to_the_default_text_offset)
{
	struct arm64_image h;
	const char *why = "";
	bool flat;

	memset(img, 0xd5, sizeof(img));		/* no magic: instructions, say */
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 64 * MiB, &h, &flat, &why), 0);
	TEST_ASSERT(flat, "flat");
	TEST_ASSERT_EQ(h.text_offset, 0x80000);
	TEST_ASSERT_EQ(h.image_size, sizeof(img));
	/* An Image keeps its header's word. */
	make_header(img, 0, 0x2010000, 0xa);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 64 * MiB, &h, &flat, &why), 0);
	TEST_ASSERT(!flat && h.image_size == 0x2010000, "image");
}

TEST(plan_flat_binary_larger_than_ram_is_e2big)
{
	struct arm64_image h;
	const char *why = "";
	bool flat;

	memset(img, 0xd5, sizeof(img));
	/* 0x80000 + 4 KiB does not fit in 512 KiB + 2 KiB; it does in one more page. */
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 0x80800, &h, &flat, &why), -E2BIG);
	TEST_ASSERT(strstr(why, "more than"), "why: %s", why);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 0x81000, &h, &flat, &why), 0);
	/* The same for an Image whose image_size (BSS) passes the room. */
	make_header(img, 0, 0x2010000, 0xa);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 32 * MiB, &h, &flat, &why), -E2BIG);
}

TEST(plan_refuses_what_is_surely_not_arm64_code)
{
	struct arm64_image h;
	const char *why = "";
	bool flat;

	TEST_ASSERT_EQ(arm64_kernel_plan(img, 0, 64 * MiB, &h, &flat, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "empty"), "why: %s", why);
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 64 * MiB, &h, &flat, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "ELF"), "why: %s", why);
	memset(img, 0, sizeof(img));
	memcpy(img + 0x202, "HdrS", 4);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 64 * MiB, &h, &flat, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "bzImage"), "why: %s", why);
	/* A bad Image header stays an error, not a flat binary. */
	make_header(img, 0x123, 0x1000, 0);
	TEST_ASSERT_EQ(arm64_kernel_plan(img, sizeof(img), 64 * MiB, &h, &flat, &why), -EINVAL);
}
