# testguest: the freestanding x86-64 test kernel, built as a bzImage.
# Included by the top Makefile; paths are relative to the repository top.

GUEST_DIR := guest
GUEST_OUT := guest/build
GUEST_CC ?= gcc
GUEST_HOSTCC ?= gcc
GUEST_CFLAGS := -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -static -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns --param=min-pagesize=0 -O2 -Wall -Wextra -Werror \
	-Wno-unused-parameter -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,--no-warn-rwx-segments

GUEST_SRCS := $(addprefix $(GUEST_DIR)/,head.S trampoline.S cpu.c lib.c serial.c pit.c apic.c \
	acpi.c mptable.c smp.c tests.c pci.c virtio.c virtio_pci.c virtio_console.c bench_net.c \
	shell.c multiboot.c main.c)
GUEST_OBJS := $(patsubst $(GUEST_DIR)/%,$(GUEST_OUT)/%.o,$(GUEST_SRCS))

$(GUEST_OUT)/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(GUEST_OUT)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(GUEST_OUT)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/testguest.elf: $(GUEST_OBJS) $(GUEST_DIR)/linker.ld
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T $(GUEST_DIR)/linker.ld -o $@ $(GUEST_OBJS)

$(GUEST_OUT)/testguest.bin: $(GUEST_OUT)/testguest.elf
	objcopy -O binary $< $@

# The same kernel as a multiboot v1 file: the flat image carries its own
# header with load addresses (head.S), so it is testguest.bin itself.
$(GUEST_OUT)/testguest.mb: $(GUEST_OUT)/testguest.bin | guest-check
	cp $< $@

# The setup sectors are linked at 0: ds-relative offsets are image offsets.
$(GUEST_OUT)/setup.elf: $(GUEST_OUT)/setup.S.o
	ld -m elf_x86_64 -Ttext=0 -e 0 --build-id=none -o $@ $<

$(GUEST_OUT)/setup.bin: $(GUEST_OUT)/setup.elf
	objcopy -O binary -j .text $< $@

$(GUEST_OUT)/mkbzimage: $(GUEST_DIR)/mkbzimage.c
	@mkdir -p $(GUEST_OUT)
	$(GUEST_HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

guest/build/testguest.bzImage: $(GUEST_OUT)/mkbzimage $(GUEST_OUT)/setup.bin $(GUEST_OUT)/testguest.bin \
		| guest-check
	$(GUEST_OUT)/mkbzimage $(GUEST_OUT)/setup.bin $(GUEST_OUT)/testguest.bin \
		0x$$(nm $(GUEST_OUT)/testguest.elf | awk '$$3 == "_end" { print $$1 }') $@

# Ring 0 is emulated on the CI host and cannot run these (HOST.md); fail the build if they appear.
.PHONY: guest-check
guest-check: $(GUEST_OUT)/testguest.elf
	@! objdump -d $< | grep -wE 'popcnt|xsave|xsaveopt|xrstor|fxsave|fxrstor|int3|cmpxchg16b|fwait|wait|syscall|sysret' \
		| grep -v "^ *$$(nm $< | awk '$$3 == "emulfail_insn" { sub(/^0+/, "", $$1); print $$1 }'):" \
		| grep . || (echo "guest: forbidden instruction" >&2; false)

-include $(GUEST_OBJS:.o=.d)
