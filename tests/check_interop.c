/* SPDX-License-Identifier: MIT */
/*
 * check_interop.c -- xsipc against real peers: Qt5 and Qt6 programs using
 * QSharedMemory and QSystemSemaphore (tests/interop/qt_peer.cpp), and a
 * python3 script using sysv_ipc (tests/interop/sysv_peer.py).
 *
 * The peers run as child processes with TMPDIR set to the test's registry
 * directory (the fixture sets it), so Qt puts its key files where
 * tu_registry() looks.  They print one flushed line per step and finish
 * when their stdin is closed (see qt_peer.cpp for the commands).
 *
 * Every case is always there: the Qt cases run when configure found
 * Qt5Core/Qt6Core (local.mk then defines QT5_PEER/QT6_PEER), the python
 * cases when PYTHON3 can import sysv_ipc; else each is skipped with the
 * reason (tu_skip), which the console and the summary show.  A peer that
 * was built but is missing at run time makes its tests fail.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry/registry.h"
#include "testutil.h"

/* How long a peer may take to answer a step it must answer (generous: a
 * loaded CI machine), and how long one that must not answer is watched. */
#define ANSWER_MS 10000L
#define QUIET_MS 500L

/* local.mk defines these; an empty PYTHON3 means configure found none. */
#ifndef PYTHON3
#define PYTHON3 ""
#endif
#ifndef SYSV_PEER_PY
#define SYSV_PEER_PY ""
#endif
/* ... and these when it built the Qt peer. */
#ifndef QT5_PEER
#define QT5_PEER ""
#endif
#ifndef QT6_PEER
#define QT6_PEER ""
#endif

/* ------------------------------------------------------------- helpers */

/* Starts the peer argv (argv[0] a path, NULL-terminated). */
static void peer_start(tu_proc *p, const char *const argv[])
{
    ck_assert_msg(access(argv[0], X_OK) == 0, "peer %s: %s (was it built?)",
                  argv[0], strerror(errno));
    tu_proc_start(p, (char *const *)argv);
}

/* Reads the peer's next line and asserts it is want. */
static void expect_line(tu_proc *p, const char *want, const char *step)
{
    char line[256];

    ck_assert_msg(tu_proc_line(p, line, sizeof line, ANSWER_MS) == 0,
                  "%s: the peer said nothing (EOF or %ld ms), expected "
                  "\"%s\"",
                  step, ANSWER_MS, want);
    ck_assert_msg(strcmp(line, want) == 0,
                  "%s: the peer said \"%s\", expected \"%s\"", step, line,
                  want);
}

/* Closes the peer's stdin and asserts its exit status. */
static void expect_exit(tu_proc *p, int want, const char *step)
{
    int rc = tu_proc_wait(p, ANSWER_MS);
    ck_assert_msg(rc == want, "%s: the peer exited with %d, expected %d", step,
                  rc, want);
}

static xsipc_shm *shm_new(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), name);
    ck_assert_ptr_nonnull(shm);
    return shm;
}

/* An xsipc segment of 64 bytes holding text, made under the lock. */
static xsipc_shm *shm_made(const char *name, const char *text)
{
    xsipc_shm *shm = shm_new(name);
    int rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);

    ck_assert_msg(rc == 0, "xsipc_shm_create(%s): %d %s", name, rc,
                  xsipc_shm_error_string(shm));
    rc = xsipc_shm_lock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_lock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    strcpy(xsipc_shm_data(shm), text);
    rc = xsipc_shm_unlock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    return shm;
}

static void shm_gone(xsipc_shm *shm)
{
    int rc = xsipc_shm_detach(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_detach: %d %s", rc,
                  xsipc_shm_error_string(shm));
    xsipc_shm_free(shm);
}

/* Asserts that the registry directory is empty and, in a private IPC
 * namespace, that no System V object is left: the peers and xsipc both
 * cleaned up after themselves. */
