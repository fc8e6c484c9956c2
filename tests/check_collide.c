/* SPDX-License-Identifier: MIT */
/*
 * check_collide.c -- the registry's key claims: staged ftok collisions,
 * stale claims, many processes resolving the same names, scale, and the
 * system calls a lookup costs.
 *
 * Staged collisions need a file system that hands out inode numbers in
 * sequence: tmpfs does (one counter per mount).  As root, a child process
 * unshares its mount namespace and mounts a tmpfs of its own, so nothing
 * else can take an inode number between the staging and the test; else
 * /dev/shm is used when it is a tmpfs; else those tests are skipped.  The
 * staging creates and removes files until the next inode number shares its
 * low 16 bits with an existing key file's inode -- the next key file would
 * then have the same key_t -- and makes the colliding key file.
 *
 * The program is linked with --wrap for the file system calls the library
 * makes (tests/local.mk): the wrappers below count them, so a test can
 * assert that a lookup reads no directory and writes nothing; the openat
 * wrapper can also unlink a file the moment it is opened, and the linkat
 * and renameat2 ones run a peer's act (a Qt program's, a crash, a gc)
 * just before a chosen call: the windows of registry/make.c's protocol.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "registry/internal.h"
#include "testutil.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ------------------------------------------------- system call counts */

enum {
    C_READDIR,
    C_OPENDIR,
    C_OPENAT,
    C_CREATE,
    C_READLINK,
    C_FLOCK,
    C_WRITE,
    C_CLAIM, /* fstatat or readlinkat of a claim */
    C_N
};
static unsigned long calls[C_N];
static int counting;

static void count(int which)
{
    if (counting)
        calls[which]++;
}

static void count_reset(void)
{
    memset(calls, 0, sizeof calls);
    counting = 1;
}

struct dirent *__real_readdir(DIR *d);
DIR *__real_opendir(const char *path);
DIR *__real_fdopendir(int fd);
int __real_openat(int fd, const char *path, int flags, ...);
ssize_t __real_readlinkat(int fd, const char *path, char *buf, size_t len);
int __real_fstatat(int fd, const char *path, struct stat *sb, int flags);
int __real_flock(int fd, int op);
int __real_symlinkat(const char *target, int fd, const char *path);
int __real_renameat2(int ofd, const char *old, int nfd, const char *new_,
                     unsigned flags);
int __real_unlinkat(int fd, const char *path, int flags);
int __real_linkat(int ofd, const char *old, int nfd, const char *new_,
                  int flags);
ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);

struct dirent *__wrap_readdir(DIR *d);
DIR *__wrap_opendir(const char *path);
DIR *__wrap_fdopendir(int fd);
int __wrap_openat(int fd, const char *path, int flags, ...);
int __wrap___openat_2(int fd, const char *path, int flags);
ssize_t __wrap_readlinkat(int fd, const char *path, char *buf, size_t len);
int __wrap_fstatat(int fd, const char *path, struct stat *sb, int flags);
int __wrap_flock(int fd, int op);
int __wrap_symlinkat(const char *target, int fd, const char *path);
int __wrap_renameat2(int ofd, const char *old, int nfd, const char *new_,
                     unsigned flags);
int __wrap_unlinkat(int fd, const char *path, int flags);
int __wrap_linkat(int ofd, const char *old, int nfd, const char *new_,
                  int flags);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off);

struct dirent *__wrap_readdir(DIR *d)
{
    count(C_READDIR);
    return __real_readdir(d);
}

DIR *__wrap_opendir(const char *path)
{
    count(C_OPENDIR);
    return __real_opendir(path);
}

DIR *__wrap_fdopendir(int fd)
{
    count(C_OPENDIR);
    return __real_fdopendir(fd);
}

/* When set to n, the nth file creation from now on fails with ENOSPC. */
static int creates_left;

/*
 * The seam of the "gone after open" tests: the open (without O_CREAT) of
 * the file named gone_file that comes after gone_skip others succeeds, and
 * the file is unlinked at once, before the library can fstat it -- what a
 * peer's last detach (Qt's, or xsipc's) does when it falls in that window.
 */
static const char *gone_file;
static int gone_skip, gone_done;

static void gone_arm(const char *file, int skip)
{
    gone_file = file;
    gone_skip = skip;
    gone_done = 0;
}

int __wrap_openat(int fd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    int rc;

    if ((flags & O_CREAT) != 0) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
        count(C_CREATE);
        /* A full file system from the nth creation on (see below). */
        if (creates_left > 0 && --creates_left == 0) {
            errno = ENOSPC;
            return -1;
        }
    }
    count(C_OPENAT);
    rc = __real_openat(fd, path, flags, mode);
    if (rc >= 0 && gone_file != NULL && (flags & O_CREAT) == 0 &&
        strcmp(path, gone_file) == 0 && gone_skip-- == 0) {
        gone_file = NULL;
        if (__real_unlinkat(fd, path, 0) == 0)
            gone_done++;
    }
    return rc;
}

/* With _FORTIFY_SOURCE (Debian builds packages with it), an openat whose
 * flags the compiler cannot see, given no mode, is a call of __openat_2,
 * which checks the flags at run time: it is the same openat here. */
int __wrap___openat_2(int fd, const char *path, int flags)
{
    return __wrap_openat(fd, path, flags);
}

/*
 * The seam of the window tests: window_fn(window_arg) runs once, just
 * before the first linkat, renameat2 or fstatat (window_call) from now on
 * whose new name (fstatat: path) starts with window_prefix -- the moment a
 * peer (a Qt program, a crash, a gc) acts inside a step of the protocol.
 */
enum { W_NONE, W_LINKAT, W_RENAMEAT2, W_FSTATAT };
static int window_call;
static const char *window_prefix;
static void (*window_fn)(void *);
static void *window_arg;

static void window_arm(int call, const char *prefix, void (*fn)(void *),
                       void *arg)
{
    window_call = call;
    window_prefix = prefix;
    window_fn = fn;
    window_arg = arg;
}

static void window_at(int call, const char *new_)
{
    void (*fn)(void *) = window_fn;

    if (fn == NULL || call != window_call ||
        strncmp(new_, window_prefix, strlen(window_prefix)) != 0)
        return;
    window_fn = NULL;
    fn(window_arg);
}

static int is_claim(const char *path)
{
    return strncmp(path, XSIPC__CLAIM_PREFIX, strlen(XSIPC__CLAIM_PREFIX)) == 0;
}

ssize_t __wrap_readlinkat(int fd, const char *path, char *buf, size_t len)
{
    count(C_READLINK);
    if (is_claim(path))
        count(C_CLAIM);
    return __real_readlinkat(fd, path, buf, len);
}

int __wrap_fstatat(int fd, const char *path, struct stat *sb, int flags)
{
    if (is_claim(path))
        count(C_CLAIM);
    window_at(W_FSTATAT, path);
    return __real_fstatat(fd, path, sb, flags);
}

/* When set, the next LOCK_EX flock first writes a byte to this pipe: the
 * caller is about to wait for the registry lock. */
static int flock_tell = -1;

int __wrap_flock(int fd, int op)
{
    count(C_FLOCK);
    if (flock_tell >= 0 && (op & LOCK_EX) != 0) {
        (void)!write(flock_tell, "w", 1);
        flock_tell = -1;
    }
    return __real_flock(fd, op);
}

int __wrap_symlinkat(const char *target, int fd, const char *path)
{
    count(C_WRITE);
    return __real_symlinkat(target, fd, path);
}

int __wrap_renameat2(int ofd, const char *old, int nfd, const char *new_,
                     unsigned flags)
{
    count(C_WRITE);
    window_at(W_RENAMEAT2, new_);
    return __real_renameat2(ofd, old, nfd, new_, flags);
}

int __wrap_unlinkat(int fd, const char *path, int flags)
{
    count(C_WRITE);
    return __real_unlinkat(fd, path, flags);
}

int __wrap_linkat(int ofd, const char *old, int nfd, const char *new_,
                  int flags)
{
    count(C_WRITE);
    window_at(W_LINKAT, new_);
    return __real_linkat(ofd, old, nfd, new_, flags);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    count(C_WRITE);
    return __real_pwrite(fd, buf, len, off);
}

/* ------------------------------------------------------------ helpers */

/* In a child process, a failed check writes its message to the parent
 * (Check's own assertions belong to the test's process). */
static int child_msg_fd = -1;

static void child_fail(const char *file, int line, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n = snprintf(buf, sizeof buf, "%s:%d: ", file, line);

    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    if (child_msg_fd >= 0 && n > 0)
        (void)!write(child_msg_fd, buf, strlen(buf));
    _exit(1);
}

#define CK(cond, ...)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            child_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
    } while (0)

static double seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Removes every entry of dir (flat), and dir itself when rmdir_too. */
static void remove_tree(const char *dir, int rmdir_too)
{
    DIR *d = __real_opendir(dir);
    struct dirent *e;
    int fd;

    if (d == NULL)
        return;
    fd = dirfd(d);
    while ((e = __real_readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            (void)__real_unlinkat(fd, e->d_name, 0);
    closedir(d);
    if (rmdir_too)
        (void)rmdir(dir);
}

/* Entries in dir, and their names (space-separated, cut) in names. */
static int entries(const char *dir, char *names, size_t len)
{
    DIR *d = __real_opendir(dir);
    struct dirent *e;
    int n = 0;

    if (names != NULL && len > 0)
        names[0] = '\0';
    if (d == NULL)
        return -1;
    while ((e = __real_readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (names != NULL && strlen(names) + strlen(e->d_name) + 2 < len) {
            strcat(names, " ");
            strcat(names, e->d_name);
        }
    }
    closedir(d);
    return n;
}

static int exists_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat sb;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &sb) == 0;
}

typedef int (*tmpfs_fn)(const char *dir, void *arg);

/* Where in_tmpfs makes its mount point: the test's directory, or one that
 * the stranger can reach. */
static const char *tmpfs_parent;

/*
 * Runs fn(dir, arg) in a child whose dir is on a tmpfs (see the top of the
 * file), and fails the test with the child's message when it fails; skips
 * it when no tmpfs could be had.
 */
static void in_tmpfs(const char *what, tmpfs_fn fn, void *arg)
{
    char mnt[PATH_MAX], msg[1024];
    size_t got;
    int p[2], status;
    pid_t pid;

    snprintf(mnt, sizeof mnt, "%s/tmpfs",
             tmpfs_parent != NULL ? tmpfs_parent : tu_dir());
    ck_assert(mkdir(mnt, 0700) == 0);
    ck_assert(pipe2(p, O_CLOEXEC) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char dir[PATH_MAX];
        struct statfs fs;
        int rc, own = 0;

        close(p[0]);
        child_msg_fd = p[1];
        if (tu_mount_private_tmpfs(mnt) == 0) {
            snprintf(dir, sizeof dir, "%s", mnt);
        } else if (statfs("/dev/shm", &fs) == 0 &&
                   (unsigned long)fs.f_type == TMPFS_MAGIC) {
            snprintf(dir, sizeof dir, "/dev/shm/xsipc-collide-XXXXXX");
            if (mkdtemp(dir) == NULL)
                _exit(77);
            own = 1;
        } else {
            _exit(77);
        }
        rc = fn(dir, arg);
        if (own)
            remove_tree(dir, 1);
        _exit(rc);
    }
    close(p[1]);
    got = tu_read_all(p[0], msg, sizeof msg);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    rmdir(mnt);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        tu_skip("%s: no tmpfs to stage inodes on (no mount namespace, and "
                "/dev/shm is no tmpfs)",
                what);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s: %s (status 0x%x)", what,
                  got > 0 ? msg : "the child failed", status);
}

