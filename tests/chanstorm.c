/* SPDX-License-Identifier: MIT */
/*
 * chanstorm.c -- the channel's kill storm (issue 14): senders and
 * receivers of one small channel, each a process that the supervisor
 * SIGKILLs at random moments and starts again, and a checker that proves
 * from their logs that no message was lost, doubled, torn or reordered.
 *
 * SYNOPSIS
 *     chanstorm [-n SENDERS] [-r RECEIVERS] [-s SECONDS] [-k] [-p]
 *               [-c CAPACITY] [-m MAX_MESSAGE] [-t TIMEOUT_MS] [-S SEED]
 *               [-K] [-X lose|dup]
 *
 *     -n, -r  sender and receiver processes (default 3 and 3);
 *     -s      seconds of traffic (default 10);
 *     -k      kill storm: every 1 to 20 ms the supervisor sends SIGKILL to
 *             a random worker, whatever it is doing, and starts it again;
 *     -p      a persistent registry (key files stay; removed at the end);
 *     -c, -m  the channel's capacity and largest message (default 1024
 *             and 256 bytes: a handful of messages fill it, so senders
 *             often wait for room and receivers for messages);
 *     -t      the timeout of every send and recv (default 4000 ms); one
 *             that expires while the other side runs is a HANG;
 *     -S      the seed of the random choices;
 *     -K      keep the log directory (it is kept anyway on a failure);
 *     -X      a check of the checker: lose makes receivers forget one
 *             message in 1000, dup record one in 1000 twice; the run must
 *             then report lost or duplicated messages.
 *
 * The supervisor makes the channel (xsipc_channel_create in a registry
 * directory of its own, in a private IPC namespace when it may) and keeps
 * its handle; every worker incarnation opens a registry and channel
 * handle of its own.  Each incarnation has a token (a counter of the
 * shared board and its slot number, never a pid).
 *
 * A sender incarnation sends messages 1, 2, ... (cs_make: a header with
 * its token, the sequence number, the length and checksums, then a payload
 * of random length that is a function of token and sequence number) and
 * appends an acknowledgement to its log, s-<token>, after each send that
 * returned 0.  One killed in between sent a message it did not
 * acknowledge: that one may arrive, and nothing after it.
 *
 * A receiver incarnation receives straight into a MAP_SHARED file, its
 * log r-<token> (chanstorm.h): one ring slot per recv call, marked with
 * the call's index beforehand, and a record per message written before the
 * record count is advanced.  A receiver killed after the library committed
 * a receive but before it advanced the count leaves the message in its
 * pending slot; the checker counts it received when no one else got it.
 *
 * Senders and receivers pause now and then (each incarnation at a pace of
 * its own), also between a send and its acknowledgement and between a
 * recv and its record, so that kills land in those windows too.  Each
 * message is also checked by its receiver right after recv returns.
 *
 * At the end of a storm every worker is killed where it is, the receivers
 * first (the senders fill the channel meanwhile); without -k the senders
 * are stopped, then the receivers, once the channel is empty.  All are
 * reaped; then the supervisor drains the channel into a log of its own
 * (each recv timeout-bounded), frees its handle (the last user: the
 * channel goes), runs xsipc_registry_gc(XSIPC_GC_NOW), removes a
 * persistent registry's names, and counts what is left: a segment or
 * semaphore set at the channel's keys, any System V object of the
 * namespace when it is private, any file of the registry directory, and
 * messages still queued.  Then chanstorm_check.c reads the logs (the
 * workers are in chanstorm_work.c).  One summary line; exit 0 only with
 * no violation, hang, error or leftover; 1 otherwise (also when the run
 * outlives SECONDS + 60 s), 2 on bad usage, 99 when it could not start.
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chanstorm.h"
#include "xsipc.h"

struct cs_config cfg = {3,    3,       10, 0,  0,  0, 1024, 256,
                        4000, ST_NONE, 0,  "", "", 0, 0};
struct board *B;
struct sk_slot *self;
static char hang_text[8400];
static struct sk_crew crew;

/* ---------------------------------------------------------- supervisor */

static unsigned workers(void)
{
    return cfg.senders + cfg.receivers;
}

