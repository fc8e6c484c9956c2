/* SPDX-License-Identifier: MIT */
/*
 * cmd_ls.c -- `xsipc ls` (one row per registry entry, lsipc-style, or
 * JSON) and `xsipc info NAME` (labels and values, with the semaphore
 * values and waiters).  Modes, values and waiters come from IPC_STAT,
 * GETVAL, GETNCNT and GETZCNT; what a channel holds from
 * xsipc_channel_stat; the rest from xsipc_registry_list.
 *
 * A channel is opened for its counts only once the listing has ended,
 * not from the listing's callback: opening looks its name up in the
 * registry, which a callback should not re-enter.
 */
#include <config.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "xsipc-tool.h"

enum {
    C_NAME,
    C_KIND,
    C_KEY,
    C_ID,
    C_SIZE,
    C_NATTCH,
    C_OWNER,
    C_PERMS,
    C_CPID,
    C_MSGS,
    C_BYTES,
    C_STATUS,
    C_COUNT
};

static const table_col ls_cols[C_COUNT] = {
    {"NAME", 0, 0}, {"KIND", 0, 0},   {"KEY", 0, 0},   {"ID", 1, 1},
    {"SIZE", 1, 1}, {"NATTCH", 1, 1}, {"OWNER", 0, 0}, {"PERMS", 0, 0},
    {"CPID", 1, 1}, {"MSGS", 1, 1},   {"BYTES", 1, 1}, {"STATUS", 0, 0},
};

/* Rows by name, then kind; --all's rows, which have no name, by key. */
static const size_t ls_order[3] = {C_NAME, C_KIND, C_KEY};

static const char *const status_names[] = {"live", "stale", "orphan",
                                           "foreign"};

/* The permission bits of an object, or -1 when it cannot be read.  The
 * execute bits mean nothing to System V (xsipc marks objects made to
 * outlive their users with the owner's), so only read and write show. */
#define PERM_BITS 0666
static int object_mode(xsipc_kind kind, int id)
{
    if (id < 0)
        return -1;
    if (kind == XSIPC_KIND_SHM) {
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) < 0)
            return -1;
        return (int)(ds.shm_perm.mode & PERM_BITS);
    } else {
        struct semid_ds ds;
        if (semctl(id, 0, IPC_STAT, &ds) < 0)
            return -1;
        return (int)(ds.sem_perm.mode & PERM_BITS);
    }
}

