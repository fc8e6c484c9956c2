/* SPDX-License-Identifier: MIT */
/*
 * orphans.c -- gc's search for System V objects of a registry that no key
 * file names any more.
 *
 * gc walks key files; an object whose key file is gone is invisible to
 * that walk.  The protocol of lib/semset.c does not make such objects
 * (a key file goes only after its object, under the registry lock), but
 * older versions did, and so can a key file removed by hand or by a Qt
 * program: this pass finds them from the kernel's side.
 *
 * Which objects are this registry's: a key is ftok(key file, proj), so its
 * top byte is a proj this registry uses ('Q', or one recorded in its key
 * files) and its next byte the low byte of the registry's device.  Among
 * those, an orphan is an object that
 *  - is ours (owner and creator are our effective uid),
 *  - does not carry XSIPC__MODE_KEEP (made to outlive its users),
 *  - has a key that no key file, claim or parked inode of the directory
 *    holds,
 *  - has no user: for an xsipc semaphore set (three semaphores), USERS 0
 *    with its lock free, tested in the semop that takes the lock before
 *    IPC_RMID (R2 of semset.c); for a segment, no process attached and
 *    its creator gone (a reused pid does not count, see common/proc.c),
 *  - carries no dead owner's report (MARK 1: it may guard a segment of
 *    another registry on the same file system),
 *  - is older than the grace period, unless XSIPC_GC_NOW.
 * A Qt set (one semaphore) says nothing of its users and is never taken.
 *
 * The pass runs under the registry lock: no xsipc process makes a key
 * file or an object at a key meanwhile (semset.c's R1), so the keys read
 * by the scan are all the keys there are.  Objects of another registry on
 * the same file system can match the key pattern; they are taken only
 * when they have no user and are not marked persistent, which is what
 * their own gc would take too (but see xsipc_registry_gc(3)).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

/* The keys the directory holds, and the projs its records use. */
typedef struct known {
    key_t *keys;
    size_t n, cap;
    unsigned char projs[256];
    int failed; /* out of memory: remove nothing */
} known;

static void add_key(known *k, key_t key)
{
    key_t *grown;

    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        if ((grown = realloc(k->keys, cap * sizeof *grown)) == NULL) {
            k->failed = 1;
            return;
        }
        k->keys = grown;
        k->cap = cap;
    }
    k->keys[k->n++] = key;
}

static int collect(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    known *k = arg;
    int p;

    (void)reg;
    if (it->type == XSIPC__ITEM_KEY_FILE && it->usable) {
        add_key(k, it->key.key);
        k->projs[it->key.proj & 0xff] = 1;
    }
    /* A stale claim or parked inode (scan.c's judgement: its key file is
     * gone or holds another key) holds no key. */
    if ((it->type == XSIPC__ITEM_CLAIM || it->type == XSIPC__ITEM_PARKED) &&
        !it->stale)
        add_key(k, it->named);
    /* Any regular file's inode stands for its keys under every proj in
     * use: a key file that could not be read is still a key file. */
    if (S_ISREG(it->sb.st_mode) &&
        !((it->type == XSIPC__ITEM_PARKED || it->type == XSIPC__ITEM_CLAIM) &&
          it->stale))
        for (p = 1; p < 256; p++)
            if (p == XSIPC__PROJ || k->projs[p])
                add_key(k, xsipc__reg_ftok(&it->sb, p));
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    unsigned x = (unsigned)*(const key_t *)a, y = (unsigned)*(const key_t *)b;

    return x < y ? -1 : x > y;
}

/* Whether key looks like one of this registry's and no file holds it. */
static int unclaimed(const known *k, unsigned dev_byte, key_t key)
{
    unsigned v = (unsigned)key;

    if (key == IPC_PRIVATE || ((v >> 16) & 0xff) != dev_byte ||
        !(v >> 24 == XSIPC__PROJ || k->projs[v >> 24]))
        return 0;
    /* qsort and bsearch want a real array even for no element. */
    return k->n == 0 ||
           bsearch(&key, k->keys, k->n, sizeof key, cmp_key) == NULL;
}

