/* SPDX-License-Identifier: MIT */
/*
 * check_channel.c -- xsipc_channel (lib/channel.c, lib/chanwait.c): the
 * API's rules and errors, order and exactly-once delivery across
 * processes, sleeping and waking, and each crash the protocol's argument
 * names, entered exactly: a process killed holding a turn (mid-send,
 * mid-receive), a holder that is stopped, a pid reused, a sleeper killed.
 *
 * A process killed at a point with no system call cannot be stopped there
 * by the lib/sysv seam, so those children write into the header exactly
 * what a process killed at that instruction leaves (its token in the
 * turn, half a record beyond tail), and are then SIGKILLed for real.
 * Children never call ck_assert: they exit with a code.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "testutil.h"

static xsipc_channel *made(const char *name, size_t cap, size_t max)
{
    xsipc_channel *ch = xsipc_channel_new_in(tu_registry(), name);

    ck_assert_ptr_nonnull(ch);
    ck_assert_msg(xsipc_channel_create(ch, cap, max) == 0, "create: %s",
                  xsipc_channel_error_string(ch));
    return ch;
}

static xsipc_channel *opened(const char *name)
{
    xsipc_channel *ch = xsipc_channel_new_in(tu_registry(), name);

    if (ch == NULL || xsipc_channel_open(ch) != 0)
        return NULL;
    return ch;
}

#define refused(ch, rc, code)                                                  \
    do {                                                                       \
        int rc_ = (rc);                                                        \
        ck_assert_msg(rc_ == -(int)(code), "returned %d, expected %d (%s)",    \
                      rc_, -(int)(code), xsipc_channel_error_string(ch));      \
        ck_assert_int_eq(xsipc_channel_error(ch), (code));                     \
        ck_assert(xsipc_channel_error_string(ch)[0] != '\0');                  \
    } while (0)

static void send_ok(xsipc_channel *ch, const void *m, size_t len)
{
    ck_assert_msg(xsipc_channel_send(ch, m, len, 0) == 0, "send: %s",
                  xsipc_channel_error_string(ch));
}

static size_t recv_ok(xsipc_channel *ch, void *buf, size_t cap)
{
    size_t len = 0;

    ck_assert_msg(xsipc_channel_recv(ch, buf, cap, &len, 1000) == 0, "recv: %s",
                  xsipc_channel_error_string(ch));
    return len;
}

START_TEST(test_channel_rules_and_errors)
{
    xsipc_channel *a = made("rules", 256, 40), *b, *c;
    xsipc_channel_info info;
    xsipc_shm *seg;
    char buf[64];
    size_t len;

    /* A second create of the name, an open of none, of a segment. */
    b = xsipc_channel_new_in(tu_registry(), "rules");
    refused(b, xsipc_channel_create(b, 256, 40), XSIPC_ALREADY_EXISTS);
    ck_assert_int_eq(xsipc_channel_open(b), 0);
    refused(b, xsipc_channel_open(b), XSIPC_ALREADY_ATTACHED);
    c = xsipc_channel_new_in(tu_registry(), "none");
    refused(c, xsipc_channel_open(c), XSIPC_NOT_FOUND);
    refused(c, xsipc_channel_send(c, "x", 1, 0), XSIPC_NOT_ATTACHED);
    refused(c, xsipc_channel_create(c, 16, 9), XSIPC_INVALID_SIZE);
    refused(c, xsipc_channel_create(c, 16, 0), XSIPC_INVALID_SIZE);
    xsipc_channel_free(c);
    seg = xsipc_shm_new_in(tu_registry(), "plain");
    ck_assert_int_eq(xsipc_shm_create(seg, 4096, XSIPC_READ_WRITE), 0);
    c = xsipc_channel_new_in(tu_registry(), "plain");
    refused(c, xsipc_channel_open(c), XSIPC_INVALID_ARGUMENT);
    xsipc_channel_free(c);
    xsipc_shm_free(seg);

    /* Sizes, timeouts, a buffer too small. */
    refused(a, xsipc_channel_send(a, "x", 0, 0), XSIPC_INVALID_SIZE);
    refused(a, xsipc_channel_send(a, buf, 41, 0), XSIPC_INVALID_SIZE);
    refused(a, xsipc_channel_send(a, NULL, 1, 0), XSIPC_INVALID_ARGUMENT);
    refused(a, xsipc_channel_send(a, "x", 1, -2), XSIPC_INVALID_ARGUMENT);
    refused(b, xsipc_channel_recv(b, buf, sizeof buf, &len, 0),
            XSIPC_WOULD_BLOCK);
    refused(b, xsipc_channel_recv(b, buf, sizeof buf, &len, 30), XSIPC_TIMEOUT);
    refused(b, xsipc_channel_recv(b, buf, sizeof buf, NULL, 0),
            XSIPC_INVALID_ARGUMENT);
    send_ok(a, "hello, world", 12);
    len = 0;
    refused(b, xsipc_channel_recv(b, buf, 5, &len, 0), XSIPC_INVALID_SIZE);
    ck_assert_uint_eq(len, 12);
    ck_assert_int_eq(xsipc_channel_stat(b, &info), 0);
    ck_assert_uint_eq(info.messages, 1);
    ck_assert_uint_eq(info.bytes, 12);
    ck_assert_uint_eq(info.capacity, 256);
    ck_assert_uint_eq(info.max_message, 40);
    ck_assert_uint_eq(recv_ok(b, buf, sizeof buf), 12);
    ck_assert(memcmp(buf, "hello, world", 12) == 0);

    /* Full: five 48-byte records take 240 of the 256 bytes (the fifth
     * runs past the ring's end and on at its start); a sixth does not
     * fit. */
    for (len = 0; len < 5; len++)
        send_ok(a, buf, 40);
    refused(a, xsipc_channel_send(a, buf, 40, 0), XSIPC_WOULD_BLOCK);
    refused(a, xsipc_channel_send(a, buf, 40, 30), XSIPC_TIMEOUT);
    ck_assert_int_eq(xsipc_channel_stat(a, &info), 0);
    ck_assert_uint_eq(info.messages, 5);
    ck_assert_str_eq(xsipc_channel_name(a), "rules");
    ck_assert_ptr_null(xsipc_channel_name(NULL));
    ck_assert_int_eq(xsipc_channel_send(NULL, "x", 1, 0),
                     -XSIPC_INVALID_ARGUMENT);
    xsipc_channel_free(b);
    xsipc_channel_free(a);
    xsipc_channel_free(NULL);
    /* The last user took the segment with it. */
    c = xsipc_channel_new_in(tu_registry(), "rules");
    refused(c, xsipc_channel_open(c), XSIPC_NOT_FOUND);
    xsipc_channel_free(c);
}
END_TEST

