/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_CONSOLE_BACKEND_H
#define VMM_RUN_CONSOLE_BACKEND_H

#include "cli/config.h"

struct console_socket;

/*
 * Where the guest console goes (--serial): the fds the terminal
 * (devices/term.h) reads and writes, and how it treats them.
 *   stdio   vmm's own stdin/stdout, the escape key, lossless output
 *   pty     a new pseudo-terminal (its path logged and in GET /vm), held
 *           open on both sides so a client may come and go; lossy
 *   file    output appended to PATH (created 0600), no input; lossless
 *   socket  a Unix socket (run/console_socket.h); lossy; PATH defaults
 *           to the control socket's with .console for .sock
 *   none    nothing in, nothing out
 * cmd_run() opens it before the terminal and closes it after term_close().
 */
struct console_backend {
	enum vm_serial kind;
	int in_fd, out_fd;		/* for term_open(); -1: none */
	unsigned int term_flags;	/* TERM_LOSSY, TERM_NO_ESCAPE */
	char path[108];			/* the pty, file or socket; "" for the others */
	int fd;				/* the pty master or the file: ours to close */
	int pty_slave;			/* held open: a client may leave and come back */
	struct console_socket *sock;
};

/*
 * @api_path: the control socket's path, or NULL. Returns 0, or an exit
 * status with the one-line reason logged.
 */
int console_backend_open(const struct vm_config *cfg, const char *api_path,
			 struct console_backend *b);
void console_backend_close(struct console_backend *b);
const char *console_backend_name(enum vm_serial kind);

#endif
