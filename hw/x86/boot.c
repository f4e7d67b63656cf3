// SPDX-License-Identifier: GPL-2.0
/*
 * arch_load_kernel() for x86: put the kernel (bzImage or ELF vmlinux), the
 * command line, the initrd, the MP and ACPI tables and the zero page into
 * guest RAM, and decide where vcpu 0 starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/virtio/mmio.h"
#include "firmware/acpi.h"
#include "firmware/mptable.h"
#include "hw/x86/bootparams.h"
#include "hw/x86/bzimage.h"
#include "hw/x86/elf.h"
#include "hw/x86/layout.h"
#include "hw/x86/machine.h"
#include "hw/x86/multiboot.h"
#include "util/payload.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "util/file.h"
#include "util/log.h"

/* The built-in test guest, linked in by the Makefile (embedded_guest.o). */
extern const u8 embedded_guest[], embedded_guest_end[];

#define KERNEL_MAX_FILE		(256 * MiB)
#define ACPI_AREA_SIZE		(X86_BIOS_END - X86_BIOS_START)
#define ELF_INITRD_ADDR_MAX	0x7fffffffu	/* what any 64-bit kernel accepts */
#define MB_INFO_SIZE		0x2000		/* 0x6000-0x8000: no zero page then */
/* The PCI I/O window: above every fixed port vmm decodes (all below 0x1000). */
#define PCI_IO_BASE		0x1000
#define PCI_IO_SIZE		0xf000

/* PCI bus 0 only (bus range 0-0), as the ACPI tables describe it. */
static const struct acpi_pci_ecam pci_ecam = { .base = X86_PCI_ECAM_BASE };
static const struct acpi_pci_host pci_host = {
	.ecam_base = X86_PCI_ECAM_BASE,
	.mem_base = X86_PCI_MEM_BASE,
	.mem_size = X86_PCI_MEM_SIZE,
	.io_base = PCI_IO_BASE,
	.io_size = PCI_IO_SIZE,
	.cam_port = X86_PCI_CAM_PORT,
	.intx_gsi = X86_PCI_INTX_GSI,
	.intx_lines = X86_PCI_INTX_LINES,
};
static const struct mptable_pci mp_pci = {
	.intx_gsi = X86_PCI_INTX_GSI,
	.intx_lines = X86_PCI_INTX_LINES,
};

struct x86_kernel {
	const char *name;		/* path, or "built-in test guest" */
	const u8 *img;
	size_t size;
	struct bzimage bz;
	bool is_bzimage;
	bool is_multiboot;
	u64 kernel_end;			/* first byte after the kernel's memory */
	u32 cmdline_max;		/* without the NUL */
	u32 initrd_addr_max;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load_elf(struct vm *vm, struct x86_kernel *k, const u8 *elf, size_t size,
		    bool prefer_pvh, struct x86_entry *entry)
{
	struct elf_kernel ek;
	const char *why = "";
	int r;

	r = elf_load(vm, elf, size, &ek, &why);
	if (r < 0) {
		log_error("cannot load kernel '%s': %s", k->name, why);
		return r == -ERANGE ? -E2BIG : r;
	}
	k->kernel_end = ek.highest;
	if (prefer_pvh && ek.pvh_entry) {
		*entry = (struct x86_entry){ X86_ENTRY_PVH32, ek.pvh_entry,
					     X86_PVH_START_INFO_ADDR };
	} else {
		*entry = (struct x86_entry){ X86_ENTRY_LONG64, ek.entry,
					     X86_BOOT_PARAMS_ADDR };
	}
	return 0;
}

static int load_bzimage_unpacked(struct vm *vm, struct x86_kernel *k,
				 struct x86_entry *entry)
{
	const char *why = "";
	size_t elf_size;
	u8 *elf;
	double t0 = now_ms();
	int r;

