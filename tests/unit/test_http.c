// SPDX-License-Identifier: GPL-2.0
/* The control API's HTTP/1.1 parser (util/http.c): valid, split and hostile requests. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "util/http.h"

static const struct http_limits lim = { .max_header_bytes = 512, .max_body_bytes = 64 };

static int parse(const char *s, struct http_request *req)
{
	return http_parse_request(s, strlen(s), &lim, req, NULL);
}

TEST(http_parses_a_curl_request)
{
	static const char s[] = "GET /vm HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\n"
		"Accept: */*\r\n\r\n";
	struct http_request req;

	TEST_ASSERT_EQ(parse(s, &req), 0);
	TEST_ASSERT(!strcmp(req.method, "GET"), "%s", req.method);
	TEST_ASSERT(!strcmp(req.path, "/vm"), "%s", req.path);
	TEST_ASSERT_EQ(req.minor, 1);
	TEST_ASSERT(req.keep_alive, "1.1 keeps the connection");
	TEST_ASSERT_EQ(req.body_len, 0);
	TEST_ASSERT_EQ(req.consumed, sizeof(s) - 1);
}

TEST(http_parses_body_query_bare_lf_and_connection_close)
{
	static const char s[] = "PUT /vm/pause?x=1 HTTP/1.1\nhost: a\nConnection: Close\n"
		"content-length: 2\n\n{}GET";
	struct http_request req;

	TEST_ASSERT_EQ(parse(s, &req), 0);
	TEST_ASSERT(!strcmp(req.path, "/vm/pause"), "%s", req.path);
	TEST_ASSERT(!req.keep_alive, "Connection: close");
	TEST_ASSERT_EQ(req.body_len, 2);
	TEST_ASSERT(!memcmp(req.body, "{}", 2), "body");
	/* What follows is the next request's. */
	TEST_ASSERT_EQ(req.consumed, sizeof(s) - 1 - 3);
}

