// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>

#include "cli/config.h"
#include "test.h"

static int parse(struct vm_config *cfg, char *err, const char *a0, ...)
{
	char *argv[32] = { "run" };
	int argc = 1;
	va_list ap;
	const char *s = a0;

	va_start(ap, a0);
	while (s && argc < 31) {
		argv[argc++] = (char *)s;
		s = va_arg(ap, const char *);
	}
	va_end(ap);
	argv[argc] = NULL;
	return config_parse(argc, argv, cfg, err, 256);
}

TEST(config_defaults_boot_the_test_guest)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT(c.kernel_path == NULL, "kernel");
	TEST_ASSERT_EQ(c.nr_cpus, 1);
	TEST_ASSERT_EQ(c.ram_size, 512 * MiB);
	TEST_ASSERT_EQ(c.timeout_sec, 0);
}

TEST(config_parses_every_option)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--initrd", "rd", "-p", "quiet",
			     "--cpus", "4", "-m", "1G", "--timeout", "30", "--no-reboot",
			     "--debug", "--guest-decompress", NULL), 0);
	TEST_ASSERT(!strcmp(c.kernel_path, "bz") && !strcmp(c.initrd_path, "rd") &&
		    !strcmp(c.cmdline, "quiet"), "paths");
	TEST_ASSERT_EQ(c.nr_cpus, 4);
	TEST_ASSERT_EQ(c.ram_size, GiB);
	TEST_ASSERT_EQ(c.timeout_sec, 30);
	TEST_ASSERT(c.no_reboot && c.debug && c.guest_decompress, "flags");
}

TEST(config_sizes_take_mib_or_suffixes)
{
	u64 v;

	TEST_ASSERT_EQ(config_parse_size("256", &v), 0);
	TEST_ASSERT_EQ(v, 256 * MiB);
	TEST_ASSERT_EQ(config_parse_size("64K", &v), 0);
	TEST_ASSERT_EQ(v, 64 * KiB);
	TEST_ASSERT_EQ(config_parse_size("2g", &v), 0);
	TEST_ASSERT_EQ(v, 2 * GiB);
	TEST_ASSERT_EQ(config_parse_size("3GiB", &v), 0);
	TEST_ASSERT_EQ(v, 3 * GiB);
	TEST_ASSERT_EQ(config_parse_size("512MB", &v), 0);
	TEST_ASSERT_EQ(v, 512 * MiB);
	TEST_ASSERT(config_parse_size("", &v) < 0, "empty");
	TEST_ASSERT(config_parse_size("-1", &v) < 0, "negative");
	TEST_ASSERT(config_parse_size("12Q", &v) < 0, "suffix");
	TEST_ASSERT(config_parse_size("1Gx", &v) < 0, "trailing");
	TEST_ASSERT(config_parse_size("99999999999999999999", &v) < 0, "overflow");
	TEST_ASSERT(config_parse_size("99999999999999T", &v) < 0, "overflow mult");
}

TEST(config_rejects_bad_values_with_a_reason)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "--mem", "0", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--mem") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--mem", "100000000G", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "more than") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--cpus", "0", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--cpus", "two", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--timeout", "-5", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--bogus", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "unknown option '--bogus'") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-k", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "needs a value") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "stray", NULL), -EINVAL);
	TEST_ASSERT(!strchr(err, '\n'), "one line: %s", err);
}

TEST(config_takes_up_to_eight_disks_and_checks_their_options)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-d", "a.img", "--disk", "b.img,ro,serial=x1",
			     "--rng", NULL), 0);
	TEST_ASSERT_EQ(c.nr_disks, 2);
	TEST_ASSERT(!strcmp(c.disks[1], "b.img,ro,serial=x1"), "%s", c.disks[1]);
	TEST_ASSERT(c.rng, "rng");
	TEST_ASSERT_EQ(parse(&c, err, "-d", "a.img,bogus", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "bogus") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-d", "1", "-d", "2", "-d", "3", "-d", "4", "-d", "5",
			     "-d", "6", "-d", "7", "-d", "8", "-d", "9", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "at most 8") != NULL, "%s", err);
}

