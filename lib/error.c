/* SPDX-License-Identifier: MIT */
/*
 * error.c -- error texts, generated from XSIPC_ERROR_TABLE in xsipc.h.
 * The messages kept with an error are made by common/status.c.
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
