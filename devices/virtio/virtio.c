// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio device core: status machine (virtio 1.x 2.1, 3.1), feature
 * negotiation, queue enable, and the per-device I/O thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtio.h"
#include "cli/config.h"
#include "kvm/kvm.h"
#include "util/cpulist.h"
#include "util/log.h"
#include "util/thread.h"

#define VIRTIO_CORE_FEATURES	((1ULL << VIRTIO_F_VERSION_1) |		\
				 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |	\
				 (1ULL << VIRTIO_RING_F_EVENT_IDX))

/* Tags for epoll_event.data: queue i is i, a watch is WATCH + j. */
#define EV_STOP		0xffffffffu
#define EV_WATCH	0x10000u

static void eventfd_signal(int fd)
{
	u64 one = 1;

	/* EAGAIN: the counter is already non-zero, a wake-up is pending. */
	if (write(fd, &one, sizeof(one)) < 0) {
	}
}

static void eventfd_drain(int fd)
{
	u64 v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: someone else drained it; nothing to do */
	}
}

static void virtio_dev_raise(struct virtio_dev *dev, u32 isr, int queue)
{
	atomic_fetch_or(&dev->isr, isr);
	if (dev->interrupt)
		dev->interrupt(dev->transport, isr, queue);
}

void virtio_notify_used(struct virtio_dev *dev, struct virtq *vq)
{
	if (virtq_should_notify(vq)) {
		dev->nr_irqs[vq->index]++;
		virtio_dev_raise(dev, VIRTIO_ISR_VQ, vq->index);
	} else {
		dev->nr_irqs_suppressed[vq->index]++;
	}
}

void virtio_notify_config(struct virtio_dev *dev)
{
	dev->config_generation++;
	virtio_dev_raise(dev, VIRTIO_ISR_CONFIG, -1);
}

void virtio_dev_needs_reset(struct virtio_dev *dev, const char *why)
{
	if (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* A hostile guest can repeat this forever: keep the log bounded. */
	if (dev->nr_errors++ < 8)
		log_warn("virtio-%s: %s; device needs reset", dev->ops->name, why);
	else
		log_debug("virtio-%s: %s; device needs reset", dev->ops->name, why);
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* 2.1.2: with DRIVER_OK set, tell the driver by a config change. */
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_notify_config(dev);
}

bool virtio_dev_live(const struct virtio_dev *dev)
{
	return (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(dev->status & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED));
}

void virtio_dev_process(struct virtio_dev *dev, unsigned int q)
{
	struct virtq *vq = &dev->vqs[q];

	if (!virtio_dev_live(dev) || !vq->ready || vq->broken)
		return;
	dev->ops->queue_notify(dev->opaque, vq);
	if (vq->broken)
		virtio_dev_needs_reset(dev, vq->why ? vq->why : "malformed queue");
}

static void *virtio_dev_thread(void *arg)
{
	struct virtio_dev *dev = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(dev->epoll_fd, ev, ARRAY_SIZE(ev), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("virtio-%s: epoll_wait: %s", dev->ops->name, strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			u32 tag = ev[i].data.u32;

			if (tag == EV_STOP)
				return NULL;
			if (tag < dev->ops->nr_queues)
				eventfd_drain(dev->notify_fd[tag]);
			pthread_mutex_lock(&dev->lock);
			if (tag < dev->ops->nr_queues) {
				dev->nr_kicks[tag]++;
				virtio_dev_process(dev, tag);
			} else if (tag - EV_WATCH < dev->nr_watches) {
				struct virtio_watch *w = &dev->watches[tag - EV_WATCH];

				w->fn(w->arg);
			}
			pthread_mutex_unlock(&dev->lock);
		}
	}
}

/*
 * With --io-affinity, the thread runs on those CPUs from its first
 * instruction; like every thread of vmm it starts through thread_spawn()
 * (named, stop signals blocked, fault signals on its own stack).
 */
static int virtio_dev_thread_start(struct virtio_dev *dev)
{
	const struct vm_config *cfg = dev->vm->cfg;
	pthread_attr_t attr;
	char name[16];
	int r;

	r = cpulist_thread_attr(&attr, cfg && cfg->io_affinity_set ? &cfg->io_affinity : NULL);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "virtio-%s", dev->ops->name);
	r = -thread_spawn(&dev->thread, &attr, name, false, virtio_dev_thread, dev);
	pthread_attr_destroy(&attr);
	return r;
}