static void run(void)
{
    unsigned i;
    int ph;

    sk_run(cfg.seconds, cfg.kills ? &B->kills : NULL, B->kills_in);
    if (cfg.kills) {
        /* A storm ends with every worker killed where it is, the
         * receivers first: the senders fill the channel meanwhile, and the
         * drain finds a queue, maybe with messages they were taking. */
        for (i = cfg.senders; i < workers() + cfg.senders; i++) {
            if (i == workers())
                sk_nap_us(3000);
            if (B->slot[i % workers()].pid != 0 &&
                (ph = sk_kill(i % workers())) >= 0) {
                sk_add(&B->kills);
                sk_add(&B->kills_in[ph]);
            }
        }
        return;
    }
    B->stop_send_ms = sk_now_ms();
    __atomic_store_n(&B->stop_send, 1, __ATOMIC_SEQ_CST);
    sk_stop(0, cfg.senders, sk_now_ms() + cfg.timeout_ms + 5000);
    __atomic_store_n(&B->stop_recv, 1, __ATOMIC_SEQ_CST);
    sk_stop(cfg.senders, workers(), sk_now_ms() + cfg.timeout_ms + 5000);
}

/* The last receiver: the supervisor, with the handle it made the channel
 * with, into a log of its own, until a recv times out. */
static uint64_t drain(xsipc_channel *ch)
{
    unsigned i = workers();
    uint64_t token = ((sk_add(&B->incarnations) + 1) << 8) | i, n = 0;
    int64_t deadline = sk_now_ms() + 30000;
    struct rlog L;
    int rc;

    self = &B->slot[i];
    if (make_log(token, &L) != 0)
        return 0;
    while ((rc = recv_one(&L, ch, 1000)) == 0 && sk_now_ms() < deadline)
        n++;
    if (rc != 0 && rc != -XSIPC_TIMEOUT)
        fail_error("drain: xsipc_channel_recv", ch);
    else if (rc == 0)
        n++;
    return n;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: chanstorm [-n SENDERS] [-r RECEIVERS] [-s SECONDS] [-k] "
            "[-p] [-c CAPACITY] [-m MAX_MESSAGE] [-t TIMEOUT_MS] [-S SEED] "
            "[-K] [-X lose|dup]\n");
    return 2;
}

static int options(int argc, char **argv)
{
    int opt;

    cfg.seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
    while ((opt = getopt(argc, argv, "n:r:s:kpc:m:t:S:KX:")) != -1) {
        if (opt == 'n')
            cfg.senders = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 'r')
            cfg.receivers = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 's')
            cfg.seconds = (unsigned)strtoul(optarg, NULL, 10);
        else if (opt == 'k')
            cfg.kills = 1;
        else if (opt == 'p')
            cfg.persistent = 1;
        else if (opt == 'c')
            cfg.capacity = strtoul(optarg, NULL, 0);
        else if (opt == 'm')
            cfg.max_message = strtoul(optarg, NULL, 0);
        else if (opt == 't')
            cfg.timeout_ms = strtol(optarg, NULL, 10);
        else if (opt == 'S')
            cfg.seed = strtoul(optarg, NULL, 0);
        else if (opt == 'K')
            cfg.keep = 1;
        else if (opt == 'X' && strcmp(optarg, "lose") == 0)
            cfg.selftest = ST_LOSE;
        else if (opt == 'X' && strcmp(optarg, "dup") == 0)
            cfg.selftest = ST_DUP;
        else
            return usage();
    }
    if (optind != argc || cfg.senders < 1 || cfg.receivers < 1 ||
        workers() > MAX_WORKERS || cfg.seconds < 1 ||
        cfg.max_message < CS_HDR || cfg.max_message > CS_MAX_MESSAGE ||
        cfg.capacity < 8 + ((cfg.max_message + 7) & ~(size_t)7) ||
        cfg.timeout_ms < 1) {
        fprintf(stderr,
                "chanstorm: 1 or more senders and receivers, %d in all; 1 s "
                "or more; max_message %u..%u, capacity at least its record "
                "(8 bytes more, rounded up to 8); a timeout of 1 ms or "
                "more\n",
                MAX_WORKERS, (unsigned)CS_HDR, CS_MAX_MESSAGE);
        return usage();
    }
    return 0;
}

/* A private IPC namespace when we may: then every object is ours to
 * count; else only the channel's keys are looked at. */
static void private_ipc(void)
{
    const char *env = getenv("XSIPC_TEST_IPCNS");

    if (unshare(CLONE_NEWIPC) == 0 || (env != NULL && strcmp(env, "1") == 0))
        cfg.private_ns = 1;
}

/* What a run that could not start made is removed: 99. */
static int give_up(void)
{
    if (cfg.dir[0] != '\0' && sk_count_files(cfg.dir, 1, 1) >= 0)
        (void)rmdir(cfg.dir);
    if (cfg.logdir[0] != '\0' && sk_count_files(cfg.logdir, 1, 1) >= 0)
        (void)rmdir(cfg.logdir);
    return 99;
}

