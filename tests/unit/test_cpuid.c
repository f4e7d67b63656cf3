// SPDX-License-Identifier: GPL-2.0
#include <linux/kvm.h>
#include <stdlib.h>

#include "hw/x86/cpu.h"
#include "test.h"

static struct kvm_cpuid2 *make_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));

	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xff00abcd,
							   .ecx = 1u << 24 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 2 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 4, .eax = 0x121 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e };
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, u32 fn, u32 idx)
{
	for (u32 i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

TEST(cpuid_gives_each_vcpu_its_apic_id)
{
	for (unsigned int id = 0; id < 8; id++) {
		struct kvm_cpuid2 *c = make_cpuid();

		x86_cpuid_for_vcpu(c, id, 8, true);
		TEST_ASSERT_EQ(find(c, 1, 0)->ebx >> 24, id);
		TEST_ASSERT_EQ((find(c, 1, 0)->ebx >> 16) & 0xff, 8);
		TEST_ASSERT_EQ(find(c, 1, 0)->ebx & 0xffff, 0xabcd);
		TEST_ASSERT_EQ(find(c, 0xb, 0)->edx, id);
		TEST_ASSERT_EQ(find(c, 0xb, 1)->edx, id);
		TEST_ASSERT_EQ(find(c, 0x8000001e, 0)->eax, id);
		free(c);
	}
}

TEST(cpuid_topology_levels_describe_one_package)
{
	struct kvm_cpuid2 *c = make_cpuid();

	x86_cpuid_for_vcpu(c, 2, 5, false);
	/* SMT level: 1 thread; core level: 5 cores, shift = ceil(log2(5)) = 3 */
	TEST_ASSERT_EQ(find(c, 0xb, 0)->ebx, 1);
	TEST_ASSERT_EQ((find(c, 0xb, 0)->ecx >> 8) & 0xff, 1);
	TEST_ASSERT_EQ(find(c, 0xb, 1)->ebx, 5);
	TEST_ASSERT_EQ(find(c, 0xb, 1)->eax & 0x1f, 3);
	TEST_ASSERT_EQ((find(c, 0xb, 1)->ecx >> 8) & 0xff, 2);
	TEST_ASSERT_EQ((find(c, 0xb, 2)->ecx >> 8) & 0xff, 0);
	TEST_ASSERT_EQ(find(c, 4, 0)->eax >> 26, 4);
	free(c);
}

TEST(cpuid_tsc_deadline_only_when_asked)
{
	struct kvm_cpuid2 *c = make_cpuid();

	x86_cpuid_for_vcpu(c, 0, 1, false);
	TEST_ASSERT(!(find(c, 1, 0)->ecx & (1u << 24)), "deadline bit set");
	x86_cpuid_for_vcpu(c, 0, 1, true);
	TEST_ASSERT(find(c, 1, 0)->ecx & (1u << 24), "deadline bit clear");
	TEST_ASSERT(find(c, 1, 0)->ecx & (1u << 31), "hypervisor bit clear");
	free(c);
}
