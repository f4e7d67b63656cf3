/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_EXEC_MODULES_H
#define VMM_RUN_EXEC_MODULES_H

#include "util/cpio.h"
#include "util/types.h"

#define EXEC_MODULE_MAX		(64 * MiB)	/* unpacked; the largest real ones are ~20 MiB */

/*
 * Kernel modules for vmm's initramfs (run/exec.h): each of @names and what
 * it depends on (its .modinfo "depends=", as modprobe reads it), found by
 * file name under @dir, a /lib/modules/RELEASE tree (no modules.dep
 * needed: Debian's kernel packages ship none, depmod writes it when they
 * are installed), unpacked if it is a .ko.gz, .ko.xz or .ko.zst, and added
 * to @c as EXEC_MODULES_DIR/NAME.ko. @order gets the names, dependencies
 * first, each followed by a space.
 *
 * A module in neither the tree nor its modules.builtin costs a warning,
 * not the boot: the kernel may have it built in all the same; a name
 * written "?NAME" is optional, and its absence is no warning. Returns 0,
 * or -errno with the reason logged.
 */
int exec_modules_add(struct cpio *c, const char *dir, const char *const *names,
		     unsigned int nr_names, char *order, size_t order_len);

/*
 * The comma-separated "depends=" of the module ELF at @elf (@len bytes),
 * copied into @deps ("" if none). -ENOEXEC: not a 64-bit ELF with a sane
 * section table; -ENAMETOOLONG: @deps too small.
 */
int exec_module_depends(const u8 *elf, size_t len, char *deps, size_t deps_len);

#endif
