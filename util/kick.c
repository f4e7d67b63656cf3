// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <signal.h>

#include "util/kick.h"

static void kick_handler(int sig)
{
	(void)sig;
}

static void kick_install(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: the interrupted call must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
}

void kick_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, kick_install);
}

void kick_accept(void)
{
	sigset_t set;

	kick_init();
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void kick_thread(pthread_t thread)
{
	pthread_kill(thread, KICK_SIGNAL);
}
