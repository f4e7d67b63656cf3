/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_UART8250_H
#define VMM_DEVICES_UART8250_H

#include "util/types.h"

/*
 * A 16550A-compatible UART. It knows nothing of KVM or of where it sits:
 * the owner registers uart8250_io() on an 8-byte window (x86 COM1 at port
 * 0x3f8, or MMIO with register stride 1) and wires the callbacks below.
 */

struct vcpu;
struct uart8250;

/*
 * The interrupt line, level-style: set() is called only when the level
 * changes. It is called with the UART lock held, so it must never call
 * back into the UART (irq_line_set() doesn't).
 */
struct uart_irq {
	void (*set)(void *opaque, int level);
	void *opaque;
};

/*
 * Transmitted bytes. write() is called without the UART lock held, so it
 * may block (e.g. term_write() applying backpressure).
 */
struct uart_out {
	void (*write)(void *opaque, const u8 *buf, size_t len);
	void *opaque;
};

/* Register offsets (stride 1). */
#define UART_RX		0	/* in: receive buffer (DLAB=0) */
#define UART_TX		0	/* out: transmit holding (DLAB=0) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable (DLAB=0) */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_IIR	2	/* in: interrupt identification */
#define UART_FCR	2	/* out: FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_MSR	6	/* modem status */
#define UART_SCR	7	/* scratch */
#define UART_NR_REGS	8

#define UART_IER_RDI		0x01	/* received data available */
#define UART_IER_THRI		0x02	/* THR empty */
#define UART_IER_RLSI		0x04	/* receiver line status */
#define UART_IER_MSI		0x08	/* modem status */

#define UART_IIR_NO_INT		0x01
#define UART_IIR_ID_MASK	0x0e
#define UART_IIR_MSI		0x00
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_RX_TIMEOUT	0x0c
#define UART_IIR_FIFO_ENABLED	0xc0

#define UART_FCR_ENABLE_FIFO	0x01
#define UART_FCR_CLEAR_RCVR	0x02
#define UART_FCR_CLEAR_XMIT	0x04
#define UART_FCR_TRIGGER_MASK	0xc0
#define UART_FCR_TRIGGER_1	0x00
#define UART_FCR_TRIGGER_4	0x40
#define UART_FCR_TRIGGER_8	0x80
#define UART_FCR_TRIGGER_14	0xc0

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40

#define UART_MSR_DCTS		0x01
#define UART_MSR_DDSR		0x02
#define UART_MSR_TERI		0x04
#define UART_MSR_DDCD		0x08
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80

#define UART_FIFO_SIZE		16
/* Host input waits here, beyond the FIFO, so a paste is not lost. */
#define UART_RX_BUF_SIZE	4096

/* NULL on allocation failure. The model starts in its reset state. */
struct uart8250 *uart8250_create(struct uart_irq irq, struct uart_out out);
void uart8250_destroy(struct uart8250 *u);
/* Registers back to power-on values (guest reboot); queued input is kept. */
void uart8250_reset(struct uart8250 *u);

/*
 * The bus handler (kvm/bus.h bus_handler_t); @opaque is the uart. An access
 * wider than one byte acts on its first byte: a read returns the register
 * in data[0] and zeroes the rest. Offsets >= 8 read as all-ones and ignore
 * writes, like an unmapped bus.
 */
void uart8250_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		 bool is_write, void *opaque);

/*
 * Host -> guest bytes. Returns how many were accepted (0 when the buffer is
 * full or the UART is in loopback mode); the caller keeps the rest and
 * offers them again later.
 */
size_t uart8250_receive(struct uart8250 *u, const u8 *buf, size_t len);
/* How many bytes uart8250_receive() would accept now. */
size_t uart8250_rx_space(struct uart8250 *u);

#endif
