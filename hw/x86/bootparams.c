// SPDX-License-Identifier: GPL-2.0
/*
 * The memory map and boot structures a Linux guest reads at entry:
 * e820, the zero page (Documentation/arch/x86/boot.rst, zero-page.rst) and
 * the PVH start info (xen/include/public/arch-x86/hvm/start_info.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devices/pci.h"
#include "hw/x86/bootparams.h"
#include "hw/x86/bzimage.h"
#include "hw/x86/layout.h"
#include "util/why.h"

#define PAGE_SIZE	4096ULL
#define HDRS_MAGIC	0x53726448	/* "HdrS" */

_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");
_Static_assert(sizeof(struct hvm_start_info) == 56, "PVH ABI size");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "PVH ABI size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "PVH ABI size");

static bool ram_size_ok(u64 ram_size)
{
	return ram_size > X86_HIMEM_START && !(ram_size & (PAGE_SIZE - 1)) &&
	       ram_size <= UINT64_MAX - X86_MMIO_HOLE_END;
}

void x86_ram_regions(u64 ram_size, u64 gpa[2], u64 size[2], int *n)
{
	gpa[0] = 0;
	size[0] = MIN(ram_size, X86_MMIO_HOLE_START);
	*n = 1;
	/* RAM that would overlap the MMIO hole moves above 4 GiB. */
	if (ram_size > X86_MMIO_HOLE_START) {
		gpa[1] = X86_MMIO_HOLE_END;
		size[1] = ram_size - X86_MMIO_HOLE_START;
		*n = 2;
	}
}

static int e820_add(struct boot_e820_entry *map, int *nr, int max, u64 addr, u64 size,
		    u32 type)
{
	if (*nr >= max)
		return -ENOSPC;
	map[*nr] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	(*nr)++;
	return 0;
}

int x86_e820_build(u64 ram_size, struct boot_e820_entry *map, int max)
{
	u64 gpa[2], size[2];
	int n, nr = 0, err;

	if (!ram_size_ok(ram_size))
		return -EINVAL;
	x86_ram_regions(ram_size, gpa, size, &n);

	/*
	 * The first memslot covers [0, 1 MiB) as RAM, but only the part below
	 * the EBDA is free: the EBDA (MP table), the VGA window and the BIOS
	 * area (ACPI tables) are reserved. Listing the VGA window as reserved
	 * rather than leaving a gap keeps e820 equal to what is mapped; Linux
	 * drops RAM in 0xa0000-0x100000 whatever e820 says (trim_bios_range()).
	 */
	err = e820_add(map, &nr, max, 0, X86_EBDA_START, X86_E820_RAM);
	err = err ?: e820_add(map, &nr, max, X86_EBDA_START,
			      X86_HIMEM_START - X86_EBDA_START, X86_E820_RESERVED);
	err = err ?: e820_add(map, &nr, max, X86_HIMEM_START,
			      size[0] - X86_HIMEM_START, X86_E820_RAM);
	/*
	 * Not RAM, but Linux uses the MCFG's ECAM only if e820 reserves it
	 * (pci_mmcfg_reserved() in arch/x86/pci/mmconfig-shared.c).
	 */
	err = err ?: e820_add(map, &nr, max, X86_PCI_ECAM_BASE, PCI_ECAM_SIZE,
			      X86_E820_RESERVED);
	if (n == 2)
		err = err ?: e820_add(map, &nr, max, gpa[1], size[1], X86_E820_RAM);
	return err ?: nr;
}

