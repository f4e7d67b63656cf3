/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_FAKE_KVM_H
#define VMM_TEST_FAKE_KVM_H

/*
 * A stand-in VM fd for tests that must see what a device asks of KVM.
 * Including this header defines ioctl() for the whole test binary: calls
 * on fake_kvm.fd (an eventfd, so nothing real answers KVM ioctls by
 * mistake) are recorded and succeed; any other fd goes to the kernel.
 * Recorded: KVM_IRQ_LINE levels, the ioeventfds assigned now, the irqfds
 * assigned now, KVM_SIGNAL_MSI calls, the last KVM_SET_GSI_ROUTING size.
 *
 *	g.vm.vm_fd = fake_kvm_open();  ...  fake_kvm_close(&g.vm);
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm/kvm.h"

#define FAKE_KVM_LINES		256
#define FAKE_KVM_IOEVENTFDS	64

struct fake_ioeventfd {
	u64 addr;
	u32 len;
	int fd;
};

struct fake_kvm {
	int fd;				/* the fake VM fd, -1: none */
	pthread_mutex_t lock;
	int line[FAKE_KVM_LINES];	/* last KVM_IRQ_LINE level, -1: never set */
	unsigned int nr_line_calls;
	struct fake_ioeventfd ioev[FAKE_KVM_IOEVENTFDS];
	unsigned int nr_ioev;
	int nr_irqfds;			/* assigned minus deassigned */
	unsigned int nr_msi_signals;
	unsigned int nr_routes;		/* in the last KVM_SET_GSI_ROUTING */
	unsigned int nr_bad;		/* malformed requests: a device bug */
};

/* Not static: ioctl() below is reached from other objects and writes it. */
struct fake_kvm fake_kvm = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static inline int fake_kvm_open(void)
{
	pthread_mutex_lock(&fake_kvm.lock);
	fake_kvm.fd = eventfd(0, EFD_CLOEXEC);
	for (unsigned int i = 0; i < FAKE_KVM_LINES; i++)
		fake_kvm.line[i] = -1;
	fake_kvm.nr_line_calls = fake_kvm.nr_ioev = fake_kvm.nr_msi_signals = 0;
	fake_kvm.nr_routes = fake_kvm.nr_bad = 0;
	fake_kvm.nr_irqfds = 0;
	pthread_mutex_unlock(&fake_kvm.lock);
	return fake_kvm.fd;
}

static inline void fake_kvm_close(struct vm *vm)
{
	pthread_mutex_lock(&fake_kvm.lock);
	close(fake_kvm.fd);
	fake_kvm.fd = -1;
	pthread_mutex_unlock(&fake_kvm.lock);
	vm->vm_fd = -1;
}

/* The last level set on line @line, -1 if none was. */
static inline int fake_kvm_line(u32 line)
{
	int level;

	pthread_mutex_lock(&fake_kvm.lock);
	level = line < FAKE_KVM_LINES ? fake_kvm.line[line] : -1;
	pthread_mutex_unlock(&fake_kvm.lock);
	return level;
}

/* Is an ioeventfd of @len bytes assigned at @addr now? */
static inline bool fake_kvm_has_ioeventfd(u64 addr, u32 len)
{
	bool found = false;

	pthread_mutex_lock(&fake_kvm.lock);
	for (unsigned int i = 0; i < fake_kvm.nr_ioev; i++)
		found |= fake_kvm.ioev[i].addr == addr && fake_kvm.ioev[i].len == len;
	pthread_mutex_unlock(&fake_kvm.lock);
	return found;
}

static inline unsigned int fake_kvm_nr_ioeventfds(void)
{
	unsigned int n;

	pthread_mutex_lock(&fake_kvm.lock);
	n = fake_kvm.nr_ioev;
	pthread_mutex_unlock(&fake_kvm.lock);
	return n;
}

static inline int fake_kvm_ioeventfd(const struct kvm_ioeventfd *io)
{
	struct fake_kvm *k = &fake_kvm;

	if (!(io->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)) {
		for (unsigned int i = 0; i < k->nr_ioev; i++)
			if (k->ioev[i].addr == io->addr && k->ioev[i].len == io->len)
				return -EEXIST;		/* what KVM says */
		if (k->nr_ioev == FAKE_KVM_IOEVENTFDS)
			return -ENOSPC;
		k->ioev[k->nr_ioev++] = (struct fake_ioeventfd){ io->addr, io->len, io->fd };
		return 0;
	}
	for (unsigned int i = 0; i < k->nr_ioev; i++) {
		if (k->ioev[i].addr == io->addr && k->ioev[i].len == io->len &&
		    k->ioev[i].fd == (int)io->fd) {
			k->ioev[i] = k->ioev[--k->nr_ioev];
			return 0;
		}
	}
	k->nr_bad++;		/* deassigning what was never assigned */
	return -ENOENT;
}

static inline int fake_kvm_ioctl(unsigned long req, void *arg)
{
	struct fake_kvm *k = &fake_kvm;

	switch (req) {
	case KVM_IRQ_LINE: {
		const struct kvm_irq_level *l = arg;

		k->nr_line_calls++;
		if (l->irq >= FAKE_KVM_LINES || (l->level != 0 && l->level != 1)) {
			k->nr_bad++;
			return -EINVAL;
		}
		k->line[l->irq] = l->level;
		return 0;
	}
	case KVM_IOEVENTFD:
		return fake_kvm_ioeventfd(arg);
	case KVM_IRQFD: {
		const struct kvm_irqfd *f = arg;

		k->nr_irqfds += f->flags & KVM_IRQFD_FLAG_DEASSIGN ? -1 : 1;
		return 0;
	}
	case KVM_SET_GSI_ROUTING:
		k->nr_routes = ((const struct kvm_irq_routing *)arg)->nr;
		return 0;
	case KVM_SIGNAL_MSI:
		k->nr_msi_signals++;
		return 1;		/* delivered */
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd != fake_kvm.fd)
		return syscall(SYS_ioctl, fd, req, arg);
	pthread_mutex_lock(&fake_kvm.lock);
	r = fake_kvm_ioctl(req, arg);
	pthread_mutex_unlock(&fake_kvm.lock);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

#endif
