/* SPDX-License-Identifier: MIT */
/*
 * tu_child.c -- talking to the children of a test: their exit status, a
 * byte from their pipe within a time, and stopping one at a call site of
 * the lib/sysv seam (testutil.h, tu_seam.h).
 */
#include <config.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tu_seam.h"

int tu_status_of(pid_t pid)
{
    int status;

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int tu_byte_within(int fd, long ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    if (poll(&p, 1, (int)ms) != 1 || read(fd, &c, 1) != 1)
        return -1;
    return c;
}

int tu_stop_hook(xsipc__sys_call call, void *arg)
{
    tu_stop *s = arg;
    char c = 's';

    if (!s->armed || call != s->call)
        return 0;
    s->armed = 0;
    if (write(s->ready, &c, 1) != 1 || read(s->go, &c, 1) != 1)
        _exit(20);
    return 0;
}

int tu_pass_hook(xsipc__sys_call call, void *arg)
{
    (void)call;
    (void)arg;
    return 0;
}
