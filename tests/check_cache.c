/* SPDX-License-Identifier: MIT */
/*
 * check_cache.c -- what the library keeps between calls to save system
 * calls (issue 12), and what makes it let go: the registry lock's kept
 * descriptor (threads and forked children still exclude each other), the
 * default registry opened once per process (a changed $TMPDIR, a
 * directory made again, a chmod, a descriptor closed behind the library's
 * back, each give a fresh open), the key files a handle resolved, and the
 * process's table of them for new handles (a file changed or made again is
 * looked up afresh), and the lock set a handle
 * keeps joined from create to free (an attach cycle on a kept handle
 * makes one fstatat and no flock).
 *
 * The program is linked with --wrap for the calls counted here
 * (tests/local.mk; check_sysv counts the System V calls through the
 * lib/sysv seam).  Counts are exact: a test asserts the calls of one
 * operation, not a time.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "private.h"
#include "registry/internal.h"
#include "testutil.h"

/* ------------------------------------------------- system call counts */

enum { C_OPENAT, C_CLOSE, C_FLOCK, C_GETPID, C_STAT, C_FSTAT, C_FSTATAT, C_N };

static const char *const c_name[C_N] = {"openat", "close", "flock",  "getpid",
                                        "stat",   "fstat", "fstatat"};
static unsigned long calls[C_N];
static int counting;

static void count(int c)
{
    if (counting)
        calls[c]++;
}

static void count_start(void)
{
    memset(calls, 0, sizeof calls);
    counting = 1;
}

static void count_stop(void)
{
    counting = 0;
}

int __real_openat(int fd, const char *path, int flags, ...);
int __real_close(int fd);
int __real_flock(int fd, int op);
pid_t __real_getpid(void);
int __real_stat(const char *path, struct stat *sb);
int __real_fstat(int fd, struct stat *sb);
int __real_fstatat(int fd, const char *path, struct stat *sb, int flags);

int __wrap_openat(int fd, const char *path, int flags, ...);
int __wrap___openat_2(int fd, const char *path, int flags);
int __wrap_close(int fd);
int __wrap_flock(int fd, int op);
pid_t __wrap_getpid(void);
int __wrap_stat(const char *path, struct stat *sb);
int __wrap_fstat(int fd, struct stat *sb);
int __wrap_fstatat(int fd, const char *path, struct stat *sb, int flags);

int __wrap_openat(int fd, const char *path, int flags, ...)
{
    mode_t mode = 0;

    if ((flags & O_CREAT) != 0) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    count(C_OPENAT);
    return __real_openat(fd, path, flags, mode);
}

/* _FORTIFY_SOURCE turns an openat without a mode into __openat_2. */
int __wrap___openat_2(int fd, const char *path, int flags)
{
    return __wrap_openat(fd, path, flags);
}

int __wrap_close(int fd)
{
    count(C_CLOSE);
    return __real_close(fd);
}

int __wrap_flock(int fd, int op)
{
    count(C_FLOCK);
    return __real_flock(fd, op);
}

pid_t __wrap_getpid(void)
{
    count(C_GETPID);
    return __real_getpid();
}

int __wrap_stat(const char *path, struct stat *sb)
{
    count(C_STAT);
    return __real_stat(path, sb);
}

int __wrap_fstat(int fd, struct stat *sb)
{
    count(C_FSTAT);
    return __real_fstat(fd, sb);
}

int __wrap_fstatat(int fd, const char *path, struct stat *sb, int flags)
{
    count(C_FSTATAT);
    return __real_fstatat(fd, path, sb, flags);
}

/* Asserts calls[c] == want for every c listed in want (-1: not checked). */
static void calls_are(const long want[C_N], const char *what)
{
    int i;

    for (i = 0; i < C_N; i++)
        ck_assert_msg(want[i] < 0 || calls[i] == (unsigned long)want[i],
                      "%s: %lu calls of %s, not %ld", what, calls[i], c_name[i],
                      want[i]);
}

/* ------------------------------------------------------------ helpers */

/* Whether the registry directory's lock can be had now by a description
 * of another than the library's (LOCK_NB). */
