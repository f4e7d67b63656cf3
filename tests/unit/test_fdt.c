// SPDX-License-Identifier: GPL-2.0
/*
 * Device tree builder tests. Each blob is decoded back twice: by dtc
 * (Debian's device-tree-compiler, an independent parser that also lints
 * the tree) and by libfdt lookups for exact values.
 */
#include <errno.h>
#include <libfdt.h>
#include <unistd.h>

#include "firmware/fdt.h"
#include "test.h"

static u8 blob[DTB_MAX_SIZE];
static char dts[32 * 1024];
static u64 mpidr[8] = { 0x80000000, 0x80000001, 0x80000002, 0x80000003,
			0x80000004, 0x80000005, 0x80000006, 0x80000007 };

static struct dtb_info info_v3(u32 nr_cpus)
{
	return (struct dtb_info){
		.ram_base = 0x80000000, .ram_size = 256 * MiB,
		.nr_cpus = nr_cpus, .mpidr = mpidr,
		.gic_version = 3,
		.gic_dist_base = 0x08000000, .gic_dist_size = 0x10000,
		.gic_cpu_base = 0x0c000000, .gic_cpu_size = nr_cpus * 0x20000ULL,
		.uart_base = 0x09000000, .uart_size = 0x1000, .uart_spi = 1,
		.uart_clock = 1843200,
		.pvpanic_base = 0x09001000, .pvpanic_size = 2,
		.gpio_base = 0x09003000, .gpio_size = 0x1000, .gpio_spi = 2, .power_key_pin = 3,
		.cmdline = "console=ttyS0 quiet",
		.initrd_start = 0x8f000000, .initrd_end = 0x8f100000,
	};
}

/* The arm64 machine's PCI host (hw/arm64/layout.h). */
static const struct dtb_pci_host pci_host = {
	.ecam_base = 0x30000000, .bus_start = 0, .bus_end = 0,
	.mem_base = 0x10000000, .mem_size = 0x20000000,
	.intx_spi = 64, .intx_lines = 32,
};

static struct dtb_info info_v2(u32 nr_cpus)
{
	struct dtb_info i = info_v3(nr_cpus);

	i.gic_version = 2;
	i.gic_dist_size = 0x1000;
	i.gic_cpu_base = 0x08010000;
	i.gic_cpu_size = 0x2000;
	return i;
}

/* dtc -I dtb -O dts of the blob into dts[] (stderr too); its exit status. */
static int decode(const u8 *p, int len)
{
	char path[] = "/tmp/vmm-test-fdt-XXXXXX", cmd[128];
	int fd = mkstemp(path), status;
	size_t n = 0;
	FILE *f;

	if (fd < 0 || write(fd, p, len) != len)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o - %s 2>&1", path);
	f = popen(cmd, "r");
	if (f) {
		n = fread(dts, 1, sizeof(dts) - 1, f);
		status = pclose(f);
	} else {
		status = -1;
	}
	dts[n] = 0;
	unlink(path);
	return status;
}

#define ASSERT_DTS_HAS(s) \
	TEST_ASSERT(strstr(dts, s), "dtc output lacks '%s':\n%s", s, dts)
#define ASSERT_DTS_LACKS(s) \
	TEST_ASSERT(!strstr(dts, s), "dtc output has '%s':\n%s", s, dts)

/* Build @info's blob into blob[] (its size in n) and decode it into dts[]. */
#define BUILD_AND_DECODE(info) do {						\
	n = dtb_build(blob, sizeof(blob), info);				\
	TEST_ASSERT(n > 0, "dtb_build = %d", n);				\
	TEST_ASSERT_EQ(decode(blob, n), 0);					\
} while (0)

static u32 prop_u32(const void *fdt, const char *path, const char *name, int idx)
{
	int off = fdt_path_offset(fdt, path), len;
	const fdt32_t *v = off < 0 ? NULL : fdt_getprop(fdt, off, name, &len);

	return v && (idx + 1) * 4 <= len ? fdt32_to_cpu(v[idx]) : 0xdeadbeef;
}

