/* SPDX-License-Identifier: MIT */
/*
 * sysv.h -- the thin System V layer (private).
 *
 * Every shmget/shmat/shmdt/shmctl/semget/semop/semtimedop/semctl call of the
 * library goes through these wrappers, for three reasons:
 *  - EINTR: the kernel interrupts a sleeping semop when a signal handler
 *    runs; the wrappers decide once, here, which calls are restarted and how
 *    a timed wait keeps its deadline (recomputed from CLOCK_MONOTONIC).
 *  - errno: each failure's errno is saved at once and mapped to an
 *    xsipc_error in one place, xsipc__sys_error().
 *  - the seam: a test installs a hook that makes a chosen call fail with a
 *    chosen errno, and counts calls, without touching the kernel.
 *
 * This layer includes the public header only (for xsipc_error); it never
 * includes lib/ or registry/ internals.
 */
#ifndef XSIPC_SYSV_H
#define XSIPC_SYSV_H

#include <stddef.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>

#include "xsipc.h"

typedef enum xsipc__sys_call {
    XSIPC__SYS_SHMGET = 0,
    XSIPC__SYS_SHMAT,
    XSIPC__SYS_SHMDT,
    XSIPC__SYS_SHMCTL,
    XSIPC__SYS_SEMGET,
    XSIPC__SYS_SEMOP,
    XSIPC__SYS_SEMTIMEDOP,
    XSIPC__SYS_SEMCTL,
    XSIPC__SYS_NCALLS
} xsipc__sys_call;

/*
 * The seam.  When a hook is set, every wrapper calls it first with the
 * call's id; a non-zero return is taken as the errno the call fails with
 * (the kernel is not entered), 0 lets the real call run.  Not thread-safe:
 * tests set it while no other thread uses the library.
 */
typedef int (*xsipc__sys_hook_fn)(xsipc__sys_call call, void *arg);
void xsipc__sys_set_hook(xsipc__sys_hook_fn hook, void *arg);
/* The same kind of hook, called after the real call returned (its return
 * value is ignored): with both, a test can stop a process on either side
 * of any call site, and put another process exactly into that window.
 * Set only together with a before-hook (the lock path's fast semop looks
 * at that one alone). */
void xsipc__sys_set_after(xsipc__sys_hook_fn hook, void *arg);
/* The hook in force (NULL: none); read by the inline fast path below.
 * Hidden in the declaration too, so the test is one RIP-relative compare
 * rather than a load of its address first. */
#if defined(__GNUC__)
__attribute__((visibility("hidden")))
#endif
extern xsipc__sys_hook_fn xsipc__sys_hook;
/* The name of a call, "shmget" ... */
const char *xsipc__sys_name(xsipc__sys_call call);

/* Each returns what the system call returns (-1 or (void *)-1 with errno
 * set on failure).  None retries EINTR except where its comment says. */
int xsipc__sys_shmget(key_t key, size_t size, int flags);
void *xsipc__sys_shmat(int shmid, int flags);
/* shmdt cannot be interrupted; no retry needed. */
int xsipc__sys_shmdt(const void *addr);
int xsipc__sys_shmctl(int shmid, int cmd, struct shmid_ds *ds);
int xsipc__sys_semget(key_t key, int nsems, int flags);
/* Retries EINTR: the operations are restarted as a whole. */
int xsipc__sys_semop(int semid, struct sembuf *ops, size_t nops);
/*
 * The lock path's semop: one direct system call, nothing around it (glibc's
 * semop is itself a wrapper of semtimedop with no timeout).  It does not
 * retry EINTR: a caller that sees any failure takes its general path, which
 * repeats the operations (all or nothing, so repeating is exact) through
 * xsipc__sys_semop.  With a test hook set, the call goes through the hook.
 */
static inline int xsipc__sys_semop_fast(int semid, struct sembuf *ops,
                                        size_t nops)
{
    if (xsipc__sys_hook != NULL)
        return xsipc__sys_semop(semid, ops, nops);
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) &&          \
    defined(SYS_semtimedop)
    {
        /* The system call itself: glibc's wrapper adds errno and thread
         * cancellation bookkeeping.  Neither is lost: a failure (an
         * interrupted wait included, as for a cancelled thread) makes the
         * caller repeat the operation through xsipc__sys_semop, which uses
         * the wrapper, a cancellation point. */
        long ret;
        register long timeout __asm__("r10") = 0;
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "0"((long)SYS_semtimedop), "D"((long)semid),
                           "S"(ops), "d"(nops), "r"(timeout)
                         : "rcx", "r11", "memory");
        return ret == 0 ? 0 : -1;
    }
#else
    return semtimedop(semid, ops, nops, NULL);
#endif
}

/* Like semop, but fails with EAGAIN once CLOCK_MONOTONIC passes deadline;
 * after EINTR the relative timeout is recomputed from the deadline, so a
 * steady stream of signals cannot stretch the wait. */
int xsipc__sys_semop_until(int semid, struct sembuf *ops, size_t nops,
                           const struct timespec *deadline);
/* semctl for commands whose fourth argument is an int (SETVAL) or unused
 * (GETVAL, GETNCNT, GETZCNT, GETPID, IPC_RMID). */
int xsipc__sys_semctl(int semid, int semnum, int cmd, int val);
int xsipc__sys_semctl_stat(int semid, struct semid_ds *ds);

/* The deadline timeout_ms from now on CLOCK_MONOTONIC. */
void xsipc__sys_deadline(long timeout_ms, struct timespec *deadline);
/* Non-zero once CLOCK_MONOTONIC has reached deadline. */
int xsipc__sys_past(const struct timespec *deadline);

/*
 * The one errno -> xsipc_error mapping.  The same errno means different
 * things from different calls (EINVAL from shmget is a size the kernel
 * refuses; from semop it is a set removed underneath), so the call is part
 * of the question.  creating: the shmget/semget had IPC_CREAT|IPC_EXCL.
 */
xsipc_error xsipc__sys_error(xsipc__sys_call call, int err, int creating);

/* For a failure that is a kernel limit, " (which limit)" to append to a
 * message (`xsipc limits` and /proc/sys/kernel show them); "" otherwise. */
const char *xsipc__sys_limit(xsipc__sys_call call, int err);

#endif /* XSIPC_SYSV_H */
