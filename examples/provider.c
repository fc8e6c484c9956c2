/* SPDX-License-Identifier: MIT */
/*
 * SYNOPSIS
 *     provider [NAME [TEXT]]
 *
 * The provider half of the classic QSharedMemory pair (with consumer.c):
 * creates the segment NAME (default "share") in the default registry
 * ($TMPDIR, else /tmp, as Qt), copies TEXT (default "hello QT!") in under
 * the lock, then waits until examples/consumer has read it and detaches,
 * which removes the segment and its key file.
 *
 * The segment holds TEXT, its NUL, and one more byte that the consumer sets
 * once it has read: a Qt consumer sees an ordinary C string.  The provider
 * waits for that byte, so it waits for examples/consumer, or for a Qt
 * program that sets the byte as consumer.c does (the qt5-peer consumer of
 * packaging/debian/tests).  A Qt reader that only reads -- attach, lock,
 * read, detach, as QSharedMemory's own examples do -- gets the text, but
 * sets no byte: the provider then gives up after 30 s, says so, exits 1
 * and detaches, which removes the segment all the same.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c99 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xsipc.h>

#define WAIT_MS 30000L /* how long to wait for a consumer */

static void nap(void)
{
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (polling under the lock) until the consumer sets the last byte. */
static int wait_for_reader(xsipc_shm *shm)
{
    volatile char *data = xsipc_shm_data(shm);
    size_t last = xsipc_shm_size(shm) - 1;
    long waited;

    for (waited = 0; waited < WAIT_MS; waited += 10) {
        char seen;
        if (xsipc_shm_lock(shm) < 0)
            return -1;
        seen = data[last];
        if (xsipc_shm_unlock(shm) < 0)
            return -1;
        if (seen)
            return 0;
        nap();
    }
    fprintf(stderr,
            "provider: no consumer marked \"%s\" read within %ld s "
            "(examples/consumer does; a reader that only reads does not)\n",
            xsipc_shm_key(shm), WAIT_MS / 1000);
    return 1;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "share";
    const char *text = argc > 2 ? argv[2] : "hello QT!";
    size_t len = strlen(text);
    xsipc_shm *shm = xsipc_shm_new(name);
    int rc;

    if (shm == NULL) {
        fprintf(stderr, "provider: out of memory\n");
        return 1;
    }
    if (xsipc_shm_create(shm, len + 2, XSIPC_READ_WRITE) < 0) {
        fprintf(stderr, "provider: %s\n", xsipc_shm_error_string(shm));
        xsipc_shm_free(shm);
        return 1;
    }
    rc = xsipc_shm_lock(shm) < 0;
    if (!rc) {
        memcpy(xsipc_shm_data(shm), text, len + 1);
        rc = xsipc_shm_unlock(shm) < 0;
    }
    if (!rc) {
        printf("provider: \"%s\" holds \"%s\"\n", name, text);
        fflush(stdout);
        rc = wait_for_reader(shm);
    }
    if (rc < 0)
        fprintf(stderr, "provider: %s\n", xsipc_shm_error_string(shm));
    if (xsipc_shm_detach(shm) < 0) {
        fprintf(stderr, "provider: %s\n", xsipc_shm_error_string(shm));
        rc = 1;
    }
    xsipc_shm_free(shm);
    return rc == 0 ? 0 : 1;
}
