// SPDX-License-Identifier: GPL-2.0
/*
 * The console on a Unix socket (console_socket.h): one thread polls the
 * terminal's output pipe, the listening socket, the client and the input
 * pipe; nothing it does blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/api_socket.h"
#include "run/console_socket.h"
#include "util/log.h"
#include "util/thread.h"

#define IN_BUF 4096

static const char busy_msg[] = "vmm: this console already has a client\r\n";

struct console_socket {
	int listen_fd;
	int out_pipe[2];	/* the terminal writes [1], the thread reads [0] */
	int in_pipe[2];		/* the thread writes [1], the terminal reads [0] */
	int stop_fd;		/* eventfd: console_socket_destroy() */
	pthread_t thread;

	/* the thread's own */
	int client;		/* -1: none */
	u8 ring[CONSOLE_SOCKET_RING];
	u64 head;		/* bytes ever put in the ring */
	u64 sent;		/* of those, the client has had up to here */
	u8 in[IN_BUF];		/* client input the terminal has not taken yet */
	size_t in_len, in_off;
	bool warned;

	pthread_mutex_t lock;	/* stats, read by other threads */
	struct console_socket_stats stats;
};

static void cs_ring_put(struct console_socket *cs, const u8 *buf, size_t len)
{
	while (len) {
		size_t at = cs->head % CONSOLE_SOCKET_RING;
		size_t n = MIN(len, CONSOLE_SOCKET_RING - at);

		memcpy(cs->ring + at, buf, n);
		cs->head += n;
		buf += n;
		len -= n;
	}
}

static void cs_client_close(struct console_socket *cs)
{
	close(cs->client);
	cs->client = -1;
	cs->in_len = cs->in_off = 0;
}

/* As much of the ring as the client takes now; what it missed is counted. */
static void cs_client_send(struct console_socket *cs)
{
	while (cs->client >= 0 && cs->sent < cs->head) {
		size_t at, n;
		ssize_t w;

		if (cs->head - cs->sent > CONSOLE_SOCKET_RING) {
			u64 lost = cs->head - CONSOLE_SOCKET_RING - cs->sent;

			pthread_mutex_lock(&cs->lock);
			cs->stats.dropped += lost;
			pthread_mutex_unlock(&cs->lock);
			if (!cs->warned)
				log_warn("console socket: the client reads too slowly;"
					 " dropping the output it missed");
			cs->warned = true;
			cs->sent = cs->head - CONSOLE_SOCKET_RING;
		}
		at = cs->sent % CONSOLE_SOCKET_RING;
		n = MIN(cs->head - cs->sent, CONSOLE_SOCKET_RING - at);
		w = send(cs->client, cs->ring + at, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			cs->sent += w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			cs_client_close(cs);	/* gone: the next one gets the ring */
		} else {
			break;
		}
	}
}

