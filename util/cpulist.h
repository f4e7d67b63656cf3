/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_CPULIST_H
#define VMM_UTIL_CPULIST_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>

/* "0-3,6": the kernel's cpulist format (cpuset(7)). 0 or -EINVAL with *why. */
int cpulist_parse(const char *s, cpu_set_t *set, const char **why);
/* The same format back, "" for an empty set; truncated to fit @len. */
void cpulist_format(const cpu_set_t *set, char *buf, size_t len);
/* The (n % count)-th CPU of @set, in ascending order; -1 if it is empty. */
int cpulist_nth(const cpu_set_t *set, unsigned int n);
/* 0 if this process may run on every CPU of @want, else -EINVAL with *why. */
int cpulist_check_allowed(const cpu_set_t *want, const char **why);
/* Initialise @attr for a thread that runs only on @set (NULL: anywhere); on error it is not. */
int cpulist_thread_attr(pthread_attr_t *attr, const cpu_set_t *set);

#endif
