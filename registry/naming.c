/* SPDX-License-Identifier: MIT */
/*
 * naming.c -- Qt's names: the default directory and key file names.
 *
 * QSharedMemory and QSystemSemaphore turn a key into a file name in the
 * temporary directory (DESIGN.md section 3); ftok of that file gives the
 * key_t.  xsipc computes the very same names so that a Qt program and an
 * xsipc program given the same key reach the same System V object.
 *
 * Names come from callers, so messages about them show them escaped and
 * bounded (xsipc__status_name, common/quote.c): a name must never put terminal
 * control sequences into a log, nor push a message's cause out.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xsipc.h"
#include "registry/registry.h"

/* POSIX lets <limits.h> leave NAME_MAX out when it varies by file system;
 * Linux defines it as 255, the limit of every common local file system. */
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/*
 * Qt's QDir::cleanPath of a Unix path into out (len bytes): "//" and "."
 * go, ".." takes the component before it away by spelling alone (an
 * absolute path stops at "/", a relative one keeps a leading ".."), and no
 * trailing slash is left but on "/" itself; nothing left of a relative
 * path is ".".  Qt cleans $TMPDIR so before it resolves anything, so
 * "link/.." is the directory that holds link, wherever link leads.
 * Returns 0, or -1 when out is too small.
 */
static int clean_path(const char *in, char *out, size_t len)
{
    size_t n = 0, base, cl, p;
    const char *c = in;

    if (len < 2)
        return -1;
    if (*c == '/')
        out[n++] = '/';
    base = n;
    while (*c != '\0') {
        while (*c == '/')
            c++;
        for (cl = 0; c[cl] != '\0' && c[cl] != '/'; cl++)
            ;
        if (cl == 0 || (cl == 1 && c[0] == '.')) {
            c += cl;
            continue;
        }
        if (cl == 2 && c[0] == '.' && c[1] == '.') {
            for (p = n; p > base && out[p - 1] != '/'; p--)
                ;
            if (n > base &&
                !(n - p == 2 && out[p] == '.' && out[p + 1] == '.')) {
                n = p > base ? p - 1 : p; /* the component and its slash */
                c += cl;
                continue;
            }
            if (base == 1) { /* "/.." is "/" */
                c += cl;
                continue;
            }
        }
        if (n + (n > base) + cl + 1 > len)
            return -1;
        if (n > base)
            out[n++] = '/';
        memcpy(out + n, c, cl);
        n += cl;
        c += cl;
    }
    if (n == 0)
        out[n++] = '.';
    out[n] = '\0';
    return 0;
}

int xsipc__reg_qt_temp_path(char *buf, size_t len)
{
    const char *env = getenv("TMPDIR");

    /* Qt takes an empty TMPDIR as unset (QString::isEmpty). */
    if (env == NULL || env[0] == '\0')
        env = "/tmp";
    return buf != NULL && clean_path(env, buf, len) == 0 ? 0 : -XSIPC_KEY_ERROR;
}

/* Why a $TMPDIR is refused (refuse_tmpdir). */
enum { TMPDIR_MISSING, TMPDIR_UNRESOLVED, TMPDIR_NOT_DIR };

/* The refusal of a $TMPDIR that names no directory Qt can use: its value
 * (quoted for a log) and where Qt would look; errno becomes err. */
static int refuse_tmpdir(xsipc_status *st, int why, int err, const char *path)
{
    char shown[192], where[96];
    const char *env = getenv("TMPDIR");

    /* Each path shortened in its middle so that the message, with the
     * XSIPC__OP_ROOM bytes kept for "operation: ", fits xsipc_status's 256:
     * the value alone may take 163 bytes, two paths 69 each. */
    if (why == TMPDIR_MISSING)
        (void)xsipc__status_quote(env != NULL ? env : "", 100, 60, shown,
                                  sizeof shown);
    else
        (void)xsipc__status_quote(env != NULL ? env : "", 42, 24, shown,
                                  sizeof shown);
    (void)xsipc__status_quote(path, 42, 24, where, sizeof where);
    if (why == TMPDIR_MISSING)
        (void)xsipc__status_set(st, XSIPC_KEY_ERROR,
                                "TMPDIR=%s names no directory; Qt would put "
                                "its key files in /",
                                shown);
    else if (why == TMPDIR_UNRESOLVED)
        (void)xsipc__status_set(st, XSIPC_KEY_ERROR,
                                "TMPDIR=%s cannot be resolved (%s); Qt would "
                                "look in %s, and fail",
                                shown, strerror(err), where);
    else
        (void)xsipc__status_set(st, XSIPC_KEY_ERROR,
                                "TMPDIR=%s names no directory; Qt would look "
                                "for its key files under the file %s, and fail",
                                shown, where);
    errno = err;
    return -XSIPC_KEY_ERROR;
}

