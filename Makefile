# ZTP Rescue.
#
#   make            build build/ztp-rescue (installs missing Debian build packages first)
#   make test       every test suite, built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      benchmarks against tftpd-hpa, dnsmasq, nginx (figures go to docs/benchmarks/)
#   make fuzz       long libFuzzer runs (short ones are part of `make test`)
#
# Sources are found by wildcard: a new appliance/foo.c is part of the binary, a new
# appliance/cmd-foo.c defining `cmd_foo_entry` is a new subcommand, a new
# tests/unit/test_foo.c is a new unit suite, a new tests/integration/foo.sh a new
# integration suite, tests/fuzz/fuzz_foo.c a new fuzz harness.  Several people
# can build at once with separate trees: `make BUILD=build-mine test`.

BUILD		?= build
VERSION		:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CC		:= cc
FUZZCC		:= clang

# Debian packages needed to build, and to run the test suites.
DEB_BUILD	:= gcc make pkg-config libevent-dev libssl-dev libarchive-dev \
		   libsqlite3-dev libjansson-dev libxml2-dev libncurses-dev \
		   libcurl4-openssl-dev libcmocka-dev liburing-dev zlib1g-dev
DEB_TEST	:= clang libclang-rt-14-dev tftp-hpa atftp busybox curl \
		   dnsmasq-base tftpd-hpa nginx-light nftables iproute2 tmux udhcpc \
		   zip unzip libarchive-tools sqlite3 openssl xz-utils zstd procps \
		   iputils-ping psmisc jq lldpd gdisk dosfstools e2fsprogs \
		   tcpdump

PKGS		:= libevent libevent_openssl openssl libarchive sqlite3 jansson \
		   libxml-2.0 ncurses liburing zlib
PKG_CFLAGS	= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
		   -Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS	:= -std=gnu11 -g $(WARN) -D_GNU_SOURCE -Iappliance -I$(BUILD)/gen \
		   -DZTP_VERSION='"$(VERSION)"'
OPT_CFLAGS	:= -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
SAN_CFLAGS	:= -O1 $(SAN_FLAGS)

