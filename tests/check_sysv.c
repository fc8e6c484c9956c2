/* SPDX-License-Identifier: MIT */
/*
 * check_sysv.c -- the thin System V layer (lib/sysv): the errno mapping,
 * and, through the fault-injection seam xsipc__sys_set_hook, the error
 * paths the kernel rarely gives (ENOSPC, ENOMEM, EACCES, ERANGE, EIDRM,
 * a stream of EINTR) as the public objects report them, and the number of
 * system calls on the lock path.
 *
 * Every test that installs a hook removes it before it ends; a checked
 * fixture also clears it before and after each test, for CK_FORK=no runs
 * where a failed test skips its own clean-up.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "private.h"

/* ------------------------------------------------------------- helpers */

/* Fails call with err for the next times calls of it (-1: forever); other
 * calls run.  seen counts the calls of that kind the hook was asked
 * about, injected those it failed. */
typedef struct inject {
    xsipc__sys_call call;
    int err;
    int times;
    int skip; /* calls let through before the first injection */
    int seen;
    int injected;
} inject;

static int inject_hook(xsipc__sys_call call, void *arg)
{
    inject *in = arg;

    if (call != in->call)
        return 0;
    in->seen++;
    if (in->times == 0 || in->seen <= in->skip)
        return 0;
    if (in->times > 0)
        in->times--;
    in->injected++;
    return in->err;
}

static void set_inject(inject *in, xsipc__sys_call call, int err, int times)
{
    memset(in, 0, sizeof *in);
    in->call = call;
    in->err = err;
    in->times = times;
    xsipc__sys_set_hook(inject_hook, in);
}

static void no_hook(void)
{
    xsipc__sys_set_hook(NULL, NULL);
}

static xsipc_sem *sem_ok(const char *name, int initial)
{
    xsipc_sem *sem = xsipc_sem_new(name, initial, XSIPC_OPEN);

    ck_assert_ptr_nonnull(sem);
    ck_assert_msg(xsipc_sem_error(sem) == XSIPC_NO_ERROR, "%s",
                  xsipc_sem_error_string(sem));
    return sem;
}

static xsipc_shm *shm_ok(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new(name);

    ck_assert_ptr_nonnull(shm);
    return shm;
}

/* A segment named name of 64 bytes, created and attached by a new handle. */
static xsipc_shm *shm_created(const char *name)
{
    xsipc_shm *shm = shm_ok(name);
    int rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);

    ck_assert_msg(rc == 0, "create \"%s\": %d (%s)", name, rc,
                  xsipc_shm_error_string(shm));
    return shm;
}

/* Files in the test's directory whose names start with prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(tu_dir());
    struct dirent *e;
    size_t len = strlen(prefix);
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, len) == 0)
            n++;
    closedir(d);
    return n;
}

/* The checked fixture: no hook survives into or out of a test. */
static void hook_reset(void)
{
    no_hook();
}

/* ------------------------------------------------------------------ core */

typedef struct mapping {
    xsipc__sys_call call;
    int err;
    int creating;
    xsipc_error want;
} mapping;

