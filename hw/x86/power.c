// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/boot_timer.h"
#include "devices/exec_status.h"
#include "devices/pvpanic.h"
#include "hw/x86/layout.h"
#include "hw/x86/machine.h"
#include "hw/x86/power.h"
#include "kvm/kvm.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

#define PM1_CNT_SCI_EN		(1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_EN		(1u << 13)

#define I8042_CMD_RESET		0xfe
#define RESET_CF9_CPU		(1u << 2)

/* PM1_EN bits (ACPI 6.4 4.8.3.1.2): timer, global lock, power/sleep button, RTC. */
#define PM1_EN_BITS		0x0721
#define PM1_PWRBTN		(1u << 8)	/* PWRBTN_STS / PWRBTN_EN */

/*
 * PM1a event block: PM1_STS (2 bytes) then PM1_EN (2 bytes). The one fixed
 * event raised is the power button: PWRBTN_STS set by vmm, cleared by the
 * guest writing 1, and while it is set and enabled the SCI (level, active
 * high) is asserted. Enable keeps what the guest writes of PM1_EN_BITS,
 * since ACPICA reads an enable bit back to check it took (and otherwise
 * gives up the Global Lock and the RTC event with errors in the log).
 * vcpus and the run loop (the button) share it: @lock.
 */
struct x86_pm1 {
	pthread_mutex_t lock;
	struct vm *vm;
	u16 sts;
	u16 en;
	bool sci;		/* the level last put on the SCI line */
};

/* With @pm->lock held: the SCI follows status & enable. */
static void pm1_sci_update(struct x86_pm1 *pm)
{
	bool level = pm->sts & pm->en & PM1_PWRBTN;

	if (level != pm->sci) {
		pm->sci = level;
		irq_line_set(pm->vm, X86_PM_SCI_IRQ, level);
	}
}

static void pm1_evt_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		       bool is_write, void *opaque)
{
	struct x86_pm1 *pm = opaque;
	u8 regs[4], w[4] = { 0 };

	pthread_mutex_lock(&pm->lock);
	regs[0] = (u8)pm->sts;
	regs[1] = (u8)(pm->sts >> 8);
	regs[2] = (u8)pm->en;
	regs[3] = (u8)(pm->en >> 8);
	if (!is_write)
		memset(data, 0, len);	/* past the block: nothing there */
	for (u32 i = 0; i < len && offset + i < sizeof(regs); i++) {
		if (!is_write)
			data[i] = regs[offset + i];
		else if (offset + i >= 2)
			regs[offset + i] = data[i];
		else
			w[offset + i] = data[i];	/* status: write 1 to clear */
	}
	if (is_write) {
		pm->sts &= ~(u16)(w[0] | w[1] << 8);
		pm->en = (regs[2] | regs[3] << 8) & PM1_EN_BITS;
		pm1_sci_update(pm);
	}
	pthread_mutex_unlock(&pm->lock);
}

int arch_power_button(struct vm *vm)
{
	struct x86_machine *m = vm->arch;
	struct x86_pm1 *pm = m ? m->pm1 : NULL;

	if (!pm)
		return -ENOTSUP;
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN;
	pm1_sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static void pm1_cnt_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		       bool is_write, void *opaque)
{
	u16 v = 0;

	if (!is_write) {
		/* SCI_EN: the machine is already in ACPI mode (no SMI_CMD). */
		memset(data, 0, len);
		if (offset == 0)
			data[0] = PM1_CNT_SCI_EN;
		return;
	}
	/* Accept a 16-bit write or its two halves. */
	if (offset == 0 && len >= 2)
		v = data[0] | data[1] << 8;
	else if (offset == 1)
		v = data[0] << 8;
	if ((v & PM1_CNT_SLP_EN) &&
	    ((v >> PM1_CNT_SLP_TYP_SHIFT) & 7) == X86_S5_SLP_TYP)
		vm_request_stop(vcpu->vm, VM_STOP_POWEROFF);
	else if (v & PM1_CNT_SLP_EN)
		log_ratelimited(log_warn, "guest asked for sleep state %u, which vmm does not have",
				(v >> PM1_CNT_SLP_TYP_SHIFT) & 7);
}

