# SPDX-License-Identifier: MIT
# libxsipc: the public objects (lib/) on top of the lower layers, each
# compiled once into its convenience library; libxsipc-core.la is lib/'s
# objects with all of them.  The installed libxsipc.la is that library
# with only the public xsipc_* symbols exported; the tests link the core
# directly so they can reach the private seams (lib/sysv hook, registry
# internals).
noinst_LTLIBRARIES += lib/libxsipc-core.la
lib_LTLIBRARIES = lib/libxsipc.la

include_HEADERS = lib/xsipc.h
nodist_include_HEADERS = lib/xsipc_version.h

lib_libxsipc_core_la_CFLAGS = $(XSIPC_LAYER_CFLAGS)
lib_libxsipc_core_la_SOURCES = \
	lib/xsipc.h \
	lib/private.h \
	lib/error.c \
	lib/semset.h \
	lib/semset.c \
	lib/channel.h \
	lib/channel.c \
	lib/chanwait.c \
	lib/semclose.c \
	lib/semidle.c \
	lib/semlock.c \
	lib/shm.h \
	lib/shm.c \
	lib/native.c \
	lib/segment.c \
	lib/detach.c \
	lib/sem.c \
	lib/version.c
lib_libxsipc_core_la_LIBADD = common/libxsipc-common.la \
	lib/sysv/libxsipc-sysv.la registry/libxsipc-registry.la

lib_libxsipc_la_SOURCES =
nodist_EXTRA_lib_libxsipc_la_SOURCES = dummy.c
lib_libxsipc_la_LIBADD = lib/libxsipc-core.la
# Export only the public names (xsipc_ followed by a letter): the private
# xsipc__ functions stay inside even if one lost its hidden visibility.
lib_libxsipc_la_LDFLAGS = -version-info $(XSIPC_LT_VERSION) -no-undefined \
	-export-symbols-regex '^xsipc_[a-z]'

# The public registry calls, which pair key files with the System V objects
# at their keys: opening, lookup, listing and removal (registry.c), gc
# (gc.c, orphans.c), and the object at a key (probe.c).
lib_libxsipc_core_la_SOURCES += \
	lib/probe.h \
	lib/probe.c \
	lib/registry.c \
	lib/gc.c \
	lib/orphans.c
