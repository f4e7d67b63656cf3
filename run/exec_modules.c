// SPDX-License-Identifier: GPL-2.0
/* Kernel modules and their dependencies for vmm's initramfs (run/exec_modules.h). */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run/exec_modules.h"
#include "run/exec_proto.h"
#include "util/file.h"
#include "util/log.h"
#include "util/payload.h"

#define KMOD_NAME_MAX	64	/* MODULE_NAME_LEN in the kernel */
#define KMOD_DEPTH_MAX	8	/* kernel/fs/fuse/: a modules tree is shallow */
#define KMOD_DEPS_MAX	16	/* a dependency chain longer than this is a loop */

struct kmod_file {
	char name[KMOD_NAME_MAX];	/* "virtio_pci": '-' read as '_', as the kernel does */
	char *path;
};

struct kmod_index {
	const char *dir;
	struct kmod_file *files;
	size_t nr, cap;
	char *builtin;			/* modules.builtin, or NULL */
	size_t builtin_len;
	struct cpio *cpio;
	char *order;
	size_t order_len;
};

/* "virtio-pci.ko.xz" -> "virtio_pci"; false if it is not a module file. */
static bool kmod_file_name(const char *file, char *out, size_t outlen)
{
	static const char *const exts[] = { ".ko", ".ko.gz", ".ko.xz", ".ko.zst" };
	size_t len = strlen(file);

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t el = strlen(exts[i]);

		if (len > el && !strcmp(file + len - el, exts[i]) && len - el < outlen) {
			for (size_t j = 0; j < len - el; j++)
				out[j] = file[j] == '-' ? '_' : file[j];
			out[len - el] = '\0';
			return true;
		}
	}
	return false;
}

/* Every module file under @path; symbolic links (build, source) are not followed. */
static int kmod_scan(struct kmod_index *ix, const char *path, int depth)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int r = 0;

	if (!d)
		return depth ? 0 : -errno;
	while (!r && (de = readdir(d))) {
		char name[KMOD_NAME_MAX], *sub;
		struct stat st;

		if (de->d_name[0] == '.' || asprintf(&sub, "%s/%s", path, de->d_name) < 0)
			continue;
		if (lstat(sub, &st) < 0) {
			free(sub);
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < KMOD_DEPTH_MAX) {
			r = kmod_scan(ix, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && kmod_file_name(de->d_name, name, sizeof(name))) {
			if (ix->nr == ix->cap) {
				size_t cap = ix->cap ? ix->cap * 2 : 256;
				struct kmod_file *f = realloc(ix->files, cap * sizeof(*f));

				if (!f) {
					free(sub);
					r = -ENOMEM;
					break;
				}
				ix->files = f;
				ix->cap = cap;
			}
			memcpy(ix->files[ix->nr].name, name, sizeof(name));
			ix->files[ix->nr++].path = sub;
			continue;
		}
		free(sub);
	}
	closedir(d);
	return r;
}

static const struct kmod_file *kmod_find(const struct kmod_index *ix, const char *name)
{
	for (size_t i = 0; i < ix->nr; i++)
		if (!strcmp(ix->files[i].name, name))
			return &ix->files[i];
	return NULL;
}

/* modules.builtin lists "kernel/fs/fuse/virtiofs.ko", one a line. */
static bool kmod_builtin(const struct kmod_index *ix, const char *name)
{
	const char *p = ix->builtin, *end = p + ix->builtin_len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *base;
		char line[256], mod[KMOD_NAME_MAX];
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
			if (kmod_file_name(base, mod, sizeof(mod)) && !strcmp(mod, name))
				return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

static bool kmod_ordered(const struct kmod_index *ix, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = ix->order; (p = strstr(p, name)); p += n)
		if ((p == ix->order || p[-1] == ' ') && p[n] == ' ')
			return true;
	return false;
}

static u64 elf_get(const u8 *p, size_t n)
{
	u64 v = 0;

	memcpy(&v, p, n);	/* little-endian: x86 and arm64 modules */
	return v;
}

