// SPDX-License-Identifier: GPL-2.0
/*
 * A strict HTTP/1.1 message parser for the control socket (RFC 9112). Why
 * by hand and not libmicrohttpd: the API serves a handful of bodiless
 * requests on a local socket from vmm's one run loop; libmicrohttpd brings
 * its own threads or select()-driven loop, TLS hooks and a static link
 * (arm64) with more dependencies, where ~250 lines with hard limits are
 * easy to read, to unit-test and to fuzz completely.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/http.h"
#include "util/types.h"

/* RFC 9110 5.6.2: token characters. */
static bool http_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field values: visible ASCII, obs-text, space and tab; no other controls. */
static bool http_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Where the header section ends (just past its blank line), or 0. */
static size_t http_header_end(const char *buf, size_t len, size_t from)
{
	for (size_t i = from; i < len; i++) {
		size_t j = i + 1;

		if (buf[i] != '\n')
			continue;
		if (j < len && buf[j] == '\r')
			j++;
		if (j < len && buf[j] == '\n')
			return j + 1;
	}
	return 0;
}

/* The next line in [*pos, end): its start and length without CR LF. */
static int http_next_line(const char *buf, size_t end, size_t *pos, const char **line,
			  size_t *n)
{
	const char *p = buf + *pos, *nl = memchr(p, '\n', end - *pos);

	if (!nl)
		return -1;
	*line = p;
	*n = nl - p;
	if (*n && p[*n - 1] == '\r')
		(*n)--;
	*pos = nl - buf + 1;
	/* A bare CR inside a line is how request smuggling starts. */
	return memchr(p, '\r', *n) ? -1 : 0;
}

/* "HTTP/1.1" -> minor; -1 malformed, -2 another major version. */
static int http_version(const char *s, size_t n)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) || s[6] != '.' ||
	    s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		return -1;
	if (s[5] != '1')
		return -2;
	return s[7] == '0' ? 0 : 1;
}

static int http_request_line(const char *line, size_t n, struct http_request *req)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *target, *q;
	size_t mlen, tlen;
	int v;

	if (!sp1)
		return 400;
	mlen = sp1 - line;
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2 || !mlen || mlen > HTTP_MAX_METHOD)
		return 400;
	for (size_t i = 0; i < mlen; i++)
		if (!http_tchar(line[i]))
			return 400;
	target = sp1 + 1;
	tlen = sp2 - target;
	if (!tlen || target[0] != '/')
		return 400;
	if (tlen > HTTP_MAX_TARGET)
		return 414;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return 400;
	v = http_version(sp2 + 1, line + n - sp2 - 1);
	if (v == -1)
		return 400;
	if (v == -2)
		return 505;
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';
	q = memchr(target, '?', tlen);
	tlen = q ? (size_t)(q - target) : tlen;
	memcpy(req->path, target, tlen);
	req->path[tlen] = '\0';
	req->minor = v;
	return 0;
}

/* 1*DIGIT, no sign, no list, no overflow. */
static int http_content_length(const char *v, size_t n, size_t *out)
{
	size_t x = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (SIZE_MAX - 9) / 10)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
}

/* Does the comma-separated token list @v contain @tok (any case)? */
static bool http_has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && !strncasecmp(v + s, tok, tl))
			return true;
	}
	return false;
}

#define FIELD_IS(name, nlen, lit) ((nlen) == sizeof(lit) - 1 && !strncasecmp(name, lit, nlen))

int http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
		       struct http_request *req, size_t *scanned)
{
	size_t end, pos = 0, from = scanned && *scanned > 2 ? *scanned - 2 : 0;
	size_t clen = 0, n;
	bool have_clen = false, have_host = false, close = false, keep = false;
	unsigned int nr_fields = 0;
	const char *line;
	int r;

