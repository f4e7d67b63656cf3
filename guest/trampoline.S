/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AP start-up code. smp.c copies trampoline_start..trampoline_end to
 * TRAMP_ADDR (a page below 1 MiB, SIPI vector TRAMP_ADDR >> 12) and fills
 * tramp_rsp before each SIPI. Real mode -> protected mode -> long mode with
 * the shared GDT and page tables, then on to ap_entry64 (head.S).
 * The code runs at TRAMP_ADDR, not where it is linked: only label
 * differences and absolute kernel addresses below 4 GiB are used.
 */
#include "guest.h"

#define T(x)	(TRAMP_ADDR + ((x) - trampoline_start))

	.section .rodata
	.balign 16
	.globl trampoline_start, trampoline_end, tramp_rsp
	.code16
trampoline_start:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdt_ptr - trampoline_start
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE32, $T(tramp32)

	.code32
tramp32:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$(1 << 8), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG | PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $T(tramp64)

	.code64
tramp64:
	movq	T(tramp_rsp), %rsp
	movq	$ap_entry64, %rax
	jmp	*%rax

	.balign 8
tramp_rsp:
	.quad 0
	.word 0
tramp_gdt_ptr:
	.word (6 + 2 * MAX_CPUS) * 8 - 1
	.long gdt
trampoline_end:

	.section .note.GNU-stack, "", @progbits