START_TEST(test_sysv_errno_mapping)
{
    static const mapping table[] = {
        {XSIPC__SYS_SHMGET, EEXIST, 1, XSIPC_ALREADY_EXISTS},
        {XSIPC__SYS_SHMGET, ENOENT, 0, XSIPC_NOT_FOUND},
        {XSIPC__SYS_SHMGET, EINVAL, 1, XSIPC_INVALID_SIZE},
        {XSIPC__SYS_SHMGET, EINVAL, 0, XSIPC_NOT_FOUND},
        {XSIPC__SYS_SHMGET, ENOSPC, 1, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SHMGET, ENOMEM, 1, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SHMGET, EACCES, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SHMGET, EPERM, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SEMGET, EEXIST, 1, XSIPC_ALREADY_EXISTS},
        {XSIPC__SYS_SEMGET, ENOENT, 0, XSIPC_NOT_FOUND},
        {XSIPC__SYS_SEMGET, ENOSPC, 1, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SEMGET, EACCES, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SEMOP, EAGAIN, 0, XSIPC_WOULD_BLOCK},
        {XSIPC__SYS_SEMOP, EIDRM, 0, XSIPC_REMOVED},
        {XSIPC__SYS_SEMOP, EINVAL, 0, XSIPC_REMOVED},
        {XSIPC__SYS_SEMOP, ERANGE, 0, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SEMOP, EACCES, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SEMTIMEDOP, EAGAIN, 0, XSIPC_WOULD_BLOCK},
        {XSIPC__SYS_SEMTIMEDOP, EIDRM, 0, XSIPC_REMOVED},
        {XSIPC__SYS_SHMAT, EACCES, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SHMAT, EIDRM, 0, XSIPC_NOT_FOUND},
        {XSIPC__SYS_SHMAT, ENOMEM, 0, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SHMCTL, EACCES, 0, XSIPC_PERMISSION_DENIED},
        {XSIPC__SYS_SEMCTL, EIDRM, 0, XSIPC_REMOVED},
        {XSIPC__SYS_SHMDT, EINVAL, 0, XSIPC_NOT_FOUND},
        /* errno values no call gives for these reasons */
        {XSIPC__SYS_SHMGET, EDOM, 1, XSIPC_UNKNOWN_ERROR},
        {XSIPC__SYS_SEMOP, EDOM, 0, XSIPC_UNKNOWN_ERROR},
        {XSIPC__SYS_SHMAT, EDOM, 0, XSIPC_UNKNOWN_ERROR},
        {XSIPC__SYS_SEMGET, 0, 0, XSIPC_UNKNOWN_ERROR},
        {XSIPC__SYS_NCALLS, EACCES, 0, XSIPC_UNKNOWN_ERROR},
    };
    size_t i;

    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        xsipc_error got =
            xsipc__sys_error(table[i].call, table[i].err, table[i].creating);
        ck_assert_msg(got == table[i].want,
                      "row %zu: %s errno %d (%s)%s -> %d, expected %d", i,
                      xsipc__sys_name(table[i].call), table[i].err,
                      strerror(table[i].err),
                      table[i].creating ? " creating" : "", (int)got,
                      (int)table[i].want);
    }
}
END_TEST

START_TEST(test_sysv_call_names)
{
    static const char *const want[XSIPC__SYS_NCALLS] = {
        "shmget", "shmat", "shmdt",      "shmctl",
        "semget", "semop", "semtimedop", "semctl",
    };
    int i;

    for (i = 0; i < XSIPC__SYS_NCALLS; i++)
        ck_assert_str_eq(xsipc__sys_name((xsipc__sys_call)i), want[i]);
    ck_assert_str_eq(xsipc__sys_name(XSIPC__SYS_NCALLS), "?");
    ck_assert_str_eq(xsipc__sys_name((xsipc__sys_call)-1), "?");
}
END_TEST

/* Counts every call by kind; injects nothing. */
static int count_hook(xsipc__sys_call call, void *arg)
{
    long *counts = arg;

    if ((unsigned)call < XSIPC__SYS_NCALLS)
        counts[call]++;
    else
        counts[XSIPC__SYS_NCALLS]++;
    return 0;
}

