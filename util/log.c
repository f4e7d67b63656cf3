// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

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
