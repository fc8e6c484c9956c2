/* SPDX-License-Identifier: MIT */
/*
 * chanstorm_work.c -- the workers of tests/chanstorm.c: senders that
 * stream numbered messages and acknowledge each one sent, receivers that
 * receive straight into their MAP_SHARED logs (chanstorm.h), and the
 * helpers the supervisor shares with them.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "chanstorm.h"

const char *const phase_name[PH_COUNT] = {
    "start", "open", "make", "send", "ack", "recv", "record", "idle", "close"};

/* ------------------------------------------------------------- helpers */

int flag(int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

void report(enum report_kind kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sk_report(&B->reported[kind], fmt, ap);
    va_end(ap);
}

void fail_error(const char *what, const xsipc_channel *ch)
{
    sk_add(&B->errors);
    report(R_ERROR, "error: %s: %s", what,
           ch != NULL ? xsipc_channel_error_string(ch) : strerror(errno));
}

void phase(int p)
{
    self->since = sk_now_ms();
    __atomic_store_n(&self->phase, p, __ATOMIC_SEQ_CST);
}

/* A pace per incarnation, so that sometimes the senders outrun the
 * receivers (senders wait for room) and sometimes the other way round. */
static unsigned pace;

static void dawdle(void)
{
    if (pace > 0 && sk_rnd() % pace == 0)
        sk_nap_us(20 + sk_rnd() % 400);
}

/* ------------------------------------------------------------- workers */

static xsipc_channel *open_channel(unsigned idx)
{
    xsipc_registry *reg;
    xsipc_channel *ch;
    xsipc_status st;

    phase(PH_OPEN);
    reg = xsipc_registry_open(
        cfg.dir, cfg.persistent ? XSIPC_REGISTRY_PERSISTENT : 0, &st);
    if (reg == NULL) {
        sk_add(&B->errors);
        report(R_ERROR, "error: worker %u: registry: %s", idx, st.text);
        _exit(3);
    }
    ch = xsipc_channel_new_in(reg, CHANNEL);
    xsipc_registry_close(reg); /* the handle keeps its reference */
    if (ch == NULL || xsipc_channel_open(ch) != 0) {
        fail_error("xsipc_channel_open", ch);
        _exit(3);
    }
    return ch;
}

static void sender_main(unsigned idx, uint64_t token)
{
    static unsigned char buf[CS_MAX_MESSAGE];
    char path[4200];
    xsipc_channel *ch;
    struct cs_ack ack;
    uint64_t seq = 1;
    int64_t t0;
    int fd, rc;

    snprintf(path, sizeof path, "%s/s-%016llx", cfg.logdir,
             (unsigned long long)token);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail_error(path, NULL);
        _exit(3);
    }
    ch = open_channel(idx);
    while (!flag(&B->stop_send)) {
        phase(PH_MAKE);
        ack.len = (uint32_t)cs_make(token, seq, cfg.max_message, buf);
        memcpy(&ack.sum, buf + offsetof(struct cs_msg, sum), sizeof ack.sum);
        ack.seq = seq;
        phase(PH_SEND);
        sk_add(&B->sends);
        t0 = sk_now_us();
        rc = xsipc_channel_send(ch, buf, ack.len, cfg.timeout_ms);
        if (sk_now_us() - t0 >= 1000)
            sk_add(&B->waited_send);
        if (rc == 0) {
            phase(PH_ACK);
            dawdle(); /* sent, not acknowledged yet: kills come here too */
            if (write(fd, &ack, sizeof ack) != (ssize_t)sizeof ack) {
                fail_error("write of an acknowledgement", NULL);
                _exit(3);
            }
            sk_add(&B->sent);
            seq++;
        } else if (rc == -XSIPC_TIMEOUT) {
            if (!flag(&B->stop_recv)) {
                sk_add(&B->hangs);
                report(R_HANG,
                       "HANG: sender %u (incarnation %llu) waited %ld ms "
                       "for room with the receivers running: %s",
                       idx, (unsigned long long)(token >> 8), cfg.timeout_ms,
                       xsipc_channel_error_string(ch));
            } /* then the same message again */
        } else {
            fail_error("xsipc_channel_send", ch);
            _exit(3);
        }
        phase(PH_IDLE);
        dawdle();
    }
    phase(PH_CLOSE);
    xsipc_channel_free(ch);
    close(fd);
    _exit(0);
}

