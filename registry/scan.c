/* SPDX-License-Identifier: MIT */
/*
 * scan.c -- reading a registry directory, for listing and gc.
 *
 * This is the only code that reads the directory (resolving a name never
 * does: it opens the key file by name).  Each entry is classified by its
 * name -- key files by Qt's prefixes, xsipc's own files by theirs (see
 * registry.h) -- and everything else is skipped: the Qt default directory
 * is /tmp, which holds anything.  Key files are opened as a lookup opens
 * them (O_NOFOLLOW, O_NONBLOCK, checks on the descriptor; one gone as it
 * was opened is no entry), their record read and their claim judged as a
 * lookup judges it (claim.c); nothing is changed here.  Another user's
 * key file is read too, for its name and key, and stays unusable.  The
 * .name- links of an older xsipc are reported, to be removed: nothing
 * reads them now.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* n lowercase hex digits at s, as a number (n <= 8); -1 when not. */
static long long hex_at(const char *s, size_t n)
{
    long long v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (c - 'a' + 10);
        else
            return -1;
    }
    return v;
}

/* Copies text into buf (size bytes) at offset at, cut to what fits. */
static size_t append(char *buf, size_t size, size_t at, const char *text)
{
    size_t room = at + 1 < size ? size - 1 - at : 0, n = strlen(text);

    if (n > room)
        n = room;
    memcpy(buf + at, text, n);
    buf[at + n] = '\0';
    return at + n;
}

/*
 * A key file that fails its checks only for its owner, an untrusted uid
 * (another user's, in a directory others may write): its record is read
 * through the read-only descriptor -- the parser trusts no byte of it --
 * and its key computed, so that a listing can show the entry by its
 * recorded name with the object at its key.  The item stays unusable:
 * gc, removal and lookups never take it (its claim is not judged).  A
 * record that names another file than this one is not believed.  1 when
 * it is such a file (the item filled), 0 to check it as any other.
 */
static int stranger(xsipc_registry *reg, xsipc__item *it, int fd,
                    const struct stat *sb, xsipc__record *rec)
{
    xsipc_status st;
    char file[256];
    size_t n;
    int has;

    if (!S_ISREG(sb->st_mode) || sb->st_nlink > 2 ||
        xsipc__reg_trusted(reg, sb->st_uid))
        return 0;
    it->stranger = 1;
    n = (size_t)snprintf(it->problem, sizeof it->problem,
                         "the key file is owned by uid %lu, another user",
                         (unsigned long)sb->st_uid);
    has = xsipc__reg_read_record(reg, it->file, fd, sb, rec, &st);
    if (has < 0) {
        n = append(it->problem, sizeof it->problem, n, "; ");
        (void)append(it->problem, sizeof it->problem, n, st.text);
        has = 0;
    } else if (has && rec->kind != (int)it->kind) {
        (void)snprintf(it->problem + n, sizeof it->problem - n,
                       "; its record is for another kind");
        has = 0;
    } else if (has && rec->name_len > 0 &&
               (xsipc__reg_file_name(it->kind, rec->name, file, sizeof file,
                                     NULL) < 0 ||
                strcmp(file, it->file) != 0)) {
        (void)snprintf(it->problem + n, sizeof it->problem - n,
                       "; its record names another key file");
        has = 0;
    }
    it->rec = has ? rec : NULL;
    memset(&it->key, 0, sizeof it->key);
    memcpy(it->key.file, it->file, strlen(it->file) + 1);
    it->key.proj = has ? rec->proj : XSIPC__PROJ;
    it->key.key = xsipc__reg_ftok(sb, it->key.proj);
    it->key.dev = sb->st_dev;
    it->key.ino = sb->st_ino;
    return 1;
}

/* Fills a key file's item: its checks, record, key and claim.  0 when the
 * file is gone (removed since the directory was read, or as it was
 * opened: its last user's unlink), which is no entry. */