static void expect_nothing_left(void)
{
    DIR *d = opendir(tu_dir());
    struct dirent *e;
    char names[1024] = "";
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (strlen(names) + strlen(e->d_name) + 2 < sizeof names) {
            strcat(names, " ");
            strcat(names, e->d_name);
        }
    }
    closedir(d);
    ck_assert_msg(n == 0, "%d file(s) left in the registry:%s", n, names);
    if (tu_in_private_ipcns()) {
        ck_assert_msg(tu_count_shm() == 0, "%d segment(s) left",
                      tu_count_shm());
        ck_assert_msg(tu_count_sem() == 0, "%d semaphore set(s) left",
                      tu_count_sem());
    }
}

/* ------------------------------------------------------- the Qt tests */

/* Starts the Qt peer: peer cmd name [arg]. */
static void qt_start(tu_proc *p, const char *peer, const char *cmd,
                     const char *name, const char *arg)
{
    const char *argv[] = {peer, cmd, name, arg, NULL};
    peer_start(p, argv);
}

/* Asserts that the segment holds text, read under the lock. */
static void shm_expect_text(xsipc_shm *shm, const char *text)
{
    int rc = xsipc_shm_lock(shm);

    ck_assert_msg(rc == 0, "xsipc_shm_lock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_ptr_nonnull(xsipc_shm_const_data(shm));
    ck_assert_msg(xsipc_shm_size(shm) > strlen(text),
                  "segment of %zu bytes cannot hold \"%s\"",
                  xsipc_shm_size(shm), text);
    ck_assert_msg(
        strncmp(xsipc_shm_const_data(shm), text, strlen(text) + 1) == 0,
        "segment holds \"%.*s\", expected \"%s\"", (int)strlen(text) + 1,
        (const char *)xsipc_shm_const_data(shm), text);
    rc = xsipc_shm_unlock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
}

static xsipc_sem *sem_open_(const char *name, int initial)
{
    xsipc_sem *sem = xsipc_sem_new_in(tu_registry(), name, initial, XSIPC_OPEN);
    ck_assert_ptr_nonnull(sem);
    ck_assert_msg(xsipc_sem_error(sem) == XSIPC_NO_ERROR,
                  "xsipc_sem_new_in(%s): %s", name,
                  xsipc_sem_error_string(sem));
    return sem;
}

/* Qt creates "share" (the demo's provider); xsipc reads it (consumer). */
static void qt_creates_xsipc_reads(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm;
    int rc;

    qt_start(&p, peer, "create", "share", "hello QT!");
    expect_line(&p, "ready", "Qt create");

    shm = shm_new("share");
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    ck_assert_msg(rc == 0, "xsipc_shm_attach of Qt's segment: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_msg(xsipc_shm_size(shm) == strlen("hello QT!") + 1,
                  "size %zu, Qt made %zu", xsipc_shm_size(shm),
                  strlen("hello QT!") + 1);
    /* As Qt's data(): the pointer of the read-only mapping. */
    ck_assert_ptr_eq(xsipc_shm_data(shm), xsipc_shm_const_data(shm));
    shm_expect_text(shm, "hello QT!");
    shm_gone(shm);

    expect_exit(&p, 0, "Qt create, stdin closed");
    expect_nothing_left();
}

/* xsipc creates "share" (the provider); Qt reads it (the consumer). */
static void xsipc_creates_qt_reads(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm = shm_made("share", "hello from C");

    qt_start(&p, peer, "read", "share", NULL);
    expect_line(&p, "hello from C", "Qt read");
    expect_exit(&p, 0, "Qt read");

    shm_gone(shm);
    expect_nothing_left();
}

/* Qt writes into a segment xsipc made; xsipc sees the text. */
static void qt_writes_xsipc_reads(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm = shm_made("share", "old text");

    qt_start(&p, peer, "write", "share", "written by Qt");
    expect_line(&p, "written", "Qt write");
    expect_exit(&p, 0, "Qt write");
    shm_expect_text(shm, "written by Qt");

    shm_gone(shm);
    expect_nothing_left();
}

/* xsipc holds the lock: Qt's lock() waits until xsipc unlocks. */
static void xsipc_lock_blocks_qt(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm = shm_made("share", "x");
    char line[64];
    int rc;

    /* Qt's attach takes the lock itself: lock only once it is done. */
    qt_start(&p, peer, "lock", "share", NULL);
    expect_line(&p, "attached", "Qt attach");
    rc = xsipc_shm_lock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_lock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_int_eq(write(p.in, "\n", 1), 1);
    expect_line(&p, "waiting", "Qt before lock()");
    ck_assert_msg(tu_proc_line(&p, line, sizeof line, QUIET_MS) != 0,
                  "Qt's lock() returned (\"%s\") while xsipc held the lock",
                  line);
    rc = xsipc_shm_unlock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    expect_line(&p, "locked", "Qt lock() after xsipc unlocked");
    expect_exit(&p, 0, "Qt lock");

    shm_gone(shm);
    expect_nothing_left();
}

/* Qt holds the lock: xsipc cannot take it until Qt lets go. */
static void qt_lock_blocks_xsipc(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm = shm_made("share", "x");
    int rc;

    qt_start(&p, peer, "hold", "share", NULL);
    expect_line(&p, "locked", "Qt hold");
    rc = xsipc_shm_try_lock(shm);
    ck_assert_msg(rc == -XSIPC_WOULD_BLOCK,
                  "xsipc_shm_try_lock while Qt holds the lock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_WOULD_BLOCK);
    rc = xsipc_shm_lock_timeout(shm, 100);
    ck_assert_msg(rc == -XSIPC_TIMEOUT,
                  "xsipc_shm_lock_timeout while Qt holds the lock: %d %s", rc,
                  xsipc_shm_error_string(shm));

    tu_proc_close_in(&p); /* Qt unlocks and detaches */
    rc = xsipc_shm_lock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_lock after Qt's unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    rc = xsipc_shm_unlock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    expect_exit(&p, 0, "Qt hold");

    shm_gone(shm);
    expect_nothing_left();
}

/* A name nobody made: NotFound (5) on both sides, nothing left behind. */
static void not_found(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm;
    int rc;

    qt_start(&p, peer, "read", "nobody", NULL);
    expect_line(&p, "error 5", "Qt read of a missing name");
    expect_exit(&p, 1, "Qt read of a missing name");

    shm = shm_new("never");
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    ck_assert_msg(rc == -XSIPC_NOT_FOUND, "xsipc_shm_attach: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NOT_FOUND);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    xsipc_shm_free(shm);
    expect_nothing_left();
}

/*
 * A create on a name the other side made gives AlreadyExists (4) both
 * ways.  Qt's failed create() also takes over the segment's lock set
 * (Create mode, SETVAL 1) and removes it when it exits: xsipc must go on
 * locking through a set made anew.
 */
static void create_conflict(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm = shm_made("share", "mine");
    int rc;

    qt_start(&p, peer, "create", "share", "theirs");
    expect_line(&p, "error 4", "Qt create of xsipc's name");
    expect_exit(&p, 1, "Qt create of xsipc's name");
    shm_expect_text(shm, "mine");
    qt_start(&p, peer, "read", "share", NULL);
    expect_line(&p, "mine", "Qt read after its failed create");
    expect_exit(&p, 0, "Qt read");
    shm_gone(shm);
    expect_nothing_left();

    qt_start(&p, peer, "create", "share", "theirs");
    expect_line(&p, "ready", "Qt create");
    shm = shm_new("share");
    rc = xsipc_shm_create(shm, 64, XSIPC_READ_WRITE);
    ck_assert_msg(rc == -XSIPC_ALREADY_EXISTS,
                  "xsipc_shm_create of Qt's name: %d %s", rc,
                  xsipc_shm_error_string(shm));
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    xsipc_shm_free(shm);
    expect_exit(&p, 0, "Qt create, stdin closed");
    expect_nothing_left();
}

/*
 * Qt creates, xsipc attaches, Qt exits first: Qt's QSystemSemaphore,
 * owner of the lock set, removes it (and its key file) while xsipc still
 * uses the segment.  xsipc keeps locking, and its detach, the last one,
 * removes the segment and the key file.
 */
static void qt_creator_exits_first(const char *peer)
{
    tu_proc p;
    xsipc_shm *shm;
    int rc;

    qt_start(&p, peer, "create", "share", "hello QT!");
    expect_line(&p, "ready", "Qt create");
    shm = shm_new("share");
    rc = xsipc_shm_attach(shm, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "xsipc_shm_attach: %d %s", rc,
                  xsipc_shm_error_string(shm));
    shm_expect_text(shm, "hello QT!");
    expect_exit(&p, 0, "Qt create, stdin closed");

    shm_expect_text(shm, "hello QT!");
    shm_gone(shm);
    expect_nothing_left();
}

/*
 * A handle keeps what it resolved (registry/resolve.c's cached lookup):
 * xsipc makes "share", a second handle attaches and detaches, the maker
 * goes (its last detach removes the key file), and Qt makes "share" again.
 * The old inode is held open meanwhile, so Qt's key file is another inode
 * with another key: the handle's next attach must find Qt's segment, not
 * the old key.
 */
static void qt_remakes_key_file(const char *peer)
{
    xsipc_shm *maker = shm_made("share", "from C"), *shm = shm_new("share");
    char file[256], path[4200];
    xsipc_status st;
    key_t old, now;
    tu_proc p;
    int rc, pin;

    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    ck_assert_msg(rc == 0, "xsipc_shm_attach: %d %s", rc,
                  xsipc_shm_error_string(shm));
    shm_expect_text(shm, "from C");
    ck_assert_int_eq(xsipc_shm_detach(shm), 0);
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "share", XSIPC_KIND_SHM,
                                        0, &old, NULL, 0, &st),
                     0);
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "share", file, sizeof file, &st),
        0);
    snprintf(path, sizeof path, "%s/%s", tu_dir(), file);
    pin = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(pin, 0);
    shm_gone(maker);
    ck_assert_int_eq(access(path, F_OK), -1);

    qt_start(&p, peer, "create", "share", "from Qt");
    expect_line(&p, "ready", "Qt create");
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "share", XSIPC_KIND_SHM,
                                        0, &now, NULL, 0, &st),
                     0);
    ck_assert_int_ne(now, old);
    rc = xsipc_shm_attach(shm, XSIPC_READ_ONLY);
    ck_assert_msg(rc == 0, "xsipc_shm_attach of Qt's new segment: %d %s", rc,
                  xsipc_shm_error_string(shm));
    shm_expect_text(shm, "from Qt");
    shm_gone(shm);
    expect_exit(&p, 0, "Qt create, stdin closed");
    close(pin);
    expect_nothing_left();
}

