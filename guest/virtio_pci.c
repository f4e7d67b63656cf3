// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport (virtio 1.x 4.1) for the ring-3 driver,
 * and its interrupt checks.
 *
 * Devices are functions of vendor 0x1af4 on bus 0 (pci.c), device 0x1040 +
 * virtio id (or a transitional 0x1000-0x103f, id in the subsystem). Like
 * Linux (drivers/virtio/virtio_pci_modern_dev.c) everything is found
 * through the vendor capabilities: common configuration, notifications
 * (doorbell of queue q at offset + queue_notify_off * multiplier, written
 * with the 16-bit queue index, which is what an ioeventfd matches), ISR,
 * device configuration, and the PCI_CFG window; MSI-X through capability
 * 0x11. The BARs are where firmware (vmm) put them; the driver only turns
 * on memory decoding and bus mastering.
 *
 * Interrupts are observed from ring 3 in the LAPIC's IRR with interrupts
 * off (the vector is accepted but not delivered), then taken through the
 * sti gate, whose handler sends the EOI: INTx through the IOAPIC pin
 * (level, active low, as Linux programs PCI lines), MSI-X as messages to
 * this cpu's LAPIC.
 */
#include "virtio.h"

/* struct virtio_pci_cap (linux/virtio_pci.h) */
#define CAP_CFG_TYPE		3
#define CAP_BAR			4
#define CAP_OFFSET		8
#define CAP_LENGTH		12
#define CAP_NOTIFY_MULT		16
#define CAP_PCI_CFG_DATA	16
#define TYPE_COMMON		1
#define TYPE_NOTIFY		2
#define TYPE_ISR		3
#define TYPE_DEVICE		4
#define TYPE_PCI_CFG		5

/* struct virtio_pci_common_cfg */
#define C_DFSELECT		0x00
#define C_DF			0x04
#define C_GFSELECT		0x08
#define C_GF			0x0c
#define C_MSIX_CONFIG		0x10
#define C_NUM_QUEUES		0x12
#define C_STATUS		0x14
#define C_CFG_GENERATION	0x15
#define C_Q_SELECT		0x16
#define C_Q_SIZE		0x18
#define C_Q_MSIX_VECTOR		0x1a
#define C_Q_ENABLE		0x1c
#define C_Q_NOTIFY_OFF		0x1e
#define C_Q_DESC		0x20
#define C_Q_DRIVER		0x28
#define C_Q_DEVICE		0x30

/* MSI-X capability and table */
#define MSIX_CTRL		2
#define MSIX_TABLE		4
#define MSIX_PBA		8
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_CTRL_MASK	1

/* ---- the transport ---- */

static u8 pci_get_status(struct vdev *d)
{
	return mmio_read8(d->common + C_STATUS);
}

static void pci_set_status(struct vdev *d, u8 status)
{
	mmio_write8(d->common + C_STATUS, status);
}

static u64 pci_get_features(struct vdev *d)
{
	u64 f;

	mmio_write32(d->common + C_DFSELECT, 0);
	f = mmio_read32(d->common + C_DF);
	mmio_write32(d->common + C_DFSELECT, 1);
	return f | (u64)mmio_read32(d->common + C_DF) << 32;
}

static void pci_set_features(struct vdev *d, u64 f)
{
	mmio_write32(d->common + C_GFSELECT, 0);
	mmio_write32(d->common + C_GF, (u32)f);
	mmio_write32(d->common + C_GFSELECT, 1);
	mmio_write32(d->common + C_GF, f >> 32);
}

/* A 64-bit field as two 32-bit writes, low first (Linux: vp_iowrite64_twopart). */
static void write64(u64 a, u64 v)
{
	mmio_write32(a, (u32)v);
	mmio_write32(a + 4, v >> 32);
}

