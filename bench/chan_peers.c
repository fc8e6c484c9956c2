/* SPDX-License-Identifier: MIT */
/*
 * chan_peers.c -- the queues of benchmark 8 (channel.c): an xsipc channel
 * and the kernel's own message carriers, each made as deep as the kernel
 * lets it be, near the channel's capacity, so that no contender stalls
 * only for want of room.
 *
 * What the kernel does with each, and why it is set up so:
 * - System V message queue: msgsnd/msgrcv copy each message into and out
 *   of a kernel msg_msg.  The queue holds msg_qbytes bytes of text
 *   (kernel.msgmnb, 16 KiB by default: 256 messages of 64 bytes); a
 *   process with CAP_SYS_RESOURCE may raise it with IPC_SET, which is
 *   tried.  Removed with IPC_RMID at close, or at exit after a failure.
 * - pipe: a byte stream through the pipe's pages; a write of at most
 *   PIPE_BUF (4096) bytes is atomic, so 64-byte messages from several
 *   writers never interleave, and a read of 64 bytes from a pipe holding
 *   only whole 64-byte writes returns one whole message.  F_SETPIPE_SZ
 *   sizes the buffer (up to fs.pipe-max-size, 1 MiB, unless privileged).
 *   Every message on a pipe has the queue's max size (the benchmarks send
 *   fixed sizes); a larger one is read in pieces.
 * - POSIX message queue: mq_send/mq_receive, a priority tree of msg_msg.
 *   An unprivileged mq_open may ask for at most fs.mqueue.msg_max
 *   messages (10 by default) of fs.mqueue.msgsize_max bytes (8192);
 *   CAP_SYS_RESOURCE allows up to 65536, and RLIMIT_MSGQUEUE (800 KiB)
 *   bounds the bytes of all a user's queues, privileged or not.  The depth
 *   is halved until mq_open accepts it, down to msg_max.  The name is
 *   unlinked at once: the queue lives on while descriptors (inherited by
 *   the children) are open, and nothing is left behind whatever happens.
 * - unix socket pair, SOCK_SEQPACKET: each send is one skb, queued on the
 *   receiving socket and charged to the sender's SO_SNDBUF (set to the
 *   capacity; the kernel doubles it and caps it at net.core.wmem_max).
 * - xsipc channel: a segment in the bench's own registry directory,
 *   created by the parent with the capacity given; each child opens a
 *   handle of its own, as a second program would.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/chan_peers.h"
#include "bench/harness.h"

char chan_dir[PATH_MAX + 16];

static xsipc_registry *reg;
/* The parent's open queues, for the clean-up at exit. */
static queue *open_q[16];
static int serial;
/* A System V message: the type, then the text. */
static struct {
    long mtype;
    char text[64 * 1024];
} msgbuf;

static void forget(queue *q)
{
    for (int i = 0; i < 16; i++)
        if (open_q[i] == q)
            open_q[i] = NULL;
}

static void close_all(void)
{
    if (getpid() != main_pid)
        return;
    for (int i = 0; i < 16; i++)
        if (open_q[i] != NULL)
            queue_close(open_q[i]);
    xsipc_registry_close(reg);
    reg = NULL;
}

void chan_setup(void)
{
    static int done;
    xsipc_status st;

    if (done++)
        return;
    snprintf(chan_dir, sizeof chan_dir, "%s/channels", work);
    if (mkdir(chan_dir, 0700) != 0)
        die("mkdir %s: %s", chan_dir, strerror(errno));
    if ((reg = xsipc_registry_open(chan_dir, 0, &st)) == NULL)
        die("xsipc_registry_open %s: %s", chan_dir, st.text);
    /* Registered after the harness's clean-up, so run before it: the
     * queues go before the directory. */
    atexit(close_all);
}

/* The value of a /proc/sys file, or dflt. */
static long sysctl_long(const char *path, long dflt)
{
    FILE *f = fopen(path, "r");
    long v = dflt;

    if (f != NULL) {
        if (fscanf(f, "%ld", &v) != 1)
            v = dflt;
        fclose(f);
    }
    return v;
}

static void open_msgq(queue *q, size_t capacity)
{
    struct msqid_ds ds;

    if ((q->msqid = msgget(IPC_PRIVATE, 0600 | IPC_CREAT)) < 0)
        die("msgget: %s", strerror(errno));
    if (msgctl(q->msqid, IPC_STAT, &ds) != 0)
        die("msgctl IPC_STAT: %s", strerror(errno));
    /* Above kernel.msgmnb only with CAP_SYS_RESOURCE; else kept. */
    ds.msg_qbytes = capacity;
    (void)msgctl(q->msqid, IPC_SET, &ds);
    if (msgctl(q->msqid, IPC_STAT, &ds) != 0)
        die("msgctl IPC_STAT: %s", strerror(errno));
    q->depth = (long)(ds.msg_qbytes / q->max);
}

static void open_pipe(queue *q, size_t capacity)
{
    int size;

    if (pipe(q->fd) != 0)
        die("pipe: %s", strerror(errno));
    (void)fcntl(q->fd[1], F_SETPIPE_SZ, (int)capacity);
    if ((size = fcntl(q->fd[1], F_GETPIPE_SZ)) < 0)
        die("F_GETPIPE_SZ: %s", strerror(errno));
    q->depth = (long)((size_t)size / q->max);
}

static void open_mq(queue *q, size_t capacity)
{
    long floor = sysctl_long("/proc/sys/fs/mqueue/msg_max", 10);
    long want = (long)(capacity / q->max);
    struct mq_attr a;
    char name[64];

    snprintf(name, sizeof name, "/xsipc-bench.%ld.%d", (long)getpid(),
             serial++);
    memset(&a, 0, sizeof a);
    a.mq_msgsize = (long)q->max;
    for (a.mq_maxmsg = want > 65536 ? 65536 : want;; a.mq_maxmsg /= 2) {
        if (a.mq_maxmsg < floor)
            a.mq_maxmsg = floor;
        q->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        if (q->mq != (mqd_t)-1)
            break;
        if ((errno != EINVAL && errno != EMFILE && errno != ENOMEM) ||
            a.mq_maxmsg == floor)
            die("mq_open %s (%ld x %ld bytes): %s", name, a.mq_maxmsg,
                a.mq_msgsize, strerror(errno));
    }
    (void)mq_unlink(name);
    q->depth = a.mq_maxmsg;
}

static void open_unix(queue *q, size_t capacity)
{
    int size = (int)capacity;
    socklen_t len = sizeof size;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, q->fd) != 0)
        die("socketpair: %s", strerror(errno));
    (void)setsockopt(q->fd[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (getsockopt(q->fd[0], SOL_SOCKET, SO_SNDBUF, &size, &len) != 0)
        die("getsockopt SO_SNDBUF: %s", strerror(errno));
    q->depth = size; /* bytes of skbs, not messages: see describe */
}

static void open_xsipc(queue *q, size_t capacity)
{
    snprintf(q->name, sizeof q->name, "bench-channel-%d", serial++);
    q->ch = xsipc_channel_new_in(reg, q->name);
    if (q->ch == NULL || xsipc_channel_create(q->ch, capacity, q->max) != 0)
        die("xsipc_channel_create %s (%zu, %zu): %s", q->name, capacity, q->max,
            xsipc_channel_error_string(q->ch));
    /* Each record takes 8 bytes more, rounded up to 8 (xsipc.h). */
    q->depth = (long)(capacity / (((q->max + 7) & ~(size_t)7) + 8));
}

void queue_open(queue *q, ch_kind k, size_t max, size_t capacity)
{
    int i;

    chan_setup();
    memset(q, 0, sizeof *q);
    q->k = k;
    q->max = max;
    q->msqid = q->fd[0] = q->fd[1] = -1;
    q->mq = (mqd_t)-1;
    if (max > sizeof msgbuf.text)
        die("queue_open: %zu-byte messages", max);
    for (i = 0; i < 16 && open_q[i] != NULL; i++)
        ;
    if (i == 16)
        die("queue_open: too many queues");
    open_q[i] = q;
    switch (k) {
    case CH_XSIPC:
        open_xsipc(q, capacity);
        break;
    case CH_MSGQ:
        open_msgq(q, capacity);
        break;
    case CH_PIPE:
        open_pipe(q, capacity);
        break;
    case CH_MQ:
        open_mq(q, capacity);
        break;
    default:
        open_unix(q, capacity);
        break;
    }
}

void queue_join(queue *q)
{
    xsipc_registry *mine;
    xsipc_status st;

    if (q->k != CH_XSIPC)
        return;
    /* The parent's handles are left alone (never freed here). */
    if ((mine = xsipc_registry_open(chan_dir, 0, &st)) == NULL)
        die("child: xsipc_registry_open: %s", st.text);
    q->ch = xsipc_channel_new_in(mine, q->name);
    xsipc_registry_close(mine);
    if (q->ch == NULL || xsipc_channel_open(q->ch) != 0)
        die("child: xsipc_channel_open %s: %s", q->name,
            xsipc_channel_error_string(q->ch));
}

void queue_leave(queue *q)
{
    if (q->k == CH_XSIPC)
        xsipc_channel_free(q->ch);
    q->ch = NULL;
}

/* All len bytes to fd, in as many writes as it takes. */
static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("write: %s", n < 0 ? strerror(errno) : "nothing written");
        p += n;
        len -= (size_t)n;
    }
}

static void read_all(int fd, char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("read: %s", n < 0 ? strerror(errno) : "end of file");
        p += n;
        len -= (size_t)n;
    }
}

void queue_send(queue *q, const void *msg, size_t len)
{
    switch (q->k) {
    case CH_XSIPC:
        /* A bounded wait: a peer that died must not hang the run. */
        if (xsipc_channel_send(q->ch, msg, len, 20000) != 0)
            die("xsipc_channel_send: %s", xsipc_channel_error_string(q->ch));
        break;
    case CH_MSGQ:
        msgbuf.mtype = 1;
        memcpy(msgbuf.text, msg, len);
        while (msgsnd(q->msqid, &msgbuf, len, 0) != 0)
            if (errno != EINTR)
                die("msgsnd: %s", strerror(errno));
        break;
    case CH_PIPE:
        write_all(q->fd[1], msg, len);
        break;
    case CH_MQ:
        while (mq_send(q->mq, msg, len, 0) != 0)
            if (errno != EINTR)
                die("mq_send: %s", strerror(errno));
        break;
    default:
        while (send(q->fd[0], msg, len, 0) != (ssize_t)len)
            if (errno != EINTR)
                die("send: %s", strerror(errno));
        break;
    }
}

size_t queue_recv(queue *q, void *buf, size_t cap)
{
    ssize_t n;
    size_t len;

    switch (q->k) {
    case CH_XSIPC:
        if (xsipc_channel_recv(q->ch, buf, cap, &len, 20000) != 0)
            die("xsipc_channel_recv: %s", xsipc_channel_error_string(q->ch));
        return len;
    case CH_MSGQ:
        while ((n = msgrcv(q->msqid, &msgbuf, cap, 0, 0)) < 0)
            if (errno != EINTR)
                die("msgrcv: %s", strerror(errno));
        memcpy(buf, msgbuf.text, (size_t)n);
        return (size_t)n;
    case CH_PIPE:
        read_all(q->fd[0], buf, q->max);
        return q->max;
    case CH_MQ:
        /* mq_receive wants room for mq_msgsize bytes: cap >= max. */
        while ((n = mq_receive(q->mq, buf, cap, NULL)) < 0)
            if (errno != EINTR)
                die("mq_receive: %s", strerror(errno));
        return (size_t)n;
    default:
        while ((n = recv(q->fd[1], buf, cap, 0)) < 0)
            if (errno != EINTR)
                die("recv: %s", strerror(errno));
        return (size_t)n;
    }
}

void queue_close(queue *q)
{
    forget(q);
    switch (q->k) {
    case CH_XSIPC:
        xsipc_channel_free(q->ch); /* the last user removes it */
        break;
    case CH_MSGQ:
        if (q->msqid >= 0)
            (void)msgctl(q->msqid, IPC_RMID, NULL);
        break;
    case CH_MQ:
        if (q->mq != (mqd_t)-1)
            (void)mq_close(q->mq);
        break;
    default:
        for (int i = 0; i < 2; i++)
            if (q->fd[i] >= 0)
                close(q->fd[i]);
        break;
    }
    q->ch = NULL;
    q->msqid = q->fd[0] = q->fd[1] = -1;
    q->mq = (mqd_t)-1;
}

const char *queue_name(ch_kind k)
{
    static const char *const name[CH_KINDS] = {
        "xsipc channel",
        "System V msgsnd/msgrcv",
        "pipe",
        "POSIX mq_send/mq_receive",
        "unix socketpair, SOCK_SEQPACKET",
    };
    return name[k];
}

void queue_describe(const queue *q, char *buf, size_t len)
{
    switch (q->k) {
    case CH_XSIPC:
        snprintf(buf, len, "a channel of %ld records of %zu bytes", q->depth,
                 q->max);
        break;
    case CH_MSGQ:
        snprintf(buf, len, "msg_qbytes %ld messages of %zu bytes", q->depth,
                 q->max);
        break;
    case CH_PIPE:
        snprintf(buf, len, "F_SETPIPE_SZ: %ld messages of %zu bytes", q->depth,
                 q->max);
        break;
    case CH_MQ:
        snprintf(buf, len, "mq_maxmsg %ld (fs.mqueue.msg_max %ld)", q->depth,
                 sysctl_long("/proc/sys/fs/mqueue/msg_max", 10));
        break;
    default:
        snprintf(buf, len, "SO_SNDBUF %ld bytes", q->depth);
        break;
    }
}
