/* SPDX-License-Identifier: MIT */
/*
 * pin.c -- pins a process to one CPU, for benchmark 2 (handoff.c, and the
 * Qt 5 contender's handoff in qt5_bench.cpp, which links this file too).
 *
 * Why: the two handoff processes must run on two different cores at the
 * same time.  Left to the scheduler they often share one and take turns
 * by time slice; the lock then almost never changes hands, and the rate
 * measures nothing but an uncontended lock.
 */
#include <config.h>

#include <sched.h>

#include "bench/pin.h"

int pin(const cpu_set_t *all, int nth)
{
    cpu_set_t one;

    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, all) || seen++ != nth)
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return sched_setaffinity(0, sizeof one, &one) == 0;
    }
    return 0;
}
