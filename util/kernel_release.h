/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_KERNEL_RELEASE_H
#define VMM_UTIL_KERNEL_RELEASE_H

#include "util/types.h"

/*
 * The release in Linux's banner ("Linux version 6.1.0-18-amd64 (...)")
 * found in the @len bytes at @img (an uncompressed kernel image), or in a
 * version string that starts with the release (@img itself: a bzImage's
 * kernel_version). Copied into @out as one word of letters, digits and
 * ".-+_~"; -ENOENT if there is none, -ENAMETOOLONG if it does not fit.
 */
int kernel_release_find(const u8 *img, size_t len, char *out, size_t outlen);
int kernel_release_word(const char *s, size_t len, char *out, size_t outlen);

#endif
