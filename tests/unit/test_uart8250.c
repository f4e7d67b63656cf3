// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>

#include "devices/uart8250.h"
#include "test.h"

struct fake {
	int level;
	int set_calls;
	u8 out[8192];
	size_t out_len;
};

static void fake_irq_set(void *opaque, int level)
{
	struct fake *f = opaque;

	f->level = level;
	f->set_calls++;
}

static void fake_write(void *opaque, const u8 *buf, size_t len)
{
	struct fake *f = opaque;

	if (f->out_len + len <= sizeof(f->out)) {
		memcpy(f->out + f->out_len, buf, len);
		f->out_len += len;
	}
}

static struct uart8250 *fake_uart(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	return uart8250_create((struct uart_irq){ fake_irq_set, f },
			       (struct uart_out){ fake_write, f });
}

static u8 rd(struct uart8250 *u, u64 reg)
{
	u8 v = 0xee;

	uart8250_io(NULL, reg, &v, 1, false, u);
	return v;
}

static void wr(struct uart8250 *u, u64 reg, u8 v)
{
	uart8250_io(NULL, reg, &v, 1, true, u);
}

TEST(uart_power_on_state)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	TEST_ASSERT(u, "create");
	TEST_ASSERT_EQ(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);
	TEST_ASSERT_EQ(rd(u, UART_MSR),
		       UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	TEST_ASSERT_EQ(rd(u, UART_IER), 0);
	TEST_ASSERT_EQ(rd(u, UART_LCR), 0);
	TEST_ASSERT_EQ(rd(u, UART_MCR), UART_MCR_OUT2);
	TEST_ASSERT_EQ(rd(u, UART_RX), 0);
	TEST_ASSERT_EQ(f.set_calls, 0);
	uart8250_destroy(u);
}

TEST(uart_dlab_switches_to_divisor_latch)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_IER, UART_IER_RDI);
	wr(u, UART_LCR, UART_LCR_DLAB | 0x03);
	TEST_ASSERT_EQ(rd(u, UART_DLL), 12);	/* 9600 baud default */
	wr(u, UART_DLL, 0x01);
	wr(u, UART_DLM, 0x02);
	TEST_ASSERT_EQ(rd(u, UART_DLL), 0x01);
	TEST_ASSERT_EQ(rd(u, UART_DLM), 0x02);
	TEST_ASSERT_EQ(f.out_len, 0);		/* DLL write is not a THR write */

	wr(u, UART_LCR, 0x03);
	TEST_ASSERT_EQ(rd(u, UART_IER), UART_IER_RDI);
	TEST_ASSERT_EQ(rd(u, UART_RX), 0);
	TEST_ASSERT_EQ(rd(u, UART_LCR), 0x03);

	wr(u, UART_LCR, UART_LCR_DLAB);
	TEST_ASSERT_EQ(rd(u, UART_DLL), 0x01);
	TEST_ASSERT_EQ(rd(u, UART_DLM), 0x02);
	uart8250_destroy(u);
}

TEST(uart_scratch_register_holds_a_byte)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_SCR, 0xa5);
	TEST_ASSERT_EQ(rd(u, UART_SCR), 0xa5);
	wr(u, UART_SCR, 0x5a);
	TEST_ASSERT_EQ(rd(u, UART_SCR), 0x5a);
	uart8250_destroy(u);
}

TEST(uart_thr_writes_reach_output_and_lsr_stays_idle)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_TX, 'h');
	TEST_ASSERT_EQ(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	wr(u, UART_TX, 'i');
	TEST_ASSERT_EQ(f.out_len, 2);
	TEST_ASSERT(!memcmp(f.out, "hi", 2), "out '%.2s'", f.out);
	TEST_ASSERT_EQ(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	uart8250_destroy(u);
}

TEST(uart_thre_irq_on_etbei_enable_cleared_by_iir_read)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_IER, UART_IER_THRI);
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_THRI);
	TEST_ASSERT_EQ(f.level, 0);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);

	/* rewriting the same IER does not re-arm it... */
	wr(u, UART_IER, UART_IER_THRI);
	TEST_ASSERT_EQ(f.level, 0);
	/* ...a transmitted byte does (THR empties again at once) */
	wr(u, UART_TX, 'x');
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_THRI);
	TEST_ASSERT_EQ(f.level, 0);

	/* and so does the 0->1 edge of ETBEI */
	wr(u, UART_IER, 0);
	wr(u, UART_IER, UART_IER_THRI);
	TEST_ASSERT_EQ(f.level, 1);
	wr(u, UART_IER, 0);
	TEST_ASSERT_EQ(f.level, 0);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);
	uart8250_destroy(u);
}

