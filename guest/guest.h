/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testguest: a freestanding x86-64 test kernel for vmm.
 * Ring 0 only sets up the GDT/TSS/IDT/page tables; everything else runs in
 * ring 3 with IOPL 3 (see README.md for why: ring 0 is emulated on the CI host).
 */
#ifndef GUEST_H
#define GUEST_H

#ifndef __ASSEMBLER__
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed long long s64;
typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)
#endif

#define MAX_CPUS	16
#define KSTACK_SIZE	8192
#define ISTACK_SIZE	4096
#define USTACK_SIZE	16384

/* GDT selectors (head.S) */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_KCODE32	0x18
#define SEL_UDATA	0x23
#define SEL_UCODE	0x2b
#define SEL_TSS(cpu)	(0x30 + 16 * (cpu))
#define GDT_TSS_INDEX(cpu) (6 + 2 * (cpu))

/* Interrupt vectors */
#define VEC_TIMER	0x20
#define VEC_UART	0x24
#define VEC_SCI		0x28	/* action=powerbutton: ACPI's SCI, level-triggered */
#define VEC_VIRTIO	0x30	/* virtio_irq: the device's ISA line (or PCI INTx) */
#define VEC_MSIX_CONFIG	0x31	/* virtio_msix: MSI-X vector 0 (configuration changes) */
#define VEC_MSIX_QUEUE	0x32	/* virtio_msix: MSI-X vector 1 (queue 0) */
#define VEC_SPURIOUS	0xff

/* Gate functions (rdi) for `ud2` in ring 3, see ud_gate in head.S. */
#define SYS_PARK	1	/* cli; hlt forever */
#define SYS_TRIPLEFAULT	2	/* lidt with limit 0, then #UD */
#define SYS_STI		3	/* set IF in the caller's RFLAGS */
#define SYS_CLI		4	/* clear IF in the caller's RFLAGS */
#define SYS_IDLE	6	/* sti; hlt; cli in ring 0: returns after an interrupt */
#define SYS_CPUID	5	/* cpuid in ring 0: eax = leaf, ecx = subleaf */
#define SYS_EMULFAIL	7	/* ring 0 cmpxchg16b: the CI host's emulator cannot */

/* Physical addresses the guest relies on */
#define LAPIC_BASE	0xfee00000
#define IOAPIC_DEFAULT	0xfec00000ULL
#define NULL_MMIO	0xd0000000ULL
#define TRAMP_ADDR	0x8000ULL
#define COM1		0x3f8
#define PVPANIC_PORT	0x505

#ifndef __ASSEMBLER__
#define barrier() __asm__ __volatile__("" ::: "memory")
#define offsetof(t, m) __builtin_offsetof(t, m)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void outb(u16 port, u8 v) { __asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ __volatile__("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ __volatile__("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline void syscall0(u64 nr) { __asm__ __volatile__("ud2" :: "D"(nr) : "memory"); }
/* Through the gate: the CI host faults ring-3 sti/cli even with IOPL 3. */
static inline void sti(void) { syscall0(SYS_STI); }
static inline void cli(void) { syscall0(SYS_CLI); }
/*
 * CPUID through the gate too: on the CI host a ring-3 cpuid is not
 * intercepted and returns the physical host's values, not the vmm's.
 */
static inline void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ __volatile__("ud2" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(sub), "D"((u64)SYS_CPUID) : "memory");
}
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline u32 mmio_read32(u64 a) { return *(volatile u32 *)a; }
static inline void mmio_write32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 mmio_read8(u64 a) { return *(volatile u8 *)a; }
static inline u16 mmio_read16(u64 a) { return *(volatile u16 *)a; }
static inline void mmio_write8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void mmio_write16(u64 a, u16 v) { *(volatile u16 *)a = v; }


/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
u64 parse_u64(const char *s, const char **end);
int vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
u8 checksum8(const void *p, size_t n);

/* serial.c */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
void serial_write_outsb(const char *s, size_t n);
int serial_getc_timeout(u64 timeout_ms);	/* -1 on timeout */
bool serial_rx_ready(void);

/* pit.c: time */
u32 tsc_khz(void);
bool tsc_khz_from_cpuid(void);
void udelay(u64 us);
u64 tsc_to_us(u64 cycles);

/* acpi.c */
struct acpi_info {
	bool found;
	u64 rsdp;
	char root_sig[5];		/* "XSDT" or "RSDT" */
	bool rsdp_csum_ok;
	int ncpus;			/* enabled LAPIC/x2APIC entries */
	u32 apic_ids[MAX_CPUS];
	u64 lapic_addr, ioapic_addr;
	u32 irq_gsi[16];		/* ISA IRQ -> GSI after overrides */
	u16 irq_flags[16];
	bool have_madt, have_fadt, have_dsdt;
	u32 pm1a_cnt;
	u32 pm1a_evt;			/* PM1 status (2 bytes), then enable */
	u32 fadt_flags;
	u16 sci_irq;
	int s5_slp_typ;			/* -1 if _S5_ not found */
	u64 mcfg_base;			/* MCFG: ECAM of segment 0 (bus 0 at this address), 0 if none */
	u8 mcfg_bus_start, mcfg_bus_end;
};
const struct acpi_info *acpi_get(void);

