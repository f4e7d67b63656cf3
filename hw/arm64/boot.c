// SPDX-License-Identifier: GPL-2.0
/*
 * arch_load_kernel() for arm64 (Documentation/arm64/booting.rst): the Image
 * (or Image.gz, unpacked here) at a 2 MiB-aligned base + text_offset at the
 * start of RAM, the FDT in the top 2 MiB block of RAM, the initrd just below
 * it. The FDT itself is written once the vcpus exist (arm64_write_fdt).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pl061.h"
#include "devices/virtio/mmio.h"
#include "firmware/fdt.h"
#include "hw/arm64/image.h"
#include "hw/arm64/layout.h"
#include "hw/arm64/machine.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "util/file.h"
#include "util/log.h"

#define KERNEL_MAX_FILE		(256 * MiB)
#define ARM64_CMDLINE_MAX	2048	/* COMMAND_LINE_SIZE, with the NUL */

/* PCI bus 0 (hw/arm64/layout.h): pin p of slot s on SPI 64 + (s + p) % 32. */
static const struct dtb_pci_host pci_host = {
	.ecam_base = ARM64_PCI_ECAM_BASE,
	.bus_start = 0,
	.bus_end = 0,			/* the ECAM window is PCI_ECAM_SIZE: bus 0 */
	.mem_base = ARM64_PCI_MEM_BASE,
	.mem_size = ARM64_PCI_MEM_SIZE,
	.intx_spi = ARM64_PCI_INTX_SPI,
	.intx_lines = PCI_NR_SLOTS,
};

static u64 fdt_gpa(const struct vm_config *cfg)
{
	return ALIGN_DOWN(ARM64_RAM_BASE + cfg->ram_size - ARM64_FDT_MAX, ARM64_FDT_MAX);
}

static int load_image(struct vm *vm, const char *name, const u8 *img, size_t size,
		      u64 *kernel_end)
{
	struct arm64_machine *m = vm->arch;
	struct arm64_image hdr;
	const char *why = "";
	u8 *unpacked = NULL, *dst;
	bool flat;
	u64 base;
	int r;

	/* Image.gz: unpack it here (an arm64 Image cannot unpack itself). */
	if (arm64_is_gzip(img, size)) {
		r = arm64_gunzip(img, size, ARM64_KERNEL_MAX_UNPACKED, &unpacked, &size, &why);
		if (r < 0) {
			log_error("cannot unpack kernel '%s': %s", name, why);
			return r == -ENOMEM ? r : -EINVAL;
		}
		img = unpacked;
	}
	/* RAM starts 2 MiB aligned, so its start is the lowest possible base. */
	r = arm64_kernel_plan(img, size, fdt_gpa(vm->cfg) - ARM64_RAM_BASE, &hdr, &flat, &why);
	if (r < 0) {
		if (r == -ENOEXEC)
			log_error("'%s'%s is not an arm64 kernel: %s; vmm boots an Image, Image.gz "
				  "or flat binary", name, unpacked ? " (unpacked)" : "", why);
		else if (r == -E2BIG)
			log_error("kernel '%s' %s (--mem %llu MiB)", name, why,
				  (unsigned long long)(vm->cfg->ram_size >> 20));
		else
			log_error("bad kernel '%s': %s", name, why);
		free(unpacked);
		return r;
	}
	base = ARM64_RAM_BASE + hdr.text_offset;
	*kernel_end = base + MAX(hdr.image_size, (u64)size);
	dst = gpa_to_hva(vm, base, size);
	if (!dst) {
		free(unpacked);
		return -EFAULT;
	}
	/* A flat binary has no header to say it is one: say what vmm does with it. */
	if (flat)
		log_info("'%s' has no arm64 Image header: loading it as a flat binary at 0x%llx",
			 name, (unsigned long long)base);
	memcpy(dst, img, size);
	m->entry = base;
	log_debug("kernel '%s': %s%s, %zu bytes, text_offset 0x%llx, image_size 0x%llx, "
		  "page size code %llu, loaded at 0x%llx", name, flat ? "flat" : "Image",
		  unpacked ? ".gz" : "", size,
		  (unsigned long long)hdr.text_offset, (unsigned long long)hdr.image_size,
		  (unsigned long long)(hdr.flags >> IMAGE_FLAG_PAGE_SHIFT) & 3,
		  (unsigned long long)base);
	free(unpacked);
	return 0;
}

/* Just below the FDT's block, page aligned, clear of the kernel. */
static int load_initrd(struct vm *vm, u64 kernel_end)
{
	struct arm64_machine *m = vm->arch;
	const char *path = vm->cfg->initrd_path;
	u64 size, start, top = fdt_gpa(vm->cfg);
	void *dst;
	int fd, r;

	if (!path && !vm->cfg->initrd_data)
		return 0;
	/* vmm's own initramfs (--exec, --rootfs), or the file. */
	fd = -1;
	size = vm->cfg->initrd_len;
	if (!vm->cfg->initrd_data) {
		fd = file_open_sized("initrd", path, &size);
		if (fd < 0)
			return fd;
	}
	if (!path)
		path = "vmm's initramfs";
	if (size > top - kernel_end || ALIGN_DOWN(top - size, 4096) < kernel_end) {
		log_error("initrd '%s' (%llu MiB) does not fit beside the kernel in %llu MiB of RAM",
			  path, (unsigned long long)(size >> 20),
			  (unsigned long long)(vm->cfg->ram_size >> 20));
		if (fd >= 0)
			close(fd);
		return -E2BIG;
	}
	start = ALIGN_DOWN(top - size, 4096);
	dst = gpa_to_hva(vm, start, size);
	if (fd < 0) {
		r = dst ? 0 : -EFAULT;
		if (dst)
			memcpy(dst, vm->cfg->initrd_data, size);
	} else {
		r = dst ? file_read_fd("initrd", path, fd, dst, size) : -EFAULT;
		close(fd);
	}
	if (r == 0) {
		m->initrd_start = start;
		m->initrd_end = start + size;
	}
	return r;
}

