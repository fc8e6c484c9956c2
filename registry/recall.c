/* SPDX-License-Identifier: MIT */
/*
 * recall.c -- what a process remembers of its lookups: the cached key a
 * handle keeps, checked with one fstatat, and the process's table of the
 * names it looked up, so that a new handle of a known name starts from its
 * key and file name.  Nothing here decides what a key file is worth: a
 * lookup (resolve.c) does, and this keeps its answer only while the file
 * shows it unchanged.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "common/busy.h"
#include "registry/internal.h"

/*
 * The cached lookup.  A handle resolves the same name again and again (each
 * create and attach, each lock set it opens), and the answer only changes
 * when the key file does.  So a lookup keeps, in the key it fills, what it
 * saw of the file (xsipc__reg_remember), and the next resolution of that key
 * first makes one fstatat of the path: when it shows the same device and inode,
 * the same link count, owner, mode and size, and the same ctime, the key
 * and the record's fields are taken as they were.  Why that is enough:
 *  - the key_t is ftok(device, inode, proj), proj from the record; the
 *    record is written once, in place (a record written into an empty key
 *    file, as adopt does for Qt's files, changes size and ctime; a record
 *    is never rewritten), so an unchanged inode has the record it had;
 *  - the checks of a key file (a regular file, its links, a trusted owner)
 *    are functions of the fields compared, and trust only grows;
 *  - a key file removed, and made again at the path (by Qt, by another
 *    xsipc process) is a new inode: another inode number gives another
 *    key, and is seen.  An inode number can come back once its file is
 *    gone (ext4 hands freed ones out again, tmpfs counts up); the new file
 *    then has the same key_t unless its record asks for another proj --
 *    which only a persistent registry's collision handling writes -- and a
 *    ctime of its making.  A file removed and made again with the same
 *    inode number inside one tick of the coarse file clock, with a record
 *    of another proj or flags but the same size, would pass; the lock-set
 *    protocol's own check (R4, xsipc__reg_current) has always taken the
 *    inode number for the file, so the cache adds no such case of its own
 *    beyond the record's flags, and it adds the checks above;
 *  - what no fstat shows is not cached: a key file that no record of its
 *    key and no claim of ours vouches for (one Qt made, LOOK_UNCLAIMED) is
 *    looked up in full each time, since a claim of another name may have
 *    taken its key meanwhile.
 * Invalidation is by the file only: the fstatat that disagrees, or the
 * caller's own check under its locks (xsipc__reg_still) that fails,
 * drops the cache, and the next resolution is a full lookup.
 */
void xsipc__reg_remember(xsipc__key *k, const struct stat *sb)
{
    k->cached = 1;
    k->nlink = sb->st_nlink;
    k->uid = sb->st_uid;
    k->mode = sb->st_mode;
    k->size = sb->st_size;
    k->ctime = sb->st_ctim;
}

/*
 * The process's lookups.  A key kept by a handle serves that handle; a new
 * handle of the same name (a program that makes one per use) would look
 * the file up again.  So the lookups that found a key file vouched for
 * (the ones xsipc__reg_remember() keeps) are also kept in a small table for the
 * process, by registry (its serial: one opening of it, shared by every
 * handle made from it, the default registry included), kind and name, and
 * a new handle's key starts from the entry: it is a cached key like any
 * other, good only while xsipc__reg_still shows the file unchanged -- the
 * check every key gets under the locks anyway -- so a stale entry costs a
 * look, never a wrong key.  An entry goes when this process removes the
 * file (xsipc__reg_remove_locked), and is replaced by the next lookup of
 * the name; what stays of it is the file name, the name's SHA-1 digest
 * spelled out, which a later handle of the name takes rather than hashing
 * again.  The table never waits: a thread that finds another in it does
 * without.
 */
#define RECALL_SLOTS 64
#define RECALL_NAME 128 /* longer names are looked up each time */

static struct recall_slot {
    unsigned long serial; /* 0: empty */
    xsipc__kind kind;
    char name[RECALL_NAME];
    xsipc__key key;
} recall_table[RECALL_SLOTS];
static int recall_busy;

static int recall_enter(void)
{
    return xsipc__busy_take(&recall_busy);
}

static void recall_leave(void)
{
    xsipc__busy_give(&recall_busy);
}

