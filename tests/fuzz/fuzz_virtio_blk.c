// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-blk request parsing. The input is a guest (as
 * in fuzz_virtqueue: parameter bytes, then RAM) whose queue holds blk
 * requests; they run against a scratch 1 MiB image. The device core's I/O
 * thread is replaced by direct calls: queue_notify, then the aio
 * completion watch, then reset (which waits for anything left in flight).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "devices/virtio/blk.h"
#include "kvm/kvm.h"

#define RAM_SIZE	0x10000
#define PARAMS		4

static struct virtio_blk *blk;
static struct virtio_dev dev;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/vmm-fuzz-blk-XXXXXX";
	struct virtio_blk_opts o;
	const char *why;
	int fd = mkstemp(path), err;

	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		abort();
	snprintf(o.path, sizeof(o.path), "%s", path);
	virtio_blk_parse_opts(path, &o, &why);
	snprintf(o.serial, sizeof(o.serial), "fuzz");
	blk = virtio_blk_create(&o, &err, &why);
	unlink(path);
	close(fd);
	if (!blk) {
		fprintf(stderr, "%s\n", why);
		abort();
	}
	dev.ops = &virtio_blk_ops;
	dev.opaque = blk;
	dev.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	pthread_mutex_init(&dev.lock, NULL);
	if (virtio_blk_ops.attach(blk, &dev) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct virtq *vq = &dev.vqs[0];
	struct vm vm;
	u8 p[PARAMS] = { 0 };
	u8 *ram;

	memcpy(p, data, MIN(size, PARAMS));
	data += MIN(size, PARAMS);
	size -= MIN(size, PARAMS);
	ram = calloc(1, RAM_SIZE);
	memcpy(ram, data, MIN(size, RAM_SIZE));

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	vm.regions[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE, .hva = ram };
	vm.nr_regions = 1;

	/* Rings at fixed places: desc 0x0, avail 0x1000, used 0x1800. */
	virtq_init(vq, &vm, 0, VIRTIO_BLK_QUEUE_SIZE);
	vq->size = 1u << (p[0] % 9);
	vq->desc_gpa = 0;
	vq->avail_gpa = 0x1000;
	vq->used_gpa = 0x1800;
	dev.guest_features = (1ULL << VIRTIO_F_VERSION_1) |
			     (p[1] & 1 ? 1ULL << VIRTIO_BLK_F_DISCARD : 0) |
			     (p[1] & 2 ? 1ULL << VIRTIO_BLK_F_WRITE_ZEROES : 0);
	virtq_set_features(vq, p[1] & 4, p[1] & 8);

	if (virtq_enable(vq) == 0) {
		virtio_blk_ops.queue_notify(blk, vq);
		for (unsigned int i = 0; i < dev.nr_watches; i++)
			dev.watches[i].fn(dev.watches[i].arg);
		virtio_blk_ops.reset(blk);
	}
	free(ram);
	return 0;
}