/*
 * Creates and removes a file in dir until the next inode made in dir will
 * have the low 16 bits of want.  Returns the last inode handed out, or 0
 * when the file system does not count inodes in sequence.
 */
static ino_t burn_to(const char *dir, ino_t want)
{
    char path[PATH_MAX];
    struct stat sb;
    ino_t last = 0;
    long i;

    snprintf(path, sizeof path, "%s/burn", dir);
    for (i = 0; i < 300000; i++) {
        int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 || fstat(fd, &sb) != 0)
            return 0;
        close(fd);
        unlink(path);
        if (last != 0 && sb.st_ino != last + 1)
            return 0; /* not a counter */
        last = sb.st_ino;
        if (((last + 1) & 0xffff) == (want & 0xffff))
            return last;
    }
    return 0;
}

static key_t key_of_path(const char *path, int proj)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return (key_t)-1;
    return xsipc__reg_ftok(&sb, proj);
}

/* xsipc_registry_key with create, in a child. */
static key_t child_key(xsipc_registry *reg, const char *name, int create,
                       char *path, size_t len)
{
    xsipc_status st;
    key_t key = 0;
    int rc = xsipc_registry_key(reg, name, XSIPC_KIND_SHM, create, &key, path,
                                len, &st);

    CK(rc == 0, "xsipc_registry_key(%s): %d %s", name, rc, st.text);
    return key;
}

/* ----------------------------------------------------- staged collisions */

#ifdef QT5_PEER
/* The Qt5 peer reads name in dir ($TMPDIR) and must print text. */
static void qt5_reads(const char *name, const char *text)
{
    char line[256];
    const char *argv[] = {QT5_PEER, "read", name, NULL};
    tu_proc p;
    int rc;

    CK(access(QT5_PEER, X_OK) == 0, "no Qt5 peer at %s", QT5_PEER);
    tu_proc_start(&p, (char *const *)argv);
    rc = tu_proc_line(&p, line, sizeof line, 10000);
    CK(rc == 0, "the Qt5 peer said nothing for \"%s\"", name);
    CK(strcmp(line, text) == 0, "Qt5 read \"%s\" of \"%s\", expected \"%s\"",
       line, name, text);
    CK(tu_proc_wait(&p, 10000) == 0, "the Qt5 peer failed on \"%s\"", name);
}
#endif

static xsipc_shm *child_created(xsipc_registry *reg, const char *name,
                                const char *text)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg, name);
    int rc;

    CK(shm != NULL, "xsipc_shm_new_in");
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    CK(rc == 0, "create %s: %d %s", name, rc, xsipc_shm_error_string(shm));
    CK(xsipc_shm_lock(shm) >= 0, "lock %s", name);
    strcpy(xsipc_shm_data(shm), text);
    CK(xsipc_shm_unlock(shm) == 0, "unlock %s", name);
    return shm;
}

/*
 * The key file of "second" is made when the next inode has the low 16 bits
 * of "first"'s key file: that inode is parked, the file made again, and
 * both names end up with their own keys -- as ftok() of their paths says,
 * so a Qt program reading either name reads its own data.
 */
static int staged_qt(const char *dir, void *arg)
{
    xsipc_status st;
    xsipc_registry *reg;
    xsipc_shm *a, *b;
    struct stat sa, sb;
    char park[64], names[2048];
    key_t ka, kb;

    (void)arg;
    CK(setenv("TMPDIR", dir, 1) == 0, "setenv");
    reg = xsipc_registry_open(dir, 0, &st);
    CK(reg != NULL, "open %s: %s", dir, st.text);
    a = child_created(reg, "first", "data of first");
    CK(stat(xsipc_shm_native_key(a), &sa) == 0, "stat first");
    CK(burn_to(dir, sa.st_ino) != 0, "inodes of %s are not counted", dir);
    b = child_created(reg, "second", "data of second");
    CK(stat(xsipc_shm_native_key(b), &sb) == 0, "stat second");

    ka = key_of_path(xsipc_shm_native_key(a), 'Q');
    kb = key_of_path(xsipc_shm_native_key(b), 'Q');
    /* The staging hit: the inode that would have shared first's key was
     * parked for as long as first's claim holds. */
    snprintf(park, sizeof park, ".park-%08x-0", (unsigned)ka);
    CK(exists_in(dir, park), "no %s: the collision was not staged", park);
    CK(ka != kb, "first and second share key 0x%08x", (unsigned)ka);
    CK((sa.st_ino & 0xffff) != (sb.st_ino & 0xffff), "inodes collide");
    CK(child_key(reg, "first", 0, NULL, 0) == ka, "first's key");
    CK(child_key(reg, "second", 0, NULL, 0) == kb, "second's key");
#ifdef QT5_PEER
    qt5_reads("first", "data of first");
    qt5_reads("second", "data of second");
#endif
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    /* The last users removed key files, claims and the park. */
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_staged_names_get_own_keys)
{
    in_tmpfs("staged collision", staged_qt, NULL);
}
END_TEST

/* In a persistent registry the colliding inode takes another proj id at
 * once, recorded in its file. */
static int staged_persistent(const char *dir, void *arg)
{
    xsipc_status st;
    xsipc_registry *reg;
    char pa[PATH_MAX], pb[PATH_MAX], buf[XSIPC__REC_MAX + 1], names[2048];
    xsipc__record rec;
    struct stat sa;
    key_t ka, kb;
    ssize_t n;
    int fd;

    (void)arg;
    reg = xsipc_registry_open(dir, XSIPC_REGISTRY_PERSISTENT, &st);
    CK(reg != NULL, "open: %s", st.text);
    ka = child_key(reg, "first", 1, pa, sizeof pa);
    CK(stat(pa, &sa) == 0, "stat");
    CK(burn_to(dir, sa.st_ino) != 0, "inodes are not counted");
    kb = child_key(reg, "second", 1, pb, sizeof pb);
    CK(((unsigned)kb >> 24) == 'R', "second's key 0x%08x: proj not 'R'",
       (unsigned)kb);
    CK(((unsigned)kb & 0xffffff) == ((unsigned)ka & 0xffffff),
       "not the staged inode");
    CK(kb == key_of_path(pb, 'R'), "key is not ftok(path, 'R')");
    CK(entries(dir, names, sizeof names) == 4, "files:%s", names);
    fd = open(pb, O_RDONLY);
    CK(fd >= 0, "open %s", pb);
    n = read(fd, buf, sizeof buf);
    close(fd);
    CK(n > 0 && xsipc__rec_parse(buf, (size_t)n, &rec, NULL) == 0, "record");
    CK(rec.proj == 'R' && rec.key == (uint32_t)kb, "recorded proj %d",
       rec.proj);
    CK(strcmp(rec.name, "second") == 0, "recorded name %s", rec.name);
    CK((rec.flags & XSIPC__REC_PERSISTENT) != 0, "persistent flag");
    CK(child_key(reg, "second", 0, NULL, 0) == kb, "lookup gives the key");
    CK(xsipc_registry_remove(reg, "first", XSIPC_KIND_SHM, 0, &st) == 0,
       "remove: %s", st.text);
    CK(xsipc_registry_remove(reg, "second", XSIPC_KIND_SHM, 0, &st) == 0,
       "remove: %s", st.text);
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_persistent_takes_other_proj)
{
    in_tmpfs("persistent collision", staged_persistent, NULL);
}
END_TEST

/*
 * A key file made by Qt (empty, no claim) on a key that another name's
 * claim holds: a Qt program of that name reads the other name's segment.
 * Attach and a lookup refuse the file, never share the key.  Create parks
 * its inode, as a colliding inode of our own, and makes the file again:
 * each name then has a key of its own, and a Qt reader of either reads its
 * own data.  (Before, create refused it too, and the Qt reader went on
 * reading the other name's segment.)
 */
