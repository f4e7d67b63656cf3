/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flat arm64 test binary's entry: vmm enters it as it would an Image
 * (booting.rst: EL1, MMU off, x0 = the device tree). Keep x0 and the address
 * we really run at, set a stack, clear .bss, run the checks, power off.
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	mov	x19, x0
	adr	x20, _start
	adr	x1, stack_top
	mov	sp, x1
	adr	x1, __bss_start
	adr	x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, x19
	mov	x1, x20
	ldr	x2, =_start		/* where it was linked to run */
	bl	flat_main
	movz	w0, #0x0008		/* PSCI SYSTEM_OFF (0x84000008) */
	movk	w0, #0x8400, lsl #16
	hvc	#0
3:	wfi
	b	3b

	.bss
	.balign	16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
