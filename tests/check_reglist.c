/* SPDX-License-Identifier: MIT */
/*
 * check_reglist.c -- the public registry calls: xsipc_registry_key, the
 * listing of key files with their objects, removal of a name, gc (never a
 * live, persistent or foreign object), and trusted uids.
 *
 * Stale objects are made for real: a child creates a segment and exits
 * without detaching, so the segment has no attach and its creator is gone.
 * Foreign objects and files belong to uid 65534, made as root (the tests
 * that need that say so and return early otherwise).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "registry/registry.h"
#include "testutil.h"

#define STRANGER_UID TU_STRANGER

/* ------------------------------------------------------------- helpers */

/* What a listing saw, by name (or by path for unnamed entries). */
#define SEEN_MAX 32
typedef struct seen {
    int n;
    struct {
        char name[64];
        char path[PATH_MAX];
        xsipc_registry_entry e;
        char problem[256];
    } at[SEEN_MAX];
} seen;

static int collect(const xsipc_registry_entry *e, void *arg)
{
    seen *s = arg;

    ck_assert_int_lt(s->n, SEEN_MAX);
    s->at[s->n].e = *e;
    snprintf(s->at[s->n].name, sizeof s->at[s->n].name, "%s",
             e->name != NULL ? e->name : "");
    snprintf(s->at[s->n].path, sizeof s->at[s->n].path, "%s", e->path);
    snprintf(s->at[s->n].problem, sizeof s->at[s->n].problem, "%s",
             e->problem != NULL ? e->problem : "");
    s->n++;
    return 0;
}

static void list(xsipc_registry *reg, seen *s)
{
    xsipc_status st;
    int rc;

    memset(s, 0, sizeof *s);
    rc = xsipc_registry_list(reg, collect, s, &st);
    ck_assert_msg(rc == s->n, "xsipc_registry_list: %d (%s)", rc, st.text);
}

/* The entry whose name (or path ending) is key and whose kind is kind. */
static const xsipc_registry_entry *entry(seen *s, const char *key,
                                         xsipc_kind kind)
{
    int i;

    for (i = 0; i < s->n; i++) {
        size_t pl = strlen(s->at[i].path), kl = strlen(key);
        if (s->at[i].e.kind != kind)
            continue;
        if (strcmp(s->at[i].name, key) == 0 ||
            (pl >= kl && strcmp(s->at[i].path + pl - kl, key) == 0)) {
            s->at[i].e.path = s->at[i].path;
            s->at[i].e.name = s->at[i].name[0] ? s->at[i].name : NULL;
            s->at[i].e.problem = s->at[i].problem[0] ? s->at[i].problem : NULL;
            return &s->at[i].e;
        }
    }
    ck_abort_msg("no entry for %s", key);
    return NULL;
}

/* What gc did, as "what:reason" lines. */
typedef struct done {
    int n;
    char text[4096];
} done;

static const char *const whats[] = {"segment", "semaphore", "key file",
                                    "claim",   "parked",    "temp"};

static void gc_collect(const xsipc_gc_item *item, void *arg)
{
    done *d = arg;
    size_t len = strlen(d->text);

    d->n++;
    snprintf(
        d->text + len, sizeof d->text - len, "%s %s (%s)\n", whats[item->what],
        item->path != NULL ? strrchr(item->path, '/') + 1 : "-", item->reason);
}

static int gc(xsipc_registry *reg, unsigned flags, done *d)
{
    xsipc_status st;
    int rc;

    memset(d, 0, sizeof *d);
    rc = xsipc_registry_gc(reg, flags, gc_collect, d, &st);
    ck_assert_msg(rc >= 0, "xsipc_registry_gc: %d %s", rc, st.text);
    ck_assert_int_eq(rc, d->n);
    return rc;
}

static xsipc_shm *made(xsipc_registry *reg, const char *name, size_t size)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);
    int rc;

    ck_assert_ptr_nonnull(shm);
    rc = xsipc_shm_create(shm, size, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "create %s: %d %s", name, rc,
                  xsipc_shm_error_string(shm));
    return shm;
}

/* A segment left by a crash: its creator exits attached (the kernel
 * detaches it) without removing it. */
