/* SPDX-License-Identifier: MIT */
/*
 * check_sem.c -- xsipc_sem, the named counting semaphore (QSystemSemaphore):
 * counting, sharing between handles and processes, blocking and timed
 * waits, signals, SEM_UNDO after a crash, a set removed underneath (a Qt
 * owner exiting), XSIPC_CREATE that never resets a set in use, the argument
 * checks, and SEMMNI exhausted inside a private IPC namespace.
 *
 * Every test works in the fixture's directory (tu_dir(), also $TMPDIR, so
 * xsipc_sem_new() uses it as its default registry) and frees every handle:
 * the fixture reports a key file or a semaphore set left as a leak.
 *
 * Children never call ck_assert (a failure in a grandchild of the runner is
 * not reported reliably): they _exit with a code that says what went wrong,
 * and the parent asserts the code.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "private.h"

/* Generous bound for waiting on another process; never asserted as a
 * speed, only used so that a broken library fails instead of hanging. */
#define WAIT_MS 10000L

/* ------------------------------------------------------------- helpers */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Asserts that rc is a success of op on sem. */
static void assert_ok(const xsipc_sem *sem, int rc, const char *op)
{
    ck_assert_msg(rc == 0, "%s returned %d (%s)", op, rc,
                  xsipc_sem_error_string(sem));
}

/* A handle whose construction succeeded. */
static xsipc_sem *sem_ok(const char *name, int initial, xsipc_sem_mode mode)
{
    xsipc_sem *sem = xsipc_sem_new(name, initial, mode);

    ck_assert_msg(sem != NULL, "xsipc_sem_new(\"%s\") gave NULL", name);
    ck_assert_msg(xsipc_sem_error(sem) == XSIPC_NO_ERROR,
                  "xsipc_sem_new(\"%s\", %d): %s", name, initial,
                  xsipc_sem_error_string(sem));
    return sem;
}

/* Takes exactly n units with try_acquire, then finds the value at 0. */
static void assert_value(xsipc_sem *sem, int n)
{
    int i;

    for (i = 0; i < n; i++)
        ck_assert_msg(xsipc_sem_try_acquire(sem) == 0,
                      "try_acquire %d of %d: %s", i + 1, n,
                      xsipc_sem_error_string(sem));
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
}

/* Key files of semaphores in the test's directory. */
static int count_sem_files(void)
{
    DIR *d = opendir(tu_dir());
    struct dirent *e;
    int n = 0;

    ck_assert_msg(d != NULL, "opendir %s: %s", tu_dir(), strerror(errno));
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "qipc_systemsem_", 15) == 0)
            n++;
    closedir(d);
    return n;
}

/* The key of name's key file (which must exist). */
static key_t key_of(const char *name)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key k;
    int rc =
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM, name, 0, &k, &st);

    ck_assert_msg(rc == 0, "resolve \"%s\": %d (%s)", name, rc, st.text);
    return k.key;
}

/* The id of the set at name's key, or -1 when there is none. */
static int set_of(const char *name)
{
    return semget(key_of(name), 0, 0);
}

/* Waits (bounded) until n processes sleep on the VALUE of the set at
 * name's key. */
static void wait_sleepers(const char *name, int n)
{
    long waited;

    for (waited = 0; waited < WAIT_MS; waited += 2) {
        int id = set_of(name);
        if (id >= 0 && semctl(id, XSIPC__SEM_VALUE, GETNCNT) >= n)
            return;
        sleep_ms(2);
    }
    ck_abort_msg("no process waited on \"%s\" within %ld ms", name, WAIT_MS);
}

/* Waits (bounded, then SIGKILL) for a child; its exit code, or 128 +
 * signal when a signal ended it. */
