// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net with the user-mode backend (libslirp), for real: a fake guest
 * sends ARP, DHCP, UDP and takes a forwarded TCP connection, with host
 * sockets on 127.0.0.1 on the other side. Plus the option strings.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include <linux/virtio_net.h>

#include "devices/virtio/net_backend.h"
#include "devices/virtio/net_backends.h"
#include "cli/config.h"
#include "net_guest.h"
#include "test.h"

#ifndef VMM_HAVE_SLIRP

TEST(net_user_needs_libslirp)
{
	struct virtio_net_opts o;
	const char *why = "";

	TEST_ASSERT(virtio_net_parse_opts("user", &o, &why) < 0, "user");
	TEST_ASSERT(strstr(why, "libslirp"), "why: %s", why);
}

#else

#define GUEST_IP	0x0a00020fu	/* 10.0.2.15, what DHCP hands out */
#define HOST_IP		0x0a000202u	/* 10.0.2.2 */
#define RX_BUF		1600		/* an MTU-sized frame and its header */
#define RX_POSTED	32

static const u8 guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static u16 rx_seen;		/* used entries consumed */

/* ---- packets ---- */

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static u16 get16(const u8 *p)
{
	return p[0] << 8 | p[1];
}

static u32 get32(const u8 *p)
{
	return (u32)get16(p) << 16 | get16(p + 2);
}

static u32 sum16(u32 sum, const u8 *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static u16 fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The TCP/UDP checksum of @l4 (@len bytes) over the IPv4 pseudo header of @ip. */
static u16 l4_csum(const u8 *ip, const u8 *l4, size_t len)
{
	u32 sum = sum16(0, ip + 12, 8) + ip[9] + len;

	return fold(sum16(sum, l4, len));
}

/* Ethernet header at @f (after the vnet header room); returns the payload. */
static u8 *eth(u8 *f, const u8 dst[6], u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
	return f + 14;
}

/* A 20-byte IPv4 header for @tot bytes of @proto, checksummed. */
static void ip4(u8 *ip, u32 src, u32 dst, u8 proto, u16 tot)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(0, ip, 20)));
}

/* IPv4 + UDP headers around @len bytes already at ip + 28; returns the frame length. */
static size_t ip_udp(u8 *ip, u32 src, u32 dst, u16 sport, u16 dport, size_t len)
{
	u8 *udp = ip + 20;

	memset(udp, 0, 8);
	ip4(ip, src, dst, IPPROTO_UDP, 28 + len);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, 8 + len);
	put16(udp + 6, l4_csum(ip, udp, 8 + len) ?: 0xffff);
	return 14 + 28 + len;
}

/* An ARP @op from the guest; @pkt has HDR bytes of room first. */
static size_t arp(u8 *pkt, u16 op, const u8 tha[6], u32 tpa)
{
	u8 *a;

	memset(pkt, 0, HDR + 60);
	a = eth(pkt + HDR, op == 1 ? bcast : tha, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, guest_mac, 6);
	put32(a + 14, GUEST_IP);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	return HDR + 60;
}

/* Both checksums of a received IPv4 frame hold (the one of TCP or UDP too). */
static bool ip_sums_ok(const u8 *f, size_t len)
{
	const u8 *ip = f + 14;
	size_t tot;

	if (len < 14 + 20 || get16(f + 12) != 0x0800 || (ip[0] & 0xf) != 5)
		return false;
	tot = get16(ip + 2);
	if (tot > len - 14 || fold(sum16(0, ip, 20)) != 0)
		return false;
	if (ip[9] != IPPROTO_UDP && ip[9] != IPPROTO_TCP)
		return true;
	return l4_csum(ip, ip + 20, tot - 20) == 0;
}

/* ---- the device ---- */

static const char *start_user(const char *opts)
{
	struct virtio_net_opts o;
	struct virtio_net *n;
	const char *why = "";
	const char *e;
	int err = 0;

	if (virtio_net_parse_opts(opts, &o, &why) < 0)
		return why;
	n = virtio_net_create(&o, &err, &why);
	if (!n)
		return why;
	e = net_guest_start(n, 0);
	rx_seen = 0;
	return e;
}

