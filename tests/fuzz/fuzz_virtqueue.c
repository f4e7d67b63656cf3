// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: descriptor-chain walking. The input is a guest: a few
 * parameter bytes (queue size, ring features, ring placement, how many
 * segments the device takes) and then the contents of guest RAM. Every
 * chain popped is read and written in full, so ASan sees any segment that
 * strays outside guest memory.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"
#include "kvm/kvm.h"

#define RAM0_SIZE	0x10000
#define RAM1_GPA	0x20000		/* a second region after a hole */
#define RAM1_SIZE	0x1000
#define PARAMS		8

volatile u8 fuzz_sink;	/* keeps the reads of every segment alive */

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct iovec iov[64];
	struct virtq_chain c = { .iov = iov };
	struct vm vm;
	struct virtq vq;
	u8 p[PARAMS] = { 0 };
	u8 *ram0, *ram1;
	u8 sink = 0;

	memcpy(p, data, MIN(size, PARAMS));
	data += MIN(size, PARAMS);
	size -= MIN(size, PARAMS);

	/* Exact-size allocations: ASan flags a single byte past a region. */
	ram0 = calloc(1, RAM0_SIZE);
	ram1 = calloc(1, RAM1_SIZE);
	memcpy(ram0, data, MIN(size, RAM0_SIZE));
	if (size > RAM0_SIZE)
		memcpy(ram1, data + RAM0_SIZE, MIN(size - RAM0_SIZE, RAM1_SIZE));

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	vm.regions[0] = (struct mem_region){ .gpa = 0, .size = RAM0_SIZE, .hva = ram0 };
	vm.regions[1] = (struct mem_region){ .gpa = RAM1_GPA, .size = RAM1_SIZE, .hva = ram1 };
	vm.nr_regions = 2;

	memset(&vq, 0, sizeof(vq));
	virtq_init(&vq, &vm, 0, 256);
	vq.size = 1u << (p[0] % 10);		/* 1 .. 512: some too big */
	virtq_set_features(&vq, p[1] & 1, p[1] & 2);
	vq.desc_gpa = (u64)p[2] << 8;
	vq.avail_gpa = ((u64)p[3] << 8) | (p[1] & 0x10 ? 1 : 0);	/* sometimes misaligned */
	vq.used_gpa = (u64)p[4] << 8;
	if (p[1] & 0x20)
		vq.used_gpa += RAM1_GPA - 0x100;	/* near or across the hole */
	c.cap = 1 + p[5] % ARRAY_SIZE(iov);

	if (virtq_enable(&vq) == 0) {
		for (int n = 0; n < 300; n++) {
			int r;

			if (n == p[6])
				virtq_disable_notify(&vq);
			r = virtq_pop(&vq, &c);
			if (r <= 0)
				break;
			if (c.nr > c.cap || c.nr_out > c.nr)
				abort();
			for (unsigned int i = 0; i < c.nr; i++) {
				u8 *b = iov[i].iov_base;

				for (size_t j = 0; j < iov[i].iov_len; j++)
					sink ^= b[j];
				if (i >= c.nr_out)
					memset(b, sink, iov[i].iov_len);
			}
			virtq_push(&vq, c.head, (u32)MIN(c.in_len, 0xffffffffULL));
			virtq_should_notify(&vq);
			if (virtq_enable_notify(&vq) && (p[7] & 1))
				virtq_disable_notify(&vq);
		}
	}
	free(ram0);
	free(ram1);
	fuzz_sink = sink;
	return 0;
}