static void crashed_creator(xsipc_registry *reg, const char *name)
{
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc_shm *shm = xsipc_shm_new_in(reg, name);
        _exit(xsipc_shm_create(shm, 128, XSIPC_READ_WRITE) == 0 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

static int dir_count(const char *dir)
{
    char cmd[PATH_MAX + 32];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void make_file(const char *path, mode_t mode)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);

    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    close(fd);
}

/* ------------------------------------------------------ key and paths */

START_TEST(test_reglist_key_gives_key_and_path)
{
    xsipc_status st;
    char path[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 80];
    key_t key = 0, again = 0;

    ck_assert(realpath(tu_dir(), real) != NULL);
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "share", XSIPC_KIND_SHM,
                                        1, &key, path, sizeof path, &st),
                     0);
    snprintf(want, sizeof want,
             "%s/qipc_sharedmemory_shareaab90dfe8c6f152a4fb071f5f4f9df804626e6"
             "ab",
             real);
    ck_assert_str_eq(path, want);
    ck_assert(key == ftok(path, 'Q'));
    /* NULL registry: the default one, $TMPDIR, the same file. */
    ck_assert_int_eq(xsipc_registry_key(NULL, "share", XSIPC_KIND_SHM, 0,
                                        &again, NULL, 0, &st),
                     0);
    ck_assert(again == key);
    ck_assert_int_eq(
        xsipc_registry_remove(NULL, "share", XSIPC_KIND_SHM, 0, &st), 0);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

START_TEST(test_reglist_key_errors)
{
    xsipc_status st;
    char small[16];
    int rc;

    /* Without create a missing name is NOT_FOUND, naming the file. */
    rc = xsipc_registry_key(tu_registry(), "nobody", XSIPC_KIND_SEM, 0, NULL,
                            NULL, 0, &st);
    ck_assert_int_eq(rc, -XSIPC_NOT_FOUND);
    ck_assert_msg(strstr(st.text, "qipc_systemsem_nobody") != NULL &&
                      strstr(st.text, "xsipc_registry_key: ") == st.text,
                  "message: %s", st.text);
    /* A path buffer too small: nothing is made. */
    rc = xsipc_registry_key(tu_registry(), "small", XSIPC_KIND_SHM, 1, NULL,
                            small, sizeof small, &st);
    ck_assert_int_eq(rc, -XSIPC_INVALID_ARGUMENT);
    ck_assert_msg(strstr(st.text, "needs") != NULL, "message: %s", st.text);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
    rc = xsipc_registry_key(tu_registry(), "k", (xsipc_kind)7, 1, NULL, NULL, 0,
                            &st);
    ck_assert_int_eq(rc, -XSIPC_INVALID_ARGUMENT);
    rc = xsipc_registry_key(tu_registry(), "", XSIPC_KIND_SHM, 1, NULL, NULL, 0,
                            NULL);
    ck_assert_int_eq(rc, -XSIPC_KEY_ERROR);
}
END_TEST

/* -------------------------------------------------------------- listing */

START_TEST(test_reglist_lists_objects_and_files)
{
    xsipc_registry *reg = tu_registry();
    xsipc_shm *shm = made(reg, "live", 100);
    xsipc_sem *sem = xsipc_sem_new_in(reg, "counter", 3, XSIPC_OPEN);
    const xsipc_registry_entry *e;
    xsipc_status st;
    char qt[256];
    seen s;

    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    /* A key file with no object, and an empty one as Qt makes them. */
    ck_assert_int_eq(xsipc_registry_key(reg, "orphan", XSIPC_KIND_SHM, 1, NULL,
                                        NULL, 0, &st),
                     0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC_KIND_SHM, "from qt", qt, sizeof qt, &st), 0);
    make_file(tu_path(qt), 0640);
    list(reg, &s);
    /* live: segment and its lock set; counter; orphan; from qt */
    ck_assert_int_eq(s.n, 5);

    e = entry(&s, "live", XSIPC_KIND_SHM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_LIVE);
    ck_assert_int_ge(e->id, 0);
    ck_assert_uint_eq(e->size, 100);
    ck_assert_uint_eq(e->attached, 1);
    ck_assert_int_eq(e->owner, geteuid());
    ck_assert_int_eq(e->creator, getpid());
    ck_assert_int_eq(e->proj, 'Q');
    ck_assert(e->key == ftok(e->path, 'Q'));
    ck_assert(e->created > 0 && e->created <= (long long)time(NULL));
    ck_assert_uint_eq(e->flags, 0);
    ck_assert_ptr_null(e->problem);

    e = entry(&s, "live", XSIPC_KIND_SEM); /* the segment's lock */
    ck_assert_int_eq(e->status, XSIPC_ENTRY_LIVE);
    ck_assert_uint_eq(e->size, 3);
    ck_assert_uint_eq(e->attached, 1);

    e = entry(&s, "counter", XSIPC_KIND_SEM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_LIVE);
    ck_assert_uint_eq(e->attached, 1);

    e = entry(&s, "orphan", XSIPC_KIND_SHM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_ORPHAN);
    ck_assert_int_eq(e->id, -1);

    e = entry(&s, qt, XSIPC_KIND_SHM);
    ck_assert_ptr_null(e->name);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_ORPHAN);
    ck_assert_uint_eq(e->flags, XSIPC_ENTRY_UNCLAIMED);

    xsipc_shm_free(shm);
    xsipc_sem_free(sem);
    ck_assert(unlink(tu_path(qt)) == 0);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "orphan", XSIPC_KIND_SHM, 0, &st), 0);
    list(reg, &s);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