static void post_rx(unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		rx_post(RX_BUF);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* The next frame for the guest (without the vnet header) into @out, within @ms. */
static ssize_t rx_frame(u8 *out, int ms)
{
	struct vring_used_elem e;
	const struct vring_desc *d;
	const struct virtio_net_hdr_v1 *h;

	for (int i = 0; guest_used_idx(&g) == rx_seen; i++) {
		if (i >= ms)
			return -1;
		usleep(1000);
	}
	e = guest_used(&g)->ring[rx_seen % QSIZE];
	rx_seen++;
	d = guest_ptr(&g, g.desc + 16ULL * e.id);
	h = guest_ptr(&g, d->addr);
	/* No offload: nothing flagged, one buffer per MTU frame. */
	if (e.len < HDR + 14 || h->flags || h->gso_type || h->num_buffers != 1)
		return -2;
	memcpy(out, (u8 *)h + HDR, e.len - HDR);
	post_rx(1);
	return e.len - HDR;
}

/*
 * The next frame that is not an ARP request for the guest (answered here,
 * as the guest's stack would), within 5 s.
 */
static ssize_t rx_wait(u8 *out)
{
	static u8 reply[HDR + 60];
	ssize_t len;

	while ((len = rx_frame(out, 5000)) > 0) {
		if (get16(out + 12) != 0x0806 || get16(out + 14 + 6) != 1 ||
		    get32(out + 14 + 24) != GUEST_IP)
			return len;
		tx_send(reply, arp(reply, 2, out + 14 + 8, get32(out + 14 + 14)), 1);
	}
	return len;
}

/* A free port on 127.0.0.1 (for a moment). */
static u16 free_port(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, type, 0);

	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

TEST(net_user_parse_opts)
{
	struct virtio_net_opts o;
	const char *why = "";

	TEST_ASSERT_EQ(virtio_net_parse_opts("user", &o, &why), 0);
	TEST_ASSERT(o.mode == VIRTIO_NET_USER && !o.nr_hostfwd, "user");
	TEST_ASSERT_EQ(virtio_net_parse_opts("user,hostfwd=tcp::2222-:22,"
					     "hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,"
					     "hostfwd=::8080-:80,mac=52:54:00:ab:cd:ef",
					     &o, &why), 0);
	TEST_ASSERT_EQ(o.nr_hostfwd, 3);
	TEST_ASSERT(!o.hostfwd[0].udp && !o.hostfwd[0].host_addr.s_addr &&
		    o.hostfwd[0].host_port == 2222 && !o.hostfwd[0].guest_addr.s_addr &&
		    o.hostfwd[0].guest_port == 22, "first");
	TEST_ASSERT(o.hostfwd[1].udp && ntohl(o.hostfwd[1].host_addr.s_addr) == 0x7f000001 &&
		    o.hostfwd[1].host_port == 5353 &&
		    ntohl(o.hostfwd[1].guest_addr.s_addr) == GUEST_IP &&
		    o.hostfwd[1].guest_port == 53, "second");
	TEST_ASSERT(!o.hostfwd[2].udp && o.hostfwd[2].host_port == 8080, "no protocol: tcp");
	TEST_ASSERT(o.has_mac && o.mac[5] == 0xef, "mac");

	TEST_ASSERT(virtio_net_parse_opts("user,speed=10", &o, &why) < 0, "unknown key");
	TEST_ASSERT(strstr(why, "unknown") && strstr(why, "hostfwd"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::0-:22", &o, &why) < 0, "port 0");
	TEST_ASSERT(strstr(why, "host port '0'"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::22-:65536", &o, &why) < 0,
		    "port 65536");
	TEST_ASSERT(strstr(why, "guest port '65536'"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::ssh-:22", &o, &why) < 0, "name");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::-1-:22", &o, &why) < 0, "-1");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::2222:22", &o, &why) < 0, "no dash");
	TEST_ASSERT(strstr(why, "expected hostfwd="), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=sctp::1-:2", &o, &why) < 0, "sctp");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp:1.2.3:1-:2", &o, &why) < 0,
		    "bad host address");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::1-10.0.3.15:2", &o, &why) < 0,
		    "guest outside 10.0.2.0/24");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::1-10.0.2.2:2", &o, &why) < 0,
		    "guest is the host");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::1-:2,hostfwd=tcp::1-:3", &o,
					  &why) < 0, "twice");
	TEST_ASSERT(virtio_net_parse_opts("user,hostfwd=tcp::1-:2,hostfwd=udp::1-:3", &o,
					  &why) == 0, "tcp and udp may share a port");
	TEST_ASSERT(virtio_net_parse_opts("tap,hostfwd=tcp::1-:2", &o, &why) < 0, "tap");
	TEST_ASSERT(strstr(why, "only with user"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,ifname=vmm0", &o, &why) < 0, "ifname");
	TEST_ASSERT(strstr(why, "only with tap"), "why: %s", why);
}

TEST(net_user_offers_no_offload)
{
	const char *e = start_user("user");
	u64 f;

	TEST_ASSERT(!e, "%s", e);
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = r32(VIRTIO_MMIO_DEVICE_FEATURES);
	TEST_ASSERT(f & (1 << VIRTIO_NET_F_MAC) && f & (1 << VIRTIO_NET_F_MRG_RXBUF), "0x%llx",
		    (unsigned long long)f);
	TEST_ASSERT(!(f & ((1 << VIRTIO_NET_F_CSUM) | (1 << VIRTIO_NET_F_GUEST_CSUM) |
			   (1 << VIRTIO_NET_F_HOST_TSO4) | (1 << VIRTIO_NET_F_HOST_TSO6) |
			   (1 << VIRTIO_NET_F_GUEST_TSO4) | (1 << VIRTIO_NET_F_GUEST_TSO6))),
		    "offloads offered: 0x%llx", (unsigned long long)f);
	net_guest_stop();
}

TEST(net_user_arp_for_the_host_is_answered)
{
	static u8 req[HDR + 60], f[2048];
	static const u8 zero[6];
	const char *e = start_user("user");
	ssize_t len;

	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);
	tx_send(req, arp(req, 1, zero, HOST_IP), 1);
	len = rx_wait(f);
	TEST_ASSERT(len >= 42, "no reply (%zd)", len);
	TEST_ASSERT(!memcmp(f, guest_mac, 6), "to the guest's mac");
	TEST_ASSERT_EQ(get16(f + 12), 0x0806);
	TEST_ASSERT_EQ(get16(f + 14 + 6), 2);		/* reply */
	TEST_ASSERT_EQ(get32(f + 14 + 14), HOST_IP);	/* 10.0.2.2 is at ... */
	TEST_ASSERT(!memcmp(f + 14 + 8, f + 6, 6) && !(f[14 + 8] & 1), "... a unicast mac");
	TEST_ASSERT(!memcmp(f + 14 + 18, guest_mac, 6), "target mac");
	TEST_ASSERT_EQ(get32(f + 14 + 24), GUEST_IP);
	net_guest_stop();
}

