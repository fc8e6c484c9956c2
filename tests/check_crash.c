/* SPDX-License-Identifier: MIT */
/*
 * check_crash.c -- what Qt's users lose work to, with processes really
 * killed: restart after a crash, owner death, a create() racing a holder,
 * many processes racing to create-or-attach, dead users of a semaphore
 * set, timed waits under a stream of signals, semaphores without
 * SEM_UNDO, and objects squatted by another user.
 *
 * Children never call ck_assert: they exit with a code saying what went
 * wrong, and the parent asserts it.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

static pid_t spawn(int (*fn)(void *), void *arg)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(fn(arg));
    return pid;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static xsipc_shm *shm_in(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), name);
    ck_assert_ptr_nonnull(shm);
    return shm;
}

/* Reads one byte from fd: the child's "I got this far". */
static void await(int fd)
{
    char c;
    ck_assert_int_eq(read(fd, &c, 1), 1);
}

/* ---------------------------------------------- restart after a crash */

struct crasher {
    const char *name;
    int ready; /* write end */
};

/* Creates the segment, says so, and waits to be killed while attached. */
static int create_and_hang(void *arg)
{
    struct crasher *c = arg;
    xsipc_shm *shm = shm_in(c->name);

    if (xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE) != 0)
        return 10;
    strcpy(xsipc_shm_data(shm), "before the crash");
    if (write(c->ready, "c", 1) != 1)
        return 11;
    for (;;)
        pause();
}

START_TEST(test_crash_restart_after_kill)
{
    int fds[2], i;

    ck_assert_int_eq(pipe(fds), 0);
    for (i = 0; i < 20; i++) {
        struct crasher c = {"service", fds[1]};
        pid_t pid = spawn(create_and_hang, &c);
        xsipc_shm *shm;
        int rc;

        await(fds[0]);
        kill(pid, SIGKILL);
        ck_assert_int_eq(tu_status_of(pid), 128 + SIGKILL);
        /* The crash left a segment nobody is attached to, and its key
         * files: Qt's create() fails here for good (AlreadyExists). */
        shm = shm_in("service");
        rc = xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE);
        ck_assert_msg(rc == 0, "restart %d: %s", i,
                      xsipc_shm_error_string(shm));
        ck_assert_str_eq(xsipc_shm_const_data(shm), ""); /* a new one */
        xsipc_shm_free(shm);
    }
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_crash_live_segment_not_reclaimed)
{
    int fds[2];
    struct crasher c = {"alive", 0};
    xsipc_shm *shm;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    c.ready = fds[1];
    pid = spawn(create_and_hang, &c);
    await(fds[0]);
    shm = shm_in("alive");
    ck_assert_int_eq(xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE),
                     -XSIPC_ALREADY_EXISTS);
    kill(pid, SIGKILL);
    ck_assert_int_eq(tu_status_of(pid), 128 + SIGKILL);
    /* Once its creator is dead it is stale, and the create succeeds. */
    ck_assert_int_eq(xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE), 0);
    xsipc_shm_free(shm);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_crash_creator_pid_reuse)
{
    time_t now = time(NULL);

    /* Alive, and started before now: the creator of something made now. */
    ck_assert_int_eq(xsipc__proc_gone(getpid(), now), 0);
    /* Alive, but started long after the object was made: a reused pid. */
    ck_assert_int_eq(xsipc__proc_gone(getpid(), 1000), 1);
    /* init outlives everything. */
    ck_assert_int_eq(xsipc__proc_gone(1, now), 0);
    ck_assert_int_eq(xsipc__proc_gone(0, now), 0);
}
END_TEST

START_TEST(test_crash_dead_pid_is_gone)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(xsipc__proc_gone(pid, time(NULL)), 1);
}
END_TEST

/* ------------------------------------------------------- owner death */

struct holder {
    const char *name;
    int ready;
};