static int staged_qt_file(const char *dir, void *arg)
{
    unsigned flags = *(const unsigned *)arg;
    xsipc_status st;
    xsipc_registry *reg;
    char pa[PATH_MAX], fb[256], pb[PATH_MAX], park[64], names[2048];
    const char *const both[] = {"first", "second"};
    struct stat sa, sq, sb;
    xsipc_shm *a, *b;
    key_t ka, kb;
    int fd, rc, i;

    CK(setenv("TMPDIR", dir, 1) == 0, "setenv");
    reg = xsipc_registry_open(dir, flags, &st);
    CK(reg != NULL, "open: %s", st.text);
    a = child_created(reg, "first", "data of first");
    snprintf(pa, sizeof pa, "%s", xsipc_shm_native_key(a));
    CK(stat(pa, &sa) == 0, "stat");
    ka = key_of_path(pa, 'Q');
    CK(xsipc__reg_file_name(XSIPC_KIND_SHM, "second", fb, sizeof fb, &st) == 0,
       "file name");
    snprintf(pb, sizeof pb, "%s/%s", dir, fb);
    CK(burn_to(dir, sa.st_ino) != 0, "inodes are not counted");
    /* As Qt makes it: O_CREAT|O_EXCL, empty. */
    fd = open(pb, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    CK(fd >= 0 && fstat(fd, &sq) == 0, "create %s", pb);
    close(fd);
    CK(key_of_path(pb, 'Q') == ka, "staging missed");
#ifdef QT5_PEER
    /* What Qt makes of it: the other name's data. */
    qt5_reads("second", "data of first");
#endif

    rc = xsipc_registry_key(reg, "second", XSIPC_KIND_SHM, 0, NULL, NULL, 0,
                            &st);
    CK(rc == -XSIPC_KEY_COLLISION, "second: %d %s", rc, st.text);
    CK(strstr(st.text, "qipc_sharedmemory_first") != NULL, "message: %s",
       st.text);
    CK(strstr(st.text, fb) != NULL, "message: %s", st.text);
    b = xsipc_shm_new_in(reg, "second");
    rc = xsipc_shm_attach(b, XSIPC_READ_ONLY);
    CK(rc == -XSIPC_KEY_COLLISION, "attach: %d %s", rc,
       xsipc_shm_error_string(b));

    rc = xsipc_shm_create(b, 64, XSIPC_READ_WRITE);
    CK(rc == 0, "create: %d %s", rc, xsipc_shm_error_string(b));
    CK(xsipc_shm_lock(b) >= 0, "lock");
    strcpy(xsipc_shm_data(b), "data of second");
    CK(xsipc_shm_unlock(b) == 0, "unlock");
    kb = key_of_path(pb, 'Q');
    CK(kb != ka, "first and second share key 0x%08x", (unsigned)ka);
    CK(stat(pb, &sb) == 0 && sb.st_ino != sq.st_ino, "not made again");
    /* Qt's inode is parked for as long as first's claim holds. */
    snprintf(park, sizeof park, ".park-%08x-0", (unsigned)ka);
    snprintf(pa, sizeof pa, "%s/%s", dir, park);
    CK(stat(pa, &sb) == 0 && sb.st_ino == sq.st_ino, "%s is not Qt's inode",
       park);
    CK(child_key(reg, "first", 0, NULL, 0) == ka, "first's key");
    CK(child_key(reg, "second", 0, NULL, 0) == kb, "second's key");
#ifdef QT5_PEER
    qt5_reads("first", "data of first");
    qt5_reads("second", "data of second");
#endif
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    for (i = 0; i < 4 && (flags & XSIPC_REGISTRY_PERSISTENT) != 0; i++) {
        rc = xsipc_registry_remove(
            reg, both[i % 2], i < 2 ? XSIPC_KIND_SHM : XSIPC_KIND_SEM, 0, &st);
        CK(rc == 0, "remove %s: %d %s", both[i % 2], rc, st.text);
    }
    /* The park went with first's claim. */
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_qt_file_on_claimed_key_made_again)
{
    unsigned flags = 0;

    in_tmpfs("Qt's colliding key file", staged_qt_file, &flags);
}
END_TEST

START_TEST(test_collide_qt_file_on_claimed_key_made_again_persistent)
{
    unsigned flags = XSIPC_REGISTRY_PERSISTENT;

    in_tmpfs("Qt's colliding key file, persistent", staged_qt_file, &flags);
}
END_TEST

/* A key file made by Qt has no claim (in Qt's life cycle); the object at
 * its key keeps a new key file off that key all the same. */
static int staged_busy_key(const char *dir, void *arg)
{
    xsipc_status st;
    xsipc_registry *reg;
    char fq[256], pq[PATH_MAX], ph[PATH_MAX], names[1024];
    struct stat sq;
    key_t kq, kh;
    int fd, id;

    (void)arg;
    reg = xsipc_registry_open(dir, 0, &st);
    CK(reg != NULL, "open: %s", st.text);
    CK(xsipc__reg_file_name(XSIPC_KIND_SHM, "qt name", fq, sizeof fq, &st) == 0,
       "file name");
    snprintf(pq, sizeof pq, "%s/%s", dir, fq);
    fd = open(pq, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    CK(fd >= 0 && fstat(fd, &sq) == 0, "create %s", pq);
    close(fd);
    kq = xsipc__reg_ftok(&sq, 'Q');
    id = shmget(kq, 64, IPC_CREAT | IPC_EXCL | 0600); /* Qt's segment */
    CK(id >= 0, "shmget: %s", strerror(errno));
    CK(burn_to(dir, sq.st_ino) != 0, "inodes are not counted");
    kh = child_key(reg, "newcomer", 1, ph, sizeof ph);
    CK(kh != kq, "the new key file took the Qt name's key 0x%08x",
       (unsigned)kq);
    /* The inode parked on the way went when the file was made: the Qt
     * file, the new one and its claim are left. */
    CK(entries(dir, names, sizeof names) == 3, "files:%s", names);
    CK(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
    CK(unlink(pq) == 0, "unlink");
    CK(xsipc_registry_remove(reg, "newcomer", XSIPC_KIND_SHM, 0, &st) == 0,
       "remove: %s", st.text);
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_object_keeps_new_key_off)
{
    in_tmpfs("busy key", staged_busy_key, NULL);
}
END_TEST

/* A claim whose key file is gone is taken over by the next file that gets
 * its key. */
static int staged_stale_claim(const char *dir, void *arg)
{
    xsipc_status st;
    xsipc_registry *reg;
    char claim[PATH_MAX], pt[PATH_MAX];
    ino_t last;
    key_t key;
    struct stat sb, sc, st_;

    (void)arg;
    reg = xsipc_registry_open(dir, 0, &st);
    CK(reg != NULL, "open: %s", st.text);
    CK(stat(dir, &sb) == 0, "stat");
    CK((last = burn_to(dir, 0)) != 0, "inodes are not counted");
    /* Inode last+1 is the planted claim, last+2 the next key file. */
    sb.st_ino = last + 2;
    key = xsipc__reg_ftok(&sb, 'Q');
    snprintf(claim, sizeof claim, "%s/.claim-%08x", dir, (unsigned)key);
    /* An older xsipc's claim, a symbolic link, of a gone file. */
    CK(symlink("qipc_sharedmemory_gone", claim) == 0, "plant");
    CK(child_key(reg, "taker", 1, pt, sizeof pt) == key, "not the staged key");
    /* The claim is now the new file's second link. */
    CK(lstat(claim, &sc) == 0 && S_ISREG(sc.st_mode), "claim gone");
    CK(stat(pt, &st_) == 0 && st_.st_ino == sc.st_ino && st_.st_nlink == 2,
       "the claim is not %s's inode", pt);
    CK(xsipc_registry_remove(reg, "taker", XSIPC_KIND_SHM, 0, &st) == 0,
       "remove: %s", st.text);
    CK(entries(dir, NULL, 0) == 0, "files left");
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_stale_claim_taken_over)
{
    in_tmpfs("stale claim", staged_stale_claim, NULL);
}
END_TEST

/* A Qt program removed our key file (its last detach): its claim, the
 * inode's last link now, is stale by itself -- no other file says so.
 * Making the name again needs nothing of it; the next maker of its key, or
 * gc, removes it. */
START_TEST(test_collide_removed_key_file_leaves_stale_claim)
{
    xsipc_status st;
    char path[PATH_MAX], claim[64], names[1024];
    struct stat sb;
    key_t k1 = 0, k2 = 0;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "again", XSIPC_KIND_SHM,
                                        1, &k1, path, sizeof path, &st),
                     0);
    ck_assert(unlink(path) == 0);
    snprintf(claim, sizeof claim, ".claim-%08x", (unsigned)k1);
    ck_assert(lstat(tu_path(claim), &sb) == 0 && sb.st_nlink == 1);
    ck_assert_int_eq(
        xsipc__reg_claim_state(tu_registry(), k1, NULL, NULL, NULL),
        XSIPC__CLAIM_STALE);
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "again", XSIPC_KIND_SHM,
                                        1, &k2, path, sizeof path, &st),
                     0);
    /* Its inode is still held, so the new file has another one, and
     * (unless that one's low 16 bits are the same: then it took the stale
     * claim over) another key. */
    ck_assert(exists_in(tu_dir(), claim));
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "again", XSIPC_KIND_SHM, 0, &st),
        0);
    ck_assert_int_eq(entries(tu_dir(), names, sizeof names), k1 != k2);
    ck_assert_int_eq(
        xsipc_registry_gc(tu_registry(), XSIPC_GC_NOW, NULL, NULL, &st),
        k1 != k2);
    ck_assert_msg(entries(tu_dir(), names, sizeof names) == 0, "left:%s",
                  names);
}
END_TEST

/* ------------------------------------------------------- concurrency */

#define RACERS 8
#define RACE_NAMES 500

static void race_name(char *buf, size_t len, int i)
{
    snprintf(buf, len, "race-%d-%s", i, i % 3 == 0 ? "lock" : "data");
}

