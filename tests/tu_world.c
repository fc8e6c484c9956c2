/* SPDX-License-Identifier: MIT */
/*
 * tu_world.c -- what a test needs of the system around it, and the skip
 * when the system will not give it: the real root and a second uid, a
 * directory other users can reach, a private IPC namespace.
 *
 * Packagers build as root and as an unprivileged user, in containers and
 * chroots without CAP_SYS_ADMIN or user namespaces, with TMPDIR a 0700
 * mktemp -d: each case asks for exactly what it needs here, and is
 * reported as skipped, with the reason, where it cannot have it.
 */
#define _GNU_SOURCE /* unshare, CLONE_NEWUSER */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tu_internal.h"

/* --------------------------------------------------------- root, uids */

void tu_need_root(void)
{
    int status;
    pid_t pid;

    if (geteuid() != 0)
        tu_skip("needs root (running as uid %ld)", (long)geteuid());
    /* The root of a user namespace mapped from an ordinary user (unshare
     * --map-root-user) is uid 0 too, but has no other uid to become. */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(setgroups(0, NULL) == 0 && setgid(TU_STRANGER) == 0 &&
                      setuid(TU_STRANGER) == 0
                  ? 0
                  : 1);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        tu_skip("needs root able to become uid %d (a user namespace's root "
                "cannot)",
                TU_STRANGER);
}

/* ------------------------------------------------ a directory for all */

static char shared_dir[PATH_MAX]; /* this test's, "" when it made none */

/* Non-zero when every directory from / down to dir (resolved) gives others
 * search permission. */
static int reachable_by_all(const char *dir)
{
    char path[PATH_MAX], *slash;
    struct stat sb;

    if (realpath(dir, path) == NULL)
        return 0;
    for (;;) {
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
            (sb.st_mode & S_IXOTH) == 0)
            return 0;
        if ((slash = strrchr(path, '/')) == NULL || slash == path)
            break;
        *slash = '\0';
    }
    return stat("/", &sb) == 0 && (sb.st_mode & S_IXOTH) != 0;
}

/* Lists dir in the suite's SHARED file, so that the end of the suite finds
 * it even when the test failed before its teardown. */
static void remember(const char *dir)
{
    char path[PATH_MAX];
    FILE *f;

    if (snprintf(path, sizeof path, "%s/SHARED", tu__suite_dir()) >=
        (int)sizeof path)
        return;
    if ((f = fopen(path, "a")) != NULL) {
        fprintf(f, "%s\n", dir);
        fclose(f);
    }
}

const char *tu_shared_dir(void)
{
    const char *bases[4];
    size_t i;

    if (shared_dir[0] != '\0')
        return shared_dir;
    bases[0] = tu__suite_tmp();
    bases[1] = "/tmp";
    bases[2] = "/var/tmp";
    bases[3] = "/dev/shm";
    for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        if (!reachable_by_all(bases[i]) ||
            snprintf(shared_dir, sizeof shared_dir, "%s/xsipc-shared-XXXXXX",
                     bases[i]) >= (int)sizeof shared_dir)
            continue;
        if (mkdtemp(shared_dir) != NULL && chmod(shared_dir, 0755) == 0) {
            remember(shared_dir);
            return shared_dir;
        }
        if (shared_dir[0] != '\0')
            rmdir(shared_dir);
    }
    shared_dir[0] = '\0';
    tu_skip("needs a directory every user can reach: none of $TMPDIR (%s), "
            "/tmp, /var/tmp, /dev/shm gives others search permission",
            tu__suite_tmp());
    return NULL; /* not reached */
}

void tu__world_teardown(int report)
{
    if (shared_dir[0] != '\0')
        tu__sweep_dir(shared_dir, report);
    shared_dir[0] = '\0';
}

void tu__world_end(void)
{
    char path[PATH_MAX], line[PATH_MAX + 2];
    FILE *f;

    if (snprintf(path, sizeof path, "%s/SHARED", tu__suite_dir()) >=
            (int)sizeof path ||
        (f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '/')
            tu__sweep_dir(line, 0);
    }
    fclose(f);
    unlink(path);
}

/* ----------------------------------------------- a private namespace */

