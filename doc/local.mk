# SPDX-License-Identifier: MIT
# The manual pages (plain man(7) macros, checked by tests/check-man.sh)
# and the bash completion of the xsipc command.
dist_man1_MANS = doc/xsipc.1
dist_man3_MANS = doc/xsipc.3 doc/xsipc_shm.3 doc/xsipc_sem.3 \
	doc/xsipc_registry.3

# Where bash-completion looks for a command's completion on demand.
bashcompdir = $(datadir)/bash-completion/completions
dist_bashcomp_DATA = completion/xsipc
