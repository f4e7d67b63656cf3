// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 from ring 3: configuration mechanism #1 (0xcf8 address latch,
 * 0xcfc-0xcff data; the TSS I/O bitmap allows every port) and ECAM, whose
 * base comes from the ACPI MCFG (head.S maps the 3-4 GiB hole, ECAM and
 * the BAR window included, user-accessible and uncached).
 *
 * The driver reads configuration space through CAM, as Linux does on x86
 * without MMCONFIG; the `pci` test checks that ECAM sees the same bytes,
 * that empty slots and functions read all-ones, that read-only registers
 * ignore writes, and sizes every BAR.
 */
#include "guest.h"

#define CAM_ADDR		0xcf8
#define CAM_DATA		0xcfc
#define CAM_ENABLE		0x80000000U
#define PCI_VENDOR		0x00
#define PCI_REVISION		0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_SUBSYS		0x2c

static struct pci_fn fns[PCI_MAX_FNS];
static int nr_fns = -1;

static u32 cam_addr(u8 bus, u8 dev, u8 fn, u32 off)
{
	return CAM_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

static u32 cam_read(u8 bus, u8 dev, u8 fn, u32 off, int len)
{
	if (off >= 256)
		return ~0U;
	outl(CAM_ADDR, cam_addr(bus, dev, fn, off));
	switch (len) {
	case 1: return inb(CAM_DATA + (off & 3));
	case 2: return inw(CAM_DATA + (off & 2));
	default: return inl(CAM_DATA);
	}
}

static void cam_write(u8 bus, u8 dev, u8 fn, u32 off, int len, u32 v)
{
	if (off >= 256)
		return;
	outl(CAM_ADDR, cam_addr(bus, dev, fn, off));
	switch (len) {
	case 1: outb(CAM_DATA + (off & 3), v); break;
	case 2: outw(CAM_DATA + (off & 2), v); break;
	default: outl(CAM_DATA, v); break;
	}
}

u64 pci_ecam_base(void)
{
	const struct acpi_info *ai = acpi_get();

	if (!ai->mcfg_base || ai->mcfg_bus_start > 0 || ai->mcfg_base + (1 << 20) > 0x100000000ULL)
		return 0;
	return ai->mcfg_base;
}

static u64 ecam_addr(u8 bus, u8 dev, u8 fn, u32 off)
{
	u64 base = pci_ecam_base();

	return base ? base + ((u64)bus << 20 | dev << 15 | fn << 12 | off) : 0;
}

static u32 ecam_read(u8 bus, u8 dev, u8 fn, u32 off, int len)
{
	u64 a = ecam_addr(bus, dev, fn, off);

	if (!a)
		return ~0U;
	switch (len) {
	case 1: return mmio_read8(a);
	case 2: return mmio_read16(a);
	default: return mmio_read32(a);
	}
}

static void ecam_write(u8 bus, u8 dev, u8 fn, u32 off, int len, u32 v)
{
	u64 a = ecam_addr(bus, dev, fn, off);

	if (!a)
		return;
	switch (len) {
	case 1: mmio_write8(a, v); break;
	case 2: mmio_write16(a, v); break;
	default: mmio_write32(a, v); break;
	}
}

u32 pci_cam_read(const struct pci_fn *f, u32 off, int len)
{
	return cam_read(f->bus, f->dev, f->fn, off, len);
}

void pci_cam_write(const struct pci_fn *f, u32 off, int len, u32 v)
{
	cam_write(f->bus, f->dev, f->fn, off, len, v);
}

u32 pci_ecam_read(const struct pci_fn *f, u32 off, int len)
{
	return ecam_read(f->bus, f->dev, f->fn, off, len);
}

void pci_ecam_write(const struct pci_fn *f, u32 off, int len, u32 v)
{
	ecam_write(f->bus, f->dev, f->fn, off, len, v);
}

u8 pci_find_cap(const struct pci_fn *f, u8 id, u8 from)
{
	u8 p;

	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	p = from ? pci_read8(f, from + 1) : pci_read8(f, PCI_CAP_PTR);
	for (int n = 0; n < 48 && (p & ~3) >= 0x40; n++) {
		p &= ~3;
		if (pci_read8(f, p) == id)
			return p;
		p = pci_read8(f, p + 1);
	}
	return 0;
}

static void fill(struct pci_fn *f)
{
	u32 v = pci_read32(f, PCI_VENDOR);

	f->vendor = v;
	f->device = v >> 16;
	v = pci_read32(f, PCI_REVISION);
	f->rev = v;
	f->class = v >> 8;
	f->hdr_type = pci_read8(f, PCI_HEADER_TYPE);
	if ((f->hdr_type & 0x7f) != 0)
		return;
	v = pci_read32(f, PCI_SUBSYS);
	f->subsys_vendor = v;
	f->subsys = v >> 16;
	f->irq_line = pci_read8(f, PCI_INTERRUPT_LINE);
	f->irq_pin = pci_read8(f, PCI_INTERRUPT_PIN);
	for (int i = 0; i < 6; i++) {
		v = pci_read32(f, PCI_BAR0 + 4 * i);
		if (v & 1)		/* I/O BAR: not used */
			continue;
		f->bar[i] = v & ~0xfULL;
		if ((v & 6) == 4 && i < 5) {
			f->bar64[i] = true;
			f->bar[i] |= (u64)pci_read32(f, PCI_BAR0 + 4 * (i + 1)) << 32;
			i++;
		}
	}
}

/* Bus 0, function 0 of every slot, functions 1-7 of multi-function devices. */
int pci_scan(struct pci_fn **out)
{
	if (nr_fns < 0) {
		nr_fns = 0;
		for (u8 dev = 0; dev < 32; dev++) {
			for (u8 fn = 0; fn < 8 && nr_fns < PCI_MAX_FNS; fn++) {
				struct pci_fn *f = &fns[nr_fns];

				memset(f, 0, sizeof(*f));
				f->dev = dev;
				f->fn = fn;
				if ((pci_read32(f, PCI_VENDOR) & 0xffff) == 0xffff) {
					if (fn == 0)
						break;
					continue;
				}
				fill(f);
				nr_fns++;
				if (fn == 0 && !(f->hdr_type & 0x80))
					break;
			}
		}
	}
	*out = fns;
	return nr_fns;
}

/* ---- the pci test ---- */

#define CHECKF(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(why, wlen, __VA_ARGS__);		\
			return false;					\
		}							\
	} while (0)

