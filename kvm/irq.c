// SPDX-License-Identifier: GPL-2.0
/* The GSI routing table (api.rst 4.52 KVM_SET_GSI_ROUTING), one owner. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/irq.h"
#include "kvm/kvm.h"
#include "util/log.h"

#define IRQ_MAX_ROUTES	1024	/* KVM_MAX_IRQ_ROUTES is 4096; we need few */

struct irq_routing {
	pthread_mutex_t lock;
	u32 nr;
	u32 next_gsi;		/* first GSI no irqchip route uses */
	struct kvm_irq_routing_entry e[IRQ_MAX_ROUTES];
};

static struct irq_routing *irq_routing(struct vm *vm)
{
	static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
	struct irq_routing *rt;

	pthread_mutex_lock(&init_lock);
	rt = vm->irq_routing;
	if (!rt) {
		rt = calloc(1, sizeof(*rt));
		if (rt) {
			pthread_mutex_init(&rt->lock, NULL);
			vm->irq_routing = rt;
		}
	}
	pthread_mutex_unlock(&init_lock);
	return rt;
}

static int irq_routing_apply(struct vm *vm, struct irq_routing *rt)
{
	struct kvm_irq_routing *k;
	size_t sz = sizeof(*k) + rt->nr * sizeof(k->entries[0]);
	int r = 0;

	if (vm->vm_fd < 0)
		return 0;	/* unit tests: nothing to apply to */
	k = calloc(1, sz);
	if (!k)
		return -ENOMEM;
	k->nr = rt->nr;
	memcpy(k->entries, rt->e, rt->nr * sizeof(k->entries[0]));
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, k) < 0) {
		r = -errno;
		log_error("KVM_SET_GSI_ROUTING (%u routes): %s", rt->nr, strerror(errno));
	}
	free(k);
	return r;
}

int irq_route_irqchip(struct vm *vm, u32 gsi, u32 chip, u32 pin)
{
	struct irq_routing *rt = irq_routing(vm);

	if (!rt)
		return -ENOMEM;
	pthread_mutex_lock(&rt->lock);
	if (rt->nr == IRQ_MAX_ROUTES) {
		pthread_mutex_unlock(&rt->lock);
		return -ENOSPC;
	}
	rt->e[rt->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	if (gsi >= rt->next_gsi)
		rt->next_gsi = gsi + 1;
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

int irq_routing_commit(struct vm *vm)
{
	struct irq_routing *rt = irq_routing(vm);
	int r;

	if (!rt)
		return -ENOMEM;
	pthread_mutex_lock(&rt->lock);
	r = irq_routing_apply(vm, rt);
	pthread_mutex_unlock(&rt->lock);
	return r;
}

static struct kvm_irq_routing_entry *irq_route_find(struct irq_routing *rt, u32 gsi)
{
	for (u32 i = 0; i < rt->nr; i++)
		if (rt->e[i].gsi == gsi && rt->e[i].type == KVM_IRQ_ROUTING_MSI)
			return &rt->e[i];
	return NULL;
}

int irq_route_msi_add(struct vm *vm, u64 addr, u32 data, u32 devid)
{
	struct irq_routing *rt = irq_routing(vm);
	u32 gsi;
	int r;

	if (!rt)
		return -ENOMEM;
	pthread_mutex_lock(&rt->lock);
	/* GSIs are never reused: a stale irqfd must not reach a new route. */
	if (rt->nr == IRQ_MAX_ROUTES || rt->next_gsi >= IRQ_MAX_ROUTES) {
		pthread_mutex_unlock(&rt->lock);
		return -ENOSPC;
	}
	gsi = rt->next_gsi++;
	rt->e[rt->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.flags = vm->msi_devid ? KVM_MSI_VALID_DEVID : 0,
		.u.msi = { .address_lo = (u32)addr, .address_hi = addr >> 32,
			   .data = data, .devid = vm->msi_devid ? devid : 0 },
	};
	r = irq_routing_apply(vm, rt);
	if (r < 0)
		rt->nr--;
	pthread_mutex_unlock(&rt->lock);
	return r < 0 ? r : (int)gsi;
}

int irq_route_msi_set(struct vm *vm, u32 gsi, u64 addr, u32 data)
{
	struct irq_routing *rt = irq_routing(vm);
	struct kvm_irq_routing_entry *e;
	int r = -ENOENT;

	if (!rt)
		return -ENOMEM;
	pthread_mutex_lock(&rt->lock);
	e = irq_route_find(rt, gsi);
	if (e) {
		if (e->u.msi.address_lo == (u32)addr && e->u.msi.address_hi == addr >> 32 &&
		    e->u.msi.data == data) {
			r = 0;	/* unchanged: no ioctl */
		} else {
			e->u.msi.address_lo = (u32)addr;
			e->u.msi.address_hi = addr >> 32;
			e->u.msi.data = data;
			r = irq_routing_apply(vm, rt);
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return r;
}

void irq_route_msi_del(struct vm *vm, u32 gsi)
{
	struct irq_routing *rt = vm->irq_routing;
	struct kvm_irq_routing_entry *e;

	if (!rt)
		return;
	pthread_mutex_lock(&rt->lock);
	e = irq_route_find(rt, gsi);
	if (e) {
		*e = rt->e[--rt->nr];
		irq_routing_apply(vm, rt);
	}
	pthread_mutex_unlock(&rt->lock);
}

void irq_routing_free(struct vm *vm)
{
	struct irq_routing *rt = vm->irq_routing;

	if (!rt)
		return;
	pthread_mutex_destroy(&rt->lock);
	free(rt);
	vm->irq_routing = NULL;
}

int irq_msi_signal(struct vm *vm, u64 addr, u32 data, u32 devid)
{
	struct kvm_msi msi = { .address_lo = (u32)addr, .address_hi = addr >> 32,
			       .data = data, .flags = vm->msi_devid ? KVM_MSI_VALID_DEVID : 0,
			       .devid = vm->msi_devid ? devid : 0 };

	if (vm->vm_fd < 0)
		return -ENOSYS;
	/* > 0: delivered; 0: the guest blocked it. Either way it is gone. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

int irq_line_set(struct vm *vm, u32 gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}
