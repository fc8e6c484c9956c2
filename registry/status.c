/* SPDX-License-Identifier: MIT */
/*
 * status.c -- filling an xsipc_status: an error code and its message.
 *
 * The registry has no handle to keep an error in, so each of its functions
 * reports through a caller-supplied xsipc_status; the public objects then
 * prefix the message with their operation's name.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "xsipc.h"
#include "registry/registry.h"

int xsipc__status_set(xsipc_status *st, xsipc_error code, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (st != NULL) {
        st->code = code;
        va_start(ap, fmt);
        /* vsnprintf truncates a long message to the buffer, always with
         * its terminating NUL; a cut message is still the best report. */
        (void)vsnprintf(st->text, sizeof st->text, fmt, ap);
        va_end(ap);
    }
    /* The caller's errno describes the failure being reported; formatting
     * it (vsnprintf may touch errno on encoding errors) must not hide it. */
    errno = saved;
    return -(int)code;
}
