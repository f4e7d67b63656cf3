// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART model.
 *
 * The transmitter is instantly done: THR is always empty (LSR THRE|TEMT),
 * and every byte written goes straight to the output sink. The receiver
 * holds host input in a ring larger than the 16-byte FIFO; the first
 * FIFO-depth bytes of the ring are "the FIFO" as the guest sees it, the
 * rest is input still on the wire, waiting (hardware flow control, in
 * effect). So host input is never overrun; OE only happens in loopback.
 *
 * Interrupt priorities follow the datasheet: line status > received data
 * (or character timeout) > THR empty > modem status. With the FIFO on,
 * fewer bytes than the trigger level report a character timeout at once:
 * we have no clock, and a guest handles both causes the same way.
 *
 * On a PC, MCR.OUT2 gates the UART's interrupt onto the ISA bus, and
 * Linux's 8250 driver sets OUT2 whenever it uses the IRQ. We gate the line
 * the same way, but start with OUT2 set as QEMU and kvmtool do, so a guest
 * that never touches MCR still gets interrupts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart8250.h"

struct uart8250 {
	pthread_mutex_t lock;
	struct uart_irq irq;
	struct uart_out out;

	u8 dll;
	u8 dlm;
	u8 ier;
	u8 lcr;
	u8 mcr;
	u8 scr;
	u8 fcr;			/* FIFO enable and trigger level bits */
	u8 lsr_err;		/* OE, sticky until LSR is read */
	u8 msr_lines;		/* MSR bits 4-7: modem input lines */
	u8 msr_delta;		/* MSR bits 0-3, cleared when MSR is read */
	bool thr_ipending;	/* THRE interrupt latched, cleared by IIR read */
	int irq_level;		/* last level given to irq.set() */

	u8 rx[UART_RX_BUF_SIZE];
	size_t rx_head;
	size_t rx_count;
};

static size_t uart_fifo_depth(const struct uart8250 *u)
{
	return (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_FIFO_SIZE : 1;
}

/* Bytes in the guest-visible FIFO (or holding register). */
static size_t uart_rx_visible(const struct uart8250 *u)
{
	return MIN(u->rx_count, uart_fifo_depth(u));
}

static size_t uart_rx_trigger(const struct uart8250 *u)
{
	static const u8 levels[] = { 1, 4, 8, 14 };

	return levels[(u->fcr & UART_FCR_TRIGGER_MASK) >> 6];
}

static void uart_rx_push(struct uart8250 *u, u8 byte)
{
	u->rx[(u->rx_head + u->rx_count) % UART_RX_BUF_SIZE] = byte;
	u->rx_count++;
}

static u8 uart_rx_pop(struct uart8250 *u)
{
	u8 byte = u->rx[u->rx_head];

	u->rx_head = (u->rx_head + 1) % UART_RX_BUF_SIZE;
	u->rx_count--;
	return byte;
}

/* Clearing the RX FIFO drops what the guest can see, not what still waits. */
static void uart_rx_clear_fifo(struct uart8250 *u)
{
	size_t n = uart_rx_visible(u);

	u->rx_head = (u->rx_head + n) % UART_RX_BUF_SIZE;
	u->rx_count -= n;
}

/* The highest-priority pending interrupt, as IIR bits 0-3. */
static u8 uart_pending(const struct uart8250 *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr_err & UART_LSR_OE))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count) {
		if ((u->fcr & UART_FCR_ENABLE_FIFO) &&
		    uart_rx_visible(u) < uart_rx_trigger(u))
			return UART_IIR_RX_TIMEOUT;
		return UART_IIR_RDI;
	}
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart8250 *u)
{
	int level = uart_pending(u) != UART_IIR_NO_INT &&
		    (u->mcr & UART_MCR_OUT2);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->irq.set)
		u->irq.set(u->irq.opaque, level);
}

/*
 * The modem inputs: asserted DCD/DSR/CTS so a guest never waits for
 * carrier; in loopback they are wired to the MCR outputs instead.
 */
