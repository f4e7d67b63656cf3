# vmm: a minimal virtual machine monitor for Linux KVM.
# make [all] | deps | check | unit | demo | bench | install | clean

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= gcc
BUILD := build/$(ARCH)
CFLAGS_COMMON := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-D_GNU_SOURCE -DVMM_VERSION=\"$(VERSION)\" -I. -MMD -MP
CFLAGS ?=
CFLAGS += $(CFLAGS_COMMON)
LDLIBS := -lfdt -lz -laio -llzma -llz4 -lzstd -ljson-c -lpthread
AR ?= ar
OUT := vmm

# arm64: a static cross build with Debian's aarch64-linux-gnu-gcc; libfdt,
# zlib, liblzma, liblz4, libzstd, libaio, json-c, GLib and PCRE2 come from a
# private sysroot that tests/deps-arm64.sh fills with Debian's arm64 packages, plus a static
# libslirp it builds there from Debian's source (--net user). The binary is
# ./vmm-arm64 (./vmm stays x86's).
ifeq ($(ARCH),arm64)
ifneq ($(shell uname -m),aarch64)
CROSS_COMPILE ?= aarch64-linux-gnu-
endif
CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)ar
ARM64_SYSROOT := build/arm64-sysroot
ARM64_DEPS := $(ARM64_SYSROOT)/.deps-arm64
CFLAGS += -isystem $(ARM64_SYSROOT)/usr/include
LDFLAGS += -static -L$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
LDLIBS := -lfdt -lz -llzma -llz4 -lzstd -laio -ljson-c -lslirp -lglib-2.0 -lpcre2-8 -lm -lpthread
OUT := vmm-arm64
SLIRP := yes
CFLAGS += -DVMM_HAVE_SLIRP
else
# --net user: libslirp (it needs GLib), with pkg-config's flags.
SLIRP := no
ifeq ($(shell pkg-config --exists slirp 2>/dev/null && echo y),y)
SLIRP := yes
# Loaded with dlopen() on the first --net user: linked, it and GLib would
# cost every VM ~1 MiB of RSS at start-up.
CFLAGS += -DVMM_HAVE_SLIRP -DVMM_SLIRP_DLOPEN $(shell pkg-config --cflags slirp)
else ifeq ($(filter deps check demo bench,$(MAKECMDGOALS)),)
$(warning libslirp-dev not found ('make deps' installs it): building without --net user)
endif
endif

