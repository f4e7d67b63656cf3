/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_CONSOLE_SOCKET_H
#define VMM_RUN_CONSOLE_SOCKET_H

#include "util/types.h"

/*
 * --serial socket: the guest console on a Unix socket, one client at a time
 * (`vmm console NAME`, or socat). The terminal (devices/term.h) writes the
 * guest's output into a pipe and reads the client's input from another;
 * a thread of this module ("console-sock") bridges them to the client:
 * - output goes into a ring of CONSOLE_SOCKET_RING bytes and from there to
 *   the client as fast as it reads, never blocking: a client too slow (or
 *   none at all) costs the oldest output, counted, never the guest's
 *   progress; a client that attaches late first gets what the ring holds;
 * - input is read from the client only as fast as the terminal takes it;
 * - a second client is told the console is in use and closed.
 * cmd_run() creates it before the terminal and destroys it after
 * term_close(); the socket file follows api_socket_listen()'s rules and is
 * removed with the API's.
 */
#define CONSOLE_SOCKET_RING	(64 * 1024)

struct console_socket;

/* NULL with *@err (-errno) and @why set. */
struct console_socket *console_socket_create(const char *path, int *err, const char **why);
/* The fds the terminal reads (client input) and writes (guest output). */
int console_socket_in_fd(const struct console_socket *cs);
int console_socket_out_fd(const struct console_socket *cs);
/* Stops the thread (after one last pass to a client), closes everything. */
void console_socket_destroy(struct console_socket *cs);

struct console_socket_stats {
	u64 clients;		/* accepted so far */
	u64 refused;		/* a second client while one was attached */
	u64 dropped;		/* output an attached client was too slow to get */
};
void console_socket_get_stats(struct console_socket *cs, struct console_socket_stats *st);

#endif