TEST(config_shutdown_timeout_and_sigterm)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT_EQ(c.shutdown_timeout_sec, 30);
	TEST_ASSERT(!c.sigterm_shutdown, "SIGTERM stops by default");
	TEST_ASSERT_EQ(parse(&c, err, "--shutdown-timeout", "5", "--on-sigterm", "shutdown", NULL), 0);
	TEST_ASSERT_EQ(c.shutdown_timeout_sec, 5);
	TEST_ASSERT(c.sigterm_shutdown, "--on-sigterm shutdown");
	TEST_ASSERT_EQ(parse(&c, err, "--on-sigterm", "stop", NULL), 0);
	TEST_ASSERT(!c.sigterm_shutdown, "--on-sigterm stop");
	TEST_ASSERT_EQ(parse(&c, err, "--shutdown-timeout", "0", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--shutdown-timeout '0'"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--shutdown-timeout", "1s", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--on-sigterm", "halt", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "expected shutdown or stop"), "%s", err);
}

TEST(config_serial_backends)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT_EQ(c.serial, VM_SERIAL_STDIO);
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "pty", NULL), 0);
	TEST_ASSERT_EQ(c.serial, VM_SERIAL_PTY);
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "file:/tmp/x.log", NULL), 0);
	TEST_ASSERT(c.serial == VM_SERIAL_FILE && !strcmp(c.serial_path, "/tmp/x.log"), "file");
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "socket", NULL), 0);
	TEST_ASSERT(c.serial == VM_SERIAL_SOCKET && !c.serial_path, "socket");
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "socket:/tmp/c.sock", NULL), 0);
	TEST_ASSERT(!strcmp(c.serial_path, "/tmp/c.sock"), "socket path");
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "none", NULL), 0);
	TEST_ASSERT_EQ(c.serial, VM_SERIAL_NONE);
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "file:", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--serial", "tcp:1234", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--serial 'tcp:1234'"), "%s", err);
}

TEST(config_fs_shares_and_their_tags)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/srv/data/", "--fs", "/", "--fs", ".,ro",
			     "--fs", "/x,tag=mine,ro", NULL), 0);
	TEST_ASSERT_EQ(c.nr_fs, 4);
	TEST_ASSERT(!strcmp(c.fs_opts[0].path, "/srv/data/") && !strcmp(c.fs_opts[0].tag, "data"),
		    "%s", c.fs_opts[0].tag);
	TEST_ASSERT(!strcmp(c.fs_opts[1].tag, "root"), "%s", c.fs_opts[1].tag);
	TEST_ASSERT(!strcmp(c.fs_opts[2].tag, "share") && c.fs_opts[2].ro, "%s", c.fs_opts[2].tag);
	TEST_ASSERT(!strcmp(c.fs_opts[3].tag, "mine") && c.fs_opts[3].ro && !c.fs_opts[0].ro, "opts");
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/a/x", "--fs", "/b/x", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "tag x is taken"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/a,rw", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/a,tag=", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/a,tag=a b", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/a,tag=0123456789012345678901234567890123456", NULL),
		       -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "--fs", "/1", "--fs", "/2", "--fs", "/3", "--fs", "/4",
			     "--fs", "/5", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "at most 4"), "%s", err);
}

TEST(config_help_is_not_an_error)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "--help", NULL), 1);
}

TEST(config_console_serial_or_virtio)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT_EQ(c.console, VM_CONSOLE_SERIAL);
	TEST_ASSERT_EQ(parse(&c, err, "--console", "virtio", NULL), 0);
	TEST_ASSERT_EQ(c.console, VM_CONSOLE_VIRTIO);
	TEST_ASSERT_EQ(parse(&c, err, "--console", "virtio", "--console", "serial", NULL), 0);
	TEST_ASSERT_EQ(c.console, VM_CONSOLE_SERIAL);
	TEST_ASSERT_EQ(parse(&c, err, "--console", "hvc0", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "serial or virtio") != NULL, "%s", err);
}