MAIN_SRC	:= appliance/main.c
LIB_SRCS	:= $(filter-out $(MAIN_SRC),$(wildcard appliance/*.c)) $(wildcard ui/*.c)
CMD_SRCS	:= $(wildcard appliance/cmd-*.c)
DATA_FILES	:= $(wildcard appliance/data/*)
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_SUPPORT	:= $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
SIM_SRCS	:= $(wildcard tests/phonesim/*.c)
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
GEN_SRCS	:= $(wildcard images/gen/*.c)

GEN_C		:= $(BUILD)/gen/cmd-table.c $(BUILD)/gen/embedded-table.c
GEN_S		:= $(BUILD)/gen/embedded.S

# Two flavours of every object: optimised (the shipped binary, benchmarks) and
# sanitized (everything `make test` runs).
OBJ_OPT		:= $(patsubst %.c,$(BUILD)/opt/%.o,$(LIB_SRCS)) \
		   $(patsubst $(BUILD)/gen/%.c,$(BUILD)/opt/gen/%.o,$(GEN_C)) \
		   $(BUILD)/opt/gen/embedded.o
OBJ_SAN		:= $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS)) \
		   $(patsubst $(BUILD)/gen/%.c,$(BUILD)/san/gen/%.o,$(GEN_C)) \
		   $(BUILD)/san/gen/embedded.o

BIN		:= $(BUILD)/ztp-rescue
BIN_SAN		:= $(BUILD)/san/ztp-rescue
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRCS))
SIM_BIN		:= $(BUILD)/phonesim
SIM_BIN_SAN	:= $(BUILD)/san/phonesim
GEN_BIN		:= $(BUILD)/ucs-synth
FUZZ_BINS	:= $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps test-deps test check test-progs bench fuzz clean demo-packages fuzzers demo
.DEFAULT_GOAL := all

all: $(BUILD)/.deps-build $(BIN) $(if $(SIM_SRCS),$(SIM_BIN)) $(if $(GEN_SRCS),$(GEN_BIN))

# --- dependencies -----------------------------------------------------------
# Installs what is missing with apt-get when run as root; otherwise names the
# packages and stops.  The stamp is remade whenever this Makefile changes.
define install_debs
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "note: not a Debian system; make sure these are installed: $(1)" >&2; \
	else \
		missing=""; \
		for p in $(1); do \
			dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | \
			    grep -q 'ok installed' || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			if [ "$$(id -u)" != 0 ]; then \
				echo "ztp-rescue needs these Debian packages:$$missing" >&2; \
				echo "run: sudo apt-get install$$missing   (or run make as root)" >&2; \
				exit 1; \
			fi; \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			    apt-get install -y -qq --no-install-recommends $$missing \
			    >/dev/null || exit 1; \
		fi; \
	fi
endef

$(BUILD)/.deps-build: Makefile
	$(call install_debs,$(DEB_BUILD))
	@mkdir -p $(@D) && touch $@

$(BUILD)/.deps-test: Makefile
	$(call install_debs,$(DEB_TEST))
	@mkdir -p $(@D) && touch $@

deps: $(BUILD)/.deps-build
test-deps: $(BUILD)/.deps-test

# --- generated sources --------------------------------------------------------
# Every appliance/cmd-NAME.c defines `const struct cmd_entry cmd_NAME_entry`.
$(BUILD)/gen/cmd-table.c: $(CMD_SRCS) Makefile
	@mkdir -p $(@D)
	@{ echo '/* Generated by the Makefile from appliance/cmd-*.c. */'; \
	   echo '#include "cmd.h"'; \
	   for f in $(sort $(CMD_SRCS)); do \
		n=$$(basename $$f .c | sed 's/^cmd-//; s/-/_/g'); \
		echo "extern const struct cmd_entry cmd_$${n}_entry;"; \
	   done; \
	   echo 'const struct cmd_entry *const cmd_table[] = {'; \
	   for f in $(sort $(CMD_SRCS)); do \
		n=$$(basename $$f .c | sed 's/^cmd-//; s/-/_/g'); \
		echo "	&cmd_$${n}_entry,"; \
	   done; \
	   echo '	NULL'; echo '};'; } > $@.tmp && mv $@.tmp $@

# Data files in appliance/data/ are compiled into the binary (as NUL-terminated
# bytes) so the appliance never depends on a file it could fail to find.
$(BUILD)/gen/embedded.S: $(DATA_FILES) Makefile
	@mkdir -p $(@D)
	@{ echo '/* Generated by the Makefile from appliance/data/. */'; \
	   echo '	.section .rodata'; \
	   i=0; for f in $(sort $(DATA_FILES)); do \
		echo "	.global embedded_$$i"; \
		echo "	.global embedded_$${i}_end"; \
		echo "embedded_$$i:"; \
		echo "	.incbin \"$$f\""; \
		echo "embedded_$${i}_end:"; \
		echo '	.byte 0'; \
		i=$$((i+1)); \
	   done; \
	   echo '	.section .note.GNU-stack,"",@progbits'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/embedded-table.c: $(DATA_FILES) Makefile
	@mkdir -p $(@D)
	@{ echo '/* Generated by the Makefile from appliance/data/. */'; \
	   echo '#include "embedded.h"'; \
	   i=0; for f in $(sort $(DATA_FILES)); do \
		echo "extern const char embedded_$$i[], embedded_$${i}_end[];"; \
		i=$$((i+1)); \
	   done; \
	   echo 'const struct embedded_file embedded_files[] = {'; \
	   i=0; for f in $(sort $(DATA_FILES)); do \
		echo "	{ \"$$(basename $$f)\", embedded_$$i, embedded_$${i}_end },"; \
		i=$$((i+1)); \
	   done; \
	   echo '	{ NULL, NULL, NULL }'; echo '};'; } > $@.tmp && mv $@.tmp $@

# --- objects ------------------------------------------------------------------
$(BUILD)/opt/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/opt/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -c $< -o $@

$(BUILD)/san/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -c $< -o $@

$(BUILD)/opt/gen/embedded.o $(BUILD)/san/gen/embedded.o: $(GEN_S)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

$(BUILD)/libztp.a: $(OBJ_OPT)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/san/libztp.a: $(OBJ_SAN)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/opt/$(MAIN_SRC:.c=.o) $(BUILD)/libztp.a
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BIN_SAN): $(BUILD)/san/$(MAIN_SRC:.c=.o) $(BUILD)/san/libztp.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm

# --- tests ----------------------------------------------------------------------
$(BUILD)/san/tests/%: tests/unit/%.c $(patsubst %.c,$(BUILD)/san/%.o,$(UNIT_SUPPORT)) $(BUILD)/san/libztp.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $^ \
	    $(PKG_LIBS) $$(pkg-config --libs cmocka) -lm

# The phone simulator shares no code with the appliance: it is built from
# tests/phonesim alone, on libcurl.
SIM_LIBS	= $(shell pkg-config --libs libcurl openssl libxml-2.0 2>/dev/null) -pthread
SIM_CFLAGS	= $(shell pkg-config --cflags libcurl openssl libxml-2.0 2>/dev/null) \
		  -DSIM_PARAMS_FILE='"$(CURDIR)/appliance/data/params.tsv"'
$(SIM_BIN): $(SIM_SRCS) $(wildcard tests/phonesim/*.h) | $(BUILD)/.deps-build
	$(CC) -std=gnu11 -g $(WARN) -D_GNU_SOURCE $(OPT_CFLAGS) $(SIM_CFLAGS) -o $@ $(SIM_SRCS) $(SIM_LIBS)
$(SIM_BIN_SAN): $(SIM_SRCS) $(wildcard tests/phonesim/*.h) | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -g $(WARN) -D_GNU_SOURCE $(SAN_CFLAGS) $(SIM_CFLAGS) -o $@ $(SIM_SRCS) $(SIM_LIBS)

# The synthetic UC Software package generator (images/gen).
$(GEN_BIN): $(GEN_SRCS) $(wildcard images/gen/*.h) | $(BUILD)/.deps-build
	$(CC) -std=gnu11 -g $(WARN) -D_GNU_SOURCE $(OPT_CFLAGS) $(PKG_CFLAGS) -o $@ $(GEN_SRCS) $(PKG_LIBS)

demo-packages: $(GEN_BIN)
	$(GEN_BIN) --out images/synthetic --size small

# The appliance, synthetic packages and a closet of simulated phones on
# loopback (no root), with the console open; quitting it stops them all.
demo: all demo-packages
	@sh tests/demo.sh $(BUILD)

# libFuzzer harnesses: the appliance sources are compiled once with clang's
# fuzzer instrumentation into one archive, and each harness links against it.
FUZZ_FLAGS	:= -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	= -std=gnu11 -D_GNU_SOURCE -DZTP_FUZZ $(WARN) \
		  -Iappliance -I$(BUILD)/gen \
		  -DZTP_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(FUZZ_FLAGS) \
		  -fsanitize=fuzzer-no-link
OBJ_FUZZ	:= $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS)) \
		   $(patsubst $(BUILD)/gen/%.c,$(BUILD)/fuzzobj/gen/%.o,$(GEN_C)) \
		   $(BUILD)/fuzzobj/gen/embedded.o
$(BUILD)/fuzzobj/%.o: %.c | $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzzobj/gen/%.o: $(BUILD)/gen/%.c | $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) -c $< -o $@
$(BUILD)/fuzzobj/gen/embedded.o: $(GEN_S)
	@mkdir -p $(@D)
	$(FUZZCC) -c $< -o $@
$(BUILD)/fuzzobj/libztp.a: $(OBJ_FUZZ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzzobj/libztp.a
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm
fuzzers: $(FUZZ_BINS)

TEST_PROGS	:= $(BIN_SAN) $(UNIT_BINS) $(if $(SIM_SRCS),$(SIM_BIN_SAN)) \
		   $(if $(GEN_SRCS),$(GEN_BIN)) $(FUZZ_BINS)

# The test programs build with one job per CPU unless make was given -j:
# on a 2-CPU machine that halves the wait before the first suite runs.
TEST_JOBS	:= $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
test check: $(BUILD)/.deps-build $(BUILD)/.deps-test
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-progs
	@BUILD=$(BUILD) sh tests/run.sh
test-progs: $(TEST_PROGS)

bench: $(BUILD)/.deps-test all
	@BUILD=$(BUILD) sh tests/bench/run.sh

fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-300} sh tests/fuzz/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/opt $(BUILD)/san $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)

# --- appliance image (not part of `make test`; see docs/image.md) ---------------
#   make deb          build/ztp-rescue_VERSION_amd64.deb
#   make image        build/ztp-rescue-VERSION.img (IMAGE_COMPRESSION=release: zstd -19)
#   make image-test   boots it under QEMU (TCG): BIOS, UEFI, UEFI with Secure Boot
# Every program the image targets run, by package: build-deb.sh (dpkg-deb,
# objdump, strip, gzip), build-image.sh (mmdebstrap, mksquashfs, grub-mkimage,
# mkfs.vfat, mcopy, sgdisk), image-test.sh (qemu, OVMF, sfdisk, mkfs.vfat,
# mtools, sgdisk, debugfs, openssl, jq, curl, ss).  image-test.sh also checks
# them itself, so a missing one stops it with the package to install.
DEB_IMAGE	:= mmdebstrap squashfs-tools dosfstools mtools gdisk grub-pc-bin \
		   grub-common grub-efi-amd64-signed shim-signed dpkg-dev binutils \
		   gzip e2fsprogs debian-archive-keyring curl
DEB_IMAGE_TEST	:= $(DEB_IMAGE) qemu-system-x86 ovmf fdisk openssl jq iproute2 \
		   coreutils
IMAGE_COMPRESSION ?= fast
DEB_FILE	:= $(BUILD)/ztp-rescue_$(VERSION)_amd64.deb
IMAGE_FILE	:= $(BUILD)/ztp-rescue-$(VERSION).img

.PHONY: deb image image-test image-deps
$(BUILD)/.deps-image: Makefile
	$(call install_debs,$(DEB_IMAGE))
	@mkdir -p $(@D) && touch $@
$(BUILD)/.deps-image-test: Makefile
	$(call install_debs,$(DEB_IMAGE_TEST))
	@mkdir -p $(@D) && touch $@
image-deps: $(BUILD)/.deps-image $(BUILD)/.deps-image-test

deb: $(DEB_FILE)
$(DEB_FILE): $(BIN) $(wildcard rootfs/deb/*) VERSION | $(BUILD)/.deps-image
	sh rootfs/deb/build-deb.sh $(BIN) $(VERSION) $@

image: $(IMAGE_FILE)
$(IMAGE_FILE): $(DEB_FILE) rootfs/build-image.sh rootfs/prune-modules.sh rootfs/grub.cfg \
    $(shell find rootfs/overlay -type f 2>/dev/null) | $(BUILD)/.deps-image
	IMAGE_COMPRESSION=$(IMAGE_COMPRESSION) sh rootfs/build-image.sh $(DEB_FILE) $@

image-test: $(IMAGE_FILE) $(SIM_BIN) $(GEN_BIN) | $(BUILD)/.deps-test $(BUILD)/.deps-image-test
	BUILD=$(BUILD) sh rootfs/image-test.sh $(IMAGE_FILE)
