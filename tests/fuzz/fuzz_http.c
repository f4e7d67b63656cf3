// SPDX-License-Identifier: GPL-2.0
/*
 * The control API's request parser on arbitrary bytes, whole and in the
 * pieces a slow client would send: no crash, no read past the buffer, and
 * a parsed request always lies inside what was given.
 */
#include <stdlib.h>
#include <string.h>

#include "util/http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const struct http_limits lim = { .max_header_bytes = 8192, .max_body_bytes = 4096 };
	struct http_request req;
	size_t scanned = 0, step;
	char *buf;
	int r = 1;

	/* An exact-size copy: ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	step = size ? 1 + data[0] % 64 : 1;
	for (size_t n = 0; n <= size && r == 1; n = n + step > size && n < size ? size : n + step)
		r = http_parse_request(buf, n, &lim, &req, &scanned);
	if (r == 0 && (req.consumed > size || req.body + req.body_len > buf + size ||
		       strlen(req.path) > HTTP_MAX_TARGET || req.path[0] != '/'))
		abort();
	if (r == 0 || r == 1 || r >= 400) {
		/* The same verdict without the incremental hint. */
		int whole = http_parse_request(buf, size, &lim, &req, NULL);

		if (r == 0 && whole != 0)
			abort();
	}
	free(buf);
	return 0;
}
