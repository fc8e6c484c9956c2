/* SPDX-License-Identifier: MIT */
/*
 * stress.c -- workers increment a counter under the lock while a killer
 * sends SIGKILL to random ones and starts them again.
 *
 * SYNOPSIS
 *     stress [-k KILLS] [-w WORKERS] [-s SEED]
 *
 * Each increment is a two-step update with a write-ahead record, so that
 * a worker killed in the middle leaves a state the next holder can finish:
 *   1. record what the counter and the worker's acknowledgement count will
 *      be, and mark the record pending;
 *   2. write both, then clear the mark.
 * The next xsipc_shm_lock() after a holder died returns XSIPC_OWNER_DIED,
 * and that holder rolls a pending record forward.  At the end the counter
 * must equal the sum of the acknowledgements, no worker may hang, and
 * nothing may be left behind.  Exit 0 when all of that holds.
 *
 * make check runs a short form (about 40 kills); make stress the long one
 * (at least 1,000 kills).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xsipc.h"

#define MAX_WORKERS 16

struct board {
    volatile uint64_t counter;
    volatile uint64_t acked[MAX_WORKERS];
    volatile uint64_t pending;      /* a record below awaits step 2 */
    volatile uint64_t next_counter; /* the record (absolute values, so */
    volatile uint64_t next_acked;   /* rolling it forward is idempotent) */
    volatile uint64_t next_slot;
    volatile uint64_t repairs;    /* pending records rolled forward */
    volatile uint64_t owner_died; /* XSIPC_OWNER_DIED reports seen */
    volatile uint64_t stop;
};

static void spin(unsigned n)
{
    volatile unsigned i;
    for (i = 0; i < n; i++)
        ;
}

static void repair(struct board *b)
{
    b->owner_died++;
    if (!b->pending)
        return;
    b->counter = b->next_counter;
    b->acked[b->next_slot] = b->next_acked;
    b->pending = 0;
    b->repairs++;
}

static int worker(xsipc_registry *reg, unsigned slot)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, "stress");
    struct board *b;
    int rc;

    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) != 0) {
        fprintf(stderr, "stress: worker %u: %s\n", slot,
                xsipc_shm_error_string(shm));
        return 10;
    }
    b = xsipc_shm_data(shm);
    for (;;) {
        if ((rc = xsipc_shm_lock(shm)) < 0) {
            fprintf(stderr, "stress: worker %u: %s\n", slot,
                    xsipc_shm_error_string(shm));
            return 11;
        }
        if (rc == XSIPC_OWNER_DIED)
            repair(b);
        if (b->stop) {
            (void)xsipc_shm_unlock(shm);
            break;
        }
        b->next_counter = b->counter + 1; /* step 1: write ahead */
        b->next_acked = b->acked[slot] + 1;
        b->next_slot = slot;
        b->pending = 1;
        spin(20000);                  /* widen the window a kill can land in */
        b->counter = b->next_counter; /* step 2 */
        spin(20000);
        b->acked[slot] = b->next_acked;
        b->pending = 0;
        if (xsipc_shm_unlock(shm) != 0)
            return 12;
    }
    xsipc_shm_free(shm);
    return 0;
}

static pid_t start(xsipc_registry *reg, unsigned slot)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(worker(reg, slot));
    return pid;
}

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Waits at most ms for pid; 0 and its status when it ended, else -1. */
static int wait_for(pid_t pid, long ms, int *status)
{
    for (; ms > 0; ms -= 5) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 0;
        nap_us(5000);
    }
    return -1;
}

int main(int argc, char **argv)
{
    long kills = 40, done = 0;
    unsigned workers = 6, seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    pid_t pids[MAX_WORKERS];
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *keeper;
    struct board *b;
    uint64_t sum = 0;
    unsigned i;
    int opt, failed = 0, rc;

    while ((opt = getopt(argc, argv, "k:w:s:")) != -1) {
        if (opt == 'k')
            kills = atol(optarg);
        else if (opt == 'w')
            workers = (unsigned)atoi(optarg);
        else if (opt == 's')
            seed = (unsigned)strtoul(optarg, NULL, 0);
        else {
            fprintf(stderr,
                    "usage: stress [-k KILLS] [-w WORKERS] [-s SEED]\n");
            return 2;
        }
    }
    if (workers < 1 || workers > MAX_WORKERS || kills < 0) {
        fprintf(stderr, "stress: 1..%d workers, kills >= 0\n", MAX_WORKERS);
        return 2;
    }
    srand(seed);
    snprintf(dir, sizeof dir, "%s/xsipc-stress-XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("stress: mkdtemp");
        return 99;
    }
    if ((reg = xsipc_registry_open(dir, 0, &st)) == NULL) {
        fprintf(stderr, "stress: %s\n", st.text);
        return 99;
    }
    keeper = xsipc_shm_new_in(reg, "stress");
    if (xsipc_shm_create(keeper, sizeof *b, XSIPC_READ_WRITE) != 0) {
        fprintf(stderr, "stress: %s\n", xsipc_shm_error_string(keeper));
        return 99;
    }
    b = xsipc_shm_data(keeper);
    for (i = 0; i < workers; i++)
        pids[i] = start(reg, i);

    while (done < kills) {
        int status;
        i = (unsigned)rand() % workers;
        nap_us(200 + rand() % 3000);
        kill(pids[i], SIGKILL);
        if (wait_for(pids[i], 10000, &status) != 0 || !WIFSIGNALED(status)) {
            fprintf(stderr, "stress: worker %u did not die of SIGKILL\n", i);
            failed = 1;
            break;
        }
        done++;
        pids[i] = start(reg, i);
    }

    /* Stop: every worker sees the flag at its next lock and leaves. */
    if ((rc = xsipc_shm_lock(keeper)) < 0) {
        fprintf(stderr, "stress: %s\n", xsipc_shm_error_string(keeper));
        return 99;
    }
    if (rc == XSIPC_OWNER_DIED)
        repair(b);
    b->stop = 1;
    (void)xsipc_shm_unlock(keeper);
    for (i = 0; i < workers; i++) {
        int status;
        if (wait_for(pids[i], 20000, &status) != 0) {
            fprintf(stderr, "stress: worker %u hangs\n", i);
            kill(pids[i], SIGKILL);
            waitpid(pids[i], &status, 0);
            failed = 1;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "stress: worker %u ended with status %d\n", i,
                    status);
            failed = 1;
        }
    }

    if ((rc = xsipc_shm_lock(keeper)) == XSIPC_OWNER_DIED)
        repair(b);
    for (i = 0; i < workers; i++)
        sum += b->acked[i];
    printf("stress: seed %u, %u workers, %ld kills, %llu increments "
           "acknowledged, counter %llu, %llu owner-died reports, %llu "
           "half-done updates rolled forward\n",
           seed, workers, done, (unsigned long long)sum,
           (unsigned long long)b->counter, (unsigned long long)b->owner_died,
           (unsigned long long)b->repairs);
    if (b->counter != sum || b->pending) {
        fprintf(stderr, "stress: counter %llu != acknowledged %llu\n",
                (unsigned long long)b->counter, (unsigned long long)sum);
        failed = 1;
    }
    if (rc >= 0)
        (void)xsipc_shm_unlock(keeper);
    xsipc_shm_free(keeper);
    xsipc_registry_close(reg);
    if (rmdir(dir) != 0) {
        fprintf(stderr, "stress: %s not empty: something was left\n", dir);
        failed = 1;
    }
    return failed;
}
