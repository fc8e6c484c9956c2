/* SPDX-License-Identifier: MIT */
/*
 * create.c -- benchmark 3: create(4096)+detach cycles.  xsipc's default
 * registry against Qt 5 (Qt makes and removes two key files per cycle;
 * xsipc keeps a cycled name's idle, registry/linger.c, and a row of names
 * used once shows its making and removal), with a fresh handle per cycle
 * (new+create+free against a QSharedMemory constructed, created, detached and
 * destroyed) beside the floor of Qt's key-file life cycle done with no library,
 * and with one handle reused for every cycle (create+detach against one
 * QSharedMemory's); and a persistent registry (key files kept) against raw
 * shmget+shmat+shmdt+IPC_RMID, beside the floor of Qt's lock protocol
 * with known keys.
 *
 * Method: cycles per second in rounds of about `budget` seconds, the clock
 * read once per 50 cycles, all contenders alternating.  On a disk file
 * system the key files dominate, so the default-registry group runs in
 * our $TMPDIR and again on tmpfs (/dev/shm) when that is another file
 * system.  The floors do directly the system calls a contender cannot
 * avoid, so the ratios show how much of an aim the kernel leaves.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"
#include "registry/registry.h"

static xsipc_registry *persistent; /* the persistent registry of 3 */
static key_t raw_key;              /* ftok of a file of our own */
static xsipc_shm *reused;          /* the reused handle of the group run */

/* One create+detach cycle of each kind.  xsipc: create(4096) on a new
 * handle s, and free (the detach). */
static void xsipc_cycle(xsipc_shm *s)
{
    if (s == NULL || xsipc_shm_create(s, 4096, XSIPC_READ_WRITE) != 0)
        die("create: %s", xsipc_shm_error_string(s));
    xsipc_shm_free(s);
}

static void cycle_default(void)
{
    xsipc_cycle(xsipc_shm_new("cycle"));
}

/* A name no cycle used before: its key files are made and removed every
 * cycle (a process keeps idle only the files of a name it cycles). */
static void cycle_new_name(void)
{
    static unsigned long n;
    char name[32];

    snprintf(name, sizeof name, "once-%lu", n++);
    xsipc_cycle(xsipc_shm_new(name));
}

static void cycle_persistent(void)
{
    xsipc_cycle(xsipc_shm_new_in(persistent, "cycle"));
}

/* create(4096) + detach on the one handle of the pair being run. */
static void cycle_reused(void)
{
    if (xsipc_shm_create(reused, 4096, XSIPC_READ_WRITE) != 0 ||
        xsipc_shm_detach(reused) != 0)
        die("create/detach: %s", xsipc_shm_error_string(reused));
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

typedef void cycle_fn(void);

/* One batch of 50 cycles, for per_second; arg points at the cycle_fn. */
static void fifty_cycles(void *arg)
{
    cycle_fn *const *cycle = arg;

    for (int i = 0; i < 50; i++)
        (*cycle)();
}

static double cycle_rate(cycle_fn *cycle)
{
    return per_second(fifty_cycles, &cycle, 50);
}

/* The default-registry group of 3 in one $TMPDIR: Qt 5 and xsipc with a
 * fresh handle per cycle, the floor of Qt's life cycle in the same
 * directory, and Qt 5 and xsipc with one handle reused. */
typedef struct tmp_pair {
    char dir[PATH_MAX + 8];
    char qt_who[96], xs_who[96], fl_who[96], qr_who[96], xr_who[96];
    char xn_who[96];
    int rq, rd, rf, rqr, rxr, rxn;
    int dirfd;      /* dir, for the floor's *at() calls */
    xsipc_shm *shm; /* the reused handle, made in dir */
} tmp_pair;

static void pair_rows(tmp_pair *p, const char *title, const char *fs)
{
    snprintf(p->qt_who, sizeof p->qt_who,
             "Qt5 QSharedMemory, fresh object, $TMPDIR on %s", fs);
    snprintf(p->xs_who, sizeof p->xs_who,
             "xsipc default registry, fresh handle, $TMPDIR on %s", fs);
    p->rq = add_baseline(title, p->qt_who, "cycles/s");
    p->rd = add_row(title, p->xs_who, "cycles/s", p->rq, "Qt5");
    set_note(p->rq, "%s",
             qt5_path == NULL ? no_qt5
                              : "per cycle: QSharedMemory(name) constructed, "
                                "create(4096), detach, destroyed");
    set_note(p->rd, "per cycle: xsipc_shm_new(name) + create(4096) + free; "
                    "the name's key files made once, then kept idle by the "
                    "process between cycles");
    snprintf(p->fl_who, sizeof p->fl_who,
             "Qt key-file life cycle floor, $TMPDIR on %s", fs);
    p->rf = add_row(title, p->fl_who, "cycles/s", p->rq, "Qt5");
    set_note(p->rf,
             "no library: 2 x (openat O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC 0640 + "
             "fstat + close), shmget(IPC_EXCL)+shmat+shmdt+IPC_RMID, 2 x "
             "unlinkat");
    snprintf(p->qr_who, sizeof p->qr_who,
             "Qt5 QSharedMemory, reused object, $TMPDIR on %s", fs);
    snprintf(p->xr_who, sizeof p->xr_who,
             "xsipc default registry, reused handle, $TMPDIR on %s", fs);
    p->rqr = add_baseline(title, p->qr_who, "cycles/s");
    p->rxr = add_row(title, p->xr_who, "cycles/s", p->rqr, "Qt5");
    set_note(p->rqr, "%s",
             qt5_path == NULL ? no_qt5
                              : "one QSharedMemory(name) for every cycle: "
                                "create(4096) + detach");
    set_note(p->rxr, "one xsipc_shm_new(name) for every cycle: create(4096) "
                     "+ detach; the key files kept idle between cycles");
    snprintf(p->xn_who, sizeof p->xn_who,
             "xsipc default registry, a new name every cycle, $TMPDIR on %s",
             fs);
    p->rxn = add_row(title, p->xn_who, "cycles/s", p->rq, "Qt5");
    set_note(p->rxn, "per cycle: xsipc_shm_new(a name used once) + "
                     "create(4096) + free; two key files (record, claim) made "
                     "and removed every cycle");
    p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dirfd < 0)
        die("%s: %s", p->dir, strerror(errno));
    /* Its own name: nothing of the fresh handles' cycles in its way. */
    setenv("TMPDIR", p->dir, 1);
    if ((p->shm = xsipc_shm_new("reuse")) == NULL)
        die("xsipc_shm_new: out of memory");
    setenv("TMPDIR", tmpdir, 1);
}