static int lock_and_hang(void *arg)
{
    struct holder *h = arg;
    xsipc_shm *shm = shm_in(h->name);

    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) != 0)
        return 10;
    if (xsipc_shm_lock(shm) != 0)
        return 11;
    if (write(h->ready, "l", 1) != 1)
        return 12;
    for (;;)
        pause();
}

struct contender {
    const char *name;
    int report; /* write end: one byte, the lock's result + '0' */
};

static int lock_once(void *arg)
{
    struct contender *c = arg;
    xsipc_shm *shm = shm_in(c->name);
    char r;
    int rc;

    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) != 0)
        return 10;
    rc = xsipc_shm_lock(shm);
    if (rc < 0)
        return 11;
    r = (char)('0' + rc);
    if (write(c->report, &r, 1) != 1)
        return 12;
    nap_ms(20);
    if (xsipc_shm_unlock(shm) != 0 || xsipc_shm_detach(shm) != 0)
        return 13;
    xsipc_shm_free(shm);
    return 0;
}

START_TEST(test_crash_owner_died_told_once_among_many)
{
    xsipc_shm *keeper = shm_in("od");
    int ready[2], report[2], i, died = 0;
    struct holder h = {"od", 0};
    struct contender c = {"od", 0};
    pid_t holder, pids[4];

    ck_assert_int_eq(xsipc_shm_create(keeper, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(report), 0);
    h.ready = ready[1];
    c.report = report[1];
    holder = spawn(lock_and_hang, &h);
    await(ready[0]);
    for (i = 0; i < 4; i++)
        pids[i] = spawn(lock_once, &c);
    nap_ms(100); /* let them queue on the lock; correctness needs no wait */
    kill(holder, SIGKILL);
    ck_assert_int_eq(tu_status_of(holder), 128 + SIGKILL);
    for (i = 0; i < 4; i++) {
        char r;
        ck_assert_int_eq(read(report[0], &r, 1), 1);
        ck_assert_msg(r == '0' || r == '0' + XSIPC_OWNER_DIED, "rc %c", r);
        died += r == '0' + XSIPC_OWNER_DIED;
    }
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(tu_status_of(pids[i]), 0);
    ck_assert_int_eq(died, 1);
    /* Told once: the keeper's lock is plain again. */
    ck_assert_int_eq(xsipc_shm_lock(keeper), 0);
    ck_assert_int_eq(xsipc_shm_unlock(keeper), 0);
    xsipc_shm_free(keeper);
    close(ready[0]);
    close(ready[1]);
    close(report[0]);
    close(report[1]);
}
END_TEST

START_TEST(test_crash_owner_died_kept_across_attach)
{
    xsipc_shm *keeper = shm_in("od2"), *late = shm_in("od2");
    int ready[2];
    struct holder h = {"od2", 0};
    pid_t holder;

    ck_assert_int_eq(xsipc_shm_create(keeper, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(pipe(ready), 0);
    h.ready = ready[1];
    holder = spawn(lock_and_hang, &h);
    await(ready[0]);
    kill(holder, SIGKILL);
    ck_assert_int_eq(tu_status_of(holder), 128 + SIGKILL);
    /* attach takes and releases the lock itself; the news of the death
     * must still reach the next xsipc_shm_lock. */
    ck_assert_int_eq(xsipc_shm_attach(late, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_lock(late), XSIPC_OWNER_DIED);
    ck_assert_int_eq(xsipc_shm_unlock(late), 0);
    ck_assert_int_eq(xsipc_shm_lock(keeper), 0);
    ck_assert_int_eq(xsipc_shm_unlock(keeper), 0);
    xsipc_shm_free(late);
    xsipc_shm_free(keeper);
    close(ready[0]);
    close(ready[1]);
}
END_TEST

/* ------------------------------------------- create racing a holder */

static int create_while_held(void *arg)
{
    xsipc_shm *shm = shm_in(arg);
    int rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);

    xsipc_shm_free(shm);
    return rc == -XSIPC_ALREADY_EXISTS ? 0 : 10;
}

START_TEST(test_crash_create_racing_holder)
{
    xsipc_shm *a = shm_in("held"), *c = shm_in("held");
    pid_t pid;

    ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_attach(c, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    /* B's create ends, with AlreadyExists, while A still holds the lock
     * (Qt's create would wait for it, then reset it). */
    pid = spawn(create_while_held, "held");
    ck_assert_int_eq(tu_status_of(pid), 0);
    /* ... and C's lock still waits for A. */
    ck_assert_int_eq(xsipc_shm_try_lock(c), -XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_shm_lock_timeout(c, 50), -XSIPC_TIMEOUT);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(xsipc_shm_lock(c), 0);
    ck_assert_int_eq(xsipc_shm_unlock(c), 0);
    xsipc_shm_free(c);
    xsipc_shm_free(a);
}
END_TEST

/* ------------------------------------- six racers, forty names each */

#define RACERS 6
#define NAMES 40
#define ROUNDS 25

struct racer {
    int report; /* write end: the shmid of each name, then a byte */
    int go;     /* read end: the parent's "detach now" */
};

/* Create-or-attach: whoever comes first creates, the rest attach; a
 * segment removed in between (not here, but in general) means retry. */
static int meet(xsipc_shm *shm)
{
    int tries;

    for (tries = 0; tries < 100; tries++) {
        if (xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0)
            return 0;
        if (xsipc_shm_error(shm) != XSIPC_ALREADY_EXISTS)
            return -1;
        if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) == 0)
            return 0;
        if (xsipc_shm_error(shm) != XSIPC_NOT_FOUND)
            return -1;
    }
    return -1;
}

static int race(void *arg)
{
    struct racer *r = arg;
    xsipc_shm *shms[NAMES];
    int ids[NAMES], i, k;
    char c;

    for (i = 0; i < NAMES; i++) {
        char name[32];
        snprintf(name, sizeof name, "race-%d", i);
        shms[i] = shm_in(name);
        if (meet(shms[i]) != 0) {
            fprintf(stderr, "racer: %s\n", xsipc_shm_error_string(shms[i]));
            return 10;
        }
    }
    for (k = 0; k < ROUNDS; k++)
        for (i = 0; i < NAMES; i++) {
            volatile long *counter = xsipc_shm_data(shms[i]);
            if (xsipc_shm_lock(shms[i]) != 0)
                return 11;
            *counter = *counter + 1; /* read, then write: racy unlocked */
            if (xsipc_shm_unlock(shms[i]) != 0)
                return 12;
        }
    for (i = 0; i < NAMES; i++)
        ids[i] = shms[i]->shmid;
    /* One write of less than PIPE_BUF bytes: the racers' reports do not
     * interleave. */
    if (write(r->report, ids, sizeof ids) != (ssize_t)sizeof ids)
        return 13;
    if (read(r->go, &c, 1) != 1)
        return 14;
    for (i = 0; i < NAMES; i++)
        xsipc_shm_free(shms[i]);
    return 0;
}

START_TEST(test_crash_racers_meet_in_one_segment)
{
    int report[2], go[2], ids[RACERS][NAMES], i, j;
    struct racer r;
    pid_t pids[RACERS];

    ck_assert_int_eq(pipe(report), 0);
    ck_assert_int_eq(pipe(go), 0);
    r.report = report[1];
    r.go = go[0];
    for (i = 0; i < RACERS; i++)
        pids[i] = spawn(race, &r);
    for (i = 0; i < RACERS; i++)
        ck_assert_int_eq(read(report[0], ids[i], sizeof ids[i]), sizeof ids[i]);
    /* All racers are still attached: the parent counts before they go. */
    for (j = 0; j < NAMES; j++) {
        char name[32];
        xsipc_shm *shm;
        snprintf(name, sizeof name, "race-%d", j);
        shm = shm_in(name);
        ck_assert_int_eq(xsipc_shm_attach(shm, XSIPC_READ_ONLY), 0);
        ck_assert_int_eq(xsipc_shm_lock(shm), 0);
        ck_assert_int_eq(*(const long *)xsipc_shm_const_data(shm),
                         (long)RACERS * ROUNDS);
        ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
        for (i = 1; i < RACERS; i++) /* one segment per name */
            ck_assert_int_eq(ids[i][j], ids[0][j]);
        ck_assert_int_eq(shm->shmid, ids[0][j]);
        xsipc_shm_free(shm);
    }
    for (i = 0; i < RACERS; i++)
        ck_assert_int_eq(write(go[1], "g", 1), 1);
    for (i = 0; i < RACERS; i++)
        ck_assert_int_eq(tu_status_of(pids[i]), 0);
    close(report[0]);
    close(report[1]);
    close(go[0]);
    close(go[1]);
}
END_TEST

/* -------------------------------------------------- semaphore users */

static int open_and_hang(void *arg)
{
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), "users", 1, XSIPC_OPEN);
    int *ready = arg;

    if (xsipc_sem_error(sem) != XSIPC_NO_ERROR)
        return 10;
    if (write(*ready, "o", 1) != 1)
        return 11;
    for (;;)
        pause();
}