/* xsipc releases, Qt's acquire() returns. */
static void sem_xsipc_releases_qt_acquires(const char *peer)
{
    tu_proc p;
    xsipc_sem *sem = sem_open_("sig", 0);
    char line[64];
    int rc;

    qt_start(&p, peer, "sem-acquire", "sig", NULL);
    ck_assert_msg(tu_proc_line(&p, line, sizeof line, QUIET_MS) != 0,
                  "Qt acquired (\"%s\") a semaphore of value 0", line);
    rc = xsipc_sem_release(sem, 1);
    ck_assert_msg(rc == 0, "xsipc_sem_release: %d %s", rc,
                  xsipc_sem_error_string(sem));
    expect_line(&p, "acquired", "Qt acquire after xsipc's release");
    rc = xsipc_sem_try_acquire(sem);
    ck_assert_msg(rc == -XSIPC_WOULD_BLOCK,
                  "xsipc_sem_try_acquire after Qt took the count: %d %s", rc,
                  xsipc_sem_error_string(sem));

    /* Qt acquires with SEM_UNDO: its exit gives the count back. */
    expect_exit(&p, 0, "Qt sem-acquire");
    rc = xsipc_sem_acquire_timeout(sem, ANSWER_MS);
    ck_assert_msg(rc == 0, "the count Qt held did not come back: %d %s", rc,
                  xsipc_sem_error_string(sem));
    xsipc_sem_free(sem);
    expect_nothing_left();
}