static int lock_free_now(void)
{
    int fd = open(tu_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), ok;

    ck_assert_int_ge(fd, 0);
    ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (ok)
        (void)flock(fd, LOCK_UN);
    close(fd);
    return ok;
}

/* ------------------------------------------------- the registry lock */

/* Locking again and again opens nothing: the registry's own descriptor
 * is flocked, and an explicit LOCK_UN lets go; the pid check is the one
 * other call. */
START_TEST(test_cache_lock_keeps_its_descriptor)
{
    static const long want[C_N] = {
        [C_OPENAT] = 0, [C_CLOSE] = 0, [C_FLOCK] = 20,  [C_GETPID] = 10,
        [C_STAT] = 0,   [C_FSTAT] = 0, [C_FSTATAT] = 0,
    };
    xsipc_registry *reg = tu_registry();
    xsipc_status st;
    int i, fd;

    count_start();
    for (i = 0; i < 10; i++) {
        fd = xsipc__reg_lock(reg, &st);
        ck_assert_msg(fd >= 0, "lock: %s", st.text);
        count_stop(); /* the test's own calls are not counted */
        ck_assert(!lock_free_now());
        counting = 1;
        xsipc__reg_unlock(fd);
    }
    count_stop();
    calls_are(want, "10 locks");
    ck_assert(lock_free_now());
}
END_TEST

/* Two threads of one process exclude each other: the second finds the
 * kept descriptor in use and flocks one of its own, which waits. */
struct locker {
    xsipc_registry *reg;
    int fd;         /* what xsipc__reg_lock returned */
    int got;        /* set once the lock is held */
    int release[2]; /* a byte here: unlock */
};

static void *lock_thread(void *arg)
{
    struct locker *l = arg;
    char c;

    l->fd = xsipc__reg_lock(l->reg, NULL);
    __atomic_store_n(&l->got, 1, __ATOMIC_SEQ_CST);
    if (l->fd >= 0 && read(l->release[0], &c, 1) == 1)
        xsipc__reg_unlock(l->fd);
    return NULL;
}

