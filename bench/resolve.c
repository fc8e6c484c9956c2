/* SPDX-License-Identifier: MIT */
/*
 * resolve.c -- benchmark 4: resolving a known name in persistent
 * registries of 100, 10,000 and 100,000 names (the private
 * xsipc__reg_resolve, hence the core library), beside the kernel floor of
 * such a lookup: openat, fstat, pread and close of the same key files,
 * with no xsipc code.
 *
 * Method: nanoseconds per lookup over `lookups` random names per round
 * (chosen before the clock starts, from a fixed xorshift sequence), the
 * six rows alternating; the ratios against 100 names show how lookups grow with
 * the registry, and the floor's ratios how much of that the directory
 * lookup in the kernel already costs.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/harness.h"
#include "registry/registry.h"
#include "xsipc.h"

#define MAX_NAMES 100000
typedef char name_buf[24];
typedef char file_buf[NAME_MAX + 1];

/* xorshift64: a fixed, cheap sequence, so every round looks up the same
 * kind of random names without calling rand() inside the timing. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* `lookups` random indexes below n, chosen before the clock starts; the
 * caller frees them. */
static long *picks(long n, uint64_t *seed)
{
    long *pick = malloc(sizeof *pick * (size_t)lookups);

    if (pick == NULL)
        die("out of memory");
    for (long i = 0; i < lookups; i++)
        pick[i] = (long)(next_random(seed) % (uint64_t)n);
    return pick;
}

/* Nanoseconds per resolve of a random known name in reg of n names. */
static double resolve_round(xsipc_registry *reg, long n, name_buf *names,
                            uint64_t *seed)
{
    long *pick = picks(n, seed);
    xsipc__key key;
    xsipc_status st;
    double t0, t;

    t0 = now();
    for (long i = 0; i < lookups; i++)
        if (xsipc__reg_resolve(reg, XSIPC__KIND_SHM, names[pick[i]], 0, &key,
                               &st) != 0)
            die("resolve %s: %s", names[pick[i]], st.text);
    t = now();
    free(pick);
    return (t - t0) * 1e9 / (double)lookups;
}

/*
 * The kernel floor of the same lookup: nanoseconds per lookup of a random
 * known name's key file in the directory dirfd (of n names), with exactly
 * the system calls a lookup of an existing key file must make and no
 * xsipc code.  files[i] is the key file name of name i, made beforehand.
 */
static double floor_round(int dirfd, long n, file_buf *files, uint64_t *seed)
{
    long *pick = picks(n, seed);
    char buf[4096];
    struct stat sb;
    double t0, t;
    int fd;

    t0 = now();
    for (long i = 0; i < lookups; i++) {
        const char *f = files[pick[i]];
        fd = openat(dirfd, f, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
            die("%s: %s", f, strerror(errno));
        if (fstat(fd, &sb) != 0 || pread(fd, buf, sizeof buf, 0) < 0)
            die("%s: %s", f, strerror(errno));
        close(fd);
    }
    t = now();
    free(pick);
    return (t - t0) * 1e9 / (double)lookups;
}

void bench_resolve(void)
{
    static const char title[] = "4. resolve a known name";
    static const long sizes[] = {100, 10000, MAX_NAMES};
    static const char *who[] = {"100 names", "10,000 names", "100,000 names"};
    static const char *floor_who[] = {"kernel floor, 100 names",
                                      "kernel floor, 10,000 names",
                                      "kernel floor, 100,000 names"};
    xsipc_registry *reg[3];
    name_buf *names = malloc(sizeof *names * MAX_NAMES);
    file_buf *files = malloc(sizeof *files * MAX_NAMES);
    char dir[3][PATH_MAX + 16];
    uint64_t seed = 0x9e3779b97f4a7c15u;
    xsipc__key key;
    xsipc_status st;
    int row_of[6], dirfd[3];
    double t0;

    if (names == NULL || files == NULL)
        die("out of memory");
    for (long i = 0; i < MAX_NAMES; i++) {
        snprintf(names[i], sizeof names[i], "name-%06ld", i);
        /* The floor's file names, as the registry names the key files. */
        if (xsipc__reg_file_name(XSIPC__KIND_SHM, names[i], files[i],
                                 sizeof files[i], &st) != 0)
            die("key file name of %s: %s", names[i], st.text);
    }
    fprintf(stderr, "xsipc-bench: 4. registering 110,100 names\n");
    t0 = now();
    for (int d = 0; d < 3; d++) {
        snprintf(dir[d], sizeof dir[d], "%s/names%ld", work, sizes[d]);
        if (mkdir(dir[d], 0700) != 0)
            die("mkdir %s: %s", dir[d], strerror(errno));
        reg[d] = xsipc_registry_open(dir[d], XSIPC_REGISTRY_PERSISTENT, &st);
        if (reg[d] == NULL)
            die("xsipc_registry_open: %s", st.text);
        for (long i = 0; i < sizes[d]; i++)
            if (xsipc__reg_resolve(reg[d], XSIPC__KIND_SHM, names[i], 1, &key,
                                   &st) != 0)
                die("register %s: %s", names[i], st.text);
        dirfd[d] = open(dir[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd[d] < 0)
            die("%s: %s", dir[d], strerror(errno));
    }
    for (int d = 0; d < 3; d++) {
        row_of[d] = d == 0 ? add_baseline(title, who[d], "ns/lookup")
                           : add_row(title, who[d], "ns/lookup", row_of[0],
                                     "100 names");
        set_note(row_of[d],
                 "persistent registry, xsipc__reg_resolve(create=0), %ld "
                 "random names per round",
                 lookups);
    }
    for (int d = 0; d < 3; d++) {
        row_of[3 + d] = d == 0 ? add_baseline(title, floor_who[d], "ns/lookup")
                               : add_row(title, floor_who[d], "ns/lookup",
                                         row_of[3], "floor, 100 names");
        set_note(row_of[3 + d],
                 "no xsipc code: openat(O_RDONLY|O_CLOEXEC|O_NOFOLLOW|"
                 "O_NONBLOCK) + fstat + pread(4096 at 0) + close of the same "
                 "key files, %ld random names per round",
                 lookups);
    }
    fprintf(stderr, "xsipc-bench: 4. registered in %.1f s; resolving\n",
            now() - t0);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 6; j++) {
            int i = (j + r) % 6, d = i % 3;
            if (i < 3)
                put(row_of[i], resolve_round(reg[d], sizes[d], names, &seed));
            else
                put(row_of[i], floor_round(dirfd[d], sizes[d], files, &seed));
        }
    for (int d = 0; d < 3; d++) {
        close(dirfd[d]);
        xsipc_registry_close(reg[d]);
        remove_tree(dir[d]); /* the 110,100 key files */
    }
    free(files);
    free(names);
}
