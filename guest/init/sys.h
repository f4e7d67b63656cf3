/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest init's system calls, without a libc: each returns the kernel's
 * result, a negative errno on failure. Only calls that exist on both x86_64
 * and arm64 (openat, mkdirat, dup3, clone...), so there is one code path.
 */
#ifndef VMM_GUEST_INIT_SYS_H
#define VMM_GUEST_INIT_SYS_H

#include <asm/unistd.h>
#include <linux/reboot.h>

#if defined(__x86_64__)
static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "guest init: unsupported architecture"
#endif

#define SYS(nr, a, b, c, d, e, f) \
	sys6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline long sys_read(int fd, void *buf, unsigned long n)
{
	return SYS(__NR_read, fd, buf, n, 0, 0, 0);
}

static inline long sys_write(int fd, const void *buf, unsigned long n)
{
	return SYS(__NR_write, fd, buf, n, 0, 0, 0);
}

static inline long sys_openat(int dfd, const char *path, int flags, int mode)
{
	return SYS(__NR_openat, dfd, path, flags, mode, 0, 0);
}

static inline long sys_close(int fd)
{
	return SYS(__NR_close, fd, 0, 0, 0, 0, 0);
}

static inline long sys_mkdirat(int dfd, const char *path, int mode)
{
	return SYS(__NR_mkdirat, dfd, path, mode, 0, 0, 0);
}

static inline long sys_mknodat(int dfd, const char *path, int mode, unsigned int dev)
{
	return SYS(__NR_mknodat, dfd, path, mode, dev, 0, 0);
}

static inline long sys_mount(const char *src, const char *dir, const char *type,
			     unsigned long flags, const void *data)
{
	return SYS(__NR_mount, src, dir, type, flags, data, 0);
}

static inline long sys_umount2(const char *dir, int flags)
{
	return SYS(__NR_umount2, dir, flags, 0, 0, 0, 0);
}

static inline long sys_chdir(const char *path)
{
	return SYS(__NR_chdir, path, 0, 0, 0, 0, 0);
}

static inline long sys_chroot(const char *path)
{
	return SYS(__NR_chroot, path, 0, 0, 0, 0, 0);
}

static inline long sys_finit_module(int fd, const char *params, int flags)
{
	return SYS(__NR_finit_module, fd, params, flags, 0, 0, 0);
}

static inline long sys_clock_nanosleep(int clock, int flags, const void *req, void *rem)
{
	return SYS(__NR_clock_nanosleep, clock, flags, req, rem, 0, 0);
}

/* fork(): no new stack, no TLS, SIGCHLD to the parent on exit. */
static inline long sys_fork(int sigchld)
{
	return SYS(__NR_clone, sigchld, 0, 0, 0, 0, 0);
}

static inline long sys_setsid(void)
{
	return SYS(__NR_setsid, 0, 0, 0, 0, 0, 0);
}

static inline long sys_setpgid(int pid, int pgid)
{
	return SYS(__NR_setpgid, pid, pgid, 0, 0, 0, 0);
}

static inline long sys_getpid(void)
{
	return SYS(__NR_getpid, 0, 0, 0, 0, 0, 0);
}

/* The kernel's sigset_t: 64 signals on both. */
static inline long sys_sigprocmask(int how, const unsigned long *set)
{
	return SYS(__NR_rt_sigprocmask, how, set, 0, sizeof(*set), 0, 0);
}

static inline long sys_dup3(int fd, int to, int flags)
{
	return SYS(__NR_dup3, fd, to, flags, 0, 0, 0);
}

static inline long sys_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	return SYS(__NR_ioctl, fd, cmd, arg, 0, 0, 0);
}

static inline long sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return SYS(__NR_execve, path, argv, envp, 0, 0, 0);
}

static inline __attribute__((noreturn)) void sys_exit_group(int code)
{
	for (;;)
		SYS(__NR_exit_group, code, 0, 0, 0, 0, 0);
}

static inline long sys_wait4(int pid, int *status, int options, void *rusage)
{
	return SYS(__NR_wait4, pid, status, options, rusage, 0, 0);
}

static inline long sys_sync(void)
{
	return SYS(__NR_sync, 0, 0, 0, 0, 0, 0);
}

static inline long sys_mmap(void *addr, unsigned long len, int prot, int flags, int fd,
			    unsigned long off)
{
	return SYS(__NR_mmap, addr, len, prot, flags, fd, off);
}

static inline long sys_reboot(unsigned int cmd)
{
	return SYS(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0, 0, 0);
}

#endif
