// SPDX-License-Identifier: GPL-2.0
/* A tiny interactive shell on COM1 for `make demo`. */
#include "guest.h"

static void readline(char *buf, size_t len)
{
	size_t n = 0;

	for (;;) {
		int c = serial_getc_timeout(0);

		if (c == '\r' || c == '\n') {
			serial_write("\n", 1);
			break;
		}
		if ((c == 0x7f || c == 0x08) && n) {
			n--;
			serial_write("\b \b", 3);
		} else if (c >= 0x20 && c < 0x7f && n + 1 < len) {
			char ch = c;

			buf[n++] = ch;
			serial_write(&ch, 1);
		}
	}
	buf[n] = '\0';
}

static void info(void)
{
	const u8 *bp = boot_params();
	u64 ram = 0;

	for (int i = 0; i < bp[0x1e8] && i < 128; i++) {
		const u8 *e = bp + 0x2d0 + 20 * i;

		if (*(const u32 *)(e + 16) == 1)
			ram += *(const u64 *)(e + 8);
	}
	printf("cpus: %d (MADT)\n", acpi_get()->ncpus);
	printf("mem: %llu KiB usable in e820\n", ram >> 10);
	printf("cmdline: %s\n", cmdline() ? cmdline() : "");
	printf("tsc: %u kHz (%s)\n", tsc_khz(), tsc_khz_from_cpuid() ? "cpuid" : "pit");
}

static void help(void)
{
	printf("commands:\n"
	       "  help                 this text\n"
	       "  info                 cpus, memory, command line\n"
	       "  tests [a,b,...]      run tests (default: all); list: tests ?\n"
	       "  echo <text>          print text\n"
	       "  poweroff | reboot | panic | triplefault\n");
}

void shell(void)
{
	char line[128];

	printf("type 'help' for commands\n");
	for (;;) {
		const char *arg;

		printf("testguest> ");
		readline(line, sizeof(line));
		arg = line;
		while (*arg && *arg != ' ')
			arg++;
		while (*arg == ' ')
			arg++;
		if (!line[0]) {
			continue;
		} else if (!strcmp(line, "help")) {
			help();
		} else if (!strcmp(line, "info")) {
			info();
		} else if (!strncmp(line, "tests", 5) && (line[5] == ' ' || !line[5])) {
			if (*arg == '?') {
				for (const struct test *t = tests; t->name; t++)
					printf("  %s%s\n", t->name, t->in_all ? "" : " (not in all)");
				continue;
			}
			tests_passed = tests_failed = 0;
			run_tests(*arg ? arg : "all");
			printf("RESULT passed=%d failed=%d\n", tests_passed, tests_failed);
		} else if (!strncmp(line, "echo", 4) && (line[4] == ' ' || !line[4])) {
			printf("%s\n", arg);
		} else if (!strcmp(line, "poweroff")) {
			do_poweroff();
		} else if (!strcmp(line, "reboot")) {
			do_reset();
		} else if (!strcmp(line, "panic")) {
			do_panic();
		} else if (!strcmp(line, "triplefault")) {
			do_triplefault();
		} else {
			printf("unknown command: %s (try help)\n", line);
		}
	}
}
