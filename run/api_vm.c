// SPDX-License-Identifier: GPL-2.0
/*
 * The control API on a real VM: its description and counters in JSON, and
 * pause, resume, stop and reboot through the life cycle (run/lifecycle.h).
 * On the run loop's thread, while the VM runs or is paused.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include "devices/term.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/pci.h"
#include "devices/virtio/virtio.h"
#include "kvm/kvm.h"
#include "run/api_vm.h"
#include "run/console_backend.h"
#include "util/clock.h"
#include "vcpu/vcpu.h"

static enum vm_state api_vm_state(void *ctx, struct vm *vm)
{
	return vm_state(vm);
}

static int api_vm_pause(void *ctx, struct vm *vm)
{
	return vm_pause(vm);
}

static void api_vm_resume(void *ctx, struct vm *vm)
{
	vm_resume(vm);
}

static void api_vm_stop(void *ctx, struct vm *vm)
{
	vm_request_stop(vm, VM_STOP_API);
}

static const char *api_vm_reboot(void *ctx, struct vm *vm)
{
	if (vm->cfg->no_reboot)
		return "vmm runs with --no-reboot: a reboot would end it (use stop)";
	vm_request_stop(vm, VM_STOP_RESET);
	return NULL;
}

static const char *api_vm_shutdown(void *ctx, struct vm *vm, unsigned int *timeout_s)
{
	int r = vm_shutdown(vm);

	*timeout_s = vm_shutdown_left_ms(vm) >= 0 ? (vm_shutdown_left_ms(vm) + 999) / 1000 : 0;
	if (r == -ENOTSUP)
		return "this machine has no power button (use stop)";
	return r < 0 ? "the VM is not running" : NULL;
}

static void json_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

/* Seconds with millisecond digits, as written (not 1.7829999999999999). */
static void json_add_seconds(struct json_object *o, const char *key, u64 ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", ns / 1e9);
	json_object_object_add(o, key, json_object_new_double_s(ns / 1e9, buf));
}

