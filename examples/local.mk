# SPDX-License-Identifier: MIT
# Examples: built by `make check`; `make demo` runs the provider/consumer
# pair in the default registry ($TMPDIR, else /tmp) and checks that nothing
# is left behind.
check_PROGRAMS += examples/provider examples/consumer
examples_provider_LDADD = lib/libxsipc.la
examples_consumer_LDADD = lib/libxsipc.la
EXTRA_DIST += examples/demo.sh
TESTS += examples/demo.sh

demo: examples/provider examples/consumer
	@$(SHELL) $(srcdir)/examples/demo.sh

.PHONY: demo
