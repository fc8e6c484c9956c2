/* SPDX-License-Identifier: MIT */
/*
 * error.c -- error texts (generated from XSIPC_ERROR_TABLE in xsipc.h) and
 * the helpers that keep an operation's error and message.
 */
#include <config.h>

#include <string.h>

#include "private.h"

#define XSIPC_ERROR_TEXT_(name, value, text) [value] = text,
static const char *const texts[] = {XSIPC_ERROR_TABLE(XSIPC_ERROR_TEXT_)};
#undef XSIPC_ERROR_TEXT_

const char *xsipc_strerror(xsipc_error code)
{
    if ((unsigned)code >= sizeof texts / sizeof texts[0] || texts[code] == NULL)
        return "unrecognised xsipc error code";
    return texts[code];
}

void xsipc__status_clear(xsipc_status *st)
{
    st->code = XSIPC_NO_ERROR;
    st->text[0] = '\0';
}

int xsipc__status_prefix(xsipc_status *st, const char *op)
{
    size_t oplen = strlen(op) + 2, len = strlen(st->text);

    if (oplen >= sizeof st->text)
        oplen = sizeof st->text - 1;
    if (len > sizeof st->text - 1 - oplen)
        len = sizeof st->text - 1 - oplen; /* the end of the cause goes */
    memmove(st->text + oplen, st->text, len);
    st->text[oplen + len] = '\0';
    memcpy(st->text, op, oplen - 2);
    st->text[oplen - 2] = ':';
    st->text[oplen - 1] = ' ';
    return -(int)st->code;
}
