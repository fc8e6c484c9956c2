/* SPDX-License-Identifier: MIT */
/*
 * check_semidle.c -- idle lock sets (lib/semidle.c): in a persistent
 * registry, the second end of a name's handle in a process keeps the lock
 * set joined, the next handle takes it, and the process's ends give it
 * back; others see one user more, never a second lock.
 *
 * Sets are found by their keys (xsipc_registry_key), not counted, so the
 * tests hold with or without a private IPC namespace.  Children never call
 * ck_assert: they exit with a code saying what went wrong.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"
#include "tu_seam.h"

#define WAIT_MS 10000

/* A registry call failed with code, and said why. */
#define refused(rc, st, code)                                                  \
    do {                                                                       \
        int rc_ = (rc);                                                        \
        ck_assert_msg(rc_ == -(int)(code), "returned %d, expected %d (%s)",    \
                      rc_, -(int)(code), (st)->text);                          \
        ck_assert((st)->text[0] != '\0');                                      \
    } while (0)

/* The test's persistent registry, in a directory of its own. */
static xsipc_registry *persistent(void)
{
    xsipc_status st;
    xsipc_registry *reg;

    if (mkdir(tu_path("own"), 0700) != 0 && errno != EEXIST)
        ck_abort_msg("mkdir: %s", strerror(errno));
    reg = xsipc_registry_open(tu_path("own"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    return reg;
}

/* The test's end: reg closed (its kept sets with it), and the directory's
 * key files, which a persistent registry keeps, removed with it. */
static void done(xsipc_registry *reg)
{
    char path[4096];
    struct dirent *d;
    DIR *dir;

    xsipc_registry_close(reg);
    dir = opendir(tu_path("own"));
    ck_assert_ptr_nonnull(dir);
    while ((d = readdir(dir)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        (void)snprintf(path, sizeof path, "%s/%s", tu_path("own"), d->d_name);
        ck_assert_msg(unlink(path) == 0, "unlink %s: %s", path,
                      strerror(errno));
    }
    (void)closedir(dir);
    ck_assert_int_eq(rmdir(tu_path("own")), 0);
}

/* create(64) + free of a new handle of name; 0, or the failing call's
 * error (children use it too). */
static int cycle(xsipc_registry *reg, const char *name)
{
    xsipc_shm *h = xsipc_shm_new_in(reg, name);
    int rc;

    if (h == NULL)
        return -XSIPC_OUT_OF_RESOURCES;
    rc = xsipc_shm_create(h, 64, XSIPC_READ_WRITE);
    xsipc_shm_free(h);
    return rc;
}

static void cycle_ok(xsipc_registry *reg, const char *name)
{
    int rc = cycle(reg, name);

    ck_assert_msg(rc == 0, "cycle of %s: %d", name, rc);
}

/* The id of the set at name's lock key, or -1 when none is there. */
static int set_of(const char *name)
{
    xsipc_registry *reg = persistent();
    xsipc_status st;
    key_t key;
    int rc;

    rc = xsipc_registry_key(reg, name, XSIPC_KIND_SEM, 0, &key, NULL, 0, &st);
    xsipc_registry_close(reg);
    if (rc < 0)
        return -1;
    return semget(key, 0, 0);
}

/* A registry a child exits with, still open. */
static xsipc_registry *volatile left_open;

static int users_of(int id)
{
    return semctl(id, XSIPC__SEM_USERS, GETVAL);
}

/* A name used once leaves no set; the second end keeps one, with the
 * process's one unit on it; later handles take that very set; closing
 * the registry gives it back, and its last user removes it. */
START_TEST(test_semidle_kept_taken_and_closed)
{
    xsipc_registry *reg = persistent();
    int id, i;

    cycle_ok(reg, "once");
    ck_assert_int_eq(set_of("once"), -1);
    cycle_ok(reg, "kept");
    ck_assert_int_eq(set_of("kept"), -1);
    cycle_ok(reg, "kept");
    id = set_of("kept");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(users_of(id), 1);
    for (i = 0; i < 5; i++) {
        cycle_ok(reg, "kept");
        ck_assert_int_eq(set_of("kept"), id);
        ck_assert_int_eq(users_of(id), 1);
    }
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("kept"), -1);
    done(persistent());
}
END_TEST

/* A handle kept alive while another of the same name ends: one set per
 * name is kept, the second end leaves as before (others remain). */
START_TEST(test_semidle_one_set_per_name)
{
    xsipc_registry *reg = persistent();
    xsipc_shm *a, *b;
    int id;

    cycle_ok(reg, "two");
    cycle_ok(reg, "two");
    id = set_of("two");
    a = xsipc_shm_new_in(reg, "two");
    b = xsipc_shm_new_in(reg, "two");
    ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_lock(b), 0);
    ck_assert_int_eq(xsipc_shm_unlock(b), 0);
    ck_assert_int_eq(set_of("two"), id);
    ck_assert_int_eq(users_of(id), 2); /* a took the kept unit, b joined */
    xsipc_shm_free(a);
    ck_assert_int_eq(users_of(id), 2); /* a's unit kept again */
    xsipc_shm_free(b);
    ck_assert_int_eq(users_of(id), 1); /* b left: one set is kept */
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("two"), -1);
    done(persistent());
}
END_TEST

