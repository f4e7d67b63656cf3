// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport on the PCI bus, driven the way Linux's
 * virtio_pci_modern driver does: capabilities found by walking the list,
 * everything else through BAR 0 on the MMIO bus. vm_fd = -1 (kicks trap,
 * MSIs and INTx are only counted) unless a test wants fake_kvm to see
 * routes, irqfds, ioeventfds and line levels.
 */
#include <errno.h>
#include <stddef.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices/virtio/pci.h"
#include "devices/virtio/rng.h"
#include "kvm/irq.h"
#include "fake_kvm.h"
#include "test.h"
#include "virtio_echo.h"
#include "virtio_guest.h"

#define QSIZE	ECHO_QSIZE
#define S_ACK	VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV	VIRTIO_CONFIG_S_DRIVER
#define S_FOK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK	VIRTIO_CONFIG_S_DRIVER_OK
#define F_V1	(1ULL << VIRTIO_F_VERSION_1)
#define NO_VEC	VIRTIO_MSI_NO_VECTOR
#define NR_VECS	3			/* echo: 2 queues + config */

static struct guest g;
static struct pci_bus *bus;
static struct virtio_pci *vp;
static bool fake;

#include "vpci_driver.h"

static bool start_ops(bool msi, bool with_fake, const struct virtio_dev_ops *ops, void *opaque)
{
	int err = 0;

	guest_init(&g, QSIZE);
	g.vm.msi = msi;
	fake = with_fake;
	if (fake)
		g.vm.vm_fd = fake_kvm_open();
	memset(&echo, 0, sizeof(echo));
	bus = pg_bus_create(&g, 0);
	if (!bus)
		return false;
	vp = virtio_pci_create(&g.vm, bus, ops, opaque, &err);
	if (!vp)
		return false;
	for (slot = 1; slot < PCI_NR_SLOTS; slot++)
		if (cfg_rd(PCI_VENDOR_ID, 2) == 0x1af4)
			break;
	discover();
	return true;
}

static bool start(bool msi)
{
	return start_ops(msi, false, &echo_ops, &echo);
}

static void stop(void)
{
	virtio_pci_destroy(vp);
	vp = NULL;
	pci_bus_destroy(bus);
	bus = NULL;
	irq_routing_free(&g.vm);
	if (fake)
		fake_kvm_close(&g.vm);
	guest_free(&g);
}

/* Reset, then Linux's probe order (3.1.1) with queue 0; the final status. */
static u8 driver_init(u64 features)
{
	/* pci_enable_device() + pci_set_master(), as Linux's probe does. */
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	set_status(0);
	memset(g.ram, 0, 0x10000);
	g.avail_idx = 0;
	set_status(S_ACK);
	set_status(S_ACK | S_DRV);
	set_features(features);
	set_status(S_ACK | S_DRV | S_FOK);
	if (!(status() & S_FOK))
		return status();
	setup_queue(0, g.desc, g.avail, g.used);
	set_status(S_ACK | S_DRV | S_FOK | S_DOK);
	return status();
}

static void kick0(void)
{
	vpci_kick(0);
}

static bool request(void)
{
	return echo_once(&g, kick0);
}

/* Wait (up to 5 s) for the interrupt count to reach @n. */
static bool wait_irqs(u64 n)
{
	for (int i = 0; i < 5000 && virtio_pci_nr_irqs(vp) < n; i++)
		usleep(1000);
	return virtio_pci_nr_irqs(vp) >= n;
}