/* Qt holds the only count: xsipc cannot acquire until Qt exits. */
static void sem_qt_holds(const char *peer)
{
    tu_proc p;
    xsipc_sem *sem = sem_open_("sig", 1);
    int rc;

    qt_start(&p, peer, "sem-acquire", "sig", NULL);
    expect_line(&p, "acquired", "Qt acquire");
    rc = xsipc_sem_try_acquire(sem);
    ck_assert_msg(rc == -XSIPC_WOULD_BLOCK,
                  "xsipc_sem_try_acquire while Qt holds the count: %d %s", rc,
                  xsipc_sem_error_string(sem));
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_WOULD_BLOCK);
    rc = xsipc_sem_acquire_timeout(sem, 100);
    ck_assert_msg(rc == -XSIPC_TIMEOUT,
                  "xsipc_sem_acquire_timeout while Qt holds the count: %d %s",
                  rc, xsipc_sem_error_string(sem));

    expect_exit(&p, 0, "Qt sem-acquire");
    rc = xsipc_sem_acquire_timeout(sem, ANSWER_MS);
    ck_assert_msg(rc == 0, "xsipc_sem_acquire after Qt exited: %d %s", rc,
                  xsipc_sem_error_string(sem));
    rc = xsipc_sem_release(sem, 1);
    ck_assert_msg(rc == 0, "xsipc_sem_release: %d %s", rc,
                  xsipc_sem_error_string(sem));
    xsipc_sem_free(sem);
    expect_nothing_left();
}