static int racer(int c, int go, int out)
{
    key_t keys[RACE_NAMES];
    xsipc_status st;
    xsipc_registry *reg;
    char name[64], b;
    int i, j;

    child_msg_fd = out;
    reg = xsipc_registry_open(tu_dir(), 0, &st);
    CK(reg != NULL, "open: %s", st.text);
    CK(read(go, &b, 1) == 0, "start signal");
    for (j = 0; j < RACE_NAMES; j++) {
        /* Each racer walks the names in its own order. */
        i = (j * 7 + c * 61) % RACE_NAMES;
        race_name(name, sizeof name, i);
        keys[i] = child_key(reg, name, 1, NULL, 0);
    }
    xsipc_registry_close(reg);
    CK(write(out, keys, sizeof keys) == (ssize_t)sizeof keys, "write");
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

START_TEST(test_collide_eight_processes_same_keys)
{
    static key_t keys[RACERS][RACE_NAMES];
    key_t sorted[RACE_NAMES];
    int go[2], out[RACERS][2], c, i, status;
    pid_t pid[RACERS];
    char name[64], path[PATH_MAX], names[1024];
    xsipc_status st;

    ck_assert(pipe(go) == 0);
    for (c = 0; c < RACERS; c++) {
        ck_assert(pipe(out[c]) == 0);
        pid[c] = fork();
        ck_assert_int_ge(pid[c], 0);
        if (pid[c] == 0) {
            close(go[1]);
            close(out[c][0]);
            _exit(racer(c, go[0], out[c][1]));
        }
        close(out[c][1]);
    }
    close(go[0]);
    close(go[1]); /* all start now */
    for (c = 0; c < RACERS; c++) {
        size_t got = 0;
        ssize_t n;
        while (got < sizeof keys[c] &&
               (n = read(out[c][0], (char *)keys[c] + got,
                         sizeof keys[c] - got)) > 0)
            got += (size_t)n;
        close(out[c][0]);
        ck_assert_int_eq(waitpid(pid[c], &status, 0), pid[c]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                          got == sizeof keys[c],
                      "racer %d failed: %.*s", c, (int)got,
                      (const char *)keys[c]);
    }
    for (i = 0; i < RACE_NAMES; i++) {
        for (c = 1; c < RACERS; c++)
            ck_assert_msg(keys[c][i] == keys[0][i],
                          "name %d: racer %d got 0x%08x, racer 0 0x%08x", i, c,
                          (unsigned)keys[c][i], (unsigned)keys[0][i]);
        race_name(name, sizeof name, i);
        ck_assert_int_eq(xsipc_registry_key(tu_registry(), name, XSIPC_KIND_SHM,
                                            0, NULL, path, sizeof path, &st),
                         0);
        /* What Qt computes for the name. */
        ck_assert(keys[0][i] == ftok(path, 'Q'));
        sorted[i] = keys[0][i];
    }
    qsort(sorted, RACE_NAMES, sizeof sorted[0], key_cmp);
    for (i = 1; i < RACE_NAMES; i++)
        ck_assert_msg(sorted[i] != sorted[i - 1], "two names share 0x%08x",
                      (unsigned)sorted[i]);
    for (i = 0; i < RACE_NAMES; i++) {
        race_name(name, sizeof name, i);
        ck_assert_int_eq(
            xsipc_registry_remove(tu_registry(), name, XSIPC_KIND_SHM, 0, &st),
            0);
    }
    ck_assert_msg(entries(tu_dir(), names, sizeof names) == 0, "left:%s",
                  names);
}
END_TEST

/* -------------------------------------------------- gone after open */

/* An empty key file as Qt makes it, for name in directory dir; its name
 * goes to file (256 bytes). */
static void qt_key_file(const char *dir, const char *name, char *file)
{
    xsipc_status st;
    char path[PATH_MAX];
    int fd;

    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, name, file, 256, &st), 0);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    close(fd);
}

/* The last user of a name removed its key file just as a create opened it:
 * the file is gone, not planted, and the create makes a new one. */
START_TEST(test_collide_gone_key_file_made_again)
{
    xsipc_status st;
    char path[PATH_MAX], file[256], names[1024];
    xsipc_shm *shm;
    key_t k = 0;
    int rc;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "churn", XSIPC_KIND_SHM,
                                        1, NULL, path, sizeof path, &st),
                     0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "churn", file, sizeof file, &st),
        0);
    shm = xsipc_shm_new_in(tu_registry(), "churn");
    ck_assert_ptr_nonnull(shm);
    gone_arm(file, 0);
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == 0, "create: %d %s", rc, xsipc_shm_error_string(shm));
    ck_assert_msg(exists_in(tu_dir(), file), "no new key file");
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "churn", XSIPC_KIND_SHM,
                                        0, &k, NULL, 0, &st),
                     0);
    ck_assert(k == ftok(path, 'Q'));
    xsipc_shm_free(shm);
    /* The first file's claim, its inode's last link, went with the handle
     * that had its key. */
    ck_assert_msg(entries(tu_dir(), names, sizeof names) == 0, "left:%s",
                  names);
}
END_TEST

/* Without create, a key file gone between open and fstat is no key file. */
START_TEST(test_collide_gone_key_file_not_found)
{
    xsipc_status st;
    char file[256];
    xsipc_shm *shm;
    int rc;

    qt_key_file(tu_dir(), "churn", file);
    shm = xsipc_shm_new_in(tu_registry(), "churn");
    ck_assert_ptr_nonnull(shm);
    gone_arm(file, 0);
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    tu_shm_fails(shm, rc, XSIPC_NOT_FOUND);
    xsipc_shm_free(shm);

    qt_key_file(tu_dir(), "churn", file);
    gone_arm(file, 0);
    rc = xsipc_registry_key(tu_registry(), "churn", XSIPC_KIND_SHM, 0, NULL,
                            NULL, 0, &st);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == -XSIPC_NOT_FOUND, "lookup: %d %s", rc, st.text);
    ck_assert_int_eq(entries(tu_dir(), NULL, 0), 0);
}
END_TEST

/* The same for a native key (the caller's own file name). */
START_TEST(test_collide_gone_native_key_file)
{
    xsipc_status st;
    xsipc_registry *reg;
    xsipc__key k;
    int fd, rc;

    reg = xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, NULL, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    fd = open(tu_path("native"), O_CREAT | O_EXCL | O_RDWR, 0640);
    ck_assert_int_ge(fd, 0);
    close(fd);
    gone_arm("native", 0);
    rc = xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "native", 0, &k, &st);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == -XSIPC_NOT_FOUND, "lookup: %d %s", rc, st.text);

    fd = open(tu_path("native"), O_CREAT | O_EXCL | O_RDWR, 0640);
    ck_assert_int_ge(fd, 0);
    close(fd);
    gone_arm("native", 0);
    rc = xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "native", 1, &k, &st);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == 0, "create: %d %s", rc, st.text);
    ck_assert(k.created);
    ck_assert(k.key == ftok(tu_path("native"), 'Q'));
    ck_assert(unlink(tu_path("native")) == 0);
    xsipc_registry_close(reg);
}
END_TEST

/* In a persistent registry a key file Qt made is claimed under the lock,
 * after a second open: a file gone by then is made anew, not claimed. */
START_TEST(test_collide_gone_key_file_not_adopted)
{
    xsipc_status st;
    xsipc_registry *reg;
    char file[256], path[PATH_MAX];
    key_t k = 0;
    int rc;

    ck_assert(mkdir(tu_path("p"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("p"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    qt_key_file(tu_path("p"), "adopted", file);
    gone_arm(file, 1); /* the lookup's open, then the one under the lock */
    rc = xsipc_registry_key(reg, "adopted", XSIPC_KIND_SHM, 1, &k, path,
                            sizeof path, &st);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == 0, "create: %d %s", rc, st.text);
    ck_assert_msg(access(path, F_OK) == 0, "no key file %s for key 0x%08x",
                  path, (unsigned)k);
    ck_assert(k == key_of_path(path, (int)(((unsigned)k >> 24) & 0xff)));
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "adopted", XSIPC_KIND_SHM, 0, &st), 0);
    xsipc_registry_close(reg);
    ck_assert_int_eq(entries(tu_path("p"), NULL, 0), 0);
    ck_assert(rmdir(tu_path("p")) == 0);
}
END_TEST

typedef struct listed {
    int n;
    char problems[512];
} listed;

static int note_entry(const xsipc_registry_entry *e, void *arg)
{
    listed *l = arg;

    l->n++;
    if (e->problem != NULL &&
        strlen(l->problems) + strlen(e->problem) + 3 < sizeof l->problems) {
        strcat(l->problems, "; ");
        strcat(l->problems, e->problem);
    }
    return 0;
}

/* A listing does not show a key file removed as it read it. */
START_TEST(test_collide_gone_key_file_not_listed)
{
    xsipc_status st;
    char file[256];
    listed l;
    int rc;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "kept", XSIPC_KIND_SHM,
                                        1, NULL, NULL, 0, &st),
                     0);
    qt_key_file(tu_dir(), "churn", file);
    memset(&l, 0, sizeof l);
    gone_arm(file, 0);
    rc = xsipc_registry_list(tu_registry(), note_entry, &l, &st);
    gone_file = NULL;
    ck_assert_int_eq(gone_done, 1);
    ck_assert_msg(rc == 1 && l.n == 1, "listed %d (%d):%s", l.n, rc,
                  l.problems);
    ck_assert_msg(l.problems[0] == '\0', "problems:%s", l.problems);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "kept", XSIPC_KIND_SHM, 0, &st),
        0);
}
END_TEST

/* ------------------------------------------------------------ windows */

/*
 * Each window of make.c's protocol entered exactly, at the seam above:
 * something happens between two of the library's file system calls, and
 * the outcome is checked.  The peers' acts come first.
 */
static void crash_now(void *arg)
{
    (void)arg;
    _exit(0);
}

/* As a Qt program makes a key file: O_CREAT|O_EXCL, 0640, empty. */
static void qt_makes(void *arg)
{
    int fd =
        open((const char *)arg, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);

    if (fd >= 0)
        close(fd);
}

/* A Qt program's last detach removes the file... */
static void qt_removes(void *arg)
{
    (void)unlink((const char *)arg);
}

/* ...and another one's create makes it again. */
static void qt_replaces(void *arg)
{
    qt_removes(arg);
    qt_makes(arg);
}

