/* SPDX-License-Identifier: MIT */
/*
 * check_windows.c -- the windows of the lock-set protocol (lib/semset.c),
 * each entered exactly rather than hoped for.
 *
 * A remover R, the last user of a name, is stopped by the lib/sysv seam
 * at the call site where a window opens: before the IPC_RMID of the lock
 * set (window 2: the set is about to go while a joiner may take it), or
 * right after it (window 1: the set is gone and its key file not yet).
 * A second process P is then run into the window with create-or-attach
 * and lock.  The protocol says P may not get the lock there: it must be
 * seen waiting (on the set's VALUE, or on the registry lock), and only
 * after R goes on does P get the lock -- of the one set that a third
 * handle Q then finds held.  Before the protocol was fixed, P took the
 * lock inside both windows, and Q took a second one after R went on.
 *
 * Children never call ck_assert: they exit with a code saying what went
 * wrong, and the parent asserts it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
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

#include "private.h"
#include "testutil.h"
#include "tu_seam.h"

#define WAIT_MS 10000

static void pipe_ok(int fds[2])
{
    ck_assert_int_eq(pipe(fds), 0);
}

/* The remover: makes the name's segment, so it is the only user of the
 * lock set, then frees the handle with the seam armed.  idle: it detaches
 * first, so that the free is that of a handle joined to the set with no
 * segment (semset.c, "A handle's states"). */
static void remover(xsipc_registry *reg, const char *name, tu_stop *s,
                    int after, int idle)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);

    if (shm == NULL || xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) != 0)
        _exit(2);
    if (idle && xsipc_shm_detach(shm) != 0)
        _exit(4);
    s->armed = 1;
    if (after) {
        xsipc__sys_set_hook(tu_pass_hook, NULL);
        xsipc__sys_set_after(tu_stop_hook, s);
    } else {
        xsipc__sys_set_hook(tu_stop_hook, s);
    }
    xsipc_shm_free(shm);
    _exit(s->armed ? 3 : 0); /* 3: the call site was never reached */
}

/* P: create-or-attach (with map), lock, say 'L', hold until told, unlock,
 * leave.  Without map only the name's lock is taken (as Qt's lock() on a
 * handle with a key), which reaches the set without making a key file. */
static void holder(xsipc_registry *reg, const char *name, int map, int report,
                   int cmd)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);
    char c = 'L';
    int rc;

    if (shm == NULL)
        _exit(2);
    rc = map ? xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) : 0;
    if (rc == -XSIPC_ALREADY_EXISTS)
        rc = xsipc_shm_attach(shm, XSIPC_READ_WRITE);
    if (rc != 0)
        _exit(10);
    if (xsipc_shm_lock(shm) < 0)
        _exit(11);
    if (write(report, &c, 1) != 1 || read(cmd, &c, 1) != 1)
        _exit(12);
    if (xsipc_shm_unlock(shm) != 0)
        _exit(13);
    xsipc_shm_free(shm);
    _exit(0);
}

/* Whether someone sleeps on VALUE of the lock set of name. */
static int waits_on_value(xsipc_registry *reg, const char *name)
{
    xsipc_status st;
    key_t key;
    int id;

    if (xsipc_registry_key(reg, name, XSIPC_KIND_SEM, 0, &key, NULL, 0, &st) <
            0 ||
        (id = semget(key, 0, 0)) < 0)
        return 0;
    return semctl(id, XSIPC__SEM_VALUE, GETNCNT) > 0;
}

/*
 * The whole scenario.  after: R stops after its first semctl (the set's
 * IPC_RMID) instead of before it.  P must then be seen waiting -- on the
 * registry lock when R holds it across IPC_RMID and unlink, on VALUE when
 * R holds that -- and never report the lock while R is stopped.
 */
