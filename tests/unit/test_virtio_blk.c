// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk over virtio-mmio against a temporary image file, driven by a
 * fake guest: data round trips checked against the file itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/loop.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"
#include "cli/config.h"
#include "test.h"
#include "virtio_guest.h"

#define BASE		GUEST_MMIO_BASE
#define QSIZE		VIRTIO_BLK_QUEUE_SIZE
#define SECTORS		2048ULL			/* a 1 MiB image */
#define S_ALL		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

static struct guest g;
static struct virtio_mmio *m;
static struct virtio_blk *blk;
static char path[64];
static int file_fd = -1;

static void w32(u64 off, u32 val)
{
	guest_mmio_w32(&g, off, val);
}

static u32 r32(u64 off)
{
	return guest_mmio_r32(&g, off);
}

static u8 pattern(u64 off)
{
	return (u8)(off * 7 + (off >> 9) * 13 + 1);
}

static void make_image(void)
{
	static u8 buf[SECTORS * 512];

	snprintf(path, sizeof(path), "/tmp/vmm-blk-test-XXXXXX");
	file_fd = mkstemp(path);
	for (u64 i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	if (pwrite(file_fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		abort();
}

/* Accept everything the device offers, like Linux mostly does. */
static u32 driver_init(void)
{
	w32(VIRTIO_MMIO_STATUS, 0);
	memset(g.ram, 0, 0x100000);
	g.avail_idx = 0;
	guest_mmio_features_ok(&g);
	guest_mmio_queue_setup(&g, 0, &g, QSIZE);
	w32(VIRTIO_MMIO_STATUS, S_ALL);
	return r32(VIRTIO_MMIO_STATUS);
}

static const struct vm_config *test_cfg;	/* e.g. --io-affinity for the I/O thread */

static const char *start_opts(const char *extra)
{
	struct virtio_blk_opts o;
	const char *why = NULL;
	char arg[160];
	int err = 0;

	make_image();
	snprintf(arg, sizeof(arg), "%s%s", path, extra);
	if (virtio_blk_parse_opts(arg, &o, &why) < 0)
		return why;
	blk = virtio_blk_create(&o, &err, &why);
	if (!blk)
		return why;
	guest_init(&g, QSIZE);
	g.vm.cfg = test_cfg;
	m = virtio_mmio_create(&g.vm, BASE, 5, &virtio_blk_ops, blk, &err);
	if (!m)
		return "mmio create";
	if (driver_init() != S_ALL)
		return "driver init";
	return NULL;
}

static void stop(void)
{
	virtio_mmio_destroy(m);
	virtio_blk_destroy(blk);
	m = NULL;
	blk = NULL;
	guest_free(&g);
	close(file_fd);
	unlink(path);
}

/*
 * Queue one request (not yet kicked): header, optional data, status.
 * @dev_writes: the data buffer is device-writable (IN, GET_ID).
 */
struct req {
	u16 head;
	u64 data;
	u64 status;
};

static u16 next_desc;

static struct req req_queue(u32 type, u64 sector, const void *data, u32 len,
			    bool dev_writes)
{
	struct req r = { .head = next_desc };
	u64 hdr = guest_alloc(&g, 16);
	struct virtio_blk_outhdr *h = guest_ptr(&g, hdr);
	struct seg s[3];
	unsigned int n = 0;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	s[n++] = (struct seg){ hdr, 16, false };
	if (len) {
		r.data = guest_alloc(&g, len);
		if (data)
			memcpy(guest_ptr(&g, r.data), data, len);
		else
			memset(guest_ptr(&g, r.data), 0xee, len);
		s[n++] = (struct seg){ r.data, len, dev_writes };
	}
	r.status = guest_alloc(&g, 1);
	*(u8 *)guest_ptr(&g, r.status) = 0xff;
	s[n++] = (struct seg){ r.status, 1, true };
	guest_chain(&g, r.head, s, n);
	next_desc = (next_desc + n) % QSIZE;
	guest_publish(&g, r.head);
	return r;
}

/* One request, waited for; returns the status byte (0xff: no answer). */
static u8 req_do(u32 type, u64 sector, void *data, u32 len, bool dev_writes)
{
	u16 want = guest_used_idx(&g) + 1;
	struct req r = req_queue(type, sector, data, len, dev_writes);

	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (!guest_wait_used(&g, want))
		return 0xff;
	if (dev_writes && len && data)
		memcpy(data, guest_ptr(&g, r.data), len);
	return *(u8 *)guest_ptr(&g, r.status);
}

static bool file_matches(u64 off, const void *buf, u64 len)
{
	u8 tmp[65536];

	if (len > sizeof(tmp) || pread(file_fd, tmp, len, off) != (ssize_t)len)
		return false;
	return !memcmp(tmp, buf, len);
}

static bool file_is_pattern(u64 off, u64 len)
{
	u8 tmp[65536];

	if (len > sizeof(tmp) || pread(file_fd, tmp, len, off) != (ssize_t)len)
		return false;
	for (u64 i = 0; i < len; i++)
		if (tmp[i] != pattern(off + i))
			return false;
	return true;
}

TEST(blk_parses_disk_options)
{
	struct virtio_blk_opts o;
	const char *why;

	TEST_ASSERT_EQ(virtio_blk_parse_opts("a.img,ro,serial=abc,direct", &o, &why), 0);
	TEST_ASSERT(!strcmp(o.path, "a.img") && o.ro && o.direct &&
		    !strcmp(o.serial, "abc"), "parsed wrong");
	TEST_ASSERT_EQ(virtio_blk_parse_opts("/dev/vdb", &o, &why), 0);
	TEST_ASSERT(!o.ro && !o.direct && !o.serial[0], "defaults");
	TEST_ASSERT_EQ(virtio_blk_parse_opts("", &o, &why), -EINVAL);
	TEST_ASSERT_EQ(virtio_blk_parse_opts(",ro", &o, &why), -EINVAL);
	TEST_ASSERT_EQ(virtio_blk_parse_opts("a.img,rw", &o, &why), -EINVAL);
	TEST_ASSERT(strstr(why, "'rw'"), "why: %s", why);
	TEST_ASSERT_EQ(virtio_blk_parse_opts("a.img,serial=123456789012345678901", &o, &why),
		       -EINVAL);
	TEST_ASSERT_EQ(virtio_blk_parse_opts("a.img,serial=12345678901234567890", &o, &why), 0);
}

TEST(blk_config_reports_capacity_and_limits)
{
	const char *e = start_opts("");
	u32 f;

	TEST_ASSERT(!e, "%s", e);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_CONFIG), SECTORS);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_CONFIG + 4), 0);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_CONFIG + 12), QSIZE - 2);		/* seg_max */
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_CONFIG + 20), 512);		/* blk_size */
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_CONFIG + 32) >> 16, 1);		/* num_queues */
	TEST_ASSERT(r32(VIRTIO_MMIO_CONFIG + 36) > 0, "max_discard_sectors");
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = r32(VIRTIO_MMIO_DEVICE_FEATURES);
	TEST_ASSERT(f & (1u << VIRTIO_BLK_F_FLUSH), "FLUSH");
	TEST_ASSERT(f & (1u << VIRTIO_BLK_F_DISCARD), "DISCARD");
	TEST_ASSERT(f & (1u << VIRTIO_BLK_F_WRITE_ZEROES), "WRITE_ZEROES");
	TEST_ASSERT(!(f & (1u << VIRTIO_BLK_F_RO)), "RO");
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
	stop();
}

