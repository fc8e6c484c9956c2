/* SPDX-License-Identifier: MIT */
/*
 * bench.c -- `make bench`: xsipc measured side by side with raw System V
 * calls, Qt 5's QSharedMemory, a robust process-shared pthread mutex and a
 * POSIX semaphore, in one run on one machine.
 *
 * Usage: xsipc-bench [--out=FILE] [--qt5=PATH] [--valgrind=PATH]
 *                    [--rounds=N] [--only=1..5] [--revision=GIT] [--quick]
 *        xsipc-bench --pairs raw|xsipc|pthread|posix N   (callgrind helper)
 *
 * Five benchmarks (bench/RESULTS.md holds the table of one run):
 *   1. uncontended lock+unlock pairs per second, and with valgrind the
 *      user-space instructions per pair (callgrind, N=2000 minus N=1000,
 *      divided by 1000, so that start-up and set-up costs cancel);
 *   2. two processes taking turns: lock, increment a counter in the
 *      segment, unlock; the counter is checked, and the share of
 *      increments where the lock changed hands is counted;
 *   3. create(4096)+detach cycles: the default (Qt) registry against Qt 5,
 *      a persistent registry against raw shmget+shmat+shmdt+IPC_RMID; and
 *      the floor of Qt's key-file life cycle (two key files made, the raw
 *      segment cycle, the files removed) with no library at all;
 *   4. resolving a known name in registries of 100, 10,000 and 100,000
 *      names (the private xsipc__reg_resolve, hence the core library),
 *      and the kernel floor: the system calls of such a lookup alone
 *      (openat, fstat, pread, close) on the same key files;
 *   5. 1 GiB written and read back in 1 MiB chunks under the lock,
 *      against memcpy between private buffers.
 *
 * Method: CLOCK_MONOTONIC; every benchmark runs its contenders in
 * alternating rounds (the order rotated each round), so that frequency
 * scaling, other load and cache state hit all of them alike; the table
 * gives the median and the min-max over the rounds, and ratios against a
 * baseline measured in the same run.  The Qt contender is a separate C++
 * program (bench/qt5-bench, built when configure finds Qt5Core) that times
 * its own loop, so its start-up is not counted.
 *
 * Hygiene: everything lives in a mkdtemp directory that is also $TMPDIR (so
 * the default registry and Qt's key files land there), and the program
 * first tries to enter a private System V IPC namespace (root may), where
 * no object of another program is even visible.  Every object made is
 * removed, the directory too; in the private namespace the program checks
 * at the end that no segment or set is left.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "registry/registry.h"
#include "xsipc.h"

#define MAX_ROUNDS 15
#define MAX_ROWS 40
#define MIB (1024L * 1024L)

/* ----------------------------------------------------------- settings */

static int rounds = 7;
static double budget = 0.15;         /* seconds per timed round (1, 3) */
static long handoff_n = 20000;       /* increments per process (2) */
static long lookups = 20000;         /* resolves per round (4) */
static long bulk_bytes = 1024 * MIB; /* written, then read (5) */
static const char *out_path = "bench/RESULTS.md";
static const char *qt5_path;      /* NULL: Qt 5 contender not built */
static const char *valgrind_path; /* NULL or "": no callgrind counts */
static int only;                  /* 1..5: run that benchmark alone */
static const char *revision = ""; /* git describe of the tree, if any */

/* ------------------------------------------------------ process state */

static pid_t main_pid;
static char work[PATH_MAX];       /* the mkdtemp directory */
static char work_shm[PATH_MAX];   /* a second one on tmpfs (3); "" if none */
static char tmpdir[PATH_MAX + 8]; /* work/tmp: $TMPDIR, the default registry */
static char self[PATH_MAX];       /* this program, for callgrind */
static int private_ns;            /* 1: in a private IPC namespace */

/* Raw objects made here, removed at exit even after a failure (outside a
 * private namespace nothing else would remove them). */
static int raw_sem = -1, raw_shm = -1;

static void cleanup(void);

/* Reports and ends the run.  A forked child must not run the parent's
 * atexit cleanup (it would remove the directory under the parent). */
static void die(const char *fmt, ...)
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

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64: a fixed, cheap sequence, so every round looks up the same
 * kind of random names without calling rand() inside the timing. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Removes dir and everything in it (the bench's own directories only:
 * one level of subdirectories is all it makes). */
static void remove_tree(const char *dir)
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
static int run(char *const argv[], char *out, size_t len)
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

/* ---------------------------------------------------------- the table */

typedef struct row {
    const char *bench; /* the benchmark, shown on its first row */
    const char *who;   /* the contender */
    const char *unit;
    double v[MAX_ROUNDS]; /* one value per round */
    int n;
    int base;              /* row of the ratio's baseline; -1: none */
    const char *base_name; /* as the ratio column names it */
    char note[200];        /* extra facts, or why there is no value */
} row;

static row rows[MAX_ROWS];
static int nrows;

static int add_row(const char *bench, const char *who, const char *unit,
                   int base, const char *base_name)
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