/* The sequence of serial8250_do_startup(): a UART that fails it gets polled. */
TEST(uart_passes_linux_thre_retest)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	u8 iir1, iir;

	wr(u, UART_IER, UART_IER_THRI);
	iir1 = rd(u, UART_IIR);
	wr(u, UART_IER, 0);
	wr(u, UART_IER, UART_IER_THRI);
	iir = rd(u, UART_IIR);
	wr(u, UART_IER, 0);
	TEST_ASSERT(!(iir1 & UART_IIR_NO_INT), "iir1 %#x", iir1);
	TEST_ASSERT(!(iir & UART_IIR_NO_INT), "iir %#x", iir);
	uart8250_destroy(u);
}

TEST(uart_rx_sets_dr_and_raises_irq)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	TEST_ASSERT_EQ(uart8250_receive(u, (const u8 *)"ab", 2), 2);
	TEST_ASSERT_EQ(f.level, 0);		/* ERBFI clear */
	TEST_ASSERT(rd(u, UART_LSR) & UART_LSR_DR, "DR");
	wr(u, UART_IER, UART_IER_RDI);
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_RDI);
	TEST_ASSERT_EQ(rd(u, UART_RX), 'a');
	TEST_ASSERT(rd(u, UART_LSR) & UART_LSR_DR, "DR after one");
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_RX), 'b');
	TEST_ASSERT_EQ(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	TEST_ASSERT_EQ(f.level, 0);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);
	uart8250_destroy(u);
}

TEST(uart_fifo_enable_shows_in_iir_with_trigger_level)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	u8 buf[16];

	memset(buf, 'z', sizeof(buf));
	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);
	wr(u, UART_FCR, 0);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);

	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_14);
	wr(u, UART_IER, UART_IER_RDI);
	uart8250_receive(u, buf, 3);
	/* below the trigger level: a character timeout */
	TEST_ASSERT_EQ(rd(u, UART_IIR),
		       UART_IIR_FIFO_ENABLED | UART_IIR_RX_TIMEOUT);
	TEST_ASSERT_EQ(f.level, 1);
	uart8250_receive(u, buf, 11);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_RDI);
	uart8250_destroy(u);
}

TEST(uart_fifo_clear_drops_only_the_fifo)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	u8 buf[100];

	for (int i = 0; i < 100; i++)
		buf[i] = i;
	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	TEST_ASSERT_EQ(uart8250_receive(u, buf, 100), 100);
	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
	   UART_FCR_CLEAR_XMIT);
	TEST_ASSERT_EQ(rd(u, UART_RX), 16);
	TEST_ASSERT_EQ(uart8250_rx_space(u), UART_RX_BUF_SIZE - 83);
	uart8250_destroy(u);
}

TEST(uart_irq_priority_order)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	/* entering loopback changes CTS/DSR: modem status deltas latch */
	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	wr(u, UART_IER, 0x0f);
	wr(u, UART_TX, 'x');
	wr(u, UART_TX, 'y');	/* FIFO off: holding register full, overrun */

	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_RLSI);
	TEST_ASSERT_EQ(rd(u, UART_LSR), UART_LSR_DR | UART_LSR_OE |
		       UART_LSR_THRE | UART_LSR_TEMT);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_RDI);
	TEST_ASSERT_EQ(rd(u, UART_RX), 'x');
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_THRI);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_MSI);
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_MSR) & 0x0f, UART_MSR_DCTS | UART_MSR_DDSR);
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_NO_INT);
	TEST_ASSERT_EQ(f.level, 0);
	uart8250_destroy(u);
}

