/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_WHY_H
#define VMM_UTIL_WHY_H

/*
 * Pure parsers say what is wrong without printing: they return -errno and
 * point *why at a short phrase ("truncated: ..."), formatted into a
 * per-thread buffer that lives until the thread's next why_fail().
 */
int why_fail(const char **why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
