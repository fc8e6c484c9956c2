/* SPDX-License-Identifier: MIT */
/*
 * cmd_lock.c -- `xsipc lock` (run a command holding NAME's lock, like
 * flock(1)) and `xsipc sem` (QSystemSemaphore from the shell).
 *
 * The lock is NAME's segment lock, the one QSharedMemory::lock() takes,
 * taken through the library's lock protocol (xsipc_shm_lock on a handle
 * with no segment attached), so the death of a holder is reported to the
 * next one (XSIPC_OWNER_DIED), as for any holder.  It is held with
 * SEM_UNDO by this process; the command runs in a child, which does not
 * inherit the undo record.  So that the command never runs without the
 * lock:
 *  - SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to xsipc are passed on to
 *    the command, and xsipc keeps the lock until the command has exited
 *    (a signal from the terminal already reaches the whole process group
 *    and is not sent twice);
 *  - on SIGKILL, which cannot be caught, the kernel gives the lock back as
 *    xsipc exits, and the command gets SIGKILL through PR_SET_PDEATHSIG.
 * `sem` works without SEM_UNDO: a release from the shell must outlive the
 * xsipc process.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xsipc-tool.h"

int tool_shm_lock(xsipc_shm *shm, long ms, const char *name, int *rc)
{
    int r = ms < 0 ? xsipc_shm_lock(shm) : xsipc_shm_lock_timeout(shm, ms);

    if (r >= 0) {
        if (r == XSIPC_OWNER_DIED)
            tool_owner_died(name, strcmp(tool_cmd, "lock") == 0
                                      ? " (XSIPC_OWNER_DIED=1 is set for "
                                        "the command)"
                                      : "");
        return r;
    }
    if (xsipc_shm_error(shm) == XSIPC_TIMEOUT) {
        tool_error("gave up after %ld.%03ld s, the lock is held: \"%s\"",
                   ms / 1000, ms % 1000, tool_name(name));
        *rc = EXIT_USAGE;
    } else {
        tool_name_error(name, xsipc_shm_error(shm),
                        xsipc_shm_error_string(shm));
        *rc = EXIT_FAIL;
    }
    return -1;
}

/* The command's pid while it runs, for the signal handler. */
static volatile sig_atomic_t child;

