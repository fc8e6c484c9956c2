/* SPDX-License-Identifier: MIT */
/*
 * channel.h -- a channel's segment, as every process that uses it sees it
 * (private; lib/channel.c has the protocol, lib/chanwait.c the sleeping).
 *
 * The segment is a header of five 64-byte lines and a table of sleepers,
 * then the ring at ring_off.  Every field a process changes while others
 * run is a naturally aligned 64-bit word, read and written with the
 * compiler's __atomic builtins (lock-free for 8 bytes on every target
 * Linux runs on), so no reader sees half of a store, even of a process
 * killed in the middle of it.
 */
#ifndef XSIPC_CHANNEL_H
#define XSIPC_CHANNEL_H

#include <stdint.h>

#include "private.h"

#define XSIPC__CHAN_MAGIC 0x3148435043495358ull /* "XSIPCCH1" */
#define XSIPC__CHAN_VERSION 1u
/* The lock set of a channel's name has two semaphores more than a
 * segment's, used without SEM_UNDO: receivers sleep on DATA for messages,
 * senders on SPACE for room. */
#define XSIPC__CHAN_DATA 3
#define XSIPC__CHAN_SPACE 4
#define XSIPC__CHAN_NSEMS 5
#define XSIPC__CHAN_SLEEPERS 64
/* A record header that says "the rest of the ring is empty: go on at 0". */
#define XSIPC__CHAN_WRAP UINT64_MAX
#define XSIPC__CHAN_RING_OFF 1024u

typedef struct xsipc__chan_hdr {
    /* Line 0: written once, by the creator, under the name's lock. */
    uint64_t magic;
    uint32_t version;
    uint32_t ring_off;
    uint64_t capacity; /* ring bytes, a multiple of 8 */
    uint64_t max_message;
    uint64_t pad0[4];
    /* Line 1: the senders' side.  send_turn is the token of the sender
     * whose turn it is (0: nobody's); tail counts the bytes published. */
    uint64_t send_turn;
    uint64_t tail;
    uint64_t pad1[6];
    /* Line 2: the receivers' side, likewise; head counts bytes taken. */
    uint64_t recv_turn;
    uint64_t head;
    uint64_t pad2[6];
    /* Line 3: which sleeper slots sleep, for messages and for room. */
    uint64_t sleep_data;
    uint64_t sleep_space;
    uint64_t pad3[6];
    /* Line 4: spare. */
    uint64_t pad4[8];
    /* The sleepers: the token of the process in each slot, 0 when free. */
    uint64_t sleeper[XSIPC__CHAN_SLEEPERS];
} xsipc__chan_hdr;

struct xsipc_channel {
    xsipc_shm *shm;
    char *name;
    xsipc__chan_hdr *h; /* NULL while not open */
    unsigned char *ring;
    uint64_t cap;
    uint64_t max;
    uint64_t me;    /* this process's token (channel.c, token()) */
    unsigned gen;   /* the fork generation me was made in */
    unsigned posts; /* wake-ups posted since the last look at sleepers */
    /* The other side's counter as this handle last read it: head only
     * grows, and tail too, so a value read before is a bound that is
     * safe to use (less room, fewer messages than there are) and saves
     * reading the other side's cache line for every message. */
    uint64_t seen_head;
    uint64_t seen_tail;
    xsipc_status err;
};

/* A record's size in the ring: its 8-byte header and the message, padded
 * to 8. */
static inline uint64_t xsipc__chan_record(uint64_t len)
{
    return 8 + ((len + 7) & ~(uint64_t)7);
}

/* The process's token: start time (clock ticks since boot, 42 bits) above
 * the pid (22 bits: PID_MAX_LIMIT), never 0. */
uint64_t xsipc__chan_token(xsipc_channel *ch);
/* Whether the process of token tok is gone: no such process, a zombie, or
 * another process that has its pid (another start time).  0 when it lives
 * or that cannot be told. */
int xsipc__chan_dead(uint64_t tok);

/* chanwait.c: sleeping until the word *watched is no longer seen, for at
 * most until (NULL: no end); data: a receiver (DATA), else a sender
 * (SPACE).  0 (woken, or the word changed: look again), -XSIPC_TIMEOUT,
 * or -error with ch->err set. */
int xsipc__chan_sleep(xsipc_channel *ch, int data, const uint64_t *watched,
                      uint64_t seen, const struct timespec *until,
                      const char *op);
/* After a publish (data) or a take: wakes a sleeper of the other side,
 * when there is one. */
void xsipc__chan_wake(xsipc_channel *ch, int data);

#endif /* XSIPC_CHANNEL_H */