TEST(http_1_0_closes_unless_keep_alive_and_needs_no_host)
{
	struct http_request req;

	TEST_ASSERT_EQ(parse("GET /vm HTTP/1.0\r\n\r\n", &req), 0);
	TEST_ASSERT(!req.keep_alive, "1.0 closes");
	TEST_ASSERT_EQ(parse("GET /vm HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req), 0);
	TEST_ASSERT(req.keep_alive, "1.0 with keep-alive");
}

TEST(http_waits_for_every_byte_of_a_split_request)
{
	static const char s[] = "PUT /vm/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{ } ";
	size_t scanned = 0;
	struct http_request req;

	/* A byte at a time, as a slow client sends it: never a verdict too early. */
	for (size_t n = 0; n < sizeof(s) - 1; n++)
		TEST_ASSERT_EQ(http_parse_request(s, n, &lim, &req, &scanned), 1);
	TEST_ASSERT_EQ(http_parse_request(s, sizeof(s), &lim, &req, &scanned), 0);
	TEST_ASSERT_EQ(req.body_len, 5);
}

TEST(http_refuses_malformed_requests_with_400)
{
	static const char *const bad[] = {
		"GET /vm\r\n\r\n",				/* no version */
		"GET  /vm HTTP/1.1\r\nHost: a\r\n\r\n",		/* two spaces */
		"GET vm HTTP/1.1\r\nHost: a\r\n\r\n",		/* not origin-form */
		"GET http://localhost/vm HTTP/1.1\r\nHost: a\r\n\r\n",
		"G(T /vm HTTP/1.1\r\nHost: a\r\n\r\n",		/* not a token */
		"GET /v m HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /vm HTTP/1.1\r\n\r\n",			/* 1.1 without Host */
		"GET /vm HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET /vm HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",	/* obs-fold */
		"GET /vm HTTP/1.1\r\nHost : a\r\n\r\n",		/* space before colon */
		"GET /vm HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
		"GET /vm HTTP/1.1\r\nHost: a\rb\r\n\r\n",	/* bare CR */
		"GET /vm HTTP/1.1\r\nHost: a\x01\r\n\r\n",	/* control character */
		"GET /vm HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
		"GET /vm HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx",
		"GET /vm HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
		"GET /vm HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"GET /vm HTTP/x.1\r\nHost: a\r\n\r\n",
		"GET /vm HTTP/1.1 \r\nHost: a\r\n\r\n",
		" GET /vm HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\n\r\n",
	};
	struct http_request req;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEST_ASSERT(parse(bad[i], &req) == 400, "#%zu '%s' -> %d", i, bad[i],
			    parse(bad[i], &req));
	/* A NUL inside a field value, which strlen() would hide. */
	TEST_ASSERT_EQ(http_parse_request("GET /vm HTTP/1.1\r\nHost: a\0b\r\n\r\n", 31, &lim,
					  &req, NULL), 400);
}

TEST(http_refuses_what_it_does_not_speak)
{
	struct http_request req;
	char big[1100];

	TEST_ASSERT_EQ(parse("GET /vm HTTP/2.0\r\nHost: a\r\n\r\n", &req), 505);
	TEST_ASSERT_EQ(parse("PUT /vm HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
			     &req), 501);
	TEST_ASSERT_EQ(parse("PUT /vm HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", &req),
		       413);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	strcpy(big + 1030, " HTTP/1.1\r\n\r\n");
	TEST_ASSERT_EQ(http_parse_request(big, strlen(big), &(struct http_limits){ 4096, 0 },
					  &req, NULL), 414);
}

TEST(http_header_section_over_the_limit_is_431_even_unfinished)
{
	char buf[600];
	struct http_request req;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET /vm HTTP/1.1\r\nX: ", 21);
	/* Never a blank line: the limit, not the missing end, decides. */
	TEST_ASSERT_EQ(http_parse_request(buf, 512, &lim, &req, NULL), 1);
	TEST_ASSERT_EQ(http_parse_request(buf, 513, &lim, &req, NULL), 431);
	memcpy(buf + 590, "\r\n\r\n", 4);
	TEST_ASSERT_EQ(http_parse_request(buf, 594, &lim, &req, NULL), 431);
}

TEST(http_too_many_header_fields_is_431)
{
	static const struct http_limits wide = { 8192, 0 };
	char buf[8192];
	size_t n = sprintf(buf, "GET /vm HTTP/1.1\r\nHost: a\r\n");
	struct http_request req;

	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		n += sprintf(buf + n, "X-%d: y\r\n", i);
	n += sprintf(buf + n, "\r\n");
	TEST_ASSERT_EQ(http_parse_request(buf, n, &wide, &req, NULL), 431);
}

TEST(http_formats_and_parses_back_a_response)
{
	char *out;
	const char *body;
	size_t len, blen;
	int status;

	TEST_ASSERT_EQ(http_format_response(&out, &len, 405, "GET", "{\"a\":1}", 7, true), 0);
	TEST_ASSERT(strstr(out, "HTTP/1.1 405 Method Not Allowed\r\n") == out, "%s", out);
	TEST_ASSERT(strstr(out, "\r\nAllow: GET\r\n"), "%s", out);
	TEST_ASSERT(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
	TEST_ASSERT(strstr(out, "\r\nContent-Length: 7\r\n"), "%s", out);
	TEST_ASSERT_EQ(http_parse_response(out, len - 1, false, &status, &body, &blen), 1);
	TEST_ASSERT_EQ(http_parse_response(out, len, false, &status, &body, &blen), 0);
	TEST_ASSERT_EQ(status, 405);
	TEST_ASSERT(blen == 7 && !memcmp(body, "{\"a\":1}", 7), "body");
	free(out);
	TEST_ASSERT_EQ(http_parse_response("HTTP/1.1 2x0 OK\r\n\r\n", 19, true, &status, &body,
					   &blen), -EINVAL);
	TEST_ASSERT_EQ(http_parse_response("garbage", 7, true, &status, &body, &blen), -EINVAL);
}