TEST(fdt_gicv3_machine_decodes_with_dtc_cleanly)
{
	struct dtb_info i = info_v3(2);
	int n = dtb_build(blob, sizeof(blob), &i);

	TEST_ASSERT(n > 0 && n < (int)sizeof(blob), "dtb_build = %d", n);
	TEST_ASSERT_EQ(decode(blob, n), 0);
	/* dtc's checks print "Warning (...)" for a malformed tree. */
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("#address-cells = <0x02>;");
	ASSERT_DTS_HAS("memory@80000000 {");
	ASSERT_DTS_HAS("reg = <0x00 0x80000000 0x00 0x10000000>;");
	ASSERT_DTS_HAS("cpu@0 {");
	ASSERT_DTS_HAS("cpu@1 {");
	ASSERT_DTS_LACKS("cpu@2 {");
	ASSERT_DTS_HAS("enable-method = \"psci\";");
	ASSERT_DTS_HAS("compatible = \"arm,psci-1.0\\0arm,psci-0.2\";");
	ASSERT_DTS_HAS("method = \"hvc\";");
	ASSERT_DTS_HAS("compatible = \"arm,armv8-timer\";");
	ASSERT_DTS_HAS("interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;");
	ASSERT_DTS_HAS("intc@8000000 {");
	ASSERT_DTS_HAS("compatible = \"arm,gic-v3\";");
	ASSERT_DTS_HAS("#interrupt-cells = <0x03>;");
	ASSERT_DTS_HAS("interrupt-controller;");
	ASSERT_DTS_HAS("reg = <0x00 0x8000000 0x00 0x10000 0x00 0xc000000 0x00 0x40000>;");
	ASSERT_DTS_HAS("serial@9000000 {");
	ASSERT_DTS_HAS("compatible = \"ns16550a\";");
	ASSERT_DTS_HAS("interrupts = <0x00 0x01 0x04>;");
	ASSERT_DTS_HAS("clock-frequency = <0x1c2000>;");
	ASSERT_DTS_HAS("reg-shift = <0x00>;");
	ASSERT_DTS_HAS("reg-io-width = <0x01>;");
	ASSERT_DTS_HAS("compatible = \"qemu,pvpanic-mmio\";");
	ASSERT_DTS_HAS("reg = <0x00 0x9001000 0x00 0x02>;");
	ASSERT_DTS_HAS("bootargs = \"console=ttyS0 quiet\";");
	ASSERT_DTS_HAS("stdout-path = \"/serial@9000000\";");
	ASSERT_DTS_HAS("linux,initrd-start = <0x00 0x8f000000>;");
	ASSERT_DTS_HAS("linux,initrd-end = <0x00 0x8f100000>;");
	ASSERT_DTS_HAS("serial0 = \"/serial@9000000\";");
}

/* QEMU virt's power key: gpio-keys on a PL061 pin, the PL061 clocked. */
TEST(fdt_power_key_is_gpio_keys_on_a_pl061)
{
	struct dtb_info i = info_v3(1);
	int n, gpio, clk;

	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("pl061@9003000 {");
	ASSERT_DTS_HAS("compatible = \"arm,pl061\\0arm,primecell\";");
	ASSERT_DTS_HAS("interrupts = <0x00 0x02 0x04>;");
	ASSERT_DTS_HAS("gpio-controller;");
	ASSERT_DTS_HAS("clock-names = \"apb_pclk\";");
	ASSERT_DTS_HAS("compatible = \"fixed-clock\";");
	ASSERT_DTS_HAS("compatible = \"gpio-keys\";");
	ASSERT_DTS_HAS("linux,code = <0x74>;");
	gpio = fdt_path_offset(blob, "/pl061@9003000");
	clk = fdt_path_offset(blob, "/apb-pclk");
	TEST_ASSERT(gpio >= 0 && clk >= 0, "nodes: %d %d", gpio, clk);
	TEST_ASSERT_EQ(prop_u32(blob, "/pl061@9003000", "clocks", 0), fdt_get_phandle(blob, clk));
	TEST_ASSERT_EQ(prop_u32(blob, "/gpio-keys/poweroff", "gpios", 0),
		       fdt_get_phandle(blob, gpio));
	TEST_ASSERT_EQ(prop_u32(blob, "/gpio-keys/poweroff", "gpios", 1), 3);
	TEST_ASSERT_EQ(prop_u32(blob, "/pl061@9003000", "#gpio-cells", 0), 2);
}