/* The process's exit gives its units back; an end without destructors
 * leaves what a killed holder leaves -- the set with no users -- which
 * the next user joins and, as its last user, removes. */
START_TEST(test_semidle_exit_and_gc)
{
    xsipc_registry *reg = persistent();
    xsipc_status st;
    pid_t pid;
    int id, n;

    if ((pid = fork()) == 0) {
        if (cycle(reg, "exits") != 0 || cycle(reg, "exits") != 0)
            _exit(1);
        /* reg stays open on purpose (exit() must give the set back by
         * itself); a global keeps LeakSanitizer from calling it lost. */
        left_open = reg;
        exit(set_of("exits") >= 0 ? 0 : 2);
    }
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(set_of("exits"), -1);

    if ((pid = fork()) == 0) {
        if (cycle(reg, "ends") != 0 || cycle(reg, "ends") != 0)
            _exit(1);
        _exit(set_of("ends") >= 0 ? 0 : 2);
    }
    ck_assert_int_eq(tu_status_of(pid), 0);
    id = set_of("ends");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(users_of(id), 0);
    /* A persistent registry's objects are never stale for gc (probe.c):
     * the set waits for the name's next user, whose end removes it. */
    n = xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st);
    ck_assert_msg(n >= 0, "gc: %d: %s", n, st.text);
    ck_assert_int_eq(set_of("ends"), id);
    cycle_ok(reg, "ends");
    ck_assert_int_eq(set_of("ends"), -1);
    done(reg);
}
END_TEST

/* The process's own removal of the name, and its own gc, give its kept
 * set back first: neither finds the process itself a user. */
START_TEST(test_semidle_own_remove_and_gc)
{
    xsipc_registry *reg = persistent();
    xsipc_status st;
    int n;

    cycle_ok(reg, "rm");
    cycle_ok(reg, "rm");
    ck_assert_int_ge(set_of("rm"), 0);
    ck_assert_msg(xsipc_registry_remove(reg, "rm", XSIPC_KIND_SEM, 0, &st) == 0,
                  "remove: %s", st.text);
    ck_assert_int_eq(set_of("rm"), -1);
    ck_assert_int_eq(xsipc_registry_remove(reg, "rm", XSIPC_KIND_SHM, 0, &st),
                     0);

    cycle_ok(reg, "gc");
    cycle_ok(reg, "gc");
    ck_assert_int_ge(set_of("gc"), 0);
    n = xsipc_registry_gc(reg, XSIPC_GC_DRY_RUN, NULL, NULL, &st);
    ck_assert_msg(n >= 0, "gc: %s", st.text);
    ck_assert_int_ge(set_of("gc"), 0); /* a dry run changes nothing */
    n = xsipc_registry_gc(reg, 0, NULL, NULL, &st);
    ck_assert_msg(n >= 0, "gc: %s", st.text);
    ck_assert_int_eq(set_of("gc"), -1);
    cycle_ok(reg, "gc"); /* and the name works on */
    done(reg);
}
END_TEST

/* Another process sees the keeper as a user of the name: its removal is
 * refused as in use, its gc leaves the set; the keeper's exit ends it. */
