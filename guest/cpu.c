// SPDX-License-Identifier: GPL-2.0
/* Per-cpu stacks and TSS, the IDT (filled from ring 3), and the exception report. */
#include "guest.h"
#include "cpu.h"

u8 kstacks[MAX_CPUS][KSTACK_SIZE] __attribute__((section(".bss.stacks"), aligned(16)));
u8 istacks[MAX_CPUS][ISTACK_SIZE] __attribute__((section(".bss.stacks"), aligned(16)));
u8 ustacks[MAX_CPUS][USTACK_SIZE] __attribute__((section(".bss.stacks"), aligned(16)));

/*
 * cpu 0's TSS must be valid before ltr in head.S, so it is initialised data;
 * the APs' are set up by cpu_setup_tss(). The I/O bitmap allows every port:
 * the CI host ignores IOPL 3 for ring-3 in/out but honours the bitmap.
 */
struct tss tss0 __attribute__((aligned(128))) = {
	.rsp0 = (u64)(kstacks[0] + KSTACK_SIZE),
	.ist = { (u64)(istacks[0] + ISTACK_SIZE) },
	.iomap_base = offsetof(struct tss, iomap),
	.iomap[8192] = 0xff,
};
static struct tss tss_ap[MAX_CPUS - 1] __attribute__((aligned(128)));

struct idt_entry idt[256] __attribute__((aligned(16)));

extern u64 gdt[];
extern const u64 exc_stubs[32];
extern char irq_timer[], irq_uart[], irq_other[], irq_virtio[], irq_spurious[], ud_gate[];

static void set_gate(int vec, const void *fn, int ist, int dpl)
{
	u64 a = (u64)fn;

	idt[vec] = (struct idt_entry){
		.off0 = a & 0xffff,
		.sel = SEL_KCODE,
		.ist = ist,
		.type = 0x8e | dpl << 5,	/* present, 64-bit interrupt gate */
		.off1 = (a >> 16) & 0xffff,
		.off2 = a >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, irq_other, 0, 0);
	for (int v = 0; v < 32; v++)
		set_gate(v, (const void *)exc_stubs[v], v == 8 ? 1 : 0, 0);	/* #DF on IST1 */
	set_gate(6, ud_gate, 0, 0);		/* #UD doubles as the syscall gate */
	set_gate(VEC_TIMER, irq_timer, 0, 0);
	set_gate(VEC_UART, irq_uart, 0, 0);
	set_gate(VEC_VIRTIO, irq_virtio, 0, 0);
	set_gate(VEC_MSIX_CONFIG, irq_virtio, 0, 0);
	set_gate(VEC_MSIX_QUEUE, irq_virtio, 0, 0);
	set_gate(VEC_SPURIOUS, irq_spurious, 0, 0);
}

/* Give AP cpu (>= 1) its TSS and GDT descriptor (Intel SDM 3A 8.2.3). */
void cpu_setup_tss(int cpu)
{
	struct tss *t = &tss_ap[cpu - 1];
	u64 base = (u64)t;

	memset(t, 0, sizeof(*t));
	t->rsp0 = (u64)(kstacks[cpu] + KSTACK_SIZE);
	t->ist[0] = (u64)(istacks[cpu] + ISTACK_SIZE);
	t->iomap_base = offsetof(struct tss, iomap);
	t->iomap[8192] = 0xff;
	gdt[GDT_TSS_INDEX(cpu)] = (sizeof(struct tss) - 1) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
				  (base & 0xff000000) << 32;
	gdt[GDT_TSS_INDEX(cpu) + 1] = base >> 32;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "res", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Runs in ring 0 (called from exc_common in head.S). Fatal. */
void exception_handler(struct exc_frame *f)
{
	u64 cr2;

	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	printf("\nEXCEPTION vector=%llu (%s) rip=0x%llx err=0x%llx cs=0x%llx rflags=0x%llx rsp=0x%llx cr2=0x%llx\n",
	       f->vector, f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "?", f->rip,
	       f->error, f->cs, f->rflags, f->rsp, cr2);
	if (current_test) {
		tests_failed++;
		printf("TEST %s FAIL exception vector=%llu rip=0x%llx\n", current_test, f->vector, f->rip);
	}
	printf("RESULT passed=%d failed=%d\n", tests_passed, tests_failed ? tests_failed : 1);
	do_panic();
}