START_TEST(test_crash_dead_users_drop_out)
{
    int fds[2];
    xsipc_sem *sem;
    pid_t pid;
    int id;

    ck_assert_int_eq(pipe(fds), 0);
    pid = spawn(open_and_hang, &fds[1]);
    await(fds[0]);
    sem = xsipc_sem_new_in(tu_registry(), "users", 1, XSIPC_OPEN);
    id = sem->set.semid;
    ck_assert_int_eq(semctl(id, XSIPC__SEM_USERS, GETVAL), 2);
    kill(pid, SIGKILL);
    ck_assert_int_eq(tu_status_of(pid), 128 + SIGKILL);
    /* SEM_UNDO took the dead user's unit away. */
    ck_assert_int_eq(semctl(id, XSIPC__SEM_USERS, GETVAL), 1);
    xsipc_sem_free(sem);
    /* The last user left: the set and its key file are gone. */
    ck_assert_int_lt(semctl(id, 0, GETVAL), 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* ----------------------------------------- timed waits under signals */

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

static int timed_wait_under_signals(void *arg)
{
    struct sigaction sa;
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), "storm", 0, XSIPC_OPEN);
    int *ready = arg, rc;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal; /* no SA_RESTART: every signal is EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    if (write(*ready, "w", 1) != 1)
        return 10;
    rc = xsipc_sem_acquire_timeout(sem, 300);
    xsipc_sem_free(sem);
    if (rc != -XSIPC_TIMEOUT)
        return 11;
    return signals_seen > 10 ? 0 : 12;
}

START_TEST(test_crash_timeout_under_signal_storm)
{
    int fds[2], status = 0;
    long sent = 0;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = spawn(timed_wait_under_signals, &fds[1]);
    await(fds[0]);
    /* A signal every millisecond, far more often than the 300 ms wait:
     * a wait that restarted its full timeout would never end.  The
     * bound is only there so a broken library fails instead of hanging. */
    while (waitpid(pid, &status, WNOHANG) == 0 && sent < 20000) {
        kill(pid, SIGUSR1);
        sent++;
        nap_ms(1);
    }
    if (sent >= 20000) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "timed wait under signals: status %d after %ld signals",
                  status, sent);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* --------------------------------------------- semaphores without undo */