START_TEST(test_sysv_lock_is_one_call)
{
    xsipc_shm *owner = shm_created("counted");
    xsipc_shm *user = shm_ok("counted");
    long counts[XSIPC__SYS_NCALLS + 1];
    int i, rc;

    rc = xsipc_shm_attach(user, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "attach: %d (%s)", rc, xsipc_shm_error_string(user));
    memset(counts, 0, sizeof counts);
    xsipc__sys_set_hook(count_hook, counts);
    for (i = 0; i < 1000; i++) {
        rc = xsipc_shm_lock(user);
        if (rc != 0)
            break;
        rc = xsipc_shm_unlock(user);
        if (rc != 0)
            break;
    }
    no_hook();
    ck_assert_msg(rc == 0, "round %d: %d (%s)", i, rc,
                  xsipc_shm_error_string(user));
    for (i = 0; i <= XSIPC__SYS_NCALLS; i++)
        ck_assert_msg(counts[i] == (i == XSIPC__SYS_SEMOP ? 2000 : 0),
                      "%ld calls of %s", counts[i],
                      xsipc__sys_name((xsipc__sys_call)i));
    xsipc_shm_free(user);
    xsipc_shm_free(owner);
}
END_TEST

/*
 * A create(4096)+free cycle of a known name in a persistent registry: the
 * segment's own calls (shmget, shmat, IPC_STAT, IPC_RMID, shmdt) -- no
 * probe for a live segment first: the lock is free, and the creating
 * shmget made under it says -- and the lock set's life in five calls --
 * semget, one semop that initialises and locks it, the unlock after
 * create, the lock before detach, and one semop that unlocks, leaves and
 * finds it was the last user -- then its IPC_RMID.  The second end of the
 * name in the process keeps the set instead (its last semop only unlocks,
 * no IPC_RMID), and every later handle takes it: no semget, no IPC_RMID,
 * the four semops of a kept handle (lib/semidle.c).
 */
START_TEST(test_sysv_create_cycle_calls)
{
    static const long want[XSIPC__SYS_NCALLS + 1] = {
        [XSIPC__SYS_SHMGET] = 1,
        [XSIPC__SYS_SHMAT] = 1,
        [XSIPC__SYS_SHMDT] = 1,
        [XSIPC__SYS_SHMCTL] = 2,
        /* semget: the lookup of the lock set, then its creation (a set is
         * looked up first so that joining one needs no registry lock). */
        [XSIPC__SYS_SEMGET] = 2,
        [XSIPC__SYS_SEMOP] = 4,
        [XSIPC__SYS_SEMCTL] = 1,
    };
    static const long want_taken[XSIPC__SYS_NCALLS + 1] = {
        [XSIPC__SYS_SHMGET] = 1, [XSIPC__SYS_SHMAT] = 1, [XSIPC__SYS_SHMDT] = 1,
        [XSIPC__SYS_SHMCTL] = 2, [XSIPC__SYS_SEMOP] = 4,
    };
    long counts[XSIPC__SYS_NCALLS + 1];
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *shm;
    int i, round;

    ck_assert(mkdir(tu_path("own"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("own"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    for (round = 0; round < 5; round++) {
        shm = xsipc_shm_new_in(reg, "cycle");
        ck_assert_ptr_nonnull(shm);
        memset(counts, 0, sizeof counts);
        if (round > 0) /* the first round makes the key files */
            xsipc__sys_set_hook(count_hook, counts);
        i = xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE);
        ck_assert_msg(i == 0, "create: %s", xsipc_shm_error_string(shm));
        xsipc_shm_free(shm);
        no_hook();
        /* Round 1 is the second end of the name in this process: its set
         * is kept (lib/semidle.c), not removed; from round 2 on, each
         * handle takes the kept set: the set's calls are a kept handle's,
         * the lock and unlock around create and detach. */
        for (i = 0; round > 0 && i <= XSIPC__SYS_NCALLS; i++) {
            long w = round == 1 ? want[i] : want_taken[i];

            if (round == 1 && i == XSIPC__SYS_SEMCTL)
                w = 0;
            ck_assert_msg(counts[i] == w, "round %d: %ld calls of %s, not %ld",
                          round, counts[i], xsipc__sys_name((xsipc__sys_call)i),
                          w);
        }
    }
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "cycle", XSIPC_KIND_SHM, 0, &st), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "cycle", XSIPC_KIND_SEM, 0, &st), 0);
    xsipc_registry_close(reg);
    ck_assert(rmdir(tu_path("own")) == 0);
}
END_TEST

