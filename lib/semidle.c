/* SPDX-License-Identifier: MIT */
/*
 * semidle.c -- idle lock sets: in a persistent registry, a process that
 * ends the handle of a name it cycles keeps the name's lock set joined,
 * for its next handle of the name.
 *
 * A fresh handle's create in a persistent registry found no set at its key
 * (the last user had removed it), so it made one under the registry lock
 * (R1: flock, fstatat, semget IPC_CREAT, the initialising semop) and its
 * free removed it again (IPC_RMID): half the cycle's system calls, and the
 * kernel's costliest ones (a set's allocation and its RCU-deferred free).
 * A reused handle pays none of it: it stays joined from create to free
 * ("A handle's states", semset.c).  This file gives a process's next
 * handle of the name what the freed handle had: its USERS unit.
 *
 * THE PROTOCOL (an extension of the lock-set protocol of semset.c, whose
 * rules R1-R4 and invariants A and B it relies on and does not change)
 *
 * States of a slot of the process's table: free; "seen" (reg, key file,
 * semid -1: a handle of the name ended once, its set left as before);
 * "kept" (reg, key file, its inode and key, semid S: the USERS unit that
 * handle held on S is the table's now).  A USERS unit is the process's
 * (SEM_UNDO adjustments are per process), not a handle's, so moving it
 * from a handle to the table and from the table to another handle of the
 * same process changes nothing the kernel or any other process sees: for
 * every rule and both invariants a kept set is a set joined by an idle
 * handle (semset.c), one that happens to have no xsipc_shm around it.
 *
 *  K1 (keep)   Only a handle's end (free, or a new key) keeps, only a set
 *              it has joined and does not hold (its lock given back
 *              first), only an xsipc set (3 semaphores) of a shm handle's
 *              lock in a persistent registry whose record does not make
 *              it outlive its users, and only the second time the
 *              process ends a handle of that name (the first only marks
 *              it seen): a name used once is left as before.  One set per
 *              name and 16 names per process are kept; beyond that, and
 *              when another thread has the table, a handle leaves as
 *              before.
 *  K2 (take)   A handle's first open of the name's set (create, attach or
 *              lock) takes a kept set whose slot has the handle's
 *              registry, key file, inode and key, and then checks, as R4
 *              does for a set it joins, that the file at the path is still
 *              that inode (one fstatat, xsipc__reg_still); a failed check
 *              leaves the set (never reaps it: the inode may be another
 *              name's now) and opens the name from the start.  A slot of
 *              the key file with another inode or key is left the same way.
 *  K3 (end)    The table's units go back as any handle's do, through
 *              xsipc__semset_close -- its last user removing the set (R2)
 *              -- when the registry's last reference is closed, when the
 *              process exits (a destructor), when the process removes the
 *              name (xsipc_registry_remove) or runs gc on the registry.
 *              A process
 *              that ends without destructors (_exit, exec, a signal) has
 *              its units undone by the kernel: a set with USERS 0 and its
 *              key file, exactly what a killed holder of a joined handle
 *              leaves, which the next user joins and gc reaps.
 *  K4 (fork)   A slot is its process's (pid): a child, which has no unit
 *              of its parent's (fork copies no SEM_UNDO adjustment), takes
 *              and ends none of its parent's slots, and closing the
 *              registry in the child forgets them without a semop.
 *
 * Why exclusion still holds.  semset.c's argument needs, of each holder,
 * that it checked the key file while its set existed and that the set has
 * existed since.  A handle that took a kept set checked the file after it
 * took it (K2), while it held a USERS unit on it; Invariant B keeps every
 * xsipc process from removing a set with a unit on it, so the set exists
 * from that check to the take of VALUE, and Invariant A keeps the file in
 * place as long -- the argument goes through word for word.  A set removed
 * by Qt (or by hand) while kept fails its first take with EIDRM, and the
 * handle joins afresh, as an idle handle does (semlock.c, lost()).
 * Threads: one at a time uses the table (common/busy.h); a thread that
 * finds it busy does without it -- a handle then leaves, or opens, as
 * before -- but the ends of K3 wait for it, as they must not forget a
 * unit.  A slot is taken out of the table before its set is used or
 * closed, so no two handles ever share a unit.
 *
 * What changes for others: while a process keeps a set, the name counts
 * one user more -- `xsipc ls` shows it in use, gc leaves it, and another
 * process's `xsipc rm` refuses it as in use -- as while the process keeps
 * an idle handle; the process's own removal and gc end its slot first.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/busy.h"
#include "private.h"

#define IDLE_SLOTS 16

static struct idle_slot {
    xsipc_registry *reg; /* NULL: free */
    pid_t pid;           /* the process the slot is of */
    int semid;           /* the kept set, or -1: the name was seen once */
    xsipc__key key;      /* the lock's key file; when kept, its inode, key */
} idle_table[IDLE_SLOTS];
static int idle_busy;
/* Slots with a set, of any process: 0 lets the open path skip the table
 * (and its getpid) entirely. */
