// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/kick.h"
#include "util/thread.h"
#include "util/types.h"

#define THREAD_ALTSTACK_SIZE (64 * 1024)

static const int fault_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	bool kickable;
	char name[16];
};

static __thread void *altstack;

void thread_altstack_init(void)
{
	stack_t ss = { .ss_size = THREAD_ALTSTACK_SIZE };

	if (altstack)
		return;
	ss.ss_sp = malloc(THREAD_ALTSTACK_SIZE);
	if (ss.ss_sp && sigaltstack(&ss, NULL) == 0)
		altstack = ss.ss_sp;
	else
		free(ss.ss_sp);
}

static void thread_altstack_free(void)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (!altstack)
		return;
	sigaltstack(&ss, NULL);
	free(altstack);
	altstack = NULL;
}

static void *thread_trampoline(void *p)
{
	struct thread_start st = *(struct thread_start *)p;
	void *ret;

	free(p);
	if (st.name[0])
		pthread_setname_np(pthread_self(), st.name);
	thread_altstack_init();
	if (st.kickable)
		kick_accept();
	ret = st.fn(st.arg);
	thread_altstack_free();
	return ret;
}

int thread_spawn(pthread_t *thread, const pthread_attr_t *attr, const char *name,
		 bool kickable, void *(*fn)(void *), void *arg)
{
	struct thread_start *st = calloc(1, sizeof(*st));
	sigset_t mask, old;
	int err;

	if (!st)
		return ENOMEM;
	st->fn = fn;
	st->arg = arg;
	st->kickable = kickable;
	if (name)
		snprintf(st->name, sizeof(st->name), "%s", name);
	kick_init();
	/* The new thread inherits this mask. */
	sigfillset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(fault_sigs); i++)
		sigdelset(&mask, fault_sigs[i]);
	pthread_sigmask(SIG_SETMASK, &mask, &old);
	err = pthread_create(thread, attr, thread_trampoline, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		free(st);
	return err;
}