TEST(net_user_dhcp_discover_gets_an_offer_of_10_0_2_15)
{
	/* A full BOOTP message: 236 bytes and 312 of options (slirp wants them all). */
	static u8 pkt[HDR + 14 + 28 + 548], f[2048];
	const char *e = start_user("user");
	u8 *ip, *bp, *opt;
	ssize_t len;
	int type = -1;

	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);
	memset(pkt, 0, sizeof(pkt));
	ip = eth(pkt + HDR, bcast, 0x0800);
	bp = ip + 28;
	bp[0] = 1;			/* BOOTREQUEST */
	bp[1] = 1;			/* Ethernet */
	bp[2] = 6;
	put32(bp + 4, 0x1234abcd);	/* xid */
	memcpy(bp + 28, guest_mac, 6);	/* chaddr */
	put32(bp + 236, 0x63825363);	/* magic cookie */
	memcpy(bp + 240, "\x35\x01\x01\xff", 4);	/* DHCPDISCOVER, end */
	tx_send(pkt, HDR + ip_udp(ip, 0, 0xffffffff, 68, 67, 548), 2);

	while ((len = rx_wait(f)) > 0)
		if (get16(f + 12) == 0x0800 && f[14 + 9] == IPPROTO_UDP &&
		    get16(f + 14 + 20 + 2) == 68)
			break;
	TEST_ASSERT(len > 14 + 28 + 240, "no DHCP reply (%zd)", len);
	TEST_ASSERT(ip_sums_ok(f, len), "checksums");
	TEST_ASSERT_EQ(get16(f + 14 + 20), 67);
	TEST_ASSERT_EQ(get32(f + 14 + 12), HOST_IP);
	bp = f + 14 + 28;
	TEST_ASSERT_EQ(bp[0], 2);			/* BOOTREPLY */
	TEST_ASSERT_EQ(get32(bp + 4), 0x1234abcd);
	TEST_ASSERT_EQ(get32(bp + 16), GUEST_IP);	/* yiaddr */
	TEST_ASSERT_EQ(get32(bp + 236), 0x63825363);
	for (opt = bp + 240; opt < f + len && *opt != 0xff; opt += *opt ? 2 + opt[1] : 1)
		if (opt[0] == 53)
			type = opt[2];
	TEST_ASSERT_EQ(type, 2);			/* DHCPOFFER */
	net_guest_stop();
}