static int wait_child(pid_t pid, long timeout_ms)
{
    int status = 0;
    long waited = 0;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        ck_assert_msg(r == 0, "waitpid: %s", strerror(errno));
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        sleep_ms(5);
        waited += 5;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static pid_t fork_ok(void)
{
    pid_t pid = fork();

    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    return pid;
}

/* Reads one byte the child writes once it is ready (bounded by the
 * child's own life: EOF when it dies first). */
static void wait_ready(int fd)
{
    char c;
    ssize_t n;

    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    ck_assert_msg(n == 1, "the child died before it was ready");
}

/* ------------------------------------------------------------------ core */

START_TEST(test_sem_acquire_release_basic)
{
    xsipc_sem *sem = sem_ok("basic", 1, XSIPC_OPEN);

    assert_ok(sem, xsipc_sem_acquire(sem), "acquire");
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    /* A success clears the previous error. */
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    assert_ok(sem, xsipc_sem_try_acquire(sem), "try_acquire");
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    assert_ok(sem, xsipc_sem_acquire_timeout(sem, 0), "acquire_timeout(0)");
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    ck_assert_int_eq(count_sem_files(), 1);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_initial_value_counts)
{
    xsipc_sem *sem = sem_ok("three", 3, XSIPC_OPEN);

    assert_value(sem, 3);
    /* release(n) adds n at once. */
    assert_ok(sem, xsipc_sem_release(sem, 2), "release(2)");
    assert_value(sem, 2);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_handles_share_count)
{
    xsipc_sem *a = sem_ok("shared", 2, XSIPC_OPEN);
    /* The set exists: this initial value is not applied. */
    xsipc_sem *b = sem_ok("shared", 10, XSIPC_OPEN);

    assert_ok(a, xsipc_sem_try_acquire(a), "a: try_acquire");
    assert_ok(b, xsipc_sem_try_acquire(b), "b: try_acquire");
    tu_sem_fails(b, xsipc_sem_try_acquire(b), XSIPC_WOULD_BLOCK);
    tu_sem_fails(a, xsipc_sem_try_acquire(a), XSIPC_WOULD_BLOCK);
    assert_ok(a, xsipc_sem_release(a, 1), "a: release");
    assert_ok(b, xsipc_sem_try_acquire(b), "b: try_acquire after a's release");
    tu_sem_fails(a, xsipc_sem_try_acquire(a), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(count_sem_files(), 1);
    xsipc_sem_free(a);
    xsipc_sem_free(b);
}
END_TEST

START_TEST(test_sem_acquire_blocks_until_release)
{
    xsipc_sem *sem = sem_ok("cross", 0, XSIPC_OPEN);
    pid_t pid = fork_ok();

    if (pid == 0) {
        /* Its own handle: a handle is not shared across fork. */
        xsipc_sem *mine = xsipc_sem_new("cross", 0, XSIPC_OPEN);
        int rc;
        if (mine == NULL || xsipc_sem_error(mine) != XSIPC_NO_ERROR)
            _exit(2);
        rc = xsipc_sem_acquire(mine);
        xsipc_sem_free(mine);
        _exit(rc == 0 ? 0 : 3);
    }
    /* The child sleeps in semop: acquire really blocks on value 0. */
    wait_sleepers("cross", 1);
    ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0,
                  "the child ended while the value was 0");
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    ck_assert_int_eq(wait_child(pid, WAIT_MS), 0);
    /* The child acquired with SEM_UNDO and exited: the unit came back. */
    assert_value(sem, 1);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_acquire_timeout_expires)
{
    xsipc_sem *sem = sem_ok("timeout", 0, XSIPC_OPEN);

    tu_sem_fails(sem, xsipc_sem_acquire_timeout(sem, 50), XSIPC_TIMEOUT);
    tu_sem_fails(sem, xsipc_sem_acquire_timeout(sem, 0), XSIPC_TIMEOUT);
    /* With a unit available the timed wait takes it. */
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    assert_ok(sem, xsipc_sem_acquire_timeout(sem, 50), "acquire_timeout");
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem);
}
END_TEST

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
}

