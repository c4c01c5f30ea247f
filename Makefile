# SPDX-License-Identifier: GPL-2.0
#
# c2watch top-level Makefile: a wrapper around kbuild for the module and a
# plain build for the userspace programs and tests.
#
#   make            module + userspace programs
#   make check      every gate: unit tests (ASan/UBSan), W=1 build, sparse,
#                   checkpatch, VM selftests; ends with "N passed, N failed"
#   make demo       boot the test VM and show c2watch at work
#   make deps       install Debian packages, prepare caches
#   make debug-kernel  build the KASAN/lockdep/kmemleak test kernel (cache)
#   make fuzz       libFuzzer harnesses, FUZZ_SECS each
#   make bench      benchmarks (rule core natively; connect storm in the VM)
#
# Variables: KDIR (kernel build dir), KVER, C2W_CACHE (download/extract cache),
# C2W_VM_ACCEL=kvm (opt-in on hosts where KVM works), WERROR=1.

C2W_CACHE ?= $(HOME)/.cache/c2watch
export C2W_CACHE

# Install what is missing before anything else is evaluated, so a fresh
# Debian machine needs no manual step. Skipped for clean and for sub-makes.
NODEPS_GOALS := clean module-clean deps help
ifeq ($(C2W_DEPS_DONE),)
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
$(shell tests/deps.sh ensure >&2)
export C2W_DEPS_DONE := 1
endif
endif

KVER ?= $(shell uname -r)
ifeq ($(KDIR),)
ifneq ($(filter-out help,$(or $(MAKECMDGOALS),all)),)
KDIR := $(shell tests/kdir.sh $(KVER))
endif
export C2W_KDIR_NOTED := 1
endif
export KDIR

CC ?= gcc
BUILD := build
CFLAGS ?= -O2 -g
WFLAGS := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow
ifeq ($(WERROR),1)
WFLAGS += -Werror
endif
US_CFLAGS := -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -Iinclude/uapi -Iuserspace
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
KSFT_DIR := $(C2W_CACHE)/kernel-tools/tools/testing/selftests

# json-c, OpenSSL libcrypto (SHA-256) and libnl-genl-3, for libc2w users.
DEP_CFLAGS = $(shell pkg-config --cflags json-c libcrypto libnl-genl-3.0)
DEP_LIBS = $(shell pkg-config --libs json-c libcrypto libnl-genl-3.0)

CORE_SRCS := kmod/rules.c
CORE_HDRS := kmod/rules.h kmod/core_types.h
LIB_SRCS := userspace/rsbuild.c userspace/kql.c userspace/rulefile.c \
	userspace/seenfile.c userspace/ecs.c userspace/kqlout.c \
	userspace/evaluate.c userspace/nlclient.c
LIB_HDRS := userspace/rsbuild.h userspace/kql.h userspace/rulefile.h \
	userspace/seenfile.h userspace/ecs.h userspace/kqlout.h \
	userspace/evaluate.h userspace/nlclient.h
SEED_RULES := userspace/rules/suspicious_network_unknown_executable.ndjson

