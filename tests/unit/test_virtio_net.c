// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net over virtio-mmio against a socketpair standing in for the tap
 * (one datagram = one frame with its 12-byte vnet header), driven by a fake
 * guest with an rx (0) and a tx (1) queue.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/virtio_net.h>

#include "net_guest.h"
#include "test.h"

static int peer = -1;		/* the host side of the "tap" */

static const char *start(u64 refuse)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct virtio_net *n;
	int sv[2];

	if (net_guest_tap_pair(sv) < 0)
		return "socketpair";
	peer = sv[1];
	n = virtio_net_create_fd(sv[0], mac);
	if (!n)
		return "create";
	return net_guest_start(n, refuse);
}

static void stop(void)
{
	net_guest_stop();
	close(peer);
	peer = -1;
}

static u8 pattern(u32 i)
{
	return (u8)(i * 31 + 7);
}

/* A frame with its vnet header (all zero: no offload) as the host sends it. */
static size_t make_frame(u8 *buf, u32 frame_len)
{
	memset(buf, 0, HDR);
	for (u32 i = 0; i < frame_len; i++)
		buf[HDR + i] = pattern(i);
	return HDR + frame_len;
}

/* CPU time of the whole process (the device's I/O thread included), in ms. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static ssize_t peer_recv(u8 *buf, size_t len)
{
	for (int i = 0; i < 5000; i++) {
		ssize_t r = recv(peer, buf, len, MSG_DONTWAIT);

		if (r >= 0 || errno != EAGAIN)
			return r;
		usleep(1000);
	}
	return -1;
}

TEST(net_parse_opts)
{
	struct virtio_net_opts o;
	const char *why = "";

	TEST_ASSERT_EQ(virtio_net_parse_opts("none", &o, &why), 0);
	TEST_ASSERT_EQ(o.mode, VIRTIO_NET_NONE);
	TEST_ASSERT_EQ(virtio_net_parse_opts("tap", &o, &why), 0);
	TEST_ASSERT(o.mode == VIRTIO_NET_TAP && !o.ifname[0] && !o.has_mac, "tap");
	TEST_ASSERT_EQ(virtio_net_parse_opts("tap,ifname=vmm0,mac=52:54:00:ab:cd:ef", &o,
					     &why), 0);
	TEST_ASSERT(!strcmp(o.ifname, "vmm0") && o.has_mac && o.mac[5] == 0xef, "full");
	TEST_ASSERT(virtio_net_parse_opts("usr", &o, &why) < 0, "usr");
	TEST_ASSERT(virtio_net_parse_opts("tap,mac=01:00:00:00:00:01", &o, &why) < 0,
		    "multicast mac");
	TEST_ASSERT(virtio_net_parse_opts("tap,mac=52:54:00:ab:cd", &o, &why) < 0, "short mac");
	TEST_ASSERT(virtio_net_parse_opts("tap,ifname=0123456789abcdef", &o, &why) < 0,
		    "long ifname");
	TEST_ASSERT(virtio_net_parse_opts("tap,ifname=", &o, &why) < 0, "empty ifname");
	TEST_ASSERT(virtio_net_parse_opts("tap,speed=10", &o, &why) < 0, "unknown");
	TEST_ASSERT(strstr(why, "unknown"), "why: %s", why);
}

TEST(net_config_has_mac_and_link_up)
{
	const char *e = start(0);
	u8 cfg[10];

	TEST_ASSERT(!e, "%s", e);
	TEST_ASSERT_EQ(r32(VIRTIO_MMIO_DEVICE_ID), 1);
	for (unsigned int i = 0; i < sizeof(cfg); i++)
		bus_access(&g.vm.bus[BUS_MMIO], NULL, BASE + VIRTIO_MMIO_CONFIG + i, &cfg[i], 1,
			   false);
	TEST_ASSERT(!memcmp(cfg, "\x52\x54\x00\x12\x34\x56", 6), "mac");
	TEST_ASSERT_EQ(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	stop();
}

TEST(net_random_mac_is_local_unicast)
{
	struct virtio_net *n = virtio_net_create_fd(-1, NULL);
	u8 mac[6];

	TEST_ASSERT(n, "create");
	virtio_net_mac(n, mac);
	virtio_net_destroy(n);
	TEST_ASSERT_EQ(mac[0] & 3, 2);
}

TEST(net_tx_frame_appears_on_the_fd)
{
	static u8 out[HDR + 1514], in[HDR + 2000];
	const char *e = start(0);
	size_t len = make_frame(out, 1514);
	ssize_t got;

	TEST_ASSERT(!e, "%s", e);
	out[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;	/* passed through as is */
	tx_send(out, len, 3);
	got = peer_recv(in, sizeof(in));
	TEST_ASSERT_EQ(got, (ssize_t)len);
	TEST_ASSERT(!memcmp(in, out, len), "bytes differ");
	TEST_ASSERT(guest_wait_used(&tq, 1), "tx not used");
	tx_send(out, HDR + 60, 1);
	TEST_ASSERT_EQ(peer_recv(in, sizeof(in)), HDR + 60);
	TEST_ASSERT(guest_wait_used(&tq, 2), "second tx not used");
	stop();
}