static bool pci_queue_setup(struct vdev *d, u32 q, u32 num, void *desc, void *avail, void *used)
{
	u16 size, v, off;

	if (q >= VQ_MAX || q >= mmio_read16(d->common + C_NUM_QUEUES)) {
		snprintf(d->err, sizeof(d->err), "queue %u: num_queues=%u", q,
			 mmio_read16(d->common + C_NUM_QUEUES));
		return false;
	}
	mmio_write16(d->common + C_Q_SELECT, q);
	if (mmio_read16(d->common + C_Q_ENABLE)) {
		snprintf(d->err, sizeof(d->err), "queue %u enabled after reset", q);
		return false;
	}
	size = mmio_read16(d->common + C_Q_SIZE);
	if (size < num) {
		snprintf(d->err, sizeof(d->err), "queue %u: queue_size=%u < %u", q, size, num);
		return false;
	}
	mmio_write16(d->common + C_Q_SIZE, num);
	write64(d->common + C_Q_DESC, (u64)desc);
	write64(d->common + C_Q_DRIVER, (u64)avail);
	write64(d->common + C_Q_DEVICE, (u64)used);
	if (d->msix_queue_vec != VIRTIO_MSI_NO_VECTOR) {
		mmio_write16(d->common + C_Q_MSIX_VECTOR, q ? VIRTIO_MSI_NO_VECTOR : d->msix_queue_vec);
		v = mmio_read16(d->common + C_Q_MSIX_VECTOR);
		if (v != (q ? VIRTIO_MSI_NO_VECTOR : d->msix_queue_vec)) {
			snprintf(d->err, sizeof(d->err), "queue %u: queue_msix_vector reads 0x%x", q, v);
			return false;
		}
	}
	off = mmio_read16(d->common + C_Q_NOTIFY_OFF);
	d->notify_addr[q] = d->notify_base + (u64)off * d->notify_mult;
	mmio_write16(d->common + C_Q_ENABLE, 1);
	if (mmio_read16(d->common + C_Q_ENABLE) != 1 ||
	    mmio_read32(d->common + C_Q_DESC) != (u32)(u64)desc ||
	    mmio_read16(d->common + C_Q_SIZE) != num) {
		snprintf(d->err, sizeof(d->err), "queue %u: enable=%u desc=0x%x size=%u after setup", q,
			 mmio_read16(d->common + C_Q_ENABLE), mmio_read32(d->common + C_Q_DESC),
			 mmio_read16(d->common + C_Q_SIZE));
		return false;
	}
	return true;
}

static void pci_notify(struct vdev *d, u16 q)
{
	mmio_write16(d->notify_addr[q < VQ_MAX ? q : 0], q);
}

/* The ISR byte: reading it clears it (and lowers INTx). */
static u32 pci_isr(struct vdev *d)
{
	return mmio_read8(d->isr_addr);
}

static u32 pci_config_generation(struct vdev *d)
{
	return mmio_read8(d->common + C_CFG_GENERATION);
}

static u32 pci_config_read32(struct vdev *d, u32 off)
{
	return mmio_read32(d->device_cfg + off);
}

static const struct vtransport pci_transport = {
	.name = "pci",
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.get_features = pci_get_features,
	.set_features = pci_set_features,
	.queue_setup = pci_queue_setup,
	.notify = pci_notify,
	.isr = pci_isr,
	.config_generation = pci_config_generation,
	.config_read32 = pci_config_read32,
};

/* ---- discovery ---- */

/* BAR @bar + @off, if the BAR is a memory BAR in the mapped hole; 0 otherwise. */
static u64 bar_addr(const struct pci_fn *f, u32 bar, u64 off, u64 len)
{
	u64 a;

	if (bar > 5 || !f->bar[bar])
		return 0;
	a = f->bar[bar] + off;
	if (a < 0xc0000000ULL || a + len > 0x100000000ULL)
		return 0;
	return a;
}

