/* SPDX-License-Identifier: MIT */
/*
 * check_faults.c -- every System V call site of create, attach, detach,
 * lock, unlock, acquire and release, failed through the lib/sysv seam
 * with each errno the kernel can give there: the call must fail with a
 * clear error (or succeed, where the library retries), the handle must be
 * consistent and freeable, and nothing may be left behind.
 *
 * For each operation, a counting run learns how many system calls it
 * makes; then, for each call i and each errno, a fresh setup runs the
 * operation with call i failing once.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static const int errnos[] = {ENOSPC, ENOMEM, EINTR, EIDRM,
                             EINVAL, EACCES, ERANGE};
#define NERRNOS (int)(sizeof errnos / sizeof errnos[0])

typedef struct fault {
    int target; /* the index of the call to fail; -1: none (counting) */
    int err;
    int calls; /* calls seen */
    int fired;
} fault;

static int fault_hook(xsipc__sys_call call, void *arg)
{
    fault *f = arg;

    (void)call;
    if (f->calls++ == f->target && !f->fired) {
        f->fired = 1;
        return f->err;
    }
    return 0;
}

/* The objects an operation works on. */
typedef struct world {
    xsipc_shm *a; /* the creator, or the handle under test */
    xsipc_shm *b; /* a second handle */
    xsipc_sem *s;
} world;

typedef enum {
    OP_CREATE,
    OP_ATTACH,
    OP_DETACH,
    OP_LOCK,
    OP_UNLOCK,
    OP_ACQUIRE,
    OP_RELEASE,
    OP_COUNT
} op_id;

static const char *const op_names[OP_COUNT] = {
    "create", "attach", "detach", "lock", "unlock", "acquire", "release"};

static xsipc_shm *made(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), name);
    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0,
                  "setup create: %s", xsipc_shm_error_string(shm));
    return shm;
}

static void setup_world(op_id op, world *w)
{
    memset(w, 0, sizeof *w);
    switch (op) {
    case OP_CREATE:
        w->b = xsipc_shm_new_in(tu_registry(), "f");
        break;
    case OP_ATTACH:
        w->a = made("f");
        w->b = xsipc_shm_new_in(tu_registry(), "f");
        break;
    case OP_DETACH:
        w->a = made("f");
        w->b = xsipc_shm_new_in(tu_registry(), "f");
        ck_assert_int_eq(xsipc_shm_attach(w->b, XSIPC_READ_WRITE), 0);
        break;
    case OP_LOCK:
        w->b = made("f");
        break;
    case OP_UNLOCK:
        w->b = made("f");
        ck_assert_int_eq(xsipc_shm_lock(w->b), 0);
        break;
    case OP_ACQUIRE:
    case OP_RELEASE:
        w->s = xsipc_sem_new_in(tu_registry(), "s", 1, XSIPC_OPEN);
        ck_assert_int_eq(xsipc_sem_error(w->s), XSIPC_NO_ERROR);
        break;
    default:
        ck_abort();
    }
}

static int run_op(op_id op, world *w)
{
    switch (op) {
    case OP_CREATE:
        return xsipc_shm_create(w->b, 64, XSIPC_READ_WRITE);
    case OP_ATTACH:
        return xsipc_shm_attach(w->b, XSIPC_READ_WRITE);
    case OP_DETACH:
        return xsipc_shm_detach(w->b);
    case OP_LOCK:
        return xsipc_shm_lock(w->b);
    case OP_UNLOCK:
        return xsipc_shm_unlock(w->b);
    case OP_ACQUIRE:
        return xsipc_sem_acquire(w->s);
    case OP_RELEASE:
        return xsipc_sem_release(w->s, 1);
    default:
        return -XSIPC_UNKNOWN_ERROR;
    }
}

/* Checks what the failed (or retried) call left, then frees everything. */
static void check_and_free(op_id op, world *w, int rc, const fault *f)
{
    const char *where = op_names[op];

    if (rc < 0) {
        const char *msg =
            w->s ? xsipc_sem_error_string(w->s) : xsipc_shm_error_string(w->b);
        int code =
            w->s ? (int)xsipc_sem_error(w->s) : (int)xsipc_shm_error(w->b);
        ck_assert_msg(code == -rc,
                      "%s, call %d failing with %s: returned %d, kept %d",
                      where, f->target, strerror(f->err), rc, code);
        ck_assert_msg(msg[0] != '\0',
                      "%s, call %d failing with %s: empty message", where,
                      f->target, strerror(f->err));
    }
    /* The handle's state follows the result. */
    if (op == OP_CREATE || op == OP_ATTACH)
        ck_assert_int_eq(xsipc_shm_is_attached(w->b), rc == 0);
    if (op == OP_DETACH)
        ck_assert_int_eq(xsipc_shm_is_attached(w->b), rc != 0);
    if ((op == OP_LOCK && rc >= 0) || (op == OP_UNLOCK && rc < 0))
        (void)xsipc_shm_unlock(w->b);
    if (op == OP_ACQUIRE && rc == 0)
        ck_assert_int_eq(xsipc_sem_release(w->s, 1), 0);
    xsipc_shm_free(w->b);
    xsipc_shm_free(w->a);
    xsipc_sem_free(w->s);
    /* The setup's own successful uses of the name may have left its key
     * files idle (registry/linger.c): those end here, when no object is
     * at their key.  What the failed call left is another inode, or has
     * an object, and stays to be seen. */
    xsipc__reg_linger_end(tu_registry());
    ck_assert_msg(tu_count_entries(tu_dir()) == 0,
                  "%s, call %d failing with %s: key files left in %s", where,
                  f->target, strerror(f->err), tu_dir());
    if (tu_in_private_ipcns())
        ck_assert_msg(tu_count_shm() == 0 && tu_count_sem() == 0,
                      "%s, call %d failing with %s: %d segments and %d "
                      "semaphore sets left",
                      where, f->target, strerror(f->err), tu_count_shm(),
                      tu_count_sem());
}