static int key_file(xsipc_registry *reg, xsipc__item *it, xsipc__record *rec)
{
    xsipc_status st;
    struct stat sb;
    key_t key;
    int fd, has, c;

    it->kind =
        starts(it->file, XSIPC__SHM_PREFIX) ? XSIPC__KIND_SHM : XSIPC__KIND_SEM;
    if (S_ISLNK(it->sb.st_mode)) {
        (void)snprintf(it->problem, sizeof it->problem,
                       "a symbolic link, not a key file");
        return 1;
    }
    fd = xsipc__reg_open_file(reg, it->file, O_RDONLY, &sb);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        (void)snprintf(it->problem, sizeof it->problem, "cannot open: %s",
                       strerror(errno));
        return 1;
    }
    it->sb = sb;
    if (stranger(reg, it, fd, &sb, rec)) {
        (void)close(fd);
        return 1;
    }
    if (xsipc__reg_check_file(reg, it->file, &sb, &st) < 0 ||
        (has = xsipc__reg_read_record(reg, it->file, fd, &sb, rec, &st)) < 0) {
        (void)snprintf(it->problem, sizeof it->problem, "%s", st.text);
        (void)close(fd);
        return 1;
    }
    (void)close(fd);
    if (has && rec->kind != (int)it->kind) {
        (void)snprintf(it->problem, sizeof it->problem,
                       "its record is for another kind");
        return 1;
    }
    key = xsipc__reg_ftok(&sb, has ? rec->proj : XSIPC__PROJ);
    c = xsipc__reg_file_claim(reg, it->file, &sb, has ? rec : NULL, key,
                              it->target, &st);
    if (c < 0) {
        (void)snprintf(it->problem, sizeof it->problem, "%s", st.text);
        return 1;
    }
    it->rec = has ? rec : NULL;
    it->usable = 1;
    memset(&it->key, 0, sizeof it->key);
    memcpy(it->key.file, it->file, strlen(it->file) + 1);
    it->key.proj = has ? rec->proj : XSIPC__PROJ;
    it->key.persistent = has && (rec->flags & XSIPC__REC_PERSISTENT) != 0;
    it->key.keep = has && (rec->flags & XSIPC__REC_KEEP) != 0;
    it->key.key = key;
    it->key.dev = sb.st_dev;
    it->key.ino = sb.st_ino;
    it->claim = (xsipc__claim)c;
    return 1;
}

/* A claim is stale when it holds its key for no key file (claim.c). */
static void claim(xsipc_registry *reg, xsipc__item *it)
{
    xsipc__claim c =
        xsipc__reg_claim_state(reg, it->named, NULL, NULL, it->target);

    it->stale = c == XSIPC__CLAIM_STALE;
}

/* A parked inode is needed while its key has a claim in force. */
static void parked(xsipc_registry *reg, xsipc__item *it)
{
    xsipc__claim c =
        xsipc__reg_claim_state(reg, it->named, NULL, NULL, it->target);

    it->stale = c != XSIPC__CLAIM_OTHER;
}