/* The capabilities of one function: false with d->err set if something is missing. */
static bool find_caps(struct vdev *d)
{
	struct pci_fn *f = d->pci;
	u8 p;

	for (p = pci_find_cap(f, PCI_CAP_ID_VNDR, 0); p; p = pci_find_cap(f, PCI_CAP_ID_VNDR, p)) {
		u8 type = pci_read8(f, p + CAP_CFG_TYPE), bar = pci_read8(f, p + CAP_BAR);
		u32 off = pci_read32(f, p + CAP_OFFSET), len = pci_read32(f, p + CAP_LENGTH);
		u64 a = bar_addr(f, bar, off, len);

		switch (type) {
		case TYPE_COMMON:
			if (!d->common && a && len >= 0x38) {
				d->common = a;
				d->common_bar = bar;
				d->common_off = off;
			}
			break;
		case TYPE_NOTIFY:
			if (!d->notify_base && a && len >= 2) {
				d->notify_base = a;
				d->notify_mult = pci_read32(f, p + CAP_NOTIFY_MULT);
			}
			break;
		case TYPE_ISR:
			if (!d->isr_addr && a && len >= 1)
				d->isr_addr = a;
			break;
		case TYPE_DEVICE:
			if (!d->device_cfg && a && len >= 4)
				d->device_cfg = a;
			break;
		case TYPE_PCI_CFG:
			if (!d->cfg_cap)
				d->cfg_cap = p;
			break;
		}
	}
	if ((p = pci_find_cap(f, PCI_CAP_ID_MSIX, 0))) {
		u16 ctrl = pci_read16(f, p + MSIX_CTRL);
		u32 t = pci_read32(f, p + MSIX_TABLE), pba = pci_read32(f, p + MSIX_PBA);

		d->msix_cap = p;
		d->msix_size = (ctrl & 0x7ff) + 1;
		d->msix_table = bar_addr(f, t & 7, t & ~7U, d->msix_size * MSIX_ENTRY_SIZE);
		d->msix_pba = bar_addr(f, pba & 7, pba & ~7U, 8);
	}
	if (!d->common || !d->notify_base || !d->isr_addr) {
		snprintf(d->err, sizeof(d->err), "missing capability: common=0x%llx notify=0x%llx isr=0x%llx",
			 d->common, d->notify_base, d->isr_addr);
		return false;
	}
	if ((d->id == ID_BLOCK || d->id == ID_NET) && !d->device_cfg) {
		snprintf(d->err, sizeof(d->err), "no device configuration capability");
		return false;
	}
	return true;
}

