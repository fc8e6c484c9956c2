/* SPDX-License-Identifier: MIT */
/*
 * linger.c -- idle key files: in Qt's life cycle, a key file whose last
 * user is a process that makes and removes the same name again and again
 * stays, with its claim, while that process has the registry open, so
 * that its next create of the name costs no file at all.
 *
 * Making a key file that no other name shares costs a temporary file, its
 * record, a claim and a rename (make.c), and its removal two unlinks: some
 * four times what Qt's bare O_EXCL file costs, twice per create (the
 * segment's file and the lock set's).  A program that makes a handle per
 * use pays that on every use.  So the second time a process removes the
 * key file of one name (a name it cycles, not one it used once), it keeps
 * the file instead, idle: every object at its key is gone, the file and
 * its claim stay as they are.  Nothing on disk marks it: an idle key file
 * is an ordinary claimed key file with no object at its key, a state every
 * key file passes through (between its making and its objects', and after
 * a crash), which Qt and every xsipc process already handle:
 *   - a Qt program attaching finds no segment (NotFound), as with no file;
 *     one creating uses the file as it is (Qt takes an existing key file)
 *     and removes it with its last detach, as a Qt peer's removal of any
 *     file of ours (the claim left with one link goes, resolve.c);
 *   - an xsipc process finds the file claimed and recorded, and uses it:
 *     its create makes objects at its key, its last user removes it (or
 *     keeps it idle in turn, for its own process);
 *   - gc takes it for a key file with no object, and removes it once the
 *     grace period is over (at once with XSIPC_GC_NOW).
 * What the process keeps is only this table: the registry, the file and
 * the inode (device, inode number, key) it kept idle.  Its own next use of
 * the name goes through its cached key, checked under the locks with one
 * fstatat as every cached key is (recall.c, xsipc__reg_still): a file
 * removed or replaced meanwhile fails the check, and the name is resolved
 * afresh, so an idle file is never used after anyone else removed it.
 *
 * The end of an idle file, when no one used it since, is the keeper's:
 * when the registry's last reference is closed, and when the process exits
 * (a destructor; the default registry is closed at exit too), it is
 * removed under the registry lock if it is still the inode kept and no
 * object exists at its key.  Under the registry lock no xsipc process
 * makes an object (lib/semset.c, R1 and R3: sets and segments are made
 * under it), so none is made between that test and the unlink; a Qt
 * program could make one there, as it could in its own detach (make.c's
 * argument).  A file someone uses again when the keeper ends has objects
 * at its key and stays for their last user.  A process that ends without
 * running destructors (_exit, exec, a signal) leaves its idle files to gc,
 * as a crash leaves any key file.  A forked child keeps none of its
 * parent's: an entry is its process's (pid), and a child's exit, or its
 * closing of the registry, removes only what the child kept.
 *
 * So the guarantee of Qt's life cycle becomes: no key file outlives the
 * last user of its name, but for the names a live process keeps using,
 * whose files go when it closes the registry or exits.
 *
 * The table is the process's, small (a program that cycles many names at
 * once gets the old behaviour for the rest), and never waited for by the
 * release path: a thread that finds it busy removes the file as before.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "common/busy.h"
#include "registry/internal.h"

#define LINGER_SLOTS 16

static struct linger_slot {
    xsipc_registry *reg; /* NULL: free */
    pid_t pid;           /* the process the entry is of */
    int idle;            /* 1: key.file is kept idle; 0: removed once */
    xsipc__key key;      /* file, and for an idle one its inode and key */
} linger_table[LINGER_SLOTS];
static int linger_busy;

static int linger_try(void)
{
    return xsipc__busy_take(&linger_busy);
}

static void linger_leave(void)
{
    xsipc__busy_give(&linger_busy);
}

/*
 * A key file this process made, kept idle, is what a lookup would vouch
 * for (its record, its claim and its checks are the maker's own): its
 * stat, when it still shows that inode with its claim, goes into k and
 * the process's table (recall.c), as a lookup's would, so that the next
 * handle of the name starts from it -- and, should a Qt program remove the
 * file meanwhile, knows the claim that removal leaves (resolve.c).
 */