static void put(int i, double v)
{
    if (rows[i].n < MAX_ROUNDS)
        rows[i].v[rows[i].n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const row *r)
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

static void print_table(FILE *f)
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

/* ---------------------------------------------------------- contenders */

typedef enum { RAW, XSIPC, PTHREAD, POSIX } kind;

/* One lock of each kind.  The data behind the pthread mutex and the POSIX
 * semaphore live in a shared mapping, as a process-shared lock must. */
typedef struct locker {
    kind k;
    xsipc_shm *shm;
    int semid;
    pthread_mutex_t *mutex;
    sem_t *psem;
    void *map; /* the shared mapping of PTHREAD and POSIX */
} locker;

static void lock(locker *l)
{
    static struct sembuf down = {0, -1, SEM_UNDO};
    int rc;

    switch (l->k) {
    case RAW:
        while ((rc = semop(l->semid, &down, 1)) != 0 && errno == EINTR)
            ;
        if (rc != 0)
            die("semop -1: %s", strerror(errno));
        break;
    case XSIPC:
        if ((rc = xsipc_shm_lock(l->shm)) != 0)
            die("xsipc_shm_lock: %d: %s", rc, xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        rc = pthread_mutex_lock(l->mutex);
        /* A robust mutex whose holder died: never here, but the protocol
         * says make it consistent before going on. */
        if (rc == EOWNERDEAD)
            rc = pthread_mutex_consistent(l->mutex);
        if (rc != 0)
            die("pthread_mutex_lock: %s", strerror(rc));
        break;
    case POSIX:
        while ((rc = sem_wait(l->psem)) != 0 && errno == EINTR)
            ;
        if (rc != 0)
            die("sem_wait: %s", strerror(errno));
        break;
    }
}

static void unlock(locker *l)
{
    static struct sembuf up = {0, 1, SEM_UNDO};
    int rc;

    switch (l->k) {
    case RAW:
        if (semop(l->semid, &up, 1) != 0)
            die("semop +1: %s", strerror(errno));
        break;
    case XSIPC:
        if ((rc = xsipc_shm_unlock(l->shm)) != 0)
            die("xsipc_shm_unlock: %d: %s", rc, xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        if ((rc = pthread_mutex_unlock(l->mutex)) != 0)
            die("pthread_mutex_unlock: %s", strerror(rc));
        break;
    case POSIX:
        if (sem_post(l->psem) != 0)
            die("sem_post: %s", strerror(errno));
        break;
    }
}

/* A raw System V lock as Qt's: a one-semaphore set, value 1.  SETVAL is
 * right here, on a private set no one else can have joined yet. */
static int raw_set(void)
{
    int id = semget(IPC_PRIVATE, 1, 0600 | IPC_CREAT);

    if (id < 0)
        die("semget: %s", strerror(errno));
    if (semctl(id, 0, SETVAL, 1) != 0)
        die("semctl SETVAL: %s", strerror(errno));
    raw_sem = id;
    return id;
}

static void raw_set_free(int id)
{
    (void)semctl(id, 0, IPC_RMID);
    raw_sem = -1;
}

/* Makes l a lock of kind k.  XSIPC creates a 4096-byte segment called
 * name in the default registry ($TMPDIR = our directory). */
static void locker_open(locker *l, kind k, const char *name)
{
    memset(l, 0, sizeof *l);
    l->k = k;
    l->semid = -1;
    switch (k) {
    case RAW:
        l->semid = raw_set();
        break;
    case XSIPC:
        l->shm = xsipc_shm_new(name);
        if (l->shm == NULL)
            die("xsipc_shm_new: out of memory");
        if (xsipc_shm_create(l->shm, 4096, XSIPC_READ_WRITE) != 0)
            die("%s", xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
    case POSIX:
        l->map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (l->map == MAP_FAILED)
            die("mmap: %s", strerror(errno));
        if (k == PTHREAD) {
            pthread_mutexattr_t a;
            l->mutex = l->map;
            pthread_mutexattr_init(&a);
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
            if (pthread_mutex_init(l->mutex, &a) != 0)
                die("pthread_mutex_init failed");
            pthread_mutexattr_destroy(&a);
        } else {
            l->psem = l->map;
            if (sem_init(l->psem, 1, 1) != 0)
                die("sem_init: %s", strerror(errno));
        }
        break;
    }
}

static void locker_close(locker *l)
{
    switch (l->k) {
    case RAW:
        raw_set_free(l->semid);
        break;
    case XSIPC:
        xsipc_shm_free(l->shm); /* detaches: segment and set removed */
        break;
    case PTHREAD:
        pthread_mutex_destroy(l->mutex);
        munmap(l->map, 4096);
        break;
    case POSIX:
        sem_destroy(l->psem);
        munmap(l->map, 4096);
        break;
    }
}

/*
 * n lock+unlock pairs, each kind in a loop of its own: no dispatch inside
 * the loop, so callgrind's count per pair is the contender's own cost
 * plus a compare and a branch or two.  No signal is delivered here, so an
 * EINTR cannot happen and any failure ends the run.
 */
static void pairs(locker *l, long n)
{
    static struct sembuf down = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};
    long i;

    switch (l->k) {
    case RAW:
        for (i = 0; i < n; i++)
            if (semop(l->semid, &down, 1) != 0 || semop(l->semid, &up, 1) != 0)
                die("semop: %s", strerror(errno));
        break;
    case XSIPC:
        for (i = 0; i < n; i++)
            if (xsipc_shm_lock(l->shm) != 0 || xsipc_shm_unlock(l->shm) != 0)
                die("%s", xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        for (i = 0; i < n; i++)
            if (pthread_mutex_lock(l->mutex) != 0 ||
                pthread_mutex_unlock(l->mutex) != 0)
                die("pthread mutex lock/unlock failed");
        break;
    case POSIX:
        for (i = 0; i < n; i++)
            if (sem_wait(l->psem) != 0 || sem_post(l->psem) != 0)
                die("sem_wait/sem_post: %s", strerror(errno));
        break;
    }
}

/* Pairs per second over one round of about `budget` seconds; the clock is
 * read once per batch of 1000 pairs so it costs nothing per pair. */
static double pair_rate(locker *l)
{
    double t0 = now(), t;
    long done = 0;

    do {
        pairs(l, 1000);
        done += 1000;
        t = now();
    } while (t - t0 < budget);
    return (double)done / (t - t0);
}

/* Parses "A B ..." numbers printed by the Qt program; the count read. */
static int numbers(const char *s, double *v, int max)
{
    int n = 0;
    char *end;

    while (n < max) {
        double x = strtod(s, &end);
        if (end == s)
            break;
        v[n++] = x;
        s = end;
    }
    return n;
}

/* Runs the Qt program with args; fills v with want numbers or dies. */
static void qt5(const char *const *args, double *v, int want)
{
    char *argv[8], out[512];
    int i, rc;

    argv[0] = (char *)qt5_path;
    for (i = 0; args[i] != NULL && i < 6; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    rc = run(argv, out, sizeof out);
    if (rc != 0 || numbers(out, v, want) != want)
        die("%s %s: exit %d, output \"%s\"", qt5_path, args[0], rc, out);
}

/* ------------------------------------------- 1. uncontended lock+unlock */

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

static void bench_lock(void)
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
static int pairs_mode(const char *what, const char *count)
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
    pairs(&l, n);
    locker_close(&l);
    return 0;
}

/* --------------------------------------------------- 2. two-process handoff */

/*
 * Pins the calling process to the nth CPU of the set `all` (0 when the
 * set has fewer).  The two handoff processes run on two different cores:
 * left to the scheduler they often share one, take turns by time slice,
 * and the lock then almost never changes hands, which measures nothing.
 */
static int pin(const cpu_set_t *all, int nth)
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

/* The counter in the segment; touched only under the lock. */
typedef struct tally {
    long count;      /* increments so far */
    long last;       /* pid of the last writer */
    long changes[2]; /* per process: increments that followed the other */
} tally;

/* N times: lock, count, note whether the lock came from the other
 * process, unlock.  The counter's exactness shows mutual exclusion. */
static void increments(locker *l, tally *t, int who, long n)
{
    long me = (long)getpid(), changes = 0;

    for (long i = 0; i < n; i++) {
        lock(l);
        if (t->last != me) {
            changes++;
            t->last = me;
        }
        t->count++;
        unlock(l);
    }
    lock(l);
    t->changes[who] = changes;
    unlock(l);
}

/* One round of the handoff for RAW or XSIPC; fills rate and share. */
static void handoff_round(kind k, double *rate, double *share)
{
    int ready[2], go[2], status, shmid = -1;
    cpu_set_t all;
    locker l;
    tally *t;
    double t0;
    pid_t pid;
    char c;

    locker_open(&l, k, "handoff");
    if (k == XSIPC) {
        t = xsipc_shm_data(l.shm);
    } else {
        /* Removed at once: a segment marked removed lives on while
         * attached, and the kernel frees it when both processes end. */
        shmid = shmget(IPC_PRIVATE, 4096, 0600 | IPC_CREAT);
        if (shmid < 0)
            die("shmget: %s", strerror(errno));
        raw_shm = shmid;
        t = shmat(shmid, NULL, 0);
        if (t == (void *)-1)
            die("shmat: %s", strerror(errno));
        (void)shmctl(shmid, IPC_RMID, NULL);
        raw_shm = -1;
    }
    memset(t, 0, sizeof *t);
    if (pipe(ready) != 0 || pipe(go) != 0)
        die("pipe: %s", strerror(errno));
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        die("sched_getaffinity: %s", strerror(errno));
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        (void)pin(&all, 1);
        /* The child's own handle, as a second program would have: the
         * parent's copy is left alone (and never freed here). */
        locker mine = l;
        tally *ct = t;
        if (k == XSIPC) {
            mine.shm = xsipc_shm_new("handoff");
            if (mine.shm == NULL ||
                xsipc_shm_attach(mine.shm, XSIPC_READ_WRITE) != 0)
                die("child attach: %s", xsipc_shm_error_string(mine.shm));
            ct = xsipc_shm_data(mine.shm);
        }
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(3);
        increments(&mine, ct, 1, handoff_n);
        if (k == XSIPC)
            xsipc_shm_free(mine.shm);
        _exit(0);
    }
    (void)pin(&all, 0);
    if (read(ready[0], &c, 1) != 1)
        die("handoff: child did not start");
    t0 = now();
    if (write(go[1], "g", 1) != 1)
        die("write: %s", strerror(errno));
    increments(&l, t, 0, handoff_n);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    *rate = (double)(2 * handoff_n) / (now() - t0);
    (void)sched_setaffinity(0, sizeof all, &all);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("handoff: child failed");
    lock(&l);
    if (t->count != 2 * handoff_n)
        die("handoff: counter %ld, expected %ld", t->count, 2 * handoff_n);
    *share = (double)(t->changes[0] + t->changes[1]) / (double)(2 * handoff_n);
    unlock(&l);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    if (k != XSIPC)
        shmdt(t);
    locker_close(&l);
}

static void bench_handoff(void)
{
    static const char title[] = "2. handoff, 2 processes";
    int rr, rx, rq;
    double share[3][MAX_ROUNDS], rate, sh;
    char n[32];

    snprintf(n, sizeof n, "%ld", handoff_n);
    rr = add_row(title, "raw semop(SEM_UNDO)", "incr/s", -1, "");
    rows[rr].base = rr;
    rx = add_row(title, "xsipc", "incr/s", rr, "raw");
    rq = add_row(title, "Qt5 QSharedMemory", "incr/s", rr, "raw");
    fprintf(stderr, "xsipc-bench: 2. handoff, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < 3; j++) {
            int i = (j + r) % 3;
            if (i == 0) {
                handoff_round(RAW, &rate, &sh);
                put(rr, rate);
            } else if (i == 1) {
                handoff_round(XSIPC, &rate, &sh);
                put(rx, rate);
            } else if (qt5_path != NULL) {
                /* prints increments, nanoseconds, lock changes */
                const char *args[] = {"handoff", "qthandoff", n, NULL};
                double v[3];
                qt5(args, v, 3);
                rate = v[0] / (v[1] * 1e-9);
                sh = v[2] / v[0];
                put(rq, rate);
            } else {
                continue;
            }
            share[i][r] = sh;
        }
    }
    for (int i = 0; i < 3; i++) {
        row *rw = &rows[i == 0 ? rr : i == 1 ? rx : rq];
        row tmp;
        if (rw->n == 0) {
            snprintf(rw->note, sizeof rw->note,
                     "not built (Qt5Core not found)");
            continue;
        }
        /* The share's median, through a scratch row. */
        memset(&tmp, 0, sizeof tmp);
        memcpy(tmp.v, share[i], sizeof tmp.v);
        tmp.n = rw->n;
        snprintf(rw->note, sizeof rw->note,
                 "lock changed hands on %.1f%% of increments; counter exact "
                 "(2 x %ld) in every round",
                 100.0 * median(&tmp), handoff_n);
    }
}

/* ----------------------------------------- 3. create(4096)+detach cycles */

static xsipc_registry *persistent; /* the persistent registry of 3 */
static key_t raw_key;              /* ftok of a file of our own */

/* One create+detach cycle of each kind. */
static void cycle_default(void)
{
    xsipc_shm *s = xsipc_shm_new("cycle");

    if (s == NULL || xsipc_shm_create(s, 4096, XSIPC_READ_WRITE) != 0)
        die("create: %s", xsipc_shm_error_string(s));
    xsipc_shm_free(s);
}

static void cycle_persistent(void)
{
    xsipc_shm *s = xsipc_shm_new_in(persistent, "cycle");

    if (s == NULL || xsipc_shm_create(s, 4096, XSIPC_READ_WRITE) != 0)
        die("create: %s", xsipc_shm_error_string(s));
    xsipc_shm_free(s);
}

/* shmget(IPC_CREAT|IPC_EXCL) + shmat + shmdt + IPC_RMID of 4096 bytes. */
static void segment_cycle(key_t key)
{
    int id = shmget(key, 4096, 0600 | IPC_CREAT | IPC_EXCL);
    void *p;

    if (id < 0)
        die("shmget: %s", strerror(errno));
    raw_shm = id;
    if ((p = shmat(id, NULL, 0)) == (void *)-1)
        die("shmat: %s", strerror(errno));
    if (shmdt(p) != 0)
        die("shmdt: %s", strerror(errno));
    if (shmctl(id, IPC_RMID, NULL) != 0)
        die("IPC_RMID: %s", strerror(errno));
    raw_shm = -1;
}

static void cycle_raw(void)
{
    segment_cycle(raw_key);
}

/*
 * The floor of Qt's key-file life cycle: what any library that keeps to
 * it must do per create+detach, done directly.  Two empty key files made
 * as Qt makes them, each fstat'ed (ftok's part) and closed; the raw
 * segment cycle at the shm file's key; both files removed.
 */
static int floor_dirfd = -1;             /* the $TMPDIR of the pair being run */
static char floor_file[2][NAME_MAX + 1]; /* shm and sem key file names */

static void cycle_floor(void)
{
    struct stat sb[2];
    key_t key;
    int fd;

    for (int i = 0; i < 2; i++) {
        fd = openat(floor_dirfd, floor_file[i],
                    O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
        if (fd < 0)
            die("%s: %s", floor_file[i], strerror(errno));
        if (fstat(fd, &sb[i]) != 0)
            die("fstat %s: %s", floor_file[i], strerror(errno));
        close(fd);
    }
    /* ftok(shm file, 'Q') as glibc computes it, from the fstat above. */
    key = (key_t)(((unsigned)'Q' & 0xffu) << 24 |
                  ((unsigned)sb[0].st_dev & 0xffu) << 16 |
                  ((unsigned)sb[0].st_ino & 0xffffu));
    segment_cycle(key);
    for (int i = 0; i < 2; i++)
        if (unlinkat(floor_dirfd, floor_file[i], 0) != 0)
            die("unlink %s: %s", floor_file[i], strerror(errno));
}

/*
 * The floor of Qt's lock protocol with known keys (no file at all): the
 * raw segment cycle done under a lock set that lives as long as the
 * segment, with the fewest semops it takes -- made and locked in one,
 * unlocked after create, locked again for detach, unlocked, removed.
 */
static key_t lock_key_floor; /* ftok of the raw key file, proj 'S' */

static void cycle_protocol(void)
{
    struct sembuf make_locked[3] = {{0, 1, 0}, {0, -1, SEM_UNDO}, {2, 1, 0}};
    struct sembuf lock = {0, -1, SEM_UNDO}, unlock = {0, 1, SEM_UNDO};
    int sem = semget(lock_key_floor, 3, 0600 | IPC_CREAT | IPC_EXCL);

    if (sem < 0)
        die("semget: %s", strerror(errno));
    raw_sem = sem;
    if (semop(sem, make_locked, 3) != 0)
        die("semop: %s", strerror(errno));
    int id = shmget(raw_key, 4096, 0600 | IPC_CREAT | IPC_EXCL);
    void *p;
    struct shmid_ds ds;

    if (id < 0)
        die("shmget: %s", strerror(errno));
    raw_shm = id;
    if ((p = shmat(id, NULL, 0)) == (void *)-1)
        die("shmat: %s", strerror(errno));
    if (semop(sem, &unlock, 1) != 0 || semop(sem, &lock, 1) != 0)
        die("semop: %s", strerror(errno));
    if (shmctl(id, IPC_STAT, &ds) != 0 || shmctl(id, IPC_RMID, NULL) != 0)
        die("shmctl: %s", strerror(errno));
    if (shmdt(p) != 0)
        die("shmdt: %s", strerror(errno));
    raw_shm = -1;
    if (semop(sem, &unlock, 1) != 0 || semctl(sem, 0, IPC_RMID) != 0)
        die("semop/IPC_RMID: %s", strerror(errno));
    raw_sem = -1;
}

static double cycle_rate(void (*cycle)(void))
{
    double t0 = now(), t;
    long done = 0;

    do {
        for (int i = 0; i < 50; i++)
            cycle();
        done += 50;
        t = now();
    } while (t - t0 < budget);
    return (double)done / (t - t0);
}

/* The file system type of the mount that holds path ("ext4", "tmpfs"):
 * the longest mount point that is a prefix of it. */
static void fs_type(const char *path, char *buf, size_t len)
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

/* The type of work's file system, for the report. */
static char work_fs[32];

/* The default-registry pair of 3 in one $TMPDIR: Qt 5 and xsipc, and
 * the floor of Qt's life cycle in the same directory. */
typedef struct tmp_pair {
    char dir[PATH_MAX + 8];
    char qt_who[96], xs_who[96], fl_who[96];
    int rq, rd, rf;
    int dirfd; /* dir, for the floor's *at() calls */
} tmp_pair;

static void pair_rows(tmp_pair *p, const char *title, const char *fs)
{
    snprintf(p->qt_who, sizeof p->qt_who, "Qt5 QSharedMemory, $TMPDIR on %s",
             fs);
    snprintf(p->xs_who, sizeof p->xs_who,
             "xsipc default registry, $TMPDIR on %s", fs);
    p->rq = add_row(title, p->qt_who, "cycles/s", -1, "");
    rows[p->rq].base = p->rq;
    p->rd = add_row(title, p->xs_who, "cycles/s", p->rq, "Qt5");
    if (qt5_path == NULL)
        snprintf(rows[p->rq].note, sizeof rows[p->rq].note,
                 "not built (Qt5Core not found)");
    else
        snprintf(rows[p->rq].note, sizeof rows[p->rq].note,
                 "QSharedMemory(name) + create + detach + destroy");
    snprintf(rows[p->rd].note, sizeof rows[p->rd].note,
             "xsipc_shm_new + create + free; key files made and removed");
    snprintf(p->fl_who, sizeof p->fl_who,
             "Qt key-file life cycle floor, $TMPDIR on %s", fs);
    p->rf = add_row(title, p->fl_who, "cycles/s", p->rq, "Qt5");
    snprintf(rows[p->rf].note, sizeof rows[p->rf].note,
             "no library: 2 x (openat O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC 0640 + "
             "fstat + close), shmget(IPC_EXCL)+shmat+shmdt+IPC_RMID, 2 x "
             "unlinkat");
    p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dirfd < 0)
        die("%s: %s", p->dir, strerror(errno));
}

/* One round of one of the pair (which: 0 xsipc, 1 Qt, 2 the floor):
 * $TMPDIR pointed at its directory (xsipc reads it at each key, the Qt
 * program inherits it). */
static void pair_round(const tmp_pair *p, int which, const char *ms)
{
    setenv("TMPDIR", p->dir, 1);
    if (which == 0) {
        put(p->rd, cycle_rate(cycle_default));
    } else if (which == 2) {
        floor_dirfd = p->dirfd;
        put(p->rf, cycle_rate(cycle_floor));
        floor_dirfd = -1;
    } else if (qt5_path != NULL) {
        const char *args[] = {"create", "cycle", ms, NULL};
        double v[2];
        qt5(args, v, 2);
        put(p->rq, v[0] / (v[1] * 1e-9));
    }
    setenv("TMPDIR", tmpdir, 1);
}

/*
 * Qt and the default registry create and remove two key files per cycle,
 * and on a disk file system (ext4 /tmp, Debian's default) those dominate:
 * the pair runs once in our $TMPDIR and, when that is not tmpfs, once
 * more on tmpfs (/dev/shm), where the libraries' own costs show.
 */
static void bench_create(void)
{
    static const char title[] = "3. create(4096)+detach";
    static tmp_pair pair[2];
    char dir[PATH_MAX + 16], file[PATH_MAX + 32], ms[32], shm_fs[32];
    xsipc_status st;
    int rr, rp, rl, fd, npairs = 1, n;

    snprintf(ms, sizeof ms, "%ld", (long)(budget * 1000));
    snprintf(dir, sizeof dir, "%s/persistent", work);
    if (mkdir(dir, 0700) != 0)
        die("mkdir %s: %s", dir, strerror(errno));
    persistent = xsipc_registry_open(dir, XSIPC_REGISTRY_PERSISTENT, &st);
    if (persistent == NULL)
        die("xsipc_registry_open: %s", st.text);
    /* The raw contender's key comes, as any program's would, from ftok
     * of a file of its own; proj 'R' keeps it apart from the registry's
     * 'Q' keys in the same directory. */
    snprintf(file, sizeof file, "%s/raw-key", dir);
    if ((fd = open(file, O_CREAT | O_EXCL | O_WRONLY, 0600)) < 0)
        die("%s: %s", file, strerror(errno));
    close(fd);
    if ((raw_key = ftok(file, 'R')) == (key_t)-1 ||
        (lock_key_floor = ftok(file, 'S')) == (key_t)-1)
        die("ftok: %s", strerror(errno));
    /* The floor's key files, named as Qt names them (a name of its own,
     * so that no other contender's file is ever in the way). */
    if (xsipc__reg_file_name(XSIPC__KIND_SHM, "floor", floor_file[0],
                             sizeof floor_file[0], &st) != 0 ||
        xsipc__reg_file_name(XSIPC__KIND_SEM, "floor", floor_file[1],
                             sizeof floor_file[1], &st) != 0)
        die("key file name: %s", st.text);

    snprintf(pair[0].dir, sizeof pair[0].dir, "%s", tmpdir);
    pair_rows(&pair[0], title, work_fs);
    fs_type("/dev/shm", shm_fs, sizeof shm_fs);
    if (strcmp(work_fs, "tmpfs") != 0 && strcmp(shm_fs, "tmpfs") == 0) {
        snprintf(work_shm, sizeof work_shm, "/dev/shm/xsipc-bench.XXXXXX");
        if (mkdtemp(work_shm) == NULL) {
            work_shm[0] = '\0';
        } else {
            snprintf(pair[1].dir, sizeof pair[1].dir, "%s", work_shm);
            pair_rows(&pair[1], title, "tmpfs");
            npairs = 2;
        }
    }
    rr = add_row(title, "raw shmget+shmat+shmdt+IPC_RMID", "cycles/s", -1, "");
    rows[rr].base = rr;
    rl = add_row(title, "raw cycle under Qt's lock protocol, keys known",
                 "cycles/s", rr, "raw");
    snprintf(rows[rl].note, sizeof rows[rl].note,
             "no library, no file: semget + 1 semop making it locked, "
             "unlock, lock, IPC_STAT, unlock, both IPC_RMID (the floor for "
             "a persistent registry)");
    rp = add_row(title, "xsipc persistent registry", "cycles/s", rr, "raw");
    snprintf(rows[rr].note, sizeof rows[rr].note,
             "key from ftok of a file of its own, on %s", work_fs);
    snprintf(rows[rp].note, sizeof rows[rp].note,
             "xsipc_shm_new_in + create + free; key files kept, on %s",
             work_fs);

    fprintf(stderr, "xsipc-bench: 3. create+detach, %d rounds\n", rounds);
    n = 3 + 3 * npairs;
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < n; j++) {
            int i = (j + r) % n;
            if (i == 0)
                put(rr, cycle_rate(cycle_raw));
            else if (i == 1)
                put(rp, cycle_rate(cycle_persistent));
            else if (i == 2)
                put(rl, cycle_rate(cycle_protocol));
            else
                pair_round(&pair[(i - 3) / 3], (i - 3) % 3, ms);
        }
    }
    for (int i = 0; i < npairs; i++)
        close(pair[i].dirfd);
    xsipc_registry_close(persistent);
    persistent = NULL;
    remove_tree(dir);
    if (work_shm[0] != '\0') {
        remove_tree(work_shm);
        work_shm[0] = '\0';
    }
}