/* Every virtio function on bus 0 is appended to @devs (up to @max). */
void virtio_pci_probe(struct vdev *devs, int *n, int max)
{
	struct pci_fn *f;
	int nf = pci_scan(&f);

	for (int i = 0; i < nf; i++) {
		struct vdev *d = &devs[*n];
		u16 cmd;

		if (f[i].vendor != 0x1af4 || f[i].device < 0x1000 || f[i].device > 0x107f ||
		    (f[i].hdr_type & 0x7f))
			continue;
		if (*n == max) {
			printf("VIRTIO more than %d devices: ignoring the rest\n", max);
			return;
		}
		memset(d, 0, sizeof(*d));
		d->t = &pci_transport;
		d->pci = &f[i];
		d->id = f[i].device >= 0x1040 ? f[i].device - 0x1040 : f[i].subsys;
		d->vendor = f[i].vendor;
		d->version = f[i].rev;
		d->msix_config_vec = d->msix_queue_vec = VIRTIO_MSI_NO_VECTOR;
		d->irq = f[i].irq_pin ? 16 + f[i].dev % 8 : 0;	/* vmm: INTA# of slot s on GSI 16 + s % 8 */
		/* pci_enable_device + pci_set_master */
		cmd = pci_read16(&f[i], PCI_COMMAND);
		pci_write16(&f[i], PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		d->usable = d->id && find_caps(d);
		d->base = d->common;
		d->size = 0;
		printf("VIRTIO pci=%02x:%02x.%u id=%04x:%04x rev=%u device=%u(%s) common=0x%llx notify=0x%llx*%u isr=0x%llx device_cfg=0x%llx msix=%u table=0x%llx pba=0x%llx pin=%u gsi=%u%s%s\n",
		       f[i].bus, f[i].dev, f[i].fn, f[i].vendor, f[i].device, f[i].rev, d->id,
		       virtio_dev_name(d->id), d->common, d->notify_base, d->notify_mult, d->isr_addr,
		       d->device_cfg, d->msix_cap ? d->msix_size : 0, d->msix_table, d->msix_pba,
		       f[i].irq_pin, d->irq, d->usable ? "" : " unusable: ", d->usable ? "" : d->err);
		(*n)++;
	}
}

/* ---- interrupts ---- */

static bool wait_irr(u8 vec, u64 us)
{
	u64 t0 = rdtsc();

	while (!lapic_irr(vec) && tsc_to_us(rdtsc() - t0) < us)
		cpu_relax();
	return lapic_irr(vec);
}

/* Let the pending interrupt in (the handler counts it and sends the EOI). */
static bool take_irq(void)
{
	u64 before = irq_count_virtio, t0 = rdtsc();

	sti();
	while (irq_count_virtio == before && tsc_to_us(rdtsc() - t0) < 100000)
		cpu_relax();
	cli();
	return irq_count_virtio != before;
}

/* Interrupts on for @us: how many arrive. */
static u64 irqs_within(u64 us)
{
	u64 before = irq_count_virtio;

	sti();
	udelay(us);
	cli();
	return irq_count_virtio - before;
}

static void set_command(struct vdev *d, u16 set, u16 clear)
{
	u16 cmd = pci_read16(d->pci, PCI_COMMAND);

	pci_write16(d->pci, PCI_COMMAND, (cmd & ~clear) | set);
}

static void msix_ctrl(struct vdev *d, u16 set, u16 clear)
{
	u16 c;

	if (!d->msix_cap)
		return;
	c = pci_read16(d->pci, d->msix_cap + MSIX_CTRL);
	pci_write16(d->pci, d->msix_cap + MSIX_CTRL, (c & ~clear) | set);
}

/* A request with interrupts off; false with @why set. */
static bool request(struct vdev *d, char *why, size_t len)
{
	if (virtio_irq_request(d))
		return true;
	snprintf(why, len, "request failed: %s", d->err);
	return false;
}

#define FAILIF(cond, ...)						\
	do {								\
		if (cond) {						\
			snprintf(why, len, __VA_ARGS__);		\
			goto out;					\
		}							\
	} while (0)

/*
 * INTx with MSI-X off: a completion raises the slot's IOAPIC pin (seen in
 * the IRR); the line is level: still high after the interrupt was taken
 * and the pin re-armed, until the ISR read lowers it; the ISR reads 1 then
 * 0; Interrupt Disable in the command register holds the line down and
 * releases it again; VRING_AVAIL_F_NO_INTERRUPT suppresses it.
 */
bool virtio_pci_irq_check(struct vdev *d, char *why, size_t len)
{
	u32 gsi = d->irq, isr = 0, isr2 = 0;
	bool ok = false, status_bit;
	u64 n;

	if (!gsi) {
		snprintf(why, len, "interrupt pin 0: no INTx");
		return false;
	}
	msix_ctrl(d, 0, MSIX_CTRL_ENABLE);
	set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
	if (!virtio_init(d, 0)) {
		snprintf(why, len, "init: %s", d->err);
		return false;
	}
	(void)d->t->isr(d);
	ioapic_route(gsi, VEC_VIRTIO, lapic_id(), true, true);
	if (lapic_irr(VEC_VIRTIO))
		take_irq();
	FAILIF(lapic_irr(VEC_VIRTIO), "IRR bit 0x%x stuck before the request", VEC_VIRTIO);

	if (!request(d, why, len))
		goto out;
	FAILIF(!wait_irr(VEC_VIRTIO, 1000000), "no interrupt on gsi %u within 1 s (IRR clear); ISR=0x%x",
	       gsi, d->t->isr(d));
	status_bit = pci_read16(d->pci, PCI_STATUS) & PCI_STATUS_INTERRUPT;

	/* Level: take it with the pin masked, re-arm the pin: it fires again. */
	ioapic_mask(gsi);
	FAILIF(!take_irq(), "IRR set but no interrupt delivered");
	FAILIF(lapic_irr(VEC_VIRTIO), "IRR still set after the interrupt was taken");
	ioapic_route(gsi, VEC_VIRTIO, lapic_id(), true, true);
	FAILIF(!wait_irr(VEC_VIRTIO, 100000),
	       "the line did not stay asserted before the ISR read (no interrupt on unmasking gsi %u)",
	       gsi);

	/* The ISR read lowers it. */
	isr = d->t->isr(d);
	isr2 = d->t->isr(d);
	FAILIF(!(isr & 1) || isr2, "ISR read 0x%x then 0x%x (want bit 0, then 0)", isr, isr2);
	FAILIF(!take_irq(), "the re-raised interrupt was not delivered");
	n = irqs_within(50000);
	FAILIF(n, "%llu more interrupts after the ISR read: the line stayed up", n);
	FAILIF(pci_read16(d->pci, PCI_STATUS) & PCI_STATUS_INTERRUPT,
	       "PCI status Interrupt Status still set after the ISR read");

	/* Interrupt Disable holds the line down; clearing it raises it again. */
	set_command(d, PCI_COMMAND_INTX_DISABLE, 0);
	if (!request(d, why, len))
		goto out;
	FAILIF(wait_irr(VEC_VIRTIO, 50000),
	       "interrupt with Interrupt Disable set in the command register");
	set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
	FAILIF(!wait_irr(VEC_VIRTIO, 1000000),
	       "no interrupt after clearing Interrupt Disable with the ISR unread (0x%x)", d->t->isr(d));
	FAILIF(!(d->t->isr(d) & 1), "ISR bit 0 not set for the held interrupt");
	take_irq();
	FAILIF(irqs_within(20000), "interrupts after the ISR read (Interrupt Disable case)");

	/* Suppressed. */
	d->vr->avail.flags = VRING_AVAIL_F_NO_INTERRUPT;
	if (!request(d, why, len))
		goto out;
	FAILIF(wait_irr(VEC_VIRTIO, 50000), "interrupt despite VRING_AVAIL_F_NO_INTERRUPT");
	d->vr->avail.flags = 0;
	(void)d->t->isr(d);

	printf("VIRTIO_IRQ transport=pci base=0x%llx device=%s slot=%u gsi=%u raised=yes status_interrupt=%u level=yes isr=0x%x isr_after_read=0x%x lowered=yes intx_disable=held suppressed=yes\n",
	       d->base, virtio_dev_name(d->id), d->pci->dev, gsi, status_bit, isr, isr2);
	ok = true;
out:
	d->vr->avail.flags = 0;
	set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
	ioapic_mask(gsi);
	(void)d->t->isr(d);
	if (lapic_irr(VEC_VIRTIO))
		take_irq();
	return ok;
}

/*
 * Two functions whose INTA# share a pin (slots s and s + 8): with both
 * asserted, reading one ISR leaves the line up; reading the other lowers it.
 */
int virtio_pci_shared_intx_check(char *why, size_t len)
{
	struct vdev *devs, *a = NULL, *b = NULL;
	int n = virtio_devs(&devs), ok = -1;
	u32 isr;

	for (int i = 0; i < n && !b; i++) {
		if (devs[i].t != &pci_transport || !devs[i].usable || !devs[i].irq ||
		    (devs[i].id != ID_BLOCK && devs[i].id != ID_RNG))
			continue;
		for (int j = 0; j < i && !b; j++)
			if (devs[j].t == &pci_transport && devs[j].usable && devs[j].irq == devs[i].irq &&
			    (devs[j].id == ID_BLOCK || devs[j].id == ID_RNG))
				a = &devs[j], b = &devs[i];
	}
	if (!b)
		return 0;
	msix_ctrl(a, 0, MSIX_CTRL_ENABLE);
	msix_ctrl(b, 0, MSIX_CTRL_ENABLE);
	if (!virtio_init(a, 0) || !virtio_init(b, 0)) {
		snprintf(why, len, "init: %s", a->err[0] ? a->err : b->err);
		return -1;
	}
	(void)a->t->isr(a);
	(void)b->t->isr(b);
	ioapic_route(a->irq, VEC_VIRTIO, lapic_id(), true, true);
	if (lapic_irr(VEC_VIRTIO))
		take_irq();
	if (!request(a, why, len) || !request(b, why, len))
		goto out;
	FAILIF(!wait_irr(VEC_VIRTIO, 1000000), "no interrupt on shared gsi %u", a->irq);
	ioapic_mask(a->irq);
	take_irq();
	isr = a->t->isr(a);
	FAILIF(!(isr & 1), "first function's ISR 0x%x", isr);
	ioapic_route(a->irq, VEC_VIRTIO, lapic_id(), true, true);
	FAILIF(!wait_irr(VEC_VIRTIO, 100000),
	       "gsi %u lowered by 00:%02x.0's ISR read while 00:%02x.0 still asserts INTA#", a->irq,
	       a->pci->dev, b->pci->dev);
	isr = b->t->isr(b);
	FAILIF(!(isr & 1), "second function's ISR 0x%x", isr);
	take_irq();
	FAILIF(irqs_within(50000), "gsi %u stays up after both ISR reads", a->irq);
	printf("VIRTIO_IRQ shared gsi=%u slots=%u,%u held_by_second=yes lowered_by_both=yes\n", a->irq,
	       a->pci->dev, b->pci->dev);
	ok = 1;
out:
	ioapic_mask(a->irq);
	(void)a->t->isr(a);
	(void)b->t->isr(b);
	if (lapic_irr(VEC_VIRTIO))
		take_irq();
	return ok;
}

static void msix_entry(struct vdev *d, u32 i, u8 vec, bool masked)
{
	u64 e = d->msix_table + i * MSIX_ENTRY_SIZE;

	mmio_write32(e + 0, 0xfee00000U | lapic_id() << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vec);
	mmio_write32(e + 12, masked ? MSIX_ENTRY_CTRL_MASK : 0);
}

static void msix_mask(struct vdev *d, u32 i, bool masked)
{
	mmio_write32(d->msix_table + i * MSIX_ENTRY_SIZE + 12, masked ? MSIX_ENTRY_CTRL_MASK : 0);
}

static bool pba(struct vdev *d, u32 i)
{
	return mmio_read32(d->msix_pba + i / 32 * 4) >> (i % 32) & 1;
}

/*
 * MSI-X: vector 0 for configuration changes, vector 1 for queue 0, both
 * to this cpu; a completion sets the vector's IRR bit (and INTx stays
 * quiet); a masked entry sets its PBA bit instead and fires on unmask;
 * so does the function mask; with MSI-X disabled again the device is
 * back on INTx.
 */
static bool msix_check(struct vdev *d, char *why, size_t len)
{
	u16 v;
	bool ok = false, intx_back = false;

	if (!d->msix_cap || !d->msix_table || !d->msix_pba || d->msix_size < 2) {
		snprintf(why, len, "MSI-X capability: cap=0x%x size=%u table=0x%llx pba=0x%llx",
			 d->msix_cap, d->msix_size, d->msix_table, d->msix_pba);
		return false;
	}
	if (!virtio_features(d, 0)) {
		snprintf(why, len, "init: %s", d->err);
		return false;
	}
	/* As Linux: enable with the function masked, fill the table, unmask. */
	msix_ctrl(d, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL, 0);
	msix_entry(d, 0, VEC_MSIX_CONFIG, false);
	msix_entry(d, 1, VEC_MSIX_QUEUE, false);
	msix_ctrl(d, 0, MSIX_CTRL_MASKALL);
	mmio_write16(d->common + C_MSIX_CONFIG, 0);
	v = mmio_read16(d->common + C_MSIX_CONFIG);
	if (v != 0) {
		snprintf(why, len, "msix_config reads 0x%x after writing 0", v);
		goto out;
	}
	d->msix_queue_vec = 1;
	d->avail_idx = d->last_used = 0;
	if (!virtio_queue_setup(d, 0, d->vr) || !virtio_driver_ok(d)) {
		snprintf(why, len, "init: %s", d->err);
		goto out;
	}
	if (d->irq)
		ioapic_route(d->irq, VEC_VIRTIO, lapic_id(), true, true);
	if (lapic_irr(VEC_MSIX_QUEUE) || lapic_irr(VEC_VIRTIO))
		take_irq();

	/* Delivered. */
	if (!request(d, why, len))
		goto out;
	FAILIF(!wait_irr(VEC_MSIX_QUEUE, 1000000), "no vector 0x%x in the IRR within 1 s (PBA %u)",
	       VEC_MSIX_QUEUE, pba(d, 1));
	FAILIF(lapic_irr(VEC_VIRTIO), "INTx (gsi %u) raised with MSI-X enabled", d->irq);
	FAILIF(lapic_irr(VEC_MSIX_CONFIG), "the configuration vector fired for a used buffer");
	FAILIF(!take_irq(), "vector 0x%x not delivered", VEC_MSIX_QUEUE);

	/* A masked entry: pending bit, no message; unmasking sends it. */
	msix_mask(d, 1, true);
	if (!request(d, why, len))
		goto out;
	FAILIF(wait_irr(VEC_MSIX_QUEUE, 50000), "masked entry 1 delivered its message");
	FAILIF(!pba(d, 1), "masked entry 1: PBA bit not set (PBA 0x%x)", mmio_read32(d->msix_pba));
	msix_mask(d, 1, false);
	FAILIF(!wait_irr(VEC_MSIX_QUEUE, 1000000), "no message after unmasking entry 1");
	FAILIF(pba(d, 1), "PBA bit 1 still set after the unmask delivered it");
	FAILIF(!take_irq(), "vector 0x%x not delivered after unmask", VEC_MSIX_QUEUE);

	/* The function mask. */
	msix_ctrl(d, MSIX_CTRL_MASKALL, 0);
	if (!request(d, why, len))
		goto out;
	FAILIF(wait_irr(VEC_MSIX_QUEUE, 50000), "message sent with the function masked");
	FAILIF(!pba(d, 1), "function masked: PBA bit 1 not set (PBA 0x%x)", mmio_read32(d->msix_pba));
	msix_ctrl(d, 0, MSIX_CTRL_MASKALL);
	FAILIF(!wait_irr(VEC_MSIX_QUEUE, 1000000), "no message after clearing the function mask");
	FAILIF(pba(d, 1), "PBA bit 1 still set after the function unmask");
	FAILIF(!take_irq(), "vector 0x%x not delivered after the function unmask", VEC_MSIX_QUEUE);
	FAILIF(lapic_irr(VEC_VIRTIO), "INTx raised with MSI-X enabled");

	/* MSI-X off: INTx again. */
	if (d->irq) {
		msix_ctrl(d, 0, MSIX_CTRL_ENABLE);
		if (!request(d, why, len))
			goto out;
		FAILIF(!wait_irr(VEC_VIRTIO, 1000000), "no INTx (gsi %u) after disabling MSI-X", d->irq);
		FAILIF(lapic_irr(VEC_MSIX_QUEUE), "MSI-X message with MSI-X disabled");
		FAILIF(!(d->t->isr(d) & 1), "ISR bit 0 not set on INTx after MSI-X");
		take_irq();
		intx_back = true;
	}
	printf("VIRTIO_MSIX base=0x%llx device=%s table_size=%u msix_config=0 queue_vector=1 vector=0x%x fired=yes intx_quiet=yes masked_pending=yes unmask_fired=yes function_mask_pending=yes intx_after_disable=%s\n",
	       d->base, virtio_dev_name(d->id), d->msix_size, VEC_MSIX_QUEUE,
	       intx_back ? "yes" : "no-pin");
	ok = true;
out:
	d->t->set_status(d, 0);
	d->msix_queue_vec = VIRTIO_MSI_NO_VECTOR;
	msix_mask(d, 0, true);
	msix_mask(d, 1, true);
	msix_ctrl(d, 0, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	if (d->irq)
		ioapic_mask(d->irq);
	(void)d->t->isr(d);
	while (lapic_irr(VEC_VIRTIO) || lapic_irr(VEC_MSIX_QUEUE) || lapic_irr(VEC_MSIX_CONFIG))
		if (!take_irq())
			break;
	return ok;
}

void test_virtio_msix(const char *name)
{
	struct vdev *devs;
	int n = virtio_devs(&devs), done = 0;
	char why[200];

	pic_disable();
	lapic_enable();
	for (int i = 0; i < n; i++) {
		struct vdev *d = &devs[i];

		if (d->t != &pci_transport || !d->usable || (d->id != ID_BLOCK && d->id != ID_RNG))
			continue;
		if (!msix_check(d, why, sizeof(why)))
			return test_fail(name, "%s at 00:%02x.%u: %s", virtio_dev_name(d->id), d->pci->dev,
					 d->pci->fn, why);
		done++;
	}
	if (!done)
		return test_skip(name, "no usable virtio-pci blk or rng function");
	test_pass(name,
		  "devices=%d vector=0x%x fired, masked->pending->fired on unmask, function mask, intx quiet",
		  done, VEC_MSIX_QUEUE);
}

/* ---- the VIRTIO_PCI_CAP_PCI_CFG window ---- */

static void window(struct vdev *d, u32 off, u32 len)
{
	pci_write8(d->pci, d->cfg_cap + CAP_BAR, d->common_bar);
	pci_write32(d->pci, d->cfg_cap + CAP_OFFSET, off);
	pci_write32(d->pci, d->cfg_cap + CAP_LENGTH, len);
}

/* Through the window: a write reaches the BAR, reads return what the BAR does (4 and 1 bytes). */
bool virtio_pci_cfg_window_ok(char *why, size_t len)
{
	struct vdev *devs;
	int n = virtio_devs(&devs);

	for (int i = 0; i < n; i++) {
		struct vdev *d = &devs[i];
		u32 v, want;
		u8 b;

		if (d->t != &pci_transport || !d->usable)
			continue;
		if (!d->cfg_cap) {
			snprintf(why, len, "00:%02x.0 has no VIRTIO_PCI_CAP_PCI_CFG", d->pci->dev);
			return false;
		}
		window(d, d->common_off + C_DFSELECT, 4);
		pci_write32(d->pci, d->cfg_cap + CAP_PCI_CFG_DATA, 1);
		v = mmio_read32(d->common + C_DFSELECT);
		if (v != 1) {
			snprintf(why, len, "00:%02x.0 PCI_CFG window write of device_feature_select=1: BAR reads %u",
				 d->pci->dev, v);
			return false;
		}
		want = mmio_read32(d->common + C_DF);
		window(d, d->common_off + C_DF, 4);
		v = pci_read32(d->pci, d->cfg_cap + CAP_PCI_CFG_DATA);
		if (v != want || !(v & 1)) {
			snprintf(why, len, "00:%02x.0 PCI_CFG window reads device_feature[1]=0x%x, BAR 0x%x (VERSION_1 is bit 0)",
				 d->pci->dev, v, want);
			return false;
		}
		window(d, d->common_off + C_NUM_QUEUES, 2);
		v = pci_read16(d->pci, d->cfg_cap + CAP_PCI_CFG_DATA);
		want = mmio_read16(d->common + C_NUM_QUEUES);
		window(d, d->common_off + C_CFG_GENERATION, 1);
		b = pci_read8(d->pci, d->cfg_cap + CAP_PCI_CFG_DATA);
		mmio_write32(d->common + C_DFSELECT, 0);
		if (v != want || !v || b != mmio_read8(d->common + C_CFG_GENERATION)) {
			snprintf(why, len, "00:%02x.0 PCI_CFG window num_queues=%u (BAR %u) config_generation=%u (BAR %u)",
				 d->pci->dev, v, want, b, mmio_read8(d->common + C_CFG_GENERATION));
			return false;
		}
	}
	return true;
}
