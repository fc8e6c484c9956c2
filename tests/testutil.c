/* SPDX-License-Identifier: MIT */
/*
 * testutil.c -- fixtures, leak check and child processes for the Check
 * suites (see testutil.h for the scheme).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

#include "testutil.h"
#include "registry/registry.h"
#include "tu_internal.h"

static char suite_dir[PATH_MAX]; /* holds every test case's base and LEAKS */
static char suite_tmp[PATH_MAX]; /* TMPDIR as the suite found it */
static char base_dir[PATH_MAX];  /* this test case's directories */
static char test_dir[PATH_MAX];  /* this test's registry directory */
static xsipc_registry *test_reg;

int tu_in_private_ipcns(void)
{
    const char *v = getenv("XSIPC_TEST_IPCNS");
    return v != NULL && strcmp(v, "1") == 0;
}

/* snprintf that treats truncation as the fatal test error it is. */
#define fit(buf, len, ...)                                                     \
    do {                                                                       \
        int n_ = snprintf((buf), (len), __VA_ARGS__);                          \
        if (n_ < 0 || (size_t)n_ >= (size_t)(len)) {                           \
            fprintf(stderr, "testutil: path too long\n");                      \
            abort();                                                           \
        }                                                                      \
    } while (0)

static int count_proc(const char *path)
{
    char line[512];
    int n = -1; /* the header line */
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        n++;
    fclose(f);
    return n < 0 ? 0 : n;
}

int tu_count_shm(void)
{
    return count_proc("/proc/sysvipc/shm");
}

int tu_count_sem(void)
{
    return count_proc("/proc/sysvipc/sem");
}

void tu__note_leak(const char *fmt, const char *a, const char *b)
{
    char path[PATH_MAX + 8];
    FILE *f;

    fit(path, sizeof path, "%s/LEAKS", suite_dir);
    f = fopen(path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%s: ", tcase_name() ? tcase_name() : "?");
    fprintf(f, fmt, a, b);
    fputc('\n', f);
    fclose(f);
}

/* Removes the segment and semaphore set at the key of file path, when
 * they are ours; returns how many were found. */
static int sweep_key(const char *path)
{
    struct stat st;
    key_t key;
    int id, found = 0;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    key = (key_t)(((unsigned)'Q' << 24) | ((st.st_dev & 0xffu) << 16) |
                  (st.st_ino & 0xffffu));
    if ((id = shmget(key, 0, 0)) >= 0) {
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.cuid == geteuid()) {
            shmctl(id, IPC_RMID, NULL);
            found++;
        }
    }
    if ((id = semget(key, 0, 0)) >= 0) {
        struct semid_ds ds;
        if (semctl(id, 0, IPC_STAT, &ds) == 0 &&
            ds.sem_perm.cuid == geteuid()) {
            semctl(id, 0, IPC_RMID);
            found++;
        }
    }
    return found;
}

/* In a private namespace every object is the suite's: remove them all. */
static int sweep_namespace(void)
{
    const char *files[2] = {"/proc/sysvipc/shm", "/proc/sysvipc/sem"};
    int found = 0, i;

    if (!tu_in_private_ipcns())
        return 0;
    for (i = 0; i < 2; i++) {
        char line[512];
        FILE *f = fopen(files[i], "r");
        if (f == NULL)
            continue;
        if (fgets(line, sizeof line, f) == NULL) { /* header */
            fclose(f);
            continue;
        }
        while (fgets(line, sizeof line, f) != NULL) {
            long key, id;
            if (sscanf(line, "%ld %ld", &key, &id) != 2)
                continue;
            if (i == 0)
                shmctl((int)id, IPC_RMID, NULL);
            else
                semctl((int)id, 0, IPC_RMID);
            found++;
        }
        fclose(f);
    }
    return found;
}

/* Empties and removes dir (depth-first); reports each file left when
 * report is set.  Files are swept of their objects first. */
