/* SPDX-License-Identifier: MIT */
/*
 * resolve.c -- names to key files and key_t values.
 *
 * Looking up a name whose key file exists costs a fixed number of system
 * calls (openat, fstat, pread of the record, close; and an fstatat of the
 * key's claim when no record vouches for it, more only when it is another
 * file's), whatever the size of the directory: there is no scan, no lock,
 * nothing written.  A handle that looks the same name up again
 * (xsipc__reg_resolve_key) pays one fstatat: recall.c keeps what a lookup
 * saw, and says why that check is enough.  Making a key file (make.c)
 * takes the registry lock and a few more calls; a key file's end is
 * remove.c's.  Files only: no System V IPC call is made here.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/*
 * A lookup that finds no file and then, under the lock, finds one (or the
 * other way round) is racing a peer that makes and removes the key file
 * (Qt removes it with the last user).  Trying again is right; a bound
 * keeps the cost of a lookup constant even against a peer that loops.
 */
#define RESOLVE_ATTEMPTS 4

/* In a native registry the caller's name is the file name itself (Qt's
 * setNativeKey); it must stay inside the directory. */
static int native_name(const char *name, char *buf, size_t len,
                       xsipc_status *st)
{
    size_t name_len;

    if (name == NULL || name[0] == '\0')
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "the native key's file name is empty");
    if (strchr(name, '/') != NULL)
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "native key ", NULL, name,
            "the native key is not a plain file name (contains '/')");
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return xsipc__status_path(st, XSIPC_KEY_ERROR, "native key ", NULL,
                                  name, "the native key names a directory");
    name_len = strlen(name);
    if (name_len > NAME_MAX || name_len >= len)
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "native key ", NULL, name,
            "the native key is %zu bytes, over NAME_MAX (%d)", name_len,
            NAME_MAX);
    memcpy(buf, name, name_len + 1);
    return 0;
}

/* The name has no key file (errno ENOENT). */
static int no_key_file(const xsipc_registry *reg, const char *file,
                       xsipc_status *st)
{
    errno = ENOENT;
    return xsipc__reg_file_error(reg, file, st, XSIPC_NOT_FOUND,
                                 "no such key file");
}

/* Maps the errno of an openat of a key file. */
static int open_error(const xsipc_registry *reg, const char *file, int create,
                      int err, xsipc_status *st)
{
    int rc;

    switch (err) {
    case ELOOP:
        /* O_NOFOLLOW's answer for a symbolic link as last component: a
         * link where a key file belongs would let its author pick our
         * key_t (and Qt, which follows it, would be fooled). */
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                   "the key file is a symbolic link");
        break;
    case EACCES:
    case EPERM:
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_PERMISSION_DENIED,
                                   "cannot open the key file: %s",
                                   strerror(err));
        break;
    case ENOENT:
        /* Without create, the name was never registered (or its last user
         * is gone).  With create, it means the directory itself has been
         * removed, or the file kept vanishing between our two opens. */
        if (!create)
            rc = no_key_file(reg, file, st);
        else
            rc = xsipc__reg_file_error(reg, file, st, XSIPC_KEY_ERROR,
                                       "cannot create the key file: %s",
                                       strerror(err));
        break;
    default:
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_KEY_ERROR,
                                   "cannot open the key file: %s",
                                   strerror(err));
        break;
    }
    errno = err;
    return rc;
}

/* lookup()'s answers besides errors. */
#define LOOK_FOUND 0     /* the key file, with its claim (or no claim use) */
#define LOOK_NOENT 1     /* no key file */
#define LOOK_UNCLAIMED 2 /* a key file no claim holds (Qt made it) */
#define LOOK_HELD 3      /* a key file whose key another file's claim holds */

/* The record of a key file must be about this name and kind: another
 * name would mean a SHA-1 clash or a file written by hand. */
static int record_matches(const xsipc_registry *reg, const char *file,
                          xsipc__kind kind, const char *name,
                          const xsipc__record *rec, xsipc_status *st)
{
    char n[XSIPC__NAME_BUF];

    if (rec->kind != (int)kind)
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_KEY_ERROR, "the key file's record is for a %s",
            rec->kind == XSIPC__KIND_SHM ? "segment" : "semaphore set");
    if (rec->name_len != 0 && (strlen(name) != rec->name_len ||
                               memcmp(name, rec->name, rec->name_len) != 0))
        return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_COLLISION,
                                     "the key file records another name, "
                                     "\"%s\"",
                                     xsipc__status_name(rec->name, n));
    return 0;
}

