/* SPDX-License-Identifier: MIT */
/*
 * storm.c -- many processes churn through create, attach, lock, unlock,
 * detach and free of a few names, optionally under a storm of SIGKILLs,
 * and an observer outside System V checks that no two of them are ever
 * inside a name's critical section at once.
 *
 * SYNOPSIS
 *     storm [-w WORKERS] [-n NAMES] [-s SECONDS] [-k] [-p] [-S SEED]
 *           [-d DIR] [-X nolock|flock]
 *
 *     -w  worker processes (default 6), -n names (default 3), -s seconds
 *         of churn (default 10), -S the seed of the random choices;
 *     -k  kill storm: every 1 to 20 ms the parent sends SIGKILL to a
 *         random worker, whatever it is doing, and starts it again;
 *     -p  a persistent registry (xsipc_registry_open(DIR,
 *         XSIPC_REGISTRY_PERSISTENT)) instead of the default one, which is
 *         $TMPDIR with Qt's life cycle of key files;
 *     -d  the registry directory (default: a new mkdtemp directory, set as
 *         TMPDIR before any xsipc call, removed at the end; a DIR given
 *         here should be empty, and is kept);
 *     -X  a check of the checker: nolock takes no lock at all, so the run
 *         must report overlaps; flock also holds an flock(2) of a file of
 *         the name around each critical section, which excludes for sure,
 *         so every overlap reported would be the observer's mistake.
 *
 * A worker's cycle picks a name, makes a handle (or takes the one it kept
 * from an earlier cycle of the name: detached, still joined to the name's
 * lock set), creates the segment or, when it exists, attaches it (or the
 * other way round), then locks it one or several times (xsipc_shm_lock,
 * _lock_timeout or a _try_lock loop), and ends with a detach and free, a
 * detach that keeps the handle for later, a free alone, or a free or
 * detach that still holds the lock (they release it); short sleeps here
 * and there make the kills land in every phase.
 *
 * Exclusion is checked in an anonymous MAP_SHARED mapping made before the
 * first fork, not in System V.  Each process incarnation has a token of
 * its own (a counter of the shared page and its worker number, never a
 * pid: pids come round again at a thousand forks a second).  Entering a
 * critical section swaps its token into the name's "inside" word; leaving
 * swaps it back to 0 if it is still there.  An overlap is
 *   - an entry that finds the token of an incarnation that is alive and
 *     not being killed: the kernel releases a killed holder's lock
 *     (SEM_UNDO) in exit_sem(), before the process is a zombie that its
 *     parent can reap, so the next holder may legitimately find the token
 *     of a process that has not been reaped yet.  The parent therefore
 *     withdraws an incarnation's "live" mark *before* it sends SIGKILL
 *     (and when it reaps one that ended of itself): a token whose mark is
 *     still up belongs to a process that has run no exit code, so it is
 *     still inside;
 *   - or a leave that finds its own token gone (someone came in while it
 *     was inside) and that no entry reported already.  (Under a broken
 *     lock one overlap may be counted twice in a race; never zero times.)
 *
 * Each segment holds a counter incremented with a write-ahead record, as
 * in stress.c; the shared page keeps, per name and worker, how many
 * increments of the current segment were acknowledged.  A segment goes
 * away with its last user (and is made again), so the segment carries a
 * generation number given by its first lock holder, and at every lock the
 * counter must equal the sum of the acknowledgements of that generation,
 * after the holder rolled a pending record forward because the lock said
 * XSIPC_OWNER_DIED.  A pending record without that report, or a counter
 * that does not add up, is a mismatch.
 *
 * At the end the workers are stopped and reaped, each name is checked
 * once more, xsipc_registry_gc(XSIPC_GC_NOW) runs once (as `xsipc gc
 * --now`), the names are removed from a persistent registry, and then the
 * System V objects left (the program runs in a private IPC namespace, so
 * all of them are its own) and the files left in the registry directory
 * are counted.  It prints one summary line and exits 0 only when there
 * were no overlaps, mismatches, hangs or errors and nothing was left; 1
 * otherwise (a run that outlives SECONDS + 30 s is a HANG), 2 on bad
 * usage, 77 without a private IPC namespace, 99 when it could not start.
 *
 * make check runs each of the four forms (default or persistent registry,
 * with or without kills) for a few seconds through tests/storm.sh; make
 * stress runs them STORM_SECONDS each.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stormkit.h"
#include "xsipc.h"

#define MAX_WORKERS 64
#define MAX_NAMES 64
#define SEG_SIZE 4096
#define LOCK_TIMEOUT_MS 10000L
/* Longer than any lock wait: a worker in one phase this long is stuck. */
#define STUCK_MS 15000
/* After the stop, how long the workers have to finish their cycle. */
#define STOP_GRACE_MS 20000
/* The run must end within SECONDS + this, or it is a HANG. */
#define WATCHDOG_SLACK 30
/* create, then attach, then create ... while the segment keeps vanishing */
#define JOIN_ROUNDS 100

