/* SPDX-License-Identifier: MIT */
/*
 * qt5_bench.cpp -- the Qt 5 contender of `make bench` (bench/qt5-bench).
 *
 * bench/xsipc-bench runs this program once per round and reads one line of
 * numbers from it.  It times its own loop with CLOCK_MONOTONIC, so the
 * start-up of a Qt program is not charged to QSharedMemory.  Its key files
 * go to QDir::tempPath(), that is $TMPDIR, which xsipc-bench points at its
 * own directory; every segment and semaphore set it makes is gone when it
 * exits (QSharedMemory's last detach removes the segment, and the object
 * that created the lock set removes it when destroyed).
 *
 * Usage: qt5-bench COMMAND ...
 *   version           print qVersion()
 *   lock NAME MS      create(4096); lock()+unlock() pairs for MS ms;
 *                     print "PAIRS NANOSECONDS"
 *   pairs NAME N      create(4096); N pairs; detach -- for callgrind
 *   handoff NAME N    create(4096); fork a second process with its own
 *                     QSharedMemory (attach); each does N times: lock,
 *                     increment the counter in the segment, unlock; print
 *                     "INCREMENTS NANOSECONDS CHANGES" where CHANGES counts
 *                     the increments that followed the other process.
 *                     The two processes are pinned to two different CPUs
 *                     (pin.c, shared with xsipc-bench).
 *                     Exit 1 when the counter is not exactly 2N.
 *   create NAME MS    QSharedMemory(NAME) + create(4096) + detach +
 *                     destroy, repeated for MS ms; print "CYCLES NANOSECONDS"
 *   recreate NAME MS  one QSharedMemory(NAME), create(4096) + detach on it
 *                     repeated for MS ms; print "CYCLES NANOSECONDS"
 *   attach NAME MS    one QSharedMemory(NAME) of a segment xsipc-bench made
 *                     and keeps attached: attach + lock + read the mark at
 *                     its start + unlock + detach, repeated for MS ms;
 *                     print "CYCLES NANOSECONDS"
 *   inodes NAME N     one cycle as `create`, then N more between two probe
 *                     files made and removed in $TMPDIR (a tmpfs whose
 *                     inode numbers come in sequence); print "INODES", the
 *                     inodes the N cycles allocated
 */
#include <config.h>

#include <QtCore/QSharedMemory>
#include <QtCore/QString>
#include <QtCore/QtGlobal>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/pin.h"

namespace
{

long long now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int fail(QSharedMemory &shm, const char *what)
{
    std::fprintf(stderr, "qt5-bench: %s: %s\n", what,
                 qPrintable(shm.errorString()));
    return 1;
}

/* The counter in the segment, as handoff.c lays it out. */
struct tally {
    long count;
    long last;
    long changes[2];
};

int cmd_lock(const char *name, long ms)
{
    QSharedMemory shm(QString::fromUtf8(name));
    if (!shm.create(4096))
        return fail(shm, "create");
    long long t0 = now_ns(), t, budget = ms * 1000000LL;
    long pairs = 0;
    /* The clock once per 1000 pairs, as in lock.c. */
    do {
        for (int i = 0; i < 1000; i++) {
            if (!shm.lock())
                return fail(shm, "lock");
            if (!shm.unlock())
                return fail(shm, "unlock");
        }
        pairs += 1000;
        t = now_ns();
    } while (t - t0 < budget);
    std::printf("%ld %lld\n", pairs, t - t0);
    return shm.detach() ? 0 : fail(shm, "detach");
}

int cmd_pairs(const char *name, long n)
{
    QSharedMemory shm(QString::fromUtf8(name));
    if (!shm.create(4096))
        return fail(shm, "create");
    for (long i = 0; i < n; i++) {
        if (!shm.lock())
            return fail(shm, "lock");
        if (!shm.unlock())
            return fail(shm, "unlock");
    }
    return shm.detach() ? 0 : fail(shm, "detach");
}

/* N times: lock, increment, note a change of hands, unlock. */
int increments(QSharedMemory &shm, int who, long n)
{
    tally *t = static_cast<tally *>(shm.data());
    long me = static_cast<long>(getpid()), changes = 0;
    for (long i = 0; i < n; i++) {
        if (!shm.lock())
            return fail(shm, "lock");
        if (t->last != me) {
            changes++;
            t->last = me;
        }
        t->count++;
        if (!shm.unlock())
            return fail(shm, "unlock");
    }
    if (!shm.lock())
        return fail(shm, "lock");
    t->changes[who] = changes;
    return shm.unlock() ? 0 : fail(shm, "unlock");
}

int cmd_handoff(const char *name, long n)
{
    QSharedMemory shm(QString::fromUtf8(name));
    int ready[2], go[2], status;
    char c;

    if (!shm.create(4096))
        return fail(shm, "create");
    std::memset(shm.data(), 0, sizeof(tally));
    if (pipe(ready) != 0 || pipe(go) != 0)
        return 1;
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        return 1;
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        (void)pin(&all, 1);
        /* A handle of its own, as a second program would have; the
         * parent's copy is left alone, and _exit runs no destructor. */
        QSharedMemory *mine = new QSharedMemory(QString::fromUtf8(name));
        if (!mine->attach())
            _exit(fail(*mine, "attach"));
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(3);
        int rc = increments(*mine, 1, n);
        if (rc == 0 && !mine->detach())
            rc = fail(*mine, "detach");
        _exit(rc);
    }
    (void)pin(&all, 0);
    if (read(ready[0], &c, 1) != 1)
        return 1;
    long long t0 = now_ns();
    if (write(go[1], "g", 1) != 1)
        return 1;
    int rc = increments(shm, 0, n);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    long long t1 = now_ns();
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    if (!shm.lock())
        return fail(shm, "lock");
    const tally *t = static_cast<const tally *>(shm.constData());
    long count = t->count, changes = t->changes[0] + t->changes[1];
    if (!shm.unlock())
        return fail(shm, "unlock");
    if (count != 2 * n) {
        std::fprintf(stderr, "qt5-bench: counter %ld, expected %ld\n", count,
                     2 * n);
        return 1;
    }
    std::printf("%ld %lld %ld\n", 2 * n, t1 - t0, changes);
    return shm.detach() ? 0 : fail(shm, "detach");
}