/* mptable.c */
int mptable_count_cpus(u64 *where, char *why, size_t whylen);	/* -1: not found */

/* apic.c */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
void lapic_enable(void);
void lapic_eoi(void);
u32 lapic_id(void);
void ioapic_route(u32 gsi, u8 vector, u32 dest_apic, bool level, bool low);
void ioapic_mask(u32 gsi);
void pic_disable(void);
bool lapic_irr(u8 vector);

/* smp.c */
struct cpu_report {
	volatile u32 alive;
	volatile u32 apic_id;		/* cpuid 1 EBX[31:24] */
	volatile u32 x2apic_id;		/* cpuid 0xb EDX, or ~0 */
};
extern struct cpu_report cpu_reports[MAX_CPUS];
void ap_main(void);

/* main.c */
extern u64 boot_params_ptr;
extern u32 mb_magic, mb_info;		/* eax, ebx at the multiboot entry (head.S) */
#define MB_BOOT_MAGIC	0x2badb002
extern volatile u64 irq_count_timer, irq_count_uart, irq_count_other, irq_count_virtio;
const u8 *boot_params(void);
const char *cmdline(void);
u32 cmdline_size(void);
bool cmdline_get(const char *key, char *val, size_t len);
u64 expect_mem_mib(void);
int expect_cpus(void);
void do_poweroff(void);
void do_reset(void);
void do_panic(void);
void do_triplefault(void);
void hang(void);

/* tests.c */
struct test {
	const char *name;
	bool in_all;
	void (*fn)(const char *name);
};
extern const struct test tests[];
extern int tests_passed, tests_failed;
extern const char *current_test;
void test_pass(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_tests(const char *list);
void test_smp(const char *name);
void test_multiboot(const char *name);
void test_pit(const char *name);
void test_ioapic(const char *name);
void test_acpi(const char *name);
void test_mptable(const char *name);

/* virtio.c: ring-3 virtio driver, mmio (virtio_mmio.device=) and pci (virtio_pci.c) */
void test_virtio_blk(const char *name);
void test_virtio_blk_ro(const char *name);
void test_virtio_rng(const char *name);
void test_virtio_irq(const char *name);
void test_virtio_net(const char *name);
void test_bench_blk(const char *name);
void test_bench_blk_exits(const char *name);
void test_virtio_msix(const char *name);
/* virtio_console.c: hvc0, a line each way with vmm's stdin and stdout */
void test_virtio_console(const char *name);
void test_hvc_panic_reset(const char *name);
/* bench_net.c: virtio-net throughput against tests/bench/nethost.c */
void test_bench_net_tx(const char *name);
void test_bench_net_rx(const char *name);
/* virtio_pci.c: the VIRTIO_PCI_CAP_PCI_CFG window reads and writes what the BAR does */
bool virtio_pci_cfg_window_ok(char *why, size_t len);

/* pci.c: bus 0 through 0xcf8/0xcfc (CAM) and ECAM (ACPI MCFG) */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11
#define PCI_MAX_FNS		32

struct pci_fn {
	u8 bus, dev, fn;
	u16 vendor, device, subsys_vendor, subsys;
	u32 class;			/* base << 16 | sub << 8 | prog-if */
	u8 rev, hdr_type, irq_pin, irq_line;
	u64 bar[6];			/* memory BAR addresses (64-bit BARs: in the low one) */
	bool bar64[6];
};
u32 pci_cam_read(const struct pci_fn *f, u32 off, int len);
void pci_cam_write(const struct pci_fn *f, u32 off, int len, u32 v);
u32 pci_ecam_read(const struct pci_fn *f, u32 off, int len);	/* ~0 without ECAM */
void pci_ecam_write(const struct pci_fn *f, u32 off, int len, u32 v);
/* The driver's accessors: CAM. */
static inline u32 pci_read32(const struct pci_fn *f, u32 off) { return pci_cam_read(f, off, 4); }
static inline u16 pci_read16(const struct pci_fn *f, u32 off) { return pci_cam_read(f, off, 2); }
static inline u8 pci_read8(const struct pci_fn *f, u32 off) { return pci_cam_read(f, off, 1); }
static inline void pci_write32(const struct pci_fn *f, u32 off, u32 v) { pci_cam_write(f, off, 4, v); }
static inline void pci_write16(const struct pci_fn *f, u32 off, u16 v) { pci_cam_write(f, off, 2, v); }
static inline void pci_write8(const struct pci_fn *f, u32 off, u8 v) { pci_cam_write(f, off, 1, v); }
u64 pci_ecam_base(void);		/* from the MCFG; 0 if none */
/* Enumerate bus 0 once (CAM); the functions found, in slot order. */
int pci_scan(struct pci_fn **fns);
/* Capability @id after offset @from (0: from the start); 0 if none. */
u8 pci_find_cap(const struct pci_fn *f, u8 id, u8 from);
void test_pci(const char *name);

/* shell.c */
void shell(void);

#endif /* __ASSEMBLER__ */
#endif