/* Records of every size through a small ring: wraps, in order, whole. */
START_TEST(test_channel_wraps_in_order)
{
    xsipc_channel *ch = made("wrap", 200, 61);
    unsigned char m[61], got[61];
    size_t i, k, len, n = 0, sent = 0;

    for (i = 0; i < 3000; i++) {
        len = 1 + (i * 7) % 61;
        for (k = 0; k < len; k++)
            m[k] = (unsigned char)(i + k);
        while (xsipc_channel_send(ch, m, len, 0) == -XSIPC_WOULD_BLOCK) {
            size_t want = 1 + (n * 7) % 61;

            ck_assert_uint_eq(recv_ok(ch, got, sizeof got), want);
            for (k = 0; k < want; k++)
                ck_assert_uint_eq(got[k], (unsigned char)(n + k));
            n++;
        }
        sent++;
    }
    while (n < sent) {
        size_t want = 1 + (n * 7) % 61;

        ck_assert_uint_eq(recv_ok(ch, got, sizeof got), want);
        ck_assert_uint_eq(got[want - 1], (unsigned char)(n + want - 1));
        n++;
    }
    xsipc_channel_free(ch);
}
END_TEST

/* A channel just big enough for one largest message takes it wherever
 * the ring's position is: the record runs past the end and on at 0 (the
 * kill storm found a largest message waiting for ever on an empty channel
 * when records had to start again at 0). */
START_TEST(test_channel_largest_message_anywhere)
{
    xsipc_channel *ch = made("tight", 264, 256);
    unsigned char m[256], got[256];
    size_t i, k;

    for (i = 0; i < 40; i++) {
        size_t small = 1 + i % 37;

        for (k = 0; k < sizeof m; k++)
            m[k] = (unsigned char)(i * 3 + k);
        send_ok(ch, m, small);
        ck_assert_uint_eq(recv_ok(ch, got, sizeof got), small);
        send_ok(ch, m, sizeof m);
        refused(ch, xsipc_channel_send(ch, m, 1, 0), XSIPC_WOULD_BLOCK);
        ck_assert_uint_eq(recv_ok(ch, got, sizeof got), sizeof m);
        ck_assert(memcmp(got, m, sizeof m) == 0);
    }
    xsipc_channel_free(ch);
}
END_TEST

