// SPDX-License-Identifier: GPL-2.0
#define TEST_MAIN_IMPL
#include "test.h"

int main(void)
{
	return test_main();
}