TEST(fdt_every_interrupt_goes_to_the_gic)
{
	struct dtb_info i = info_v3(1);
	int n = dtb_build(blob, sizeof(blob), &i);
	int gic;

	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	TEST_ASSERT_EQ(fdt_check_header(blob), 0);
	gic = fdt_path_offset(blob, "/intc@8000000");
	TEST_ASSERT(gic >= 0, "no GIC node: %d", gic);
	TEST_ASSERT_EQ(prop_u32(blob, "/", "interrupt-parent", 0), fdt_get_phandle(blob, gic));
	TEST_ASSERT(fdt_get_phandle(blob, gic) != 0, "the GIC has no phandle");
}

TEST(fdt_cpu_reg_is_the_mpidr_affinity)
{
	u64 saved[3] = { mpidr[0], mpidr[1], mpidr[2] };
	struct dtb_info i = info_v3(3);
	int n;

	/* Aff1 and Aff2 count too; bit 31 (RES1) and the MT/U bits do not. */
	mpidr[0] = 0x80000000;
	mpidr[1] = 0x80000100;
	mpidr[2] = 0xc0010203;
	n = dtb_build(blob, sizeof(blob), &i);
	memcpy(mpidr, saved, sizeof(saved));
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus", "#address-cells", 0), 1);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@0", "reg", 0), 0);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@100", "reg", 0), 0x100);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@10203", "reg", 0), 0x10203);
}

TEST(fdt_aff3_needs_two_address_cells)
{
	u64 saved = mpidr[1];
	struct dtb_info i = info_v3(2);
	int n;

	mpidr[1] = 0x0100000000ULL | 0x80000000;
	n = dtb_build(blob, sizeof(blob), &i);
	mpidr[1] = saved;
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus", "#address-cells", 0), 2);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@100000000", "reg", 0), 1);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@100000000", "reg", 1), 0);
	TEST_ASSERT_EQ(decode(blob, n), 0);
	ASSERT_DTS_LACKS("Warning");
}

TEST(fdt_gicv2_machine_masks_ppis_to_its_cpus)
{
	struct dtb_info i = info_v2(4);
	int n = dtb_build(blob, sizeof(blob), &i);

	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	TEST_ASSERT_EQ(decode(blob, n), 0);
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("compatible = \"arm,cortex-a15-gic\";");
	ASSERT_DTS_LACKS("arm,gic-v3");
	ASSERT_DTS_HAS("reg = <0x00 0x8000000 0x00 0x1000 0x00 0x8010000 0x00 0x2000>;");
	/* arm,gic.yaml: PPI flags bits 8-15 are the target cpu mask. */
	ASSERT_DTS_HAS("interrupts = <0x01 0x0d 0xf04 0x01 0x0e 0xf04 0x01 0x0b 0xf04 0x01 0x0a 0xf04>;");
}

TEST(fdt_optional_nodes_are_left_out)
{
	struct dtb_info i = info_v3(1);
	int n;

	i.pvpanic_size = 0;
	i.gpio_size = 0;
	i.initrd_start = i.initrd_end = 0;
	i.cmdline = NULL;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("pvpanic");
	ASSERT_DTS_LACKS("pl061");
	ASSERT_DTS_LACKS("gpio-keys");
	ASSERT_DTS_LACKS("linux,initrd");
	ASSERT_DTS_LACKS("bootargs");
	ASSERT_DTS_HAS("stdout-path");
}

