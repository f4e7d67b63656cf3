// SPDX-License-Identifier: GPL-2.0
/*
 * net_echo IFNAME SECONDS: the host side of tests/integration/net.sh.
 * Waits (up to SECONDS) for IFNAME to appear, then on an AF_PACKET socket
 * bound to it for a frame of EtherType 0x88b5 whose payload starts with
 * "VMMTEST-NET-PING"; prints "HOST got src=MAC len=N", answers the sender
 * with one frame carrying "VMMTEST-NET-PONG", prints "HOST sent" and exits 0.
 * Exit 1 on timeout or error. Only traffic on IFNAME itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE	0x88b5
#define PING		"VMMTEST-NET-PING"
#define PONG		"VMMTEST-NET-PONG"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const unsigned char host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE) };
	unsigned char buf[2048], out[64];
	unsigned int ifindex = 0;
	double end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: net_echo IFNAME SECONDS\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	while (!(ifindex = if_nametoindex(argv[1]))) {
		if (now() > end) {
			fprintf(stderr, "net_echo: %s did not appear\n", argv[1]);
			return 1;
		}
		usleep(10000);
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));
	sll.sll_ifindex = ifindex;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "net_echo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("HOST listening on %s\n", argv[1]);
	fflush(stdout);
	while (now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 14 + (ssize_t)strlen(PING) || buf[12] != ETHERTYPE >> 8 ||
		    buf[13] != (ETHERTYPE & 0xff) || memcmp(buf + 14, PING, strlen(PING)))
			continue;
		printf("HOST got src=%02x:%02x:%02x:%02x:%02x:%02x len=%zd payload=%.16s\n",
		       buf[6], buf[7], buf[8], buf[9], buf[10], buf[11], n, (char *)buf + 14);
		memset(out, 0, sizeof(out));
		memcpy(out, buf + 6, 6);
		memcpy(out + 6, host_mac, 6);
		out[12] = ETHERTYPE >> 8;
		out[13] = ETHERTYPE & 0xff;
		memcpy(out + 14, PONG, strlen(PONG));
		if (send(fd, out, 60, 0) != 60) {
			fprintf(stderr, "net_echo: send: %s\n", strerror(errno));
			return 1;
		}
		printf("HOST sent %s\n", PONG);
		return 0;
	}
	fprintf(stderr, "net_echo: no %s frame on %s\n", PING, argv[1]);
	return 1;
}
