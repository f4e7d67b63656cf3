// SPDX-License-Identifier: GPL-2.0
/* COM1, polled. Ring 3 reaches the ports directly through IOPL 3. */
#include "guest.h"

#define UART_RBR	0	/* receive buffer (read) / transmit holding (write) */
#define UART_IER	1
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80);	/* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	/* FCR untouched: changing FIFO mode flushes input that may already be waiting. */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS; OUT2 (IRQ gate) off */
}

static void wait_thre(void)
{
	/* Bounded: a missing UART reads 0xff and never blocks us. */
	for (int i = 0; i < 1000000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
}

void serial_putc(char c)
{
	wait_thre();
	outb(COM1, c);
}

/* Lines end in CR LF on the wire, like a Linux serial console. */
void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

/* Same bytes, sent with `rep outsb` in chunks that fit a 16550 transmit FIFO. */
void serial_write_outsb(const char *s, size_t n)
{
	while (n) {
		size_t chunk = n < 16 ? n : 16;
		size_t left = chunk;

		for (int i = 0; i < 1000000 && (inb(COM1 + UART_LSR) & (LSR_THRE | LSR_TEMT)) !=
					       (LSR_THRE | LSR_TEMT); i++)
			cpu_relax();
		__asm__ __volatile__("rep outsb" : "+S"(s), "+c"(left) : "d"((u16)COM1) : "memory");
		n -= chunk;
	}
}

bool serial_rx_ready(void)
{
	u8 lsr = inb(COM1 + UART_LSR);

	return lsr != 0xff && (lsr & LSR_DR);
}

/* One byte per `rep insb`, and only after LSR.DR says it is there. */
int serial_getc_timeout(u64 timeout_ms)
{
	u64 start = rdtsc(), limit = timeout_ms * tsc_khz();

	while (!serial_rx_ready()) {
		if (timeout_ms && rdtsc() - start > limit)
			return -1;
		cpu_relax();
	}
	u8 c;
	u8 *p = &c;
	size_t one = 1;

	__asm__ __volatile__("rep insb" : "+D"(p), "+c"(one) : "d"((u16)COM1) : "memory");
	return c;
}