static int produce(void *arg)
{
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), "queue", 0, XSIPC_OPEN);
    int undo = *(int *)arg;

    if (xsipc_sem_set_undo(sem, undo) != 0 || xsipc_sem_release(sem, 3) != 0)
        return 10;
    xsipc_sem_free(sem);
    return 0;
}

START_TEST(test_crash_producer_without_undo)
{
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), "queue", 0, XSIPC_OPEN);
    int undo = 0, i;
    pid_t pid;

    pid = spawn(produce, &undo);
    ck_assert_int_eq(tu_status_of(pid), 0);
    /* The producer is gone; its three releases stay. */
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    /* Qt's way (the default): the exiting producer's releases are undone. */
    undo = 1;
    pid = spawn(produce, &undo);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_sem_set_undo(sem, 2), -XSIPC_INVALID_ARGUMENT);
    ck_assert(xsipc_sem_error_string(sem)[0] != '\0');
    ck_assert_int_eq(xsipc_sem_set_undo(NULL, 0), -XSIPC_INVALID_ARGUMENT);
    xsipc_sem_free(sem);
}
END_TEST

/* -------------------------------------------------------- squatters */

/* As another user, makes objects at the keys the name will use. */
static int squat(void *arg)
{
    key_t *keys = arg;

    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 10;
    if (shmget(keys[0], 64, IPC_CREAT | IPC_EXCL | 0666) < 0)
        return 11;
    if (semget(keys[1], 3, IPC_CREAT | IPC_EXCL | 0666) < 0)
        return 12;
    return 0;
}