TEST(vpci_identifies_as_a_modern_device)
{
	TEST_ASSERT(start(true), "start");
	TEST_ASSERT(slot == 1, "slot %u", slot);
	TEST_ASSERT_EQ(cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + ECHO_DEVICE_ID);
	TEST_ASSERT_EQ(cfg_rd(PCI_REVISION_ID, 1), 1);
	TEST_ASSERT_EQ(cfg_rd(PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	TEST_ASSERT(cfg_rd(PCI_SUBSYSTEM_ID, 2) >= 0x40, "subsystem id %#x",
		    cfg_rd(PCI_SUBSYSTEM_ID, 2));
	TEST_ASSERT_EQ(cfg_rd(PCI_CLASS_REVISION, 4) >> 8, 0xff0000);
	TEST_ASSERT_EQ(cfg_rd(PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	TEST_ASSERT_EQ(cfg_rd(PCI_INTERRUPT_PIN, 1), 1);
	TEST_ASSERT_EQ(pg_bar_size(&g, slot, 0), VIRTIO_PCI_BAR_SIZE);
	TEST_ASSERT_EQ(pg_bar(&g, slot, 0), c.bar);
	TEST_ASSERT(c.bar >= PG_MEM_BASE && c.bar < PG_MEM_BASE + PG_MEM_SIZE, "BAR %#llx",
		    (unsigned long long)c.bar);
	TEST_ASSERT_EQ(cc_rd(CC(num_queues), 2), 2);
	TEST_ASSERT_EQ(device_features(), F_V1 | (1ULL << 3) | (1ULL << 28) | (1ULL << 29));
	cc_wr(CC(device_feature_select), 4, 2);
	TEST_ASSERT_EQ(cc_rd(CC(device_feature), 4), 0);
	cc_wr(CC(device_feature_select), 4, 0xffffffff);
	TEST_ASSERT_EQ(cc_rd(CC(device_feature), 4), 0);
	stop();
}

TEST(vpci_capabilities_are_found_by_walking_the_list)
{
	for (int msi = 0; msi < 2; msi++) {
		TEST_ASSERT(start(msi), "start");
		TEST_ASSERT(c.common > 0 && c.isr > 0 && c.device > 0 && c.notify > 0 &&
			    c.pcicfg > 0, "caps %d %d %d %d %d", c.common, c.isr, c.device,
			    c.notify, c.pcicfg);
		TEST_ASSERT(c.common_len >= sizeof(struct virtio_pci_common_cfg), "common %u",
			    c.common_len);
		TEST_ASSERT(c.common_off + c.common_len <= VIRTIO_PCI_BAR_SIZE, "common");
		TEST_ASSERT_EQ(c.device_len, sizeof(echo.config));
		/* The last queue's notify_off * multiplier + 2 bytes fit. */
		TEST_ASSERT(c.notify_len >= c.mult + 2, "notify length %u", c.notify_len);
		TEST_ASSERT(c.mult == VIRTIO_PCI_NOTIFY_MULT, "multiplier %u", c.mult);
		TEST_ASSERT(cfg_rd(c.notify + VIRTIO_PCI_CAP_LEN, 1) >=
			    sizeof(struct virtio_pci_notify_cap), "notify cap_len");
		TEST_ASSERT(cfg_rd(c.pcicfg + VIRTIO_PCI_CAP_LEN, 1) >=
			    sizeof(struct virtio_pci_cfg_cap), "pci_cfg cap_len");
		/* Every region a cap names lies inside BAR 0. */
		TEST_ASSERT(c.isr_off + 1 <= VIRTIO_PCI_BAR_SIZE &&
			    c.device_off + c.device_len <= VIRTIO_PCI_BAR_SIZE &&
			    c.notify_off + c.notify_len <= VIRTIO_PCI_BAR_SIZE, "outside BAR 0");
		if (msi) {
			TEST_ASSERT(c.msix > 0, "no MSI-X cap");
			TEST_ASSERT_EQ(c.msix_size, NR_VECS);
			TEST_ASSERT_EQ(c.msix_table & PCI_MSIX_TABLE_BIR, 0);
			TEST_ASSERT_EQ(c.msix_pba & PCI_MSIX_PBA_BIR, 0);
			TEST_ASSERT(c.msix_table + NR_VECS * 16 <= VIRTIO_PCI_BAR_SIZE &&
				    c.msix_pba + 8 <= VIRTIO_PCI_BAR_SIZE, "MSI-X outside BAR 0");
			/* Off at reset, and only enable/mask-all are writable. */
			TEST_ASSERT_EQ(cfg_rd(c.msix + PCI_MSIX_FLAGS, 2), NR_VECS - 1);
			cfg_wr(c.msix + PCI_MSIX_FLAGS, 2, 0xffff);
			TEST_ASSERT_EQ(cfg_rd(c.msix + PCI_MSIX_FLAGS, 2), PCI_MSIX_FLAGS_ENABLE |
				       PCI_MSIX_FLAGS_MASKALL | (NR_VECS - 1));
			cfg_wr(c.msix + PCI_MSIX_TABLE, 4, 0x1234567);
			TEST_ASSERT_EQ(cfg_rd(c.msix + PCI_MSIX_TABLE, 4), c.msix_table);
		} else {
			TEST_ASSERT(c.msix == -1, "MSI-X cap without MSI: %d", c.msix);
		}
		/* The cap bodies are read-only (but the PCI_CFG window). */
		cfg_wr(c.common + VIRTIO_PCI_CAP_OFFSET, 4, 0x7000);
		cfg_wr(c.notify + sizeof(struct virtio_pci_cap), 4, 0);
		TEST_ASSERT_EQ(cfg_rd(c.common + VIRTIO_PCI_CAP_OFFSET, 4), c.common_off);
		TEST_ASSERT_EQ(cfg_rd(c.notify + sizeof(struct virtio_pci_cap), 4), c.mult);
		stop();
	}
}

TEST(vpci_handshake_request_and_intx)
{
	u64 irqs;

	TEST_ASSERT(start(false), "start");
	TEST_ASSERT_EQ(status(), 0);
	cc_wr(CC(queue_select), 2, 1);
	TEST_ASSERT_EQ(cc_rd(CC(queue_size), 2), QSIZE);
	TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_notify_off), 2) * c.mult + 2 <= c.notify_len, 1);
	TEST_ASSERT(driver_init(F_V1 | (1ULL << 3)) & S_DOK, "init");
	cc_wr(CC(guest_feature_select), 4, 0);
	TEST_ASSERT_EQ(cc_rd(CC(guest_feature), 4), 1u << 3);
	cc_wr(CC(guest_feature_select), 4, 1);
	TEST_ASSERT_EQ(cc_rd(CC(guest_feature), 4), 1);
	cc_wr(CC(queue_select), 2, 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 1);
	TEST_ASSERT_EQ(cc_rd(CC(queue_desc_lo), 4), g.desc);
	TEST_ASSERT_EQ(cc_rd(CC(queue_avail_lo), 4), g.avail);
	TEST_ASSERT_EQ(cc_rd(CC(queue_used_lo), 4), g.used);
	TEST_ASSERT_EQ(cc_rd(CC(queue_used_hi), 4), 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), NO_VEC);

	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(irqs + 1), "no interrupt");
	TEST_ASSERT(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "INTx not asserted");
	/* 4.1.4.5: the read returns the bits and clears them, INTx goes low. */
	TEST_ASSERT_EQ(isr(), VIRTIO_ISR_VQ);
	TEST_ASSERT_EQ(isr(), 0);
	TEST_ASSERT_EQ(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	/* Only the first byte is the ISR; writes do nothing. */
	irqs = virtio_pci_nr_irqs(vp);
	for (int i = 0; i < 20; i++)
		TEST_ASSERT(request(), "request %d", i);
	TEST_ASSERT(wait_irqs(irqs + 20), "interrupts");
	TEST_ASSERT_EQ(rd(c.isr_off + 1, 1), 0);
	wr(c.isr_off, 1, 0);
	TEST_ASSERT_EQ(rd(c.isr_off, 4), VIRTIO_ISR_VQ);
	TEST_ASSERT_EQ(isr(), 0);
	stop();
}

TEST(vpci_features_ok_needs_version_1)
{
	TEST_ASSERT(start(true), "start");
	TEST_ASSERT(!(driver_init(1ULL << 3) & S_FOK), "legacy driver accepted");
	TEST_ASSERT(!(driver_init(F_V1 | (1ULL << 5)) & S_FOK), "unoffered feature accepted");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "modern driver refused");
	/* Frozen after FEATURES_OK. */
	set_features(F_V1 | (1ULL << 3));
	TEST_ASSERT_EQ(echo.dev->guest_features, F_V1);
	TEST_ASSERT(request(), "request");
	stop();
}

