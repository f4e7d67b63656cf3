// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel modules for vmm's --exec initramfs (run/exec_modules.c): found by
 * name in a modules tree, unpacked, dependencies first, from module ELFs
 * built here with just the sections that matter.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "run/exec_modules.h"
#include "test.h"

/* A relocatable ELF64 with .shstrtab and a .modinfo of @modinfo (@len bytes). */
static size_t module_elf(u8 *buf, const char *modinfo, size_t len)
{
	static const char shstr[] = "\0.shstrtab\0.modinfo";
	Elf64_Ehdr eh = { .e_type = ET_REL, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
			  .e_shnum = 3, .e_shstrndx = 1 };
	Elf64_Shdr sh[3] = { { 0 } };
	size_t off = sizeof(eh);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf + off, shstr, sizeof(shstr));
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = off,
			      .sh_size = sizeof(shstr) };
	off += sizeof(shstr);
	memcpy(buf + off, modinfo, len);
	sh[2] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_PROGBITS, .sh_offset = off,
			      .sh_size = len };
	off = ALIGN_UP(off + len, 8);
	eh.e_shoff = off;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + off, sh, sizeof(sh));
	return off + sizeof(sh);
}

static char dir[64];

static void put(const char *name, const char *modinfo, size_t len, bool gz)
{
	u8 elf[1024];
	size_t n = module_elf(elf, modinfo, len);
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (gz) {
		gzFile g = gzopen(p, "wb");

		gzwrite(g, elf, n);
		gzclose(g);
	} else {
		FILE *f = fopen(p, "w");

		fwrite(elf, 1, n, f);
		fclose(f);
	}
}

static bool archived(const struct cpio *c, const char *name)
{
	return memmem(c->buf, c->len, name, strlen(name) + 1) != NULL;
}

TEST(exec_modules_dependencies_first_unpacked_and_once)
{
	static const char a[] = "license=GPL\0depends=b,c_x\0vermagic=6.1";
	static const char cx[] = "depends=b";
	static const char b[] = "license=GPL\0depends=";
	const char *want[] = { "a", "d", "c-x", "?not_there" };
	char order[256], p[256], cmd[128];
	struct cpio c;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/vmm-kmod-XXXXXX");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(p, sizeof(p), "%s/kernel", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/kernel/drivers", dir);
	mkdir(p, 0755);
	put("kernel/a.ko", a, sizeof(a), false);
	put("kernel/drivers/b.ko.gz", b, sizeof(b), true);
	put("kernel/drivers/c-x.ko", cx, sizeof(cx), false);
	/* A symbolic link to a directory (build, source) is not walked. */
	snprintf(p, sizeof(p), "%s/build", dir);
	TEST_ASSERT_EQ(symlink("/", p), 0);
	snprintf(p, sizeof(p), "%s/modules.builtin", dir);
	f = fopen(p, "w");
	fputs("kernel/fs/d.ko\n", f);
	fclose(f);

	cpio_init(&c);
	TEST_ASSERT_EQ(exec_modules_add(&c, dir, want, ARRAY_SIZE(want), order, sizeof(order)), 0);
	TEST_ASSERT(!strcmp(order, "b c_x a "), "order '%s'", order);
	TEST_ASSERT_EQ(cpio_finish(&c), 0);
	TEST_ASSERT(archived(&c, "vmm/modules/a.ko") && archived(&c, "vmm/modules/b.ko") &&
		    archived(&c, "vmm/modules/c_x.ko"), "names in the archive");
	/* b arrives unpacked: its ELF header is in the archive. */
	TEST_ASSERT(memmem(c.buf, c.len, "license=GPL\0depends=", 20), "b unpacked");
	cpio_free(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT_EQ(system(cmd), 0);
}

TEST(exec_modules_missing_directory_is_an_error)
{
	const char *want[] = { "a" };
	char order[64];
	struct cpio c;

	cpio_init(&c);
	TEST_ASSERT_EQ(exec_modules_add(&c, "/nonexistent-vmm-dir", want, 1, order, sizeof(order)),
		       -ENOENT);
	cpio_free(&c);
}

TEST(exec_module_depends_checks_every_offset)
{
	static const char info[] = "depends=virtio,virtio_ring";
	u8 elf[1024];
	char deps[64];
	size_t n = module_elf(elf, info, sizeof(info));
	Elf64_Ehdr eh;

	TEST_ASSERT_EQ(exec_module_depends(elf, n, deps, sizeof(deps)), 0);
	TEST_ASSERT(!strcmp(deps, "virtio,virtio_ring"), "%s", deps);
	TEST_ASSERT_EQ(exec_module_depends(elf, n, deps, 8), -ENAMETOOLONG);
	/* Truncated anywhere: never read past the end. */
	for (size_t len = 0; len < n; len++)
		TEST_ASSERT(exec_module_depends(elf, len, deps, sizeof(deps)) <= 0, "len %zu", len);
	memcpy(&eh, elf, sizeof(eh));
	eh.e_shoff = ~0ULL;
	memcpy(elf, &eh, sizeof(eh));
	TEST_ASSERT_EQ(exec_module_depends(elf, n, deps, sizeof(deps)), -ENOEXEC);
	TEST_ASSERT_EQ(exec_module_depends((const u8 *)"\x7f" "ELF", 4, deps, sizeof(deps)),
		       -ENOEXEC);
}
