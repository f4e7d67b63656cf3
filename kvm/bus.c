// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O bus: a sorted array of non-overlapping ranges, searched by binary
 * search. Ranges are registered before vcpus start and never change after,
 * so lookups take no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/bus.h"
#include "kvm/kvm.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

/* Distinct early-write addresses shown without --debug: then only counted. */
#define BUS_EARLY_SHOWN_MAX	4

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->miss_lock, NULL);
}

void bus_free(struct bus *bus)
{
	if (bus->early_writes)
		log_warn("%llu %s write%s hit no device before the guest used its console, the "
			 "first at 0x%llx", (unsigned long long)bus->early_writes, bus->name,
			 bus->early_writes == 1 ? "" : "s", (unsigned long long)bus->first_early);
	free(bus->ranges);
	free(bus->logged);
	pthread_mutex_destroy(&bus->miss_lock);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first range whose base is above @addr. */
static unsigned int bus_upper(const struct bus *bus, u64 addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_add(struct bus *bus, u64 base, u64 len, bus_handler_t handler,
	    void *opaque, const char *name)
{
	unsigned int i;
	u64 last;

	if (!len || !handler || __builtin_add_overflow(base, len - 1, &last))
		return -EINVAL;

	i = bus_upper(bus, base);
	/* The range before must end below base; the one after start past last. */
	if (i > 0) {
		const struct bus_range *prev = &bus->ranges[i - 1];

		if (prev->base + (prev->len - 1) >= base)
			return -EEXIST;
	}
	if (i < bus->nr && bus->ranges[i].base <= last)
		return -EEXIST;

	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(*bus->ranges));
	bus->ranges[i] = (struct bus_range){
		.base = base, .len = len, .handler = handler,
		.opaque = opaque, .name = name,
	};
	bus->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, u64 addr)
{
	unsigned int i = bus_upper(bus, addr);
	const struct bus_range *r;

	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

int bus_set_console(struct bus *bus, u64 addr)
{
	unsigned int i = bus_upper(bus, addr);

	if (i == 0 || addr - bus->ranges[i - 1].base >= bus->ranges[i - 1].len)
		return -ENOENT;
	bus->ranges[i - 1].console = true;
	return 0;
}

/*
 * Log a miss once per address: a guest probing in a loop must not flood.
 * Writes before the guest has touched its console are shown even without
 * --debug, for a few addresses: a kernel whose UART is elsewhere would
 * otherwise be silent. (Linux with "quiet" prints nothing for long, but
 * sets up its UART first, before probing COM2-4.)
 */
static void bus_note_miss(struct bus *bus, u64 addr, u32 len, bool is_write, bool console)
{
	bool first = true, early = is_write && !console;
	unsigned int shown = 0;

	pthread_mutex_lock(&bus->miss_lock);
	bus->unhandled++;
	for (unsigned int i = 0; i < bus->nr_logged; i++) {
		if (bus->logged[i] == addr) {
			first = false;
			break;
		}
	}
	if (first && bus->nr_logged < 4096) {
		if (bus->nr_logged == bus->cap_logged) {
			unsigned int cap = bus->cap_logged ? bus->cap_logged * 2 : 32;
			u64 *l = realloc(bus->logged, cap * sizeof(*l));

			if (l) {
				bus->logged = l;
				bus->cap_logged = cap;
			}
		}
		if (bus->nr_logged < bus->cap_logged)
			bus->logged[bus->nr_logged++] = addr;
	} else {
		first = false;
	}
	if (early) {
		if (!bus->early_writes++)
			bus->first_early = addr;
		if (first && bus->nr_early_shown < BUS_EARLY_SHOWN_MAX)
			shown = ++bus->nr_early_shown;
	}
	pthread_mutex_unlock(&bus->miss_lock);

	if (shown && !log_debug_enabled)
		log_warn("guest wrote to %s 0x%llx (len %u), where there is no device, before "
			 "using its console%s", bus->name, (unsigned long long)addr, len,
			 shown == BUS_EARLY_SHOWN_MAX ? "; further such writes are only counted" :
			 " (a kernel built for another UART address?)");
	else if (first)
		log_debug("unhandled %s %s 0x%llx len %u (logged once)",
			  bus->name, is_write ? "write to" : "read from",
			  (unsigned long long)addr, len);
}

bool bus_access(struct bus *bus, struct vcpu *vcpu, u64 addr, u8 *data,
		u32 len, bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr);

	if (r) {
		if (r->console && is_write && vcpu)
			atomic_store(&vcpu->vm->console_output, true);
		r->handler(vcpu, addr - r->base, data, len, is_write, r->opaque);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, len);
	bus_note_miss(bus, addr, len, is_write,
		      vcpu && atomic_load(&vcpu->vm->console_output));
	return false;
}

void bus_pio_exit(struct bus *bus, struct vcpu *vcpu, u16 port, u8 *data, u32 size,
		  u32 count, bool is_write)
{
	/* String I/O: all items filled before the vcpu re-enters. */
	for (u32 i = 0; i < count; i++) {
		bus_access(bus, vcpu, port, data, size, is_write);
		data += size;
	}
}

int bus_register(struct vm *vm, enum bus_kind kind, u64 base, u64 len,
		 bus_handler_t handler, void *opaque, const char *name)
{
	int r = bus_add(&vm->bus[kind], base, len, handler, opaque, name);

	/* Overlapping devices are a bug in vmm's machine description. */
	if (r == -EEXIST) {
		const struct bus_range *o = bus_find(&vm->bus[kind], base);

		log_error("%s 0x%llx+0x%llx for %s overlaps %s", vm->bus[kind].name,
			  (unsigned long long)base, (unsigned long long)len, name,
			  o ? o->name : "another device");
	}
	return r;
}