static void perms_string(int mode, char *buf)
{
    static const char rwx[] = "rwxrwxrwx";
    int i;

    for (i = 0; i < 9; i++)
        buf[i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    buf[9] = '\0';
}

static void owner_string(uid_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);

    if (pw != NULL)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%lu", (unsigned long)uid);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The kind an entry shows: a channel's segment is "chan". */
static const char *kind_string(xsipc_kind kind, unsigned flags)
{
    if (kind == XSIPC_KIND_SEM)
        return "sem";
    return (flags & XSIPC_ENTRY_CHANNEL) ? "chan" : "shm";
}

/* Whether ls and info open the channel of e for its counts: only a live
 * one of ours.  The last handle of a channel that is not persistent
 * removes it, so opening a stale one (no one attached, its creator dead)
 * would make the listing remove it, which only gc may do; another user's
 * is left alone, as gc and rm leave it. */
static int countable(const xsipc_registry_entry *e)
{
    return (e->flags & XSIPC_ENTRY_CHANNEL) && e->kind == XSIPC_KIND_SHM &&
           e->id >= 0 && e->name != NULL && e->status == XSIPC_ENTRY_LIVE;
}

/* A channel's row, whose counts are filled once the listing has ended. */
typedef struct ls_chan {
    long row;
    char *name;
} ls_chan;

/* What ls collects: the table, the ids that entries explain, and the
 * channels to count. */
typedef struct ls_state {
    table tab;
    int bytes;
    long *ids; /* id * 2 + kind: shm and sem ids overlap */
    size_t nids, capids;
    ls_chan *chans;
    size_t nchans, capchans;
    int failed;
} ls_state;

static int remember_chan(ls_state *s, long row, const char *name)
{
    ls_chan *chans;

    chans = tool_grow(s->chans, &s->capchans, s->nchans, sizeof *chans, 8);
    if (chans == NULL)
        return -1;
    s->chans = chans;
    if ((s->chans[s->nchans].name = strdup(name)) == NULL)
        return -1;
    s->chans[s->nchans++].row = row;
    return 0;
}

/* The counts of the channel name, in *info; 0, or -1 when it cannot be
 * opened (gone since the listing, or not ours to open): its row then
 * shows none. */
static int chan_counts(xsipc_registry *reg, const char *name,
                       xsipc_channel_info *info)
{
    xsipc_channel *ch = xsipc_channel_new_in(reg, name);
    int rc = -1;

    if (ch != NULL && xsipc_channel_open(ch) == 0 &&
        xsipc_channel_stat(ch, info) == 0)
        rc = 0;
    xsipc_channel_free(ch);
    return rc;
}

/* Fills MSGS and BYTES of the channels' rows; -1 when out of memory. */
static int ls_chans(ls_state *s, xsipc_registry *reg)
{
    xsipc_channel_info info;
    char buf[64];
    size_t i;
    int rc = 0;

    for (i = 0; i < s->nchans; i++) {
        long row = s->chans[i].row;
        if (chan_counts(reg, s->chans[i].name, &info) < 0)
            continue;
        rc |= table_set(&s->tab, row, C_MSGS, "%zu", info.messages);
        if (s->bytes)
            rc |= table_set(&s->tab, row, C_BYTES, "%zu", info.bytes);
        else {
            tool_human_size(info.bytes, buf, sizeof buf);
            rc |= table_set(&s->tab, row, C_BYTES, "%s", buf);
        }
    }
    return rc;
}

static int remember_id(ls_state *s, xsipc_kind kind, int id)
{
    long *ids;

    ids = tool_grow(s->ids, &s->capids, s->nids, sizeof *ids, 32);
    if (ids == NULL)
        return -1;
    s->ids = ids;
    s->ids[s->nids++] = (long)id * 2 + (long)kind;
    return 0;
}

static int known_id(const ls_state *s, xsipc_kind kind, int id)
{
    size_t i;

    for (i = 0; i < s->nids; i++)
        if (s->ids[i] == (long)id * 2 + (long)kind)
            return 1;
    return 0;
}

/* Fills the object columns of row (ID to PERMS and CPID). */
static int set_object(ls_state *s, long row, xsipc_kind kind, int id,
                      unsigned long long size, unsigned long attached,
                      uid_t owner, int mode, long cpid)
{
    table *t = &s->tab;
    char buf[64];
    int rc = 0;

    owner_string(owner, buf, sizeof buf);
    rc |= table_set(t, row, C_OWNER, "%s", buf);
    if (id < 0)
        return rc;
    rc |= table_set(t, row, C_ID, "%d", id);
    if (kind == XSIPC_KIND_SEM || s->bytes)
        rc |= table_set(t, row, C_SIZE, "%llu", size);
    else {
        tool_human_size(size, buf, sizeof buf);
        rc |= table_set(t, row, C_SIZE, "%s", buf);
    }
    rc |= table_set(t, row, C_NATTCH, "%lu", attached);
    if (mode >= 0) {
        perms_string(mode, buf);
        rc |= table_set(t, row, C_PERMS, "%s", buf);
    }
    if (cpid > 0)
        rc |= table_set(t, row, C_CPID, "%ld", cpid);
    return rc;
}

static int ls_entry(const xsipc_registry_entry *e, void *arg)
{
    ls_state *s = arg;
    long row = table_add_row(&s->tab);
    int rc;

    if (row < 0 || (e->id >= 0 && remember_id(s, e->kind, e->id) < 0)) {
        s->failed = 1;
        return 1;
    }
    rc = table_set(&s->tab, row, C_NAME, "%s",
                   e->name != NULL ? e->name : base_name(e->path));
    rc |= table_set(&s->tab, row, C_KIND, "%s", kind_string(e->kind, e->flags));
    rc |= table_set(&s->tab, row, C_KEY, "0x%08x", (unsigned)e->key);
    if (countable(e))
        rc |= remember_chan(s, row, e->name);
    rc |= set_object(s, row, e->kind, e->id, e->size, e->attached, e->owner,
                     object_mode(e->kind, e->id), (long)e->creator);
    rc |= table_set(&s->tab, row, C_STATUS, "%s",
                    (unsigned)e->status < 4 ? status_names[e->status] : "?");
    if (rc != 0) {
        s->failed = 1;
        return 1;
    }
    return 0;
}

/* --all: the System V objects of /proc/sysvipc that no entry explains. */
static int ls_others(ls_state *s, xsipc_kind kind)
{
    const char *file =
        kind == XSIPC_KIND_SHM ? "/proc/sysvipc/shm" : "/proc/sysvipc/sem";
    FILE *f = fopen(file, "r");
    char line[512];
    int rc = 0;

    if (f == NULL)
        return 0; /* no procfs: nothing more to show */
    if (fgets(line, sizeof line, f) == NULL) {
        fclose(f);
        return 0;
    }
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        long key, cpid = 0, uid;
        int id, mode;
        unsigned long long size;
        unsigned long nattch = 0;
        long row;
        int n;
        if (kind == XSIPC_KIND_SHM)
            n = sscanf(line, "%ld %d %o %llu %ld %*d %lu %ld", &key, &id,
                       (unsigned *)&mode, &size, &cpid, &nattch, &uid) == 7;
        else
            n = sscanf(line, "%ld %d %o %llu %ld", &key, &id, (unsigned *)&mode,
                       &size, &uid) == 5;
        if (!n || known_id(s, kind, id))
            continue;
        if ((row = table_add_row(&s->tab)) < 0)
            rc = -1;
        else {
            rc |= table_set(&s->tab, row, C_KIND, "%s",
                            kind == XSIPC_KIND_SHM ? "shm" : "sem");
            rc |= table_set(&s->tab, row, C_KEY, "0x%08x", (unsigned)key);
            rc |= set_object(s, row, kind, id, size, nattch, (uid_t)uid,
                             mode & 0777, cpid);
        }
    }
    fclose(f);
    return rc;
}