static unsigned idle_kept;

static int idle_try(void)
{
    return xsipc__busy_take(&idle_busy);
}

static void idle_leave(void)
{
    xsipc__busy_give(&idle_busy);
}

static unsigned kept_count(void)
{
#if defined(__GNUC__)
    return __atomic_load_n(&idle_kept, __ATOMIC_RELAXED);
#else
    return idle_kept;
#endif
}

static void kept_add(int n)
{
#if defined(__GNUC__)
    (void)__atomic_add_fetch(&idle_kept, (unsigned)n, __ATOMIC_RELAXED);
#else
    idle_kept += (unsigned)n;
#endif
}

static int mine(const struct idle_slot *slot, xsipc_registry *reg, pid_t me)
{
    return slot->reg == reg && slot->pid == me;
}

/* Gives a kept set's unit back, as its handle's end would have (K3). */
static void end_one(xsipc_registry *reg, int semid, const xsipc__key *k)
{
    xsipc__semset t;

    xsipc__semset_init(&t, reg, NULL, NULL, 1);
    t.key = *k;
    t.full = 1;
    xsipc__semset_arm(&t, semid);
    if (xsipc__semset_close(&t) < 0) /* a transient failure */
        (void)xsipc__semset_close(&t);
}

static void registry_ends(xsipc_registry *reg)
{
    xsipc__semidle_end(reg, NULL);
}

/* K1's kinds of set: what a persistent registry's shm lock is. */
static int keepable(const xsipc__semset *s)
{
    return s->reg != NULL && s->full && !s->counting && !s->keep &&
           !s->key.keep && s->key.ino != 0 && xsipc__reg_persistent(s->reg);
}

/* How good a place slot is for a name seen for the first time: free (or
 * a forked parent's copy) before a name seen once; never a kept set. */
static int room(const struct idle_slot *slot, pid_t me)
{
    if (slot->reg == NULL || slot->pid != me)
        return 2;
    return slot->semid < 0 ? 1 : 0;
}

/* keep and seen: finds the name's slot; a name seen before is kept now
 * (with keep) or only said to be (without); a new one is remembered. */