static void vouch(xsipc_registry *reg, xsipc__key *k)
{
    struct stat sb;
    int saved = errno;

    if (fstatat(reg->dirfd, k->file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        sb.st_dev == k->dev && sb.st_ino == k->ino && sb.st_nlink == 2) {
        xsipc__reg_remember(k, &sb);
        xsipc__reg_recall_refresh(reg, k);
    }
    errno = saved;
}

/* Whether slot is an entry of this process (pid me). */
static int mine(const struct linger_slot *slot, pid_t me)
{
    /* A forked child's copy of its parent's entry is no entry. */
    return slot->reg != NULL && slot->pid == me;
}

int xsipc__reg_linger(xsipc_registry *reg, xsipc__key *k)
{
    struct linger_slot *slot, *spare = NULL;
    pid_t me;
    size_t i;
    int kept = 0;

    /* Only a key file of ours, claimed and recorded: one this process
     * made or found vouched for (a Qt file, used unclaimed, is Qt's to
     * remove), whose segment goes with its users, and that served a call
     * that succeeded (what a failed call made goes with it, DESIGN.md
     * section 5). */
    if (reg == NULL || !xsipc__reg_follows_qt(reg) || k->ino == 0 ||
        (!k->created && !k->cached) || !k->used || k->keep || !linger_try())
        return 0;
    me = getpid();
    for (i = 0; i < LINGER_SLOTS; i++) {
        slot = &linger_table[i];
        if (mine(slot, me) && slot->reg == reg &&
            strcmp(slot->key.file, k->file) == 0) {
            /* Removed before: this removal keeps the file. */
            slot->key = *k;
            slot->idle = 1;
            kept = 1;
            break;
        }
        /* Where the name goes if it is new: a free entry first, else one
         * of a name removed once. */
        if ((!mine(slot, me) || !slot->idle) &&
            (spare == NULL || mine(spare, me)))
            spare = slot;
    }
    if (!kept && spare != NULL) {
        /* The first removal: the file goes, the name is remembered. */
        spare->reg = reg;
        spare->pid = me;
        spare->idle = 0;
        spare->key = *k;
    }
    linger_leave();
    if (kept && !k->cached && k->created)
        vouch(reg, k);
    return kept;
}

/* Removes reg's idle files that no one uses (reg NULL: every registry's),
 * and forgets reg's entries, also other processes' (reg is going). */
static void flush(xsipc_registry *reg)
{
    struct linger_slot idle[LINGER_SLOTS];
    size_t i, n = 0;
    pid_t me = getpid();
    int saved = errno, lockfd = -1;
    xsipc_registry *locked = NULL;

    if (!xsipc__busy_wait(&linger_busy))
        return;
    for (i = 0; i < LINGER_SLOTS; i++) {
        struct linger_slot *slot = &linger_table[i];

        if (slot->reg == NULL || (reg != NULL && slot->reg != reg) ||
            (reg == NULL && slot->pid != me))
            continue;
        if (slot->pid == me && slot->idle)
            idle[n++] = *slot;
        slot->reg = NULL;
    }
    linger_leave();
    /* One registry-lock hold per registry (the table keeps a registry's
     * entries together rarely, so holds are taken as they come). */
    for (i = 0; i < n; i++) {
        if (idle[i].reg != locked) {
            if (locked != NULL)
                xsipc__reg_unlock(lockfd);
            locked = idle[i].reg;
            if ((lockfd = xsipc__reg_lock(locked, NULL)) < 0) {
                locked = NULL;
                continue; /* left for gc */
            }
        }
        if (locked->in_use == NULL || !locked->in_use(idle[i].key.key))
            (void)xsipc__reg_remove_locked(locked, &idle[i].key, NULL);
    }
    if (locked != NULL)
        xsipc__reg_unlock(lockfd);
    errno = saved;
}

void xsipc__reg_linger_end(xsipc_registry *reg)
{
    flush(reg);
}

#if defined(__GNUC__)
/* At exit (or when the library is unloaded), the process's idle files go,
 * whatever registries are still open. */
__attribute__((destructor)) static void linger_exit(void)
{
    flush(NULL);
}
#endif
