# SPDX-License-Identifier: MIT
# lib/sysv: the thin System V layer (every shmget/shmat/semop... of the
# library, EINTR and errno mapping, the test seam).  It uses no other
# layer of the library but common/ (and needs none of it today).
noinst_LTLIBRARIES += lib/sysv/libxsipc-sysv.la
lib_sysv_libxsipc_sysv_la_CFLAGS = $(XSIPC_LAYER_CFLAGS)
lib_sysv_libxsipc_sysv_la_SOURCES = \
	lib/sysv/sysv.h \
	lib/sysv/calls.c \
	lib/sysv/errmap.c