TEST(blk_write_then_read_round_trip)
{
	const char *e = start_opts("");
	u8 w[4096], r[4096];

	TEST_ASSERT(!e, "%s", e);
	for (int i = 0; i < 4096; i++)
		w[i] = i * 31 + 5;
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, 8, w, sizeof(w), false), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(8 * 512, w, sizeof(w)), "file content");
	TEST_ASSERT(file_is_pattern(0, 8 * 512) && file_is_pattern(16 * 512, 512),
		    "neighbours touched");
	memset(r, 0, sizeof(r));
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 8, r, sizeof(r), true), VIRTIO_BLK_S_OK);
	TEST_ASSERT(!memcmp(r, w, sizeof(w)), "read back");
	TEST_ASSERT_EQ(guest_used(&g)->ring[1].len, 4097);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, SECTORS - 1, r, 512, true), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches((SECTORS - 1) * 512, r, 512), "last sector");
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false), VIRTIO_BLK_S_OK);
	stop();
}

TEST(blk_header_and_data_split_across_descriptors)
{
	const char *e = start_opts("");
	u64 hdr = 0x300000, d1 = 0x301000, d2 = 0x302000, st = 0x303000;
	struct virtio_blk_outhdr *h = guest_ptr(&g, hdr);
	struct seg s[] = { { hdr, 7, false }, { hdr + 7, 9, false },
			   { d1, 100, true }, { d2, 412, true }, { st, 1, true } };

	TEST_ASSERT(!e, "%s", e);
	h->type = VIRTIO_BLK_T_IN;
	h->sector = 3;
	guest_chain(&g, 0, s, 5);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer");
	TEST_ASSERT_EQ(*(u8 *)guest_ptr(&g, st), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(3 * 512, guest_ptr(&g, d1), 100), "part 1");
	TEST_ASSERT(file_matches(3 * 512 + 100, guest_ptr(&g, d2), 412), "part 2");
	stop();
}

