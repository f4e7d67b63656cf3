// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>

#include "hw/x86/elf.h"
#include "kvm/kvm.h"
#include "test.h"

#define RAM_SIZE	(8 * MiB)
#define TEXT_PADDR	0x100000ULL
#define DATA_PADDR	0x300000ULL
#define VIRT_BASE	0xffffffff80000000ULL
#define FILE_SIZE	0x3000

/* A fake VM: gpa_to_hva() only looks at the regions. */
static struct vm *fake_vm(void)
{
	static struct vm vm;
	static u8 *ram;

	if (!ram)
		ram = malloc(RAM_SIZE);
	memset(ram, 0xcc, RAM_SIZE);
	memset(&vm, 0, sizeof(vm));
	vm.regions[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE, .hva = ram };
	vm.nr_regions = 1;
	return &vm;
}

static u8 *ram_at(struct vm *vm, u64 gpa)
{
	return vm->regions[0].hva + gpa;
}

static void put_note(u8 *p, u32 type, const char *name, u32 namesz, const void *desc,
		     u32 descsz)
{
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_descsz = descsz, .n_type = type };

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, namesz);
	memcpy(p + sizeof(nh) + ALIGN_UP(namesz, 4), desc, descsz);
}

/*
 * Like a vmlinux: virtual p_vaddr, physical p_paddr and e_entry, a text
 * segment with bss, a data segment, and a PT_NOTE with a GNU note before
 * the Xen PVH one.
 */
static u8 *make_elf(void)
{
	u8 *f = calloc(1, FILE_SIZE);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	u64 pvh = TEXT_PADDR + 0x80;
	u8 gnu_desc[20] = { 1, 2, 3 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = TEXT_PADDR + 0x10;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;

	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_filesz = 0x1000,
			      .p_memsz = 0x3000, .p_vaddr = VIRT_BASE + TEXT_PADDR,
			      .p_paddr = TEXT_PADDR, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x2000, .p_filesz = 0x800,
			      .p_memsz = 0x800, .p_vaddr = 0, .p_paddr = DATA_PADDR,
			      .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x800, .p_filesz = 0x24 + 0x18,
			      .p_align = 4 };
	memcpy(f, &eh, sizeof(eh));
	memcpy(f + sizeof(eh), ph, sizeof(ph));
	put_note(f + 0x800, 3, "GNU", 4, gnu_desc, sizeof(gnu_desc));	/* 12+4+20 */
	put_note(f + 0x824, XEN_ELFNOTE_PHYS32_ENTRY, "Xen", 4, &pvh, 8);
	memset(f + 0x1000, 0x11, 0x1000);
	memset(f + 0x2000, 0x22, 0x800);
	return f;
}

static Elf64_Ehdr *ehdr(u8 *f)
{
	return (Elf64_Ehdr *)f;
}

static Elf64_Phdr *phdr(u8 *f, int i)
{
	return (Elf64_Phdr *)(f + sizeof(Elf64_Ehdr)) + i;
}

static bool ram_untouched(struct vm *vm)
{
	for (u64 i = 0; i < RAM_SIZE; i++)
		if (ram_at(vm, 0)[i] != 0xcc)
			return false;
	return true;
}

TEST(elf_loads_segments_and_zeroes_bss)
{
	struct vm *vm = fake_vm();
	u8 *f = make_elf();
	struct elf_kernel k;
	const char *why = NULL;

	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), 0);
	TEST_ASSERT_EQ(k.entry, TEXT_PADDR + 0x10);
	TEST_ASSERT_EQ(k.pvh_entry, TEXT_PADDR + 0x80);
	TEST_ASSERT_EQ(k.lowest, TEXT_PADDR);
	TEST_ASSERT_EQ(k.highest, DATA_PADDR + 0x800);
	TEST_ASSERT(ram_at(vm, TEXT_PADDR)[0] == 0x11 && ram_at(vm, TEXT_PADDR)[0xfff] == 0x11,
		    "text copied");
	for (u64 a = TEXT_PADDR + 0x1000; a < TEXT_PADDR + 0x3000; a++)
		TEST_ASSERT(*ram_at(vm, a) == 0, "bss at 0x%llx not zero", (unsigned long long)a);
	TEST_ASSERT_EQ(*ram_at(vm, TEXT_PADDR + 0x3000), 0xcc);
	TEST_ASSERT_EQ(*ram_at(vm, TEXT_PADDR - 1), 0xcc);
	TEST_ASSERT(ram_at(vm, DATA_PADDR)[0] == 0x22 && ram_at(vm, DATA_PADDR)[0x7ff] == 0x22,
		    "data copied");
	TEST_ASSERT_EQ(*ram_at(vm, DATA_PADDR + 0x800), 0xcc);
	free(f);
}

TEST(elf_pvh_note_is_optional_and_may_be_32_bit)
{
	struct vm *vm = fake_vm();
	u8 *f = make_elf();
	struct elf_kernel k;
	const char *why = NULL;
	u32 pvh32 = 0x123456;

	phdr(f, 2)->p_type = PT_NULL;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), 0);
	TEST_ASSERT_EQ(k.pvh_entry, 0);

	phdr(f, 2)->p_type = PT_NOTE;
	put_note(f + 0x824, XEN_ELFNOTE_PHYS32_ENTRY, "Xen", 4, &pvh32, 4);
	phdr(f, 2)->p_filesz = 0x24 + 0x14;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), 0);
	TEST_ASSERT_EQ(k.pvh_entry, 0x123456);

	/* A note whose sizes run past the segment is ignored, not followed. */
	((Elf64_Nhdr *)(f + 0x800))->n_descsz = 0xfffffff0;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), 0);
	TEST_ASSERT_EQ(k.pvh_entry, 0);
	free(f);
}