/*
 * The same cycle on a handle kept from one cycle to the next (create,
 * detach, create ...): the lock set stays joined, so it is neither looked
 * up, made nor removed -- the lock and unlock around create and detach
 * are the set's only calls -- and the segment's key is the one the handle
 * found before.
 */
START_TEST(test_sysv_create_cycle_calls_kept_handle)
{
    static const long want[XSIPC__SYS_NCALLS + 1] = {
        [XSIPC__SYS_SHMGET] = 1, [XSIPC__SYS_SHMAT] = 1, [XSIPC__SYS_SHMDT] = 1,
        [XSIPC__SYS_SHMCTL] = 2, [XSIPC__SYS_SEMOP] = 4,
    };
    long counts[XSIPC__SYS_NCALLS + 1];
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *shm;
    int i, round;

    ck_assert(mkdir(tu_path("own"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("own"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    shm = xsipc_shm_new_in(reg, "cycle");
    ck_assert_ptr_nonnull(shm);
    for (round = 0; round < 3; round++) {
        memset(counts, 0, sizeof counts);
        if (round > 0) /* the first round makes the key files and set */
            xsipc__sys_set_hook(count_hook, counts);
        i = xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE);
        ck_assert_msg(i == 0, "create: %s", xsipc_shm_error_string(shm));
        ck_assert_int_eq(xsipc_shm_detach(shm), 0);
        no_hook();
        for (i = 0; round > 0 && i <= XSIPC__SYS_NCALLS; i++)
            ck_assert_msg(counts[i] == want[i], "%ld calls of %s, not %ld",
                          counts[i], xsipc__sys_name((xsipc__sys_call)i),
                          want[i]);
    }
    xsipc_shm_free(shm);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "cycle", XSIPC_KIND_SHM, 0, &st), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "cycle", XSIPC_KIND_SEM, 0, &st), 0);
    xsipc_registry_close(reg);
    ck_assert(rmdir(tu_path("own")) == 0);
}
END_TEST

/* An attach+lock+unlock+detach cycle on a kept handle: the segment's own
 * calls, and four semops -- the lock around attach, the caller's lock and
 * unlock, the lock around detach -- each taking or giving with its pair. */
START_TEST(test_sysv_attach_cycle_calls_kept_handle)
{
    static const long want[XSIPC__SYS_NCALLS + 1] = {
        [XSIPC__SYS_SHMGET] = 1, [XSIPC__SYS_SHMAT] = 1, [XSIPC__SYS_SHMDT] = 1,
        [XSIPC__SYS_SHMCTL] = 2, [XSIPC__SYS_SEMOP] = 6,
    };
    xsipc_shm *owner = shm_created("acycle"), *user = shm_ok("acycle");
    long counts[XSIPC__SYS_NCALLS + 1];
    int i, round;

    for (round = 0; round < 3; round++) {
        memset(counts, 0, sizeof counts);
        if (round > 0)
            xsipc__sys_set_hook(count_hook, counts);
        i = xsipc_shm_attach(user, XSIPC_READ_ONLY);
        ck_assert_msg(i == 0, "attach: %s", xsipc_shm_error_string(user));
        ck_assert_int_eq(xsipc_shm_lock(user), 0);
        ck_assert_int_eq(xsipc_shm_unlock(user), 0);
        ck_assert_int_eq(xsipc_shm_detach(user), 0);
        no_hook();
        for (i = 0; round > 0 && i <= XSIPC__SYS_NCALLS; i++)
            ck_assert_msg(counts[i] == want[i], "%ld calls of %s, not %ld",
                          counts[i], xsipc__sys_name((xsipc__sys_call)i),
                          want[i]);
    }
    xsipc_shm_free(user);
    xsipc_shm_free(owner);
}
END_TEST

