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
#   make matrix     the selftests on every kernel: 5.10, 6.1, 6.12, newest
#   make fuzz       libFuzzer harnesses, FUZZ_SECS each
#   make bench      benchmarks (rule core natively; connect storm in the VM)
#   make install    module, programs, unit, rules, man pages (DESTDIR, PREFIX)
#   make uninstall  remove them again; edited rules, state and logs stay
#   make sign KEY=… CERT=…  sign c2watch.ko for Secure Boot hosts
#   make deb        Debian packages c2watch and c2watch-dkms in build/deb
#
# Variables: KDIR (kernel build dir), KVER, C2W_CACHE (download/extract cache),
# C2W_VM_ACCEL=kvm (opt-in on hosts where KVM works), WERROR=1,
# DESTDIR, PREFIX (/usr/local), MODULES_LOAD=1 (load c2watch at boot
# through modules-load.d), KEY and CERT (make sign).

C2W_CACHE ?= $(HOME)/.cache/c2watch
export C2W_CACHE

# Packages: "make deps" installs them, and so do "make demo" and "make
# check" (a fresh Debian machine needs no manual step there). Every other
# target only checks, before anything else is evaluated, and stops with one
# line naming what is missing. Skipped for clean and for sub-makes.
NODEPS_GOALS := clean module-clean deps help uninstall install-dkms-src
INSTALL_GOALS := demo check
HOST_GOALS := all module userspace install install-module install-userspace \
	sign
GOALS := $(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all))
ifeq ($(C2W_DEPS_DONE),)
ifneq ($(GOALS),)
ifneq ($(filter $(INSTALL_GOALS),$(GOALS)),)
$(shell scripts/deps.sh ensure >&2)
else
DEPS_SET := full
ifeq ($(filter-out $(HOST_GOALS),$(GOALS)),)
DEPS_SET := build
else ifeq ($(filter-out $(HOST_GOALS) deb,$(GOALS)),)
DEPS_SET := deb
else ifneq ($(filter fuzz,$(GOALS)),)
DEPS_SET := fuzz
else ifneq ($(filter bench,$(GOALS)),)
DEPS_SET := bench
endif
DEPS_MISSING := $(strip $(shell scripts/deps.sh missing $(DEPS_SET)))
ifneq ($(DEPS_MISSING),)
$(error missing Debian packages: $(DEPS_MISSING). Run "make deps" (or apt-get install $(DEPS_MISSING)))
endif
ifeq ($(DEPS_SET),full)
$(shell scripts/deps.sh caches >&2)
endif
endif
export C2W_DEPS_DONE := 1
endif
endif

# Goals that never touch the kernel build directory.
NOKDIR_GOALS := help userspace unit install-userspace install-dkms-src \
	uninstall deb
KVER ?= $(shell uname -r)
ifeq ($(KDIR),)
ifneq ($(filter-out $(NOKDIR_GOALS),$(or $(MAKECMDGOALS),all)),)
# A KVER given on the command line or in the environment must have its
# headers; the default (the running kernel) may fall back.
KDIR := $(shell scripts/kdir.sh $(KVER) $(if $(filter file,$(origin KVER)),,strict))
ifeq ($(KDIR),)
ifneq ($(filter-out clean module-clean,$(or $(MAKECMDGOALS),all)),)
$(error no kernel build directory (see above))
endif
endif
endif
export C2W_KDIR_NOTED := 1
endif
export KDIR

# One version for the module, the programs, DKMS and the packages; make
# check verifies dkms.conf and debian/changelog agree with it.
VERSION := $(shell sed -n 's/^\#define C2W_MODULE_VERSION "\(.*\)"/\1/p' \
	kmod/c2watch.h)

CC ?= gcc
BUILD := build
CFLAGS ?= -O2 -g
WFLAGS := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow
ifeq ($(WERROR),1)
WFLAGS += -Werror
endif
US_CFLAGS := -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -Iinclude/uapi -Iuserspace \
	-DC2W_VERSION='"$(VERSION)"' $(CPPFLAGS)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
