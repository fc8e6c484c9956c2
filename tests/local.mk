# The Check suites: each tests/check_<module> is check_<module>.c with the
# shared main and fixtures, linked against the core library (private
# symbols reachable).  Every test program runs through tests/ipcns.
LOG_COMPILER = $(top_srcdir)/tests/ipcns
EXTRA_DIST += tests/ipcns tests/check-exports.sh tests/exports.expected \
	tests/check-format.sh

TEST_COMMON = tests/check_main.c tests/testutil.c tests/testutil.h
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = lib/libxsipc-core.la $(CHECK_LIBS)

check_PROGRAMS += tests/check_registry tests/check_shm tests/check_sem \
	tests/check_sysv tests/check_faults tests/check_crash
TESTS += tests/check_registry tests/check_shm tests/check_sem \
	tests/check_sysv tests/check_faults tests/check_crash \
	tests/check-exports.sh tests/check-format.sh

tests_check_registry_SOURCES = tests/check_registry.c $(TEST_COMMON)
tests_check_registry_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=registry_suite
tests_check_registry_CFLAGS = $(TEST_CFLAGS)
tests_check_registry_LDADD = $(TEST_LDADD)

tests_check_shm_SOURCES = tests/check_shm.c $(TEST_COMMON)
tests_check_shm_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=shm_suite
tests_check_shm_CFLAGS = $(TEST_CFLAGS)
tests_check_shm_LDADD = $(TEST_LDADD)

tests_check_sem_SOURCES = tests/check_sem.c $(TEST_COMMON)
tests_check_sem_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=sem_suite
tests_check_sem_CFLAGS = $(TEST_CFLAGS)
tests_check_sem_LDADD = $(TEST_LDADD)

tests_check_sysv_SOURCES = tests/check_sysv.c $(TEST_COMMON)
tests_check_sysv_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=sysv_suite
tests_check_sysv_CFLAGS = $(TEST_CFLAGS)
tests_check_sysv_LDADD = $(TEST_LDADD)

tests_check_faults_SOURCES = tests/check_faults.c $(TEST_COMMON)
tests_check_faults_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=faults_suite
tests_check_faults_CFLAGS = $(TEST_CFLAGS)
tests_check_faults_LDADD = $(TEST_LDADD)

tests_check_crash_SOURCES = tests/check_crash.c $(TEST_COMMON)
tests_check_crash_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SUITE=crash_suite
tests_check_crash_CFLAGS = $(TEST_CFLAGS)
tests_check_crash_LDADD = $(TEST_LDADD)

# check-exports.sh compares `nm -D` of the shared library with the list.
AM_TESTS_ENVIRONMENT = NM='$(NM)'; top_builddir='$(top_builddir)'; \
	top_srcdir='$(top_srcdir)'; export NM top_builddir top_srcdir;
