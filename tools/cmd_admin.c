/* SPDX-License-Identifier: MIT */
/*
 * cmd_admin.c -- `xsipc key`, `rm`, `gc` and `limits`: what an admin uses
 * beside ipcs and ipcrm.  limits reads /proc/sys/kernel and /proc/sysvipc,
 * as lsipc -g does.
 */
#include <config.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

static const char *const kind_names[] = {"shm", "sem"};

static const tool_opt key_opts[] = {
    {"create", 'c', NULL, "make the key files that do not exist"},
    {NULL, 0, NULL, NULL}};
static const tool_command key_cmd = {
    "key",    "NAME...", "Print the key files and keys of each NAME.",
    key_opts, 0,         NULL};

int cmd_key(const tool *t, int argc, char **argv)
{
    int c, i, create = 0, rc = EXIT_OK;
    xsipc_registry *reg;

    while ((c = tool_getopt(&key_cmd, argc, argv)) != -1) {
        if (c == TOOL_OPT_HELP)
            return EXIT_OK;
        if (c != 'c')
            return EXIT_USAGE;
        create = 1;
    }
    if (optind >= argc)
        return tool_usage_error("key: expected NAME...");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    for (i = optind; i < argc; i++) {
        char line[2][4200];
        int k, found = 0, missing = 0;
        for (k = 0; k < 2; k++) {
            char path[4096];
            xsipc_status st;
            key_t key;
            line[k][0] = '\0';
            if (xsipc_registry_key(reg, argv[i], (xsipc_kind)k, create, &key,
                                   path, sizeof path, &st) == 0) {
                snprintf(line[k], sizeof line[k], "%s 0x%08x %s", kind_names[k],
                         (unsigned)key, path);
                found++;
            } else if (st.code == XSIPC_NOT_FOUND) {
                snprintf(line[k], sizeof line[k], "%s - -", kind_names[k]);
                missing++;
            } else {
                tool_name_error(argv[i], st.code, st.text);
                rc = EXIT_FAIL;
            }
        }
        /* A name of one kind only (a semaphore) shows "-" for the other;
         * a name with no key file at all is an error, as xsipc(1) says. */
        if (found == 0 && missing == 2) {
            tool_error("no key file: \"%s\"", tool_name(argv[i]));
            rc = EXIT_FAIL;
            continue;
        }
        for (k = 0; k < 2; k++)
            if (line[k][0] != '\0')
                printf("%s %s\n", argv[i], line[k]);
    }
    xsipc_registry_close(reg);
    return rc;
}

/* The owner of name's entry of kind when it is another user's, else
 * (uid_t)-1. */
static uid_t other_owner(xsipc_registry *reg, const char *name, xsipc_kind kind)
{
    xsipc_registry_entry e;
    xsipc_status st;

    if (xsipc_registry_stat(reg, name, kind, &e, &st) < 0 ||
        e.owner == geteuid())
        return (uid_t)-1;
    return e.owner;
}

/* Says that uid's entry of name is left alone without --force. */
static void not_without_force(const char *cmd, const char *name, uid_t uid)
{
    struct passwd *pw = getpwuid(uid);

    tool_error("it belongs to uid %lu (%s); as root, xsipc %s --force "
               "removes it: \"%s\"",
               (unsigned long)uid, pw != NULL ? pw->pw_name : "no such user",
               cmd, tool_name(name));
}

/* Removes name's key file of kind and its object; for root with force,
 * another user's too.  1 removed, 0 none, -1 failed (said). */
static int rm_one(xsipc_registry *reg, const char *name, xsipc_kind kind,
                  int force)
{
    unsigned flags = XSIPC_REMOVE_OBJECT;
    xsipc_status st;
    uid_t uid;

    if (force)
        flags |= XSIPC_REMOVE_FORCE;
    if (xsipc_registry_remove(reg, name, kind, flags, &st) == 0)
        return 1;
    if (st.code == XSIPC_NOT_FOUND)
        return 0;
    if (st.code == XSIPC_UNTRUSTED && geteuid() == 0 &&
        (uid = other_owner(reg, name, kind)) != (uid_t)-1) {
        if (!force) {
            not_without_force("rm", name, uid);
            return -1;
        }
        /* Root acts for uid: its key file and unused objects become
         * ours to remove (xsipc_registry_trust_uid). */
        if (xsipc_registry_trust_uid(reg, uid) == 0 &&
            xsipc_registry_remove(reg, name, kind, flags, &st) == 0)
            return 1;
    }
    tool_name_error(name, st.code, st.text);
    return -1;
}

static const tool_opt rm_opts[] = {
    {"force", 'f', NULL,
     "as root, also another user's entries; a key file whose record is "
     "bad"},
    {NULL, 0, NULL, NULL}};
static const tool_command rm_cmd = {
    "rm",
    "NAME...",
    "Remove the segment and the semaphore set of each NAME, with their key\n"
    "files.",
    rm_opts,
    0,
    NULL};

int cmd_rm(const tool *t, int argc, char **argv)
{
    int c, i, force = 0, rc = EXIT_OK;
    xsipc_registry *reg;

    while ((c = tool_getopt(&rm_cmd, argc, argv)) != -1) {
        if (c == 'f')
            force = 1;
        else
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if (optind >= argc)
        return tool_usage_error("rm: expected NAME...");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    for (i = optind; i < argc; i++) {
        int k, n, removed = 0, failed = 0;
        for (k = 0; k < 2; k++) {
            n = rm_one(reg, argv[i], (xsipc_kind)k, force);
            if (n > 0)
                removed++;
            else if (n < 0)
                failed = 1;
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

/* The other users whose entries a listing found foreign (up to 16). */
typedef struct others {
    uid_t uid[16];
    unsigned n, entries;
} others;

static int note_other(const xsipc_registry_entry *e, void *arg)
{
    others *o = arg;
    unsigned i;

    if (e->status != XSIPC_ENTRY_FOREIGN || e->owner == geteuid())
        return 0;
    o->entries++;
    for (i = 0; i < o->n && o->uid[i] != e->owner; i++)
        ;
    if (i == o->n && o->n < 16)
        o->uid[o->n++] = e->owner;
    return 0;
}

static const tool_opt gc_opts[] = {
    {"dry-run", 'n', NULL, "print what would be removed, remove nothing"},
    {"now", 256, NULL, "also key files with no object younger than 60 s"},
    {"force", 'f', NULL, "as root, also other users' dead entries"},
    {NULL, 0, NULL, NULL}};
static const tool_command gc_cmd = {
    "gc", "", "Remove what the registry proves dead.", gc_opts, 0, NULL};

int cmd_gc(const tool *t, int argc, char **argv)
{
    unsigned flags = 0, i;
    xsipc_registry *reg;
    xsipc_status st;
    others o = {{0}, 0, 0};
    int c, force = 0, rc = EXIT_OK;

    while ((c = tool_getopt(&gc_cmd, argc, argv)) != -1) {
        if (c == 'n')
            flags |= XSIPC_GC_DRY_RUN;
        else if (c == 256) /* also orphan key files younger than 60 s */
            flags |= XSIPC_GC_NOW;
        else if (c == 'f')
            flags |= XSIPC_GC_FORCE;
        else
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    force = (flags & XSIPC_GC_FORCE) != 0;
    if (optind < argc)
        return tool_usage_error("gc: unexpected argument '%s'", argv[optind]);
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    /* Root may act for the other users of the registry: trusting them
     * makes their dead objects and key files gc's to remove (and only
     * what is dead, as for our own). */
    if (geteuid() == 0 && xsipc_registry_list(reg, note_other, &o, &st) >= 0 &&
        force)
        for (i = 0; i < o.n; i++)
            if (xsipc_registry_trust_uid(reg, o.uid[i]) < 0)
                tool_error("gc: cannot act for uid %lu: more than 16 users",
                           (unsigned long)o.uid[i]);
    if (xsipc_registry_gc(
            reg, flags, gc_print,
            (flags & XSIPC_GC_DRY_RUN) ? "would remove" : "removed", &st) < 0) {
        tool_error("%s", tool_strip_op(st.text));
        rc = EXIT_FAIL;
    }
    if (!force && o.entries > 0)
        fprintf(stderr,
                "xsipc: gc: note: %u entries of other users (%u) left alone; "
                "as root, xsipc gc --force also removes their dead ones\n",
                o.entries, o.n);
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

/* lsipc -g's columns, in its order. */
enum { L_RESOURCE, L_DESC, L_LIMIT, L_USED, L_USE, L_COUNT };

static const table_col limit_cols[L_COUNT] = {
    {"RESOURCE", 0, 0}, {"DESCRIPTION", 0, 0}, {"LIMIT", 1, 1},
    {"USED", 1, 1},     {"USE%", 1, 1},
};

static const char *const limit_col_help[L_COUNT] = {
    "the kernel's name of the limit", "what it limits",
    "the system-wide limit",          "what is used now",
    "USED as a percentage of LIMIT",
};

static void limits_columns(FILE *out)
{
    tool_help_columns(limit_cols, limit_col_help, L_COUNT, out);
}

/* Constants of the kernel that /proc does not show (linux/shm.h and
 * linux/sem.h): the smallest segment, and a semaphore's largest value. */
#define SHMMIN_BYTES 1ULL
#define SEMVMX_VALUE 32767ULL

/* What a row shows: a plain number, or a size (human unless -b); USED
 * and USE% only when the kernel counts a use. */
typedef struct limit_spec {
    const char *res, *desc;
    unsigned long long limit, used;
    int has_used, size;
} limit_spec;

static int limit_row(table *t, const limit_spec *l, int bytes)
{
    long row = table_add_row(t);
    char buf[64];
    int rc;

    if (row < 0)
        return -1;
    rc = table_set(t, row, L_RESOURCE, "%s", l->res);
    rc |= table_set(t, row, L_DESC, "%s", l->desc);
    if (l->size && !bytes) {
        tool_human_size(l->limit, buf, sizeof buf);
        rc |= table_set(t, row, L_LIMIT, "%s", buf);
    } else
        rc |= table_set(t, row, L_LIMIT, "%llu", l->limit);
    if (!l->has_used)
        return rc;
    if (l->size && !bytes) {
        tool_human_size(l->used, buf, sizeof buf);
        rc |= table_set(t, row, L_USED, "%s", buf);
    } else
        rc |= table_set(t, row, L_USED, "%llu", l->used);
    rc |=
        table_set(t, row, L_USE, "%.2f%%",
                  l->limit ? 100.0 * (double)l->used / (double)l->limit : 0.0);
    return rc;
}

/* SHMALL's description: it counts pages, so the bytes they make are
 * given beside them (human unless -b; "no limit" when they overflow, as
 * the kernel's default of nearly 2^64 pages does). */
static void shmall_desc(unsigned long long pages, unsigned long long page,
                        int bytes, char *buf, size_t len)
{
    char pg[32], total[32];

    tool_human_size(page, pg, sizeof pg);
    if (page != 0 && pages > ~0ULL / page)
        snprintf(buf, len, "Shared memory in all, in pages of %s (no limit)",
                 pg);
    else if (bytes)
        snprintf(buf, len, "Shared memory in all, in pages of %s (%llu bytes)",
                 pg, pages * page);
    else {
        tool_human_size(pages * page, total, sizeof total);
        snprintf(buf, len, "Shared memory in all, in pages of %s (%s)", pg,
                 total);
    }
}

static const tool_opt limits_opts[] = {
    {"json", 'J', NULL, "use the JSON output format"},
    {"bytes", 'b', NULL, "print sizes in bytes"},
    {"output", 'o', "LIST", "the columns to print (comma-separated)"},
    {"noheadings", 'n', NULL, "don't print headings"},
    {NULL, 0, NULL, NULL}};
static const tool_command limits_cmd = {
    "limits",
    "",
    "Show the system-wide System V limits of shared memory and semaphores\n"
    "and their use, as lsipc -g does.",
    limits_opts,
    0,
    limits_columns};

int cmd_limits(const tool *t, int argc, char **argv)
{
    unsigned long long shmmax = 0, shmall = 0, shmmni = 0, sem[4] = {0};
    unsigned long long nshm, shmpages, nsem, nsems;
    unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
    const char *list = NULL;
    char shmall_text[128];
    table_opts o;
    table tab;
    size_t i;
    int c, bytes = 0, rc = 0;

    (void)t;
    memset(&o, 0, sizeof o);
    while ((c = tool_getopt(&limits_cmd, argc, argv)) != -1) {
        if (c == 'J')
            o.json = 1;
        else if (c == 'b')
            bytes = 1;
        else if (c == 'o')
            list = optarg;
        else if (c == 'n')
            o.noheadings = 1;
        else
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if (optind < argc)
        return tool_usage_error("limits: unexpected argument '%s'",
                                argv[optind]);
    /* JSON sizes are numbers, of bytes: a member keeps one type.  The
     * rows keep lsipc's order (shm, then sem), not sorted. */
    if (o.json)
        bytes = 1;
    table_init(&tab, limit_cols, L_COUNT);
    if (list != NULL && table_select(&tab, list, &o) != 0)
        return EXIT_USAGE;
    if (read_limit("shmmax", 0, &shmmax) < 0 ||
        read_limit("shmall", 0, &shmall) < 0 ||
        read_limit("shmmni", 0, &shmmni) < 0) {
        tool_error("cannot read /proc/sys/kernel/shm*");
        return EXIT_FAIL;
    }
    for (i = 0; i < 4; i++)
        if (read_limit("sem", (int)i, &sem[i]) < 0) {
            tool_error("cannot read /proc/sys/kernel/sem");
            return EXIT_FAIL;
        }
    count_objects("shm", 3, &nshm, &shmpages);
    count_objects("sem", 3, &nsem, &nsems);
    shmall_desc(shmall, page, bytes, shmall_text, sizeof shmall_text);
    {
        /* lsipc -g's rows, in its order.  /proc/sys/kernel/sem holds
         * SEMMSL, SEMMNS, SEMOPM and SEMMNI; SHMALL and its use count
         * pages. */
        const limit_spec rows[] = {
            {"SHMMNI", "Shared memory segments in the system", shmmni, nshm, 1,
             0},
            {"SHMALL", shmall_text, shmall, shmpages, 1, 0},
            {"SHMMAX", "Largest shared memory segment", shmmax, 0, 0, 1},
            {"SHMMIN", "Smallest shared memory segment", SHMMIN_BYTES, 0, 0, 1},
            {"SEMMNI", "Semaphore sets in the system", sem[3], nsem, 1, 0},
            {"SEMMNS", "Semaphores in all sets", sem[1], nsems, 1, 0},
            {"SEMMSL", "Semaphores per set", sem[0], 0, 0, 0},
            {"SEMOPM", "Operations per semop(2) call", sem[2], 0, 0, 0},
            {"SEMVMX", "Largest value of a semaphore", SEMVMX_VALUE, 0, 0, 0},
        };
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
            rc |= limit_row(&tab, &rows[i], bytes);
    }
    if (rc != 0 || table_print(&tab, &o, "limits", stdout) < 0) {
        tool_error("out of memory");
        rc = -1;
    }
    table_free(&tab);
    return rc != 0 ? EXIT_FAIL : EXIT_OK;
}
