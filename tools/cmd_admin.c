/* SPDX-License-Identifier: MIT */
/*
 * cmd_admin.c -- `xsipc key`, `rm`, `gc` and `limits`: what an admin uses
 * beside ipcs and ipcrm.  limits reads /proc/sys/kernel and /proc/sysvipc,
 * as lsipc -g does.
 */
#include <config.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

static const char *const kind_names[] = {"shm", "sem"};

int cmd_key(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {{"create", no_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
    int c, i, create = 0, rc = EXIT_OK;
    xsipc_registry *reg;

    while ((c = getopt_long(argc, argv, "c", longopts, NULL)) != -1) {
        if (c != 'c')
            return tool_bad_option(argv);
        create = 1;
    }
    if (optind >= argc)
        return tool_usage_error("key: expected NAME...");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    for (i = optind; i < argc; i++) {
        int k;
        for (k = 0; k < 2; k++) {
            char path[4096];
            xsipc_status st;
            key_t key;
            if (xsipc_registry_key(reg, argv[i], (xsipc_kind)k, create, &key,
                                   path, sizeof path, &st) == 0)
                printf("%s %s 0x%08x %s\n", argv[i], kind_names[k],
                       (unsigned)key, path);
            else if (st.code == XSIPC_NOT_FOUND)
                printf("%s %s - -\n", argv[i], kind_names[k]);
            else {
                tool_name_error(argv[i], st.code, st.text);
                rc = EXIT_FAIL;
            }
        }
    }
    xsipc_registry_close(reg);
    return rc;
}

int cmd_rm(const tool *t, int argc, char **argv)
{
    int c, i, rc = EXIT_OK;
    xsipc_registry *reg;

    while ((c = getopt_long(argc, argv, "+", NULL, NULL)) != -1)
        return tool_bad_option(argv);
    if (optind >= argc)
        return tool_usage_error("rm: expected NAME...");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    for (i = optind; i < argc; i++) {
        int k, removed = 0, failed = 0;
        for (k = 0; k < 2; k++) {
            xsipc_status st;
            if (xsipc_registry_remove(reg, argv[i], (xsipc_kind)k,
                                      XSIPC_REMOVE_OBJECT, &st) == 0)
                removed++;
            else if (st.code != XSIPC_NOT_FOUND) {
                tool_name_error(argv[i], st.code, st.text);
                failed = 1;
            }
        }
        if (!removed && !failed) {
            tool_name_error(argv[i], XSIPC_NOT_FOUND, NULL);
            failed = 1;
        }
        if (failed)
            rc = EXIT_FAIL;
    }
    xsipc_registry_close(reg);
    return rc;
}

static void gc_print(const xsipc_gc_item *item, void *arg)
{
    static const char *const what[] = {"segment", "semaphore", "key file",
                                       "claim",   "parked",    "temp file"};
    const char *verb = arg;

    printf("%s %s", verb, (unsigned)item->what < 6 ? what[item->what] : "?");
    if (item->id >= 0)
        printf(" id %d", item->id);
    if (item->key != 0)
        printf(" key 0x%08x", (unsigned)item->key);
    printf(" %s: %s\n", item->path != NULL ? item->path : "-",
           item->reason != NULL ? item->reason : "dead");
}

int cmd_gc(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"now", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0}};
    unsigned flags = 0;
    xsipc_registry *reg;
    xsipc_status st;
    int c, rc = EXIT_OK;

    while ((c = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
        if (c == 'n')
            flags |= XSIPC_GC_DRY_RUN;
        else if (c == 'N') /* also orphan key files younger than 60 s */
            flags |= XSIPC_GC_NOW;
        else
            return tool_bad_option(argv);
    }
    if (optind < argc)
        return tool_usage_error("gc: unexpected argument '%s'", argv[optind]);
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if (xsipc_registry_gc(
            reg, flags, gc_print,
            (flags & XSIPC_GC_DRY_RUN) ? "would remove" : "removed", &st) < 0) {
        tool_error("%s", tool_strip_op(st.text));
        rc = EXIT_FAIL;
    }
    xsipc_registry_close(reg);
    return rc;
}

/* One number from /proc/sys/kernel/FILE (the idx-th of the line). */
static int read_limit(const char *file, int idx, unsigned long long *out)
{
    char path[128];
    FILE *f;
    int i, ok = 1;

    snprintf(path, sizeof path, "/proc/sys/kernel/%s", file);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    for (i = 0; i <= idx && ok; i++)
        ok = fscanf(f, "%llu", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* Counts the objects of /proc/sysvipc/FILE and sums their column col
 * (shm: pages of size; sem: nsems). */
static void count_objects(const char *file, int col, unsigned long long *n,
                          unsigned long long *sum)
{
    char path[64], line[512];
    long page = sysconf(_SC_PAGESIZE);
    FILE *f;

    *n = *sum = 0;
    snprintf(path, sizeof path, "/proc/sysvipc/%s", file);
    if ((f = fopen(path, "r")) == NULL)
        return;
    if (fgets(line, sizeof line, f) != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            unsigned long long v = 0;
            char *p = line;
            int i;
            for (i = 0; i < col; i++) {
                p += strspn(p, " \t");
                p += strcspn(p, " \t");
            }
            v = strtoull(p, NULL, 10);
            if (strcmp(file, "shm") == 0 && page > 0)
                v = (v + (unsigned long long)page - 1) /
                    (unsigned long long)page;
            (*n)++;
            *sum += v;
        }
    }
    fclose(f);
}

enum { L_RESOURCE, L_LIMIT, L_USED, L_USE, L_DESC, L_COUNT };

static const table_col limit_cols[L_COUNT] = {
    {"RESOURCE", 0, 0}, {"LIMIT", 1, 1},       {"USED", 1, 1},
    {"USE%", 1, 1},     {"DESCRIPTION", 0, 0},
};

static int limit_row(table *t, const char *res, const char *desc,
                     unsigned long long limit, int has_used,
                     unsigned long long used, int size, int bytes)
{
    long row = table_add_row(t);
    char buf[64];
    int rc;

    if (row < 0)
        return -1;
    rc = table_set(t, row, L_RESOURCE, "%s", res);
    rc |= table_set(t, row, L_DESC, "%s", desc);
    if (size && !bytes) {
        tool_human_size(limit, buf, sizeof buf);
        rc |= table_set(t, row, L_LIMIT, "%s", buf);
    } else
        rc |= table_set(t, row, L_LIMIT, "%llu", limit);
    if (!has_used)
        return rc;
    if (size && !bytes) {
        tool_human_size(used, buf, sizeof buf);
        rc |= table_set(t, row, L_USED, "%s", buf);
    } else
        rc |= table_set(t, row, L_USED, "%llu", used);
    rc |= table_set(t, row, L_USE, "%.2f%%",
                    limit ? 100.0 * (double)used / (double)limit : 0.0);
    return rc;
}

int cmd_limits(const tool *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'},
        {"bytes", no_argument, NULL, 'b'},
        {"noheadings", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    unsigned long long shmmax = 0, shmall = 0, shmmni = 0, sem[4] = {0};
    unsigned long long nshm, shmpages, nsem, nsems;
    unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
    table_opts o;
    table tab;
    int c, i, bytes = 0, rc = 0;

    (void)t;
    memset(&o, 0, sizeof o);
    while ((c = getopt_long(argc, argv, "Jbn", longopts, NULL)) != -1) {
        if (c == 'J')
            o.json = 1;
        else if (c == 'b')
            bytes = 1;
        else if (c == 'n')
            o.noheadings = 1;
        else
            return tool_bad_option(argv);
    }
    if (optind < argc)
        return tool_usage_error("limits: unexpected argument '%s'",
                                argv[optind]);
    /* JSON sizes are numbers, of bytes: a member keeps one type.  The
     * rows keep lsipc's order (shm, then sem), not sorted. */
    if (o.json)
        bytes = 1;
    if (read_limit("shmmax", 0, &shmmax) < 0 ||
        read_limit("shmall", 0, &shmall) < 0 ||
        read_limit("shmmni", 0, &shmmni) < 0) {
        tool_error("cannot read /proc/sys/kernel/shm*");
        return EXIT_FAIL;
    }
    for (i = 0; i < 4; i++)
        if (read_limit("sem", i, &sem[i]) < 0) {
            tool_error("cannot read /proc/sys/kernel/sem");
            return EXIT_FAIL;
        }
    count_objects("shm", 3, &nshm, &shmpages);
    count_objects("sem", 3, &nsem, &nsems);
    table_init(&tab, limit_cols, L_COUNT);
    /* SHMALL is in pages: shown as bytes, like lsipc. */
    rc |= limit_row(&tab, "SHMMAX", "Max size of one shared memory segment",
                    shmmax, 0, 0, 1, bytes);
    rc |= limit_row(&tab, "SHMALL", "Total shared memory",
                    shmall > (unsigned long long)-1 / page
                        ? (unsigned long long)-1
                        : shmall * page,
                    1, shmpages * page, 1, bytes);
    rc |= limit_row(&tab, "SHMMNI", "Number of shared memory segments", shmmni,
                    1, nshm, 0, bytes);
    rc |= limit_row(&tab, "SEMMSL", "Max semaphores per semaphore set", sem[0],
                    0, 0, 0, bytes);
    rc |= limit_row(&tab, "SEMMNS", "Total semaphores", sem[1], 1, nsems, 0,
                    bytes);
    rc |= limit_row(&tab, "SEMOPM", "Max number of operations per semop(2)",
                    sem[2], 0, 0, 0, bytes);
    rc |= limit_row(&tab, "SEMMNI", "Number of semaphore sets", sem[3], 1, nsem,
                    0, bytes);
    if (rc != 0 || table_print(&tab, &o, "limits", stdout) < 0) {
        tool_error("out of memory");
        rc = -1;
    }
    table_free(&tab);
    return rc != 0 ? EXIT_FAIL : EXIT_OK;
}