TEST(blk_many_requests_in_flight)
{
	const char *e = start_opts("");
	struct req r[80];

	TEST_ASSERT(!e, "%s", e);
	for (int i = 0; i < 80; i++)
		r[i] = req_queue(VIRTIO_BLK_T_IN, i * 24 + 1, NULL, 4096, true);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 80), "used idx %u", guest_used_idx(&g));
	for (int i = 0; i < 80; i++) {
		TEST_ASSERT_EQ(*(u8 *)guest_ptr(&g, r[i].status), VIRTIO_BLK_S_OK);
		TEST_ASSERT(file_matches((i * 24 + 1) * 512ULL, guest_ptr(&g, r[i].data), 4096),
			    "request %d data", i);
	}
	stop();
}

/* Published old..avail_idx: kick if avail_event asks (vring_need_event), as Linux does. */
static u32 kick_if_asked(u16 old, const u16 *avail_event)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((u16)(g.avail_idx - __atomic_load_n(avail_event, __ATOMIC_ACQUIRE) - 1) >=
	    (u16)(g.avail_idx - old))
		return 0;
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return 1;
}

/*
 * A driver that kicks only when the device asks (EVENT_IDX: avail_event), as
 * Linux does, with up to 32 requests outstanding: the device keeps kicks off
 * while busy and must still see every request, and ask for kicks again once
 * idle, or a guest hangs.
 */
TEST(blk_kicks_only_when_asked_never_lose_a_request)
{
	const char *e = start_opts("");
	u16 *avail_event;
	u32 issued = 0, kicks = 0;
	u64 seed = 12345;

	TEST_ASSERT(!e, "%s", e);
	avail_event = (u16 *)&guest_used(&g)->ring[QSIZE];
	while (issued < 3000) {
		u16 old = g.avail_idx;
		u32 k = 1 + (seed = seed * 6364136223846793005ULL + 1) % 8;

		for (u32 i = 0; i < k; i++, issued++)
			req_queue(VIRTIO_BLK_T_IN, (issued * 8) % (SECTORS - 8), NULL, 4096, true);
		kicks += kick_if_asked(old, avail_event);
		/* At most 32 outstanding: wait for the device to catch up. */
		for (int t = 0; (u16)(g.avail_idx - guest_used_idx(&g)) > 24 && t < 5000; t++)
			usleep(100);
		TEST_ASSERT((u16)(g.avail_idx - guest_used_idx(&g)) <= 24,
			    "stuck: %u issued, used idx %u, avail_event %u, %u kicks", issued,
			    guest_used_idx(&g), *avail_event, kicks);
	}
	TEST_ASSERT(guest_wait_used(&g, g.avail_idx), "lost requests: avail %u used %u, %u kicks",
		    g.avail_idx, guest_used_idx(&g), kicks);
	/* Idle: the device wants a kick for the very next request. */
	for (int t = 0; *avail_event != g.avail_idx && t < 1000; t++)
		usleep(1000);
	TEST_ASSERT_EQ(*avail_event, g.avail_idx);
	stop();
}