PROGS := $(BUILD)/c2watchctl $(BUILD)/c2watchd
SELFTESTS := $(patsubst tests/selftests/%.c,$(BUILD)/selftests/%,\
	$(wildcard tests/selftests/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UAPI := include/uapi/linux/c2watch.h

.PHONY: all module userspace selftests unit check demo deps sparse fuzz \
	debug-kernel bench \
	checkpatch module-w1 module-clean clean help vm-test

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-w1:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

checkpatch:
	perl $(C2W_CACHE)/kernel-tools/scripts/checkpatch.pl --no-tree \
		--strict --terse --show-types --ignore FILE_PATH_CHANGES \
		-f $(wildcard kmod/*.c kmod/*.h) $(UAPI)

userspace: $(PROGS)

# libc2w: the shared rule core plus rule loading (KQL, JSON), used by
# c2watchctl, c2watchd and the selftests.
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_SRCS) $(LIB_SRCS))

$(BUILD)/obj/%.o: %.c $(CORE_HDRS) $(LIB_HDRS) $(UAPI)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(US_CFLAGS) -Ikmod $(DEP_CFLAGS) -c -o $@ $<

$(BUILD)/libc2w.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/c2watch%: userspace/c2watch%.c $(BUILD)/libc2w.a $(LIB_HDRS) \
		$(BUILD)/gen/seed_rules.h $(UAPI)
	$(CC) $(CFLAGS) $(US_CFLAGS) -Ikmod -I$(BUILD)/gen $(DEP_CFLAGS) \
		-o $@ $< $(BUILD)/libc2w.a $(DEP_LIBS) $(LDFLAGS)

# The seed rule built into c2watchd, for hosts without a rules directory.
$(BUILD)/gen/seed_rules.h: $(SEED_RULES)
	@mkdir -p $(dir $@)
	{ echo '/* Generated from $(SEED_RULES). */'; \
	  printf 'static const char c2w_seed_rules[] =\n'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

VM_HELPERS := $(patsubst tests/vm/helpers/%.c,$(BUILD)/vm-helpers/%,\
	$(wildcard tests/vm/helpers/*.c)) $(BUILD)/vm-helpers/c2w-beacon32

selftests: $(SELFTESTS) $(VM_HELPERS)

# Static: the beacon must also run inside a bare chroot.
$(BUILD)/vm-helpers/%: tests/vm/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -static -o $@ $< \
		-luring $(LDFLAGS)

# The beacon as an i386 binary: connects through the compat syscalls.
$(BUILD)/vm-helpers/c2w-beacon32: tests/vm/helpers/c2w-beacon.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -m32 -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -DC2W_NO_URING \
		-static -o $@ $< $(LDFLAGS)

$(BUILD)/selftests/%: tests/selftests/%.c $(wildcard tests/selftests/*.h) \
		$(BUILD)/libc2w.a $(UAPI)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -D_GNU_SOURCE -Iinclude/uapi -Ikmod \
		-Iuserspace $(DEP_CFLAGS) -isystem $(KSFT_DIR) -o $@ $< \
		$(BUILD)/libc2w.a \
		$(DEP_LIBS) -luring -lpthread $(LDFLAGS)


FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

$(BUILD)/unit-tests: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(CORE_SRCS) \
		$(CORE_HDRS) $(LIB_SRCS) $(LIB_HDRS) $(FUZZ_SRCS) \
		tests/fuzz/fuzz.h $(UAPI) | $(BUILD)
	$(CC) $(SAN_FLAGS) $(US_CFLAGS) -DC2W_UNIT -Ikmod -Itests/unit \
		-Itests/fuzz $(DEP_CFLAGS) -o $@ $(UNIT_SRCS) $(FUZZ_SRCS) \
		$(CORE_SRCS) $(LIB_SRCS) $(DEP_LIBS)

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

vm-test: module userspace selftests
	tests/vm/run.sh check

check:
	tests/check.sh

# Benchmarks, not part of "make check": the rule core natively, then the
# connect storm, seen-set cost and memory in the VM. See docs/performance.md.
bench: module userspace $(BUILD)/bench/core_bench $(BUILD)/bench/storm \
		$(BUILD)/bench/c2w_bare.ko $(BUILD)/bench/seen-10000.ndjson \
		$(BUILD)/bench/seen-100000.ndjson
	@command -v auditd >/dev/null || tests/deps.sh bench
	$(BUILD)/bench/core_bench $(SEED_RULES) 200000 7 | tee $(BUILD)/bench/core.md
	C2W_VM_TIMEOUT=3000 tests/vm/run.sh bench > $(BUILD)/bench/vm.log
	tests/bench/report.sh $(BUILD)/bench/vm.log | tee $(BUILD)/bench/vm.md

$(BUILD)/bench/core_bench: tests/bench/core_bench.c $(BUILD)/libc2w.a
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -Iinclude/uapi -Ikmod \
		-Iuserspace -o $@ $< $(BUILD)/libc2w.a $(DEP_LIBS)

$(BUILD)/bench/storm: tests/bench/storm.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WFLAGS) -static -o $@ $<

$(BUILD)/bench/c2w_bare.ko: tests/bench/bare/c2w_bare.c tests/bench/bare/Kbuild
	@mkdir -p $(BUILD)/bench/bare-build
	cp $^ $(BUILD)/bench/bare-build/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD)/bench/bare-build modules
	cp $(BUILD)/bench/bare-build/c2w_bare.ko $@

# Synthetic seen sets for the lookup-cost and memory figures.
$(BUILD)/bench/seen-%.ndjson:
	@mkdir -p $(dir $@)
	awk -v n=$* 'BEGIN { for (i = 0; i < n; i++) \
		printf "{\"rule_id\":\"53617418-17b4-4e9c-8a2c-8deb8086ca4b\",\"key\":\"/tmp/bench/executable-%07d\",\"first_seen\":\"2026-11-01T00:00:00Z\",\"last_seen\":\"2026-11-27T00:00:00Z\",\"hits\":1}\n", i }' > $@

# libFuzzer harnesses (clang), not part of "make check": FUZZ_SECS each.
FUZZ_SECS ?= 60
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: $(FUZZERS)
	tests/fuzz/run.sh $(FUZZ_SECS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_SRCS) \
		$(CORE_HDRS) $(LIB_SRCS) $(LIB_HDRS) $(UAPI)
	@command -v clang >/dev/null || tests/deps.sh fuzz
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
		-D_GNU_SOURCE -Iinclude/uapi -Iuserspace -Ikmod -Itests/fuzz \
		$(DEP_CFLAGS) \
		-o $@ $< $(CORE_SRCS) $(LIB_SRCS) $(DEP_LIBS)

demo: module userspace
	tests/vm/run.sh demo

deps:
	tests/deps.sh install

debug-kernel:
	tests/vm/debug-kernel.sh build

$(BUILD):
	mkdir -p $@

module-clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

clean: module-clean
	rm -rf $(BUILD)

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile
