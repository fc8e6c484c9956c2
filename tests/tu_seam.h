/* SPDX-License-Identifier: MIT */
/*
 * tu_seam.h -- a child stopped at a call site of the lib/sysv seam, so
 * that a second process can be run into exactly the window that opens
 * there (tests/tu_child.c).
 */
#ifndef XSIPC_TU_SEAM_H
#define XSIPC_TU_SEAM_H

#include "private.h"

/* Set with xsipc__sys_set_hook (before the call) or xsipc__sys_set_after
 * (after it): once armed, the next call of kind call writes 's' to ready
 * and waits for a byte on go; then the hook disarms itself.  A child
 * whose pipe breaks exits with 20. */
typedef struct tu_stop {
    xsipc__sys_call call;
    int armed;
    int ready; /* write end: "stopped" */
    int go;    /* read end: "go on" */
} tu_stop;

int tu_stop_hook(xsipc__sys_call call, void *arg);
/* A hook that lets every call through (to clear one). */
int tu_pass_hook(xsipc__sys_call call, void *arg);

#endif /* XSIPC_TU_SEAM_H */