/* vmm's words, then the user's; --exact-cmdline: the user's alone. */
static int make_cmdline(struct vm *vm)
{
	struct arm64_machine *m = vm->arch;
	const char *def = arch_default_cmdline(vm->cfg);
	const char *user = vm->cfg->cmdline;
	int r;

	if (vm->cfg->exact_cmdline) {
		log_debug("--exact-cmdline: vmm does not add: %s", def);
		r = asprintf(&m->cmdline, "%s", user ? user : "");
	} else {
		r = asprintf(&m->cmdline, "%s%s%s", def, user ? " " : "", user ? user : "");
	}
	if (r < 0) {
		m->cmdline = NULL;
		return -ENOMEM;
	}
	if (strlen(m->cmdline) >= ARM64_CMDLINE_MAX) {
		log_error("kernel command line is %zu bytes, the kernel accepts %u",
			  strlen(m->cmdline), ARM64_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	log_debug("kernel command line: %s", m->cmdline);
	return 0;
}

int arch_load_kernel(struct vm *vm)
{
	struct arm64_machine *m = vm->arch;
	u64 kernel_end = 0;
	size_t size;
	u8 *file;
	int r;

	if (!vm->cfg->kernel_path) {
		log_error("no --kernel: on arm64 vmm has no built-in test guest "
			  "(pass an Image or Image.gz)");
		return -EINVAL;
	}
	r = file_read_all("kernel", vm->cfg->kernel_path, KERNEL_MAX_FILE, &file, &size);
	if (r < 0)
		return r == -EFBIG || r == -EINVAL ? -EINVAL : r;
	r = load_image(vm, vm->cfg->kernel_path, file, size, &kernel_end);
	free(file);
	if (r == 0)
		r = load_initrd(vm, kernel_end);
	if (r == 0)
		r = make_cmdline(vm);
	m->fdt_gpa = fdt_gpa(vm->cfg);
	return r;
}

int arm64_write_fdt(struct vm *vm)
{
	struct arm64_machine *m = vm->arch;
	struct dtb_virtio_mmio virtio[DTB_MAX_VIRTIO];
	u8 seed[64];
	struct dtb_info info = {
		.ram_base = ARM64_RAM_BASE,
		.ram_size = vm->cfg->ram_size,
		.nr_cpus = vm->nr_vcpus,
		.mpidr = m->mpidr,
		.gic_version = m->gic_version,
		.gic_dist_base = ARM64_GIC_DIST_BASE,
		.gic_dist_size = m->gic_version == 3 ? ARM64_GIC_DIST_SIZE :
						       ARM64_GIC_V2_DIST_SIZE,
		.gic_cpu_base = m->gic_version == 3 ? ARM64_GIC_REDIST_BASE :
						      ARM64_GIC_CPU_BASE,
		.gic_cpu_size = m->gic_version == 3 ?
				vm->nr_vcpus * ARM64_GIC_REDIST_SIZE : ARM64_GIC_CPU_SIZE,
		.gic_its_base = ARM64_GIC_ITS_BASE,
		.gic_its_size = m->its_fd >= 0 ? ARM64_GIC_ITS_SIZE : 0,
		.pmu_ppi = vm->cfg->pmu ? ARM64_PMU_PPI : 0,
		.uart_base = ARM64_UART_BASE,
		.uart_size = ARM64_UART_SIZE,
		.uart_spi = ARM64_UART_SPI,
		.uart_clock = ARM64_UART_CLOCK,
		.pvpanic_base = ARM64_PVPANIC_BASE,
		.pvpanic_size = ARM64_PVPANIC_SIZE,
		.gpio_base = ARM64_GPIO_BASE,
		.gpio_size = PL061_SIZE,
		.gpio_spi = ARM64_GPIO_SPI,
		.power_key_pin = ARM64_POWER_KEY_PIN,
		.pci = &pci_host,
		.virtio = virtio,
		.nr_virtio = 0,
		.cmdline = m->cmdline,
		.initrd_start = m->initrd_start,
		.initrd_end = m->initrd_end,
	};
	void *dst = gpa_to_hva(vm, m->fdt_gpa, DTB_MAX_SIZE);
	int r;

	/* Devices on PCI are found by the bus scan, not the device tree. */
	for (unsigned int i = 0; i < vm->nr_virtio && info.nr_virtio < DTB_MAX_VIRTIO; i++)
		if (vm->virtio[i].mmio)
			virtio[info.nr_virtio++] = (struct dtb_virtio_mmio){
				vm->virtio[i].base, VIRTIO_MMIO_SIZE, vm->virtio[i].gsi };
	/* Seeds the guest's RNG at once (chosen.txt rng-seed); optional. */
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed)) {
		info.rng_seed = seed;
		info.rng_seed_len = sizeof(seed);
	}
	r = dst ? dtb_build(dst, DTB_MAX_SIZE, &info) : -EFAULT;
	if (r < 0) {
		log_error("cannot build the device tree: %s", strerror(-r));
		return r;
	}
	log_debug("device tree: %d bytes at 0x%llx, GICv%u", r,
		  (unsigned long long)m->fdt_gpa, m->gic_version);
	return 0;
}