static void i8042_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		     bool is_write, void *opaque)
{
	if (!is_write) {
		/* Status 0: no data to read, input buffer empty, no keyboard. */
		memset(data, 0, len);
		return;
	}
	/* opaque tells the command port (0x64) from the data port (0x60). */
	if (opaque && data[0] == I8042_CMD_RESET)
		vm_request_stop(vcpu->vm, VM_STOP_RESET);
}

void x86_reset_cf9_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		      bool is_write, void *opaque)
{
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (data[0] & RESET_CF9_CPU)
		vm_request_stop(vcpu->vm, VM_STOP_RESET);
}

/*
 * A read-only MC146818 CMOS RTC with the host's UTC time, in BCD, 24-hour
 * mode, never "update in progress"; enough for Linux to read the wall clock.
 */
struct cmos {
	u8 index;
};

static u8 bcd(int v)
{
	return (u8)(((v / 10) << 4) | (v % 10));
}

static u8 cmos_read(u8 index)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	switch (index) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);	/* century */
	case 0x0a: return 0x26;		/* divider on, 1024 Hz, UIP clear */
	case 0x0b: return 0x02;		/* 24-hour, BCD, no interrupts */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;		/* valid RAM and time */
	default: return 0x00;
	}
}

static void cmos_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		    bool is_write, void *opaque)
{
	struct cmos *c = opaque;

	if (offset == 0) {
		if (is_write)
			c->index = data[0] & 0x7f;	/* bit 7: NMI mask */
		else
			memset(data, 0xff, len);
		return;
	}
	if (!is_write) {
		memset(data, 0, len);
		data[0] = cmos_read(c->index);
	}
}

int x86_power_init(struct vm *vm)
{
	static struct cmos cmos;
	struct x86_machine *m = vm->arch;
	struct x86_pm1 *pm = calloc(1, sizeof(*pm));
	int r = 0;

	if (!pm)
		return -ENOMEM;
	pthread_mutex_init(&pm->lock, NULL);
	pm->vm = vm;
	m->pm1 = pm;	/* freed by x86_power_destroy() */
	r |= bus_register(vm, BUS_PIO, X86_PM1A_EVT, 4, pm1_evt_io, pm, "pm1a_evt");
	r |= bus_register(vm, BUS_PIO, X86_PM1A_CNT, 2, pm1_cnt_io, NULL, "pm1a_cnt");
	r |= bus_register(vm, BUS_PIO, X86_I8042_PORT, 1, i8042_io, NULL, "i8042");
	r |= bus_register(vm, BUS_PIO, X86_I8042_PORT + 4, 1, i8042_io, vm, "i8042");
	r |= bus_register(vm, BUS_PIO, X86_PVPANIC_PORT, 1, pvpanic_io, NULL, "pvpanic");
	r |= bus_register(vm, BUS_PIO, 0x70, 2, cmos_io, &cmos, "cmos");
	r |= bus_register(vm, BUS_PIO, X86_POST_PORT, 1, null_io, NULL, "post");
	/* Reads 0 (the benchmarks' null device); a write of 123 marks boot time. */
	r |= bus_register(vm, BUS_MMIO, X86_NULL_MMIO_ADDR, X86_NULL_MMIO_SIZE,
			  boot_timer_io, NULL, "boot-timer");
	if (vm->cfg && vm->cfg->exec_cmd)
		r |= bus_register(vm, BUS_MMIO, X86_EXEC_STATUS_ADDR, EXEC_STATUS_SIZE,
				  exec_status_io, NULL, "exec-status");
	return r ? -1 : 0;
}

void x86_power_destroy(struct vm *vm)
{
	struct x86_machine *m = vm->arch;

	if (!m->pm1)
		return;
	pthread_mutex_destroy(&m->pm1->lock);
	free(m->pm1);
	m->pm1 = NULL;
}
