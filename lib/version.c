/* SPDX-License-Identifier: MIT */
/* version.c -- the library's version string. */
#include <config.h>

#include "xsipc.h"

const char *xsipc_version(void)
{
    return XSIPC_VERSION_STRING;
}