static int visit(xsipc__semset *s, int keep)
{
    struct idle_slot *slot, *spare = NULL;
    pid_t me;
    size_t i;
    int kept = 0;

    if (s->semid < 0 || !keepable(s) || !idle_try())
        return 0;
    me = getpid();
    for (i = 0; i < IDLE_SLOTS; i++) {
        slot = &idle_table[i];
        if (mine(slot, s->reg, me) &&
            strcmp(slot->key.file, s->key.file) == 0) {
            /* Seen before: kept now (one set per name: a second handle's
             * end while one is kept leaves as before). */
            if (slot->semid < 0 && !keep) {
                idle_leave();
                return 1;
            }
            if (slot->semid < 0) {
                slot->semid = s->semid;
                slot->key = s->key;
                kept = 1;
            }
            break;
        }
        if (room(slot, me) > (spare != NULL ? room(spare, me) : 0))
            spare = slot;
    }
    if (i == IDLE_SLOTS && spare != NULL) {
        /* The first end of this name: remembered; the set is left. */
        spare->reg = s->reg;
        spare->pid = me;
        spare->semid = -1;
        spare->key = s->key;
    }
    if (kept)
        kept_add(1);
    idle_leave();
    if (!kept)
        return 0;
    /* The registry's end must end its slots (K3). */
    xsipc__reg_on_end(registry_ends);
    s->semid = -1;
    return 1;
}

int xsipc__semidle_keep(xsipc__semset *s)
{
    return visit(s, 1);
}

int xsipc__semidle_seen(xsipc__semset *s)
{
    return visit(s, 0);
}

int xsipc__semidle_take(xsipc__semset *s)
{
    struct idle_slot *slot;
    struct idle_slot out;
    pid_t me;
    size_t i;
    int taken = -1;

    if (kept_count() == 0 || s->counting || s->keep || s->reg == NULL ||
        !xsipc__reg_persistent(s->reg) || !idle_try())
        return 0;
    out.reg = NULL;
    me = getpid();
    for (i = 0; i < IDLE_SLOTS; i++) {
        slot = &idle_table[i];
        if (!mine(slot, s->reg, me) || slot->semid < 0 ||
            strcmp(slot->key.file, s->key.file) != 0)
            continue;
        if (slot->key.dev == s->key.dev && slot->key.ino == s->key.ino &&
            slot->key.key == s->key.key)
            taken = slot->semid;
        else
            out = *slot; /* another inode now: left, never reaped */
        slot->semid = -1;
        kept_add(-1);
        break;
    }
    idle_leave();
    if (out.reg != NULL) {
        struct sembuf leave = {XSIPC__SEM_USERS, -1, SEM_UNDO};
        int saved = errno;

        (void)xsipc__sys_semop(out.semid, &leave, 1);
        errno = saved;
    }
    if (taken < 0)
        return 0;
    s->full = 1;
    s->created = 0;
    s->qt_fresh = 0;
    s->held_new = 0;
    xsipc__semset_arm(s, taken);
    return 1;
}

void xsipc__semidle_end(xsipc_registry *reg, const char *file)
{
    struct idle_slot out[IDLE_SLOTS];
    size_t i, n = 0;
    pid_t me;
    int saved = errno;

    if (kept_count() == 0 && reg == NULL)
        return;
    if (!xsipc__busy_wait(&idle_busy))
        return;
    me = getpid();
    for (i = 0; i < IDLE_SLOTS; i++) {
        struct idle_slot *slot = &idle_table[i];

        if (slot->reg == NULL || (reg != NULL && slot->reg != reg) ||
            (file != NULL && strcmp(slot->key.file, file) != 0))
            continue;
        if (slot->pid != me) {
            /* A parent's slot in a forked child: no unit of ours.  Gone
             * with the registry; a name's removal leaves it alone. */
            if (file == NULL && reg != NULL) {
                if (slot->semid >= 0)
                    kept_add(-1);
                slot->reg = NULL;
            }
            continue;
        }
        if (slot->semid >= 0) {
            out[n++] = *slot;
            kept_add(-1);
        }
        slot->reg = NULL;
    }
    idle_leave();
    for (i = 0; i < n; i++)
        end_one(out[i].reg, out[i].semid, &out[i].key);
    errno = saved;
}

#if defined(__GNUC__)
/* At exit (or when the library is unloaded), the process's kept sets are
 * left, their last users removing them, whatever registries are open. */
__attribute__((destructor)) static void semidle_exit(void)
{
    if (kept_count() != 0)
        xsipc__semidle_end(NULL, NULL);
}
#endif
