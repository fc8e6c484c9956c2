/* SPDX-License-Identifier: MIT */
/*
 * cmd_data.c -- `xsipc create`, `put` and `get`: persistent segments made
 * from the shell, and copies into and out of a segment under its lock (the
 * semaphore QSharedMemory::lock() takes), so Qt programs see whole data.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

/* Reports a failed call of shm about name and frees everything; returns
 * EXIT_FAIL. */
static int shm_fail(const char *name, xsipc_shm *shm, xsipc_registry *reg)
{
    tool_name_error(name, xsipc_shm_error(shm), xsipc_shm_error_string(shm));
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return EXIT_FAIL;
}

/* Opens a handle for name; NULL after a message (a bad name is kept in
 * the handle, and reported by its first call). */
static xsipc_shm *open_shm(xsipc_registry *reg, const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);

    if (shm == NULL)
        tool_error("out of memory");
    return shm;
}

/* Creates a persistent segment of size bytes, attached read-write. */
static int create_persistent(xsipc_shm *shm, size_t size)
{
    if (xsipc_shm_set_persistent(shm, 1) < 0)
        return -1;
    return xsipc_shm_create(shm, size, XSIPC_READ_WRITE);
}

int cmd_create(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"mode", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    unsigned flags = 0;
    xsipc_registry *reg;
    xsipc_shm *shm;
    size_t size;
    int c;

    while ((c = getopt_long(argc, argv, "m:", longopts, NULL)) != -1) {
        if (c != 'm')
            return tool_bad_option(argv);
        if (strcmp(optarg, "0660") == 0 || strcmp(optarg, "660") == 0)
            flags = XSIPC_REGISTRY_GROUP;
        else if (strcmp(optarg, "0600") != 0 && strcmp(optarg, "600") != 0)
            return tool_usage_error("create: --mode is 0600 or 0660, not '%s'",
                                    optarg);
    }
    if (argc - optind != 2)
        return tool_usage_error("create: expected NAME SIZE");
    if (tool_parse_size(argv[optind + 1], &size) < 0 || size == 0)
        return tool_usage_error("create: bad SIZE '%s'", argv[optind + 1]);
    if ((reg = tool_registry(t, flags)) == NULL)
        return EXIT_FAIL;
    if ((shm = open_shm(reg, argv[optind])) == NULL) {
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (create_persistent(shm, size) < 0)
        return shm_fail(argv[optind], shm, reg);
    xsipc_shm_free(shm); /* detaches: the segment stays */
    xsipc_registry_close(reg);
    return EXIT_OK;
}

/* Reads all of fd into a malloc'd buffer. */
static int read_all(int fd, char **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);

    if (buf == NULL)
        return -1;
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *more = cap > (size_t)-1 / 2 ? NULL : realloc(buf, cap * 2);
            if (more == NULL) {
                free(buf);
                errno = ENOMEM;
                return -1;
            }
            buf = more;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            free(buf);
            errno = saved;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* Copies data into the attached segment under its lock, zeroing the rest:
 * a reader that takes it as a C string sees exactly the data. */
static int copy_in(xsipc_shm *shm, const char *data, size_t len)
{
    size_t size = xsipc_shm_size(shm);
    char *p = xsipc_shm_data(shm);

    if (xsipc_shm_lock(shm) < 0)
        return -1;
    memcpy(p, data, len);
    memset(p + len, 0, size - len);
    return xsipc_shm_unlock(shm);
}

int cmd_put(const tool *t, int argc, char **argv)
{
    const char *name, *file;
    xsipc_registry *reg;
    xsipc_shm *shm;
    char *data;
    size_t len;
    int c, fd, rc = EXIT_OK;

    while ((c = getopt_long(argc, argv, "+", NULL, NULL)) != -1)
        return tool_bad_option(argv);
    if (argc - optind < 1 || argc - optind > 2)
        return tool_usage_error("put: expected NAME [FILE]");
    name = argv[optind];
    file = argc - optind == 2 ? argv[optind + 1] : "-";
    fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tool_error("%s: %s", file, strerror(errno));
        return EXIT_FAIL;
    }
    if (read_all(fd, &data, &len) < 0) {
        tool_error("%s: %s", fd ? file : "stdin", strerror(errno));
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
    if ((shm = open_shm(reg, name)) == NULL) {
        free(data);
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (xsipc_shm_attach(shm, XSIPC_READ_WRITE) < 0) {
        if (xsipc_shm_error(shm) != XSIPC_NOT_FOUND)
            rc = EXIT_FAIL;
        else if (len == 0) {
            tool_error("%s: no segment, and no data to size one",
                       tool_name(name));
            rc = EXIT_FAIL;
            goto out;
        } else if (create_persistent(shm, len) < 0)
            rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK && len > xsipc_shm_size(shm)) {
        tool_error("%s: %zu bytes do not fit the segment of %zu bytes",
                   tool_name(name), len, xsipc_shm_size(shm));
        rc = EXIT_FAIL;
        goto out;
    }
    if (rc == EXIT_OK && copy_in(shm, data, len) < 0)
        rc = EXIT_FAIL;
    if (rc != EXIT_OK)
        tool_name_error(name, xsipc_shm_error(shm),
                        xsipc_shm_error_string(shm));
out:
    free(data);
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int cmd_get(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    const char *file = NULL;
    xsipc_registry *reg;
    xsipc_shm *shm;
    int c, fd = 1, rc = EXIT_OK, werr = 0;

    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c != 'o')
            return tool_bad_option(argv);
        file = optarg;
    }
    if (argc - optind != 1)
        return tool_usage_error("get: expected NAME");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if ((shm = open_shm(reg, argv[optind])) == NULL) {
        xsipc_registry_close(reg);
        return EXIT_FAIL;
    }
    if (xsipc_shm_attach(shm, XSIPC_READ_ONLY) < 0 || xsipc_shm_lock(shm) < 0)
        return shm_fail(argv[optind], shm, reg);
    /* The file is opened only once the segment is known to exist. */
    if (file != NULL && strcmp(file, "-") != 0 &&
        (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
        werr = errno;
    else if (write_all(fd, xsipc_shm_const_data(shm), xsipc_shm_size(shm)) < 0)
        werr = errno;
    if (xsipc_shm_unlock(shm) < 0) {
        tool_name_error(argv[optind], xsipc_shm_error(shm),
                        xsipc_shm_error_string(shm));
        rc = EXIT_FAIL;
    }
    if (fd > 1 && close(fd) < 0 && werr == 0)
        werr = errno;
    if (werr != 0) {
        tool_error("%s: %s", file != NULL ? file : "stdout", strerror(werr));
        rc = EXIT_FAIL;
    }
    xsipc_shm_free(shm);
    xsipc_registry_close(reg);
    return rc;
}
