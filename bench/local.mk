# SPDX-License-Identifier: MIT
# `make bench` (bench/): xsipc against raw System V calls, Qt 5, a robust
# pthread mutex and a POSIX semaphore, and its channels against System V
# and POSIX message queues, pipes and unix sockets; the table goes to
# stdout and to bench/RESULTS.md.  The programs are EXTRA_PROGRAMS: built
# by `make bench` only, never by `make all` or `make check` (nothing here
# is timed in the test suite), while their sources are still distributed.
EXTRA_PROGRAMS = bench/xsipc-bench
bench_xsipc_bench_SOURCES = bench/main.c bench/harness.c bench/report.c \
	bench/contenders.c bench/lock.c bench/syscalls.c bench/handoff.c \
	bench/create.c bench/resolve.c bench/bulk.c bench/attach.c \
	bench/inodes.c bench/pin.c bench/channel.c bench/chan_peers.c
bench_xsipc_bench_CFLAGS = $(AM_CFLAGS) -pthread
# The core library: benchmark 4 calls the private xsipc__reg_resolve.
bench_xsipc_bench_LDADD = lib/libxsipc-core.la $(BENCH_LIBS)
bench_xsipc_bench_LDFLAGS = -pthread
EXTRA_DIST += bench/RESULTS.md bench/harness.h bench/contenders.h \
	bench/benchmarks.h bench/pin.h bench/syscalls.h bench/chan_peers.h

BENCH_PROGS = bench/xsipc-bench$(EXEEXT)
BENCH_ARGS = --out=bench/RESULTS.md --valgrind='$(VALGRIND)'
# The tree's git revision goes into the report when the source tree is a
# git checkout itself (not a tarball unpacked inside some other one).
BENCH_REVISION = `test -e $(srcdir)/.git && cd $(srcdir) && \
	git describe --always --dirty 2>/dev/null`

if HAVE_QT5
EXTRA_PROGRAMS += bench/qt5-bench
bench_qt5_bench_SOURCES = bench/qt5_bench.cpp bench/pin.c
bench_qt5_bench_CPPFLAGS = $(AM_CPPFLAGS) $(QT5_CFLAGS)
# Qt refuses code that is not position-independent (reduce_relocations).
bench_qt5_bench_CXXFLAGS = -fPIC $(XSIPC_CFLAGS)
bench_qt5_bench_LDADD = $(QT5_LIBS)
BENCH_PROGS += bench/qt5-bench$(EXEEXT)
BENCH_ARGS += --qt5=$(abs_builddir)/bench/qt5-bench$(EXEEXT)
endif

CLEANFILES += bench/xsipc-bench$(EXEEXT) bench/qt5-bench$(EXEEXT)

bench: $(BENCH_PROGS)
	@$(MKDIR_P) bench
	bench/xsipc-bench$(EXEEXT) $(BENCH_ARGS) --revision="$(BENCH_REVISION)"

.PHONY: bench
