// SPDX-License-Identifier: GPL-2.0
/*
 * vcpus_pause() on a real VM: while the test guest makes port I/O exits as
 * fast as it can, a pause must stop them within 100 ms and keep them
 * stopped (sleeping, not spinning), and a resume must let them go on.
 * Prints one "ok|FAIL name: detail" line per check.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "run/lifecycle.h"
#include "vcpu/vcpu.h"

static struct vm vm;

static void *runner(void *arg)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 30;
	vm_run(&vm, &deadline, NULL);
	return NULL;
}

static u64 exits(void)
{
	return __atomic_load_n(&vm.vcpus[0]->nr_exits, __ATOMIC_RELAXED);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
	struct vm_config cfg;
	pthread_t t;
	u64 a, b, c;
	double t0, pause_ms, cpu0, cpu_paused;
	int failed = 0;

	config_defaults(&cfg);
	cfg.nr_cpus = 2;
	cfg.ram_size = 128 * MiB;
	cfg.cmdline = "vmmtest=bench_pio";
	if (vm_open(&vm, &cfg) || arch_vm_init(&vm) || arch_load_kernel(&vm) ||
	    vcpus_create(&vm, cfg.nr_cpus)) {
		printf("FAIL vcpu_pause: cannot build the VM\n");
		return 1;
	}
	pthread_create(&t, NULL, runner, NULL);
	usleep(300 * 1000);

	t0 = now_ms();
	if (vcpus_pause(&vm, 5000) < 0) {
		printf("FAIL vcpu_pause_stops_exits: not paused within 5 s\n");
		failed = 1;
	}
	pause_ms = now_ms() - t0;
	a = exits();
	cpu0 = cpu_ms();
	usleep(300 * 1000);
	cpu_paused = cpu_ms() - cpu0;
	b = exits();
	vcpus_resume(&vm);
	usleep(300 * 1000);
	c = exits();

	if (a > 0 && pause_ms < 100) {
		printf("ok vcpu_pause_is_prompt: %llu exits before, paused in %.1f ms\n",
		       (unsigned long long)a, pause_ms);
	} else {
		printf("FAIL vcpu_pause_is_prompt: %llu exits, pause took %.1f ms\n",
		       (unsigned long long)a, pause_ms);
		failed = 1;
	}
	if (a == b && cpu_paused < 30) {
		printf("ok vcpu_pause_holds_without_spinning: no exits, %.1f ms cpu in 300 ms\n",
		       cpu_paused);
	} else {
		printf("FAIL vcpu_pause_holds_without_spinning: %llu exits while paused, %.1f ms cpu\n",
		       (unsigned long long)(b - a), cpu_paused);
		failed = 1;
	}
	if (c > b) {
		printf("ok vcpu_resume_continues: %llu exits after resume\n",
		       (unsigned long long)(c - b));
	} else {
		printf("FAIL vcpu_resume_continues: no exits after resume\n");
		failed = 1;
	}

	vm_request_stop(&vm, VM_STOP_QUIT);
	pthread_join(t, NULL);
	vm_teardown(&vm);
	return failed;
}