static int epoll_add(int epfd, int fd, u32 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int virtio_dev_watch(struct virtio_dev *dev, int fd, void (*fn)(void *arg), void *arg)
{
	unsigned int i = dev->nr_watches;
	int r;

	if (i == VIRTIO_MAX_WATCHES)
		return -ENOSPC;
	dev->watches[i] = (struct virtio_watch){ .fd = fd, .fn = fn, .arg = arg };
	dev->nr_watches++;
	r = epoll_add(dev->epoll_fd, fd, EV_WATCH + i);
	if (r < 0)
		dev->nr_watches--;
	return r;
}

int virtio_dev_watch_enable(struct virtio_dev *dev, int fd, bool on)
{
	for (unsigned int i = 0; i < dev->nr_watches; i++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0,
					  .data.u32 = EV_WATCH + i };

		if (dev->watches[i].fd != fd)
			continue;
		return epoll_ctl(dev->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
	}
	return -ENOENT;
}

int virtio_dev_init(struct virtio_dev *dev, struct vm *vm,
		    const struct virtio_dev_ops *ops, void *opaque,
		    void (*interrupt)(void *transport, u32 isr, int queue),
		    void *transport)
{
	sigset_t all, old;
	char name[16];
	int r;

	memset(dev, 0, sizeof(*dev));
	dev->epoll_fd = dev->stop_fd = -1;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		dev->notify_fd[q] = -1;
	if (!ops->nr_queues || ops->nr_queues > VIRTIO_MAX_QUEUES ||
	    !ops->max_queue_size || ops->max_queue_size > VIRTQ_MAX_SIZE ||
	    (ops->max_queue_size & (ops->max_queue_size - 1)) || !ops->queue_notify)
		return -EINVAL;

	dev->vm = vm;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->interrupt = interrupt;
	dev->transport = transport;
	pthread_mutex_init(&dev->lock, NULL);
	dev->host_features = (ops->features ? ops->features(opaque) : 0) |
			     VIRTIO_CORE_FEATURES;

	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	dev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->epoll_fd < 0 || dev->stop_fd < 0)
		goto fail_errno;
	if ((r = epoll_add(dev->epoll_fd, dev->stop_fd, EV_STOP)) < 0)
		goto fail;
	for (unsigned int q = 0; q < ops->nr_queues; q++) {
		virtq_init(&dev->vqs[q], vm, q, ops->max_queue_size);
		dev->notify_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->notify_fd[q] < 0)
			goto fail_errno;
		if ((r = epoll_add(dev->epoll_fd, dev->notify_fd[q], q)) < 0)
			goto fail;
	}
	if (ops->attach && (r = ops->attach(opaque, dev)) < 0)
		goto fail;

	/* Signals are for vcpus and main's signalfd: the I/O thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = virtio_dev_thread_start(dev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	dev->thread_started = true;
	snprintf(name, sizeof(name), "virtio-%s", ops->name);
	pthread_setname_np(dev->thread, name);
	return 0;

fail_errno:
	r = -errno;
fail:
	virtio_dev_exit(dev);
	return r;
}

void virtio_dev_exit(struct virtio_dev *dev)
{
	if (dev->thread_started) {
		eventfd_signal(dev->stop_fd);
		pthread_join(dev->thread, NULL);
		dev->thread_started = false;
		/* Nothing may be left in flight once the backend goes away. */
		pthread_mutex_lock(&dev->lock);
		if (dev->ops->reset)
			dev->ops->reset(dev->opaque);
		pthread_mutex_unlock(&dev->lock);
	}
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (dev->notify_fd[q] >= 0)
			close(dev->notify_fd[q]);
		dev->notify_fd[q] = -1;
	}
	if (dev->stop_fd >= 0)
		close(dev->stop_fd);
	if (dev->epoll_fd >= 0)
		close(dev->epoll_fd);
	dev->stop_fd = dev->epoll_fd = -1;
	if (dev->ops)
		pthread_mutex_destroy(&dev->lock);
	dev->ops = NULL;
}

