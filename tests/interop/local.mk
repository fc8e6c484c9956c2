# SPDX-License-Identifier: MIT
# Interop tests: xsipc against real peers.  The Qt peer (qt_peer.cpp) is
# built once per Qt found by configure, as a check program so that
# `make check` builds it before tests/check_interop runs; the python peer
# is a script run by the python3 configure found (PYTHON3).  check_interop
# learns where they are from the defines below, and leaves out the test
# case of a Qt that was not built.
INTEROP_PEER_DEFS = \
	-DPYTHON3="\"$(PYTHON3)\"" \
	-DSYSV_PEER_PY="\"$(abs_top_srcdir)/tests/interop/sysv_peer.py\""

if HAVE_QT5
check_PROGRAMS += tests/interop/qt5-peer
tests_interop_qt5_peer_SOURCES = tests/interop/qt_peer.cpp
tests_interop_qt5_peer_CPPFLAGS = $(QT5_CFLAGS)
# Qt refuses code that is not position-independent (reduce_relocations);
# XSIPC_CFLAGS (-Wall -Wextra, -Werror with --enable-werror) suit C++ too.
tests_interop_qt5_peer_CXXFLAGS = -fPIC $(XSIPC_CFLAGS)
tests_interop_qt5_peer_LDADD = $(QT5_LIBS)
INTEROP_PEER_DEFS += \
	-DQT5_PEER="\"$(abs_top_builddir)/tests/interop/qt5-peer\""
endif

if HAVE_QT6
check_PROGRAMS += tests/interop/qt6-peer
tests_interop_qt6_peer_SOURCES = tests/interop/qt_peer.cpp
tests_interop_qt6_peer_CPPFLAGS = $(QT6_CFLAGS)
# Qt 6 headers need C++17.
tests_interop_qt6_peer_CXXFLAGS = -fPIC -std=c++17 $(XSIPC_CFLAGS)
tests_interop_qt6_peer_LDADD = $(QT6_LIBS)
INTEROP_PEER_DEFS += \
	-DQT6_PEER="\"$(abs_top_builddir)/tests/interop/qt6-peer\""
endif

check_PROGRAMS += tests/check_interop
TESTS += tests/check_interop
tests_check_interop_SOURCES = tests/check_interop.c $(TEST_COMMON)
tests_check_interop_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=interop_suite \
	$(INTEROP_PEER_DEFS)
tests_check_interop_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_interop_LDADD = lib/libxsipc-core.la $(CHECK_LIBS)

EXTRA_DIST += tests/interop/sysv_peer.py
