# SPDX-License-Identifier: GPL-2.0
# kipc: the module (through Kbuild, against KDIR), libkipc, the tools and the
# selftests. Output goes to build/; V=1 shows the commands.

VERSION		:= $(shell cat $(dir $(lastword $(MAKEFILE_LIST)))VERSION)
SOVERSION	:= 0
KIPC_CACHE	?= /var/cache/kipc
KSFT_DIR	?= $(KIPC_CACHE)/linux-source-6.12/tools/testing/selftests
KSRC		?= $(KIPC_CACHE)/linux-source-6.12

# The kernel to build the module against: the running kernel's headers when
# installed, else the newest Debian cloud headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-cloud-amd64))))

B		:= $(CURDIR)/build
CC		?= gcc
CFLAGS		?= -O2 -g
WARNFLAGS	:= -Wall -Wextra -Werror -Wno-unused-parameter
ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s%s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

.PHONY: all module module-path userspace lib tools examples selftests selftests-abi host-test host-test-lib host-test-sys host-test-progs lint \
	check demo bench deps vm-shell clean
# A plain make builds what it can: without kernel headers it skips the
# module, without a kernel source tree (kselftest's lib.mk) the selftests,
# saying so; make module and make selftests fail instead (make check uses
# them).
all: lib tools examples all-module all-selftests
userspace: lib tools examples selftests
.PHONY: all-module all-selftests
all-module:
	$(if $(KREL),$(Q)$(MAKE) --no-print-directory module,@echo "  SKIP    module: no kernel headers at KDIR='$(KDIR)' (make deps installs them)")
all-selftests:
	$(if $(wildcard $(KSFT_DIR)/lib.mk),$(Q)$(MAKE) --no-print-directory selftests,@echo "  SKIP    selftests: no kselftest tree at $(KSFT_DIR) (make deps unpacks linux-source-6.12)")

