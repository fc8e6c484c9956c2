/* SPDX-License-Identifier: MIT */
/*
 * sem.c -- xsipc_sem: a named counting semaphore, as QSystemSemaphore.
 *
 * acquire is semop(-1, SEM_UNDO) and release semop(+n, SEM_UNDO), as Qt
 * does, on the set named by Qt's qipc_systemsem_ key file, so Qt programs
 * share the count.  SEM_UNDO means a process's net releases and acquires
 * are reverted when it exits: a semaphore used as a lock comes back when
 * its holder dies, and a count released by a process that then exits is
 * taken back.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Opens the set; a handle whose construction failed keeps that error. */
static int setup(xsipc_sem *sem, const char *key, int initial,
                 xsipc_sem_mode mode, xsipc_registry *reg)
{
    static const char op[] = "xsipc_sem_new";
    char file[256];
    int keep;

    if (key == NULL || *key == '\0')
        return xsipc__status_set(&sem->err, XSIPC_KEY_ERROR, "%s: %s key", op,
                                 key == NULL ? "NULL" : "empty");
    if (initial < 0 || initial > 32767)
        return xsipc__status_set(
            &sem->err, XSIPC_INVALID_ARGUMENT,
            "%s: initial value %d is outside 0..32767 (SEMVMX)", op, initial);
    keep = ((unsigned)mode & XSIPC_SEM_PERSISTENT) != 0;
    mode = (xsipc_sem_mode)((unsigned)mode & ~(unsigned)XSIPC_SEM_PERSISTENT);
    if (mode != XSIPC_OPEN && mode != XSIPC_CREATE)
        return xsipc__status_set(
            &sem->err, XSIPC_INVALID_ARGUMENT,
            "%s: mode %d is neither XSIPC_OPEN nor XSIPC_CREATE", op,
            (int)mode);
    if (xsipc__reg_file_name(XSIPC__KIND_SEM, key, file, sizeof file,
                             &sem->err) < 0)
        return xsipc__status_prefix(&sem->err, op);
    if (reg != NULL)
        sem->reg = xsipc__reg_ref(reg);
    else if ((sem->reg = xsipc__registry_default(&sem->err)) == NULL)
        return xsipc__status_prefix(&sem->err, op);
    if ((sem->name = strdup(key)) == NULL) {
        errno = ENOMEM;
        return xsipc__status_set(&sem->err, XSIPC_OUT_OF_RESOURCES,
                                 "%s: out of memory", op);
    }
    sem->mode = mode;
    xsipc__status_name(key, sem->qname);
    xsipc__semset_init(&sem->set, sem->reg, sem->name, sem->qname, initial);
    sem->set.keep = keep;
    sem->set.counting = 1;
    if (xsipc__semset_open(&sem->set, op, &sem->err) < 0)
        return -(int)sem->err.code;
    /* Qt's Create mode sets the value even on a set in use, which wipes
     * the undo records of whoever holds it.  Here it only takes effect on
     * a set nobody else has open: one left by processes that all died. */
    if (mode == XSIPC_CREATE && !sem->set.created)
        return xsipc__semset_renew(&sem->set, op, &sem->err);
    return 0;
}

xsipc_sem *xsipc_sem_new_in(xsipc_registry *reg, const char *key,
                            int initial_value, xsipc_sem_mode mode)
{
    xsipc_sem *sem = calloc(1, sizeof *sem);

    if (sem == NULL)
        return NULL;
    xsipc__semset_init(&sem->set, NULL, NULL, NULL, 0);
    (void)setup(sem, key, initial_value, mode, reg);
    return sem;
}

xsipc_sem *xsipc_sem_new(const char *key, int initial_value,
                         xsipc_sem_mode mode)
{
    return xsipc_sem_new_in(NULL, key, initial_value, mode);
}

/* 0 when the handle can be used; else the error its construction kept
 * (setters leave it in place: see xsipc_sem_set_undo). */
static int usable(xsipc_sem *sem)
{
    if (sem->name == NULL || sem->reg == NULL)
        return sem->err.code != XSIPC_NO_ERROR ? -(int)sem->err.code
                                               : -XSIPC_KEY_ERROR;
    xsipc__status_clear(&sem->err);
    return 0;
}

static int acquire_with(xsipc_sem *sem, xsipc__wait wait, long timeout_ms,
                        const char *op)
{
    struct timespec deadline;
    int rc;

    if (sem == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = usable(sem)) < 0)
        return rc;
    sem->used = 1;
    if (wait == XSIPC__UNTIL) {
        if (timeout_ms < 0)
            return xsipc__status_set(&sem->err, XSIPC_INVALID_ARGUMENT,
                                     "%s: negative timeout %ld ms", op,
                                     timeout_ms);
        xsipc__sys_deadline(timeout_ms, &deadline);
    }
    return xsipc__semset_acquire(&sem->set, wait, &deadline, op, &sem->err);
}

int xsipc_sem_acquire(xsipc_sem *sem)
{
    return acquire_with(sem, XSIPC__WAIT, 0, "xsipc_sem_acquire");
}

int xsipc_sem_try_acquire(xsipc_sem *sem)
{
    return acquire_with(sem, XSIPC__NOWAIT, 0, "xsipc_sem_try_acquire");
}

