// SPDX-License-Identifier: GPL-2.0
#include <asm/bootparam.h>
#include <errno.h>
#include <stddef.h>

#include "hw/x86/bzimage.h"
#include "test.h"

#define SETUP_SECTS	4
#define SETUP_SIZE	((SETUP_SECTS + 1) * 512)
#define KERNEL_SIZE	2048	/* a multiple of 16: syssize is exact */
#define PAYLOAD_OFF	256
#define IMG_SIZE	(SETUP_SIZE + KERNEL_SIZE)
#define HDR(f)		(0x1f1 + offsetof(struct setup_header, f))

static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }

/*
 * A minimal 2.15 bzImage: setup header, a version string in the setup
 * sectors, and a payload that ends exactly where the kernel ends, so any
 * truncation cuts something the header claims.
 */
static void make_bzimage(u8 *img)
{
	memset(img, 0, IMG_SIZE);
	img[HDR(setup_sects)] = SETUP_SECTS;
	put16(img + HDR(boot_flag), 0xaa55);
	img[0x200] = 0xeb;			/* jmp short past the header */
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(img + HDR(header), "HdrS", 4);
	put16(img + HDR(version), 0x020f);
	put16(img + HDR(kernel_version), 0x400);	/* string at 0x600 */
	strcpy((char *)img + 0x600, "6.1.0-test (vmm) #1");
	img[HDR(loadflags)] = LOADED_HIGH;
	put32(img + HDR(syssize), KERNEL_SIZE / 16);
	put32(img + HDR(kernel_alignment), 0x200000);
	img[HDR(relocatable_kernel)] = 1;
	put16(img + HDR(xloadflags), XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	put32(img + HDR(cmdline_size), 2047);
	put32(img + HDR(initrd_addr_max), 0x7fffffff);
	put32(img + HDR(payload_offset), PAYLOAD_OFF);
	put32(img + HDR(payload_length), KERNEL_SIZE - PAYLOAD_OFF);
	put64(img + HDR(pref_address), 0x1000000);
	put32(img + HDR(init_size), 0x800000);
	memset(img + SETUP_SIZE + PAYLOAD_OFF, 0x5a, KERNEL_SIZE - PAYLOAD_OFF);
}

/* Parse a copy in an exactly sized heap buffer, so ASan sees any overread. */
static int parse_copy(const u8 *img, size_t size, struct bzimage *bz, const char **why)
{
	u8 *copy = malloc(size ? size : 1);
	int ret;

	memcpy(copy, img, size);
	ret = bzimage_parse(copy, size, bz, why);
	/* On success everything it points at must be inside the copy. */
	if (!ret) {
		if ((bz->payload && (bz->payload < copy ||
				     bz->payload + bz->payload_size > copy + size)) ||
		    (!bz->payload && bz->payload_size) ||
		    bz->kernel < copy || bz->kernel + bz->kernel_size > copy + size ||
		    bz->setup_header_len > sizeof(struct setup_header))
			ret = -1000;
	}
	free(copy);
	return ret;
}

TEST(bzimage_valid_image_parses)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT_EQ(bz.version, 0x020f);
	TEST_ASSERT_EQ(bz.setup_size, SETUP_SIZE);
	TEST_ASSERT(bz.kernel == img + SETUP_SIZE, "kernel at +%td", bz.kernel - img);
	TEST_ASSERT_EQ(bz.kernel_size, KERNEL_SIZE);
	TEST_ASSERT(bz.payload == img + SETUP_SIZE + PAYLOAD_OFF, "payload at +%td",
		    bz.payload - img);
	TEST_ASSERT_EQ(bz.payload_size, KERNEL_SIZE - PAYLOAD_OFF);
	TEST_ASSERT_EQ(bz.load_addr, 0x1000000);
	TEST_ASSERT_EQ(bz.entry64, 0x1000200);
	TEST_ASSERT_EQ(bz.init_size, 0x800000);
	TEST_ASSERT_EQ(bz.kernel_alignment, 0x200000);
	TEST_ASSERT(bz.relocatable, "relocatable");
	TEST_ASSERT_EQ(bz.cmdline_size, 2047);
	TEST_ASSERT_EQ(bz.initrd_addr_max, 0x7fffffff);
	TEST_ASSERT(bz.setup_header == img + 0x1f1, "header pointer");
	TEST_ASSERT_EQ(bz.setup_header_len, 0x26c - 0x1f1);
	TEST_ASSERT(!strcmp(bz.version_str, "6.1.0-test (vmm) #1"), "'%s'", bz.version_str);
}

TEST(bzimage_rejects_missing_magic)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	img[HDR(header)] = 'X';
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -ENOEXEC);
	TEST_ASSERT(!strcmp(why, "not a bzImage (no HdrS magic)"), "why: %s", why);

	make_bzimage(img);
	put16(img + HDR(boot_flag), 0);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "0xAA55"), "why: %s", why);

	TEST_ASSERT_EQ(bzimage_parse(img, 100, &bz, &why), -ENOEXEC);
	TEST_ASSERT_EQ(bzimage_parse(img, 0, &bz, &why), -ENOEXEC);
}

TEST(bzimage_rejects_every_truncation)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	for (size_t size = 0; size < IMG_SIZE; size++) {
		int ret = parse_copy(img, size, &bz, &why);

		TEST_ASSERT(ret == -EINVAL || ret == -ENOEXEC,
			    "size %zu: ret %d", size, ret);
	}
	TEST_ASSERT_EQ(parse_copy(img, IMG_SIZE, &bz, &why), 0);

	TEST_ASSERT_EQ(bzimage_parse(img, SETUP_SIZE, &bz, &why), -EINVAL);
	TEST_ASSERT(!strcmp(why, "truncated: setup claims 4 sectors but file has 2560 bytes"),
		    "why: %s", why);
	TEST_ASSERT_EQ(bzimage_parse(img, SETUP_SIZE + 100, &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "truncated"), "why: %s", why);
}

