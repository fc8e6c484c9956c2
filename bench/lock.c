/* SPDX-License-Identifier: MIT */
/*
 * lock.c -- benchmark 1: uncontended lock+unlock pairs in one process,
 * xsipc against a raw semop(SEM_UNDO) pair on a one-semaphore set (the
 * baseline), Qt 5's QSharedMemory, a robust process-shared pthread mutex
 * and a process-shared POSIX semaphore.
 *
 * Method: pairs per second, in rounds of about `budget` seconds with the
 * clock read once per 1000 pairs, the contenders alternating; the ratio
 * against the raw pair of the same run says what the library adds to the
 * system call it cannot avoid.  With valgrind, also the exact user-space
 * instructions per pair: callgrind counts a run of N=2000 pairs and one of
 * N=1000 (this program's --pairs mode, or qt5-bench's), and the difference
 * over 1000 leaves out start-up, set-up and tear-down, which both runs do
 * alike.  Counts do not depend on load, so one measurement each.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"

/* Pairs per second over one round of about `budget` seconds; the clock is
 * read once per batch of 1000 pairs so it costs nothing per pair. */
static double pair_rate(locker *l)
{
    double t0 = now(), t;
    long done = 0;

    do {
        locker_pairs(l, 1000);
        done += 1000;
        t = now();
    } while (t - t0 < budget);
    return (double)done / (t - t0);
}

/* The user-space instructions callgrind counts for a program run. */
static double callgrind_total(char *const prog[])
{
    char out_file[PATH_MAX + 32], opt[PATH_MAX + 64], buf[256];
    char *argv[16];
    int i = 0, j, rc;
    double total = -1;
    FILE *f;

    snprintf(out_file, sizeof out_file, "%s/callgrind.out", work);
    snprintf(opt, sizeof opt, "--callgrind-out-file=%s", out_file);
    argv[i++] = (char *)valgrind_path;
    argv[i++] = "--tool=callgrind";
    argv[i++] = "-q";
    argv[i++] = opt;
    for (j = 0; prog[j] != NULL && i < 15; j++)
        argv[i++] = prog[j];
    argv[i] = NULL;
    rc = run(argv, buf, sizeof buf);
    if (rc != 0)
        die("valgrind %s: exit %d", prog[0], rc);
    if ((f = fopen(out_file, "r")) == NULL)
        die("%s: %s", out_file, strerror(errno));
    /* "summary: N" (or "totals: N") is the whole run's Ir count. */
    while (fgets(buf, sizeof buf, f) != NULL)
        if (strncmp(buf, "summary:", 8) == 0 || strncmp(buf, "totals:", 7) == 0)
            total = strtod(strchr(buf, ':') + 1, NULL);
    fclose(f);
    unlink(out_file);
    if (total < 0)
        die("%s: no summary line", out_file);
    return total;
}

/* Instructions per pair: N=2000 minus N=1000, over 1000.  Both runs do
 * the same set-up and tear-down, so only the 1000 extra pairs remain. */
static double per_pair(char *prog, char *mode, char *what)
{
    char *a[] = {prog, mode, what, "1000", NULL};
    char *b[] = {prog, mode, what, "2000", NULL};

    return (callgrind_total(b) - callgrind_total(a)) / 1000.0;
}

void bench_lock(void)
{
    static const char title[] = "1. lock+unlock, one process";
    static const char instr[] = "1. instructions per pair";
    static const struct {
        kind k;
        const char *who, *mode;
    } c[] = {
        {RAW, "raw semop(SEM_UNDO) pair, 1-semaphore set", "raw"},
        {XSIPC, "xsipc_shm_lock/unlock", "xsipc"},
        {PTHREAD, "robust process-shared pthread mutex", "pthread"},
        {POSIX, "POSIX sem_wait/sem_post (process-shared)", "posix"},
    };
    enum { NC = sizeof c / sizeof c[0] };
    locker l[NC];
    int row_of[NC + 1], irow[NC + 1], base, qt_row = -1;
    char ms[32];

    snprintf(ms, sizeof ms, "%ld", (long)(budget * 1000));
    base = add_row(title, c[0].who, "pairs/s", -1, "");
    rows[base].base = base;
    row_of[0] = base;
    for (int i = 1; i < NC; i++) {
        row_of[i] = add_row(title, c[i].who, "pairs/s", base, "raw");
        if (c[i].k == XSIPC) {
            qt_row = add_row(title, "Qt5 QSharedMemory lock/unlock", "pairs/s",
                             base, "raw");
            row_of[NC] = qt_row;
        }
    }
    if (qt5_path == NULL)
        snprintf(rows[qt_row].note, sizeof rows[qt_row].note,
                 "not built (Qt5Core not found)");

    for (int i = 0; i < NC; i++)
        locker_open(&l[i], c[i].k, "lock");
    fprintf(stderr, "xsipc-bench: 1. lock+unlock pairs, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++) {
        /* NC C contenders and Qt, in an order rotated each round. */
        for (int j = 0; j <= NC; j++) {
            int i = (j + r) % (NC + 1);
            if (i < NC) {
                put(row_of[i], pair_rate(&l[i]));
            } else if (qt5_path != NULL) {
                const char *args[] = {"lock", "qtlock", ms, NULL};
                double v[2];
                qt5(args, v, 2);
                put(qt_row, v[0] / (v[1] * 1e-9));
            }
        }
    }
    for (int i = 0; i < NC; i++)
        locker_close(&l[i]);

    /* Instruction counts: deterministic, so one measurement each. */
    irow[0] = add_row(instr, c[0].who, "instr/pair", -1, "");
    rows[irow[0]].base = irow[0];
    for (int i = 1; i < NC; i++) {
        irow[i] = add_row(instr, c[i].who, "instr/pair", irow[0], "raw");
        if (c[i].k == XSIPC)
            irow[NC] = add_row(instr, "Qt5 QSharedMemory lock/unlock",
                               "instr/pair", irow[0], "raw");
    }
    for (int i = 0; i <= NC; i++) {
        row *r = &rows[irow[i]];
        if (valgrind_path == NULL || valgrind_path[0] == '\0') {
            snprintf(r->note, sizeof r->note,
                     "not measured (valgrind not found)");
            continue;
        }
        if (i == NC && qt5_path == NULL) {
            snprintf(r->note, sizeof r->note, "not built (Qt5Core not found)");
            continue;
        }
        fprintf(stderr, "xsipc-bench: 1. callgrind: %s\n", r->who);
        if (i < NC)
            put(irow[i], per_pair(self, "--pairs", (char *)c[i].mode));
        else
            put(irow[i], per_pair((char *)qt5_path, "pairs", "qtcg"));
        snprintf(r->note, sizeof r->note, "callgrind, (N=2000 - N=1000)/1000");
    }
}

/* `--pairs KIND N`: set up, N pairs, tear down; run under callgrind. */
int pairs_mode(const char *what, const char *count)
{
    static const char *names[] = {"raw", "xsipc", "pthread", "posix"};
    long n = strtol(count, NULL, 10);
    locker l;
    int k;

    for (k = 0; k < 4; k++)
        if (strcmp(what, names[k]) == 0)
            break;
    if (k == 4 || n <= 0)
        die("--pairs raw|xsipc|pthread|posix N");
    locker_open(&l, (kind)k, "callgrind");
    locker_pairs(&l, n);
    locker_close(&l);
    return 0;
}