TEST(fdt_rng_seed_is_passed_through)
{
	static const u8 seed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct dtb_info i = info_v3(1);
	int n, off, len;
	const u8 *v;

	i.rng_seed = seed;
	i.rng_seed_len = sizeof(seed);
	n = dtb_build(blob, sizeof(blob), &i);
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	off = fdt_path_offset(blob, "/chosen");
	v = fdt_getprop(blob, off, "rng-seed", &len);
	TEST_ASSERT(v && len == 8 && !memcmp(v, seed, 8), "rng-seed len %d", len);
}

TEST(fdt_long_cmdline_survives_intact)
{
	static char line[2048];
	struct dtb_info i = info_v3(1);
	int n, len;
	const char *v;

	memset(line, 'a', sizeof(line) - 1);
	i.cmdline = line;
	n = dtb_build(blob, sizeof(blob), &i);
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	v = fdt_getprop(blob, fdt_path_offset(blob, "/chosen"), "bootargs", &len);
	TEST_ASSERT(v && len == (int)sizeof(line) && !strcmp(v, line), "bootargs len %d", len);
}

TEST(fdt_small_buffer_is_enospc)
{
	struct dtb_info i = info_v3(2);

	TEST_ASSERT_EQ(dtb_build(blob, 256, &i), -ENOSPC);
}

TEST(fdt_max_cpus_fit_in_the_buffer)
{
	static u64 many[512];
	struct dtb_info i = info_v3(512);
	int n;

	for (u32 c = 0; c < 512; c++)	/* KVM's MPIDR: Aff0 0-15, Aff1 the rest */
		many[c] = 0x80000000 | (c & 0xf) | (c >> 4) << 8;
	i.mpidr = many;
	i.pci = &pci_host;
	n = dtb_build(blob, sizeof(blob), &i);
	TEST_ASSERT(n > 0 && n <= (int)DTB_MAX_SIZE, "dtb_build = %d", n);
	TEST_ASSERT_EQ(prop_u32(blob, "/cpus/cpu@1f0f", "reg", 0), 0x1f0f);
}

TEST(fdt_impossible_machines_are_einval)
{
	struct dtb_info i = info_v3(1);

	i.nr_cpus = 0;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	i = info_v3(1);
	i.gic_version = 4;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	i = info_v2(8);
	TEST_ASSERT(dtb_build(blob, sizeof(blob), &i) > 0, "8 cpus fit GICv2");
	i = info_v2(8);
	i.nr_cpus = 9;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
}