START_TEST(test_sysv_semop_eintr_retried)
{
    xsipc_shm *shm = shm_created("eintr");
    inject in;
    int rc;

    set_inject(&in, XSIPC__SYS_SEMOP, EINTR, 5);
    rc = xsipc_shm_lock(shm);
    no_hook();
    ck_assert_msg(rc == 0, "lock: %d (%s)", rc, xsipc_shm_error_string(shm));
    ck_assert_int_eq(in.injected, 5);
    ck_assert_int_eq(in.seen, 6); /* five interrupted, one real */
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    /* The lock is really free again. */
    ck_assert_int_eq(xsipc_shm_try_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
}
END_TEST

/* The set a semop fails with EIDRM for is really gone: removed here the
 * moment the hook sees the first semop, as a Qt owner exiting would. */
typedef struct rmid {
    int semid;
    int fired;
    int semgets; /* semget calls after the removal */
} rmid;

static int rmid_hook(xsipc__sys_call call, void *arg)
{
    rmid *r = arg;

    if (r->fired && call == XSIPC__SYS_SEMGET)
        r->semgets++;
    if (call != XSIPC__SYS_SEMOP || r->fired)
        return 0;
    r->fired = 1;
    if (semctl(r->semid, 0, IPC_RMID) < 0)
        return 0; /* the test sees fired without semgets and fails */
    return EIDRM;
}

START_TEST(test_sysv_semop_eidrm_reopens)
{
    xsipc_sem *sem = sem_ok("eidrm", 1);
    rmid r = {sem->set.semid, 0, 0};
    int rc;

    ck_assert_int_ge(r.semid, 0);
    xsipc__sys_set_hook(rmid_hook, &r);
    rc = xsipc_sem_acquire(sem);
    no_hook();
    ck_assert_msg(rc == 0, "acquire: %d (%s)", rc, xsipc_sem_error_string(sem));
    ck_assert_int_eq(r.fired, 1);
    ck_assert_msg(r.semgets > 0, "the set was not opened again");
    ck_assert_int_ne(sem->set.semid, r.semid);
    /* The new set had the initial value 1, now taken. */
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem);
    ck_assert_int_eq(count_files("qipc_systemsem_"), 0);
}
END_TEST

/* An EINVAL/EIDRM that is not a removal (the set is still there) must
 * not make the handle join the set a second time: then its free would
 * leave USERS at 1 and the set behind. */
START_TEST(test_sysv_spurious_eidrm_keeps_set)
{
    xsipc_sem *sem = sem_ok("spurious", 1);
    int id = sem->set.semid, rc;
    inject in;

    set_inject(&in, XSIPC__SYS_SEMOP, EIDRM, 1);
    rc = xsipc_sem_acquire(sem);
    no_hook();
    ck_assert_msg(rc == 0, "acquire: %d (%s)", rc, xsipc_sem_error_string(sem));
    ck_assert_int_eq(in.injected, 1);
    ck_assert_int_eq(sem->set.semid, id);
    ck_assert_int_eq(semctl(id, XSIPC__SEM_USERS, GETVAL), 1);
    xsipc_sem_free(sem);
    ck_assert_int_eq(count_files("qipc_systemsem_"), 0);
    ck_assert_int_lt(semctl(id, 0, GETVAL), 0); /* removed */
}
END_TEST

/* --------------------------------------------------------------- errors */

START_TEST(test_sysv_semget_enospc)
{
    inject in;
    xsipc_sem *sem;

    /* A name with no key file: the file and the set are made in one
     * registry-lock hold, with no lookup of a set first, so the first
     * semget is the creation. */
    set_inject(&in, XSIPC__SYS_SEMGET, ENOSPC, -1);
    sem = xsipc_sem_new("enospc", 1, XSIPC_OPEN);
    no_hook();
    ck_assert_ptr_nonnull(sem);
    ck_assert_int_eq(in.injected, 1);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_OUT_OF_RESOURCES);
    ck_assert_msg(strstr(xsipc_sem_error_string(sem), "semget") != NULL,
                  "message does not name semget: %s",
                  xsipc_sem_error_string(sem));
    /* The key file made for the set was removed again. */
    ck_assert_int_eq(count_files("qipc_systemsem_"), 0);
    xsipc_sem_free(sem);
    /* Without the hook a new handle works. */
    sem = sem_ok("enospc", 1);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    xsipc_sem_free(sem);
}
END_TEST