static const char *const ls_col_help[C_COUNT] = {
    "name of the entry (a Qt key file: its file name)",
    "shm (segment), sem (semaphore set) or chan (channel)",
    "System V key",
    "shmid or semid",
    "segment size, or semaphores in the set",
    "attached processes (sem: processes that have it open)",
    "owner's user name or UID",
    "permissions",
    "PID of the creator",
    "chan: messages queued",
    "chan: bytes queued (without the headers)",
    "live, stale, orphan or foreign",
};

static void ls_columns(FILE *out)
{
    tool_help_columns(ls_cols, ls_col_help, C_COUNT, out);
}

static const tool_opt ls_opts[] = {
    {"json", 'J', NULL, "use the JSON output format"},
    {"bytes", 'b', NULL, "print SIZE in bytes"},
    {"output", 'o', "LIST", "the columns to print (comma-separated)"},
    {"noheadings", 'n', NULL, "don't print headings"},
    {"all", 'a', NULL, "also System V objects no entry explains"},
    {NULL, 0, NULL, NULL}};
static const tool_command ls_cmd = {
    "ls",    "", "List the registry: one row per key file, with its object.",
    ls_opts, 0,  ls_columns};

int cmd_ls(const tool *t, int argc, char **argv)
{
    const char *list = NULL;
    table_opts o;
    ls_state s;
    xsipc_registry *reg;
    xsipc_status st;
    int c, all = 0, rc = EXIT_OK;

    memset(&o, 0, sizeof o);
    memset(&s, 0, sizeof s);
    table_init(&s.tab, ls_cols, C_COUNT);
    while ((c = tool_getopt(&ls_cmd, argc, argv)) != -1) {
        switch (c) {
        case 'J':
            o.json = 1;
            break;
        case 'b':
            s.bytes = 1;
            break;
        case 'o':
            list = optarg;
            break;
        case 'n':
            o.noheadings = 1;
            break;
        case 'a':
            all = 1;
            break;
        case TOOL_OPT_HELP:
            table_free(&s.tab);
            return EXIT_OK;
        default:
            table_free(&s.tab);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return tool_usage_error("ls: unexpected argument '%s'", argv[optind]);
    if (list != NULL && table_select(&s.tab, list, &o) != 0)
        return EXIT_USAGE;
    /* JSON sizes are numbers, of bytes: a member keeps one type. */
    if (o.json)
        s.bytes = 1;
    table_sort_by(&s.tab, ls_order, 3);
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if (xsipc_registry_list(reg, ls_entry, &s, &st) < 0) {
        tool_error("%s", tool_strip_op(st.text));
        rc = EXIT_FAIL;
    } else if (s.failed || ls_chans(&s, reg) < 0 ||
               (all && (ls_others(&s, XSIPC_KIND_SHM) < 0 ||
                        ls_others(&s, XSIPC_KIND_SEM) < 0))) {
        tool_error("out of memory");
        rc = EXIT_FAIL;
    } else if (table_print(&s.tab, &o, "registry", stdout) < 0) {
        tool_error("out of memory");
        rc = EXIT_FAIL;
    }
    xsipc_registry_close(reg);
    table_free(&s.tab);
    free(s.ids);
    while (s.nchans > 0)
        free(s.chans[--s.nchans].name);
    free(s.chans);
    return rc;
}

/* info: the entries of one name (its segment and its semaphore set). */
typedef struct info_state {
    const char *paths[2];
    int found;
    int has_chan; /* chan holds the counts of name's channel */
    xsipc_channel_info chan;
} info_state;

/* Another user's entry of name (FOREIGN, its record naming it), which
 * xsipc_registry_key refuses: its path into path, or 0 when there is none. */
static int info_stranger(xsipc_registry *reg, const char *name, xsipc_kind kind,
                         char *path, size_t len)
{
    xsipc_registry_entry e;
    xsipc_status st;

    if (xsipc_registry_stat(reg, name, kind, &e, &st) < 0 ||
        e.status != XSIPC_ENTRY_FOREIGN || e.name == NULL ||
        strcmp(e.name, name) != 0 || strlen(e.path) >= len)
        return 0;
    memcpy(path, e.path, strlen(e.path) + 1);
    return 1;
}

static void info_sem_values(int id)
{
    struct semid_ds ds;
    unsigned long i;

    if (semctl(id, 0, IPC_STAT, &ds) < 0)
        return;
    for (i = 0; i < (unsigned long)ds.sem_nsems; i++) {
        int val = semctl(id, (int)i, GETVAL);
        int ncnt = semctl(id, (int)i, GETNCNT);
        int zcnt = semctl(id, (int)i, GETZCNT);
        printf("  semaphore %lu:  value %d, waiting %d (for zero %d)\n", i, val,
               ncnt, zcnt);
    }
}

static void info_chan(const xsipc_channel_info *c)
{
    char buf[64];

    tool_human_size(c->capacity, buf, sizeof buf);
    printf("Capacity:    %zu bytes (%s)\n", c->capacity, buf);
    printf("Max message: %zu bytes\n", c->max_message);
    tool_human_size(c->bytes, buf, sizeof buf);
    printf("Messages:    %zu (%zu bytes, %s)\n", c->messages, c->bytes, buf);
}

/* The counts of name's channel, when its segment is one that ls counts
 * (countable), into s; read before the listing, whose callback should
 * not re-enter the registry. */
static void info_chan_counts(xsipc_registry *reg, const char *name,
                             info_state *s)
{
    xsipc_registry_entry e;
    xsipc_status st;
    xsipc_channel *ch;

    if (xsipc_registry_stat(reg, name, XSIPC_KIND_SHM, &e, &st) < 0 ||
        !countable(&e))
        return;
    ch = xsipc_channel_new_in(reg, name);
    if (ch != NULL && xsipc_channel_open(ch) == 0 &&
        xsipc_channel_stat(ch, &s->chan) == 0)
        s->has_chan = 1;
    xsipc_channel_free(ch);
}

static int info_entry(const xsipc_registry_entry *e, void *arg)
{
    info_state *s = arg;
    char buf[64];
    int mode;

    if (e->path == NULL ||
        (strcmp(e->path, s->paths[0]) != 0 && strcmp(e->path, s->paths[1])))
        return 0;
    if (s->found++)
        putchar('\n');
    printf("Name:        %s\n",
           e->name != NULL ? tool_name(e->name) : "(no record)");
    printf("Kind:        %s\n",
           e->kind == XSIPC_KIND_SEM          ? "sem (semaphore set)"
           : (e->flags & XSIPC_ENTRY_CHANNEL) ? "chan (channel)"
                                              : "shm (segment)");
    printf("Key file:    %s\n", e->path);
    printf("Key:         0x%08x (proj %d)\n", (unsigned)e->key, e->proj);
    printf("Status:      %s%s%s%s\n",
           (unsigned)e->status < 4 ? status_names[e->status] : "?",
           (e->flags & XSIPC_ENTRY_PERSISTENT) ? ", persistent" : "",
           (e->flags & XSIPC_ENTRY_UNCLAIMED) ? ", unclaimed (Qt)" : "",
           (e->flags & XSIPC_ENTRY_COLLISION) ? ", collision" : "");
    if (e->problem != NULL)
        printf("Problem:     %s\n", e->problem);
    if (e->status == XSIPC_ENTRY_FOREIGN && e->name != NULL)
        printf("Note:        another user's entry, shown read-only: "
               "gc and rm leave it\n");
    owner_string(e->owner, buf, sizeof buf);
    printf("Owner:       %s (%lu)\n", buf, (unsigned long)e->owner);
    if (e->creator > 0)
        printf("Creator:     %ld\n", (long)e->creator);
    if (e->created > 0) {
        time_t when = (time_t)e->created;
        struct tm tm;
        if (localtime_r(&when, &tm) != NULL &&
            strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) > 0)
            printf("Created:     %s\n", buf);
    }
    if (e->id < 0) {
        printf("Object:      %s\n", e->status == XSIPC_ENTRY_FOREIGN
                                        ? "none that we may read"
                                        : "none");
        return 0;
    }
    printf("ID:          %d\n", e->id);
    if ((mode = object_mode(e->kind, e->id)) >= 0) {
        perms_string(mode, buf);
        printf("Perms:       %s (%04o)\n", buf, mode);
    }
    if (e->kind == XSIPC_KIND_SHM) {
        tool_human_size(e->size, buf, sizeof buf);
        printf("Size:        %zu bytes (%s)\n", e->size, buf);
        printf("Attached:    %lu\n", e->attached);
        if (s->has_chan && (e->flags & XSIPC_ENTRY_CHANNEL))
            info_chan(&s->chan);
    } else {
        printf("Semaphores:  %zu\n", e->size);
        printf("Open by:     %lu\n", e->attached);
        info_sem_values(e->id);
    }
    return 0;
}

static const tool_command info_cmd = {
    "info", "NAME", "Show the details of NAME's segment and semaphore set.",
    NULL,   0,      NULL};

int cmd_info(const tool *t, int argc, char **argv)
{
    char shm_path[4096], sem_path[4096];
    info_state s;
    xsipc_registry *reg;
    xsipc_status st;
    int c, rc = EXIT_OK;

    while ((c = tool_getopt(&info_cmd, argc, argv)) != -1)
        return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if (argc - optind != 1)
        return tool_usage_error("info: expected one NAME");
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    memset(&s, 0, sizeof s);
    s.paths[0] = s.paths[1] = "";
    if (xsipc_registry_key(reg, argv[optind], XSIPC_KIND_SHM, 0, NULL, shm_path,
                           sizeof shm_path, &st) == 0)
        s.paths[0] = shm_path;
    if (xsipc_registry_key(reg, argv[optind], XSIPC_KIND_SEM, 0, NULL, sem_path,
                           sizeof sem_path, &st) == 0)
        s.paths[1] = sem_path;
    /* As root (or a trusted uid's caller), another user's entries: shown
     * read-only when no entry of ours has the name. */
    if (!*s.paths[0] && !*s.paths[1]) {
        if (info_stranger(reg, argv[optind], XSIPC_KIND_SHM, shm_path,
                          sizeof shm_path))
            s.paths[0] = shm_path;
        if (info_stranger(reg, argv[optind], XSIPC_KIND_SEM, sem_path,
                          sizeof sem_path))
            s.paths[1] = sem_path;
    }
    if (*s.paths[0])
        info_chan_counts(reg, argv[optind], &s);
    if (!*s.paths[0] && !*s.paths[1]) {
        tool_name_error(argv[optind], st.code, st.text);
        rc = EXIT_FAIL;
    } else if (xsipc_registry_list(reg, info_entry, &s, &st) < 0) {
        tool_error("%s", tool_strip_op(st.text));
        rc = EXIT_FAIL;
    }
    xsipc_registry_close(reg);
    return rc;
}
