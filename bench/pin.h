/* SPDX-License-Identifier: MIT */
/*
 * pin.h -- pinning a process to one CPU (see pin.c), for the handoff
 * benchmark of both bench programs: xsipc-bench (C) and qt5-bench (C++).
 */
#ifndef XSIPC_BENCH_PIN_H
#define XSIPC_BENCH_PIN_H

#include <sched.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pins the calling process to the nth CPU of the set `all`; 1 when done,
 * 0 when the set has fewer CPUs or the kernel refused. */
int pin(const cpu_set_t *all, int nth);

#ifdef __cplusplus
}
#endif

#endif