/* A create whose lock set cannot be made (SEMMNI or SEMMNS reached) leaves
 * nothing: not the segment's key file or its claim, nor the lock's.
 * Likewise when the segment itself cannot be made. */
START_TEST(test_sysv_failed_create_leaves_nothing)
{
    static const struct {
        xsipc__sys_call call;
        int err, skip;
        xsipc_error code;
    } cases[] = {
        /* The lock's key file is made with the set, with no lookup of a
         * set first: the first semget is the creation, and it fails. */
        {XSIPC__SYS_SEMGET, ENOSPC, 0, XSIPC_OUT_OF_RESOURCES},
        {XSIPC__SYS_SHMGET, ENOSPC, 0, XSIPC_OUT_OF_RESOURCES},
    };
    xsipc_shm *shm;
    inject in;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        shm = shm_ok("litter");
        set_inject(&in, cases[i].call, cases[i].err, -1);
        in.skip = cases[i].skip;
        tu_shm_fails(shm, xsipc_shm_create(shm, 64, XSIPC_READ_WRITE),
                     cases[i].code);
        no_hook();
        ck_assert_int_ge(in.injected, 1);
        ck_assert_msg(count_files("") == 2, /* "." and ".." */
                      "case %zu: %d entries left in the registry", i,
                      count_files("") - 2);
        xsipc_shm_free(shm);
        if (tu_in_private_ipcns())
            ck_assert_int_eq(tu_count_shm() + tu_count_sem(), 0);
    }
}
END_TEST

START_TEST(test_sysv_shmget_enomem)
{
    xsipc_shm *shm = shm_ok("enomem");
    inject in;
    int rc;

    set_inject(&in, XSIPC__SYS_SHMGET, ENOMEM, -1);
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    no_hook();
    /* Only the creating shmget failed: the test that no segment has the
     * key, made under the registry lock before the new key file goes, is a
     * plain query outside the seam, so the failed create leaves nothing. */
    ck_assert_int_eq(in.injected, 1);
    tu_shm_fails(shm, rc, XSIPC_OUT_OF_RESOURCES);
    ck_assert(!xsipc_shm_is_attached(shm));
    ck_assert_ptr_null(xsipc_shm_data(shm));
    ck_assert_int_eq(count_files("qipc_sharedmemory_"), 0);
    /* The same handle, without the hook. */
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "create: %d (%s)", rc, xsipc_shm_error_string(shm));
    ck_assert(xsipc_shm_is_attached(shm));
    ck_assert_uint_ge(xsipc_shm_size(shm), 64);
    ck_assert_int_eq(xsipc_shm_detach(shm), 0);
    ck_assert_int_eq(count_files("qipc_sharedmemory_"), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_sysv_shmat_eacces)
{
    xsipc_shm *owner = shm_created("eacces");
    xsipc_shm *user = shm_ok("eacces");
    inject in;
    int rc;

    memcpy(xsipc_shm_data(owner), "hello", 6);
    set_inject(&in, XSIPC__SYS_SHMAT, EACCES, -1);
    rc = xsipc_shm_attach(user, XSIPC_READ_WRITE);
    no_hook();
    ck_assert_int_eq(in.injected, 1);
    tu_shm_fails(user, rc, XSIPC_PERMISSION_DENIED);
    ck_assert(!xsipc_shm_is_attached(user));
    ck_assert_ptr_null(xsipc_shm_data(user));
    /* The owner's segment and key file are untouched. */
    ck_assert(xsipc_shm_is_attached(owner));
    ck_assert_int_eq(count_files("qipc_sharedmemory_"), 1);
    rc = xsipc_shm_attach(user, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "attach: %d (%s)", rc, xsipc_shm_error_string(user));
    ck_assert_str_eq((const char *)xsipc_shm_const_data(user), "hello");
    xsipc_shm_free(user);
    xsipc_shm_free(owner);
}
END_TEST