static int stop_at_first(const xsipc_registry_entry *e, void *arg)
{
    (void)e;
    ++*(int *)arg;
    return 1;
}

START_TEST(test_reglist_callback_stops)
{
    xsipc_status st;
    int calls = 0, i, rc;
    char name[16];

    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "s%d", i);
        ck_assert_int_eq(xsipc_registry_key(tu_registry(), name, XSIPC_KIND_SEM,
                                            1, NULL, NULL, 0, &st),
                         0);
    }
    rc = xsipc_registry_list(tu_registry(), stop_at_first, &calls, &st);
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(calls, 1);
    /* Without a callback it only counts. */
    ck_assert_int_eq(xsipc_registry_list(tu_registry(), NULL, NULL, NULL), 3);
    ck_assert_int_eq(gc(tu_registry(), XSIPC_GC_NOW, &(done){0}), 3);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

START_TEST(test_reglist_foreign_entries)
{
    xsipc_status st;
    xsipc_registry *reg = tu_registry();
    char linkf[256], bad[256];
    const xsipc_registry_entry *e;
    seen s;
    int fd;

    /* A symbolic link where a key file would be, and a key file whose
     * record is garbage: listed as foreign, with the reason. */
    ck_assert_int_eq(xsipc__reg_file_name(XSIPC_KIND_SHM, "linked", linkf,
                                          sizeof linkf, &st),
                     0);
    ck_assert(symlink("/etc/passwd", tu_path(linkf)) == 0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC_KIND_SEM, "garbage", bad, sizeof bad, &st),
        0);
    fd = open(tu_path(bad), O_CREAT | O_EXCL | O_WRONLY, 0640);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd,
                           "\x7f"
                           "ELF\x02\x01",
                           6),
                     6);
    close(fd);
    list(reg, &s);
    ck_assert_int_eq(s.n, 2);
    e = entry(&s, linkf, XSIPC_KIND_SHM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_msg(strstr(e->problem, "symbolic link") != NULL, "problem: %s",
                  e->problem);
    e = entry(&s, bad, XSIPC_KIND_SEM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_msg(strstr(e->problem, "bad record") != NULL, "problem: %s",
                  e->problem);
    /* gc leaves both alone. */
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &(done){0}), 0);
    ck_assert(exists(tu_path(linkf)) && exists(tu_path(bad)));
    ck_assert(unlink(tu_path(linkf)) == 0);
    ck_assert(unlink(tu_path(bad)) == 0);
}
END_TEST

/* ------------------------------------------------------------------- gc */

START_TEST(test_reglist_gc_removes_stale_segment)
{
    xsipc_registry *reg = tu_registry();
    const xsipc_registry_entry *e;
    done d;
    seen s;
    int id;

    crashed_creator(reg, "crashed");
    list(reg, &s);
    e = entry(&s, "crashed", XSIPC_KIND_SHM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_STALE);
    ck_assert_uint_eq(e->attached, 0);
    id = e->id;
    /* The lock set of the crashed process: its USERS unit was undone. */
    e = entry(&s, "crashed", XSIPC_KIND_SEM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_STALE);

    /* A dry run says what, and removes nothing. */
    ck_assert_int_eq(gc(reg, XSIPC_GC_DRY_RUN, &d), 4);
    ck_assert_msg(strstr(d.text, "segment qipc_sharedmemory_crashed") != NULL,
                  "%s", d.text);
    ck_assert(shmctl(id, IPC_STAT, &(struct shmid_ds){0}) == 0);
    list(reg, &s);
    ck_assert_int_eq(s.n, 2);

    ck_assert_int_eq(gc(reg, 0, &d), 4);
    ck_assert_msg(strstr(d.text, "segment") != NULL &&
                      strstr(d.text, "semaphore") != NULL &&
                      strstr(d.text, "its object is gone") != NULL,
                  "%s", d.text);
    ck_assert(shmctl(id, IPC_STAT, &(struct shmid_ds){0}) < 0);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

START_TEST(test_reglist_gc_keeps_live_and_young)
{
    xsipc_registry *reg = tu_registry();
    xsipc_shm *shm = made(reg, "alive", 16);
    xsipc_status st;
    done d;
    seen s;
    int before;

    ck_assert_int_eq(
        xsipc_registry_key(reg, "young", XSIPC_KIND_SHM, 1, NULL, NULL, 0, &st),
        0);
    before = dir_count(tu_dir());
    /* young: an orphan within the grace period (a Qt program makes its key
     * file just before its segment). */
    ck_assert_int_eq(gc(reg, 0, &d), 0);
    ck_assert_int_eq(dir_count(tu_dir()), before);
    /* Without grace only the orphan goes. */
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &d), 1);
    ck_assert_msg(strstr(d.text, "key file qipc_sharedmemory_young") != NULL,
                  "%s", d.text);
    list(reg, &s);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(entry(&s, "alive", XSIPC_KIND_SHM)->status,
                     XSIPC_ENTRY_LIVE);
    xsipc_shm_free(shm);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* A persistent registry keeps its names and their stale objects' key
 * files; a persistent record keeps its segment. */
