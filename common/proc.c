/* SPDX-License-Identifier: MIT */
/*
 * proc.c -- what /proc says about processes: their start times, and
 * whether the process that created a System V object is gone.
 *
 * The kernel records the creator's pid (shm_cpid) and the creation time
 * (shm_ctime), but pids are reused: a live process with that pid may be a
 * stranger started after the creator died.  /proc/<pid>/stat gives a
 * process's start time in clock ticks since boot, and /proc/stat the boot
 * time in seconds, so a process that started after the object was made
 * cannot be its creator.  A key file's record keeps its writer's pid and
 * start time for the same reason.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"

int xsipc__proc_stat_start(const char *stat, unsigned long long *ticks)
{
    const char *p;
    int field;

    /* The command name (field 2) is in parentheses and may hold spaces
     * or ')' itself: count fields from the last ')'. */
    if ((p = strrchr(stat, ')')) == NULL)
        return -1;
    for (field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p + 1, "%llu", ticks) != 1)
        return -1;
    return 0;
}

unsigned long long xsipc__proc_self_start(void)
{
    pid_t pid;

    return xsipc__proc_self(&pid);
}

unsigned long long xsipc__proc_self(pid_t *pid)
{
    /* Cached per pid: a child made by fork has its own start time. */
    static pid_t cached_pid;
    static unsigned long long cached;
    char buf[1024];
    unsigned long long ticks = 0;
    pid_t me = *pid = getpid();
    ssize_t n;
    int fd;

    /* cached is written before cached_pid (release), read after it
     * (acquire): a thread that sees its pid sees its start time. */
#if defined(__GNUC__)
    if (__atomic_load_n(&cached_pid, __ATOMIC_ACQUIRE) == me)
        return cached;
#else
    if (cached_pid == me)
        return cached;
#endif
    fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    (void)close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (xsipc__proc_stat_start(buf, &ticks) < 0)
        return 0;
    cached = ticks;
#if defined(__GNUC__)
    __atomic_store_n(&cached_pid, me, __ATOMIC_RELEASE);
#else
    cached_pid = me;
#endif
    return ticks;
}

/* Boot time (seconds since the epoch) from /proc/stat, or -1. */
static long long boot_time(void)
{
    char line[256];
    long long btime = -1;
    FILE *f = fopen("/proc/stat", "re");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "btime %lld", &btime) == 1)
            break;
    fclose(f);
    return btime;
}

/* When pid started (seconds since the epoch), or -1 when unknown. */
static long long start_time(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ticks = 0;
    long long btime;
    long hz = sysconf(_SC_CLK_TCK);
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (xsipc__proc_stat_start(buf, &ticks) < 0 || hz <= 0)
        return -1;
    if ((btime = boot_time()) < 0)
        return -1;
    return btime + (long long)(ticks / (unsigned long long)hz);
}

int xsipc__proc_gone(pid_t pid, time_t created)
{
    long long started;

    if (pid <= 0)
        return 0; /* no creator recorded: nothing to go by */
    /* EPERM: the pid exists but belongs to another user. */
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 1;
    if ((started = start_time(pid)) < 0)
        return 0; /* cannot tell: take it as alive */
    /* btime is whole seconds and the tick count is cut to seconds, so
     * allow two seconds before calling it a later process. */
    return started > (long long)created + 2;
}