/* Where a worker is; kills are counted by the phase they hit. */
enum phase {
    PH_START,
    PH_NEW,
    PH_CREATE,
    PH_ATTACH,
    PH_LOCK,
    PH_CRITICAL,
    PH_UNLOCK,
    PH_DETACH,
    PH_FREE,
    PH_IDLE,
    PH_COUNT
};

static const char *const phase_name[PH_COUNT] = {
    "start",    "new",    "create", "attach", "lock",
    "critical", "unlock", "detach", "free",   "idle"};

enum report_kind { R_OVERLAP, R_MISMATCH, R_HANG, R_ERROR, R_COUNT };

enum selftest { ST_NONE, ST_NOLOCK, ST_FLOCK };

/* The segment's data: the counter and its write-ahead record. */
struct seg {
    volatile uint64_t gen; /* 0 until its first lock holder numbers it */
    volatile uint64_t counter;
    volatile uint64_t pending; /* the record below awaits step 2 */
    volatile uint64_t next_counter;
    volatile uint64_t next_acked; /* absolute values, so that rolling */
    volatile uint64_t next_slot;  /* forward twice does no harm */
};

/* A name, outside System V. */
struct name_state {
    uint64_t inside;                      /* the token inside, or 0 */
    volatile uint64_t gen;                /* the generation acked[] counts */
    volatile uint64_t acked[MAX_WORKERS]; /* per worker number */
};

/* The anonymous shared mapping; counters change with atomic adds. */
struct board {
    uint64_t incarnations, generations;
    uint64_t cycles, locks, creates, attaches, vanished, reused;
    uint64_t overlaps, owner_died, repairs, mismatches, hangs, errors;
    uint64_t unreported, split, miscounted; /* the mismatches' kinds */
    uint64_t kills, kills_in[PH_COUNT];
    uint64_t reported[R_COUNT];
    int stop;
    struct sk_slot slot[MAX_WORKERS];
    uint64_t seen[MAX_WORKERS]; /* overlaps an intruder reported against
                                   the slot's incarnation */
    struct name_state name[MAX_NAMES];
};

/* What one process works with. */
struct worker {
    unsigned idx;
    uint64_t token;
    xsipc_registry *reg; /* the persistent registry; NULL: the default */
    int lockfd[MAX_NAMES];
    xsipc_shm *kept[MAX_NAMES]; /* a handle kept, detached, for the next
                                   cycle of the name (idle on its set) */
};

static struct {
    unsigned workers, names, seconds;
    int kills, persistent;
    enum selftest selftest;
    unsigned long seed;
    char dir[4096];     /* the registry */
    char lockdir[4096]; /* -X flock's files */
    int own_dir;
    pid_t parent;
} cfg = {6, 3, 10, 0, 0, ST_NONE, 0, "", "", 0, 0};

static struct board *B;
static struct sk_slot *self; /* a worker's own slot */
static char names[MAX_NAMES][32];
static char hang_text[4400]; /* the watchdog's message, made at start */
static struct sk_crew crew;

/* ------------------------------------------------------------- helpers */

static int stopping(void)
{
    return __atomic_load_n(&B->stop, __ATOMIC_SEQ_CST);
}

