/* SPDX-License-Identifier: MIT */
/*
 * main.c -- `make bench`: xsipc measured side by side with raw System V
 * calls, Qt 5's QSharedMemory, a robust process-shared pthread mutex and a
 * POSIX semaphore, in one run on one machine.
 *
 * Usage: xsipc-bench [--out=FILE] [--qt5=PATH] [--valgrind=PATH]
 *                    [--rounds=N] [--only=1..8] [--revision=GIT] [--quick]
 *        xsipc-bench --pairs raw|xsipc|pthread|posix N   (callgrind, ptrace)
 *
 * Eight benchmarks, a file each (bench/RESULTS.md holds the table of one
 * run): 1. uncontended lock+unlock (lock.c; its system calls counted by
 * syscalls.c), 2. two-process handoff (handoff.c), 3. create(4096)+detach
 * cycles (create.c), 4. resolving a known name (resolve.c), 5. 1 GiB
 * through a segment (bulk.c), 6. attach+lock+read+unlock+detach of an
 * existing segment (attach.c), 7. inodes per create(4096)+free, counted
 * on a tmpfs of its own (inodes.c), 8. messages through an xsipc channel
 * against the kernel's queues, pipes and sockets (channel.c, its
 * contenders in chan_peers.c).  The contenders are in contenders.c,
 * the settings, the clean-up and the table in harness.c, the report in
 * report.c.
 *
 * Method: ratios against a baseline run in the same process, in
 * alternating rounds, rather than absolute numbers, which depend on the
 * machine and its load; exact counts (callgrind's instructions, ptrace's
 * system calls, the handoff's counter, inode numbers) where a count can be
 * had.
 */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/harness.h"

int main(int argc, char **argv)
{
    static void (*const benchmark[])(void) = {
        bench_lock, bench_handoff, bench_create, bench_resolve,
        bench_bulk, bench_attach,  bench_inodes, bench_channel,
    };
    double t0 = now();

    main_pid = getpid();
    if (argc == 4 && strcmp(argv[1], "--pairs") == 0)
        return pairs_mode(argv[2], argv[3]);
    parse_options(argc, argv);
    harness_start();
    for (int i = 0; i < 8; i++)
        if (only == 0 || only == i + 1)
            benchmark[i]();
    report(now() - t0);
    harness_end();
    return 0;
}