START_TEST(test_sem_acquire_survives_signals)
{
    xsipc_sem *sem = sem_ok("signals", 0, XSIPC_OPEN);
    pid_t pid = fork_ok();
    int i;

    if (pid == 0) {
        struct sigaction sa;
        xsipc_sem *mine;
        int rc;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: semop ends with EINTR */
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
            _exit(2);
        mine = xsipc_sem_new("signals", 0, XSIPC_OPEN);
        if (mine == NULL || xsipc_sem_error(mine) != XSIPC_NO_ERROR)
            _exit(3);
        rc = xsipc_sem_acquire(mine);
        xsipc_sem_free(mine);
        if (rc != 0)
            _exit(4);
        _exit(usr1_count > 0 ? 0 : 5);
    }
    wait_sleepers("signals", 1);
    for (i = 0; i < 20; i++) {
        ck_assert_msg(kill(pid, SIGUSR1) == 0, "kill: %s", strerror(errno));
        sleep_ms(3);
    }
    /* Still waiting after every interruption. */
    wait_sleepers("signals", 1);
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    ck_assert_int_eq(wait_child(pid, WAIT_MS), 0);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_last_free_removes_set)
{
    int before = tu_count_sem();
    xsipc_sem *a = sem_ok("last", 1, XSIPC_OPEN);
    xsipc_sem *b = sem_ok("last", 1, XSIPC_OPEN);
    key_t key = key_of("last");

    ck_assert_int_eq(count_sem_files(), 1);
    ck_assert_msg(semget(key, 0, 0) >= 0, "no set at the key");
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem(), before + 1);
    /* Not the last: set and key file stay. */
    xsipc_sem_free(a);
    ck_assert_int_eq(count_sem_files(), 1);
    ck_assert_msg(semget(key, 0, 0) >= 0, "the set went with the first free");
    assert_ok(b, xsipc_sem_try_acquire(b), "try_acquire");
    xsipc_sem_free(b);
    /* The last: both gone. */
    ck_assert_int_eq(count_sem_files(), 0);
    errno = 0;
    ck_assert_msg(semget(key, 0, 0) < 0 && errno == ENOENT,
                  "a set is left at key 0x%08x", (unsigned)key);
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem(), before);
}
END_TEST

/* A child opens "undo", takes one unit and tells the parent; once the
 * parent has seen the unit taken, the child _exits (sig 0: told through
 * the go pipe) or is killed (sig SIGKILL), without a release. */
static void undo_round(xsipc_sem *sem, int sig)
{
    int ready[2], go[2];
    pid_t pid;

    ck_assert(pipe(ready) == 0 && pipe(go) == 0);
    pid = fork_ok();
    if (pid == 0) {
        xsipc_sem *mine = xsipc_sem_new("undo", 1, XSIPC_OPEN);
        char c;
        close(ready[0]);
        close(go[1]);
        if (mine == NULL || xsipc_sem_error(mine) != XSIPC_NO_ERROR)
            _exit(2);
        if (xsipc_sem_try_acquire(mine) != 0)
            _exit(3);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        /* EOF on go: the parent has checked; exit without release or
         * free.  A SIGKILL may come first. */
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    wait_ready(ready[0]);
    close(ready[0]);
    /* The child holds the one unit. */
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    if (sig != 0) {
        ck_assert(kill(pid, sig) == 0);
        close(go[1]);
        ck_assert_int_eq(wait_child(pid, WAIT_MS), 128 + sig);
    } else {
        close(go[1]);
        ck_assert_int_eq(wait_child(pid, WAIT_MS), 0);
    }
    /* The kernel undid the child's acquire. */
    assert_value(sem, 1);
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
}

START_TEST(test_sem_undo_on_exit)
{
    xsipc_sem *sem = sem_ok("undo", 1, XSIPC_OPEN);

    undo_round(sem, 0);
    undo_round(sem, SIGKILL);
    xsipc_sem_free(sem);
}
END_TEST

/* Removes the set at name's key, as the Qt object that created it does
 * when it is destroyed; with unlink_too, its key file as well. */
static void remove_underneath(const char *name, int unlink_too)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key k;
    int id;

    ck_assert(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM, name, 0, &k,
                                 &st) == 0);
    id = semget(k.key, 0, 0);
    ck_assert_msg(id >= 0, "semget 0x%08x: %s", (unsigned)k.key,
                  strerror(errno));
    ck_assert_msg(semctl(id, 0, IPC_RMID) == 0, "IPC_RMID: %s",
                  strerror(errno));
    if (unlink_too)
        ck_assert(unlink(tu_path(k.file)) == 0);
}