/* The key file of an existing name: its key, and the state of its claim
 * (target, 256 bytes, gets the file that holds a key LOOK_HELD).  The file
 * may change (Qt removes it); the caller decides. */
static int lookup(xsipc_registry *reg, xsipc__kind kind, const char *name,
                  xsipc__key *out, char *target, xsipc_status *st)
{
    xsipc__record rec;
    struct stat sb;
    int fd, rc, has_rec;

    /* ENOENT also for a file unlinked as we opened it: the caller looks
     * the name up again, or makes it. */
    fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
    if (fd < 0)
        return errno == ENOENT ? LOOK_NOENT
                               : open_error(reg, out->file, 0, errno, st);
    rc = xsipc__reg_check_file(reg, out->file, &sb, st);
    has_rec =
        rc < 0 ? 0 : xsipc__reg_read_record(reg, out->file, fd, &sb, &rec, st);
    (void)close(fd);
    if (rc < 0)
        return rc;
    if (has_rec < 0)
        return has_rec;
    if (has_rec &&
        (rc = record_matches(reg, out->file, kind, name, &rec, st)) < 0)
        return rc;

    out->proj = has_rec ? rec.proj : XSIPC__PROJ;
    out->persistent = has_rec && (rec.flags & XSIPC__REC_PERSISTENT) != 0;
    out->keep = has_rec && (rec.flags & XSIPC__REC_KEEP) != 0;
    out->key = xsipc__reg_ftok(&sb, out->proj);
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;
    xsipc__reg_remember(out, &sb);

    /* The claim, unless the record vouches for it (claim.c), and with it
     * the file's second link, which may only be its claim. */
    switch (rc = xsipc__reg_file_claim(reg, out->file, &sb,
                                       has_rec ? &rec : NULL, out->key, target,
                                       st)) {
    case XSIPC__CLAIM_MINE:
        return LOOK_FOUND;
    case XSIPC__CLAIM_NONE:
    case XSIPC__CLAIM_STALE:
        /* Nothing of ours vouches for the key: a claim may appear for it
         * any time (another name's), so the next lookup reads again. */
        out->cached = 0;
        return LOOK_UNCLAIMED;
    case XSIPC__CLAIM_OTHER:
        /* Two live key files, one key: a Qt program made this one beside
         * ours.  Using it would share the other name's objects. */
        out->cached = 0;
        return LOOK_HELD;
    case XSIPC__CLAIM_FOREIGN:
        /* A stranger's, or not a claim: it may be this file, but its
         * owner could drop it and claim the key for another name. */
        out->cached = 0;
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    default:
        out->cached = 0;
        return rc;
    }
}

/* The native-key path (Qt's setNativeKey): the file is the caller's, so
 * it is opened as Qt opens it, without records or claims. */
static int resolve_native(xsipc_registry *reg, int create, xsipc__key *out,
                          xsipc_status *st)
{
    struct stat sb;
    int attempt, fd = -1, err = ENOENT, rc;

    /* Each round ends with a descriptor and its stat, or with the file
     * gone (ENOENT: never there, or unlinked by its last user between the
     * openat and the fstat), which with create is another round. */
    for (attempt = 0; attempt < RESOLVE_ATTEMPTS && fd < 0; attempt++) {
        if (create) {
            /* As Qt creates it (plus O_NOFOLLOW): O_EXCL makes exactly one
             * of several racing processes the creator. */
            fd = openat(reg->dirfd, out->file,
                        O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
                        reg->file_mode);
            if (fd >= 0) {
                if (fstat(fd, &sb) != 0)
                    err = errno;
                else if (sb.st_nlink == 0)
                    err = ENOENT; /* made, and unlinked at once */
                else {
                    out->created = 1;
                    break;
                }
                (void)close(fd);
                fd = -1;
                if (err != ENOENT)
                    break;
                continue;
            }
            err = errno;
            if (err != EEXIST)
                return open_error(reg, out->file, create, err, st);
        }
        fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
        if (fd < 0) {
            err = errno;
            if (!create || err != ENOENT)
                break;
        }
    }
    if (fd < 0)
        return open_error(reg, out->file, create, err, st);
    (void)close(fd);
    out->key = xsipc__reg_ftok(&sb, XSIPC__PROJ);
    /* No claim of ours is made for it; one made for it as a name's key
     * file may be its second link. */
    if ((rc = xsipc__reg_check_file(reg, out->file, &sb, st)) < 0 ||
        (rc = xsipc__reg_check_links(reg, out->file, &sb, out->key, st)) < 0)
        return rc;
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;
    xsipc__reg_remember(out, &sb);
    return 0;
}

int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    return xsipc__reg_resolve_keep(reg, kind, name, create, 0, out, st);
}

/* The claim that the caller's earlier key file left, when a Qt program
 * removed that file (or put another in its place): the claim is its last
 * link, which only the caller can find without a scan, and goes under the
 * lock.  Nothing to do, and no call made, while the file is the one the
 * caller had. */
static void forget_gone(xsipc_registry *reg, const xsipc__key *was,
                        const xsipc__key *now)
{
    int saved = errno, lockfd;

    if (was->ino == 0 || (was->dev == now->dev && was->ino == now->ino) ||
        !xsipc__reg_claim_gone(reg, was))
        return;
    if ((lockfd = xsipc__reg_lock(reg, NULL)) >= 0) {
        xsipc__reg_drop_gone_claim(reg, was);
        xsipc__reg_unlock(lockfd);
    }
    errno = saved;
}

int xsipc__reg_resolve_keep(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, int create, int keep,
                            xsipc__key *out, xsipc_status *st)
{
    char file[256];

    /* *out is zeroes or the caller's earlier key (registry.h): an earlier
     * key of this very name is kept as the "was" of resolve(), so that the
     * claim a Qt program's removal of its file left goes; no cache is
     * trusted here. */
    if (out != NULL) {
        if (reg == NULL || out->file[0] == '\0' ||
            (xsipc__reg_native(reg)
                 ? native_name(name, file, sizeof file, NULL)
                 : xsipc__reg_file_name(kind, name, file, sizeof file, NULL)) <
                0 ||
            strcmp(file, out->file) != 0)
            xsipc__reg_key_init(out);
        out->cached = 0;
    }
    return xsipc__reg_resolve_key(reg, kind, name, create, keep, out, st);
}

/* What resolve() does about a missing key file: makes it (create), or
 * reports it, with a message (MISSING_SAY) or without (MISSING_QUIET: the
 * caller makes it under its own locks, and a message would cost more than
 * the whole lookup). */
#define MISSING_MAKE 1
#define MISSING_SAY 0
#define MISSING_QUIET 2

/* The resolution proper, for a key whose cache did not answer.  locked:
 * the caller holds the registry lock (xsipc__reg_resolve_locked), and
 * found no key file just before: making it comes first (make.c says when
 * it appeared meanwhile, and it is then looked up); else the lock is taken
 * here when a key file must be made or claimed. */