/*
 * A started device with MSI-X on, every vector aimed at 0x40 + v (vector
 * @masked masked, or none for NR_VECS), driver up, queue 0 on vector @qvec.
 */
static bool msix_start(unsigned int masked, u16 qvec)
{
	if (!start(true))
		return false;
	for (unsigned int v = 0; v < NR_VECS; v++)
		msix_entry(v, 0x40 + v, v == masked);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	if (!(driver_init(F_V1) & S_DOK))
		return false;
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_msix_vector), 2, qvec);
	return true;
}

/* Wait (up to 5 s) for the PBA to read @bits. */
static bool wait_pba(u64 bits)
{
	for (int i = 0; i < 5000 && pba() != bits; i++)
		usleep(1000);
	return pba() == bits;
}

TEST(vpci_msix_interrupts_are_counted_per_vector)
{
	u64 irqs;

	TEST_ASSERT(start(true), "start");
	for (unsigned int v = 0; v < NR_VECS; v++)
		msix_entry(v, 0x40 + v, false);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	/* Linux assigns vectors before DRIVER_OK; after works as well. */
	cc_wr(CC(msix_config), 2, 0);
	TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), 0);
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_msix_vector), 2, 1);
	TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), 1);
	/* The table reads back what was written. */
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + PCI_MSIX_ENTRY_DATA, 4), 0x41);
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + PCI_MSIX_ENTRY_LOWER_ADDR, 4), MSI_ADDR);
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);

	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(irqs + 1), "no MSI");
	TEST_ASSERT_EQ(pba(), 0);
	/* With MSI-X on, INTx stays low. */
	TEST_ASSERT_EQ(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	/* A queue with no vector interrupts nobody (4.1.5.1.2). */
	cc_wr(CC(queue_msix_vector), 2, NO_VEC);
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request without vector");
	usleep(10000);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs);
	TEST_ASSERT_EQ(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	stop();
}

/* The stall report: the function, MSI-X or INTx, queue vectors, then the core's lines. */
TEST(vpci_dump_names_the_function_and_its_vectors)
{
	char *t = NULL;
	size_t len = 0;
	FILE *f;
	bool ok;

	TEST_ASSERT(msix_start(NR_VECS, 1), "start");
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(1), "no MSI");
	cc_wr(CC(queue_select), 2, 1);
	cc_wr(CC(queue_msix_vector), 2, NO_VEC);
	f = open_memstream(&t, &len);
	virtio_pci_dump(vp, f);
	fclose(f);
	ok = strstr(t, "virtio-echo: pci 00:01.0, interrupts by MSI-X: irqs_sent=1 isr_reads=0 "
		       "q0_vector=1 q1_vector=none\n") &&
	     strstr(t, "  q0: size=16 avail_idx=1 avail_seen=1 last_avail=1 waiting=0 used_idx=1") &&
	     strstr(t, " irqs=1 ") && strstr(t, "  q1: not ready");
	TEST_ASSERT(ok, "report:\n%s", t);
	free(t);
	stop();

	/* INTx: the driver's ISR reads are its acknowledgements. */
	TEST_ASSERT(start(false), "start");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(1), "no INTx");
	TEST_ASSERT_EQ(isr(), VIRTIO_ISR_VQ);
	f = open_memstream(&t, &len);
	virtio_pci_dump(vp, f);
	fclose(f);
	ok = strstr(t, "interrupts by INTx: irqs_sent=1 isr_reads=1\n");
	TEST_ASSERT(ok, "report:\n%s", t);
	free(t);
	stop();
}

/*
 * Bus Master Enable clear: the device takes no buffers and sends no MSI
 * (what a kexec'd kernel relies on); set again, the waiting request runs.
 */
TEST(vpci_no_dma_and_no_msi_without_bus_master)
{
	u64 out, in, irqs;
	u16 head, want;

	TEST_ASSERT(msix_start(NR_VECS, 1), "start");
	TEST_ASSERT(request(), "request with bus master");

	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	irqs = virtio_pci_nr_irqs(vp);
	out = guest_alloc(&g, 16);
	in = guest_alloc(&g, 16);
	head = (g.avail_idx * 2) % g.qsize;
	want = guest_used_idx(&g) + 1;
	memcpy(guest_ptr(&g, out), "hello", 5);
	memset(guest_ptr(&g, in), 0, 8);
	guest_chain(&g, head, (struct seg[]){ { out, 5, false }, { in, 8, true } }, 2);
	guest_publish(&g, head);
	kick0();
	usleep(50000);
	TEST_ASSERT_EQ(guest_used_idx(&g), (u16)(want - 1));
	TEST_ASSERT_EQ(*(u8 *)guest_ptr(&g, in), 0);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	TEST_ASSERT(guest_wait_used(&g, want), "the waiting request never ran");
	TEST_ASSERT(!memcmp(guest_ptr(&g, in), "hello", 5), "data");
	TEST_ASSERT(wait_irqs(irqs + 1), "no MSI after bus master");
	stop();
}

TEST(vpci_masked_vector_sets_its_pending_bit_until_unmasked)
{
	u64 irqs;

	TEST_ASSERT(msix_start(2, 2), "start");

	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_pba(1u << 2), "pba %llx", (unsigned long long)pba());
	TEST_ASSERT_EQ(rd(c.msix_pba, 1), 4);
	TEST_ASSERT_EQ(rd(c.msix_pba + 1, 1), 0);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs);
	/* Unmask: delivered, pending cleared. */
	wr(c.msix_table + 2 * 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs + 1);
	TEST_ASSERT_EQ(pba(), 0);
	/* Writes to the PBA are ignored. */
	wr(c.msix_pba, 4, 0xffffffff);
	TEST_ASSERT_EQ(pba(), 0);

	/* The function mask holds every vector the same way. */
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_pba(1u << 2), "pba %llx", (unsigned long long)pba());
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs + 1);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs + 2);
	TEST_ASSERT_EQ(pba(), 0);
	stop();
}

