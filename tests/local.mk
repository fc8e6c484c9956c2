# SPDX-License-Identifier: MIT
# The Check suites: each tests/check_<module> is check_<module>.c with the
# shared main and fixtures, linked against the core library (private
# symbols reachable).  Every test runs through tests/ipcns.  The Check
# programs speak TAP (tests/tu_report.c), so automake's tap-driver.sh
# counts each test, and each skipped one as skipped with its reason; the
# shell tests (.sh) use the plain driver, exit 77 for a skip.
TEST_EXTENSIONS = .sh
LOG_COMPILER = $(top_srcdir)/tests/ipcns
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_COMPILER = $(top_srcdir)/tests/ipcns
EXTRA_DIST += tests/ipcns tests/check-exports.sh tests/exports.expected \
	tests/check-format.sh

TEST_COMMON = tests/check_main.c tests/testutil.c tests/testutil.h \
	tests/tu_world.c tests/tu_report.c tests/tu_internal.h \
	tests/tu_child.c tests/tu_seam.h
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = lib/libxsipc-core.la $(CHECK_LIBS)

check_PROGRAMS += tests/check_registry tests/check_shm tests/check_sem \
	tests/check_sysv tests/check_faults tests/check_crash tests/check_windows
TESTS += tests/check_registry tests/check_shm tests/check_sem \
	tests/check_sysv tests/check_faults tests/check_crash tests/check_windows \
	tests/check-exports.sh

tests_check_registry_SOURCES = tests/check_registry.c $(TEST_COMMON)
tests_check_registry_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=registry_suite
tests_check_registry_CFLAGS = $(TEST_CFLAGS)
tests_check_registry_LDADD = $(TEST_LDADD)

tests_check_shm_SOURCES = tests/check_shm.c $(TEST_COMMON)
tests_check_shm_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=shm_suite
tests_check_shm_CFLAGS = $(TEST_CFLAGS)
tests_check_shm_LDADD = $(TEST_LDADD)

tests_check_sem_SOURCES = tests/check_sem.c $(TEST_COMMON)
tests_check_sem_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=sem_suite
tests_check_sem_CFLAGS = $(TEST_CFLAGS)
tests_check_sem_LDADD = $(TEST_LDADD)

tests_check_sysv_SOURCES = tests/check_sysv.c $(TEST_COMMON)
tests_check_sysv_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=sysv_suite
tests_check_sysv_CFLAGS = $(TEST_CFLAGS)
tests_check_sysv_LDADD = $(TEST_LDADD)

tests_check_faults_SOURCES = tests/check_faults.c $(TEST_COMMON)
tests_check_faults_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=faults_suite
tests_check_faults_CFLAGS = $(TEST_CFLAGS)
tests_check_faults_LDADD = $(TEST_LDADD)

tests_check_windows_SOURCES = tests/check_windows.c $(TEST_COMMON)
tests_check_windows_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=windows_suite
tests_check_windows_CFLAGS = $(TEST_CFLAGS)
tests_check_windows_LDADD = $(TEST_LDADD)

tests_check_crash_SOURCES = tests/check_crash.c $(TEST_COMMON)
tests_check_crash_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=crash_suite
tests_check_crash_CFLAGS = $(TEST_CFLAGS)
tests_check_crash_LDADD = $(TEST_LDADD)

# Error messages keep their cause whatever the length of TMPDIR (issue
# 11): every path- or name-carrying error in a 200-byte directory.  Its
# --wrap=nanosleep lets the registry lock's 10 s wait run at once.
check_PROGRAMS += tests/check_messages
TESTS += tests/check_messages
tests_check_messages_SOURCES = tests/check_messages.c $(TEST_COMMON)
tests_check_messages_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=messages_suite
tests_check_messages_CFLAGS = $(TEST_CFLAGS)
tests_check_messages_LDADD = $(TEST_LDADD)
tests_check_messages_LDFLAGS = -Wl,--wrap=nanosleep

# The stress program: a short run in make check, the long one in make
# stress (at least 1,000 kills).
check_PROGRAMS += tests/stress
tests_stress_LDADD = lib/libxsipc.la
TESTS += tests/stress.sh
EXTRA_DIST += tests/stress.sh
STRESS_KILLS = 1000

# The storm: churn of create/attach/lock/unlock/detach/free by many
# processes, exclusion checked outside System V; make check runs its four
# forms a few seconds each (tests/storm.sh), make stress STORM_SECONDS
# each (default and persistent registry, without and with kills).
check_PROGRAMS += tests/storm
tests_storm_SOURCES = tests/storm.c tests/stormkit.c tests/stormcrew.c \
	tests/stormkit.h
tests_storm_LDADD = lib/libxsipc.la
TESTS += tests/storm.sh
EXTRA_DIST += tests/storm.sh
STORM_SECONDS = 60

# The channel's kill storm (issue 14): senders and receivers of one small
# channel SIGKILLed at random, every message checked from their logs
# (tests/chanstorm.c); make check runs a short form (tests/chanstorm.sh),
# make stress CHANSTORM_SECONDS of the storm in each registry and as much
# traffic without kills, and make chanstorm the short form alone.
check_PROGRAMS += tests/chanstorm
tests_chanstorm_SOURCES = tests/chanstorm.c tests/chanstorm_work.c \
	tests/chanstorm_check.c tests/chanstorm.h tests/stormkit.c \
	tests/stormcrew.c tests/stormkit.h
tests_chanstorm_LDADD = lib/libxsipc.la
TESTS += tests/chanstorm.sh
EXTRA_DIST += tests/chanstorm.sh
CHANSTORM_SECONDS = 60

stress: tests/stress tests/storm tests/chanstorm
	$(top_srcdir)/tests/ipcns $(top_builddir)/tests/stress -k $(STRESS_KILLS)
	@fail=0; for form in "" "-k" "-p" "-p -k"; do \
	    echo "$(top_builddir)/tests/storm -s $(STORM_SECONDS) $$form"; \
	    $(top_srcdir)/tests/ipcns $(top_builddir)/tests/storm \
	        -s $(STORM_SECONDS) $$form || fail=1; \
	done; \
	for form in "-k" "-p -k" ""; do \
	    echo "$(top_builddir)/tests/chanstorm -s $(CHANSTORM_SECONDS) $$form"; \
	    $(top_srcdir)/tests/ipcns $(top_builddir)/tests/chanstorm \
	        -s $(CHANSTORM_SECONDS) $$form || fail=1; \
	done; exit $$fail

chanstorm: tests/chanstorm
	@top_builddir=$(top_builddir) $(top_srcdir)/tests/ipcns \
	    $(SHELL) $(top_srcdir)/tests/chanstorm.sh

.PHONY: chanstorm

.PHONY: stress

# make check-valgrind: the Check programs under memcheck (check_collide's
# "core" case only: its scale tests are too slow there).  The tests run in
# the main process (CK_FORK=no) and testutil asks memcheck for that
# process's leaks at the end; memory errors anywhere, forked children
# included, fail the run (exec'd peers run natively).
VALGRIND_TESTS = tests/check_registry tests/check_shm tests/check_sem \
	tests/check_sysv tests/check_windows tests/check_faults tests/check_crash tests/check_interop \
	tests/check_reglist tests/check_collide tests/check_messages \
	tests/check_cache tests/check_linger tests/check_semidle tests/check_tmpdir tests/check_contract \
	tests/check_api
VALGRIND_FLAGS = --quiet --leak-check=no --error-exitcode=3 \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite

check-valgrind: $(check_PROGRAMS)
	@if test -z "$(VALGRIND)"; then \
	    echo "check-valgrind: valgrind not found by configure" >&2; exit 1; fi
	@fail=0; for t in $(VALGRIND_TESTS); do \
	    echo "== valgrind $$t"; \
	    only=; case $$t in *collide) only=CK_RUN_CASE=core;; esac; \
	    env CK_FORK=no $$only top_builddir=$(top_builddir) \
	    $(top_srcdir)/tests/ipcns $(VALGRIND) $(VALGRIND_FLAGS) ./$$t \
	        || fail=1; \
	done; exit $$fail

.PHONY: check-valgrind

# make check-format: every C source as .clang-format says -- a check for
# the maintainers and CI, not in make check: another clang-format version
# formats differently, and a packager's build must not fail for it.
check-format:
	@top_srcdir=$(top_srcdir) $(SHELL) $(top_srcdir)/tests/check-format.sh

.PHONY: check-format

# check-exports.sh compares `nm -D` of the shared library with the list.
AM_TESTS_ENVIRONMENT = NM='$(NM)'; top_builddir='$(top_builddir)'; \
	top_srcdir='$(top_srcdir)'; export NM top_builddir top_srcdir;

# What the library keeps between calls (issue 12): the registry lock's
# descriptor, the default registry, resolved key files, the lock set kept
# with the handle; --wrap counts the file system calls they save.
check_PROGRAMS += tests/check_cache
TESTS += tests/check_cache
tests_check_cache_SOURCES = tests/check_cache.c $(TEST_COMMON)
tests_check_cache_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=cache_suite
tests_check_cache_CFLAGS = $(TEST_CFLAGS) -pthread
tests_check_cache_LDADD = $(TEST_LDADD)
tests_check_cache_LDFLAGS = -pthread -Wl,--wrap=openat -Wl,--wrap=__openat_2 \
	-Wl,--wrap=close -Wl,--wrap=flock -Wl,--wrap=getpid -Wl,--wrap=stat \
	-Wl,--wrap=fstat -Wl,--wrap=fstatat

# Idle key files (issue 12, registry/linger.c): kept for a name the
# process cycles, ended by its close, its exit, others and gc.
check_PROGRAMS += tests/check_linger
TESTS += tests/check_linger
tests_check_linger_SOURCES = tests/check_linger.c $(TEST_COMMON)
tests_check_linger_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=linger_suite
tests_check_linger_CFLAGS = $(TEST_CFLAGS)
tests_check_linger_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/check_channel
TESTS += tests/check_channel
tests_check_channel_SOURCES = tests/check_channel.c $(TEST_COMMON)
tests_check_channel_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=channel_suite
tests_check_channel_CFLAGS = $(TEST_CFLAGS)
tests_check_channel_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/check_semidle
TESTS += tests/check_semidle
tests_check_semidle_SOURCES = tests/check_semidle.c $(TEST_COMMON)
tests_check_semidle_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=semidle_suite
tests_check_semidle_CFLAGS = $(TEST_CFLAGS)
tests_check_semidle_LDADD = $(TEST_LDADD)

# $TMPDIR as Qt reads it (issue 13): cleaned, resolved, and refused when
# it names no directory, never replaced by another.
check_PROGRAMS += tests/check_tmpdir
TESTS += tests/check_tmpdir
tests_check_tmpdir_SOURCES = tests/check_tmpdir.c $(TEST_COMMON)
tests_check_tmpdir_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=tmpdir_suite \
	$(INTEROP_PEER_DEFS)
tests_check_tmpdir_CFLAGS = $(TEST_CFLAGS)
tests_check_tmpdir_LDADD = $(TEST_LDADD)

# The segment handle's contract (issue 13): native keys kept as set and
# resolved at each call, a key set again, a refused key's reason, the
# lock's errors.
check_PROGRAMS += tests/check_contract
TESTS += tests/check_contract
tests_check_contract_SOURCES = tests/check_contract.c $(TEST_COMMON)
tests_check_contract_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=contract_suite
tests_check_contract_CFLAGS = $(TEST_CFLAGS)
tests_check_contract_LDADD = $(TEST_LDADD)

# The registry (issue 3): collisions, concurrency, scale and system call
# counts (check_collide; its --wrap options count the file system calls the
# library makes), and listing, removal and gc (check_reglist).
check_PROGRAMS += tests/check_collide tests/check_reglist
TESTS += tests/check_collide tests/check_reglist

tests_check_collide_SOURCES = tests/check_collide.c $(TEST_COMMON)
tests_check_collide_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=collide_suite \
	$(INTEROP_PEER_DEFS)
tests_check_collide_CFLAGS = $(TEST_CFLAGS)
tests_check_collide_LDADD = $(TEST_LDADD)
tests_check_collide_LDFLAGS = -Wl,--wrap=readdir -Wl,--wrap=opendir \
	-Wl,--wrap=fdopendir -Wl,--wrap=openat -Wl,--wrap=__openat_2 \
	-Wl,--wrap=readlinkat \
	-Wl,--wrap=fstatat \
	-Wl,--wrap=flock -Wl,--wrap=symlinkat -Wl,--wrap=renameat2 \
	-Wl,--wrap=unlinkat -Wl,--wrap=linkat -Wl,--wrap=pwrite

tests_check_reglist_SOURCES = tests/check_reglist.c $(TEST_COMMON)
tests_check_reglist_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=reglist_suite
tests_check_reglist_CFLAGS = $(TEST_CFLAGS)
tests_check_reglist_LDADD = $(TEST_LDADD)

# make fuzz: the key file record parser under libFuzzer with ASan and UBSan
# (clang only).  New inputs go to a scratch directory, findings to
# tests/fuzz/ (crash-*, leak-*); the seed corpus is tests/fuzz/corpus/.
FUZZ_SECONDS = 60
FUZZ_ARGS =
FUZZ_CORPUS = tests/fuzz/corpus/empty-name tests/fuzz/corpus/shm-share \
	tests/fuzz/corpus/sem-persistent tests/fuzz/corpus/long-name \
	tests/fuzz/corpus/newline-name tests/fuzz/corpus/truncated \
	tests/fuzz/corpus/version-2 tests/fuzz/corpus/other-proj \
	tests/fuzz/corpus/shm-keep tests/fuzz/corpus/shm-linked
EXTRA_DIST += tests/fuzz/fuzz_record.c $(FUZZ_CORPUS)
CLEANFILES += tests/fuzz/fuzz_record tests/host-ipcns.lock

tests/fuzz/fuzz_record: $(srcdir)/tests/fuzz/fuzz_record.c \
		$(srcdir)/registry/record.c $(srcdir)/registry/record.h
	@test -n "$(CLANG)" || { \
	    echo "make fuzz: clang was not found by configure" >&2; exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I$(top_builddir) -I$(top_srcdir) \
	    -o $@ $(srcdir)/tests/fuzz/fuzz_record.c $(srcdir)/registry/record.c

fuzz: tests/fuzz/fuzz_record
	@work=`mktemp -d` || exit 1; \
	tests/fuzz/fuzz_record -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=tests/fuzz/ -max_len=4400 -print_final_stats=1 $(FUZZ_ARGS) \
	    $$work $(srcdir)/tests/fuzz/corpus; rc=$$?; rm -rf $$work; exit $$rc

.PHONY: fuzz

# The manual pages render without groff warnings (skipped without groff),
# and every public function has its link page and is documented in the
# page it leads to, which man -w finds (check-man-links.sh; its man part
# is skipped without man).
TESTS += tests/check-man.sh tests/check-man-links.sh
EXTRA_DIST += tests/check-man.sh tests/check-man-links.sh

# The library's layers depend one way (DESIGN.md section 1): no object of
# a layer uses a symbol of a layer above or beside it (nm on the objects).
TESTS += tests/check-layers.sh
EXTRA_DIST += tests/check-layers.sh

# The Debian symbols file lists exactly the exported symbols.
TESTS += tests/check-symbols.sh
EXTRA_DIST += tests/check-symbols.sh

# The xsipc command (issue 5): shell tests comparing its output with
# expected files (keys, ids and pids masked), each in a registry directory
# of its own.
TESTS += tests/cli/usage.sh tests/cli/data.sh tests/cli/lock.sh \
	tests/cli/options.sh tests/cli/limits.sh tests/cli/completion.sh \
	tests/cli/json.sh tests/cli/qt.sh tests/cli/tmpdir.sh tests/cli/names.sh \
	tests/cli/admin.sh tests/cli/foreign.sh tests/cli/chan.sh
EXTRA_DIST += tests/cli/lib.sh tests/cli/usage.sh tests/cli/data.sh \
	tests/cli/options.sh tests/cli/limits.sh tests/cli/completion.sh \
	tests/cli/lock.sh tests/cli/json.sh tests/cli/qt.sh tests/cli/tmpdir.sh \
	tests/cli/ls-empty.expected tests/cli/ls.expected \
	tests/cli/key.expected tests/cli/limits.expected \
	tests/cli/names.sh tests/cli/names-utf8.expected \
	tests/cli/names-c.expected tests/cli/admin.sh tests/cli/foreign.sh \
	tests/cli/chan.sh

# After the harness's totals, every skipped test with its reason.
EXTRA_DIST += tests/skipped.sh
check-local: check-TESTS
	@$(SHELL) $(top_srcdir)/tests/skipped.sh $(TEST_LOGS)

# Inodes a segment's life cycle allocates, counted exactly on a tmpfs of
# the test's own, against Qt 5's (issue 12).
check_PROGRAMS += tests/check_inodes
TESTS += tests/check_inodes
tests_check_inodes_SOURCES = tests/check_inodes.c $(TEST_COMMON)
tests_check_inodes_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=inodes_suite \
	$(INTEROP_PEER_DEFS)
tests_check_inodes_CFLAGS = $(TEST_CFLAGS)
tests_check_inodes_LDADD = $(TEST_LDADD)

# The header's contract (issue 13): version macros, error names, NULL
# arguments everywhere, xsipc_sem_set_persistent, xsipc_registry_stat.
check_PROGRAMS += tests/check_api
TESTS += tests/check_api
tests_check_api_SOURCES = tests/check_api.c $(TEST_COMMON)
tests_check_api_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=api_suite
tests_check_api_CFLAGS = $(TEST_CFLAGS) -pthread
tests_check_api_LDADD = $(TEST_LDADD)
tests_check_api_LDFLAGS = -pthread