/* A registry of flags in the new directory tu_path(sub). */
static xsipc_registry *sub_registry(const char *sub, unsigned flags)
{
    xsipc_status st;
    xsipc_registry *reg;

    ck_assert(mkdir(tu_path(sub), 0700) == 0);
    reg = xsipc_registry_open(tu_path(sub), flags, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    return reg;
}

static void sub_done(xsipc_registry *reg, const char *sub)
{
    char names[1024];

    ck_assert_msg(entries(tu_path(sub), names, sizeof names) == 0, "left:%s",
                  names);
    xsipc_registry_close(reg);
    ck_assert(rmdir(tu_path(sub)) == 0);
}

/* The key in the name of dir's one claim (0 when there is none). */
static key_t the_claim(const char *dir)
{
    DIR *d = __real_opendir(dir);
    struct dirent *e;
    unsigned long v = 0;

    if (d == NULL)
        return 0;
    while ((e = __real_readdir(d)) != NULL)
        if (strncmp(e->d_name, ".claim-", 7) == 0)
            v = strtoul(e->d_name + 7, NULL, 16);
    closedir(d);
    return (key_t)(unsigned)v;
}

/* Whether dir's claim of key is the inode of key file path, its second
 * link. */
static int claim_is(const char *dir, key_t key, const char *path)
{
    char claim[PATH_MAX];
    struct stat sc, sf;

    snprintf(claim, sizeof claim, "%s/.claim-%08x", dir, (unsigned)key);
    return lstat(claim, &sc) == 0 && lstat(path, &sf) == 0 &&
           sc.st_ino == sf.st_ino && sf.st_nlink == 2;
}

/*
 * A crash between the claim and the rename into place (make.c, steps 3
 * and 5) leaves the temp and its claim: one inode, two links, its record
 * naming a file that is not there.  The claim is stale, the name is made
 * again (on another inode: that one is still held), and gc takes both.
 */
START_TEST(test_collide_window_crash_before_rename)
{
    xsipc_registry *reg = sub_registry("p", XSIPC_REGISTRY_PERSISTENT);
    const char *dir = tu_path("p");
    char file[256], path[PATH_MAX], claim[PATH_MAX];
    xsipc_status st;
    struct stat sc;
    key_t k, again;
    int status;
    pid_t pid;

    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "crashed", file, 256, &st), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        window_arm(W_RENAMEAT2, file, crash_now, NULL);
        /* crash_now kills the child inside the call: a return is a
         * failure of the test, whatever the call gave. */
        _exit(xsipc_registry_key(reg, "crashed", XSIPC_KIND_SHM, 1, NULL, NULL,
                                 0, &st) == 0
                  ? 1
                  : 2);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(entries(dir, NULL, 0), 2);
    ck_assert((k = the_claim(dir)) != 0);
    snprintf(claim, sizeof claim, "%s/.claim-%08x", dir, (unsigned)k);
    ck_assert(lstat(claim, &sc) == 0 && sc.st_nlink == 2);
    ck_assert_int_eq(xsipc__reg_claim_state(reg, k, NULL, NULL, NULL),
                     XSIPC__CLAIM_STALE);
    ck_assert_int_eq(xsipc_registry_key(reg, "crashed", XSIPC_KIND_SHM, 0, NULL,
                                        NULL, 0, &st),
                     -XSIPC_NOT_FOUND);
    ck_assert_int_eq(xsipc_registry_key(reg, "crashed", XSIPC_KIND_SHM, 1,
                                        &again, path, sizeof path, &st),
                     0);
    ck_assert(again != k && claim_is(dir, again, path));
    ck_assert_int_eq(xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st), 2);
    ck_assert_int_eq(entries(dir, NULL, 0), 2);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "crashed", XSIPC_KIND_SHM, 0, &st), 0);
    sub_done(reg, "p");
}
END_TEST

/*
 * A Qt program makes the key file between make.c's look for it and the
 * rename into place: RENAME_NOREPLACE fails rather than replace it, the
 * temp and its claim go, and Qt's file is the name's -- used as it is in
 * Qt's life cycle, adopted in a persistent registry.
 */
static void qt_file_before_rename(unsigned flags)
{
    xsipc_registry *reg = sub_registry("r", flags);
    const char *dir = tu_path("r");
    char file[256], path[PATH_MAX];
    xsipc_status st;
    struct stat sb;
    key_t k = 0;
    int persistent = (flags & XSIPC_REGISTRY_PERSISTENT) != 0;

    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "raced", file, 256, &st), 0);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    window_arm(W_RENAMEAT2, file, qt_makes, path);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "raced", XSIPC_KIND_SHM, 1, &k, NULL, 0, &st),
        0);
    ck_assert_ptr_null(window_fn);
    ck_assert(k == key_of_path(path, 'Q'));
    ck_assert(stat(path, &sb) == 0);
    /* Adopted: its record written now, its claim its second link. */
    ck_assert_int_eq(sb.st_size != 0, persistent);
    ck_assert_int_eq(entries(dir, NULL, 0), persistent ? 2 : 1);
    if (persistent)
        ck_assert(claim_is(dir, k, path));
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "raced", XSIPC_KIND_SHM, 0, &st), 0);
    sub_done(reg, "r");
}

START_TEST(test_collide_window_qt_file_before_rename)
{
    qt_file_before_rename(0);
    qt_file_before_rename(XSIPC_REGISTRY_PERSISTENT);
}
END_TEST

/*
 * A persistent registry adopts a Qt file: its claim is linked after the
 * file is checked.  A Qt program that replaces the file, or removes it, in
 * between gets no claim made of another inode under the checked one's key:
 * the link is checked to be the checked inode and goes if not, and the
 * name is looked up again -- the new file adopted, or a file made.
 */
START_TEST(test_collide_window_qt_file_replaced_before_claim)
{
    void (*const acts[])(void *) = {qt_replaces, qt_removes};
    const char *dir;
    char file[256], path[PATH_MAX];
    xsipc_registry *reg;
    xsipc_status st;
    struct stat sb;
    key_t old, k;
    size_t i;

    for (i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        reg = sub_registry("a", XSIPC_REGISTRY_PERSISTENT);
        dir = tu_path("a");
        qt_key_file(dir, "adopted", file);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        old = key_of_path(path, 'Q');
        window_arm(W_LINKAT, XSIPC__CLAIM_PREFIX, acts[i], path);
        ck_assert_int_eq(xsipc_registry_key(reg, "adopted", XSIPC_KIND_SHM, 1,
                                            &k, NULL, 0, &st),
                         0);
        ck_assert_ptr_null(window_fn);
        /* A replacement is made while the inode checked is open: it has
         * another (a file made after a removal may reuse the number). */
        ck_assert(k == key_of_path(path, 'Q'));
        if (acts[i] == qt_replaces)
            ck_assert(k != old);
        ck_assert(claim_is(dir, k, path));
        ck_assert(stat(path, &sb) == 0 && sb.st_size > 0);
        ck_assert_int_eq(entries(dir, NULL, 0), 2);
        ck_assert_int_eq(
            xsipc_registry_remove(reg, "adopted", XSIPC_KIND_SHM, 0, &st), 0);
        sub_done(reg, "a");
    }
}
END_TEST

/* qt_replaces, two inodes later: the staged inode's next ones share their
 * low 16 bits with first's lock's key file and its neighbours, and the
 * replacement must have a key of its own. */
static void qt_replaces_later(void *arg)
{
    char spacer[PATH_MAX];
    int i;

    snprintf(spacer, sizeof spacer, "%s.spacer", (const char *)arg);
    for (i = 0; i < 2; i++) {
        qt_makes(spacer);
        qt_removes(spacer);
    }
    qt_replaces(arg);
}

/*
 * A create makes a Qt file on another name's key again (make.c): its inode
 * is parked after it is checked.  A Qt program that replaces the file in
 * between (its new inode has a key of its own) does not lose it to the
 * park: the park is checked to be the checked inode, the file goes back to
 * its name, and is looked up again -- and used as it is.
 */
static int staged_qt_file_replaced(const char *dir, void *arg)
{
    xsipc_status st;
    xsipc_registry *reg;
    char pa[PATH_MAX], fb[256], pb[PATH_MAX], park[64], names[1024];
    struct stat sa, sb;
    xsipc_shm *a, *b;
    key_t ka, kb;
    int rc;

    (void)arg;
    reg = xsipc_registry_open(dir, 0, &st);
    CK(reg != NULL, "open: %s", st.text);
    a = child_created(reg, "first", "data of first");
    snprintf(pa, sizeof pa, "%s", xsipc_shm_native_key(a));
    CK(stat(pa, &sa) == 0, "stat");
    ka = key_of_path(pa, 'Q');
    CK(xsipc__reg_file_name(XSIPC_KIND_SHM, "second", fb, sizeof fb, &st) == 0,
       "file name");
    snprintf(pb, sizeof pb, "%s/%s", dir, fb);
    CK(burn_to(dir, sa.st_ino) != 0, "inodes are not counted");
    qt_makes(pb);
    CK(key_of_path(pb, 'Q') == ka, "staging missed");
    /* (The lock's key file of "second" may be parked on the way too.) */
    snprintf(park, sizeof park, ".park-%08x-0", (unsigned)ka);
    window_arm(W_RENAMEAT2, park, qt_replaces_later, pb);
    b = xsipc_shm_new_in(reg, "second");
    rc = xsipc_shm_create(b, 64, XSIPC_READ_WRITE);
    CK(rc == 0, "create: %d %s", rc, xsipc_shm_error_string(b));
    CK(window_fn == NULL, "the park's rename was never made");
    kb = key_of_path(pb, 'Q');
    CK(kb != ka, "second has first's key 0x%08x", (unsigned)ka);
    CK(child_key(reg, "second", 0, NULL, 0) == kb, "second's key");
    /* The replacement is Qt's, empty, and was not parked. */
    CK(stat(pb, &sb) == 0 && sb.st_size == 0 && sb.st_nlink == 1,
       "not Qt's file: size %ld, %lu links", (long)sb.st_size,
       (unsigned long)sb.st_nlink);
    CK(!exists_in(dir, park), "%s left", park);
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_window_qt_file_replaced_before_park)
{
    in_tmpfs("Qt's file replaced before its park", staged_qt_file_replaced,
             NULL);
}
END_TEST

/* Its remover takes a key file away: the file, then its claim. */
static void removed(void *arg)
{
    char claim[PATH_MAX];
    const char *path = arg;
    struct stat sb;

    if (stat(path, &sb) != 0)
        return;
    snprintf(claim, sizeof claim, "%.*s/.claim-%08x",
             (int)(strrchr(path, '/') - path), path,
             (unsigned)xsipc__reg_ftok(&sb, 'Q'));
    (void)unlink(path);
    (void)unlink(claim);
}

/*
 * A key file with two links and no record that vouches for its claim (an
 * adopted copy: its record has another key) is removed as a lookup judges
 * it, between its fstat and the look at its claim: its second link, gone
 * by then, was its claim -- the file is gone, not linked elsewhere.
 */
