// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util/clock.h"

bool log_debug_enabled;
static void (*log_flush_hook)(void *opaque);
static void *log_flush_opaque;

void log_set_flush_hook(void (*fn)(void *opaque), void *opaque)
{
	log_flush_opaque = opaque;
	log_flush_hook = fn;
}

/*
 * stderr may be a terminal in raw mode: end lines with \r\n there so they
 * do not staircase.
 */
static void log_vprint(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "vmm: %s", level);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	/* Console output that came first is printed first. */
	if (log_flush_hook)
		log_flush_hook(log_flush_opaque);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	fprintf(stderr, "%s%s", buf, isatty(2) ? "\r\n" : "\n");
}

#define LOG_FN(name, prefix, cond)			\
	void name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		if (!(cond))				\
			return;				\
		va_start(ap, fmt);			\
		log_vprint(prefix, fmt, ap);		\
		va_end(ap);				\
	}

LOG_FN(log_error, "error: ", true)
LOG_FN(log_warn, "warning: ", true)
LOG_FN(log_info, "", true)
LOG_FN(log_debug, "debug: ", log_debug_enabled)

bool log_ratelimit(struct log_ratelimit *rl)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned int suppressed = 0;
	unsigned long long now = clock_now_ms();
	bool ok;

	pthread_mutex_lock(&lock);
	if (!rl->window_ms || now - rl->window_ms >= LOG_RATELIMIT_MS) {
		suppressed = rl->suppressed;
		rl->window_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	ok = rl->printed < LOG_RATELIMIT_BURST;
	if (ok)
		rl->printed++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&lock);
	if (suppressed)
		log_warn("%u more messages like the next were left out", suppressed);
	return ok;
}