/* What a device raised before a reset is not delivered after it. */
TEST(vpci_reset_drops_pending_msix)
{
	u64 irqs;

	TEST_ASSERT(msix_start(2, 2), "start");
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_pba(1u << 2), "pba %llx", (unsigned long long)pba());
	cc_wr(CC(device_status), 1, 0);
	TEST_ASSERT_EQ(pba(), 0);
	wr(c.msix_table + 2 * 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	TEST_ASSERT_EQ(virtio_pci_nr_irqs(vp), irqs);
	stop();
}

TEST(vpci_vector_out_of_range_reads_no_vector)
{
	static const u16 bad[] = { NR_VECS, NR_VECS + 1, 0x7ff, 0x8000, 0xfffe };

	for (int msi = 0; msi < 2; msi++) {
		TEST_ASSERT(start(msi), "start");
		TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), NO_VEC);
		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
			cc_wr(CC(msix_config), 2, bad[i]);
			TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), NO_VEC);
			cc_wr(CC(queue_select), 2, 1);
			cc_wr(CC(queue_msix_vector), 2, bad[i]);
			TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), NO_VEC);
		}
		for (u16 v = 0; v < NR_VECS; v++) {
			cc_wr(CC(queue_msix_vector), 2, v);
			TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), msi ? v : NO_VEC);
			cc_wr(CC(msix_config), 2, v);
			TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), msi ? v : NO_VEC);
		}
		stop();
	}
}

TEST(vpci_reset_clears_vectors_and_queues)
{
	int resets;

	TEST_ASSERT(start(true), "start");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	cc_wr(CC(msix_config), 2, 0);
	for (u16 q = 0; q < 2; q++) {
		cc_wr(CC(queue_select), 2, q);
		cc_wr(CC(queue_msix_vector), 2, q + 1);
	}
	setup_queue(1, 0x20000, 0x21000, 0x22000);
	cc_wr(CC(device_feature_select), 4, 1);
	resets = echo.resets;
	set_status(0);
	TEST_ASSERT_EQ(status(), 0);
	TEST_ASSERT(echo.resets > resets, "backend not reset");
	TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), NO_VEC);
	TEST_ASSERT_EQ(cc_rd(CC(device_feature_select), 4), 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_select), 2), 0);
	for (u16 q = 0; q < 2; q++) {
		cc_wr(CC(queue_select), 2, q);
		TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), NO_VEC);
		TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 0);
		TEST_ASSERT_EQ(cc_rd(CC(queue_size), 2), QSIZE);
		TEST_ASSERT_EQ(cc_rd(CC(queue_desc_lo), 4), 0);
		TEST_ASSERT_EQ(cc_rd(CC(queue_avail_lo), 4), 0);
		TEST_ASSERT_EQ(cc_rd(CC(queue_used_lo), 4), 0);
	}
	cc_wr(CC(guest_feature_select), 4, 1);
	TEST_ASSERT_EQ(cc_rd(CC(guest_feature), 4), 0);
	/* And it comes back. */
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "re-init");
	TEST_ASSERT(request(), "request after reset");
	stop();
}

/* Drive the VIRTIO_PCI_CAP_PCI_CFG window: bar, offset, length, then data. */
static void window(u8 bar, u32 off, u32 len)
{
	cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_BAR, 1, bar);
	cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, off);
	cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, len);
}

static u32 window_rd(u32 off, u32 len)
{
	window(0, off, len);
	return cfg_rd(c.pcicfg + sizeof(struct virtio_pci_cap), len);
}

static void window_wr(u32 off, u32 len, u32 val)
{
	window(0, off, len);
	cfg_wr(c.pcicfg + sizeof(struct virtio_pci_cap), len, val);
}