u32 virtio_dev_host_features(struct virtio_dev *dev, u32 sel)
{
	return sel < 2 ? (u32)(dev->host_features >> (32 * sel)) : 0;
}

void virtio_dev_set_guest_features(struct virtio_dev *dev, u32 sel, u32 val)
{
	u64 mask;

	/* 3.1.1: features are fixed once FEATURES_OK is set. */
	if (sel >= 2 || (dev->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	mask = 0xffffffffULL << (32 * sel);
	dev->guest_features = (dev->guest_features & ~mask) | ((u64)val << (32 * sel));
}

static bool virtio_dev_accept_features(struct virtio_dev *dev)
{
	u64 f = dev->guest_features;

	if (f & ~dev->host_features)
		return false;
	/* We are a modern-only device: a legacy driver gets FEATURES_OK refused. */
	if (!(f & (1ULL << VIRTIO_F_VERSION_1)))
		return false;
	if (dev->ops->set_features && dev->ops->set_features(dev->opaque, f) < 0)
		return false;
	for (unsigned int q = 0; q < dev->ops->nr_queues; q++)
		virtq_set_features(&dev->vqs[q], f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC),
				   f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	return true;
}

void virtio_dev_reset(struct virtio_dev *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev->opaque);
	for (unsigned int q = 0; q < dev->ops->nr_queues; q++)
		virtq_reset(&dev->vqs[q]);
	dev->status = 0;
	dev->guest_features = 0;
	atomic_store(&dev->isr, 0);
}

void virtio_dev_set_status(struct virtio_dev *dev, u8 val)
{
	u8 old = dev->status, add, new = old;

	if (!val) {
		virtio_dev_reset(dev);
		return;
	}
	/*
	 * Only a reset clears bits; NEEDS_RESET is the device's to set. Each
	 * step needs the one before it (3.1.1), or the bit is dropped and the
	 * driver, reading it back, sees it refused.
	 */
	add = val & ~old;
	if (add & VIRTIO_CONFIG_S_ACKNOWLEDGE)
		new |= VIRTIO_CONFIG_S_ACKNOWLEDGE;
	if ((add & VIRTIO_CONFIG_S_DRIVER) && (new & VIRTIO_CONFIG_S_ACKNOWLEDGE))
		new |= VIRTIO_CONFIG_S_DRIVER;
	if ((add & VIRTIO_CONFIG_S_FEATURES_OK) && (new & VIRTIO_CONFIG_S_DRIVER) &&
	    virtio_dev_accept_features(dev))
		new |= VIRTIO_CONFIG_S_FEATURES_OK;
	if ((add & VIRTIO_CONFIG_S_DRIVER_OK) && (new & VIRTIO_CONFIG_S_FEATURES_OK))
		new |= VIRTIO_CONFIG_S_DRIVER_OK;
	if (add & VIRTIO_CONFIG_S_FAILED)
		new |= VIRTIO_CONFIG_S_FAILED;
	dev->status = new;

	/* Buffers made available before DRIVER_OK are processed now. */
	if (!(old & VIRTIO_CONFIG_S_DRIVER_OK) && (new & VIRTIO_CONFIG_S_DRIVER_OK))
		for (unsigned int q = 0; q < dev->ops->nr_queues; q++)
			if (dev->vqs[q].ready)
				eventfd_signal(dev->notify_fd[q]);
}

void virtio_dev_config_read(struct virtio_dev *dev, u32 offset, u8 *data, u32 len)
{
	memset(data, 0, len);
	if (offset > dev->ops->config_size || len > dev->ops->config_size - offset)
		return;
	if (dev->ops->config_read)
		dev->ops->config_read(dev->opaque, offset, data, len);
}

void virtio_dev_config_write(struct virtio_dev *dev, u32 offset, const u8 *data, u32 len)
{
	if (offset > dev->ops->config_size || len > dev->ops->config_size - offset)
		return;
	if (dev->ops->config_write)
		dev->ops->config_write(dev->opaque, offset, data, len);
}

struct virtq *virtio_dev_queue(struct virtio_dev *dev, u32 index)
{
	return index < dev->ops->nr_queues ? &dev->vqs[index] : NULL;
}

void virtio_dev_queue_ready(struct virtio_dev *dev, u32 index, bool ready)
{
	struct virtq *vq = virtio_dev_queue(dev, index);

	if (!vq)
		return;
	if (!ready) {
		virtq_disable(vq);
		return;
	}
	if (vq->ready)
		return;
	if (virtq_enable(vq) < 0) {
		virtio_dev_needs_reset(dev, vq->why);
		return;
	}
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		eventfd_signal(dev->notify_fd[index]);
}

void virtio_dev_set_paused(struct virtio_dev *dev, bool paused)
{
	for (unsigned int q = 0; q < dev->ops->nr_queues; q++) {
		struct virtq *vq = &dev->vqs[q];
		bool was = vq->paused;

		vq->paused = paused;
		/* Kicks may have come meanwhile: look at the queue again. */
		if (was && !paused && vq->ready)
			eventfd_signal(dev->notify_fd[q]);
	}
}

/* An absolute CLOCK_REALTIME time @ms from now, for pthread_mutex_timedlock(). */
static struct timespec virtio_lock_deadline(long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ms * 1000000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	return until;
}

void virtio_dev_counters(struct virtio_dev *dev, struct virtio_dev_counters *out)
{
	struct timespec until = virtio_lock_deadline(100);
	/* A stuck I/O thread must not stall the caller (the run loop): read anyway. */
	bool locked = !pthread_mutex_timedlock(&dev->lock, &until);

	memset(out, 0, sizeof(*out));
	for (unsigned int q = 0; q < dev->ops->nr_queues; q++) {
		out->kicks += dev->nr_kicks[q];
		out->irqs += dev->nr_irqs[q];
		out->irqs_suppressed += dev->nr_irqs_suppressed[q];
	}
	out->needs_reset = dev->nr_errors;
	if (locked)
		pthread_mutex_unlock(&dev->lock);
}

void virtio_dev_dump(struct virtio_dev *dev, FILE *f)
{
	struct timespec until = virtio_lock_deadline(200);
	bool locked = !pthread_mutex_timedlock(&dev->lock, &until);
	if (!locked)
		fprintf(f, "  the device lock is held for over 200 ms (a stuck I/O thread?): "
			"read without it\n");
	fprintf(f, "  status=0x%02x%s features=0x%llx isr=0x%x\n", dev->status,
		virtio_dev_live(dev) ? " live" :
		dev->status & VIRTIO_CONFIG_S_NEEDS_RESET ? " needs-reset" : "",
		(unsigned long long)dev->guest_features, atomic_load(&dev->isr));
	for (unsigned int q = 0; q < dev->ops->nr_queues; q++) {
		fprintf(f, "  ");
		virtq_dump(&dev->vqs[q], f);
		fprintf(f, " kicks=%llu irqs=%llu irqs_suppressed=%llu\n",
			(unsigned long long)dev->nr_kicks[q], (unsigned long long)dev->nr_irqs[q],
			(unsigned long long)dev->nr_irqs_suppressed[q]);
	}
	if (dev->ops->dump)
		dev->ops->dump(dev->opaque, f);
	if (locked)
		pthread_mutex_unlock(&dev->lock);
}

void virtio_dev_kick(struct virtio_dev *dev, u32 index)
{
	if (index < dev->ops->nr_queues)
		eventfd_signal(dev->notify_fd[index]);
}