KSFT_DIR := $(C2W_CACHE)/kernel-tools/tools/testing/selftests

# Everything compiled here depends on the flags it is compiled with, as
# kbuild's .cmd files do: "make WERROR=1" after a plain "make" compiles
# again (with -Werror) instead of finding everything up to date.
FLAGS_STAMP := $(BUILD)/.flags-$(shell printf '%s' '$(CC) $(CFLAGS) \
	$(WFLAGS) $(CPPFLAGS) $(LDFLAGS)' | sha1sum | cut -c1-12)
$(FLAGS_STAMP):
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/.flags-*
	@touch $@

# json-c, OpenSSL libcrypto (SHA-256) and libnl-genl-3, for libc2w users.
DEP_CFLAGS = $(shell pkg-config --cflags json-c libcrypto libnl-genl-3.0)
DEP_LIBS = $(shell pkg-config --libs json-c libcrypto libnl-genl-3.0)

CORE_SRCS := kmod/rules.c kmod/match.c
CORE_HDRS := kmod/rules.h kmod/match.h kmod/core_types.h
LIB_SRCS := userspace/rsbuild.c userspace/kql.c userspace/rulefile.c \
	userspace/seenfile.c userspace/ecs.c userspace/kqlout.c \
	userspace/evaluate.c userspace/nlclient.c userspace/hostcheck.c \
	userspace/device.c
LIB_HDRS := userspace/rsbuild.h userspace/kql.h userspace/rulefile.h \
	userspace/seenfile.h userspace/ecs.h userspace/kqlout.h \
	userspace/evaluate.h userspace/nlclient.h userspace/hostcheck.h \
	userspace/record.h userspace/device.h