TEST(vpci_pci_cfg_window_reaches_bar_0)
{
	TEST_ASSERT(start(true), "start");
	TEST_ASSERT_EQ(window_rd(c.common_off + CC(num_queues), 2), 2);
	cc_wr(CC(device_feature_select), 4, 1);
	TEST_ASSERT_EQ(window_rd(c.common_off + CC(device_feature_select), 4), 1);
	TEST_ASSERT_EQ(window_rd(c.common_off + CC(device_feature), 4), 1);
	window_wr(c.common_off + CC(device_feature_select), 4, 0);
	TEST_ASSERT_EQ(cc_rd(CC(device_feature_select), 4), 0);
	/* A whole handshake through the window, as a firmware driver might. */
	window_wr(c.common_off + CC(device_status), 1, S_ACK);
	window_wr(c.common_off + CC(device_status), 1, S_ACK | S_DRV);
	TEST_ASSERT_EQ(status(), S_ACK | S_DRV);
	TEST_ASSERT_EQ(window_rd(c.common_off + CC(device_status), 1), S_ACK | S_DRV);
	/* Device config, and the ISR (which the read clears). */
	memcpy(echo.config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	TEST_ASSERT_EQ(window_rd(c.device_off + 4, 4), 0x88776655);
	window_wr(c.device_off + 1, 1, 0xab);
	TEST_ASSERT_EQ(echo.config[1], 0xab);
	atomic_store(&echo.dev->isr, VIRTIO_ISR_CONFIG);
	TEST_ASSERT_EQ(window_rd(c.isr_off, 1), VIRTIO_ISR_CONFIG);
	TEST_ASSERT_EQ(isr(), 0);
	/* Setting bar/offset/length alone does nothing. */
	window(0, c.common_off + CC(device_status), 1);
	TEST_ASSERT_EQ(status(), S_ACK | S_DRV);
	stop();
}

TEST(vpci_device_config_through_the_device_cap)
{
	TEST_ASSERT(start(false), "start");
	memcpy(echo.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	TEST_ASSERT_EQ(rd(c.device_off, 1), 1);
	TEST_ASSERT_EQ(rd(c.device_off + 2, 2), 0x0403);
	TEST_ASSERT_EQ(rd(c.device_off + 4, 4), 0x08070605);
	TEST_ASSERT_EQ(rd(c.device_off, 8), 0x0807060504030201ULL);
	TEST_ASSERT_EQ(rd(c.device_off + 6, 4), 0);	/* crosses the end */
	TEST_ASSERT_EQ(rd(c.device_off + 8, 4), 0);
	TEST_ASSERT_EQ(rd(c.device_off + 0xffc, 4), 0);
	wr(c.device_off + 7, 2, 0xffff);
	wr(c.device_off + 0xff8, 8, ~0ULL);
	TEST_ASSERT_EQ(echo.config_writes, 0);
	wr(c.device_off + 7, 1, 0xaa);
	TEST_ASSERT_EQ(echo.config_writes, 1);
	TEST_ASSERT_EQ(echo.config[7], 0xaa);
	TEST_ASSERT_EQ(cc_rd(CC(config_generation), 1), 0);
	stop();
}

TEST(vpci_ignores_wrong_width_common_writes)
{
	TEST_ASSERT(start(true), "start");
	cc_wr(CC(device_status), 2, S_ACK);
	cc_wr(CC(device_status), 4, S_ACK);
	wr(c.common_off + CC(device_status), 8, S_ACK);
	cc_wr(CC(device_status) - 1, 2, S_ACK << 8);
	TEST_ASSERT_EQ(status(), 0);
	cc_wr(CC(queue_select), 1, 1);
	cc_wr(CC(queue_select), 4, 1);
	TEST_ASSERT_EQ(cc_rd(CC(queue_select), 2), 0);
	cc_wr(CC(device_feature_select), 2, 1);
	cc_wr(CC(device_feature_select), 1, 1);
	wr(c.common_off + CC(device_feature_select), 8, 1);
	TEST_ASSERT_EQ(cc_rd(CC(device_feature_select), 4), 0);
	cc_wr(CC(msix_config), 4, 1);
	cc_wr(CC(msix_config), 1, 1);
	TEST_ASSERT_EQ(cc_rd(CC(msix_config), 2), NO_VEC);
	/* Read-only fields. */
	cc_wr(CC(num_queues), 2, 9);
	cc_wr(CC(device_feature), 4, 0);
	cc_wr(CC(config_generation), 1, 9);
	cc_wr(CC(queue_notify_off), 2, 5);
	TEST_ASSERT_EQ(cc_rd(CC(num_queues), 2), 2);
	TEST_ASSERT_EQ(cc_rd(CC(config_generation), 1), 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_notify_off), 2), 0);
	/* Beyond the structure: zeroes, writes dropped. */
	TEST_ASSERT_EQ(cc_rd(0x3c, 4), 0);
	TEST_ASSERT_EQ(cc_rd(0x40, 4), 0);
	TEST_ASSERT_EQ(cc_rd(0x3c, 8), 0);
	cc_wr(0x3c, 4, 0xffffffff);
	cc_wr(0xffc, 4, 0xffffffff);
	/* Reads of any width at any offset are fine. */
	for (u32 off = 0; off < 0x48; off++)
		for (u32 len = 1; len <= 8; len <<= 1)
			cc_rd(off, len);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init after junk");
	TEST_ASSERT(request(), "request after junk");
	stop();
}

TEST(vpci_queue_select_out_of_range_is_harmless)
{
	static const u16 sel[] = { 2, 15, 16, 17, 0x7fff, 0xffff };

	TEST_ASSERT(start(true), "start");
	set_status(S_ACK);
	set_status(S_ACK | S_DRV);
	set_features(F_V1);
	set_status(S_ACK | S_DRV | S_FOK);
	for (unsigned int i = 0; i < ARRAY_SIZE(sel); i++) {
		cc_wr(CC(queue_select), 2, sel[i]);
		TEST_ASSERT_EQ(cc_rd(CC(queue_select), 2), sel[i]);
		cc_wr(CC(queue_size), 2, 4);
		cc_wr(CC(queue_desc_lo), 4, 0x1000);
		cc_wr(CC(queue_avail_lo), 4, 0x2000);
		cc_wr(CC(queue_used_lo), 4, 0x3000);
		cc_wr(CC(queue_msix_vector), 2, 1);
		cc_wr(CC(queue_enable), 2, 1);
		TEST_ASSERT_EQ(cc_rd(CC(queue_size), 2), 0);
		TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 0);
		TEST_ASSERT_EQ(cc_rd(CC(queue_msix_vector), 2), NO_VEC);
		TEST_ASSERT_EQ(cc_rd(CC(queue_desc_lo), 4), 0);
		/* Kicks of queues that do not exist. */
		wr(c.notify_off + (sel[i] % 64) * c.mult, 2, sel[i]);
	}
	TEST_ASSERT(!(status() & VIRTIO_CONFIG_S_NEEDS_RESET), "needs reset");
	/* Queue 1 kicked but never enabled; its notify address, too. */
	wr(c.notify_off + c.mult, 2, 1);
	wr(c.notify_off + 2 * c.mult, 2, 2);		/* past the last queue */
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	TEST_ASSERT(request(), "request");
	stop();
}

TEST(vpci_queue_layout_is_frozen_while_enabled)
{
	TEST_ASSERT(start(true), "start");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_desc_lo), 4, 0x12340000);
	cc_wr(CC(queue_used_hi), 4, 1);
	cc_wr(CC(queue_size), 2, 2);
	cc_wr(CC(queue_enable), 2, 0);			/* never by the driver */
	TEST_ASSERT_EQ(cc_rd(CC(queue_desc_lo), 4), g.desc);
	TEST_ASSERT_EQ(cc_rd(CC(queue_used_hi), 4), 0);
	TEST_ASSERT_EQ(cc_rd(CC(queue_size), 2), QSIZE);
	TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 1);
	TEST_ASSERT(request(), "request");
	stop();
}

