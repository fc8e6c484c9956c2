/* SPDX-License-Identifier: MIT */
/*
 * busy.h -- a flag that one thread at a time may hold, for the process's
 * small tables (the default registry's cache, the lookups, the idle key
 * files; private).  Taking it never waits: a thread that finds it taken
 * does without the table, which only ever saves work.  Without GCC's
 * atomics it is never had, and the tables are never used.
 */
#ifndef XSIPC_BUSY_H
#define XSIPC_BUSY_H

#include <sched.h>

/* 1 when the caller now holds *flag, 0 when another thread does. */
static inline int xsipc__busy_take(int *flag)
{
#if defined(__GNUC__)
    return __atomic_exchange_n(flag, 1, __ATOMIC_ACQUIRE) == 0;
#else
    (void)flag;
    return 0;
#endif
}

/* For the ends of a table (a close, the process's exit), which must not
 * skip it: waits for *flag, yielding; 1 once held.  Without atomics no
 * entry was ever made, and 0 says there is nothing to wait for. */
static inline int xsipc__busy_wait(int *flag)
{
#if defined(__GNUC__)
    while (!xsipc__busy_take(flag))
        (void)sched_yield();
    return 1;
#else
    (void)flag;
    return 0;
#endif
}

static inline void xsipc__busy_give(int *flag)
{
#if defined(__GNUC__)
    __atomic_store_n(flag, 0, __ATOMIC_RELEASE);
#else
    (void)flag;
#endif
}

#endif /* XSIPC_BUSY_H */
