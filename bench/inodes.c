/* SPDX-License-Identifier: MIT */
/*
 * inodes.c -- benchmark 7: the inodes a segment's life cycle allocates,
 * counted exactly.  create(4096)+free of a fresh xsipc handle in the
 * default registry against Qt 5's construct+create+detach+destroy of a
 * QSharedMemory on the same name (qt5-bench inodes, the baseline), and
 * the same xsipc cycle in a persistent registry.
 *
 * The count: a child of this program enters a mount namespace of its own
 * (unshare(CLONE_NEWNS); with a user namespace where that is refused) and
 * mounts a tmpfs there with an inode limit (nr_inodes).  Such a tmpfs
 * numbers its inodes from one counter under a lock -- without a limit
 * they come from per-CPU batches -- so in sequence, and nothing else can
 * touch a mount no other process sees.  A probe file made and removed
 * before and after N cycles gives the next inode number each time; the
 * difference less one (the second probe's own) is what the N cycles
 * allocated: every file, symbolic link and directory, however briefly it
 * lived.  Each contender has a directory of its own there: its $TMPDIR
 * (the default registry, Qt's key files) or the persistent registry.
 *
 * Method: `rounds` rounds of N cycles, the three rows alternating, after a
 * first cycle of each outside the count (what stays from one cycle to the
 * next, a persistent key file, is made once; a Qt run makes its first
 * cycle itself).  A count does not depend on load: min-max shows whether
 * every round counted the same.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"

#define CYCLES 20 /* per round */

/* What the counting child sends back. */
typedef struct counts {
    int ok;
    char why[200]; /* when not ok */
    double v[3][MAX_ROUNDS];
} counts;

/* The number the next inode made in dir gets: a probe file made,
 * fstat'ed and removed; -1 on failure. */
static long next_ino(const char *dir)
{
    char path[PATH_MAX + 8];
    struct stat sb;
    int fd, rc;

    snprintf(path, sizeof path, "%s/probe", dir);
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    rc = fstat(fd, &sb);
    close(fd);
    unlink(path);
    return rc == 0 ? (long)sb.st_ino : -1;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * A mount namespace of this process's own.  Without CAP_SYS_ADMIN a plain
 * one is refused, but a new user namespace gives every capability over a
 * mount namespace it owns; the uid and gid are mapped to themselves, so
 * files and System V objects still belong to us.
 */
static int own_mount_ns(char *why, size_t len)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    int first;

    if (unshare(CLONE_NEWNS) == 0)
        return 0;
    first = errno;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        snprintf(why, len,
                 "no mount namespace (unshare: %s; with a user namespace: "
                 "%s)",
                 strerror(first), strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "%ld %ld 1\n", (long)uid, (long)uid);
    if (write_file("/proc/self/uid_map", map) != 0 ||
        write_file("/proc/self/setgroups", "deny\n") != 0)
        goto unmapped;
    snprintf(map, sizeof map, "%ld %ld 1\n", (long)gid, (long)gid);
    if (write_file("/proc/self/gid_map", map) != 0)
        goto unmapped;
    return 0;
unmapped:
    snprintf(why, len, "no uid/gid map in a user namespace: %s",
             strerror(errno));
    return -1;
}

/* The tmpfs of the count at mnt, in a mount namespace of our own. */
static int private_tmpfs(const char *mnt, char *why, size_t len)
{
    long a, b;

    if (own_mount_ns(why, len) != 0)
        return -1;
    /* Where / is a shared mount (systemd), a new mount would propagate
     * back to the parent's namespace: everything private first.  (Source
     * and type are ignored for a change of propagation.) */
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("xsipc-bench", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=0700,nr_inodes=100000,size=16m") != 0) {
        snprintf(why, len, "no tmpfs of its own: %s", strerror(errno));
        return -1;
    }
    /* Kernels before 5.9 number even such a tmpfs's inodes in per-CPU
     * batches: two probes in a row must be one apart. */
    a = next_ino(mnt);
    b = next_ino(mnt);
    if (a < 0 || b != a + 1) {
        snprintf(why, len, "inode numbers not in sequence (%ld, %ld)", a, b);
        return -1;
    }
    return 0;
}

/* One xsipc cycle: a fresh handle in reg (NULL: the default registry),
 * create(4096), free (the detach of the last user). */
static void xsipc_cycle(xsipc_registry *reg)
{
    xsipc_shm *s = xsipc_shm_new_in(reg, "inodes");

    if (s == NULL || xsipc_shm_create(s, 4096, XSIPC_READ_WRITE) != 0)
        die("create: %s", xsipc_shm_error_string(s));
    xsipc_shm_free(s);
}