TEST(uart_loopback_returns_tx_and_mirrors_mcr_in_msr)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	/* Linux autoconfig: LOOP | RTS | OUT2 must read back as CTS | DCD */
	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	TEST_ASSERT_EQ(rd(u, UART_MSR) & 0xf0, 0x90);
	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	TEST_ASSERT_EQ(rd(u, UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
	wr(u, UART_MCR, UART_MCR_LOOP);
	TEST_ASSERT(rd(u, UART_MSR) & UART_MSR_TERI, "TERI on RI falling");

	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	wr(u, UART_TX, 'L');
	wr(u, UART_TX, 'B');
	TEST_ASSERT_EQ(f.out_len, 0);
	/* the serial input is disconnected: the host must wait */
	TEST_ASSERT_EQ(uart8250_receive(u, (const u8 *)"h", 1), 0);
	TEST_ASSERT_EQ(uart8250_rx_space(u), 0);
	TEST_ASSERT(rd(u, UART_LSR) & UART_LSR_DR, "DR");
	TEST_ASSERT_EQ(rd(u, UART_RX), 'L');
	TEST_ASSERT_EQ(rd(u, UART_RX), 'B');
	TEST_ASSERT(!(rd(u, UART_LSR) & UART_LSR_DR), "no DR");

	wr(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	TEST_ASSERT_EQ(rd(u, UART_MSR) & 0xf0,
		       UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	TEST_ASSERT_EQ(uart8250_receive(u, (const u8 *)"h", 1), 1);
	wr(u, UART_TX, 'o');
	TEST_ASSERT_EQ(f.out_len, 1);
	uart8250_destroy(u);
}

TEST(uart_overrun_sets_oe_until_lsr_read)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	wr(u, UART_MCR, UART_MCR_LOOP);
	for (int i = 0; i < UART_FIFO_SIZE + 1; i++)
		wr(u, UART_TX, 'a' + i);
	TEST_ASSERT_EQ(rd(u, UART_LSR) & (UART_LSR_OE | UART_LSR_DR),
		       UART_LSR_OE | UART_LSR_DR);
	TEST_ASSERT_EQ(rd(u, UART_LSR) & UART_LSR_OE, 0);
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		TEST_ASSERT_EQ(rd(u, UART_RX), 'a' + i);
	TEST_ASSERT(!(rd(u, UART_LSR) & UART_LSR_DR), "17th byte was kept");
	uart8250_destroy(u);
}

TEST(uart_out2_gates_irq_line)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_MCR, 0);
	wr(u, UART_IER, UART_IER_RDI);
	uart8250_receive(u, (const u8 *)"k", 1);
	TEST_ASSERT_EQ(f.level, 0);
	/* the source is pending; only the line is gated */
	TEST_ASSERT_EQ(rd(u, UART_IIR), UART_IIR_RDI);
	wr(u, UART_MCR, UART_MCR_OUT2);
	TEST_ASSERT_EQ(f.level, 1);
	wr(u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	TEST_ASSERT_EQ(f.level, 0);
	wr(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	TEST_ASSERT_EQ(f.level, 1);
	TEST_ASSERT_EQ(rd(u, UART_RX), 'k');
	TEST_ASSERT_EQ(f.level, 0);
	uart8250_destroy(u);
}

TEST(uart_irq_set_called_only_on_change)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	TEST_ASSERT_EQ(f.set_calls, 1);
	for (int i = 0; i < 10; i++)
		wr(u, UART_TX, 'a');
	uart8250_receive(u, (const u8 *)"abc", 3);
	TEST_ASSERT_EQ(f.set_calls, 1);
	TEST_ASSERT_EQ(f.level, 1);
	uart8250_destroy(u);
}

TEST(uart_receive_buffer_larger_than_fifo)
{
	static u8 buf[UART_RX_BUF_SIZE + 10];
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7;
	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	TEST_ASSERT_EQ(uart8250_rx_space(u), UART_RX_BUF_SIZE);
	TEST_ASSERT_EQ(uart8250_receive(u, buf, sizeof(buf)), UART_RX_BUF_SIZE);
	TEST_ASSERT_EQ(uart8250_rx_space(u), 0);
	TEST_ASSERT_EQ(uart8250_receive(u, buf, 1), 0);
	for (size_t i = 0; i < 100; i++)
		TEST_ASSERT_EQ(rd(u, UART_RX), (u8)(i * 7));
	TEST_ASSERT_EQ(uart8250_rx_space(u), 100);
	/* the rest of the caller's buffer, after the ring wrapped */
	TEST_ASSERT_EQ(uart8250_receive(u, buf + UART_RX_BUF_SIZE, 10), 10);
	for (size_t i = 100; i < sizeof(buf); i++)
		TEST_ASSERT_EQ(rd(u, UART_RX), (u8)(i * 7));
	TEST_ASSERT(!(rd(u, UART_LSR) & UART_LSR_DR), "drained");
	TEST_ASSERT_EQ(rd(u, UART_LSR) & UART_LSR_OE, 0);
	uart8250_destroy(u);
}

TEST(uart_wide_access_acts_on_first_byte)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	u8 data[4];

	memset(data, 0xee, sizeof(data));
	uart8250_io(NULL, UART_LSR, data, 4, false, u);
	TEST_ASSERT_EQ(data[0], UART_LSR_THRE | UART_LSR_TEMT);
	TEST_ASSERT_EQ(data[1] | data[2] | data[3], 0);

	memcpy(data, "\x5a\x77", 2);
	uart8250_io(NULL, UART_SCR, data, 2, true, u);
	memset(data, 0xee, sizeof(data));
	uart8250_io(NULL, UART_SCR, data, 2, false, u);
	TEST_ASSERT_EQ(data[0], 0x5a);
	TEST_ASSERT_EQ(data[1], 0);

	memcpy(data, "abcd", 4);
	uart8250_io(NULL, UART_TX, data, 4, true, u);
	TEST_ASSERT_EQ(f.out_len, 1);
	TEST_ASSERT_EQ(f.out[0], 'a');
	uart8250_destroy(u);
}

