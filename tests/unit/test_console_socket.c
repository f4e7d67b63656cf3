// SPDX-License-Identifier: GPL-2.0
/* --serial socket's bridge (run/console_socket.c), with real sockets and pipes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/api_socket.h"
#include "run/console_socket.h"
#include "test.h"

static char dir[64], path[128];

static struct console_socket *make(void)
{
	const char *why = "";
	int err = 0;
	struct console_socket *cs;

	snprintf(dir, sizeof(dir), "/tmp/vmm-test-cs-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/c.console", dir);
	cs = console_socket_create(path, &err, &why);
	if (!cs)
		fprintf(stderr, "console_socket_create: %d %s\n", err, why);
	return cs;
}

static void unmake(struct console_socket *cs)
{
	console_socket_destroy(cs);
	api_socket_remove();
	rmdir(dir);
}

/* Read until @want is in what came, or 2 s pass; the count read. */
static size_t read_until(int fd, char *buf, size_t size, const char *want)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < 200 && !strstr(buf, want) && len + 1 < size; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = 0;
	}
	return len;
}

static void put(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		fprintf(stderr, "short write\n");
}

TEST(console_socket_replays_to_a_late_client_and_takes_its_input)
{
	struct console_socket *cs = make();
	char buf[256];
	int c;

	TEST_ASSERT(cs, "create");
	put(console_socket_out_fd(cs), "boot line 1\nboot line 2\n");
	usleep(50000);
	c = api_socket_connect(path);
	TEST_ASSERT(c >= 0, "connect: %d", c);
	read_until(c, buf, sizeof(buf), "line 2");
	TEST_ASSERT(!strcmp(buf, "boot line 1\nboot line 2\n"), "replay: '%s'", buf);
	put(console_socket_out_fd(cs), "live\n");
	read_until(c, buf, sizeof(buf), "live");
	TEST_ASSERT(!strcmp(buf, "live\n"), "live: '%s'", buf);
	put(c, "typed\r");
	read_until(console_socket_in_fd(cs), buf, sizeof(buf), "\r");
	TEST_ASSERT(!strcmp(buf, "typed\r"), "input: '%s'", buf);
	close(c);
	unmake(cs);
}

TEST(console_socket_refuses_a_second_client_and_takes_the_next)
{
	struct console_socket *cs = make();
	struct console_socket_stats st;
	char buf[256];
	int a, b;

	TEST_ASSERT(cs, "create");
	a = api_socket_connect(path);
	usleep(50000);
	b = api_socket_connect(path);
	TEST_ASSERT(a >= 0 && b >= 0, "connect");
	read_until(b, buf, sizeof(buf), "\n");
	TEST_ASSERT(strstr(buf, "already has a client"), "'%s'", buf);
	TEST_ASSERT_EQ(read(b, buf, 1), 0);	/* then closed */
	close(b);
	close(a);
	usleep(50000);
	/* The first one left: the next is taken, and gets the ring. */
	put(console_socket_out_fd(cs), "after\n");
	b = api_socket_connect(path);
	read_until(b, buf, sizeof(buf), "after");
	TEST_ASSERT(!strcmp(buf, "after\n"), "'%s'", buf);
	console_socket_get_stats(cs, &st);
	TEST_ASSERT_EQ(st.clients, 2);
	TEST_ASSERT_EQ(st.refused, 1);
	close(b);
	unmake(cs);
}

/* Nobody reads: the writer never waits; a late client gets the newest ring's worth. */
TEST(console_socket_never_blocks_the_writer)
{
	struct console_socket *cs = make();
	static char chunk[4096], buf[CONSOLE_SOCKET_RING * 2];
	size_t total = 0, len;
	int c, fd;

	TEST_ASSERT(cs, "create");
	fd = console_socket_out_fd(cs);
	memset(chunk, 'a', sizeof(chunk));
	/* 1 MiB through a 64 KiB ring and a pipe, nobody attached. */
	for (int i = 0; i < 256; i++) {
		chunk[0] = (char)('A' + i % 26);
		TEST_ASSERT_EQ(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
		total += sizeof(chunk);
	}
	put(fd, "END\n");
	usleep(100000);
	c = api_socket_connect(path);
	len = read_until(c, buf, sizeof(buf), "END\n");
	TEST_ASSERT_EQ(len, CONSOLE_SOCKET_RING);
	TEST_ASSERT(!memcmp(buf + len - 4, "END\n", 4), "the newest bytes last");
	TEST_ASSERT(total > len, "%zu", total);
	close(c);
	unmake(cs);
}

TEST(console_socket_live_socket_is_refused)
{
	struct console_socket *cs = make(), *two;
	const char *why = "";
	int err = 0;

	TEST_ASSERT(cs, "create");
	two = console_socket_create(path, &err, &why);
	TEST_ASSERT(!two, "a second listener on a live socket");
	TEST_ASSERT_EQ(err, -EADDRINUSE);
	unmake(cs);
}
