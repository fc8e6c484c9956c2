/* SPDX-License-Identifier: MIT */
/*
 * error.c -- error texts and names, generated from XSIPC_ERROR_TABLE in
 * xsipc.h.
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

#define XSIPC_ERROR_NAME_(name, value, text) [value] = #name,
static const char *const names[] = {XSIPC_ERROR_TABLE(XSIPC_ERROR_NAME_)};
#undef XSIPC_ERROR_NAME_

const char *xsipc_error_name(xsipc_error code)
{
    /* The table's values are dense, but a gap would leave a NULL slot:
     * the caller gets the fallback name then, never NULL. */
    if ((unsigned)code >= sizeof names / sizeof names[0] || names[code] == NULL)
        return "XSIPC_UNRECOGNISED_ERROR";
    return names[code];
}
