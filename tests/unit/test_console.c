// SPDX-License-Identifier: GPL-2.0
#include "devices/console.h"
#include "test.h"

static bool feed(struct panic_watch *w, const char *s)
{
	return panic_watch_feed(w, (const u8 *)s, strlen(s));
}

TEST(panic_watch_fires_at_the_end_of_the_panic_line)
{
	struct panic_watch w = { 0 };

	TEST_ASSERT(!feed(&w, "[    1.0] Kernel panic - not syncing: Attempted to kill init!"),
		    "fired before the newline");
	TEST_ASSERT(feed(&w, "\r\n"), "did not fire at the newline");
}

TEST(panic_watch_survives_splits_and_near_misses)
{
	struct panic_watch w = { 0 };
	const char *s = "Kernel panic - not syncing: x\n";

	TEST_ASSERT(!feed(&w, "Kernel panic - not synced\nKKernel panic"), "near miss fired");
	for (size_t i = 0; s[i]; i++) {
		bool fired = panic_watch_feed(&w, (const u8 *)&s[i], 1);

		TEST_ASSERT(fired == (s[i] == '\n'), "byte %zu: fired=%d", i, fired);
	}
}

TEST(panic_watch_ignores_ordinary_output)
{
	struct panic_watch w = { 0 };

	TEST_ASSERT(!feed(&w, "Kernel: panic=-1\nKernel panic is a state of mind\n"), "fired");
	TEST_ASSERT(!w.seen, "seen");
}
