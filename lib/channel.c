/* SPDX-License-Identifier: MIT */
/*
 * channel.c -- xsipc_channel: a bounded queue of whole messages in one
 * named segment, that any process may be killed in at any instruction.
 *
 * THE CHANNEL PROTOCOL
 *
 * The segment (channel.h) holds a ring of capacity bytes and two
 * monotonic 64-bit counters: tail, the bytes published, and head, the bytes
 * taken; the records between them, in order, are the queued messages.  A
 * record at position p (offset p % capacity) is an 8-byte header, the
 * message's length, and the message, padded to 8; a message that reaches
 * the ring's end goes on at offset 0 (its header never does: offsets and
 * capacity are multiples of 8), so every free byte is usable and a record
 * fits whenever capacity - (tail - head) holds it.  Each
 * side has a turn word: send_turn, recv_turn, holding the token (pid and
 * start time, chanwait.c) of the one process whose turn it is, or 0.
 *
 * Who changes what:
 *  - tail, and ring bytes at or beyond tail: only the holder of the send
 *    turn.  It writes the record into free space -- positions from tail
 *    up to head + capacity, never below head -- and only then publishes
 *    it, with one release store of tail.
 *  - head: only the holder of the receive turn, which copies the record at
 *    head out, and only then takes it, with one release store of head.
 *  - a turn: taken by CAS 0 -> own token (acquire), given back by CAS own
 *    token -> 0 (release); or taken over, by CAS from a token whose process
 *    is dead (xsipc__chan_dead) to one's own.
 *
 * Invariants, and why no interleaving breaks them:
 *  I1 head <= tail <= head + capacity, and [head, tail) is whole records.
 *     Only a turn holder moves its counter, by one store, after checking
 *     the bound against the other counter, which can only have moved the
 *     other way since (the sender's check uses a head at most as new as
 *     the real one: room only grows; the receiver reads below a tail that
 *     only grows).  A store is atomic: a process killed around it has
 *     either moved the counter by a whole record or not at all.
 *  I2 no one reads what is being written: receivers read only below tail
 *     (acquire load of tail, after the sender's release store that follows
 *     its writes), senders write only at or above tail and below head +
 *     capacity (acquire load of head, after the receiver's release store
 *     that follows its copy).  So a message is never seen torn: a sender
 *     killed mid-copy has not moved tail, and its bytes are in free space,
 *     overwritten by the next sender.
 *  I3 at most one live process holds each turn.  A CAS succeeds for one
 *     process only; a takeover needs the holder dead, and a token is one
 *     process incarnation's (the start time tells a reused pid), so a live
 *     holder is never displaced.  A process that dies holding a turn has
 *     done nothing the next holder must undo: its counter store happened
 *     or not (I1), what it wrote beyond tail is free space (I2), and what
 *     it copied out below head is still queued.
 * Hence:
 *  - every message whose send returned 0 is queued (its tail store came
 *    before the return) and stays queued until a receiver's head store
 *    takes it; a receiver killed before that store leaves it at head for
 *    the next receiver, which gets it whole (I2) and before any later
 *    message; one killed after it had its copy -- the message was
 *    delivered, whether or not the process lived to return.  Each message
 *    is taken by exactly one head store, so by exactly one receiver.
 *  - messages of one sender keep their order: its sends are one after the
 *    other, each holds the send turn, and the ring is read in order.
 *  - nothing waits for ever on the dead: a turn is held for one copy, and
 *    a waiter that finds it held long asks whether its holder lives and
 *    takes it over when not; sleeping (chanwait.c) is bounded too.  A
 *    holder that is alive but stopped (SIGSTOP) is waited for, as any live
 *    peer: timeouts bound that wait.
 * Turns serialise each side, not the two sides: a sender and a receiver
 * work at once, on different records, and one message costs each side two
 * CAS and one store, no system call, while the other side keeps up.
 *
 * Creation and removal follow the segment's (segment.c, detach.c): the
 * creator holds the name's lock from before its create until the header is
 * written, and an opener's attach takes that lock, so no opener sees a
 * half-made header.  The lock set of a channel's name has two semaphores
 * more (DATA, SPACE; channel.h), made with it; a name whose set lacks them
 * (made for a plain segment, or by Qt) is refused.  The segment carries
 * XSIPC__MODE_CHANNEL, so that listings tell it from a plain segment.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "shm.h"

/* Spins before a turn's waiter starts yielding, and yields between looks
 * at whether the holder lives. */
#define TURN_SPINS 8
#define TURN_LOOK 64

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The shm handle's error, as the channel call op's. */
static int from_shm(xsipc_channel *ch, const char *op)
{
    const char *text = xsipc_shm_error_string(ch->shm);
    const char *colon =
        strncmp(text, "xsipc_shm_", 10) == 0 ? strstr(text, ": ") : NULL;

    return xsipc__status_set(&ch->err, xsipc_shm_error(ch->shm), "%s: %s", op,
                             colon != NULL ? colon + 2 : text);
}

static int fail(xsipc_channel *ch, xsipc_error code, const char *op,
                const char *what)
{
    return xsipc__status_named(&ch->err, code, op, ch->shm->qname, NULL,
                               ch->shm->native, "%s", what);
}

/* A call's deadline, read from the clock only once the call must wait: a
 * message that goes through at once costs no clock read. */
typedef struct chan_until {
    long ms; /* the caller's timeout_ms */
    int set;
    struct timespec ts;
} chan_until;

/* NULL for no end (ms -1, or 0: the caller fails before waiting). */
static const struct timespec *until_of(chan_until *u)
{
    if (u->ms <= 0)
        return NULL;
    if (!u->set) {
        xsipc__sys_deadline(u->ms, &u->ts);
        u->set = 1;
    }
    return &u->ts;
}

/* Takes the turn *turn, waiting as u says; with timeout 0, a turn still
 * held after a short wait (a stopped holder) is XSIPC_WOULD_BLOCK. */
static int take_turn(xsipc_channel *ch, uint64_t *turn, chan_until *u,
                     const char *op)
{
    const struct timespec *until;
    int nowait = u->ms == 0;
    uint64_t me = xsipc__chan_token(ch), cur;
    struct timespec brief;
    unsigned n;

    for (n = 0;; n++) {
        cur = 0;
        if (__atomic_compare_exchange_n(turn, &cur, me, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return 0;
        if (n < TURN_SPINS) {
            cpu_relax();
            continue;
        }
        if (n == TURN_SPINS && nowait)
            xsipc__sys_deadline(10, &brief);
        if ((n - TURN_SPINS) % TURN_LOOK == TURN_LOOK - 1) {
            if (cur != me && xsipc__chan_dead(cur) &&
                __atomic_compare_exchange_n(turn, &cur, me, 0, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                return 0; /* its holder died: nothing to undo (I3) */
            if (nowait && xsipc__sys_past(&brief))
                return fail(ch, XSIPC_WOULD_BLOCK, op,
                            "another process has the channel's turn");
            if ((until = until_of(u)) != NULL && xsipc__sys_past(until))
                return fail(ch, XSIPC_TIMEOUT, op,
                            "another process kept the channel's turn");
        }
        (void)sched_yield();
    }
}

static void give_turn(xsipc_channel *ch, uint64_t *turn)
{
    uint64_t me = ch->me;

    (void)__atomic_compare_exchange_n(turn, &me, 0, 0, __ATOMIC_RELEASE,
                                      __ATOMIC_RELAXED);
}

/* A message's bytes into the ring from offset at, going on at offset 0
 * past the ring's end; and out of it. */
static void ring_put(xsipc_channel *ch, uint64_t at, const void *msg,
                     size_t len)
{
    size_t first = len < ch->cap - at ? len : (size_t)(ch->cap - at);

    memcpy(ch->ring + at, msg, first);
    memcpy(ch->ring, (const unsigned char *)msg + first, len - first);
}

static void ring_get(xsipc_channel *ch, uint64_t at, void *buf, size_t len)
{
    size_t first = len < ch->cap - at ? len : (size_t)(ch->cap - at);

    memcpy(buf, ch->ring + at, first);
    memcpy((unsigned char *)buf + first, ch->ring, len - first);
}

/* Checks common to send and recv. */
static int ready(xsipc_channel *ch, long timeout_ms, const char *op)
{
    if (ch->shm == NULL)
        return -(int)ch->err.code; /* the name was refused */
    xsipc__status_clear(&ch->err);
    if (ch->h == NULL)
        return fail(ch, XSIPC_NOT_ATTACHED, op,
                    "the channel is not open (create or open it first)");
    if (timeout_ms < -1)
        return xsipc__status_set(&ch->err, XSIPC_INVALID_ARGUMENT,
                                 "%s: timeout %ld ms (-1 waits for ever)", op,
                                 timeout_ms);
    return 0;
}

static int waited_out(xsipc_channel *ch, int nowait, int rc, const char *op,
                      const char *what)
{
    if (nowait)
        return fail(ch, XSIPC_WOULD_BLOCK, op, what);
    if (rc == -XSIPC_TIMEOUT)
        return fail(ch, XSIPC_TIMEOUT, op, what);
    return rc;
}

int xsipc_channel_send(xsipc_channel *ch, const void *msg, size_t len,
                       long timeout_ms)
{
    static const char op[] = "xsipc_channel_send";
    chan_until u = {timeout_ms, 0, {0, 0}};
    uint64_t need, t, h, off;
    int rc;

    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = ready(ch, timeout_ms, op)) < 0)
        return rc;
    if (len == 0 || len > ch->max)
        return xsipc__status_set(&ch->err, XSIPC_INVALID_SIZE,
                                 "%s: a message of %zu bytes (1 to %llu "
                                 "here): %s",
                                 op, len, (unsigned long long)ch->max,
                                 ch->shm->qname);
    if (msg == NULL)
        return xsipc__status_set(&ch->err, XSIPC_INVALID_ARGUMENT,
                                 "%s: NULL message", op);
    need = xsipc__chan_record(len);
    for (;;) {
        if ((rc = take_turn(ch, &ch->h->send_turn, &u, op)) < 0)
            return rc;
        t = __atomic_load_n(&ch->h->tail, __ATOMIC_ACQUIRE);
        h = ch->seen_head;
        if (t + need - h > ch->cap || h > t)
            h = ch->seen_head = __atomic_load_n(&ch->h->head, __ATOMIC_ACQUIRE);
        if (t + need - h <= ch->cap) {
            off = t % ch->cap;
            __atomic_store_n((uint64_t *)(ch->ring + off), (uint64_t)len,
                             __ATOMIC_RELAXED);
            ring_put(ch, (off + 8) % ch->cap, msg, len);
            __atomic_store_n(&ch->h->tail, t + need, __ATOMIC_RELEASE);
            give_turn(ch, &ch->h->send_turn);
            xsipc__chan_wake(ch, 1);
            return 0;
        }
        give_turn(ch, &ch->h->send_turn);
        if (u.ms == 0)
            return waited_out(ch, 1, 0, op, "the channel is full");
        rc = xsipc__chan_sleep(ch, 0, &ch->h->head, h, until_of(&u), op);
        if (rc < 0)
            return waited_out(ch, 0, rc, op, "the channel stayed full");
    }
}

int xsipc_channel_recv(xsipc_channel *ch, void *buf, size_t cap, size_t *len,
                       long timeout_ms)
{
    static const char op[] = "xsipc_channel_recv";
    chan_until u = {timeout_ms, 0, {0, 0}};
    uint64_t h, t, off, n;
    int rc;

    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = ready(ch, timeout_ms, op)) < 0)
        return rc;
    if (len == NULL || (buf == NULL && cap > 0))
        return xsipc__status_set(&ch->err, XSIPC_INVALID_ARGUMENT,
                                 "%s: NULL %s", op,
                                 len == NULL ? "length" : "buffer");
    for (;;) {
        if ((rc = take_turn(ch, &ch->h->recv_turn, &u, op)) < 0)
            return rc;
        h = __atomic_load_n(&ch->h->head, __ATOMIC_ACQUIRE);
        t = ch->seen_tail;
        if (h >= t)
            t = ch->seen_tail = __atomic_load_n(&ch->h->tail, __ATOMIC_ACQUIRE);
        if (h != t) {
            off = h % ch->cap;
            n = __atomic_load_n((uint64_t *)(ch->ring + off), __ATOMIC_RELAXED);
            if (n == 0 || n > ch->max || h + xsipc__chan_record(n) > t) {
                give_turn(ch, &ch->h->recv_turn);
                return fail(ch, XSIPC_UNKNOWN_ERROR, op,
                            "the channel's ring is corrupt (a record "
                            "header out of bounds)");
            }
            *len = (size_t)n;
            if (n > cap) {
                give_turn(ch, &ch->h->recv_turn);
                return xsipc__status_set(&ch->err, XSIPC_INVALID_SIZE,
                                         "%s: the next message has %llu "
                                         "bytes, the buffer %zu: %s",
                                         op, (unsigned long long)n, cap,
                                         ch->shm->qname);
            }
            ring_get(ch, (off + 8) % ch->cap, buf, (size_t)n);
            __atomic_store_n(&ch->h->head, h + xsipc__chan_record(n),
                             __ATOMIC_RELEASE);
            give_turn(ch, &ch->h->recv_turn);
            xsipc__chan_wake(ch, 0);
            return 0;
        }
        give_turn(ch, &ch->h->recv_turn);
        if (u.ms == 0)
            return waited_out(ch, 1, 0, op, "the channel is empty");
        rc = xsipc__chan_sleep(ch, 1, &ch->h->tail, t, until_of(&u), op);
        if (rc < 0)
            return waited_out(ch, 0, rc, op, "no message came");
    }
}

int xsipc_channel_stat(xsipc_channel *ch, xsipc_channel_info *info)
{
    static const char op[] = "xsipc_channel_stat";
    uint64_t h, t, n, msgs, bytes;
    int tries;

    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if (ch->shm == NULL)
        return -(int)ch->err.code;
    xsipc__status_clear(&ch->err);
    if (info == NULL)
        return xsipc__status_set(&ch->err, XSIPC_INVALID_ARGUMENT,
                                 "%s: NULL info", op);
    if (ch->h == NULL)
        return fail(ch, XSIPC_NOT_ATTACHED, op, "the channel is not open");
    /* A walk of the records between a head and a tail read together: a
     * snapshot, taken again when either moved meanwhile. */
    for (tries = 0;; tries++) {
        h = __atomic_load_n(&ch->h->head, __ATOMIC_ACQUIRE);
        t = __atomic_load_n(&ch->h->tail, __ATOMIC_ACQUIRE);
        msgs = bytes = 0;
        while (h < t && t - h <= ch->cap) {
            uint64_t off = h % ch->cap;

            n = __atomic_load_n((uint64_t *)(ch->ring + off), __ATOMIC_RELAXED);
            if (n == 0 || n > ch->max)
                break;
            msgs++;
            bytes += n;
            h += xsipc__chan_record(n);
        }
        if (tries == 3 ||
            (__atomic_load_n(&ch->h->tail, __ATOMIC_ACQUIRE) == t &&
             __atomic_load_n(&ch->h->head, __ATOMIC_ACQUIRE) <= h))
            break;
    }
    info->capacity = (size_t)ch->cap;
    info->max_message = (size_t)ch->max;
    info->messages = (size_t)msgs;
    info->bytes = (size_t)bytes;
    return 0;
}

/* ------------------------------------------------------------- life cycle */

xsipc_channel *xsipc_channel_new_in(xsipc_registry *reg, const char *name)
{
    xsipc_channel *ch = calloc(1, sizeof *ch);

    if (ch == NULL)
        return NULL;
    if (name == NULL) {
        (void)xsipc__status_set(&ch->err, XSIPC_KEY_ERROR,
                                "xsipc_channel_new: NULL name");
        return ch;
    }
    if ((ch->name = strdup(name)) == NULL ||
        (ch->shm = xsipc_shm_new_in(reg, name)) == NULL) {
        free(ch->name);
        free(ch);
        return NULL;
    }
    if (xsipc_shm_error(ch->shm) != XSIPC_NO_ERROR) {
        (void)from_shm(ch, "xsipc_channel_new");
        xsipc_shm_free(ch->shm);
        ch->shm = NULL;
        return ch;
    }
    ch->shm->lock.nsems = XSIPC__CHAN_NSEMS;
    ch->shm->mode_extra = XSIPC__MODE_CHANNEL;
    return ch;
}

xsipc_channel *xsipc_channel_new(const char *name)
{
    return xsipc_channel_new_in(NULL, name);
}

/* The name's lock set has the channel's semaphores. */
static int has_waits(xsipc_channel *ch, const char *op)
{
    struct semid_ds ds;

    if (xsipc__sys_semctl_stat(ch->shm->lock.semid, &ds) == 0 &&
        ds.sem_nsems >= XSIPC__CHAN_NSEMS)
        return 0;
    return fail(ch, XSIPC_INVALID_ARGUMENT, op,
                "the name's lock set has no channel semaphores (a segment "
                "or a Qt program uses the name)");
}

/* Maps the handle onto the attached segment; checks the header. */
static int map(xsipc_channel *ch, const char *op)
{
    xsipc__chan_hdr *h = xsipc_shm_data(ch->shm);
    size_t size = xsipc_shm_size(ch->shm);

    if (size < XSIPC__CHAN_RING_OFF ||
        __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != XSIPC__CHAN_MAGIC ||
        h->version != XSIPC__CHAN_VERSION ||
        h->ring_off != XSIPC__CHAN_RING_OFF || h->capacity % 8 != 0 ||
        h->capacity > size - XSIPC__CHAN_RING_OFF || h->max_message == 0 ||
        xsipc__chan_record(h->max_message) > h->capacity)
        return fail(ch, XSIPC_INVALID_ARGUMENT, op,
                    "the name's segment is not a channel");
    ch->h = h;
    ch->ring = (unsigned char *)h + XSIPC__CHAN_RING_OFF;
    ch->cap = h->capacity;
    ch->max = h->max_message;
    return 0;
}

static int usable(xsipc_channel *ch, const char *op)
{
    if (ch->shm == NULL)
        return -(int)ch->err.code;
    xsipc__status_clear(&ch->err);
    if (ch->h != NULL)
        return fail(ch, XSIPC_ALREADY_ATTACHED, op,
                    "the handle has the channel open already");
    return 0;
}

int xsipc_channel_create(xsipc_channel *ch, size_t capacity, size_t max_message)
{
    static const char op[] = "xsipc_channel_create";
    uint64_t cap = ((uint64_t)capacity + 7) & ~(uint64_t)7;
    xsipc__chan_hdr *h;
    int rc;

    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = usable(ch, op)) < 0)
        return rc;
    if (max_message == 0 || max_message > SIZE_MAX / 4 ||
        capacity > SIZE_MAX - XSIPC__CHAN_RING_OFF - 8 ||
        xsipc__chan_record(max_message) > cap)
        return xsipc__status_set(
            &ch->err, XSIPC_INVALID_SIZE,
            "%s: capacity %zu cannot hold a message of %zu bytes (each "
            "takes 8 bytes more, rounded up to 8): %s",
            op, capacity, max_message, ch->shm->qname);
    /* Held from before the segment exists until its header is written:
     * an opener's attach waits for it (see the top). */
    if ((rc = xsipc_shm_lock(ch->shm)) < 0)
        return from_shm(ch, op);
    if ((rc = has_waits(ch, op)) < 0) {
        (void)xsipc_shm_unlock(ch->shm);
        return rc;
    }
    if (xsipc_shm_create(ch->shm, XSIPC__CHAN_RING_OFF + (size_t)cap,
                         XSIPC_READ_WRITE) < 0) {
        rc = from_shm(ch, op);
        (void)xsipc_shm_unlock(ch->shm);
        return rc;
    }
    h = xsipc_shm_data(ch->shm);
    h->version = XSIPC__CHAN_VERSION;
    h->ring_off = XSIPC__CHAN_RING_OFF;
    h->capacity = cap;
    h->max_message = max_message;
    __atomic_store_n(&h->magic, XSIPC__CHAN_MAGIC, __ATOMIC_RELEASE);
    rc = map(ch, op);
    (void)xsipc_shm_unlock(ch->shm);
    return rc;
}

int xsipc_channel_open(xsipc_channel *ch)
{
    static const char op[] = "xsipc_channel_open";
    int rc;

    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = usable(ch, op)) < 0)
        return rc;
    if (xsipc_shm_attach(ch->shm, XSIPC_READ_WRITE) < 0)
        return from_shm(ch, op);
    if ((rc = has_waits(ch, op)) < 0 || (rc = map(ch, op)) < 0) {
        (void)xsipc_shm_detach(ch->shm);
        return rc;
    }
    return 0;
}

int xsipc_channel_set_persistent(xsipc_channel *ch, int persistent)
{
    if (ch == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if (ch->shm == NULL)
        return -(int)ch->err.code;
    xsipc__status_clear(&ch->err);
    if (xsipc_shm_set_persistent(ch->shm, persistent) < 0)
        return from_shm(ch, "xsipc_channel_set_persistent");
    return 0;
}

const char *xsipc_channel_name(const xsipc_channel *ch)
{
    return ch != NULL ? ch->name : NULL;
}

xsipc_error xsipc_channel_error(const xsipc_channel *ch)
{
    return ch != NULL ? ch->err.code : XSIPC_INVALID_ARGUMENT;
}

const char *xsipc_channel_error_string(const xsipc_channel *ch)
{
    if (ch == NULL)
        return "NULL xsipc_channel handle";
    return ch->err.code != XSIPC_NO_ERROR ? ch->err.text : "";
}

void xsipc_channel_free(xsipc_channel *ch)
{
    int saved = errno;

    if (ch == NULL)
        return;
    /* The last user's detach removes the segment (detach.c). */
    xsipc_shm_free(ch->shm);
    free(ch->name);
    free(ch);
    errno = saved;
}