START_TEST(test_collide_window_removed_as_judged)
{
    xsipc_registry *reg = sub_registry("j", XSIPC_REGISTRY_PERSISTENT);
    const char *dir = tu_path("j");
    char file[256], path[PATH_MAX];
    xsipc_status st;
    key_t k;
    int fd;

    qt_key_file(dir, "copied", file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(xsipc__reg_write_record(fd, XSIPC__KIND_SHM, "copied",
                                             (key_t)0x51ffffff, 'Q', 0, 0),
                     0);
    close(fd);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "copied", XSIPC_KIND_SHM, 0, &k, NULL, 0, &st),
        0);
    ck_assert(claim_is(dir, k, path));
    window_arm(W_FSTATAT, XSIPC__CLAIM_PREFIX, removed, path);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "copied", XSIPC_KIND_SHM, 0, &k, NULL, 0, &st),
        -XSIPC_NOT_FOUND);
    ck_assert_ptr_null(window_fn);
    sub_done(reg, "j");
}
END_TEST

typedef struct gc_window {
    xsipc_registry *reg;
    const char *dir;
    xsipc__item claim; /* the claim as a scan saw it */
    char name[64];     /* its entry's name */
    int told;          /* the reaper came to wait for the lock */
    pid_t pid;
} gc_window;

static int grab_claim(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    gc_window *w = arg;

    (void)reg;
    if (it->type == XSIPC__ITEM_CLAIM) {
        w->claim = *it;
        snprintf(w->name, sizeof w->name, "%s", it->file);
        w->claim.file = w->name;
    }
    return 0;
}

/* Between the claim and the rename: gc's scan (no lock) sees the claim,
 * and gc's removal of it, in another process, comes to take the registry
 * lock (which the maker holds). */
static void gc_now(void *arg)
{
    gc_window *w = arg;
    struct pollfd p;
    xsipc_status st;
    int tell[2];
    char c;

    if (xsipc__reg_scan(w->reg, grab_claim, w, &st) != 0 || pipe(tell) != 0)
        return;
    w->pid = fork();
    if (w->pid == 0) {
        close(tell[0]);
        flock_tell = tell[1];
        _exit(xsipc__reg_reap_file(w->reg, &w->claim));
    }
    close(tell[1]);
    p.fd = tell[0];
    p.events = POLLIN;
    w->told = poll(&p, 1, 10000) == 1 && read(tell[0], &c, 1) == 1;
    close(tell[0]);
}

/*
 * gc's scan takes no lock: between the claim and the rename it sees the
 * claim of a file not there yet, and judges it stale.  gc removes nothing
 * on that word: it judges again under the registry lock, once the maker is
 * done, and the claim is then the file's.
 */
START_TEST(test_collide_window_gc_while_made)
{
    xsipc_registry *reg = sub_registry("g", XSIPC_REGISTRY_PERSISTENT);
    gc_window w;
    char file[256], path[PATH_MAX];
    xsipc_status st;
    key_t k;
    int status;

    memset(&w, 0, sizeof w);
    w.reg = reg;
    w.dir = tu_path("g");
    w.claim.type = XSIPC__ITEM_KEY_FILE; /* none seen yet */
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "made", file, 256, &st), 0);
    window_arm(W_RENAMEAT2, file, gc_now, &w);
    ck_assert_int_eq(xsipc_registry_key(reg, "made", XSIPC_KIND_SHM, 1, &k,
                                        path, sizeof path, &st),
                     0);
    ck_assert_ptr_null(window_fn);
    ck_assert_msg(w.claim.type == XSIPC__ITEM_CLAIM && w.claim.stale,
                  "the scan did not judge the claim in the making stale");
    ck_assert_msg(w.told, "the removal did not come to the lock");
    ck_assert_int_eq(waitpid(w.pid, &status, 0), w.pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the claim was removed (status 0x%x)", status);
    ck_assert(claim_is(w.dir, k, path));
    ck_assert_int_eq(entries(w.dir, NULL, 0), 2);
    ck_assert_int_eq(xsipc_registry_remove(reg, "made", XSIPC_KIND_SHM, 0, &st),
                     0);
    sub_done(reg, "g");
}
END_TEST

/* ------------------------------------------------- a stranger's files */

/*
 * In a directory everyone may write (mode 1777, as /tmp) a stranger -- uid
 * 65534, in a child of the root test -- plants claims, parks, .name- links
 * and unfinished key files.  None of them may be taken as ours: not
 * adopted, not followed, not removed (gc included).  The tests need root
 * (setuid); as anyone else they are skipped.
 */
#define STRANGER_UID TU_STRANGER

enum { AS_LINK, AS_FILE, AS_UNLINK };

/* Does one file operation as the stranger, in a child: a symbolic link
 * path -> target (AS_LINK), an empty file path (AS_FILE) or the removal of
 * path (AS_UNLINK).  0 when it was done. */
static int stranger_does(int op, const char *path, const char *target)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int rc = -1, fd;
        if (setgroups(0, NULL) != 0 || setgid(STRANGER_UID) != 0 ||
            setuid(STRANGER_UID) != 0)
            _exit(2);
        if (op == AS_LINK)
            rc = symlink(target, path);
        else if (op == AS_FILE) {
            fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
            rc = fd >= 0 ? close(fd) : -1;
        } else
            rc = unlink(path);
        _exit(rc == 0 ? 0 : 3);
    }
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A new directory, writable by all with the sticky bit, where the stranger
 * can reach it (tu_shared_dir). */
static const char *sticky_dir(const char *name)
{
    static char dir[PATH_MAX];

    snprintf(dir, sizeof dir, "%s/%s", tu_shared_dir(), name);
    ck_assert_int_eq(mkdir(dir, 01777), 0);
    ck_assert_int_eq(chmod(dir, 01777), 0); /* past the umask */
    return dir;
}

/* The owner of dir/name (not followed), or (uid_t)-1 when there is none. */
static uid_t owner_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat sb;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return (uid_t)-1;
    return lstat(path, &sb) == 0 ? sb.st_uid : (uid_t)-1;
}

