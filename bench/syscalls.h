/* SPDX-License-Identifier: MIT */
/*
 * syscalls.h -- the system calls of a program run, counted exactly with
 * ptrace (see syscalls.c), for benchmark 1's "one semop each".
 */
#ifndef XSIPC_BENCH_SYSCALLS_H
#define XSIPC_BENCH_SYSCALLS_H

/* Runs argv (a full path, stdout to /dev/null) traced, and counts its
 * system calls: *all of them, *semops the semop and semtimedop calls.
 * 0, or -1 when tracing is not possible here (why says why); a traced
 * program that fails ends the run. */
int count_syscalls(char *const argv[], long *all, long *semops, char *why,
                   size_t len);

#endif
