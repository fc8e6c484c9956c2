/* SPDX-License-Identifier: MIT */
/*
 * harness.h -- what every part of xsipc-bench shares: the settings, the
 * process state, clean-up, running a child program, and the results table
 * (see harness.c).
 */
#ifndef XSIPC_BENCH_HARNESS_H
#define XSIPC_BENCH_HARNESS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define MAX_ROUNDS 15
#define MAX_ROWS 128
#define MIB (1024L * 1024L)

/* ----------------------------------------------------------- settings */

extern int rounds;
extern double budget;             /* seconds per timed round (1, 3, 6) */
extern long handoff_n;            /* increments per process (2) */
extern long lookups;              /* resolves per round (4) */
extern long bulk_bytes;           /* written, then read (5) */
extern long chan_msgs;            /* 64-byte messages per round (8) */
extern const char *out_path;      /* RESULTS.md */
extern const char *qt5_path;      /* NULL: Qt 5 contender not built */
extern const char *valgrind_path; /* NULL or "": no callgrind counts */
extern int only;                  /* 1..8: run that benchmark alone */
extern const char *revision;      /* git describe of the tree, if any */

/* Sets the above from the command line; a bad option ends the run. */
void parse_options(int argc, char **argv);

/* ------------------------------------------------------ process state */

extern pid_t main_pid;
extern char work[PATH_MAX];       /* the mkdtemp directory */
extern char work_shm[PATH_MAX];   /* a second one on tmpfs (3); "" if none */
extern char tmpdir[PATH_MAX + 8]; /* work/tmp: $TMPDIR, the default registry */
extern char work_fs[32];          /* the type of work's file system */
extern char self[PATH_MAX];       /* this program, for callgrind */
extern int private_ns;            /* 1: in a private IPC namespace */

/* Raw objects made here, removed at exit even after a failure (outside a
 * private namespace nothing else would remove them). */
extern int raw_sem, raw_shm;

/* Finds this program, enters a private IPC namespace when allowed, makes
 * the directories and arranges for cleanup at exit. */
void harness_start(void);

/* Checks that nothing is left behind (in a private namespace) and cleans
 * up. */
void harness_end(void);

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double now(void);
void remove_tree(const char *dir);
void fs_type(const char *path, char *buf, size_t len);
int run(char *const argv[], char *out, size_t len);

/* Runs batch(arg), which does per_batch steps (pairs, cycles), again and
 * again for about `budget` seconds; returns steps per second.  The clock
 * is read once per batch, so that it costs next to nothing per step. */
double per_second(void (*batch)(void *arg), void *arg, long per_batch);

/* ---------------------------------------------------------- the table */

typedef struct row {
    const char *bench; /* the benchmark, shown on its first row */
    const char *who;   /* the contender */
    const char *unit;
    double v[MAX_ROUNDS]; /* one value per round */
    int n;
    int base;              /* row of the ratio's baseline; -1: none */
    const char *base_name; /* as the ratio column names it */
    char note[320];        /* what the row does, or why there is no value */
} row;

extern row rows[MAX_ROWS];
extern int nrows;

/* Adds a row and returns its index; base is the row of the ratio's
 * baseline, base_name what the ratio column calls it ("raw" in "0.93x
 * raw"). */
int add_row(const char *bench, const char *who, const char *unit, int base,
            const char *base_name);
/* Adds a row that is its own baseline ("1 (baseline)"). */
int add_baseline(const char *bench, const char *who, const char *unit);
/* Sets row i's note. */
void set_note(int i, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void put(int i, double v);
double median(const row *r);
void print_table(FILE *f);

/* Writes the report of the run (report.c): to out_path and to stdout. */
void report(double elapsed);

#endif
