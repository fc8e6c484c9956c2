# SPDX-License-Identifier: MIT
# Debian packaging (issue 11).  packaging/debian/ is the debian/ directory
# of the Debian source package; it lives here, not at the top, so that a
# distribution's own debian/ never clashes with it, and .ci/package (or a
# distribution) copies it in as debian/.  It goes into the tarball so that
# the tarball alone makes the packages.
#
# make deb: make dist, then .ci/package on the tarball, which builds the
# .debs from it as an unprivileged user (make check included), runs
# lintian and builds the README example against the unpacked packages.
# The results land in packaging/out/.
EXTRA_DIST += .ci/package \
	packaging/debian/changelog \
	packaging/debian/control \
	packaging/debian/copyright \
	packaging/debian/libxsipc-dev.docs \
	packaging/debian/libxsipc-dev.examples \
	packaging/debian/libxsipc-dev.install \
	packaging/debian/libxsipc-dev.lintian-overrides \
	packaging/debian/libxsipc0.install \
	packaging/debian/libxsipc0.lintian-overrides \
	packaging/debian/libxsipc0.symbols \
	packaging/debian/not-installed \
	packaging/debian/rules \
	packaging/debian/source/format \
	packaging/debian/tests/common.sh \
	packaging/debian/tests/control \
	packaging/debian/tests/provider-consumer \
	packaging/debian/tests/qt5-interop \
	packaging/debian/tests/qt5-peer.cpp \
	packaging/debian/tests/readme-example \
	packaging/debian/upstream/metadata \
	packaging/debian/watch \
	packaging/debian/xsipc-tools.install \
	packaging/debian/xsipc-tools.lintian-overrides

DEB_OUT = packaging/out

deb: dist
	$(SHELL) $(srcdir)/.ci/package '$(abs_builddir)/$(distdir).tar.gz' \
	    '$(abs_builddir)/$(DEB_OUT)'

clean-local: clean-deb
clean-deb:
	rm -rf '$(DEB_OUT)'

.PHONY: deb clean-deb