static int directories(void)
{
    const char *tmp = getenv("TMPDIR");
    const char *base = tmp != NULL && *tmp != '\0' ? tmp : "/tmp";

    snprintf(cfg.dir, sizeof cfg.dir, "%s/xsipc-chanstorm-XXXXXX", base);
    snprintf(cfg.logdir, sizeof cfg.logdir, "%s/xsipc-chanstorm-logs-XXXXXX",
             base);
    if (mkdtemp(cfg.dir) == NULL) {
        perror("chanstorm: mkdtemp");
        cfg.dir[0] = cfg.logdir[0] = '\0';
        return 99;
    }
    if (mkdtemp(cfg.logdir) == NULL) {
        perror("chanstorm: mkdtemp");
        cfg.logdir[0] = '\0';
        return give_up();
    }
    return 0;
}

/* The key of the channel's name of kind, when it has a key file. */
static int key_of(xsipc_registry *reg, xsipc_kind kind, key_t *key)
{
    xsipc_status st;

    return xsipc_registry_key(reg, CHANNEL, kind, 0, key, NULL, 0, &st) == 0;
}

/* Frees the channel, runs gc, removes a persistent registry's names;
 * returns what is left: objects at the channel's keys, the namespace's
 * objects when it is ours, files of the registry directory. */
static int leftovers(xsipc_registry *reg, xsipc_channel *ch, int *files)
{
    static const xsipc_kind kinds[2] = {XSIPC_KIND_SHM, XSIPC_KIND_SEM};
    key_t key[2];
    int have[2], k, left = 0;
    xsipc_status st;

    for (k = 0; k < 2; k++)
        have[k] = key_of(reg, kinds[k], &key[k]);
    if (!have[0]) {
        sk_add(&B->errors);
        report(R_ERROR, "error: the channel has no segment key file");
    }
    xsipc_channel_free(ch);
    if (xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st) < 0)
        fail_error(st.text, NULL);
    for (k = 0; cfg.persistent && k < 2; k++)
        if (xsipc_registry_remove(reg, CHANNEL, kinds[k], 0, &st) < 0 &&
            st.code != XSIPC_NOT_FOUND) {
            sk_add(&B->errors);
            report(R_ERROR, "error: remove: %s", st.text);
        }
    if (have[0] && shmget(key[0], 0, 0) >= 0) {
        fprintf(stderr, "chanstorm: left: a segment at key 0x%08x\n",
                (unsigned)key[0]);
        left++;
    }
    for (k = 0; k < 2; k++)
        if (have[k] && semget(key[k], 0, 0) >= 0) {
            fprintf(stderr, "chanstorm: left: a semaphore set at key 0x%08x\n",
                    (unsigned)key[k]);
            left++;
        }
    if (cfg.private_ns)
        left = sk_count_objects("/proc/sysvipc/shm") +
               sk_count_objects("/proc/sysvipc/sem");
    *files = sk_count_files(cfg.dir, 1, 0);
    if (rmdir(cfg.dir) != 0 && *files == 0)
        *files = 1;
    return left;
}