/*
 * One request at a time, the next made as soon as the last completes (as a
 * polling driver or a QD1 benchmark does): the device watches the ring after
 * each completion with kicks off, so most requests need no kick (a vcpu exit
 * each). Before it did, every one of these requests was kicked; now 0-10%
 * are (the bound leaves room for a loaded machine).
 */
TEST(blk_watches_the_ring_after_a_completion_instead_of_a_kick)
{
	static struct vm_config cfg;
	cpu_set_t allowed, self;
	int cpus[2], nr = 0;
	const char *e;
	u16 *avail_event;
	u32 kicks = 0, n = 2000;

	/*
	 * The driver (this thread) and the device's I/O thread on CPUs of their
	 * own, as a vcpu and vmm's I/O thread would be: sharing one, the watch
	 * would only keep the driver from running.
	 */
	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < CPU_SETSIZE && nr < 2; c++)
		if (CPU_ISSET(c, &allowed))
			cpus[nr++] = c;
	if (nr < 2) {
		printf("  (one CPU: nothing to measure)\n");
		return;
	}
	CPU_ZERO(&cfg.io_affinity);
	CPU_SET(cpus[1], &cfg.io_affinity);
	cfg.io_affinity_set = true;
	CPU_ZERO(&self);
	CPU_SET(cpus[0], &self);
	pthread_setaffinity_np(pthread_self(), sizeof(self), &self);
	test_cfg = &cfg;
	e = start_opts("");
	test_cfg = NULL;
	TEST_ASSERT(!e, "%s", e);
	avail_event = (u16 *)&guest_used(&g)->ring[QSIZE];
	for (u32 i = 0; i < n; i++) {
		u16 old = g.avail_idx;
		u64 t;

		req_queue(VIRTIO_BLK_T_IN, (i * 8) % (SECTORS - 8), NULL, 4096, true);
		kicks += kick_if_asked(old, avail_event);
		for (t = 0; guest_used_idx(&g) != g.avail_idx && t < 50000000; t++)
			__builtin_ia32_pause();
		TEST_ASSERT(guest_used_idx(&g) == g.avail_idx, "request %u lost, %u kicks", i, kicks);
	}
	TEST_ASSERT(kicks < n * 3 / 4, "%u kicks for %u requests", kicks, n);
	printf("  (%u kicks for %u requests)\n", kicks, n);
	stop();
	pthread_setaffinity_np(pthread_self(), sizeof(allowed), &allowed);
}

TEST(blk_get_id_returns_the_serial)
{
	const char *e = start_opts(",serial=disk-42");
	u8 id[VIRTIO_BLK_ID_BYTES];

	TEST_ASSERT(!e, "%s", e);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id), true), VIRTIO_BLK_S_OK);
	TEST_ASSERT(!memcmp(id, "disk-42\0\0\0", 10), "id %.20s", id);
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, VIRTIO_BLK_ID_BYTES + 1);
	stop();
}

TEST(blk_out_of_range_and_odd_lengths_are_ioerr)
{
	const char *e = start_opts("");
	u8 buf[1024];

	TEST_ASSERT(!e, "%s", e);
	memset(buf, 0x11, sizeof(buf));
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, SECTORS, buf, 512, true), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, SECTORS - 1, buf, 1024, false),
		       VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, ~0ULL, buf, 512, false), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, ~0ULL >> 9, buf, 1024, false),
		       VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, 0, buf, 511, false), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 0, buf, 100, true), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(1234, 0, buf, 512, true), VIRTIO_BLK_S_UNSUPP);
	TEST_ASSERT(file_is_pattern(0, 65536), "file changed");
	TEST_ASSERT(file_is_pattern((SECTORS - 2) * 512, 1024), "file tail changed");
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 0, buf, 512, true), VIRTIO_BLK_S_OK);
	stop();
}