CORE_SRCS := $(wildcard util/*.c cli/*.c kvm/*.c vcpu/*.c run/*.c devices/*.c devices/virtio/*.c \
	firmware/*.c hw/$(ARCH)/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
ASAN_OBJS := $(CORE_SRCS:%.c=$(BUILD)/asan/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_SRCS := $(filter-out tests/unit/test_main.c,$(UNIT_SRCS))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-asan/%)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# Fences order the rings against the guest, which TSan cannot see anyway.
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_OBJS := $(CORE_SRCS:%.c=$(BUILD)/tsan/%.o)

ifeq ($(ARCH),x86)
GUEST_IMG := guest/build/testguest.bzImage
EMBED_OBJ := $(BUILD)/embedded_guest.o
endif

.PHONY: all deps check unit demo bench install clean e2e-arm64 e2e-x86 guest asan tsan
all: $(OUT)

# The guest's /init for vmm run --exec and --rootfs, on every arch (INIT_OBJ).
include guest/init/init.mk

$(OUT): $(BUILD)/vmm
	cp $< $@.tmp && mv $@.tmp $@

ifneq ($(ARCH),arm64)
.PHONY: vmm-arm64
vmm-arm64:
	$(MAKE) ARCH=arm64 vmm-arm64
endif

$(BUILD)/vmm: $(BUILD)/main.o $(BUILD)/libvmm.a $(EMBED_OBJ) $(INIT_OBJ)
	$(CC) $(CFLAGS) -o $@ $(BUILD)/main.o $(EMBED_OBJ) $(INIT_OBJ) $(BUILD)/libvmm.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/libvmm.a: $(CORE_OBJS)
	rm -f $@; $(AR) rcs $@ $^

$(BUILD)/%.o: %.c | $(ARM64_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -O1 -c -o $@ $<

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) -O1 -c -o $@ $<

# vmm itself under ASan+UBSan and under ThreadSanitizer, for the stop and
# teardown stress tests (tests/integration/stop.sh).
asan: vmm-asan
tsan: vmm-tsan
vmm-asan: $(BUILD)/asan/main.o $(ASAN_OBJS) $(EMBED_OBJ) $(INIT_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -O1 -o $@ $^ $(LDFLAGS) $(LDLIBS)
vmm-tsan: $(BUILD)/tsan/main.o $(TSAN_OBJS) $(EMBED_OBJ) $(INIT_OBJ)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) -O1 -o $@ $^ $(LDFLAGS) $(LDLIBS)

# The built-in test guest is linked into vmm so `vmm run` needs no files.
ifeq ($(ARCH),x86)
include guest/guest.mk
$(BUILD)/embedded_guest.o: $(GUEST_IMG)
	@mkdir -p $(dir $@)
	printf '.section .rodata\n.global embedded_guest, embedded_guest_end\n.balign 16\nembedded_guest:\n.incbin "%s"\nembedded_guest_end:\n.section .note.GNU-stack,"",@progbits\n' $(GUEST_IMG) | $(CC) -c -x assembler -o $@ -
guest: $(GUEST_IMG) $(GUEST_OUT)/testguest.mb
all: $(GUEST_OUT)/testguest.mb
endif

$(BUILD)/unit/%: tests/unit/%.c tests/unit/test_main.c $(BUILD)/libvmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/unit/test_main.c $(filter %.o,$^) $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/unit-asan/%: tests/unit/%.c tests/unit/test_main.c $(BUILD)/libvmm-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -O1 -o $@ $< tests/unit/test_main.c $(filter %.o,$^) $(BUILD)/libvmm-asan.a $(LDLIBS)

# What reads VMM_HAVE_SLIRP is rebuilt when libslirp comes or goes.
SLIRP_USERS := devices/virtio/net_opts devices/virtio/net_slirp
$(SLIRP_USERS:%=$(BUILD)/%.o) $(SLIRP_USERS:%=$(BUILD)/asan/%.o): $(BUILD)/.slirp-$(SLIRP)
$(BUILD)/.slirp-%:
	@mkdir -p $(BUILD) && rm -f $(BUILD)/.slirp-* && touch $@

$(BUILD)/libvmm-asan.a: $(ASAN_OBJS)
	rm -f $@; $(AR) rcs $@ $^

unit: $(UNIT_BINS) $(ASAN_BINS)

ifeq ($(ARCH),arm64)
$(ARM64_DEPS): tests/deps-arm64.sh tests/slirp-arm64.sh
	sh tests/deps-arm64.sh $(ARM64_SYSROOT) && touch $@
else
# The pure arm64 Image parser is unit-tested on every host.
$(BUILD)/unit/test_arm64_image: $(BUILD)/hw/arm64/image.o
$(BUILD)/unit-asan/test_arm64_image: $(BUILD)/asan/hw/arm64/image.o
-include $(BUILD)/hw/arm64/image.d $(BUILD)/asan/hw/arm64/image.d
endif

# The flat arm64 test binary of the nested harness (no Image header; it runs
# where vmm puts one, MMU off: no FP, no unaligned access).
ARM64_FLAT := build/arm64-flat/flat.bin
ARM64_FLAT_SRCS := tests/e2e-arm64/flat/start.S tests/e2e-arm64/flat/flat.c
.PHONY: arm64-flat
arm64-flat: $(ARM64_FLAT)
$(ARM64_FLAT): $(ARM64_FLAT_SRCS) tests/e2e-arm64/flat/flat.ld
	@mkdir -p $(dir $@)
	aarch64-linux-gnu-gcc -std=gnu11 -ffreestanding -nostdlib -nostartfiles -static -no-pie \
		-fno-pic -mgeneral-regs-only -mstrict-align -fno-stack-protector \
		-fno-asynchronous-unwind-tables -O2 -Wall -Wextra -Werror -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -T tests/e2e-arm64/flat/flat.ld -o $(@:.bin=.elf) \
		$(ARM64_FLAT_SRCS)
	aarch64-linux-gnu-objcopy -O binary $(@:.bin=.elf) $@

deps:
	@sh tests/deps.sh

# The nested arm64 end-to-end test alone (QEMU with EL2 runs vmm-arm64).
e2e-arm64:
	@sh tests/integration/arm64.sh

# The nested x86 end-to-end test alone (QEMU's emulated SVM runs ./vmm).
e2e-x86: all $(BUILD)/kvm_hold
	@sh tests/integration/x86_nested.sh

check: deps
	$(MAKE) all unit $(BUILD)/vcpu_pause $(BUILD)/net_echo $(BUILD)/kvm_hold vmm-asan vmm-tsan
	@sh tests/run.sh

# libFuzzer targets (clang): a bounded run is part of the test runner.
.PHONY: fuzz
FUZZ_SECONDS ?= 300
fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: deps
	$(MAKE) all
	@sh guest/demo.sh

bench: deps
	$(MAKE) all
	@sh tests/bench/run.sh

install: vmm
	install -D -m 0755 vmm $(DESTDIR)$(PREFIX)/bin/vmm
	install -D -m 0644 vmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/vmm.1

clean:
	rm -rf build vmm vmm-asan vmm-tsan guest/build

-include $(CORE_OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(TSAN_OBJS:.o=.d) $(BUILD)/main.d
-include $(UNIT_BINS:=.d) $(ASAN_BINS:=.d)

$(BUILD)/minloop: tests/bench/minloop.c $(BUILD)/libvmm.a $(EMBED_OBJ)
	$(CC) $(CFLAGS) -o $@ $< $(EMBED_OBJ) $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/vcpu_pause: tests/integration/vcpu_pause.c $(BUILD)/libvmm.a $(EMBED_OBJ)
	$(CC) $(CFLAGS) -o $@ $< $(EMBED_OBJ) $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/net_echo: tests/tools/net_echo.c
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/kvm_hold: tests/tools/kvm_hold.c
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/stopwatch: tests/bench/stopwatch.c
	$(CC) $(CFLAGS) -o $@ $<

# make bench's host sides of virtio-blk and virtio-net (tests/bench/blk.sh, net.sh).
$(BUILD)/blkhost: tests/bench/blkhost.c
	$(CC) $(CFLAGS) -o $@ $< -laio

$(BUILD)/nethost: tests/bench/nethost.c
	$(CC) $(CFLAGS) -o $@ $<

# GET /vm latency on the control socket (a running vmm's, or a self-hosted one).
$(BUILD)/api_latency: tests/bench/api_latency.c $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libvmm.a $(LDLIBS)
