// SPDX-License-Identifier: GPL-2.0
/* Host CPU lists for --vcpu-affinity and --io-affinity. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cpulist.h"
#include "util/why.h"

static int cpu_number(const char **p, const char *whole, const char **why)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return why_fail(why, -EINVAL, "'%s': expected a CPU number at '%s'", whole, s);
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s++ - '0');
		if (v >= CPU_SETSIZE)
			return why_fail(why, -EINVAL, "'%s': CPU numbers go up to %d", whole,
					CPU_SETSIZE - 1);
	}
	*p = s;
	return (int)v;
}

int cpulist_parse(const char *s, cpu_set_t *set, const char **why)
{
	const char *p = s;

	CPU_ZERO(set);
	for (;;) {
		int lo = cpu_number(&p, s, why), hi;

		if (lo < 0)
			return lo;
		hi = lo;
		if (*p == '-') {
			p++;
			hi = cpu_number(&p, s, why);
			if (hi < 0)
				return hi;
			if (hi < lo)
				return why_fail(why, -EINVAL, "'%s': range %d-%d goes backwards",
						s, lo, hi);
		}
		for (int c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (!*p)
			return 0;
		if (*p != ',')
			return why_fail(why, -EINVAL, "'%s': unexpected '%c' (expected a list "
					"like 0-3,6)", s, *p);
		p++;
	}
}

void cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int hi = c;
		int n;

		if (!CPU_ISSET(c, set))
			continue;
		while (hi + 1 < CPU_SETSIZE && CPU_ISSET(hi + 1, set))
			hi++;
		n = hi == c ? snprintf(buf + used, len - used, "%s%d", used ? "," : "", c) :
			      snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", c, hi);
		if (n < 0 || (size_t)n >= len - used)
			return;		/* truncated, still terminated */
		used += n;
		c = hi;
	}
}

int cpulist_nth(const cpu_set_t *set, unsigned int n)
{
	int count = CPU_COUNT(set);

	if (!count)
		return -1;
	n %= (unsigned int)count;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set) && !n--)
			return c;
	return -1;
}

int cpulist_check_allowed(const cpu_set_t *want, const char **why)
{
	cpu_set_t allowed;
	char list[64];

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return why_fail(why, -errno, "cannot read this process's CPUs: %s",
				strerror(errno));
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, want) && !CPU_ISSET(c, &allowed)) {
			cpulist_format(&allowed, list, sizeof(list));
			return why_fail(why, -EINVAL, "host CPU %d is not available (vmm may "
					"use %s)", c, list);
		}
	}
	return 0;
}

int cpulist_thread_attr(pthread_attr_t *attr, const cpu_set_t *set)
{
	int err = pthread_attr_init(attr);

	if (err)
		return -err;
	if (set && (err = pthread_attr_setaffinity_np(attr, sizeof(*set), set))) {
		pthread_attr_destroy(attr);
		return -err;
	}
	return 0;
}