START_TEST(test_reglist_gc_keeps_persistent)
{
    xsipc_status st;
    xsipc_registry *reg;
    const xsipc_registry_entry *e;
    done d;
    seen s;

    reg = xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    crashed_creator(reg, "kept");
    ck_assert_int_eq(xsipc_registry_key(reg, "unused", XSIPC_KIND_SEM, 1, NULL,
                                        NULL, 0, &st),
                     0);
    list(reg, &s);
    e = entry(&s, "kept", XSIPC_KIND_SHM);
    /* Persistent: meant to outlive its creator, so live, not stale. */
    ck_assert_int_eq(e->status, XSIPC_ENTRY_LIVE);
    ck_assert_uint_eq(e->flags, XSIPC_ENTRY_PERSISTENT);
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &d), 0);
    /* The same files seen through a registry that is not persistent:
     * their records still protect them. */
    ck_assert_int_eq(gc(tu_registry(), XSIPC_GC_NOW, &d), 0);
    list(reg, &s);
    ck_assert_int_eq(s.n, 3);

    /* remove refuses the name while its segment exists, then takes both. */
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SHM, 0, &st),
                     -XSIPC_ALREADY_EXISTS);
    ck_assert_msg(strstr(st.text, "XSIPC_REMOVE_OBJECT") != NULL, "%s",
                  st.text);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_OBJECT, &st),
                     0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SEM,
                                           XSIPC_REMOVE_OBJECT, &st),
                     0);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "unused", XSIPC_KIND_SEM, 0, &st), 0);
    xsipc_registry_close(reg);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* A child makes name's segment (persistent when keep) and exits with it
 * attached; the key files of both its objects are then removed by hand,
 * as an older version's race or an admin could leave them: orphans. */
static void orphaned(xsipc_registry *reg, const char *name, int keep,
                     key_t *shm_key, key_t *sem_key)
{
    char path[PATH_MAX];
    xsipc_status st;
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc_shm *shm = xsipc_shm_new_in(reg, name);
        if (keep && xsipc_shm_set_persistent(shm, 1) != 0)
            _exit(2);
        _exit(xsipc_shm_create(shm, 128, XSIPC_READ_WRITE) == 0 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(xsipc_registry_key(reg, name, XSIPC_KIND_SHM, 0, shm_key,
                                        path, sizeof path, &st),
                     0);
    ck_assert(unlink(path) == 0);
    ck_assert_int_eq(xsipc_registry_key(reg, name, XSIPC_KIND_SEM, 1, sem_key,
                                        path, sizeof path, &st),
                     0);
    /* The exited child left its lock set (USERS undone to 0). */
    ck_assert_int_ge(semget(*sem_key, 0, 0), 0);
    ck_assert(unlink(path) == 0);
}

/* gc finds objects of its registry that no key file names: ours, unused,
 * not persistent; a persistent one stays. */
START_TEST(test_reglist_gc_removes_orphans)
{
    key_t shm_key, sem_key, kept_key, kept_sem;
    xsipc_shm *live = made(tu_registry(), "live", 64);
    done d;
    int kept;

    orphaned(tu_registry(), "lost", 0, &shm_key, &sem_key);
    orphaned(tu_registry(), "kept", 1, &kept_key, &kept_sem);
    /* A dry run reports and removes nothing. */
    gc(tu_registry(), XSIPC_GC_NOW | XSIPC_GC_DRY_RUN, &d);
    ck_assert_msg(strstr(d.text, "segment - (an orphan") != NULL, "%s", d.text);
    ck_assert_int_ge(shmget(shm_key, 0, 0), 0);
    gc(tu_registry(), XSIPC_GC_NOW, &d);
    ck_assert_msg(shmget(shm_key, 0, 0) < 0 && errno == ENOENT,
                  "the orphan segment is left: %s", d.text);
    ck_assert_msg(semget(sem_key, 0, 0) < 0 && errno == ENOENT,
                  "the orphan set is left: %s", d.text);
    ck_assert_msg(semget(kept_sem, 0, 0) < 0 && errno == ENOENT,
                  "the persistent segment's orphan lock set is left: %s",
                  d.text);
    kept = shmget(kept_key, 0, 0);
    ck_assert_msg(kept >= 0, "the persistent segment was taken: %s", d.text);
    /* The live name was not touched. */
    ck_assert_int_eq(xsipc_shm_lock(live), 0);
    ck_assert_int_eq(xsipc_shm_unlock(live), 0);
    xsipc_shm_free(live);
    ck_assert_int_eq(shmctl(kept, IPC_RMID, NULL), 0);
    gc(tu_registry(), XSIPC_GC_NOW, &d);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* A holder of a persistent segment dies mid-write: gc keeps the lock set
 * whose mark reports it, and the next lock still says the owner died. */
START_TEST(test_reglist_gc_keeps_owner_died)
{
    xsipc_status st;
    xsipc_shm *shm;
    done d;
    int status, rc;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        shm = xsipc_shm_new_in(tu_registry(), "torn");
        if (xsipc_shm_set_persistent(shm, 1) != 0 ||
            xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) != 0 ||
            xsipc_shm_lock(shm) != 0)
            _exit(1);
        memset(xsipc_shm_data(shm), 'x', 32); /* half of it */
        raise(SIGKILL);
        _exit(2);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    gc(tu_registry(), XSIPC_GC_NOW, &d);
    shm = xsipc_shm_new_in(tu_registry(), "torn");
    ck_assert_int_eq(xsipc_shm_attach(shm, XSIPC_READ_WRITE), 0);
    rc = xsipc_shm_lock(shm);
    ck_assert_msg(rc == XSIPC_OWNER_DIED, "lock: %d, gc said: %s", rc, d.text);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
    /* With the segment gone, the report has nothing left to guard. */
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "torn",
                                           XSIPC_KIND_SHM, XSIPC_REMOVE_OBJECT,
                                           &st),
                     0);
    gc(tu_registry(), XSIPC_GC_NOW, &d);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* Claims of gone key files, parked inodes of unclaimed keys and files a
 * crash left half made. */
