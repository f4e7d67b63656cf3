// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/devices.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/net.h"
#include "devices/virtio/net_backends.h"
#include "devices/virtio/pci.h"
#include "devices/virtio/rng.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "util/log.h"

static enum vm_virtio_transport virtio_transport(const struct vm *vm)
{
	return vm->cfg->transport == VM_VIRTIO_DEFAULT ? arch_default_virtio_transport() :
	       vm->cfg->transport;
}

static int virtio_add_mmio(struct vm *vm, struct vm_virtio *v,
			   const struct virtio_dev_ops *ops, void *backend)
{
	u32 gsi, line;
	u64 base;
	int r, err = 0;

	r = arch_virtio_mmio_slot(vm, vm->nr_virtio, &base, &gsi, &line);
	if (r < 0)
		return r;
	v->mmio = virtio_mmio_create(vm, base, gsi, ops, backend, &err);
	if (!v->mmio) {
		log_error("cannot create virtio-mmio at 0x%llx: %s",
			  (unsigned long long)base, strerror(-err));
		return err ? err : -ENOMEM;
	}
	if (line != gsi)
		virtio_mmio_set_irq_line(v->mmio, line);
	v->base = base;
	v->gsi = gsi;
	return 0;
}

static int virtio_add(struct vm *vm, const struct virtio_dev_ops *ops, void *backend,
		      void (*backend_destroy)(void *))
{
	struct vm_virtio *v = &vm->virtio[vm->nr_virtio];
	int r = -ENOSPC, err = 0;

	if (vm->nr_virtio < VM_MAX_VIRTIO) {
		memset(v, 0, sizeof(*v));
		if (virtio_transport(vm) == VM_VIRTIO_MMIO) {
			r = virtio_add_mmio(vm, v, ops, backend);
		} else if (!vm->pci) {
			r = -ENODEV;
		} else {
			v->pci = virtio_pci_create(vm, vm->pci, ops, backend, &err);
			r = v->pci ? 0 : err ? err : -ENOMEM;
		}
	}
	if (r < 0) {
		if (r == -ENOSPC)
			log_error("no room for another virtio device (%u already)",
				  vm->nr_virtio);
		else if (r == -ENODEV)
			log_error("this machine has no PCI bus for virtio-pci");
		else if (!v->mmio)
			log_error("cannot create virtio-%s: %s", ops->name, strerror(-r));
		backend_destroy(backend);
		return r;
	}
	v->backend = backend;
	v->backend_destroy = backend_destroy;
	vm->nr_virtio++;
	return 0;
}

static void blk_destroy(void *b)
{
	virtio_blk_destroy(b);
}

static void fs_destroy(void *f)
{
	virtio_fs_destroy(f);
}

static void rng_destroy(void *r)
{
	virtio_rng_destroy(r);
}

static void net_destroy(void *n)
{
	virtio_net_destroy(n);
}

static int net_create(struct vm *vm, unsigned int i)
{
	const struct virtio_net_opts *o = &vm->cfg->net_opts[i];
	struct virtio_net *n;
	struct net_backend *be;
	const char *why = "";
	int err = 0;
	u8 mac[6];

	/* main's backends, which outlive this VM: this boot's device borrows one. */
	be = net_backends_borrow(vm->net_backends, i, mac);
	if (be) {
		n = virtio_net_create_borrowed(be, mac);
		return n ? virtio_add(vm, &virtio_net_ops, n, net_destroy) : -ENOMEM;
	}
	/* No lender (a VM built without main, as tests do): a backend of its own. */
	n = virtio_net_create(o, &err, &why);
	if (!n) {
		log_error("--net '%s': %s", vm->cfg->nets[i], why);
		/* The option was valid: whatever the kernel refused is a host error. */
		return err && err != -EINVAL ? err : -EIO;
	}
	return virtio_add(vm, &virtio_net_ops, n, net_destroy);
}

static void console_destroy(void *c)
{
	virtio_console_destroy(c);
}

/* --console virtio: hvc0 takes the terminal's input from the UART. */
static int console_create(struct vm *vm)
{
	struct virtio_console *c = virtio_console_create(vm);
	int r;

	if (!c)
		return -ENOMEM;
	r = virtio_add(vm, &virtio_console_ops, c, console_destroy);
	if (r < 0)
		return r;
	vm->console_rx = virtio_console_rx;
	vm->console_opaque = c;
	return 0;
}

int virtio_devices_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int r;

	/* First, so that on x86 it has the first slot whatever else is asked for. */
	if (cfg->console == VM_CONSOLE_VIRTIO) {
		r = console_create(vm);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		struct virtio_blk *b;
		const char *why = "";
		int err = 0;

		b = virtio_blk_create(&cfg->disk_opts[i], &err, &why);
		if (!b) {
			log_error("disk %s", why);
			return err == -EBUSY || err == -EINVAL ? -EINVAL : (err ? err : -EIO);
		}
		r = virtio_add(vm, &virtio_blk_ops, b, blk_destroy);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		r = net_create(vm, i);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < cfg->nr_fs; i++) {
		const char *why = "";
		int err = 0;
		struct virtio_fs *fs = virtio_fs_create(&cfg->fs_opts[i], &err, &why);

		if (!fs) {
			log_error("--fs %s: %s", cfg->fs_opts[i].path, why);
			return err == -EINVAL ? -EINVAL : (err ? err : -EIO);
		}
		r = virtio_add(vm, &virtio_fs_ops, fs, fs_destroy);
		if (r < 0)
			return r;
	}
	if (cfg->rng) {
		struct virtio_rng *rng = virtio_rng_create();

		if (!rng)
			return -ENOMEM;
		r = virtio_add(vm, &virtio_rng_ops, rng, rng_destroy);
		if (r < 0)
			return r;
	}
	return 0;
}

void virtio_devices_irqchip_ready(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_virtio; i++)
		if (vm->virtio[i].mmio)
			virtio_mmio_irqfd_late(vm->virtio[i].mmio);
}

void virtio_devices_dump(struct vm *vm, FILE *f)
{
	for (unsigned int i = 0; i < vm->nr_virtio; i++) {
		if (vm->virtio[i].mmio)
			virtio_mmio_dump(vm->virtio[i].mmio, f);
		else
			virtio_pci_dump(vm->virtio[i].pci, f);
	}
}

void virtio_devices_log(struct vm *vm)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	virtio_devices_dump(vm, f);
	if (fclose(f) == 0)
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			log_warn("%s", line);
	free(buf);
}

void virtio_devices_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_virtio; i++) {
		struct vm_virtio *v = &vm->virtio[i];

		if (v->mmio)
			virtio_mmio_destroy(v->mmio);
		else
			virtio_pci_destroy(v->pci);
		v->backend_destroy(v->backend);
	}
	vm->nr_virtio = 0;
}
