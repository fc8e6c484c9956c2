/* SPDX-License-Identifier: MIT */
/*
 * qt_peer.cpp -- a real Qt program for the interop tests (check_interop).
 *
 * Built twice, against Qt5Core (tests/interop/qt5-peer) and Qt6Core
 * (tests/interop/qt6-peer).  It does one thing per run with
 * QSharedMemory or QSystemSemaphore, exactly as an application would, and
 * talks to the test over its standard streams: every line it prints is
 * flushed at once, and "wait for EOF" means it blocks reading stdin until
 * the test closes it, which is how the test tells it to finish.
 *
 * Qt puts its key files in QDir::tempPath(), that is $TMPDIR: the test sets
 * TMPDIR to its own registry directory, so Qt and xsipc meet there.
 *
 * Usage: qtN-peer COMMAND NAME [ARG]
 *   create NAME TEXT   create(strlen+1), copy TEXT with its NUL under the
 *                      lock, print "ready", wait for EOF, detach.
 *   read NAME          attach read-only, print the data (a C string) under
 *                      the lock, detach.
 *   write NAME TEXT    attach read-write, copy TEXT with its NUL under the
 *                      lock, print "written", detach.
 *   hold NAME          attach, lock, print "locked", wait for EOF, unlock,
 *                      detach.
 *   lock NAME          attach, print "attached", wait for a line (or EOF)
 *                      on stdin, print "waiting", lock() (blocks while
 *                      someone else holds it), print "locked", unlock,
 *                      detach.  The handshake is needed because Qt's attach
 *                      takes the lock itself: the test takes its lock only
 *                      after the attach is done.
 *   sem-acquire NAME   QSystemSemaphore(NAME, 0, Open): acquire, print
 *                      "acquired", wait for EOF.  Qt acquires with SEM_UNDO,
 *                      so the count comes back when the process exits.
 *   sem-release NAME N QSystemSemaphore(NAME, 0, Open): release(N), print
 *                      "released", wait for EOF.  Qt releases with SEM_UNDO
 *                      too, so the release is undone when the process exits.
 *
 * Exit 0 on success.  On a Qt failure: "error N" (the error() number) on
 * stdout, Qt's errorString() and the number on stderr, exit 1.  Bad usage:
 * exit 2.
 */
