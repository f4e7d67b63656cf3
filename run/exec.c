// SPDX-License-Identifier: GPL-2.0
/* vmm's initramfs for --exec and --rootfs, and --exec's exit status (run/exec.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "run/exec.h"
#include "run/exec_modules.h"
#include "run/exec_proto.h"
#include "util/file.h"
#include "util/log.h"

#define EXEC_KERNEL_MAX	(256 * MiB)

/* vmm's init for this architecture, linked in by the Makefile (embedded_init.o). */
extern const u8 embedded_init[], embedded_init_end[];

struct exec_config {
	char buf[EXEC_CONFIG_MAX];
	size_t len;
	bool full;
};

static void config_put(struct exec_config *ec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void config_put(struct exec_config *ec, const char *key, const char *fmt, ...)
{
	size_t room = sizeof(ec->buf) - ec->len;
	va_list ap;
	int n = snprintf(ec->buf + ec->len, room, "%s=", key);

	if (n > 0 && (size_t)n < room) {
		va_start(ap, fmt);
		n += vsnprintf(ec->buf + ec->len + n, room - n, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || (size_t)n + 1 > room) {
		ec->full = true;
		return;
	}
	ec->len += (size_t)n + 1;	/* each entry ends with its NUL */
}

/* 0 if @path is a directory, else an exit status with the reason logged. */
static int exec_dir_check(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = errno;	/* logging may change errno */

		log_error("%s %s: %s", what, path, strerror(err));
		return err == ENOENT || err == ENOTDIR || err == ELOOP ? EXIT_USAGE : EXIT_HOST_ERROR;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s %s: not a directory but %s", what, path, file_type_name(st.st_mode));
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The modules' directory: --modules DIR, else ROOT/lib/modules/RELEASE if
 * it exists, else "" (a kernel with all it needs built in). 0, or an exit
 * status with the reason logged.
 */
static int exec_moddir(const struct vm_config *cfg, const char *root, char *out, size_t len)
{
	char release[128];
	struct stat st;
	size_t klen;
	u8 *k;
	int r;

	if (cfg->modules_dir) {
		r = exec_dir_check("--modules", cfg->modules_dir);
		if (r)
			return r;
		/* The tree `make modules_install INSTALL_MOD_PATH=DIR` writes works too. */
		snprintf(out, len, "%s", cfg->modules_dir);
		return 0;
	}
	r = file_read_all("kernel", cfg->kernel_path, EXEC_KERNEL_MAX, &k, &klen);
	if (r < 0)
		return r == -EINVAL || r == -EFBIG || r == -ENOENT ? EXIT_USAGE : EXIT_HOST_ERROR;
	r = arch_kernel_release(k, klen, release, sizeof(release));
	free(k);
	if (r < 0) {
		log_debug("exec: no release in %s: no modules", cfg->kernel_path);
		out[0] = '\0';
		return 0;
	}
	snprintf(out, len, "%s%slib/modules/%s", root, root[strlen(root) - 1] == '/' ? "" : "/",
		 release);
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_debug("exec: kernel %s, no %s: no modules", release, out);
		out[0] = '\0';
	}
	return 0;
}

/* What the kernel needs to reach the root and the devices asked for. */
static unsigned int exec_module_names(const struct vm_config *cfg, const char **names)
{
	enum vm_virtio_transport t = cfg->transport ? cfg->transport :
				     arch_default_virtio_transport();
	unsigned int n = 0;

	names[n++] = t == VM_VIRTIO_MMIO ? "virtio_mmio" : "virtio_pci";
	names[n++] = "virtiofs";
	/* Panics through the pvpanic device where the kernel has its driver. */
	names[n++] = "?pvpanic_mmio";
	if (cfg->console == VM_CONSOLE_VIRTIO)
		names[n++] = "virtio_console";
	if (cfg->nr_disks)
		names[n++] = "virtio_blk";
	if (cfg->nr_nets)
		names[n++] = "virtio_net";
	if (cfg->rng)
		names[n++] = "virtio_rng";
	return n;
}

/* CWD inside the root, or "/" if it lies outside. */
static void exec_cwd(const char *root, char *out, size_t len)
{
	char cwd[PATH_MAX], real[PATH_MAX];
	size_t n;

	snprintf(out, len, "/");
	if (!getcwd(cwd, sizeof(cwd)) || !realpath(root, real))
		return;
	n = strlen(real);
	if (!strcmp(real, "/"))
		snprintf(out, len, "%s", cwd);
	else if (!strncmp(cwd, real, n) && (cwd[n] == '/' || !cwd[n]))
		snprintf(out, len, "%s", cwd[n] ? cwd + n : "/");
}

int exec_prepare(struct vm_config *cfg, const struct console_backend *cons, struct cpio *c)
{
	const struct virtio_fs_opts *root = &cfg->fs_opts[cfg->nr_fs - 1];
	static struct exec_config ec;
	char moddir[PATH_MAX], order[2048] = "", cwd[PATH_MAX];
	const char *names[8], *term = getenv("TERM");
	bool in_tty = false, out_tty = false;
	struct winsize ws = { 0 };
	int r;

	r = exec_dir_check(cfg->rootfs ? "--rootfs" : "--exec: root", root->path);
	if (r)
		return r;
	cpio_init(c);
	cpio_add_file(c, "init", 0755, embedded_init, (size_t)(embedded_init_end - embedded_init));
	cpio_add_dir(c, "dev");
	cpio_add(c, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	cpio_add_dir(c, "proc");
	cpio_add_dir(c, "newroot");
	cpio_add_dir(c, "vmm");
	cpio_add_dir(c, "vmm/modules");

	r = exec_moddir(cfg, root->path, moddir, sizeof(moddir));
	if (r)
		return r;
	if (moddir[0]) {
		r = exec_modules_add(c, moddir, names, exec_module_names(cfg, names), order,
				     sizeof(order));
		if (r < 0)
			return EXIT_HOST_ERROR;
		log_debug("exec: modules from %s: %s", moddir, order);
	}

	/* Which ends of the console are terminals: the guest's tty follows suit. */
	if (cons->kind == VM_SERIAL_STDIO) {
		in_tty = cons->in_fd >= 0 && isatty(cons->in_fd);
		out_tty = cons->out_fd >= 0 && isatty(cons->out_fd);
		if (out_tty)
			ioctl(cons->out_fd, TIOCGWINSZ, &ws);
	} else if (cons->kind == VM_SERIAL_PTY || cons->kind == VM_SERIAL_SOCKET) {
		in_tty = out_tty = true;
	}
	ec.len = 0;
	ec.full = false;
	config_put(&ec, "mode", "%s", cfg->exec_cmd ? "exec" : "rootfs");
	config_put(&ec, "root", "%s", EXEC_ROOT_TAG);
	config_put(&ec, "rw", "%d", !root->ro);
	config_put(&ec, "modules", "%s", order);
	config_put(&ec, "in_tty", "%d", in_tty);
	config_put(&ec, "out_tty", "%d", out_tty);
	if (cfg->exec_cmd) {
		exec_cwd(root->path, cwd, sizeof(cwd));
		config_put(&ec, "cmd", "%s", cfg->exec_cmd);
		config_put(&ec, "cwd", "%s", cwd);
		config_put(&ec, "term", "%s", term && *term && out_tty ? term : "dumb");
		config_put(&ec, "rows", "%u", ws.ws_row);
		config_put(&ec, "cols", "%u", ws.ws_col);
		config_put(&ec, "status", "0x%llx", (unsigned long long)arch_exec_status_addr());
	}
	if (ec.full) {
		log_error("--exec: the command is too long (at most about %d KiB)",
			  EXEC_CONFIG_MAX / 1024 - 8);
		return EXIT_USAGE;
	}
	cpio_add_file(c, EXEC_CONFIG_PATH + 1, 0600, ec.buf, ec.len);
	r = cpio_finish(c);
	if (r < 0) {
		log_error("--exec: cannot build the initramfs: %s", strerror(-r));
		return EXIT_HOST_ERROR;
	}
	cfg->initrd_data = c->buf;
	cfg->initrd_len = c->len;
	log_debug("exec: initramfs of %zu KiB", c->len >> 10);
	return 0;
}

int exec_exit_status(int reason, u32 exec_status, int status)
{
	const char *what;

	switch (reason) {
	case VM_STOP_EXEC_STATUS:
		switch (exec_status >> 8 & 0xff) {
		case EXEC_STATUS_EXITED:
			return exec_status & 0xff;
		case EXEC_STATUS_SIGNALED:
			log_info("--exec: the command was killed by signal %u", exec_status & 0xff);
			return 128 + (exec_status & 0xff);
		}
		what = "the guest's init failed (see its message above)";
		break;
	case VM_STOP_TIMEOUT:
		return EXIT_TIMEOUT;
	case VM_STOP_SIGNAL:
		return status;
	case VM_STOP_POWEROFF: what = "the guest powered off"; break;
	case VM_STOP_RESET: what = "the guest rebooted"; break;
	case VM_STOP_PANIC: what = "the guest panicked"; break;
	case VM_STOP_CRASH: what = "the guest crashed"; break;
	case VM_STOP_QUIT: what = "quit from the console"; break;
	case VM_STOP_API: what = "stopped through the control API"; break;
	case VM_STOP_SHUTDOWN_TIMEOUT: what = "the guest did not power off in time"; break;
	default: what = "vmm failed on the host"; break;
	}
	log_error("--exec: no exit status from the command: %s; exit status %d", what,
		  EXIT_EXEC_FAILED);
	return EXIT_EXEC_FAILED;
}