/* Two senders and two receivers, processes: every message once, each
 * sender's in order at each receiver. */
START_TEST(test_channel_many_processes)
{
    enum { PER = 20000 };
    xsipc_channel *ch = made("many", 4096, 16);
    static const char *const logs[2] = {"got-0", "got-1"};
    static unsigned char seen[2][PER];
    pid_t kids[4];
    int i, r;

    for (i = 0; i < 4; i++) {
        if ((kids[i] = fork()) == 0) {
            xsipc_channel *me = opened("many");
            unsigned v[2], last[2] = {0, 0};
            size_t len;

            if (me == NULL)
                _exit(1);
            if (i < 2) { /* a sender */
                for (v[1] = 1; v[1] <= PER; v[1]++) {
                    v[0] = (unsigned)i;
                    if (xsipc_channel_send(me, v, sizeof v, 5000) != 0) {
                        fprintf(stderr, "sender %d at %u: %s\n", i, v[1],
                                xsipc_channel_error_string(me));
                        _exit(2);
                    }
                }
                xsipc_channel_free(me);
                _exit(0);
            }
            /* a receiver: logs what it got, in a file (a pipe would fill
             * before the parent reads it) */
            FILE *log = fopen(tu_path(logs[i - 2]), "w");

            if (log == NULL)
                _exit(6);
            for (;;) {
                int rc = xsipc_channel_recv(me, v, sizeof v, &len, 300);

                if (rc == -XSIPC_TIMEOUT)
                    break;
                if (rc != 0 || len != sizeof v || v[0] > 1)
                    _exit(3);
                if (v[1] <= last[v[0]])
                    _exit(4); /* out of order */
                last[v[0]] = v[1];
                if (fwrite(v, sizeof v, 1, log) != 1)
                    _exit(5);
            }
            if (fclose(log) != 0)
                _exit(5);
            xsipc_channel_free(me);
            _exit(0);
        }
        ck_assert_int_gt(kids[i], 0);
    }
    for (i = 0; i < 4; i++) {
        int rc = tu_status_of(kids[i]);

        ck_assert_msg(rc == 0, "%s %d exited %d", i < 2 ? "sender" : "receiver",
                      i, rc);
    }
    for (r = 0; r < 2; r++) {
        FILE *log = fopen(tu_path(logs[r]), "r");
        unsigned v[2];

        ck_assert_ptr_nonnull(log);
        while (fread(v, sizeof v, 1, log) == 1) {
            ck_assert_uint_eq(seen[v[0]][v[1] - 1], 0);
            seen[v[0]][v[1] - 1] = 1;
        }
        fclose(log);
        ck_assert_int_eq(unlink(tu_path(logs[r])), 0);
    }
    for (r = 0; r < 2; r++)
        for (i = 0; i < PER; i++)
            ck_assert_msg(seen[r][i], "sender %d's message %d lost", r, i + 1);
    xsipc_channel_free(ch);
}
END_TEST

/* A receiver asleep on an empty channel is woken by a send, a sender
 * asleep on a full one by a recv; no sleeper is left marked. */
START_TEST(test_channel_sleep_and_wake)
{
    xsipc_channel *ch = made("sleep", 64, 8);
    char buf[8];
    pid_t pid;
    int i;

    if ((pid = fork()) == 0) {
        xsipc_channel *me = opened("sleep");
        size_t len;

        if (me == NULL || xsipc_channel_recv(me, buf, sizeof buf, &len, -1) ||
            len != 5 || memcmp(buf, "wake!", 5) != 0)
            _exit(1);
        _exit(0);
    }
    for (i = 0; i < 200 && ch->h->sleep_data == 0; i++)
        usleep(5000);
    ck_assert_msg(ch->h->sleep_data != 0, "the receiver never slept");
    send_ok(ch, "wake!", 5);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert(ch->h->sleep_data == 0);

    for (i = 0; i < 4; i++) /* 64 bytes: four 16-byte records */
        send_ok(ch, "12345678", 8);
    if ((pid = fork()) == 0) {
        xsipc_channel *me = opened("sleep");

        _exit(me != NULL && xsipc_channel_send(me, "late", 4, -1) == 0 ? 0 : 1);
    }
    for (i = 0; i < 200 && ch->h->sleep_space == 0; i++)
        usleep(5000);
    ck_assert_msg(ch->h->sleep_space != 0, "the sender never slept");
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 8);
    ck_assert_int_eq(tu_status_of(pid), 0);
    ck_assert(ch->h->sleep_space == 0);
    xsipc_channel_free(ch);
}
END_TEST

