// SPDX-License-Identifier: GPL-2.0
/*
 * mkbzimage: setup.bin + kernel.bin -> bzImage (Documentation/arch/x86/boot.rst).
 * Writes the boot sector signature and the setup header (protocol 2.15);
 * the protected-mode part is not compressed and loads at 1 MiB.
 *
 * usage: mkbzimage setup.bin kernel.bin <kernel end address> out.bzImage
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_ADDR	0x100000u
#define MIN_SETUP_SECTS	4	/* some loaders assume 4 */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto fail;
	buf = calloc(1, n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		goto fail;
	fclose(f);
	*len = n;
	return buf;
fail:
	perror(path);
	exit(1);
}

static void put16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(unsigned char *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

int main(int argc, char **argv)
{
	size_t slen, klen, setup_size;
	unsigned char *setup, *kernel, *img;
	unsigned long end;
	FILE *out;

	if (argc != 5) {
		fprintf(stderr, "usage: %s setup.bin kernel.bin <kernel end> out.bzImage\n", argv[0]);
		return 2;
	}
	setup = slurp(argv[1], &slen);
	kernel = slurp(argv[2], &klen);
	end = strtoul(argv[3], NULL, 0);
	if (slen < 0x2a0 || setup[0x200] != 0xeb) {
		fprintf(stderr, "%s: no short jump at 0x200\n", argv[1]);
		return 1;
	}
	for (size_t i = 0x1f1; i < 0x270; i++) {
		if (i != 0x200 && i != 0x201 && setup[i]) {
			fprintf(stderr, "%s: header area not empty at 0x%zx\n", argv[1], i);
			return 1;
		}
	}
	if (end <= LOAD_ADDR + klen) {
		fprintf(stderr, "kernel end 0x%lx is below the image end\n", end);
		return 1;
	}
	setup_size = (slen + 511) / 512 * 512;
	if (setup_size < (MIN_SETUP_SECTS + 1) * 512)
		setup_size = (MIN_SETUP_SECTS + 1) * 512;
	img = calloc(1, setup_size + klen);
	if (!img)
		return 1;
	memcpy(img, setup, slen);
	memcpy(img + setup_size, kernel, klen);

	img[0x1f1] = setup_size / 512 - 1;		/* setup_sects */
	put32(img + 0x1f4, (klen + 15) / 16);		/* syssize */
	put16(img + 0x1fa, 0xffff);			/* vid_mode: normal */
	put16(img + 0x1fe, 0xaa55);			/* boot_flag */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);			/* version 2.15 */
	put16(img + 0x20e, 0x270 - 0x200);		/* kernel_version string */
	img[0x211] = 0x01;				/* loadflags: LOADED_HIGH */
	put32(img + 0x214, LOAD_ADDR);			/* code32_start */
	put32(img + 0x22c, 0x7fffffff);			/* initrd_addr_max */
	put32(img + 0x230, 0x200000);			/* kernel_alignment */
	img[0x234] = 0;					/* relocatable_kernel */
	img[0x235] = 21;				/* min_alignment: 2 MiB */
	put16(img + 0x236, 0x1);			/* xloadflags: XLF_KERNEL_64 */
	put32(img + 0x238, 4095);			/* cmdline_size */
	put64(img + 0x258, LOAD_ADDR);			/* pref_address */
	put32(img + 0x260, (end - LOAD_ADDR + 4095) & ~4095ul);	/* init_size */

	out = fopen(argv[4], "wb");
	if (!out || fwrite(img, 1, setup_size + klen, out) != setup_size + klen || fclose(out)) {
		perror(argv[4]);
		return 1;
	}
	return 0;
}