static bool present(u8 dev, u8 fn)
{
	for (int i = 0; i < nr_fns; i++)
		if (fns[i].dev == dev && fns[i].fn == fn)
			return true;
	return false;
}

/* Configuration space 0-0xff of @f: CAM and ECAM agree (dwords; words and bytes at a few places). */
static bool cam_ecam_agree(const struct pci_fn *f, char *why, size_t wlen)
{
	static const u8 narrow[] = { 0x02, 0x06, 0x0e, 0x2e, 0x3d };
	u8 line;

	for (u32 off = 0; off < 256; off += 4) {
		u32 c = pci_cam_read(f, off, 4), e = pci_ecam_read(f, off, 4);

		CHECKF(c == e, "%02x:%02x.%u offset 0x%02x: CAM 0x%08x ECAM 0x%08x", f->bus, f->dev,
		       f->fn, off, c, e);
	}
	for (u32 i = 0; i < sizeof(narrow); i++) {
		u32 off = narrow[i], dw = pci_cam_read(f, off & ~3, 4);
		u32 w = dw >> 8 * (off & 2) & 0xffff, b = dw >> 8 * (off & 3) & 0xff;

		CHECKF(pci_cam_read(f, off & ~1, 2) == w && pci_ecam_read(f, off & ~1, 2) == w,
		       "%02x:%02x.%u 16-bit read at 0x%02x: CAM 0x%x ECAM 0x%x dword 0x%08x", f->bus,
		       f->dev, f->fn, off & ~1, pci_cam_read(f, off & ~1, 2),
		       pci_ecam_read(f, off & ~1, 2), dw);
		CHECKF(pci_cam_read(f, off, 1) == b && pci_ecam_read(f, off, 1) == b,
		       "%02x:%02x.%u 8-bit read at 0x%02x: CAM 0x%x ECAM 0x%x dword 0x%08x", f->bus,
		       f->dev, f->fn, off, pci_cam_read(f, off, 1), pci_ecam_read(f, off, 1), dw);
	}
	/* A write through one is read through the other (Interrupt Line is read-write). */
	if ((f->hdr_type & 0x7f) == 0) {
		line = pci_cam_read(f, PCI_INTERRUPT_LINE, 1);
		pci_ecam_write(f, PCI_INTERRUPT_LINE, 1, 0x5a);
		CHECKF(pci_cam_read(f, PCI_INTERRUPT_LINE, 1) == 0x5a,
		       "%02x:%02x.%u Interrupt Line written 0x5a through ECAM, CAM reads 0x%x", f->bus,
		       f->dev, f->fn, pci_cam_read(f, PCI_INTERRUPT_LINE, 1));
		pci_cam_write(f, PCI_INTERRUPT_LINE, 1, line);
		CHECKF(pci_ecam_read(f, PCI_INTERRUPT_LINE, 1) == line,
		       "%02x:%02x.%u Interrupt Line restored to 0x%x through CAM, ECAM reads 0x%x", f->bus,
		       f->dev, f->fn, line, pci_ecam_read(f, PCI_INTERRUPT_LINE, 1));
	}
	return true;
}