START_TEST(test_sysv_semtimedop_eintr_forever)
{
    xsipc_sem *sem = sem_ok("forever", 1);
    inject in;
    int rc;

    /* Every semtimedop interrupted: the wait ends at the deadline. */
    set_inject(&in, XSIPC__SYS_SEMTIMEDOP, EINTR, -1);
    rc = xsipc_sem_acquire_timeout(sem, 100);
    no_hook();
    tu_sem_fails(sem, rc, XSIPC_TIMEOUT);
    ck_assert_int_ge(in.injected, 1);
    /* The unit was never taken. */
    ck_assert_int_eq(xsipc_sem_acquire_timeout(sem, 100), 0);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sysv_semop_erange_release)
{
    xsipc_sem *sem = sem_ok("erange", 0);
    inject in;
    int rc;

    set_inject(&in, XSIPC__SYS_SEMOP, ERANGE, 1);
    rc = xsipc_sem_release(sem, 1);
    no_hook();
    ck_assert_int_eq(in.injected, 1);
    tu_sem_fails(sem, rc, XSIPC_OUT_OF_RESOURCES);
    /* Nothing was added; a real release works. */
    tu_sem_fails(sem, xsipc_sem_try_acquire(sem), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_sem_release(sem, 1), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    xsipc_sem_free(sem);
}
END_TEST

START_TEST(test_sysv_semop_eacces_lock)
{
    xsipc_shm *shm = shm_created("locked out");
    inject in;
    int rc;

    set_inject(&in, XSIPC__SYS_SEMOP, EACCES, -1);
    rc = xsipc_shm_lock(shm);
    no_hook();
    ck_assert_int_ge(in.injected, 1);
    tu_shm_fails(shm, rc, XSIPC_PERMISSION_DENIED);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "locked out") != NULL,
                  "message does not name the segment: %s",
                  xsipc_shm_error_string(shm));
    /* Not held: unlock refuses, and a real lock works. */
    tu_shm_fails(shm, xsipc_shm_unlock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
}
END_TEST

Suite *sysv_suite(void);

Suite *sysv_suite(void)
{
    Suite *s = suite_create("sysv");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tcase_add_checked_fixture(core, hook_reset, hook_reset);
    tcase_set_timeout(core, 20);
    tcase_add_test(core, test_sysv_errno_mapping);
    tcase_add_test(core, test_sysv_call_names);
    tcase_add_test(core, test_sysv_lock_is_one_call);
    tcase_add_test(core, test_sysv_create_cycle_calls);
    tcase_add_test(core, test_sysv_create_cycle_calls_kept_handle);
    tcase_add_test(core, test_sysv_attach_cycle_calls_kept_handle);
    tcase_add_test(core, test_sysv_semop_eintr_retried);
    tcase_add_test(core, test_sysv_semop_eidrm_reopens);
    tcase_add_test(core, test_sysv_spurious_eidrm_keeps_set);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_add_checked_fixture(errors, hook_reset, hook_reset);
    tcase_set_timeout(errors, 20);
    tcase_add_test(errors, test_sysv_semget_enospc);
    tcase_add_test(errors, test_sysv_shmget_enomem);
    tcase_add_test(errors, test_sysv_shmat_eacces);
    tcase_add_test(errors, test_sysv_semtimedop_eintr_forever);
    tcase_add_test(errors, test_sysv_semop_erange_release);
    tcase_add_test(errors, test_sysv_semop_eacces_lock);
    tcase_add_test(errors, test_sysv_failed_create_leaves_nothing);
    suite_add_tcase(s, errors);
    return s;
}