/* The nodes vmm's arm64 machine makes for its disks and rng (hw/arm64/boot.c). */
TEST(fdt_virtio_mmio_nodes_are_edge_spis_on_the_gic)
{
	static const struct dtb_virtio_mmio v[2] = {
		{ 0x0a000000, 0x200, 16 }, { 0x0a000200, 0x200, 17 },
	};
	struct dtb_info i = info_v3(1);
	int n, off, len, count = 0;
	const fdt32_t *irq;

	i.virtio = v;
	i.nr_virtio = 2;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("virtio_mmio@a000000 {");
	ASSERT_DTS_HAS("virtio_mmio@a000200 {");
	ASSERT_DTS_LACKS("virtio_mmio@a000400");
	ASSERT_DTS_HAS("compatible = \"virtio,mmio\";");
	ASSERT_DTS_HAS("reg = <0x00 0xa000000 0x00 0x200>;");
	ASSERT_DTS_HAS("reg = <0x00 0xa000200 0x00 0x200>;");
	/* GIC_SPI, SPI 16/17 (interrupt ids 48/49), IRQ_TYPE_EDGE_RISING */
	ASSERT_DTS_HAS("interrupts = <0x00 0x10 0x01>;");
	ASSERT_DTS_HAS("interrupts = <0x00 0x11 0x01>;");
	ASSERT_DTS_HAS("dma-coherent;");

	/* Exactly two, in order, found the way Linux's virtio_mmio driver does. */
	for (off = fdt_node_offset_by_compatible(blob, -1, "virtio,mmio"); off >= 0;
	     off = fdt_node_offset_by_compatible(blob, off, "virtio,mmio")) {
		TEST_ASSERT(count < 2, "more virtio,mmio nodes than devices");
		irq = fdt_getprop(blob, off, "interrupts", &len);
		TEST_ASSERT(irq && len == 12, "interrupts len %d", len);
		TEST_ASSERT_EQ(fdt32_to_cpu(irq[1]), v[count].spi);
		TEST_ASSERT_EQ(fdt32_to_cpu(irq[2]), 1u);
		/* interrupt-parent is inherited from the root: the GIC. */
		TEST_ASSERT(!fdt_getprop(blob, off, "interrupt-parent", NULL), "own parent");
		count++;
	}
	TEST_ASSERT_EQ(count, 2);
	TEST_ASSERT_EQ(prop_u32(blob, "/virtio_mmio@a000200", "reg", 1), 0x0a000200u);
	TEST_ASSERT_EQ(prop_u32(blob, "/virtio_mmio@a000200", "reg", 3), 0x200u);
}

TEST(fdt_no_virtio_no_nodes_and_all_fit)
{
	static struct dtb_virtio_mmio v[DTB_MAX_VIRTIO];
	struct dtb_info i = info_v3(2);
	int n;

	n = dtb_build(blob, sizeof(blob), &i);
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	TEST_ASSERT(fdt_node_offset_by_compatible(blob, -1, "virtio,mmio") < 0,
		    "a virtio,mmio node without devices");

	for (u32 k = 0; k < DTB_MAX_VIRTIO; k++)
		v[k] = (struct dtb_virtio_mmio){ 0x0a000000 + k * 0x200ULL, 0x200, 16 + k };
	i.virtio = v;
	i.nr_virtio = DTB_MAX_VIRTIO;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("Warning");
	TEST_ASSERT_EQ(prop_u32(blob, "/virtio_mmio@a001e00", "interrupts", 1), 31u);
}

/* The ECAM host bridge Linux's pci-host-generic driver binds (hw/arm64/boot.c). */
TEST(fdt_pci_host_decodes_with_dtc_cleanly)
{
	struct dtb_info i = info_v3(2);
	int n;

	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("pcie@");

	for (int v = 3; v >= 2; v--) {
		i = v == 3 ? info_v3(2) : info_v2(2);
		i.pci = &pci_host;
		BUILD_AND_DECODE(&i);
		/* dtc checks PCI bridges and interrupt-map against the GIC. */
		ASSERT_DTS_LACKS("Warning");
		ASSERT_DTS_HAS("pcie@30000000 {");
		ASSERT_DTS_HAS("compatible = \"pci-host-ecam-generic\";");
		ASSERT_DTS_HAS("device_type = \"pci\";");
		ASSERT_DTS_HAS("#address-cells = <0x03>;");
		ASSERT_DTS_HAS("#interrupt-cells = <0x01>;");
		ASSERT_DTS_HAS("bus-range = <0x00 0x00>;");
		ASSERT_DTS_HAS("reg = <0x00 0x30000000 0x00 0x100000>;");
		/* 32-bit memory, PCI 0x10000000 = CPU 0x10000000, 512 MiB. */
		ASSERT_DTS_HAS("ranges = <0x2000000 0x00 0x10000000 0x00 0x10000000 0x00 0x20000000>;");
		ASSERT_DTS_HAS("interrupt-map-mask = <0xf800 0x00 0x00 0x07>;");
		/* Slot 0 INTA#: GIC (phandle 1), unit address 0 0, SPI 64, level. */
		ASSERT_DTS_HAS("interrupt-map = <0x00 0x00 0x00 0x01 0x01 0x00 0x00 0x00 0x40 0x04 ");
		/* Slot 1 INTB#: SPI 66. */
		ASSERT_DTS_HAS(" 0x800 0x00 0x00 0x02 0x01 0x00 0x00 0x00 0x42 0x04 ");
		ASSERT_DTS_LACKS("msi-parent");
	}
	TEST_ASSERT(fdt_getprop(blob, fdt_path_offset(blob, "/pcie@30000000"), "dma-coherent",
				NULL), "dma-coherent");
}

