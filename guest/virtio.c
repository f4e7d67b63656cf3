// SPDX-License-Identifier: GPL-2.0
/*
 * A ring-3 virtio driver over two transports, and the virtio tests.
 *
 * virtio-mmio (version 2) devices are found the way Linux finds them without
 * a device tree: every `virtio_mmio.device=<size>@<base>:<irq>[:<id>]` word
 * of the command line (drivers/virtio/virtio_mmio.c, vm_cmdline_set).
 * virtio-pci devices by scanning PCI bus 0 (virtio_pci.c). Their registers
 * lie in the 3-4 GiB hole, which head.S maps user-accessible and uncached,
 * so ring 3 drives them directly. The core here only talks to a device
 * through its struct vtransport. One split virtqueue per device (queue 0,
 * 16 entries) in the guest's own RAM; one request at a time, completion by
 * polling the used ring (ring 3 can spin). virtio_irq proves the interrupt
 * path separately: the device's ISA line (mmio) or INTx (pci) through the
 * IOAPIC; virtio_msix the MSI-X vectors of virtio-pci devices.
 */
#include "virtio.h"

/* linux/virtio_mmio.h */
#define VM_MAGIC		0x000
#define VM_VERSION		0x004
#define VM_DEVICE_ID		0x008
#define VM_VENDOR_ID		0x00c
#define VM_DEVICE_FEATURES	0x010
#define VM_DEVICE_FEATURES_SEL	0x014
#define VM_DRIVER_FEATURES	0x020
#define VM_DRIVER_FEATURES_SEL	0x024
#define VM_QUEUE_SEL		0x030
#define VM_QUEUE_NUM_MAX	0x034
#define VM_QUEUE_NUM		0x038
#define VM_QUEUE_READY		0x044
#define VM_QUEUE_NOTIFY		0x050
#define VM_INTERRUPT_STATUS	0x060
#define VM_INTERRUPT_ACK	0x064
#define VM_STATUS		0x070
#define VM_QUEUE_DESC_LOW	0x080
#define VM_QUEUE_DESC_HIGH	0x084
#define VM_QUEUE_DRIVER_LOW	0x090
#define VM_QUEUE_DRIVER_HIGH	0x094
#define VM_QUEUE_DEVICE_LOW	0x0a0
#define VM_QUEUE_DEVICE_HIGH	0x0a4
#define VM_CONFIG_GENERATION	0x0fc
#define VM_CONFIG		0x100

#define VIRT_MAGIC		0x74726976	/* "virt" */

#define F_VERSION_1		32
#define BLK_F_SIZE_MAX		1
#define BLK_F_SEG_MAX		2
#define BLK_F_BLK_SIZE		6
#define BLK_F_RO		5
#define BLK_F_FLUSH		9
#define BLK_F_DISCARD		13
#define BLK_F_WRITE_ZEROES	14

#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_T_DISCARD		11
#define BLK_T_WRITE_ZEROES	13
#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2

static struct vring vrings[VIRTIO_MAX_DEVS];
static struct vdev vdevs[VIRTIO_MAX_DEVS];
static int nr_vdevs, nr_mmio;
static bool probed;

struct seg {
	void *buf;
	u32 len;
	bool write;			/* device-writable */
};

static inline void mb(void)
{
	__asm__ __volatile__("lock orq $0, (%%rsp)" ::: "memory", "cc");
}

static u32 vr32(const struct vdev *d, u32 off) { return mmio_read32(d->base + off); }
static void vw32(const struct vdev *d, u32 off, u32 v) { mmio_write32(d->base + off, v); }

const char *virtio_dev_name(u32 id)
{
	switch (id) {
	case ID_NET: return "net";
	case ID_BLOCK: return "blk";
	case ID_CONSOLE: return "console";
	case ID_RNG: return "rng";
	default: return "?";
	}
}

/* ---- the virtio-mmio transport (4.2.2) ---- */

static u8 mmio_get_status(struct vdev *d)
{
	return vr32(d, VM_STATUS);
}

static void mmio_set_status(struct vdev *d, u8 status)
{
	vw32(d, VM_STATUS, status);
}

static u64 mmio_get_features(struct vdev *d)
{
	u64 f;

	vw32(d, VM_DEVICE_FEATURES_SEL, 0);
	f = vr32(d, VM_DEVICE_FEATURES);
	vw32(d, VM_DEVICE_FEATURES_SEL, 1);
	return f | (u64)vr32(d, VM_DEVICE_FEATURES) << 32;
}

static void mmio_set_features(struct vdev *d, u64 f)
{
	vw32(d, VM_DRIVER_FEATURES_SEL, 0);
	vw32(d, VM_DRIVER_FEATURES, (u32)f);
	vw32(d, VM_DRIVER_FEATURES_SEL, 1);
	vw32(d, VM_DRIVER_FEATURES, f >> 32);
}

/* Queue @q of @num entries at @desc/@avail/@used (identity mapped, so virtual = physical). */
static bool mmio_queue_setup(struct vdev *d, u32 q, u32 num, void *desc, void *avail, void *used)
{
	u32 qmax;
	u64 a;

	vw32(d, VM_QUEUE_SEL, q);
	if (vr32(d, VM_QUEUE_READY)) {
		snprintf(d->err, sizeof(d->err), "queue %u ready after reset", q);
		return false;
	}
	qmax = vr32(d, VM_QUEUE_NUM_MAX);
	if (qmax < num) {
		snprintf(d->err, sizeof(d->err), "queue %u: QueueNumMax=%u < %u", q, qmax, num);
		return false;
	}
	vw32(d, VM_QUEUE_NUM, num);
	a = (u64)desc;
	vw32(d, VM_QUEUE_DESC_LOW, (u32)a);
	vw32(d, VM_QUEUE_DESC_HIGH, a >> 32);
	a = (u64)avail;
	vw32(d, VM_QUEUE_DRIVER_LOW, (u32)a);
	vw32(d, VM_QUEUE_DRIVER_HIGH, a >> 32);
	a = (u64)used;
	vw32(d, VM_QUEUE_DEVICE_LOW, (u32)a);
	vw32(d, VM_QUEUE_DEVICE_HIGH, a >> 32);
	vw32(d, VM_QUEUE_READY, 1);
	if (vr32(d, VM_QUEUE_READY) != 1) {	/* QueueDesc* are write-only (4.2.2) */
		snprintf(d->err, sizeof(d->err), "queue %u not ready: ready=%u status=0x%x", q,
			 vr32(d, VM_QUEUE_READY), vr32(d, VM_STATUS));
		return false;
	}
	return true;
}