/* Every call of op, failing with every errno. */
static void fail_every_call(op_id op)
{
    fault count = {-1, 0, 0, 0};
    world w;
    int rc, i, e, runs = 0;

    setup_world(op, &w);
    xsipc__sys_set_hook(fault_hook, &count);
    rc = run_op(op, &w);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_msg(rc >= 0, "%s without faults: %d", op_names[op], rc);
    ck_assert_msg(count.calls > 0, "%s made no system call", op_names[op]);
    check_and_free(op, &w, rc, &count);

    for (i = 0; i < count.calls; i++) {
        for (e = 0; e < NERRNOS; e++) {
            fault f = {i, errnos[e], 0, 0};
            if (getenv("FAULTS_TRACE"))
                fprintf(stderr, "%s: call %d, %s\n", op_names[op], i,
                        strerror(errnos[e]));
            setup_world(op, &w);
            xsipc__sys_set_hook(fault_hook, &f);
            rc = run_op(op, &w);
            xsipc__sys_set_hook(NULL, NULL);
            ck_assert(f.fired);
            check_and_free(op, &w, rc, &f);
            runs++;
        }
    }
    ck_assert_int_eq(runs, count.calls * NERRNOS);
}

START_TEST(test_faults_create)
{
    fail_every_call(OP_CREATE);
}
END_TEST

START_TEST(test_faults_attach)
{
    fail_every_call(OP_ATTACH);
}
END_TEST

START_TEST(test_faults_detach)
{
    fail_every_call(OP_DETACH);
}
END_TEST

START_TEST(test_faults_lock)
{
    fail_every_call(OP_LOCK);
}
END_TEST

START_TEST(test_faults_unlock)
{
    fail_every_call(OP_UNLOCK);
}
END_TEST

START_TEST(test_faults_acquire)
{
    fail_every_call(OP_ACQUIRE);
}
END_TEST

START_TEST(test_faults_release)
{
    fail_every_call(OP_RELEASE);
}
END_TEST

/* Fails every call while armed. */
static int always_hook(xsipc__sys_call call, void *arg)
{
    (void)call;
    return *(int *)arg;
}

/* A failed unlock keeps the lock with its handle: unlock again works. */
START_TEST(test_faults_unlock_retry)
{
    xsipc_shm *a = made("u");
    int err = ENOMEM;

    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    /* The fast path fails, then the general one: the unlock fails. */
    xsipc__sys_set_hook(always_hook, &err);
    ck_assert_int_eq(xsipc_shm_unlock(a), -XSIPC_OUT_OF_RESOURCES);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(xsipc_shm_try_lock(a), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    xsipc_shm_free(a);
}
END_TEST

/* A failed detach leaves the handle attached; detaching again works. */
START_TEST(test_faults_detach_retry)
{
    xsipc_shm *a = made("d");
    fault f = {0, EINVAL, 0, 0};
    int calls;

    /* Fail the shmdt: count the calls detach makes before it. */
    xsipc__sys_set_hook(fault_hook, &f);
    f.target = 1000;
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    calls = f.calls;
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_int_eq(calls, 1);
    f = (fault){3, EINVAL, 0, 0}; /* semop lock, IPC_STAT, RMID, shmdt */
    xsipc__sys_set_hook(fault_hook, &f);
    ck_assert_int_lt(xsipc_shm_detach(a), 0);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_int_eq(xsipc_shm_is_attached(a), 1);
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    xsipc_shm_free(a); /* the lock set stays with the handle till here */
    ck_assert(tu_count_entries(tu_dir()) == 0);
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *errors = tcase_create("errors");

    tu_tcase(errors);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, test_faults_create);
    tcase_add_test(errors, test_faults_attach);
    tcase_add_test(errors, test_faults_detach);
    tcase_add_test(errors, test_faults_lock);
    tcase_add_test(errors, test_faults_unlock);
    tcase_add_test(errors, test_faults_acquire);
    tcase_add_test(errors, test_faults_release);
    tcase_add_test(errors, test_faults_unlock_retry);
    tcase_add_test(errors, test_faults_detach_retry);
    suite_add_tcase(s, errors);
    return s;
}
