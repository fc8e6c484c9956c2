/* SPDX-License-Identifier: MIT */
/*
 * semset.h -- a System V semaphore set as xsipc uses it (private): its
 * protocol in semset.c (opening), semclose.c (leaving, removing) and
 * semlock.c (locking, counting).
 *
 * Qt's set has one semaphore: number 0, the lock (1 = free) or the count.
 * A set xsipc creates has three, so that what Qt lacks fits inside the one
 * semop that Qt's protocol already makes:
 *   0 VALUE  Qt's semaphore, untouched in meaning: Qt peers use only it.
 *   1 MARK   1 while someone holds the lock, set without SEM_UNDO in the
 *            same semop that takes VALUE with SEM_UNDO.  When a holder dies
 *            the kernel undoes VALUE but not MARK, so VALUE = 1 with MARK = 1
 *            means "the previous owner died holding the lock".
 *   2 USERS  one unit per open handle, added with SEM_UNDO so a process
 *            that dies drops out; the last handle to leave removes the set.
 * Qt's semget(key, 1, ...) accepts a set with more semaphores than it asks
 * for, so a Qt program and xsipc share an xsipc-made set; a Qt-made set
 * (one semaphore) is used as Qt uses it.
 */
#ifndef XSIPC_SEMSET_H
#define XSIPC_SEMSET_H

#include <errno.h>
#include <sys/sem.h>
#include <time.h>

#include "registry/registry.h"
#include "sysv/sysv.h"
#include "xsipc.h"

#define XSIPC__SEM_VALUE 0
#define XSIPC__SEM_MARK 1
#define XSIPC__SEM_USERS 2
#define XSIPC__SEM_NSEMS 3

/* The owner's execute bit in an object's mode: no System V call looks at
 * it; xsipc sets it on objects made to outlive their users (persistent
 * segments and semaphores), which gc then never takes for orphans. */
#define XSIPC__MODE_KEEP 0100
/* The group's execute bit on a segment: a channel's (lib/channel.c), so
 * that a listing tells one from a plain segment without attaching. */
#define XSIPC__MODE_CHANNEL 0010

/* A Qt-made set still at value 0 and untouched this long after it was
 * made belongs to a Qt creator killed before its SETVAL (see revive() in
 * semlock.c). */
#define XSIPC__QT_REVIVE_SECONDS 5

/* Room for a name as messages show it (xsipc__status_name). */
#define XSIPC__QNAME XSIPC__NAME_BUF

typedef struct xsipc__semset {
    xsipc_registry *reg;      /* borrowed from the owning handle */
    const char *name;         /* borrowed: the name, or file name when native */
    char qname[XSIPC__QNAME]; /* name as messages show it */
    xsipc__key key;
    int semid;   /* -1 while not open */
    int full;    /* 1: an xsipc set (3 semaphores); 0: a Qt set */
    int initial; /* VALUE given to a set this handle creates */
    int created; /* this handle created the set (it may reset it) */
    short undo;  /* SEM_UNDO (Qt's way) or 0, for acquire and release */
    int keep;    /* a set this handle makes outlives its users (the key file's
                    record says so); s->key.keep tells about the set in use */
    /* The lock's and the unlock's semop for this set, made when it is
     * opened, so that the lock path only makes the system call. */
    struct sembuf take[3];
    struct sembuf give[2];
    unsigned short ntake, ngive;
    int held_new;     /* the last open made the set and locked it with it */
    int want_reglock; /* the caller (a create) will take the registry lock
                         right after the lock: a set made locked now keeps
                         the registry-lock hold it was made in ... */
    int reglock;      /* ... in reglock (else -1), for the caller to use
                         and let go */
    int qt_fresh;     /* a Qt set no semop had touched when it was opened */
    int counting;     /* used as a counting semaphore (xsipc_sem), not a lock */
    unsigned short nsems; /* semaphores a set this handle makes has: 0 for
                             XSIPC__SEM_NSEMS (a channel's lock has 5) */
    int others; /* the caller's guess that others have the set open too
                   (a segment still attached elsewhere): leaving tries
                   "others remain" first (semclose.c) */
} xsipc__semset;

/* How a wait ends: block, fail at once, or fail at a deadline. */
typedef enum { XSIPC__WAIT, XSIPC__NOWAIT, XSIPC__UNTIL } xsipc__wait;

/* Sets s up for name in reg; nothing is opened yet.  qname: the name as
 * messages show it, when the caller has it already (else NULL). */
void xsipc__semset_init(xsipc__semset *s, xsipc_registry *reg, const char *name,
                        const char *qname, int initial);
/* Finds or creates the set and joins it.  op names the public call for
 * messages.  0 or -xsipc_error with st set. */
int xsipc__semset_open(xsipc__semset *s, const char *op, xsipc_status *st);
/* Leaves the set; the last user removes it and (Qt life cycle) its key
 * file.  Safe on a set that is not open.  -1 when leaving failed (the set
 * stays joined and open, so the call can be repeated), else 0. */
