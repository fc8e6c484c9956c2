/*
 * cmd_lock.c -- `xsipc lock` (run a command holding NAME's lock, like
 * flock(1)) and `xsipc sem` (QSystemSemaphore from the shell).
 *
 * The lock is the qipc_systemsem_ set of NAME, the one QSharedMemory::lock()
 * takes, acquired with SEM_UNDO: when xsipc itself is killed the kernel
 * gives the lock back.  The command runs in a child, which does not inherit
 * the undo record, so only xsipc holds the lock.  `sem` works without
 * SEM_UNDO: a release from the shell must outlive the xsipc process.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xsipc-tool.h"

/* Parses SECONDS (may have a fraction) into milliseconds. */
static int parse_seconds(const char *s, long *ms)
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

/* Runs argv in a child and waits: its exit status, 128 + a signal that
 * killed it, or 126/127 when it could not be run (as a shell). */
static int run(char **argv)
{
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        tool_error("lock: fork: %s", strerror(errno));
        return EXIT_FAIL;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        tool_error("lock: %s: %s", argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            tool_error("lock: waitpid: %s", strerror(errno));
            return EXIT_FAIL;
        }
    }
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
    xsipc_sem *sem;
    int c, r, rc;

    while ((c = getopt_long(argc, argv, "+w:", longopts, NULL)) != -1) {
        if (c != 'w')
            return tool_bad_option(argv);
        if (parse_seconds(optarg, &ms) < 0)
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
            if (parse_seconds(argv[optind + 1], &ms) < 0)
                return tool_usage_error("lock: bad SECONDS '%s'",
                                        argv[optind + 1]);
            optind += 2;
            continue;
        }
        if (strncmp(argv[optind], "-w", 2) == 0 && argv[optind][2]) {
            if (parse_seconds(argv[optind] + 2, &ms) < 0)
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
    if ((sem = xsipc_sem_new_in(reg, name, 1, XSIPC_OPEN)) == NULL) {
        tool_error("lock: out of memory");
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    r = ms < 0 ? xsipc_sem_acquire(sem) : xsipc_sem_acquire_timeout(sem, ms);
    if (r < 0) {
        if (xsipc_sem_error(sem) == XSIPC_TIMEOUT) {
            tool_error("lock: \"%s\" is held: gave up after %ld.%03ld s", name,
                       ms / 1000, ms % 1000);
            rc = EXIT_USAGE;
        } else {
            tool_error("lock: %s", xsipc_sem_error_string(sem));
            rc = EXIT_FAIL;
        }
    } else {
        fflush(stdout);
        rc = run(argv + optind);
        if (xsipc_sem_release(sem, 1) < 0) {
            tool_error("lock: %s", xsipc_sem_error_string(sem));
            if (rc == 0)
                rc = EXIT_FAIL;
        }
    }
    xsipc_sem_free(sem);
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
        tool_error("sem: %s", st.text);
        return -1;
    }
    if ((id = semget(key, 0, 0)) < 0 || (val = semctl(id, 0, GETVAL)) < 0) {
        tool_error("sem: \"%s\": no semaphore set at key 0x%08x: %s", name,
                   (unsigned)key, strerror(errno));
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
        tool_error("sem: out of memory");
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (xsipc_sem_set_undo(sem, 0) < 0)
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
        tool_error("sem: %s", xsipc_sem_error_string(sem));
        rc = EXIT_FAIL;
    }
    xsipc_sem_free(sem);
    xsipc_registry_close(reg);
    return rc;
}
