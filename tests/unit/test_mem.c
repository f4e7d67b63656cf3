// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "kvm/kvm.h"
#include "test.h"

static u8 ram0[0x4000], ram1[0x2000];

static void fake_vm(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->regions[0] = (struct mem_region){ .gpa = 0, .size = sizeof(ram0), .hva = ram0 };
	vm->regions[1] = (struct mem_region){ .gpa = 0x100000000ULL, .size = sizeof(ram1),
					      .hva = ram1 };
	vm->nr_regions = 2;
}

TEST(gpa_to_hva_translates_inside_ram)
{
	struct vm vm;

	fake_vm(&vm);
	TEST_ASSERT(gpa_to_hva(&vm, 0, 1) == ram0, "start");
	TEST_ASSERT(gpa_to_hva(&vm, 0x3fff, 1) == ram0 + 0x3fff, "last byte");
	TEST_ASSERT(gpa_to_hva(&vm, 0, sizeof(ram0)) == ram0, "whole");
	TEST_ASSERT(gpa_to_hva(&vm, 0x100000010ULL, 0x10) == ram1 + 0x10, "high");
}

TEST(gpa_to_hva_refuses_ranges_leaving_ram)
{
	struct vm vm;

	fake_vm(&vm);
	TEST_ASSERT(!gpa_to_hva(&vm, 0x3fff, 2), "crosses the end");
	TEST_ASSERT(!gpa_to_hva(&vm, 0x4000, 1), "just past");
	TEST_ASSERT(!gpa_to_hva(&vm, 0x3000, 0x2000), "tail outside");
	TEST_ASSERT(!gpa_to_hva(&vm, 0xfffffffffULL, 1), "hole");
	TEST_ASSERT(!gpa_to_hva(&vm, 0x10, ~0ULL), "huge len");
	TEST_ASSERT(!gpa_to_hva(&vm, ~0ULL, 2), "wrap");
	TEST_ASSERT(!gpa_to_hva(&vm, 0x100000000ULL - 1, 2), "spans two regions");
}

TEST(vm_add_ram_refuses_overlap_and_misalignment)
{
	struct vm vm;

	fake_vm(&vm);
	TEST_ASSERT(vm_add_ram(&vm, 0x2000, 0x1000) == -EEXIST, "overlap");
	TEST_ASSERT(vm_add_ram(&vm, 0x10000, 0x10) == -EINVAL, "size");
	TEST_ASSERT(vm_add_ram(&vm, 0x10001, 0x1000) == -EINVAL, "gpa");
	TEST_ASSERT(vm_add_ram(&vm, ~0ULL & ~0xfffULL, 0x2000) == -EINVAL, "wrap");
	TEST_ASSERT_EQ(vm_add_ram(&vm, 0x200000, 0x1000), 0);
	TEST_ASSERT_EQ(vm.nr_regions, 3);
	TEST_ASSERT(gpa_to_hva(&vm, 0x200000, 0x1000) != NULL, "new region");
	vm.nr_regions = 2;	/* the static regions are not ours to unmap */
}
