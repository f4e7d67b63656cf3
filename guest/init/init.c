// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the initramfs vmm builds for `vmm run --exec CMD` and `--rootfs DIR`
 * (run/exec_proto.h): load the modules, mount the virtio-fs root and move
 * into it, then either run CMD and report how it ended through the status
 * register, or hand PID 1 to the root's own init. Freestanding and static:
 * no libc, raw system calls (sys.h), UAPI headers only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <asm/termios.h>
#include <linux/auxvec.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/reboot.h>
#include <linux/signal.h>
#include <linux/stat.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/types.h>

#include "run/exec_proto.h"
#include "guest/init/sys.h"

/* umount2() flag: <sys/mount.h> has it, no UAPI header does. */
#define MNT_DETACH	2
/* /dev/mem, 1:1, in the old 8:8 encoding mknod() still takes. */
#define DEV_MEM		(1 << 8 | 1)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ROOT_DIR	"/newroot"
#define PATH_ENV	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The kernel enters here, with argc, argv, envp and auxv at the stack pointer. */
#if defined(__x86_64__)
__asm__(".pushsection .text\n"
	".global _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call main\n"
	"	ud2\n"
	".popsection\n");
#else
__asm__(".pushsection .text\n"
	".global _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl main\n"
	"	brk #0\n"
	".popsection\n");
#endif

/* What the compiler may call even in a freestanding program. */
void *memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	if (dp <= sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	char *dp = d;

	while (n--)
		*dp++ = c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *ap = a, *bp = b;

	for (; n; n--, ap++, bp++)
		if (*ap != *bp)
			return *ap - *bp;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* What follows prefix in s, or NULL if s does not start with it. */
static const char *str_after(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return NULL;
	return s;
}

/* Whether @needle occurs in @s. */
static int str_find(const char *s, const char *needle)
{
	for (; *s; s++)
		if (str_after(s, needle))
			return 1;
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	const char *rest = str_after(a, b);

	return rest && !*rest;
}

/* Joins s and the strings after it up to NULL; -1 if they did not fit. */
static long str_vjoin(char *buf, size_t size, const char *s, va_list ap)
{
	size_t n = 0;

	for (; s; s = va_arg(ap, const char *)) {
		for (; *s; s++) {
			if (n + 1 >= size) {
				buf[n] = 0;
				return -1;
			}
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	return n;
}

static long str_join(char *buf, size_t size, const char *s, ...)
{
	va_list ap;
	long n;

	va_start(ap, s);
	n = str_vjoin(buf, size, s, ap);
	va_end(ap);
	return n;
}

/* Copies the next word (ended by a space or control character); NULL at the end. */
static const char *word_next(const char *s, char *word, size_t size)
{
	size_t n = 0;

	while (*s && (unsigned char)*s <= ' ')
		s++;
	if (!*s)
		return NULL;
	for (; (unsigned char)*s > ' '; s++)
		if (n + 1 < size)
			word[n++] = *s;
	word[n] = 0;
	return s;
}

/* v in base 10 or 16 (then after "0x"), in a buffer the next call reuses. */
static const char *num_str(unsigned long v, unsigned int base)
{
	static char buf[24];
	char *p = buf + sizeof(buf) - 1;

	*p = 0;
	do
		*--p = "0123456789abcdef"[v % base];
	while (v /= base);
	if (base == 16) {
		*--p = 'x';
		*--p = '0';
	}
	return p;
}

/* Decimal, or hexadecimal after "0x". */
static unsigned long num_parse(const char *s)
{
	unsigned long v = 0, base = 10, d;
	const char *hex = str_after(s, "0x");

	if (hex) {
		s = hex;
		base = 16;
	}
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			return v;
		v = v * base + d;
	}
}

#define E(name)	{ name, #name }
static const struct {
	int nr;
	const char *name;
} errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST),
	E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENOTTY), E(ENOSPC), E(EROFS),
	E(ENAMETOOLONG), E(ENOSYS), E(ELOOP), E(EBADMSG), E(ETIMEDOUT), E(ENOKEY),
	E(EKEYREJECTED),
};
#undef E

/* errno as its name, or as a number when it is a rare one. */
static const char *err_name(long err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].nr == err)
			return errno_names[i].name;
	return num_str(err, 10);
}