## The module. Sources are copied to a directory per kernel release so that
## builds for several kernels do not overwrite each other's objects.
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
MOD_DIR = $(B)/module/$(KREL)
MOD_SRCS := Kbuild VERSION $(wildcard kmod/*.[ch]) uapi/linux/kipc.h

## Builds for the same kernel at the same time (make check's host steps
## boot guests side by side) take turns: the lock is held across the copy
## and the build.
module:
	@test -n "$(KREL)" || { echo "no kernel headers at KDIR='$(KDIR)': run make deps" >&2; exit 1; }
	@mkdir -p $(MOD_DIR)
	$(call msg,MODULE,$(KREL))
	$(Q)flock $(MOD_DIR)/.lock sh -c '\
	rsync -a --delete --exclude="*.o" --exclude="*.ko" --exclude=".*" \
		--exclude="*.mod*" --exclude=modules.order --exclude=Module.symvers \
		Kbuild VERSION kmod uapi $(MOD_DIR)/ && \
	$(MAKE) -C $(KDIR) M=$(MOD_DIR) $(if $(filter 1,$(V)),,-s) \
		KCFLAGS="-Werror $(KCFLAGS)" modules'

module-path:
	@echo $(MOD_DIR)/kipc.ko

## libkipc
LIB_SRCS	:= $(wildcard libkipc/*.c)
LIB_OBJS	:= $(patsubst libkipc/%.c,$(B)/libkipc/%.o,$(LIB_SRCS))
LIB_CFLAGS	:= $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -fPIC -fvisibility=hidden \
		   -Ilibkipc/include -Iuapi -D_GNU_SOURCE
LIB_SO		:= $(B)/lib/libkipc.so.$(VERSION)
LIB_LIBS	:= -lmnl	# netlink statistics (libkipc/stats.c)
comma		:= ,

FFI_SO		:= $(B)/lib/libkipc-ffi.so.$(VERSION)
FFI_MAPS	:= libkipc/libkipc.map libkipc/ffi/libkipc-ffi.map

lib: $(LIB_SO) $(B)/lib/libkipc.a $(B)/lib/pkgconfig/libkipc.pc \
     $(FFI_SO) $(B)/lib/pkgconfig/libkipc-ffi.pc

$(B)/libkipc/%.o: libkipc/%.c $(wildcard libkipc/*.h libkipc/include/*.h) uapi/linux/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(LIB_SO): $(LIB_OBJS) libkipc/libkipc.map
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libkipc.so.$(SOVERSION) \
		-Wl,--version-script=libkipc/libkipc.map -o $@ $(LIB_OBJS) \
		$(LIB_LIBS)
	$(Q)ln -sf libkipc.so.$(VERSION) $(B)/lib/libkipc.so.$(SOVERSION)
	$(Q)ln -sf libkipc.so.$(SOVERSION) $(B)/lib/libkipc.so

# libkipc-ffi: libkipc and, as functions, what kipc.h defines inline.
$(B)/libkipc/ffi/ffi.o: libkipc/ffi/ffi.c libkipc/include/kipc.h uapi/linux/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(FFI_SO): $(LIB_OBJS) $(B)/libkipc/ffi/ffi.o $(FFI_MAPS)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libkipc-ffi.so.$(SOVERSION) \
		$(addprefix -Wl$(comma)--version-script=,$(FFI_MAPS)) -o $@ \
		$(LIB_OBJS) $(B)/libkipc/ffi/ffi.o $(LIB_LIBS)
	$(Q)ln -sf libkipc-ffi.so.$(VERSION) $(B)/lib/libkipc-ffi.so.$(SOVERSION)
	$(Q)ln -sf libkipc-ffi.so.$(SOVERSION) $(B)/lib/libkipc-ffi.so

# The archive's stats.o has no symbol versions (KIPC_STATIC): a version
# named in an object fails the link of any shared object that embeds the
# archive ("version node not found"), and a program linked statically has
# one kipc_stats_get(), the current one.
LIB_STATIC_OBJS	:= $(filter-out $(B)/libkipc/stats.o,$(LIB_OBJS)) \
		   $(B)/libkipc/static/stats.o
$(B)/libkipc/static/stats.o: libkipc/stats.c $(wildcard libkipc/*.h libkipc/include/*.h) uapi/linux/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$< (static))
	$(Q)$(CC) $(LIB_CFLAGS) -DKIPC_STATIC -c $< -o $@

$(B)/lib/libkipc.a: $(LIB_STATIC_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# For uninstalled use from build/ (PKG_CONFIG_PATH=build/lib/pkgconfig).
$(B)/lib/pkgconfig/%.pc: libkipc/%.pc.in Makefile
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@prefix@|$(B)|' -e 's|@libdir@|$(B)/lib|' \
		-e 's|@includedir@|$(CURDIR)/libkipc/include -I$(CURDIR)/uapi|' \
		-e 's|@version@|$(VERSION)|' \
		$< >$@

## Programs linked with libkipc.
APP_CFLAGS	:= $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -Ilibkipc/include -Iuapi -D_GNU_SOURCE
APP_LDFLAGS	:= -L$(B)/lib -Wl,-rpath,'$$ORIGIN/../lib' -lkipc
SCRIPTS		:= $(B)/bin/kipc-demo $(B)/bin/kipc-selftests $(B)/bin/kipc-examples \
		   $(B)/bin/kipc-tool-tests $(B)/bin/kipc-group-tests
TOOLS		:= $(B)/bin/kipcctl $(B)/bin/kipc-bench $(SCRIPTS)

tools: $(TOOLS)

# kipc-bench has its own Makefile (it builds standalone, without libkipc,
# and then lists kipc's rows as unavailable); here it gets libkipc.
.PHONY: $(B)/bin/kipc-bench
$(B)/bin/kipc-bench: $(LIB_SO)
	$(Q)$(MAKE) -C tools/kipc-bench V=$(V) LIBKIPC_DIR=$(B)/lib \
		LIBKIPC_INC="$(CURDIR)/libkipc/include $(CURDIR)/uapi" \
		KB_VERSION=$(VERSION)
	@mkdir -p $(dir $@)
	$(Q)cmp -s tools/kipc-bench/kipc-bench $@ || \
		{ cp tools/kipc-bench/kipc-bench $@.tmp && mv $@.tmp $@; }

$(B)/bin/kipc-demo: tools/kipc-demo
$(B)/bin/kipc-selftests: tools/vm/kipc-selftests
$(B)/bin/kipc-examples: tools/vm/kipc-examples
$(B)/bin/kipc-tool-tests: tools/vm/kipc-tool-tests
$(B)/bin/kipc-group-tests: tools/vm/kipc-group-tests
$(SCRIPTS):
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(B)/bin/kipcctl: $(wildcard tools/kipcctl/*.c tools/kipcctl/*.h) $(LIB_SO)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -DKIPC_TOOLS_VERSION='"$(VERSION)"' -o $@ \
		$(filter %.c,$^) $(LDFLAGS) $(APP_LDFLAGS) -lmnl -ljson-c

## kipc-run: process groups from a JSON file (json-c).
tools: $(B)/bin/kipc-run
$(B)/bin/kipc-run: $(wildcard tools/kipc-run/*.c tools/kipc-run/*.h) $(LIB_SO) \
		libkipc/include/kipc_group.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $(filter %.c,$^) $(LDFLAGS) $(APP_LDFLAGS) -ljson-c

# The RPC layer's guest test (tools/vm/kipc-examples runs it).
$(B)/bin/kipc-rpc-test: tools/kipc-rpc-test/kipc-rpc-test.c $(LIB_SO) \
		tools/kipc-rpc-test/rpc_raw.h libkipc/include/kipc.h \
		libkipc/include/kipc_rpc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -pthread -o $@ $< $(APP_LDFLAGS)
tools: $(B)/bin/kipc-rpc-test

# libkipc's mutex and condition variable when holders die (a guest test,
# run by tools/vm/kipc-examples).
$(B)/bin/sync_owner_dead_test: libkipc/test/sync_owner_dead_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -pthread -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/sync_owner_dead_test

# The RPC server against clients that do not follow the protocol (a guest
# test, run by tools/vm/kipc-examples).
$(B)/bin/rpc_server_limits_test: libkipc/test/rpc_server_limits_test.c \
		$(LIB_SO) tools/kipc-rpc-test/rpc_raw.h libkipc/include/kipc.h \
		libkipc/include/kipc_rpc.h selftests/kipc/kt_leftovers.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) \
		-Itools/kipc-rpc-test -Iselftests/kipc -pthread -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/rpc_server_limits_test

# libkipc's netlink handle with events subscribed (a guest test, run by
# tools/vm/kipc-examples).
$(B)/bin/nl_events_test: libkipc/test/nl_events_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/nl_events_test

# kipc_stats_get()'s two symbol versions against the module (a guest test,
# run by tools/vm/kipc-examples).
$(B)/bin/nl_stats_test: libkipc/test/nl_stats_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/nl_stats_test

# kipc_channel_send_bytes() without a tag (a guest test, run by
# tools/vm/kipc-examples).
$(B)/bin/send_bytes_test: libkipc/test/send_bytes_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/send_bytes_test

# libkipc's core wrappers against the module: names with what they opened,
# adopted fds and close-on-exec, messages without a lend queue (a guest
# test, run by tools/vm/kipc-examples).
$(B)/bin/core_wrappers_test: libkipc/test/core_wrappers_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/core_wrappers_test

# libkipc_host_test (make host-test) again, for the guest: kipc-examples
# runs it with the module loaded.
$(B)/bin/libkipc_host_test: libkipc/test/libkipc_host_test.c $(LIB_SO) \
		libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		$(APP_LDFLAGS)
tools: $(B)/bin/libkipc_host_test

# A ring notifier killed inside its notify (a guest test, run by
# tools/vm/kipc-examples): linked with the static libkipc, whose clock it
# wraps to die there.
$(B)/bin/ring_notifier_death_test: libkipc/test/ring_notifier_death_test.c \
		$(B)/lib/libkipc.a libkipc/ring.h libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -Ilibkipc \
		-pthread -o $@ $< -Wl,--wrap=kipc__now_ns $(B)/lib/libkipc.a \
		$(LIB_LIBS)
tools: $(B)/bin/ring_notifier_death_test

# Process groups' supervisor and worker side in corner cases (a guest test,
# run by tools/vm/kipc-group-tests); it reads the control region: group.h.
$(B)/bin/group_supervisor_test: libkipc/test/group_supervisor_test.c $(LIB_SO) \
		libkipc/include/kipc.h libkipc/include/kipc_group.h libkipc/group.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -Ilibkipc \
		-pthread -o $@ $< $(APP_LDFLAGS)
tools: $(B)/bin/group_supervisor_test

# kipc-kv, the example service (tools/kipc-kv), and its guest test.
$(B)/bin/kipc-kv: tools/kipc-kv/kipc-kv.c $(LIB_SO) libkipc/include/kipc.h \
		libkipc/include/kipc_rpc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -pthread -o $@ $< $(APP_LDFLAGS)
$(B)/bin/kipc-kv-test: tools/kipc-kv/kipc-kv-test
	@mkdir -p $(dir $@)
	$(Q)cp $< $@
tools: $(B)/bin/kipc-kv $(B)/bin/kipc-kv-test

# The helpers of kipcctl's guest test (tools/vm/kipc-tool-tests): they plant
# the objects and problems kipcctl must find. Not installed.
KIPCCTL_HELPERS	:= $(B)/bin/kipcctl-sys-helper $(B)/bin/kipcctl-kipc-helper
tools: $(KIPCCTL_HELPERS)

$(B)/bin/kipcctl-sys-helper: tools/kipcctl/test/sys-helper.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(LDFLAGS) -lrt

$(B)/bin/kipcctl-kipc-helper: tools/kipcctl/test/kipc-helper.c $(LIB_SO) libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(LDFLAGS) $(APP_LDFLAGS)

## The debug lane (Documentation/dev/debug-lane.md): stress, fault-injection
## and fuzzing programs, run in the debug kernel's guest.
DEBUGLANE	:= $(B)/bin/kipc-stress $(B)/bin/kipc-fuzz $(B)/bin/kipc-faultinject \
		   $(B)/bin/kipc-faultinject-sweep $(B)/bin/kipc-debuglane \
		   $(B)/bin/kipc-racelane $(B)/bin/kipc-compat32
tools: $(DEBUGLANE)

# A 32-bit caller, static (the guest has no 32-bit libraries): every ioctl
# through compat_ioctl. Needs gcc-multilib (tools/install-deps).
$(B)/bin/kipc-compat32: tools/debuglane/kipc-compat32.c uapi/linux/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC32,$@)
	$(Q)$(CC) -m32 -static $(CFLAGS) $(WARNFLAGS) -Iuapi -D_GNU_SOURCE -o $@ $<

# The debug-lane tools issue raw ioctls through the selftests' helpers.
DL_DEPS		:= tools/debuglane/dl.h selftests/kipc/kipc_ioctl.h $(LIB_SO)
DL_CFLAGS	:= $(APP_CFLAGS) -Iselftests/kipc

$(B)/bin/kipc-stress $(B)/bin/kipc-faultinject: $(B)/bin/%: tools/debuglane/%.c \
		$(DL_DEPS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(DL_CFLAGS) -o $@ $< $(APP_LDFLAGS)

# kipc-fuzz --shared (kipc-fuzz-shared.c) is threaded and dumps over
# netlink through libkipc.
$(B)/bin/kipc-fuzz: tools/debuglane/kipc-fuzz.c tools/debuglane/kipc-fuzz-shared.c \
		$(DL_DEPS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(DL_CFLAGS) -pthread -o $@ $(filter %.c,$^) $(APP_LDFLAGS)

$(B)/bin/kipc-faultinject-sweep $(B)/bin/kipc-debuglane $(B)/bin/kipc-racelane: \
		$(B)/bin/%: tools/debuglane/%
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

## Examples: small programs built on libkipc, installed next to the tools
## (so that the VM has them on PATH).
EXAMPLES	:= $(patsubst examples/%.c,$(B)/bin/%,$(wildcard examples/*.c))

examples: $(EXAMPLES)

$(B)/bin/%: examples/%.c $(LIB_SO) libkipc/include/kipc.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(APP_LDFLAGS)

# Process groups: the example uses zlib for its compressing variant.
$(B)/bin/group_pipeline: examples/group_pipeline.c $(LIB_SO) libkipc/include/kipc.h \
		libkipc/include/kipc_group.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(APP_LDFLAGS) -lz

## Selftests, through the kernel's own lib.mk.
selftests:
	@test -f $(KSFT_DIR)/lib.mk || { echo "no kselftest tree at $(KSFT_DIR): run make deps" >&2; exit 1; }
	@mkdir -p $(B)/selftests
	$(Q)$(MAKE) -C selftests/kipc KSFT_DIR=$(KSFT_DIR) OUTPUT=$(B)/selftests \
		V=$(V)
selftests: $(B)/selftests/settings $(B)/selftests/config
$(B)/selftests/settings $(B)/selftests/config: $(B)/selftests/%: selftests/kipc/%
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

## Selftests as built at 38ea9ff, the ABI kipc keeps binary compatible:
## they run beside today's (as *_38ea9ff_test) against the current module.
ABI_REV		:= 38ea9ff
ABI_TESTS	:= abi_test abi_chan_test abi_wait_test channel_order_test \
		   channel_buf_test
ABI_DIR		:= $(B)/abi-$(ABI_REV)
# The revision, for tools/check (its debug kernels leave those tests out).
.PHONY: abi-rev
abi-rev:
	@echo $(ABI_REV)
selftests: selftests-abi
# Built once: the sources of $(ABI_REV) never change.
selftests-abi:
	$(Q)if ! git cat-file -e $(ABI_REV) 2>/dev/null; then \
		echo "  SKIP    selftests of $(ABI_REV): not a git checkout with it"; \
		exit 0; \
	fi; \
	built=1; for t in $(ABI_TESTS); do \
		[ -x $(B)/selftests/$${t%_test}_$(ABI_REV)_test ] || built=0; \
	done; [ $$built = 0 ] || exit 0; \
	rm -rf $(ABI_DIR) && mkdir -p $(ABI_DIR) $(B)/selftests && \
	git archive $(ABI_REV) selftests/kipc uapi | tar -x -C $(ABI_DIR) && \
	for t in $(ABI_TESTS); do \
		$(if $(Q),printf '  %-8s%s\n' CC $${t%_test}_$(ABI_REV)_test;) \
		$(CC) -D_GNU_SOURCE -Wall -Werror -O2 -I$(KSFT_DIR) -I$(ABI_DIR)/uapi \
			-I$(ABI_DIR)/selftests/kipc \
			-o $(B)/selftests/$${t%_test}_$(ABI_REV)_test \
			$(ABI_DIR)/selftests/kipc/$$t.c -lpthread || exit 1; \
	done

## Checks. abi-check looks for each symbol's declaration in every public
## header (kipc.h, kipc_rpc.h, kipc_group.h) and compiles them all.
HOST_TESTS := $(B)/test/libkipc_host_test $(B)/test/ring_poll_test \
	      $(B)/test/ring_peer_test $(B)/test/ring_race_test \
	      $(B)/test/ring_inplace_test $(B)/test/sync_error_test \
	      $(B)/test/sync_deadline_test $(B)/test/leftovers_test

$(B)/test/%: libkipc/test/%.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -o $@ $< \
		-L$(B)/lib -Wl,-rpath,$(B)/lib -lkipc

# Call libkipc's internal functions or use its internal structs: linked
# with the static library.
$(B)/test/ring_poll_test: libkipc/test/ring_poll_test.c $(B)/lib/libkipc.a \
			  libkipc/ring_poll.h
$(B)/test/ring_peer_test: libkipc/test/ring_peer_test.c $(B)/lib/libkipc.a \
			  libkipc/sys.h libkipc/ring.h \
			  libkipc/test/ring_test_region.h
$(B)/test/ring_inplace_test: libkipc/test/ring_inplace_test.c \
			     $(B)/lib/libkipc.a libkipc/sys.h \
			     libkipc/test/ring_test_region.h
$(B)/test/sync_error_test: libkipc/test/sync_error_test.c $(B)/lib/libkipc.a \
			   libkipc/sys.h
$(B)/test/ring_poll_test $(B)/test/ring_peer_test $(B)/test/ring_inplace_test \
$(B)/test/sync_error_test:
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -Ilibkipc -o $@ $< \
		$(B)/lib/libkipc.a $(LIB_LIBS)
# The ring's check before sleeping, with other sides acting inside it: the
# test takes the place of the poll before the sleep (--wrap).
$(B)/test/ring_race_test: libkipc/test/ring_race_test.c $(B)/lib/libkipc.a \
			  libkipc/ring.h libkipc/ring_poll.h libkipc/sys.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -Ilibkipc -o $@ $< \
		-Wl,--wrap=kipc__ring_poll -Wl,--wrap=kipc_wait $(B)/lib/libkipc.a $(LIB_LIBS)

# The mutex's and the condition's deadlines against a scripted wait: the
# test takes the place of kipc_wait() (--wrap).
$(B)/test/sync_deadline_test: libkipc/test/sync_deadline_test.c \
			      $(B)/lib/libkipc.a libkipc/sys.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -Ilibkipc -o $@ $< \
		-Wl,--wrap=kipc_wait -Wl,--wrap=kipc__deadline_passed \
		-Wl,--wrap=kipc_requeue -Wl,--wrap=kipc_wake \
		$(B)/lib/libkipc.a $(LIB_LIBS)

# The selftests' kt_leftovers.h against the harness, on the host.
$(B)/test/leftovers_test: selftests/kipc/host/leftovers_test.c \
			  selftests/kipc/kt_leftovers.h selftests/kipc/kipc_test.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) -I$(KSFT_DIR) -Iselftests/kipc \
		-Iselftests/kipc/include -o $@ $<

# What host-test runs, built (make check builds it before its steps start).
host-test-progs: lib $(HOST_TESTS) $(B)/bin/kipc-bench $(B)/bin/kipcctl selftests

# Two halves, which make check runs side by side: libkipc's tests,
# kipc-bench's, the ABI and man page checks; kipcctl's (test-sys.sh).
host-test: host-test-lib host-test-sys

host-test-lib: host-test-progs
	$(Q)for t in $(HOST_TESTS); do $$t || exit 1; done
	$(Q)tools/kipc-bench/test-host.sh $(B)/bin/kipc-bench
	$(Q)libkipc/test/abi-check.sh $(B)/lib/libkipc.so libkipc/libkipc.map \
		Documentation/man libkipc/include/kipc.h uapi
	$(Q)cat $(FFI_MAPS) >$(B)/lib/libkipc-ffi.map && \
		libkipc/test/abi-check.sh $(B)/lib/libkipc-ffi.so \
		$(B)/lib/libkipc-ffi.map Documentation/man \
		libkipc/include/kipc.h uapi
	$(Q)tools/consumer-test
	$(Q)tools/selftests-skip-check $(B)/selftests
	$(Q)tools/man-check

host-test-sys: host-test-progs
	$(Q)tools/kipcctl/test-sys.sh $(B)/bin/kipcctl

## Installation. PREFIX, DESTDIR and LIBDIR (multiarch by default) as
## usual; the library's include directory carries its own copy of the uapi
## headers (kipc/linux/), which the pkg-config file points at, so that
## #include <kipc.h> needs no kernel headers.
PREFIX		?= /usr/local
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR		?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR	?= $(PREFIX)/include
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
INSTALL_FILES	:= $(INCLUDEDIR)/kipc.h $(INCLUDEDIR)/kipc_rpc.h \
		   $(INCLUDEDIR)/kipc/linux/kipc.h \
		   $(INCLUDEDIR)/kipc/linux/kipc_nl.h \
		   $(LIBDIR)/libkipc.so.$(VERSION) $(LIBDIR)/libkipc.so.$(SOVERSION) \
		   $(LIBDIR)/libkipc.so $(LIBDIR)/libkipc.a \
		   $(LIBDIR)/libkipc-ffi.so.$(VERSION) \
		   $(LIBDIR)/libkipc-ffi.so.$(SOVERSION) $(LIBDIR)/libkipc-ffi.so \
		   $(LIBDIR)/pkgconfig/libkipc.pc $(LIBDIR)/pkgconfig/libkipc-ffi.pc \
		   $(BINDIR)/kipcctl \
		   $(BINDIR)/kipc-bench $(MANDIR)/man1/kipc-bench.1 \
		   $(MANDIR)/man8/kipcctl.8 $(MANDIR)/man7/kipc.7 \
		   $(patsubst Documentation/man/%,$(MANDIR)/man3/%,$(wildcard Documentation/man/kipc_*.3))
# Process groups: their header, kipc-run and its page.
INSTALL_FILES	+= $(INCLUDEDIR)/kipc_group.h $(BINDIR)/kipc-run $(MANDIR)/man1/kipc-run.1

# Installed for this system (no DESTDIR) by root: the loader's cache learns
# the library's new place and soname (/usr/local/lib/TRIPLET is searched
# only through ld.so.conf.d, so the programs would not find it before).
LDCONFIG	= $(Q)if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
		     command -v ldconfig >/dev/null; then ldconfig; fi

.PHONY: install uninstall modules_install modules_uninstall modules-uname consumer-test
install: lib $(B)/bin/kipcctl $(B)/bin/kipc-bench $(B)/bin/kipc-run
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(INCLUDEDIR)/kipc/linux $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	$(Q)install -m 644 libkipc/include/kipc.h libkipc/include/kipc_rpc.h \
		$(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 644 uapi/linux/kipc.h uapi/linux/kipc_nl.h \
		$(DESTDIR)$(INCLUDEDIR)/kipc/linux/
	$(Q)install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf libkipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkipc.so.$(SOVERSION)
	$(Q)ln -sf libkipc.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkipc.so
	$(Q)install -m 644 $(B)/lib/libkipc.a $(DESTDIR)$(LIBDIR)/
	$(Q)install -m 755 $(FFI_SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf libkipc-ffi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkipc-ffi.so.$(SOVERSION)
	$(Q)ln -sf libkipc-ffi.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkipc-ffi.so
	$(Q)for pc in libkipc libkipc-ffi; do \
		sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
		    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' \
		    libkipc/$$pc.pc.in >$(B)/$$pc.pc && \
		install -m 644 $(B)/$$pc.pc $(DESTDIR)$(LIBDIR)/pkgconfig/ || exit 1; \
	done
	$(Q)install -m 755 $(B)/bin/kipcctl $(B)/bin/kipc-bench $(DESTDIR)$(BINDIR)/
	$(Q)install -m 644 Documentation/man/kipc-bench.1 $(DESTDIR)$(MANDIR)/man1/
	$(Q)install -m 644 Documentation/man/kipc_*.3 $(DESTDIR)$(MANDIR)/man3/
	$(Q)install -m 644 Documentation/man/kipc.7 $(DESTDIR)$(MANDIR)/man7/
	$(Q)install -m 644 Documentation/man/kipcctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 644 libkipc/include/kipc_group.h $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 755 $(B)/bin/kipc-run $(DESTDIR)$(BINDIR)/
	$(Q)install -m 644 Documentation/man/kipc-run.1 $(DESTDIR)$(MANDIR)/man1/
	$(LDCONFIG)

uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))
	$(Q)rmdir $(DESTDIR)$(INCLUDEDIR)/kipc/linux $(DESTDIR)$(INCLUDEDIR)/kipc 2>/dev/null || true
	$(LDCONFIG)

# The module into /lib/modules/RELEASE/updates of the kernel at KDIR
# (INSTALL_MOD_PATH=$(DESTDIR)); then depmod, which kbuild skips ("missing
# System.map") in a headers package's tree, which never has one. Kbuild
# signs the module only when the tree has the kernel's signing key.
# The release modules are installed for is the kernel's uname -r
# (UTS_RELEASE), which Debian's 6.1 headers do not write in kernel.release.
MOD_UNAME	= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
			$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# DESTDIR made absolute: kbuild runs in KDIR.
MOD_ROOT	= $(if $(DESTDIR),$(abspath $(DESTDIR)))
MOD_UPDATES	= $(MOD_ROOT)/lib/modules/$(MOD_UNAME)/updates
MOD_SIGN_KEY	= $(KDIR)/certs/signing_key.pem
DEPMOD		= depmod -a $(if $(MOD_ROOT),-b $(MOD_ROOT)) $(MOD_UNAME)
modules-uname:
	@test -n "$(MOD_UNAME)" || { echo "no kernel release in $(KDIR)/include/generated/utsrelease.h: KDIR is not a kernel build tree" >&2; exit 1; }

modules_install: module modules-uname
	$(call msg,INSTALL,kipc.ko for $(MOD_UNAME))
	$(Q)$(MAKE) -C $(KDIR) M=$(MOD_DIR) INSTALL_MOD_PATH=$(MOD_ROOT) \
		INSTALL_MOD_DIR=updates $(if $(filter 1,$(V)),,-s) \
		$(if $(wildcard $(MOD_SIGN_KEY)),,CONFIG_MODULE_SIG_ALL=) \
		modules_install
	$(call msg,DEPMOD,$(MOD_UNAME))
	$(Q)$(DEPMOD)

modules_uninstall: modules-uname
	$(call msg,UNINST,kipc.ko for $(MOD_UNAME))
	$(Q)rm -f $(MOD_UPDATES)/kipc.ko $(MOD_UPDATES)/kipc.ko.*
	$(Q)$(DEPMOD)

# The module's sources as DKMS wants them, in $(DESTDIR)/usr/src/kipc-VERSION.
DKMS_SRC	:= $(DESTDIR)/usr/src/kipc-$(VERSION)
.PHONY: dkms-source dkms-test deb pkg-install-test
# Debian packages into build/deb/, lintian, a smoke test (tools/deb-build).
deb:
	$(Q)tools/deb-build

# The packages installed, reinstalled, upgraded and purged with apt in a
# throwaway bookworm root, their maintainer scripts run: DKMS's state for
# 6.1 and 6.12 after each (tools/pkg-install-test; not in make check: about
# 3 minutes warm, Documentation/dev/packages.md).
pkg-install-test:
	$(Q)tools/pkg-install-test

dkms-source:
	$(call msg,INSTALL,$(DKMS_SRC))
	$(Q)install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	$(Q)install -m 644 dkms.conf Kbuild VERSION $(DKMS_SRC)/
	$(Q)install -m 644 kmod/*.[ch] $(DKMS_SRC)/kmod/
	$(Q)install -m 644 uapi/linux/*.h $(DKMS_SRC)/uapi/linux/

# dkms build of that tree for the 6.1 and 6.12 headers, each module then
# loaded in a guest of its kernel (tools/dkms-test).
dkms-test:
	$(Q)tools/dkms-test

# A C and a C++ program built only with pkg-config against a DESTDIR
# install, then run (tools/consumer-test).
consumer-test: lib
	$(Q)tools/consumer-test
	$(Q)tools/selftests-skip-check $(B)/selftests
	$(Q)tools/man-check

# Every man page renders without warnings, its links and kipc references
# resolve (tools/man-check; make host-test runs it).
.PHONY: man-check
man-check:
	$(Q)tools/man-check

lint:
	$(Q)tools/lint

deps:
	$(Q)tools/install-deps

check: deps
	$(Q)tools/check

demo: deps
	$(Q)tools/vm/kipc-vm --kernel 6.12 --timeout 300 -- kipc-demo

# The standard benchmark matrix in the VM on 6.12; report in bench-results/.
bench: deps
	$(Q)tools/bench

KVER ?= 6.12
vm-shell: deps
	$(Q)tools/vm/kipc-vm --kernel $(KVER) --shell

clean:
	$(Q)$(MAKE) -C tools/kipc-bench clean
	rm -rf $(B)
