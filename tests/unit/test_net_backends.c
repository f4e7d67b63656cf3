// SPDX-License-Identifier: GPL-2.0
/*
 * The --net backends outlive the devices a guest reboot rebuilds: a real tap
 * (needs root and /dev/net/tun) keeps its ifindex and the host's address on
 * it, and each boot's device moves frames over it both ways.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "devices/virtio/devices.h"
#include "devices/virtio/net_backend.h"
#include "devices/virtio/net_backends.h"
#include "cli/config.h"
#include "net_guest.h"
#include "test.h"

#define ETH_P_TEST	0x88b5		/* local experimental */

/* The IPv4 address on @ifname, or 0. */
static u32 if_addr(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u32 a = 0;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, SIOCGIFADDR, &ifr) == 0)
		a = ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr);
	close(s);
	return a;
}

/* @addr/32 on @ifname: no prefix route that could shadow the host's own networks. */
static int if_set_addr(const char *ifname, u32 addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	r = ioctl(s, SIOCSIFADDR, &ifr);
	sin->sin_addr.s_addr = 0xffffffff;
	if (r == 0)
		r = ioctl(s, SIOCSIFNETMASK, &ifr);
	close(s);
	return r;
}

/* A frame of ours: broadcast, from @src, EtherType 0x88b5, @tag in the payload. */
static size_t test_frame(u8 *f, const u8 src[6], u8 tag)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_P_TEST >> 8;
	f[13] = ETH_P_TEST & 0xff;
	memcpy(f + 14, "VMMTEST-BACKENDS", 16);
	f[30] = tag;
	return 60;
}

/* Host side: a frame of ours with @tag on the packet socket, within 2 s. */
static bool host_sees(int ps, u8 tag)
{
	u8 f[2048];

	for (int i = 0; i < 2000; i++) {
		ssize_t n = recv(ps, f, sizeof(f), MSG_DONTWAIT);

		if (n >= 31 && f[12] == ETH_P_TEST >> 8 && f[13] == (ETH_P_TEST & 0xff) &&
		    !memcmp(f + 14, "VMMTEST-BACKENDS", 16) && f[30] == tag)
			return true;
		if (n < 0)
			usleep(1000);
	}
	return false;
}

/*
 * Guest side: a frame of ours with @tag among what the device put in the rx
 * buffers, within 2 s (the host also sends its own: IPv6 router
 * solicitations and the like, once the tap is up).
 */
static bool guest_sees(u8 tag)
{
	u16 seen = 0;

	for (int i = 0; i < 2000; i++) {
		for (; seen != guest_used_idx(&g); seen++) {
			struct vring_used_elem e = guest_used(&g)->ring[seen % QSIZE];
			const struct vring_desc *d = guest_ptr(&g, g.desc + 16ULL * e.id);
			const u8 *f = guest_ptr(&g, d->addr);

			if (e.len >= HDR + 31 && f[HDR + 12] == ETH_P_TEST >> 8 &&
			    !memcmp(f + HDR + 14, "VMMTEST-BACKENDS", 16) && f[HDR + 30] == tag)
				return true;
		}
		usleep(1000);
	}
	return false;
}

TEST(net_backends_tap_keeps_its_ifindex_and_address_across_reboots)
{
	const char *parse_why = "";
	static const u8 host_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct vm_config cfg = { .nr_nets = 1 };
	struct net_backends *nb;
	char ifname[IFNAMSIZ], opt[48];
	unsigned int ifindex;
	u8 mac[6], first_mac[6], f[HDR + 60];
	int err = 0, ps;

	if (access("/dev/net/tun", R_OK | W_OK) || geteuid()) {
		printf("  (needs root and /dev/net/tun: not tested)\n");
		return;
	}
	snprintf(ifname, sizeof(ifname), "vmmnb%d", (int)getpid() % 100000);
	snprintf(opt, sizeof(opt), "tap,ifname=%s", ifname);
	cfg.nets[0] = opt;
	TEST_ASSERT(!virtio_net_parse_opts(opt, &cfg.net_opts[0], &parse_why), "%s", parse_why);
	nb = net_backends_create(&cfg, &err);
	TEST_ASSERT(nb, "create: %d", err);
	ifindex = if_nametoindex(ifname);
	TEST_ASSERT(ifindex, "no %s", ifname);
	/* What the host does to the tap once it exists: it must stay. */
	TEST_ASSERT(!if_set_addr(ifname, 0xc6336401), "address: %s", strerror(errno));
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	TEST_ASSERT(ps >= 0, "packet socket: %s", strerror(errno));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	TEST_ASSERT(!bind(ps, (struct sockaddr *)&sll, sizeof(sll)), "bind: %s", strerror(errno));

	for (u8 boot = 1; boot <= 3; boot++) {
		struct net_backend *be = net_backends_borrow(nb, 0, mac);

		TEST_ASSERT(be, "borrow");
		if (boot == 1)
			memcpy(first_mac, mac, 6);
		TEST_ASSERT(!memcmp(mac, first_mac, 6), "boot %u: another mac", boot);
		TEST_ASSERT(!net_guest_start(virtio_net_create_borrowed(be, mac), 0),
			    "boot %u: device", boot);
		for (int i = 0; i < 64; i++)
			rx_post(2048);
		w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		/* Guest to host and host to guest over the same tap. */
		memset(f, 0, HDR);
		tx_send(f, HDR + test_frame(f + HDR, mac, boot), 1);
		TEST_ASSERT(host_sees(ps, boot), "boot %u: the host got no frame", boot);
		TEST_ASSERT(send(ps, f + HDR, test_frame(f + HDR, host_mac, 0x80 | boot), 0) == 60,
			    "send: %s", strerror(errno));
		TEST_ASSERT(guest_sees(0x80 | boot), "boot %u: the guest got no frame", boot);
		net_guest_stop();	/* the reboot */

		TEST_ASSERT_EQ(if_nametoindex(ifname), ifindex);
		TEST_ASSERT_EQ(if_addr(ifname), 0xc6336401);
	}
	close(ps);
	net_backends_destroy(nb);
	/* vmm created it: gone with vmm. */
	TEST_ASSERT_EQ(if_nametoindex(ifname), 0);
}