TEST(vpci_ring_outside_ram_needs_reset)
{
	static const u64 bad[][3] = {
		{ 0x7fff0000ULL, GUEST_DESC + 0x100, GUEST_DESC + 0x200 },
		{ GUEST_DESC, GUEST_RAM_SIZE - 2, GUEST_DESC + 0x200 },
		{ GUEST_DESC, GUEST_DESC + 0x100, ~0ULL - 3 },
		{ 1ULL << 40, GUEST_DESC + 0x100, GUEST_DESC + 0x200 },
	};

	TEST_ASSERT(start(true), "start");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		set_status(0);
		set_status(S_ACK);
		set_status(S_ACK | S_DRV);
		set_features(F_V1);
		set_status(S_ACK | S_DRV | S_FOK);
		setup_queue(0, bad[i][0], bad[i][1], bad[i][2]);
		TEST_ASSERT(cc_rd(CC(queue_enable), 2) == 0, "case %u enabled", i);
		TEST_ASSERT(status() & VIRTIO_CONFIG_S_NEEDS_RESET, "case %u: no NEEDS_RESET", i);
		wr(c.notify_off, 2, 0);
	}
	/* Not a power of 2, and too big. */
	set_status(0);
	set_status(S_ACK);
	set_status(S_ACK | S_DRV);
	set_features(F_V1);
	set_status(S_ACK | S_DRV | S_FOK);
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_size), 2, 3);
	cc_wr(CC(queue_enable), 2, 1);
	TEST_ASSERT_EQ(cc_rd(CC(queue_enable), 2), 0);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init after reset");
	TEST_ASSERT(!(status() & VIRTIO_CONFIG_S_NEEDS_RESET), "still needs reset");
	TEST_ASSERT(request(), "request after reset");
	stop();
}

TEST(vpci_msix_table_odd_accesses_are_harmless)
{
	u64 irqs;

	TEST_ASSERT(start(true), "start");
	for (unsigned int v = 0; v < NR_VECS; v++)
		msix_entry(v, 0x40 + v, false);
	/* Narrow and unaligned: ignored on write, zero on read. */
	for (u32 off = 0; off < NR_VECS * 16; off++) {
		for (u32 len = 1; len <= 2; len <<= 1) {
			wr(c.msix_table + off, len, 0xffff);
			TEST_ASSERT(rd(c.msix_table + off, len) == 0, "read %u at %#x", len, off);
		}
		if (off & 3) {
			wr(c.msix_table + off, 4, 0xffffffff);
			TEST_ASSERT(rd(c.msix_table + off, 4) == 0, "read at %#x", off);
		}
	}
	for (unsigned int v = 0; v < NR_VECS; v++) {
		TEST_ASSERT_EQ(rd(c.msix_table + v * 16 + PCI_MSIX_ENTRY_DATA, 4), 0x40 + v);
		TEST_ASSERT_EQ(rd(c.msix_table + v * 16 + PCI_MSIX_ENTRY_UPPER_ADDR, 4), 0);
	}
	/* Reserved vector-control bits read 0. */
	wr(c.msix_table + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0xfffffffe);
	TEST_ASSERT_EQ(rd(c.msix_table + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);
	/* QWORD accesses (PCI 6.8.2: software may use them). */
	wr(c.msix_table + 16, 8, 0x00000001fee01000ULL);
	TEST_ASSERT_EQ(rd(c.msix_table + 16, 8), 0x00000001fee01000ULL);
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + PCI_MSIX_ENTRY_UPPER_ADDR, 4), 1);
	wr(c.msix_table + 16 + 8, 8, 0x0000000100000041ULL);		/* data, masked */
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + 8, 8), 0x0000000100000041ULL);
	wr(c.msix_table + 16 + 8, 8, 0x41);
	TEST_ASSERT_EQ(rd(c.msix_table + 16 + 4, 8), 0);		/* not QWORD aligned */
	/* Past the last entry, up to and around the PBA, and past the PBA. */
	for (u32 off = NR_VECS * 16; off < c.msix_pba - c.msix_table + 16; off += 4) {
		wr(c.msix_table + off, 4, 0xffffffff);
		wr(c.msix_table + off, 8, ~0ULL);
		rd(c.msix_table + off, 4);
		rd(c.msix_table + off, 8);
	}
	for (u32 off = c.msix_pba; off < VIRTIO_PCI_BAR_SIZE; off += 0x3fc)
		TEST_ASSERT(rd(off, 4) == 0, "read %#x", off);
	TEST_ASSERT_EQ(rd(c.msix_pba + 4, 8), 0);
	TEST_ASSERT_EQ(rd(c.msix_pba + 7, 1), 0);
	/* Still a working device with working vectors. */
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_msix_vector), 2, 1);
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(irqs + 1), "no MSI");
	stop();
}