/* Writing all-ones to @off (@len bytes) changes nothing. */
static bool ro(const struct pci_fn *f, u32 off, int len, const char *what, char *why, size_t wlen)
{
	u32 before = pci_read32(f, off & ~3), after;

	pci_cam_write(f, off, len, len == 4 ? ~0U : (1U << 8 * len) - 1);
	after = pci_read32(f, off & ~3);
	if (after != before) {
		pci_cam_write(f, off & ~3, 4, before);
		CHECKF(false, "%02x:%02x.%u %s (0x%02x) is writable: 0x%08x -> 0x%08x", f->bus, f->dev,
		       f->fn, what, off, before, after);
	}
	return true;
}

static bool read_only_fields(const struct pci_fn *f, char *why, size_t wlen)
{
	u16 cmd = pci_read16(f, PCI_COMMAND), st;
	u8 line, p;

	if (!ro(f, 0x00, 4, "vendor/device id", why, wlen) ||
	    !ro(f, 0x08, 4, "revision/class", why, wlen) ||
	    !ro(f, PCI_HEADER_TYPE, 1, "header type", why, wlen))
		return false;
	if ((f->hdr_type & 0x7f) != 0)
		return true;
	if (!ro(f, PCI_SUBSYS, 4, "subsystem ids", why, wlen) ||
	    !ro(f, PCI_CAP_PTR, 1, "capabilities pointer", why, wlen) ||
	    !ro(f, PCI_INTERRUPT_PIN, 1, "interrupt pin", why, wlen))
		return false;
	/* Status: write-1-to-clear at most; the capability list bit stays. */
	st = pci_read16(f, PCI_STATUS);
	pci_write16(f, PCI_STATUS, 0xffff);
	CHECKF((pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST) == (st & PCI_STATUS_CAP_LIST),
	       "%02x:%02x.%u status 0x%04x -> 0x%04x after writing 0xffff", f->bus, f->dev, f->fn, st,
	       pci_read16(f, PCI_STATUS));
	/* Every capability's id and next, and the vendor ones' bodies except the PCI_CFG window. */
	for (p = pci_read8(f, PCI_CAP_PTR) & ~3; p >= 0x40; p = pci_read8(f, p + 1) & ~3) {
		u8 id = pci_read8(f, p), len = pci_read8(f, p + 2);

		if (!ro(f, p, 2, "capability id/next", why, wlen))
			return false;
		if (id == PCI_CAP_ID_VNDR && f->vendor == 0x1af4 && pci_read8(f, p + 3) != 5) {
			if (!ro(f, p + 2, 2, "virtio capability length/type", why, wlen))
				return false;
			for (u32 o = 4; o + 4 <= len; o += 4)
				if (!ro(f, p + o, 4, "virtio capability", why, wlen))
					return false;
		} else if (id == PCI_CAP_ID_MSIX) {
			u16 mc = pci_read16(f, p + 2);

			if (!ro(f, p + 4, 4, "MSI-X table offset/BIR", why, wlen) ||
			    !ro(f, p + 8, 4, "MSI-X PBA offset/BIR", why, wlen))
				return false;
			pci_write16(f, p + 2, mc ^ 0x7ff);
			CHECKF((pci_read16(f, p + 2) & 0x7ff) == (mc & 0x7ff),
			       "%02x:%02x.%u MSI-X table size writable: 0x%x -> 0x%x", f->bus, f->dev,
			       f->fn, mc, pci_read16(f, p + 2));
			pci_write16(f, p + 2, mc);
		}
	}
	/* Interrupt Line and the command register's Interrupt Disable are read-write. */
	line = pci_read8(f, PCI_INTERRUPT_LINE);
	pci_write8(f, PCI_INTERRUPT_LINE, 0xa5);
	CHECKF(pci_read8(f, PCI_INTERRUPT_LINE) == 0xa5, "%02x:%02x.%u Interrupt Line not writable",
	       f->bus, f->dev, f->fn);
	pci_write8(f, PCI_INTERRUPT_LINE, line);
	if (f->vendor == 0x1af4) {
		pci_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
		CHECKF(pci_read16(f, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE,
		       "%02x:%02x.%u Interrupt Disable does not stick", f->bus, f->dev, f->fn);
		pci_write16(f, PCI_COMMAND, cmd);
		CHECKF(pci_read16(f, PCI_COMMAND) == cmd, "%02x:%02x.%u command 0x%x not restored (0x%x)",
		       f->bus, f->dev, f->fn, cmd, pci_read16(f, PCI_COMMAND));
	}
	return true;
}

/*
 * Size every BAR as Linux does (decoding off, all-ones, read, restore).
 * A memory BAR is a power of two >= 4 KiB (vmm) at an aligned address,
 * and reads all-ones while decoding is off. Appends "b<i>=addr/size".
 */
static bool size_bars(struct pci_fn *f, int *nbars, char *out, size_t olen, char *why, size_t wlen)
{
	u16 cmd = pci_read16(f, PCI_COMMAND);
	size_t n = strlen(out);

	if ((f->hdr_type & 0x7f) != 0)
		return true;
	pci_write16(f, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | 1));
	for (int i = 0; i < 6; i++) {
		u32 reg = PCI_BAR0 + 4 * i, orig = pci_read32(f, reg), mask, orig_hi = 0, mask_hi = ~0U;
		u64 size, addr;
		bool is64 = !(orig & 1) && (orig & 6) == 4 && i < 5;

		pci_write32(f, reg, ~0U);
		mask = pci_read32(f, reg);
		pci_write32(f, reg, orig);
		if (is64) {
			orig_hi = pci_read32(f, reg + 4);
			pci_write32(f, reg + 4, ~0U);
			mask_hi = pci_read32(f, reg + 4);
			pci_write32(f, reg + 4, orig_hi);
		}
		if (pci_read32(f, reg) != orig || (is64 && pci_read32(f, reg + 4) != orig_hi)) {
			pci_write16(f, PCI_COMMAND, cmd);
			CHECKF(false, "%02x:%02x.%u BAR%d not restored: 0x%08x -> 0x%08x", f->bus, f->dev,
			       f->fn, i, orig, pci_read32(f, reg));
		}
		if (!mask) {		/* not implemented: reads 0 whatever is written */
			CHECKF(!orig, "%02x:%02x.%u BAR%d reads 0x%x but sizes as 0", f->bus, f->dev, f->fn,
			       i, orig);
			continue;
		}
		if (orig & 1) {		/* I/O: noted, not checked further */
			n += snprintf(out + n, n < olen ? olen - n : 0, " b%d=io:0x%x", i, orig & ~3);
			continue;
		}
		size = ~((u64)mask_hi << 32 | (mask & ~0xfU)) + 1;
		addr = (u64)orig_hi << 32 | (orig & ~0xfU);
		if (!is64)
			size &= 0xffffffffULL;
		CHECKF((mask & 0xf) == (orig & 0xf), "%02x:%02x.%u BAR%d flag bits 0x%x became 0x%x",
		       f->bus, f->dev, f->fn, i, orig & 0xf, mask & 0xf);
		CHECKF(size && !(size & (size - 1)), "%02x:%02x.%u BAR%d size mask 0x%08x: not a power of 2",
		       f->bus, f->dev, f->fn, i, mask);
		CHECKF(!(addr & (size - 1)), "%02x:%02x.%u BAR%d at 0x%llx not aligned to its size 0x%llx",
		       f->bus, f->dev, f->fn, i, addr, size);
		if (f->vendor == 0x1af4) {
			CHECKF(size >= 4096, "%02x:%02x.%u BAR%d size 0x%llx < 4 KiB", f->bus, f->dev,
			       f->fn, i, size);
			/* vmm's bus reads all-ones from nothing (QEMU's reads 0) */
			if (addr && addr + size <= 0x100000000ULL && addr >= 0xc0000000ULL &&
			    fns[0].vendor == 0x1b36 && fns[0].device == 0x0008) {
				u32 v = mmio_read32(addr);

				CHECKF(v == ~0U, "%02x:%02x.%u BAR%d decodes with memory decoding off (0x%x)",
				       f->bus, f->dev, f->fn, i, v);
			}
		}
		n += snprintf(out + n, n < olen ? olen - n : 0, " b%d=0x%llx/0x%llx", i, addr, size);
		(*nbars)++;
		if (is64)
			i++;
	}
	pci_write16(f, PCI_COMMAND, cmd);
	CHECKF(pci_read16(f, PCI_COMMAND) == cmd, "%02x:%02x.%u command 0x%x not restored (0x%x)",
	       f->bus, f->dev, f->fn, cmd, pci_read16(f, PCI_COMMAND));
	return true;
}