/* Classifies the entry name; 0 when it is none of the registry's. */
static int classify(xsipc_registry *reg, const char *name, xsipc__item *it,
                    xsipc__record *rec)
{
    size_t n = strlen(name), cl = strlen(XSIPC__CLAIM_PREFIX),
           pl = strlen(XSIPC__PARK_PREFIX), ll = strlen(XSIPC__OLD_LINK_PREFIX);
    long long v;

    if (starts(name, XSIPC__SHM_PREFIX) || starts(name, XSIPC__SEM_PREFIX))
        it->type = XSIPC__ITEM_KEY_FILE;
    else if (starts(name, XSIPC__CLAIM_PREFIX) && n == cl + 8 &&
             (v = hex_at(name + cl, 8)) >= 0) {
        it->type = XSIPC__ITEM_CLAIM;
        it->named = (key_t)(unsigned)v;
    } else if (starts(name, XSIPC__PARK_PREFIX) && n > pl + 9 &&
               name[pl + 8] == '-' && (v = hex_at(name + pl, 8)) >= 0) {
        it->type = XSIPC__ITEM_PARKED;
        it->named = (key_t)(unsigned)v;
    } else if (starts(name, XSIPC__TEMP_PREFIX))
        it->type = XSIPC__ITEM_TEMP;
    else if (starts(name, XSIPC__OLD_LINK_PREFIX) && n == ll + 41)
        it->type = XSIPC__ITEM_OLD;
    else
        return 0;
    it->file = name;
    /* lstat: the entry itself, links not followed. */
    if (fstatat(reg->dirfd, name, &it->sb, AT_SYMLINK_NOFOLLOW) != 0)
        return 0; /* gone meanwhile */
    /* A stranger's file with one of our names (in a directory others may
     * write) is not ours: never read, never judged stale, so gc leaves
     * it.  (A stranger's key file is read, never used: stranger().) */
    if (it->type != XSIPC__ITEM_KEY_FILE &&
        !xsipc__reg_trusted(reg, it->sb.st_uid))
        return 1;
    switch (it->type) {
    case XSIPC__ITEM_KEY_FILE:
        if (!key_file(reg, it, rec))
            return 0; /* gone meanwhile */
        break;
    case XSIPC__ITEM_CLAIM:
        claim(reg, it);
        break;
    case XSIPC__ITEM_PARKED:
        parked(reg, it);
        break;
    default:
        /* An unfinished key file (judged by the caller, under the lock),
         * or an older xsipc's .name- link, which nothing reads now. */
        it->stale = 1;
        break;
    }
    return 1;
}

int xsipc__reg_scan_file(xsipc_registry *reg, const char *file,
                         xsipc__scan_fn fn, void *arg, xsipc_status *st)
{
    xsipc__record *rec = malloc(sizeof *rec);
    xsipc__item *it = malloc(sizeof *it);
    int rc;

    if (rec == NULL || it == NULL) {
        free(rec);
        free(it);
        errno = ENOMEM;
        return xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                 "registry scan: out of memory");
    }
    memset(it, 0, sizeof *it);
    /* classify() says 0 for a file that is not there (or went while it
     * looked): what a directory read would not have listed. */
    if (classify(reg, file, it, rec)) {
        rc = fn(reg, it, arg);
    } else {
        errno = ENOENT;
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_NOT_FOUND,
                                   "no key file");
    }
    free(rec);
    free(it);
    return rc;
}

int xsipc__reg_scan(xsipc_registry *reg, xsipc__scan_fn fn, void *arg,
                    xsipc_status *st)
{
    xsipc__record *rec;
    xsipc__item *it;
    struct dirent *e;
    DIR *d;
    int fd, rc = 0, err;

    /* A descriptor of our own: fdopendir takes it over, and its offset
     * must not be shared with reg->dirfd. */
    fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        err = errno;
        if (fd >= 0)
            (void)close(fd);
        errno = err;
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "directory ", NULL, reg->dir,
            "cannot read the registry directory: %s", strerror(err));
    }
    rec = malloc(sizeof *rec);
    it = malloc(sizeof *it);
    if (rec == NULL || it == NULL) {
        free(rec);
        free(it);
        (void)closedir(d);
        errno = ENOMEM;
        return xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                 "registry scan: out of memory");
    }
    for (;;) {
        errno = 0;
        if ((e = readdir(d)) == NULL)
            break;
        memset(it, 0, sizeof *it);
        if (!classify(reg, e->d_name, it, rec))
            continue;
        if ((rc = fn(reg, it, arg)) != 0)
            break;
    }
    err = errno;
    free(rec);
    free(it);
    (void)closedir(d);
    if (e == NULL && err != 0) {
        errno = err;
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "directory ", NULL, reg->dir,
            "reading the registry directory failed: %s", strerror(err));
    }
    return rc;
}
