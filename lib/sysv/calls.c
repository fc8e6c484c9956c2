/* SPDX-License-Identifier: MIT */
/*
 * calls.c -- the System V call wrappers and the test seam.
 *
 * The hook costs one predictable branch per call when unset, so the lock
 * path stays one system call with nothing else around it.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>

#include "sysv/sysv.h"

xsipc__sys_hook_fn xsipc__sys_hook;
static void *hook_arg;
static xsipc__sys_hook_fn after_hook;
static void *after_arg;

void xsipc__sys_set_hook(xsipc__sys_hook_fn hook, void *arg)
{
    xsipc__sys_hook = hook;
    hook_arg = arg;
}

void xsipc__sys_set_after(xsipc__sys_hook_fn hook, void *arg)
{
    after_hook = hook;
    after_arg = arg;
}

/* Tells the after-hook that call returned; errno is kept for the caller. */
static void returned(xsipc__sys_call call)
{
    int saved = errno;

    if (after_hook != NULL)
        (void)after_hook(call, after_arg);
    errno = saved;
}

const char *xsipc__sys_name(xsipc__sys_call call)
{
    static const char *const names[XSIPC__SYS_NCALLS] = {
        "shmget", "shmat", "shmdt",      "shmctl",
        "semget", "semop", "semtimedop", "semctl",
    };
    if ((unsigned)call >= XSIPC__SYS_NCALLS)
        return "?";
    return names[call];
}

/* Returns the injected errno for call, or 0 to run the real call. */
static int injected(xsipc__sys_call call)
{
    if (xsipc__sys_hook == NULL)
        return 0;
    return xsipc__sys_hook(call, hook_arg);
}

int xsipc__sys_shmget(key_t key, size_t size, int flags)
{
    int err = injected(XSIPC__SYS_SHMGET);
    if (err) {
        errno = err;
        return -1;
    }
    int rc = shmget(key, size, flags);
    returned(XSIPC__SYS_SHMGET);
    return rc;
}

void *xsipc__sys_shmat(int shmid, int flags)
{
    int err = injected(XSIPC__SYS_SHMAT);
    if (err) {
        errno = err;
        return (void *)-1;
    }
    return shmat(shmid, NULL, flags);
}

int xsipc__sys_shmdt(const void *addr)
{
    int err = injected(XSIPC__SYS_SHMDT);
    if (err) {
        errno = err;
        return -1;
    }
    return shmdt(addr);
}

int xsipc__sys_shmctl(int shmid, int cmd, struct shmid_ds *ds)
{
    int err = injected(XSIPC__SYS_SHMCTL);
    if (err) {
        errno = err;
        return -1;
    }
    int rc = shmctl(shmid, cmd, ds);
    returned(XSIPC__SYS_SHMCTL);
    return rc;
}

int xsipc__sys_semget(key_t key, int nsems, int flags)
{
    int err = injected(XSIPC__SYS_SEMGET);
    if (err) {
        errno = err;
        return -1;
    }
    int rc = semget(key, nsems, flags);
    returned(XSIPC__SYS_SEMGET);
    return rc;
}

/*
 * semop sleeps interruptibly: a signal whose handler runs (even with
 * SA_RESTART: System V semaphore calls are never restarted by the kernel)
 * ends it with EINTR and nothing done.  The operations are all-or-nothing,
 * so running them again is exactly a continuation of the wait.
 */
int xsipc__sys_semop(int semid, struct sembuf *ops, size_t nops)
{
    for (;;) {
        int err = injected(XSIPC__SYS_SEMOP);
        int rc;
        if (err) {
            errno = err;
            if (err == EINTR)
                continue; /* an injected EINTR takes the same path */
            return -1;
        }
        rc = semop(semid, ops, nops);
        if (rc == 0 || errno != EINTR) {
            returned(XSIPC__SYS_SEMOP);
            return rc;
        }
    }
}

void xsipc__sys_deadline(long timeout_ms, struct timespec *deadline)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    if (timeout_ms < 0)
        timeout_ms = 0;
    deadline->tv_sec += timeout_ms / 1000;
    deadline->tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

/* The time left until deadline; 0 when it has passed. */
static void remaining(const struct timespec *deadline, struct timespec *left)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    left->tv_sec = deadline->tv_sec - now.tv_sec;
    left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (left->tv_nsec < 0) {
        left->tv_sec--;
        left->tv_nsec += 1000000000L;
    }
    if (left->tv_sec < 0) {
        left->tv_sec = 0;
        left->tv_nsec = 0;
    }
}

int xsipc__sys_past(const struct timespec *deadline)
{
    struct timespec left;
    remaining(deadline, &left);
    return left.tv_sec == 0 && left.tv_nsec == 0;
}

/*
 * semtimedop takes a relative timeout.  Retrying with the same relative
 * value after EINTR would let a signal arriving every few milliseconds
 * keep the caller waiting forever, so each round asks the clock how much
 * of the deadline is left.  A zero timeout still makes one attempt, which
 * the kernel turns into EAGAIN when the operations would sleep.
 */
int xsipc__sys_semop_until(int semid, struct sembuf *ops, size_t nops,
                           const struct timespec *deadline)
{
    for (;;) {
        struct timespec left;
        int err = injected(XSIPC__SYS_SEMTIMEDOP);
        int rc;
        if (err) {
            errno = err;
            if (err == EINTR && !xsipc__sys_past(deadline))
                continue;
            if (err == EINTR)
                errno = EAGAIN;
            return -1;
        }
        remaining(deadline, &left);
        rc = semtimedop(semid, ops, nops, &left);
        if (rc == 0 || errno != EINTR)
            return rc;
        if (xsipc__sys_past(deadline)) {
            errno = EAGAIN;
            return -1;
        }
    }
}

int xsipc__sys_semctl(int semid, int semnum, int cmd, int val)
{
    int err = injected(XSIPC__SYS_SEMCTL);
    if (err) {
        errno = err;
        return -1;
    }
    int rc = semctl(semid, semnum, cmd, val);
    returned(XSIPC__SYS_SEMCTL);
    return rc;
}

int xsipc__sys_semctl_stat(int semid, struct semid_ds *ds)
{
    int err = injected(XSIPC__SYS_SEMCTL);
    if (err) {
        errno = err;
        return -1;
    }
    int rc = semctl(semid, 0, IPC_STAT, ds);
    returned(XSIPC__SYS_SEMCTL);
    return rc;
}