TEST(vpci_pci_cfg_window_with_bad_parameters_does_nothing)
{
	static const struct { u8 bar; u32 off, len; } bad[] = {
		{ 1, 0, 1 }, { 5, 0, 1 }, { 0xff, 0, 4 },
		{ 0, 0, 0 }, { 0, 0, 3 }, { 0, 0, 8 }, { 0, 0, 0xffffffff },
		{ 0, 1, 2 }, { 0, 2, 4 }, { 0, 3, 4 },
		{ 0, VIRTIO_PCI_BAR_SIZE, 1 }, { 0, VIRTIO_PCI_BAR_SIZE - 2, 4 },
		{ 0, 0xfffffffc, 4 }, { 0, 0x80000000, 1 },
	};
	u32 data;

	TEST_ASSERT(start(true), "start");
	data = c.pcicfg + sizeof(struct virtio_pci_cap);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Aimed at device_status (or near): nothing may reach it. */
		u32 off = bad[i].off ? bad[i].off : c.common_off + CC(device_status);

		cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_BAR, 1, bad[i].bar);
		cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, off);
		cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, bad[i].len);
		cfg_wr(data, 4, S_ACK);
		cfg_wr(data, 1, S_ACK);
		cfg_rd(data, 4);
		cfg_rd(data + 3, 1);
		TEST_ASSERT(status() == 0, "case %u reached the device", i);
	}
	/* The window bytes themselves are the driver's. */
	window(0, 0x1234, 4);
	TEST_ASSERT_EQ(cfg_rd(c.pcicfg + VIRTIO_PCI_CAP_OFFSET, 4), 0x1234);
	TEST_ASSERT_EQ(cfg_rd(c.pcicfg + VIRTIO_PCI_CAP_CFG_TYPE, 1), VIRTIO_PCI_CAP_PCI_CFG);
	cfg_wr(c.pcicfg + VIRTIO_PCI_CAP_CFG_TYPE, 1, 1);
	TEST_ASSERT_EQ(cfg_rd(c.pcicfg + VIRTIO_PCI_CAP_CFG_TYPE, 1), VIRTIO_PCI_CAP_PCI_CFG);
	/* The window through the window, and at the MSI-X table. */
	TEST_ASSERT_EQ(window_rd(c.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
	window_wr(c.msix_table + PCI_MSIX_ENTRY_DATA, 4, 0x77);
	TEST_ASSERT_EQ(rd(c.msix_table + PCI_MSIX_ENTRY_DATA, 4), 0x77);
	window_wr(c.notify_off, 2, 0);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	TEST_ASSERT(request(), "request");
	stop();
}

TEST(vpci_accesses_across_the_end_of_bar_0)
{
	TEST_ASSERT(start(true), "start");
	TEST_ASSERT_EQ(rd(VIRTIO_PCI_BAR_SIZE - 4, 8), ~0ULL);
	TEST_ASSERT_EQ(rd(VIRTIO_PCI_BAR_SIZE - 1, 2), 0xffff);
	TEST_ASSERT_EQ(rd(VIRTIO_PCI_BAR_SIZE, 4), 0xffffffff);
	wr(VIRTIO_PCI_BAR_SIZE - 4, 8, ~0ULL);
	wr(VIRTIO_PCI_BAR_SIZE - 2, 4, ~0ULL);
	TEST_ASSERT_EQ(rd(VIRTIO_PCI_BAR_SIZE - 4, 4), 0);
	/* Every 8-byte-aligned place in BAR 0, each width: no crash. */
	for (u32 off = 0x100; off < VIRTIO_PCI_BAR_SIZE; off += 0x7c)
		for (u32 len = 1; len <= 8; len <<= 1)
			rd(off, len);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	TEST_ASSERT(request(), "request");
	stop();
}

TEST(vpci_bar_moves_and_the_kicks_follow)
{
	u64 old, new;

	TEST_ASSERT(start_ops(true, true, &echo_ops, &echo), "start");
	old = c.bar;
	/* With ioeventfds (fake_kvm): one 2-byte one per queue. */
	TEST_ASSERT(fake_kvm_has_ioeventfd(old + c.notify_off, 2), "no ioeventfd");
	TEST_ASSERT(fake_kvm_has_ioeventfd(old + c.notify_off + c.mult, 2), "queue 1");
	TEST_ASSERT_EQ(fake_kvm_nr_ioeventfds(), 2);
	/* Sizing takes them away; restoring puts them back. */
	TEST_ASSERT_EQ(pg_bar_size(&g, slot, 0), VIRTIO_PCI_BAR_SIZE);
	TEST_ASSERT(fake_kvm_has_ioeventfd(old + c.notify_off, 2), "lost by sizing");
	new = PG_MEM_BASE + PG_MEM_SIZE - VIRTIO_PCI_BAR_SIZE;
	cfg_wr(PCI_BASE_ADDRESS_0, 4, new);
	c.bar = pg_bar(&g, slot, 0);
	TEST_ASSERT_EQ(c.bar, new);
	TEST_ASSERT(fake_kvm_has_ioeventfd(new + c.notify_off, 2), "not moved");
	TEST_ASSERT(!fake_kvm_has_ioeventfd(old + c.notify_off, 2), "stale ioeventfd");
	TEST_ASSERT_EQ(fake_kvm_nr_ioeventfds(), 2);
	TEST_ASSERT_EQ(pg_mem_rd(&g, old + c.common_off + CC(num_queues), 2), 0xffff);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init at the new place");
	TEST_ASSERT(request(), "request at the new place");
	/* Decoding off: no ioeventfds, and nothing answers. */
	cfg_wr(PCI_COMMAND, 2, 0);
	TEST_ASSERT_EQ(fake_kvm_nr_ioeventfds(), 0);
	TEST_ASSERT_EQ(cc_rd(CC(num_queues), 2), 0xffff);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	TEST_ASSERT_EQ(fake_kvm_nr_ioeventfds(), 2);
	TEST_ASSERT(request(), "request after decode on");
	TEST_ASSERT_EQ(fake_kvm.nr_bad, 0);
	stop();
	TEST_ASSERT_EQ(fake_kvm_nr_ioeventfds(), 0);
}

TEST(vpci_msix_routes_and_irqfds_with_kvm)
{
	TEST_ASSERT(start_ops(true, true, &echo_ops, &echo), "start");
	/* Nothing is routed while the vectors are masked. */
	for (unsigned int v = 0; v < NR_VECS; v++)
		msix_entry(v, 0x40 + v, true);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE);
	TEST_ASSERT_EQ(fake_kvm.nr_irqfds, 0);
	/* Unmasked: a route and an irqfd each. */
	wr(c.msix_table + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	wr(c.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	TEST_ASSERT_EQ(fake_kvm.nr_irqfds, 2);
	TEST_ASSERT(fake_kvm.nr_routes >= 2, "routes %u", fake_kvm.nr_routes);
	/* Reprogramming an entry does not make a second one. */
	wr(c.msix_table + 16 + PCI_MSIX_ENTRY_DATA, 4, 0x51);
	TEST_ASSERT_EQ(fake_kvm.nr_irqfds, 2);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	cc_wr(CC(queue_select), 2, 0);
	cc_wr(CC(queue_msix_vector), 2, 1);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(1), "no MSI");
	TEST_ASSERT_EQ(fake_kvm.nr_msi_signals, 0);	/* went by irqfd */
	TEST_ASSERT_EQ(fake_kvm.nr_bad, 0);
	stop();
	TEST_ASSERT_EQ(fake_kvm.nr_irqfds, 0);
}

TEST(vpci_intx_line_with_kvm)
{
	u64 irqs;

	TEST_ASSERT(start_ops(false, true, &echo_ops, &echo), "start");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(irqs + 1), "no interrupt");
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(slot)), 1);
	TEST_ASSERT_EQ(isr(), VIRTIO_ISR_VQ);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(slot)), 0);
	/* Interrupt Disable masks it at the bus. */
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request");
	TEST_ASSERT(wait_irqs(irqs + 1), "no interrupt");
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(slot)), 0);
	TEST_ASSERT(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status");
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(slot)), 1);
	/* A reset lowers it too. */
	set_status(0);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(slot)), 0);
	TEST_ASSERT_EQ(fake_kvm.nr_bad, 0);
	stop();
}

