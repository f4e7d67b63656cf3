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

/*
 * Messages a guest can trigger at will (a port write, a device misuse) go
 * through a limiter per call site, so a guest loop cannot flood the host's
 * terminal or logs: at most LOG_RATELIMIT_BURST lines per
 * LOG_RATELIMIT_MS, then one line saying how many were left out.
 */
#define LOG_RATELIMIT_BURST	5
#define LOG_RATELIMIT_MS	5000

struct log_ratelimit {
	unsigned long long window_ms;	/* start of the current window */
	unsigned int printed, suppressed;
};

/* true: print this one. Thread-safe. */
bool log_ratelimit(struct log_ratelimit *rl);

#define log_ratelimited(fn, ...)					\
	do {								\
		static struct log_ratelimit rl_;			\
		if (log_ratelimit(&rl_))				\
			fn(__VA_ARGS__);				\
	} while (0)

/* Called before each message, e.g. to flush the guest's console output. */
void log_set_flush_hook(void (*fn)(void *opaque), void *opaque);

#endif