TEST(blk_read_only_refuses_writes_and_leaves_the_file_alone)
{
	const char *e = start_opts(",ro");
	u8 buf[512];
	struct stat before, after;
	u32 f;

	TEST_ASSERT(!e, "%s", e);
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = r32(VIRTIO_MMIO_DEVICE_FEATURES);
	TEST_ASSERT(f & (1u << VIRTIO_BLK_F_RO), "RO not offered");
	TEST_ASSERT(!(f & (1u << VIRTIO_BLK_F_DISCARD)), "DISCARD offered read-only");
	fstat(file_fd, &before);
	memset(buf, 0x55, sizeof(buf));
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, 0, buf, 512, false), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT(req_do(VIRTIO_BLK_T_DISCARD, 0, NULL, 16, false) != VIRTIO_BLK_S_OK,
		    "discard");
	TEST_ASSERT(req_do(VIRTIO_BLK_T_WRITE_ZEROES, 0, NULL, 16, false) != VIRTIO_BLK_S_OK,
		    "write zeroes");
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false), VIRTIO_BLK_S_OK);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 0, buf, 512, true), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_is_pattern(0, SECTORS * 512 > 65536 ? 65536 : SECTORS * 512),
		    "file changed");
	fstat(file_fd, &after);
	TEST_ASSERT(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec, "mtime changed");
	stop();
}

static u8 discard_req(u32 type, u64 sector, u32 n, u32 flags)
{
	struct virtio_blk_discard_write_zeroes d = {
		.sector = sector, .num_sectors = n, .flags = flags,
	};

	return req_do(type, 0, &d, sizeof(d), false);
}

TEST(blk_write_zeroes_and_discard)
{
	const char *e = start_opts("");
	u8 zero[4096] = { 0 };

	TEST_ASSERT(!e, "%s", e);
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_WRITE_ZEROES, 16, 8, 0), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(16 * 512, zero, 4096), "zero range");
	TEST_ASSERT(file_is_pattern(15 * 512, 512) && file_is_pattern(24 * 512, 512),
		    "neighbours");
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_WRITE_ZEROES, 32, 8,
				   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(32 * 512, zero, 4096), "unmapped range");
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_DISCARD, 64, 8, 0), VIRTIO_BLK_S_OK);
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_DISCARD, 64, 8, 1), VIRTIO_BLK_S_UNSUPP);
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_DISCARD, SECTORS - 4, 8, 0), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(discard_req(VIRTIO_BLK_T_WRITE_ZEROES, ~0ULL - 2, 8, 0),
		       VIRTIO_BLK_S_IOERR);
	TEST_ASSERT(req_do(VIRTIO_BLK_T_DISCARD, 0, NULL, 15, false) == VIRTIO_BLK_S_IOERR,
		    "ragged range list");
	struct stat st;
	fstat(file_fd, &st);
	TEST_ASSERT_EQ(st.st_size, SECTORS * 512);
	stop();
}

TEST(blk_host_io_error_becomes_ioerr)
{
	const char *e = start_opts("");
	u8 buf[512];

	TEST_ASSERT(!e, "%s", e);
	/* The image shrinks under us: reads past the new end come up short. */
	TEST_ASSERT_EQ(ftruncate(file_fd, 512 * 10), 0);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 100, buf, 512, true), VIRTIO_BLK_S_IOERR);
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 1, buf, 512, true), VIRTIO_BLK_S_OK);
	stop();
}

TEST(blk_second_open_of_a_locked_image_fails_clearly)
{
	const char *e = start_opts("");
	struct virtio_blk_opts o;
	struct virtio_blk *b2;
	const char *why = NULL;
	int err = 0;

	TEST_ASSERT(!e, "%s", e);
	virtio_blk_parse_opts(path, &o, &why);
	b2 = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(!b2 && err == -EBUSY, "second rw open: err %d", err);
	TEST_ASSERT(strstr(why, "locked") && strstr(why, path), "why: %s", why);
	o.ro = true;
	b2 = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(!b2 && err == -EBUSY, "ro open of a rw-locked image: err %d", err);
	stop();
}

