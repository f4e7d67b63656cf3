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
LDLIBS := -lfdt -lz -laio -llzma -llz4 -lzstd -lpthread

CORE_SRCS := $(wildcard util/*.c kvm/*.c vcpu/*.c devices/*.c devices/virtio/*.c \
	firmware/*.c hw/$(ARCH)/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
ASAN_OBJS := $(CORE_SRCS:%.c=$(BUILD)/asan/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_SRCS := $(filter-out tests/unit/test_main.c,$(UNIT_SRCS))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-asan/%)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(ARCH),x86)
GUEST_IMG := guest/build/testguest.bzImage
EMBED_OBJ := $(BUILD)/embedded_guest.o
endif

.PHONY: all deps check unit demo bench install clean e2e-arm64 guest
all: vmm

vmm: $(BUILD)/vmm
	cp $< $@.tmp && mv $@.tmp $@

$(BUILD)/vmm: $(BUILD)/main.o $(BUILD)/libvmm.a $(EMBED_OBJ)
	$(CC) $(CFLAGS) -o $@ $(BUILD)/main.o $(EMBED_OBJ) $(BUILD)/libvmm.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/libvmm.a: $(CORE_OBJS)
	rm -f $@; ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -O1 -c -o $@ $<

# The built-in test guest is linked into vmm so `vmm run` needs no files.
ifeq ($(ARCH),x86)
include guest/guest.mk
$(BUILD)/embedded_guest.o: $(GUEST_IMG)
	@mkdir -p $(dir $@)
	printf '.section .rodata\n.global embedded_guest, embedded_guest_end\n.balign 16\nembedded_guest:\n.incbin "%s"\nembedded_guest_end:\n.section .note.GNU-stack,"",@progbits\n' $(GUEST_IMG) | $(CC) -c -x assembler -o $@ -
guest: $(GUEST_IMG)
endif

$(BUILD)/unit/%: tests/unit/%.c tests/unit/test_main.c $(BUILD)/libvmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/unit/test_main.c $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/unit-asan/%: tests/unit/%.c tests/unit/test_main.c $(BUILD)/libvmm-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -O1 -o $@ $< tests/unit/test_main.c $(BUILD)/libvmm-asan.a $(LDLIBS)

$(BUILD)/libvmm-asan.a: $(ASAN_OBJS)
	rm -f $@; ar rcs $@ $^

unit: $(UNIT_BINS) $(ASAN_BINS)

deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) all unit $(BUILD)/vcpu_pause
	@sh tests/run.sh

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
	rm -rf build vmm guest/build

-include $(CORE_OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(BUILD)/main.d

$(BUILD)/minloop: tests/bench/minloop.c $(BUILD)/libvmm.a $(EMBED_OBJ)
	$(CC) $(CFLAGS) -o $@ $< $(EMBED_OBJ) $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/vcpu_pause: tests/integration/vcpu_pause.c $(BUILD)/libvmm.a $(EMBED_OBJ)
	$(CC) $(CFLAGS) -o $@ $< $(EMBED_OBJ) $(BUILD)/libvmm.a $(LDLIBS)

$(BUILD)/stopwatch: tests/bench/stopwatch.c
	$(CC) $(CFLAGS) -o $@ $<