/* What the symbolic link dir/name holds ("" when it is none). */
static const char *link_in(const char *dir, const char *name, char *buf,
                           size_t len)
{
    char path[PATH_MAX];
    ssize_t n;

    buf[0] = '\0';
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return buf;
    n = readlink(path, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* CK that key's claim is ours and is file's inode, its second link. */
static void check_own_claim(const char *dir, key_t key, const char *file)
{
    char claim[PATH_MAX], path[PATH_MAX];
    struct stat sc, sf;

    snprintf(claim, sizeof claim, "%s/.claim-%08x", dir, (unsigned)key);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    CK(lstat(claim, &sc) == 0 && sc.st_uid == geteuid(),
       "%s is not ours (owner %ld)", claim, (long)owner_in(dir, claim));
    CK(lstat(path, &sf) == 0 && S_ISREG(sc.st_mode) && sc.st_ino == sf.st_ino &&
           sf.st_nlink == 2,
       "%s is not the inode of %s", claim, file);
}

/* What an older xsipc's claim of key file file held, a symbolic link: the
 * name with Qt's prefix cut to 'm'.  A stranger plants such links. */
static void claim_text(const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "m%s", file + strlen("qipc_sharedmemory_"));
}

/*
 * The stranger claims the key that root's next key file, for "x", will
 * get (the inodes are staged on tmpfs, see the top of the file).  Before,
 * the claim was taken as x's own (it names x's file), and the stranger,
 * owning it, could then drop it and claim that key for "y"; y's key file,
 * made on an inode with the same low 16 bits, took it as its own too: two
 * names, one key, and attach("x") read y's segment.  Now the planted claim
 * makes the key taken: x gets another key, claimed by us, and so does y.
 */
static int staged_planted_claim(const char *dir, void *arg)
{
    unsigned flags = *(const unsigned *)arg;
    xsipc_status st;
    xsipc_registry *reg;
    char fx[256], fy[256], px[PATH_MAX], py[PATH_MAX], first[PATH_MAX],
        second[PATH_MAX], t[256], names[2048];
    const char *const both[] = {"x", "y"};
    struct stat sb, sp, sx, sy;
    xsipc_shm *x, *y;
    key_t k, kx, ky;
    ino_t last;
    int i, rc;

    CK(chmod(dir, 01777) == 0, "chmod %s", dir);
    reg = xsipc_registry_open(dir, flags, &st);
    CK(reg != NULL, "open %s: %s", dir, st.text);
    CK(xsipc__reg_file_name(XSIPC_KIND_SHM, "x", fx, sizeof fx, &st) == 0,
       "file name");
    CK(xsipc__reg_file_name(XSIPC_KIND_SHM, "y", fy, sizeof fy, &st) == 0,
       "file name");
    CK(stat(dir, &sb) == 0, "stat");
    CK((last = burn_to(dir, 0)) != 0, "inodes are not counted");
    /* Inode last+1 is the stranger's claim, last+2 x's first try. */
    sb.st_ino = last + 2;
    k = xsipc__reg_ftok(&sb, 'Q');
    snprintf(first, sizeof first, "%s/.claim-%08x", dir, (unsigned)k);
    claim_text(fx, t, sizeof t);
    CK(stranger_does(AS_LINK, first, t) == 0, "plant %s", first);
    CK(lstat(first, &sp) == 0 && sp.st_ino == last + 1, "staging missed");
    kx = child_key(reg, "x", 1, px, sizeof px);
    CK(stat(px, &sx) == 0, "stat x");
    /* On the staged inode, or (the planted claim's key being taken) on the
     * next one. */
    CK(sx.st_ino == last + 2 || sx.st_ino == last + 3,
       "x's key file has inode %lu, not a staged one",
       (unsigned long)sx.st_ino);

    /* The stranger's claim goes, and one naming y takes the key that an
     * inode with x's low 16 bits has for Qt -- which fails where x holds
     * that key with a claim of ours.  Then y's key file is made on such
     * an inode. */
    CK(stranger_does(AS_UNLINK, first, NULL) == 0, "unplant %s", first);
    sb.st_ino = sx.st_ino;
    snprintf(second, sizeof second, "%s/.claim-%08x", dir,
             (unsigned)xsipc__reg_ftok(&sb, 'Q'));
    claim_text(fy, t, sizeof t);
    (void)stranger_does(AS_LINK, second, t);
    CK(burn_to(dir, sx.st_ino) != 0, "inodes are not counted");
    ky = child_key(reg, "y", 1, py, sizeof py);
    CK(stat(py, &sy) == 0, "stat y");
    CK(sy.st_ino == sx.st_ino + 65536 || sy.st_ino == sx.st_ino + 65537,
       "y's key file has inode %lu, not a staged one",
       (unsigned long)sy.st_ino);
    y = child_created(reg, "y", "data of y");

    x = xsipc_shm_new_in(reg, "x");
    CK(x != NULL, "xsipc_shm_new_in");
    rc = xsipc_shm_attach(x, XSIPC_READ_ONLY);
    CK(rc != 0 || strcmp(xsipc_shm_const_data(x), "data of y") != 0,
       "attach(\"x\") read y's segment: both have key 0x%08x", (unsigned)kx);
    CK(rc == -XSIPC_NOT_FOUND, "attach x: %d %s", rc,
       xsipc_shm_error_string(x));
    CK(kx != ky, "x and y share key 0x%08x", (unsigned)kx);
    CK(kx != k, "x took key 0x%08x, claimed by the stranger", (unsigned)k);
    check_own_claim(dir, kx, fx);
    check_own_claim(dir, ky, fy);
    xsipc_shm_free(x);
    xsipc_shm_free(y);

    for (i = 0; i < 4; i++) {
        rc = xsipc_registry_remove(
            reg, both[i % 2], i < 2 ? XSIPC_KIND_SHM : XSIPC_KIND_SEM, 0, &st);
        CK(rc == 0 || rc == -XSIPC_NOT_FOUND, "remove %s: %d %s", both[i % 2],
           rc, st.text);
    }
    (void)unlink(second);
    CK(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    return 0;
}

START_TEST(test_collide_planted_claim_not_adopted)
{
    unsigned flags = 0;

    tu_need_root();
    tmpfs_parent = tu_shared_dir();
    in_tmpfs("planted claim", staged_planted_claim, &flags);
}
END_TEST

START_TEST(test_collide_planted_claim_shares_no_key_persistent)
{
    unsigned flags = XSIPC_REGISTRY_PERSISTENT;

    tu_need_root();
    tmpfs_parent = tu_shared_dir();
    in_tmpfs("planted claim, persistent", staged_planted_claim, &flags);
}
END_TEST

/* A key file Qt made has no claim; one planted for its key, naming it,
 * does not make it ours: a persistent registry refuses to adopt it. */
START_TEST(test_collide_planted_claim_of_qt_file_refused)
{
    xsipc_status st;
    xsipc_registry *reg;
    const char *dir;
    char file[256], claim[PATH_MAX], t[256], path[PATH_MAX];
    struct stat sb;
    int rc;

    tu_need_root();
    dir = sticky_dir("shared");
    reg = xsipc_registry_open(dir, XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    qt_key_file(dir, "x", file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    ck_assert(stat(path, &sb) == 0);
    snprintf(claim, sizeof claim, "%s/.claim-%08x", dir,
             (unsigned)xsipc__reg_ftok(&sb, 'Q'));
    claim_text(file, t, sizeof t);
    ck_assert_int_eq(stranger_does(AS_LINK, claim, t), 0);
    rc = xsipc_registry_key(reg, "x", XSIPC_KIND_SHM, 1, NULL, NULL, 0, &st);
    ck_assert_msg(rc == -XSIPC_UNTRUSTED, "lookup: %d %s", rc, st.text);
    ck_assert_msg(strstr(st.text, "uid 65534") != NULL, "message: %s", st.text);
    /* Nothing written: the file stays as Qt made it. */
    ck_assert(stat(path, &sb) == 0 && sb.st_size == 0);
    ck_assert(unlink(claim) == 0);
    ck_assert(unlink(path) == 0);
    xsipc_registry_close(reg);
    ck_assert(rmdir(dir) == 0);
}
END_TEST

/* A stranger's .name- link (as an older xsipc made them) for a name we
 * make is not followed to drop the claim it points at, and neither it nor
 * the claim is removed, by gc either. */
START_TEST(test_collide_planted_name_link_not_followed)
{
    xsipc_status st;
    xsipc_registry *reg;
    const char *dir;
    char fx[256], fy[256], link[64], hex[16], got[64], path[PATH_MAX],
        py[PATH_MAX];
    struct stat sc, sy;
    key_t ky;
    int rc;

    tu_need_root();
    dir = sticky_dir("shared");
    reg = xsipc_registry_open(dir, 0, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "y", XSIPC_KIND_SHM, 1, &ky, NULL, 0, &st), 0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "x", fx, sizeof fx, &st), 0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "y", fy, sizeof fy, &st), 0);
    ck_assert_int_eq(xsipc__reg_old_link_name(fx, link, sizeof link), 0);
    snprintf(hex, sizeof hex, "%08x", (unsigned)ky);
    snprintf(path, sizeof path, "%s/%s", dir, link);
    ck_assert_int_eq(stranger_does(AS_LINK, path, hex), 0);

    rc = xsipc_registry_key(reg, "x", XSIPC_KIND_SHM, 1, NULL, NULL, 0, &st);
    ck_assert_msg(rc == 0, "create x: %d %s", rc, st.text);
    ck_assert_uint_eq(owner_in(dir, link), STRANGER_UID);
    ck_assert_str_eq(link_in(dir, link, got, sizeof got), hex);
    ck_assert_int_eq(xsipc_registry_remove(reg, "x", XSIPC_KIND_SHM, 0, &st),
                     0);
    ck_assert_uint_eq(owner_in(dir, link), STRANGER_UID);
    /* y kept its claim throughout: its key file's second link. */
    snprintf(path, sizeof path, "%s/.claim-%08x", dir, (unsigned)ky);
    snprintf(py, sizeof py, "%s/%s", dir, fy);
    ck_assert(lstat(path, &sc) == 0 && lstat(py, &sy) == 0);
    ck_assert_msg(sc.st_ino == sy.st_ino && sy.st_nlink == 2,
                  "y's claim is not y's inode");
    ck_assert_int_eq(xsipc_registry_remove(reg, "y", XSIPC_KIND_SHM, 0, &st),
                     0);
    /* Nor does gc take it for a stale link of ours. */
    ck_assert_int_eq(xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st), 0);
    ck_assert_uint_eq(owner_in(dir, link), STRANGER_UID);
    snprintf(path, sizeof path, "%s/%s", dir, link);
    ck_assert(unlink(path) == 0);
    xsipc_registry_close(reg);
    ck_assert(rmdir(dir) == 0);
}
END_TEST

/* The stranger's files that look like ours and stale -- a park of a key
 * we held, a claim of a gone file, a park of an unclaimed key, a .name-
 * link of no key file, an unfinished key file -- are neither removed with
 * our claim nor by gc. */
START_TEST(test_collide_strangers_files_kept)
{
    static const char *const files[] = {
        NULL, /* the park of x's key, filled in below */
        ".claim-5affff01", ".park-5affff01-0",
        ".name-m0000000000000000000000000000000000000000", ".new-1-0"};
    xsipc_status st;
    xsipc_registry *reg;
    const char *dir;
    char park[64], path[PATH_MAX], names[1024];
    key_t kx;
    size_t i;
    int rc;

    tu_need_root();
    dir = sticky_dir("shared");
    reg = xsipc_registry_open(dir, 0, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc_registry_key(reg, "x", XSIPC_KIND_SHM, 1, &kx, NULL, 0, &st), 0);
    snprintf(park, sizeof park, ".park-%08x-0", (unsigned)kx);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *f = files[i] != NULL ? files[i] : park;
        snprintf(path, sizeof path, "%s/%s", dir, f);
        if (strncmp(f, ".claim-", 7) == 0)
            rc = stranger_does(AS_LINK, path, "mgone");
        else if (strncmp(f, ".name-", 6) == 0)
            rc = stranger_does(AS_LINK, path, "5affff01");
        else
            rc = stranger_does(AS_FILE, path, NULL);
        ck_assert_msg(rc == 0, "plant %s", f);
    }
    /* Our claim goes with x, and the parks of its key with it: not the
     * stranger's. */
    ck_assert_int_eq(xsipc_registry_remove(reg, "x", XSIPC_KIND_SHM, 0, &st),
                     0);
    ck_assert_msg(owner_in(dir, park) == STRANGER_UID,
                  "the stranger's %s went with our claim", park);
    rc = xsipc_registry_gc(reg, XSIPC_GC_DRY_RUN | XSIPC_GC_NOW, NULL, NULL,
                           &st);
    ck_assert_msg(rc == 0, "gc would remove %d: %s", rc, st.text);
    rc = xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st);
    ck_assert_msg(rc == 0, "gc removed %d: %s", rc, st.text);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *f = files[i] != NULL ? files[i] : park;
        ck_assert_msg(owner_in(dir, f) == STRANGER_UID, "%s is gone", f);
        snprintf(path, sizeof path, "%s/%s", dir, f);
        ck_assert(unlink(path) == 0);
    }
    ck_assert_msg(entries(dir, names, sizeof names) == 0, "left:%s", names);
    xsipc_registry_close(reg);
    ck_assert(rmdir(dir) == 0);
}
END_TEST

/* ------------------------------------------------------- system calls */

/* Makes n names in a persistent registry in sub; returns it. */
static xsipc_registry *filled(const char *sub, int n)
{
    xsipc_status st;
    xsipc_registry *reg;
    char name[32];
    int i;

    ck_assert(mkdir(tu_path(sub), 0700) == 0);
    reg = xsipc_registry_open(tu_path(sub), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof name, "n%d", i);
        ck_assert_int_eq(xsipc_registry_key(reg, name, XSIPC_KIND_SHM, 1, NULL,
                                            NULL, 0, &st),
                         0);
    }
    return reg;
}

/* The calls one lookup of a known name makes, counted. */
static void lookup_calls(xsipc_registry *reg, unsigned long out[C_N])
{
    xsipc__key k;
    xsipc_status st;

    count_reset();
    ck_assert_int_eq(xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "n5", 1, &k, &st),
                     0);
    counting = 0;
    memcpy(out, calls, sizeof calls);
}

