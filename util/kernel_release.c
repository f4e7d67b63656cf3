// SPDX-License-Identifier: GPL-2.0
/* A Linux kernel's release, for /lib/modules/RELEASE (util/kernel_release.h). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util/kernel_release.h"

#define BANNER		"Linux version "

static bool release_char(char c)
{
	return isalnum((unsigned char)c) || strchr(".-+_~", c);
}

int kernel_release_word(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	while (n < len && release_char(s[n]))
		n++;
	/* A release starts with a digit (2.6.32, 6.1.0-18-amd64). */
	if (!n || !isdigit((unsigned char)s[0]) || (n < len && s[n] != ' ' && s[n] != '\0'))
		return -ENOENT;
	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int kernel_release_find(const u8 *img, size_t len, char *out, size_t outlen)
{
	const u8 *p = img, *end = img + len;

	/* The banner; the first match that is followed by a release. */
	while ((p = memmem(p, (size_t)(end - p), BANNER, strlen(BANNER)))) {
		p += strlen(BANNER);
		if (!kernel_release_word((const char *)p, (size_t)(end - p), out, outlen))
			return 0;
	}
	return -ENOENT;
}