static void json_add_u64(struct json_object *o, const char *key, u64 v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void json_add_device(struct json_object *list, const char *type, const char *options)
{
	struct json_object *d = json_object_new_object();

	json_add_str(d, "type", type);
	json_add_str(d, "options", options);
	json_object_array_add(list, d);
}

static void api_vm_describe(void *opaque, struct vm *vm, struct json_object *obj)
{
	const struct api_vm_ctx *ctx = opaque;
	const struct vm_config *cfg = vm->cfg;
	struct json_object *devs = json_object_new_array();

	json_add_str(obj, "name", ctx->name);
	json_object_object_add(obj, "pid", json_object_new_int(getpid()));
	json_add_str(obj, "state", api_state_name(vm_state(vm)));
	/* After PUT /vm/shutdown: seconds until vmm stops a guest that ignores it. */
	if (vm_shutdown_left_ms(vm) >= 0)
		json_add_seconds(obj, "shutdown_deadline_s", vm_shutdown_left_ms(vm) * 1000000ULL);
	json_add_seconds(obj, "uptime", clock_since_start_ns());
	json_add_u64(obj, "boots", ctx->boots);
	json_add_u64(obj, "vcpus", vm->nr_vcpus);
	json_add_u64(obj, "memory_mib", cfg->ram_size >> 20);
	json_add_str(obj, "kernel", cfg->kernel_path ? cfg->kernel_path : "(built-in test guest)");
	json_add_str(obj, "initrd", cfg->initrd_path);
	json_add_str(obj, "cmdline", cfg->cmdline ? cfg->cmdline : "");
	json_add_str(obj, "api_socket", ctx->socket_path);
	if (ctx->console) {
		struct json_object *c = json_object_new_object();

		json_add_str(c, "type", console_backend_name(ctx->console->kind));
		json_add_str(c, "path", ctx->console->path[0] ? ctx->console->path : NULL);
		json_object_object_add(obj, "console", c);
	}
	/* The order virtio_devices_create() makes them in. */
	if (cfg->console == VM_CONSOLE_VIRTIO)
		json_add_device(devs, "virtio-console", "");
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		json_add_device(devs, "virtio-blk", cfg->disks[i]);
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		json_add_device(devs, "virtio-net", cfg->nets[i]);
	for (unsigned int i = 0; i < cfg->nr_fs; i++)
		json_add_device(devs, "virtio-fs", cfg->fs[i]);
	if (cfg->rng)
		json_add_device(devs, "virtio-rng", "");
	json_object_object_add(obj, "devices", devs);
}

static void api_vm_counters(void *opaque, struct vm *vm, struct json_object *obj)
{
	struct json_object *vcpus = json_object_new_array(), *devs = json_object_new_array();
	struct json_object *bus = json_object_new_object();

	/* Each vcpu writes its own counters; relaxed loads see a recent value. */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = vm->vcpus[i];
		struct json_object *o = json_object_new_object();
		u64 all = __atomic_load_n(&v->nr_exits, __ATOMIC_RELAXED);
		u64 io = __atomic_load_n(&v->nr_exits_io, __ATOMIC_RELAXED);
		u64 mmio = __atomic_load_n(&v->nr_exits_mmio, __ATOMIC_RELAXED);

		json_add_u64(o, "id", v->id);
		json_add_u64(o, "exits", all);
		json_add_u64(o, "io", io);
		json_add_u64(o, "mmio", mmio);
		json_add_u64(o, "other", all >= io + mmio ? all - io - mmio : 0);
		json_object_array_add(vcpus, o);
	}
	json_object_object_add(obj, "vcpus", vcpus);
	json_add_u64(bus, "pio_unhandled",
		     __atomic_load_n(&vm->bus[BUS_PIO].unhandled, __ATOMIC_RELAXED));
	json_add_u64(bus, "mmio_unhandled",
		     __atomic_load_n(&vm->bus[BUS_MMIO].unhandled, __ATOMIC_RELAXED));
	json_object_object_add(obj, "bus", bus);
	for (unsigned int i = 0; i < vm->nr_virtio; i++) {
		const struct vm_virtio *v = &vm->virtio[i];
		struct virtio_dev *dev = v->mmio ? virtio_mmio_dev(v->mmio) : virtio_pci_dev(v->pci);
		struct json_object *o = json_object_new_object();
		struct virtio_dev_counters c;

		virtio_dev_counters(dev, &c);
		json_add_str(o, "type", dev->ops->name);
		json_add_str(o, "transport", v->mmio ? "mmio" : "pci");
		json_add_u64(o, "kicks", c.kicks);
		json_add_u64(o, "irqs", c.irqs);
		json_add_u64(o, "irqs_suppressed", c.irqs_suppressed);
		json_add_u64(o, "interrupts_sent", v->mmio ? virtio_mmio_nr_irqs(v->mmio) :
			     virtio_pci_nr_irqs(v->pci));
		json_add_u64(o, "needs_reset", c.needs_reset);
		json_object_array_add(devs, o);
	}
	json_object_object_add(obj, "devices", devs);
	if (vm->term) {
		struct json_object *t = json_object_new_object();
		struct term_stats st;

		term_get_stats(vm->term, &st);
		json_add_u64(t, "out_writes", st.out_writes);
		json_add_u64(t, "out_bytes", st.out_bytes);
		json_add_u64(t, "out_dropped", st.out_dropped);
		json_object_object_add(obj, "console", t);
	}
}

const struct api_vm_ops api_vm_ops = {
	.state = api_vm_state,
	.pause = api_vm_pause,
	.resume = api_vm_resume,
	.stop = api_vm_stop,
	.reboot = api_vm_reboot,
	.shutdown = api_vm_shutdown,
	.describe = api_vm_describe,
	.counters = api_vm_counters,
};