static const int passed_on[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NPASSED (sizeof passed_on / sizeof passed_on[0])

/* Passes a signal sent to xsipc (by kill: si_code <= 0) on to the
 * command; a terminal's signal (SI_KERNEL) reached it already. */
static void pass_on(int sig, siginfo_t *info, void *ctx)
{
    int saved = errno;

    (void)ctx;
    if (child > 0 && info != NULL && info->si_code <= 0)
        (void)kill((pid_t)child, sig);
    errno = saved;
}

/* Runs argv in a child and waits: its exit status, 128 + a signal that
 * killed it, or 126/127 when it could not be run (as a shell).  died: the
 * previous holder died holding the lock (XSIPC_OWNER_DIED=1 is set in the
 * command's environment). */
static int run(char **argv, int died)
{
    struct sigaction sa, old[NPASSED];
    sigset_t block, mask;
    pid_t parent = getpid(), pid;
    unsigned i;
    int status;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = pass_on;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    for (i = 0; i < NPASSED; i++)
        sigaddset(&block, passed_on[i]);
    /* Blocked from before the fork until child is known: a signal in
     * between waits, and is then passed on. */
    sigprocmask(SIG_BLOCK, &block, &mask);
    for (i = 0; i < NPASSED; i++)
        sigaction(passed_on[i], &sa, &old[i]);
    pid = fork();
    if (pid < 0) {
        tool_error("fork: %s", strerror(errno));
        status = EXIT_FAIL << 8;
    } else if (pid == 0) {
        for (i = 0; i < NPASSED; i++)
            sigaction(passed_on[i], &old[i], NULL);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        /* Dies with xsipc, which holds the lock; and if xsipc is gone
         * already, the lock is too: do not start. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(128 + SIGKILL);
        if (died && setenv("XSIPC_OWNER_DIED", "1", 1) != 0)
            _exit(126);
        execvp(argv[0], argv);
        tool_error("cannot run the command: %s: %s", strerror(errno), argv[0]);
        _exit(errno == ENOENT ? 127 : 126);
    } else {
        child = pid;
        sigprocmask(SIG_SETMASK, &mask, NULL);
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                tool_error("waitpid: %s", strerror(errno));
                status = EXIT_FAIL << 8;
                break;
            }
        }
        child = 0;
    }
    for (i = 0; i < NPASSED; i++)
        sigaction(passed_on[i], &old[i], NULL);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static const tool_opt lock_opts[] = {
    {"timeout", 'w', "SECONDS",
     "give up after SECONDS (a fraction is allowed)"},
    {"wait", 256, "SECONDS", "the same as --timeout"},
    {NULL, 0, NULL, NULL}};
static const tool_command lock_cmd = {
    "lock",
    "NAME [options] [--] COMMAND [ARG...]",
    "Run COMMAND holding the lock of segment NAME (QSharedMemory::lock()).",
    lock_opts,
    1,
    NULL};

/* lock's options, which may come before and after NAME; COMMAND's own
 * are left alone (getopt in order, as "+").  0, TOOL_OPT_HELP or
 * TOOL_OPT_BAD. */
static int lock_options(int argc, char **argv, long *ms)
{
    int c;

    while ((c = tool_getopt(&lock_cmd, argc, argv)) != -1) {
        if (c != 'w' && c != 256)
            return c == TOOL_OPT_HELP ? c : TOOL_OPT_BAD;
        if (tool_parse_seconds("SECONDS", optarg, TOOL_MAX_SECONDS, ms) != 0)
            return TOOL_OPT_BAD;
    }
    return 0;
}

int cmd_lock(const tool *t, int argc, char **argv)
{
    const char *name;
    long ms = -1;
    xsipc_registry *reg;
    xsipc_shm *shm;
    int r, rc;

    if ((rc = lock_options(argc, argv, &ms)) != 0)
        return rc == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if (optind >= argc)
        return tool_usage_error("lock: expected NAME");
    /* Options may also follow NAME: lock NAME -w 1 [--] COMMAND; but
     * after "--" NAME, COMMAND follows at once. */
    name = argv[optind++];
    if (strcmp(argv[optind - 2], "--") != 0 &&
        (rc = lock_options(argc, argv, &ms)) != 0)
        return rc == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if (optind >= argc)
        return tool_usage_error("lock: expected a COMMAND");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if ((shm = xsipc_shm_new_in(reg, name)) == NULL) {
        tool_error("out of memory");
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if ((r = tool_shm_lock(shm, ms, name, &rc)) >= 0) {
        fflush(stdout);
        rc = run(argv + optind, r == XSIPC_OWNER_DIED);
        if (xsipc_shm_unlock(shm) < 0) {
            tool_name_error(name, xsipc_shm_error(shm),
                            xsipc_shm_error_string(shm));
            if (rc == 0)
                rc = EXIT_FAIL;
        }
    }
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return rc;
}

/* The set's value (semaphore 0, the one Qt uses), read by its key. */
static int sem_value(xsipc_registry *reg, const char *name)
{
    xsipc_status st;
    key_t key;
    int id, val;

    if (xsipc_registry_key(reg, name, XSIPC_KIND_SEM, 0, &key, NULL, 0, &st) <
        0) {
        tool_name_error(name, st.code, st.text);
        return -1;
    }
    if ((id = semget(key, 0, 0)) < 0 || (val = semctl(id, 0, GETVAL)) < 0) {
        /* A key file with no set at its key (ENOENT), or a set removed
         * between the two calls (EINVAL, EIDRM): nothing by that name. */
        if (errno == ENOENT || errno == EINVAL || errno == EIDRM)
            tool_name_error(name, XSIPC_NOT_FOUND, NULL);
        else
            tool_error("no semaphore set at key 0x%08x: %s: \"%s\"",
                       (unsigned)key, strerror(errno), tool_name(name));
        return -1;
    }
    return val;
}

/* SEMVMX: the largest value of a semaphore (linux/sem.h). */
#define SEM_MAX_VALUE 32767UL

static const tool_opt sem_opts[] = {
    {"create", 'c', "INITIAL",
     "create it with value INITIAL when it does not "
     "exist"},
    {NULL, 0, NULL, NULL}};
static const tool_command sem_cmd = {
    "sem",
    "NAME acquire|release [N]|value",
    "Use the counting semaphore NAME, as QSystemSemaphore does.",
    sem_opts,
    0,
    NULL};

int cmd_sem(const tool *t, int argc, char **argv)
{
    const char *name, *op;
    long initial = -1;
    unsigned long v, n = 1;
    xsipc_registry *reg;
    xsipc_sem *sem;
    int c, rc = EXIT_OK, r = 0;

    /* GNU getopt permutes: --create may come anywhere. */
    while ((c = tool_getopt(&sem_cmd, argc, argv)) != -1) {
        if (c != 'c')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        if (tool_parse_ulong("INITIAL", optarg, 0, SEM_MAX_VALUE, &v) != 0)
            return EXIT_USAGE;
        initial = (long)v;
    }
    if (argc - optind < 2 || argc - optind > 3)
        return tool_usage_error("sem: expected NAME acquire|release [N]|value");
    name = argv[optind];
    op = argv[optind + 1];
    if (strcmp(op, "release") == 0 && argc - optind == 3) {
        if (tool_parse_ulong("N", argv[optind + 2], 1, SEM_MAX_VALUE, &n) != 0)
            return EXIT_USAGE;
    } else if (argc - optind == 3 ||
               (strcmp(op, "acquire") && strcmp(op, "release") &&
                strcmp(op, "value")))
        return tool_usage_error("sem: unknown operation '%s'", op);
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if (initial < 0 && sem_value(reg, name) < 0) {
        /* Without --create, a set that does not exist is an error. */
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (strcmp(op, "value") == 0 && initial < 0) {
        printf("%d\n", sem_value(reg, name));
        xsipc_registry_close(reg);
        return EXIT_OK;
    }
    /* Made by --create, the set outlives this command, with its value, so
     * that later commands see it (xsipc rm removes it). */
    sem = xsipc_sem_new_in(reg, name, initial < 0 ? 0 : (int)initial,
                           (xsipc_sem_mode)(XSIPC_OPEN | XSIPC_SEM_PERSISTENT));
    if (sem == NULL) {
        tool_error("out of memory");
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    /* The handle keeps why it could not be made or opened (a bad name, a
     * set we may not use): that is the error to report, before
     * set_undo clears it. */
    if (xsipc_sem_error(sem) != XSIPC_NO_ERROR ||
        xsipc_sem_set_undo(sem, 0) < 0)
        r = -1;
    else if (strcmp(op, "acquire") == 0)
        r = xsipc_sem_acquire(sem);
    else if (strcmp(op, "release") == 0)
        r = xsipc_sem_release(sem, (int)n);
    else if ((r = sem_value(reg, name)) >= 0) {
        printf("%d\n", r);
        r = 0;
    } else
        rc = EXIT_FAIL;
    if (r < 0 && rc == EXIT_OK) {
        tool_name_error(name, xsipc_sem_error(sem),
                        xsipc_sem_error_string(sem));
        rc = EXIT_FAIL;
    }
    xsipc_sem_free(sem);
    xsipc_registry_close(reg);
    return rc;
}
