// SPDX-License-Identifier: GPL-2.0
/* The x86 PM1 event block's power button (hw/x86/power.c), through the PIO bus. */
#include <errno.h>
#include <stdlib.h>

#include "fake_kvm.h"
#include "hw/x86/layout.h"
#include "hw/x86/machine.h"
#include "hw/x86/power.h"
#include "kvm/arch.h"
#include "test.h"

struct pm_rig {
	struct vm vm;
	struct x86_machine m;
};

static void rig_open(struct pm_rig *g)
{
	memset(g, 0, sizeof(*g));
	g->vm.vm_fd = fake_kvm_open();
	g->vm.arch = &g->m;
	bus_init(&g->vm.bus[BUS_PIO], "pio");
	bus_init(&g->vm.bus[BUS_MMIO], "mmio");
	TEST_ASSERT_EQ(x86_power_init(&g->vm), 0);
}

static void rig_close(struct pm_rig *g)
{
	x86_power_destroy(&g->vm);
	bus_free(&g->vm.bus[BUS_PIO]);
	bus_free(&g->vm.bus[BUS_MMIO]);
	fake_kvm_close(&g->vm);
}

static u16 in16(struct pm_rig *g, u16 port)
{
	u8 d[2];

	bus_access(&g->vm.bus[BUS_PIO], NULL, port, d, 2, false);
	return d[0] | d[1] << 8;
}

static void out16(struct pm_rig *g, u16 port, u16 v)
{
	u8 d[2] = { (u8)v, (u8)(v >> 8) };

	bus_access(&g->vm.bus[BUS_PIO], NULL, port, d, 2, true);
}

#define STS	X86_PM1A_EVT
#define EN	(X86_PM1A_EVT + 2)
#define PWRBTN	(1u << 8)

TEST(power_button_sets_status_and_the_sci_follows_enable)
{
	struct pm_rig g;

	rig_open(&g);
	TEST_ASSERT_EQ(in16(&g, STS), 0);
	/* Pressed while disabled: status only, no interrupt. */
	TEST_ASSERT_EQ(arch_power_button(&g.vm), 0);
	TEST_ASSERT_EQ(in16(&g, STS), PWRBTN);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], -1);
	/* Enabling it with the status set raises the (level) SCI. */
	out16(&g, EN, PWRBTN);
	TEST_ASSERT_EQ(in16(&g, EN), PWRBTN);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 1);
	/* Writing 0 to status changes nothing; writing 1 clears it and the line. */
	out16(&g, STS, 0);
	TEST_ASSERT_EQ(in16(&g, STS), PWRBTN);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 1);
	out16(&g, STS, PWRBTN);
	TEST_ASSERT_EQ(in16(&g, STS), 0);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 0);
	/* Enabled: a press raises it at once. */
	TEST_ASSERT_EQ(arch_power_button(&g.vm), 0);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 1);
	/* Disabling lowers it; the status stays for a later look. */
	out16(&g, EN, 0);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 0);
	TEST_ASSERT_EQ(in16(&g, STS), PWRBTN);
	rig_close(&g);
}

TEST(power_pm1_enable_keeps_only_known_bits_and_bytes_work)
{
	struct pm_rig g;
	u8 b;

	rig_open(&g);
	out16(&g, EN, 0xffff);
	TEST_ASSERT_EQ(in16(&g, EN), 0x0721);
	/* Byte access to the status' high byte clears PWRBTN_STS alone. */
	TEST_ASSERT_EQ(arch_power_button(&g.vm), 0);
	b = 0x01;
	bus_access(&g.vm.bus[BUS_PIO], NULL, STS + 1, &b, 1, true);
	TEST_ASSERT_EQ(in16(&g, STS), 0);
	TEST_ASSERT_EQ(fake_kvm.line[X86_PM_SCI_IRQ], 0);
	/* A dword read covers status and enable. */
	{
		u8 d[4];

		bus_access(&g.vm.bus[BUS_PIO], NULL, STS, d, 4, false);
		TEST_ASSERT_EQ(d[0] | d[1] << 8, 0);
		TEST_ASSERT_EQ(d[2] | d[3] << 8, 0x0721);
	}
	rig_close(&g);
}

TEST(power_button_without_a_machine_is_refused)
{
	struct vm vm = { .arch = NULL };

	TEST_ASSERT_EQ(arch_power_button(&vm), -ENOTSUP);
}
