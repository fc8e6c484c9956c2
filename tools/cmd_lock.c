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
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xsipc-tool.h"

int tool_parse_seconds(const char *s, long *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1e8)
        return -1;
    *ms = (long)(v * 1000.0 + 0.5);
    return 0;
}

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

int cmd_lock(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"wait", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0}};
    const char *name;
    long ms = -1;
    xsipc_registry *reg;
    xsipc_shm *shm;
    int c, r, rc;

    while ((c = getopt_long(argc, argv, "+w:", longopts, NULL)) != -1) {
        if (c != 'w')
            return tool_bad_option(argv);
        if (tool_parse_seconds(optarg, &ms) < 0)
            return tool_usage_error("lock: bad SECONDS '%s'", optarg);
    }
    if (optind >= argc)
        return tool_usage_error("lock: expected NAME");
    name = argv[optind++];
    /* Options may also follow NAME: lock NAME -w 1 -- COMMAND. */
    while (optind < argc && argv[optind][0] == '-') {
        if (strcmp(argv[optind], "--") == 0) {
            optind++;
            break;
        }
        if ((strcmp(argv[optind], "-w") == 0 ||
             strcmp(argv[optind], "--wait") == 0 ||
             strcmp(argv[optind], "--timeout") == 0) &&
            optind + 1 < argc) {
            if (tool_parse_seconds(argv[optind + 1], &ms) < 0)
                return tool_usage_error("lock: bad SECONDS '%s'",
                                        argv[optind + 1]);
            optind += 2;
            continue;
        }
        if (strncmp(argv[optind], "-w", 2) == 0 && argv[optind][2]) {
            if (tool_parse_seconds(argv[optind] + 2, &ms) < 0)
                return tool_usage_error("lock: bad SECONDS '%s'",
                                        argv[optind] + 2);
            optind++;
            continue;
        }
        return tool_usage_error("lock: unrecognized option '%s'", argv[optind]);
    }
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

int cmd_sem(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"create", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    const char *name, *op;
    long initial = -1, n = 1;
    xsipc_registry *reg;
    xsipc_sem *sem;
    char *end;
    int c, rc = EXIT_OK, r = 0;

    /* GNU getopt permutes: --create may come anywhere. */
    while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
        if (c != 'c')
            return tool_bad_option(argv);
        initial = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || initial < 0 || initial > 32767)
            return tool_usage_error("sem: bad INITIAL '%s'", optarg);
    }
    if (argc - optind < 2 || argc - optind > 3)
        return tool_usage_error("sem: expected NAME acquire|release [N]|value");
    name = argv[optind];
    op = argv[optind + 1];
    if (strcmp(op, "release") == 0 && argc - optind == 3) {
        n = strtol(argv[optind + 2], &end, 10);
        if (*end != '\0' || n < 1 || n > 32767)
            return tool_usage_error("sem: bad N '%s'", argv[optind + 2]);
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