/* -------------------------------------------------- 4. registry resolve */

#define MAX_NAMES 100000
typedef char name_buf[24];
typedef char file_buf[NAME_MAX + 1];

/* Nanoseconds per resolve of a random known name in reg of n names. */
static double resolve_round(xsipc_registry *reg, long n, name_buf *names,
                            uint64_t *seed)
{
    long *pick = malloc(sizeof *pick * (size_t)lookups);
    xsipc__key key;
    xsipc_status st;
    double t0, t;

    if (pick == NULL)
        die("out of memory");
    /* The random choice is made before the clock starts. */
    for (long i = 0; i < lookups; i++)
        pick[i] = (long)(next_random(seed) % (uint64_t)n);
    t0 = now();
    for (long i = 0; i < lookups; i++)
        if (xsipc__reg_resolve(reg, XSIPC__KIND_SHM, names[pick[i]], 0, &key,
                               &st) != 0)
            die("resolve %s: %s", names[pick[i]], st.text);
    t = now();
    free(pick);
    return (t - t0) * 1e9 / (double)lookups;
}

/*
 * The kernel floor of the same lookup: nanoseconds per lookup of a random
 * known name's key file in the directory dirfd (of n names), with exactly
 * the system calls a lookup of an existing key file must make and no
 * xsipc code.  files[i] is the key file name of name i, made beforehand.
 */
