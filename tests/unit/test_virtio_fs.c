// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-fs over virtio-mmio (devices/virtio/fs.c): requests go from the
 * queue to the worker threads and their replies come back through the I/O
 * thread, many at once; a reset with requests in flight drops them and the
 * device serves again after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/mmio.h"
#include "test.h"
#include "virtio_guest.h"

#define QSIZE		128
#define REQQ		1		/* queue 0 is hiprio */
#define S_ALL		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

static struct guest g;
static struct virtio_mmio *m;
static struct virtio_fs *fs;
static char dir[64];
static u64 unique;

static void w32(u64 off, u32 val)
{
	guest_mmio_w32(&g, off, val);
}

static u32 r32(u64 off)
{
	return guest_mmio_r32(&g, off);
}

static u32 driver_init(void)
{
	w32(VIRTIO_MMIO_STATUS, 0);
	memset(g.ram, 0, 0x100000);
	g.avail_idx = 0;
	guest_mmio_features_ok(&g);
	guest_mmio_queue_setup(&g, REQQ, &g, QSIZE);
	w32(VIRTIO_MMIO_STATUS, S_ALL);
	return r32(VIRTIO_MMIO_STATUS);
}

static const char *start(void)
{
	struct virtio_fs_opts o = { .tag = "t" };
	const char *why = NULL;
	char p[128];
	FILE *f;
	int err = 0;

	snprintf(dir, sizeof(dir), "/tmp/vmm-vfs-XXXXXX");
	if (!mkdtemp(dir))
		return "mkdtemp";
	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	f = fopen(p, "w");
	fputs("hello", f);
	fclose(f);
	snprintf(o.path, sizeof(o.path), "%s", dir);
	fs = virtio_fs_create(&o, &err, &why);
	if (!fs)
		return why;
	guest_init(&g, QSIZE);
	m = virtio_mmio_create(&g.vm, GUEST_MMIO_BASE, 5, &virtio_fs_ops, fs, &err);
	if (!m)
		return "mmio create";
	return driver_init() == S_ALL ? NULL : "driver init";
}

static void stop(void)
{
	char cmd[96];

	virtio_mmio_destroy(m);
	virtio_fs_destroy(fs);
	guest_free(&g);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
}

/* One request as descriptors @head, @head + 1: in (header + @arg), out (@out_len). */
static u64 queue_req(u16 head, u32 opcode, u64 nodeid, const void *arg, u32 arg_len,
		     u32 out_len)
{
	u64 in = guest_alloc(&g, sizeof(struct fuse_in_header) + arg_len);
	u64 out = guest_alloc(&g, out_len);
	struct fuse_in_header *h = guest_ptr(&g, in);
	struct seg s[2] = { { in, sizeof(*h) + arg_len, false }, { out, out_len, true } };

	*h = (struct fuse_in_header){ .len = sizeof(*h) + arg_len, .opcode = opcode,
				      .unique = ++unique, .nodeid = nodeid };
	memcpy(h + 1, arg, arg_len);
	memset(guest_ptr(&g, out), 0xee, out_len);
	guest_chain(&g, head, s, 2);
	guest_publish(&g, head);
	return out;
}

static void fuse_init(void)
{
	struct fuse_init_in in = { .major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION };

	queue_req(0, FUSE_INIT, 0, &in, sizeof(in), 256);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
}

/* Wait for @n used entries; the reply header of the request whose data went to @out. */
static struct fuse_out_header *reply_of(u64 out)
{
	return guest_ptr(&g, out);
}

TEST(fs_device_serves_many_requests_through_its_workers)
{
	const char *why = start();
	struct fuse_open_in oi = { .flags = O_RDONLY };
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	u64 out[60], o;
	unsigned int bad = 0;
	u16 used = 1;

	TEST_ASSERT(!why, "%s", why);
	fuse_init();
	TEST_ASSERT(guest_wait_used(&g, used), "no answer to INIT");
	o = queue_req(2, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", 10,
		      sizeof(struct fuse_out_header) + sizeof(e));
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	TEST_ASSERT(guest_wait_used(&g, ++used) && !reply_of(o)->error, "LOOKUP");
	memcpy(&e, reply_of(o) + 1, sizeof(e));
	o = queue_req(4, FUSE_OPEN, e.nodeid, &oi, sizeof(oi),
		      sizeof(struct fuse_out_header) + sizeof(oo));
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	TEST_ASSERT(guest_wait_used(&g, ++used) && !reply_of(o)->error, "OPEN");
	memcpy(&oo, reply_of(o) + 1, sizeof(oo));
	/* 60 at once, one kick: READs (to the workers) between GETATTRs (served at once). */
	for (u16 i = 0; i < ARRAY_SIZE(out); i++) {
		struct fuse_read_in rd = { .fh = oo.fh, .size = 4096 };
		struct fuse_getattr_in ga = { 0 };

		out[i] = i % 2 ? queue_req(6 + 2 * i, FUSE_READ, e.nodeid, &rd, sizeof(rd),
					   sizeof(struct fuse_out_header) + 4096) :
				 queue_req(6 + 2 * i, FUSE_GETATTR, FUSE_ROOT_ID, &ga, sizeof(ga),
					   sizeof(struct fuse_out_header) +
					   sizeof(struct fuse_attr_out));
	}
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	used += ARRAY_SIZE(out);
	TEST_ASSERT(guest_wait_used(&g, used), "used idx %u, expected %u", guest_used_idx(&g),
		    used);
	for (u16 i = 0; i < ARRAY_SIZE(out); i++) {
		struct fuse_out_header *oh = reply_of(out[i]);

		bad += oh->error != 0 || oh->unique != 4u + i;
		if (i % 2)
			bad += oh->len != sizeof(*oh) + 5 || memcmp(oh + 1, "hello", 5);
	}
	TEST_ASSERT_EQ(bad, 0);
	stop();
}

TEST(fs_device_reset_with_requests_in_flight)
{
	const char *why = start();
	struct fuse_getattr_in ga = { 0 };
	struct fuse_out_header *oh;
	u64 out;

	TEST_ASSERT(!why, "%s", why);
	fuse_init();
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer to INIT");
	for (u16 i = 0; i < 60; i++)
		queue_req(2 + 2 * i, FUSE_GETATTR, FUSE_ROOT_ID, &ga, sizeof(ga), 256);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	/* Reset at once: whatever was in flight is dropped, nothing lands in the new ring. */
	TEST_ASSERT_EQ(driver_init(), S_ALL);
	usleep(20000);
	TEST_ASSERT_EQ(guest_used_idx(&g), 0);
	fuse_init();
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer after the reset");
	out = queue_req(2, FUSE_GETATTR, FUSE_ROOT_ID, &ga, sizeof(ga), 256);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	TEST_ASSERT(guest_wait_used(&g, 2), "no answer to GETATTR");
	oh = guest_ptr(&g, out);
	TEST_ASSERT(oh->error == 0 && oh->unique == unique, "error %d unique %llu", oh->error,
		    (unsigned long long)oh->unique);
	stop();
}
