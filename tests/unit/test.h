/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_H
#define VMM_TEST_H

/*
 * A tiny harness for host-only unit tests. Each tests/unit/test_*.c is its
 * own binary; it prints "ok <name>" or "FAIL <name>: why" per test and a
 * last line "N passed, N failed". Exit status is non-zero on any failure.
 *
 * main() is in test_main.c; a test file holds only TEST()s:
 *	TEST(bus_rejects_overlap) { ... TEST_ASSERT(x == 1, "x=%d", x); }
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn_t)(void);

struct test_case {
	const char *name;
	test_fn_t fn;
};

#define TEST_MAX 256
extern struct test_case test_cases[TEST_MAX];
extern int test_nr_cases;
extern int test_failed_current;

#define TEST(tname)							\
	static void test_##tname(void);					\
	__attribute__((constructor)) static void test_reg_##tname(void)	\
	{								\
		test_cases[test_nr_cases].name = #tname;		\
		test_cases[test_nr_cases++].fn = test_##tname;		\
	}								\
	static void test_##tname(void)

/* Fails the current test (and returns from it) with what was seen. */
#define TEST_ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("  %s:%d: assertion '%s' failed: ",	\
			       __FILE__, __LINE__, #cond);		\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			test_failed_current = 1;			\
			return;						\
		}							\
	} while (0)

#define TEST_ASSERT_EQ(a, b)						\
	TEST_ASSERT((a) == (b), "%s = %lld (0x%llx), expected %lld (0x%llx)", #a, \
		    (long long)(a), (unsigned long long)(a), (long long)(b), \
		    (unsigned long long)(b))

int test_main(void);

#ifdef TEST_MAIN_IMPL
struct test_case test_cases[TEST_MAX];
int test_nr_cases;
int test_failed_current;

int test_main(void)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < test_nr_cases; i++) {
		test_failed_current = 0;
		test_cases[i].fn();
		if (test_failed_current) {
			printf("FAIL %s\n", test_cases[i].name);
			failed++;
		} else {
			printf("ok %s\n", test_cases[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif

#endif