TEST(blk_read_only_images_can_be_shared)
{
	const char *e = start_opts(",ro");
	struct virtio_blk_opts o;
	struct virtio_blk *b2;
	const char *why = NULL;
	int err = 0;

	TEST_ASSERT(!e, "%s", e);
	virtio_blk_parse_opts(path, &o, &why);
	o.ro = true;
	b2 = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(b2, "second ro open: %s", why);
	virtio_blk_destroy(b2);
	o.ro = false;
	b2 = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(!b2 && err == -EBUSY, "rw open of a shared image: err %d", err);
	stop();
}

TEST(blk_missing_image_is_a_clear_error)
{
	struct virtio_blk_opts o;
	const char *why = NULL;
	int err = 0;

	virtio_blk_parse_opts("/nonexistent/disk.img", &o, &why);
	TEST_ASSERT(!virtio_blk_create(&o, &err, &why), "opened");
	TEST_ASSERT_EQ(err, -ENOENT);
	TEST_ASSERT(strstr(why, "/nonexistent/disk.img"), "why: %s", why);
	virtio_blk_parse_opts("/dev/null", &o, &why);
	TEST_ASSERT(!virtio_blk_create(&o, &err, &why), "opened a char device");
}

TEST(blk_request_without_status_byte_needs_reset_then_recovers)
{
	const char *e = start_opts("");
	u64 hdr = guest_alloc(&g, 16);
	u8 buf[512];

	TEST_ASSERT(!e, "%s", e);
	guest_desc(&g, g.desc, 0, hdr, 16, 0, 0);	/* header only */
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 5000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	TEST_ASSERT_EQ(driver_init(), S_ALL);
	next_desc = 0;
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 0, buf, 512, true), VIRTIO_BLK_S_OK);
	stop();
}

/*
 * A malformed chain that only a completion finds (kicks are off while a
 * request is in flight) must still end in NEEDS_RESET: no later kick comes.
 * The I/O thread is held off with the device lock; the test makes its two
 * calls, the kick's and the completion's, in that order.
 */
TEST(blk_malformed_chain_found_by_a_completion_needs_reset)
{
	const char *e = start_opts("");
	struct virtio_dev *d;
	u64 hdr;

	TEST_ASSERT(!e, "%s", e);
	d = virtio_mmio_dev(m);
	pthread_mutex_lock(&d->lock);
	next_desc = 0;
	req_queue(VIRTIO_BLK_T_IN, 0, NULL, 4096, true);
	virtio_blk_ops.queue_notify(blk, &d->vqs[0]);	/* the kick: in flight now */
	hdr = guest_alloc(&g, 16);
	guest_desc(&g, g.desc, next_desc, hdr, 16, 0, 0);	/* header, no status byte */
	guest_publish(&g, next_desc);
	if (d->nr_watches)				/* the aio completion */
		d->watches[0].fn(d->watches[0].arg);
	pthread_mutex_unlock(&d->lock);
	for (int i = 0; i < 2000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	stop();
}

TEST(blk_reset_with_requests_in_flight)
{
	const char *e = start_opts("");
	u8 buf[512];

	TEST_ASSERT(!e, "%s", e);
	for (int round = 0; round < 20; round++) {
		next_desc = 0;
		for (int i = 0; i < 60; i++)
			req_queue(i & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, i * 8, NULL, 4096,
				  !(i & 1));
		w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		usleep(round * 50);
		TEST_ASSERT_EQ(driver_init(), S_ALL);	/* resets first */
	}
	next_desc = 0;
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_IN, 0, buf, 512, true), VIRTIO_BLK_S_OK);
	stop();
}