TEST(net_rx_frame_lands_in_a_buffer)
{
	static u8 frame[HDR + 100];
	const char *e = start(0);
	size_t len = make_frame(frame, 100);
	struct virtio_net_hdr_v1 *h;
	u64 buf;

	TEST_ASSERT(!e, "%s", e);
	buf = rx_post(2048);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	TEST_ASSERT(guest_wait_used(&g, 1), "no rx");
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, len);
	h = guest_ptr(&g, buf);
	TEST_ASSERT_EQ(h->num_buffers, 1);
	TEST_ASSERT(!memcmp((u8 *)guest_ptr(&g, buf) + HDR, frame + HDR, 100), "data");
	stop();
}

TEST(net_rx_3000_byte_frame_merges_across_buffers)
{
	static u8 frame[HDR + 3000];
	const char *e = start(0);
	size_t len = make_frame(frame, 3000);
	u64 b[4];
	u32 off = 0;

	TEST_ASSERT(!e, "%s", e);
	for (int i = 0; i < 4; i++)
		b[i] = rx_post(1024);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	TEST_ASSERT(guest_wait_used(&g, 3), "used %u", guest_used_idx(&g));
	usleep(20000);
	TEST_ASSERT_EQ(guest_used_idx(&g), 3);
	TEST_ASSERT_EQ(((struct virtio_net_hdr_v1 *)guest_ptr(&g, b[0]))->num_buffers, 3);
	for (int i = 0; i < 3; i++) {
		u32 l = guest_used(&g)->ring[i].len;

		TEST_ASSERT_EQ(guest_used(&g)->ring[i].id, (u32)i);
		TEST_ASSERT_EQ(l, i < 2 ? 1024u : (u32)len - 2048);
		if (i)
			TEST_ASSERT(!memcmp(guest_ptr(&g, b[i]), frame + off, l), "buffer %d", i);
		else
			TEST_ASSERT(!memcmp((u8 *)guest_ptr(&g, b[0]) + HDR, frame + HDR,
					    1024 - HDR), "buffer 0");
		off += l;
	}
	stop();
}