START_TEST(test_collide_lookup_costs_constant_calls)
{
    unsigned long small[C_N], large[C_N];
    xsipc_registry *a = filled("small", 10), *b = filled("large", 3000);
    int i;

    lookup_calls(a, small);
    lookup_calls(b, large);
    /* No directory is read, nothing is locked or written; one open of the
     * key file (if the C library routes open through openat, which these
     * wrappers see), and no look at its claim (fstatat, readlinkat): the
     * record of the key vouches for it. */
    for (i = 0; i < C_N; i++)
        ck_assert_msg(small[i] == large[i],
                      "call %d: %lu with 10 names, %lu with 3000", i, small[i],
                      large[i]);
    ck_assert_int_eq(large[C_READDIR] + large[C_OPENDIR], 0);
    ck_assert_int_eq(large[C_FLOCK], 0);
    ck_assert_int_eq(large[C_WRITE] + large[C_CREATE], 0);
    ck_assert_uint_le(large[C_OPENAT], 1);
    ck_assert_int_eq(large[C_READLINK], 0);
    ck_assert_int_eq(large[C_CLAIM], 0);
    xsipc_registry_close(a);
    xsipc_registry_close(b);
    remove_tree(tu_path("small"), 1);
    remove_tree(tu_path("large"), 1);
}
END_TEST

/* A key file without a record (Qt makes them empty) has nothing that
 * vouches for its key: its lookup reads the key's claim. */
START_TEST(test_collide_lookup_of_empty_file_reads_claim)
{
    xsipc_registry *reg;
    xsipc_status st;
    char file[256];
    unsigned long calls_made[C_N];
    int fd;

    ck_assert(mkdir(tu_path("qt"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("qt"), 0, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "n5", file, sizeof file, &st), 0);
    fd = openat(reg->dirfd, file, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    close(fd);
    lookup_calls(reg, calls_made);
    /* The claim's owner is looked at first (a stranger's claim is never
     * read): there is none, so there is no link to read either. */
    ck_assert_int_eq(calls_made[C_CLAIM], 1);
    ck_assert_int_eq(calls_made[C_READLINK], 0);
    ck_assert_int_eq(calls_made[C_WRITE] + calls_made[C_CREATE], 0);
    xsipc_registry_close(reg);
    remove_tree(tu_path("qt"), 1);
}
END_TEST

/* A create whose lock's key file cannot be made (a full file system)
 * leaves nothing: the segment's key file and its claim, made just before,
 * go again. */
START_TEST(test_collide_full_fs_leaves_nothing)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), "full");
    DIR *d;
    struct dirent *e;
    int rc, left = 0;

    /* The 1st creation is the segment's temporary key file; the 2nd the
     * lock's. */
    creates_left = 2;
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    ck_assert_int_eq(creates_left, 0);
    tu_shm_fails(shm, rc, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "No space") != NULL, "%s",
                  xsipc_shm_error_string(shm));
    d = opendir(tu_dir());
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        left += e->d_name[0] != '.' ||
                (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0);
    closedir(d);
    ck_assert_int_eq(left, 0);
    xsipc_shm_free(shm);
}
END_TEST

/* In a persistent registry create and attach of a known name write
 * nothing to the file system: no key file, claim, lock or record. */
START_TEST(test_collide_persistent_known_name_writes_nothing)
{
    xsipc_status st;
    xsipc_registry *reg;
    xsipc_shm *a, *b;
    xsipc_sem *sem;
    int round;

    ck_assert(mkdir(tu_path("p"), 0700) == 0);
    reg = xsipc_registry_open(tu_path("p"), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    for (round = 0; round < 2; round++) {
        /* Round 0 registers the names; round 1 only uses them. */
        if (round == 1)
            count_reset();
        a = xsipc_shm_new_in(reg, "kept");
        b = xsipc_shm_new_in(reg, "kept");
        ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
        ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
        xsipc_shm_free(b);
        xsipc_shm_free(a);
        sem = xsipc_sem_new_in(reg, "kept-sem", 1, XSIPC_OPEN);
        ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
        xsipc_sem_free(sem);
        counting = 0;
    }
    ck_assert_msg(calls[C_WRITE] == 0 && calls[C_CREATE] == 0,
                  "%lu writes and %lu creates", calls[C_WRITE],
                  calls[C_CREATE]);
    /* The registry lock is taken only to make an object at a key
     * (semset.c, R1): the lock set and the segment of "kept" (one hold:
     * a create keeps the hold its lock set was made in), and the set of
     * "kept-sem": two holds, each a flock and its LOCK_UN. */
    ck_assert_int_eq(calls[C_FLOCK], 4);
    ck_assert_int_eq(calls[C_READDIR] + calls[C_OPENDIR], 0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SHM, 0, &st),
                     0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SEM, 0, &st),
                     0);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "kept-sem", XSIPC_KIND_SEM, 0, &st), 0);
    xsipc_registry_close(reg);
    ck_assert_int_eq(entries(tu_path("p"), NULL, 0), 0);
    ck_assert(rmdir(tu_path("p")) == 0);
}
END_TEST

/* -------------------------------------------------------------- scale */

typedef struct scale_arg {
    int names;
    unsigned flags;
} scale_arg;

static int scale(const char *dir, void *arg)
{
    const scale_arg *a = arg;
    xsipc_status st;
    xsipc_registry *reg;
    key_t *keys = malloc(sizeof *keys * (size_t)a->names);
    unsigned projs[256] = {0};
    char name[32], path[PATH_MAX], line[512];
    double t0, t1, t2;
    int i, n;

    CK(keys != NULL, "malloc");
    reg = xsipc_registry_open(dir, a->flags, &st);
    CK(reg != NULL, "open: %s", st.text);
    t0 = seconds();
    for (i = 0; i < a->names; i++) {
        snprintf(name, sizeof name, "n%d", i);
        keys[i] = child_key(reg, name, 1, path, sizeof path);
    }
    t1 = seconds();
    for (i = 0; i < a->names; i++) {
        int proj = (int)(((unsigned)keys[i] >> 24) & 0xff);
        snprintf(name, sizeof name, "n%d", i);
        CK(child_key(reg, name, 0, path, sizeof path) == keys[i],
           "%s: another key on lookup", name);
        /* ftok of the path, as Qt (proj 'Q') or the recorded proj. */
        CK(key_of_path(path, proj) == keys[i], "%s: not ftok(path)", name);
        if ((a->flags & XSIPC_REGISTRY_PERSISTENT) == 0)
            CK(proj == 'Q', "%s: proj %d in a Qt registry", name, proj);
        projs[proj]++;
    }
    t2 = seconds();
    qsort(keys, (size_t)a->names, sizeof *keys, key_cmp);
    for (i = 1; i < a->names; i++)
        CK(keys[i] != keys[i - 1], "two names share 0x%08x", (unsigned)keys[i]);
    n = snprintf(line, sizeof line,
                 "check_collide: %d names (%s registry on tmpfs): made in "
                 "%.2f s, looked up in %.2f s, no key shared; keys by proj:",
                 a->names, a->flags != 0 ? "persistent" : "Qt", t1 - t0,
                 t2 - t1);
    for (i = 1; i < 256 && n < (int)sizeof line - 16; i++)
        if (projs[i] != 0)
            n += snprintf(line + n, sizeof line - (size_t)n, " %c=%u", i,
                          projs[i]);
    fprintf(stderr, "%s\n", line);
    xsipc_registry_close(reg);
    free(keys);
    remove_tree(dir, 0);
    return 0;
}

START_TEST(test_collide_qt_registry_20000_names)
{
    scale_arg a = {20000, 0};
    in_tmpfs("20,000 names", scale, &a);
}
END_TEST

START_TEST(test_collide_persistent_100000_names)
{
    scale_arg a = {100000, XSIPC_REGISTRY_PERSISTENT};
    in_tmpfs("100,000 names", scale, &a);
}
END_TEST

/* --------------------------------------------------------------- suite */

Suite *collide_suite(void)
{
    Suite *s = suite_create("collide");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");

    tu_tcase(core);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_collide_staged_names_get_own_keys);
    tcase_add_test(core, test_collide_persistent_takes_other_proj);
    tcase_add_test(core, test_collide_qt_file_on_claimed_key_made_again);
    tcase_add_test(core,
                   test_collide_qt_file_on_claimed_key_made_again_persistent);
    tcase_add_test(core, test_collide_stale_claim_taken_over);
    tcase_add_test(core, test_collide_object_keeps_new_key_off);
    tcase_add_test(core, test_collide_removed_key_file_leaves_stale_claim);
    tcase_add_test(core, test_collide_eight_processes_same_keys);
    tcase_add_test(core, test_collide_lookup_costs_constant_calls);
    tcase_add_test(core, test_collide_lookup_of_empty_file_reads_claim);
    tcase_add_test(core, test_collide_persistent_known_name_writes_nothing);
    tcase_add_test(core, test_collide_full_fs_leaves_nothing);
    tcase_add_test(core, test_collide_gone_key_file_made_again);
    tcase_add_test(core, test_collide_gone_key_file_not_found);
    tcase_add_test(core, test_collide_gone_native_key_file);
    tcase_add_test(core, test_collide_gone_key_file_not_adopted);
    tcase_add_test(core, test_collide_gone_key_file_not_listed);
    tcase_add_test(core, test_collide_window_crash_before_rename);
    tcase_add_test(core, test_collide_window_qt_file_before_rename);
    tcase_add_test(core, test_collide_window_qt_file_replaced_before_claim);
    tcase_add_test(core, test_collide_window_qt_file_replaced_before_park);
    tcase_add_test(core, test_collide_window_gc_while_made);
    tcase_add_test(core, test_collide_window_removed_as_judged);
    tcase_add_test(core, test_collide_planted_claim_not_adopted);
    tcase_add_test(core, test_collide_planted_claim_shares_no_key_persistent);
    tcase_add_test(core, test_collide_planted_claim_of_qt_file_refused);
    tcase_add_test(core, test_collide_planted_name_link_not_followed);
    tcase_add_test(core, test_collide_strangers_files_kept);
    suite_add_tcase(s, core);

    tu_tcase(limits);
    tcase_set_timeout(limits, 300);
    tcase_add_test(limits, test_collide_qt_registry_20000_names);
    tcase_add_test(limits, test_collide_persistent_100000_names);
    suite_add_tcase(s, limits);
    return s;
}
