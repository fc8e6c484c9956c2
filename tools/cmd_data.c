/* SPDX-License-Identifier: MIT */
/*
 * cmd_data.c -- `xsipc create`, `put` and `get`: persistent segments made
 * from the shell, and copies into and out of a segment under its lock (the
 * semaphore QSharedMemory::lock() takes), so Qt programs see whole data.
 *
 * Both take the lock first, waiting -w SECONDS at most, and attach under
 * it: attach and detach take the lock themselves otherwise (as Qt's do),
 * and would wait for ever.  get copies the segment into memory of its own
 * and detaches (which releases the lock) before it writes a byte, so the
 * reader of its output -- a pager, `head -c 10`, a full pipe -- never
 * holds the lock or keeps the segment attached; the price is a private
 * copy as large as the segment.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

/* Opens a handle for name; NULL after a message (a bad name is kept in
 * the handle, and reported by its first call). */
static xsipc_shm *open_shm(xsipc_registry *reg, const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);

    if (shm == NULL)
        tool_error("out of memory");
    return shm;
}

/* Reports a failed call of shm about name; returns EXIT_FAIL. */
static int shm_error(xsipc_shm *shm, const char *name)
{
    tool_name_error(name, xsipc_shm_error(shm), xsipc_shm_error_string(shm));
    return EXIT_FAIL;
}

/* Creates a persistent segment of size bytes, attached read-write.  In
 * Qt's own directory (no -r), a note says what Qt 6.6 and later do to it:
 * their failed create() of the name removes a segment no one attaches. */
static int create_persistent(const tool *t, xsipc_shm *shm, size_t size)
{
    if (xsipc_shm_set_persistent(shm, 1) < 0 ||
        xsipc_shm_create(shm, size, XSIPC_READ_WRITE) < 0)
        return -1;
    if (t->regdir == NULL)
        fprintf(stderr,
                "xsipc: note: a Qt 6.6+ program's failed create() of \"%s\" "
                "removes this segment while nothing is attached; see "
                "xsipc(1)\n",
                xsipc_shm_key(shm));
    return 0;
}

static const tool_opt create_opts[] = {
    {"mode", 'm', "MODE", "the segment's mode: 0600 (default) or 0660"},
    {NULL, 0, NULL, NULL}};
static const tool_command create_cmd = {
    "create",
    "NAME SIZE",
    "Create a persistent segment of SIZE bytes (suffixes K, M, G, T, "
    "KiB..TiB:\n"
    "powers of 1024; KB..TB: powers of 1000; fractions such as 1.5M).",
    create_opts,
    0,
    NULL};

int cmd_create(const tool *t, int argc, char **argv)
{
    unsigned flags = 0;
    xsipc_registry *reg;
    xsipc_shm *shm;
    size_t size;
    int c, rc = EXIT_OK;

    while ((c = tool_getopt(&create_cmd, argc, argv)) != -1) {
        if (c != 'm')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        if (strcmp(optarg, "0660") == 0 || strcmp(optarg, "660") == 0)
            flags = XSIPC_REGISTRY_GROUP;
        else if (strcmp(optarg, "0600") != 0 && strcmp(optarg, "600") != 0)
            return tool_usage_error("create: --mode is 0600 or 0660, not '%s'",
                                    optarg);
    }
    if (argc - optind != 2)
        return tool_usage_error("create: expected NAME SIZE");
    if (tool_parse_size("SIZE", argv[optind + 1], &size) != 0)
        return EXIT_USAGE;
    if ((reg = tool_registry(t, flags)) == NULL)
        return EXIT_FAIL;
    if ((shm = open_shm(reg, argv[optind])) == NULL) {
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (create_persistent(t, shm, size) < 0)
        rc = shm_error(shm, argv[optind]);
    xsipc_shm_free(shm); /* detaches: the segment stays */
    xsipc_registry_close(reg);
    return rc;
}

/* Copies data into the attached segment (the caller holds the lock),
 * zeroing the rest: a reader that takes it as a C string sees exactly the
 * data. */
static void copy_in(xsipc_shm *shm, const char *data, size_t len)
{
    size_t size = xsipc_shm_size(shm);
    char *p = xsipc_shm_data(shm);

    memcpy(p, data, len);
    memset(p + len, 0, size - len);
}

/* -w SECONDS, as lock takes it; 0 after a message when SECONDS is bad. */
static int wait_option(const char *arg, long *ms)
{
    return tool_parse_seconds("SECONDS", arg, TOOL_MAX_SECONDS, ms) == 0;
}

/* Under the lock (taken first, waiting ms, so that -w bounds every wait):
 * attaches NAME's segment, or makes one of len bytes, and copies data in. */
static int put_locked(const tool *t, xsipc_shm *shm, const char *name, long ms,
                      const char *data, size_t len)
{
    int rc = EXIT_OK;

    if (tool_shm_lock(shm, ms, name, &rc) < 0)
        return rc;
    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) < 0) {
        if (xsipc_shm_error(shm) != XSIPC_NOT_FOUND)
            rc = shm_error(shm, name);
        else if (len == 0) {
            tool_error("no segment, and no data to size one: \"%s\"",
                       tool_name(name));
            rc = EXIT_FAIL;
        } else if (create_persistent(t, shm, len) < 0)
            rc = shm_error(shm, name);
    }
    if (rc == EXIT_OK && len > xsipc_shm_size(shm)) {
        tool_error("%zu bytes do not fit the segment of %zu bytes: \"%s\"", len,
                   xsipc_shm_size(shm), tool_name(name));
        rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK)
        copy_in(shm, data, len);
    if (xsipc_shm_unlock(shm) < 0 && rc == EXIT_OK)
        rc = shm_error(shm, name);
    return rc;
}