void tu__sweep_dir(const char *dir, int report)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        fit(path, sizeof path, "%s/%.*s", dir, 255, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
            !S_ISLNK(st.st_mode)) {
            chmod(path, 0700);
            tu__sweep_dir(path, report);
            continue;
        }
        if (report)
            tu__note_leak("file left: %s%s", path, "");
        if (sweep_key(path) > 0 && report)
            tu__note_leak("object left at the key of %s%s", path, "");
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void case_setup(void)
{
    fit(base_dir, sizeof base_dir, "%s/case-XXXXXX", suite_dir);
    if (mkdtemp(base_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
}

static void case_teardown(void)
{
    /* Tests that failed in a child skipped test_teardown: sweep quietly,
     * the failure itself is already reported. */
    tu__sweep_dir(base_dir, 0);
    sweep_namespace();
}

static void test_setup(void)
{
    fit(test_dir, sizeof test_dir, "%s/t-XXXXXX", base_dir);
    ck_assert_msg(mkdtemp(test_dir) != NULL, "mkdtemp: %s", strerror(errno));
    ck_assert(setenv("TMPDIR", test_dir, 1) == 0);
    umask(022);
    /* What a failed test before this one left (its failure is reported;
     * its checked teardown did not run) must not count against this one. */
    sweep_namespace();
    test_reg = NULL;
}

static void test_teardown(void)
{
    int left;

    /* The key files the test's process keeps idle for names it cycled
     * (registry/linger.c) end here, as they would at its exit: a file
     * left after that is a leak. */
    xsipc__reg_linger_end(NULL);
    xsipc_registry_close(test_reg);
    test_reg = NULL;
    tu__sweep_dir(test_dir, 1);
    tu__world_teardown(1);
    left = sweep_namespace();
    if (left > 0) {
        char n[32];
        snprintf(n, sizeof n, "%d", left);
        tu__note_leak("%s System V object(s) left in the namespace%s", n, "");
    }
}

void tu_tcase(TCase *tc)
{
    tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
    tcase_add_checked_fixture(tc, test_setup, test_teardown);
}

const char *tu__suite_dir(void)
{
    return suite_dir;
}

const char *tu__suite_tmp(void)
{
    return suite_tmp;
}

const char *tu_dir(void)
{
    return test_dir;
}

xsipc_registry *tu_registry(void)
{
    if (test_reg == NULL) {
        xsipc_status st;
        test_reg = xsipc_registry_open(test_dir, 0, &st);
        ck_assert_msg(test_reg != NULL, "xsipc_registry_open(%s): %s", test_dir,
                      st.text);
    }
    return test_reg;
}

const char *tu_path(const char *name)
{
    static char bufs[4][PATH_MAX];
    static unsigned next;
    char *b = bufs[next++ % 4];

    fit(b, PATH_MAX, "%s/%s", test_dir, name);
    return b;
}

START_TEST(test_leaks_none)
{
    char path[PATH_MAX + 8], line[1024], all[8192] = "";
    FILE *f;

    fit(path, sizeof path, "%s/LEAKS", suite_dir);
    f = fopen(path, "r");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL &&
               strlen(all) + strlen(line) < sizeof all - 1)
            strcat(all, line);
        fclose(f);
    }
    ck_assert_msg(all[0] == '\0', "the tests left objects or files:\n%s", all);
    if (tu_in_private_ipcns()) {
        ck_assert_int_eq(tu_count_shm(), 0);
        ck_assert_int_eq(tu_count_sem(), 0);
    }
}
END_TEST

static Suite *leaks_suite(void)
{
    Suite *s = suite_create("leaks");
    TCase *tc = tcase_create("leaks");

    tcase_add_test(tc, test_leaks_none);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * Under memcheck (make check-valgrind, which runs the tests in this process
 * with CK_FORK=no): what this process lost for good.  Forked children of
 * the tests exit without freeing what they inherited, so the check is asked
 * for here, at the end of the main process, not at every exit.
 */
static int valgrind_leaks(void)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
    unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;

    if (!RUNNING_ON_VALGRIND)
        return 0;
    VALGRIND_DO_LEAK_CHECK;
    VALGRIND_COUNT_LEAKS(leaked, dubious, reachable, suppressed);
    (void)reachable;
    (void)suppressed;
    /* "Possibly lost" is glibc's setenv keeping old environments (each
     * test sets TMPDIR); what the library loses is "definitely". */
    fprintf(stderr, "memcheck: %lu bytes definitely and %lu possibly lost\n",
            leaked, dubious);
    if (leaked > 0)
        return 1;
#endif
    return 0;
}

int tu_main(Suite *s)
{
    const char *tmp = getenv("TMPDIR");
    SRunner *sr;
    int failed;

    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    fit(suite_tmp, sizeof suite_tmp, "%s", tmp);
    fit(suite_dir, sizeof suite_dir, "%s/xsipc-check-XXXXXX", tmp);
    if (mkdtemp(suite_dir) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", suite_dir, strerror(errno));
        return 99;
    }
    sr = srunner_create(s);
    srunner_add_suite(sr, leaks_suite());
    failed = tu__run_tap(sr);
    srunner_free(sr);
    tu__world_end();
    tu__sweep_dir(suite_dir, 0);
    failed += valgrind_leaks();
    return failed == 0 ? 0 : 1;
}

/* ---------------------------------------------------------- processes */

void tu_proc_start(tu_proc *p, char *const argv[])
{
    int in[2], out[2];

    /* Close-on-exec: a peer started later must not inherit this one's
     * stdin, or closing it would never reach this peer as EOF.  dup2 in
     * the child clears the flag on 0 and 1. */
    ck_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    p->pid = fork();
    ck_assert_msg(p->pid >= 0, "fork: %s", strerror(errno));
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in = in[1];
    p->out = out[0];
}

int tu_proc_line(tu_proc *p, char *buf, size_t len, long timeout_ms)
{
    size_t n = 0;
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd = {p->out, POLLIN, 0};
        long spent, left;
        char c;
        clock_gettime(CLOCK_MONOTONIC, &now);
        spent = (now.tv_sec - start.tv_sec) * 1000 +
                (now.tv_nsec - start.tv_nsec) / 1000000;
        left = timeout_ms - spent;
        if (left < 0)
            left = 0;
        if (poll(&pfd, 1, (int)left) <= 0) {
            if (left == 0 || errno != EINTR)
                return -1;
            continue;
        }
        if (read(p->out, &c, 1) != 1)
            return -1;
        if (c == '\n') {
            buf[n] = '\0';
            return 0;
        }
        if (n + 1 < len)
            buf[n++] = c;
    }
}

void tu_proc_close_in(tu_proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

int tu_proc_wait(tu_proc *p, long timeout_ms)
{
    int status = 0;
    long waited = 0;

    tu_proc_close_in(p);
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (waited >= timeout_ms) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            break;
        }
        usleep(10000);
        waited += 10;
    }
    close(p->out);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
