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
 * alike.  And the exact system calls per pair, counted with ptrace
 * (syscalls.c) by the same difference: the aim is one semop each for lock
 * and unlock, and nothing else.  Counts do not depend on load, so one
 * measurement each.
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
#include "bench/syscalls.h"

double xsipc_pair_semops = -1;

/* The C contenders, in the table's order (Qt's row follows xsipc's); mode
 * is the name --pairs knows the kind by, what the pair it makes. */
static const struct {
    kind k;
    const char *who, *mode, *what;
} c[] = {
    {RAW, "raw semop(SEM_UNDO) pair, 1-semaphore set", "raw",
     "semop -1 + semop +1, SEM_UNDO, on an IPC_PRIVATE set of 1 semaphore "
     "(value 1)"},
    {XSIPC, "xsipc_shm_lock/unlock", "xsipc",
     "xsipc_shm_lock + xsipc_shm_unlock of a 4096-byte segment in the "
     "default registry"},
    {PTHREAD, "robust process-shared pthread mutex", "pthread",
     "pthread_mutex_lock + unlock, PTHREAD_PROCESS_SHARED and "
     "PTHREAD_MUTEX_ROBUST, in a MAP_SHARED page"},
    {POSIX, "POSIX sem_wait/sem_post (process-shared)", "posix",
     "sem_wait + sem_post, sem_init(pshared 1, value 1) in a MAP_SHARED "
     "page"},
};
enum { NC = sizeof c / sizeof c[0] };

static const char qt_who[] = "Qt5 QSharedMemory lock/unlock";
static const char qt_what[] = "QSharedMemory::lock + unlock of a 4096-byte "
                              "segment qt5-bench created";