START_TEST(test_semidle_others_see_a_user)
{
    xsipc_registry *reg = persistent();
    int ready[2], go[2], id, n;
    xsipc_status st;
    pid_t pid;
    char c;

    ck_assert(pipe(ready) == 0 && pipe(go) == 0);
    if ((pid = fork()) == 0) {
        if (cycle(reg, "seen") != 0 || cycle(reg, "seen") != 0)
            _exit(1);
        if (write(ready[1], "k", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        exit(0);
    }
    ck_assert_int_eq(tu_byte_within(ready[0], WAIT_MS), 'k');
    id = set_of("seen");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(users_of(id), 1);
    refused(xsipc_registry_remove(reg, "seen", XSIPC_KIND_SEM,
                                  XSIPC_REMOVE_OBJECT, &st),
            &st, XSIPC_ALREADY_EXISTS);
    n = xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st);
    ck_assert_msg(n >= 0, "gc: %s", st.text);
    ck_assert_int_eq(set_of("seen"), id);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(set_of("seen"), -1);
    done(reg);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}
END_TEST

/* A kept set removed underneath (as a Qt program that made it, or an
 * admin's ipcrm, may): the next handle's lock finds it gone and joins the
 * name afresh; the lock still excludes another process. */
START_TEST(test_semidle_set_removed_underneath)
{
    xsipc_registry *reg = persistent();
    xsipc_shm *h;
    pid_t pid;
    int id, again;

    cycle_ok(reg, "rmid");
    cycle_ok(reg, "rmid");
    id = set_of("rmid");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(semctl(id, 0, IPC_RMID), 0);
    h = xsipc_shm_new_in(reg, "rmid");
    ck_assert_msg(xsipc_shm_create(h, 64, XSIPC_READ_WRITE) == 0, "create: %s",
                  xsipc_shm_error_string(h));
    ck_assert_int_eq(xsipc_shm_lock(h), 0);
    again = set_of("rmid");
    ck_assert_int_ge(again, 0);
    ck_assert_int_ne(again, id);
    if ((pid = fork()) == 0) {
        xsipc_shm *o = xsipc_shm_new_in(reg, "rmid");
        int rc = o != NULL ? xsipc_shm_try_lock(o) : -1;

        _exit(rc == -XSIPC_WOULD_BLOCK ? 0 : 1);
    }
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(xsipc_shm_unlock(h), 0);
    xsipc_shm_free(h);
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("rmid"), -1);
    done(persistent());
}
END_TEST

/* The kept set's key file removed from outside and the name made anew:
 * the next handle's check (K2, as R4) sees another file, leaves the old
 * set without reaping it (its inode may be another name's now), and uses
 * the name's new key. */
START_TEST(test_semidle_file_replaced)
{
    xsipc_registry *reg = persistent();
    char path[4096];
    xsipc_status st;
    key_t key;
    int id, now;

    cycle_ok(reg, "file");
    cycle_ok(reg, "file");
    id = set_of("file");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(xsipc_registry_key(reg, "file", XSIPC_KIND_SEM, 0, &key,
                                        path, sizeof path, &st),
                     0);
    ck_assert_int_eq(unlink(path), 0);
    cycle_ok(reg, "file");
    now = set_of("file");
    ck_assert_int_ge(now, 0);
    ck_assert_int_ne(now, id);
    ck_assert_int_eq(users_of(id), 0);            /* left, not reaped */
    ck_assert_int_eq(semctl(id, 0, IPC_RMID), 0); /* the test's to remove */
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("file"), -1);
    done(persistent());
}
END_TEST

/* A forked child has no unit of its parent's: it takes none (its handle
 * joins, as any other process's), and its close of the registry ends
 * none; the parent's unit is there after the child is gone. */
START_TEST(test_semidle_child_takes_none)
{
    xsipc_registry *reg = persistent();
    pid_t pid;
    int id;

    cycle_ok(reg, "fork");
    cycle_ok(reg, "fork");
    id = set_of("fork");
    ck_assert_int_ge(id, 0);
    if ((pid = fork()) == 0) {
        xsipc_shm *h = xsipc_shm_new_in(reg, "fork");

        if (h == NULL || xsipc_shm_create(h, 64, XSIPC_READ_WRITE) != 0)
            _exit(1);
        if (users_of(id) != 2)
            _exit(2);
        xsipc_shm_free(h);
        if (users_of(id) != 1)
            _exit(3);
        xsipc_registry_close(reg);
        exit(users_of(id) == 1 ? 0 : 4);
    }
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(set_of("fork"), id);
    ck_assert_int_eq(users_of(id), 1);
    cycle_ok(reg, "fork");
    ck_assert_int_eq(set_of("fork"), id);
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("fork"), -1);
    done(persistent());
}
END_TEST

/*
 * K2's window, entered exactly: the keeper K has taken its kept set and
 * checked the key file, and is stopped at the create's first semop (the
 * lock).  Another process's removal of the name and its gc, run there,
 * must leave the set and its key file (K's unit is on the set: Invariant
 * B, and A keeps the file); then K's create goes on, K holds the lock,
 * and a third handle finds it held.
 */