static const tool_opt put_opts[] = {
    {"wait", 'w', "SECONDS", "give up after SECONDS waiting for the lock"},
    {NULL, 0, NULL, NULL}};
static const tool_command put_cmd = {
    "put",
    "NAME [FILE]",
    "Copy FILE (or standard input) into the segment NAME, holding its lock.",
    put_opts,
    0,
    NULL};

int cmd_put(const tool *t, int argc, char **argv)
{
    const char *name, *file;
    xsipc_registry *reg;
    xsipc_shm *shm;
    char *data;
    size_t len;
    long ms = -1;
    int c, fd, rc;

    while ((c = tool_getopt(&put_cmd, argc, argv)) != -1) {
        if (c != 'w')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        if (!wait_option(optarg, &ms))
            return EXIT_USAGE;
    }
    if (argc - optind < 1 || argc - optind > 2)
        return tool_usage_error("put: expected NAME [FILE]");
    name = argv[optind];
    file = argc - optind == 2 ? argv[optind + 1] : "-";
    fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tool_error("cannot open the input: %s: %s", strerror(errno), file);
        return EXIT_FAIL;
    }
    if (tool_read_all(fd, &data, &len) < 0) {
        tool_error("cannot read the input: %s: %s", strerror(errno),
                   fd ? file : "stdin");
        if (fd)
            close(fd);
        return EXIT_FAIL;
    }
    if (fd)
        close(fd);
    if ((reg = tool_registry(t, 0)) == NULL) {
        free(data);
        return EXIT_FAIL;
    }
    if ((shm = open_shm(reg, name)) == NULL)
        rc = EXIT_FAIL;
    else
        rc = put_locked(t, shm, name, ms, data, len);
    free(data);
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return rc;
}

/* Copies NAME's segment into a buffer of the caller's (*data, *len):
 * lock (waiting ms, so that -w bounds every wait), attach read-only, copy,
 * detach -- which releases the lock, as Qt's detach does.  The output is
 * written afterwards: a slow or gone reader holds nothing. */
static int copy_out(xsipc_shm *shm, const char *name, long ms, char **data,
                    size_t *len)
{
    int rc = EXIT_OK;

    *data = NULL;
    if (tool_shm_lock(shm, ms, name, &rc) < 0)
        return rc;
    if (xsipc_shm_attach(shm, XSIPC_READ_ONLY) < 0) {
        rc = shm_error(shm, name);
        (void)xsipc_shm_unlock(shm);
        return rc;
    }
    *len = xsipc_shm_size(shm);
    if ((*data = malloc(*len ? *len : 1)) == NULL) {
        tool_error("out of memory for a copy of %zu bytes: \"%s\"", *len,
                   tool_name(name));
        rc = EXIT_FAIL;
    } else
        memcpy(*data, xsipc_shm_const_data(shm), *len);
    if (xsipc_shm_detach(shm) < 0) {
        /* Still attached, the lock still ours: free detaches later. */
        if (rc == EXIT_OK)
            rc = shm_error(shm, name);
        (void)xsipc_shm_unlock(shm);
    }
    if (rc != EXIT_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* Writes the copy to FILE, or stdout when file is NULL or "-".  A reader
 * that closed the pipe early (EPIPE: SIGPIPE is ignored) ends get quietly
 * with 128 + SIGPIPE, the status a shell shows for a program the signal
 * killed, such as cat; other write errors are reported. */
static int write_out(const char *file, const char *data, size_t len)
{
    int fd = 1, err = 0;

    if (file != NULL && strcmp(file, "-") != 0 &&
        (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
        err = errno;
    else if (tool_write_all(fd, data, len) < 0)
        err = errno;
    if (fd > 1 && close(fd) < 0 && err == 0)
        err = errno;
    if (err == EPIPE)
        return 128 + SIGPIPE;
    if (err != 0) {
        tool_error("cannot write the output: %s: %s", strerror(err),
                   file != NULL && fd != 1 ? file : "stdout");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static const tool_opt get_opts[] = {
    {"output", 'o', "FILE", "write to FILE instead of standard output"},
    {"wait", 'w', "SECONDS", "give up after SECONDS waiting for the lock"},
    {NULL, 0, NULL, NULL}};
static const tool_command get_cmd = {
    "get",    "NAME", "Write the whole segment NAME out, holding its lock.",
    get_opts, 0,      NULL};

int cmd_get(const tool *t, int argc, char **argv)
{
    const char *file = NULL, *name;
    xsipc_registry *reg;
    xsipc_shm *shm;
    char *data = NULL;
    size_t len = 0;
    long ms = -1;
    int c, rc;

    while ((c = tool_getopt(&get_cmd, argc, argv)) != -1) {
        if (c == 'o')
            file = optarg;
        else if (c != 'w')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        else if (!wait_option(optarg, &ms))
            return EXIT_USAGE;
    }
    if (argc - optind != 1)
        return tool_usage_error("get: expected NAME");
    name = argv[optind];
    /* Only get ignores SIGPIPE: lock's COMMAND would inherit SIG_IGN. */
    signal(SIGPIPE, SIG_IGN);
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if ((shm = open_shm(reg, name)) == NULL)
        rc = EXIT_FAIL;
    else
        rc = copy_out(shm, name, ms, &data, &len);
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    /* The file is opened only once the segment has been read. */
    if (rc == EXIT_OK)
        rc = write_out(file, data, len);
    free(data);
    return rc;
}
