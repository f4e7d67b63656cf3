// SPDX-License-Identifier: GPL-2.0
/* Host CPU lists (--vcpu-affinity, --io-affinity). */
#include <errno.h>

#include "test.h"
#include "util/cpulist.h"
#include "util/types.h"

static const char *fmt(const cpu_set_t *set)
{
	static char buf[128];

	cpulist_format(set, buf, sizeof(buf));
	return buf;
}

TEST(cpulist_parses_numbers_ranges_and_lists)
{
	static const struct { const char *in, *out; int count; } ok[] = {
		{ "0", "0", 1 },
		{ "3", "3", 1 },
		{ "0-3", "0-3", 4 },
		{ "0,2", "0,2", 2 },
		{ "0-1,4-5,7", "0-1,4-5,7", 5 },
		{ "5,1,3-3", "1,3,5", 3 },
		{ "2-4,3", "2-4", 3 },
		{ "1023", "1023", 1 },
	};
	const char *why = NULL;
	cpu_set_t s;

	for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
		TEST_ASSERT(cpulist_parse(ok[i].in, &s, &why) == 0, "%s: %s", ok[i].in, why);
		TEST_ASSERT(!strcmp(fmt(&s), ok[i].out), "%s -> %s", ok[i].in, fmt(&s));
		TEST_ASSERT_EQ(CPU_COUNT(&s), ok[i].count);
	}
}

TEST(cpulist_refuses_malformed_lists_with_a_reason)
{
	static const char *bad[] = {
		"", ",", "0,", ",0", "0,,1", "a", "1-", "-1", "3-1", "0 1", "1.5", "0-3x",
		"1024", "99999999999999999999", "0-1024",
	};
	const char *why;
	cpu_set_t s;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		TEST_ASSERT(cpulist_parse(bad[i], &s, &why) == -EINVAL, "'%s' accepted", bad[i]);
		TEST_ASSERT(why && *why && !strchr(why, '\n'), "'%s': no one-line reason", bad[i]);
	}
}

TEST(cpulist_nth_wraps_around_the_set)
{
	const char *why;
	cpu_set_t s;

	TEST_ASSERT_EQ(cpulist_parse("2,5-6", &s, &why), 0);
	TEST_ASSERT_EQ(cpulist_nth(&s, 0), 2);
	TEST_ASSERT_EQ(cpulist_nth(&s, 1), 5);
	TEST_ASSERT_EQ(cpulist_nth(&s, 2), 6);
	TEST_ASSERT_EQ(cpulist_nth(&s, 3), 2);
	TEST_ASSERT_EQ(cpulist_nth(&s, 7), 5);
	CPU_ZERO(&s);
	TEST_ASSERT_EQ(cpulist_nth(&s, 0), -1);
}

TEST(cpulist_format_truncates_safely)
{
	const char *why;
	char buf[6];
	cpu_set_t s;

	TEST_ASSERT_EQ(cpulist_parse("0,2,4,6,8,10", &s, &why), 0);
	cpulist_format(&s, buf, sizeof(buf));
	TEST_ASSERT(!strcmp(buf, "0,2,4"), "'%s'", buf);
	CPU_ZERO(&s);
	cpulist_format(&s, buf, sizeof(buf));
	TEST_ASSERT(!strcmp(buf, ""), "'%s'", buf);
}

TEST(cpulist_checks_against_this_process)
{
	cpu_set_t allowed, s;
	const char *why = NULL;

	TEST_ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	TEST_ASSERT_EQ(cpulist_check_allowed(&allowed, &why), 0);
	CPU_ZERO(&s);
	CPU_SET(CPU_SETSIZE - 1, &s);
	TEST_ASSERT_EQ(cpulist_check_allowed(&s, &why), -EINVAL);
	TEST_ASSERT(why && strstr(why, "host CPU 1023 is not available"), "%s", why);
}
