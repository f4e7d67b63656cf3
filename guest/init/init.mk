# vmminit: the guest's /init for `vmm run --exec CMD` and `--rootfs DIR`
# (guest/init/init.c, contract in run/exec_proto.h), a freestanding static
# binary for the guest's arch, embedded into vmm as INIT_OBJ.
# Included by the top Makefile; paths are relative to the repository top.
# Built in one compiler call from the .c: no object may match $(BUILD)/%.o.

INIT_BIN := $(BUILD)/vmminit
INIT_OBJ := $(BUILD)/embedded_init.o
# No loop may become a call to the memset() or memcpy() that implements it.
INIT_CFLAGS := -std=gnu11 -ffreestanding -nostdlib -static -fno-pie -no-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-builtin \
	-fno-tree-loop-distribute-patterns -ffunction-sections -fdata-sections -fno-ident -Os \
	-Wall -Wextra -Werror -I.
# Two segments, unpadded: ~8 KiB instead of 16 (x86) or 64 (arm64's 64 KiB pages).
INIT_LDFLAGS := -s -Wl,--build-id=none -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro

$(INIT_BIN): guest/init/init.c guest/init/sys.h run/exec_proto.h guest/init/init.mk
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<

$(INIT_OBJ): $(INIT_BIN)
	printf '.section .rodata\n.global embedded_init, embedded_init_end\n.balign 16\nembedded_init:\n.incbin "%s"\nembedded_init_end:\n.section .note.GNU-stack,"",@progbits\n' $(INIT_BIN) | $(CC) -c -x assembler -o $@ -