TEST(net_user_udp_to_the_host_and_back)
{
	static u8 pkt[HDR + 14 + 28 + 64], f[2048], got[64];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, from;
	socklen_t al = sizeof(a);
	struct pollfd p;
	const char *e;
	ssize_t len;
	u8 *ip;
	int hs;
	u16 port;

	hs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(hs >= 0 && bind(hs, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	getsockname(hs, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	e = start_user("user");
	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);

	/* 10.0.2.2 is the host's loopback. */
	memset(pkt, 0, sizeof(pkt));
	ip = eth(pkt + HDR, (const u8 *)"\x52\x55\x0a\x00\x02\x02", 0x0800);
	memcpy(ip + 28, "ping from the guest", 19);
	tx_send(pkt, HDR + ip_udp(ip, GUEST_IP, HOST_IP, 40000, port, 19), 1);
	p = (struct pollfd){ .fd = hs, .events = POLLIN };
	TEST_ASSERT(poll(&p, 1, 5000) == 1, "nothing reached the host");
	al = sizeof(from);
	len = recvfrom(hs, got, sizeof(got), 0, (struct sockaddr *)&from, &al);
	TEST_ASSERT(len == 19 && !memcmp(got, "ping from the guest", 19), "host got %zd", len);
	TEST_ASSERT(sendto(hs, "pong from the host!", 19, 0, (struct sockaddr *)&from, al) == 19,
		    "sendto");

	while ((len = rx_wait(f)) > 0)
		if (get16(f + 12) == 0x0800 && f[14 + 9] == IPPROTO_UDP)
			break;
	TEST_ASSERT(len == 14 + 28 + 19, "reply: %zd bytes", len);
	TEST_ASSERT(!memcmp(f, guest_mac, 6), "to the guest's mac");
	TEST_ASSERT_EQ(get32(f + 14 + 12), HOST_IP);
	TEST_ASSERT_EQ(get32(f + 14 + 16), GUEST_IP);
	TEST_ASSERT_EQ(get16(f + 14 + 20), port);
	TEST_ASSERT_EQ(get16(f + 14 + 22), 40000);
	TEST_ASSERT(get16(f + 14 + 26) != 0, "UDP checksum left out");
	TEST_ASSERT(ip_sums_ok(f, len), "bad IP or UDP checksum");
	TEST_ASSERT(!memcmp(f + 14 + 28, "pong from the host!", 19), "payload");
	net_guest_stop();
	close(hs);
}

/*
 * A last IPv4 fragment with nothing before it: libslirp 4.7 crashed the
 * process on it (fuzz_slirp). The device drops fragments; the next
 * datagram still gets through.
 */
TEST(net_user_survives_a_lone_last_fragment)
{
	static u8 pkt[HDR + 14 + 28 + 64], got[64];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct pollfd p;
	const char *e;
	size_t len;
	u8 *ip;
	int hs;

	hs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(hs >= 0 && bind(hs, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	getsockname(hs, (struct sockaddr *)&a, &al);
	e = start_user("user");
	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);

	memset(pkt, 0, sizeof(pkt));
	ip = eth(pkt + HDR, (const u8 *)"\x52\x55\x0a\x00\x02\x02", 0x0800);
	memcpy(ip + 28, "the tail of a datagram", 22);
	len = ip_udp(ip, GUEST_IP, HOST_IP, 40000, ntohs(a.sin_port), 22);
	put16(ip + 6, 3);			/* offset 24, no More Fragments */
	put16(ip + 10, 0);
	put16(ip + 10, fold(sum16(0, ip, 20)));
	tx_send(pkt, HDR + len, 1);

	memcpy(ip + 28, "still here", 10);
	tx_send(pkt, HDR + ip_udp(ip, GUEST_IP, HOST_IP, 40000, ntohs(a.sin_port), 10), 1);
	p = (struct pollfd){ .fd = hs, .events = POLLIN };
	TEST_ASSERT(poll(&p, 1, 5000) == 1, "nothing reached the host");
	TEST_ASSERT(recv(hs, got, sizeof(got), 0) == 10 && !memcmp(got, "still here", 10),
		    "the host got something else");
	net_guest_stop();
	close(hs);
}

/*
 * The next TCP frame for the guest (ARP answered on the way), within 15 s:
 * a SYN libslirp could not send before it knew the guest's MAC goes out
 * again only with its retransmission (3 s, later on a loaded host).
 */
static ssize_t rx_wait_tcp(u8 *f)
{
	ssize_t len = -1;

	for (int quiet = 0; quiet < 3; quiet++) {
		while ((len = rx_wait(f)) > 0)
			if (get16(f + 12) == 0x0800 && f[14 + 9] == IPPROTO_TCP)
				return len;
	}
	return len;
}

/* A connection from the host to 127.0.0.1:@port, under way; -1 if refused at once. */
static int host_connect(u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(c);
		return -1;
	}
	return c;
}

/* With --net user@extra and a forward of a host port to 2222: a SYN reaches the guest. */
static void hostfwd_syn_reaches_the_guest(const char *extra)
{
	static u8 f[2048];
	char opts[96];
	const char *e;
	ssize_t len;
	u8 *tcp;
	int c;
	u16 port = free_port(SOCK_STREAM);

	snprintf(opts, sizeof(opts), "user%s,hostfwd=tcp:127.0.0.1:%u-:2222", extra, port);
	e = start_user(opts);
	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);
	c = host_connect(port);
	TEST_ASSERT(c >= 0, "connect: %s", strerror(errno));

	/* slirp asks who 10.0.2.15 is first (rx_wait answers), then sends the SYN. */
	len = rx_wait_tcp(f);
	TEST_ASSERT(len >= 14 + 40, "%s: no TCP frame (%zd)", opts, len);
	tcp = f + 14 + 20;
	TEST_ASSERT(!memcmp(f, guest_mac, 6), "to the guest's mac");
	TEST_ASSERT_EQ(get32(f + 14 + 16), GUEST_IP);
	TEST_ASSERT_EQ(get16(tcp + 2), 2222);
	TEST_ASSERT_EQ(tcp[13] & 0x12, 0x02);		/* SYN, no ACK */
	TEST_ASSERT(ip_sums_ok(f, len), "bad IP or TCP checksum");
	close(c);
	net_guest_stop();
}

TEST(net_user_hostfwd_connect_sends_a_syn_to_the_guest)
{
	hostfwd_syn_reaches_the_guest("");
}

TEST(net_user_hostfwd_on_a_taken_port_fails_clearly)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct virtio_net_opts o;
	socklen_t al = sizeof(a);
	const char *why = "";
	char opts[96];
	int s, err = 0;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 1) == 0, "bind");
	getsockname(s, (struct sockaddr *)&a, &al);
	snprintf(opts, sizeof(opts), "user,hostfwd=tcp:127.0.0.1:%u-:22", ntohs(a.sin_port));
	TEST_ASSERT_EQ(virtio_net_parse_opts(opts, &o, &why), 0);
	TEST_ASSERT(!virtio_net_create(&o, &err, &why), "created");
	TEST_ASSERT_EQ(err, -EADDRINUSE);
	TEST_ASSERT(strstr(why, "cannot listen"), "why: %s", why);
	close(s);
}