/* One cycle of a fresh object: construct, create(4096), detach (the
 * last user: the segment goes), destroy (the lock set and both key files
 * go).  0, or 1 after a message. */
int fresh_cycle(const QString &key)
{
    QSharedMemory shm(key);
    if (!shm.create(4096))
        return fail(shm, "create");
    return shm.detach() ? 0 : fail(shm, "detach");
}

int cmd_create(const char *name, long ms)
{
    const QString key = QString::fromUtf8(name);
    long long t0 = now_ns(), t, budget = ms * 1000000LL;
    long cycles = 0;

    do {
        for (int i = 0; i < 50; i++)
            if (fresh_cycle(key) != 0)
                return 1;
        cycles += 50;
        t = now_ns();
    } while (t - t0 < budget);
    std::printf("%ld %lld\n", cycles, t - t0);
    return 0;
}

/* create(4096) + detach on one object, as a program that makes the same
 * segment again and again with one QSharedMemory does. */
int cmd_recreate(const char *name, long ms)
{
    QSharedMemory shm(QString::fromUtf8(name));
    long long t0 = now_ns(), t, budget = ms * 1000000LL;
    long cycles = 0;

    do {
        for (int i = 0; i < 50; i++) {
            if (!shm.create(4096))
                return fail(shm, "create");
            if (!shm.detach())
                return fail(shm, "detach");
        }
        cycles += 50;
        t = now_ns();
    } while (t - t0 < budget);
    std::printf("%ld %lld\n", cycles, t - t0);
    return 0;
}

/* What attach.c writes at the start of the segment, and both read. */
const char attach_mark[] = "xsipc-bench attach";

/* attach + lock + read + unlock + detach of a segment that another
 * process keeps attached (so detach never removes it). */
int cmd_attach(const char *name, long ms)
{
    QSharedMemory shm(QString::fromUtf8(name));
    long long t0 = now_ns(), t, budget = ms * 1000000LL;
    long cycles = 0;

    do {
        for (int i = 0; i < 50; i++) {
            if (!shm.attach())
                return fail(shm, "attach");
            if (!shm.lock())
                return fail(shm, "lock");
            bool same = std::memcmp(shm.constData(), attach_mark,
                                    sizeof attach_mark) == 0;
            if (!shm.unlock())
                return fail(shm, "unlock");
            if (!same) {
                std::fprintf(stderr, "qt5-bench: attach: not the mark\n");
                return 1;
            }
            if (!shm.detach())
                return fail(shm, "detach");
        }
        cycles += 50;
        t = now_ns();
    } while (t - t0 < budget);
    std::printf("%ld %lld\n", cycles, t - t0);
    return 0;
}

/* The number the next inode made in dir gets: a probe file made, stat'ed
 * and removed.  -1 on failure. */
long next_ino(const char *dir)
{
    char path[4096];
    struct stat sb;

    std::snprintf(path, sizeof path, "%s/probe", dir);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = fstat(fd, &sb);
    close(fd);
    unlink(path);
    return rc == 0 ? static_cast<long>(sb.st_ino) : -1;
}

/* The inodes n fresh cycles allocate, after a first one (whatever a
 * process keeps between cycles is made once).  Between the two probes
 * only the cycles make inodes, and the second probe takes one itself. */
int cmd_inodes(const char *name, long n)
{
    const QString key = QString::fromUtf8(name);
    const char *dir = std::getenv("TMPDIR");

    if (dir == nullptr || dir[0] == '\0' || fresh_cycle(key) != 0)
        return 1;
    long a = next_ino(dir);
    for (long i = 0; i < n; i++)
        if (fresh_cycle(key) != 0)
            return 1;
    long b = next_ino(dir);
    if (a < 0 || b < 0) {
        std::fprintf(stderr, "qt5-bench: probe in %s: %s\n", dir,
                     std::strerror(errno));
        return 1;
    }
    std::printf("%ld\n", b - a - 1);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 2 && std::strcmp(argv[1], "version") == 0) {
        std::printf("%s\n", qVersion());
        return 0;
    }
    if (argc != 4) {
        std::fprintf(stderr, "usage: qt5-bench version | lock|pairs|handoff|"
                             "create|recreate|attach|inodes NAME N\n");
        return 2;
    }
    const char *cmd = argv[1], *name = argv[2];
    long n = std::strtol(argv[3], nullptr, 10);
    if (std::strcmp(cmd, "lock") == 0)
        return cmd_lock(name, n);
    if (std::strcmp(cmd, "pairs") == 0)
        return cmd_pairs(name, n);
    if (std::strcmp(cmd, "handoff") == 0)
        return cmd_handoff(name, n);
    if (std::strcmp(cmd, "create") == 0)
        return cmd_create(name, n);
    if (std::strcmp(cmd, "recreate") == 0)
        return cmd_recreate(name, n);
    if (std::strcmp(cmd, "attach") == 0)
        return cmd_attach(name, n);
    if (std::strcmp(cmd, "inodes") == 0)
        return cmd_inodes(name, n);
    std::fprintf(stderr, "qt5-bench: unknown command %s\n", cmd);
    return 2;
}