/* A 32-bit write of the queue index to QueueNotify: KVM's ioeventfd. */
static void mmio_notify(struct vdev *d, u16 q)
{
	vw32(d, VM_QUEUE_NOTIFY, q);
}

static u32 mmio_isr(struct vdev *d)
{
	u32 isr = vr32(d, VM_INTERRUPT_STATUS);

	vw32(d, VM_INTERRUPT_ACK, isr);
	return isr;
}

static u32 mmio_config_generation(struct vdev *d)
{
	return vr32(d, VM_CONFIG_GENERATION);
}

static u32 mmio_config_read32(struct vdev *d, u32 off)
{
	return vr32(d, VM_CONFIG + off);
}

static const struct vtransport mmio_transport = {
	.name = "mmio",
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.queue_setup = mmio_queue_setup,
	.notify = mmio_notify,
	.isr = mmio_isr,
	.config_generation = mmio_config_generation,
	.config_read32 = mmio_config_read32,
};

/* <size>@<base>:<irq>[:<id>], size with an optional K/M/G suffix (memparse). */
static bool parse_device(const char *s, struct vdev *d)
{
	const char *e;
	u64 size = parse_u64(s, &e), base, irq;

	if (e == s)
		return false;
	if (*e == 'K' || *e == 'k')
		size <<= 10, e++;
	else if (*e == 'M' || *e == 'm')
		size <<= 20, e++;
	else if (*e == 'G' || *e == 'g')
		size <<= 30, e++;
	if (*e++ != '@')
		return false;
	s = e;
	base = parse_u64(s, &e);
	if (e == s || *e++ != ':')
		return false;
	s = e;
	irq = parse_u64(s, &e);
	if (e == s || (*e && *e != ' ' && *e != ':'))
		return false;
	d->base = base;
	d->size = size;
	d->irq = irq;
	return true;
}

/* Parse the command line once and print what each window holds. */
/* Command-line windows first (mmio=<i> is the window's position), then PCI bus 0. */
void virtio_probe(void)
{
	const char *c = cmdline();
	static const char key[] = "virtio_mmio.device=";

	if (probed)
		return;
	probed = true;
	for (; c && *c; ) {
		while (*c == ' ')
			c++;
		if (!strncmp(c, key, sizeof(key) - 1)) {
			struct vdev *d = &vdevs[nr_vdevs];

			if (nr_vdevs == VIRTIO_MAX_DEVS) {
				printf("VIRTIO more than %d devices: ignoring the rest\n", VIRTIO_MAX_DEVS);
				break;
			}
			memset(d, 0, sizeof(*d));
			d->t = &mmio_transport;
			if (!parse_device(c + sizeof(key) - 1, d)) {
				const char *e = c;

				while (*e && *e != ' ')
					e++;
				printf("VIRTIO bad parameter: ");
				serial_write(c, e - c < 80 ? e - c : 80);
				printf("\n");
			} else if (d->size < 0x100 || d->base + d->size > 0x100000000ULL ||
				   d->base < 0xc0000000ULL || (d->base & 3)) {
				/* head.S maps 3-4 GiB user-accessible and uncached; nothing else. */
				printf("VIRTIO mmio=%d base=0x%llx size=%u irq=%u not in the 3-4 GiB hole: skipped\n",
				       nr_vdevs, d->base, d->size, d->irq);
				nr_vdevs++;
			} else {
				d->magic = vr32(d, VM_MAGIC);
				d->version = vr32(d, VM_VERSION);
				d->id = vr32(d, VM_DEVICE_ID);
				d->vendor = vr32(d, VM_VENDOR_ID);
				d->usable = d->magic == VIRT_MAGIC && d->version == 2 && d->id;
				d->vr = &vrings[nr_vdevs];
				printf("VIRTIO mmio=%d base=0x%llx size=%u irq=%u magic=0x%x version=%u device=%u(%s) vendor=0x%x%s\n",
				       nr_vdevs, d->base, d->size, d->irq, d->magic, d->version, d->id,
				       virtio_dev_name(d->id), d->vendor,
				       d->usable ? "" : d->magic != VIRT_MAGIC ? " bad-magic" :
				       d->version != 2 ? " not-version-2" : " no-device");
				nr_vdevs++;
			}
		}
		while (*c && *c != ' ')
			c++;
	}
	nr_mmio = nr_vdevs;
	virtio_pci_probe(vdevs, &nr_vdevs, VIRTIO_MAX_DEVS);
	for (int i = nr_mmio; i < nr_vdevs; i++)
		vdevs[i].vr = &vrings[i];
}

int virtio_devs(struct vdev **devs)
{
	virtio_probe();
	*devs = vdevs;
	return nr_vdevs;
}

/* For SKIP lines: what was looked at. */
static const char *found(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d virtio_mmio.device=, %d virtio-pci", nr_mmio,
		 nr_vdevs - nr_mmio);
	return buf;
}

static struct vdev *virtio_find(u32 id)
{
	virtio_probe();
	for (int i = 0; i < nr_vdevs; i++)
		if (vdevs[i].usable && vdevs[i].id == id)
			return &vdevs[i];
	return NULL;
}

bool virtio_queue_setup(struct vdev *d, u32 q, struct vring *vr)
{
	memset(vr, 0, sizeof(*vr));
	return d->t->queue_setup(d, q, VQ_SIZE, vr->desc, &vr->avail, &vr->used);
}

