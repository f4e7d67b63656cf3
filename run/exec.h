/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_EXEC_H
#define VMM_RUN_EXEC_H

#include "cli/config.h"
#include "run/console_backend.h"
#include "util/cpio.h"

/*
 * --exec CMD and --rootfs DIR: the kernel boots on a shared root (the
 * host's / read-only, or DIR; config.c adds it as the last --fs, tagged
 * EXEC_ROOT_TAG) through an initramfs vmm builds here, in memory: its own
 * init (guest/init/init.c, linked into vmm), the kernel modules needed to
 * reach the root (from --modules DIR, else the root's
 * /lib/modules/RELEASE, RELEASE read from the kernel file), and the
 * settings of run/exec_proto.h. Under --exec the init runs CMD and reports
 * its status through a register (devices/exec_status.h).
 *
 * Exit status under --exec: CMD's own (0-255; 128+N if a signal N killed
 * it), else 124 (--timeout), 128+N (vmm stopped by signal N), or 125 for
 * every outcome of vmm's own (bad usage, a host error, a guest panic or
 * crash, a guest that stopped before CMD's status came back), always with
 * a line on vmm's stderr saying which: the guest's output never reaches
 * stderr, so that line cannot be faked.
 */

/*
 * Build the initramfs into @c (the caller frees it, after the last boot)
 * and point cfg->initrd_data at it. @cons: where the console goes (is it
 * a terminal?). 0, or an exit status with the reason logged.
 */
int exec_prepare(struct vm_config *cfg, const struct console_backend *cons, struct cpio *c);
/* The exit status under --exec for a run that ended with @status (exit_status()'s). */
int exec_exit_status(int reason, u32 exec_status, int status);

#endif