/* A child that leaves, then is killed: what a process killed at that
 * point leaves.  how: 's' holds the send turn with half a record beyond
 * tail; 'r' holds the receive turn, the next message copied out, head not
 * stored; 'z' holds the send turn and stops (a live holder). */
static pid_t killed_holding(const char *name, int how)
{
    int go[2];
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(go), 0);
    if ((pid = fork()) == 0) {
        xsipc_channel *me = opened(name);
        xsipc__chan_hdr *h;
        uint64_t tok;

        if (me == NULL)
            _exit(1);
        h = me->h;
        tok = xsipc__chan_token(me);
        if (how == 'r') {
            __atomic_store_n(&h->recv_turn, tok, __ATOMIC_SEQ_CST);
        } else {
            uint64_t off = h->tail % h->capacity;

            __atomic_store_n(&h->send_turn, tok, __ATOMIC_SEQ_CST);
            /* half a record: a header and some of its bytes */
            memset(me->ring + off, 0, 8);
            me->ring[off] = 30;
            memset(me->ring + off + 8, 'X', 10);
        }
        if (write(go[1], "h", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(read(go[0], &c, 1), 1);
    close(go[0]);
    close(go[1]);
    if (how == 'z') {
        ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    } else {
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        (void)tu_status_of(pid);
    }
    return pid;
}

/* A sender killed mid-send: its half record is never seen, its turn is
 * taken over, and the queue goes on in order. */
START_TEST(test_channel_sender_killed_mid_send)
{
    xsipc_channel *ch = made("ksend", 512, 32);
    char buf[32];

    send_ok(ch, "one", 3);
    (void)killed_holding("ksend", 's');
    send_ok(ch, "two", 3);
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 3);
    ck_assert(memcmp(buf, "one", 3) == 0);
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 3);
    ck_assert(memcmp(buf, "two", 3) == 0);
    refused(ch, xsipc_channel_recv(ch, buf, sizeof buf, &(size_t){0}, 0),
            XSIPC_WOULD_BLOCK);
    xsipc_channel_free(ch);
}
END_TEST

/* A receiver killed before its take: the message stays, for the next
 * receiver, first. */
START_TEST(test_channel_receiver_killed_mid_recv)
{
    xsipc_channel *ch = made("krecv", 512, 32);
    char buf[32];

    send_ok(ch, "first", 5);
    send_ok(ch, "second", 6);
    (void)killed_holding("krecv", 'r');
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 5);
    ck_assert(memcmp(buf, "first", 5) == 0);
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 6);
    xsipc_channel_free(ch);
}
END_TEST

/* A live holder, stopped, is waited for (timeouts bound the wait), never
 * displaced; once it is dead its turn is taken over. */