int xsipc__reg_default_dir(char *buf, size_t len, xsipc_status *st)
{
    char clean[PATH_MAX];
    struct stat sb;
    char *real;
    size_t n;
    int err;

    if (xsipc__reg_qt_temp_path(clean, sizeof clean) < 0) {
        errno = ENAMETOOLONG;
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "registry: $TMPDIR is longer than PATH_MAX "
                                 "(%d)",
                                 PATH_MAX);
    }
    /* Qt's temporary directory is the canonical path of the cleaned one
     * (QDir::canonicalPath, a realpath).  When realpath says that nothing
     * is there (ENOENT, or ENOTDIR: a component on the way is a file), Qt's
     * answer is "", and its key files become "/qipc_...": in the root
     * directory.  Another failure (no search permission, a loop of links)
     * leaves Qt the path as it is, where it can make no key file either.
     * Neither is a place this registry may move elsewhere: a Qt program
     * and an xsipc program would each use its own key files, never the
     * same object, and neither would say so. */
    real = realpath(clean, NULL);
    if (real == NULL) {
        err = errno;
        if (err == ENOENT || err == ENOTDIR)
            return refuse_tmpdir(st, TMPDIR_MISSING, err, clean);
        return refuse_tmpdir(st, TMPDIR_UNRESOLVED, err, clean);
    }
    /* A file that is not a directory resolves, and Qt puts its key files
     * under it, where no file can be made (ENOTDIR). */
    if (stat(real, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        err = refuse_tmpdir(st, TMPDIR_NOT_DIR, ENOTDIR, real);
        free(real);
        errno = ENOTDIR;
        return err;
    }
    n = strlen(real);
    if (buf == NULL || n >= len) {
        free(real);
        errno = ENAMETOOLONG;
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "registry: the default directory ($TMPDIR) "
                                 "is longer than PATH_MAX (%d)",
                                 PATH_MAX);
    }
    memcpy(buf, real, n + 1);
    free(real);
    return 0;
}

/* Letters by byte value: isalpha() would follow the locale, Qt's
 * [^A-Za-z] does not. */
static int ascii_letter(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int xsipc__reg_file_name(xsipc__kind kind, const char *name, char *buf,
                         size_t len, xsipc_status *st)
{
    static const char hex[] = "0123456789abcdef";
    const char *prefix;
    char shown[XSIPC__NAME_BUF];
    unsigned char digest[20];
    size_t name_len, letters = 0, need, pos, i;

    if (kind == XSIPC__KIND_SHM)
        prefix = XSIPC__SHM_PREFIX;
    else if (kind == XSIPC__KIND_SEM)
        prefix = XSIPC__SEM_PREFIX;
    else
        return xsipc__status_set(st, XSIPC_INVALID_ARGUMENT, "unknown kind %d",
                                 (int)kind);
    /* Qt refuses an empty key too (QSharedMemory: "key is empty"): its
     * file name would be the same for every program. */
    if (name == NULL || name[0] == '\0')
        return xsipc__status_set(st, XSIPC_KEY_ERROR, "the key is empty");

    name_len = strlen(name);
    for (i = 0; i < name_len; i++)
        if (ascii_letter((unsigned char)name[i]))
            letters++;
    need = strlen(prefix) + letters + XSIPC__HASH_DIGITS;
    /* Qt would build the name anyway and fail at open with ENAMETOOLONG;
     * saying why is kinder. */
    if (need > NAME_MAX)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "the key's file name would be %zu bytes, over NAME_MAX (%d): key "
            "\"%s\"",
            need, NAME_MAX, xsipc__status_name(name, shown));
    if (buf == NULL || need >= len)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "the key's file name needs %zu bytes, the buffer has %zu: key "
            "\"%s\"",
            need + 1, buf == NULL ? (size_t)0 : len,
            xsipc__status_name(name, shown));

    pos = strlen(prefix);
    memcpy(buf, prefix, pos);
    for (i = 0; i < name_len; i++)
        if (ascii_letter((unsigned char)name[i]))
            buf[pos++] = name[i];
    /* The name's bytes as given: a C caller's string is taken to be the
     * UTF-8 that Qt's QString::toUtf8() would produce for the same key. */
    xsipc__sha1(name, name_len, digest);
    for (i = 0; i < sizeof digest; i++) {
        buf[pos++] = hex[digest[i] >> 4];
        buf[pos++] = hex[digest[i] & 0xf];
    }
    buf[pos] = '\0';
    return 0;
}
