/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel entry points, GDT, page tables and interrupt stubs.
 *
 * Ring 0 is emulated instruction by instruction on the CI host (see
 * /work/shared/HOST.md), so this file does the bare minimum before dropping
 * to ring 3: everything that can be static (GDT, TSS0 descriptor, page
 * tables) is built at link time; the IDT is filled later from ring 3.
 */
#include "guest.h"

#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define CR0_PE		1
#define CR0_PG		0x80000000
#define CR4_TSD		(1 << 2)
#define CR4_PAE		(1 << 5)
#define CR4_SMEP	(1 << 20)
#define CR4_SMAP	(1 << 21)
#define RFLAGS_USER	0x3002		/* IOPL 3, IF 0, reserved bit 1 */

	.section .head, "ax"
/* boot.rst: 32-bit entry at code32_start (0x100000), flat segments, esi = boot_params */
	.code32
	.globl startup_32
startup_32:
	cli
	movl	%esi, boot_params_ptr
	lgdt	gdt_ptr
	ljmp	$SEL_KCODE32, $1f
1:	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $startup_64_common

/*
 * Multiboot v1 (the Multiboot Specification 3.1): the flat testguest.bin is
 * a multiboot kernel too. The header gives the load addresses itself (flag
 * 16), asks for page-aligned modules (0) and the memory map (1). Entered in
 * 32-bit protected mode with eax = magic and ebx = the information: keep
 * both for ring 3, then start as a 32-bit Linux loader would, without a
 * zero page.
 */
#define MB_HEADER_MAGIC	0x1badb002
#define MB_FLAGS	0x00010003
	.balign	4
multiboot_header:
	.long	MB_HEADER_MAGIC, MB_FLAGS, -(MB_HEADER_MAGIC + MB_FLAGS)
	.long	multiboot_header, startup_32, _edata, _end, multiboot_entry
multiboot_entry:
	movl	%eax, mb_magic
	movl	%ebx, mb_info
	xorl	%esi, %esi
	jmp	startup_32

/* boot.rst: 64-bit entry at code32_start + 0x200, identity mapped, rsi = boot_params */
	.org	0x200
	.code64
	.globl startup_64
startup_64:
	cli
	movq	%rsi, boot_params_ptr(%rip)
startup_64_common:
	lgdt	gdt_ptr(%rip)
	movl	$pml4, %eax
	movq	%rax, %cr3
	movq	%cr4, %rax
	andq	$~(CR4_SMEP | CR4_SMAP | CR4_TSD), %rax
	movq	%rax, %cr4
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$(kstacks + KSTACK_SIZE), %rsp
	movw	$SEL_TSS(0), %ax
	ltr	%ax
	lidt	idt_ptr(%rip)
	pushq	$SEL_UDATA
	pushq	$(ustacks + USTACK_SIZE)
	pushq	$RFLAGS_USER
	pushq	$SEL_UCODE
	pushq	$user_start
	iretq

/*
 * Application processors arrive here from trampoline.S in long mode with our
 * GDT and CR3 loaded and rsp = their kernel stack. smp.c set ap_tss_sel and
 * ap_user_rsp before sending the SIPI (APs are started one at a time).
 */
	.text
	.globl ap_entry64
ap_entry64:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	lidt	idt_ptr(%rip)
	movw	ap_tss_sel(%rip), %ax
	ltr	%ax
	pushq	$SEL_UDATA
	pushq	ap_user_rsp(%rip)
	pushq	$RFLAGS_USER
	pushq	$SEL_UCODE
	pushq	$ap_user_start
	iretq

/* Ring 3 entries: call into C with a 16-byte aligned stack. */
user_start:
	call	guest_main
	ud2
ap_user_start:
	call	ap_main
	ud2

/* Interrupt handlers: tiny, because every ring-0 instruction is emulated. */
	.globl irq_timer, irq_uart, irq_other, irq_virtio, irq_spurious
irq_timer:
	pushq	%rax
	lock incq irq_count_timer(%rip)
	movl	$0xfee000b0, %eax	/* LAPIC EOI */
	movl	$0, (%rax)
	popq	%rax
	iretq
irq_uart:
	pushq	%rax
	pushq	%rdx
	movw	$(COM1 + 2), %dx	/* reading IIR acknowledges THRE */
	inb	%dx, %al
	lock incq irq_count_uart(%rip)
	movl	$0xfee000b0, %eax
	movl	$0, (%rax)
	popq	%rdx
	popq	%rax
	iretq
irq_other:
	pushq	%rax
	lock incq irq_count_other(%rip)
	movl	$0xfee000b0, %eax
	movl	$0, (%rax)
	popq	%rax
	iretq
/* virtio_irq: the device's InterruptStatus is read and acknowledged in ring 3. */
irq_virtio:
	pushq	%rax
	lock incq irq_count_virtio(%rip)
	movl	$0xfee000b0, %eax
	movl	$0, (%rax)
	popq	%rax
	iretq