START_TEST(test_semidle_window_between_take_and_lock)
{
    xsipc_registry *reg = persistent();
    int ready[2], go[2], report[2], cmd[2], id, n;
    struct stat before, after;
    char path[4096], c;
    xsipc_status st;
    xsipc_shm *q;
    key_t key;
    pid_t pid;

    ck_assert(pipe(ready) == 0 && pipe(go) == 0 && pipe(report) == 0 &&
              pipe(cmd) == 0);
    cycle_ok(reg, "win"); /* the key files, made once */
    ck_assert_int_eq(xsipc_registry_key(reg, "win", XSIPC_KIND_SEM, 0, &key,
                                        path, sizeof path, &st),
                     0);
    ck_assert_int_eq(stat(path, &before), 0);
    if ((pid = fork()) == 0) {
        /* K stops before its first semop after taking the set. */
        tu_stop s = {XSIPC__SYS_SEMOP, 0, ready[1], go[0]};
        xsipc_shm *h;

        if (cycle(reg, "win") != 0 || cycle(reg, "win") != 0)
            _exit(1);
        h = xsipc_shm_new_in(reg, "win");
        s.armed = 1;
        xsipc__sys_set_hook(tu_stop_hook, &s);
        if (h == NULL || xsipc_shm_create(h, 64, XSIPC_READ_WRITE) != 0)
            _exit(2);
        xsipc__sys_set_hook(NULL, NULL);
        if (s.armed)
            _exit(3);
        if (xsipc_shm_lock(h) != 0 || write(report[1], "L", 1) != 1 ||
            read(cmd[0], &c, 1) != 1 || xsipc_shm_unlock(h) != 0)
            _exit(4);
        xsipc_shm_free(h);
        exit(0);
    }
    ck_assert_msg(tu_byte_within(ready[0], WAIT_MS) == 's',
                  "the keeper did not reach its lock");
    id = set_of("win");
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(users_of(id), 1);
    refused(xsipc_registry_remove(reg, "win", XSIPC_KIND_SEM,
                                  XSIPC_REMOVE_OBJECT, &st),
            &st, XSIPC_ALREADY_EXISTS);
    n = xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st);
    ck_assert_msg(n >= 0, "gc: %s", st.text);
    ck_assert_int_eq(set_of("win"), id);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert(after.st_ino == before.st_ino);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    ck_assert_int_eq(tu_byte_within(report[0], WAIT_MS), 'L');
    q = xsipc_shm_new_in(reg, "win");
    tu_shm_fails(q, xsipc_shm_try_lock(q), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(write(cmd[1], "u", 1), 1);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert_int_eq(xsipc_shm_try_lock(q), 0);
    ck_assert_int_eq(xsipc_shm_unlock(q), 0);
    xsipc_shm_free(q);
    xsipc_registry_close(reg);
    ck_assert_int_eq(set_of("win"), -1);
    done(persistent());
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    close(report[0]);
    close(report[1]);
    close(cmd[0]);
    close(cmd[1]);
}
END_TEST

/* Only a persistent registry's shm locks are kept: the default registry
 * (Qt's life cycle) and counting semaphores leave as before. */
START_TEST(test_semidle_only_persistent_shm_locks)
{
    xsipc_registry *reg = persistent();
    xsipc_status st;
    key_t key;
    int i;

    for (i = 0; i < 3; i++) {
        xsipc_sem *s = xsipc_sem_new_in(reg, "count", 1, XSIPC_OPEN);

        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(xsipc_sem_acquire(s), 0);
        ck_assert_int_eq(xsipc_sem_release(s, 1), 0);
        xsipc_sem_free(s);
    }
    ck_assert_int_eq(set_of("count"), -1);
    for (i = 0; i < 3; i++)
        cycle_ok(tu_registry(), "qt");
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "qt", XSIPC_KIND_SEM, 0,
                                        &key, NULL, 0, &st) < 0 ||
                         semget(key, 0, 0) < 0,
                     1);
    done(reg);
}
END_TEST

Suite *semidle_suite(void)
{
    Suite *s = suite_create("semidle");
    TCase *tc = tcase_create("core");

    tu_tcase(tc);
    tcase_add_test(tc, test_semidle_kept_taken_and_closed);
    tcase_add_test(tc, test_semidle_one_set_per_name);
    tcase_add_test(tc, test_semidle_exit_and_gc);
    tcase_add_test(tc, test_semidle_own_remove_and_gc);
    tcase_add_test(tc, test_semidle_others_see_a_user);
    tcase_add_test(tc, test_semidle_set_removed_underneath);
    tcase_add_test(tc, test_semidle_file_replaced);
    tcase_add_test(tc, test_semidle_child_takes_none);
    tcase_add_test(tc, test_semidle_window_between_take_and_lock);
    tcase_add_test(tc, test_semidle_only_persistent_shm_locks);
    suite_add_tcase(s, tc);
    return s;
}
