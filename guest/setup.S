/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real-mode part of the bzImage (boot sector + setup sectors). mkbzimage
 * fills the setup header at 0x1f1..0x26b; this file provides the jump at 0x200,
 * the version string at 0x270 and the 16-bit entry for loaders that start the
 * kernel in real mode (QEMU's linuxboot ROM, kvmtool): ds = es = ss = setup
 * segment, cs:ip = setup + 0x200.
 *
 * It builds a fresh zero page at setup + 0x1000 (the setup header copied in,
 * the e820 map from BIOS int 0x15), switches to 32-bit protected mode with flat
 * segments and jumps to code32_start (0x100000) with esi = that zero page.
 */
#define ZP		0x1000		/* new boot_params, relative to the setup segment */
#define SMAP		0x534d4150

	.code16
	.text
	.globl _start
_start:
	.org	0x200
	.byte	0xeb, setup16 - 0x202	/* short jmp over the header */
	.org	0x270
	.asciz	"testguest 1.0"		/* kernel_version points here */
	.org	0x280

setup16:
	cli
	cld
	movw	%ds, %ax
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x8000, %sp		/* boot.rst: setup + heap + stack fit in 0x8000 */

	movw	$ZP, %di		/* zero page := 0, then the setup header */
	xorw	%ax, %ax
	movw	$0x800, %cx
	rep stosw
	movw	$0x1f1, %si
	movw	$(ZP + 0x1f1), %di
	movw	$(0x290 - 0x1f1), %cx
	rep movsb

	xorl	%ebx, %ebx		/* e820 via BIOS, into zero page 0x2d0, count at 0x1e8 */
	movw	$(ZP + 0x2d0), %di
1:	movl	$0xe820, %eax
	movl	$20, %ecx
	movl	$SMAP, %edx
	pushw	%di
	int	$0x15
	popw	%di
	jc	2f
	cmpl	$SMAP, %eax
	jne	2f
	addw	$20, %di
	incb	(ZP + 0x1e8)
	cmpb	$128, (ZP + 0x1e8)
	jae	2f
	testl	%ebx, %ebx
	jnz	1b
2:
	inb	$0x92, %al		/* fast A20 */
	orb	$2, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	xorl	%ebx, %ebx		/* ebx = linear address of the setup segment */
	movw	%ds, %bx
	shll	$4, %ebx
	leal	gdt(%ebx), %eax
	movl	%eax, gdtr + 2
	lgdtl	gdtr
	leal	ZP(%ebx), %esi
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	movw	$0x18, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	ljmpl	$0x10, $0x100000

	.balign 8
gdt:	/* boot.rst: __BOOT_CS = 0x10, __BOOT_DS = 0x18, flat 4 GiB */
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff
	.quad	0x00cf92000000ffff
gdtr:
	.word	gdtr - gdt - 1
	.long	0

	.section .note.GNU-stack, "", @progbits
