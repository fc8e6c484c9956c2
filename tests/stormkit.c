/* SPDX-License-Identifier: MIT */
/*
 * stormkit.c -- the storms' shared helpers (see stormkit.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stormkit.h"

const char *sk_prog = "storm";

static uint64_t rnd_state = 1;

uint64_t sk_add(uint64_t *p)
{
    return __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
}

uint64_t sk_get(uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

void sk_put(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

uint32_t sk_rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (uint32_t)((rnd_state * 2685821657736338717ULL) >> 32);
}

void sk_seed_rnd(uint64_t seed)
{
    rnd_state = seed * 0x9e3779b97f4a7c15ULL + 1;
    if (rnd_state == 0)
        rnd_state = 1;
}

int64_t sk_now_ms(void)
{
    return sk_now_us() / 1000;
}

int64_t sk_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sk_nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int sk_wait_for(pid_t pid, long ms, int *status)
{
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid)
            return 0;
        if (got < 0 && errno != EINTR)
            return -1;
        if (ms <= 0)
            return -1;
        sk_nap_us(2000);
        ms -= 2;
    }
}

void sk_report(uint64_t *count, const char *fmt, va_list ap)
{
    char buf[1024];
    int head, len;

    if (sk_add(count) >= SK_SHOWN)
        return;
    head = snprintf(buf, sizeof buf, "%s: ", sk_prog);
    if (head < 0 || head >= (int)sizeof buf - 2)
        return;
    len = vsnprintf(buf + head, sizeof buf - (size_t)head - 1, fmt, ap);
    if (len < 0)
        return;
    len = len + head > (int)sizeof buf - 2 ? (int)sizeof buf - 2 : len + head;
    buf[len++] = '\n';
    if (write(STDERR_FILENO, buf, (size_t)len) < 0)
        return;
}

int sk_count_objects(const char *path)
{
    char line[512];
    int n = -1; /* the header */
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (++n > 0 && n <= SK_SHOWN)
            fprintf(stderr, "%s: left in %s: %s", sk_prog, path, line);
    fclose(f);
    return n < 0 ? 0 : n;
}

int sk_count_files(const char *dir, int remove, int quiet)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (++n <= SK_SHOWN && !quiet)
            fprintf(stderr, "%s: left in %s: %s\n", sk_prog, dir, e->d_name);
        if (remove && unlinkat(dirfd(d), e->d_name, 0) != 0 && errno == EISDIR)
            (void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
    return n;
}