START_TEST(test_channel_stopped_holder_waited_for)
{
    xsipc_channel *ch = made("stop", 512, 32);
    struct timespec a, b;
    pid_t pid = killed_holding("stop", 'z');
    char buf[8];

    refused(ch, xsipc_channel_send(ch, "x", 1, 0), XSIPC_WOULD_BLOCK);
    clock_gettime(CLOCK_MONOTONIC, &a);
    refused(ch, xsipc_channel_send(ch, "x", 1, 100), XSIPC_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ck_assert(
        (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 95);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    (void)tu_status_of(pid);
    send_ok(ch, "y", 1);
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 1);
    ck_assert_int_eq(buf[0], 'y');
    xsipc_channel_free(ch);
}
END_TEST

/* Tokens: ours is alive, a zombie's and a reused pid's are dead. */
START_TEST(test_channel_tokens)
{
    xsipc_channel *ch = made("tok", 256, 8);
    uint64_t me = xsipc__chan_token(ch);
    pid_t pid;

    ck_assert(me != 0);
    ck_assert_int_eq(xsipc__chan_dead(me), 0);
    /* Our pid with another start time: a process that had our pid. */
    ck_assert_int_eq(xsipc__chan_dead(me + (UINT64_C(1) << 22)), 1);
    if ((pid = fork()) == 0)
        _exit(0);
    ck_assert_int_gt(pid, 0);
    usleep(50000); /* a zombie until reaped */
    ck_assert_int_eq(xsipc__chan_dead((uint64_t)pid), 1);
    (void)tu_status_of(pid);
    ck_assert_int_eq(xsipc__chan_dead((uint64_t)pid), 1);
    xsipc_channel_free(ch);
}
END_TEST

/* A sleeper killed asleep leaves its bit; a sender's posts clear it once
 * it looks (every 64th post), and no later send makes a system call. */
START_TEST(test_channel_dead_sleeper_cleared)
{
    xsipc_channel *ch = made("dead", 8192, 8);
    char buf[8];
    pid_t pid;
    int i;

    if ((pid = fork()) == 0) {
        xsipc_channel *me = opened("dead");
        size_t len;

        _exit(xsipc_channel_recv(me, buf, sizeof buf, &len, -1) == 0 ? 1 : 2);
    }
    for (i = 0; i < 200 && ch->h->sleep_data == 0; i++)
        usleep(5000);
    ck_assert(ch->h->sleep_data != 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    (void)tu_status_of(pid);
    for (i = 0; i < 130; i++)
        send_ok(ch, "m", 1);
    ck_assert_msg(ch->h->sleep_data == 0, "the dead sleeper's bit stays");
    for (i = 0; i < XSIPC__CHAN_SLEEPERS; i++)
        ck_assert(ch->h->sleeper[i] == 0);
    xsipc_channel_free(ch);
}
END_TEST

/* A persistent channel outlives its users with its messages; listings
 * mark its segment as a channel's. */
static int find_chan(const xsipc_registry_entry *e, void *arg)
{
    if (e->name != NULL && strcmp(e->name, "keep") == 0 &&
        e->kind == XSIPC_KIND_SHM)
        *(unsigned *)arg = e->flags;
    return 0;
}

START_TEST(test_channel_persistent_and_listed)
{
    xsipc_channel *ch = xsipc_channel_new_in(tu_registry(), "keep");
    unsigned flags = 0;
    xsipc_status st;
    char buf[8];

    ck_assert_int_eq(xsipc_channel_set_persistent(ch, 1), 0);
    ck_assert_int_eq(xsipc_channel_create(ch, 256, 8), 0);
    send_ok(ch, "kept", 4);
    ck_assert_int_ge(xsipc_registry_list(tu_registry(), find_chan, &flags, &st),
                     0);
    ck_assert(flags & XSIPC_ENTRY_CHANNEL);
    xsipc_channel_free(ch);
    ch = opened("keep");
    ck_assert_ptr_nonnull(ch);
    ck_assert_uint_eq(recv_ok(ch, buf, sizeof buf), 4);
    xsipc_channel_free(ch);
    ck_assert_msg(xsipc_registry_remove(tu_registry(), "keep", XSIPC_KIND_SHM,
                                        XSIPC_REMOVE_OBJECT, &st) == 0,
                  "remove: %s", st.text);
    /* The lock set went with the last handle (nothing to remove), or
     * stays for removal: either way the name is gone after this. */
    if (xsipc_registry_remove(tu_registry(), "keep", XSIPC_KIND_SEM,
                              XSIPC_REMOVE_OBJECT, &st) < 0)
        ck_assert_int_eq(st.code, XSIPC_NOT_FOUND);
}
END_TEST

Suite *channel_suite(void)
{
    Suite *s = suite_create("channel");
    TCase *tc = tcase_create("core");

    tu_tcase(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_channel_rules_and_errors);
    tcase_add_test(tc, test_channel_wraps_in_order);
    tcase_add_test(tc, test_channel_largest_message_anywhere);
    tcase_add_test(tc, test_channel_many_processes);
    tcase_add_test(tc, test_channel_sleep_and_wake);
    tcase_add_test(tc, test_channel_sender_killed_mid_send);
    tcase_add_test(tc, test_channel_receiver_killed_mid_recv);
    tcase_add_test(tc, test_channel_stopped_holder_waited_for);
    tcase_add_test(tc, test_channel_tokens);
    tcase_add_test(tc, test_channel_dead_sleeper_cleared);
    tcase_add_test(tc, test_channel_persistent_and_listed);
    suite_add_tcase(s, tc);
    return s;
}