static void uart_update_msr(struct uart8250 *u)
{
	u8 lines, changed;

	if (u->mcr & UART_MCR_LOOP) {
		lines = 0;
		if (u->mcr & UART_MCR_RTS)
			lines |= UART_MSR_CTS;
		if (u->mcr & UART_MCR_DTR)
			lines |= UART_MSR_DSR;
		if (u->mcr & UART_MCR_OUT1)
			lines |= UART_MSR_RI;
		if (u->mcr & UART_MCR_OUT2)
			lines |= UART_MSR_DCD;
	} else {
		lines = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	}

	changed = lines ^ u->msr_lines;
	if (changed & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	/* TERI flags the trailing edge of RI only */
	if ((changed & UART_MSR_RI) && !(lines & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI;
	u->msr_lines = lines;
}

static void uart_reset_locked(struct uart8250 *u)
{
	u->dll = 12;		/* 9600 baud from the 1.8432 MHz clock */
	u->dlm = 0;
	u->ier = 0;
	u->lcr = 0;
	u->mcr = UART_MCR_OUT2;
	u->scr = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->msr_lines = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	u->msr_delta = 0;
	u->thr_ipending = false;
	uart_update_irq(u);
}

/* A byte the guest transmits while in loopback comes back as input. */
static void uart_loopback(struct uart8250 *u, u8 byte)
{
	if (u->rx_count >= uart_fifo_depth(u)) {
		u->lsr_err |= UART_LSR_OE;	/* the new byte is lost */
		return;
	}
	uart_rx_push(u, byte);
}

static void uart_write_fcr(struct uart8250 *u, u8 val)
{
	bool was_on = u->fcr & UART_FCR_ENABLE_FIFO;

	/* Toggling FCR0 clears the FIFOs; with it clear no other bit sticks. */
	if (!(val & UART_FCR_ENABLE_FIFO)) {
		if (was_on)
			uart_rx_clear_fifo(u);
		u->fcr = 0;
		return;
	}
	if (!was_on || (val & UART_FCR_CLEAR_RCVR))
		uart_rx_clear_fifo(u);
	/* UART_FCR_CLEAR_XMIT: the transmitter is always empty */
	u->fcr = val & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
}

/* Returns true if @val is a byte to transmit to the outside world. */
static bool uart_write_reg(struct uart8250 *u, unsigned int reg, u8 val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	bool tx = false;
	u8 changed;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			u->dll = val;
			break;
		}
		if (u->mcr & UART_MCR_LOOP)
			uart_loopback(u, val);
		else
			tx = true;
		/* sent at once: THR is empty again */
		u->thr_ipending = true;
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		changed = (u->ier ^ val) & 0x0f;
		u->ier = val & 0x0f;
		/*
		 * THR is always empty, so enabling ETBEI raises THRE at once;
		 * Linux's startup THRE test and start_tx() depend on it. Only
		 * the 0->1 edge re-arms it, as in QEMU and Bochs.
		 */
		if (changed & UART_IER_THRI)
			u->thr_ipending = u->ier & UART_IER_THRI;
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		uart_update_msr(u);
		break;
	case UART_LSR:
	case UART_MSR:
		/* read-only (LSR writes are a factory test mode) */
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	uart_update_irq(u);
	return tx;
}

static u8 uart_read_reg(struct uart8250 *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 val = 0;

	switch (reg) {
	case UART_RX:
		if (dlab)
			val = u->dll;
		else if (u->rx_count)
			val = uart_rx_pop(u);
		break;
	case UART_IER:
		val = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = uart_pending(u);
		if (u->fcr & UART_FCR_ENABLE_FIFO)
			val |= UART_IIR_FIFO_ENABLED;
		/* reading IIR acknowledges a THRE interrupt it reports */
		if ((val & 0x0f) == UART_IIR_THRI)
			u->thr_ipending = false;
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err;
		if (u->rx_count)
			val |= UART_LSR_DR;
		u->lsr_err = 0;
		break;
	case UART_MSR:
		val = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	uart_update_irq(u);
	return val;
}

void uart8250_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		 bool is_write, void *opaque)
{
	struct uart8250 *u = opaque;
	bool tx = false;
	u8 val;

	if (!len)
		return;
	if (offset >= UART_NR_REGS) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}

	pthread_mutex_lock(&u->lock);
	if (is_write) {
		val = data[0];
		tx = uart_write_reg(u, offset, val);
	} else {
		val = uart_read_reg(u, offset);
		memset(data, 0, len);
		data[0] = val;
	}
	pthread_mutex_unlock(&u->lock);

	/* outside the lock: the sink may block to apply backpressure */
	if (tx && u->out.write)
		u->out.write(u->out.opaque, &val, 1);
}

size_t uart8250_receive(struct uart8250 *u, const u8 *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* in loopback the serial input is cut off: the host waits */
	if (!(u->mcr & UART_MCR_LOOP)) {
		n = MIN(len, UART_RX_BUF_SIZE - u->rx_count);
		for (size_t i = 0; i < n; i++)
			uart_rx_push(u, buf[i]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart8250_rx_space(struct uart8250 *u)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & UART_MCR_LOOP))
		n = UART_RX_BUF_SIZE - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}

void uart8250_reset(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	uart_reset_locked(u);
	pthread_mutex_unlock(&u->lock);
}

struct uart8250 *uart8250_create(struct uart_irq irq, struct uart_out out)
{
	struct uart8250 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = irq;
	u->out = out;
	uart_reset_locked(u);
	return u;
}

void uart8250_destroy(struct uart8250 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}
