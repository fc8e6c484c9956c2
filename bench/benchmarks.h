/* SPDX-License-Identifier: MIT */
/*
 * benchmarks.h -- the eight benchmarks of xsipc-bench, a file each; each
 * adds its rows to the table (harness.h) and fills them.
 */
#ifndef XSIPC_BENCH_BENCHMARKS_H
#define XSIPC_BENCH_BENCHMARKS_H

void bench_lock(void);    /* 1. lock.c */
void bench_handoff(void); /* 2. handoff.c */
void bench_create(void);  /* 3. create.c */
void bench_resolve(void); /* 4. resolve.c */
void bench_bulk(void);    /* 5. bulk.c */
void bench_attach(void);  /* 6. attach.c */
void bench_inodes(void);  /* 7. inodes.c */
void bench_channel(void); /* 8. channel.c */

/* 1.: the semop calls of one xsipc lock+unlock pair, as ptrace counted
 * them beside all its system calls (lock.c); -1 when not counted. */
extern double xsipc_pair_semops;

/* `--pairs KIND N` (lock.c): set up, N pairs, tear down; the program
 * benchmark 1 runs under callgrind and ptrace.  Returns main's exit
 * status. */
int pairs_mode(const char *what, const char *count);

#endif