static void cs_accept(struct console_socket *cs)
{
	int fd = accept4(cs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	pthread_mutex_lock(&cs->lock);
	if (cs->client >= 0)
		cs->stats.refused++;
	else
		cs->stats.clients++;
	pthread_mutex_unlock(&cs->lock);
	if (cs->client >= 0) {
		if (send(fd, busy_msg, sizeof(busy_msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it will see the close */
		}
		close(fd);
		return;
	}
	cs->client = fd;
	/* A late attach first gets what the ring still holds. */
	cs->sent = cs->head > CONSOLE_SOCKET_RING ? cs->head - CONSOLE_SOCKET_RING : 0;
	cs->warned = false;
}

/* Guest output from the terminal: into the ring, then to the client. */
static bool cs_drain_output(struct console_socket *cs)
{
	u8 buf[4096];
	ssize_t n = read(cs->out_pipe[0], buf, sizeof(buf));

	if (n > 0)
		cs_ring_put(cs, buf, n);
	return n > 0;
}

static void cs_client_input(struct console_socket *cs)
{
	ssize_t n = recv(cs->client, cs->in, sizeof(cs->in), MSG_DONTWAIT);

	if (n > 0) {
		cs->in_len = n;
		cs->in_off = 0;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		cs_client_close(cs);	/* detached (C-a x) or gone */
	}
}

static void cs_pass_input(struct console_socket *cs)
{
	ssize_t n = write(cs->in_pipe[1], cs->in + cs->in_off, cs->in_len - cs->in_off);

	if (n > 0)
		cs->in_off += n;
	if (cs->in_off == cs->in_len)
		cs->in_len = cs->in_off = 0;
}

static void *cs_thread(void *arg)
{
	struct console_socket *cs = arg;
	struct pollfd p[5];

	for (;;) {
		int n = 0, ic = -1, ip = -1;

		p[n++] = (struct pollfd){ .fd = cs->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = cs->out_pipe[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = cs->listen_fd, .events = POLLIN };
		if (cs->client >= 0) {
			ic = n;
			p[n++] = (struct pollfd){ .fd = cs->client,
				.events = (cs->in_len ? 0 : POLLIN) |
					  (cs->sent < cs->head ? POLLOUT : 0) };
		}
		if (cs->in_len) {
			ip = n;
			p[n++] = (struct pollfd){ .fd = cs->in_pipe[1], .events = POLLOUT };
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("console socket: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			cs_drain_output(cs);
		if (p[2].revents & POLLIN)
			cs_accept(cs);
		if (ic >= 0 && cs->client == p[ic].fd) {
			short re = p[ic].revents;

			/* One read at a time: the last must reach the terminal first. */
			if (!cs->in_len && (re & (POLLIN | POLLHUP | POLLERR)))
				cs_client_input(cs);
			else if (re & (POLLHUP | POLLERR))
				cs_client_close(cs);
		}
		if (ip >= 0 && (p[ip].revents & (POLLOUT | POLLERR)))
			cs_pass_input(cs);
		cs_client_send(cs);
	}
	/* The terminal has closed: what it wrote last still goes to a client. */
	while (cs_drain_output(cs))
		;
	cs_client_send(cs);
	return NULL;
}

int console_socket_in_fd(const struct console_socket *cs)
{
	return cs->in_pipe[0];
}

int console_socket_out_fd(const struct console_socket *cs)
{
	return cs->out_pipe[1];
}

void console_socket_get_stats(struct console_socket *cs, struct console_socket_stats *st)
{
	pthread_mutex_lock(&cs->lock);
	*st = cs->stats;
	pthread_mutex_unlock(&cs->lock);
}

static void cs_free(struct console_socket *cs)
{
	int fds[] = { cs->listen_fd, cs->out_pipe[0], cs->out_pipe[1], cs->in_pipe[0],
		      cs->in_pipe[1], cs->stop_fd, cs->client };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

struct console_socket *console_socket_create(const char *path, int *err, const char **why)
{
	struct console_socket *cs = calloc(1, sizeof(*cs));
	int r;

	if (!cs) {
		*err = -ENOMEM;
		*why = "out of memory";
		return NULL;
	}
	pthread_mutex_init(&cs->lock, NULL);
	cs->out_pipe[0] = cs->out_pipe[1] = cs->in_pipe[0] = cs->in_pipe[1] = -1;
	cs->client = -1;
	cs->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cs->listen_fd = api_socket_listen(path, why);
	if (cs->listen_fd < 0) {
		*err = cs->listen_fd;
		cs->listen_fd = -1;
		cs_free(cs);
		return NULL;
	}
	/*
	 * The thread's ends are non-blocking; the terminal's stay blocking
	 * (its output thread waits in write(2) only while this thread is
	 * behind, which it never is for long: it never blocks).
	 */
	if (cs->stop_fd < 0 || pipe2(cs->out_pipe, O_CLOEXEC) < 0 ||
	    pipe2(cs->in_pipe, O_CLOEXEC) < 0 ||
	    fcntl(cs->out_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(cs->in_pipe[1], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(cs->listen_fd, F_SETFL, O_NONBLOCK) < 0) {
		*err = -errno;
		*why = strerror(errno);
		cs_free(cs);
		return NULL;
	}
	r = thread_spawn(&cs->thread, NULL, "console-sock", false, cs_thread, cs);
	if (r) {
		*err = -r;
		*why = strerror(r);
		cs_free(cs);
		return NULL;
	}
	return cs;
}

void console_socket_destroy(struct console_socket *cs)
{
	u64 one = 1;

	if (!cs)
		return;
	if (write(cs->stop_fd, &one, sizeof(one)) < 0)
		log_debug("console socket: eventfd: %s", strerror(errno));
	pthread_join(cs->thread, NULL);
	cs_free(cs);
}
