# SPDX-License-Identifier: MIT
# registry: names -> key files -> key_t (issue 3: records, claims and
# collisions, directory scans).  Files only: it makes no System V call,
# uses common/ and neither lib/ nor lib/sysv/.
noinst_LTLIBRARIES += registry/libxsipc-registry.la
registry_libxsipc_registry_la_CFLAGS = $(XSIPC_LAYER_CFLAGS)
registry_libxsipc_registry_la_SOURCES = \
	registry/registry.h \
	registry/internal.h \
	registry/record.h \
	registry/sha1.c \
	registry/naming.c \
	registry/dir.c \
	registry/lock.c \
	registry/default.c \
	registry/keyfile.c \
	registry/resolve.c \
	registry/recall.c \
	registry/remove.c \
	registry/linger.c \
	registry/record.c \
	registry/claim.c \
	registry/oldclaim.c \
	registry/make.c \
	registry/adopt.c \
	registry/scan.c \
	registry/reap.c