static double floor_round(int dirfd, long n, file_buf *files, uint64_t *seed)
{
    long *pick = malloc(sizeof *pick * (size_t)lookups);
    char buf[4096];
    struct stat sb;
    double t0, t;
    int fd;

    if (pick == NULL)
        die("out of memory");
    for (long i = 0; i < lookups; i++)
        pick[i] = (long)(next_random(seed) % (uint64_t)n);
    t0 = now();
    for (long i = 0; i < lookups; i++) {
        const char *f = files[pick[i]];
        fd = openat(dirfd, f, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
            die("%s: %s", f, strerror(errno));
        if (fstat(fd, &sb) != 0 || pread(fd, buf, sizeof buf, 0) < 0)
            die("%s: %s", f, strerror(errno));
        close(fd);
    }
    t = now();
    free(pick);
    return (t - t0) * 1e9 / (double)lookups;
}

static void bench_resolve(void)
{
    static const char title[] = "4. resolve a known name";
    static const long sizes[] = {100, 10000, MAX_NAMES};
    static const char *who[] = {"100 names", "10,000 names", "100,000 names"};
    static const char *floor_who[] = {"kernel floor, 100 names",
                                      "kernel floor, 10,000 names",
                                      "kernel floor, 100,000 names"};
    xsipc_registry *reg[3];
    name_buf *names = malloc(sizeof *names * MAX_NAMES);
    file_buf *files = malloc(sizeof *files * MAX_NAMES);
    char dir[3][PATH_MAX + 16];
    uint64_t seed = 0x9e3779b97f4a7c15u;
    xsipc__key key;
    xsipc_status st;
    int row_of[6], dirfd[3];
    double t0;

    if (names == NULL || files == NULL)
        die("out of memory");
    for (long i = 0; i < MAX_NAMES; i++) {
        snprintf(names[i], sizeof names[i], "name-%06ld", i);
        /* The floor's file names, as the registry names the key files. */
        if (xsipc__reg_file_name(XSIPC__KIND_SHM, names[i], files[i],
                                 sizeof files[i], &st) != 0)
            die("key file name of %s: %s", names[i], st.text);
    }
    fprintf(stderr, "xsipc-bench: 4. registering 110,100 names\n");
    t0 = now();
    for (int d = 0; d < 3; d++) {
        snprintf(dir[d], sizeof dir[d], "%s/names%ld", work, sizes[d]);
        if (mkdir(dir[d], 0700) != 0)
            die("mkdir %s: %s", dir[d], strerror(errno));
        reg[d] = xsipc_registry_open(dir[d], XSIPC_REGISTRY_PERSISTENT, &st);
        if (reg[d] == NULL)
            die("xsipc_registry_open: %s", st.text);
        for (long i = 0; i < sizes[d]; i++)
            if (xsipc__reg_resolve(reg[d], XSIPC__KIND_SHM, names[i], 1, &key,
                                   &st) != 0)
                die("register %s: %s", names[i], st.text);
        dirfd[d] = open(dir[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd[d] < 0)
            die("%s: %s", dir[d], strerror(errno));
    }
    for (int d = 0; d < 3; d++) {
        row_of[d] = add_row(title, who[d], "ns/lookup", -1, "100 names");
        rows[row_of[d]].base = row_of[0];
        snprintf(rows[row_of[d]].note, sizeof rows[row_of[d]].note,
                 "persistent registry, xsipc__reg_resolve(create=0), %ld "
                 "random names per round",
                 lookups);
    }
    for (int d = 0; d < 3; d++) {
        row_of[3 + d] =
            add_row(title, floor_who[d], "ns/lookup", -1, "floor, 100 names");
        rows[row_of[3 + d]].base = row_of[3];
        snprintf(rows[row_of[3 + d]].note, sizeof rows[row_of[3 + d]].note,
                 "no xsipc code: openat(O_RDONLY|O_CLOEXEC|O_NOFOLLOW|"
                 "O_NONBLOCK) + fstat + pread(4096 at 0) + close of the same "
                 "key files, %ld random names per round",
                 lookups);
    }
    fprintf(stderr, "xsipc-bench: 4. registered in %.1f s; resolving\n",
            now() - t0);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 6; j++) {
            int i = (j + r) % 6, d = i % 3;
            if (i < 3)
                put(row_of[i], resolve_round(reg[d], sizes[d], names, &seed));
            else
                put(row_of[i], floor_round(dirfd[d], sizes[d], files, &seed));
        }
    for (int d = 0; d < 3; d++) {
        close(dirfd[d]);
        xsipc_registry_close(reg[d]);
        remove_tree(dir[d]); /* the 110,100 key files */
    }
    free(files);
    free(names);
}

/* ------------------------------------------------------- 5. bulk data */

/* Writes bulk_bytes from src into seg and reads them back into dst, in
 * 1 MiB chunks, each under the lock when l is not NULL.  The 64 MiB
 * buffers are reused cyclically. */
static double bulk_round(locker *l, char *seg, const char *src, char *dst,
                         long span)
{
    long chunks = bulk_bytes / MIB;
    double t0 = now();

    for (long i = 0; i < chunks; i++) {
        long off = (i * MIB) % span;
        if (l != NULL)
            lock(l);
        memcpy(seg + off, src + off, MIB);
        if (l != NULL)
            unlock(l);
    }
    for (long i = 0; i < chunks; i++) {
        long off = (i * MIB) % span;
        if (l != NULL)
            lock(l);
        memcpy(dst + off, seg + off, MIB);
        if (l != NULL)
            unlock(l);
    }
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

static void bench_bulk(void)
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

    rm = add_row(title, "memcpy between private buffers", "GiB/s", -1, "");
    rows[rm].base = rm;
    rx = add_row(title, "xsipc segment, lock+memcpy+unlock", "GiB/s", rm,
                 "memcpy");
    snprintf(rows[rm].note, sizeof rows[rm].note,
             "64 MiB buffers reused; 2 GiB moved per round");
    snprintf(rows[rx].note, sizeof rows[rx].note,
             "64 MiB segment reused; 2 x 1024 lock+unlock pairs per round");
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

/* ------------------------------------------------------------ report */

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

static void report(double elapsed)
{
    char cpu[256], qt[64] = "not built (Qt5Core not found)", vg[64];
    char when[64];
    struct utsname u;
    time_t t = time(NULL);
    FILE *f;

    cpu_model(cpu, sizeof cpu);
    uname(&u);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
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

/* ------------------------------------------------------------- main */

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

static void usage(void)
{
    fprintf(stderr, "Usage: xsipc-bench [--out=FILE] [--qt5=PATH] "
                    "[--valgrind=PATH] [--rounds=N] [--only=1..5] [--quick]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    ssize_t n;
    double t0 = now();

    main_pid = getpid();
    if (argc == 4 && strcmp(argv[1], "--pairs") == 0)
        return pairs_mode(argv[2], argv[3]);
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
        } else
            usage();
    }
    if (rounds < 1 || rounds > MAX_ROUNDS)
        die("--rounds: 1..%d", MAX_ROUNDS);
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    self[n] = '\0';
    /* A private IPC namespace (allowed to root): no other program's
     * object is visible, and none can be touched by mistake. */
    private_ns = unshare(CLONE_NEWIPC) == 0;
    setup_dirs();
    atexit(cleanup);

    if (only == 0 || only == 1)
        bench_lock();
    if (only == 0 || only == 2)
        bench_handoff();
    if (only == 0 || only == 3)
        bench_create();
    if (only == 0 || only == 4)
        bench_resolve();
    if (only == 0 || only == 5)
        bench_bulk();
    report(now() - t0);

    if (private_ns && (sysv_count("shm") != 0 || sysv_count("sem") != 0))
        die("left behind: %d segments, %d semaphore sets", sysv_count("shm"),
            sysv_count("sem"));
    cleanup();
    return 0;
}