	memset(req, 0, sizeof(*req));
	end = http_header_end(buf, len, MIN(from, len));
	if (!end) {
		if (scanned)
			*scanned = len;
		return len > lim->max_header_bytes ? 431 : 1;
	}
	if (end > lim->max_header_bytes)
		return 431;
	if (http_next_line(buf, end, &pos, &line, &n) < 0)
		return 400;
	r = http_request_line(line, n, req);
	if (r)
		return r;
	for (;;) {
		const char *colon, *v;
		size_t nlen, vlen;

		if (http_next_line(buf, end, &pos, &line, &n) < 0)
			return 400;
		if (!n)
			break;		/* the blank line */
		if (++nr_fields > HTTP_MAX_HEADERS)
			return 431;
		colon = memchr(line, ':', n);
		if (!colon || colon == line)
			return 400;	/* also obs-fold: a line starting with SP/HT */
		nlen = colon - line;
		for (size_t i = 0; i < nlen; i++)
			if (!http_tchar(line[i]))
				return 400;	/* no space before the colon either */
		v = colon + 1;
		vlen = n - nlen - 1;
		for (size_t i = 0; i < vlen; i++)
			if (!http_vchar(v[i]))
				return 400;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (FIELD_IS(line, nlen, "content-length")) {
			size_t x;

			/* Two different lengths: which one a proxy used is unknowable. */
			if (http_content_length(v, vlen, &x) < 0 || (have_clen && x != clen))
				return 400;
			clen = x;
			have_clen = true;
		} else if (FIELD_IS(line, nlen, "transfer-encoding")) {
			return 501;
		} else if (FIELD_IS(line, nlen, "host")) {
			if (have_host)
				return 400;
			have_host = true;
		} else if (FIELD_IS(line, nlen, "connection")) {
			close |= http_has_token(v, vlen, "close");
			keep |= http_has_token(v, vlen, "keep-alive");
		}
	}
	/* RFC 9112 3.2: a 1.1 request without Host is a 400. */
	if (req->minor == 1 && !have_host)
		return 400;
	if (clen > lim->max_body_bytes)
		return 413;
	if (len - end < clen)
		return 1;
	req->keep_alive = !close && (req->minor == 1 || keep);
	req->body = buf + end;
	req->body_len = clen;
	req->consumed = end + clen;
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

int http_format_response(char **out, size_t *out_len, int status, const char *allow,
			 const char *body, size_t body_len, bool close)
{
	char *s = NULL;
	int n;

	n = asprintf(&s, "HTTP/1.1 %d %s\r\n%s%s%s%sContent-Length: %zu\r\n%s\r\n",
		     status, http_reason(status), allow ? "Allow: " : "", allow ? allow : "",
		     allow ? "\r\n" : "",
		     body_len ? "Content-Type: application/json\r\n" : "", body_len,
		     close ? "Connection: close\r\n" : "");
	if (n < 0)
		return -ENOMEM;
	if (body_len) {
		char *t = realloc(s, n + body_len + 1);

		if (!t) {
			free(s);
			return -ENOMEM;
		}
		s = t;
		memcpy(s + n, body, body_len);
		s[n + body_len] = '\0';
	}
	*out = s;
	*out_len = n + body_len;
	return 0;
}

int http_parse_response(const char *buf, size_t len, bool eof, int *status,
			const char **body, size_t *body_len)
{
	size_t end = http_header_end(buf, len, 0), pos = 0, n, clen = 0;
	bool have_clen = false;
	const char *line;

	if (!end)
		return eof ? -EINVAL : 1;
	if (http_next_line(buf, end, &pos, &line, &n) < 0 || n < 12 ||
	    http_version(line, 8) < 0 || line[8] != ' ' ||
	    line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
	    line[11] < '0' || line[11] > '9' || (n > 12 && line[12] != ' '))
		return -EINVAL;
	*status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	while (http_next_line(buf, end, &pos, &line, &n) == 0 && n) {
		const char *colon = memchr(line, ':', n), *v;
		size_t vlen;

		if (!colon)
			return -EINVAL;
		v = colon + 1;
		vlen = n - (colon - line) - 1;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (FIELD_IS(line, (size_t)(colon - line), "content-length")) {
			if (http_content_length(v, vlen, &clen) < 0)
				return -EINVAL;
			have_clen = true;
		}
	}
	if (have_clen && len - end < clen)
		return eof ? -EINVAL : 1;
	if (!have_clen && !eof)
		return 1;
	*body = buf + end;
	*body_len = have_clen ? clen : len - end;
	return 0;
}
