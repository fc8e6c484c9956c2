/* SPDX-License-Identifier: MIT */
/*
 * chanstorm.h -- what tests/chanstorm.c (the supervisor and its workers)
 * and tests/chanstorm_check.c (the checker of their logs) share: the
 * message format, the log formats and the counters of the verdict.
 */
#ifndef CHANSTORM_H
#define CHANSTORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stormkit.h"
#include "xsipc.h"

/* A message: this header, then len - CS_HDR payload bytes, all of them a
 * function of (token, seq) (cs_make), so that the checker can tell a
 * message that arrived changed from one that arrived whole. */
#define CS_MSG_MAGIC 0x4d534331u /* "1CSM" */
struct cs_msg {
    uint32_t magic;
    uint32_t len;   /* the whole message, header included */
    uint64_t token; /* the sender incarnation's (its slot in the low byte) */
    uint64_t seq;   /* 1, 2, ... in each sender incarnation */
    uint32_t sum;   /* FNV-1a of the payload */
    uint32_t hsum;  /* FNV-1a of the 28 bytes above */
};
#define CS_HDR ((uint32_t)sizeof(struct cs_msg))
/* The largest max_message the storm takes. */
#define CS_MAX_MESSAGE 65536u

/* A sender incarnation's log, s-<token>: one record appended (write(2),
 * O_APPEND) after each xsipc_channel_send that returned 0. */
struct cs_ack {
    uint64_t seq;
    uint32_t len;
    uint32_t sum;
};

/*
 * A receiver incarnation's log, r-<token>: a MAP_SHARED file.  Each recv
 * call gets the ring slot count % ring, marked with its index first; the
 * library writes the message and its length there.  After recv returns,
 * the receiver checks it, writes records[count] and only then advances
 * count.  A receiver killed in between leaves its message in the ring
 * slot whose index is count: its pending slot.
 */
#define CS_LOG_MAGIC 0x474f4c5343ull /* "CSLOG" */
struct cs_rlog {
    uint64_t magic;
    uint64_t token;
    volatile uint64_t count; /* records written */
    uint64_t ring;           /* ring slots */
    uint64_t stride;         /* bytes of a ring slot */
    uint64_t cap;            /* records the file has room for */
    uint64_t pad[2];
};
struct cs_ring {
    volatile uint64_t index; /* the recv call this slot is for */
    size_t len;              /* recv's *len */
    unsigned char data[];    /* recv's buffer, max_message bytes */
};
#define CS_REC_TORN 0x1u /* the receiver found it torn */
struct cs_rec {
    uint64_t token;
    uint64_t seq;
    uint32_t len;
    uint32_t flags;
};

/* What the checker found. */
struct cs_verdict {
    uint64_t sender_logs, receiver_logs, acked, received, unacked_arrived;
    uint64_t pending_taken, redelivered; /* dead receivers' pending slots */
    uint64_t lost, duplicated, torn, changed, disorder, phantom, bad_log;
};

/* Writes the message seq of incarnation token into buf (max bytes, at
 * least CS_HDR); returns its length. */
size_t cs_make(uint64_t token, uint64_t seq, size_t max, unsigned char *buf);
/* 0 when buf (len bytes) is a whole message as cs_make made it, else -1;
 * *m gets its header (when len allows). */
int cs_valid(const unsigned char *buf, size_t len, size_t max,
             struct cs_msg *m);
uint32_t cs_fnv(const void *p, size_t n);
/* Checks the logs of directory dir; 0 when they could be read. */
int cs_check(const char *dir, size_t max_message, struct cs_verdict *v);
/* Violations in a verdict. */
uint64_t cs_violations(const struct cs_verdict *v);

/* ------------------------------------------------------------- the run */

/* What tests/chanstorm.c (the supervisor) and tests/chanstorm_work.c (its
 * workers) share. */
#define MAX_WORKERS 32
#define CHANNEL "chanstorm"
#define RING 16
#ifndef LOG_CAP
#define LOG_CAP (1u << 24)
#endif /* records per receiver incarnation */
#define WATCHDOG_SLACK 60

enum phase {
    PH_START,
    PH_OPEN,
    PH_MAKE,
    PH_SEND,
    PH_ACK,
    PH_RECV,
    PH_RECORD,
    PH_IDLE,
    PH_CLOSE,
    PH_COUNT
};
extern const char *const phase_name[PH_COUNT];

enum report_kind { R_HANG, R_ERROR, R_TORN, R_COUNT };
enum selftest { ST_NONE, ST_LOSE, ST_DUP };

/* A worker slot's current incarnation: live, token and pid written by the
 * supervisor, phase and since by the incarnation. */
/* Counters change with atomic adds. */
struct board {
    uint64_t incarnations, sends, sent, recvs, received;
    uint64_t waited_send, waited_recv; /* calls that took 1 ms or more */
    uint64_t hangs, errors, torn_seen, kills, kills_in[PH_COUNT];
    uint64_t reported[R_COUNT];
    int stop_send, stop_recv;
    int64_t stop_send_ms;                 /* when stop_send was set */
    struct sk_slot slot[MAX_WORKERS + 1]; /* + the supervisor's drain */
};

/* A receiver's log, mapped. */
struct rlog {
    struct cs_rlog *h;
    unsigned char *ring;
    struct cs_rec *rec;
};

struct cs_config {
    unsigned senders, receivers, seconds;
    int kills, persistent, keep;
    size_t capacity, max_message;
    long timeout_ms;
    enum selftest selftest;
    unsigned long seed;
    char dir[4096], logdir[4096];
    int private_ns;
    pid_t parent;
};

extern struct cs_config cfg;
extern struct board *B;      /* the board, an anonymous MAP_SHARED mapping */
extern struct sk_slot *self; /* the calling process's slot */

int flag(int *p);
/* The first SK_SHOWN messages of a kind, on stderr. */
void report(enum report_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An error (counted), with the handle's message or errno's. */
void fail_error(const char *what, const xsipc_channel *ch);
/* The calling process enters phase p. */
void phase(int p);
/* A new worker incarnation's life: never returns. */
void worker_main(unsigned idx, uint64_t token) __attribute__((noreturn));
/* Makes a receiver log for token and maps it; 0 or -1. */
int make_log(uint64_t token, struct rlog *L);
/* recv_one's result when the receiver's log has no room left (some 16
 * million records, a fast minute's worth): the receiver ends, as cleanly as
 * at the storm's end, and the supervisor starts a new incarnation. */
#define LOG_FULL 1
/* One recv into log L: its result (a torn message is recorded torn). */
int recv_one(struct rlog *L, xsipc_channel *ch, long timeout_ms);

#endif
