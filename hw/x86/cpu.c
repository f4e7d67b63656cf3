// SPDX-License-Identifier: GPL-2.0
/* x86 vcpu set-up: CPUID, boot MSRs, LAPIC LVTs, long mode entry, dumps. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hw/x86/cpu.h"
#include "hw/x86/layout.h"
#include "hw/x86/multiboot.h"
#include "kvm/kvm.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

#define CPUID_MAX_ENTRIES 256

struct kvm_cpuid2 *x86_cpuid_supported(struct vm *vm)
{
	for (unsigned int n = CPUID_MAX_ENTRIES; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return NULL;
		}
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, u32 fn, u32 idx)
{
	for (u32 i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static unsigned int order_base_2(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/*
 * One package, @nr cores, one thread each; the APIC id is the vcpu index.
 * api.rst (KVM_SET_CPUID2): leaves 0xb/0x1f EDX and 0x8000001e EAX carry
 * the x2APIC id and must be filled per vcpu.
 */
void x86_cpuid_for_vcpu(struct kvm_cpuid2 *c, unsigned int id, unsigned int nr,
			bool tsc_deadline)
{
	unsigned int core_shift = order_base_2(nr);

	for (u32 i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) |
				 (MIN(nr, 255u) << 16);
			e->edx |= 1u << 28;		/* HTT: ebx[23:16] valid */
			e->ecx |= 1u << 31;		/* running under a hypervisor */
			e->ecx |= 1u << 21;		/* x2APIC: emulated in-kernel */
			if (tsc_deadline)
				e->ecx |= 1u << 24;
			else
				e->ecx &= ~(1u << 24);
			break;
		case 4:
			/* EAX[31:26]: cores per package - 1 (cache leaf) */
			if (e->eax & 0x1f)
				e->eax = (e->eax & 0x03ffffff) | ((nr - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;
			if (e->index == 0) {		/* SMT level */
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) {	/* core level */
				e->eax = core_shift;
				e->ebx = nr;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x8000001e:
			e->eax = id;
			e->ebx &= ~0xffu;	/* core id = apic id, 1 thread per core */
			e->ebx |= id & 0xff;
			break;
		}
	}
}

int x86_vcpu_setup_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *supported)
{
	struct vm *vm = vcpu->vm;
	size_t sz = sizeof(*supported) + (supported->nent + 4) * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = calloc(1, sz);
	bool deadline = kvm_cap(vm, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	int tsc_khz, r = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, sizeof(*supported) +
	       supported->nent * sizeof(supported->entries[0]));
	/* KVM reports leaf 0xb only if the host has it; a guest needs levels 0 and 1. */
	if (cpuid_find(c, 0, 0) && cpuid_find(c, 0, 0)->eax >= 0xb) {
		for (u32 idx = 0; idx < 3; idx++) {
			if (!cpuid_find(c, 0xb, idx)) {
				c->entries[c->nent++] = (struct kvm_cpuid_entry2){
					.function = 0xb, .index = idx,
					.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
				};
			}
		}
	}
	/*
	 * Timing leaf 0x40000010 (the VMware/xhyve convention): TSC and LAPIC
	 * bus frequency in kHz, so guests need not calibrate against the PIT.
	 */
	tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	if (tsc_khz > 0 && cpuid_find(c, 0x40000000, 0) && !cpuid_find(c, 0x40000010, 0)) {
		struct kvm_cpuid_entry2 *base = cpuid_find(c, 0x40000000, 0);

		base->eax = MAX(base->eax, 0x40000010u);
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){
			.function = 0x40000010, .eax = tsc_khz, .ebx = 1000000,
		};
	}
	x86_cpuid_for_vcpu(c, vcpu->id, vm->cfg->nr_cpus, deadline);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		log_error("vcpu %u: KVM_SET_CPUID2: %s", vcpu->id, strerror(errno));
	}
	free(c);
	return r;
}

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102

int x86_vcpu_setup_msrs(struct vcpu *vcpu)
{
	static const struct { u32 index; u64 value; const char *name; } boot[] = {
		{ MSR_IA32_SYSENTER_CS, 0, "IA32_SYSENTER_CS" },
		{ MSR_IA32_SYSENTER_ESP, 0, "IA32_SYSENTER_ESP" },
		{ MSR_IA32_SYSENTER_EIP, 0, "IA32_SYSENTER_EIP" },
		{ MSR_STAR, 0, "STAR" },
		{ MSR_CSTAR, 0, "CSTAR" },
		{ MSR_KERNEL_GS_BASE, 0, "KERNEL_GS_BASE" },
		{ MSR_SYSCALL_MASK, 0, "SYSCALL_MASK" },
		{ MSR_LSTAR, 0, "LSTAR" },
		{ MSR_IA32_MISC_ENABLE, 1, "IA32_MISC_ENABLE" },	/* fast strings */
		{ MSR_MTRR_DEF_TYPE, (1u << 11) | 6, "MTRR_DEF_TYPE" },	/* on, WB */
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(boot)];
	} msrs = { .hdr.nmsrs = ARRAY_SIZE(boot) };
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(boot); i++) {
		msrs.e[i].index = boot[i].index;
		msrs.e[i].data = boot[i].value;
	}
	/* KVM_SET_MSRS returns how many it set: the first one not set failed. */
	n = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (n < 0) {
		log_error("vcpu %u: KVM_SET_MSRS: %s", vcpu->id, strerror(errno));
		return -errno;
	}
	if (n != (int)ARRAY_SIZE(boot)) {
		log_error("vcpu %u: KVM_SET_MSRS refused MSR %s (0x%x)", vcpu->id,
			  boot[n].name, boot[n].index);
		return -EINVAL;
	}
	return 0;
}