/* The slot of a name, by FNV-1a of kind and name: by the name, not the
 * file name, so that a new handle finds its key before hashing the name
 * with SHA-1 (the file name comes with the entry). */
static struct recall_slot *recall_slot_of(xsipc__kind kind, const char *name)
{
    uint32_t h = (2166136261u ^ (uint32_t)kind) * 16777619u;

    while (*name != '\0')
        h = (h ^ (unsigned char)*name++) * 16777619u;
    return &recall_table[h % RECALL_SLOTS];
}

void xsipc__reg_recall_store(const xsipc_registry *reg, xsipc__kind kind,
                             const char *name, const xsipc__key *k)
{
    struct recall_slot *slot;
    size_t len = strlen(name);

    if (len >= RECALL_NAME || k->file[0] == '\0' || !recall_enter())
        return;
    slot = recall_slot_of(kind, name);
    slot->serial = reg->serial;
    slot->kind = kind;
    memcpy(slot->name, name, len + 1);
    slot->key = *k;
    slot->key.created = 0;
    slot->key.used = 0;
    recall_leave();
}

/* Forgets reg's lookup of the key file file (a removal or a failed check
 * knows the file, not the name: the table is looked through).  The file
 * name stays: it is the name's whatever becomes of the file. */
void xsipc__reg_recall_forget(const xsipc_registry *reg, const char *file)
{
    size_t i;

    if (!recall_enter())
        return;
    for (i = 0; i < RECALL_SLOTS; i++)
        if (recall_table[i].serial == reg->serial &&
            strcmp(recall_table[i].key.file, file) == 0)
            recall_table[i].key.cached = 0;
    recall_leave();
}

void xsipc__reg_recall_refresh(const xsipc_registry *reg, const xsipc__key *k)
{
    size_t i;

    if (!recall_enter())
        return;
    for (i = 0; i < RECALL_SLOTS; i++)
        if (recall_table[i].serial == reg->serial &&
            strcmp(recall_table[i].key.file, k->file) == 0) {
            recall_table[i].key = *k;
            recall_table[i].key.created = 0;
            recall_table[i].key.used = 0;
        }
    recall_leave();
}

void xsipc__reg_key_forget(const xsipc_registry *reg, xsipc__key *k)
{
    if (k->cached)
        xsipc__reg_recall_forget(reg, k->file);
    k->cached = 0;
}

int xsipc__reg_key_recall(const xsipc_registry *reg, xsipc__kind kind,
                          const char *name, xsipc__key *k)
{
    struct recall_slot *slot;
    int found = 0;

    if (k->cached)
        return 1;
    if (name == NULL || (reg->flags & XSIPC__REG_NATIVE) != 0)
        return 0; /* a native key's handle has a registry of its own */
    slot = recall_slot_of(kind, name);
    if (!recall_enter())
        return 0;
    if (slot->serial == reg->serial && slot->kind == kind &&
        strcmp(slot->name, name) == 0 &&
        (k->file[0] == '\0' || strcmp(slot->key.file, k->file) == 0)) {
        if (slot->key.cached) {
            *k = slot->key;
            found = 1;
        } else {
            /* The file went, or changed: its name is all that is known. */
            memcpy(k->file, slot->key.file, sizeof k->file);
        }
    }
    recall_leave();
    return found;
}

void xsipc__reg_key_init(xsipc__key *k)
{
    memset(k, 0, sizeof *k);
    k->proj = XSIPC__PROJ;
}

int xsipc__reg_still(const xsipc_registry *reg, const xsipc__key *k)
{
    struct stat sb;
    int saved = errno, same;

    /* AT_SYMLINK_NOFOLLOW: a link put in the key file's place is not the
     * key file, whatever it points to. */
    same = fstatat(reg->dirfd, k->file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           sb.st_dev == k->dev && sb.st_ino == k->ino;
    if (same && k->cached)
        same = sb.st_nlink == k->nlink && sb.st_uid == k->uid &&
               sb.st_mode == k->mode && sb.st_size == k->size &&
               sb.st_ctim.tv_sec == k->ctime.tv_sec &&
               sb.st_ctim.tv_nsec == k->ctime.tv_nsec;
    errno = saved;
    return same;
}
