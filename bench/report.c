/* SPDX-License-Identifier: MIT */
/*
 * report.c -- the report of a run, written to RESULTS.md and to stdout
 * alike: the machine and the versions measured, the results table, and
 * the README's aims with what this run measured against each.
 *
 * Method: the aims are judged on ratios of medians of the same run (and,
 * where a floor row exists, the floor's ratio is shown beside the target,
 * so that an aim the kernel itself does not allow reads as such).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "bench/contenders.h"
#include "bench/harness.h"
#include "xsipc.h"

static void cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(buf, len, "unknown CPU");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || colon == NULL)
            continue;
        colon += 2;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, len, "%s", colon);
        break;
    }
    fclose(f);
}

/* The first line of a program's output (e.g. `valgrind --version`). */
static void first_line(char *const argv[], char *buf, size_t len)
{
    char out[512];

    if (run(argv, out, sizeof out) != 0) {
        snprintf(buf, len, "unknown");
        return;
    }
    out[strcspn(out, "\n")] = '\0';
    /* Cut to the caller's buffer (a version string fits easily). */
    out[len - 1 < sizeof out ? len - 1 : sizeof out - 1] = '\0';
    memcpy(buf, out, strlen(out) + 1);
}

static const row *find(const char *bench, const char *who)
{
    for (int i = 0; i < nrows; i++)
        if (strncmp(rows[i].bench, bench, strlen(bench)) == 0 &&
            strcmp(rows[i].who, who) == 0)
            return &rows[i];
    return NULL;
}

/* The ratio of the medians of rows a and b; 0 when either is missing. */
static double over(const row *a, const row *b)
{
    if (a == NULL || b == NULL || a->n == 0 || b->n == 0)
        return 0;
    return median(a) / median(b);
}

/* One aim: the target, the measured value (0: none) and the verdict. */
static void aim(FILE *f, const char *what, const char *target, double value,
                int met, const char *unit)
{
    if (value <= 0)
        fprintf(f, "| %s | %s | not measured | - |\n", what, target);
    else
        fprintf(f, "| %s | %s | %.2f%s | %s |\n", what, target, value, unit,
                met ? "met" : "**missed**");
}

static void print_aims(FILE *f)
{
    const row *xi = find("1. instr", "xsipc_shm_lock/unlock");
    const row *ri =
        find("1. instr", "raw semop(SEM_UNDO) pair, 1-semaphore set");
    const row *qi = find("1. instr", "Qt5 QSharedMemory lock/unlock");
    char target[96];
    double v, fv;

    fprintf(f, "| aim | target | measured | |\n|---|---|--:|---|\n");
    v = xi != NULL && xi->n ? median(xi) : 0;
    if (qi != NULL && qi->n)
        snprintf(target, sizeof target, "<= 60 (here: raw %.1f, Qt5 %.1f)",
                 ri != NULL && ri->n ? median(ri) : 0.0, median(qi));
    else
        snprintf(target, sizeof target, "<= 60 (here: raw %.1f)",
                 ri != NULL && ri->n ? median(ri) : 0.0);
    aim(f, "xsipc lock+unlock, instructions per pair", target, v, v <= 60, "");
    for (int i = 0; i < nrows; i++) {
        const row *x = &rows[i];
        const row *q = x->base >= 0 ? &rows[x->base] : NULL;
        char what[160], floor_who[96];
        if (strncmp(x->bench, "3.", 2) != 0 ||
            strncmp(x->who, "xsipc default registry", 22) != 0)
            continue;
        snprintf(what, sizeof what, "create+detach, %s, vs Qt5", x->who);
        v = over(x, q);
        /* What the floor of Qt's life cycle in the same $TMPDIR allows. */
        snprintf(floor_who, sizeof floor_who, "Qt key-file life cycle floor%s",
                 x->who + 22);
        fv = over(find("3.", floor_who), q);
        if (fv > 0)
            snprintf(target, sizeof target, ">= 2x (floor allows %.2fx)", fv);
        else
            snprintf(target, sizeof target, ">= 2x");
        aim(f, what, target, v, v >= 2, "x");
    }
    v = over(find("3.", "xsipc persistent registry"),
             find("3.", "raw shmget+shmat+shmdt+IPC_RMID"));
    fv = over(find("3.", "raw cycle under Qt's lock protocol, keys known"),
              find("3.", "raw shmget+shmat+shmdt+IPC_RMID"));
    if (fv > 0)
        snprintf(target, sizeof target, ">= 0.7x (lock protocol floor: %.2fx)",
                 fv);
    else
        snprintf(target, sizeof target, ">= 0.7x");
    aim(f, "create+detach, xsipc persistent registry vs raw", target, v,
        v >= 0.7, "x");
    v = over(find("4.", "kernel floor, 100,000 names"),
             find("4.", "kernel floor, 100 names"));
    if (v > 0)
        snprintf(target, sizeof target, "<= 1.3x (kernel floor: %.2fx)", v);
    else
        snprintf(target, sizeof target, "<= 1.3x");
    v = over(find("4.", "100,000 names"), find("4.", "100 names"));
    aim(f, "resolve time, 100,000 names vs 100", target, v, v <= 1.3, "x");
    v = over(find("5.", "xsipc segment, lock+memcpy+unlock"),
             find("5.", "memcpy between private buffers"));
    aim(f, "1 GiB through the segment under the lock vs private memcpy",
        ">= 0.8x", v, v >= 0.8, "x");
}