/* Qt releases with SEM_UNDO: the count is there while Qt lives, and is
 * taken back when Qt exits (why xsipc signals with its own release). */
static void sem_qt_release_undone(const char *peer)
{
    tu_proc p;
    xsipc_sem *sem = sem_open_("sig", 0);
    int rc;

    qt_start(&p, peer, "sem-release", "sig", "1");
    expect_line(&p, "released", "Qt release");
    rc = xsipc_sem_try_acquire(sem);
    ck_assert_msg(rc == 0, "xsipc_sem_try_acquire after Qt's release: %d %s",
                  rc, xsipc_sem_error_string(sem));
    rc = xsipc_sem_release(sem, 1);
    ck_assert_msg(rc == 0, "xsipc_sem_release: %d %s", rc,
                  xsipc_sem_error_string(sem));

    expect_exit(&p, 0, "Qt sem-release");
    rc = xsipc_sem_try_acquire(sem);
    ck_assert_msg(rc == -XSIPC_WOULD_BLOCK,
                  "Qt's release was not undone at its exit: %d %s", rc,
                  xsipc_sem_error_string(sem));
    xsipc_sem_free(sem);
    expect_nothing_left();
}

/* One test function per Qt version and behaviour, named for the report. */
/* The peer's path, or a skip that says which Qt is missing. */
static const char *qt_peer(const char *peer, int major)
{
    if (peer[0] == '\0')
        tu_skip("interop with Qt %d: skipped, no Qt%dCore (configure found no "
                "Qt %d development files; ./bootstrap installs them)",
                major, major, major);
    return peer;
}
#define QT5 qt_peer(QT5_PEER, 5)
#define QT6 qt_peer(QT6_PEER, 6)

START_TEST(test_interop_qt5_qt_creates_xsipc_reads)
{
    qt_creates_xsipc_reads(QT5);
}
END_TEST

START_TEST(test_interop_qt5_xsipc_creates_qt_reads)
{
    xsipc_creates_qt_reads(QT5);
}
END_TEST

START_TEST(test_interop_qt5_qt_writes_xsipc_reads)
{
    qt_writes_xsipc_reads(QT5);
}
END_TEST

START_TEST(test_interop_qt5_xsipc_lock_blocks_qt)
{
    xsipc_lock_blocks_qt(QT5);
}
END_TEST

START_TEST(test_interop_qt5_qt_lock_blocks_xsipc)
{
    qt_lock_blocks_xsipc(QT5);
}
END_TEST

START_TEST(test_interop_qt5_not_found)
{
    not_found(QT5);
}
END_TEST

START_TEST(test_interop_qt5_create_conflict)
{
    create_conflict(QT5);
}
END_TEST

START_TEST(test_interop_qt5_qt_creator_exits_first)
{
    qt_creator_exits_first(QT5);
}
END_TEST

START_TEST(test_interop_qt5_qt_remakes_key_file)
{
    qt_remakes_key_file(QT5);
}
END_TEST