static int resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                   int create, int keep, int locked, xsipc__key *out,
                   xsipc_status *st)
{
    xsipc__key was;
    char target[256];
    int attempt, rc, lockfd = -1;

    /* The handle's earlier key of this name, if it had one: the claim a
     * Qt program's removal of that file left goes below. */
    was = *out;
    if (was.file[0] == '\0')
        memset(&was, 0, sizeof was);
    out->cached = 0;
    if (out->file[0] == '\0') {
        /* The name's file name, hashed once for the key's life. */
        if ((reg->flags & XSIPC__REG_NATIVE) != 0)
            rc = native_name(name, out->file, sizeof out->file, st);
        else
            rc = xsipc__reg_file_name(kind, name, out->file, sizeof out->file,
                                      st);
        if (rc < 0) {
            out->file[0] = '\0';
            return rc;
        }
    }
    out->created = 0;
    out->used = 0;
    out->proj = XSIPC__PROJ;
    out->persistent = 0;
    out->keep = 0;
    if ((reg->flags & XSIPC__REG_NATIVE) != 0)
        return resolve_native(reg, create == MISSING_MAKE, out,
                              create == MISSING_QUIET ? NULL : st);

    for (attempt = 0; attempt < RESOLVE_ATTEMPTS; attempt++) {
        rc = locked && attempt == 0 ? LOOK_NOENT
                                    : lookup(reg, kind, name, out, target, st);
        if (rc == LOOK_FOUND) {
            forget_gone(reg, &was, out);
            xsipc__reg_recall_store(reg, kind, name, out);
        }
        if (rc < 0 || rc == LOOK_FOUND)
            return rc;
        /* Another name's key: refused, but for a create, which makes this
         * name's file again when Qt made it (make.c). */
        if (rc == LOOK_HELD && create != MISSING_MAKE)
            return xsipc__reg_key_held(reg, out->key, out->file, target, st);
        /* A key file Qt made, in a registry that follows Qt's life cycle:
         * used as it is.  Claiming it would leave the claim behind when
         * the Qt program removes the file; its key is checked not to be
         * another file's, which is what the claim is for. */
        if (rc == LOOK_UNCLAIMED &&
            (reg->flags & XSIPC_REGISTRY_PERSISTENT) == 0) {
            forget_gone(reg, &was, out);
            return 0;
        }
        if (rc == LOOK_NOENT && create != MISSING_MAKE)
            return no_key_file(reg, out->file,
                               create == MISSING_QUIET ? NULL : st);
        if (!locked && (lockfd = xsipc__reg_lock(reg, st)) < 0)
            return lockfd;
        out->keep = keep; /* what a record made now will say */
        out->cached = 0;  /* made or claimed now: looked at afresh next time */
        /* A Qt program removed the file the caller had: its claim stays
         * behind, with one link, unless it goes now. */
        xsipc__reg_drop_gone_claim(reg, &was);
        if (rc == LOOK_NOENT)
            rc = xsipc__reg_create_locked(reg, kind, name, out, st);
        else if (rc == LOOK_HELD)
            rc = xsipc__reg_remake_locked(reg, kind, name, out, st);
        else
            rc = xsipc__reg_adopt_locked(reg, kind, name, out, st);
        if (rc == 0)
            xsipc__reg_recall_store(reg, kind, name,
                                    out); /* the file name, for later */
        if (!locked)
            xsipc__reg_unlock(lockfd);
        if (rc <= 0)
            return rc;
    }
    errno = ESTALE;
    return xsipc__reg_file_error(reg, out->file, st, XSIPC_KEY_ERROR,
                                 "the key file was made and removed %d times "
                                 "while being resolved",
                                 RESOLVE_ATTEMPTS);
}

/* The three entry points below: a key whose cache one fstatat shows still
 * good is the answer; else the cache goes and the name is resolved. */
static int cached_or_resolve(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, int missing, int keep,
                             int locked, xsipc__key *out, xsipc_status *st)
{
    if (out->cached && xsipc__reg_still(reg, out)) {
        out->created = 0;
        return 0;
    }
    xsipc__reg_key_forget(reg, out);
    return resolve(reg, kind, name, missing, keep, locked, out, st);
}

int xsipc__reg_resolve_key(xsipc_registry *reg, xsipc__kind kind,
                           const char *name, int create, int keep,
                           xsipc__key *out, xsipc_status *st)
{
    if (reg == NULL || out == NULL)
        return xsipc__status_set(st, XSIPC_INVALID_ARGUMENT,
                                 "key lookup: no registry or no key");
    return cached_or_resolve(
        reg, kind, name, create ? MISSING_MAKE : MISSING_SAY, keep, 0, out, st);
}

int xsipc__reg_lookup_key(xsipc_registry *reg, xsipc__kind kind,
                          const char *name, int keep, xsipc__key *out,
                          xsipc_status *st)
{
    return cached_or_resolve(reg, kind, name, MISSING_QUIET, keep, 0, out, st);
}

int xsipc__reg_resolve_locked(xsipc_registry *reg, xsipc__kind kind,
                              const char *name, int keep, xsipc__key *out,
                              xsipc_status *st)
{
    return cached_or_resolve(reg, kind, name, MISSING_MAKE, keep, 1, out, st);
}
