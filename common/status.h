/* SPDX-License-Identifier: MIT */
/*
 * status.h -- messages in an xsipc_status, and names and paths quoted for
 * them (private; common/quote.c and common/status.c).  The bottom layer:
 * every other layer of the library reports through these, and they use
 * nothing of the library but the public header's types.
 */
#ifndef XSIPC_STATUS_H
#define XSIPC_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#include "xsipc.h"

/*
 * Every message reads "OPERATION: CAUSE: OBJECT", the object last and
 * ending with its path, shortened in the middle to the room the rest
 * leaves, so that the cause is never cut (common/status.c says why).
 */

/* What a message shows of a name at the most: its first and last bytes
 * (quoted), joined by "..."; XSIPC__NAME_BUF holds it. */
#define XSIPC__NAME_HEAD 24
#define XSIPC__NAME_TAIL 16
#define XSIPC__NAME_BUF (XSIPC__NAME_HEAD + 3 + XSIPC__NAME_TAIL + 1)
/* Bytes a message made below the public layer leaves for "operation: "
 * (the longest public function name is 25 bytes). */
#define XSIPC__OP_ROOM 32

/*
 * Copies s into buf (len bytes) for a message: control characters, DEL and
 * malformed UTF-8 as \xNN, '"' and '\\' backslashed, whole characters
 * only.  When the quoted text is longer than head + 3 + tail bytes (or
 * than buf), its middle goes: at most head bytes of its start and tail of
 * its end are kept, joined by "...".  Returns buf ("" when buf is NULL or
 * len is 0).
 */
const char *xsipc__status_quote(const char *s, size_t head, size_t tail,
                                char *buf, size_t len);
/* xsipc__status_quote of a name with the budget above. */
const char *xsipc__status_name(const char *name, char buf[XSIPC__NAME_BUF]);

/* Fills st (when not NULL) with code and a printf-style message that has
 * no path in it (the cause alone, or a cause and a quoted name). */
int xsipc__status_set(xsipc_status *st, xsipc_error code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Fills st (when not NULL) with code and the message "CAUSE: OBJECT": fmt
 * makes the cause, what ("key file ", "directory ", "\"share\", key file ")
 * introduces the path dir/file (dir NULL: file is the whole path), which
 * comes last, quoted and shortened in its middle to the room left, with
 * XSIPC__OP_ROOM bytes kept free.  Returns -code; errno is kept.
 */
int xsipc__status_path(xsipc_status *st, xsipc_error code, const char *what,
                       const char *dir, const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
int xsipc__status_vpath(xsipc_status *st, xsipc_error code, const char *what,
                        const char *dir, const char *file, const char *fmt,
                        va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 0)))
#endif
    ;

/* Clears st (code 0, empty text). */
void xsipc__status_clear(xsipc_status *st);
/* Puts "op: " before st's text (a message from a lower layer, which left
 * XSIPC__OP_ROOM bytes for it); returns -st->code. */
int xsipc__status_prefix(xsipc_status *st, const char *op);
/*
 * Fails st with code and the message about a handle's object: "op: CAUSE:
 * \"NAME\", key file PATH" -- fmt makes the cause, qname is the name as
 * messages show it (xsipc__status_name), dir/file (dir NULL: file alone)
 * the key file, left out while file is NULL or "".  Returns -code; errno
 * is kept.
 */
int xsipc__status_named(xsipc_status *st, xsipc_error code, const char *op,
                        const char *qname, const char *dir, const char *file,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

#endif /* XSIPC_STATUS_H */