/* The capability list: pointers dword-aligned, >= 0x40, no loop. */
static bool cap_list(const struct pci_fn *f, char *out, size_t olen, char *why, size_t wlen)
{
	size_t n = strlen(out);
	u8 p;
	int count = 0;

	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return true;
	for (p = pci_read8(f, PCI_CAP_PTR); p; p = pci_read8(f, p + 1)) {
		CHECKF(!(p & 3) && p >= 0x40, "%02x:%02x.%u capability pointer 0x%x", f->bus, f->dev,
		       f->fn, p);
		CHECKF(++count <= 48, "%02x:%02x.%u capability list loops", f->bus, f->dev, f->fn);
		n += snprintf(out + n, n < olen ? olen - n : 0, "%s0x%x:%02x", count > 1 ? "," : " caps=",
			      p, pci_read8(f, p));
		if (pci_read8(f, p) == PCI_CAP_ID_VNDR)
			n += snprintf(out + n, n < olen ? olen - n : 0, "/%u", pci_read8(f, p + 3));
	}
	return true;
}

/* 0xcf8 is a read-write latch (Linux's pci_check_type1 relies on it); no enable bit, no cycle. */
static bool cam_latch(char *why, size_t wlen)
{
	u32 saved = inl(CAM_ADDR), v;

	outl(CAM_ADDR, CAM_ENABLE);
	v = inl(CAM_ADDR);
	CHECKF(v == CAM_ENABLE, "0xcf8 reads 0x%08x after writing 0x80000000", v);
	outl(CAM_ADDR, 0);		/* 00:00.0 offset 0, but the enable bit clear */
	v = inl(CAM_DATA);
	CHECKF(v == ~0U, "0xcfc reads 0x%08x with the enable bit of 0xcf8 clear", v);
	outl(CAM_ADDR, saved);
	return true;
}

