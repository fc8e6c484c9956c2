/* SPDX-License-Identifier: MIT */
/*
 * testutil.h -- what every Check suite of xsipc shares.
 *
 * Isolation: each test runs with a fresh registry directory of its own
 * (mkdtemp), and TMPDIR points at it, so the default (Qt) registry of the
 * library, a Qt peer and a python peer all use that directory too.
 *
 * Clean-up: the checked teardown checks that the test left no key file and
 * no System V object behind (a leak is written to the suite's LEAKS file),
 * then sweeps.  A failed test in fork mode skips the checked teardown, so an
 * unchecked teardown sweeps the whole test case's base directory as well.
 * tu_main() adds a last suite, "leaks", which fails when anything leaked.
 *
 * Objects: when the suite runs in a private IPC namespace (tests/ipcns runs
 * every test program under `unshare --ipc` where allowed), every System V
 * object in the namespace is the suite's own, so the leak check is exact.
 * Outside one, objects are found through the key files left behind.
 *
 * Skips: a case that cannot run here (it needs root, a peer that is not
 * installed, a namespace the system refuses) calls tu_skip() with the
 * reason.  Check has no skip of its own, so the skip travels through
 * Check's result channel as a failure whose message starts with
 * TU_SKIP_MARK, fork mode or not; tu_main() reports each case as a TAP
 * line (the suites run under automake's tap-driver.sh), skips as
 * "ok N - case # SKIP reason", so the summary counts them as skipped and
 * the console says why, and never as passes.
 */
#ifndef XSIPC_TESTUTIL_H
#define XSIPC_TESTUTIL_H

#include <check.h>
#include <sys/types.h>

#include "xsipc.h"

/* Asserts that a call on a handle failed with code: the return value is
 * -code, the handle keeps code, and its message says something.  Macros,
 * so that a failure names the caller's line. */
#define tu_shm_fails(shm, rc, code)                                            \
    do {                                                                       \
        int tu_rc_ = (rc);                                                     \
        ck_assert_msg(tu_rc_ == -(int)(code), "returned %d, expected %d (%s)", \
                      tu_rc_, -(int)(code), xsipc_shm_error_string(shm));      \
        ck_assert_int_eq(xsipc_shm_error(shm), (code));                        \
        ck_assert_msg(xsipc_shm_error_string(shm)[0] != '\0',                  \
                      "empty message for error %d", (int)(code));              \
    } while (0)
#define tu_sem_fails(sem, rc, code)                                            \
    do {                                                                       \
        int tu_rc_ = (rc);                                                     \
        ck_assert_msg(tu_rc_ == -(int)(code), "returned %d, expected %d (%s)", \
                      tu_rc_, -(int)(code), xsipc_sem_error_string(sem));      \
        ck_assert_int_eq(xsipc_sem_error(sem), (code));                        \
        ck_assert_msg(xsipc_sem_error_string(sem)[0] != '\0',                  \
                      "empty message for error %d", (int)(code));              \
    } while (0)

/* Ends the running test as skipped, with a printf-style reason (a string
 * literal first). */
#define TU_SKIP_MARK "SKIP: "
#define tu_skip(...) ck_abort_msg(TU_SKIP_MARK __VA_ARGS__)

/* The uid the tests use as "another user" (nobody on Debian). */
#define TU_STRANGER 65534
/* Skips the test unless it runs as the real root, able to become
 * TU_STRANGER -- not as the root of a user namespace that maps no other
 * uid, where chown and setuid to it fail. */
void tu_need_root(void);
/* A directory of this test's that every user can reach, for tests in which
 * another uid opens the registry: made under the first of the suite's
 * TMPDIR, /tmp, /var/tmp and /dev/shm whose every directory from / down
 * gives others search permission (a packager's TMPDIR may well be a 0700
 * mktemp -d), mode 0755, removed with the test.  Skips the test when
 * there is none. */
const char *tu_shared_dir(void);
/* Runs fn(arg) in a child in a new IPC namespace of its own (where plain
 * unshare is refused, in a new user namespace that maps the caller to its
 * root, whose IPC namespace it then owns), so that limits written to
 * /proc/sys/kernel touch nobody else.  Returns fn's exit status; skips
 * the test when no namespace can be had, or when fn returned
 * tu_child_skip(...)'s value (the reason comes back with it). */
int tu_in_new_ipcns(int (*fn)(void *), void *arg);
/* Reads fd to its end (a child's message pipe) into buf, NUL-terminated,
 * at most len - 1 bytes, and closes it; returns the length. */
size_t tu_read_all(int fd, char *buf, size_t len);
/* Reaps pid (asserting it); its exit status, or 128 + the signal that
 * killed it. */
int tu_status_of(pid_t pid);
/* One byte from fd within ms (a child's report pipe); the byte, or -1. */
int tu_byte_within(int fd, long ms);
/* In fn above: hands the parent a reason to skip; return its value. */
int tu_child_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In a child process: mounts a tmpfs of this process's own at mnt, in a
 * new mount namespace (in a new user namespace that maps the caller to
 * itself, where plain unshare is refused): nothing else takes inode
 * numbers there, and they come in sequence.  0, or -1. */
int tu_mount_private_tmpfs(const char *mnt);

/* Adds the fixtures above to tc; every TCase of every suite must use it. */
void tu_tcase(TCase *tc);
/* This test's registry directory (also $TMPDIR). */
const char *tu_dir(void);
/* The registry of tu_dir(), opened once per test, closed by the fixture. */
xsipc_registry *tu_registry(void);
/* A path inside tu_dir(): tu_path("x") -> "<dir>/x" (static buffer, one
 * of 4 rotating, so a few can be used in one expression). */
const char *tu_path(const char *name);
/* Non-zero when the suite runs in a private IPC namespace. */
int tu_in_private_ipcns(void);
/* Number of System V segments / semaphore sets visible now. */
int tu_count_shm(void);
int tu_count_sem(void);
/* Runs s, then the leak check; returns the process exit status. */
int tu_main(Suite *s);

/* Runs argv (argv[0] a path) with stdin/stdout as pipes; see tu_proc_*. */
typedef struct tu_proc {
    pid_t pid;
    int in;  /* write end of the child's stdin, -1 when closed */
    int out; /* read end of the child's stdout */
} tu_proc;
void tu_proc_start(tu_proc *p, char *const argv[]);
/* Reads one line (without the newline) from the child's stdout into buf,
 * waiting at most timeout_ms; returns 0, or -1 on EOF or timeout. */
int tu_proc_line(tu_proc *p, char *buf, size_t len, long timeout_ms);
/* Closes the child's stdin (the peers take EOF as "finish now"). */
void tu_proc_close_in(tu_proc *p);
/* Waits for the child (at most timeout_ms, then SIGKILL); returns its exit
 * status, or 128+signal when it was killed by a signal. */
int tu_proc_wait(tu_proc *p, long timeout_ms);

/* The entries of directory dir, . and .. aside. */
int tu_count_entries(const char *dir);
/* Whether process pid sleeps waiting for an flock (/proc/locks). */
int tu_waits_for_flock(pid_t pid);

#endif