TEST(net_rx_without_buffers_the_frame_waits)
{
	static u8 f1[HDR + 200], f2[HDR + 300];
	const char *e = start(0);
	size_t l1 = make_frame(f1, 200), l2 = make_frame(f2, 300);
	double cpu0;
	u64 b1, b2;

	TEST_ASSERT(!e, "%s", e);
	f2[HDR] = 0xaa;
	TEST_ASSERT_EQ(send(peer, f1, l1, 0), (ssize_t)l1);
	TEST_ASSERT_EQ(send(peer, f2, l2, 0), (ssize_t)l2);
	/* Waiting costs no CPU: the fd is out of the epoll set, not spun on. */
	cpu0 = cpu_ms();
	usleep(200000);
	TEST_ASSERT(cpu_ms() - cpu0 < 50, "%.0f ms of CPU in 200 ms of waiting", cpu_ms() - cpu0);
	TEST_ASSERT_EQ(guest_used_idx(&g), 0);
	/* Too small for the frame: with MRG_RXBUF, the frame still waits for more. */
	b1 = rx_post(100);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(50000);
	TEST_ASSERT_EQ(guest_used_idx(&g), 0);
	b2 = rx_post(2048);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 2), "used %u", guest_used_idx(&g));
	TEST_ASSERT_EQ(((struct virtio_net_hdr_v1 *)guest_ptr(&g, b1))->num_buffers, 2);
	TEST_ASSERT(!memcmp((u8 *)guest_ptr(&g, b1) + HDR, f1 + HDR, 100 - HDR), "f1 head");
	TEST_ASSERT(!memcmp(guest_ptr(&g, b2), f1 + 100, l1 - 100), "f1 tail");
	/* The second frame is not lost either. */
	b1 = rx_post(2048);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 3), "second frame");
	TEST_ASSERT_EQ(guest_used(&g)->ring[2].len, l2);
	TEST_ASSERT_EQ(*(u8 *)guest_ptr(&g, b1 + HDR), 0xaa);
	stop();
}

TEST(net_rx_without_mrg_drops_a_frame_too_big_for_the_buffer)
{
	static u8 big[HDR + 3000], small[HDR + 60];
	const char *e = start(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	size_t lb = make_frame(big, 3000), ls = make_frame(small, 60);
	u64 b;

	TEST_ASSERT(!e, "%s", e);
	b = rx_post(1526);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, big, lb, 0), (ssize_t)lb);
	TEST_ASSERT_EQ(send(peer, small, ls, 0), (ssize_t)ls);
	TEST_ASSERT(guest_wait_used(&g, 1), "no rx");
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, ls);
	TEST_ASSERT_EQ(((struct virtio_net_hdr_v1 *)guest_ptr(&g, b))->num_buffers, 1);
	stop();
}