void report(double elapsed)
{
    char cpu[256], qt[64], vg[64];
    char when[64];
    struct utsname u;
    time_t t = time(NULL);
    FILE *f;

    cpu_model(cpu, sizeof cpu);
    uname(&u);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    snprintf(qt, sizeof qt, "%s", no_qt5);
    if (qt5_path != NULL) {
        char *argv[] = {(char *)qt5_path, "version", NULL};
        first_line(argv, qt, sizeof qt);
    }
    if (valgrind_path != NULL && valgrind_path[0] != '\0') {
        char *argv[] = {(char *)valgrind_path, "--version", NULL};
        first_line(argv, vg, sizeof vg);
    } else {
        snprintf(vg, sizeof vg, "not found");
    }
    if ((f = fopen(out_path, "w")) == NULL)
        die("%s: %s", out_path, strerror(errno));
    for (int pass = 0; pass < 2; pass++) {
        FILE *o = pass == 0 ? f : stdout;
        fprintf(o, "# xsipc benchmark results\n\n");
        fprintf(o,
                "Written by `make bench` (bench/xsipc-bench) on %s, in "
                "%.0f s.\n",
                when, elapsed);
        fprintf(o,
                "%d alternating rounds per benchmark (contenders interleaved, "
                "order rotated);\nmedian and min-max over the rounds; ratio = "
                "median / the baseline's median,\nmeasured in the same run. "
                "Clock: CLOCK_MONOTONIC.\n\n",
                rounds);
        fprintf(o, "- Machine: %s, %ld cores online, %s %s %s\n", cpu,
                sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
        fprintf(o, "- Versions: xsipc %s%s%s%s, Qt %s, gcc %s, glibc %s, %s\n",
                xsipc_version(), revision[0] ? " (git " : "", revision,
                revision[0] ? ")" : "", qt,
#ifdef __VERSION__
                __VERSION__,
#else
                "unknown",
#endif
#ifdef __GLIBC__
                gnu_get_libc_version(),
#else
                "none",
#endif
                vg);
        fprintf(o, "- $TMPDIR and registries on %s; System V objects %s\n\n",
                work_fs,
                private_ns ? "in a private IPC namespace"
                           : "in the host IPC namespace");
        print_table(o);
        fprintf(o, "\n## Aims\n\n");
        print_aims(o);
    }
    fclose(f);
    fflush(stdout); /* the table first, then the note on stderr */
    fprintf(stderr, "xsipc-bench: wrote %s\n", out_path);
}