/* Random configuration writes through both mechanisms, then a driver again. */
TEST(vpci_config_space_fuzz_then_the_device_still_works)
{
	static const u32 widths[] = { 1, 2, 4 };
	u32 seed = 0xc0ffee;
	u64 irqs;

	TEST_ASSERT(start(true), "start");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	for (int i = 0; i < 5000; i++) {
		u32 r = pg_rand(&seed), val = pg_rand(&seed);
		u32 len = widths[r % 3];
		/* Mostly the header and the caps, sometimes anywhere. */
		u32 off = (r >> 4) % (r & 0x100 ? 0x1000 : 0x100);
		unsigned int s = r & 0x200 ? 0 : slot;

		off &= ~(len - 1);
		/* Keep BAR 0 in the window most of the time, so the device gets I/O. */
		if (off == PCI_BASE_ADDRESS_0 && (r & 0x3000))
			val = c.bar;
		if (r & 0x400)
			pg_cam_wr(&g, s, 0, off, len, val);
		else
			pg_ecam_wr(&g, s, 0, off, len, val);
		if (r & 0x800)
			pg_cam_rd(&g, s, 0, off, len);
		else
			pg_ecam_rd(&g, s, 0, off, len);
		if ((r & 0xf000) == 0)
			wr(val % VIRTIO_PCI_BAR_SIZE, len, pg_rand(&seed));
		if ((r & 0xf000) == 0x1000)
			rd(val % VIRTIO_PCI_BAR_SIZE, len);
	}
	TEST_ASSERT_EQ(cfg_rd(PCI_VENDOR_ID, 4), (0x1040u + ECHO_DEVICE_ID) << 16 | 0x1af4);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	/* The caps are as they were. */
	{
		struct vcaps before = c;

		discover();
		TEST_ASSERT(c.common == before.common && c.notify == before.notify &&
			    c.msix == before.msix && c.pcicfg == before.pcicfg &&
			    c.mult == before.mult, "caps changed: %d/%d %d/%d %d/%d %d/%d %u/%u",
			    c.common, before.common, c.notify, before.notify, c.msix, before.msix,
			    c.pcicfg, before.pcicfg, c.mult, before.mult);
	}
	/* Firmware and driver again: place BAR 0, decode on, MSI-X off. */
	cfg_wr(PCI_BASE_ADDRESS_0, 4, PG_MEM_BASE);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	msix_ctrl(0);
	c.bar = pg_bar(&g, slot, 0);
	TEST_ASSERT_EQ(c.bar, PG_MEM_BASE);
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init after fuzz");
	irqs = virtio_pci_nr_irqs(vp);
	TEST_ASSERT(request(), "request after fuzz");
	TEST_ASSERT(wait_irqs(irqs + 1), "no interrupt after fuzz");
	TEST_ASSERT(isr() & VIRTIO_ISR_VQ, "INTx path after fuzz");
	TEST_ASSERT_EQ(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	stop();
}

TEST(vpci_device_that_does_not_fit_leaves_nothing_behind)
{
	struct virtio_rng *rng = virtio_rng_create();
	struct virtio_pci *p2;
	u32 seed = 7;
	int err = 0;

	guest_init(&g, QSIZE);
	g.vm.msi = true;
	fake = false;
	bus = pg_bus_create(&g, VIRTIO_PCI_BAR_SIZE);	/* room for one BAR */
	TEST_ASSERT(bus, "bus");
	vp = virtio_pci_create(&g.vm, bus, &echo_ops, &echo, &err);
	TEST_ASSERT(vp, "first: %d", err);
	p2 = virtio_pci_create(&g.vm, bus, &virtio_rng_ops, rng, &err);
	TEST_ASSERT(!p2 && err == -ENOSPC, "second: %p %d", (void *)p2, err);
	/* Whatever slot 2 shows now, a guest poking it must not reach freed memory. */
	for (int i = 0; i < 3000; i++) {
		u32 r = pg_rand(&seed), off = (r >> 8) & 0xfc;

		pg_ecam_wr(&g, 2, 0, off, 4, pg_rand(&seed));
		pg_ecam_rd(&g, 2, 0, off, 4);
		if (!(r & 0xff))
			pg_mem_rd(&g, PG_MEM_BASE + (r >> 16) % 0x10000, 4);
	}
	slot = 1;
	discover();
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "the first still works");
	TEST_ASSERT(request(), "request");
	stop();
	virtio_rng_destroy(rng);
}

TEST(vpci_rng_fills_the_buffer)
{
	struct virtio_rng *rng = virtio_rng_create();
	u64 buf;
	u8 *p;
	int nonzero = 0;

	TEST_ASSERT(start_ops(false, false, &virtio_rng_ops, rng), "start");
	TEST_ASSERT_EQ(cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	TEST_ASSERT(c.device == -1, "rng has no device config");
	TEST_ASSERT(driver_init(F_V1) & S_DOK, "init");
	buf = guest_alloc(&g, 256);
	p = guest_ptr(&g, buf);
	memset(p, 0, 256);
	guest_desc(&g, g.desc, 0, buf, 256, VRING_DESC_F_WRITE, 0);
	guest_publish(&g, 0);
	kick0();
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer");
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, 256);
	for (int i = 0; i < 256; i++)
		nonzero += p[i] != 0;
	TEST_ASSERT(nonzero > 200, "only %d non-zero bytes", nonzero);
	TEST_ASSERT(wait_irqs(1), "no interrupt");
	TEST_ASSERT_EQ(isr(), VIRTIO_ISR_VQ);
	stop();
	virtio_rng_destroy(rng);
}