START_TEST(test_sem_set_removed_underneath)
{
    xsipc_sem *sem = sem_ok("gone", 1, XSIPC_OPEN);

    /* release: the set is made again (initial 1), then released to 2. */
    remove_underneath("gone", 0);
    assert_ok(sem, xsipc_sem_release(sem, 1), "release after IPC_RMID");
    assert_ok(sem, xsipc_sem_acquire(sem), "acquire");
    assert_ok(sem, xsipc_sem_acquire(sem), "acquire");
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    /* acquire: the set is made again with the initial value 1. */
    remove_underneath("gone", 0);
    assert_ok(sem, xsipc_sem_acquire(sem), "acquire after IPC_RMID");
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    /* The key file gone too (a Qt owner that made it removes it). */
    remove_underneath("gone", 1);
    ck_assert_int_eq(count_sem_files(), 0);
    assert_ok(sem, xsipc_sem_acquire(sem), "acquire after key file removal");
    ck_assert_int_eq(count_sem_files(), 1);
    ck_assert_msg(set_of("gone") >= 0, "no set at the new key file's key");
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_create_renews_abandoned_set)
{
    pid_t pid = fork_ok();
    xsipc_sem *sem;

    if (pid == 0) {
        xsipc_sem *mine = xsipc_sem_new("abandoned", 0, XSIPC_OPEN);
        if (mine == NULL || xsipc_sem_error(mine) != XSIPC_NO_ERROR)
            _exit(2);
        raise(SIGKILL); /* dies without freeing: the set stays */
        _exit(3);
    }
    ck_assert_int_eq(wait_child(pid, WAIT_MS), 128 + SIGKILL);
    /* Left behind: key file and set, no user (USERS undone to 0). */
    ck_assert_int_eq(count_sem_files(), 1);
    ck_assert_msg(set_of("abandoned") >= 0, "the crashed child left no set");
    ck_assert_int_eq(semctl(set_of("abandoned"), XSIPC__SEM_USERS, GETVAL), 0);
    sem = sem_ok("abandoned", 2, XSIPC_CREATE);
    assert_value(sem, 2);
    xsipc_sem_free(sem);
    ck_assert_int_eq(count_sem_files(), 0);
}
END_TEST

START_TEST(test_sem_create_keeps_set_in_use)
{
    xsipc_sem *a = sem_ok("busy", 1, XSIPC_OPEN);
    xsipc_sem *b;

    assert_ok(a, xsipc_sem_acquire(a), "a: acquire");
    /* a holds the only unit; Qt's Create would SETVAL 5 here. */
    b = sem_ok("busy", 5, XSIPC_CREATE);
    tu_sem_fails(b, xsipc_sem_try_acquire(b), XSIPC_WOULD_BLOCK);
    assert_ok(a, xsipc_sem_release(a, 1), "a: release");
    assert_value(b, 1);
    xsipc_sem_free(b);
    xsipc_sem_free(a);
}
END_TEST

/* --------------------------------------------------------------- errors */

