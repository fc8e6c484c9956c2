/* SPDX-License-Identifier: MIT */
/*
 * probe.c -- what the kernel says about the object at a key's key: whether
 * one exists (the registry's question before a new key file takes a key),
 * and, for a key file of a scan, the object's state as a listing shows it
 * and gc and removal judge it.
 *
 * registry/ knows files only; what a key file is worth depends on the
 * System V object at its key, which only the kernel knows.  Each key file
 * is therefore paired here with the segment (shmget(key, 0, 0)) or the
 * semaphore set (semget(key, 0, 0)) at its key, read with IPC_STAT: no
 * permission is asked for, so a stranger's object is found too, and then
 * reported as foreign rather than touched.
 *
 * What counts as a stale object (DESIGN.md section 4; gc.c removes it):
 *  - a segment no process attaches (shm_nattch 0) whose creator is gone --
 *    shm_cpid is no process, or a process started after shm_ctime (the pid
 *    was reused; see common/proc.c) -- and not persistent;
 *  - an xsipc semaphore set (three semaphores) whose USERS count is 0 --
 *    each open handle holds one unit with SEM_UNDO, so the kernel takes the
 *    units of dead processes back -- with no process waiting on it, which
 *    has been used (sem_otime: a set being made is not stale), and not
 *    persistent.  A Qt-made set (one semaphore) says nothing of its users
 *    and is never taken for dead.
 * Either must be owned by a trusted uid, or it is foreign; gc and removal
 * take only our own (p->ours) -- or, forced, for root, a trusted uid's
 * (p->acts).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"
#include "probe.h"

/* Whether shmget/semget(key, 0, 0) found an object: it did, or it exists
 * but we may not use it (EACCES).  ENOENT is none; EIDRM one being removed;
 * anything else cannot tell, and a free key is the safe answer there (the
 * worst case is Qt's own: a key shared with an object whose file is not
 * in the directory). */
static int found(int id)
{
    return id >= 0 || errno == EACCES;
}

int xsipc__probe_key_in_use(key_t key)
{
    int saved = errno, used;

    /* Plain calls, outside the lib/sysv seam: a query that changes
     * nothing and maps no error, so that tests counting the library's
     * System V calls count the ones that act.  Both kinds: the claim of a
     * key is for both, so a key never names two things in ipcs. */
    used = found(shmget(key, 0, 0)) || found(semget(key, 0, 0));
    errno = saved;
    return used;
}

static void foreign(xsipc__probe *p, const char *fmt, const char *what, int err)
{
    p->e.status = XSIPC_ENTRY_FOREIGN;
    (void)snprintf(p->problem, sizeof p->problem, fmt, what, strerror(err));
    p->e.problem = p->problem;
}

/* Whether a forced gc or removal may take an object of uid: our own, or
 * -- for root, whom the kernel lets remove any object -- one of a uid
 * trusted for the registry or the process (`xsipc rm --force`, `gc
 * --force`). */
static int acts_for(const xsipc_registry *reg, uid_t uid)
{
    uid_t me = geteuid();

    return uid == me || (me == 0 && xsipc__reg_trusted(reg, uid));
}

static void probe_shm(xsipc_registry *reg, xsipc__probe *p)
{
    struct shmid_ds ds;

    p->e.id = xsipc__sys_shmget(p->e.key, 0, 0);
    if (p->e.id < 0) {
        if (errno == ENOENT)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: %s", "a segment", errno);
        return;
    }
    if (xsipc__sys_shmctl(p->e.id, IPC_STAT, &ds) < 0) {
        /* EACCES: no read permission, so not one of ours. */
        if (errno == EINVAL || errno == EIDRM)
            p->e.status = XSIPC_ENTRY_ORPHAN; /* removed meanwhile */
        else
            foreign(p, "%s at its key: IPC_STAT: %s", "the segment", errno);
        return;
    }
    p->e.size = ds.shm_segsz;
    p->e.attached = (unsigned long)ds.shm_nattch;
    p->e.owner = ds.shm_perm.uid;
    p->e.creator = ds.shm_cpid;
    p->ours = ds.shm_perm.uid == geteuid();
    p->acts = acts_for(reg, ds.shm_perm.uid);
    p->changed = ds.shm_ctime;
    p->e.mode = (mode_t)(ds.shm_perm.mode & 0777);
    if ((ds.shm_perm.mode & XSIPC__MODE_CHANNEL) != 0)
        p->e.flags |= XSIPC_ENTRY_CHANNEL;
    p->e.ctime = (long long)ds.shm_ctime;
    if (!xsipc__reg_trusted(reg, ds.shm_perm.uid)) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        (void)snprintf(p->problem, sizeof p->problem,
                       "the segment at its key belongs to uid %lu",
                       (unsigned long)ds.shm_perm.uid);
        p->e.problem = p->problem;
    } else if (ds.shm_nattch == 0 &&
               (p->e.flags & XSIPC_ENTRY_PERSISTENT) == 0 &&
               xsipc__proc_gone(ds.shm_cpid, ds.shm_ctime)) {
        p->e.status = XSIPC_ENTRY_STALE;
    } else {
        p->e.status = XSIPC_ENTRY_LIVE;
    }
}