START_TEST(test_interop_qt5_sem_xsipc_releases_qt_acquires)
{
    sem_xsipc_releases_qt_acquires(QT5);
}
END_TEST

START_TEST(test_interop_qt5_sem_qt_holds)
{
    sem_qt_holds(QT5);
}
END_TEST

START_TEST(test_interop_qt5_sem_qt_release_undone)
{
    sem_qt_release_undone(QT5);
}
END_TEST
START_TEST(test_interop_qt6_qt_creates_xsipc_reads)
{
    qt_creates_xsipc_reads(QT6);
}
END_TEST

START_TEST(test_interop_qt6_xsipc_creates_qt_reads)
{
    xsipc_creates_qt_reads(QT6);
}
END_TEST

START_TEST(test_interop_qt6_qt_writes_xsipc_reads)
{
    qt_writes_xsipc_reads(QT6);
}
END_TEST

START_TEST(test_interop_qt6_xsipc_lock_blocks_qt)
{
    xsipc_lock_blocks_qt(QT6);
}
END_TEST

START_TEST(test_interop_qt6_qt_lock_blocks_xsipc)
{
    qt_lock_blocks_xsipc(QT6);
}
END_TEST

START_TEST(test_interop_qt6_not_found)
{
    not_found(QT6);
}
END_TEST

START_TEST(test_interop_qt6_create_conflict)
{
    create_conflict(QT6);
}
END_TEST

START_TEST(test_interop_qt6_qt_creator_exits_first)
{
    qt_creator_exits_first(QT6);
}
END_TEST

START_TEST(test_interop_qt6_qt_remakes_key_file)
{
    qt_remakes_key_file(QT6);
}
END_TEST

START_TEST(test_interop_qt6_sem_xsipc_releases_qt_acquires)
{
    sem_xsipc_releases_qt_acquires(QT6);
}
END_TEST

START_TEST(test_interop_qt6_sem_qt_holds)
{
    sem_qt_holds(QT6);
}
END_TEST

START_TEST(test_interop_qt6_sem_qt_release_undone)
{
    sem_qt_release_undone(QT6);
}
END_TEST

/* ----------------------------------------------------- the python test */

/* python_probe()'s answer, asked once when the suite is made. */
static int python = 127;

static void need_python(void)
{
    if (PYTHON3[0] == '\0')
        tu_skip("interop with python: skipped, no python3 (configure found "
                "none; ./bootstrap installs python3-sysv-ipc)");
    if (python != 0)
        tu_skip("interop with python: skipped, %s cannot import sysv_ipc "
                "(python3-sysv-ipc is not installed)",
                PYTHON3);
}

/* The key_t xsipc resolved for name: what a sysv_ipc script is given. */
static key_t key_of(xsipc__kind kind, const char *name)
{
    xsipc__key k;
    xsipc_status st;
    int rc = xsipc__reg_resolve(tu_registry(), kind, name, 0, &k, &st);

    ck_assert_msg(rc == 0, "xsipc__reg_resolve(%s): %d %s", name, rc, st.text);
    return k.key;
}

static void key_text(char *buf, size_t len, key_t key)
{
    snprintf(buf, len, "0x%08x", (unsigned)key);
}

START_TEST(test_interop_python_read)
{
    tu_proc p;
    xsipc_shm *shm;
    char key[16];
    const char *argv[] = {PYTHON3, SYSV_PEER_PY, "read", key, NULL};

    need_python();
    shm = shm_made("py", "hello python");
    key_text(key, sizeof key, key_of(XSIPC__KIND_SHM, "py"));
    peer_start(&p, argv);
    expect_line(&p, "hello python", "sysv_ipc read");
    expect_exit(&p, 0, "sysv_ipc read");

    shm_gone(shm);
    expect_nothing_left();
}
END_TEST

/* The python side takes the same lock semaphore (number 0 of the set at
 * the qipc_systemsem_ key): it waits while xsipc holds it. */