SEED_RULES := userspace/rules/suspicious_network_unknown_executable.ndjson
# Into Elasticsearch: index template, ingest pipeline, Kibana rule, Filebeat.
ELASTIC_ASSETS := $(wildcard userspace/elastic/*)
# Elastic's rule exactly as published, for parity; not loaded by default.
UPSTREAM_RULES := userspace/rules/upstream/suspicious_network_unknown_executable.ndjson

PROGS := $(BUILD)/c2watchctl $(BUILD)/c2watchd
SELFTESTS := $(patsubst tests/selftests/%.c,$(BUILD)/selftests/%,\
	$(wildcard tests/selftests/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UAPI := include/uapi/linux/c2watch.h

.PHONY: all module userspace selftests unit check demo deps sparse fuzz \
	debug-kernel bench matrix \
	checkpatch module-w1 module-clean clean help vm-test

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-w1:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

# kmod/compat.h is where kernel versions are compared (STYLE.md), through
# one macro: checkpatch's LINUX_VERSION_CODE advice is for in-tree code.
CHECKPATCH = perl $(C2W_CACHE)/kernel-tools/scripts/checkpatch.pl --no-tree \
	--strict --terse --show-types --ignore FILE_PATH_CHANGES
checkpatch:
	$(CHECKPATCH) -f $(filter-out kmod/compat.h,$(wildcard kmod/*.c \
		kmod/*.h)) $(UAPI)
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f kmod/compat.h

userspace: $(PROGS)

# libc2w: the shared rule core plus rule loading (KQL, JSON), used by
# c2watchctl, c2watchd and the selftests.
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_SRCS) $(LIB_SRCS))

$(BUILD)/obj/%.o: %.c $(CORE_HDRS) $(LIB_HDRS) $(UAPI) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(US_CFLAGS) -Ikmod $(DEP_CFLAGS) -c -o $@ $<

$(BUILD)/libc2w.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/c2watch%: userspace/c2watch%.c $(BUILD)/libc2w.a $(LIB_HDRS) $(FLAGS_STAMP) \
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

selftests: $(SELFTESTS) $(VM_HELPERS) $(BUILD)/vm-helpers/c2w_kthread.ko

# Test-only module: a kernel thread's connect, which c2watch must ignore.
$(BUILD)/vm-helpers/c2w_kthread.ko: tests/selftests/kthread/c2w_kthread.c \
		tests/selftests/kthread/Kbuild
	@mkdir -p $(BUILD)/kthread-build $(dir $@)
	cp $^ $(BUILD)/kthread-build/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD)/kthread-build modules
	cp $(BUILD)/kthread-build/c2w_kthread.ko $@

# The configuration ioctls from i386 userspace (compat_ptr_ioctl).
$(BUILD)/vm-helpers/c2w-ioctl32: tests/vm/helpers/c2w-ioctl32.c $(UAPI) \
		$(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -m32 -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -Iinclude/uapi \
		-static -o $@ $< $(LDFLAGS)

# Static: the beacon must also run inside a bare chroot.
$(BUILD)/vm-helpers/%: tests/vm/helpers/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -static -o $@ $< \
		-luring $(LDFLAGS)

# The beacon as an i386 binary: connects through the compat syscalls.
$(BUILD)/vm-helpers/c2w-beacon32: tests/vm/helpers/c2w-beacon.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -m32 -std=gnu11 $(WFLAGS) -D_GNU_SOURCE -DC2W_NO_URING \
		-static -o $@ $< $(LDFLAGS)

# The project's warnings, but for what kselftest_harness.h's own macros
# produce: fixture functions without prototypes, _metadata unused.
KSFT_WFLAGS := -Wno-missing-prototypes -Wno-unused-parameter

$(BUILD)/selftests/%: tests/selftests/%.c $(wildcard tests/selftests/*.h) $(FLAGS_STAMP) \
		$(BUILD)/libc2w.a $(UAPI)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 $(WFLAGS) $(KSFT_WFLAGS) -D_GNU_SOURCE \
		-Iinclude/uapi -Ikmod -Iuserspace $(DEP_CFLAGS) \
		-isystem $(KSFT_DIR) -o $@ $< \
		$(BUILD)/libc2w.a \
		$(DEP_LIBS) -luring -lpthread $(LDFLAGS)


FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

$(BUILD)/unit-tests: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(CORE_SRCS) \
		$(FLAGS_STAMP) \
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

# Benchmarks, not part of "make check": the rule core natively; the storms
# once on the instruction-count clock (QEMU -icount: the work done,
# whatever the host does), rounds and pairs only;
# then the storms, seen-set cost and memory and the load held on the
# host's clock. See docs/performance.md.
BENCH_ICOUNT := C2W_VM_ICOUNT=0 C2W_BENCH_PARTS="rounds paired" \
	C2W_BENCH_ROUNDS=2 C2W_BENCH_N=2000 C2W_BENCH_PAIRS=8 \
	C2W_BENCH_PAIR_N=1000
bench: module userspace $(BUILD)/bench/core_bench $(BUILD)/bench/storm \
		$(BUILD)/bench/c2w_bare.ko $(BUILD)/bench/seen-10000.ndjson \
		$(BUILD)/bench/seen-100000.ndjson
	$(BUILD)/bench/core_bench $(SEED_RULES) 200000 7 | tee $(BUILD)/bench/core.md
	$(BENCH_ICOUNT) C2W_VM_TIMEOUT=1800 tests/vm/run.sh bench \
		> $(BUILD)/bench/icount.log
	{ echo "On the instruction-count clock (QEMU -icount shift=0: a guest ns is an instruction)"; \
	  tests/bench/report.sh $(BUILD)/bench/icount.log; } | \
		tee $(BUILD)/bench/icount.md
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
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
		-D_GNU_SOURCE -Iinclude/uapi -Iuserspace -Ikmod -Itests/fuzz \
		$(DEP_CFLAGS) \
		-o $@ $< $(CORE_SRCS) $(LIB_SRCS) $(DEP_LIBS)

# ---- installation -----------------------------------------------------------
# Programs, unit and man pages go under PREFIX (GNU default /usr/local; the
# Debian package uses /usr). Configuration, state and logs do not move: the
# programs and the unit look for them in /etc/c2watch, /var/lib/c2watch and
# /var/log/c2watch. The module goes to the updates/ folder of the kernel it
# was built for (KDIR's release, which is KVER's when its headers exist).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
RULESDIR := /etc/c2watch/rules.d
DATADIR ?= $(PREFIX)/share/c2watch
MANPAGES := docs/man/c2watchctl.8 docs/man/c2watchd.8 docs/man/c2watch.4
MOD_KVER = $(shell scripts/krel.sh $(KDIR))

.PHONY: install install-module install-userspace install-dkms-src uninstall \
	sign deb

install: install-module install-userspace

install-module: module
	install -d $(DESTDIR)/lib/modules/$(MOD_KVER)/updates
	install -m 0644 c2watch.ko $(DESTDIR)/lib/modules/$(MOD_KVER)/updates/
ifeq ($(DESTDIR),)
	depmod -a $(MOD_KVER)
else
	@echo "c2watch: DESTDIR set, depmod not run: run 'depmod -a $(MOD_KVER)' on the target"
endif
ifeq ($(MODULES_LOAD),1)
	install -d $(DESTDIR)/etc/modules-load.d
	echo c2watch > $(DESTDIR)/etc/modules-load.d/c2watch.conf
	chmod 0644 $(DESTDIR)/etc/modules-load.d/c2watch.conf
endif

# An administrator's edited rule file is never overwritten: the shipped
# version goes beside it as NAME.dist (c2watchd loads only *.ndjson/*.json).
install-userspace: userspace
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)/etc/logrotate.d $(DESTDIR)$(RULESDIR) \
		$(DESTDIR)$(DATADIR)/upstream $(DESTDIR)$(DATADIR)/elastic
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(UPSTREAM_RULES) $(DESTDIR)$(DATADIR)/upstream/
	install -m 0644 $(ELASTIC_ASSETS) $(DESTDIR)$(DATADIR)/elastic/
	sed 's|/usr/sbin/c2watchd|$(SBINDIR)/c2watchd|' \
		userspace/c2watchd.service > $(DESTDIR)$(UNITDIR)/c2watchd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/c2watchd.service
	install -m 0644 userspace/c2watchd.logrotate \
		$(DESTDIR)/etc/logrotate.d/c2watchd
	install -m 0644 $(filter %.4,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man4/
	install -m 0644 $(filter %.8,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	@set -e; for f in $(SEED_RULES); do \
		t=$(DESTDIR)$(RULESDIR)/$${f##*/}; \
		if [ -e "$$t" ] && ! cmp -s "$$f" "$$t"; then \
			install -m 0644 "$$f" "$$t.dist"; \
			echo "c2watch: kept your edited $$t; the shipped version is $$t.dist"; \
		else \
			install -m 0644 "$$f" "$$t"; rm -f "$$t.dist"; \
		fi; \
	done
	install -d -m 0700 $(DESTDIR)/var/lib/c2watch
	install -d -m 0750 $(DESTDIR)/var/log/c2watch