static void probe_sem(xsipc_registry *reg, xsipc__probe *p)
{
    struct semid_ds ds;
    int users = -1;

    p->e.id = xsipc__sys_semget(p->e.key, 0, 0);
    if (p->e.id < 0) {
        if (errno == ENOENT)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: %s", "a semaphore set", errno);
        return;
    }
    if (xsipc__sys_semctl_stat(p->e.id, &ds) < 0) {
        if (errno == EINVAL || errno == EIDRM)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: IPC_STAT: %s", "the semaphore set",
                    errno);
        return;
    }
    p->e.size = (size_t)ds.sem_nsems;
    p->e.owner = ds.sem_perm.uid;
    p->ours = ds.sem_perm.uid == geteuid();
    p->acts = acts_for(reg, ds.sem_perm.uid);
    p->changed = ds.sem_ctime;
    p->e.mode = (mode_t)(ds.sem_perm.mode & 0777);
    p->e.ctime = (long long)ds.sem_ctime;
    if (ds.sem_nsems >= XSIPC__SEM_NSEMS) {
        users = xsipc__sys_semctl(p->e.id, XSIPC__SEM_USERS, GETVAL, 0);
        if (users >= 0)
            p->e.attached = (unsigned long)users;
    }
    p->ncnt = xsipc__sys_semctl(p->e.id, XSIPC__SEM_VALUE, GETNCNT, 0);
    if (!xsipc__reg_trusted(reg, ds.sem_perm.uid)) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        (void)snprintf(p->problem, sizeof p->problem,
                       "the semaphore set at its key belongs to uid %lu",
                       (unsigned long)ds.sem_perm.uid);
        p->e.problem = p->problem;
    } else if (users == 0 && p->ncnt == 0 && ds.sem_otime != 0 &&
               (p->e.flags & XSIPC_ENTRY_PERSISTENT) == 0) {
        p->e.status = XSIPC_ENTRY_STALE;
    } else {
        p->e.status = XSIPC_ENTRY_LIVE;
    }
}

/* The key and what the item's record says (its name, creator, time). */
static void from_record(const xsipc__item *it, xsipc__probe *p)
{
    p->e.key = it->key.key;
    p->e.proj = it->key.proj;
    if (it->rec != NULL) {
        p->e.name = it->rec->name_len > 0 ? it->rec->name : NULL;
        p->e.creator = (pid_t)it->rec->pid;
        p->e.created = (long long)it->rec->time;
        /* Persistent: made in a persistent registry, or a segment made to
         * outlive its users; neither is ever stale. */
        if ((it->rec->flags & (XSIPC__REC_PERSISTENT | XSIPC__REC_KEEP)) != 0)
            p->e.flags |= XSIPC_ENTRY_PERSISTENT;
    }
}

/*
 * Another user's key file (registry/scan.c): the object at its key is read
 * as any other -- IPC_STAT only, which asks for no permission but read --
 * and the entry stays FOREIGN whatever it is, never ours, so that gc and
 * removal leave it.  An object its owner did not let us read (IPC_STAT's
 * EACCES: a 0600 object, for a caller other than root) shows no object,
 * not an error: the entry is another user's either way, and its problem
 * says why after whose it is.
 */
static void stranger(xsipc_registry *reg, const xsipc__item *it,
                     xsipc__probe *p)
{
    char why[sizeof p->problem];

    from_record(it, p);
    if (it->kind == XSIPC_KIND_SHM)
        probe_shm(reg, p);
    else
        probe_sem(reg, p);
    /* Why the object could not be read, said after whose the file is. */
    why[0] = '\0';
    if (p->e.problem != NULL && p->changed == 0 &&
        snprintf(why, sizeof why, "; %s", p->e.problem) < 0)
        why[0] = '\0';
    /* No IPC_STAT (changed 0): none, or one we may not read, whose id
     * alone would say nothing; the owner and mode stay the key file's. */
    if (p->changed == 0)
        p->e.id = -1;
    p->e.status = XSIPC_ENTRY_FOREIGN;
    p->ours = 0;
    /* The problem: the item's, then why (cut to what fits). */
    if (snprintf(p->problem, sizeof p->problem, "%s%s", it->problem, why) < 0)
        p->problem[0] = '\0';
    p->e.problem = p->problem;
}

void xsipc__probe_item(xsipc_registry *reg, const xsipc__item *it,
                       xsipc__probe *p)
{
    memset(&p->e, 0, sizeof p->e);
    p->problem[0] = '\0';
    p->ours = 0;
    p->acts = 0;
    p->ncnt = 0;
    p->changed = 0;
    (void)xsipc__reg_path(reg, it->file, p->path, sizeof p->path);
    p->e.path = p->path;
    p->e.kind = it->kind;
    p->e.id = -1;
    p->e.owner = it->sb.st_uid;
    /* The key file's, until an object at its key gives its own. */
    p->e.mode = it->sb.st_mode & 07777;
    p->e.ctime = (long long)it->sb.st_ctime;
    if (!it->usable && it->stranger) {
        stranger(reg, it, p);
        return;
    }
    if (!it->usable) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        p->e.proj = XSIPC__PROJ;
        if (S_ISREG(it->sb.st_mode))
            p->e.key = xsipc__reg_ftok(&it->sb, XSIPC__PROJ);
        (void)snprintf(p->problem, sizeof p->problem, "%s", it->problem);
        p->e.problem = p->problem;
        return;
    }
    from_record(it, p);
    if (it->claim == XSIPC__CLAIM_NONE || it->claim == XSIPC__CLAIM_STALE)
        p->e.flags |= XSIPC_ENTRY_UNCLAIMED;
    else if (it->claim != XSIPC__CLAIM_MINE)
        p->e.flags |= XSIPC_ENTRY_COLLISION;
    if (it->kind == XSIPC_KIND_SHM)
        probe_shm(reg, p);
    else
        probe_sem(reg, p);
}