START_TEST(test_sem_null_handle)
{
    ck_assert_int_eq(xsipc_sem_acquire(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_try_acquire(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_acquire_timeout(NULL, 10),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_release(NULL, 1), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_error(NULL), XSIPC_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(xsipc_sem_error_string(NULL));
    ck_assert(xsipc_sem_error_string(NULL)[0] != '\0');
    xsipc_sem_free(NULL);
}
END_TEST

static void assert_key_error(const char *key)
{
    xsipc_sem *sem = xsipc_sem_new(key, 1, XSIPC_OPEN);

    ck_assert_msg(sem != NULL, "a %s key gave a NULL handle",
                  key == NULL ? "NULL" : "empty");
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    ck_assert(xsipc_sem_error_string(sem)[0] != '\0');
    tu_sem_fails(sem, xsipc_sem_acquire(sem), XSIPC_KEY_ERROR);
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_KEY_ERROR);
    tu_sem_fails(sem, xsipc_sem_acquire_timeout(sem, 10), XSIPC_KEY_ERROR);
    tu_sem_fails(sem, xsipc_sem_release(sem, 1), XSIPC_KEY_ERROR);
    xsipc_sem_free(sem);
    ck_assert_int_eq(count_sem_files(), 0);
}

START_TEST(test_sem_null_and_empty_key)
{
    assert_key_error(NULL);
    assert_key_error("");
}
END_TEST

static void assert_bad_initial(int initial)
{
    xsipc_sem *sem = xsipc_sem_new("initial", initial, XSIPC_OPEN);

    ck_assert_msg(sem != NULL, "initial %d gave a NULL handle", initial);
    ck_assert_msg(xsipc_sem_error(sem) == XSIPC_INVALID_ARGUMENT,
                  "initial %d: error %d (%s)", initial,
                  (int)xsipc_sem_error(sem), xsipc_sem_error_string(sem));
    ck_assert(xsipc_sem_error_string(sem)[0] != '\0');
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_INVALID_ARGUMENT);
    xsipc_sem_free(sem);
    /* Nothing was made. */
    ck_assert_int_eq(count_sem_files(), 0);
}

START_TEST(test_sem_bad_initial_value)
{
    assert_bad_initial(-1);
    assert_bad_initial(-32768);
    assert_bad_initial(32768); /* above SEMVMX */
}
END_TEST

START_TEST(test_sem_release_bad_count)
{
    xsipc_sem *sem = sem_ok("count", 0, XSIPC_OPEN);

    tu_sem_fails(sem, xsipc_sem_release(sem, -1), XSIPC_INVALID_ARGUMENT);
    tu_sem_fails(sem, xsipc_sem_release(sem, 0), XSIPC_INVALID_ARGUMENT);
    tu_sem_fails(sem, xsipc_sem_release(sem, 32768), XSIPC_INVALID_ARGUMENT);
    /* Nothing was added. */
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    /* The handle still works. */
    assert_ok(sem, xsipc_sem_release(sem, 1), "release");
    assert_value(sem, 1);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_release_past_semvmx)
{
    xsipc_sem *sem = sem_ok("semvmx", 32767, XSIPC_OPEN);

    tu_sem_fails(sem, xsipc_sem_release(sem, 1), XSIPC_OUT_OF_RESOURCES);
    /* The value is unchanged and usable. */
    assert_ok(sem, xsipc_sem_try_acquire(sem), "try_acquire");
    assert_ok(sem, xsipc_sem_release(sem, 1), "release back to SEMVMX");
    tu_sem_fails(sem, xsipc_sem_release(sem, 1), XSIPC_OUT_OF_RESOURCES);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_negative_timeout)
{
    xsipc_sem *sem = sem_ok("negative", 1, XSIPC_OPEN);

    tu_sem_fails(sem, xsipc_sem_acquire_timeout(sem, -1),
                 XSIPC_INVALID_ARGUMENT);
    /* Nothing was taken. */
    assert_value(sem, 1);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sem_name_too_long)
{
    char name[301];
    xsipc_sem *sem;

    memset(name, 'n', 300);
    name[300] = '\0';
    sem = xsipc_sem_new(name, 1, XSIPC_OPEN);
    ck_assert_ptr_nonnull(sem);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(xsipc_sem_error_string(sem), "NAME_MAX") != NULL,
                  "message does not mention NAME_MAX: %s",
                  xsipc_sem_error_string(sem));
    tu_sem_fails(sem, xsipc_sem_acquire(sem), XSIPC_KEY_ERROR);
    xsipc_sem_free(sem);
    ck_assert_int_eq(count_sem_files(), 0);
}
END_TEST

/* --------------------------------------------------------------- limits */

/* In a private IPC namespace with SEMMNI 0 (tu_in_new_ipcns): 0 when
 * xsipc_sem_new failed as it should. */
static int semmni_child(void *arg)
{
    static const char limits[] = "250 32000 32 0\n";
    xsipc_sem *sem;
    int fd, ok;

    (void)arg;
    /* SEMMNI 0: this namespace's limit only. */
    fd = open("/proc/sys/kernel/sem", O_WRONLY | O_CLOEXEC);
    if (fd < 0 ||
        write(fd, limits, sizeof limits - 1) != (ssize_t)(sizeof limits - 1))
        return tu_child_skip("cannot lower this namespace's SEMMNI: %s",
                             strerror(errno));
    close(fd);
    sem = xsipc_sem_new("semmni", 1, XSIPC_OPEN);
    if (sem == NULL)
        return 2;
    /* The message names the kernel limit that was hit. */
    ok = xsipc_sem_error(sem) == XSIPC_OUT_OF_RESOURCES &&
         strstr(xsipc_sem_error_string(sem), "SEMMNI") != NULL &&
         xsipc_sem_try_acquire(sem) == -XSIPC_OUT_OF_RESOURCES;
    if (!ok)
        fprintf(stderr, "test_sem_semmni_exhausted: error %d (%s)\n",
                (int)xsipc_sem_error(sem), xsipc_sem_error_string(sem));
    xsipc_sem_free(sem);
    if (!ok)
        return 3;
    /* The key file it made is gone again: nothing has its key. */
    return count_sem_files() == 0 ? 0 : 4;
}