int main(int argc, char **argv)
{
    xsipc_registry *reg;
    xsipc_channel *ch;
    xsipc_status st;
    struct cs_verdict v;
    uint64_t drained, queued = 0;
    xsipc_channel_info info;
    int rc, left, files, failed, p;

    sk_prog = "chanstorm";
    if ((rc = options(argc, argv)) != 0)
        return rc;
    private_ipc();
    if ((rc = directories()) != 0)
        return rc;
    sk_seed_rnd(cfg.seed);
    cfg.parent = getpid();
    B = mmap(NULL, sizeof *B, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (B == MAP_FAILED) {
        perror("chanstorm: mmap");
        return give_up();
    }
    memset(B, 0, sizeof *B);
    snprintf(hang_text, sizeof hang_text,
             "chanstorm: HANG: the run did not end within %u s; registry %s "
             "and logs %s left as they were\n",
             cfg.seconds + WATCHDOG_SLACK, cfg.dir, cfg.logdir);
    crew.slot = B->slot;
    crew.count = workers();
    crew.incarnations = &B->incarnations;
    crew.errors = &B->errors;
    crew.hangs = &B->hangs;
    crew.shown_errors = &B->reported[R_ERROR];
    crew.shown_hangs = &B->reported[R_HANG];
    crew.phase_name = phase_name;
    crew.stuck_ms = cfg.timeout_ms + 5000;
    crew.worker = worker_main;
    crew.hang_text = hang_text;
    sk_crew_use(&crew);
    signal(SIGALRM, sk_watchdog);
    alarm(cfg.seconds + WATCHDOG_SLACK + (unsigned)(cfg.timeout_ms / 250));

    reg = xsipc_registry_open(
        cfg.dir, cfg.persistent ? XSIPC_REGISTRY_PERSISTENT : 0, &st);
    if (reg == NULL) {
        fprintf(stderr, "chanstorm: %s\n", st.text);
        return give_up();
    }
    ch = xsipc_channel_new_in(reg, CHANNEL);
    if (ch == NULL ||
        xsipc_channel_create(ch, cfg.capacity, cfg.max_message) != 0) {
        fprintf(stderr, "chanstorm: xsipc_channel_create: %s\n",
                ch != NULL ? xsipc_channel_error_string(ch) : "no memory");
        xsipc_channel_free(ch);
        xsipc_registry_close(reg);
        return give_up();
    }

    run();
    drained = drain(ch);
    if (xsipc_channel_stat(ch, &info) != 0)
        fail_error("xsipc_channel_stat", ch);
    else if ((queued = info.messages) != 0)
        fprintf(stderr,
                "chanstorm: %zu messages (%zu bytes) still queued "
                "after the drain\n",
                info.messages, info.bytes);
    left = leftovers(reg, ch, &files);
    xsipc_registry_close(reg);
    if (cs_check(cfg.logdir, cfg.max_message, &v) != 0)
        fprintf(stderr, "chanstorm: the logs of %s could not all be read\n",
                cfg.logdir);
    alarm(0);

    failed = cs_violations(&v) || queued || B->torn_seen || B->hangs ||
             B->errors || left || files;
    if ((failed && cfg.selftest == ST_NONE) || cfg.keep) {
        fprintf(stderr, "chanstorm: logs kept in %s\n", cfg.logdir);
    } else {
        (void)sk_count_files(cfg.logdir, 1, 1);
        (void)rmdir(cfg.logdir);
    }
    fprintf(stderr, "chanstorm: %llu receiver and %llu sender logs; kills in",
            (unsigned long long)v.receiver_logs,
            (unsigned long long)v.sender_logs);
    for (p = 0; p < PH_COUNT; p++)
        fprintf(stderr, " %s %llu%s", phase_name[p],
                (unsigned long long)B->kills_in[p],
                p < PH_COUNT - 1 ? "," : "\n");
    printf(
        "chanstorm: %s registry, %s%s, seed %lu: %u senders, %u "
        "receivers, capacity %zu, max %zu, %u s: %llu sends, %llu "
        "acknowledged, %llu received (%llu unacknowledged, %llu from "
        "killed receivers' pending slots, %llu drained), %llu sends "
        "and %llu recvs waited 1 ms or more, %llu kills "
        "(send %llu, ack %llu, recv %llu, record %llu), %llu "
        "redelivered after kill; violations: %llu lost, %llu duplicated, "
        "%llu torn, %llu changed, %llu disorder, %llu phantom, %llu bad "
        "logs, %llu queued; %llu hangs, %llu errors, %d objects and %d "
        "files left\n",
        cfg.persistent ? "persistent" : "default",
        cfg.kills ? "kill storm" : "traffic",
        cfg.selftest == ST_LOSE  ? ", losing (self-test)"
        : cfg.selftest == ST_DUP ? ", doubling (self-test)"
                                 : "",
        cfg.seed, cfg.senders, cfg.receivers, cfg.capacity, cfg.max_message,
        cfg.seconds, (unsigned long long)B->sends, (unsigned long long)v.acked,
        (unsigned long long)v.received, (unsigned long long)v.unacked_arrived,
        (unsigned long long)v.pending_taken, (unsigned long long)drained,
        (unsigned long long)B->waited_send, (unsigned long long)B->waited_recv,
        (unsigned long long)B->kills, (unsigned long long)B->kills_in[PH_SEND],
        (unsigned long long)B->kills_in[PH_ACK],
        (unsigned long long)B->kills_in[PH_RECV],
        (unsigned long long)B->kills_in[PH_RECORD],
        (unsigned long long)v.redelivered, (unsigned long long)v.lost,
        (unsigned long long)v.duplicated,
        (unsigned long long)(v.torn > B->torn_seen ? v.torn : B->torn_seen),
        (unsigned long long)v.changed, (unsigned long long)v.disorder,
        (unsigned long long)v.phantom, (unsigned long long)v.bad_log,
        (unsigned long long)queued, (unsigned long long)B->hangs,
        (unsigned long long)B->errors, left, files);
    return failed ? 1 : 0;
}