static void spin(unsigned n)
{
    volatile unsigned i;

    for (i = 0; i < n; i++)
        ;
}

/* The first SK_SHOWN messages of a kind. */
static void report(enum report_kind kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sk_report(&B->reported[kind], fmt, ap);
    va_end(ap);
}

static void count_error(const char *what, const xsipc_shm *h)
{
    sk_add(&B->errors);
    report(R_ERROR, "error: %s: %s", what,
           h != NULL ? xsipc_shm_error_string(h) : strerror(errno));
}

static void phase(int p)
{
    self->since = sk_now_ms();
    __atomic_store_n(&self->phase, p, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------ observer */

/* Is token the incarnation that runs now, not being killed? One load:
 * the parent puts 0 there before SIGKILL, and the next token only after
 * the reap. */
static int running(uint64_t token)
{
    unsigned idx = (unsigned)(token & 0xff);

    return idx < MAX_WORKERS && sk_get(&B->slot[idx].live) == token;
}

static void enter(struct worker *w, unsigned n)
{
    uint64_t prev =
        __atomic_exchange_n(&B->name[n].inside, w->token, __ATOMIC_SEQ_CST);

    if (prev == 0 || !running(prev))
        return; /* free, or a dead holder's token: its lock came back */
    sk_add(&B->seen[prev & 0xff]);
    sk_add(&B->overlaps);
    report(R_OVERLAP,
           "overlap: worker %u (incarnation %llu) entered \"%s\" while "
           "worker %u (incarnation %llu) was inside",
           w->idx, (unsigned long long)(w->token >> 8), names[n],
           (unsigned)(prev & 0xff), (unsigned long long)(prev >> 8));
}

static void leave(struct worker *w, unsigned n)
{
    uint64_t expect = w->token;

    if (__atomic_compare_exchange_n(&B->name[n].inside, &expect, 0, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    /* Someone came in while we were inside.  Counted already when it
     * found our token; not when it found another's or none (a chain). */
    if (__atomic_exchange_n(&B->seen[w->idx], 0, __ATOMIC_SEQ_CST) != 0)
        return;
    sk_add(&B->overlaps);
    if (expect == 0)
        report(R_OVERLAP,
               "overlap: worker %u (incarnation %llu) left \"%s\" and "
               "found it empty: someone came and went meanwhile",
               w->idx, (unsigned long long)(w->token >> 8), names[n]);
    else
        report(R_OVERLAP,
               "overlap: worker %u (incarnation %llu) left \"%s\" and "
               "found incarnation %llu of worker %u inside",
               w->idx, (unsigned long long)(w->token >> 8), names[n],
               (unsigned long long)(expect >> 8), (unsigned)(expect & 0xff));
}

/* ------------------------------------------------------------ counters */

static void roll_forward(struct seg *s, struct name_state *ns)
{
    uint64_t slot = s->next_slot;

    s->counter = s->next_counter;
    if (ns->gen == s->gen && slot < MAX_WORKERS)
        ns->acked[slot] = s->next_acked;
    s->pending = 0;
}

/*
 * Under the lock: repairs what a dead holder left, numbers a new segment,
 * and checks that the counter adds up.  A mismatch makes the page agree
 * with the segment again, so that one fault is counted once.
 */
static void check(struct seg *s, unsigned n, unsigned widx, int died)
{
    struct name_state *ns = &B->name[n];
    uint64_t sum = 0;
    unsigned i;

    if (died)
        sk_add(&B->owner_died);
    if (s->pending) {
        if (died) {
            sk_add(&B->repairs);
        } else {
            sk_add(&B->mismatches);
            sk_add(&B->unreported);
            report(R_MISMATCH,
                   "mismatch: \"%s\": a half-done update, and the lock "
                   "did not say XSIPC_OWNER_DIED",
                   names[n]);
        }
        roll_forward(s, ns);
    }
    if (s->gen == 0) {
        /* A new segment.  Its number is written last: a holder killed
         * before that leaves gen 0 and the next one starts again. */
        uint64_t g = sk_add(&B->generations) + 1;
        for (i = 0; i < MAX_WORKERS; i++)
            ns->acked[i] = 0;
        ns->gen = g;
        s->counter = 0;
        s->gen = g;
        return;
    }
    for (i = 0; i < MAX_WORKERS; i++)
        sum += ns->acked[i];
    if (ns->gen == s->gen && sum == s->counter)
        return;
    sk_add(&B->mismatches);
    if (ns->gen != s->gen) {
        /* One segment per name at a time: another one was locked since
         * this one was, so the name's data was split between two. */
        sk_add(&B->split);
        report(R_MISMATCH,
               "mismatch: \"%s\": the segment locked is generation %llu, "
               "the one locked before it generation %llu",
               names[n], (unsigned long long)s->gen,
               (unsigned long long)ns->gen);
    } else {
        sk_add(&B->miscounted);
        report(R_MISMATCH,
               "mismatch: \"%s\": the counter of generation %llu is %llu, "
               "its acknowledgements add up to %llu",
               names[n], (unsigned long long)s->gen,
               (unsigned long long)s->counter, (unsigned long long)sum);
    }
    for (i = 0; i < MAX_WORKERS; i++)
        ns->acked[i] = 0;
    ns->acked[widx] = s->counter;
    ns->gen = s->gen;
}

/* Now and then a pause, so that kills find the worker here. */
static void pause_inside(void)
{
    unsigned r = sk_rnd() % 32;

    if (r == 0)
        sk_nap_us(20 + sk_rnd() % 300);
    else if (r < 6)
        spin(sk_rnd() % 5000);
}

/* The critical section: one increment with its write-ahead record. */
static void critical(struct worker *w, xsipc_shm *h, unsigned n, int died)
{
    struct seg *s = xsipc_shm_data(h);
    struct name_state *ns = &B->name[n];

    phase(PH_CRITICAL);
    enter(w, n);
    check(s, n, w->idx, died);
    s->next_counter = s->counter + 1; /* step 1: write ahead */
    s->next_acked = ns->acked[w->idx] + 1;
    s->next_slot = w->idx;
    s->pending = 1;
    pause_inside();
    s->counter = s->next_counter; /* step 2 */
    pause_inside();
    ns->acked[w->idx] = s->next_acked;
    s->pending = 0;
    pause_inside();
    leave(w, n);
}

/* -------------------------------------------------------------- worker */

static void flock_name(struct worker *w, unsigned n, int op)
{
    if (cfg.selftest != ST_FLOCK)
        return;
    while (flock(w->lockfd[n], op) != 0)
        if (errno != EINTR) {
            count_error("flock", NULL);
            return;
        }
}

/* Takes the lock one of three ways; <0 on failure (a timeout is a hang). */
static int take(struct worker *w, xsipc_shm *h, unsigned n)
{
    unsigned how = sk_rnd() % 8;
    int64_t deadline;
    int rc;

    phase(PH_LOCK);
    if (cfg.selftest == ST_NOLOCK)
        return 0;
    flock_name(w, n, LOCK_EX);
    if (how < 4) {
        rc = xsipc_shm_lock(h);
    } else if (how < 7) {
        rc = xsipc_shm_lock_timeout(h, LOCK_TIMEOUT_MS);
    } else {
        deadline = sk_now_ms() + LOCK_TIMEOUT_MS;
        while ((rc = xsipc_shm_try_lock(h)) == -XSIPC_WOULD_BLOCK &&
               sk_now_ms() < deadline)
            sk_nap_us(20 + sk_rnd() % 200);
    }
    if (rc >= 0)
        return rc;
    flock_name(w, n, LOCK_UN);
    if (rc == -XSIPC_TIMEOUT || rc == -XSIPC_WOULD_BLOCK) {
        sk_add(&B->hangs);
        report(R_HANG, "HANG: worker %u waited %ld ms for \"%s\": %s", w->idx,
               LOCK_TIMEOUT_MS, names[n],
               rc == -XSIPC_TIMEOUT ? xsipc_shm_error_string(h)
                                    : "xsipc_shm_try_lock kept failing");
    } else {
        count_error("lock", h);
    }
    return rc;
}

static int give(struct worker *w, xsipc_shm *h, unsigned n)
{
    int rc = 0;

    phase(PH_UNLOCK);
    if (cfg.selftest == ST_NOLOCK)
        return 0;
    if ((rc = xsipc_shm_unlock(h)) < 0)
        count_error("unlock", h);
    else
        flock_name(w, n, LOCK_UN);
    return rc;
}

/* Creates or attaches the segment of name n; 0 when attached. */
static int join(xsipc_shm *h)
{
    int attach_first = sk_rnd() % 3 == 0;
    int i, rc;

    for (i = 0; i < JOIN_ROUNDS; i++) {
        if (!attach_first || i > 0) {
            phase(PH_CREATE);
            if ((rc = xsipc_shm_create(h, SEG_SIZE, XSIPC_READ_WRITE)) == 0) {
                sk_add(&B->creates);
                break;
            }
            if (rc != -XSIPC_ALREADY_EXISTS) {
                count_error("create", h);
                return -1;
            }
        }
        phase(PH_ATTACH);
        if ((rc = xsipc_shm_attach(h, XSIPC_READ_WRITE)) == 0) {
            sk_add(&B->attaches);
            break;
        }
        if (rc != -XSIPC_NOT_FOUND) {
            count_error("attach", h);
            return -1;
        }
        sk_add(&B->vanished); /* gone between the create and the attach */
    }
    if (i == JOIN_ROUNDS) {
        sk_add(&B->errors);
        report(R_ERROR, "error: create and attach kept failing (%d rounds)",
               JOIN_ROUNDS);
        return -1;
    }
    if (xsipc_shm_size(h) < sizeof(struct seg)) {
        sk_add(&B->errors);
        report(R_ERROR, "error: segment of %zu bytes", xsipc_shm_size(h));
        return -1;
    }
    return 0;
}

static void idle(void)
{
    phase(PH_IDLE);
    if (sk_rnd() % 4 == 0)
        sk_nap_us(sk_rnd() % 200);
}

static void cycle(struct worker *w)
{
    unsigned n = sk_rnd() % cfg.names;
    int r, rounds, rc, held = 0, keep;
    xsipc_shm *h;

    phase(PH_NEW);
    if ((h = w->kept[n]) != NULL) {
        w->kept[n] = NULL; /* detached, still joined to the name's set */
        sk_add(&B->reused);
    } else {
        h = w->reg != NULL ? xsipc_shm_new_in(w->reg, names[n])
                           : xsipc_shm_new(names[n]);
    }
    if (h == NULL) {
        count_error("xsipc_shm_new", NULL);
        return;
    }
    if (join(h) == 0) {
        rounds = sk_rnd() % 4 == 0 ? 2 + (int)(sk_rnd() % 7) : 1;
        for (r = 0; r < rounds && !stopping(); r++) {
            if ((rc = take(w, h, n)) < 0)
                break;
            sk_add(&B->locks);
            critical(w, h, n, rc == XSIPC_OWNER_DIED);
            /* Sometimes the detach or free releases the lock. */
            if (r == rounds - 1 && cfg.selftest != ST_NOLOCK &&
                sk_rnd() % 8 == 0) {
                held = 1;
                break;
            }
            if (give(w, h, n) < 0) {
                held = 1; /* the free lets it go */
                break;
            }
            if (r < rounds - 1)
                idle();
        }
    }
    /* A detach, then the handle kept for a later cycle of the name (it
     * stays joined to the name's lock set, idle) or freed; or a free
     * alone.  A detach releases a lock still held, as free does. */
    keep = sk_rnd() % 2 == 0;
    if (xsipc_shm_is_attached(h) && (keep || sk_rnd() % 2 == 0)) {
        phase(PH_DETACH);
        if (xsipc_shm_detach(h) < 0) {
            count_error("detach", h);
            keep = 0;
        }
    }
    if (keep && !xsipc_shm_is_attached(h)) {
        w->kept[n] = h;
    } else {
        phase(PH_FREE);
        xsipc_shm_free(h);
    }
    if (held)
        flock_name(w, n, LOCK_UN);
    sk_add(&B->cycles);
    idle();
}

/* A worker that crashes withdraws its mark first: its token is no
 * longer that of a live holder. */
static void crashed(int sig)
{
    sk_put(&self->live, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void worker_main(unsigned idx, uint64_t token) __attribute__((noreturn));
static void worker_main(unsigned idx, uint64_t token)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    struct worker w;
    xsipc_status st;
    unsigned i;

    memset(&w, 0, sizeof w);
    w.idx = idx;
    w.token = token;
    self = &B->slot[idx];
    /* Intruders count against a token only once it is inside a name. */
    sk_put(&B->seen[idx], 0);
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != cfg.parent)
        _exit(0); /* the parent is gone already */
    for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], crashed);
    sk_seed_rnd(cfg.seed ^ (token * 0xff51afd7ed558ccdULL));
    phase(PH_START);
    if (cfg.persistent) {
        w.reg = xsipc_registry_open(cfg.dir, XSIPC_REGISTRY_PERSISTENT, &st);
        if (w.reg == NULL) {
            sk_add(&B->errors);
            report(R_ERROR, "error: worker %u: %s", idx, st.text);
            _exit(3);
        }
    }
    for (i = 0; cfg.selftest == ST_FLOCK && i < cfg.names; i++) {
        char path[4200];
        int len = snprintf(path, sizeof path, "%s/%s", cfg.lockdir, names[i]);
        if (len < 0 || (size_t)len >= sizeof path ||
            (w.lockfd[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) <
                0) {
            count_error(path, NULL);
            _exit(3);
        }
    }
    while (!stopping())
        cycle(&w);
    phase(PH_FREE);
    for (i = 0; i < cfg.names; i++)
        xsipc_shm_free(w.kept[i]);
    xsipc_registry_close(w.reg);
    _exit(0);
}

/* -------------------------------------------------------------- parent */

/* The last look at each name, with no worker left. */
static void final_check(xsipc_registry *reg)
{
    unsigned n;
    int rc;

    for (n = 0; n < cfg.names; n++) {
        xsipc_shm *h = xsipc_shm_new_in(reg, names[n]);
        if (h == NULL) {
            count_error("xsipc_shm_new", NULL);
            continue;
        }
        rc = xsipc_shm_attach(h, XSIPC_READ_WRITE);
        if (rc == -XSIPC_NOT_FOUND) {
            xsipc_shm_free(h);
            continue; /* its last user took it away */
        }
        if (rc < 0) {
            count_error("final attach", h);
        } else if ((rc = xsipc_shm_lock_timeout(h, LOCK_TIMEOUT_MS)) < 0) {
            if (rc == -XSIPC_TIMEOUT) {
                sk_add(&B->hangs);
                report(R_HANG, "HANG: final lock: %s",
                       xsipc_shm_error_string(h));
            } else {
                count_error("final lock", h);
            }
        } else {
            check(xsipc_shm_data(h), n, 0, rc == XSIPC_OWNER_DIED);
            if (xsipc_shm_unlock(h) < 0)
                count_error("final unlock", h);
        }
        xsipc_shm_free(h);
    }
}

/* gc as `xsipc gc --now`, then (persistent registry) every name removed
 * with its objects. */
static int clean_registry(xsipc_registry *reg)
{
    static const xsipc_kind kinds[2] = {XSIPC_KIND_SHM, XSIPC_KIND_SEM};
    xsipc_status st;
    unsigned n, k;
    int gc;

    if ((gc = xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st)) < 0) {
        sk_add(&B->errors);
        report(R_ERROR, "error: gc: %s", st.text);
        gc = 0;
    }
    for (n = 0; cfg.persistent && n < cfg.names; n++)
        for (k = 0; k < 2; k++)
            if (xsipc_registry_remove(reg, names[n], kinds[k],
                                      XSIPC_REMOVE_OBJECT, &st) < 0 &&
                st.code != XSIPC_NOT_FOUND) {
                sk_add(&B->errors);
                report(R_ERROR, "error: remove: %s", st.text);
            }
    return gc;
}

static int usage(void)
{
    fprintf(stderr, "usage: storm [-w WORKERS] [-n NAMES] [-s SECONDS] [-k] "
                    "[-p] [-S SEED] [-d DIR] [-X nolock|flock]\n");
    return 2;
}

static int options(int argc, char **argv)
{
    int opt;

    cfg.seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
    while ((opt = getopt(argc, argv, "w:n:s:kpS:d:X:")) != -1) {
        if (opt == 'w')
            cfg.workers = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 'n')
            cfg.names = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 's')
            cfg.seconds = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 'k')
            cfg.kills = 1;
        else if (opt == 'p')
            cfg.persistent = 1;
        else if (opt == 'S')
            cfg.seed = strtoul(optarg, NULL, 0);
        else if (opt == 'd' && strlen(optarg) < sizeof cfg.dir)
            strcpy(cfg.dir, optarg);
        else if (opt == 'X' && strcmp(optarg, "nolock") == 0)
            cfg.selftest = ST_NOLOCK;
        else if (opt == 'X' && strcmp(optarg, "flock") == 0)
            cfg.selftest = ST_FLOCK;
        else
            return usage();
    }
    if (optind != argc || cfg.workers < 1 || cfg.workers > MAX_WORKERS ||
        cfg.names < 1 || cfg.names > MAX_NAMES || cfg.seconds < 1) {
        fprintf(stderr, "storm: 1..%d workers, 1..%d names, 1 s or more\n",
                MAX_WORKERS, MAX_NAMES);
        return usage();
    }
    return 0;
}