/* One round of one of the group (which: 0 xsipc fresh, 1 Qt fresh, 2
 * the floor, 3 xsipc reused, 4 Qt reused, 5 xsipc new names): $TMPDIR pointed
 * at its directory (xsipc reads it at each key, the Qt program inherits it). */
static void pair_round(const tmp_pair *p, int which, const char *ms)
{
    const char *fresh[] = {"create", "cycle", ms, NULL};
    const char *again[] = {"recreate", "reuse", ms, NULL};
    double v[2];

    setenv("TMPDIR", p->dir, 1);
    if (which == 0) {
        put(p->rd, cycle_rate(cycle_default));
    } else if (which == 2) {
        floor_dirfd = p->dirfd;
        put(p->rf, cycle_rate(cycle_floor));
        floor_dirfd = -1;
    } else if (which == 5) {
        put(p->rxn, cycle_rate(cycle_new_name));
    } else if (which == 3) {
        reused = p->shm;
        put(p->rxr, cycle_rate(cycle_reused));
        reused = NULL;
    } else if (qt5_path != NULL) {
        qt5(which == 1 ? fresh : again, v, 2);
        put(which == 1 ? p->rq : p->rqr, v[0] / (v[1] * 1e-9));
    }
    setenv("TMPDIR", tmpdir, 1);
}

/* The persistent registry in dir, the raw contenders' keys from a file of
 * their own there, and the floor's key file names. */
static void make_keys(const char *dir)
{
    char file[PATH_MAX + 32];
    xsipc_status st;
    int fd;

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
}

/*
 * Qt and the default registry create and remove two key files per cycle,
 * and on a disk file system (ext4 /tmp, Debian's default) those dominate:
 * the group runs once in our $TMPDIR and, when that is not tmpfs, once
 * more on tmpfs (/dev/shm), where the libraries' own costs show.
 */
void bench_create(void)
{
    static const char title[] = "3. create(4096)+detach";
    static tmp_pair pair[2];
    char dir[PATH_MAX + 16], ms[32], shm_fs[32];
    int rr, rp, rl, npairs = 1, n;

    snprintf(ms, sizeof ms, "%ld", (long)(budget * 1000));
    snprintf(dir, sizeof dir, "%s/persistent", work);
    make_keys(dir);

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
    rr = add_baseline(title, "raw shmget+shmat+shmdt+IPC_RMID", "cycles/s");
    rl = add_row(title, "raw cycle under Qt's lock protocol, keys known",
                 "cycles/s", rr, "raw");
    set_note(rl, "no library, no file: semget + 1 semop making it locked, "
                 "unlock, lock, IPC_STAT, unlock, both IPC_RMID (the floor for "
                 "a persistent registry)");
    rp = add_row(title, "xsipc persistent registry", "cycles/s", rr, "raw");
    set_note(rr,
             "per cycle: shmget(IPC_CREAT|IPC_EXCL, 4096) + shmat + shmdt + "
             "IPC_RMID; key from ftok of a file of its own, on %s",
             work_fs);
    set_note(rp,
             "per cycle: xsipc_shm_new_in(persistent registry, name) + "
             "create(4096) + free; key files kept, the lock set kept "
             "by the process between cycles, on %s",
             work_fs);

    fprintf(stderr, "xsipc-bench: 3. create+detach, %d rounds\n", rounds);
    n = 3 + 6 * npairs;
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
                pair_round(&pair[(i - 3) / 6], (i - 3) % 6, ms);
        }
    }
    for (int i = 0; i < npairs; i++) {
        close(pair[i].dirfd);
        xsipc_shm_free(pair[i].shm);
    }
    xsipc_registry_close(persistent);
    persistent = NULL;
    remove_tree(dir);
    if (work_shm[0] != '\0') {
        remove_tree(work_shm);
        work_shm[0] = '\0';
    }
}
