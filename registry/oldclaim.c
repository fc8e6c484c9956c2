/* SPDX-License-Identifier: MIT */
/*
 * oldclaim.c -- the claims an older xsipc made, still read and cleaned up:
 * a symbolic link .claim-K naming its key file ('m' or 's' and the name
 * after Qt's prefix, or the whole file name), and in Qt's life cycle a
 * .name- link per key file naming its claim.  Such a claim is MINE when it
 * names the file asked about, OTHER when the file it names holds the key,
 * else STALE (claim.c has the states); it gives way to a hard link when
 * its key is claimed again, and its .name- link goes with it (or with gc).
 * Only entries of ours are read (xsipc__reg_own_entry); they change only
 * under the registry lock.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int xsipc__reg_old_link_name(const char *file, char *buf, size_t len)
{
    size_t n = strlen(file);
    char kind;

    if (strncmp(file, XSIPC__SHM_PREFIX, strlen(XSIPC__SHM_PREFIX)) == 0 &&
        n >= strlen(XSIPC__SHM_PREFIX) + XSIPC__HASH_DIGITS)
        kind = 'm';
    else if (strncmp(file, XSIPC__SEM_PREFIX, strlen(XSIPC__SEM_PREFIX)) == 0 &&
             n >= strlen(XSIPC__SEM_PREFIX) + XSIPC__HASH_DIGITS)
        kind = 's';
    else
        return -1;
    if (!is_hex(file + n - XSIPC__HASH_DIGITS, XSIPC__HASH_DIGITS))
        return -1;
    (void)snprintf(buf, len, XSIPC__OLD_LINK_PREFIX "%c%s", kind,
                   file + n - XSIPC__HASH_DIGITS);
    return 0;
}

/*
 * Reads the symbolic link name into buf (len bytes, NUL added) when it is
 * ours (own_entry): an older xsipc's claim or .name- link.  Its length, 0
 * when there is no such entry, or -1 for one that is not a symbolic link
 * or is someone else's.  The owner is read first: the sticky bit lets only
 * an entry's owner (or root, or the directory's owner) remove or rename
 * it, so a stranger cannot swap its own link in after the fstatat; only
 * one of ours could replace it, and under the registry lock, where claims
 * are made, kept and dropped, none does.
 */
static ssize_t read_own_link(const xsipc_registry *reg, const char *name,
                             char *buf, size_t len)
{
    struct stat sb;
    ssize_t n;
    int own = xsipc__reg_own_entry(reg, name, &sb);

    if (own <= 0)
        return own;
    if (!S_ISLNK(sb.st_mode))
        return -1;
    n = readlinkat(reg->dirfd, name, buf, len - 1);
    if (n < 0)
        /* EINVAL: no longer a symbolic link, so not ours. */
        return errno == ENOENT ? 0 : -1;
    buf[n] = '\0';
    return n;
}

/* A symbolic link's target must be a plain name in the directory:
 * anything else was not written by xsipc. */
static int plain_name(const char *s)
{
    return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

/* The key file an older xsipc's claim names: its target is the file name
 * with Qt's prefix cut to 'm' (segment) or 's' (semaphore set), or a whole
 * file name.  -1 when the result would not be a file name. */
static int old_claim_file(const char *t, char *buf, size_t len)
{
    const char *prefix = t[0] == 'm'   ? XSIPC__SHM_PREFIX
                         : t[0] == 's' ? XSIPC__SEM_PREFIX
                                       : "";
    const char *rest = prefix[0] != '\0' ? t + 1 : t;
    int n = snprintf(buf, len, "%s%s", prefix, rest);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* An older xsipc's claim name, a symbolic link of ours: what it says for
 * file (NULL: none in particular); t (256 bytes) gets the file it names. */
xsipc__claim xsipc__reg_old_claim(const xsipc_registry *reg, key_t key,
                                  const char *name, const char *file, char *t)
{
    char link[256];
    ssize_t n = read_own_link(reg, name, link, sizeof link);

    if (n <= 0)
        return n == 0 ? XSIPC__CLAIM_NONE : XSIPC__CLAIM_FOREIGN;
    /* The prefix put back cannot make a plain name anything else. */
    if (!plain_name(link) || old_claim_file(link, t, 256) < 0) {
        t[0] = '\0';
        return XSIPC__CLAIM_FOREIGN;
    }
    if (file != NULL && strcmp(t, file) == 0)
        return XSIPC__CLAIM_MINE;
    return xsipc__reg_has_key(reg, t, key) ? XSIPC__CLAIM_OTHER
                                           : XSIPC__CLAIM_STALE;
}

/* Removes the .name- link that an older xsipc made for key file file when
 * it is ours and names key: it goes with the old claim it served. */
void xsipc__reg_drop_old_link(xsipc_registry *reg, const char *file, key_t key)
{
    char name[64], t[16];

    if (xsipc__reg_old_link_name(file, name, sizeof name) == 0 &&
        read_own_link(reg, name, t, sizeof t) == 8 && is_hex(t, 8) &&
        strtoul(t, NULL, 16) == (unsigned long)(unsigned)key)
        (void)unlinkat(reg->dirfd, name, 0);
}
