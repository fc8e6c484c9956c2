/* SPDX-License-Identifier: MIT */
/*
 * harness.c -- what every benchmark of xsipc-bench runs on: the settings
 * and options, the process state and its clean-up, running a child
 * program, and the results table.
 *
 * Method: every benchmark runs its contenders in alternating rounds (the
 * order rotated each round), so that frequency scaling, other load and
 * cache state hit all of them alike, with CLOCK_MONOTONIC; each round puts
 * one value in the contender's row.  The table gives the median and the
 * min-max over the rounds, and a ratio against a baseline row measured in
 * the same run: the ratios, not the absolute rates, are what can be
 * compared between machines and runs.
 *
 * Hygiene: everything lives in a mkdtemp directory that is also $TMPDIR (so
 * the default registry and Qt's key files land there), and the program
 * first tries to enter a private System V IPC namespace (root may), where
 * no object of another program is even visible.  Every object made is
 * removed, the directory too; in the private namespace the program checks
 * at the end that no segment, set or message queue is left.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <mntent.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"

/* ----------------------------------------------------------- settings */

int rounds = 7;
double budget = 0.15;         /* seconds per timed round (1, 3, 6) */
long handoff_n = 20000;       /* increments per process (2) */
long lookups = 20000;         /* resolves per round (4) */
long bulk_bytes = 1024 * MIB; /* written, then read (5) */
long chan_msgs = 400000;      /* 64-byte messages per round (8) */
const char *out_path = "bench/RESULTS.md";
const char *qt5_path;      /* NULL: Qt 5 contender not built */
const char *valgrind_path; /* NULL or "": no callgrind counts */
int only;                  /* 1..8: run that benchmark alone */
const char *revision = ""; /* git describe of the tree, if any */

static void usage(void)
{
    fprintf(stderr, "Usage: xsipc-bench [--out=FILE] [--qt5=PATH] "
                    "[--valgrind=PATH] [--rounds=N] [--only=1..8] [--quick]\n");
    exit(1);
}

void parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--out=", 6) == 0)
            out_path = a + 6;
        else if (strncmp(a, "--qt5=", 6) == 0)
            qt5_path = a[6] ? a + 6 : NULL;
        else if (strncmp(a, "--valgrind=", 11) == 0)
            valgrind_path = a + 11;
        else if (strncmp(a, "--rounds=", 9) == 0)
            rounds = atoi(a + 9);
        else if (strncmp(a, "--revision=", 11) == 0)
            revision = a + 11;
        else if (strncmp(a, "--only=", 7) == 0)
            only = atoi(a + 7);
        else if (strcmp(a, "--quick") == 0) {
            /* For trying the program out: a few seconds, not a report. */
            rounds = 3;
            budget = 0.03;
            handoff_n = 2000;
            lookups = 2000;
            bulk_bytes = 128 * MIB;
            chan_msgs = 40000;
        } else
            usage();
    }
    if (rounds < 1 || rounds > MAX_ROUNDS)
        die("--rounds: 1..%d", MAX_ROUNDS);
}

/* ------------------------------------------------------ process state */

pid_t main_pid;
char work[PATH_MAX];       /* the mkdtemp directory */
char work_shm[PATH_MAX];   /* a second one on tmpfs (3); "" if none */
char tmpdir[PATH_MAX + 8]; /* work/tmp: $TMPDIR, the default registry */
char self[PATH_MAX];       /* this program, for callgrind */
int private_ns;            /* 1: in a private IPC namespace */
char work_fs[32];          /* the type of work's file system */

/* Raw objects made here, removed at exit even after a failure (outside a
 * private namespace nothing else would remove them). */
int raw_sem = -1, raw_shm = -1;

/* Reports and ends the run.  A forked child must not run the parent's
 * atexit cleanup (it would remove the directory under the parent). */
void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xsipc-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (getpid() != main_pid)
        _exit(2);
    exit(2);
}

double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Removes dir and everything in it (the bench's own directories only:
 * one level of subdirectories is all it makes). */
void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && (errno == EISDIR || errno == EPERM))
            remove_tree(path);
    }
    closedir(d);
    (void)rmdir(dir);
}

/* Counts the entries of /proc/sysvipc/<what> (the header line aside). */
static int sysv_count(const char *what)
{
    char path[64], line[512];
    FILE *f;
    int n = -1;

    snprintf(path, sizeof path, "/proc/sysvipc/%s", what);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        n++;
    fclose(f);
    return n;
}

static void cleanup(void)
{
    if (getpid() != main_pid)
        return;
    if (raw_sem >= 0)
        (void)semctl(raw_sem, 0, IPC_RMID);
    if (raw_shm >= 0)
        (void)shmctl(raw_shm, IPC_RMID, NULL);
    raw_sem = raw_shm = -1;
    if (work[0] != '\0')
        remove_tree(work);
    if (work_shm[0] != '\0')
        remove_tree(work_shm);
    work[0] = work_shm[0] = '\0';
}

/*
 * Runs argv (a full path) with stdout into out, and returns its exit
 * status (-1 when it did not exit normally).  The child inherits $TMPDIR
 * and the IPC namespace, so Qt meets our registry directory.
 */