TEST(net_user_frames_wait_in_a_bounded_queue_without_rx_buffers)
{
	static u8 req[HDR + 60], f[2048];
	static const u8 zero[6];
	const char *e = start_user("user");
	unsigned int n = 0;

	TEST_ASSERT(!e, "%s", e);
	/* 200 ARP replies for a guest that gives no buffers... */
	for (int i = 0; i < 200; i++)
		tx_send(req, arp(req, 1, zero, HOST_IP), 1);
	TEST_ASSERT(guest_wait_used(&tq, 200), "tx used %u", guest_used_idx(&tq));
	usleep(50000);
	/*
	 * ... keep the queue's worth, and the one the device took out of it
	 * before it saw there was no room (if that happened before the queue
	 * was full, which depends on how the tx kicks were batched).
	 */
	post_rx(250);
	while (rx_frame(f, 200) > 0)
		n++;
	TEST_ASSERT(n == NET_SLIRP_RXQ_MAX || n == NET_SLIRP_RXQ_MAX + 1, "%u frames", n);
	net_guest_stop();
}

TEST(net_user_destroy_closes_every_socket)
{
	static u8 pkt[HDR + 14 + 28 + 8], f[2048];
	int before = nr_open_fds();
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char opts[96];
	const char *e;
	u8 *ip;
	int s;
	u16 port = free_port(SOCK_STREAM);

	snprintf(opts, sizeof(opts), "user,hostfwd=tcp:127.0.0.1:%u-:22,hostfwd=udp::%u-:53",
		 port, port);
	e = start_user(opts);
	TEST_ASSERT(!e, "%s", e);
	post_rx(RX_POSTED);
	/* A UDP flow makes slirp open one more socket. */
	memset(pkt, 0, sizeof(pkt));
	ip = eth(pkt + HDR, (const u8 *)"\x52\x55\x0a\x00\x02\x02", 0x0800);
	tx_send(pkt, HDR + ip_udp(ip, GUEST_IP, HOST_IP, 40001, 9, 8), 1);
	TEST_ASSERT(guest_wait_used(&tq, 1), "tx");
	rx_frame(f, 100);
	net_guest_stop();
	TEST_ASSERT_EQ(nr_open_fds(), before);
	/* The forwarded port is free again. */
	a.sin_port = htons(port);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s", strerror(errno));
	close(s);
}