irq_spurious:
	iretq

/*
 * The ring-3 -> ring-0 gate: `ud2` executed in ring 3 with rdi = function.
 * Not `int n` (the CI host turns a software interrupt in ring 3 into #UD)
 * and not syscall/sysret (its ring-0 emulator mishandles them); an exception
 * is delivered the same way everywhere. Any other #UD is a real fault.
 * Frame: rip, cs, rflags (16(%rsp)), rsp, ss.
 */
	.globl ud_gate
ud_gate:
	testb	$3, 8(%rsp)
	jz	exc_6
	pushq	%rax
	movq	8(%rsp), %rax
	cmpw	$0x0b0f, (%rax)		/* ud2 */
	popq	%rax
	jne	exc_6
	addq	$2, (%rsp)
	cmpq	$SYS_CPUID, %rdi
	je	5f
	cmpq	$SYS_STI, %rdi
	je	3f
	cmpq	$SYS_CLI, %rdi
	je	4f
	cmpq	$SYS_IDLE, %rdi
	je	7f
	cmpq	$SYS_PARK, %rdi
	je	1f
	cmpq	$SYS_TRIPLEFAULT, %rdi
	je	2f
	cmpq	$SYS_EMULFAIL, %rdi
	je	8f
	iretq
	/* The one allowed cmpxchg16b (guest.mk checks): it must fail here. */
	.globl	emulfail_insn
8:
emulfail_insn:
	lock cmpxchg16b emulfail_target(%rip)
	iretq
5:	cpuid
	iretq
3:	orq	$0x200, 16(%rsp)
	iretq
4:	andq	$~0x200, 16(%rsp)
	iretq
7:	sti				/* wait for one interrupt */
	hlt
	cli
	iretq
1:	cli
	hlt
	jmp	1b
2:	lidt	zero_idt_ptr(%rip)
	ud2

/* Exceptions 0-31: push a dummy error code where the CPU pushes none. */
.macro exc vec
exc_\vec:
	.if (\vec != 8 && \vec != 10 && \vec != 11 && \vec != 12 && \vec != 13 && \vec != 14 && \vec != 17 && \vec != 21 && \vec != 29 && \vec != 30)
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
.endm
.altmacro
.set i, 0
.rept 32
	exc %i
	.set i, i + 1
.endr

exc_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	%rsp, %rdi
	andq	$~15, %rsp
	call	exception_handler	/* does not return */
1:	cli
	hlt
	jmp	1b

	.data
	.balign 16
emulfail_target:
	.quad 0, 0

	.section .rodata
	.balign 8
.macro excptr vec
	.quad exc_\vec
.endm
	.globl exc_stubs
exc_stubs:
.set i, 0
.rept 32
	excptr %i
	.set i, i + 1
.endr

	.data
	.balign 8
	.globl boot_params_ptr, ap_tss_sel, ap_user_rsp, gdt, mb_magic, mb_info
boot_params_ptr:	.quad 0
mb_magic:		.long 0
mb_info:		.long 0
ap_user_rsp:		.quad 0
ap_tss_sel:		.word 0

	.balign 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cf9a000000ffff	/* 0x18 kernel code, 32-bit (entry, trampoline) */
	.quad 0x00cff2000000ffff	/* 0x20 user data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x28 user code, 64-bit, DPL 3 */
	.quad TSS0_DESC_LO		/* 0x30 TSS of cpu 0 (linker.ld computes it) */
	.quad 0
	.fill 2 * (MAX_CPUS - 1), 8, 0	/* TSS of the APs, filled by smp.c */
gdt_end:

	.balign 8
	.word 0
	.globl gdt_ptr
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
	.word 0
idt_ptr:
	.word 256 * 16 - 1
	.quad idt
	.word 0
zero_idt_ptr:
	.word 0
	.quad 0

/*
 * Identity map of the low 4 GiB with 2 MiB pages, user-accessible (U/S) so
 * ring 3 can reach RAM, the LAPIC, the IOAPIC and the null MMIO device.
 * 3-4 GiB (the MMIO hole) is uncached. Built by the assembler: no ring-0 loop.
 */
#define PTE_P		0x1
#define PTE_RW		0x2
#define PTE_US		0x4
#define PTE_PWT		0x8
#define PTE_PCD		0x10
#define PTE_PS		0x80
	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4
pml4:
	.quad pdpt + (PTE_P | PTE_RW | PTE_US)
	.fill 511, 8, 0
pdpt:
	.quad pd + 0 * 4096 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 1 * 4096 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 2 * 4096 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 3 * 4096 + (PTE_P | PTE_RW | PTE_US)
	.fill 508, 8, 0
pd:
.set addr, 0
.rept 1536
	.quad addr + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.set addr, addr + 0x200000
.endr
.rept 512
	.quad addr + (PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_PCD | PTE_PWT)
	.set addr, addr + 0x200000
.endr

	.section .note.GNU-stack, "", @progbits
