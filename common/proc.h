/* SPDX-License-Identifier: MIT */
/*
 * proc.h -- what /proc says about processes (private; common/proc.c): a
 * process's start time, which with its pid tells it from a later process
 * that reuses the pid.
 */
#ifndef XSIPC_PROC_H
#define XSIPC_PROC_H

#include <sys/types.h>
#include <time.h>

/* The start time (field 22: clock ticks since boot) in stat, the text of a
 * /proc/PID/stat file, NUL-terminated.  0 with *ticks set, or -1 when the
 * text does not have it. */
int xsipc__proc_stat_start(const char *stat, unsigned long long *ticks);

/* The start time of this process (clock ticks since boot), cached per
 * pid.  0 when /proc cannot say. */
unsigned long long xsipc__proc_self_start(void);

/* The same, with this process's pid in *pid: one getpid() for both. */
unsigned long long xsipc__proc_self(pid_t *pid);

/* Non-zero when the process pid, which created an object at time
 * created, is gone: no such process, or one started after that time (a
 * reused pid).  0 when it is alive or that cannot be told. */
int xsipc__proc_gone(pid_t pid, time_t created);

#endif /* XSIPC_PROC_H */