START_TEST(test_crash_squatted_key_refused)
{
    xsipc_status st;
    xsipc__key shm_key, sem_key;
    key_t keys[2];
    xsipc_shm *shm;
    pid_t pid;
    int id;

    tu_need_root();
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "sq", 1,
                                        &shm_key, &st),
                     0);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM, "sq", 1,
                                        &sem_key, &st),
                     0);
    keys[0] = shm_key.key;
    keys[1] = sem_key.key;
    pid = spawn(squat, keys);
    ck_assert_int_eq(tu_status_of(pid), 0);

    shm = shm_in("sq");
    ck_assert_int_eq(xsipc_shm_attach(shm, XSIPC_READ_WRITE), -XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "65534") != NULL,
                  "message does not name the uid: %s",
                  xsipc_shm_error_string(shm));
    ck_assert_int_eq(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE),
                     -XSIPC_ALREADY_EXISTS);
    xsipc_shm_free(shm);
    /* Only the squatter's objects remain: remove them and the files. */
    id = shmget(keys[0], 0, 0);
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(shmctl(id, IPC_RMID, NULL), 0);
    id = semget(keys[1], 0, 0);
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(semctl(id, 0, IPC_RMID), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "sq", XSIPC_KIND_SHM, 0, &st), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "sq", XSIPC_KIND_SEM, 0, &st), 0);
}
END_TEST

/* A user who may not read the segment is told so. */
static int attach_as_nobody(void *arg)
{
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *shm;
    int rc;

    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 10;
    reg = xsipc_registry_open(arg, 0, &st);
    if (reg == NULL)
        return 11;
    shm = xsipc_shm_new_in(reg, "private");
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    if (rc != -XSIPC_PERMISSION_DENIED ||
        xsipc_shm_error_string(shm)[0] == '\0')
        return 12;
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_crash_other_user_denied)
{
    char dir[PATH_MAX];
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *shm;
    pid_t pid;

    tu_need_root();
    /* A directory everyone may use, like /tmp, where the other user can
     * reach it whatever TMPDIR's mode. */
    snprintf(dir, sizeof dir, "%s/shared", tu_shared_dir());
    ck_assert_int_eq(mkdir(dir, 01777), 0);
    ck_assert_int_eq(chmod(dir, 01777), 0);
    reg = xsipc_registry_open(dir, 0, &st);
    ck_assert_msg(reg != NULL, "%s", st.text);
    shm = xsipc_shm_new_in(reg, "private");
    ck_assert_int_eq(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE), 0);
    pid = spawn(attach_as_nobody, (void *)dir);
    ck_assert_int_eq(tu_status_of(pid), 0);
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* -------------------------------------------------- group sharing */

#define TEAM_GID 40000

