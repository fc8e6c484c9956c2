/* SPDX-License-Identifier: MIT */
/*
 * native.c -- an xsipc_shm's native key (xsipc_shm_set_native_key, Qt's
 * setNativeKey): a key file's path of the caller's, kept as given, whose
 * directory is opened as a registry of its own (XSIPC__REG_NATIVE) when a
 * create, attach or lock needs it, not when the key is set.
 *
 * Qt keeps the string and hands it to open(2) and ftok(3) at each create
 * and attach, so a relative path names a file in the working directory of
 * that call, and a directory that does not exist is an error of that call
 * (create: KeyError, the key file cannot be made; attach: NotFound, there
 * is no key file), never of setNativeKey.  The same here: the handle has
 * a key (its name is the file's name) and no registry until its first
 * such call, and a later call that is neither attached nor holding the
 * lock checks, with one stat, that the path still names the directory it
 * opened, or opens the new one.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shm.h"

/* A native key path refused before any file is opened. */
static int bad_path(xsipc_shm *shm, const char *op, const char *why,
                    const char *path)
{
    (void)xsipc__status_path(&shm->err, XSIPC_KEY_ERROR, "path ", NULL, path,
                             "%s", why);
    return xsipc__status_prefix(&shm->err, op);
}

/*
 * Splits a native key path into its directory (dir, PATH_MAX bytes: "."
 * for a bare file name, resolved when used) and its file name (*base).
 * What can never name a key file is refused at once: a directory's path
 * ("dir/", "..") and parts longer than the system allows.  A directory
 * that does not exist is not refused here -- Qt keeps the string and uses
 * it at create and attach -- but there (xsipc__shm_native_dir).
 */
static int split_native(xsipc_shm *shm, const char *op, const char *path,
                        char *dir, const char **base)
{
    const char *slash = strrchr(path, '/');

    *base = slash != NULL ? slash + 1 : path;
    if (slash == NULL)
        snprintf(dir, PATH_MAX, ".");
    else if (slash == path)
        snprintf(dir, PATH_MAX, "/");
    else if ((size_t)(slash - path) < PATH_MAX)
        snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
    else
        return bad_path(shm, op, "its directory is longer than PATH_MAX", path);
    if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
        return bad_path(shm, op, "the path names a directory, not a key file",
                        path);
    /* The key file's name must fit a directory entry (and the handle's
     * key, whose file name has NAME_MAX bytes). */
    if (strlen(*base) >= sizeof shm->key.file)
        return bad_path(shm, op, "the key file's name is over NAME_MAX (255)",
                        path);
    return 0;
}

int xsipc__shm_native_set(xsipc_shm *shm, const char *path, const char *op)
{
    char dir[PATH_MAX];
    const char *base;
    char *given, *name, *shown;

    if (split_native(shm, op, path, dir, &base) < 0)
        return -(int)shm->err.code;
    given = strdup(path);
    name = strdup(base);
    shown = strdup(path);
    if (given == NULL || name == NULL || shown == NULL) {
        free(given);
        free(name);
        free(shown);
        errno = ENOMEM;
        return xsipc__status_set(&shm->err, XSIPC_OUT_OF_RESOURCES,
                                 "%s: out of memory", op);
    }
    /* The directory is opened by the first create, attach or lock
     * (xsipc__shm_native_dir): until then the handle has a key and no
     * registry. */
    shm->given = given;
    shm->name = name;
    shm->native = shown;
    shm->is_native = 1;
    xsipc__status_name(name, shm->qname);
    return 0;
}

/* A native key's directory, opened for an earlier call, is no longer the
 * one its path names: the handle lets go of its lock set there and of
 * the directory. */
static void forget_native_dir(xsipc_shm *shm)
{
    if (xsipc__semset_close(&shm->lock) < 0)
        (void)xsipc__semset_close(&shm->lock);
    xsipc_registry_close(shm->reg);
    shm->reg = NULL;
    xsipc__semset_init(&shm->lock, NULL, NULL, NULL, 1);
}

int xsipc__shm_native_dir(xsipc_shm *shm, const char *op, xsipc_error missing)
{
    struct stat now, was;
    char dir[PATH_MAX];
    const char *base;
    xsipc_registry *reg;
    int err;

    /* Attached, or holding the lock, the handle works in the directory it
     * has: the key is in use. */
    if (!shm->is_native || shm->shmid >= 0 || shm->locked)
        return 0;
    if (split_native(shm, op, shm->given, dir, &base) < 0)
        return -(int)shm->err.code; /* checked when set: cannot happen */
    /* Qt opens the path at each create and attach, so a relative one
     * resolves against the working directory of that call.  The directory
     * an earlier call opened serves while the path still names it: one
     * stat, and the lock set joined there stays joined. */
    if (shm->reg != NULL) {
        if (stat(dir, &now) == 0 && xsipc__reg_dir_stat(shm->reg, &was) == 0 &&
            now.st_dev == was.st_dev && now.st_ino == was.st_ino)
            return 0;
        forget_native_dir(shm);
    }
    reg = xsipc__registry_open(dir, XSIPC__REG_NATIVE, &shm->err);
    if (reg == NULL) {
        /* No such directory (ENOENT, or ENOTDIR for a file on the way):
         * Qt's create cannot make the key file there (KeyError), its
         * attach finds none (NotFound); each call says so with Qt's code.
         * Other refusals (permissions, an untrusted directory) keep
         * theirs. */
        err = errno;
        if (err != ENOENT && err != ENOTDIR)
            return xsipc__status_prefix(&shm->err, op);
        (void)xsipc__status_named(&shm->err, missing, op, shm->qname, NULL,
                                  shm->given,
                                  "the key file's directory cannot be found: "
                                  "%s",
                                  strerror(err));
        errno = err;
        return -(int)missing;
    }
    return xsipc__shm_install_path(shm, reg, base, NULL);
}