static void run_window(xsipc_registry *reg, const char *name, int after,
                       int map, int idle)
{
    int ready[2], go[2], report[2], cmd[2], c, waited = 0;
    tu_stop s = {XSIPC__SYS_SEMCTL, 0, -1, -1};
    pid_t r, p;
    xsipc_shm *q;
    long ms;

    pipe_ok(ready);
    pipe_ok(go);
    pipe_ok(report);
    pipe_ok(cmd);
    s.ready = ready[1];
    s.go = go[0];
    if ((r = fork()) == 0)
        remover(reg, name, &s, after, idle);
    ck_assert_int_gt(r, 0);
    ck_assert_msg(tu_byte_within(ready[0], WAIT_MS) == 's',
                  "the remover did not reach its IPC_RMID");
    if ((p = fork()) == 0)
        holder(reg, name, map, report[1], cmd[0]);
    ck_assert_int_gt(p, 0);
    for (ms = 0; ms < WAIT_MS && !waited; ms += 2) {
        c = tu_byte_within(report[0], 2);
        if (c == 'L') {
            kill(r, SIGKILL);
            kill(p, SIGKILL);
            (void)tu_status_of(r);
            (void)tu_status_of(p);
            ck_abort_msg("P took the lock inside the window %s the "
                         "remover's IPC_RMID",
                         after ? "after" : "before");
        }
        waited = after ? tu_waits_for_flock(p) : waits_on_value(reg, name);
    }
    ck_assert_msg(waited, "P was never seen waiting in the window");
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    ck_assert_int_eq(tu_status_of(r), 0);
    ck_assert_msg(tu_byte_within(report[0], WAIT_MS) == 'L',
                  "P did not get the lock once the remover went on");
    /* Q finds the one lock P holds, whichever set its key file names. */
    q = xsipc_shm_new_in(reg, name);
    ck_assert_ptr_nonnull(q);
    tu_shm_fails(q, xsipc_shm_try_lock(q), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(write(cmd[1], "u", 1), 1);
    ck_assert_int_eq(tu_status_of(p), 0);
    ck_assert_int_eq(xsipc_shm_try_lock(q), 0);
    ck_assert_int_eq(xsipc_shm_unlock(q), 0);
    xsipc_shm_free(q);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    close(report[0]);
    close(report[1]);
    close(cmd[0]);
    close(cmd[1]);
}

/* A persistent registry of this test's own. */
static xsipc_registry *persistent(void)
{
    xsipc_status st;
    xsipc_registry *reg;

    ck_assert(mkdir(tu_path("own"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("own"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    return reg;
}

static void remove_names(xsipc_registry *reg, const char *name)
{
    xsipc_status st;

    ck_assert_msg(xsipc_registry_remove(reg, name, XSIPC_KIND_SHM,
                                        XSIPC_REMOVE_OBJECT, &st) == 0,
                  "remove: %s", st.text);
    ck_assert_msg(xsipc_registry_remove(reg, name, XSIPC_KIND_SEM,
                                        XSIPC_REMOVE_OBJECT, &st) == 0,
                  "remove: %s", st.text);
}

/* Window 2, Qt's life cycle: the last user decides and removes while it
 * still holds the lock, so a joiner waits on VALUE and then sees EIDRM.
 * (The segment's key file is gone by then, so a create would wait for the
 * registry lock first: P takes the name's lock alone.) */
START_TEST(test_windows_last_user_removes_holding_lock)
{
    run_window(tu_registry(), "w2", 0, 0, 0);
}
END_TEST

/* Window 2 in a persistent registry, where no key file goes. */
START_TEST(test_windows_last_user_removes_holding_lock_persistent)
{
    xsipc_registry *reg = persistent();

    run_window(reg, "w2p", 0, 1, 0);
    remove_names(reg, "w2p");
    xsipc_registry_close(reg);
    ck_assert(rmdir(tu_path("own")) == 0);
}
END_TEST

/* Window 1: between the set's IPC_RMID and the unlink of its key file the
 * remover holds the registry lock, so no set can be made at the old key
 * (P waits for the lock, then finds the file gone and makes a new one). */
START_TEST(test_windows_no_set_at_a_key_being_unlinked)
{
    run_window(tu_registry(), "w1", 1, 1, 0);
}
END_TEST

/* Window 2 for an idle last user: a handle that created and detached is
 * still joined, and its free is the last user's leave.  It holds VALUE
 * from the semop that leaves and finds USERS 0 to the IPC_RMID, so a
 * joiner waits on VALUE, then sees EIDRM. */
START_TEST(test_windows_idle_last_user_removes_holding_lock)
{
    run_window(tu_registry(), "i2", 0, 0, 1);
}
END_TEST

START_TEST(test_windows_idle_last_user_removes_holding_lock_persistent)
{
    xsipc_registry *reg = persistent();

    run_window(reg, "i2p", 0, 1, 1);
    remove_names(reg, "i2p");
    xsipc_registry_close(reg);
    ck_assert(rmdir(tu_path("own")) == 0);
}
END_TEST

/* Window 1 for an idle last user: between the IPC_RMID and the unlink of
 * the key file it holds the registry lock, so no set is made at the old
 * key meanwhile. */
START_TEST(test_windows_idle_no_set_at_a_key_being_unlinked)
{
    run_window(tu_registry(), "i1", 1, 1, 1);
}
END_TEST

/* A child that tries the lock of name (with a key and no segment, as Qt
 * allows: an attach would wait for the lock): exits 0 when it is held by
 * someone (WOULD_BLOCK), 1 when it got it, more on errors. */
static int child_finds_lock_held(xsipc_registry *reg, const char *name)
{
    pid_t pid = fork();

    if (pid == 0) {
        xsipc_shm *b = xsipc_shm_new_in(reg, name);
        int rc;
        if (b == NULL)
            _exit(10);
        rc = xsipc_shm_try_lock(b);
        if (rc == 0)
            (void)xsipc_shm_unlock(b);
        xsipc_shm_free(b);
        _exit(rc == -XSIPC_WOULD_BLOCK ? 0 : rc == 0 ? 1 : 11);
    }
    ck_assert_int_gt(pid, 0);
    return tu_status_of(pid);
}

/* An idle handle's next create and lock, then another process's lock of
 * the name: held (the idle handle must have joined the set the name has
 * now), and free once it is unlocked. */
static void idle_handle_locks_what_the_name_has(xsipc_registry *reg,
                                                xsipc_shm *a, const char *name)
{
    ck_assert_msg(xsipc_shm_create(a, 64, XSIPC_READ_WRITE) == 0,
                  "create after the set went: %s", xsipc_shm_error_string(a));
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    ck_assert_int_eq(child_finds_lock_held(reg, name), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(child_finds_lock_held(reg, name), 1);
    xsipc_shm_free(a);
}

/* The set removed underneath an idle handle (by hand, as ipcrm -s would):
 * its key file stays.  The handle's next lock finds the set gone, joins
 * again by the name (R4; no set at the key, so R1 makes one), and that is
 * the set every other process finds. */
START_TEST(test_windows_idle_handle_set_removed_by_hand)
{
    xsipc_registry *reg = tu_registry();
    xsipc_shm *a = xsipc_shm_new_in(reg, "gone");
    int old;

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    old = a->lock.semid;
    ck_assert_int_ge(old, 0); /* idle, and joined */
    ck_assert_int_eq(semctl(old, 0, IPC_RMID), 0);
    idle_handle_locks_what_the_name_has(reg, a, "gone");
}
END_TEST

/* A Qt program's set, removed with its key file when the Qt object that
 * made it is destroyed (its segment going with its last detach), while an
 * xsipc handle that had attached and detached is idle on it.  The test
 * plays Qt: key files made empty, mode 0640, a set of one semaphore with
 * value 1, a segment at the key file's ftok key. */
START_TEST(test_windows_idle_handle_qt_set_removed)
{
    xsipc_registry *reg = tu_registry();
    char shm_file[256], sem_file[256], path[4200];
    struct shmid_ds ds;
    xsipc_status st;
    struct stat sb;
    int fd, sem, seg;
    xsipc_shm *a;

    ck_assert_int_eq(xsipc__reg_file_name(XSIPC__KIND_SHM, "qt", shm_file,
                                          sizeof shm_file, &st),
                     0);
    ck_assert_int_eq(xsipc__reg_file_name(XSIPC__KIND_SEM, "qt", sem_file,
                                          sizeof sem_file, &st),
                     0);
    snprintf(path, sizeof path, "%s/%s", tu_dir(), sem_file);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    sem = semget(xsipc__reg_ftok(&sb, 'Q'), 1, 0600 | IPC_CREAT | IPC_EXCL);
    ck_assert_int_ge(sem, 0);
    ck_assert_int_eq(semctl(sem, 0, SETVAL, 1), 0);
    snprintf(path, sizeof path, "%s/%s", tu_dir(), shm_file);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    seg = shmget(xsipc__reg_ftok(&sb, 'Q'), 64, 0600 | IPC_CREAT | IPC_EXCL);
    ck_assert_int_ge(seg, 0);

    a = xsipc_shm_new_in(reg, "qt");
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(xsipc_shm_attach(a, XSIPC_READ_WRITE) == 0, "attach: %s",
                  xsipc_shm_error_string(a));
    ck_assert_int_eq(a->lock.semid, sem);
    /* The last detach removes Qt's segment and its key file, as Qt's own
     * detach would. */
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    ck_assert_int_eq(shmctl(seg, IPC_STAT, &ds), -1);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(a->lock.semid, sem); /* idle on Qt's set */
    /* Qt's object goes: its set, and the set's key file. */
    ck_assert_int_eq(semctl(sem, 0, IPC_RMID), 0);
    snprintf(path, sizeof path, "%s/%s", tu_dir(), sem_file);
    ck_assert_int_eq(unlink(path), 0);
    idle_handle_locks_what_the_name_has(reg, a, "qt");
}
END_TEST

Suite *windows_suite(void)
{
    Suite *s = suite_create("windows");
    TCase *tc = tcase_create("core");

    tu_tcase(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_windows_last_user_removes_holding_lock);
    tcase_add_test(tc, test_windows_last_user_removes_holding_lock_persistent);
    tcase_add_test(tc, test_windows_no_set_at_a_key_being_unlinked);
    tcase_add_test(tc, test_windows_idle_last_user_removes_holding_lock);
    tcase_add_test(tc,
                   test_windows_idle_last_user_removes_holding_lock_persistent);
    tcase_add_test(tc, test_windows_idle_no_set_at_a_key_being_unlinked);
    tcase_add_test(tc, test_windows_idle_handle_set_removed_by_hand);
    tcase_add_test(tc, test_windows_idle_handle_qt_set_removed);
    suite_add_tcase(s, tc);
    return s;
}
