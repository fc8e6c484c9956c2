/* SPDX-License-Identifier: MIT */
/*
 * naming.c -- Qt's names: the default directory and key file names.
 *
 * QSharedMemory and QSystemSemaphore turn a key into a file name in the
 * temporary directory (DESIGN.md section 3); ftok of that file gives the
 * key_t.  xsipc computes the very same names so that a Qt program and an
 * xsipc program given the same key reach the same System V object.
 *
 * Names come from callers, so messages about them are escaped and bounded
 * here (xsipc__reg_quote): a name must never put terminal control
 * sequences into a log, nor overflow a status message.
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

#define SHM_PREFIX "qipc_sharedmemory_"
#define SEM_PREFIX "qipc_systemsem_"
#define HEX_DIGITS 40 /* a SHA-1 digest in hex */

/* Bytes of a caller's name shown in a message. */
#define NAME_SHOWN 40
/* Room for NAME_SHOWN bytes, each escaped as \xNN at worst, and "...". */
#define QUOTE_BUF (NAME_SHOWN * 4 + 4)

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

/*
 * Length of the well-formed UTF-8 sequence at p (Unicode 3.9, table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or 0.  A C1
 * control (U+0080..U+009F) counts as malformed: terminals act on it.
 */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        need = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        need = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        need = 4;
    else
        return 0;
    if (p[0] == 0xc2)
        lo = 0xa0;
    else if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    /* The terminating NUL fails every test below, so no byte past it is
     * read. */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < need; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return need;
}

const char *xsipc__reg_quote(const char *s, size_t max, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, pos = 0, k;
    char piece[8];
    int cut = 0;

    if (buf == NULL || len == 0)
        return "";
    buf[0] = '\0';
    if (s == NULL || len < 4)
        return buf;
    while (p[i] != '\0') {
        k = utf8_len(p + i);
        if (k == 0 || p[i] < 0x20 || p[i] == 0x7f) {
            (void)snprintf(piece, sizeof piece, "\\x%02x", p[i]);
            k = 1;
        } else if (p[i] == '"' || p[i] == '\\') {
            piece[0] = '\\';
            piece[1] = (char)p[i];
            piece[2] = '\0';
        } else {
            memcpy(piece, p + i, k);
            piece[k] = '\0';
        }
        /* Whole characters only, and always room left for "...". */
        if (i + k > max || pos + strlen(piece) + 4 > len) {
            cut = 1;
            break;
        }
        memcpy(buf + pos, piece, strlen(piece));
        pos += strlen(piece);
        i += k;
    }
    if (cut) {
        memcpy(buf + pos, "...", 3);
        pos += 3;
    }
    buf[pos] = '\0';
    return buf;
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
    char shown[QUOTE_BUF];
    unsigned char digest[20];
    size_t name_len, letters = 0, need, pos, i;

    if (kind == XSIPC__KIND_SHM)
        prefix = SHM_PREFIX;
    else if (kind == XSIPC__KIND_SEM)
        prefix = SEM_PREFIX;
    else
        return xsipc__status_set(st, XSIPC_INVALID_ARGUMENT,
                                 "key file name: unknown kind %d", (int)kind);
    /* Qt refuses an empty key too (QSharedMemory: "key is empty"): its
     * file name would be the same for every program. */
    if (name == NULL || name[0] == '\0')
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "key file name: the key is empty");

    name_len = strlen(name);
    for (i = 0; i < name_len; i++)
        if (ascii_letter((unsigned char)name[i]))
            letters++;
    need = strlen(prefix) + letters + HEX_DIGITS;
    /* Qt would build the name anyway and fail at open with ENAMETOOLONG;
     * saying why is kinder. */
    if (need > NAME_MAX)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "key file name for \"%s\" would be %zu bytes, over NAME_MAX (%d)",
            xsipc__reg_quote(name, NAME_SHOWN, shown, sizeof shown), need,
            NAME_MAX);
    if (buf == NULL || need >= len)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "key file name for \"%s\" needs %zu bytes, the buffer has %zu",
            xsipc__reg_quote(name, NAME_SHOWN, shown, sizeof shown), need + 1,
            buf == NULL ? (size_t)0 : len);

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