TEST(bzimage_accepts_trailing_signature)
{
	static u8 img[IMG_SIZE + 1472];
	struct bzimage bz;
	const char *why = NULL;

	/* Signed kernels carry a signature after syssize * 16 bytes. */
	make_bzimage(img);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT_EQ(bz.kernel_size, KERNEL_SIZE);
}

TEST(bzimage_rejects_old_protocols)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	put16(img + HDR(version), 0x0205);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(!strcmp(why, "boot protocol 2.05 too old (need 2.06)"), "why: %s", why);

	/* 2.06 is parsed, but without xloadflags there is no 64-bit entry. */
	put16(img + HDR(version), 0x020a);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "2.10 has no xloadflags"), "why: %s", why);

	make_bzimage(img);
	put16(img + HDR(xloadflags), 0);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "XLF_KERNEL_64"), "why: %s", why);
}

TEST(bzimage_setup_sects_zero_means_four)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	img[HDR(setup_sects)] = 0;
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT_EQ(bz.setup_size, 5 * 512);
	TEST_ASSERT(bz.kernel == img + 5 * 512, "kernel at +%td", bz.kernel - img);

	/* More sectors than the file has. */
	img[HDR(setup_sects)] = 200;
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "setup claims 200 sectors but file has 4608 bytes"),
		    "why: %s", why);
}

TEST(bzimage_rejects_payload_outside_kernel)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	put32(img + HDR(payload_offset), PAYLOAD_OFF + 1);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "payload"), "why: %s", why);

	/* offset + length wraps in 32 bits */
	put32(img + HDR(payload_offset), 0xfffffff0);
	put32(img + HDR(payload_length), 0x20);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);

	put32(img + HDR(payload_offset), 0);
	put32(img + HDR(payload_length), 4);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "too short"), "why: %s", why);

	/* No payload at all: an uncompressed kernel, entered as it is. */
	put32(img + HDR(payload_length), 0);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT(!bz.payload && !bz.payload_size, "payload %p", (void *)bz.payload);
}

TEST(bzimage_rejects_bad_layout_fields)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	put32(img + HDR(init_size), KERNEL_SIZE - 1);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "init_size"), "why: %s", why);

	make_bzimage(img);
	put32(img + HDR(kernel_alignment), 0x300000);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);

	make_bzimage(img);
	put64(img + HDR(pref_address), 0x8000);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);

	make_bzimage(img);
	put64(img + HDR(pref_address), UINT64_MAX - 0x1000);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);

	make_bzimage(img);
	put32(img + HDR(cmdline_size), 0);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);

	make_bzimage(img);
	put32(img + HDR(syssize), KERNEL_SIZE);	/* claims 16x the file */
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "truncated"), "why: %s", why);

	make_bzimage(img);
	img[HDR(loadflags)] = 0;
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), -EINVAL);
}

TEST(bzimage_header_length_and_version_string_are_bounded)
{
	u8 img[IMG_SIZE];
	struct bzimage bz;
	const char *why = NULL;

	make_bzimage(img);
	img[0x201] = 0xff;	/* claims a header past struct setup_header */
	put32(img + HDR(initrd_addr_max), 0);
	/* A version string running to the end of the setup sectors. */
	put16(img + HDR(kernel_version), SETUP_SIZE - 0x200 - 5);
	memset(img + SETUP_SIZE - 5, 'A', 5);
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT_EQ(bz.setup_header_len, sizeof(struct setup_header));
	TEST_ASSERT(!strcmp(bz.version_str, "AAAAA"), "'%s'", bz.version_str);
	TEST_ASSERT_EQ(bz.initrd_addr_max, 0x37ffffff);

	put16(img + HDR(kernel_version), 0xffff);	/* beyond the setup */
	TEST_ASSERT_EQ(bzimage_parse(img, sizeof(img), &bz, &why), 0);
	TEST_ASSERT(!strcmp(bz.version_str, ""), "'%s'", bz.version_str);
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

TEST(bzimage_survives_random_mutations)
{
	u8 img[IMG_SIZE], mut[IMG_SIZE];
	struct bzimage bz;
	const char *why;
	int ok = 0;

	make_bzimage(img);
	for (int iter = 0; iter < 20000; iter++) {
		size_t size = IMG_SIZE;
		int n = 1 + rnd() % 8, ret;

		memcpy(mut, img, IMG_SIZE);
		for (int i = 0; i < n; i++) {
			/* Mostly hit the header, where the lengths live. */
			size_t at = rnd() % 2 ? 0x1f0 + rnd() % 0x80 : rnd() % IMG_SIZE;

			mut[at] = rnd() % 4 ? (u8)rnd() : (rnd() % 2 ? 0xff : 0);
		}
		if (rnd() % 4 == 0)
			size = rnd() % IMG_SIZE;
		why = NULL;
		ret = parse_copy(mut, size, &bz, &why);
		TEST_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOEXEC,
			    "iter %d: ret %d", iter, ret);
		TEST_ASSERT(ret == 0 || (why && *why), "iter %d: no reason", iter);
		ok += !ret;
	}
	TEST_ASSERT(ok > 100, "only %d mutants parsed: the fuzzer hits nothing", ok);
}
