/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_API_SERVER_H
#define VMM_RUN_API_SERVER_H

#include <poll.h>

#include "run/api.h"

/*
 * The control API's connections: a listening socket and its clients, all
 * non-blocking, driven by the run loop through struct run_hook (no thread
 * of its own). Bounded: at most max_clients connections (one more gets a
 * 503 and is closed), requests within the size limits (431, 413), a
 * request must arrive whole and its answer be taken within
 * request_timeout_ms (408, or the connection is dropped), an idle
 * keep-alive connection is closed after idle_timeout_ms. Nothing a client
 * sends can block the loop or reach the VM except as a parsed request.
 */
struct api_limits {
	unsigned int max_clients;
	size_t max_header_bytes;
	size_t max_body_bytes;
	int request_timeout_ms;
	int idle_timeout_ms;
};

#define API_LIMITS_DEFAULT { .max_clients = 16, .max_header_bytes = 8192, \
	.max_body_bytes = 4096, .request_timeout_ms = 5000, .idle_timeout_ms = 60000 }

struct api_server;

/* Takes @listen_fd (made non-blocking here). NULL: out of memory. */
struct api_server *api_server_create(int listen_fd, const struct api_limits *lim,
				     const struct api_vm_ops *ops, void *ctx);
/* Closes the listening socket and every connection (lingering ones too). */
void api_server_destroy(struct api_server *s);
/* struct run_hook's two calls; @opaque is the server. */
unsigned int api_server_prepare(void *opaque, struct pollfd *pfd, unsigned int max,
				int *timeout_ms);
void api_server_ready(void *opaque, struct vm *vm, const struct pollfd *pfd, unsigned int n);

#endif
