/* SPDX-License-Identifier: MIT */
/*
 * bulk.c -- benchmark 5: 1 GiB written into a 64 MiB xsipc segment and
 * read back, in 1 MiB chunks each under the lock, against memcpy between
 * private buffers (the baseline).
 *
 * Method: GiB per second over both directions, the two contenders
 * alternating round by round; every page is touched before timing, and
 * the private buffers are page-aligned like the segment, so that the
 * ratio is the price of the shared mapping and the lock, not of page
 * faults or alignment.  What came back is compared with what went in.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"

/* bulk_bytes copied from `from` to `to` in 1 MiB chunks, each under the
 * lock when l is not NULL; the span bytes of both are reused cyclically. */
static void chunks(locker *l, char *to, const char *from, long span)
{
    long n = bulk_bytes / MIB;

    for (long i = 0; i < n; i++) {
        long off = (i * MIB) % span;
        if (l != NULL)
            locker_lock(l);
        memcpy(to + off, from + off, MIB);
        if (l != NULL)
            locker_unlock(l);
    }
}

/* Writes bulk_bytes from src into seg and reads them back into dst; the
 * 64 MiB buffers are reused cyclically. */
static double bulk_round(locker *l, char *seg, const char *src, char *dst,
                         long span)
{
    double t0 = now();

    chunks(l, seg, src, span);
    chunks(l, dst, seg, span);
    /* GiB moved per second, both directions counted. */
    return 2.0 * (double)bulk_bytes / (double)(1L << 30) / (now() - t0);
}

/*
 * len bytes of private memory, page-aligned like the segment: memcpy's
 * speed depends on how source and destination sit against each other
 * modulo 4096 (loads that seem to alias a pending store wait for it), and
 * with malloc's 16-byte offset the baseline alone would pay for that.
 */
static char *pages(long len)
{
    void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        die("mmap %ld bytes: %s", len, strerror(errno));
    return p;
}

void bench_bulk(void)
{
    static const char title[] = "5. 1 GiB write + read, 1 MiB chunks";
    const long span = 64 * MIB;
    char *src = pages(span), *dst = pages(span), *priv = pages(span);
    locker l;
    int rm, rx;

    xsipc_shm *s = xsipc_shm_new("bulk");
    if (s == NULL || xsipc_shm_create(s, (size_t)span, XSIPC_READ_WRITE) != 0)
        die("create 64 MiB: %s", xsipc_shm_error_string(s));
    memset(&l, 0, sizeof l);
    l.k = XSIPC;
    l.shm = s;
    /* Every page touched before timing: page faults are a one-time cost
     * of either side, not part of the copy being compared. */
    for (long i = 0; i < span; i++)
        src[i] = (char)(i * 131 + (i >> 20));
    memset(dst, 0, (size_t)span);
    memset(priv, 0, (size_t)span);
    memset(xsipc_shm_data(s), 0, (size_t)span);

    rm = add_baseline(title, "memcpy between private buffers", "GiB/s");
    rx = add_row(title, "xsipc segment, lock+memcpy+unlock", "GiB/s", rm,
                 "memcpy");
    set_note(rm,
             "%ld MiB memcpy'd into a 64 MiB page-aligned private buffer "
             "(reused cyclically) and back out, 1 MiB per memcpy",
             bulk_bytes / MIB);
    set_note(rx,
             "the same through a 64 MiB xsipc segment, each 1 MiB memcpy "
             "under xsipc_shm_lock/unlock: 2 x %ld pairs per round",
             bulk_bytes / MIB);
    fprintf(stderr, "xsipc-bench: 5. bulk data, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 2; j++) {
            if ((j + r) % 2 == 0)
                put(rm, bulk_round(NULL, priv, src, dst, span));
            else
                put(rx, bulk_round(&l, xsipc_shm_data(s), src, dst, span));
        }
    /* The copies are real: what came back is what went in. */
    if (memcmp(src, dst, (size_t)span) != 0)
        die("bulk: data read back differs");
    xsipc_shm_free(s);
    munmap(src, (size_t)span);
    munmap(dst, (size_t)span);
    munmap(priv, (size_t)span);
}
