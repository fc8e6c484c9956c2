# SPDX-License-Identifier: MIT
# common: the bottom layer, what more than one layer needs -- messages in
# an xsipc_status and the quoting of names and paths in them, /proc's
# process start times, Qt's names (a header).  It uses nothing of the
# library but the public header's types.
noinst_LTLIBRARIES += common/libxsipc-common.la
common_libxsipc_common_la_CFLAGS = $(XSIPC_LAYER_CFLAGS)
common_libxsipc_common_la_SOURCES = \
	common/busy.h \
	common/qtnames.h \
	common/status.h \
	common/quote.c \
	common/status.c \
	common/proc.h \
	common/proc.c