TEST(net_backends_without_net_options_lend_nothing)
{
	struct vm_config cfg = { 0 };
	struct net_backends *nb;
	int err = 0;
	u8 mac[6];

	nb = net_backends_create(&cfg, &err);
	TEST_ASSERT(nb, "create: %d", err);
	TEST_ASSERT(!net_backends_borrow(nb, 0, mac), "lent a backend");
	TEST_ASSERT(!net_backends_borrow(NULL, 0, mac), "NULL lent a backend");
	net_backends_destroy(nb);
	net_backends_destroy(NULL);
}

TEST(net_backends_a_tap_the_host_refuses_is_one_error)
{
	struct vm_config cfg = { .nr_nets = 1, .nets = { "tap,ifname=lo" } };
	const char *parse_why = "";
	int err = 0;

	TEST_ASSERT(!virtio_net_parse_opts(cfg.nets[0], &cfg.net_opts[0], &parse_why), "%s", parse_why);
	TEST_ASSERT(!net_backends_create(&cfg, &err), "a tap on lo");
	TEST_ASSERT(err < 0 && err != -EINVAL, "err %d", err);
}

/*
 * What a reboot does: virtio_devices_destroy() and virtio_devices_create()
 * again. With main's registry the tap stays; without one (a VM of its own)
 * the devices own it and it goes with them.
 */
TEST(net_backends_rebuilt_devices_borrow_the_same_tap)
{
	const char *parse_why = "";
	static struct guest v;
	struct vm_config cfg = { .nr_nets = 1, .transport = VM_VIRTIO_MMIO };
	struct net_backends *nb;
	char ifname[IFNAMSIZ], opt[48];
	unsigned int ifindex;
	int err = 0;

	if (access("/dev/net/tun", R_OK | W_OK) || geteuid()) {
		printf("  (needs root and /dev/net/tun: not tested)\n");
		return;
	}
	snprintf(ifname, sizeof(ifname), "vmmnd%d", (int)getpid() % 100000);
	snprintf(opt, sizeof(opt), "tap,ifname=%s", ifname);
	cfg.nets[0] = opt;
	TEST_ASSERT(!virtio_net_parse_opts(opt, &cfg.net_opts[0], &parse_why), "%s", parse_why);
	nb = net_backends_create(&cfg, &err);
	TEST_ASSERT(nb, "create: %d", err);
	ifindex = if_nametoindex(ifname);
	for (int boot = 0; boot < 3; boot++) {
		guest_init(&v, QSIZE);		/* a new VM: a new bus */
		v.vm.cfg = &cfg;
		v.vm.net_backends = nb;
		err = virtio_devices_create(&v.vm);
		virtio_devices_destroy(&v.vm);
		guest_free(&v);
		TEST_ASSERT_EQ(err, 0);
		TEST_ASSERT_EQ(if_nametoindex(ifname), ifindex);
	}
	net_backends_destroy(nb);
	TEST_ASSERT_EQ(if_nametoindex(ifname), 0);

	guest_init(&v, QSIZE);
	v.vm.cfg = &cfg;
	err = virtio_devices_create(&v.vm);
	ifindex = if_nametoindex(ifname);
	virtio_devices_destroy(&v.vm);
	guest_free(&v);
	TEST_ASSERT(!err && ifindex, "the VM's own device made no tap: %d", err);
	TEST_ASSERT_EQ(if_nametoindex(ifname), 0);
}