	r = payload_decompress(k->bz.payload, k->bz.payload_size, &elf, &elf_size, &why);
	if (r < 0)
		return r == -ENOTSUP ? 1 : (log_error("cannot unpack kernel '%s': %s",
						       k->name, why), -EINVAL);
	log_debug("unpacked %s payload of '%s' on the host: %zu -> %zu bytes in %.0f ms",
		  payload_format_name(k->bz.payload, k->bz.payload_size), k->name,
		  k->bz.payload_size, elf_size, now_ms() - t0);
	/*
	 * Enter through PVH when the kernel has it: here (guest ring 0 is
	 * emulated) the Debian cloud kernel reaches "Linux version" in 21 s
	 * that way against 30-45 s through the 64-bit boot_params entry.
	 */
	r = load_elf(vm, k, elf, elf_size, true, entry);
	free(elf);
	/* The initrd must also stay clear of what init_size reserves. */
	k->kernel_end = MAX(k->kernel_end, k->bz.load_addr + k->bz.init_size);
	return r;
}

static int load_bzimage(struct vm *vm, struct x86_kernel *k, struct x86_entry *entry)
{
	const struct bzimage *bz = &k->bz;
	u8 *dst;
	int r;

	if (!(bz->xloadflags & 1)) {	/* XLF_KERNEL_64 */
		log_error("kernel '%s' has no 64-bit entry point (XLF_KERNEL_64)", k->name);
		return -EINVAL;
	}
	k->cmdline_max = bz->cmdline_size;
	k->initrd_addr_max = bz->initrd_addr_max;

	/* Default: skip the in-guest decompressor, which is slow here. */
	if (!vm->cfg->guest_decompress && bz->payload_size) {
		r = load_bzimage_unpacked(vm, k, entry);
		if (r <= 0)
			return r;
		log_info("kernel payload is %s, which vmm cannot unpack: the guest will",
			 payload_format_name(bz->payload, bz->payload_size));
	}

	/* boot.rst: the protected-mode kernel at its preferred address. */
	k->kernel_end = bz->load_addr + MAX((u64)bz->init_size, (u64)bz->kernel_size);
	dst = gpa_to_hva(vm, bz->load_addr, k->kernel_end - bz->load_addr);
	if (!dst) {
		log_error("kernel '%s' needs %llu MiB from 0x%llx, more than the guest's %llu MiB",
			  k->name, (unsigned long long)((k->kernel_end - bz->load_addr) >> 20),
			  (unsigned long long)bz->load_addr,
			  (unsigned long long)(vm->cfg->ram_size >> 20));
		return -E2BIG;
	}
	memcpy(dst, bz->kernel, bz->kernel_size);
	*entry = (struct x86_entry){ X86_ENTRY_LONG64, bz->entry64, X86_BOOT_PARAMS_ADDR };
	return 0;
}

/* Spec 3.2: entered in 32-bit protected mode, eax = magic, ebx = the info. */
static int load_multiboot(struct vm *vm, struct x86_kernel *k, const struct multiboot_kernel *mk,
			  struct x86_entry *entry)
{
	for (unsigned int i = 0; i < mk->nr_segs; i++) {
		const struct multiboot_seg *s = &mk->segs[i];
		u8 *dst = gpa_to_hva(vm, s->addr, s->mem_size);

		if (!dst)
			return -EFAULT;
		memcpy(dst, k->img + s->file_off, s->file_size);
		memset(dst + s->file_size, 0, s->mem_size - s->file_size);
	}
	k->is_multiboot = true;
	k->kernel_end = mk->highest;
	k->cmdline_max = X86_CMDLINE_MAX - 1;
	k->initrd_addr_max = UINT32_MAX;	/* modules: anywhere below 4 GiB */
	*entry = (struct x86_entry){ X86_ENTRY_MULTIBOOT32, mk->entry, X86_MB_INFO_ADDR };
	log_debug("kernel '%s': multiboot (header at 0x%x, flags 0x%x), %u segments in "
		  "[0x%llx, 0x%llx), entry 0x%x", k->name, mk->header_off, mk->flags,
		  mk->nr_segs, (unsigned long long)mk->lowest, (unsigned long long)mk->highest,
		  mk->entry);
	return 0;
}

/* A bzImage, else a multiboot kernel, else an ELF vmlinux. */
static int load_kernel(struct vm *vm, struct x86_kernel *k, struct x86_entry *entry)
{
	struct multiboot_kernel mk;
	const char *why = "", *mb_why = "";
	int r;

	r = bzimage_parse(k->img, k->size, &k->bz, &why);
	if (r == 0) {
		k->is_bzimage = true;
		return load_bzimage(vm, k, entry);
	}
	if (r != -ENOEXEC) {
		log_error("bad kernel '%s': %s", k->name, why);
		return -EINVAL;
	}
	r = multiboot_parse(k->img, k->size, vm->cfg->ram_size, &mk, &mb_why);
	if (r == 0)
		return load_multiboot(vm, k, &mk, entry);
	if (r != -ENOENT) {
		log_error("bad multiboot kernel '%s': %s", k->name, mb_why);
		return r == -E2BIG ? -E2BIG : -EINVAL;
	}
	if (k->size >= 4 && !memcmp(k->img, "\177ELF", 4)) {
		k->cmdline_max = X86_CMDLINE_MAX - 1;
		k->initrd_addr_max = ELF_INITRD_ADDR_MAX;
		return load_elf(vm, k, k->img, k->size, true, entry);
	}
	log_error("'%s' is not a kernel: %s, and neither a multiboot kernel nor an ELF vmlinux",
		  k->name, why);
	return -EINVAL;
}

/*
 * vmm's defaults, the virtio-mmio devices (x86 Linux finds them only here),
 * then the user's words, which can therefore override ours. With
 * --exact-cmdline only the user's words: what vmm would have added goes to
 * --debug.
 */
static int write_cmdline(struct vm *vm, const struct x86_kernel *k, u32 *len)
{
	const char *user = vm->cfg->cmdline;
	u32 max = MIN(k->cmdline_max, (u32)X86_CMDLINE_MAX - 1);
	char *line, *dst;
	size_t n, cap = X86_CMDLINE_MAX + (user ? strlen(user) : 0) + 1;

	line = malloc(cap);
	if (!line)
		return -ENOMEM;
	n = snprintf(line, cap, "%s", arch_default_cmdline(vm->cfg));
	for (unsigned int i = 0; i < vm->nr_virtio && n < cap; i++) {
		if (!vm->virtio[i].mmio)
			continue;	/* on PCI: found by the bus scan */
		line[n++] = ' ';
		n += virtio_mmio_cmdline(line + n, cap - n, vm->virtio[i].base,
					 vm->virtio[i].gsi);
	}
	if (vm->cfg->exact_cmdline) {
		log_debug("--exact-cmdline: vmm does not add: %s", line);
		n = snprintf(line, cap, "%s", user ? user : "");
	} else if (user && n < cap) {
		n += snprintf(line + n, cap - n, " %s", user);
	}
	if (n > max) {
		log_error("kernel command line is %zu bytes, the kernel accepts %u", n, max);
		free(line);
		return -E2BIG;
	}
	dst = gpa_to_hva(vm, X86_CMDLINE_ADDR, n + 1);
	if (dst)
		memcpy(dst, line, n + 1);
	log_debug("kernel command line: %s", line);
	free(line);
	*len = n;
	return dst ? 0 : -EFAULT;
}

static int load_initrd(struct vm *vm, const struct x86_kernel *k, u64 *gpa, u64 *size)
{
	const char *path = vm->cfg->initrd_path;
	const char *why = "";
	void *dst;
	int fd, r;

	*gpa = *size = 0;
	if (!path && !vm->cfg->initrd_data)
		return 0;
	/* vmm's own initramfs (--exec, --rootfs), or the file. */
	fd = -1;
	*size = vm->cfg->initrd_len;
	if (!vm->cfg->initrd_data) {
		fd = file_open_sized("initrd", path, size);
		if (fd < 0)
			return fd;
	}
	if (!path)
		path = "vmm's initramfs";
	r = x86_initrd_place(vm->cfg->ram_size, *size, k->initrd_addr_max, k->kernel_end,
			     gpa, &why);
	if (r < 0) {
		log_error("initrd '%s': %s", path, why);
		if (fd >= 0)
			close(fd);
		return r == -E2BIG ? -E2BIG : -EINVAL;
	}
	dst = gpa_to_hva(vm, *gpa, *size);
	if (fd < 0) {
		if (dst)
			memcpy(dst, vm->cfg->initrd_data, *size);
		return dst ? 0 : -EFAULT;
	}
	r = dst ? file_read_fd("initrd", path, fd, dst, *size) : -EFAULT;
	close(fd);
	return r;
}

/* MP table in the EBDA and ACPI in the BIOS area; returns the RSDP address. */
static int write_firmware(struct vm *vm, u64 *rsdp)
{
	unsigned int nr = vm->cfg->nr_cpus;
	struct mptable_info mp = {
		.nr_cpus = nr,
		.lapic_addr = X86_LAPIC_ADDR,
		.ioapic_id = acpi_ioapic_id(nr),	/* none of the cpus' APIC ids */
		.ioapic_addr = X86_IOAPIC_ADDR,
		.pci = &mp_pci,
	};
	struct acpi_info acpi = {
		.nr_cpus = nr,
		.lapic_addr = X86_LAPIC_ADDR,
		.ioapic_id = acpi_ioapic_id(nr),
		.ioapic_addr = X86_IOAPIC_ADDR,
		.pm1a_evt_port = X86_PM1A_EVT,
		.pm1a_cnt_port = X86_PM1A_CNT,
		.sci_irq = X86_PM_SCI_IRQ,
		.s5_slp_typ = X86_S5_SLP_TYP,
		.power_button = true,
		.reset_port = X86_RESET_PORT,
		.reset_value = 0x06,
		.com1_port = X86_COM1_PORT,
		.com1_irq = X86_COM1_IRQ,
		.pvpanic_port = X86_PVPANIC_PORT,
		/*
		 * Only its reset command is there (reboot=k): a kernel told of
		 * an 8042 probes it and logs a failure.
		 */
		.i8042 = false,
		.cmos_rtc = true,
		.ecams = &pci_ecam,
		.nr_ecams = 1,
		.pci = &pci_host,
	};
	struct acpi_mmio_dev mmio[VM_MAX_VIRTIO];
	void *ebda = gpa_to_hva(vm, X86_EBDA_START, X86_EBDA_SIZE);
	void *bios = gpa_to_hva(vm, X86_BIOS_START, ACPI_AREA_SIZE);
	int r;

	/*
	 * virtio-mmio devices are on the command line too, but distribution
	 * kernels build virtio_mmio without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES
	 * and find them only here. A kernel that has both registers each window
	 * once: the second claim of the same range fails (one log line).
	 */
	for (unsigned int i = 0; i < vm->nr_virtio; i++) {
		if (vm->virtio[i].mmio)
			mmio[acpi.nr_mmio_devs++] = (struct acpi_mmio_dev){
				.base = vm->virtio[i].base, .size = VIRTIO_MMIO_SIZE,
				.gsi = vm->virtio[i].gsi, .level = false,
			};
	}
	acpi.mmio_devs = mmio;

	if (!ebda || !bios)
		return -EFAULT;
	/*
	 * The MP table only has 8-bit APIC ids and 1 KiB here; ACPI has no limit.
	 * Cpus before PCI routes: above 27 cpus acpi=off guests lose INTx.
	 */
	if (mptable_size(nr, true) > X86_EBDA_SIZE)
		mp.pci = NULL;
	if (nr <= MPTABLE_MAX_CPUS && mptable_size(nr, mp.pci != NULL) <= X86_EBDA_SIZE) {
		r = mptable_build(ebda, X86_EBDA_SIZE, X86_EBDA_START, &mp);
		if (r < 0) {
			log_error("cannot build the MP table: %s", strerror(-r));
			return r;
		}
	} else {
		log_debug("%u cpus do not fit an MP table in the EBDA: ACPI only", nr);
	}
	r = acpi_build(bios, ACPI_AREA_SIZE, X86_BIOS_START, &acpi, rsdp);
	if (r < 0) {
		log_error("cannot build the ACPI tables: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* --debug: the memory map vmm gives, in the kernel's own format. */
static void log_e820(u64 ram_size)
{
	struct boot_e820_entry map[X86_E820_MAX];
	int n = x86_e820_build(ram_size, map, X86_E820_MAX);

	for (int i = 0; i < n; i++)
		log_debug("e820: [mem 0x%016llx-0x%016llx] %s",
			  (unsigned long long)map[i].addr,
			  (unsigned long long)(map[i].addr + map[i].size - 1),
			  map[i].type == X86_E820_RAM ? "usable" : "reserved");
}

int arch_load_kernel(struct vm *vm)
{
	struct x86_machine *m = vm->arch;
	struct x86_kernel k = { 0 };
	struct x86_boot_info info = { .ram_size = vm->cfg->ram_size,
				      .cmdline_gpa = X86_CMDLINE_ADDR };
	u8 *file = NULL;
	int r;

	if (vm->cfg->kernel_path) {
		r = file_read_all("kernel", vm->cfg->kernel_path, KERNEL_MAX_FILE,
				  &file, &k.size);
		if (r < 0)
			return r == -EFBIG || r == -EINVAL ? -EINVAL : r;
		k.img = file;
		k.name = vm->cfg->kernel_path;
	} else {
		k.img = embedded_guest;
		k.size = embedded_guest_end - embedded_guest;
		k.name = "built-in test guest";
	}

	log_e820(vm->cfg->ram_size);
	r = load_kernel(vm, &k, &m->entry);
	if (r == 0)
		r = write_cmdline(vm, &k, &info.cmdline_len);
	if (r == 0)
		r = load_initrd(vm, &k, &info.initrd_gpa, &info.initrd_size);
	if (r == 0)
		r = write_firmware(vm, &info.rsdp_gpa);
	if (r == 0)
		r = x86_write_boot_tables(vm);
	if (r == 0 && k.is_multiboot) {
		void *mbi = gpa_to_hva(vm, X86_MB_INFO_ADDR, MB_INFO_SIZE);

		/* returns the bytes it wrote; the module is named by its path */
		r = mbi ? multiboot_info_build(mbi, MB_INFO_SIZE, X86_MB_INFO_ADDR, &info,
					       vm->cfg->initrd_path) : -EFAULT;
		if (r < 0)
			log_error("cannot build the multiboot information: %s", strerror(-r));
		r = r < 0 ? (r == -ENOSPC ? -EINVAL : r) : 0;
	} else if (r == 0 && m->entry.mode == X86_ENTRY_PVH32) {
		void *si = gpa_to_hva(vm, X86_PVH_START_INFO_ADDR, 0x1000);

		/* returns the bytes it wrote */
		r = si ? x86_pvh_start_info_build(si, 0x1000, X86_PVH_START_INFO_ADDR, &info)
		       : -EFAULT;
		if (r < 0)
			log_error("cannot build the PVH start info: %s", strerror(-r));
		r = r < 0 ? r : 0;
	} else if (r == 0) {
		struct boot_params *bp = gpa_to_hva(vm, X86_BOOT_PARAMS_ADDR, sizeof(*bp));

		r = bp ? x86_boot_params_build(bp, k.is_bzimage ? &k.bz : NULL, &info)
		       : -EFAULT;
		if (r < 0)
			log_error("cannot build boot_params: %s", strerror(-r));
	}
	free(file);
	return r;
}