TEST(elf_rejects_segments_outside_ram_or_low_memory)
{
	struct vm *vm = fake_vm();
	u8 *f = make_elf();
	struct elf_kernel k;
	const char *why = NULL;

	phdr(f, 1)->p_paddr = 0x9f000;		/* below 1 MiB */
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ERANGE);
	TEST_ASSERT(strstr(why, "below 1 MiB"), "why: %s", why);
	TEST_ASSERT(ram_untouched(vm), "RAM written before validation finished");

	phdr(f, 1)->p_paddr = RAM_SIZE - 0x400;	/* straddles the end of RAM */
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ERANGE);
	TEST_ASSERT(strstr(why, "outside guest RAM"), "why: %s", why);
	TEST_ASSERT(ram_untouched(vm), "RAM written before validation finished");

	phdr(f, 1)->p_paddr = UINT64_MAX - 0x100;	/* wraps */
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	phdr(f, 1)->p_paddr = DATA_PADDR;
	phdr(f, 1)->p_memsz = UINT64_MAX;
	TEST_ASSERT(elf_load(vm, f, FILE_SIZE, &k, &why) < 0, "huge memsz");
	TEST_ASSERT(ram_untouched(vm), "RAM written");
	free(f);
}

TEST(elf_rejects_bad_headers)
{
	struct vm *vm = fake_vm();
	u8 *f = make_elf();
	struct elf_kernel k;
	const char *why = NULL;

	TEST_ASSERT_EQ(elf_load(vm, f, 10, &k, &why), -ENOEXEC);
	f[0] = 0;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ENOEXEC);
	f[0] = 0x7f;
	f[EI_CLASS] = ELFCLASS32;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ENOEXEC);
	f[EI_CLASS] = ELFCLASS64;
	ehdr(f)->e_machine = EM_386;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ENOEXEC);
	TEST_ASSERT(strstr(why, "x86-64"), "why: %s", why);
	ehdr(f)->e_machine = EM_X86_64;
	ehdr(f)->e_type = ET_DYN;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -ENOEXEC);
	ehdr(f)->e_type = ET_EXEC;
	ehdr(f)->e_phoff = FILE_SIZE - 0x10;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	ehdr(f)->e_phoff = UINT64_MAX - 8;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	ehdr(f)->e_phoff = sizeof(Elf64_Ehdr);
	ehdr(f)->e_phentsize = 32;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	ehdr(f)->e_phentsize = sizeof(Elf64_Phdr);
	ehdr(f)->e_phnum = 0;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	TEST_ASSERT(ram_untouched(vm), "RAM written");
	free(f);
}

TEST(elf_rejects_bad_segments)
{
	struct vm *vm = fake_vm();
	u8 *f = make_elf();
	struct elf_kernel k;
	const char *why = NULL;

	phdr(f, 0)->p_offset = FILE_SIZE - 0x10;	/* data past the file */
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	phdr(f, 0)->p_offset = UINT64_MAX - 0x10;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	phdr(f, 0)->p_offset = 0x1000;
	phdr(f, 0)->p_filesz = 0x4000;		/* filesz > memsz */
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	phdr(f, 0)->p_filesz = 0x1000;

	/* A virtual e_entry (not inside any p_paddr range) is refused. */
	ehdr(f)->e_entry = VIRT_BASE + TEXT_PADDR;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "entry"), "why: %s", why);
	ehdr(f)->e_entry = TEXT_PADDR;

	phdr(f, 0)->p_type = PT_NULL;
	phdr(f, 1)->p_type = PT_NULL;
	TEST_ASSERT_EQ(elf_load(vm, f, FILE_SIZE, &k, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "nothing to load"), "why: %s", why);
	TEST_ASSERT(ram_untouched(vm), "RAM written");
	free(f);
}

static u64 rng_state = 0x13198a2e03707344ULL;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

TEST(elf_survives_random_mutations)
{
	struct vm *vm = fake_vm();
	u8 *good = make_elf(), *f = malloc(FILE_SIZE);
	struct elf_kernel k;
	const char *why;
	int ok = 0;

	for (int iter = 0; iter < 5000; iter++) {
		size_t size = FILE_SIZE;
		u8 *copy;
		int ret;

		memcpy(f, good, FILE_SIZE);
		for (int n = 1 + rnd() % 6; n; n--) {
			/* Headers and notes are where the lengths are. */
			size_t at = rnd() % 4 ? rnd() % (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr))
					      : 0x800 + rnd() % 0x3c;

			f[at] = rnd() % 3 ? (u8)rnd() : 0xff;
		}
		if (rnd() % 8 == 0)
			size = rnd() % FILE_SIZE;
		copy = malloc(size ? size : 1);	/* exact size: ASan sees overreads */
		memcpy(copy, f, size);
		why = NULL;
		ret = elf_load(vm, copy, size, &k, &why);
		free(copy);
		TEST_ASSERT(ret == 0 || (why && *why), "iter %d: ret %d, no reason", iter, ret);
		if (!ret) {
			TEST_ASSERT(k.lowest >= 0x100000 && k.highest <= RAM_SIZE &&
				    k.entry >= k.lowest && k.entry < k.highest,
				    "iter %d: bad result", iter);
			ok++;
		}
	}
	TEST_ASSERT(ok > 100, "only %d mutants loaded", ok);
	free(good);
	free(f);
}
