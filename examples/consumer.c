/* SPDX-License-Identifier: MIT */
/*
 * SYNOPSIS
 *     consumer [NAME]
 *
 * The consumer half of the classic QSharedMemory pair (with provider.c):
 * attaches to the segment NAME (default "share") in the default registry,
 * locks it, reads the text, marks it read, unlocks, detaches and prints the
 * text.  It may start before the provider: it waits up to 30 s for the
 * segment to appear and be filled.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c99 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xsipc.h>

#define WAIT_MS 30000L

static void nap(void)
{
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
}

/* Copies the text out under the lock; 1 while the provider has not
 * written yet, 0 when read, -1 on error. */
static int take_text(xsipc_shm *shm, char *out, size_t outlen)
{
    char *data = xsipc_shm_data(shm);
    size_t size = xsipc_shm_size(shm);
    int empty;

    if (xsipc_shm_lock(shm) < 0)
        return -1;
    empty = data[0] == '\0';
    if (!empty) {
        snprintf(out, outlen, "%.*s", (int)(size - 1), data);
        data[size - 1] = 1; /* tells the provider it was read */
    }
    if (xsipc_shm_unlock(shm) < 0)
        return -1;
    return empty;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "share";
    xsipc_shm *shm = xsipc_shm_new(name);
    char text[4096];
    long waited = 0;
    int rc = 1;

    if (shm == NULL) {
        fprintf(stderr, "consumer: out of memory\n");
        return 1;
    }
    while (xsipc_shm_attach(shm, XSIPC_READ_WRITE) < 0) {
        if (xsipc_shm_error(shm) != XSIPC_NOT_FOUND || waited >= WAIT_MS)
            goto out;
        nap();
        waited += 10;
    }
    while ((rc = take_text(shm, text, sizeof text)) == 1 && waited < WAIT_MS) {
        nap();
        waited += 10;
    }
    if (rc == 0)
        rc = xsipc_shm_detach(shm) < 0;
    else
        (void)xsipc_shm_detach(shm);
out:
    if (rc != 0)
        fprintf(stderr, "consumer: %s\n",
                xsipc_shm_error_string(shm)[0] ? xsipc_shm_error_string(shm)
                                               : "nothing to read");
    else
        printf("%s\n", text);
    xsipc_shm_free(shm);
    return rc == 0 ? 0 : 1;
}
