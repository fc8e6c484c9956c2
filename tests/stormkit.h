/* SPDX-License-Identifier: MIT */
/*
 * stormkit.h -- what the two storms (tests/storm.c for locks and
 * segments, tests/chanstorm.c for channels) share: counters in shared
 * memory, a cheap random source, the clock, waiting for a worker, and
 * the count of what a run left behind.  Messages start with sk_prog.
 */
#ifndef STORMKIT_H
#define STORMKIT_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

/* How many leftovers (objects, files) a count names before it goes on
 * quietly. */
#define SK_SHOWN 5

/* "storm" or "chanstorm", set by main before anything is said. */
extern const char *sk_prog;

/* Sequentially consistent, for counters in a MAP_SHARED board. */
uint64_t sk_add(uint64_t *p); /* returns the value before */
uint64_t sk_get(uint64_t *p);
void sk_put(uint64_t *p, uint64_t v);

/* xorshift64*, one state per process: cheap, and good enough to pick
 * phases and moments; a worker seeds it with its incarnation's token. */
uint32_t sk_rnd(void);
void sk_seed_rnd(uint64_t seed);

int64_t sk_now_ms(void); /* CLOCK_MONOTONIC */
int64_t sk_now_us(void);
void sk_nap_us(long us); /* nanosleep, resumed after signals */

/* Waits at most ms for pid; 0 and its status when it ended, else -1. */
int sk_wait_for(pid_t pid, long ms, int *status);

/* "PROG: " and the message, on one line in one write (so that the lines
 * of many processes do not mix), while *count, advanced, was below
 * SK_SHOWN. */
void sk_report(uint64_t *count, const char *fmt, va_list ap);

/* The objects listed in a /proc/sysvipc file, the first few named. */
int sk_count_objects(const char *path);
/* The entries of dir, the first few named unless quiet; with remove,
 * deleted.  -1 when dir cannot be read. */
int sk_count_files(const char *dir, int remove, int quiet);

/* ---------------------------------------------------------------- crew */

/* A worker's place on the MAP_SHARED board.  live is the incarnation's
 * token while it runs and is not being killed (the supervisor puts 0
 * there before SIGKILL, and the next token only after the reap), so an
 * observer that finds a token inside a name can tell with one load
 * whether its holder still lives.  The worker keeps since and phase. */
struct sk_slot {
    uint64_t live, token;
    int64_t since; /* CLOCK_MONOTONIC ms when it entered phase */
    int phase;
    pid_t pid; /* 0 when not running */
};

/* The supervisor's view of its workers (tests/stormcrew.c): each is a
 * forked process with a slot, started again when it ends or is killed.
 * Tokens are (incarnation << 8) | slot, so a reused pid never passes for
 * an earlier incarnation. */
struct sk_crew {
    struct sk_slot *slot; /* count of them, on the board */
    unsigned count;
    uint64_t *incarnations, *errors, *hangs;
    uint64_t *shown_errors, *shown_hangs; /* sk_report's counters */
    const char *const *phase_name;
    int64_t stuck_ms;      /* longer in one phase is a HANG */
    int (*may_exit)(void); /* an exit 0 is expected now; NULL: always */
    void (*worker)(unsigned idx, uint64_t token) __attribute__((noreturn));
    const char *hang_text; /* what the watchdog says before it exits */
};

/* The crew the functions below (and the watchdog) work on; it must live
 * as long as the run. */
void sk_crew_use(const struct sk_crew *crew);
/* Forks worker i's next incarnation, in phase 0 (each storm's first
 * phase, PH_START). */
void sk_start(unsigned i);
/* SIGKILL for worker i, after withdrawing its live mark; the phase it
 * was in, or -1 when it ended otherwise. */
int sk_kill(unsigned i);
/* Worker i ended with status; an end other than SIGKILL (killed) or an
 * allowed exit 0 is an error. */
void sk_ended(unsigned i, int status, int killed);
void sk_reap(void);  /* workers that ended of themselves start again */
void sk_watch(void); /* stuck ones are HANGs, killed and started again */
/* Starts every worker and supervises them for seconds; with kills, a
 * random one is SIGKILLed and started again every 1 to 20 ms, counted in
 * *kills and in kills_in[the phase it was in]. */
void sk_run(unsigned seconds, uint64_t *kills, uint64_t *kills_in);
/* Waits until deadline for workers first..last-1, told to stop already,
 * to end; one that does not is a HANG and is killed. */
void sk_stop(unsigned first, unsigned last, int64_t deadline);
/* The SIGALRM handler of a run that outlived its time: kills every
 * worker, says hang_text, exits 1. */
void sk_watchdog(int sig);

#endif /* STORMKIT_H */