int run(char *const argv[], char *out, size_t len)
{
    int fd[2], status;
    size_t used = 0;
    ssize_t n;
    pid_t pid;

    if (pipe(fd) != 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        (void)dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        fprintf(stderr, "xsipc-bench: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    for (;;) {
        n = read(fd[0], out + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == len - 1)
            break;
    }
    out[used] = '\0';
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double per_second(void (*batch)(void *arg), void *arg, long per_batch)
{
    double t0 = now(), t;
    long done = 0;

    do {
        batch(arg);
        done += per_batch;
        t = now();
    } while (t - t0 < budget);
    return (double)done / (t - t0);
}

/* The file system type of the mount that holds path ("ext4", "tmpfs"):
 * the longest mount point that is a prefix of it. */
void fs_type(const char *path, char *buf, size_t len)
{
    FILE *f = setmntent("/proc/self/mounts", "r");
    struct mntent *m;
    size_t best = 0;

    snprintf(buf, len, "unknown");
    if (f == NULL)
        return;
    while ((m = getmntent(f)) != NULL) {
        size_t n = strlen(m->mnt_dir);
        if (strcmp(m->mnt_dir, "/") == 0)
            n = 0; /* the root matches every path, with the least weight */
        else if (strncmp(path, m->mnt_dir, n) != 0 ||
                 (path[n] != '/' && path[n] != '\0'))
            continue;
        if (n >= best) {
            best = n;
            snprintf(buf, len, "%s", m->mnt_type);
        }
    }
    endmntent(f);
}

static void setup_dirs(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX], *real;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(tmpl, sizeof tmpl, "%s/xsipc-bench.XXXXXX", base);
    if (mkdtemp(tmpl) == NULL)
        die("mkdtemp %s: %s", tmpl, strerror(errno));
    snprintf(work, sizeof work, "%s", tmpl);
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", work);
    if (mkdir(tmpdir, 0700) != 0)
        die("mkdir %s: %s", tmpdir, strerror(errno));
    /* The default registry and Qt both read $TMPDIR. */
    setenv("TMPDIR", tmpdir, 1);
    real = realpath(work, NULL); /* /tmp may be a link to elsewhere */
    fs_type(real != NULL ? real : work, work_fs, sizeof work_fs);
    free(real);
}

void harness_start(void)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    self[n] = '\0';
    /* A private IPC namespace (allowed to root): no other program's
     * object is visible, and none can be touched by mistake. */
    private_ns = unshare(CLONE_NEWIPC) == 0;
    setup_dirs();
    atexit(cleanup);
}

void harness_end(void)
{
    if (private_ns && (sysv_count("shm") != 0 || sysv_count("sem") != 0 ||
                       sysv_count("msg") != 0))
        die("left behind: %d segments, %d semaphore sets, %d message queues",
            sysv_count("shm"), sysv_count("sem"), sysv_count("msg"));
    cleanup();
}

/* ---------------------------------------------------------- the table */

row rows[MAX_ROWS];
int nrows;

int add_row(const char *bench, const char *who, const char *unit, int base,
            const char *base_name)
{
    row *r = &rows[nrows];

    if (nrows == MAX_ROWS)
        die("too many rows");
    memset(r, 0, sizeof *r);
    r->bench = bench;
    r->who = who;
    r->unit = unit;
    r->base = base;
    r->base_name = base_name;
    return nrows++;
}

int add_baseline(const char *bench, const char *who, const char *unit)
{
    int i = add_row(bench, who, unit, -1, "");

    rows[i].base = i;
    return i;
}

void set_note(int i, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rows[i].note, sizeof rows[i].note, fmt, ap);
    va_end(ap);
}

void put(int i, double v)
{
    if (rows[i].n < MAX_ROUNDS)
        rows[i].v[rows[i].n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double median(const row *r)
{
    double s[MAX_ROUNDS];

    if (r->n == 0)
        return 0;
    memcpy(s, r->v, sizeof s);
    qsort(s, (size_t)r->n, sizeof s[0], cmp_double);
    return r->n % 2 ? s[r->n / 2] : (s[r->n / 2 - 1] + s[r->n / 2]) / 2;
}

static double lowest(const row *r)
{
    double m = r->v[0];
    for (int i = 1; i < r->n; i++)
        m = r->v[i] < m ? r->v[i] : m;
    return m;
}

static double highest(const row *r)
{
    double m = r->v[0];
    for (int i = 1; i < r->n; i++)
        m = r->v[i] > m ? r->v[i] : m;
    return m;
}

/* A value in three significant digits, with k/M for large rates. */
static const char *num(double v, char *buf, size_t len)
{
    if (v >= 1e8)
        snprintf(buf, len, "%.0fM", v / 1e6);
    else if (v >= 1e7)
        snprintf(buf, len, "%.1fM", v / 1e6);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, len, "%.0fk", v / 1e3);
    else if (v >= 100)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.3g", v);
    return buf;
}

/* The ratio of a row's median to its baseline's; 0 when either lacks. */
static double ratio(int i)
{
    const row *r = &rows[i];

    if (r->base < 0 || r->n == 0 || rows[r->base].n == 0)
        return 0;
    return median(r) / median(&rows[r->base]);
}

void print_table(FILE *f)
{
    char a[32], b[32], c[32];
    const char *last = "";

    fprintf(f, "| benchmark | contender | median | min-max | unit | ratio "
               "| notes |\n");
    fprintf(f, "|---|---|--:|--:|---|--:|---|\n");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        const char *bench = strcmp(r->bench, last) == 0 ? "" : r->bench;
        last = r->bench;
        if (r->n == 0) {
            fprintf(f, "| %s | %s | - | - | %s | - | %s |\n", bench, r->who,
                    r->unit, r->note);
            continue;
        }
        fprintf(f, "| %s | %s | %s | %s-%s | %s | ", bench, r->who,
                num(median(r), a, sizeof a), num(lowest(r), b, sizeof b),
                num(highest(r), c, sizeof c), r->unit);
        if (r->base == i)
            fprintf(f, "1 (baseline) |");
        else if (r->base >= 0 && rows[r->base].n > 0)
            fprintf(f, "%.2fx %s |", ratio(i), r->base_name);
        else
            fprintf(f, "- |");
        fprintf(f, " %s |\n", r->note);
    }
}
