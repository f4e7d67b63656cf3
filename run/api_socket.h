/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_API_SOCKET_H
#define VMM_RUN_API_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where the control sockets live and how one is claimed. A VM named NAME
 * listens on DIR/NAME.sock, DIR being $XDG_RUNTIME_DIR/vmm, /run/vmm for
 * root, or /tmp/vmm-UID without a runtime directory; DIR is made 0700 and
 * must be the user's own, the socket is 0600.
 */
#define API_NAME_MAX 64

/* Letters, digits, '.', '_', '-'; not starting with '.'; at most API_NAME_MAX. */
bool api_name_valid(const char *name);
/* This user's socket directory into @buf, made if @create. 0 or -errno, @why set. */
int api_socket_dir(char *buf, size_t size, bool create, const char **why);
/*
 * Listen on @path: a socket nobody listens on (a vmm that died) is
 * replaced, a live one is -EADDRINUSE, anything else there -EEXIST. Returns
 * the listening fd or -errno with @why set. The path is then removed by
 * api_socket_remove() or, on every other way out of vmm, by
 * api_socket_cleanup(). At most two: the API's and the console's.
 */
int api_socket_listen(const char *path, const char **why);
/* Remove the sockets api_socket_listen() made, if they are still ours. */
void api_socket_remove(void);
/* The same from a signal handler (async-signal-safe). */
void api_socket_cleanup(void);
/* Connect to a VM's socket (blocking). The fd, or -errno. */
int api_socket_connect(const char *path);
/* @path is a socket nobody listens on: remove it (true). Locked like listen. */
bool api_socket_remove_stale(const char *path);

#endif
