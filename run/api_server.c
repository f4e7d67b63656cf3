// SPDX-License-Identifier: GPL-2.0
/*
 * The control API's connections, on the run loop's thread. Ownership: the
 * server owns the listening socket and every client; main.c owns the
 * server (it outlives reboots, like the terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/api_server.h"
#include "util/clock.h"
#include "util/types.h"

struct api_client {
	int fd;			/* -1: a free slot */
	char *in;		/* max_header_bytes + max_body_bytes */
	size_t in_len, scanned;
	char *out;		/* the response being written */
	size_t out_len, out_off;
	bool close_after;	/* once @out is written */
	bool linger;		/* written; open until the server goes */
	long long deadline;	/* ms, CLOCK_MONOTONIC */
};

struct api_server {
	int listen_fd;
	struct api_limits lim;
	const struct api_vm_ops *ops;
	void *ctx;
	struct api_client *clients;
	/* What prepare() put in each pollfd after the listening socket. */
	unsigned int polled[RUN_HOOK_MAX_FDS];
	unsigned int nr_polled;
};

struct api_server *api_server_create(int listen_fd, const struct api_limits *lim,
				     const struct api_vm_ops *ops, void *ctx)
{
	struct api_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lim = *lim;
	/* The listening socket takes one of the run loop's hook slots. */
	s->lim.max_clients = MIN(s->lim.max_clients, RUN_HOOK_MAX_FDS - 1u);
	s->clients = calloc(s->lim.max_clients, sizeof(*s->clients));
	if (!s->clients) {
		free(s);
		return NULL;
	}
	for (unsigned int i = 0; i < s->lim.max_clients; i++)
		s->clients[i].fd = -1;
	s->listen_fd = listen_fd;
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	s->ops = ops;
	s->ctx = ctx;
	return s;
}

static void api_client_close(struct api_client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void api_server_destroy(struct api_server *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->lim.max_clients; i++)
		if (s->clients[i].fd >= 0)
			api_client_close(&s->clients[i]);
	close(s->listen_fd);
	free(s->clients);
	free(s);
}

/* Write what the socket takes now; false once the client is gone. */
static bool api_client_flush(struct api_server *s, struct api_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			api_client_close(c);
			return false;
		}
		c->out_off += n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->linger)
		return true;
	if (c->close_after) {
		api_client_close(c);
		return false;
	}
	c->deadline = clock_now_ms() + (c->in_len ? s->lim.request_timeout_ms :
				      s->lim.idle_timeout_ms);
	return true;
}

static bool api_client_respond(struct api_server *s, struct api_client *c,
			       struct api_response *resp, bool close)
{
	int r;

	c->close_after = close;
	c->linger = resp->linger;
	r = http_format_response(&c->out, &c->out_len, resp->status, resp->allow,
				 resp->body, resp->body_len, close || resp->linger);
	free(resp->body);
	if (r < 0) {
		api_client_close(c);
		return false;
	}
	c->out_off = 0;
	c->deadline = clock_now_ms() + s->lim.request_timeout_ms;
	return api_client_flush(s, c);
}

/* Answer every whole request in the buffer, one at a time. */
static void api_client_serve(struct api_server *s, struct api_client *c, struct vm *vm)
{
	struct http_limits hl = { s->lim.max_header_bytes, s->lim.max_body_bytes };

	while (c->fd >= 0 && !c->out && !c->linger && c->in_len) {
		struct http_request req;
		struct api_response resp;
		int r = http_parse_request(c->in, c->in_len, &hl, &req, &c->scanned);

		if (r == 1)
			return;
		if (r) {
			/* After a bad request the stream cannot be trusted: close. */
			api_error(&resp, r, r == 413 ? "request body too large" :
				  r == 431 ? "request header too large" :
				  r == 414 ? "request target too long" :
				  r == 501 ? "Transfer-Encoding is not supported" :
				  r == 505 ? "only HTTP/1.0 and HTTP/1.1 are spoken" :
				  "malformed request");
			api_client_respond(s, c, &resp, true);
			return;
		}
		api_handle(&req, s->ops, s->ctx, vm, &resp);
		memmove(c->in, c->in + req.consumed, c->in_len - req.consumed);
		c->in_len -= req.consumed;
		c->scanned = 0;
		if (!api_client_respond(s, c, &resp, !req.keep_alive))
			return;
	}
}

