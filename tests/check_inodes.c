/* SPDX-License-Identifier: MIT */
/*
 * check_inodes.c -- what a segment's life cycle costs the file system, in
 * inodes, counted exactly: xsipc's create(4096) and free of a fresh handle
 * on a known name, in the default (Qt) registry, may allocate no more
 * inodes than Qt 5's create, detach and destroy of the same name.
 *
 * The count: in a child on a tmpfs of its own (tu_mount_private_tmpfs),
 * whose inode numbers come from one counter in sequence and which nothing
 * else touches, a probe file is made and removed before and after the
 * cycle; the inodes the cycle allocated are the difference of the two
 * probes' numbers, less one.  Every file, temporary or not, symbolic links
 * too, takes one.  Each count is taken over several cycles after a first
 * one (the name is then known: what stays between cycles is made once);
 * the worst cycle is compared, and the last two must agree (a steady
 * state).  xsipc's settles at none: from the second removal of a name's
 * key files on, the process keeps them idle for its next use of the name
 * (registry/linger.c).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#ifndef QT5_PEER
#define QT5_PEER ""
#endif

#define CYCLES 5

/* The number the next inode made in dir gets. */
static long next_ino(const char *dir)
{
    char path[PATH_MAX];
    struct stat sb;
    int fd;

    snprintf(path, sizeof path, "%s/probe", dir);
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 || fstat(fd, &sb) != 0)
        return -1;
    close(fd);
    unlink(path);
    return (long)sb.st_ino;
}

/* One xsipc cycle: a fresh handle, create(4096), free. */
static int xsipc_cycle(const char *dir)
{
    xsipc_shm *shm = xsipc_shm_new("inodes");
    int ok = xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE) == 0;

    (void)dir;
    if (!ok)
        fprintf(stderr, "create: %s\n", xsipc_shm_error_string(shm));
    xsipc_shm_free(shm);
    return ok ? 0 : -1;
}

/* One Qt cycle: qt5-peer create (create, write under the lock), then its
 * detach when its stdin ends, which destroys the segment (last user). */
static int qt_cycle(const char *dir)
{
    int status, null;
    pid_t pid = fork();

    (void)dir;
    if (pid < 0)
        return -1;
    if (pid == 0) {
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
            _exit(126);
        execl(QT5_PEER, QT5_PEER, "create", "inodes", "hello", (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

/* In a child on its own tmpfs: the inodes one cycle allocates, the same in
 * every one of CYCLES cycles after a first; written to fd.  Exit 0, 77
 * when no tmpfs could be had, else a failure. */
static void count_child(int (*cycle)(const char *), const char *base, int fd)
{
    char mnt[PATH_MAX];
    long counts[CYCLES];
    int i;

    snprintf(mnt, sizeof mnt, "%s/tmpfs", base);
    if (tu_mount_private_tmpfs(mnt) != 0)
        _exit(77);
    if (setenv("TMPDIR", mnt, 1) != 0 || cycle(mnt) != 0)
        _exit(2);
    for (i = 0; i < CYCLES; i++) {
        long a = next_ino(mnt), b;
        if (a < 0 || cycle(mnt) != 0 || (b = next_ino(mnt)) < 0)
            _exit(3);
        counts[i] = b - a - 1;
    }
    if (write(fd, counts, sizeof counts) != (ssize_t)sizeof counts)
        _exit(4);
    _exit(0);
}

/* The inodes the worst cycle allocates; *steady gets the last cycle's,
 * which must be the one before's too. */
static long inodes_of(int (*cycle)(const char *), const char *who, long *steady)
{
    char mnt[PATH_MAX];
    long counts[CYCLES];
    int p[2], status, i;
    ssize_t n;
    pid_t pid;

    snprintf(mnt, sizeof mnt, "%s/tmpfs", tu_dir());
    ck_assert(mkdir(mnt, 0700) == 0);
    ck_assert(pipe2(p, O_CLOEXEC) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        count_child(cycle, tu_dir(), p[1]);
    }
    close(p[1]);
    n = read(p[0], counts, sizeof counts);
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(rmdir(mnt) == 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        tu_skip("no tmpfs of its own to count inodes on (no mount "
                "namespace, and no user namespace to make one in)");
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                      n == (ssize_t)sizeof counts,
                  "%s: the counting child failed (status 0x%x)", who, status);
    ck_assert_msg(counts[CYCLES - 1] == counts[CYCLES - 2],
                  "%s: no steady state: the last cycles allocate %ld, then "
                  "%ld inodes",
                  who, counts[CYCLES - 2], counts[CYCLES - 1]);
    *steady = counts[CYCLES - 1];
    for (i = 1; i < CYCLES; i++)
        if (counts[i] > counts[0])
            counts[0] = counts[i];
    return counts[0];
}

START_TEST(test_inodes_create_free_no_more_than_qt)
{
    long ours, qt, ours_steady, qt_steady;

    if (QT5_PEER[0] == '\0')
        tu_skip("interop with Qt 5: skipped, no Qt5Core (configure found no "
                "Qt 5 development files; ./bootstrap installs them)");
    ours = inodes_of(xsipc_cycle, "xsipc", &ours_steady);
    qt = inodes_of(qt_cycle, "Qt 5", &qt_steady);
    fprintf(stderr,
            "inodes per cycle, worst and steady: xsipc %ld and %ld, Qt 5 %ld "
            "and %ld\n",
            ours, ours_steady, qt, qt_steady);
    ck_assert_msg(ours <= qt,
                  "create(4096)+free of a fresh handle allocates %ld inodes, "
                  "Qt 5's create+detach+destroy %ld",
                  ours, qt);
    /* The name's key files are kept idle, and used again. */
    ck_assert_msg(ours_steady == 0,
                  "a name this process cycles still costs %ld inodes a cycle",
                  ours_steady);
}
END_TEST

Suite *inodes_suite(void)
{
    Suite *s = suite_create("inodes");
    TCase *tc = tcase_create("default");

    tu_tcase(tc);
    tcase_add_test(tc, test_inodes_create_free_no_more_than_qt);
    suite_add_tcase(s, tc);
    return s;
}