/* Makes and maps a receiver log; the magic is written last. */
int make_log(uint64_t token, struct rlog *L)
{
    size_t stride = (sizeof(struct cs_ring) + cfg.max_message + 7) & ~7u;
    size_t size = sizeof(struct cs_rlog) + RING * stride +
                  (size_t)LOG_CAP * sizeof(struct cs_rec);
    char path[4200];
    void *map;
    int fd;

    snprintf(path, sizeof path, "%s/r-%016llx", cfg.logdir,
             (unsigned long long)token);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        fail_error(path, NULL);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        fail_error("mmap of a receiver log", NULL);
        return -1;
    }
    L->h = map;
    L->ring = (unsigned char *)map + sizeof(struct cs_rlog);
    L->rec = (struct cs_rec *)(L->ring + RING * stride);
    L->h->token = token;
    L->h->ring = RING;
    L->h->stride = stride;
    L->h->cap = LOG_CAP;
    __atomic_store_n(&L->h->magic, CS_LOG_MAGIC, __ATOMIC_SEQ_CST);
    return 0;
}

/* One recv into the log; its result.  A torn message is recorded so. */
int recv_one(struct rlog *L, xsipc_channel *ch, long timeout_ms)
{
    uint64_t i = L->h->count;
    struct cs_ring *r = (struct cs_ring *)(L->ring + (i % RING) * L->h->stride);
    struct cs_rec *rec = &L->rec[i];
    struct cs_msg m;
    int64_t t0;
    int rc, torn;

    if (i + 2 > L->h->cap)
        return LOG_FULL; /* the incarnation ends; the next has a new log */
    memset(r->data, 0, CS_HDR); /* no old message here, then its index */
    r->len = 0;
    __atomic_store_n(&r->index, i, __ATOMIC_SEQ_CST);
    phase(PH_RECV);
    sk_add(&B->recvs);
    t0 = sk_now_us();
    rc = xsipc_channel_recv(ch, r->data, cfg.max_message, &r->len, timeout_ms);
    if (sk_now_us() - t0 >= 1000)
        sk_add(&B->waited_recv);
    if (rc != 0)
        return rc;
    phase(PH_RECORD);
    torn = cs_valid(r->data, r->len, cfg.max_message, &m) != 0;
    if (torn) {
        sk_add(&B->torn_seen);
        report(R_TORN,
               "TORN: recv gave %zu bytes: magic %08x, len %u, token %llx, "
               "seq %llu",
               r->len, m.magic, m.len, (unsigned long long)m.token,
               (unsigned long long)m.seq);
    }
    rec->token = m.token;
    rec->seq = m.seq;
    rec->len = (uint32_t)r->len;
    rec->flags = torn ? CS_REC_TORN : 0;
    dawdle(); /* received, not counted yet: kills come here too */
    if (cfg.selftest == ST_LOSE && sk_rnd() % 1000 == 0)
        return 0; /* forgotten: the next recv takes this slot */
    if (cfg.selftest == ST_DUP && sk_rnd() % 1000 == 0)
        L->rec[i++ + 1] = *rec;
    __atomic_store_n(&L->h->count, i + 1, __ATOMIC_SEQ_CST);
    sk_add(&B->received);
    return 0;
}

static void receiver_main(unsigned idx, uint64_t token)
{
    xsipc_channel *ch;
    struct rlog L;
    int rc;

    if (make_log(token, &L) != 0)
        _exit(3);
    ch = open_channel(idx);
    while (!flag(&B->stop_recv)) {
        /* Once the senders stop, an empty channel is no hang: a timeout
         * is one when the senders ran during the whole wait. */
        int64_t began = sk_now_ms();
        int quiet = flag(&B->stop_send);
        rc = recv_one(&L, ch, quiet ? 100 : cfg.timeout_ms);
        if (rc == LOG_FULL)
            break; /* a clean end: the supervisor starts another */
        if (rc == -XSIPC_TIMEOUT && !quiet &&
            (!flag(&B->stop_send) ||
             began + cfg.timeout_ms <= B->stop_send_ms)) {
            sk_add(&B->hangs);
            report(R_HANG,
                   "HANG: receiver %u (incarnation %llu) waited %ld ms for "
                   "a message with the senders running: %s",
                   idx, (unsigned long long)(token >> 8), cfg.timeout_ms,
                   xsipc_channel_error_string(ch));
        } else if (rc != 0 && rc != -XSIPC_TIMEOUT) {
            fail_error("xsipc_channel_recv", ch);
            _exit(3);
        }
        phase(PH_IDLE);
        dawdle();
    }
    phase(PH_CLOSE);
    xsipc_channel_free(ch);
    _exit(0);
}

static void crashed(int sig)
{
    sk_put(&self->live, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

void worker_main(unsigned idx, uint64_t token)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    unsigned i;

    self = &B->slot[idx];
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != cfg.parent)
        _exit(0);
    for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], crashed);
    sk_seed_rnd(cfg.seed ^ (token * 0xff51afd7ed558ccdULL));
    pace = sk_rnd() % 3 == 0 ? 0 : 1 + sk_rnd() % 16;
    if (idx < cfg.senders)
        sender_main(idx, token);
    receiver_main(idx, token);
    _exit(0); /* neither returns */
}