START_TEST(test_reglist_gc_removes_leftovers)
{
    xsipc_status st;
    char path[PATH_MAX];
    key_t key;
    done d;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "gone", XSIPC_KIND_SHM,
                                        1, &key, path, sizeof path, &st),
                     0);
    ck_assert(unlink(path) == 0); /* as a Qt last detach does */
    make_file(tu_path(".park-51abcdef-0"), 0640);
    make_file(tu_path(".new-999999-1"), 0640);
    /* The claim, its inode's last link now, is stale by itself. */
    ck_assert_int_eq(gc(tu_registry(), XSIPC_GC_DRY_RUN, &d), 3);
    ck_assert_int_eq(dir_count(tu_dir()), 3);
    ck_assert_int_eq(gc(tu_registry(), 0, &d), 3);
    ck_assert_msg(strstr(d.text, "claim .claim-") != NULL &&
                      strstr(d.text, "parked .park-51abcdef-0") != NULL &&
                      strstr(d.text, "temp .new-999999-1") != NULL,
                  "%s", d.text);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* The squatter's objects: made by uid 65534 at our keys. */
static void squat(key_t shm_key, key_t sem_key)
{
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (setgid(STRANGER_UID) != 0 || setuid(STRANGER_UID) != 0)
            _exit(10);
        if (shmget(shm_key, 64, IPC_CREAT | IPC_EXCL | 0666) < 0)
            _exit(11);
        if (semget(sem_key, 3, IPC_CREAT | IPC_EXCL | 0666) < 0)
            _exit(12);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_reglist_gc_never_touches_foreign)
{
    xsipc_registry *reg = tu_registry();
    xsipc_status st;
    key_t k1, k2;
    seen s;
    const xsipc_registry_entry *e;

    tu_need_root();
    ck_assert_int_eq(
        xsipc_registry_key(reg, "sq", XSIPC_KIND_SHM, 1, &k1, NULL, 0, &st), 0);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "sq", XSIPC_KIND_SEM, 1, &k2, NULL, 0, &st), 0);
    squat(k1, k2);
    list(reg, &s);
    e = entry(&s, "sq", XSIPC_KIND_SHM);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_int_eq(e->owner, STRANGER_UID);
    ck_assert_msg(strstr(e->problem, "65534") != NULL, "%s", e->problem);
    ck_assert_int_eq(entry(&s, "sq", XSIPC_KIND_SEM)->status,
                     XSIPC_ENTRY_FOREIGN);
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &(done){0}), 0);
    ck_assert_int_ge(shmget(k1, 0, 0), 0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "sq", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_OBJECT, &st),
                     -XSIPC_UNTRUSTED);

    /* Trusted, the segment is no longer foreign: no one attaches it and
     * its creator is gone, so it is stale -- but gc removes only our own
     * objects. */
    ck_assert_int_eq(xsipc_registry_trust_uid(reg, STRANGER_UID), 0);
    list(reg, &s);
    ck_assert_int_eq(entry(&s, "sq", XSIPC_KIND_SHM)->status,
                     XSIPC_ENTRY_STALE);
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &(done){0}), 0);
    ck_assert_int_ge(shmget(k1, 0, 0), 0);
    /* Forced, root acts for the uid it trusts: its stale segment goes
     * (the squatter's one-semaphore set, a Qt-like lock, is never taken
     * for dead). */
    ck_assert_int_ge(gc(reg, XSIPC_GC_NOW | XSIPC_GC_FORCE, &(done){0}), 1);
    ck_assert_int_lt(shmget(k1, 0, 0), 0);

    ck_assert_int_eq(semctl(semget(k2, 0, 0), 0, IPC_RMID), 0);
    ck_assert_int_ge(xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st), 0);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* Another user's entries, as root lists them: the child, uid 65534, makes
 * (what) or removes (!what) a persistent segment "theirs" and a key file
 * "junk" whose record is garbage, in dir (a registry of its own, 01777). */