/* One line on the console: "vmm-init: " and the strings up to NULL. */
static void say(const char *s, ...)
{
	static const char prefix[] = "vmm-init: ";
	char line[512];
	size_t n = sizeof(prefix) - 1;
	va_list ap;

	memcpy(line, prefix, n);
	va_start(ap, s);
	str_vjoin(line + n, sizeof(line) - n - 1, s, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	sys_write(2, line, n);
}

static void sleep_ms(long ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	/* Woken early by a signal, we only try again sooner. */
	sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* A whole small file as a string in buf; its length, or -errno. */
static long file_read(const char *path, char *buf, size_t size)
{
	long fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), r = 0;
	size_t n = 0;

	if (fd < 0)
		return fd;
	while (n < size - 1 && (r = sys_read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	sys_close(fd);
	buf[n] = 0;
	return r < 0 ? r : (long)n;
}

static unsigned long page_size = 4096;

/* The kernel's page size (4, 16 or 64 KiB on arm64) from the auxiliary vector. */
static void auxv_read(unsigned long *sp)
{
	unsigned long *p = sp + 1 + sp[0] + 1;	/* past argc, argv[] and its NULL */

	while (*p++)				/* past envp[] */
		;
	for (; p[0] != AT_NULL; p += 2)
		if (p[0] == AT_PAGESZ)
			page_size = p[1];
}

static struct {
	const char *mode, *root, *cmd, *cwd, *term, *modules;
	unsigned long rw, in_tty, out_tty, rows, cols, status;
} cfg = {
	.root = EXEC_ROOT_TAG, .cwd = "/", .term = "linux", .in_tty = 1, .out_tty = 1,
};
static int exec_mode;

static const struct {
	const char *key;
	const char **str;	/* a string value, or */
	unsigned long *num;	/* a number */
} config_keys[] = {
	{ "mode=", &cfg.mode, NULL }, { "root=", &cfg.root, NULL }, { "cmd=", &cfg.cmd, NULL },
	{ "cwd=", &cfg.cwd, NULL }, { "term=", &cfg.term, NULL },
	{ "modules=", &cfg.modules, NULL }, { "rw=", NULL, &cfg.rw },
	{ "in_tty=", NULL, &cfg.in_tty }, { "out_tty=", NULL, &cfg.out_tty },
	{ "rows=", NULL, &cfg.rows }, { "cols=", NULL, &cfg.cols },
	{ "status=", NULL, &cfg.status },
};

static long config_load(void)
{
	static char buf[EXEC_CONFIG_MAX + 1];
	long n = file_read(EXEC_CONFIG_PATH, buf, sizeof(buf));
	const char *p, *v;
	size_t i;

	if (n < 0) {
		say("cannot read " EXEC_CONFIG_PATH ": ", err_name(-n), NULL);
		return n;
	}
	for (p = buf; p < buf + n; p += strlen(p) + 1) {
		for (i = 0; i < ARRAY_SIZE(config_keys); i++) {
			v = str_after(p, config_keys[i].key);
			if (v && config_keys[i].str)
				*config_keys[i].str = v;
			else if (v)
				*config_keys[i].num = num_parse(v);
		}
	}

	exec_mode = cfg.mode && str_eq(cfg.mode, "exec");
	if ((!exec_mode && !(cfg.mode && str_eq(cfg.mode, "rootfs"))) || (exec_mode && !cfg.cmd)) {
		say(EXEC_CONFIG_PATH " has no mode=rootfs, nor mode=exec with a cmd=", NULL);
		return -EINVAL;
	}
	return 0;
}

/*
 * The kernel command line as NUL-ended words; double quotes group as in the
 * kernel's parser. What follows "--" is init's arguments, not parameters.
 */
static char cmdline[4096];
static const char *cmdline_end = cmdline;

static void cmdline_load(void)
{
	long n = file_read("/proc/cmdline", cmdline, sizeof(cmdline));
	int quoted = 0;
	char *p;

	if (n < 0) {
		say("cannot read /proc/cmdline: ", err_name(-n), NULL);
		return;
	}
	for (p = cmdline; p < cmdline + n; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (unsigned char)*p <= ' ')
			*p = 0;
	}
	for (p = cmdline; p < cmdline + n && !str_eq(p, "--"); p += strlen(p) + 1)
		;
	cmdline_end = p;
}

/* The value of a "NAME.param=value" word for module name, '-' and '_' alike as for modprobe. */
static const char *module_param(const char *word, const char *name)
{
	for (; *name; word++, name++)
		if (*word != *name && !((*word == '-' || *word == '_') &&
					(*name == '-' || *name == '_')))
			return NULL;
	return *word == '.' ? word + 1 : NULL;
}

static void module_load(const char *name)
{
	char path[320], params[sizeof(cmdline)];
	const char *w, *v;
	size_t n = 0, len;
	long fd, err;

	/* Shorter than the words they come from: they fit. */
	for (w = cmdline; w < cmdline_end; w += strlen(w) + 1) {
		v = module_param(w, name);
		if (!v)
			continue;
		if (n)
			params[n++] = ' ';
		len = strlen(v);
		memcpy(params + n, v, len);
		n += len;
	}
	params[n] = 0;

	if (str_join(path, sizeof(path), EXEC_MODULES_DIR "/", name, ".ko", NULL) < 0) {
		err = -ENAMETOOLONG;
	} else {
		fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
		err = fd;
		if (fd >= 0) {
			err = sys_finit_module(fd, params, 0);
			sys_close(fd);
		}
	}
	if (err && err != -EEXIST)
		say("cannot load module ", name, ": ", err_name(-err), NULL);
}

static void modules_load(void)
{
	const char *p = cfg.modules;
	char name[256];

	while (p && (p = word_next(p, name, sizeof(name))))
		module_load(name);
}

static long root_mount(void)
{
	unsigned long flags = cfg.rw ? 0 : MS_RDONLY;
	long err;
	int tries;

	/*
	 * virtio-fs may probe a little after its module loaded: retry for 5 s.
	 * ENODEV (no virtiofs file system at all) will not change.
	 */
	for (tries = 500;; tries--) {
		err = sys_mount(cfg.root, ROOT_DIR, "virtiofs", flags, NULL);
		if (!err)
			return 0;
		if (!tries || (err != -ENOENT && err != -EINVAL && err != -ENXIO))
			break;
		sleep_ms(10);
	}
	say("cannot mount the root (virtiofs tag ", cfg.root, "): ", err_name(-err),
	    err == -ENODEV ? ": the kernel has no virtiofs; give vmm --modules DIR" : "", NULL);
	return err;
}

/* File systems in the root, relative to it. */
#define MNT_MKDIR	1	/* create the mount point (in devtmpfs) */
#define MNT_RO_ONLY	2	/* somewhere to write in a read-only root */
static const struct {
	const char *type, *dir, *data;
	unsigned long flags;
	int how;
} root_mounts[] = {
	{ "proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0 },
	{ "sysfs", "sys", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0 },
	{ "devtmpfs", "dev", NULL, MS_NOSUID, 0 },
	{ "devpts", "dev/pts", "gid=5,mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC, MNT_MKDIR },
	{ "tmpfs", "dev/shm", "mode=1777", MS_NOSUID | MS_NODEV, MNT_MKDIR },
	{ "tmpfs", "tmp", "mode=1777", MS_NOSUID | MS_NODEV, MNT_RO_ONLY },
	{ "tmpfs", "run", "mode=0755", MS_NOSUID | MS_NODEV, MNT_RO_ONLY },
	{ "tmpfs", "var/tmp", "mode=1777", MS_NOSUID | MS_NODEV, MNT_RO_ONLY },
};

/* Runs in ROOT_DIR. A mount point the root lacks is no error. */
static void root_populate(void)
{
	size_t i;
	long err;

	for (i = 0; i < ARRAY_SIZE(root_mounts); i++) {
		typeof(root_mounts[0]) *m = &root_mounts[i];

		if ((m->how & MNT_RO_ONLY) && cfg.rw)
			continue;
		if (m->how & MNT_MKDIR) {
			err = sys_mkdirat(AT_FDCWD, m->dir, 0755);
			if (err && err != -EEXIST)
				say("cannot create /", m->dir, ": ", err_name(-err), NULL);
		}
		err = sys_mount(m->type, m->dir, m->type, m->flags, m->data);
		if (err && err != -ENOENT)
			say("cannot mount ", m->type, " on /", m->dir, ": ", err_name(-err), NULL);
	}
}

static long root_switch(void)
{
	long err = sys_chdir(ROOT_DIR);

	if (!err) {
		root_populate();
		/* The root has its own /proc now; nothing may keep ours. */
		err = sys_umount2("/proc", MNT_DETACH);
		if (err)
			say("cannot unmount /proc: ", err_name(-err), NULL);
		err = sys_mount(".", "/", NULL, MS_MOVE, NULL);
	}
	if (!err)
		err = sys_chroot(".");
	if (!err)
		err = sys_chdir("/");
	if (err)
		say("cannot switch to the root: ", err_name(-err), NULL);
	return err;
}

/* One 32-bit store to vmm's status register, through /dev/mem; it stops the VM. */
static void status_report(unsigned int value)
{
	unsigned long off = cfg.status & (page_size - 1);
	long fd, p;

	if (!cfg.status)
		return;
	fd = sys_openat(AT_FDCWD, "/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC, 0);
	/* Before the switch there is no devtmpfs: make the node in the initramfs. */
	if (fd == -ENOENT && !sys_mknodat(AT_FDCWD, "/dev/mem", S_IFCHR | 0600, DEV_MEM))
		fd = sys_openat(AT_FDCWD, "/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC, 0);
	if (fd < 0) {
		say("cannot report the exit status: /dev/mem: ", err_name(-fd), NULL);
		return;
	}
	p = sys_mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, cfg.status - off);
	sys_close(fd);
	if (p < 0) {
		say("cannot report the exit status: mmap of /dev/mem: ", err_name(-p), NULL);
		return;
	}
	*(volatile __u32 *)(p + off) = value;
	say("cannot report the exit status: no register at ", num_str(cfg.status, 16), NULL);
}

static __attribute__((noreturn)) void power_off(void)
{
	long err;

	sys_sync();
	err = sys_reboot(LINUX_REBOOT_CMD_POWER_OFF);
	say("cannot power off: ", err_name(-err), NULL);
	for (;;)
		sleep_ms(1000000);
}

/* PID 1 must not exit: that would panic the kernel. */
static __attribute__((noreturn)) void init_fail(long err)
{
	status_report(EXEC_STATUS(EXEC_STATUS_INIT_FAILED, -err));
	power_off();
}

/* The console's real tty (/dev/console cannot be a controlling terminal), or -1. */
static long console_open(void)
{
	char active[256], name[64] = "", path[80];
	const char *p = active;

	if (file_read("/sys/class/tty/console/active", active, sizeof(active)) < 0)
		return -1;
	/* The last one listed is /dev/console's. */
	while ((p = word_next(p, name, sizeof(name))))
		;
	if (!name[0] || str_join(path, sizeof(path), "/dev/", name, NULL) < 0)
		return -1;
	return sys_openat(AT_FDCWD, path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
}

static void tty_setup(int fd)
{
	struct winsize ws = { .ws_row = cfg.rows, .ws_col = cfg.cols };
	struct termios t;
	long err;

	err = sys_ioctl(fd, TCGETS, (unsigned long)&t);
	if (!err) {
		/* Not a terminal on vmm's side: bytes pass unchanged, nothing echoes. */
		if (!cfg.out_tty)
			t.c_oflag &= ~OPOST;
		if (!cfg.in_tty)
			t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOKE);
		err = sys_ioctl(fd, TCSETS, (unsigned long)&t);
	}
	if (!err && cfg.rows && cfg.cols)
		err = sys_ioctl(fd, TIOCSWINSZ, (unsigned long)&ws);
	if (err)
		say("cannot set up the terminal: ", err_name(-err), NULL);
}

/*
 * Terminal control from outside its foreground process group, by PID 1 or
 * by CMD before it is there, would stop the caller (or fail, EIO, for PID 1)
 * but for SIGTTOU blocked.
 */
static const unsigned long sigttou = 1UL << (SIGTTOU - 1);

/* The child: CMD in the foreground process group of PID 1's session. */
static __attribute__((noreturn)) void cmd_run(long tty, int ctl)
{
	char *argv[] = { "sh", "-c", (char *)cfg.cmd, NULL };
	char term[128];
	char *envp[] = { "HOME=/root", term, PATH_ENV, "USER=root", "LOGNAME=root",
			 "SHELL=/bin/sh", NULL };
	int fd, pid = sys_getpid();
	long err;

	str_join(term, sizeof(term), "TERM=", cfg.term, NULL);
	err = sys_setpgid(0, 0);
	if (!err)
		err = sys_ioctl(ctl, TIOCSPGRP, (unsigned long)&pid);
	if (!err)
		err = sys_sigprocmask(SIG_UNBLOCK, &sigttou);
	if (err)
		say("cannot move the command to the foreground: ", err_name(-err), NULL);
	for (fd = 0; tty >= 0 && fd < 3; fd++) {
		err = sys_dup3(tty, fd, 0);
		if (err < 0)
			say("cannot give the terminal to the command: ", err_name(-err), NULL);
	}
	err = sys_chdir(cfg.cwd);
	if (err) {
		say("cannot enter ", cfg.cwd, ": ", err_name(-err), "; running in /", NULL);
		sys_chdir("/");
	}
	err = sys_execve("/bin/sh", argv, envp);
	say("cannot run /bin/sh: ", err_name(-err), NULL);
	sys_exit_group(127);
}

/*
 * CMD died of a fault: the kernel's own line about it ("segfault at ...",
 * "unhandled level 3 translation fault ..."), logged at a level that
 * "quiet" keeps off the console, read back from /dev/kmsg. The last few
 * such records, as they are.
 */
static void fault_report(void)
{
	static char rec[4][256];
	char buf[1024];
	long fd = sys_openat(AT_FDCWD, "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0), n;
	unsigned int nr = 0;

	if (fd < 0)
		return;
	/* One record a read; EAGAIN at the end of the buffer. */
	while ((n = sys_read(fd, buf, sizeof(buf) - 1)) > 0 || n == -EPIPE) {
		char *text;

		if (n < 0)
			continue;	/* overwritten while read: go on with the next */
		buf[n] = 0;
		for (text = buf; *text && *text != ';'; text++)
			;
		/*
		 * x86: "sh[85]: segfault at ..." or "traps: sh[85] trap invalid
		 * opcode ..."; arm64: "sh[85]: unhandled level 3 translation fault ...".
		 */
		if (!*text || (!str_find(text, "segfault at") && !str_find(text, "traps: ") &&
			       !str_find(text, "]: unhandled ")))
			continue;
		str_join(rec[nr++ % ARRAY_SIZE(rec)], sizeof(rec[0]), text + 1, NULL);
	}
	sys_close(fd);
	for (unsigned int i = nr > ARRAY_SIZE(rec) ? nr - ARRAY_SIZE(rec) : 0; i < nr; i++) {
		char *line = rec[i % ARRAY_SIZE(rec)], *nl;

		for (nl = line; *nl && *nl != '\n'; nl++)
			;
		*nl = 0;
		say("kernel: ", line, NULL);
	}
}

static __attribute__((noreturn)) void exec_run(void)
{
	long tty = console_open(), pid, ret;
	int ctl = tty >= 0 ? tty : 0, st = 0;

	tty_setup(ctl);
	/*
	 * PID 1, not CMD, leads the session of the terminal: when a session
	 * leader exits, the kernel hangs its terminal up, which drops the
	 * output still queued for the UART.
	 */
	ret = sys_sigprocmask(SIG_BLOCK, &sigttou);
	if (!ret)
		ret = sys_setsid();
	if (ret >= 0)
		ret = sys_ioctl(ctl, TIOCSCTTY, 0);
	if (ret < 0)
		say("cannot take the terminal: ", err_name(-ret), NULL);
	pid = sys_fork(SIGCHLD);
	if (!pid)
		cmd_run(tty, ctl);
	if (pid < 0) {
		say("cannot start the command: ", err_name(-pid), NULL);
		init_fail(pid);
	}
	/* PID 1 reaps every orphan until CMD itself has ended. */
	do
		ret = sys_wait4(-1, &st, 0, NULL);
	while (ret != pid && (ret > 0 || ret == -EINTR));
	if (ret != pid) {
		say("cannot wait for the command: ", err_name(-ret), NULL);
		init_fail(ret);
	}
	/* All of CMD's output must have left through the UART before the VM stops. */
	ret = sys_ioctl(ctl, TCSBRK, 1);
	if (ret)
		say("cannot drain the console: ", err_name(-ret), NULL);
	sys_sync();
	if (!(st & 0x7f))
		status_report(EXEC_STATUS(EXEC_STATUS_EXITED, st >> 8 & 0xff));
	else if ((st & 0x7f) == SIGSEGV || (st & 0x7f) == SIGBUS || (st & 0x7f) == SIGILL ||
		 (st & 0x7f) == SIGFPE)
		fault_report();
	if (st & 0x7f)
		status_report(EXEC_STATUS(EXEC_STATUS_SIGNALED, st & 0x7f));
	power_off();
}

static __attribute__((noreturn)) void rootfs_run(void)
{
	const char *path = "/sbin/init", *w, *v;
	char *envp[] = { "HOME=/", "TERM=linux", PATH_ENV, NULL };
	char *argv[2] = { NULL, NULL };
	long err;

	for (w = cmdline; w < cmdline_end; w += strlen(w) + 1) {
		v = str_after(w, "init=");
		if (v && *v)
			path = v;
	}
	argv[0] = (char *)path;
	err = sys_execve(path, argv, envp);
	say("cannot run ", path, ": ", err_name(-err), NULL);
	init_fail(err);
}

__attribute__((noreturn)) void main(unsigned long *sp)
{
	long err;

	auxv_read(sp);
	err = sys_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (err)
		say("cannot mount /proc: ", err_name(-err), NULL);
	cmdline_load();
	err = config_load();
	if (err)
		init_fail(err);
	modules_load();
	err = root_mount();
	if (!err)
		err = root_switch();
	if (err)
		init_fail(err);
	if (exec_mode)
		exec_run();
	rootfs_run();
}