int xsipc__semset_close(xsipc__semset *s);

/* For XSIPC_CREATE on a set this handle did not create: when no one else
 * has it open, the set is removed and made anew with the initial value
 * (never SETVAL on a set in use).  0 or -error. */
int xsipc__semset_renew(xsipc__semset *s, const char *op, xsipc_status *st);

/* The lock protocol (VALUE 1 = free).  0, XSIPC_OWNER_DIED, or -error:
 * XSIPC_WOULD_BLOCK (NOWAIT), XSIPC_TIMEOUT (UNTIL), others with st. */
int xsipc__semset_lock(xsipc__semset *s, xsipc__wait wait,
                       const struct timespec *deadline, const char *op,
                       xsipc_status *st);
/* keep_mark: release VALUE but leave MARK set, so that the next lock
 * still reports the dead owner this lock inherited. */
int xsipc__semset_unlock(xsipc__semset *s, int keep_mark, const char *op,
                         xsipc_status *st);
/* xsipc__semset_unlock then xsipc__semset_close; the last user of an
 * xsipc set does both, and the test that it is the last, in one semop.
 * -1 when the unlock failed (st set; the set is still left), else 0. */
int xsipc__semset_unlock_close(xsipc__semset *s, int keep_mark, const char *op,
                               xsipc_status *st);

/* gc's and removal's way to remove the xsipc set semid (R2, semclose.c):
 * only when its lock is free and no handle has it open, taking the lock in
 * the same semop.  how: XSIPC__REAP_KEEP_MARKED keeps a set whose MARK
 * reports a dead owner; XSIPC__REAP_EMPTY also takes a set at value 0 with
 * no users (a counting semaphore used up).  1 when removed, else 0. */
#define XSIPC__REAP_KEEP_MARKED 1u
#define XSIPC__REAP_EMPTY 2u
int xsipc__semset_reap(int semid, unsigned how);

/* The counting protocol: VALUE - 1 / VALUE + n, with SEM_UNDO as Qt
 * unless s->undo was set to 0. */
int xsipc__semset_acquire(xsipc__semset *s, xsipc__wait wait,
                          const struct timespec *deadline, const char *op,
                          xsipc_status *st);
int xsipc__semset_release(xsipc__semset *s, int n, const char *op,
                          xsipc_status *st);

/* Idle lock sets (semidle.c).  At a handle's end, keeps its joined set
 * -- not held -- for the process's next handle of the name: 1 when kept
 * (s is left with no set), 0 when the caller leaves as before. */
int xsipc__semidle_keep(xsipc__semset *s);
/* Whether xsipc__semidle_keep would keep s now (its name was seen): the
 * handle's end then only unlocks, so that it can keep the set after.  A
 * name not seen yet is remembered, and its end goes on as before. */
int xsipc__semidle_seen(xsipc__semset *s);
/* At a handle's first open, with s->key resolved: 1 when s now has the
 * set the process kept at that very key file, inode and key (the caller
 * checks the file as R4 does), 0 when there is none. */
int xsipc__semidle_take(xsipc__semset *s);
/* Gives back the units the process keeps on reg's sets (reg NULL: every
 * registry's), for the key file file only when not NULL. */
void xsipc__semidle_end(xsipc_registry *reg, const char *file);

/* ------------------------- between semset.c, semclose.c and semlock.c */

/* How often a set removed underneath is re-created before giving up. */
#define XSIPC__SEM_ROUNDS 64

/* Whether a semop's errno says the set was removed. */
static inline int xsipc__semset_removed(int err)
{
    return err == EIDRM || err == EINVAL;
}

/* After a semop said EIDRM or EINVAL: is the set really gone?  Acting on
 * a removal that did not happen would join the set twice or forget a lock
 * still held, so the kernel is asked once more. */
int xsipc__semset_gone(const xsipc__semset *s);

/* Fails with XSIPC_REMOVED (errno EIDRM): the set was removed
 * XSIPC__SEM_ROUNDS times while when ("in use", "being opened"). */
int xsipc__semset_lost(const xsipc__semset *s, const char *when, const char *op,
                       xsipc_status *st);

/* Fails with the mapped error of call's errno, naming the set. */
int xsipc__semset_fail(const xsipc__semset *s, xsipc__sys_call call, int err,
                       int creating, const char *op, xsipc_status *st);

/* xsipc__semset_open; with lock, a set made now is made locked
 * (s->held_new says so). */
int xsipc__semset_open_for(xsipc__semset *s, int lock, const char *op,
                           xsipc_status *st);

/* Makes the lock's and unlock's operations for the set id just opened
 * (semlock.c: see take() for why MARK is tested with IPC_NOWAIT). */
void xsipc__semset_arm(xsipc__semset *s, int id);

#endif