TEST(uart_offsets_past_the_registers_read_all_ones)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	u8 data[4] = { 0x12, 0x34, 0x56, 0x78 };

	uart8250_io(NULL, 8, data, 4, true, u);
	memset(data, 0, sizeof(data));
	uart8250_io(NULL, 8, data, 4, false, u);
	TEST_ASSERT_EQ(data[0] & data[1] & data[2] & data[3], 0xff);
	TEST_ASSERT_EQ(rd(u, UART_SCR), 0);
	TEST_ASSERT_EQ(f.out_len, 0);
	uart8250_destroy(u);
}

TEST(uart_reset_restores_registers_keeps_input)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);

	wr(u, UART_IER, UART_IER_RDI);
	wr(u, UART_LCR, 0x03);
	wr(u, UART_SCR, 0x42);
	uart8250_receive(u, (const u8 *)"q", 1);
	TEST_ASSERT_EQ(f.level, 1);
	uart8250_reset(u);
	TEST_ASSERT_EQ(f.level, 0);
	TEST_ASSERT_EQ(rd(u, UART_IER), 0);
	TEST_ASSERT_EQ(rd(u, UART_LCR), 0);
	TEST_ASSERT_EQ(rd(u, UART_SCR), 0);
	TEST_ASSERT_EQ(rd(u, UART_RX), 'q');
	uart8250_destroy(u);
}

#define STRESS_BYTES 200000

static void *stress_producer(void *arg)
{
	struct uart8250 *u = arg;
	size_t sent = 0;
	u8 buf[64];

	while (sent < STRESS_BYTES) {
		size_t n = MIN(sizeof(buf), STRESS_BYTES - sent);

		for (size_t i = 0; i < n; i++)
			buf[i] = (sent + i) % 251;
		sent += uart8250_receive(u, buf, n);
	}
	return NULL;
}

/* A terminal thread feeding while a vcpu thread drains: nothing lost. */
TEST(uart_concurrent_receive_and_read_keep_order)
{
	struct fake f;
	struct uart8250 *u = fake_uart(&f);
	pthread_t th;
	size_t got = 0;

	wr(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	wr(u, UART_IER, UART_IER_RDI);
	pthread_create(&th, NULL, stress_producer, u);
	while (got < STRESS_BYTES) {
		if (!(rd(u, UART_LSR) & UART_LSR_DR))
			continue;
		if (rd(u, UART_RX) != got % 251)
			break;
		got++;
	}
	pthread_join(th, NULL);
	TEST_ASSERT_EQ(got, STRESS_BYTES);
	uart8250_destroy(u);
}
