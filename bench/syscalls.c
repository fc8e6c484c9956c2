/* SPDX-License-Identifier: MIT */
/*
 * syscalls.c -- counts the system calls of a program run with ptrace, as
 * strace -c would, without needing strace: the child asks to be traced
 * and stops itself before its exec; the parent then resumes it with
 * PTRACE_SYSCALL, which stops it at every system call's entry and exit,
 * and reads at each stop which it is (PTRACE_GET_SYSCALL_INFO, Linux 5.3:
 * the number whatever the architecture's registers).  Only the program
 * itself is traced, not children it forks.
 *
 * A count includes the program's start and end; benchmark 1 subtracts a
 * run of N=1000 pairs from one of N=2000, as with callgrind, and keeps
 * the 1000 pairs' own.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/syscalls.h"

#ifdef PTRACE_GET_SYSCALL_INFO

/* The traced child: stdout to /dev/null, traced, stopped, then argv. */
static void traced_child(char *const argv[])
{
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (null < 0 || dup2(null, 1) < 0)
        _exit(126);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        _exit(125);
    /* The parent sets its options at this stop, before the exec. */
    raise(SIGSTOP);
    execv(argv[0], argv);
    _exit(127);
}

/* Follows pid to its end, counting syscall entries: its exit status,
 * -1 when it was killed, or -2 when the kernel cannot tell which system
 * call it makes (before Linux 5.3; errno says why). */
static int follow(pid_t pid, long *all, long *semops)
{
    struct __ptrace_syscall_info info;
    int status, sig = 0;

    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) != 0)
            die("ptrace(PTRACE_SYSCALL): %s", strerror(errno));
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                die("waitpid: %s", strerror(errno));
        if (WIFEXITED(status))
            return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
            return -1;
        sig = WSTOPSIG(status);
        if (sig == (SIGTRAP | 0x80)) {
            /* A syscall stop (PTRACE_O_TRACESYSGOOD marks them). */
            sig = 0;
            if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info,
                       &info) <= 0)
                return -2;
            if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
                continue;
            ++*all;
            if (info.entry.nr == SYS_semop || info.entry.nr == SYS_semtimedop)
                ++*semops;
        } else if (sig == SIGTRAP) {
            sig = 0; /* the stop after a successful exec: not delivered */
        }
    }
}

int count_syscalls(char *const argv[], long *all, long *semops, char *why,
                   size_t len)
{
    int status, rc;
    pid_t pid;

    *all = *semops = 0;
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0)
        traced_child(argv);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    if (!WIFSTOPPED(status)) {
        /* PTRACE_TRACEME refused (a seccomp policy, Yama's scope 3). */
        snprintf(why, len, "not measured (ptrace refused)");
        return -1;
    }
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
               (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) !=
        0) {
        snprintf(why, len, "not measured (ptrace: %s)", strerror(errno));
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
        return -1;
    }
    if ((rc = follow(pid, all, semops)) == -2) {
        snprintf(why, len, "not measured (PTRACE_GET_SYSCALL_INFO: %s)",
                 strerror(errno));
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
        return -1;
    }
    if (rc != 0)
        die("%s, traced: exit %d", argv[0], rc);
    return 0;
}

#else

int count_syscalls(char *const argv[], long *all, long *semops, char *why,
                   size_t len)
{
    (void)argv;
    *all = *semops = 0;
    snprintf(why, len, "not measured (no PTRACE_GET_SYSCALL_INFO)");
    return -1;
}

#endif