TEST(config_virtio_transport)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT_EQ(c.transport, VM_VIRTIO_DEFAULT);	/* the architecture decides */
	TEST_ASSERT_EQ(parse(&c, err, "--virtio-transport", "mmio", NULL), 0);
	TEST_ASSERT_EQ(c.transport, VM_VIRTIO_MMIO);
	TEST_ASSERT_EQ(parse(&c, err, "--virtio-transport", "pci", NULL), 0);
	TEST_ASSERT_EQ(c.transport, VM_VIRTIO_PCI);
	TEST_ASSERT_EQ(parse(&c, err, "--virtio-transport", "PCI", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "'PCI': expected mmio or pci") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--virtio-transport", NULL), -EINVAL);
}

TEST(config_vcpu_and_io_affinity)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT(!c.vcpu_affinity_set && !c.io_affinity_set, "set by default");
	TEST_ASSERT_EQ(parse(&c, err, "--vcpu-affinity", "2-3", "--io-affinity", "0,5", NULL), 0);
	TEST_ASSERT(c.vcpu_affinity_set && c.io_affinity_set, "not set");
	TEST_ASSERT_EQ(CPU_COUNT(&c.vcpu_affinity), 2);
	TEST_ASSERT(CPU_ISSET(2, &c.vcpu_affinity) && CPU_ISSET(3, &c.vcpu_affinity), "vcpu set");
	TEST_ASSERT_EQ(CPU_COUNT(&c.io_affinity), 2);
	TEST_ASSERT(CPU_ISSET(0, &c.io_affinity) && CPU_ISSET(5, &c.io_affinity), "io set");
	TEST_ASSERT_EQ(parse(&c, err, "--vcpu-affinity", "3-1", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--vcpu-affinity '3-1'") && strstr(err, "backwards"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--io-affinity", "x", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--io-affinity 'x'"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "--io-affinity", NULL), -EINVAL);
}

TEST(config_disks_are_parsed_once)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-d", "a.img", "--disk", "b.img,ro,serial=XY", NULL), 0);
	TEST_ASSERT_EQ(c.nr_disks, 2);
	TEST_ASSERT(!strcmp(c.disk_opts[0].path, "a.img") && !c.disk_opts[0].ro, "%s",
		    c.disk_opts[0].path);
	TEST_ASSERT(!strcmp(c.disk_opts[1].path, "b.img") && c.disk_opts[1].ro &&
		    !strcmp(c.disk_opts[1].serial, "XY"), "%s", c.disk_opts[1].path);
}

TEST(config_net_tap_none_and_bad_options)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-n", "tap", "--net", "tap,ifname=vmm1,mac=52:54:00:00:00:01",
			     "--net", "none", NULL), 0);
	TEST_ASSERT_EQ(c.nr_nets, 2);
	TEST_ASSERT(!strcmp(c.nets[1], "tap,ifname=vmm1,mac=52:54:00:00:00:01"), "%s", c.nets[1]);
	/* Parsed once, here: devices get the options, not the string. */
	TEST_ASSERT_EQ(c.net_opts[0].mode, VIRTIO_NET_TAP);
	TEST_ASSERT(!strcmp(c.net_opts[1].ifname, "vmm1") && c.net_opts[1].has_mac &&
		    c.net_opts[1].mac[5] == 1, "%s", c.net_opts[1].ifname);
	TEST_ASSERT_EQ(parse(&c, err, "--net", "none", NULL), 0);
	TEST_ASSERT_EQ(c.nr_nets, 0);
	TEST_ASSERT_EQ(parse(&c, err, "--net", "tap,mac=nope", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--net 'tap,mac=nope'") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-n", "tap", "-n", "tap", "-n", "tap", "-n", "tap",
			     "-n", "tap", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "at most 4") != NULL, "%s", err);
}

/* RAM comes in 2 MiB steps: a size between steps is refused, not rounded up quietly. */
TEST(config_mem_between_2mib_steps_is_refused_not_rounded)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "--mem", "8193K", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "8 MiB or 10 MiB") != NULL, "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-m", "9", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "-m", "10M", NULL), 0);
	TEST_ASSERT_EQ(c.ram_size, 10 * MiB);
	TEST_ASSERT_EQ(parse(&c, err, "-m", "12288K", NULL), 0);
	TEST_ASSERT_EQ(c.ram_size, 12 * MiB);
}

