/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_CTL_H
#define VMM_RUN_CTL_H

#include <stdbool.h>

/*
 * vmm's control commands, clients of a running vmm's API socket: list,
 * info, counters, pause, resume, shutdown, stop, reboot, console. Exit
 * statuses (usage()):
 */
enum ctl_status {
	CTL_OK = 0,
	CTL_FAILED = 1,		/* no answer in time, a malformed one, a 5xx */
	CTL_USAGE = 2,
	CTL_NO_VM = 3,		/* no VM of that name (a stale socket is removed) */
	CTL_REFUSED = 4,	/* not in this state (409): pause a paused VM, ... */
};

struct json_object;

/* Is @cmd one of them? */
bool ctl_command(const char *cmd);
/* argv[0] is the command. Returns an enum ctl_status. */
int ctl_main(int argc, char **argv);
/* GET /vm of the VM @name (or a socket path) into *@out; errors logged. */
int ctl_describe(const char *name, struct json_object **out);
/* vmm console NAME (run/ctl_console.c). */
int ctl_console(const char *name);

#endif