#include <QtCore/QSharedMemory>
#include <QtCore/QString>
#include <QtCore/QSystemSemaphore>
#include <QtCore/QtGlobal>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace
{

/* Qt 6.6 deprecates the QString constructors in favour of native keys;
 * legacyNativeKey() gives the key file that older Qt (and xsipc) use. */
#if QT_VERSION >= QT_VERSION_CHECK(6, 6, 0)
QSharedMemory *new_shm(const char *name)
{
    return new QSharedMemory(
        QSharedMemory::legacyNativeKey(QString::fromUtf8(name)));
}
QSystemSemaphore *new_sem(const char *name, int initial)
{
    return new QSystemSemaphore(
        QSystemSemaphore::legacyNativeKey(QString::fromUtf8(name)), initial,
        QSystemSemaphore::Open);
}
#else
QSharedMemory *new_shm(const char *name)
{
    return new QSharedMemory(QString::fromUtf8(name));
}
QSystemSemaphore *new_sem(const char *name, int initial)
{
    return new QSystemSemaphore(QString::fromUtf8(name), initial,
                                QSystemSemaphore::Open);
}
#endif

void say(const char *line)
{
    std::printf("%s\n", line);
    std::fflush(stdout);
}

/* Reads stdin until EOF (mode 0) or until the end of one line (mode 1). */
void wait_input(int one_line)
{
    char c;
    for (;;) {
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (one_line && c == '\n')
            return;
    }
}

int shm_fail(QSharedMemory *shm, const char *what)
{
    int code = static_cast<int>(shm->error());
    std::printf("error %d\n", code);
    std::fflush(stdout);
    std::fprintf(stderr, "qt-peer: %s: %s (error %d)\n", what,
                 qPrintable(shm->errorString()), code);
    delete shm;
    return 1;
}

int sem_fail(QSystemSemaphore *sem, const char *what)
{
    int code = static_cast<int>(sem->error());
    std::printf("error %d\n", code);
    std::fflush(stdout);
    std::fprintf(stderr, "qt-peer: %s: %s (error %d)\n", what,
                 qPrintable(sem->errorString()), code);
    delete sem;
    return 1;
}

/* Copies text with its NUL into the segment, under the lock. */
int put_text(QSharedMemory *shm, const char *text)
{
    size_t len = std::strlen(text) + 1;
    if (static_cast<size_t>(shm->size()) < len) {
        std::printf("error %d\n", static_cast<int>(QSharedMemory::InvalidSize));
        std::fflush(stdout);
        std::fprintf(stderr, "qt-peer: segment of %lld bytes is too small\n",
                     static_cast<long long>(shm->size()));
        delete shm;
        return 1;
    }
    if (!shm->lock())
        return shm_fail(shm, "lock");
    std::memcpy(shm->data(), text, len);
    if (!shm->unlock())
        return shm_fail(shm, "unlock");
    return 0;
}

int cmd_create(const char *name, const char *text)
{
    QSharedMemory *shm = new_shm(name);
    if (!shm->create(static_cast<qsizetype>(std::strlen(text) + 1)))
        return shm_fail(shm, "create");
    if (put_text(shm, text) != 0)
        return 1;
    say("ready");
    wait_input(0);
    if (!shm->detach())
        return shm_fail(shm, "detach");
    delete shm;
    return 0;
}

int cmd_read(const char *name)
{
    QSharedMemory *shm = new_shm(name);
    if (!shm->attach(QSharedMemory::ReadOnly))
        return shm_fail(shm, "attach");
    if (!shm->lock())
        return shm_fail(shm, "lock");
    const char *data = static_cast<const char *>(shm->constData());
    /* Print at most size bytes: the segment need not hold a NUL. */
    std::printf("%.*s\n", static_cast<int>(strnlen(data, shm->size())), data);
    std::fflush(stdout);
    if (!shm->unlock())
        return shm_fail(shm, "unlock");
    if (!shm->detach())
        return shm_fail(shm, "detach");
    delete shm;
    return 0;
}

int cmd_write(const char *name, const char *text)
{
    QSharedMemory *shm = new_shm(name);
    if (!shm->attach(QSharedMemory::ReadWrite))
        return shm_fail(shm, "attach");
    if (put_text(shm, text) != 0)
        return 1;
    say("written");
    if (!shm->detach())
        return shm_fail(shm, "detach");
    delete shm;
    return 0;
}

int cmd_hold(const char *name)
{
    QSharedMemory *shm = new_shm(name);
    if (!shm->attach(QSharedMemory::ReadWrite))
        return shm_fail(shm, "attach");
    if (!shm->lock())
        return shm_fail(shm, "lock");
    say("locked");
    wait_input(0);
    if (!shm->unlock())
        return shm_fail(shm, "unlock");
    if (!shm->detach())
        return shm_fail(shm, "detach");
    delete shm;
    return 0;
}

int cmd_lock(const char *name)
{
    QSharedMemory *shm = new_shm(name);
    if (!shm->attach(QSharedMemory::ReadWrite))
        return shm_fail(shm, "attach");
    say("attached");
    wait_input(1);
    say("waiting");
    if (!shm->lock())
        return shm_fail(shm, "lock");
    say("locked");
    if (!shm->unlock())
        return shm_fail(shm, "unlock");
    if (!shm->detach())
        return shm_fail(shm, "detach");
    delete shm;
    return 0;
}

int cmd_sem_acquire(const char *name)
{
    QSystemSemaphore *sem = new_sem(name, 0);
    if (sem->error() != QSystemSemaphore::NoError)
        return sem_fail(sem, "open");
    if (!sem->acquire())
        return sem_fail(sem, "acquire");
    say("acquired");
    wait_input(0);
    delete sem;
    return 0;
}

int cmd_sem_release(const char *name, const char *count)
{
    char *end;
    errno = 0;
    long n = std::strtol(count, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > 32767) {
        std::fprintf(stderr, "qt-peer: bad count '%s'\n", count);
        return 2;
    }
    QSystemSemaphore *sem = new_sem(name, 0);
    if (sem->error() != QSystemSemaphore::NoError)
        return sem_fail(sem, "open");
    if (!sem->release(static_cast<int>(n)))
        return sem_fail(sem, "release");
    say("released");
    wait_input(0);
    delete sem;
    return 0;
}

int usage()
{
    std::fprintf(stderr, "Usage: qt-peer create NAME TEXT | read NAME | "
                         "write NAME TEXT | hold NAME | lock NAME |\n"
                         "       sem-acquire NAME | sem-release NAME N\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1];
    const char *name = argv[2];

    if (argc == 4 && std::strcmp(cmd, "create") == 0)
        return cmd_create(name, argv[3]);
    if (argc == 3 && std::strcmp(cmd, "read") == 0)
        return cmd_read(name);
    if (argc == 4 && std::strcmp(cmd, "write") == 0)
        return cmd_write(name, argv[3]);
    if (argc == 3 && std::strcmp(cmd, "hold") == 0)
        return cmd_hold(name);
    if (argc == 3 && std::strcmp(cmd, "lock") == 0)
        return cmd_lock(name);
    if (argc == 3 && std::strcmp(cmd, "sem-acquire") == 0)
        return cmd_sem_acquire(name);
    if (argc == 4 && std::strcmp(cmd, "sem-release") == 0)
        return cmd_sem_release(name, argv[3]);
    return usage();
}