struct member {
    const char *dir;
    uid_t uid;
    gid_t gid;
    uid_t peer; /* the other member, trusted */
    int in;     /* read end: go on */
    int out;    /* write end: done */
};

/* Becomes uid in gid (and only that group). */
static int become(uid_t uid, gid_t gid)
{
    gid_t groups[1];

    groups[0] = gid;
    return setgroups(1, groups) == 0 && setgid(gid) == 0 && setuid(uid) == 0
               ? 0
               : -1;
}

static xsipc_registry *team_registry(const struct member *m)
{
    xsipc_status st;
    xsipc_registry *reg =
        xsipc_registry_open(m->dir, XSIPC_REGISTRY_GROUP, &st);

    if (reg == NULL) {
        fprintf(stderr, "uid %u: %s\n", (unsigned)m->uid, st.text);
        return NULL;
    }
    /* Key files and objects of the other member are theirs, not ours or
     * root's: trusting them is the caller's decision. */
    if (xsipc_registry_trust_uid(reg, m->peer) != 0) {
        xsipc_registry_close(reg);
        return NULL;
    }
    return reg;
}

/* The first member: creates the segment (0660) and waits for the second. */
static int team_creator(void *arg)
{
    struct member *m = arg;
    xsipc_registry *reg;
    xsipc_shm *shm;
    char c;
    int ok;

    if (become(m->uid, m->gid) != 0 || (reg = team_registry(m)) == NULL)
        return 10;
    shm = xsipc_shm_new_in(reg, "team");
    if (xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) != 0) {
        fprintf(stderr, "creator: %s\n", xsipc_shm_error_string(shm));
        return 11;
    }
    strcpy(xsipc_shm_data(shm), "from A");
    if (write(m->out, "c", 1) != 1 || read(m->in, &c, 1) != 1)
        return 12;
    ok = xsipc_shm_lock(shm) == 0 &&
         strcmp(xsipc_shm_const_data(shm), "from B") == 0 &&
         xsipc_shm_unlock(shm) == 0;
    xsipc_shm_free(shm); /* the last user: everything goes */
    xsipc_registry_close(reg);
    return ok ? 0 : 13;
}

/* The second member (same group) reads and writes it under the lock. */
static int team_member(void *arg)
{
    struct member *m = arg;
    xsipc_registry *reg;
    xsipc_shm *shm;
    int ok;

    if (become(m->uid, m->gid) != 0 || (reg = team_registry(m)) == NULL)
        return 10;
    shm = xsipc_shm_new_in(reg, "team");
    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) != 0) {
        fprintf(stderr, "member: %s\n", xsipc_shm_error_string(shm));
        return 11;
    }
    ok = xsipc_shm_lock(shm) == 0 &&
         strcmp(xsipc_shm_const_data(shm), "from A") == 0;
    strcpy(xsipc_shm_data(shm), "from B");
    ok = ok && xsipc_shm_unlock(shm) == 0 && xsipc_shm_detach(shm) == 0;
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return ok ? 0 : 12;
}