static int skip_fd = -1; /* in tu_in_new_ipcns's child: the reason pipe */

int tu_child_skip(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof why - 1)
        n = (int)sizeof why - 1;
    if (skip_fd >= 0 && n > 0 && write(skip_fd, why, (size_t)n) < 0)
        n = 0;
    return 77;
}

/* Writes text to the file at path; 0 or -1. */
static int put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n = -1;

    if (fd >= 0) {
        n = write(fd, text, strlen(text));
        close(fd);
    }
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Maps this process's uid and gid, as they were before its
 * unshare(CLONE_NEWUSER), to the new user namespace's root (as_root) or to
 * themselves.  0, or -1 with errno. */
static int map_ids(uid_t uid, gid_t gid, int as_root)
{
    char map[64];

    snprintf(map, sizeof map, "%ld %ld 1\n", as_root ? 0L : (long)uid,
             (long)uid);
    if (put("/proc/self/uid_map", map) != 0 ||
        put("/proc/self/setgroups", "deny\n") != 0)
        return -1;
    snprintf(map, sizeof map, "%ld %ld 1\n", as_root ? 0L : (long)gid,
             (long)gid);
    return put("/proc/self/gid_map", map);
}

/* A new IPC namespace for this process, owned by a new user namespace when
 * the system refuses a plain one (no CAP_SYS_ADMIN): the process then has
 * every capability over the new IPC namespace, its uid mapped to the new
 * namespace's root -- the kernel gives the namespace's /proc/sys/kernel
 * limits to that root, and to no other uid.  0, or -1 with the reason
 * given to the parent. */
static int new_ipcns(void)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    int first;

    if (unshare(CLONE_NEWIPC) == 0)
        return 0;
    first = errno;
    if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) {
        tu_child_skip("cannot make an IPC namespace: unshare(CLONE_NEWIPC): "
                      "%s; with a user namespace: %s",
                      strerror(first), strerror(errno));
        return -1;
    }
    if (map_ids(uid, gid, 1) != 0) {
        tu_child_skip("cannot map uid %ld in a new user namespace: %s",
                      (long)uid, strerror(errno));
        return -1;
    }
    return 0;
}

size_t tu_read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;

    while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    return got;
}

int tu_in_new_ipcns(int (*fn)(void *), void *arg)
{
    char why[513];
    size_t got;
    int p[2], status;
    pid_t pid;

    ck_assert(pipe2(p, O_CLOEXEC) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        skip_fd = p[1];
        _exit(new_ipcns() != 0 ? 77 : fn(arg));
    }
    close(p[1]);
    got = tu_read_all(p[0], why, sizeof why);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77 && got > 0)
        tu_skip("%s", why);
    ck_assert_msg(WIFEXITED(status),
                  "the child in a new IPC namespace died "
                  "(status 0x%x)",
                  status);
    return WEXITSTATUS(status);
}

/* ------------------------------------------------- a tmpfs of one's own */

int tu_mount_private_tmpfs(const char *mnt)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();

    if (unshare(CLONE_NEWNS) != 0 &&
        (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0 ||
         map_ids(uid, gid, 0) != 0))
        return -1;
    /* Where / is a shared mount (systemd), the new mount would propagate
     * to the parent's namespace: make everything private first.  (Source
     * and type are ignored for a propagation change; given as strings for
     * memcheck, which takes NULL for a bad pointer.) */
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    /* nr_inodes: a mount with an inode limit numbers inodes from one
     * counter under a lock (no per-CPU batches), so in sequence. */
    return mount("xsipc-test", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
                 "mode=0700,nr_inodes=1000000,size=1g");
}

/* Whether pid waits for an flock (a "->" line of /proc/locks). */
int tu_waits_for_flock(pid_t pid)
{
    char line[256], me[32];
    FILE *f = fopen("/proc/locks", "r");
    int found = 0;

    if (f == NULL)
        return 0;
    (void)snprintf(me, sizeof me, " %ld ", (long)pid);
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "->") != NULL && strstr(line, "FLOCK") != NULL &&
                strstr(line, me) != NULL;
    fclose(f);
    return found;
}

/* Entries of dir, . and .. aside. */
int tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}