/* One batch of 1000 pairs, for per_second. */
static void thousand_pairs(void *l)
{
    locker_pairs(l, 1000);
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

/* Adds the rows of one table of 1., the raw pair its baseline; row_of[i]
 * is c[i]'s row, row_of[NC] Qt's. */
static void contender_rows(const char *title, const char *unit,
                           int row_of[NC + 1])
{
    row_of[0] = add_baseline(title, c[0].who, unit);
    for (int i = 1; i < NC; i++) {
        row_of[i] = add_row(title, c[i].who, unit, row_of[0], "raw");
        if (c[i].k == XSIPC)
            row_of[NC] = add_row(title, qt_who, unit, row_of[0], "raw");
    }
    if (qt5_path == NULL)
        set_note(row_of[NC], "%s", no_qt5);
}

/* The note of row i of a count of 1.: the tool, the program it ran and
 * the difference taken, then the extra fact (or ""). */
static void count_note(int row, int i, const char *tool, const char *extra)
{
    if (i < NC)
        set_note(row,
                 "%s of `xsipc-bench --pairs %s N` (set up, N pairs: %s; "
                 "tear down), (N=2000 - N=1000)/1000%s",
                 tool, c[i].mode, c[i].what, extra);
    else
        set_note(row,
                 "%s of `qt5-bench pairs NAME N` (create, N pairs: %s; "
                 "detach), (N=2000 - N=1000)/1000%s",
                 tool, qt_what, extra);
}

/* Pairs per second, every contender once per round. */
static void rates(void)
{
    int row_of[NC + 1];
    locker l[NC];
    char ms[32];
    double v[2];

    snprintf(ms, sizeof ms, "%ld", (long)(budget * 1000));
    const char *args[] = {"lock", "qtlock", ms, NULL};
    contender_rows("1. lock+unlock, one process", "pairs/s", row_of);
    for (int i = 0; i < NC; i++) {
        locker_open(&l[i], c[i].k, "lock");
        set_note(row_of[i], "%s; the clock read once per 1000 pairs",
                 c[i].what);
    }
    if (qt5_path != NULL)
        set_note(row_of[NC],
                 "%s, timed by qt5-bench lock itself; the clock read once "
                 "per 1000 pairs",
                 qt_what);
    fprintf(stderr, "xsipc-bench: 1. lock+unlock pairs, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++) {
        /* NC C contenders and Qt, in an order rotated each round. */
        for (int j = 0; j <= NC; j++) {
            int i = (j + r) % (NC + 1);
            if (i < NC) {
                put(row_of[i], per_second(thousand_pairs, &l[i], 1000));
            } else if (qt5_path != NULL) {
                qt5(args, v, 2);
                put(row_of[NC], v[0] / (v[1] * 1e-9));
            }
        }
    }
    for (int i = 0; i < NC; i++)
        locker_close(&l[i]);
}

/* Instruction counts: deterministic, so one measurement each. */
static void instructions(void)
{
    int row_of[NC + 1];

    contender_rows("1. instructions per pair", "instr/pair", row_of);
    for (int i = 0; i <= NC; i++) {
        row *r = &rows[row_of[i]];
        if (valgrind_path == NULL || valgrind_path[0] == '\0') {
            set_note(row_of[i], "not measured (valgrind not found)");
            continue;
        }
        if (i == NC && qt5_path == NULL)
            continue; /* the note says why */
        fprintf(stderr, "xsipc-bench: 1. callgrind: %s\n", r->who);
        if (i < NC)
            put(row_of[i], per_pair(self, "--pairs", (char *)c[i].mode));
        else
            put(row_of[i], per_pair((char *)qt5_path, "pairs", "qtcg"));
        count_note(row_of[i], i, "callgrind", "");
    }
}

/* The system calls of the N=2000 run minus the N=1000 run's, over 1000,
 * all of them in *all and semop/semtimedop in *semops; 0, or -1 with why
 * when they cannot be counted here. */
static int syscalls_per_pair(char *prog, char *mode, char *what, double *all,
                             double *semops, char *why, size_t len)
{
    char *a[] = {prog, mode, what, "1000", NULL};
    char *b[] = {prog, mode, what, "2000", NULL};
    long all_a, all_b, sem_a, sem_b;

    if (count_syscalls(a, &all_a, &sem_a, why, len) != 0 ||
        count_syscalls(b, &all_b, &sem_b, why, len) != 0)
        return -1;
    *all = (double)(all_b - all_a) / 1000.0;
    *semops = (double)(sem_b - sem_a) / 1000.0;
    return 0;
}

/* System call counts: deterministic as well, one measurement each. */
static void system_calls(void)
{
    int row_of[NC + 1];
    char why[128];
    double all, semops;

    contender_rows("1. system calls per pair", "syscalls/pair", row_of);
    for (int i = 0; i <= NC; i++) {
        int rc;
        if (i == NC && qt5_path == NULL)
            continue; /* the note says why */
        fprintf(stderr, "xsipc-bench: 1. ptrace: %s\n", rows[row_of[i]].who);
        if (i < NC)
            rc = syscalls_per_pair(self, "--pairs", (char *)c[i].mode, &all,
                                   &semops, why, sizeof why);
        else
            rc = syscalls_per_pair((char *)qt5_path, "pairs", "qtst", &all,
                                   &semops, why, sizeof why);
        if (rc != 0) {
            set_note(row_of[i], "%s", why);
            continue;
        }
        put(row_of[i], all);
        snprintf(why, sizeof why, "; of them semop/semtimedop: %.3g", semops);
        count_note(row_of[i], i, "ptrace", why);
        if (i < NC && c[i].k == XSIPC)
            xsipc_pair_semops = semops;
    }
}

void bench_lock(void)
{
    rates();
    instructions();
    system_calls();
}

/* `--pairs KIND N`: set up, N pairs, tear down; run under callgrind
 * and ptrace. */
int pairs_mode(const char *what, const char *count)
{
    long n = strtol(count, NULL, 10);
    locker l;
    int i;

    for (i = 0; i < NC; i++)
        if (strcmp(what, c[i].mode) == 0)
            break;
    if (i == NC || n <= 0)
        die("--pairs raw|xsipc|pthread|posix N");
    locker_open(&l, c[i].k, "callgrind");
    locker_pairs(&l, n);
    locker_close(&l);
    return 0;
}
