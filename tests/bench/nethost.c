// SPDX-License-Identifier: GPL-2.0
/*
 * nethost [-t SECONDS] [-k MS] [-o FILE] tx|rx IFNAME -- CMD ARGS...: the host side of
 * the test guest's bench_net_tx / bench_net_rx (guest/bench_net.c).
 *
 * Runs CMD (vmm or QEMU booting the test guest; its output is ours), waits
 * for the tap IFNAME, and on AF_PACKET sockets bound to it answers the
 * guest's "VMMBENCH-HELLO" with "VMMBENCH-GO", then
 *   tx: counts the guest's 0x88b5 "VMMBENCH-DATA" frames until its
 *       "VMMBENCH-STOP" (which carries the guest's own figures);
 *   rx: sends full-size DATA frames to the guest (a sequence number at
 *       payload offset 16) until its STOP. The tap drops what vmm does not
 *       read in time (its queue does not push back): when the tap's
 *       tx_dropped grows the sender backs off (sleeps, doubling up to 2 ms).
 * CPU time from GO to STOP: our own (getrusage) and CMD's, from the
 * run_time of every thread in /proc/PID/task/ * /schedstat, also without
 * its vcpu threads (named "vcpu<n>" by vmm, "CPU <n>/KVM" by QEMU with
 * -name debug-threads=on), since the guest's vcpu polls and is always busy.
 * -k MS: SIGTERM CMD MS milliseconds after STOP (a guest that cannot power
 * off); CMD is killed -t SECONDS (default 30) after the start anyway.
 *
 * Prints one line on stdout, or appends it to FILE (-o; CMD's output shares
 * stdout and a line could land in the middle of one of the guest's):
 * NETHOST mode=<tx|rx> Mbps=<delivered> frames=<n> bytes=<b> secs=<s>
 *   guest_frames=<n> guest_bytes=<b> guest_us=<t> guest_Mbps=<r> lost=<n>
 *   dropped=<n> vm_cpu=<s> vm_io_cpu=<s> host_cpu=<s> vm_cpu_per_gbit=<s>
 *   vm_io_cpu_per_gbit=<s> host_cpu_per_gbit=<s>
 * "Delivered": what the host received (tx) or the guest received (rx); frames,
 * bytes and secs are the host's (received, first to last frame, for tx; sent,
 * GO to STOP, for rx); per Gbit is per Gbit delivered. Exit status: CMD's,
 * or 1 if the exchange failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING	23
#endif

#define ETHERTYPE	0x88b5
#define FRAME		1514
#define SEQ_OFF		(14 + 16)
#define BATCH		32
#define HELLO		"VMMBENCH-HELLO"
#define GO		"VMMBENCH-GO"
#define DATA		"VMMBENCH-DATA"
#define STOP		"VMMBENCH-STOP"

static const uint8_t host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static pid_t child;
static bool reaped;
static int child_status;
static int rx_fd, tx_fd, drop_fd = -1;
static uint8_t guest_mac[6];

struct cpu {
	double t, self, vm, vm_io;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "nethost: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	if (child > 0)
		kill(child, SIGKILL);
	exit(1);
}

/* Run time of every thread of the child (ns in schedstat), all and without vcpus. */
static void cpu_sample(struct cpu *c)
{
	char path[64], buf[128];
	struct rusage ru;
	struct dirent *e;
	DIR *dir;

	c->t = now();
	getrusage(RUSAGE_SELF, &ru);
	c->self = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	c->vm = c->vm_io = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)child);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		unsigned long long ns = 0;
		bool vcpu;
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", (int)child, e->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		vcpu = !strncmp(buf, "vcpu", 4) || (!strncmp(buf, "CPU ", 4) && strstr(buf, "KVM"));
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)child, e->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		ns = strtoull(buf, NULL, 10);
		c->vm += ns / 1e9;
		if (!vcpu)
			c->vm_io += ns / 1e9;
	}
	closedir(dir);
}