/*
 * A reboot rebuilds the device, not its backend (net_backends.h): the host
 * forward stays bound in between, a connection made meanwhile waits in its
 * backlog, and the next device's guest gets its SYN. At exit the port is free.
 */
TEST(net_user_forwards_outlive_the_device_across_a_reboot)
{
	const char *parse_why = "";
	static u8 f[2048];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct vm_config cfg = { .nr_nets = 1 };
	struct net_backends *nb;
	struct net_backend *be;
	char opts[96];
	ssize_t len = 0;
	int c = -1, s, err = 0;
	u8 mac[6], mac2[6];
	u16 port = free_port(SOCK_STREAM);

	snprintf(opts, sizeof(opts), "user,hostfwd=tcp:127.0.0.1:%u-:2222", port);
	cfg.nets[0] = opts;
	TEST_ASSERT(!virtio_net_parse_opts(opts, &cfg.net_opts[0], &parse_why), "%s", parse_why);
	nb = net_backends_create(&cfg, &err);
	TEST_ASSERT(nb, "create: %d", err);
	a.sin_port = htons(port);
	for (int boot = 0; boot < 2; boot++) {
		be = net_backends_borrow(nb, 0, boot ? mac2 : mac);
		TEST_ASSERT(be, "borrow");
		TEST_ASSERT(!net_guest_start(virtio_net_create_borrowed(be, boot ? mac2 : mac), 0),
			    "boot %d: device", boot);
		rx_seen = 0;
		post_rx(RX_POSTED);
		if (boot)
			break;
		net_guest_stop();	/* the reboot */

		/* Nobody runs slirp now, but the port is still ours and listening. */
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		TEST_ASSERT(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRINUSE,
			    "port %u was let go between boots", port);
		close(s);
		c = host_connect(port);
		TEST_ASSERT(c >= 0, "connect: %s", strerror(errno));
	}
	/* The same MAC (random, drawn once), so the DHCP lease and ARP stay right. */
	TEST_ASSERT(!memcmp(mac, mac2, 6) && (mac[0] & 3) == 2, "mac changed");
	len = rx_wait_tcp(f);
	TEST_ASSERT(len >= 14 + 40, "no SYN on the second boot (%zd)", len);
	TEST_ASSERT_EQ(get16(f + 14 + 20 + 2), 2222);
	close(c);
	net_guest_stop();
	net_backends_destroy(nb);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind after exit: %s",
		    strerror(errno));
	close(s);
}


