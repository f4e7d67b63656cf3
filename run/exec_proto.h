/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_EXEC_PROTO_H
#define VMM_RUN_EXEC_PROTO_H

/*
 * What vmm and its guest init (guest/init/init.c) agree on for --exec and
 * --rootfs. Plain defines only: the init is freestanding and includes this
 * file too.
 *
 * The initramfs vmm builds in memory (run/exec.c):
 *   /init                 the init, a static binary for the guest's arch
 *   /dev/console          character device 5:1 (the kernel opens it for init)
 *   /proc /newroot        empty directories
 *   /vmm/config           the settings below
 *   /vmm/modules/NAME.ko  kernel modules, loaded in the order of "modules"
 *
 * /vmm/config is a list of KEY=VALUE entries, each ended by a NUL byte
 * (a value may hold anything but NUL: a command with newlines, quotes...):
 *   mode=exec|rootfs      run "cmd" and report its status, or hand PID 1
 *                         to the root's own init ("init=" on the kernel
 *                         command line, default /sbin/init)
 *   root=TAG              the virtio-fs tag of the root directory
 *   rw=0|1                mount it read-write (else read-only, with tmpfs
 *                         on /tmp, /run and /var/tmp)
 *   cmd=CMD               exec: run as /bin/sh -c CMD
 *   cwd=PATH              exec: its working directory, inside the root
 *   term=NAME             exec: TERM for CMD
 *   in_tty=0|1            vmm's input is a terminal: keep the guest's echo
 *   out_tty=0|1           vmm's output is a terminal: keep "\n" -> "\r\n";
 *                         else output passes byte for byte
 *   rows=N cols=N         exec: the terminal's size, 0 if unknown
 *   status=0xADDR         exec: physical address of the status register
 *   modules=A B C         module names, dependencies first
 */
#define EXEC_CONFIG_PATH	"/vmm/config"
#define EXEC_MODULES_DIR	"/vmm/modules"
#define EXEC_CONFIG_MAX		65536
#define EXEC_ROOT_TAG		"vmm-root"

/*
 * The status register: one 32-bit write, EXEC_STATUS(kind, code), ends
 * the VM with that outcome. Only present under --exec, and only the first
 * write counts.
 */
#define EXEC_STATUS_MAGIC	0x7e570000u	/* bits 16-31 */
#define EXEC_STATUS_EXITED	0	/* code: CMD's exit status */
#define EXEC_STATUS_SIGNALED	1	/* code: the signal that killed CMD */
#define EXEC_STATUS_INIT_FAILED	2	/* code: errno; the init printed why */
#define EXEC_STATUS(kind, code)	(EXEC_STATUS_MAGIC | (unsigned int)(kind) << 8 | \
				 ((unsigned int)(code) & 0xff))
#define EXEC_STATUS_SIZE	4

#endif