int exec_module_depends(const u8 *elf, size_t len, char *deps, size_t deps_len)
{
	size_t shoff, shnum, shentsize, shstrndx, str_off, str_size;

	deps[0] = '\0';
	if (len < sizeof(Elf64_Ehdr) || memcmp(elf, ELFMAG, SELFMAG) || elf[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	shoff = elf_get(elf + offsetof(Elf64_Ehdr, e_shoff), 8);
	shentsize = elf_get(elf + offsetof(Elf64_Ehdr, e_shentsize), 2);
	shnum = elf_get(elf + offsetof(Elf64_Ehdr, e_shnum), 2);
	shstrndx = elf_get(elf + offsetof(Elf64_Ehdr, e_shstrndx), 2);
	if (shentsize != sizeof(Elf64_Shdr) || shstrndx >= shnum || shoff > len ||
	    shnum > (len - shoff) / sizeof(Elf64_Shdr))
		return -ENOEXEC;
#define SH(i, field, n) elf_get(elf + shoff + (i) * sizeof(Elf64_Shdr) + \
				offsetof(Elf64_Shdr, field), n)
	str_off = SH(shstrndx, sh_offset, 8);
	str_size = SH(shstrndx, sh_size, 8);
	if (str_off > len || str_size > len - str_off)
		return -ENOEXEC;
	for (size_t i = 0; i < shnum; i++) {
		size_t name = SH(i, sh_name, 4), off = SH(i, sh_offset, 8), size = SH(i, sh_size, 8);
		const char *p, *end;

		if (name >= str_size || strncmp((const char *)elf + str_off + name, ".modinfo",
						str_size - name) ||
		    SH(i, sh_type, 4) == SHT_NOBITS)
			continue;
		if (off > len || size > len - off)
			return -ENOEXEC;
		/* NUL-separated "key=value" strings. */
		for (p = (const char *)elf + off, end = p + size; p < end; p += strnlen(p, end - p) + 1) {
			size_t n = strnlen(p, (size_t)(end - p));

			if (n > 8 && !strncmp(p, "depends=", 8)) {
				if (n - 8 >= deps_len)
					return -ENAMETOOLONG;
				memcpy(deps, p + 8, n - 8);
				deps[n - 8] = '\0';
				return 0;
			}
		}
		return 0;
	}
#undef SH
	return 0;
}

static int kmod_add(struct kmod_index *ix, const char *want, int depth)
{
	bool optional = *want == '?';
	const struct kmod_file *f;
	char name[KMOD_NAME_MAX], deps[1024], dest[sizeof(EXEC_MODULES_DIR) + KMOD_NAME_MAX + 4];
	const char *why = "";
	u8 *raw, *elf;
	size_t raw_len, len;
	int r;

	want += optional;
	if (!kmod_file_name(want, name, sizeof(name)) && snprintf(name, sizeof(name), "%s", want))
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
	if (kmod_ordered(ix, name))
		return 0;
	if (depth > KMOD_DEPS_MAX) {
		log_error("module %s: dependencies nest deeper than %d (a loop?)", name, KMOD_DEPS_MAX);
		return -ELOOP;
	}
	f = kmod_find(ix, name);
	if (!f) {
		if (optional)
			log_debug("module %s: not in %s (optional)", name, ix->dir);
		else if (!kmod_builtin(ix, name))
			log_warn("module %s: not in %s nor in its modules.builtin; the kernel must have it built in",
				 name, ix->dir);
		return 0;
	}
	r = file_read_all("module", f->path, EXEC_MODULE_MAX, &raw, &raw_len);
	if (r < 0)
		return r;
	if (raw_len >= SELFMAG && !memcmp(raw, ELFMAG, SELFMAG)) {
		elf = raw;
		len = raw_len;
	} else {
		r = payload_decompress_max(raw, raw_len, EXEC_MODULE_MAX, &elf, &len, &why);
		free(raw);
		if (r < 0) {
			log_error("module %s: %s", f->path, why);
			return r;
		}
	}
	r = exec_module_depends(elf, len, deps, sizeof(deps));
	if (r < 0)
		log_error("module %s: %s", f->path, r == -ENOEXEC ? "not a 64-bit ELF module" :
			  "its dependency list is too long");
	/* Dependencies first: the order insmod can follow. */
	for (char *save = NULL, *d = strtok_r(deps, ",", &save); !r && d;
	     d = strtok_r(NULL, ",", &save))
		r = kmod_add(ix, d, depth + 1);
	if (!r && strlen(ix->order) + strlen(name) + 2 > ix->order_len) {
		log_error("module %s: too many modules", name);
		r = -E2BIG;
	}
	if (!r) {
		snprintf(dest, sizeof(dest), "%s/%s.ko", EXEC_MODULES_DIR + 1, name);
		cpio_add_file(ix->cpio, dest, 0644, elf, len);
		strcat(strcat(ix->order, name), " ");
	}
	free(elf);
	return r;
}

int exec_modules_add(struct cpio *c, const char *dir, const char *const *names,
		     unsigned int nr_names, char *order, size_t order_len)
{
	struct kmod_index ix = { .dir = dir, .cpio = c, .order = order, .order_len = order_len };
	char *path;
	int r;

	order[0] = '\0';
	r = kmod_scan(&ix, dir, 0);
	if (r < 0) {
		log_error("modules %s: %s", dir, strerror(-r));
		goto out;
	}
	if (asprintf(&path, "%s/modules.builtin", dir) >= 0) {
		FILE *f = fopen(path, "r");

		if (f) {
			/* Kernel-written, a few KiB; a missing one only costs warnings. */
			ix.builtin = calloc(1, 1 << 20);
			if (ix.builtin)
				ix.builtin_len = fread(ix.builtin, 1, (1 << 20) - 1, f);
			fclose(f);
		}
		free(path);
	}
	for (unsigned int i = 0; !r && i < nr_names; i++)
		r = kmod_add(&ix, names[i], 0);
out:
	for (size_t i = 0; i < ix.nr; i++)
		free(ix.files[i].path);
	free(ix.files);
	free(ix.builtin);
	return r;
}