/* Inodes per cycle over CYCLES xsipc cycles, probed in dir. */
static double xsipc_count(xsipc_registry *reg, const char *dir)
{
    long a = next_ino(dir), b;

    for (int i = 0; i < CYCLES; i++)
        xsipc_cycle(reg);
    if ((b = next_ino(dir)) < 0 || a < 0)
        die("probe in %s: %s", dir, strerror(errno));
    return (double)(b - a - 1) / CYCLES;
}

/* Inodes per cycle over CYCLES Qt cycles, in $TMPDIR dir. */
static double qt_count(const char *dir)
{
    char n[16];
    double v;

    snprintf(n, sizeof n, "%d", CYCLES);
    const char *args[] = {"inodes", "inodes", n, NULL};
    setenv("TMPDIR", dir, 1);
    qt5(args, &v, 1);
    return v / CYCLES;
}

/* The counting child: mounts the tmpfs at mnt, counts, sends c to fd. */
static void count_child(const char *mnt, int fd)
{
    static counts c;
    char dir[3][PATH_MAX + 32];
    static const char *sub[3] = {"default", "qt", "persistent"};
    xsipc_registry *persistent = NULL;
    xsipc_status st;

    memset(&c, 0, sizeof c);
    if (private_tmpfs(mnt, c.why, sizeof c.why) != 0)
        goto send;
    for (int i = 0; i < 3; i++) {
        snprintf(dir[i], sizeof dir[i], "%s/%s", mnt, sub[i]);
        if (mkdir(dir[i], 0700) != 0)
            die("mkdir %s: %s", dir[i], strerror(errno));
    }
    persistent = xsipc_registry_open(dir[2], XSIPC_REGISTRY_PERSISTENT, &st);
    if (persistent == NULL)
        die("xsipc_registry_open: %s", st.text);
    /* xsipc's default registry is $TMPDIR: set once, for every round. */
    setenv("TMPDIR", dir[0], 1);
    xsipc_cycle(NULL);
    xsipc_cycle(persistent);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 3; j++) {
            int i = (j + r) % 3;
            if (i == 0)
                c.v[0][r] = xsipc_count(NULL, dir[0]);
            else if (i == 2)
                c.v[2][r] = xsipc_count(persistent, dir[2]);
            else if (qt5_path != NULL) {
                c.v[1][r] = qt_count(dir[1]);
                setenv("TMPDIR", dir[0], 1);
            }
        }
    xsipc_registry_close(persistent);
    c.ok = 1;
send:
    if (write(fd, &c, sizeof c) != (ssize_t)sizeof c)
        _exit(3);
    _exit(0);
}

void bench_inodes(void)
{
    static const char title[] = "7. inodes per create(4096)+free";
    static counts c;
    char mnt[PATH_MAX + 16];
    int p[2], status, row_of[3];
    ssize_t n;
    pid_t pid;

    row_of[1] =
        add_baseline(title, "Qt5 QSharedMemory, fresh object", "inodes/cycle");
    row_of[0] = add_row(title, "xsipc default registry, fresh handle",
                        "inodes/cycle", row_of[1], "Qt5");
    row_of[2] = add_row(title, "xsipc persistent registry, fresh handle",
                        "inodes/cycle", row_of[1], "Qt5");
    snprintf(mnt, sizeof mnt, "%s/inodes", work);
    if (mkdir(mnt, 0700) != 0)
        die("mkdir %s: %s", mnt, strerror(errno));
    if (pipe(p) != 0)
        die("pipe: %s", strerror(errno));
    fprintf(stderr, "xsipc-bench: 7. inodes, %d rounds of %d cycles\n", rounds,
            CYCLES);
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        count_child(mnt, p[1]);
    }
    close(p[1]);
    while ((n = read(p[0], &c, sizeof c)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        n != (ssize_t)sizeof c)
        die("7. inodes: the counting child failed (status 0x%x)", status);
    (void)rmdir(mnt); /* the tmpfs went with the child's namespace */
    if (!c.ok) {
        for (int i = 0; i < 3; i++)
            set_note(row_of[i], "not measured: %s", c.why);
        return;
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < 3; i++)
            if (i != 1 || qt5_path != NULL)
                put(row_of[i], c.v[i][r]);
    if (qt5_path == NULL)
        set_note(row_of[1], "%s", no_qt5);
    else
        set_note(row_of[1],
                 "QSharedMemory(name) + create(4096) + detach + destroy, "
                 "%d per round, after a first; its $TMPDIR on a private "
                 "tmpfs (nr_inodes: numbered in sequence), probed before "
                 "and after",
                 CYCLES);
    set_note(row_of[0],
             "xsipc_shm_new(name) + create(4096) + free, %d per round, "
             "after a first; its $TMPDIR on the same tmpfs, probed alike",
             CYCLES);
    set_note(row_of[2],
             "xsipc_shm_new_in(persistent registry, name) + create(4096) + "
             "free, %d per round, after a first; the registry on the same "
             "tmpfs, probed alike",
             CYCLES);
}
