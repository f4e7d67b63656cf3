// SPDX-License-Identifier: GPL-2.0
/* The in-memory initramfs writer (util/cpio.c), read back by cpio(1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test.h"
#include "util/cpio.h"

/* Every entry's header starts on a 4-byte boundary with the newc magic. */
TEST(cpio_entries_are_aligned_newc)
{
	struct cpio c;
	size_t off = 0, n = 0;

	cpio_init(&c);
	cpio_add_dir(&c, "d");
	cpio_add_file(&c, "d/f", 0644, "abc", 3);
	cpio_add_file(&c, "empty", 0600, NULL, 0);
	TEST_ASSERT_EQ(cpio_finish(&c), 0);
	while (off < c.len) {
		unsigned int namesize, filesize;
		char f[9] = { 0 };

		TEST_ASSERT(off % 4 == 0 && !memcmp(c.buf + off, "070701", 6), "entry %zu at %zu", n, off);
		memcpy(f, c.buf + off + 54, 8);
		filesize = strtoul(f, NULL, 16);
		memcpy(f, c.buf + off + 94, 8);
		namesize = strtoul(f, NULL, 16);
		off = ALIGN_UP(off + 110 + namesize, 4);
		off = ALIGN_UP(off + filesize, 4);
		n++;
	}
	TEST_ASSERT_EQ(off, c.len);
	TEST_ASSERT_EQ(n, 4);
	cpio_free(&c);
}

TEST(cpio_bad_names_fail_once)
{
	struct cpio c;

	cpio_init(&c);
	cpio_add_file(&c, "", 0644, "x", 1);
	cpio_add_dir(&c, "fine");
	TEST_ASSERT_EQ(cpio_finish(&c), -EINVAL);
	cpio_free(&c);
}

/* What GNU cpio makes of it: the names, modes, contents and device numbers. */
TEST(cpio_gnu_cpio_reads_it_back)
{
	char dir[] = "/tmp/vmm-cpio-XXXXXX", cmd[512], p[256], buf[64] = { 0 };
	struct cpio c;
	struct stat st;
	FILE *f;

	if (system("command -v cpio >/dev/null 2>&1")) {
		printf("  cpio(1) is not installed: skipped\n");
		return;
	}
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	cpio_init(&c);
	cpio_add_dir(&c, "vmm");
	cpio_add_file(&c, "vmm/config", 0600, "a=b\0c=d\0", 8);
	cpio_add_file(&c, "init", 0755, "#!/bin/sh\n", 10);
	TEST_ASSERT_EQ(cpio_finish(&c), 0);
	snprintf(p, sizeof(p), "%s.cpio", dir);
	f = fopen(p, "w");
	TEST_ASSERT(f && fwrite(c.buf, 1, c.len, f) == c.len, "write");
	fclose(f);
	cpio_free(&c);
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -id --quiet <%s", dir, p);
	TEST_ASSERT_EQ(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/init", dir);
	TEST_ASSERT(stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0755,
		    "init mode %o", st.st_mode);
	snprintf(p, sizeof(p), "%s/vmm/config", dir);
	f = fopen(p, "r");
	TEST_ASSERT(f && fread(buf, 1, sizeof(buf), f) == 8 && !memcmp(buf, "a=b\0c=d\0", 8),
		    "config");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.cpio", dir, dir);
	TEST_ASSERT_EQ(system(cmd), 0);
}