/*
 * 3.1.1 device initialisation, up to FEATURES_OK. @want: the feature bits
 * wanted if offered (VERSION_1 is required). Returns false with d->err set.
 */
bool virtio_features(struct vdev *d, u64 want)
{
	u32 st;

	d->t->set_status(d, 0);
	if ((st = d->t->get_status(d)) != 0) {
		snprintf(d->err, sizeof(d->err), "status=0x%x after reset", st);
		return false;
	}
	d->t->set_status(d, S_ACKNOWLEDGE);
	d->t->set_status(d, S_ACKNOWLEDGE | S_DRIVER);
	d->offered = d->t->get_features(d);
	if (!(d->offered & (1ULL << F_VERSION_1))) {
		snprintf(d->err, sizeof(d->err), "VERSION_1 not offered (features=0x%llx)", d->offered);
		d->t->set_status(d, S_ACKNOWLEDGE | S_DRIVER | S_FAILED);
		return false;
	}
	d->features = d->offered & (want | 1ULL << F_VERSION_1);
	d->t->set_features(d, d->features);
	d->t->set_status(d, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	st = d->t->get_status(d);
	if (!(st & S_FEATURES_OK)) {
		snprintf(d->err, sizeof(d->err), "FEATURES_OK refused: status=0x%x features=0x%llx offered=0x%llx",
			 st, d->features, d->offered);
		d->t->set_status(d, st | S_FAILED);
		return false;
	}
	return true;
}

bool virtio_driver_ok(struct vdev *d)
{
	u32 st;

	d->t->set_status(d, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	st = d->t->get_status(d);
	if (st != (S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)) {
		snprintf(d->err, sizeof(d->err), "status=0x%x after DRIVER_OK", st);
		return false;
	}
	return true;
}

/* Queue 0 is d->vr; @vr1, if not NULL, is queue 1. */
static bool virtio_init_queues(struct vdev *d, u64 want, struct vring *vr1)
{
	if (!virtio_features(d, want))
		return false;
	d->avail_idx = d->last_used = 0;
	if (!virtio_queue_setup(d, 0, d->vr) || (vr1 && !virtio_queue_setup(d, 1, vr1)))
		return false;
	return virtio_driver_ok(d);
}

bool virtio_init(struct vdev *d, u64 want)
{
	return virtio_init_queues(d, want, NULL);
}

/*
 * One request: a chain of @n segments from descriptor 0, published,
 * kicked (queue 0's doorbell: KVM's ioeventfd), then the used ring polled.
 */
static bool vq_request(struct vdev *d, const struct seg *segs, int n, u32 *used_len)
{
	struct vring *vr = d->vr;
	u64 t0;
	u16 idx;

	for (int i = 0; i < n; i++) {
		vr->desc[i].addr = (u64)segs[i].buf;
		vr->desc[i].len = segs[i].len;
		vr->desc[i].flags = (segs[i].write ? VRING_DESC_F_WRITE : 0) |
				    (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		vr->desc[i].next = i + 1 < n ? i + 1 : 0;
	}
	vr->avail.ring[d->avail_idx % VQ_SIZE] = 0;
	barrier();				/* x86: stores stay in order */
	*(volatile u16 *)&vr->avail.idx = ++d->avail_idx;
	mb();
	if (!(*(volatile u16 *)&vr->used.flags & 1))	/* VRING_USED_F_NO_NOTIFY */
		d->t->notify(d, 0);
	t0 = rdtsc();
	while ((idx = *(volatile u16 *)&vr->used.idx) == d->last_used) {
		if (tsc_to_us(rdtsc() - t0) > VQ_TIMEOUT_US) {
			snprintf(d->err, sizeof(d->err),
				 "no completion in %u ms: used.idx=%u avail.idx=%u status=0x%x isr=0x%x",
				 VQ_TIMEOUT_US / 1000, idx, d->avail_idx, d->t->get_status(d),
				 d->t->isr(d));
			return false;
		}
		cpu_relax();
	}
	barrier();
	if ((u16)(idx - d->last_used) != 1 || vr->used.ring[d->last_used % VQ_SIZE].id != 0) {
		snprintf(d->err, sizeof(d->err), "used.idx %u -> %u, id=%u", d->last_used, idx,
			 vr->used.ring[d->last_used % VQ_SIZE].id);
		d->last_used = idx;
		return false;
	}
	*used_len = vr->used.ring[d->last_used % VQ_SIZE].len;
	d->last_used = idx;
	return true;
}

static void hex(char *out, const u8 *p, int n)
{
	for (int i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- virtio-blk ---- */

struct blk_hdr {
	u32 type;
	u32 reserved;
	u64 sector;
};

struct blk_dwz {
	u64 sector;
	u32 num_sectors;
	u32 flags;
};

static struct {
	struct blk_hdr hdr;
	struct blk_dwz dwz;
	u8 status;
	char id[24];
	u8 buf[4096] __attribute__((aligned(4096)));
	u8 buf2[4096] __attribute__((aligned(4096)));
} blk;

static u64 blk_capacity(struct vdev *d, u32 *blk_size)
{
	u32 gen, lo, hi;

	do {
		gen = d->t->config_generation(d);
		lo = d->t->config_read32(d, 0);
		hi = d->t->config_read32(d, 4);
		*blk_size = d->t->config_read32(d, 20);
	} while (gen != d->t->config_generation(d));
	return (u64)hi << 32 | lo;
}

/*
 * One blk request: header, optional data, status byte. Returns the status
 * byte, or -1 if the request did not complete (d->err says why).
 */
static int blk_req(struct vdev *d, u32 type, u64 sector, void *data, u32 len, bool data_in,
		   u32 *used_len)
{
	struct seg s[3];
	int n = 0;
	u32 ul;

	blk.hdr = (struct blk_hdr){ .type = type, .sector = sector };
	blk.status = 0xff;
	s[n++] = (struct seg){ &blk.hdr, sizeof(blk.hdr), false };
	if (len)
		s[n++] = (struct seg){ data, len, data_in };
	s[n++] = (struct seg){ &blk.status, 1, true };
	if (!vq_request(d, s, n, &ul))
		return -1;
	if (used_len)
		*used_len = ul;
	return *(volatile u8 *)&blk.status;
}

/* Sectors 8..15 get 32 lines "VMMTEST-%07u\n" each (the sector number): the host checks them. */
static void blk_pattern(u8 *buf, u64 first, u32 nsect)
{
	char line[17];

	for (u32 s = 0; s < nsect; s++) {
		snprintf(line, sizeof(line), "VMMTEST-%07u\n", (u32)(first + s));
		for (int i = 0; i < 512 / 16; i++)
			memcpy(buf + 512 * s + 16 * i, line, 16);
	}
}

static bool all_zero(const u8 *p, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

#define BLK_WANT (1ULL << BLK_F_RO | 1ULL << BLK_F_FLUSH | 1ULL << BLK_F_DISCARD | \
		  1ULL << BLK_F_WRITE_ZEROES | 1ULL << BLK_F_BLK_SIZE)

static struct vdev *blk_setup(const char *name, u64 *cap, u32 *bsz)
{
	struct vdev *d = virtio_find(ID_BLOCK);

	if (!d) {
		test_skip(name, "no usable virtio-blk device (%s)", found());
		return NULL;
	}
	if (!virtio_init(d, BLK_WANT)) {
		test_fail(name, "init at 0x%llx: %s", d->base, d->err);
		return NULL;
	}
	*cap = blk_capacity(d, bsz);
	printf("VIRTIO_BLK transport=%s base=0x%llx capacity=%llu blk_size=%u offered=0x%llx accepted=0x%llx\n",
	       d->t->name, d->base, *cap, *bsz, d->offered, d->features);
	return d;
}

#define CHECK(cond, ...) do { if (!(cond)) return test_fail(name, __VA_ARGS__); } while (0)
#define REQ_OK(r, what) CHECK((r) == BLK_S_OK, "%s: %s", what, \
			      (r) < 0 ? d->err : (r) == BLK_S_IOERR ? "IOERR" : \
			      (r) == BLK_S_UNSUPP ? "UNSUPP" : "bad status")

void test_virtio_blk(const char *name)
{
	u64 cap;
	u32 bsz, ul = 0;
	char h[33], serial[21];
	bool wz, disc;
	struct vdev *d = blk_setup(name, &cap, &bsz);
	int r;

	if (!d)
		return;
	CHECK(cap >= 64, "capacity=%llu sectors: need 64", cap);
	CHECK(!(d->features & 1ULL << BLK_F_RO), "device is read-only (VIRTIO_BLK_F_RO)");
	CHECK(d->features & 1ULL << BLK_F_FLUSH, "FLUSH not offered (0x%llx)", d->offered);

	/* sector 0 */
	memset(blk.buf, 0xee, 512);
	r = blk_req(d, BLK_T_IN, 0, blk.buf, 512, true, &ul);
	REQ_OK(r, "read sector 0");
	CHECK(ul == 513, "read sector 0: used len %u, expected 513", ul);
	hex(h, blk.buf, 16);
	printf("VIRTIO_BLK sector0=%s\n", h);

	/* write 8..15, read back */
	blk_pattern(blk.buf, 8, 8);
	r = blk_req(d, BLK_T_OUT, 8, blk.buf, 4096, false, &ul);
	REQ_OK(r, "write sectors 8-15");
	memset(blk.buf2, 0, 4096);
	r = blk_req(d, BLK_T_IN, 8, blk.buf2, 4096, true, &ul);
	REQ_OK(r, "read sectors 8-15");
	CHECK(ul == 4097, "read sectors 8-15: used len %u", ul);
	CHECK(!memcmp(blk.buf, blk.buf2, 4096), "sectors 8-15 read back differ from what was written");

	r = blk_req(d, BLK_T_FLUSH, 0, NULL, 0, false, NULL);
	REQ_OK(r, "flush");

	memset(blk.id, 0, sizeof(blk.id));
	r = blk_req(d, BLK_T_GET_ID, 0, blk.id, 20, true, &ul);
	REQ_OK(r, "get_id");
	for (int i = 0; i < 20; i++)
		serial[i] = blk.id[i] >= 0x20 && blk.id[i] < 0x7f ? blk.id[i] : blk.id[i] ? '?' : '\0';
	serial[20] = '\0';
	printf("VIRTIO_BLK serial=%s\n", serial);

	/* WRITE_ZEROES over a pattern: sectors 16..23 must read back as zeroes. */
	wz = d->features & 1ULL << BLK_F_WRITE_ZEROES;
	if (wz) {
		memset(blk.buf, 0xa5, 4096);
		r = blk_req(d, BLK_T_OUT, 16, blk.buf, 4096, false, NULL);
		REQ_OK(r, "write sectors 16-23");
		blk.dwz = (struct blk_dwz){ .sector = 16, .num_sectors = 8 };
		r = blk_req(d, BLK_T_WRITE_ZEROES, 0, &blk.dwz, sizeof(blk.dwz), false, NULL);
		REQ_OK(r, "write_zeroes sectors 16-23");
		memset(blk.buf2, 0xee, 4096);
		r = blk_req(d, BLK_T_IN, 16, blk.buf2, 4096, true, NULL);
		REQ_OK(r, "read sectors 16-23");
		CHECK(all_zero(blk.buf2, 4096), "sectors 16-23 not zero after WRITE_ZEROES");
	}
	disc = d->features & 1ULL << BLK_F_DISCARD;
	if (disc) {
		blk.dwz = (struct blk_dwz){ .sector = 16, .num_sectors = 8 };
		r = blk_req(d, BLK_T_DISCARD, 0, &blk.dwz, sizeof(blk.dwz), false, NULL);
		REQ_OK(r, "discard sectors 16-23");
	}

	/* The last sector reads; one past it is an I/O error; an unknown type unsupported. */
	r = blk_req(d, BLK_T_IN, cap - 1, blk.buf2, 512, true, NULL);
	REQ_OK(r, "read the last sector");
	r = blk_req(d, BLK_T_IN, cap, blk.buf2, 512, true, NULL);
	CHECK(r == BLK_S_IOERR, "read at sector=capacity: status %d (%s), expected IOERR(1)", r,
	      r < 0 ? d->err : "");
	r = blk_req(d, 0xff, 0, NULL, 0, false, NULL);
	CHECK(r == BLK_S_UNSUPP, "request type 0xff: status %d (%s), expected UNSUPP(2)", r,
	      r < 0 ? d->err : "");
	r = d->t->get_status(d);
	CHECK(r == 0xf, "device status 0x%x at the end", r);
	test_pass(name, "capacity=%llu sector0=%s serial=%s write_zeroes=%s discard=%s", cap, h, serial,
		  wz ? "ok" : "not-offered", disc ? "ok" : "not-offered");
}

void test_virtio_blk_ro(const char *name)
{
	u64 cap;
	u32 bsz;
	char h[33];
	struct vdev *d = blk_setup(name, &cap, &bsz);
	int r;

	if (!d)
		return;
	CHECK(d->features & 1ULL << BLK_F_RO, "VIRTIO_BLK_F_RO not offered (0x%llx)", d->offered);
	CHECK(cap >= 16, "capacity=%llu sectors: need 16", cap);
	r = blk_req(d, BLK_T_IN, 0, blk.buf, 512, true, NULL);
	REQ_OK(r, "read sector 0");
	hex(h, blk.buf, 16);
	printf("VIRTIO_BLK sector0=%s\n", h);
	r = blk_req(d, BLK_T_IN, 8, blk.buf2, 4096, true, NULL);
	REQ_OK(r, "read sectors 8-15");
	blk_pattern(blk.buf, 8, 8);
	r = blk_req(d, BLK_T_OUT, 8, blk.buf, 4096, false, NULL);
	CHECK(r == BLK_S_IOERR, "write on a read-only disk: status %d (%s), expected IOERR(1)", r,
	      r < 0 ? d->err : "");
	r = blk_req(d, BLK_T_IN, 8, blk.buf, 4096, true, NULL);
	REQ_OK(r, "read sectors 8-15 again");
	CHECK(!memcmp(blk.buf, blk.buf2, 4096), "sectors 8-15 changed by a refused write");
	if (d->offered & 1ULL << BLK_F_WRITE_ZEROES) {
		blk.dwz = (struct blk_dwz){ .sector = 8, .num_sectors = 8 };
		r = blk_req(d, BLK_T_WRITE_ZEROES, 0, &blk.dwz, sizeof(blk.dwz), false, NULL);
		CHECK(r == BLK_S_IOERR, "write_zeroes on a read-only disk: status %d", r);
	}
	if (d->features & 1ULL << BLK_F_FLUSH) {
		r = blk_req(d, BLK_T_FLUSH, 0, NULL, 0, false, NULL);
		REQ_OK(r, "flush");
	}
	test_pass(name, "capacity=%llu sector0=%s write=IOERR reads=ok", cap, h);
}

/* ---- virtio-blk benchmark: many requests in flight ---- */

#define BQ_SIZE			128	/* 3 descriptors per request: 42 in flight at most */
#define BQ_SLOTS		32
#define BQ_SEQ_LEN		(128 << 10)
#define BQ_SEQ_QD		8

/* Queue 0 for bench_blk*: BQ_SIZE entries, replacing the device's 16-entry ring. */
static struct {
	VRING_LAYOUT(BQ_SIZE);
} bq __attribute__((aligned(4096)));

static struct {
	struct blk_hdr hdr;
	u8 status;
} bq_slot[BQ_SLOTS] __attribute__((aligned(64)));

/* Data: BQ_SEQ_QD x 128 KiB, reused; the 4 KiB random reads use its first BQ_SLOTS pages. */
static u8 bq_data[BQ_SEQ_QD * BQ_SEQ_LEN] __attribute__((aligned(4096)));

static u64 bq_rng = 0x9e3779b97f4a7c15ULL;

static u64 xorshift64(void)
{
	bq_rng ^= bq_rng << 13;
	bq_rng ^= bq_rng >> 7;
	bq_rng ^= bq_rng << 17;
	return bq_rng;
}

static struct vdev *bench_blk_setup(const char *name, u64 *cap)
{
	struct vdev *d = virtio_find(ID_BLOCK);
	u32 bsz;

	if (!d) {
		test_skip(name, "no usable virtio-blk device (%s)", found());
		return NULL;
	}
	memset(&bq, 0, sizeof(bq));
	d->avail_idx = d->last_used = 0;
	if (!virtio_features(d, 1ULL << BLK_F_RO) ||
	    !d->t->queue_setup(d, 0, BQ_SIZE, bq.desc, &bq.avail, &bq.used) || !virtio_driver_ok(d)) {
		test_fail(name, "init at 0x%llx: %s", d->base, d->err);
		return NULL;
	}
	bq.avail.flags = VRING_AVAIL_F_NO_INTERRUPT;	/* we poll */
	*cap = blk_capacity(d, &bsz);
	return d;
}

/*
 * @n requests of @len bytes, @qd in flight: request i goes to sector
 * i * len / 512 (sequential) or to a random 4 KiB-aligned one (@random).
 * A completed request's slot is refilled at once, whatever the order
 * (as tests/bench/blkhost.c does on the host). Returns the TSC cycles
 * taken, 0 with d->err set on failure.
 */
static u64 bench_blk_run(struct vdev *d, u64 cap, u32 type, u32 len, u32 qd, u64 n, bool random)
{
	u64 issued = 0, done = 0, t0, tlast;
	u32 nblocks = cap / (len / 512), free_slot[BQ_SLOTS], nfree = qd;

	for (u32 i = 0; i < qd; i++)
		free_slot[i] = qd - 1 - i;
	t0 = tlast = rdtsc();
	while (done < n) {
		u16 idx;
		bool kick = false;

		/* Fill: slot s uses descriptors 3s..3s+2 and data page(s) s. */
		while (issued < n && nfree) {
			u32 s = free_slot[--nfree];
			struct vring_desc *dd = &bq.desc[3 * s];
			u64 sector = random ? (xorshift64() % nblocks) * (len / 512) : issued * (len / 512);

			bq_slot[s].hdr = (struct blk_hdr){ .type = type, .sector = sector };
			bq_slot[s].status = 0xff;
			dd[0] = (struct vring_desc){ (u64)&bq_slot[s].hdr, sizeof(struct blk_hdr),
						     VRING_DESC_F_NEXT, 3 * s + 1 };
			dd[1] = (struct vring_desc){ (u64)(bq_data + (u64)s * len), len,
						     VRING_DESC_F_NEXT | (type == BLK_T_IN ? VRING_DESC_F_WRITE : 0),
						     3 * s + 2 };
			dd[2] = (struct vring_desc){ (u64)&bq_slot[s].status, 1, VRING_DESC_F_WRITE, 0 };
			bq.avail.ring[d->avail_idx % BQ_SIZE] = 3 * s;
			d->avail_idx++;
			issued++;
			kick = true;
		}
		if (kick) {
			barrier();
			*(volatile u16 *)&bq.avail.idx = d->avail_idx;
			mb();
			if (!(*(volatile u16 *)&bq.used.flags & 1))
				d->t->notify(d, 0);
		}
		while ((idx = *(volatile u16 *)&bq.used.idx) == d->last_used) {
			if (tsc_to_us(rdtsc() - tlast) > VQ_TIMEOUT_US) {
				snprintf(d->err, sizeof(d->err),
					 "no completion in %u ms: done=%llu issued=%llu used.idx=%u avail.idx=%u",
					 VQ_TIMEOUT_US / 1000, done, issued, idx, d->avail_idx);
				return 0;
			}
			cpu_relax();
		}
		barrier();
		tlast = rdtsc();
		for (; d->last_used != idx; d->last_used++) {
			u32 id = bq.used.ring[d->last_used % BQ_SIZE].id;

			if (id % 3 || id / 3 >= qd || bq_slot[id / 3].status != BLK_S_OK) {
				snprintf(d->err, sizeof(d->err), "request in slot %u: id=%u status=%u", id / 3,
					 id, id / 3 < BQ_SLOTS ? bq_slot[id / 3].status : 0);
				return 0;
			}
			bq_slot[id / 3].status = 0xfe;	/* free */
			free_slot[nfree++] = id / 3;
			done++;
		}
	}
	return rdtsc() - t0 ?: 1;
}

static u64 mbps(u64 bytes, u64 cycles)
{
	return bytes * tsc_khz() / cycles / 1000;
}

/*
 * bench_blk: sequential write then read of 256 MiB (or the disk if smaller)
 * in 128 KiB requests, 8 in flight; 20000 random 4 KiB reads, 32 in flight.
 */
void test_bench_blk(const char *name)
{
	u64 cap, c, seq_n, rand_n = 20000;
	struct vdev *d = bench_blk_setup(name, &cap);
	u64 wr, rd, ri;

	if (!d)
		return;
	seq_n = (256ULL << 20) / BQ_SEQ_LEN;
	if (seq_n > cap * 512 / BQ_SEQ_LEN)
		seq_n = cap * 512 / BQ_SEQ_LEN;
	if (!seq_n || cap < 8)
		return test_fail(name, "capacity=%llu sectors: too small", cap);
	if (d->features & 1ULL << BLK_F_RO)
		return test_fail(name, "device is read-only");
	for (u64 i = 0; i < sizeof(bq_data); i++)
		bq_data[i] = (u8)(i * 131 + 7);

	c = bench_blk_run(d, cap, BLK_T_OUT, BQ_SEQ_LEN, BQ_SEQ_QD, seq_n, false);
	if (!c)
		return test_fail(name, "seq_write: %s", d->err);
	wr = mbps(seq_n * BQ_SEQ_LEN, c);
	printf("BENCH blk seq_write MBps=%llu bytes=%llu req=%u qd=%u cycles=%llu\n", wr,
	       seq_n * BQ_SEQ_LEN, BQ_SEQ_LEN, BQ_SEQ_QD, c);

	c = bench_blk_run(d, cap, BLK_T_IN, BQ_SEQ_LEN, BQ_SEQ_QD, seq_n, false);
	if (!c)
		return test_fail(name, "seq_read: %s", d->err);
	rd = mbps(seq_n * BQ_SEQ_LEN, c);
	printf("BENCH blk seq_read MBps=%llu bytes=%llu req=%u qd=%u cycles=%llu\n", rd,
	       seq_n * BQ_SEQ_LEN, BQ_SEQ_LEN, BQ_SEQ_QD, c);

	c = bench_blk_run(d, cap, BLK_T_IN, 4096, BQ_SLOTS, rand_n, true);
	if (!c)
		return test_fail(name, "rand_read_4k: %s", d->err);
	ri = rand_n * tsc_khz() * 1000 / c;
	printf("BENCH blk rand_read_4k iops=%llu qd=%u n=%llu cycles=%llu\n", ri, BQ_SLOTS, rand_n, c);
	test_pass(name, "seq_write_MBps=%llu seq_read_MBps=%llu rand_read_4k_iops=%llu", wr, rd, ri);
}

/*
 * bench_blk_exits: bench_n= (default 1000) random 4 KiB reads, one at a
 * time, nothing printed meanwhile, and a fixed-width TEST line: the
 * difference between vmm's exit counts with bench_n=N and bench_n=0 is
 * what the requests cost.
 */
void test_bench_blk_exits(const char *name)
{
	u64 cap, n = 1000;
	char v[24];
	struct vdev *d = bench_blk_setup(name, &cap);

	if (!d)
		return;
	if (cmdline_get("bench_n", v, sizeof(v)))
		n = parse_u64(v, NULL) % 1000000;
	if (n && !bench_blk_run(d, cap, BLK_T_IN, 4096, 1, n, true))
		return test_fail(name, "%s", d->err);
	test_pass(name, "requests=%06llu", n);
}

/* ---- virtio-rng ---- */

static u8 rng_buf[64] __attribute__((aligned(64)));

void test_virtio_rng(const char *name)
{
	struct vdev *d = virtio_find(ID_RNG);
	struct seg s = { rng_buf, sizeof(rng_buf), true };
	char h[2 * sizeof(rng_buf) + 1];
	u32 ul = 0;

	if (!d)
		return test_skip(name, "no usable virtio-rng device (%s)", found());
	if (!virtio_init(d, 0))
		return test_fail(name, "init at 0x%llx: %s", d->base, d->err);
	memset(rng_buf, 0, sizeof(rng_buf));
	if (!vq_request(d, &s, 1, &ul))
		return test_fail(name, "%s", d->err);
	hex(h, rng_buf, sizeof(rng_buf));
	printf("VIRTIO_RNG bytes=%s\n", h);
	if (ul != sizeof(rng_buf))
		return test_fail(name, "got %u bytes, asked for %u", ul, (u32)sizeof(rng_buf));
	if (all_zero(rng_buf, sizeof(rng_buf)))
		return test_fail(name, "64 zero bytes");
	test_pass(name, "bytes=%u base=0x%llx transport=%s", ul, d->base, d->t->name);
}

/* ---- interrupts ---- */

/* A request that completes on any device we drive: blk reads sector 0, rng 16 bytes. */
bool virtio_irq_request(struct vdev *d)
{
	if (d->id == ID_BLOCK)
		return blk_req(d, BLK_T_IN, 0, blk.buf, 512, true, NULL) == BLK_S_OK;
	struct seg s = { rng_buf, 16, true };
	u32 ul;

	return vq_request(d, &s, 1, &ul);
}

static bool wait_irq(u64 before, u64 us)
{
	u64 t0 = rdtsc();

	while (irq_count_virtio == before && tsc_to_us(rdtsc() - t0) < us)
		cpu_relax();
	return irq_count_virtio != before;
}

/*
 * One device's line (ISA IRQ from the command line) routed edge-triggered,
 * active high through the IOAPIC: a completion raises an interrupt (irqfd),
 * InterruptStatus says "used buffer" and InterruptACK clears it; the next
 * completion interrupts again; VRING_AVAIL_F_NO_INTERRUPT suppresses it.
 * Returns false with @why set.
 */
static bool mmio_irq_check(struct vdev *d, char *why, size_t len)
{
	u32 gsi = d->irq < 16 ? acpi_get()->irq_gsi[d->irq] : d->irq;
	u32 isr, isr_after, n1, n2;
	u64 before;
	bool quiet, ok = false;

	if (!virtio_init(d, 0)) {
		snprintf(why, len, "init: %s", d->err);
		return false;
	}
	ioapic_route(gsi, VEC_VIRTIO, lapic_id(), false, false);
	sti();

	before = irq_count_virtio;
	if (!virtio_irq_request(d))
		goto fail_req;
	if (!wait_irq(before, 1000000)) {
		snprintf(why, len, "no interrupt in 1 s on gsi %u; InterruptStatus=0x%x", gsi,
			 vr32(d, VM_INTERRUPT_STATUS));
		goto out;
	}
	n1 = irq_count_virtio - before;
	isr = vr32(d, VM_INTERRUPT_STATUS);
	vw32(d, VM_INTERRUPT_ACK, isr);
	isr_after = vr32(d, VM_INTERRUPT_STATUS);

	/* Again after the ACK: the edge comes back. */
	before = irq_count_virtio;
	if (!virtio_irq_request(d))
		goto fail_req;
	wait_irq(before, 1000000);
	n2 = irq_count_virtio - before;
	vw32(d, VM_INTERRUPT_ACK, vr32(d, VM_INTERRUPT_STATUS));

	/* Suppressed: no interrupt within 50 ms. */
	d->vr->avail.flags = VRING_AVAIL_F_NO_INTERRUPT;
	before = irq_count_virtio;
	if (!virtio_irq_request(d))
		goto fail_req;
	quiet = !wait_irq(before, 50000);
	d->vr->avail.flags = 0;
	vw32(d, VM_INTERRUPT_ACK, vr32(d, VM_INTERRUPT_STATUS));

	printf("VIRTIO_IRQ base=0x%llx device=%s irq=%u gsi=%u first=%u isr=0x%x isr_after_ack=0x%x second=%u suppressed=%s\n",
	       d->base, virtio_dev_name(d->id), d->irq, gsi, n1, isr, isr_after, n2, quiet ? "yes" : "no");
	if (!(isr & 1) || isr_after)
		snprintf(why, len, "InterruptStatus=0x%x (want bit 0), 0x%x after ACK (want 0)", isr, isr_after);
	else if (!n2)
		snprintf(why, len, "no interrupt for the second request (after ACK)");
	else if (!quiet)
		snprintf(why, len, "interrupt despite VRING_AVAIL_F_NO_INTERRUPT");
	else
		ok = true;
	goto out;
fail_req:
	snprintf(why, len, "request failed: %s", d->err);
out:
	cli();
	ioapic_mask(gsi);
	return ok;
}

/*
 * Every blk and rng device's line, one after the other: the ISA line of
 * a virtio-mmio window, INTx of a virtio-pci function (virtio_pci.c).
 */
void test_virtio_irq(const char *name)
{
	char why[200], lines[64] = "";
	int n = 0, len = 0, shared;

	virtio_probe();
	pic_disable();
	lapic_enable();
	for (int i = 0; i < nr_vdevs; i++) {
		struct vdev *d = &vdevs[i];

		if (!d->usable || (d->id != ID_BLOCK && d->id != ID_RNG))
			continue;
		if (d->t == &mmio_transport ? !mmio_irq_check(d, why, sizeof(why)) :
		    !virtio_pci_irq_check(d, why, sizeof(why)))
			return test_fail(name, "%s %s at 0x%llx irq %u: %s", d->t->name,
					 virtio_dev_name(d->id), d->base, d->irq, why);
		n++;
		len += snprintf(lines + len, len < (int)sizeof(lines) ? sizeof(lines) - len : 0,
				"%s%u", n > 1 ? "," : "", d->irq);
	}
	if (!n)
		return test_skip(name, "no usable virtio-blk or virtio-rng device (%s)", found());
	shared = virtio_pci_shared_intx_check(why, sizeof(why));
	if (shared < 0)
		return test_fail(name, "shared INTx: %s", why);
	test_pass(name, "devices=%d irqs=%s isr=0x1 acked, re-raised, suppressed%s%s", n, lines,
		  nr_vdevs > nr_mmio ? " (pci: level INTx, lowered by the ISR read)" : "",
		  shared ? " shared_intx_ok" : "");
}

/* ---- virtio-net ---- */

#define NET_F_MAC		5
#define NET_F_STATUS		16
#define NET_HDR			12	/* virtio_net_hdr_v1 */
#define NET_RXBUFS		8
#define NET_RXBUF_SIZE		1536
#define NET_ETHERTYPE		0x88b5	/* IEEE 802 local experimental */
#define NET_PING		"VMMTEST-NET-PING"
#define NET_PONG		"VMMTEST-NET-PONG"

static struct vring net_txq;
static struct {
	u8 rx[NET_RXBUFS][NET_RXBUF_SIZE];
	u8 tx[NET_HDR + 64];
} net __attribute__((aligned(4096)));

static void net_rx_post(struct vdev *d, u16 i)
{
	struct vring *vr = d->vr;

	vr->desc[i] = (struct vring_desc){ (u64)net.rx[i], NET_RXBUF_SIZE, VRING_DESC_F_WRITE, 0 };
	vr->avail.ring[d->avail_idx % VQ_SIZE] = i;
	barrier();
	*(volatile u16 *)&vr->avail.idx = ++d->avail_idx;
}

/*
 * Send one frame (broadcast, EtherType 0x88b5, payload NET_PING) on tx,
 * again every 500 ms until a frame with NET_PONG arrives on rx (the host
 * side may start listening after the first one), for up to 5 s. Prints
 * every received frame.
 */
void test_virtio_net(const char *name)
{
	struct vdev *d = virtio_find(ID_NET);
	struct vring *tx = &net_txq;
	u16 tx_avail = 0, tx_used = 0, sent = 0, seen = 0;
	u8 mac[6], *f;
	u32 cfg[2];
	u64 t0, last = 0;
	char h[2 * 64 + 1];

	if (!d)
		return test_skip(name, "no usable virtio-net device (%s)", found());
	if (!virtio_init_queues(d, 1ULL << NET_F_MAC | 1ULL << NET_F_STATUS, tx))
		return test_fail(name, "init at 0x%llx: %s", d->base, d->err);
	cfg[0] = d->t->config_read32(d, 0);
	cfg[1] = d->t->config_read32(d, 4);
	for (int i = 0; i < 6; i++)
		mac[i] = cfg[i / 4] >> (8 * (i % 4));
	printf("VIRTIO_NET transport=%s base=0x%llx mac=%02x:%02x:%02x:%02x:%02x:%02x status=%u offered=0x%llx accepted=0x%llx\n",
	       d->t->name, d->base, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       cfg[1] >> 16, d->offered, d->features);
	for (u16 i = 0; i < NET_RXBUFS; i++)
		net_rx_post(d, i);
	mb();
	d->t->notify(d, 0);

	memset(net.tx, 0, sizeof(net.tx));
	f = net.tx + NET_HDR;
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = NET_ETHERTYPE >> 8;
	f[13] = NET_ETHERTYPE & 0xff;
	memcpy(f + 14, NET_PING, sizeof(NET_PING) - 1);
	tx->desc[0] = (struct vring_desc){ (u64)net.tx, NET_HDR + 60, 0, 0 };

	t0 = rdtsc();
	for (;;) {
		u64 now = tsc_to_us(rdtsc() - t0);
		u16 idx;

		if (now > 5000000)
			return test_fail(name, "no %s frame in 5 s: sent=%u tx_used=%u received=%u status=0x%x",
					 NET_PONG, sent, tx_used, seen, d->t->get_status(d));
		/* The previous ping went out: send again every 500 ms. */
		if ((!sent || now - last >= 500000) &&
		    *(volatile u16 *)&tx->used.idx == tx_avail) {
			tx_used = tx_avail;
			tx->avail.ring[tx_avail % VQ_SIZE] = 0;
			barrier();
			*(volatile u16 *)&tx->avail.idx = ++tx_avail;
			mb();
			d->t->notify(d, 1);
			sent++;
			last = now;
		}
		idx = *(volatile u16 *)&d->vr->used.idx;
		while (d->last_used != idx) {
			u32 id = d->vr->used.ring[d->last_used % VQ_SIZE].id;
			u32 len = d->vr->used.ring[d->last_used % VQ_SIZE].len;
			u8 *r;

			d->last_used++;
			seen++;
			if (id >= NET_RXBUFS || len < NET_HDR + 14 || len > NET_RXBUF_SIZE)
				return test_fail(name, "rx used id=%u len=%u", id, len);
			r = net.rx[id] + NET_HDR;
			len -= NET_HDR;
			hex(h, r, len < 64 ? len : 64);
			printf("VIRTIO_NET rx len=%u frame=%s\n", len, h);
			if (len >= 14 + sizeof(NET_PONG) - 1 &&
			    r[12] == NET_ETHERTYPE >> 8 && r[13] == (NET_ETHERTYPE & 0xff) &&
			    !memcmp(r + 14, NET_PONG, sizeof(NET_PONG) - 1) && !memcmp(r, mac, 6)) {
				return test_pass(name, "mac=%02x:%02x:%02x:%02x:%02x:%02x sent=%u received=%u reply=%s",
						 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], sent,
						 seen, NET_PONG);
			}
			net_rx_post(d, id);
			mb();
			d->t->notify(d, 0);
		}
		cpu_relax();
	}
}
