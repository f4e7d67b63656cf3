/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_CONSOLE_H
#define VMM_DEVICES_CONSOLE_H

#include "util/types.h"

struct vm;

/*
 * Linux's panic line, "Kernel panic - not syncing: ...", is the one sign of
 * a panic that every kernel gives, pvpanic driver or not (Debian's arm64
 * kernel has none; on x86 it is a module). Once that line is complete the
 * guest has panicked.
 */
struct panic_watch {
	unsigned int match;	/* bytes of the pattern matched so far */
	bool seen;		/* the pattern was seen; waiting for its newline */
};

/* Feed console output; true once the panic line has ended. Pure. */
bool panic_watch_feed(struct panic_watch *w, const u8 *buf, size_t len);

/*
 * Guest console output from any device: to the terminal, and watched for a
 * panic (the VM then stops with VM_STOP_PANIC; later output is not shown).
 */
void console_write(struct vm *vm, const u8 *buf, size_t len);

#endif