TEST(blk_direct_io_round_trip)
{
	const char *e = start_opts(",direct");
	u64 hdr, data, st;
	struct virtio_blk_outhdr *h;
	u8 w[8192];

	TEST_ASSERT(!e, "%s", e);
	/* Aligned: goes O_DIRECT. */
	g.heap = ALIGN_UP(g.heap, 4096);
	data = guest_alloc(&g, 8192);
	hdr = guest_alloc(&g, 16);
	st = guest_alloc(&g, 1);
	for (int i = 0; i < 8192; i++)
		w[i] = i ^ 0x5a;
	memcpy(guest_ptr(&g, data), w, sizeof(w));
	h = guest_ptr(&g, hdr);
	h->type = VIRTIO_BLK_T_OUT;
	h->sector = 64;
	struct seg s[] = { { hdr, 16, false }, { data, 8192, false }, { st, 1, true } };
	guest_chain(&g, 0, s, 3);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 1), "no answer");
	TEST_ASSERT_EQ(*(u8 *)guest_ptr(&g, st), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(64 * 512, w, sizeof(w)), "direct write");
	/* Unaligned: falls back to the buffered descriptor. */
	next_desc = 3;
	TEST_ASSERT_EQ(req_do(VIRTIO_BLK_T_OUT, 3, w, 512, false), VIRTIO_BLK_S_OK);
	TEST_ASSERT(file_matches(3 * 512, w, 512), "buffered write");
	stop();
}

/*
 * Every open() of this binary (libvmm.a's included) is counted against the
 * path being watched: `direct` must reopen the file it locked and sized,
 * not look its path up again (which may name another file by then).
 */
static const char *watched_path;
static int watched_opens;

int open(const char *file, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (watched_path && !strcmp(file, watched_path))
		watched_opens++;
	return syscall(SYS_openat, AT_FDCWD, file, flags, mode);
}

TEST(blk_direct_reopens_the_file_it_locked_not_the_path)
{
	struct virtio_blk_opts o;
	const char *why = NULL;
	char arg[96];
	int err = 0;

	make_image();
	snprintf(arg, sizeof(arg), "%s,direct", path);
	TEST_ASSERT(!virtio_blk_parse_opts(arg, &o, &why), "%s", why);
	watched_path = path;
	watched_opens = 0;
	blk = virtio_blk_create(&o, &err, &why);
	watched_path = NULL;
	close(file_fd);
	unlink(path);
	if (!blk && err == -EINVAL && strstr(why, "O_DIRECT")) {
		printf("  (no O_DIRECT on /tmp's file system: not tested)\n");
		return;
	}
	TEST_ASSERT(blk, "%s", why);
	virtio_blk_destroy(blk);
	blk = NULL;
	TEST_ASSERT_EQ(watched_opens, 1);
}

/* A file that is no disk is refused before it could block vmm (FIFO: alarm). */
TEST(blk_fifo_socket_directory_and_char_device_are_refused_at_once)
{
	char dir[] = "/tmp/vmm-blk-types-XXXXXX", fifo[64], sock[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char *const suffix[] = { "", ",ro" };
	const char *files[4], *kinds[4] = { "a FIFO", "a socket", "a directory",
					     "a character device" };
	int s;

	TEST_ASSERT(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	TEST_ASSERT(!mkfifo(fifo, 0600), "mkfifo: %s", strerror(errno));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	TEST_ASSERT(s >= 0 && !bind(s, (struct sockaddr *)&sa, sizeof(sa)),
		    "bind: %s", strerror(errno));
	files[0] = fifo;
	files[1] = sock;
	files[2] = dir;
	files[3] = "/dev/null";

	alarm(10);	/* a FIFO opened without O_NONBLOCK waits for a writer */
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 2; j++) {
			struct virtio_blk_opts o;
			const char *why = NULL;
			char arg[96];
			int err = 0;

			snprintf(arg, sizeof(arg), "%s%s", files[i], suffix[j]);
			virtio_blk_parse_opts(arg, &o, &why);
			TEST_ASSERT(!virtio_blk_create(&o, &err, &why), "opened %s", arg);
			TEST_ASSERT(err == -EINVAL, "%s: err %d (%s)", arg, err, why);
			TEST_ASSERT(strstr(why, kinds[i]) && strstr(why, files[i]),
				    "%s: why: %s", arg, why);
		}
	}
	alarm(0);
	close(s);
	unlink(sock);
	unlink(fifo);
	rmdir(dir);
}