#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_MODE_NMI	0x4
#define APIC_MODE_EXTINT 0x7

static void lapic_set_mode(struct kvm_lapic_state *l, u32 reg, u32 mode)
{
	u32 v;

	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &v, 4);
}

/* PC wiring: LINT0 takes the 8259's ExtINT, LINT1 is NMI (virtual wire mode). */
int x86_vcpu_setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state l;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	lapic_set_mode(&l, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_mode(&l, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &l) < 0)
		return -errno;
	return 0;
}

/* Flat descriptors: base 0, limit 0xfffff pages. */
#define GDT_CODE64	0x00af9b000000ffffULL
#define GDT_CODE32	0x00cf9b000000ffffULL
#define GDT_DATA	0x00cf93000000ffffULL
#define GDT_TSS		0x00808b000000ffffULL

/* Selectors as in the Linux boot protocol: __BOOT_CS 0x10, __BOOT_DS 0x18. */
#define SEL_CS64	0x10
#define SEL_DS		0x18
#define SEL_TSS		0x20
#define SEL_CS32	0x28

#define PTE_P	(1ULL << 0)
#define PTE_RW	(1ULL << 1)
#define PTE_PS	(1ULL << 7)

int x86_write_boot_tables(struct vm *vm)
{
	u64 gdt[] = { 0, 0, GDT_CODE64, GDT_DATA, GDT_TSS, GDT_CODE32 };
	u64 *pml4 = gpa_to_hva(vm, X86_PML4_ADDR, 4096);
	u64 *pdpt = gpa_to_hva(vm, X86_PDPT_ADDR, 4096);
	u64 *pd = gpa_to_hva(vm, X86_PD_ADDR, 4 * 4096);
	void *g = gpa_to_hva(vm, X86_GDT_ADDR, sizeof(gdt));

	if (!pml4 || !pdpt || !pd || !g)
		return -EFAULT;
	memcpy(g, gdt, sizeof(gdt));
	/* Identity map the low 4 GiB (RAM, and the LAPIC/IOAPIC) with 2 MiB pages. */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = X86_PDPT_ADDR | PTE_P | PTE_RW;
	for (u64 i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_ADDR + i * 4096) | PTE_P | PTE_RW;
	for (u64 i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static struct kvm_segment seg_from_gdt(u64 desc, u16 sel)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = (desc >> 40) & 0xf,
		.present = (desc >> 47) & 1,
		.dpl = (desc >> 45) & 3,
		.db = (desc >> 54) & 1,
		.s = (desc >> 44) & 1,
		.l = (desc >> 53) & 1,
		.g = (desc >> 55) & 1,
	};
}

#define CR0_PE	(1ULL << 0)
#define CR0_ET	(1ULL << 4)
#define CR0_NE	(1ULL << 5)
#define CR0_PG	(1ULL << 31)
#define CR4_PAE	(1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

int x86_vcpu_setup_boot(struct vcpu *vcpu, const struct x86_entry *entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment data;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;

	sregs.gdt.base = X86_GDT_ADDR;
	sregs.gdt.limit = 6 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	data = seg_from_gdt(GDT_DATA, SEL_DS);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = seg_from_gdt(GDT_TSS, SEL_TSS);
	sregs.tr.limit = 0xfffff;
	sregs.tr.g = 0;

	if (entry->mode == X86_ENTRY_LONG64) {
		sregs.cs = seg_from_gdt(GDT_CODE64, SEL_CS64);
		sregs.cr3 = X86_PML4_ADDR;
		sregs.cr4 |= CR4_PAE;
		sregs.cr0 |= CR0_PE | CR0_PG | CR0_ET | CR0_NE;
		sregs.efer |= EFER_LME | EFER_LMA;
	} else {
		/* PVH and multiboot: 32-bit flat protected mode, paging off. */
		sregs.cs = seg_from_gdt(GDT_CODE32, SEL_CS32);
		sregs.cr0 = (sregs.cr0 | CR0_PE | CR0_ET) & ~CR0_PG;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = entry->rip;
	if (entry->mode == X86_ENTRY_LONG64)
		regs.rsi = entry->arg;
	else
		regs.rbx = entry->arg;
	if (entry->mode == X86_ENTRY_MULTIBOOT32)
		regs.rax = MULTIBOOT_BOOT_MAGIC;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

void x86_vcpu_dump(struct vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		log_error("vcpu %u: cannot read registers: %s", vcpu->id, strerror(errno));
		return;
	}
	fprintf(stderr,
		" vcpu %u registers:\n"
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cs %04x (dpl %u l %u) ss %04x cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n",
		vcpu->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13,
		r.r14, r.r15, s.cs.selector, s.cs.dpl, s.cs.l, s.ss.selector,
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	/* KVM on AMD re-initialises a vcpu whose guest shut down (the VMCB is undefined). */
	if (r.rip == 0xfff0 && s.cs.base == 0xffff0000 && !(s.cr0 & 1))
		fprintf(stderr, "  (the reset state: KVM on AMD reset the vcpu, its faulting state is lost)\n");
}