static int old_enough(unsigned flags, time_t changed)
{
    return (flags & XSIPC_GC_NOW) != 0 ||
           time(NULL) - changed >= XSIPC_GC_GRACE_SECONDS;
}

static int sets(const known *k, unsigned dev_byte, unsigned flags,
                xsipc__orphan_fn fn, void *arg)
{
    struct seminfo info;
    struct semid_ds ds;
    int max, i, id, count = 0;
    uid_t me = geteuid();

    /* Plain queries (outside the seam): they change nothing. */
    if ((max = semctl(0, 0, SEM_INFO, (struct seminfo *)&info)) < 0)
        return 0;
    for (i = 0; i <= max; i++) {
        if ((id = semctl(i, 0, SEM_STAT, &ds)) < 0)
            continue;
        if (ds.sem_nsems != XSIPC__SEM_NSEMS || ds.sem_perm.uid != me ||
            ds.sem_perm.cuid != me ||
            (ds.sem_perm.mode & XSIPC__MODE_KEEP) != 0 ||
            !unclaimed(k, dev_byte, ds.sem_perm.__key) ||
            !old_enough(flags, ds.sem_ctime))
            continue;
        if ((flags & XSIPC_GC_DRY_RUN) != 0
                ? semctl(id, XSIPC__SEM_USERS, GETVAL) != 0
                : !xsipc__semset_reap(id, XSIPC__REAP_KEEP_MARKED))
            continue;
        fn(XSIPC_GC_SEMAPHORE, ds.sem_perm.__key, id, arg);
        count++;
    }
    return count;
}

static int segments(const known *k, unsigned dev_byte, unsigned flags,
                    xsipc__orphan_fn fn, void *arg)
{
    struct shm_info info;
    struct shmid_ds ds;
    int max, i, id, count = 0;
    uid_t me = geteuid();

    if ((max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info)) < 0)
        return 0;
    for (i = 0; i <= max; i++) {
        if ((id = shmctl(i, SHM_STAT, &ds)) < 0)
            continue;
        if (ds.shm_nattch != 0 || ds.shm_perm.uid != me ||
            ds.shm_perm.cuid != me ||
            (ds.shm_perm.mode & (XSIPC__MODE_KEEP | SHM_DEST)) != 0 ||
            !unclaimed(k, dev_byte, ds.shm_perm.__key) ||
            !old_enough(flags, ds.shm_ctime) ||
            !xsipc__proc_gone(ds.shm_cpid, ds.shm_ctime))
            continue;
        if ((flags & XSIPC_GC_DRY_RUN) == 0 &&
            xsipc__sys_shmctl(id, IPC_RMID, NULL) < 0)
            continue;
        fn(XSIPC_GC_SEGMENT, ds.shm_perm.__key, id, arg);
        count++;
    }
    return count;
}

int xsipc__gc_orphans(xsipc_registry *reg, unsigned flags, xsipc__orphan_fn fn,
                      void *arg, xsipc_status *st)
{
    struct stat sb;
    known *k;
    int lockfd, rc, count = 0;

    if (xsipc__reg_native(reg))
        return 0; /* a native key file's directory is the caller's */
    if (xsipc__reg_dir_stat(reg, &sb) != 0)
        return 0;
    if ((k = calloc(1, sizeof *k)) == NULL) {
        errno = ENOMEM;
        return xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                 "orphans: out of memory");
    }
    if ((lockfd = xsipc__reg_lock(reg, st)) < 0) {
        free(k);
        return lockfd;
    }
    /* Two scans: the first learns the projs in use, the second the keys
     * of every file under each of them. */
    rc = xsipc__reg_scan(reg, collect, k, st);
    k->n = 0;
    if (rc >= 0)
        rc = xsipc__reg_scan(reg, collect, k, st);
    if (rc >= 0 && !k->failed) {
        if (k->n > 0)
            qsort(k->keys, k->n, sizeof *k->keys, cmp_key);
        count = sets(k, (unsigned)(sb.st_dev & 0xff), flags, fn, arg) +
                segments(k, (unsigned)(sb.st_dev & 0xff), flags, fn, arg);
    }
    xsipc__reg_unlock(lockfd);
    free(k->keys);
    free(k);
    return rc < 0 ? rc : count;
}