# The module source as DKMS wants it in /usr/src/c2watch-VERSION: kbuild
# files only (this Makefile installs packages, dkms must not run it).
DKMS_SRC := Kbuild dkms.conf $(wildcard kmod/*.c kmod/*.h) $(UAPI)
install-dkms-src:
	@set -e; for f in $(DKMS_SRC); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/c2watch-$(VERSION)/$$f; \
	done

# Everything install put there, for every kernel's updates/c2watch.ko.
# What belongs to the administrator stays: an edited rule file, the seen
# set in /var/lib/c2watch and the alerts in /var/log/c2watch.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/c2watchctl $(DESTDIR)$(SBINDIR)/c2watchd \
		$(DESTDIR)$(UNITDIR)/c2watchd.service \
		$(DESTDIR)/etc/logrotate.d/c2watchd \
		$(DESTDIR)/etc/modules-load.d/c2watch.conf \
		$(patsubst docs/man/%.4,$(DESTDIR)$(MANDIR)/man4/%.4,$(filter %.4,$(MANPAGES))) \
		$(patsubst docs/man/%.8,$(DESTDIR)$(MANDIR)/man8/%.8,$(filter %.8,$(MANPAGES))) \
		$(patsubst userspace/rules/%,$(DESTDIR)$(DATADIR)/%,$(UPSTREAM_RULES)) \
		$(patsubst userspace/%,$(DESTDIR)$(DATADIR)/%,$(ELASTIC_ASSETS))
	-rmdir $(DESTDIR)$(DATADIR)/upstream $(DESTDIR)$(DATADIR)/elastic \
		$(DESTDIR)$(DATADIR) 2>/dev/null
	@set -e; for f in $(SEED_RULES); do \
		t=$(DESTDIR)$(RULESDIR)/$${f##*/}; \
		rm -f "$$t.dist"; \
		if cmp -s "$$f" "$$t"; then rm -f "$$t"; \
		elif [ -e "$$t" ]; then echo "c2watch: kept your edited $$t"; fi; \
	done
	-rmdir $(DESTDIR)$(RULESDIR) $(DESTDIR)/etc/c2watch 2>/dev/null
	@set -e; for m in $(DESTDIR)/lib/modules/*/updates/c2watch.ko; do \
		[ -e "$$m" ] || continue; \
		echo "rm -f $$m"; rm -f "$$m"; \
		k=$${m%/updates/c2watch.ko}; k=$${k##*/}; \
		if [ -z "$(DESTDIR)" ]; then depmod -a "$$k"; fi; \
	done
	@echo "c2watch: left /var/lib/c2watch (seen set) and /var/log/c2watch (alerts)"