TEST(net_tx_chain_without_header_needs_reset_then_recovers)
{
	static u8 out[HDR + 60], in[256];
	const char *e = start(0);
	struct seg s = { 0x300000, 8, false };

	TEST_ASSERT(!e, "%s", e);
	guest_chain(&tq, 0, &s, 1);
	guest_publish(&tq, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	for (int i = 0; i < 1000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	TEST_ASSERT_EQ(driver_init(0), S_ALL);
	make_frame(out, 60);
	tx_send(out, sizeof(out), 1);
	TEST_ASSERT_EQ(peer_recv(in, sizeof(in)), (ssize_t)sizeof(out));
	stop();
}

TEST(net_tx_writable_descriptor_needs_reset)
{
	const char *e = start(0);
	struct seg s[2] = { { 0x300000, HDR + 60, false }, { 0x301000, 64, true } };

	TEST_ASSERT(!e, "%s", e);
	guest_chain(&tq, 0, s, 2);
	guest_publish(&tq, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	for (int i = 0; i < 1000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	stop();
}

TEST(net_rx_readable_buffer_needs_reset_then_recovers)
{
	static u8 frame[HDR + 60];
	const char *e = start(0);
	size_t len = make_frame(frame, 60);
	struct seg s = { 0x300000, 2048, false };

	TEST_ASSERT(!e, "%s", e);
	guest_chain(&g, 0, &s, 1);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	for (int i = 0; i < 1000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	TEST_ASSERT_EQ(driver_init(0), S_ALL);
	rx_post(2048);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	TEST_ASSERT(guest_wait_used(&g, 1), "no rx after reset");
	TEST_ASSERT_EQ(guest_used(&g)->ring[0].len, len);
	stop();
}

TEST(net_rx_descriptor_outside_ram_needs_reset)
{
	static u8 frame[HDR + 60];
	const char *e = start(0);
	size_t len = make_frame(frame, 60);
	struct seg s = { GUEST_RAM_SIZE - 16, 2048, true };

	TEST_ASSERT(!e, "%s", e);
	guest_chain(&g, 0, &s, 1);
	guest_publish(&g, 0);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	for (int i = 0; i < 1000 && !(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	TEST_ASSERT(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "no NEEDS_RESET");
	stop();
}

/* The stall report of a device over @fn's transport, as text (free() it). */
static char *dump_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	virtio_mmio_dump(m, f);
	fclose(f);
	return buf;
}

/* Wait (up to 5 s) for the report to contain @what. */
static bool dump_shows(const char *what, char **text)
{
	for (int i = 0; i < 500; i++) {
		*text = dump_text();
		if (strstr(*text, what))
			return true;
		free(*text);
		usleep(10000);
	}
	*text = dump_text();
	return false;
}

/*
 * What a stall report says of a device waiting for rx buffers with a frame
 * in hand, and of the same device once the driver gave one.
 */
TEST(net_dump_shows_rx_waiting_for_buffers)
{
	static u8 frame[HDR + 100];
	const char *e = start(0);
	size_t len = make_frame(frame, 100);
	char *t, want[64];
	bool ok;

	TEST_ASSERT(!e, "%s", e);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	TEST_ASSERT_EQ(send(peer, frame, len, 0), (ssize_t)len);
	snprintf(want, sizeof(want), "rx_reading=no rx_frame_held=%zu ", len);
	ok = dump_shows(want, &t);
	TEST_ASSERT(ok, "no '%s' in:\n%s", want, t);
	ok = strstr(t, "virtio-net: mmio 0xd0000000 gsi 5") &&
	     strstr(t, "q0: size=256 avail_idx=0 avail_seen=0 last_avail=0 waiting=0 used_idx=0 "
		       "ring_used_idx=0 event_idx=1 avail_event=0 used_event=0") &&
	     strstr(t, "next_kick=yes") && strstr(t, "tap: watched=no frames_waiting=yes") &&
	     strstr(t, "status=0x0f live");
	TEST_ASSERT(ok, "report:\n%s", t);
	free(t);

	rx_post(2048);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	TEST_ASSERT(guest_wait_used(&g, 1), "no rx");
	w32(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_VQ);
	/* The second frame waits now, with the avail idx seen as avail_event. */
	ok = dump_shows("last_avail=1 waiting=0 used_idx=1 ring_used_idx=1", &t);
	TEST_ASSERT(ok, "report:\n%s", t);
	ok = strstr(t, "irqs_sent=1 acks=1") && strstr(t, "avail_event=1") &&
	     strstr(t, "kicks=") && strstr(t, " irqs=1 ") &&
	     strstr(t, "rx_reading=no rx_frame_held=") && strstr(t, "q1: size=256");
	TEST_ASSERT(ok, "report:\n%s", t);
	free(t);
	stop();
}

static void *dump_thread(void *arg)
{
	return dump_text();
}

/* A device lock held elsewhere does not hang the report; it says so. */
TEST(net_dump_with_the_device_lock_held)
{
	struct virtio_dev *dev;
	const char *e = start(0);
	pthread_t th;
	void *t = NULL;
	bool ok;

	TEST_ASSERT(!e, "%s", e);
	dev = virtio_mmio_dev(m);
	pthread_mutex_lock(&dev->lock);
	pthread_create(&th, NULL, dump_thread, NULL);
	pthread_join(th, &t);
	pthread_mutex_unlock(&dev->lock);
	ok = t && strstr(t, "the device lock is held for over 200 ms") && strstr(t, "q0: size=256");
	TEST_ASSERT(ok, "report:\n%s", t ? (char *)t : "(none)");
	free(t);
	stop();
}