static int stranger_child(const char *dir, int what)
{
    xsipc_registry *reg;
    xsipc_status st;
    xsipc_shm *shm;
    char file[256];
    int fd, rc = 0;

    if (setgid(STRANGER_UID) != 0 || setuid(STRANGER_UID) != 0)
        return 10;
    if ((reg = xsipc_registry_open(dir, XSIPC_REGISTRY_PERSISTENT, &st)) ==
        NULL)
        return 11;
    if (xsipc__reg_file_name(XSIPC_KIND_SEM, "junk", file, sizeof file, &st) <
        0)
        rc = 12;
    else if (what) {
        char path[PATH_MAX];
        shm = xsipc_shm_new_in(reg, "theirs");
        if (shm == NULL || xsipc_shm_set_persistent(shm, 1) != 0 ||
            xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE) != 0)
            rc = 13;
        xsipc_shm_free(shm);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0 ||
            write(fd, "xsipc-record 9\n", 15) != 15)
            rc = 14;
        if (fd >= 0)
            close(fd);
        /* Readable to all: what a third user may see of it. */
        if (xsipc_registry_key(reg, "theirs", XSIPC_KIND_SHM, 0, NULL, path,
                               sizeof path, &st) != 0 ||
            chmod(path, 0644) != 0)
            rc = 17;
    } else {
        char path[PATH_MAX];
        if (xsipc_registry_remove(reg, "theirs", XSIPC_KIND_SHM,
                                  XSIPC_REMOVE_OBJECT, &st) != 0 ||
            xsipc_registry_remove(reg, "theirs", XSIPC_KIND_SEM,
                                  XSIPC_REMOVE_OBJECT, &st) != 0)
            rc = 15;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (unlink(path) != 0)
            rc = 16;
    }
    xsipc_registry_close(reg);
    return rc;
}

/* A third user (neither root nor the owner) lists dir: the segment's key
 * file, made readable to all by its owner, shows the name, not the 0600
 * segment.  0, or which check failed. */
static int third_user_lists(const char *dir)
{
    xsipc_registry_entry e;
    xsipc_registry *reg;
    xsipc_status st;
    int rc = 0;

    if (setgid(STRANGER_UID - 1) != 0 || setuid(STRANGER_UID - 1) != 0)
        return 20;
    if ((reg = xsipc_registry_open(dir, 0, &st)) == NULL)
        return 21;
    if (xsipc_registry_stat(reg, "theirs", XSIPC_KIND_SHM, &e, &st) != 0)
        rc = 22;
    else if (e.name == NULL || strcmp(e.name, "theirs") != 0)
        rc = 23;
    else if (e.status != XSIPC_ENTRY_FOREIGN || e.id != -1 || e.size != 0)
        rc = 24;
    else if (e.owner != STRANGER_UID ||
             strstr(e.problem, "uid 65534") == NULL ||
             strstr(e.problem, "Permission denied") == NULL)
        rc = 25;
    xsipc_registry_close(reg);
    return rc;
}

static void as_stranger(const char *dir, int what)
{
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(what == 2 ? third_user_lists(dir) : stranger_child(dir, what));
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child as uid %d: status %d", STRANGER_UID, status);
}