# Secure Boot: sign with the key enrolled as a MOK (README, "Installing on
# a host"). sign-file comes with the kernel headers.
sign:
	@[ -n "$(KEY)" ] && [ -n "$(CERT)" ] || \
		{ echo "usage: make sign KEY=key.pem CERT=cert.der|cert.pem" >&2; exit 2; }
	@for f in "$(KEY)" "$(CERT)"; do [ -r "$$f" ] || \
		{ echo "c2watch: cannot read $$f" >&2; exit 2; }; done
	@$(MAKE) --no-print-directory module
	@if [ -n "$$(modinfo -F sig_id c2watch.ko)" ]; then \
		echo "c2watch: c2watch.ko already signed, relinking it"; \
		rm -f c2watch.ko; $(MAKE) --no-print-directory module; \
	fi
	$(KDIR)/scripts/sign-file $(or $(SIGN_HASH),sha256) "$(KEY)" "$(CERT)" \
		c2watch.ko
	@modinfo -F signer c2watch.ko | sed 's/^/c2watch: signed by /'

# The two packages, built from a copy of the tree (dpkg-buildpackage writes
# next to its source folder): build/deb/c2watch_*.deb, c2watch-dkms_*.deb.
DEBSRC := $(BUILD)/deb/c2watch-$(VERSION)
deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(DEBSRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			xargs -0 cp --parents -t $(DEBSRC); \
	else \
		tar -c --exclude=./build --exclude='*.o' --exclude='*.ko' \
			--exclude='.*.cmd' . | tar -x -C $(DEBSRC); \
	fi
	cd $(DEBSRC) && dpkg-buildpackage -b -us -uc
	ls $(BUILD)/deb/*.deb

# Everything the VM job runs: the module, the programs and the VM helpers
# (the beacon, the gateway of the VM's network).
demo: module userspace $(VM_HELPERS)
	tests/vm/run.sh demo

deps:
	scripts/deps.sh install

debug-kernel:
	tests/vm/debug-kernel.sh build

# Every kernel of tests/vm/kernels.sh: build, boot, selftests, a table.
# MATRIX=... picks series (5.10 6.1 6.12 newest; SERIES:quick for build,
# load and the engine selftest only).
matrix: userspace selftests
	tests/vm/matrix.sh $(MATRIX)

$(BUILD):
	mkdir -p $@

# Without any kernel headers kbuild cannot clean: remove its output here.
module-clean:
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
else
	rm -f c2watch.ko c2watch.mod c2watch.mod.c c2watch.o Module.symvers \
		modules.order kmod/*.o kmod/.*.cmd .*.cmd
endif

clean: module-clean
	rm -rf $(BUILD)

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile
