/* SPDX-License-Identifier: MIT */
/*
 * chanstorm_check.c -- the messages of tests/chanstorm.c and the checker
 * of its logs (see chanstorm.h for their formats).
 *
 * The checker reads every sender incarnation's log of acknowledgements
 * and every receiver incarnation's log, and counts as violations:
 *   lost        an acknowledged message no receiver got;
 *   duplicated  a message received more than once (a dead receiver's
 *               pending slot excepted: see below);
 *   torn        a message that arrived with a wrong header, length or
 *               payload (the receiver checked it right after recv);
 *   changed     a message received other than its acknowledgement says;
 *   disorder    a receiver that got a sender incarnation's sequence
 *               numbers out of increasing order;
 *   phantom     a message no sender sent: an unknown incarnation, or a
 *               sequence number beyond its last acknowledgement + 1 (a
 *               sender sends one message at a time, so only the one it
 *               was killed at may arrive unacknowledged);
 *   bad log     a log that cannot be read or does not follow its format.
 * A dead receiver's pending slot (the ring slot of its last recv, which
 * it had not counted yet) holding a whole message is that message
 * received when no one else got it (the library had committed it before
 * the kill: "pending taken"), and a redelivery when someone else did
 * ("redelivered").
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chanstorm.h"

uint32_t cs_fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

size_t cs_make(uint64_t token, uint64_t seq, size_t max, unsigned char *buf)
{
    uint64_t r = mix(token * 0x100000001b3ULL ^ mix(seq));
    struct cs_msg m;
    size_t len, i;

    /* Sometimes the shortest or the longest, else any length between. */
    if (r % 8 == 0)
        len = max;
    else if (r % 8 == 1)
        len = CS_HDR;
    else
        len = CS_HDR + (size_t)((r >> 3) % (max - CS_HDR + 1));
    for (i = CS_HDR; i < len; i++) {
        if ((i - CS_HDR) % 8 == 0)
            r = mix(r);
        buf[i] = (unsigned char)(r >> (8 * ((i - CS_HDR) % 8)));
    }
    m.magic = CS_MSG_MAGIC;
    m.len = (uint32_t)len;
    m.token = token;
    m.seq = seq;
    m.sum = cs_fnv(buf + CS_HDR, len - CS_HDR);
    m.hsum = cs_fnv(&m, offsetof(struct cs_msg, hsum));
    memcpy(buf, &m, CS_HDR);
    return len;
}

int cs_valid(const unsigned char *buf, size_t len, size_t max, struct cs_msg *m)
{
    static unsigned char want[CS_MAX_MESSAGE];

    memset(m, 0, sizeof *m);
    if (len < CS_HDR || len > max)
        return -1;
    memcpy(m, buf, CS_HDR);
    if (m->magic != CS_MSG_MAGIC || m->len != len ||
        m->hsum != cs_fnv(m, offsetof(struct cs_msg, hsum)) ||
        m->sum != cs_fnv(buf + CS_HDR, len - CS_HDR))
        return -1;
    /* The checksums agree: the payload must also be the one made. */
    if (cs_make(m->token, m->seq, max, want) != len ||
        memcmp(want, buf, len) != 0)
        return -1;
    return 0;
}

uint64_t cs_violations(const struct cs_verdict *v)
{
    return v->lost + v->duplicated + v->torn + v->changed + v->disorder +
           v->phantom + v->bad_log;
}

/* ------------------------------------------------------------- checker */

/* A sender incarnation, by its number (token >> 8). */
struct sender {
    uint64_t token; /* 0: no log seen */
    uint64_t nacks;
    struct cs_ack *acks;
    uint32_t *got;     /* per seq 1..nacks+1: times received */
    uint64_t last_log; /* order check: the receiver log last seen, */
    uint64_t last_seq; /* and the sequence number it got last */
};

struct pending {
    uint64_t token, seq;
};

static struct {
    struct sender *s;
    size_t n;
    struct pending *p;
    size_t np, pcap;
    struct cs_verdict *v;
    unsigned reports;
} C;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;

    if (C.reports++ >= 4 * SK_SHOWN)
        return;
    fputs("chanstorm: check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static struct sender *sender_of(uint64_t token)
{
    uint64_t inc = token >> 8;

    if (inc >= C.n || C.s[inc].token != token)
        return NULL;
    return &C.s[inc];
}

/* The log dir/name (its path in path), open, and its size in *sb; -1
 * (said) when not. */
static int open_log(char *path, size_t size, const char *dir, const char *name,
                    struct stat *sb)
{
    int fd;

    snprintf(path, size, "%s/%s", dir, name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, sb) != 0) {
        say("%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int read_sender(const char *dir, const char *name, uint64_t token)
{
    char path[4200];
    struct stat sb;
    uint64_t inc = token >> 8, k;
    struct sender *s;
    int fd;

    if ((fd = open_log(path, sizeof path, dir, name, &sb)) < 0)
        return -1;
    if (inc >= C.n) {
        size_t n = (size_t)inc * 2 + 64;
        struct sender *t = realloc(C.s, n * sizeof *t);
        if (t == NULL) {
            close(fd);
            return -1;
        }
        memset(t + C.n, 0, (n - C.n) * sizeof *t);
        C.s = t;
        C.n = n;
    }
    s = &C.s[inc];
    s->token = token;
    /* A kill inside write(2) may leave a partial last record: not one. */
    s->nacks = (uint64_t)sb.st_size / sizeof(struct cs_ack);
    s->acks = malloc((size_t)(s->nacks + 1) * sizeof *s->acks);
    s->got = calloc((size_t)s->nacks + 2, sizeof *s->got);
    if (s->acks == NULL || s->got == NULL ||
        (s->nacks > 0 && pread(fd, s->acks, (size_t)s->nacks * sizeof *s->acks,
                               0) != (ssize_t)(s->nacks * sizeof *s->acks))) {
        close(fd);
        say("%s: cannot read it", path);
        return -1;
    }
    close(fd);
    for (k = 0; k < s->nacks; k++)
        if (s->acks[k].seq != k + 1) {
            C.v->bad_log++;
            say("%s: acknowledgement %" PRIu64 " is of seq %" PRIu64, path,
                k + 1, s->acks[k].seq);
            s->nacks = k;
            break;
        }
    C.v->sender_logs++;
    C.v->acked += s->nacks;
    return 0;
}

/* One message a receiver log holds: counted (committed) or, for a
 * pending slot, kept for later; checked for order either way. */
static void got(uint64_t logid, const char *log, const struct cs_rec *r,
                int pending)
{
    struct sender *s = sender_of(r->token);

    if (s == NULL || r->seq < 1 || r->seq > s->nacks + 1) {
        C.v->phantom++;
        say("%s: message %" PRIu64 " of incarnation %" PRIu64
            " (slot %u), which never sent it%s",
            log, r->seq, r->token >> 8, (unsigned)(r->token & 0xff),
            pending ? " (pending slot)" : "");
        return;
    }
    if (s->last_log == logid && r->seq <= s->last_seq) {
        C.v->disorder++;
        say("%s: message %" PRIu64 " of incarnation %" PRIu64
            " after its message %" PRIu64 "%s",
            log, r->seq, r->token >> 8, s->last_seq,
            pending ? " (pending slot)" : "");
    }
    s->last_log = logid;
    s->last_seq = r->seq;
    if (r->seq <= s->nacks && r->len != s->acks[r->seq - 1].len) {
        C.v->changed++;
        say("%s: message %" PRIu64 " of incarnation %" PRIu64
            " is %u bytes, %u acknowledged",
            log, r->seq, r->token >> 8, r->len, s->acks[r->seq - 1].len);
    }
    if (!pending) {
        s->got[r->seq]++;
        C.v->received++;
        return;
    }
    if (C.np == C.pcap) {
        size_t n = C.pcap * 2 + 64;
        struct pending *t = realloc(C.p, n * sizeof *t);
        if (t == NULL) {
            C.v->bad_log++;
            return;
        }
        C.p = t;
        C.pcap = n;
    }
    C.p[C.np].token = r->token;
    C.p[C.np++].seq = r->seq;
}

static int read_receiver(const char *dir, const char *name, uint64_t logid,
                         size_t max)
{
    char path[4200];
    struct stat sb;
    const struct cs_rlog *h;
    const struct cs_rec *rec;
    const struct cs_ring *ring;
    uint64_t j, count;
    struct cs_msg m;
    struct cs_rec r;
    void *map;
    int fd;

    if ((fd = open_log(path, sizeof path, dir, name, &sb)) < 0)
        return -1;
    if ((size_t)sb.st_size < sizeof *h) {
        close(fd);
        return 0; /* killed before it made its log: it received nothing */
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        say("%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    h = map;
    count = h->count;
    if (h->magic != CS_LOG_MAGIC || h->ring == 0 ||
        h->stride < sizeof *ring + max ||
        sizeof *h + h->ring * h->stride + h->cap * sizeof *rec >
            (uint64_t)sb.st_size ||
        count > h->cap) {
        /* A receiver killed while it wrote its header left magic 0. */
        if (h->magic != 0) {
            C.v->bad_log++;
            say("%s: not a receiver log", path);
        }
        munmap(map, (size_t)sb.st_size);
        return 0;
    }
    C.v->receiver_logs++;
    rec = (const struct cs_rec *)((const char *)map + sizeof *h +
                                  h->ring * h->stride);
    for (j = 0; j < count; j++) {
        if (rec[j].flags & CS_REC_TORN) {
            C.v->torn++;
            say("%s: record %" PRIu64 " (message %" PRIu64
                " of incarnation %" PRIu64 ") arrived torn",
                path, j, rec[j].seq, rec[j].token >> 8);
            continue;
        }
        got(logid, path, &rec[j], 0);
    }
    ring = (const struct cs_ring *)((const char *)map + sizeof *h +
                                    (count % h->ring) * h->stride);
    if (ring->index == count) {
        uint32_t len;
        memcpy(&len, ring->data + offsetof(struct cs_msg, len), sizeof len);
        if (cs_valid(ring->data, len, max, &m) == 0) {
            r.token = m.token;
            r.seq = m.seq;
            r.len = m.len;
            r.flags = 0;
            got(logid, path, &r, 1);
        }
    }
    munmap(map, (size_t)sb.st_size);
    return 0;
}

int cs_check(const char *dir, size_t max_message, struct cs_verdict *v)
{
    DIR *d;
    struct dirent *e;
    uint64_t logid = 0, token;
    size_t i, k;
    int rc = 0, pass;
    char *end;

    memset(v, 0, sizeof *v);
    memset(&C, 0, sizeof C);
    C.v = v;
    /* The senders first, then the receivers, whose logs refer to them. */
    for (pass = 0; pass < 2 && rc == 0; pass++) {
        if ((d = opendir(dir)) == NULL) {
            say("%s: %s", dir, strerror(errno));
            return -1;
        }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] != (pass == 0 ? 's' : 'r') || e->d_name[1] != '-')
                continue;
            token = strtoull(e->d_name + 2, &end, 16);
            if (*end != '\0') {
                v->bad_log++;
                continue;
            }
            if (pass == 0 ? read_sender(dir, e->d_name, token) != 0
                          : read_receiver(dir, e->d_name, ++logid,
                                          max_message) != 0) {
                v->bad_log++;
                rc = -1;
            }
        }
        closedir(d);
    }
    /* A dead receiver's pending message: received, or received again. */
    for (k = 0; k < C.np; k++) {
        struct sender *s = sender_of(C.p[k].token);
        if (s->got[C.p[k].seq] == 0) {
            s->got[C.p[k].seq] = 1;
            v->pending_taken++;
            v->received++;
        } else {
            v->redelivered++;
        }
    }
    for (i = 0; i < C.n; i++) {
        struct sender *s = &C.s[i];
        uint64_t q;
        if (s->token == 0)
            continue;
        for (q = 1; q <= s->nacks + 1; q++) {
            if (s->got[q] > 1) {
                v->duplicated += s->got[q] - 1;
                say("message %" PRIu64 " of incarnation %" PRIu64
                    " (slot %u) received %u times",
                    q, i, (unsigned)(s->token & 0xff), s->got[q]);
            } else if (s->got[q] == 0 && q <= s->nacks) {
                v->lost++;
                say("message %" PRIu64 " of incarnation %" PRIu64
                    " (slot %u, %" PRIu64 " acknowledged) never received",
                    q, i, (unsigned)(s->token & 0xff), s->nacks);
            } else if (q > s->nacks) {
                v->unacked_arrived += s->got[q] != 0;
            }
        }
        free(s->acks);
        free(s->got);
    }
    free(C.s);
    free(C.p);
    return rc;
}
