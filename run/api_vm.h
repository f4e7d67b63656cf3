/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_API_VM_H
#define VMM_RUN_API_VM_H

#include <time.h>

#include "run/api.h"

struct console_backend;

/* What the API says about the process around the VM; main.c owns it. */
struct api_vm_ctx {
	const char *name;
	const char *socket_path;
	unsigned int boots;		/* 1 + reboots so far */
	const struct console_backend *console;	/* where the console goes (--serial) */
};

/* The endpoints' operations on a real VM; ctx is a struct api_vm_ctx. */
extern const struct api_vm_ops api_vm_ops;

#endif