void test_pci(const char *name)
{
	struct pci_fn *f;
	int n = pci_scan(&f), empty = 0, nbars = 0, virtio = 0;
	u64 ecam = pci_ecam_base();
	char why[200];

	if (!n)
		return test_fail(name, "no function on bus 0 (00:00.0 reads 0x%08x)",
				 cam_read(0, 0, 0, 0, 4));
	printf("PCI ecam=0x%llx mcfg_buses=%u-%u functions=%d\n", ecam, acpi_get()->mcfg_bus_start,
	       acpi_get()->mcfg_bus_end, n);
	if (!cam_latch(why, sizeof(why)))
		return test_fail(name, "%s", why);
	if (f[0].dev || f[0].fn || f[0].class >> 8 != 0x0600)
		return test_fail(name, "00:00.0 is not a host bridge (%02x:%02x.%u class 0x%06x)",
				 f[0].bus, f[0].dev, f[0].fn, f[0].class);
	if (!ecam)
		return test_fail(name, "no MCFG with bus 0 in the ACPI tables: ECAM not checked");
	for (int i = 0; i < n; i++) {
		char line[256] = "";

		if (f[i].vendor == 0x1af4)
			virtio++;
		if (!cap_list(&f[i], line, sizeof(line), why, sizeof(why)) ||
		    !cam_ecam_agree(&f[i], why, sizeof(why)) ||
		    !read_only_fields(&f[i], why, sizeof(why)) ||
		    !size_bars(&f[i], &nbars, line, sizeof(line), why, sizeof(why)))
			return test_fail(name, "%s", why);
		printf("PCI %02x:%02x.%u id=%04x:%04x subsys=%04x:%04x class=0x%06x rev=%u hdr=0x%02x pin=%u line=%u%s\n",
		       f[i].bus, f[i].dev, f[i].fn, f[i].vendor, f[i].device, f[i].subsys_vendor,
		       f[i].subsys, f[i].class, f[i].rev, f[i].hdr_type, f[i].irq_pin, f[i].irq_line,
		       line);
		if (f[i].vendor == 0x1af4 && f[i].device >= 0x1040 && f[i].rev < 1)
			return test_fail(name, "%02x:%02x.%u: modern virtio device with revision %u",
					 f[i].bus, f[i].dev, f[i].fn, f[i].rev);
	}
	/* Empty slots, and the missing functions of present devices, read all-ones. */
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			u32 c0, c8, e0, e8;

			if (present(dev, fn))
				continue;
			c0 = cam_read(0, dev, fn, 0, 4);
			c8 = cam_read(0, dev, fn, 0x3c, 4);
			e0 = ecam_read(0, dev, fn, 0, 4);
			e8 = ecam_read(0, dev, fn, 0x100, 4);
			if (c0 != ~0U || c8 != ~0U || e0 != ~0U || e8 != ~0U)
				return test_fail(name, "empty 00:%02x.%u reads CAM 0x%08x/0x%08x ECAM 0x%08x/0x%08x (want all-ones)",
						 dev, fn, c0, c8, e0, e8);
			/* Writes to nothing are dropped. */
			cam_write(0, dev, fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
			ecam_write(0, dev, fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
			if (cam_read(0, dev, fn, 0, 4) != ~0U || ecam_read(0, dev, fn, PCI_COMMAND, 4) != ~0U)
				return test_fail(name, "empty 00:%02x.%u: a write made it appear", dev, fn);
			empty++;
		}
	}
	if (virtio && !virtio_pci_cfg_window_ok(why, sizeof(why)))
		return test_fail(name, "%s", why);
	test_pass(name, "functions=%d virtio=%d empty_functions_all_ones=%d cam=ecam(0x%llx) bars_sized=%d ro_fields_ok%s",
		  n, virtio, empty, ecam, nbars, virtio ? " pci_cfg_window_ok" : "");
}