START_TEST(test_reglist_lists_strangers_entries)
{
    char dir[PATH_MAX], junk[256];
    const xsipc_registry_entry *e;
    xsipc_registry_entry one;
    xsipc_registry *reg;
    xsipc_status st;
    key_t key;
    seen s;
    int id;

    tu_need_root();
    snprintf(dir, sizeof dir, "%s/strangers", tu_shared_dir());
    ck_assert_int_eq(mkdir(dir, 01777), 0);
    ck_assert_int_eq(chmod(dir, 01777), 0);
    as_stranger(dir, 1);
    reg = xsipc_registry_open(dir, 0, &st);
    ck_assert_msg(reg != NULL, "%s", st.text);

    /* By its recorded name, with the object at its key, read-only. */
    list(reg, &s);
    ck_assert_int_eq(s.n, 3); /* its segment, its lock, the junk */
    e = entry(&s, "theirs", XSIPC_KIND_SHM);
    ck_assert_str_eq(e->name, "theirs");
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_msg(e->problem != NULL && strstr(e->problem, "uid 65534"),
                  "problem: %s", e->problem ? e->problem : "(none)");
    key = e->key;
    id = shmget(key, 0, 0);
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(e->id, id);
    ck_assert_uint_eq(e->size, 4096);
    ck_assert_uint_eq(e->attached, 0);
    ck_assert_int_eq(e->owner, STRANGER_UID);
    ck_assert_int_eq(e->mode & 0666, 0600); /* 0100: persistent */
    ck_assert_uint_ne(e->flags & XSIPC_ENTRY_PERSISTENT, 0);
    ck_assert_int_gt(e->creator, 0);
    /* Its lock, the semaphore set made with it. */
    e = entry(&s, "theirs", XSIPC_KIND_SEM);
    ck_assert_str_eq(e->name, "theirs");
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_int_eq(e->owner, STRANGER_UID);
    /* A record that does not parse: no name, and why. */
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC_KIND_SEM, "junk", junk, sizeof junk, &st),
        0);
    e = entry(&s, junk, XSIPC_KIND_SEM);
    ck_assert_ptr_eq(e->name, NULL);
    ck_assert_int_eq(e->status, XSIPC_ENTRY_FOREIGN);
    ck_assert_int_eq(e->id, -1);
    ck_assert_int_eq(e->owner, STRANGER_UID);
    ck_assert_msg(strstr(e->problem, "uid 65534") != NULL &&
                      strstr(e->problem, "bad record") != NULL,
                  "problem: %s", e->problem);

    /* The same by name, without a directory read. */
    ck_assert_int_eq(
        xsipc_registry_stat(reg, "theirs", XSIPC_KIND_SHM, &one, &st), 0);
    ck_assert_str_eq(one.name, "theirs");
    ck_assert_int_eq(one.status, XSIPC_ENTRY_FOREIGN);
    ck_assert_int_eq(one.id, id);

    /* Nothing is adopted, changed or removed. */
    ck_assert_int_eq(gc(reg, XSIPC_GC_NOW, &(done){0}), 0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "theirs", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_OBJECT, &st),
                     -XSIPC_UNTRUSTED);
    ck_assert_int_eq(xsipc_registry_remove(reg, "junk", XSIPC_KIND_SEM, 0, &st),
                     -XSIPC_UNTRUSTED);
    ck_assert_int_eq(shmget(key, 0, 0), id);
    list(reg, &s);
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(entry(&s, "theirs", XSIPC_KIND_SHM)->id, id);
    xsipc_registry_close(reg);

    /* Another user than root: the segment (0600) cannot be read. */
    as_stranger(dir, 2);
    as_stranger(dir, 0);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing left in it */
}
END_TEST

/* -------------------------------------------------------------- remove */

START_TEST(test_reglist_remove)
{
    xsipc_registry *reg = tu_registry();
    xsipc_shm *shm = made(reg, "busy", 16);
    xsipc_status st;
    int rc;

    rc = xsipc_registry_remove(reg, "busy", XSIPC_KIND_SHM, 0, &st);
    ck_assert_int_eq(rc, -XSIPC_ALREADY_EXISTS);
    rc = xsipc_registry_remove(reg, "busy", XSIPC_KIND_SHM, XSIPC_REMOVE_OBJECT,
                               &st);
    ck_assert_int_eq(rc, -XSIPC_ALREADY_EXISTS);
    ck_assert_msg(strstr(st.text, "in use") != NULL, "%s", st.text);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 1);
    xsipc_shm_free(shm);

    rc = xsipc_registry_remove(reg, "busy", XSIPC_KIND_SHM, 0, &st);
    ck_assert_int_eq(rc, -XSIPC_NOT_FOUND);
    ck_assert_msg(
        strstr(st.text, "xsipc_registry_remove: no such key file: ") == st.text,
        "%s", st.text);
    rc = xsipc_registry_remove(reg, "busy", XSIPC_KIND_SHM, 0x8, &st);
    ck_assert_int_eq(rc, -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(dir_count(tu_dir()), 0);
}
END_TEST

