/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 structures shared by cpu.c and smp.c. */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include "guest.h"

struct tss {
	u32 reserved0;
	u64 rsp0, rsp1, rsp2;
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
	u8 iomap[8192 + 1];	/* 0 = port allowed; the extra byte is the 0xff terminator */
} __attribute__((packed));

struct idt_entry {
	u16 off0;
	u16 sel;
	u8 ist;
	u8 type;
	u16 off1;
	u32 off2;
	u32 reserved;
};

/* Built by exc_common: saved registers, then what the CPU pushed. */
struct exc_frame {
	u64 r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

extern u8 kstacks[MAX_CPUS][KSTACK_SIZE];
extern u8 istacks[MAX_CPUS][ISTACK_SIZE];
extern u8 ustacks[MAX_CPUS][USTACK_SIZE];
extern struct tss tss0;

void idt_init(void);
void cpu_setup_tss(int cpu);
void exception_handler(struct exc_frame *f);

#endif