START_TEST(test_cache_lock_threads_exclude)
{
    xsipc_registry *reg = tu_registry();
    struct locker a = {reg, -1, 0, {-1, -1}}, b = {reg, -1, 0, {-1, -1}};
    pthread_t ta, tb;
    int i;

    ck_assert_int_eq(pipe(a.release), 0);
    ck_assert_int_eq(pipe(b.release), 0);
    ck_assert_int_eq(pthread_create(&ta, NULL, lock_thread, &a), 0);
    for (i = 0; i < 5000 && !__atomic_load_n(&a.got, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    ck_assert_int_ge(a.fd, 0);
    ck_assert_int_eq(a.fd, reg->dirfd); /* the kept one */
    ck_assert_int_eq(pthread_create(&tb, NULL, lock_thread, &b), 0);
    usleep(200000);
    ck_assert_msg(!__atomic_load_n(&b.got, __ATOMIC_SEQ_CST),
                  "a second thread took the registry lock while the first "
                  "held it");
    ck_assert_int_eq(write(a.release[1], "u", 1), 1);
    ck_assert_int_eq(pthread_join(ta, NULL), 0);
    for (i = 0; i < 5000 && !__atomic_load_n(&b.got, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    ck_assert_int_ge(b.fd, 0);
    ck_assert_int_ne(b.fd, reg->dirfd); /* a description of its own */
    ck_assert_int_eq(write(b.release[1], "u", 1), 1);
    ck_assert_int_eq(pthread_join(tb, NULL), 0);
    ck_assert(lock_free_now());
    /* Both gone: the kept descriptor serves again. */
    i = xsipc__reg_lock(reg, NULL);
    ck_assert_int_eq(i, reg->dirfd);
    xsipc__reg_unlock(i);
    close(a.release[0]);
    close(a.release[1]);
    close(b.release[0]);
    close(b.release[1]);
}
END_TEST

/*
 * A child forked while the parent holds the lock through the kept
 * descriptor shares that description: flocking it would "hold" the
 * parent's lock.  The child must see that it is another process, open a
 * description of its own (once), and wait for the parent; and the parent,
 * once the child holds the lock, must wait for the child.
 */
START_TEST(test_cache_lock_forked_child_excludes_parent)
{
    xsipc_registry *reg = tu_registry();
    int fd, up[2], down[2], c;
    pid_t pid;

    ck_assert_int_eq(pipe(up), 0);
    ck_assert_int_eq(pipe(down), 0);
    fd = xsipc__reg_lock(reg, NULL);
    ck_assert_int_eq(fd, reg->dirfd);
    if ((pid = fork()) == 0) {
        int cfd, again;
        cfd = xsipc__reg_lock(reg, NULL); /* waits for the parent */
        if (cfd < 0 || cfd == reg->dirfd)
            _exit(2);
        if (write(up[1], "L", 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(3);
        xsipc__reg_unlock(cfd);
        /* The child's own description is kept in turn. */
        again = xsipc__reg_lock(reg, NULL);
        if (again != cfd)
            _exit(4);
        xsipc__reg_unlock(again);
        _exit(0);
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_msg(tu_byte_within(up[0], 300) < 0,
                  "the child took the lock the parent holds");
    xsipc__reg_unlock(fd);
    ck_assert_int_eq(tu_byte_within(up[0], 10000), 'L');
    /* The child holds it now: the parent's kept descriptor must wait. */
    ck_assert(!lock_free_now());
    ck_assert_int_eq(flock(reg->dirfd, LOCK_EX | LOCK_NB), -1);
    ck_assert_int_eq(write(down[1], "u", 1), 1);
    ck_assert_int_eq(tu_status_of(pid), 0);
    fd = xsipc__reg_lock(reg, NULL);
    ck_assert_int_eq(fd, reg->dirfd);
    xsipc__reg_unlock(fd);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}
END_TEST

/* ----------------------------------------------- the default registry */

/* Points TMPDIR at tu_path(sub), made here with mode 0700. */
static const char *tmpdir_in(const char *sub)
{
    const char *dir = tu_path(sub);

    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(setenv("TMPDIR", dir, 1), 0);
    return dir;
}

static void tmpdir_back(void)
{
    ck_assert_int_eq(setenv("TMPDIR", tu_dir(), 1), 0);
}

static ino_t ino_of(const char *path)
{
    struct stat sb;

    ck_assert_int_eq(stat(path, &sb), 0);
    return sb.st_ino;
}

/* Handles made without a registry share the one opened for the first: a
 * new handle checks it with a stat (two when $TMPDIR is not spelled as its
 * real path) and an fstat, and opens nothing. */
START_TEST(test_cache_default_registry_shared)
{
    xsipc_shm *a, *b;
    char *real;

    tmpdir_in("sub");
    a = xsipc_shm_new("a");
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(a->reg != NULL, "%s", xsipc_shm_error_string(a));
    count_start();
    b = xsipc_shm_new("b");
    count_stop();
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(a->reg, b->reg);
    ck_assert_uint_eq(calls[C_OPENAT], 0);
    ck_assert_uint_eq(calls[C_CLOSE], 0);
    ck_assert_uint_eq(calls[C_FSTAT], 1);
    real = realpath(tu_path("sub"), NULL);
    ck_assert_ptr_nonnull(real);
    ck_assert_uint_eq(calls[C_STAT], strcmp(real, tu_path("sub")) == 0 ? 1 : 2);
    free(real);
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    tmpdir_back();
    ck_assert_int_eq(rmdir(tu_path("sub")), 0);
}
END_TEST

/* The cache follows $TMPDIR, as Qt reads it at each setKey. */
START_TEST(test_cache_default_follows_tmpdir)
{
    xsipc_shm *a, *b;
    char *ra, *rb;

    tmpdir_in("one");
    a = xsipc_shm_new("x");
    tmpdir_in("two");
    b = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a->reg, b->reg);
    ra = realpath(tu_path("one"), NULL);
    rb = realpath(tu_path("two"), NULL);
    ck_assert_str_eq(xsipc__reg_dir(a->reg), ra);
    ck_assert_str_eq(xsipc__reg_dir(b->reg), rb);
    ck_assert_int_eq(strncmp(xsipc_shm_native_key(b), rb, strlen(rb)), 0);
    free(ra);
    free(rb);
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    tmpdir_back();
    ck_assert_int_eq(rmdir(tu_path("one")), 0);
    ck_assert_int_eq(rmdir(tu_path("two")), 0);
}
END_TEST

/* A directory removed and made again at $TMPDIR is another directory:
 * the handle gets the new one (the cached registry's descriptor keeps the
 * old inode alive, so the new one cannot reuse its number). */
START_TEST(test_cache_default_dir_made_again)
{
    xsipc_shm *a, *b;

    tmpdir_in("sub");
    a = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->reg->dir_ino, ino_of(tu_path("sub")));
    xsipc_shm_free(a);
    ck_assert_int_eq(rmdir(tu_path("sub")), 0);
    ck_assert_int_eq(mkdir(tu_path("sub"), 0700), 0);
    b = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(b->reg != NULL, "%s", xsipc_shm_error_string(b));
    ck_assert_uint_eq(b->reg->dir_ino, ino_of(tu_path("sub")));
    xsipc_shm_free(b);
    tmpdir_back();
    ck_assert_int_eq(rmdir(tu_path("sub")), 0);
}
END_TEST

/* A chmod after the directory was approved is seen: a directory others
 * may now write without the sticky bit is refused, as a fresh open
 * refuses it. */
START_TEST(test_cache_default_dir_chmod_seen)
{
    xsipc_shm *a, *b;

    tmpdir_in("sub");
    a = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(a->reg);
    xsipc_shm_free(a);
    ck_assert_int_eq(chmod(tu_path("sub"), 0777), 0);
    b = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(b->reg);
    ck_assert_int_eq(xsipc_shm_error(b), XSIPC_UNTRUSTED);
    xsipc_shm_free(b);
    tmpdir_back();
    ck_assert_int_eq(rmdir(tu_path("sub")), 0);
}
END_TEST

/* A program that closes the cached registry's descriptor behind the
 * library's back, and gets the number for another directory, does not
 * make the library look up key files there. */
START_TEST(test_cache_default_descriptor_reused)
{
    xsipc_shm *a, *b;
    int fd, decoy;

    tmpdir_in("sub");
    ck_assert_int_eq(mkdir(tu_path("decoy"), 0700), 0);
    a = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(a->reg);
    fd = a->reg->dirfd;
    xsipc_shm_free(a);
    decoy = open(tu_path("decoy"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(decoy, 0);
    ck_assert_int_eq(dup2(decoy, fd), fd);
    close(decoy);
    b = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(b->reg);
    ck_assert_int_ne(b->reg->dirfd, fd);
    ck_assert_uint_eq(b->reg->dir_ino, ino_of(tu_path("sub")));
    /* The stale registry was dropped from the cache and closed: with it
     * went the number the program had taken over (nothing else can be
     * done about a descriptor closed behind one's back). */
    xsipc_shm_free(b);
    tmpdir_back();
    ck_assert_int_eq(rmdir(tu_path("sub")), 0);
    ck_assert_int_eq(rmdir(tu_path("decoy")), 0);
}
END_TEST

/* xsipc_registry_open(NULL) hands out a registry of the caller's own:
 * what the caller does to it (trusting a uid) is not shared with the
 * handles of the process. */
START_TEST(test_cache_public_default_not_shared)
{
    /* Another uid than ours: run as nobody, TU_STRANGER is ourselves. */
    uid_t other = geteuid() == TU_STRANGER ? TU_STRANGER - 1 : TU_STRANGER;
    xsipc_registry *mine;
    xsipc_status st;
    xsipc_shm *a;

    a = xsipc_shm_new("x");
    ck_assert_ptr_nonnull(a);
    mine = xsipc_registry_open(NULL, 0, &st);
    ck_assert_msg(mine != NULL, "open: %s", st.text);
    ck_assert_ptr_ne(mine, a->reg);
    ck_assert_int_eq(xsipc_registry_trust_uid(mine, other), 0);
    ck_assert(xsipc__reg_trusted(mine, other));
    ck_assert(!xsipc__reg_trusted(a->reg, other));
    xsipc_registry_close(mine);
    xsipc_shm_free(a);
}
END_TEST

/* ------------------------------------------------- resolved key files */

/* A segment of name made by xsipc, holding text. */
static xsipc_shm *made(const char *name, const char *text)
{
    xsipc_shm *shm = xsipc_shm_new(name);

    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0,
                  "create: %s", xsipc_shm_error_string(shm));
    strcpy(xsipc_shm_data(shm), text);
    return shm;
}

static void attach_reads(xsipc_shm *shm, const char *text)
{
    ck_assert_msg(xsipc_shm_attach(shm, XSIPC_READ_ONLY) == 0, "attach: %s",
                  xsipc_shm_error_string(shm));
    ck_assert_str_eq(xsipc_shm_const_data(shm), text);
}

/* The key file of name (kind), as a path. */
static const char *key_file(xsipc_kind kind, const char *name)
{
    char file[256];
    xsipc_status st;

    ck_assert_int_eq(xsipc__reg_file_name(kind, name, file, sizeof file, &st),
                     0);
    return tu_path(file);
}

/* A handle attaching again does not look its key file up again: no open,
 * and the checks it makes under the lock anyway are what shows the file
 * unchanged. */
START_TEST(test_cache_key_file_looked_up_once)
{
    xsipc_shm *p = made("once", "one"), *h = xsipc_shm_new("once");

    attach_reads(h, "one");
    ck_assert_int_eq(xsipc_shm_detach(h), 0);
    ck_assert(h->key.cached);
    count_start();
    attach_reads(h, "one");
    count_stop();
    ck_assert_uint_eq(calls[C_OPENAT], 0);
    ck_assert_uint_eq(calls[C_CLOSE], 0);
    ck_assert_uint_eq(calls[C_FLOCK], 0);
    ck_assert_int_eq(xsipc_shm_detach(h), 0);
    /* A change to the file (a chmod) is a full lookup, which accepts it. */
    ck_assert_int_eq(chmod(key_file(XSIPC_KIND_SHM, "once"), 0600), 0);
    count_start();
    attach_reads(h, "one");
    count_stop();
    ck_assert_uint_eq(calls[C_OPENAT], 1);
    xsipc_shm_free(h);
    xsipc_shm_free(p);
}
END_TEST

/*
 * The cache never hands out a key the key file no longer has: the
 * segment's key file goes with its last user, and Qt makes it again (an
 * empty file, O_CREAT|O_EXCL, mode 0640, and a segment at its ftok key).
 * The old inode is held open meanwhile, so the new file cannot get its
 * number back: the key is another one, and the handle must find it.
 */
START_TEST(test_cache_key_file_made_again_by_qt)
{
    xsipc_shm *p = made("again", "one"), *h = xsipc_shm_new("again");
    const char *path = key_file(XSIPC_KIND_SHM, "again");
    struct stat sb;
    key_t old, key;
    int pin, fd, id;
    void *addr;

    attach_reads(h, "one");
    ck_assert_int_eq(xsipc_shm_detach(h), 0);
    ck_assert(h->key.cached);
    old = h->key.key;
    pin = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(pin, 0);
    xsipc_shm_free(p); /* the last user: segment and key file go */
    ck_assert_int_eq(access(path, F_OK), -1);
    /* Qt's create. */
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    key = xsipc__reg_ftok(&sb, 'Q');
    ck_assert_int_ne(key, old);
    id = shmget(key, 64, 0600 | IPC_CREAT | IPC_EXCL);
    ck_assert_int_ge(id, 0);
    addr = shmat(id, NULL, 0);
    ck_assert_ptr_ne(addr, (void *)-1);
    strcpy(addr, "two");
    attach_reads(h, "two");
    ck_assert_int_eq(h->key.key, key);
    ck_assert_int_eq(h->shmid, id);
    xsipc_shm_free(h); /* not the last user: Qt's program still is */
    ck_assert_int_eq(shmdt(addr), 0);
    ck_assert_int_eq(shmctl(id, IPC_RMID, NULL), 0);
    ck_assert_int_eq(unlink(path), 0);
    close(pin);
}
END_TEST

/* ------------------------------------------------- the lock set kept */

/* A kept handle's attach+lock+unlock+detach: the file system sees one
 * fstatat (the segment's key file, checked under the lock) and nothing
 * else -- no open, no flock, no lookup of the lock's key file. */
START_TEST(test_cache_attach_cycle_kept_handle_calls)
{
    static const long want[C_N] = {
        [C_OPENAT] = 0, [C_CLOSE] = 0, [C_FLOCK] = 0,   [C_GETPID] = 0,
        [C_STAT] = 0,   [C_FSTAT] = 0, [C_FSTATAT] = 1,
    };
    xsipc_shm *p = made("kept", "one"), *h = xsipc_shm_new("kept");
    int round;

    for (round = 0; round < 3; round++) {
        if (round > 0)
            count_start();
        attach_reads(h, "one");
        ck_assert_int_eq(xsipc_shm_lock(h), 0);
        ck_assert_int_eq(xsipc_shm_unlock(h), 0);
        ck_assert_int_eq(xsipc_shm_detach(h), 0);
        count_stop();
        if (round > 0)
            calls_are(want, "attach cycle on a kept handle");
    }
    xsipc_shm_free(h);
    xsipc_shm_free(p);
}
END_TEST

/* A new handle's attach of a known name whose lock set exists takes no
 * registry lock (DESIGN.md section 5: only making or removing a set or a
 * key file needs it), and neither does its free. */
START_TEST(test_cache_attach_known_name_no_flock)
{
    xsipc_shm *p = made("known", "one"), *h;
    int round;

    for (round = 0; round < 3; round++) {
        count_start();
        h = xsipc_shm_new("known");
        attach_reads(h, "one");
        ck_assert_int_eq(xsipc_shm_lock(h), 0);
        ck_assert_int_eq(xsipc_shm_unlock(h), 0);
        ck_assert_int_eq(xsipc_shm_detach(h), 0);
        xsipc_shm_free(h);
        count_stop();
        ck_assert_msg(calls[C_FLOCK] == 0, "round %d: %lu flocks", round,
                      calls[C_FLOCK]);
    }
    xsipc_shm_free(p);
}
END_TEST

/*
 * The registry lock is taken only to make or remove something, and a
 * create takes it once: the segment's key file and the segment are made in
 * one hold -- with, for a new handle, the lock's key file and set, made
 * locked in that same hold; the last detach removes the segment's key file
 * in one, and the last free the lock's set and key file in one.  From the
 * second removal of the name's files on, the process keeps them idle
 * (registry/linger.c): the last detach takes no lock at all, and the last
 * free one hold, for the set.  (flock is called twice per hold: LOCK_EX,
 * LOCK_UN.)
 */
START_TEST(test_cache_create_cycle_lock_holds)
{
    xsipc_shm *h = xsipc_shm_new("holds");
    int round;

    for (round = 0; round < 3; round++) {
        count_start();
        ck_assert_msg(xsipc_shm_create(h, 64, XSIPC_READ_WRITE) == 0,
                      "create: %s", xsipc_shm_error_string(h));
        ck_assert_int_eq(xsipc_shm_detach(h), 0);
        count_stop();
        ck_assert_msg(calls[C_FLOCK] == (round == 0 ? 4u : 2u),
                      "round %d: %lu flocks", round, calls[C_FLOCK]);
    }
    xsipc_shm_free(h);
    for (round = 0; round < 3; round++) {
        count_start();
        h = xsipc_shm_new("holds");
        ck_assert_msg(xsipc_shm_create(h, 64, XSIPC_READ_WRITE) == 0,
                      "create: %s", xsipc_shm_error_string(h));
        xsipc_shm_free(h);
        count_stop();
        ck_assert_msg(calls[C_FLOCK] == 4, "new handle, round %d: %lu flocks",
                      round, calls[C_FLOCK]);
    }
}
END_TEST

/* A new handle of a name another handle of the registry looked up starts
 * from that lookup (the process's table): no open of the key file, and
 * the check under the lock is what shows it still right. */
START_TEST(test_cache_new_handle_starts_from_lookup)
{
    xsipc_shm *p = made("table", "one"), *h;

    h = xsipc_shm_new("table");
    attach_reads(h, "one");
    xsipc_shm_free(h);
    count_start();
    h = xsipc_shm_new("table");
    attach_reads(h, "one");
    count_stop();
    ck_assert_uint_eq(calls[C_OPENAT], 0);
    xsipc_shm_free(h);
    xsipc_shm_free(p);
}
END_TEST

/* The table never hands a new handle a key the file no longer has: the
 * key file removed behind the library's back (by another process) and
 * made again by Qt as another inode, the new handle finds Qt's segment;
 * removed and not made again, the attach finds nothing (and does not go
 * round in circles on the old entry). */
START_TEST(test_cache_new_handle_key_file_made_again)
{
    xsipc_shm *p = made("table2", "one"), *h;
    const char *path = key_file(XSIPC_KIND_SHM, "table2");
    struct stat sb;
    int pin, fd, id, old_id;
    void *addr;
    key_t key;

    h = xsipc_shm_new("table2");
    attach_reads(h, "one");
    xsipc_shm_free(h);
    old_id = p->shmid;
    /* Another process's doing: the segment and its key file go. */
    pin = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(pin, 0);
    ck_assert_int_eq(unlink(path), 0);
    h = xsipc_shm_new("table2");
    tu_shm_fails(h, xsipc_shm_attach(h, XSIPC_READ_ONLY), XSIPC_NOT_FOUND);
    xsipc_shm_free(h);
    /* Qt makes it again, another inode. */
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    key = xsipc__reg_ftok(&sb, 'Q');
    id = shmget(key, 64, 0600 | IPC_CREAT | IPC_EXCL);
    ck_assert_int_ge(id, 0);
    addr = shmat(id, NULL, 0);
    ck_assert_ptr_ne(addr, (void *)-1);
    strcpy(addr, "two");
    h = xsipc_shm_new("table2");
    attach_reads(h, "two");
    ck_assert_int_eq(h->key.key, key);
    ck_assert_int_eq(h->shmid, id);
    ck_assert_int_ne(h->shmid, old_id);
    xsipc_shm_free(h);
    ck_assert_int_eq(shmdt(addr), 0);
    ck_assert_int_eq(shmctl(id, IPC_RMID, NULL), 0);
    ck_assert_int_eq(unlink(path), 0);
    close(pin);
    /* The first segment's maker removes it at its last detach (its key
     * file is long gone); the claim the removal behind the library's back
     * left is gc's. */
    xsipc_shm_free(p);
    ck_assert_int_ge(
        xsipc_registry_gc(tu_registry(), XSIPC_GC_NOW, NULL, NULL, NULL), 0);
}
END_TEST

Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *core = tcase_create("core");

    tu_tcase(core);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_cache_lock_keeps_its_descriptor);
    tcase_add_test(core, test_cache_lock_threads_exclude);
    tcase_add_test(core, test_cache_lock_forked_child_excludes_parent);
    tcase_add_test(core, test_cache_default_registry_shared);
    tcase_add_test(core, test_cache_default_follows_tmpdir);
    tcase_add_test(core, test_cache_default_dir_made_again);
    tcase_add_test(core, test_cache_default_dir_chmod_seen);
    tcase_add_test(core, test_cache_default_descriptor_reused);
    tcase_add_test(core, test_cache_public_default_not_shared);
    tcase_add_test(core, test_cache_key_file_looked_up_once);
    tcase_add_test(core, test_cache_key_file_made_again_by_qt);
    tcase_add_test(core, test_cache_attach_cycle_kept_handle_calls);
    tcase_add_test(core, test_cache_attach_known_name_no_flock);
    tcase_add_test(core, test_cache_create_cycle_lock_holds);
    tcase_add_test(core, test_cache_new_handle_starts_from_lookup);
    tcase_add_test(core, test_cache_new_handle_key_file_made_again);
    suite_add_tcase(s, core);
    return s;
}
