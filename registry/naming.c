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

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsipc.h"
#include "registry/registry.h"

/* POSIX lets <limits.h> leave NAME_MAX out when it varies by file system;
 * Linux defines it as 255, the limit of every common local file system. */
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

int xsipc__reg_default_dir(char *buf, size_t len)
{
    const char *env = getenv("TMPDIR");
    const char *dir = "/tmp";
    char *real = NULL;
    size_t n;

    /* Qt takes an empty TMPDIR as unset.  A TMPDIR that does not resolve
     * (missing, a dangling link, no search permission) is skipped too, so
     * the registry still has a home; Qt would fail every key in it. */
    if (env != NULL && env[0] != '\0')
        real = realpath(env, NULL);
    if (real != NULL)
        dir = real;
    n = strlen(dir);
    if (buf == NULL || n >= len) {
        free(real);
        return -XSIPC_KEY_ERROR;
    }
    memcpy(buf, dir, n + 1);
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