START_TEST(test_sem_semmni_exhausted)
{
    int code = tu_in_new_ipcns(semmni_child, NULL);

    ck_assert_msg(code == 0, "the child in a namespace with SEMMNI 0 exited %d",
                  code);
    ck_assert_int_eq(count_sem_files(), 0);
}
END_TEST

/* Releases 2 on a persistent set, without SEM_UNDO, and exits. */
static int release_and_leave(const char *name)
{
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), name, 0,
                                      XSIPC_OPEN | XSIPC_SEM_PERSISTENT);
    int ok = xsipc_sem_error(sem) == XSIPC_NO_ERROR &&
             xsipc_sem_set_undo(sem, 0) == 0 && xsipc_sem_release(sem, 2) == 0;

    xsipc_sem_free(sem);
    return ok ? 0 : 1;
}

/* As `xsipc sem NAME release` then `xsipc sem NAME acquire` from a shell:
 * the set and its value outlive every process that used it. */
START_TEST(test_sem_persistent_outlives_users)
{
    xsipc_status st;
    xsipc_sem *sem;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(release_and_leave("jobs"));
    ck_assert_int_eq(wait_child(pid, 10000), 0);
    sem = xsipc_sem_new_in(tu_registry(), "jobs", 0, XSIPC_OPEN);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_sem_set_undo(sem, 0), 0);
    ck_assert_int_eq(xsipc_sem_release(sem, 1), 0);
    xsipc_sem_free(sem);
    /* Still there, with its value, after its last user left. */
    sem = xsipc_sem_new_in(tu_registry(), "jobs", 5, XSIPC_OPEN);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem);
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "jobs",
                                           XSIPC_KIND_SEM, XSIPC_REMOVE_OBJECT,
                                           &st),
                     0);
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem(), 0);
}
END_TEST

Suite *sem_suite(void);

Suite *sem_suite(void)
{
    Suite *s = suite_create("sem");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tu_tcase(core);
    tcase_set_timeout(core, 20);
    tcase_add_test(core, test_sem_acquire_release_basic);
    tcase_add_test(core, test_sem_persistent_outlives_users);
    tcase_add_test(core, test_sem_initial_value_counts);
    tcase_add_test(core, test_sem_handles_share_count);
    tcase_add_test(core, test_sem_acquire_blocks_until_release);
    tcase_add_test(core, test_sem_acquire_timeout_expires);
    tcase_add_test(core, test_sem_acquire_survives_signals);
    tcase_add_test(core, test_sem_last_free_removes_set);
    tcase_add_test(core, test_sem_undo_on_exit);
    tcase_add_test(core, test_sem_set_removed_underneath);
    tcase_add_test(core, test_sem_create_renews_abandoned_set);
    tcase_add_test(core, test_sem_create_keeps_set_in_use);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_set_timeout(errors, 20);
    tcase_add_test(errors, test_sem_null_handle);
    tcase_add_test(errors, test_sem_null_and_empty_key);
    tcase_add_test(errors, test_sem_bad_initial_value);
    tcase_add_test(errors, test_sem_release_bad_count);
    tcase_add_test(errors, test_sem_release_past_semvmx);
    tcase_add_test(errors, test_sem_negative_timeout);
    tcase_add_test(errors, test_sem_name_too_long);
    suite_add_tcase(s, errors);

    tu_tcase(limits);
    tcase_set_timeout(limits, 20);
    tcase_add_test(limits, test_sem_semmni_exhausted);
    suite_add_tcase(s, limits);
    return s;
}
