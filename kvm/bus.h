/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_KVM_BUS_H
#define VMM_KVM_BUS_H

#include <pthread.h>

#include "util/types.h"

struct vcpu;

enum bus_kind { BUS_PIO = 0, BUS_MMIO = 1, BUS_NR };

/*
 * One signature for every trapped access. @offset is relative to the base
 * the range was registered at, so a device model does not care whether it
 * sits on a port or an MMIO address. @data holds @len bytes (1, 2, 4 or 8),
 * little-endian; for a read the handler fills it.
 */
typedef void (*bus_handler_t)(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
			      bool is_write, void *opaque);

struct bus_range {
	u64 base;
	u64 len;
	bus_handler_t handler;
	void *opaque;
	const char *name;
	bool console;		/* the guest's console: a write sets vm->console_output */
};

struct bus {
	const char *name;		/* "pio" or "mmio", for messages */
	struct bus_range *ranges;	/* sorted by base, never overlapping */
	unsigned int nr;
	unsigned int cap;
	/* accesses that hit nothing: counted, logged once per address */
	u64 unhandled;
	u64 *logged;
	unsigned int nr_logged;
	unsigned int cap_logged;
	/*
	 * Writes that hit nothing before the guest's first console output: a
	 * test kernel printing to another machine's UART. Shown without
	 * --debug (a few addresses), counted, summed up by bus_free().
	 */
	u64 early_writes;
	u64 first_early;
	unsigned int nr_early_shown;
	pthread_mutex_t miss_lock;
};

void bus_init(struct bus *bus, const char *name);
void bus_free(struct bus *bus);
/* -EEXIST if the range overlaps one already registered, -EINVAL if empty. */
int bus_add(struct bus *bus, u64 base, u64 len, bus_handler_t handler,
	    void *opaque, const char *name);
const struct bus_range *bus_find(const struct bus *bus, u64 addr);
/*
 * The range at @addr is the guest's console device (its UART): once the
 * guest writes to it, misses are no longer reported without --debug.
 */
int bus_set_console(struct bus *bus, u64 addr);
/*
 * Dispatch one access. Returns true if a device took it; otherwise a read
 * gets all-ones, a write is dropped, and the miss is counted (@vcpu may be
 * NULL: no console output yet).
 */
bool bus_access(struct bus *bus, struct vcpu *vcpu, u64 addr, u8 *data,
		u32 len, bool is_write);
/*
 * A port I/O exit (KVM_EXIT_IO): @count items of @size bytes at @data, each
 * one access to @port, in order (string I/O: ins/outs with rep).
 */
void bus_pio_exit(struct bus *bus, struct vcpu *vcpu, u16 port, u8 *data, u32 size,
		  u32 count, bool is_write);

#endif