static void api_client_read(struct api_server *s, struct api_client *c, struct vm *vm)
{
	size_t cap = s->lim.max_header_bytes + s->lim.max_body_bytes;
	ssize_t n;

	if (!c->in_len)
		c->deadline = clock_now_ms() + s->lim.request_timeout_ms;
	n = recv(c->fd, c->in + c->in_len, cap - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		api_client_close(c);
		return;
	}
	c->in_len += n;
	api_client_serve(s, c, vm);
}

static void api_server_accept(struct api_server *s)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Type: application/json\r\nContent-Length: 29\r\n"
		"Connection: close\r\n\r\n{\"error\":\"too many clients\"}\n";

	for (int tries = 0; tries < 8; tries++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct api_client *c = NULL;

		if (fd < 0)
			return;
		for (unsigned int i = 0; i < s->lim.max_clients && !c; i++)
			if (s->clients[i].fd < 0)
				c = &s->clients[i];
		if (c)
			c->in = malloc(s->lim.max_header_bytes + s->lim.max_body_bytes);
		if (!c || !c->in) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* it learns from the close */
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline = clock_now_ms() + s->lim.idle_timeout_ms;
	}
}

unsigned int api_server_prepare(void *opaque, struct pollfd *pfd, unsigned int max,
				int *timeout_ms)
{
	struct api_server *s = opaque;
	long long now = clock_now_ms(), first = -1;
	unsigned int n = 0;

	if (!max)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	s->nr_polled = 0;
	for (unsigned int i = 0; i < s->lim.max_clients && n < max; i++) {
		struct api_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		/* A lingering client is only watched for its hang-up. */
		pfd[n++] = (struct pollfd){ .fd = c->fd,
			.events = c->out ? POLLOUT : c->linger ? 0 : POLLIN };
		s->polled[s->nr_polled++] = i;
		if (!c->linger && !c->out && (first < 0 || c->deadline < first))
			first = c->deadline;
		if (c->out && (first < 0 || c->deadline < first))
			first = c->deadline;
	}
	if (first >= 0) {
		long long ms = first > now ? first - now : 0;

		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = (int)ms;
	}
	return n;
}

/* Past its deadline: a partial request gets a 408, anything else is dropped. */
static void api_client_expire(struct api_server *s, struct api_client *c)
{
	struct api_response resp;

	if (c->in_len && !c->out) {
		api_error(&resp, 408, "request not complete in time");
		c->in_len = 0;
		/* Its last chance: whatever the socket takes now, then closed. */
		if (api_client_respond(s, c, &resp, true) && c->fd >= 0)
			api_client_close(c);
		return;
	}
	api_client_close(c);
}

void api_server_ready(void *opaque, struct vm *vm, const struct pollfd *pfd, unsigned int n)
{
	struct api_server *s = opaque;
	long long now;

	if (!n)
		return;
	for (unsigned int k = 0; k + 1 < n && k < s->nr_polled; k++) {
		struct api_client *c = &s->clients[s->polled[k]];
		short ev = pfd[k + 1].revents;

		if (c->fd != pfd[k + 1].fd || !ev)
			continue;
		if (ev & POLLOUT) {
			if (api_client_flush(s, c))
				api_client_serve(s, c, vm);	/* pipelined requests */
		} else if (ev & POLLIN) {
			api_client_read(s, c, vm);
		} else if (ev & (POLLHUP | POLLERR | POLLNVAL)) {
			api_client_close(c);
		}
	}
	now = clock_now_ms();
	for (unsigned int i = 0; i < s->lim.max_clients; i++) {
		struct api_client *c = &s->clients[i];

		if (c->fd >= 0 && !c->linger && c->deadline <= now)
			api_client_expire(s, c);
	}
	if (pfd[0].revents & POLLIN)
		api_server_accept(s);
}