/* A loop device on a fresh image, detached when its last fd closes; -1 if not root. */
static int loop_attach(int file, char *dev, size_t len)
{
	struct loop_config lc = { .fd = file, .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int ctl, fd = -1;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	for (int tries = 0; tries < 10 && fd < 0; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			break;
		snprintf(dev, len, "/dev/loop%d", n);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &lc) < 0) {
			close(fd);	/* taken meanwhile by someone else */
			fd = -1;
		}
	}
	close(ctl);
	return fd;
}

/* A block device the guest may write is claimed like a mount claims it. */
TEST(blk_read_write_block_device_is_claimed_exclusively)
{
	struct virtio_blk_opts o;
	const char *why = NULL;
	char dev[32];
	int loop, holder, err = 0;

	make_image();
	loop = loop_attach(file_fd, dev, sizeof(dev));
	close(file_fd);
	unlink(path);
	if (loop < 0) {
		printf("  (cannot set up a loop device: %s; not tested)\n", strerror(errno));
		return;
	}
	/* Someone else's exclusive claim (a mounted file system has one). */
	holder = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	TEST_ASSERT(holder >= 0, "O_EXCL open of %s: %s", dev, strerror(errno));
	virtio_blk_parse_opts(dev, &o, &why);
	blk = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(!blk && err == -EBUSY, "rw open of a claimed %s: err %d", dev, err);
	TEST_ASSERT(strstr(why, "in use") && strstr(why, dev), "why: %s", why);
	o.ro = true;
	blk = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(blk, "ro open of a claimed device: %s", why);
	TEST_ASSERT_EQ(virtio_blk_sectors(blk), SECTORS);
	virtio_blk_destroy(blk);
	close(holder);

	/* Now vmm holds the claim: nobody else can take it. */
	o.ro = false;
	blk = virtio_blk_create(&o, &err, &why);
	TEST_ASSERT(blk, "rw open of a free device: %s", why);
	holder = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	TEST_ASSERT(holder < 0 && errno == EBUSY, "claimed twice: %d %s", holder,
		    strerror(errno));
	virtio_blk_destroy(blk);
	blk = NULL;
	close(loop);
}

/* A disk is whole sectors: none is refused, a partial last one is said to be dropped. */
TEST(blk_image_smaller_than_a_sector_is_refused)
{
	static const u64 sizes[] = { 0, 1, 511 };
	struct virtio_blk_opts o;
	const char *why = NULL;
	int err = 0;

	for (unsigned int i = 0; i < 3; i++) {
		make_image();
		TEST_ASSERT(!ftruncate(file_fd, sizes[i]), "truncate");
		virtio_blk_parse_opts(path, &o, &why);
		blk = virtio_blk_create(&o, &err, &why);
		close(file_fd);
		unlink(path);
		TEST_ASSERT(!blk, "a %llu-byte image became a disk of %llu sectors",
			    (unsigned long long)sizes[i],
			    (unsigned long long)virtio_blk_sectors(blk));
		TEST_ASSERT(err == -EINVAL && strstr(why, "smaller than one"), "err %d: %s",
			    err, why);
	}
}

TEST(blk_image_with_a_partial_last_sector_keeps_the_whole_ones)
{
	struct virtio_blk_opts o;
	const char *why = NULL;
	int err = 0;

	char log[256] = "";
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);

	make_image();
	TEST_ASSERT(!ftruncate(file_fd, 3 * 512 + 100), "truncate");
	virtio_blk_parse_opts(path, &o, &why);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);		/* catch the warning */
	blk = virtio_blk_create(&o, &err, &why);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
	fclose(f);
	close(file_fd);
	unlink(path);
	TEST_ASSERT(blk, "%s", why);
	TEST_ASSERT(strstr(log, "last 100 bytes") && strstr(log, path), "stderr: '%s'", log);
	TEST_ASSERT_EQ(virtio_blk_sectors(blk), 3);
	virtio_blk_destroy(blk);
	blk = NULL;
}