static unsigned long long tap_dropped(void)
{
	char buf[32];
	ssize_t n;

	if (drop_fd < 0)
		return 0;
	n = pread(drop_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

static bool is_frame(const uint8_t *f, ssize_t len, const char *what)
{
	size_t n = strlen(what);

	return len >= (ssize_t)(14 + n) && f[12] == ETHERTYPE >> 8 &&
	       f[13] == (ETHERTYPE & 0xff) && !memcmp(f + 14, what, n);
}

static void send_go(void)
{
	uint8_t out[60] = { 0 };

	memcpy(out, guest_mac, 6);
	memcpy(out + 6, host_mac, 6);
	out[12] = ETHERTYPE >> 8;
	out[13] = ETHERTYPE & 0xff;
	memcpy(out + 14, GO, strlen(GO));
	if (send(tx_fd, out, sizeof(out), 0) != sizeof(out))
		die("send GO: %s", strerror(errno));
}

static bool child_alive(void)
{
	if (!reaped && waitpid(child, &child_status, WNOHANG) == child)
		reaped = true;
	return !reaped;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][2048], tx_frames[BATCH][FRAME];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long frames = 0, bytes = 0, g_frames = 0, g_bytes = 0, g_us = 0;
	unsigned long long drop0 = 0, drop1 = 0;
	double timeout = 30, kill_ms = -1, deadline, first = 0, last = 0, secs, gbit;
	struct cpu c0, c1;
	const char *mode, *ifname, *out_path = NULL;
	FILE *out = stdout;
	int opt, one = 1, rcvbuf = 16 << 20;
	bool tx, stopped = false;
	unsigned int ifindex, seq = 0, sleep_us = 0;
	char path[80];

	while ((opt = getopt(argc, argv, "+t:k:o:")) != -1) {
		if (opt == 't')
			timeout = atof(optarg);
		else if (opt == 'k')
			kill_ms = atof(optarg);
		else if (opt == 'o')
			out_path = optarg;
		else
			goto usage;
	}
	if (argc - optind < 3 || (strcmp(argv[optind], "tx") && strcmp(argv[optind], "rx")))
		goto usage;
	mode = argv[optind];
	ifname = argv[optind + 1];
	tx = !strcmp(mode, "tx");
	optind += 2;
	if (!strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		goto usage;
	deadline = now() + timeout;
	prctl(PR_SET_TIMERSLACK, 1UL);	/* short back-off sleeps */

	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (!child) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "nethost: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	while (!(ifindex = if_nametoindex(ifname))) {
		if (now() > deadline || !child_alive())
			die("%s did not appear", ifname);
		usleep(5000);
	}
	rx_fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));
	tx_fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(ETHERTYPE);
	if (rx_fd < 0 || bind(rx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("rx socket: %s", strerror(errno));
	sll.sll_protocol = 0;
	if (tx_fd < 0 || bind(tx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("tx socket: %s", strerror(errno));
	setsockopt(rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	snprintf(path, sizeof(path), "/sys/class/net/%.16s/statistics/tx_dropped", ifname);
	drop_fd = open(path, O_RDONLY);

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	/* HELLO -> GO */
	for (;;) {
		struct pollfd p = { .fd = rx_fd, .events = POLLIN };
		ssize_t n;

		if (now() > deadline || !child_alive())
			die("no %s from the guest", HELLO);
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(rx_fd, bufs[0], sizeof(bufs[0]), 0);
		if (!is_frame(bufs[0], n, HELLO))
			continue;
		if (strncmp((char *)bufs[0] + 14 + strlen(HELLO) + 1, mode, 2))
			die("the guest runs another mode: %.20s", (char *)bufs[0] + 14);
		memcpy(guest_mac, bufs[0] + 6, 6);
		break;
	}
	drop0 = tap_dropped();
	cpu_sample(&c0);
	send_go();

	if (!tx) {
		for (int i = 0; i < BATCH; i++) {
			uint8_t *f = tx_frames[i];

			for (int j = 14; j < FRAME; j++)
				f[j] = (uint8_t)(j * 7 + 1);
			memcpy(f, guest_mac, 6);
			memcpy(f + 6, host_mac, 6);
			f[12] = ETHERTYPE >> 8;
			f[13] = ETHERTYPE & 0xff;
			memcpy(f + 14, DATA, strlen(DATA));
		}
	}
	while (!stopped) {
		int got, flags = MSG_DONTWAIT;

		if (now() > deadline || !child_alive())
			die("no %s from the guest", STOP);
		if (!tx) {
			struct mmsghdr out[BATCH];
			struct iovec oiov[BATCH];
			unsigned long long d;
			int sent;

			for (int i = 0; i < BATCH; i++) {
				memcpy(tx_frames[i] + SEQ_OFF, &seq, 4);
				seq++;
				oiov[i] = (struct iovec){ tx_frames[i], FRAME };
				memset(&out[i], 0, sizeof(out[i]));
				out[i].msg_hdr.msg_iov = &oiov[i];
				out[i].msg_hdr.msg_iovlen = 1;
			}
			sent = sendmmsg(tx_fd, out, BATCH, 0);
			if (sent < 0 && errno != ENOBUFS && errno != EAGAIN)
				die("send: %s", strerror(errno));
			seq -= BATCH - (sent > 0 ? sent : 0);
			if (sent > 0) {
				frames += sent;
				bytes += (unsigned long long)sent * FRAME;
			}
			/* Back off while the tap drops what vmm has not read. */
			d = tap_dropped();
			if (d != drop1 || sent <= 0)
				sleep_us = sleep_us ? (sleep_us * 2 > 2000 ? 2000 : sleep_us * 2) : 20;
			else
				sleep_us /= 2;
			drop1 = d;
			if (sleep_us)
				usleep(sleep_us);
		} else {
			struct pollfd p = { .fd = rx_fd, .events = POLLIN };

			if (poll(&p, 1, 50) <= 0)
				continue;
			flags = MSG_WAITFORONE;
		}
		got = recvmmsg(rx_fd, msgs, BATCH, flags, NULL);
		for (int i = 0; i < got; i++) {
			const uint8_t *f = bufs[i];
			ssize_t len = msgs[i].msg_len;

			if (is_frame(f, len, DATA)) {
				last = now();
				if (!frames++)
					first = last;
				bytes += len;
			} else if (is_frame(f, len, HELLO)) {
				send_go();
			} else if (is_frame(f, len, STOP) && !stopped) {
				char text[128];

				cpu_sample(&c1);
				snprintf(text, sizeof(text), "%.*s", (int)(len - 14), (const char *)f + 14);
				sscanf(text, STOP " frames=%llu bytes=%llu us=%llu", &g_frames, &g_bytes,
				       &g_us);
				stopped = true;
			}
		}
	}
	if (tx) {
		secs = last > first ? last - first : 1e-9;
		gbit = bytes * 8 / 1e9;
	} else {
		secs = c1.t - c0.t;
		gbit = g_bytes * 8 / 1e9;
	}
	if (gbit <= 0)
		gbit = 1e-12;
	if (out_path && !(out = fopen(out_path, "a")))
		die("%s: cannot open", out_path);
	fprintf(out, "NETHOST mode=%s Mbps=%.1f frames=%llu bytes=%llu secs=%.4f guest_frames=%llu guest_bytes=%llu guest_us=%llu guest_Mbps=%.1f lost=%lld dropped=%llu vm_cpu=%.3f vm_io_cpu=%.3f host_cpu=%.3f vm_cpu_per_gbit=%.4f vm_io_cpu_per_gbit=%.4f host_cpu_per_gbit=%.4f\n",
	       mode, tx ? bytes * 8 / secs / 1e6 : g_us ? g_bytes * 8.0 / g_us : 0, frames, bytes,
	       secs, g_frames, g_bytes, g_us, g_us ? g_bytes * 8.0 / g_us : 0,
	       tx ? (long long)(g_frames - frames) : -1, tap_dropped() - drop0, c1.vm - c0.vm,
	       c1.vm_io - c0.vm_io, c1.self - c0.self, (c1.vm - c0.vm) / gbit,
	       (c1.vm_io - c0.vm_io) / gbit, (c1.self - c0.self) / gbit);
	if (out != stdout)
		fclose(out);
	else
		fflush(out);

	/* Let CMD finish, or stop it -k MS after STOP (and at the deadline). */
	if (kill_ms >= 0)
		deadline = now() + kill_ms / 1e3;
	while (child_alive() && now() < deadline)
		usleep(10000);
	if (!reaped) {
		kill(child, SIGTERM);
		waitpid(child, &child_status, 0);
		return kill_ms >= 0 ? 0 : 124;
	}
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 128 + WTERMSIG(child_status);

usage:
	fprintf(stderr, "usage: nethost [-t SECONDS] [-k MS] [-o FILE] tx|rx IFNAME -- CMD ARGS...\n");
	return 2;
}