/* ---------------------------------------------------------------- trust */

START_TEST(test_reglist_trust_uid_limits)
{
    xsipc_registry *reg = tu_registry();
    uid_t u;

    ck_assert_int_eq(xsipc_registry_trust_uid(reg, (uid_t)-1),
                     -XSIPC_INVALID_ARGUMENT);
    for (u = 1000; u < 1016; u++)
        ck_assert_int_eq(xsipc_registry_trust_uid(reg, u), 0);
    ck_assert_int_eq(xsipc_registry_trust_uid(reg, 1000), 0); /* again */
    ck_assert_int_eq(xsipc_registry_trust_uid(reg, 2000),
                     -XSIPC_OUT_OF_RESOURCES);
    ck_assert(xsipc__reg_trusted(reg, 1015));
    ck_assert(!xsipc__reg_trusted(reg, 2000));
    ck_assert(xsipc__reg_trusted(reg, geteuid()));
    ck_assert(xsipc__reg_trusted(reg, 0));
}
END_TEST

/* A key file of a trusted uid is used; an untrusted one is refused,
 * naming the file and the uid. */
START_TEST(test_reglist_trusted_key_file)
{
    xsipc_status st;
    xsipc_registry *reg;
    char file[256];
    key_t key;
    int rc;

    tu_need_root();
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC_KIND_SHM, "theirs", file, sizeof file, &st),
        0);
    make_file(tu_path(file), 0640);
    ck_assert(chown(tu_path(file), STRANGER_UID, STRANGER_UID) == 0);
    reg = xsipc_registry_open(tu_dir(), 0, &st);
    ck_assert_ptr_nonnull(reg);
    rc = xsipc_registry_key(reg, "theirs", XSIPC_KIND_SHM, 0, &key, NULL, 0,
                            &st);
    ck_assert_int_eq(rc, -XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, file) != NULL &&
                      strstr(st.text, "uid 65534") != NULL,
                  "%s", st.text);
    ck_assert_int_eq(xsipc_registry_trust_uid(reg, STRANGER_UID), 0);
    rc = xsipc_registry_key(reg, "theirs", XSIPC_KIND_SHM, 0, &key, NULL, 0,
                            &st);
    ck_assert_msg(rc == 0, "%d %s", rc, st.text);
    ck_assert(key == ftok(tu_path(file), 'Q'));
    xsipc_registry_close(reg);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

/* A directory owned by another uid opens once that uid is trusted for the
 * process (in a child: the trust lasts as long as the process). */
START_TEST(test_reglist_trusted_directory)
{
    const char *sub = tu_path("theirs");
    int status;
    pid_t pid;

    tu_need_root();
    ck_assert(mkdir(sub, 0755) == 0);
    ck_assert(chown(sub, STRANGER_UID, STRANGER_UID) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc_status st;
        xsipc_registry *reg = xsipc_registry_open(sub, 0, &st);
        if (reg != NULL || st.code != XSIPC_UNTRUSTED ||
            strstr(st.text, "uid 65534") == NULL)
            _exit(1);
        if (xsipc_registry_trust_uid(NULL, STRANGER_UID) != 0)
            _exit(2);
        reg = xsipc_registry_open(sub, 0, &st);
        if (reg == NULL)
            _exit(3);
        xsipc_registry_close(reg);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status 0x%x", status);
    ck_assert(rmdir(sub) == 0);
}
END_TEST

/* --------------------------------------------------------------- suite */

Suite *reglist_suite(void)
{
    Suite *s = suite_create("reglist");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_reglist_key_gives_key_and_path);
    tcase_add_test(core, test_reglist_lists_objects_and_files);
    tcase_add_test(core, test_reglist_callback_stops);
    tcase_add_test(core, test_reglist_gc_removes_stale_segment);
    tcase_add_test(core, test_reglist_gc_keeps_live_and_young);
    tcase_add_test(core, test_reglist_gc_keeps_persistent);
    tcase_add_test(core, test_reglist_gc_removes_leftovers);
    tcase_add_test(core, test_reglist_gc_removes_orphans);
    tcase_add_test(core, test_reglist_gc_keeps_owner_died);
    tcase_add_test(core, test_reglist_remove);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, test_reglist_key_errors);
    tcase_add_test(errors, test_reglist_foreign_entries);
    tcase_add_test(errors, test_reglist_gc_never_touches_foreign);
    tcase_add_test(errors, test_reglist_lists_strangers_entries);
    tcase_add_test(errors, test_reglist_trust_uid_limits);
    tcase_add_test(errors, test_reglist_trusted_key_file);
    tcase_add_test(errors, test_reglist_trusted_directory);
    suite_add_tcase(s, errors);
    return s;
}
