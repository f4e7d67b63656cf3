// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>

#include "devices/console.h"
#include "devices/term.h"
#include "kvm/kvm.h"

/* kernel/panic.c */
static const char panic_pattern[] = "Kernel panic - not syncing";

bool panic_watch_feed(struct panic_watch *w, const u8 *buf, size_t len)
{
	const unsigned int plen = sizeof(panic_pattern) - 1;

	for (size_t i = 0; i < len; i++) {
		if (w->seen) {
			if (buf[i] == '\n')
				return true;
			continue;
		}
		/* The pattern has no repeated prefix: a mismatch restarts it. */
		if (buf[i] == (u8)panic_pattern[w->match])
			w->match++;
		else
			w->match = buf[i] == (u8)panic_pattern[0];
		if (w->match == plen)
			w->seen = true;
	}
	return false;
}

/* Whether the console's panic line stops the VM (see enum vm_panic_watch). */
static bool console_watching(struct vm *vm)
{
	switch (vm->cfg ? vm->cfg->panic_watch : VM_PANIC_WATCH_AUTO) {
	case VM_PANIC_WATCH_AUTO:
		return !atomic_load(&vm->pvpanic_probed);
	case VM_PANIC_WATCH_CONSOLE:
		return true;
	default:
		return false;
	}
}

void console_write(struct vm *vm, const u8 *buf, size_t len)
{
	if (vm_stop_reason(vm) == VM_STOP_PANIC)
		return;
	/* The UART (vcpu thread) and hvc0 (I/O thread) may write at once. */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	bool panicked;

	atomic_store(&vm->console_output, true);	/* hvc0 too: bus.c goes quiet */
	if (vm->term)
		term_write(vm->term, buf, len);
	if (!console_watching(vm))
		return;
	pthread_mutex_lock(&lock);
	panicked = panic_watch_feed(&vm->panic_watch, buf, len);
	pthread_mutex_unlock(&lock);
	if (panicked)
		vm_request_stop(vm, VM_STOP_PANIC);
}
