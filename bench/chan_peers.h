/* SPDX-License-Identifier: MIT */
/*
 * chan_peers.h -- the message queues benchmark 8 (channel.c) measures,
 * behind one interface (see chan_peers.c): an xsipc channel, a System V
 * message queue, a pipe, a POSIX message queue and a unix socket pair.
 */
#ifndef XSIPC_BENCH_CHAN_PEERS_H
#define XSIPC_BENCH_CHAN_PEERS_H

#include <mqueue.h>
#include <stddef.h>

#include "xsipc.h"

typedef enum { CH_XSIPC, CH_MSGQ, CH_PIPE, CH_MQ, CH_UNIX, CH_KINDS } ch_kind;

/* One queue of kind k.  The kernel's objects are made by the parent
 * before it forks, and used by the children through the descriptors or
 * ids they inherit; an xsipc channel is opened again in each child. */
typedef struct queue {
    ch_kind k;
    size_t max;        /* the largest message */
    char name[64];     /* the xsipc channel's name */
    xsipc_channel *ch; /* CH_XSIPC */
    int msqid;         /* CH_MSGQ */
    int fd[2];         /* CH_PIPE: read, write; CH_UNIX: the two ends */
    mqd_t mq;          /* CH_MQ */
    long depth;        /* messages the kernel lets queue, for the notes */
} queue;

/* The registry directory of the channels (made by chan_setup). */
extern char chan_dir[];

/* Makes chan_dir and arranges for every queue still open to be removed
 * at exit, also after a failure. */
void chan_setup(void);

/* Makes q a queue of kind k for messages of up to max bytes, holding
 * about capacity bytes where the kernel lets it (see chan_peers.c). */
void queue_open(queue *q, ch_kind k, size_t max, size_t capacity);
/* In a forked child, before its first send or recv: an xsipc channel is
 * opened by a handle of the child's own. */
void queue_join(queue *q);
/* Sends len bytes; receives one message of up to cap bytes and returns
 * its size.  A failure ends the process. */
void queue_send(queue *q, const void *msg, size_t len);
size_t queue_recv(queue *q, void *buf, size_t cap);
/* In the child, at its end: closes the child's own xsipc handle. */
void queue_leave(queue *q);
/* Removes the queue (the parent, after the round). */
void queue_close(queue *q);

/* The contender's name in the table, and how it was set up. */
const char *queue_name(ch_kind k);
void queue_describe(const queue *q, char *buf, size_t len);

#endif
