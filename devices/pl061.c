// SPDX-License-Identifier: GPL-2.0
/*
 * PL061 GPIO (ARM DDI 0190B): the data register is 256 aliases whose
 * address bits [9:2] mask the pins a access touches; interrupts are raw
 * status (edges latched, levels live) masked by GPIOIE into one line.
 * Registers are 8 bits wide; wider accesses see them zero-extended.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pl061.h"

#define GPIODATA_END	0x400
#define GPIODIR		0x400
#define GPIOIS		0x404	/* 1: level-sensitive */
#define GPIOIBE		0x408	/* 1: both edges */
#define GPIOIEV		0x40c	/* 1: rising edge / high level */
#define GPIOIE		0x410
#define GPIORIS		0x414
#define GPIOMIS		0x418
#define GPIOIC		0x41c
#define GPIOAFSEL	0x420
#define GPIO_ID		0xfe0	/* PeriphID0-3, PCellID0-3 */

/* The AMBA bus matches the driver on these: part 0x061, designer ARM (0x41). */
static const u8 pl061_id[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl061 {
	pthread_mutex_t lock;
	struct pl061_irq irq;
	u8 in;			/* levels vmm drives on the pins */
	u8 out;			/* what the guest wrote to output pins */
	u8 dir, is, ibe, iev, ie, ris, afsel;
	u8 release;		/* pins that fall to 0 once read as 1 */
	bool line;
};

/* With the lock held: level interrupts follow the pins; the line follows MIS. */
static void pl061_update(struct pl061 *g)
{
	u8 level = (u8)(g->in & ~g->dir), high = (u8)(level & g->iev), low = (u8)(~level & ~g->iev);
	bool line;

	g->ris = (u8)((g->ris & ~g->is) | ((high | low) & g->is & ~g->dir));
	line = g->ris & g->ie;
	if (line != g->line) {
		g->line = line;
		g->irq.set(g->irq.opaque, line);
	}
}

/* With the lock held: a new level on the input pins; edges latch in RIS. */
static void pl061_drive(struct pl061 *g, u8 in)
{
	u8 changed = (u8)((g->in ^ in) & ~g->dir), rose = changed & in, fell = changed & ~in;
	u8 edge = (u8)~g->is;

	g->in = in;
	g->ris |= edge & ((changed & g->ibe) | (rose & ~g->ibe & g->iev) |
			  (fell & ~g->ibe & ~g->iev));
	pl061_update(g);
}

static u8 pl061_read(struct pl061 *g, u64 off)
{
	u8 v, mask;

	if (off < GPIODATA_END) {
		mask = (u8)(off >> 2);
		v = (u8)(((g->in & ~g->dir) | (g->out & g->dir)) & mask);
		/* A key press lasts until the driver has seen it. */
		if (g->release & v)
			pl061_drive(g, (u8)(g->in & ~(g->release & v)));
		g->release &= (u8)~v;
		return v;
	}
	switch (off) {
	case GPIODIR: return g->dir;
	case GPIOIS: return g->is;
	case GPIOIBE: return g->ibe;
	case GPIOIEV: return g->iev;
	case GPIOIE: return g->ie;
	case GPIORIS: return g->ris;
	case GPIOMIS: return g->ris & g->ie;
	case GPIOAFSEL: return g->afsel;
	}
	if (off >= GPIO_ID && off < GPIO_ID + 4 * sizeof(pl061_id) && !(off & 3))
		return pl061_id[(off - GPIO_ID) / 4];
	return 0;
}

static void pl061_write(struct pl061 *g, u64 off, u8 v)
{
	if (off < GPIODATA_END) {
		u8 mask = (u8)(off >> 2);

		g->out = (u8)((g->out & ~mask) | (v & mask));
		return;
	}
	switch (off) {
	case GPIODIR: g->dir = v; break;
	case GPIOIS: g->is = v; break;
	case GPIOIBE: g->ibe = v; break;
	case GPIOIEV: g->iev = v; break;
	case GPIOIE: g->ie = v; break;
	case GPIOIC: g->ris &= (u8)~v; break;
	case GPIOAFSEL: g->afsel = v; break;
	default: return;	/* read-only or reserved */
	}
	pl061_update(g);
}

void pl061_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write, void *opaque)
{
	struct pl061 *g = opaque;

	pthread_mutex_lock(&g->lock);
	if (is_write) {
		pl061_write(g, offset, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = pl061_read(g, offset);
	}
	pthread_mutex_unlock(&g->lock);
}

void pl061_set_input(struct pl061 *g, unsigned int pin, bool level, bool until_read)
{
	u8 bit = (u8)(1u << pin);

	if (pin >= PL061_NR_PINS)
		return;
	pthread_mutex_lock(&g->lock);
	g->release = until_read && level ? g->release | bit : g->release & ~bit;
	pl061_drive(g, level ? g->in | bit : g->in & ~bit);
	pthread_mutex_unlock(&g->lock);
}

struct pl061 *pl061_create(struct pl061_irq irq)
{
	struct pl061 *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	g->irq = irq;
	return g;
}

void pl061_destroy(struct pl061 *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}
