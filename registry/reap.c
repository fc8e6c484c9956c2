/* SPDX-License-Identifier: MIT */
/*
 * reap.c -- gc's removal of the registry's own files: claims whose key
 * file is gone, parked inodes no claim needs any more, key files that a
 * crash left unfinished (.new-), and the .name- links an older xsipc made
 * (nothing reads them now).
 *
 * A scan (scan.c) judges each of them without the lock, and things move
 * meanwhile, so nothing is removed on that word alone: the judgement is
 * made again under the registry lock, on an entry that must still be one
 * of ours.  What makes a key file or an object dead is lib/'s to judge
 * (lib/gc.c): it alone knows the System V objects.
 */
#include <config.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

/* Whether the directory entry file (not followed) is owned by a uid
 * trusted for reg. */
static int owned_entry(const xsipc_registry *reg, const char *file)
{
    struct stat sb;

    return fstatat(reg->dirfd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           xsipc__reg_trusted(reg, sb.st_uid);
}

int xsipc__reg_reap_file(xsipc_registry *reg, const xsipc__item *it)
{
    int lockfd, stale = it->stale;

    if ((lockfd = xsipc__reg_lock(reg, NULL)) < 0)
        return 0;
    /* Under the lock no key file is being made (a temporary file left now
     * is a crash's, and a claim whose record names a file not there is its
     * leftover), and no claim changes. */
    if (it->type == XSIPC__ITEM_CLAIM)
        stale = xsipc__reg_claim_state(reg, it->named, NULL, NULL, NULL) ==
                XSIPC__CLAIM_STALE;
    else if (it->type == XSIPC__ITEM_PARKED)
        stale = xsipc__reg_claim_state(reg, it->named, NULL, NULL, NULL) !=
                XSIPC__CLAIM_OTHER;
    /* The entry may have been replaced since the scan, by one of another
     * owner's (root may remove anything in a sticky directory): only ours
     * are judged. */
    if (stale && !owned_entry(reg, it->file))
        stale = 0;
    if (stale && unlinkat(reg->dirfd, it->file, 0) != 0)
        stale = 0;
    xsipc__reg_unlock(lockfd);
    return stale;
}