TEST(net_user_parse_restrict_and_host_loopback)
{
	struct virtio_net_opts o;
	const char *why = "";

	TEST_ASSERT_EQ(virtio_net_parse_opts("user", &o, &why), 0);
	TEST_ASSERT(!o.restrict_guest && !o.no_host_loopback, "defaults");
	TEST_ASSERT_EQ(virtio_net_parse_opts("user,restrict=on,host-loopback=off", &o, &why), 0);
	TEST_ASSERT(o.restrict_guest && o.no_host_loopback, "both set");
	TEST_ASSERT_EQ(virtio_net_parse_opts("user,restrict=on,restrict=off,host-loopback=on",
					     &o, &why), 0);
	TEST_ASSERT(!o.restrict_guest && !o.no_host_loopback, "the last one wins");
	TEST_ASSERT(virtio_net_parse_opts("user,restrict=yes", &o, &why) < 0, "yes");
	TEST_ASSERT(strstr(why, "restrict 'yes': expected on or off"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("user,host-loopback=", &o, &why) < 0, "empty");
	TEST_ASSERT(strstr(why, "host-loopback '': expected on or off"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("tap,restrict=on", &o, &why) < 0, "tap");
	TEST_ASSERT(strstr(why, "restrict: only with user"), "why: %s", why);
	TEST_ASSERT(virtio_net_parse_opts("tap,host-loopback=off", &o, &why) < 0, "tap");
	TEST_ASSERT(virtio_net_parse_opts("user,restrict", &o, &why) < 0, "no value");
	TEST_ASSERT(virtio_net_parse_opts("user,frob=1", &o, &why) < 0, "unknown");
	TEST_ASSERT(strstr(why, "restrict=on") && strstr(why, "host-loopback=off"), "why: %s",
		    why);
}

/* IPv4 + a 20-byte TCP header with @flags; returns the frame length. */
static size_t ip_tcp(u8 *ip, u32 src, u32 dst, u16 sport, u16 dport, u8 flags)
{
	u8 *tcp = ip + 20;

	memset(tcp, 0, 20);
	ip4(ip, src, dst, IPPROTO_TCP, 40);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, 1000);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	put16(tcp + 16, l4_csum(ip, tcp, 20));
	return 14 + 40;
}

/* A non-loopback IPv4 address of this host (network order), or 0. */
static u32 host_other_addr(void)
{
	struct ifaddrs *ifa, *i;
	u32 a = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !a; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !(i->ifa_flags & IFF_LOOPBACK) && (i->ifa_flags & IFF_UP))
			a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return a;
}

/*
 * Does a UDP datagram the guest sends to @dst (host order) reach a host
 * socket bound to @bind (network order), with --net @opts? Within 1 s.
 */