TEST(config_exact_cmdline_is_off_unless_asked)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-p", "x", NULL), 0);
	TEST_ASSERT(!c.exact_cmdline, "off by default");
	TEST_ASSERT_EQ(parse(&c, err, "--exact-cmdline", "-p", "x", NULL), 0);
	TEST_ASSERT(c.exact_cmdline && !strcmp(c.cmdline, "x"), "on");
}

TEST(config_irqchip_and_pmu)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, NULL), 0);
	TEST_ASSERT(c.irqchip == VM_IRQCHIP_DEFAULT && !c.pmu, "defaults");
	TEST_ASSERT_EQ(parse(&c, err, "--irqchip", "gicv2", "--pmu", NULL), 0);
	TEST_ASSERT(c.irqchip == VM_IRQCHIP_GICV2 && c.pmu, "gicv2 + pmu");
	TEST_ASSERT_EQ(parse(&c, err, "--irqchip", "gicv3", NULL), 0);
	TEST_ASSERT_EQ(c.irqchip, VM_IRQCHIP_GICV3);
	TEST_ASSERT_EQ(parse(&c, err, "--irqchip", "gicv3-its", NULL), 0);
	TEST_ASSERT(c.irqchip == VM_IRQCHIP_GICV3_ITS &&
		    !strcmp(config_irqchip_name(c.irqchip), "gicv3-its"), "its");
	TEST_ASSERT_EQ(parse(&c, err, "--irqchip", "gicv4", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--irqchip 'gicv4'"), "err: %s", err);
}

TEST(config_name_and_api_socket)
{
	struct vm_config cfg;
	char err[256];

	TEST_ASSERT_EQ(parse(&cfg, err, "--name", "web-1", "--api-socket", "/tmp/x.sock", NULL), 0);
	TEST_ASSERT(!strcmp(cfg.name, "web-1") && !strcmp(cfg.api_socket, "/tmp/x.sock"), "parsed");
	TEST_ASSERT_EQ(parse(&cfg, err, NULL), 0);
	TEST_ASSERT(!cfg.name && !cfg.api_socket, "defaults");
	/* A name becomes a file name: no path, no hidden file. */
	TEST_ASSERT_EQ(parse(&cfg, err, "--name", "../etc", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--name '../etc'"), "%s", err);
	TEST_ASSERT_EQ(parse(&cfg, err, "--name", ".x", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&cfg, err, "--api-socket", "", NULL), -EINVAL);
}

/* --exec/--rootfs share the root as the last --fs, tag vmm-root, and build the initramfs. */
TEST(config_exec_and_rootfs_share_the_root)
{
	struct vm_config c;
	char err[256];

	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--exec", "make check", NULL), 0);
	TEST_ASSERT(!strcmp(c.exec_cmd, "make check"), "cmd");
	TEST_ASSERT_EQ(c.nr_fs, 1);
	TEST_ASSERT(!strcmp(c.fs_opts[0].path, "/") && !strcmp(c.fs_opts[0].tag, "vmm-root") &&
		    c.fs_opts[0].ro, "root %s tag %s", c.fs_opts[0].path, c.fs_opts[0].tag);
	TEST_ASSERT(c.no_reboot, "a reboot ends --exec");

	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--fs", "/srv,tag=data", "--rootfs", "/tree,rw",
			     "--modules", "/mods", NULL), 0);
	TEST_ASSERT_EQ(c.nr_fs, 2);
	TEST_ASSERT(!strcmp(c.fs_opts[1].path, "/tree") && !c.fs_opts[1].ro, "%s", c.fs_opts[1].path);
	TEST_ASSERT(!c.no_reboot && !strcmp(c.modules_dir, "/mods"), "rootfs");

	TEST_ASSERT_EQ(parse(&c, err, "--exec", "true", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "needs --kernel"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "-i", "rd", "--exec", "true", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "--initrd"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--exec", "", NULL), -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--modules", "/m", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "only with"), "%s", err);
	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--fs", "/a,tag=vmm-root", "--exec", "x", NULL),
		       -EINVAL);
	TEST_ASSERT_EQ(parse(&c, err, "-k", "bz", "--fs", "/a", "--fs", "/b", "--fs", "/c",
			     "--fs", "/d", "--exec", "x", NULL), -EINVAL);
	TEST_ASSERT(strstr(err, "at most 3 others"), "%s", err);
}