START_TEST(test_interop_python_lock_read)
{
    tu_proc p;
    xsipc_shm *shm;
    char key[16], semkey[16], line[64];
    const char *argv[] = {PYTHON3, SYSV_PEER_PY, "lock-read",
                          key,     semkey,       NULL};
    int rc;

    need_python();
    shm = shm_made("py", "hello python");
    key_text(key, sizeof key, key_of(XSIPC__KIND_SHM, "py"));
    key_text(semkey, sizeof semkey, key_of(XSIPC__KIND_SEM, "py"));
    rc = xsipc_shm_lock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_lock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    peer_start(&p, argv);
    ck_assert_msg(tu_proc_line(&p, line, sizeof line, QUIET_MS) != 0,
                  "sysv_ipc read (\"%s\") while xsipc held the lock", line);
    rc = xsipc_shm_unlock(shm);
    ck_assert_msg(rc == 0, "xsipc_shm_unlock: %d %s", rc,
                  xsipc_shm_error_string(shm));
    expect_line(&p, "hello python", "sysv_ipc lock-read");
    expect_exit(&p, 0, "sysv_ipc lock-read");

    shm_gone(shm);
    expect_nothing_left();
}
END_TEST

/* The sysv_peer.py exit status of "probe": 0 when sysv_ipc imports. */
static int python_probe(void)
{
    const char *argv[] = {PYTHON3, SYSV_PEER_PY, "probe", NULL};
    int status;
    pid_t pid;

    if (PYTHON3[0] == '\0' || access(PYTHON3, X_OK) != 0)
        return 127;
    pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return 127;
    return WEXITSTATUS(status);
}

/* ------------------------------------------------------------- suite */

static TCase *peer_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tu_tcase(tc);
    /* Every step waits at most ANSWER_MS; a test has a handful. */
    tcase_set_timeout(tc, 60);
    return tc;
}

Suite *interop_suite(void)
{
    Suite *s = suite_create("interop");
    TCase *tc;

    tc = peer_tcase("qt5");
    tcase_add_test(tc, test_interop_qt5_qt_creates_xsipc_reads);
    tcase_add_test(tc, test_interop_qt5_xsipc_creates_qt_reads);
    tcase_add_test(tc, test_interop_qt5_qt_writes_xsipc_reads);
    tcase_add_test(tc, test_interop_qt5_xsipc_lock_blocks_qt);
    tcase_add_test(tc, test_interop_qt5_qt_lock_blocks_xsipc);
    tcase_add_test(tc, test_interop_qt5_not_found);
    tcase_add_test(tc, test_interop_qt5_create_conflict);
    tcase_add_test(tc, test_interop_qt5_qt_creator_exits_first);
    tcase_add_test(tc, test_interop_qt5_qt_remakes_key_file);
    tcase_add_test(tc, test_interop_qt5_sem_xsipc_releases_qt_acquires);
    tcase_add_test(tc, test_interop_qt5_sem_qt_holds);
    tcase_add_test(tc, test_interop_qt5_sem_qt_release_undone);
    suite_add_tcase(s, tc);

    tc = peer_tcase("qt6");
    tcase_add_test(tc, test_interop_qt6_qt_creates_xsipc_reads);
    tcase_add_test(tc, test_interop_qt6_xsipc_creates_qt_reads);
    tcase_add_test(tc, test_interop_qt6_qt_writes_xsipc_reads);
    tcase_add_test(tc, test_interop_qt6_xsipc_lock_blocks_qt);
    tcase_add_test(tc, test_interop_qt6_qt_lock_blocks_xsipc);
    tcase_add_test(tc, test_interop_qt6_not_found);
    tcase_add_test(tc, test_interop_qt6_create_conflict);
    tcase_add_test(tc, test_interop_qt6_qt_creator_exits_first);
    tcase_add_test(tc, test_interop_qt6_qt_remakes_key_file);
    tcase_add_test(tc, test_interop_qt6_sem_xsipc_releases_qt_acquires);
    tcase_add_test(tc, test_interop_qt6_sem_qt_holds);
    tcase_add_test(tc, test_interop_qt6_sem_qt_release_undone);
    suite_add_tcase(s, tc);

    python = python_probe();
    tc = peer_tcase("python");
    tcase_add_test(tc, test_interop_python_read);
    tcase_add_test(tc, test_interop_python_lock_read);
    suite_add_tcase(s, tc);
    return s;
}
