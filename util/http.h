/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_HTTP_H
#define VMM_UTIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The little of HTTP/1.1 (RFC 9112) a local control socket needs, parsed
 * strictly and within fixed limits: a request line with an origin-form
 * target, header fields, and a body of Content-Length bytes. No chunked
 * bodies, no obs-fold, no absolute-form targets. Pure functions over a
 * buffer, so the caller owns all I/O (and a fuzzer can drive them).
 */
#define HTTP_MAX_METHOD		15
#define HTTP_MAX_TARGET		1023
#define HTTP_MAX_HEADERS	64	/* header section, bytes: see http_limits */

struct http_limits {
	size_t max_header_bytes;	/* request line + fields + blank line */
	size_t max_body_bytes;
};

struct http_request {
	char method[HTTP_MAX_METHOD + 1];
	char path[HTTP_MAX_TARGET + 1];	/* the target up to '?' */
	int minor;			/* HTTP/1.minor: 0 or 1 */
	bool keep_alive;		/* 1.1 unless "Connection: close"; 1.0 never */
	const char *body;		/* into the caller's buffer */
	size_t body_len;
	size_t consumed;		/* bytes of the buffer this request took */
};

/*
 * Parse one request at the start of @buf. Returns 0 with @req filled, 1 if
 * more bytes are needed (@len is not an error yet), or an HTTP error status:
 * 400 malformed, 413 body over the limit, 431 header section over the limit,
 * 501 Transfer-Encoding, 505 a version other than 1.0/1.1. @scanned (may be
 * NULL) keeps how far a previous call found no end of the header section,
 * so a client that sends a byte at a time costs linear work.
 */
int http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
		       struct http_request *req, size_t *scanned);

/* "Not Found" for 404, "" for a status it does not know. */
const char *http_reason(int status);

/*
 * A response with a JSON (or empty) body into @out (malloc'ed, NUL-ended,
 * *out_len bytes without the NUL); @allow (may be NULL) is the Allow field
 * a 405 needs. Returns 0 or -ENOMEM.
 */
int http_format_response(char **out, size_t *out_len, int status, const char *allow,
			 const char *body, size_t body_len, bool close);

/*
 * The client side (vmm's CLI): a response in @buf. Returns 0 with the
 * status and the body (Content-Length bytes, or up to @len when the server
 * gave none and closed), 1 if more bytes are needed, -EINVAL if malformed.
 */
int http_parse_response(const char *buf, size_t len, bool eof, int *status,
			const char **body, size_t *body_len);

#endif
