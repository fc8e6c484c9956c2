# SPDX-License-Identifier: MIT
# The xsipc command (issue 5): lsipc-style listing and the shell's way to
# make, fill, read, lock and remove named objects; send and recv use
# channels (issue 14).  Public API only.
bin_PROGRAMS += tools/xsipc
tools_xsipc_SOURCES = tools/main.c tools/opts.c tools/parse.c tools/table.c tools/cmd_ls.c \
	tools/cmd_data.c tools/cmd_lock.c tools/cmd_admin.c tools/cmd_chan.c tools/xsipc-tool.h
tools_xsipc_LDADD = lib/libxsipc.la