int xsipc_sem_acquire_timeout(xsipc_sem *sem, long timeout_ms)
{
    return acquire_with(sem, XSIPC__UNTIL, timeout_ms,
                        "xsipc_sem_acquire_timeout");
}

int xsipc_sem_release(xsipc_sem *sem, int n)
{
    static const char op[] = "xsipc_sem_release";
    int rc;

    if (sem == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = usable(sem)) < 0)
        return rc;
    if (n <= 0)
        return xsipc__status_named(&sem->err, XSIPC_INVALID_ARGUMENT, op,
                                   sem->qname, xsipc__reg_dir(sem->reg),
                                   sem->set.key.file,
                                   "the count %d is not positive", n);
    if (n > 32767)
        return xsipc__status_named(&sem->err, XSIPC_INVALID_ARGUMENT, op,
                                   sem->qname, xsipc__reg_dir(sem->reg),
                                   sem->set.key.file,
                                   "the count %d is above SEMVMX (32767)", n);
    sem->used = 1;
    return xsipc__semset_release(&sem->set, n, op, &sem->err);
}

int xsipc_sem_set_undo(xsipc_sem *sem, int undo)
{
    if (sem == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    /* A handle whose construction failed keeps its reason for every later
     * call; a setter does not replace it. */
    if (sem->name != NULL && sem->reg != NULL)
        xsipc__status_clear(&sem->err);
    if (undo != 0 && undo != 1)
        return xsipc__status_set(&sem->err, XSIPC_INVALID_ARGUMENT,
                                 "xsipc_sem_set_undo: undo %d is neither 0 "
                                 "nor 1",
                                 undo);
    sem->set.undo = undo ? SEM_UNDO : 0;
    return 0;
}

/*
 * The set is opened by the constructor, so a persistence asked for later
 * is applied by opening it again: a set this handle has just made, that
 * no one else has joined, goes (its last user leaves it: semclose.c) and
 * is made again with the mark; one that others use, or that existed
 * before, keeps the life cycle it was made with.  Once the handle has
 * acquired or released, its undo records tie it to the set: too late.
 */
int xsipc_sem_set_persistent(xsipc_sem *sem, int persistent)
{
    static const char op[] = "xsipc_sem_set_persistent";

    if (sem == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if (persistent != 0 && persistent != 1)
        return xsipc__status_set(&sem->err, XSIPC_INVALID_ARGUMENT,
                                 "%s: persistent %d is neither 0 nor 1", op,
                                 persistent);
    if (sem->used)
        return xsipc__status_named(
            &sem->err, XSIPC_INVALID_ARGUMENT, op, sem->qname,
            xsipc__reg_dir(sem->reg), sem->set.key.file,
            "called after an acquire or release on the handle");
    sem->set.keep = persistent;
    /* Not open (a failure kept from the constructor, retried by the next
     * call, which makes the set with the mark), or open with the life
     * cycle asked for: nothing to do now. */
    if (sem->set.semid < 0 || sem->set.key.keep == persistent)
        return usable(sem); /* a refused handle keeps its reason */
    if (!persistent)
        return xsipc__status_named(
            &sem->err, XSIPC_ALREADY_EXISTS, op, sem->qname,
            xsipc__reg_dir(sem->reg), sem->set.key.file,
            "a persistent set stays until xsipc_registry_remove");
    if (!sem->set.created)
        return xsipc__status_named(
            &sem->err, XSIPC_ALREADY_EXISTS, op, sem->qname,
            xsipc__reg_dir(sem->reg), sem->set.key.file,
            "the set existed before this handle and keeps its life cycle");
    xsipc__status_clear(&sem->err);
    /* A failed leave keeps the set joined and open: the handle stays as
     * it was, without the mark. */
    if (xsipc__semset_close(&sem->set) < 0) {
        sem->set.keep = sem->set.key.keep;
        return xsipc__status_named(
            &sem->err, XSIPC_UNKNOWN_ERROR, op, sem->qname,
            xsipc__reg_dir(sem->reg), sem->set.key.file,
            "cannot leave the set to make it again: %s", strerror(errno));
    }
    if (xsipc__semset_open(&sem->set, op, &sem->err) < 0)
        return -(int)sem->err.code;
    if (sem->mode == XSIPC_CREATE && !sem->set.created &&
        xsipc__semset_renew(&sem->set, op, &sem->err) < 0)
        return -(int)sem->err.code;
    if (sem->set.key.keep != persistent)
        return xsipc__status_named(
            &sem->err, XSIPC_ALREADY_EXISTS, op, sem->qname,
            xsipc__reg_dir(sem->reg), sem->set.key.file,
            "another process joined the set meanwhile; it keeps its life "
            "cycle");
    return 0;
}

xsipc_error xsipc_sem_error(const xsipc_sem *sem)
{
    return sem != NULL ? sem->err.code : XSIPC_INVALID_ARGUMENT;
}

const char *xsipc_sem_error_string(const xsipc_sem *sem)
{
    return sem != NULL ? sem->err.text : "NULL xsipc_sem handle";
}

void xsipc_sem_free(xsipc_sem *sem)
{
    int saved = errno;

    if (sem == NULL)
        return;
    if (xsipc__semset_close(&sem->set) < 0) /* a transient failure */
        (void)xsipc__semset_close(&sem->set);
    xsipc_registry_close(sem->reg);
    free(sem->name);
    free(sem);
    errno = saved;
}
