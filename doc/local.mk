# SPDX-License-Identifier: MIT
# The manual pages (plain man(7) macros, checked by tests/check-man.sh)
# and the bash completion of the xsipc command.
dist_man1_MANS = doc/xsipc.1
dist_man3_MANS = doc/xsipc.3 doc/xsipc_shm.3 doc/xsipc_sem.3 \
	doc/xsipc_registry.3 doc/xsipc_channel.3

# `man FUNCTION` for every public function: after the pages, install writes
# a .so link page man3/FUNCTION.3 for each line of doc/links.txt, and
# uninstall removes them (doc/man-links.sh; tests/check-man-links.sh checks
# the list against lib/xsipc.h and the pages).
EXTRA_DIST += doc/links.txt doc/man-links.sh
MAN_LINKS = $(SHELL) $(srcdir)/doc/man-links.sh

install-data-hook:
	$(MKDIR_P) '$(DESTDIR)$(man3dir)'
	$(MAN_LINKS) install $(srcdir)/doc/links.txt '$(DESTDIR)$(man3dir)'

uninstall-hook:
	$(MAN_LINKS) uninstall $(srcdir)/doc/links.txt '$(DESTDIR)$(man3dir)'

# Where bash-completion looks for a command's completion on demand.
bashcompdir = $(datadir)/bash-completion/completions
dist_bashcomp_DATA = completion/xsipc