/* A user outside the group is refused, trusting or not. */
static int team_outsider(void *arg)
{
    struct member *m = arg;
    xsipc_registry *reg;
    xsipc_shm *shm;
    int rc;

    if (become(m->uid, m->gid) != 0 || (reg = team_registry(m)) == NULL)
        return 10;
    shm = xsipc_shm_new_in(reg, "team");
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    if (rc != -XSIPC_PERMISSION_DENIED) {
        fprintf(stderr, "outsider: %d %s\n", rc, xsipc_shm_error_string(shm));
        return 11;
    }
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_crash_group_sharing)
{
    char dir[PATH_MAX];
    int to_a[2], from_a[2];
    struct member a, b, c;
    pid_t pa, pb, pc;
    char x;

    tu_need_root();
    snprintf(dir, sizeof dir, "%s/team", tu_shared_dir());
    ck_assert_int_eq(mkdir(dir, 01777), 0);
    ck_assert_int_eq(chmod(dir, 01777), 0);
    ck_assert_int_eq(pipe(to_a), 0);
    ck_assert_int_eq(pipe(from_a), 0);
    a = (struct member){dir, 40001, TEAM_GID, 40002, to_a[0], from_a[1]};
    b = (struct member){dir, 40002, TEAM_GID, 40001, -1, -1};
    c = (struct member){dir, 40003, 40003, 40001, -1, -1};
    pa = spawn(team_creator, &a);
    /* Only a holds the write end now: if a fails before it writes, the
     * read sees end of file at once instead of waiting for Check's
     * timeout. */
    close(from_a[1]);
    ck_assert_msg(read(from_a[0], &x, 1) == 1,
                  "the creator ended before it made the segment (status %d)",
                  tu_status_of(pa));
    pb = spawn(team_member, &b);
    ck_assert_int_eq(tu_status_of(pb), 0);
    pc = spawn(team_outsider, &c);
    ck_assert_int_eq(tu_status_of(pc), 0);
    ck_assert_int_eq(write(to_a[1], "g", 1), 1);
    ck_assert_int_eq(tu_status_of(pa), 0);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing left in it */
    close(to_a[0]);
    close(to_a[1]);
    close(from_a[0]);
}
END_TEST

/* A Qt program killed between its semget and its SETVAL leaves a lock set
 * of one semaphore at 0 that no semop touched: after a few seconds the
 * next lock gives it the value Qt meant to give, instead of waiting for
 * ever (a Qt peer waiting on it is let through the same way). */
START_TEST(test_crash_qt_set_never_initialised)
{
    xsipc_status st;
    xsipc_shm *shm;
    key_t key;
    int id, rc;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "unset", XSIPC_KIND_SEM,
                                        1, &key, NULL, 0, &st),
                     0);
    id = semget(key, 1, 0600 | IPC_CREAT | IPC_EXCL); /* Qt's, then killed */
    ck_assert_int_ge(id, 0);
    shm = shm_in("unset");
    /* Within the first seconds it may still be a slow creator's. */
    tu_shm_fails(shm, xsipc_shm_lock_timeout(shm, 500), XSIPC_TIMEOUT);
    rc = xsipc_shm_lock_timeout(shm, 20000);
    ck_assert_msg(rc == 0, "lock: %d %s", rc, xsipc_shm_error_string(shm));
    ck_assert_int_eq(semctl(id, 0, GETVAL), 0); /* ours now */
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    ck_assert_int_eq(semctl(id, 0, GETVAL), 1);
    xsipc_shm_free(shm);
    /* A Qt set belongs to the Qt program that made it: ours to remove
     * here, as that program would. */
    ck_assert_int_eq(semctl(id, 0, IPC_RMID), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "unset", XSIPC_KIND_SEM, 0, &st),
        0);
}
END_TEST

Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_crash_restart_after_kill);
    tcase_add_test(core, test_crash_live_segment_not_reclaimed);
    tcase_add_test(core, test_crash_creator_pid_reuse);
    tcase_add_test(core, test_crash_dead_pid_is_gone);
    tcase_add_test(core, test_crash_owner_died_told_once_among_many);
    tcase_add_test(core, test_crash_owner_died_kept_across_attach);
    tcase_add_test(core, test_crash_create_racing_holder);
    tcase_add_test(core, test_crash_racers_meet_in_one_segment);
    tcase_add_test(core, test_crash_dead_users_drop_out);
    tcase_add_test(core, test_crash_timeout_under_signal_storm);
    tcase_add_test(core, test_crash_producer_without_undo);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, test_crash_squatted_key_refused);
    tcase_add_test(errors, test_crash_other_user_denied);
    tcase_add_test(errors, test_crash_group_sharing);
    tcase_add_test(errors, test_crash_qt_set_never_initialised);
    suite_add_tcase(s, errors);
    return s;
}
