/* SPDX-License-Identifier: MIT */
/*
 * stormkit.h -- what the two storms (tests/storm.c for locks and
 * segments, tests/chanstorm.c for channels) share: counters in shared
 * memory, a cheap random source, the clock, waiting for a worker, and
 * the count of what a run left behind.  Messages start with sk_prog.
 */
#ifndef STORMKIT_H
#define STORMKIT_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

/* How many leftovers (objects, files) a count names before it goes on
 * quietly. */
#define SK_SHOWN 5

/* "storm" or "chanstorm", set by main before anything is said. */
extern const char *sk_prog;

/* Sequentially consistent, for counters in a MAP_SHARED board. */
uint64_t sk_add(uint64_t *p); /* returns the value before */
uint64_t sk_get(uint64_t *p);
void sk_put(uint64_t *p, uint64_t v);

/* xorshift64*, one state per process: cheap, and good enough to pick
 * phases and moments; a worker seeds it with its incarnation's token. */
uint32_t sk_rnd(void);
void sk_seed_rnd(uint64_t seed);

int64_t sk_now_ms(void); /* CLOCK_MONOTONIC */
int64_t sk_now_us(void);
void sk_nap_us(long us); /* nanosleep, resumed after signals */

/* Waits at most ms for pid; 0 and its status when it ended, else -1. */
int sk_wait_for(pid_t pid, long ms, int *status);

/* "PROG: " and the message, on one line in one write (so that the lines
 * of many processes do not mix), while *count, advanced, was below
 * SK_SHOWN. */
void sk_report(uint64_t *count, const char *fmt, va_list ap);

/* The objects listed in a /proc/sysvipc file, the first few named. */
int sk_count_objects(const char *path);
/* The entries of dir, the first few named unless quiet; with remove,
 * deleted.  -1 when dir cannot be read. */
int sk_count_files(const char *dir, int remove, int quiet);

#endif /* STORMKIT_H */