/* Our own IPC namespace, so that every object in it is ours to count. */
static int private_ipc(void)
{
    const char *env = getenv("XSIPC_TEST_IPCNS");

    if (unshare(CLONE_NEWIPC) == 0)
        return 0;
    if (env != NULL && strcmp(env, "1") == 0)
        return 0; /* tests/ipcns put us in one */
    fprintf(stderr, "storm: a private IPC namespace is needed: run it as "
                    "root or through tests/ipcns\n");
    return 77;
}

/* The registry directory (and -X flock's), TMPDIR set to it. */
static int directories(void)
{
    const char *tmp = getenv("TMPDIR");
    const char *base = tmp != NULL && *tmp != '\0' ? tmp : "/tmp";

    if (cfg.dir[0] == '\0') {
        snprintf(cfg.dir, sizeof cfg.dir, "%s/xsipc-storm-XXXXXX", base);
        if (mkdtemp(cfg.dir) == NULL) {
            perror("storm: mkdtemp");
            return 99;
        }
        cfg.own_dir = 1;
    }
    if (cfg.selftest == ST_FLOCK) {
        snprintf(cfg.lockdir, sizeof cfg.lockdir, "%s/xsipc-storm-flock-XXXXXX",
                 base);
        if (mkdtemp(cfg.lockdir) == NULL) {
            perror("storm: mkdtemp");
            return 99;
        }
    }
    if (setenv("TMPDIR", cfg.dir, 1) != 0) {
        perror("storm: setenv");
        return 99;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int64_t began;
    xsipc_registry *reg;
    xsipc_status st;
    int rc, shm_left, sem_left, files_left, gc, failed, p;
    char where[256];

    if ((rc = options(argc, argv)) != 0 || (rc = private_ipc()) != 0 ||
        (rc = directories()) != 0)
        return rc;
    sk_seed_rnd(cfg.seed);
    cfg.parent = getpid();
    for (p = 0; p < (int)cfg.names; p++)
        snprintf(names[p], sizeof names[p], "storm-%d", p);
    B = mmap(NULL, sizeof *B, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (B == MAP_FAILED) {
        perror("storm: mmap");
        return 99;
    }
    memset(B, 0, sizeof *B);
    snprintf(hang_text, sizeof hang_text,
             "storm: HANG: the run did not end within %u s; registry %s "
             "left as it was\n",
             cfg.seconds + WATCHDOG_SLACK, cfg.dir);
    crew.slot = B->slot;
    crew.count = cfg.workers;
    crew.incarnations = &B->incarnations;
    crew.errors = &B->errors;
    crew.hangs = &B->hangs;
    crew.shown_errors = &B->reported[R_ERROR];
    crew.shown_hangs = &B->reported[R_HANG];
    crew.phase_name = phase_name;
    crew.stuck_ms = STUCK_MS;
    crew.may_exit = stopping;
    crew.worker = worker_main;
    crew.hang_text = hang_text;
    sk_crew_use(&crew);
    signal(SIGALRM, sk_watchdog);
    alarm(cfg.seconds + WATCHDOG_SLACK);
    began = sk_now_ms();

    sk_run(cfg.seconds, cfg.kills ? &B->kills : NULL, B->kills_in);
    __atomic_store_n(&B->stop, 1, __ATOMIC_SEQ_CST);
    sk_stop(0, cfg.workers,
            began + (int64_t)cfg.seconds * 1000 + STOP_GRACE_MS);

    reg = xsipc_registry_open(cfg.persistent ? cfg.dir : NULL,
                              cfg.persistent ? XSIPC_REGISTRY_PERSISTENT : 0,
                              &st);
    if (reg == NULL) {
        fprintf(stderr, "storm: %s\n", st.text);
        return 99;
    }
    final_check(reg);
    gc = clean_registry(reg);
    xsipc_registry_close(reg);
    alarm(0);

    shm_left = sk_count_objects("/proc/sysvipc/shm");
    sem_left = sk_count_objects("/proc/sysvipc/sem");
    files_left = sk_count_files(cfg.dir, cfg.own_dir, 0);
    if (cfg.own_dir && rmdir(cfg.dir) != 0) {
        fprintf(stderr, "storm: rmdir %s: %s\n", cfg.dir, strerror(errno));
        files_left = files_left > 0 ? files_left : 1;
    }
    if (cfg.lockdir[0] != '\0') {
        (void)sk_count_files(cfg.lockdir, 1, 1);
        (void)rmdir(cfg.lockdir);
    }

    snprintf(where, sizeof where, "%s registry, %s%s",
             cfg.persistent ? "persistent" : "default",
             cfg.kills ? "kill storm" : "churn",
             cfg.selftest == ST_NOLOCK  ? ", no lock (self-test)"
             : cfg.selftest == ST_FLOCK ? ", flock (self-test)"
                                        : "");
    fprintf(stderr,
            "storm: %llu locks, %llu creates, %llu attaches, %llu segments "
            "vanished before attach, %llu cycles on a kept (idle) handle, gc "
            "removed %d, left %d segments and %d "
            "semaphore sets; mismatches: %llu "
            "half-done updates without XSIPC_OWNER_DIED, %llu of another "
            "segment of the name, %llu miscounted; kills in",
            (unsigned long long)B->locks, (unsigned long long)B->creates,
            (unsigned long long)B->attaches, (unsigned long long)B->vanished,
            (unsigned long long)B->reused, gc, shm_left, sem_left,
            (unsigned long long)B->unreported, (unsigned long long)B->split,
            (unsigned long long)B->miscounted);
    for (p = 0; p < PH_COUNT; p++)
        fprintf(stderr, " %s %llu%s", phase_name[p],
                (unsigned long long)B->kills_in[p],
                p < PH_COUNT - 1 ? "," : "\n");
    printf("storm: %s, seed %lu: %u workers, %u names, %u s: %llu cycles, "
           "%llu kills, %llu overlaps, %llu owner-died, %llu repairs, %llu "
           "mismatches, %llu hangs, %llu errors, %d objects and %d files "
           "left\n",
           where, cfg.seed, cfg.workers, cfg.names, cfg.seconds,
           (unsigned long long)B->cycles, (unsigned long long)B->kills,
           (unsigned long long)B->overlaps, (unsigned long long)B->owner_died,
           (unsigned long long)B->repairs, (unsigned long long)B->mismatches,
           (unsigned long long)B->hangs, (unsigned long long)B->errors,
           shm_left + sem_left, files_left);
    failed = B->overlaps || B->mismatches || B->hangs || B->errors ||
             shm_left + sem_left != 0 || files_left != 0;
    return failed ? 1 : 0;
}