/* With an ITS: a child of the GIC, and the PCI host's msi-map points at it. */
TEST(fdt_its_node_and_pci_msi_map)
{
	struct dtb_info i = info_v3(2);
	int n, its;

	i.pci = &pci_host;
	i.gic_its_base = 0x08080000;
	i.gic_its_size = 0x20000;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("its@8080000 {");
	ASSERT_DTS_HAS("compatible = \"arm,gic-v3-its\";");
	ASSERT_DTS_HAS("msi-controller;");
	ASSERT_DTS_HAS("#msi-cells = <0x01>;");
	ASSERT_DTS_HAS("reg = <0x00 0x8080000 0x00 0x20000>;");
	its = fdt_path_offset(blob, "/intc@8000000/its@8080000");
	TEST_ASSERT(its >= 0, "no /intc@8000000/its@8080000: %d", its);
	/* Requester ids 0-0xffff map 1:1 onto the ITS's device ids. */
	TEST_ASSERT_EQ(prop_u32(blob, "/pcie@30000000", "msi-map", 0), 0u);
	TEST_ASSERT_EQ(prop_u32(blob, "/pcie@30000000", "msi-map", 1),
		       fdt_get_phandle(blob, its));
	TEST_ASSERT_EQ(prop_u32(blob, "/pcie@30000000", "msi-map", 2), 0u);
	TEST_ASSERT_EQ(prop_u32(blob, "/pcie@30000000", "msi-map", 3), 0x10000u);

	/* GICv2 has no ITS: neither node nor map, whatever the caller says. */
	i = info_v2(2);
	i.pci = &pci_host;
	i.gic_its_base = 0x08080000;
	i.gic_its_size = 0x20000;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("its@");
	ASSERT_DTS_LACKS("msi-map");
}

/*
 * Decoded as Linux's of_irq_parse_raw() does: per entry the child unit
 * address (3 cells) and pin, the parent's phandle, as many unit address
 * cells as the parent's #address-cells, then its 3-cell specifier.
 */
