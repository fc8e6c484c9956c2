/* SPDX-License-Identifier: MIT */
/*
 * status.c -- error messages: an xsipc_status filled with a code and a
 * message that keeps its cause whatever the length of the paths and names
 * it shows.
 *
 * The registry has no handle to keep an error in, so each of its functions
 * reports through a caller-supplied xsipc_status; the public objects keep
 * one in their handle.  Every message of the library has one form:
 *
 *     OPERATION: CAUSE: OBJECT
 *
 *   OPERATION  the public call, put in front by the public layer
 *              (xsipc__status_prefix, below): "xsipc_shm_attach".
 *   CAUSE      what went wrong and why, as precisely as the layer that saw
 *              it can say: "cannot open the key file: Permission denied",
 *              "semget failed for key 0x51001234: No space left on device
 *              (the SEMMNI or SEMMNS limit is reached)".  Numbers, uids,
 *              modes and kernel limits belong here; a name may too, quoted.
 *   OBJECT     what it happened to, last, ending with its path: "key file
 *              /tmp/qipc_sharedmemory_share...", "directory /run/app",
 *              "\"share\", key file /tmp/qipc_systemsem_share...".  Messages
 *              about no file in particular ("the key is empty") have none.
 *
 * Why this order: the message lives in a fixed buffer (xsipc_status.text,
 * 256 bytes, part of the ABI), and the one part of it whose length nobody
 * bounds is a path ($TMPDIR may be thousands of bytes long).  A path put
 * in the middle pushes the cause out of the buffer.  Last, and shortened
 * to the room the rest leaves when it does not fit -- its middle replaced
 * by "...", keeping up to 40 of its first bytes (where: /tmp,
 * /run/user/1000) and as many of its last ones as there is room for
 * (which key file) -- it can cost nothing but some of its own middle.
 * A message stays at least one byte short of filling its buffer, so that
 * a full one always means a cut; one made below the public layer also
 * leaves XSIPC__OP_ROOM bytes free for the operation's name.
 *
 * Names and paths come from callers and the file system, so what a
 * message shows of them is escaped (xsipc__status_quote, quote.c): no
 * control character reaches a log or a terminal raw.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/status.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* Of a path too long for the room its message leaves, at most PATH_HEAD
 * bytes of its start are shown: where it is (/tmp, /run/user/1000).  The
 * rest of the room goes to its end: which key file. */
#define PATH_HEAD 40

/* Bytes of a status text a message fills at the most: one short of what
 * vsnprintf could fill, so that a message as long as its buffer allows is
 * always one that was cut. */
#define TEXT_ROOM (sizeof(((xsipc_status *)0)->text) - 2)

int xsipc__status_set(xsipc_status *st, xsipc_error code, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (st != NULL) {
        st->code = code;
        va_start(ap, fmt);
        /* Messages without a path are short by construction (names are
         * bounded when quoted); vsnprintf would still end a long one with
         * its NUL. */
        (void)vsnprintf(st->text, sizeof st->text, fmt, ap);
        va_end(ap);
    }
    /* The caller's errno describes the failure being reported; formatting
     * it (vsnprintf may touch errno on encoding errors) must not hide it. */
    errno = saved;
    return -(int)code;
}

/* Quotes dir/file (dir NULL: file is the whole path) into buf, shortened
 * to at most room bytes when it is longer: up to PATH_HEAD bytes of its
 * start (two fifths of the room at the most), "...", and its end. */
static void quote_path(const char *dir, const char *file, size_t room,
                       char *buf, size_t len)
{
    char joined[PATH_MAX + NAME_MAX + 2];
    const char *path = file;
    size_t inner, head;

    if (dir != NULL) {
        size_t n = strlen(dir);
        /* The root directory is the one whose name already ends in '/'. */
        (void)snprintf(joined, sizeof joined, "%s%s%s", dir,
                       n > 0 && dir[n - 1] == '/' ? "" : "/", file);
        path = joined;
    }
    if (room < 4 || room >= len) {
        buf[0] = '\0';
        return;
    }
    inner = room - 3;
    head = inner * 2 / 5;
    if (head > PATH_HEAD)
        head = PATH_HEAD;
    (void)xsipc__status_quote(path, head, inner - head, buf, room + 1);
}

/* xsipc__status_vpath, leaving reserve bytes free for the prefix. */
static void vpath(xsipc_status *st, xsipc_error code, size_t reserve,
                  const char *what, const char *dir, const char *file,
                  const char *fmt, va_list ap)
{
    size_t avail = TEXT_ROOM - reserve;
    int n;

    st->code = code;
    n = vsnprintf(st->text, sizeof st->text, fmt, ap);
    if (n < 0 || (size_t)n >= sizeof st->text)
        n = n < 0 ? 0 : (int)sizeof st->text - 1;
    n += snprintf(st->text + n, sizeof st->text - (size_t)n, ": %s", what);
    if ((size_t)n >= sizeof st->text)
        n = (int)sizeof st->text - 1;
    /* A cause that leaves no room for the operation's name still gets
     * some of the path: the prefix, not the cause, would then be cut. */
    if ((size_t)n + 16 > avail)
        avail = TEXT_ROOM;
    if ((size_t)n < avail)
        quote_path(dir, file != NULL ? file : "", avail - (size_t)n,
                   st->text + n, sizeof st->text - (size_t)n);
}

int xsipc__status_vpath(xsipc_status *st, xsipc_error code, const char *what,
                        const char *dir, const char *file, const char *fmt,
                        va_list ap)
{
    int saved = errno;

    if (st != NULL)
        vpath(st, code, XSIPC__OP_ROOM, what, dir, file, fmt, ap);
    errno = saved;
    return -(int)code;
}

int xsipc__status_path(xsipc_status *st, xsipc_error code, const char *what,
                       const char *dir, const char *file, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = xsipc__status_vpath(st, code, what, dir, file, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------ the public layer's part */

void xsipc__status_clear(xsipc_status *st)
{
    st->code = XSIPC_NO_ERROR;
    st->text[0] = '\0';
}

int xsipc__status_named(xsipc_status *st, xsipc_error code, const char *op,
                        const char *qname, const char *dir, const char *file,
                        const char *fmt, ...)
{
    char what[XSIPC__NAME_BUF + 16];
    int saved = errno;
    va_list ap;

    if (st == NULL)
        return -(int)code;
    /* A handle whose key file is not known yet is named by its name. */
    if (file == NULL || file[0] == '\0') {
        (void)snprintf(what, sizeof what, "\"%s\"", qname);
        dir = NULL;
        file = "";
    } else {
        (void)snprintf(what, sizeof what, "\"%s\", key file ", qname);
    }
    va_start(ap, fmt);
    vpath(st, code, strlen(op) + 2, what, dir, file, fmt, ap);
    va_end(ap);
    (void)xsipc__status_prefix(st, op);
    errno = saved;
    return -(int)code;
}

int xsipc__status_prefix(xsipc_status *st, const char *op)
{
    size_t oplen = strlen(op) + 2, len = strlen(st->text);

    if (oplen >= sizeof st->text)
        oplen = sizeof st->text - 1;
    if (len > sizeof st->text - 1 - oplen)
        len = sizeof st->text - 1 - oplen; /* the end of the path goes */
    memmove(st->text + oplen, st->text, len);
    st->text[oplen + len] = '\0';
    memcpy(st->text, op, oplen - 2);
    st->text[oplen - 2] = ':';
    st->text[oplen - 1] = ' ';
    return -(int)st->code;
}