int x86_boot_params_build(struct boot_params *bp, const struct bzimage *bz,
			  const struct x86_boot_info *info)
{
	struct setup_header *hdr = &bp->hdr;
	int nr;

	if (info->initrd_gpa && !info->initrd_size)
		return -EINVAL;
	if (bz && info->cmdline_len > bz->cmdline_size)
		return -E2BIG;

	/* boot.rst: start from a zeroed page, then copy the setup header in. */
	memset(bp, 0, sizeof(*bp));
	nr = x86_e820_build(info->ram_size, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (nr < 0)
		return nr;
	bp->e820_entries = nr;

	if (bz) {
		memcpy(hdr, bz->setup_header, MIN(bz->setup_header_len, sizeof(*hdr)));
		/* Before 2.14 this was padding the kernel may not expect to be set. */
		if (bz->version >= 0x020e)
			bp->acpi_rsdp_addr = info->rsdp_gpa;
	} else {
		/* A vmlinux has no header: make up what the kernel reads. */
		hdr->boot_flag = 0xaa55;
		hdr->header = HDRS_MAGIC;
		hdr->kernel_alignment = 0x1000000;
		hdr->cmdline_size = info->cmdline_len + 1;
		hdr->loadflags = LOADED_HIGH;
		bp->acpi_rsdp_addr = info->rsdp_gpa;
	}

	hdr->type_of_loader = X86_LOADER_TYPE;
	hdr->vid_mode = 0xffff;			/* "normal": no mode switch */
	hdr->loadflags |= CAN_USE_HEAP;
	hdr->heap_end_ptr = X86_HEAP_END_PTR;

	/* The ext_* fields carry bits 32-63 (zero-page.rst). */
	hdr->cmd_line_ptr = (u32)info->cmdline_gpa;
	bp->ext_cmd_line_ptr = info->cmdline_gpa >> 32;
	hdr->ramdisk_image = (u32)info->initrd_gpa;
	bp->ext_ramdisk_image = info->initrd_gpa >> 32;
	hdr->ramdisk_size = (u32)info->initrd_size;
	bp->ext_ramdisk_size = info->initrd_size >> 32;
	return 0;
}

int x86_initrd_place(u64 ram_size, u64 initrd_size, u32 initrd_addr_max, u64 kernel_end,
		     u64 *gpa, const char **why)
{
	u64 low_end = MIN(ram_size, X86_MMIO_HOLE_START);
	u64 limit = MIN(low_end, (u64)initrd_addr_max + 1);
	u64 floor = MAX(X86_HIMEM_START, ALIGN_UP(kernel_end, PAGE_SIZE));
	u64 addr;

	if (!initrd_size)
		return why_fail(why, -EINVAL, "initrd is empty");
	if (kernel_end > UINT64_MAX - PAGE_SIZE)
		return why_fail(why, -EINVAL, "kernel end 0x%llx is bogus",
			    (unsigned long long)kernel_end);
	if (initrd_size > limit || (addr = ALIGN_DOWN(limit - initrd_size, PAGE_SIZE)) < floor)
		return why_fail(why, -E2BIG,
			    "initrd (%llu MiB) does not fit in guest memory (%llu MiB)",
			    (unsigned long long)((initrd_size + MiB - 1) / MiB),
			    (unsigned long long)(ram_size / MiB));
	*gpa = addr;
	return 0;
}

int x86_pvh_start_info_build(void *buf, size_t size, u64 gpa,
			     const struct x86_boot_info *info)
{
	struct boot_e820_entry e820[X86_E820_MAX];
	struct hvm_memmap_table_entry *mm;
	struct hvm_modlist_entry *mod;
	struct hvm_start_info *si = buf;
	size_t need, mod_off, mm_off;
	int nr, nr_mods = info->initrd_size ? 1 : 0;

	nr = x86_e820_build(info->ram_size, e820, X86_E820_MAX);
	if (nr < 0)
		return nr;
	mod_off = sizeof(*si);
	mm_off = mod_off + nr_mods * sizeof(*mod);
	need = mm_off + nr * sizeof(*mm);
	if (size < need)
		return -ENOSPC;
	if (gpa > UINT64_MAX - need)
		return -EINVAL;

	memset(buf, 0, need);
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = info->cmdline_gpa,
		.rsdp_paddr = info->rsdp_gpa,
		.nr_modules = nr_mods,
		.modlist_paddr = nr_mods ? gpa + mod_off : 0,
		.memmap_paddr = gpa + mm_off,
		.memmap_entries = nr,
	};
	if (nr_mods) {
		/* Linux's PVH entry takes the first module as the initrd. */
		mod = (struct hvm_modlist_entry *)((u8 *)buf + mod_off);
		mod->paddr = info->initrd_gpa;
		mod->size = info->initrd_size;
	}
	mm = (struct hvm_memmap_table_entry *)((u8 *)buf + mm_off);
	for (int i = 0; i < nr; i++) {
		mm[i].addr = e820[i].addr;
		mm[i].size = e820[i].size;
		mm[i].type = e820[i].type;
	}
	return need;
}