TEST(fdt_pci_interrupt_map_routes_every_slot_and_pin)
{
	struct dtb_info i = info_v3(1);
	const fdt32_t *map;
	u32 gic_phandle, gic_acells, stride;
	int n, off, gic, len, spi[32][4];

	i.pci = &pci_host;
	n = dtb_build(blob, sizeof(blob), &i);
	TEST_ASSERT(n > 0, "dtb_build = %d", n);
	off = fdt_node_offset_by_compatible(blob, -1, "pci-host-ecam-generic");
	TEST_ASSERT(off >= 0, "no pci-host-ecam-generic node");
	TEST_ASSERT(fdt_node_offset_by_compatible(blob, off, "pci-host-ecam-generic") < 0,
		    "two hosts");
	gic = fdt_path_offset(blob, "/intc@8000000");
	TEST_ASSERT(gic >= 0, "no GIC");
	gic_phandle = fdt_get_phandle(blob, gic);
	gic_acells = prop_u32(blob, "/intc@8000000", "#address-cells", 0);
	TEST_ASSERT_EQ(prop_u32(blob, "/intc@8000000", "#interrupt-cells", 0), 3u);
	stride = 3 + 1 + 1 + gic_acells + 3;
	TEST_ASSERT_EQ(prop_u32(blob, "/pcie@30000000", "#interrupt-cells", 0), 1u);

	map = fdt_getprop(blob, off, "interrupt-map", &len);
	TEST_ASSERT(map, "no interrupt-map");
	TEST_ASSERT_EQ(len, (int)(32 * 4 * stride * 4));
	for (int e = 0; e < 32 * 4; e++, map += stride) {
		u32 slot = fdt32_to_cpu(map[0]) >> 11, pin = fdt32_to_cpu(map[3]);

		TEST_ASSERT(fdt32_to_cpu(map[0]) == (u32)(e / 4) << 11 && !map[1] && !map[2] &&
			    pin == (u32)(e % 4) + 1, "entry %d: child 0x%x pin %u", e,
			    fdt32_to_cpu(map[0]), pin);
		TEST_ASSERT_EQ(fdt32_to_cpu(map[4]), gic_phandle);
		for (u32 c = 0; c < gic_acells; c++)
			TEST_ASSERT_EQ(fdt32_to_cpu(map[5 + c]), 0u);
		TEST_ASSERT_EQ(fdt32_to_cpu(map[5 + gic_acells]), 0u);	/* GIC_SPI */
		TEST_ASSERT_EQ(fdt32_to_cpu(map[7 + gic_acells]), 4u);	/* level high */
		spi[slot][pin - 1] = fdt32_to_cpu(map[6 + gic_acells]);
		TEST_ASSERT_EQ(spi[slot][pin - 1], 64 + (int)(slot + pin - 1) % 32);
	}
	/* Spelled out (ARM64_PCI_INTX_SPI): INTA# of slot s is SPI 64 + s. */
	TEST_ASSERT_EQ(spi[0][0], 64);
	TEST_ASSERT_EQ(spi[5][0], 69);
	TEST_ASSERT_EQ(spi[31][0], 95);
	TEST_ASSERT_EQ(spi[3][2], 69);
	TEST_ASSERT_EQ(spi[31][3], 66);
}

TEST(fdt_impossible_pci_hosts_are_einval)
{
	struct dtb_info i = info_v3(1);
	struct dtb_pci_host h = pci_host;

	i.pci = &h;
	TEST_ASSERT(dtb_build(blob, sizeof(blob), &i) > 0, "the arm64 host fits");
	h.intx_lines = 0;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	h = pci_host;
	h.bus_start = 1;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	h = pci_host;
	h.mem_base = 0xf0000000;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	h = pci_host;
	h.mem_size = 0;
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
}

TEST(fdt_pmu_node_names_its_ppi)
{
	struct dtb_info i = info_v3(2);
	int n;

	i.pmu_ppi = 23;
	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("Warning");
	ASSERT_DTS_HAS("compatible = \"arm,armv8-pmuv3\";");
	/* GIC binding: PPI cells count from interrupt id 16, level high. */
	TEST_ASSERT_EQ(prop_u32(blob, "/pmu", "interrupts", 0), 1);
	TEST_ASSERT_EQ(prop_u32(blob, "/pmu", "interrupts", 1), 7);
	TEST_ASSERT_EQ(prop_u32(blob, "/pmu", "interrupts", 2), 4);
	/* On a GICv2 the PPI also names the cpus it reaches. */
	i = info_v2(2);
	i.pmu_ppi = 23;
	BUILD_AND_DECODE(&i);
	TEST_ASSERT_EQ(prop_u32(blob, "/pmu", "interrupts", 2), 0x304);
}

TEST(fdt_no_pmu_without_a_ppi_and_a_bad_ppi_is_einval)
{
	struct dtb_info i = info_v3(1);
	int n;

	BUILD_AND_DECODE(&i);
	ASSERT_DTS_LACKS("pmu");
	i.pmu_ppi = 40;		/* an SPI: not what the node can say */
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
	i.pmu_ppi = 15;		/* an SGI */
	TEST_ASSERT_EQ(dtb_build(blob, sizeof(blob), &i), -EINVAL);
}
