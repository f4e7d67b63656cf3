// SPDX-License-Identifier: GPL-2.0
/*
 * ELF64 kernel loading. A Linux vmlinux links startup_64 at a virtual
 * address but declares ENTRY(phys_startup_64) (arch/x86/kernel/vmlinux.lds.S)
 * and puts the physical load address in p_paddr, so both are physical here.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hw/x86/elf.h"
#include "hw/x86/layout.h"
#include "kvm/kvm.h"
#include "util/why.h"

/* [off, off + len) inside a buffer of @size bytes, without overflow. */
static bool in_file(u64 off, u64 len, size_t size)
{
	return off <= size && len <= size - off;
}

/* Program header @i; memcpy because e_phoff need not be aligned. */
static void elf_phdr(const u8 *elf, const Elf64_Ehdr *eh, unsigned int i, Elf64_Phdr *ph)
{
	memcpy(ph, elf + eh->e_phoff + (u64)i * sizeof(*ph), sizeof(*ph));
}

static int elf_check_header(const u8 *elf, size_t size, Elf64_Ehdr *eh, const char **why)
{
	if (size < sizeof(*eh) || memcmp(elf, ELFMAG, SELFMAG))
		return why_fail(why, -ENOEXEC, "not an ELF file");
	memcpy(eh, elf, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return why_fail(why, -ENOEXEC, "not a little-endian ELF64 file");
	if (eh->e_machine != EM_X86_64)
		return why_fail(why, -ENOEXEC, "ELF machine %u is not x86-64", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return why_fail(why, -ENOEXEC, "ELF type %u is not an executable", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > ELF_MAX_PHDRS)
		return why_fail(why, -EINVAL, "bad ELF program headers (%u of %u bytes)",
			    eh->e_phnum, eh->e_phentsize);
	if (!in_file(eh->e_phoff, (u64)eh->e_phnum * sizeof(Elf64_Phdr), size))
		return why_fail(why, -EINVAL, "ELF program headers outside the file");
	return 0;
}

/*
 * Look for the PVH entry note (name "Xen", type 18) in one PT_NOTE segment.
 * Linux emits it with a 64-bit descriptor (_ASM_PTR); accept 32 bits too.
 */
static void elf_find_pvh_note(const u8 *elf, const Elf64_Phdr *ph, u64 *entry)
{
	u64 align = ph->p_align == 8 ? 8 : 4;
	const u8 *p = elf + ph->p_offset;
	u64 left = ph->p_filesz;

	while (left >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		u64 desc_off, next;

		/* The name follows the header; desc and the next note are aligned. */
		memcpy(&nh, p, sizeof(nh));
		desc_off = ALIGN_UP(sizeof(nh) + (u64)nh.n_namesz, align);
		next = ALIGN_UP(desc_off + nh.n_descsz, align);
		if (desc_off + nh.n_descsz > left)
			return;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(p + sizeof(nh), "Xen", 4)) {
			u32 e32;

			if (nh.n_descsz == 8) {
				memcpy(entry, p + desc_off, 8);
			} else if (nh.n_descsz == 4) {
				memcpy(&e32, p + desc_off, 4);
				*entry = e32;
			}
			return;
		}
		if (next >= left)
			return;
		p += next;
		left -= next;
	}
}

int elf_load(struct vm *vm, const u8 *elf, size_t size, struct elf_kernel *out,
	     const char **why)
{
	bool entry_ok = false;
	unsigned int i, nr_load = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int err;

	memset(out, 0, sizeof(*out));
	out->lowest = UINT64_MAX;
	err = elf_check_header(elf, size, &eh, why);
	if (err)
		return err;

	/* Pass 1: validate everything, so a bad image leaves RAM untouched. */
	for (i = 0; i < eh.e_phnum; i++) {
		u64 end;

		elf_phdr(elf, &eh, i, &ph);
		if (ph.p_type == PT_NOTE && in_file(ph.p_offset, ph.p_filesz, size))
			elf_find_pvh_note(elf, &ph, &out->pvh_entry);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (!in_file(ph.p_offset, ph.p_filesz, size))
			return why_fail(why, -EINVAL, "ELF segment %u outside the file", i);
		if (ph.p_filesz > ph.p_memsz)
			return why_fail(why, -EINVAL, "ELF segment %u: file size > memory size", i);
		if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end))
			return why_fail(why, -EINVAL, "ELF segment %u: address overflows", i);
		if (ph.p_paddr < X86_HIMEM_START)
			return why_fail(why, -ERANGE, "ELF segment at 0x%llx is below 1 MiB",
				    (unsigned long long)ph.p_paddr);
		if (!gpa_to_hva(vm, ph.p_paddr, ph.p_memsz))
			return why_fail(why, -ERANGE,
				    "ELF segment [0x%llx, 0x%llx) is outside guest RAM",
				    (unsigned long long)ph.p_paddr, (unsigned long long)end);
		if (eh.e_entry >= ph.p_paddr && eh.e_entry < end)
			entry_ok = true;
		out->lowest = MIN(out->lowest, ph.p_paddr);
		out->highest = MAX(out->highest, end);
		nr_load++;
	}
	if (!nr_load)
		return why_fail(why, -EINVAL, "ELF file has nothing to load");
	if (!entry_ok)
		return why_fail(why, -EINVAL,
			    "ELF entry 0x%llx is not inside a loaded segment (not physical?)",
			    (unsigned long long)eh.e_entry);

	/* Pass 2: copy. */
	for (i = 0; i < eh.e_phnum; i++) {
		u8 *hva;

		elf_phdr(elf, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		hva = gpa_to_hva(vm, ph.p_paddr, ph.p_memsz);
		memcpy(hva, elf + ph.p_offset, ph.p_filesz);
		memset(hva + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	out->entry = eh.e_entry;
	return 0;
}
