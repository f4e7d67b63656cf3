// SPDX-License-Identifier: GPL-2.0
/*
 * stopwatch PATTERN -- CMD ARGS...: run CMD with stdout on a pipe and print
 * "first_byte_ms=<t> match_ms=<t> exit_ms=<t> status=<s>": when its first
 * output byte, the first line containing PATTERN, and its exit came. When
 * PATTERN is seen the command is sent SIGTERM (for guests that never stop).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double start, first = -1, match = -1;
	char line[4096];
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: stopwatch PATTERN -- CMD ARGS...\n");
		return 2;
	}
	if (pipe(fds))
		return 1;
	start = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char c;
		ssize_t n = read(fds[0], &c, 1);

		if (n <= 0)
			break;
		if (first < 0)
			first = now_ms() - start;
		if (c == '\n' || len == sizeof(line) - 1) {
			line[len] = 0;
			if (match < 0 && strstr(line, argv[1])) {
				match = now_ms() - start;
				kill(pid, SIGTERM);
			}
			len = 0;
		} else {
			line[len++] = c;
		}
	}
	waitpid(pid, &status, 0);
	printf("first_byte_ms=%.1f match_ms=%.1f exit_ms=%.1f status=%d\n", first, match,
	       now_ms() - start, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