static int guest_udp_reaches(const char *opts, u32 dst, u32 bind_addr)
{
	static u8 pkt[HDR + 14 + 28 + 16];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = bind_addr };
	socklen_t al = sizeof(a);
	struct pollfd p;
	int hs, got;
	u8 *ip;

	hs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (hs < 0 || bind(hs, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	getsockname(hs, (struct sockaddr *)&a, &al);
	if (start_user(opts)) {
		close(hs);
		return -1;
	}
	post_rx(RX_POSTED);
	memset(pkt, 0, sizeof(pkt));
	ip = eth(pkt + HDR, (const u8 *)"\x52\x55\x0a\x00\x02\x02", 0x0800);
	memcpy(ip + 28, "guest was here", 14);
	tx_send(pkt, HDR + ip_udp(ip, GUEST_IP, dst, 40002, ntohs(a.sin_port), 14), 1);
	p = (struct pollfd){ .fd = hs, .events = POLLIN };
	got = poll(&p, 1, 1000) == 1;
	net_guest_stop();
	close(hs);
	return got;
}

/*
 * What the default reaches: the host's loopback as 10.0.2.2 and any other
 * address the host reaches. host-loopback=off cuts the first only,
 * restrict=on both.
 */
TEST(net_user_restrict_and_host_loopback_cut_what_the_guest_reaches)
{
	u32 lo = htonl(INADDR_LOOPBACK), other = host_other_addr();

	TEST_ASSERT_EQ(guest_udp_reaches("user", HOST_IP, lo), 1);
	TEST_ASSERT_EQ(guest_udp_reaches("user,host-loopback=off", HOST_IP, lo), 0);
	TEST_ASSERT_EQ(guest_udp_reaches("user,restrict=on", HOST_IP, lo), 0);
	if (!other) {
		printf("  (no non-loopback IPv4 address here: the other half not tested)\n");
		return;
	}
	TEST_ASSERT_EQ(guest_udp_reaches("user", ntohl(other), other), 1);
	TEST_ASSERT_EQ(guest_udp_reaches("user,host-loopback=off", ntohl(other), other), 1);
	TEST_ASSERT_EQ(guest_udp_reaches("user,restrict=on", ntohl(other), other), 0);
}

/* restrict=on: a TCP connection the guest starts is reset, and the host sees none. */
TEST(net_user_restrict_resets_the_guests_tcp_connections)
{
	static u8 pkt[HDR + 14 + 40], f[2048];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	static const char *const opts[] = { "user", "user,restrict=on" };

	for (int r = 0; r < 2; r++) {
		struct pollfd p;
		ssize_t len;
		int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		const char *e;
		u8 *ip;

		a.sin_port = 0;
		TEST_ASSERT(ls >= 0 && !bind(ls, (struct sockaddr *)&a, sizeof(a)) &&
			    !listen(ls, 1), "listen");
		getsockname(ls, (struct sockaddr *)&a, &al);
		e = start_user(opts[r]);
		TEST_ASSERT(!e, "%s", e);
		post_rx(RX_POSTED);
		memset(pkt, 0, sizeof(pkt));
		ip = eth(pkt + HDR, (const u8 *)"\x52\x55\x0a\x00\x02\x02", 0x0800);
		tx_send(pkt, HDR + ip_tcp(ip, GUEST_IP, HOST_IP, 40003, ntohs(a.sin_port), 0x02),
			1);
		/*
		 * What the guest hears back: SYN+ACK, or a RST. First, as slirp
		 * drops what waits more than a second for the guest's ARP reply.
		 */
		len = rx_wait_tcp(f);
		TEST_ASSERT(len >= 14 + 40, "%s: no TCP answer (%zd)", opts[r], len);
		TEST_ASSERT_EQ(f[14 + 20 + 13] & (r ? 0x04 : 0x12), r ? 0x04 : 0x12);
		p = (struct pollfd){ .fd = ls, .events = POLLIN };
		TEST_ASSERT_EQ(poll(&p, 1, r ? 500 : 1000), r ? 0 : 1);
		net_guest_stop();
		close(ls);
	}
}

/* restrict=on keeps the host forwards: a connection to one reaches the guest. */
TEST(net_user_restrict_keeps_host_forwards)
{
	hostfwd_syn_reaches_the_guest(",restrict=on");
}

#endif
