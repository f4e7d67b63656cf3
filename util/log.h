/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_LOG_H
#define VMM_UTIL_LOG_H

#include <stdbool.h>

/*
 * All user-facing messages go through here: one line each, prefixed "vmm: ".
 * Library code returns -errno; only the caller that can explain prints.
 */
extern bool log_debug_enabled;

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called before each message, e.g. to flush the guest's console output. */
void log_set_flush_hook(void (*fn)(void *opaque), void *opaque);

#endif
