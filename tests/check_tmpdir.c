/* SPDX-License-Identifier: MIT */
/*
 * check_tmpdir.c -- the default registry follows $TMPDIR as Qt's
 * QDir::tempPath does (issue 13): the value cleaned by spelling, then
 * resolved; unset or empty is /tmp.  A $TMPDIR that names no directory is
 * refused with XSIPC_KEY_ERROR and a message naming the value and where Qt
 * would look ("/" for a missing one, where Qt's temp path is ""), and
 * never replaced by another directory: handles keep the error and return
 * it from each call, and no key file is made anywhere.  The Qt peers
 * (tests/interop) show that both compute the same directory.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry/registry.h"
#include "testutil.h"

/* Qt's key file of "tmpdir" for a segment and for its lock. */
#define SHM_FILE "qipc_sharedmemory_tmpdir"
#define SEM_FILE "qipc_systemsem_tmpdir"

/* Whether dir holds a key file of the name "tmpdir" (in any kind). */
static int has_key_file(const char *dir)
{
    char path[PATH_MAX];
    struct stat sb;
    static const char *const files[] = {
        SHM_FILE "9a759bfaf45eb64b8592c5dd90f60ca87c7fdcc8",
        SEM_FILE "9a759bfaf45eb64b8592c5dd90f60ca87c7fdcc8"};
    size_t i;

    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (lstat(path, &sb) == 0)
            return 1;
    }
    return 0;
}

/* The message says msg (a substring). */
#define assert_says(text, msg)                                                 \
    ck_assert_msg(strstr((text), (msg)) != NULL, "\"%s\" lacks \"%s\"",        \
                  (text), (msg))

/* With $TMPDIR set to value, the default registry, a segment handle and a
 * semaphore handle all refuse with XSIPC_KEY_ERROR and a message that says
 * msg, from every call; no key file appears in tu_dir(), /tmp or /. */
static void assert_refused(const char *value, const char *msg)
{
    char expect[PATH_MAX + 64];
    xsipc_status st;
    xsipc_shm *shm;
    xsipc_sem *sem;

    ck_assert(setenv("TMPDIR", value, 1) == 0);
    snprintf(expect, sizeof expect, "TMPDIR=%s ", value);

    /* A value of up to 42 bytes is shown whole in every message. */
    if (strlen(value) > 42)
        snprintf(expect, sizeof expect, "TMPDIR=");
    errno = 0;
    ck_assert_ptr_null(xsipc_registry_open(NULL, 0, &st));
    ck_assert_int_eq(st.code, XSIPC_KEY_ERROR);
    ck_assert_int_ne(errno, 0);
    assert_says(st.text, expect);
    assert_says(st.text, msg);

    shm = xsipc_shm_new("tmpdir");
    ck_assert_ptr_nonnull(shm);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    tu_shm_fails(shm, xsipc_shm_create(shm, 64, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    assert_says(xsipc_shm_error_string(shm), expect);
    assert_says(xsipc_shm_error_string(shm), msg);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_KEY_ERROR);
    assert_says(xsipc_shm_error_string(shm), msg);
    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_KEY_ERROR);
    assert_says(xsipc_shm_error_string(shm), msg);
    tu_shm_fails(shm, xsipc_shm_set_key(shm, "tmpdir"), XSIPC_KEY_ERROR);
    assert_says(xsipc_shm_error_string(shm), msg);
    xsipc_shm_free(shm);

    sem = xsipc_sem_new("tmpdir", 1, XSIPC_CREATE);
    ck_assert_ptr_nonnull(sem);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    assert_says(xsipc_sem_error_string(sem), msg);
    tu_sem_fails(sem, xsipc_sem_acquire(sem), XSIPC_KEY_ERROR);
    assert_says(xsipc_sem_error_string(sem), expect);
    tu_sem_fails(sem, xsipc_sem_release(sem, 1), XSIPC_KEY_ERROR);
    assert_says(xsipc_sem_error_string(sem), msg);
    xsipc_sem_free(sem);

    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    ck_assert(!has_key_file(tu_dir()));
    ck_assert(!has_key_file("/tmp"));
    ck_assert(!has_key_file(""));
}

/* The default registry's directory for $TMPDIR value: want, as realpath
 * spells it. */
static void assert_dir(const char *value, const char *want)
{
    char *real = realpath(want, NULL);
    xsipc_status st;
    xsipc_registry *reg;

    ck_assert_ptr_nonnull(real);
    ck_assert(setenv("TMPDIR", value, 1) == 0);
    reg = xsipc_registry_open(NULL, 0, &st);
    ck_assert_msg(reg != NULL, "TMPDIR=%s: %s", value, st.text);
    ck_assert_str_eq(xsipc_registry_dir(reg), real);
    xsipc_registry_close(reg);
    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    free(real);
}

/* A missing directory: Qt's temp path is "", its key files go to "/". */
START_TEST(test_tmpdir_missing)
{
    assert_refused(tu_path("missing"),
                   "names no directory; Qt would put its key files in /");
    /* A trailing slash changes nothing (Qt cleans it away). */
    assert_refused(tu_path("missing/"),
                   "names no directory; Qt would put its key files in /");
}
END_TEST

/* A link to nowhere is a missing directory too. */
START_TEST(test_tmpdir_dangling_link)
{
    char link[PATH_MAX];

    snprintf(link, sizeof link, "%s", tu_path("link"));
    ck_assert(symlink(tu_path("gone"), link) == 0);
    assert_refused(link, "Qt would put its key files in /");
    ck_assert(unlink(link) == 0);
}
END_TEST

/* A file: Qt resolves it and looks for key files under it, and fails. */
START_TEST(test_tmpdir_file)
{
    char file[PATH_MAX];
    FILE *f;

    snprintf(file, sizeof file, "%s", tu_path("file"));
    ck_assert_ptr_nonnull(f = fopen(file, "w"));
    ck_assert(fclose(f) == 0);
    assert_refused(file, "names no directory; Qt would look for its key "
                         "files under the file ");
    assert_refused(file, ", and fail");
    /* A path through the file names nothing: realpath says ENOTDIR, and
     * Qt's temp path is "" again. */
    assert_refused(tu_path("file/sub"), "Qt would put its key files in /");
    ck_assert(unlink(file) == 0);
}
END_TEST

/* Unset and empty are both /tmp (Qt: QString::isEmpty). */
START_TEST(test_tmpdir_unset_or_empty_is_tmp)
{
    char buf[PATH_MAX];

    ck_assert(setenv("TMPDIR", "", 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
    ck_assert_str_eq(buf, "/tmp");
    ck_assert_int_eq(xsipc__reg_qt_temp_path(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp");
    ck_assert(unsetenv("TMPDIR") == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
    ck_assert_str_eq(buf, "/tmp");
    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
}
END_TEST

/* Qt cleans $TMPDIR by spelling before it resolves it: "link/.." is the
 * directory that holds link, not the parent of link's target. */
START_TEST(test_tmpdir_cleaned_by_spelling)
{
    char value[PATH_MAX], buf[PATH_MAX], sub[PATH_MAX];

    snprintf(sub, sizeof sub, "%s", tu_path("a/b")); /* tu_path's rotate */

    ck_assert(mkdir(tu_path("a"), 0700) == 0);
    ck_assert(mkdir(sub, 0700) == 0);
    ck_assert(symlink(sub, tu_path("link")) == 0);

    snprintf(value, sizeof value, "%s/link/..", tu_dir());
    assert_dir(value, tu_dir());
    /* A missing component that ".." takes away is no matter. */
    snprintf(value, sizeof value, "%s/missing/../a", tu_dir());
    assert_dir(value, tu_path("a"));
    snprintf(value, sizeof value, "%s//./a/", tu_dir());
    assert_dir(value, tu_path("a"));

    ck_assert(setenv("TMPDIR", "/../x/./../tmp//", 1) == 0);
    ck_assert_int_eq(xsipc__reg_qt_temp_path(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp");
    ck_assert(setenv("TMPDIR", "../a/../../b/.", 1) == 0);
    ck_assert_int_eq(xsipc__reg_qt_temp_path(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "../../b");
    ck_assert(setenv("TMPDIR", "a/..", 1) == 0);
    ck_assert_int_eq(xsipc__reg_qt_temp_path(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, ".");
    ck_assert_int_eq(xsipc__reg_qt_temp_path(buf, 1), -XSIPC_KEY_ERROR);

    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    ck_assert(unlink(tu_path("link")) == 0);
    ck_assert_msg(rmdir(sub) == 0, "%s", strerror(errno));
    ck_assert(rmdir(tu_path("a")) == 0);
}
END_TEST

/* A relative $TMPDIR is resolved against the current directory at each
 * lookup, as Qt resolves it at each setKey. */
START_TEST(test_tmpdir_relative)
{
    char cwd[PATH_MAX];
    xsipc_shm *shm;
    struct stat sb;

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert(mkdir(tu_path("rel"), 0700) == 0);
    ck_assert(chdir(tu_dir()) == 0);
    assert_dir("rel", tu_path("rel"));

    ck_assert(setenv("TMPDIR", "rel", 1) == 0);
    shm = xsipc_shm_new("tmpdir");
    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0, "%s",
                  xsipc_shm_error_string(shm));
    ck_assert(has_key_file(tu_path("rel")));
    ck_assert(stat(xsipc_shm_native_key(shm), &sb) == 0);
    xsipc_shm_free(shm);
    ck_assert(!has_key_file(tu_path("rel")));

    /* Elsewhere, "rel" names nothing: refused, not the old directory. */
    ck_assert(chdir(tu_path("rel")) == 0);
    assert_refused("rel", "Qt would put its key files in /");

    ck_assert(chdir(cwd) == 0);
    ck_assert(rmdir(tu_path("rel")) == 0);
}
END_TEST

/* The process's cached default registry is never used once its directory
 * is gone; a refusal is not kept either: a good $TMPDIR works again. */
START_TEST(test_tmpdir_removed_after_use)
{
    const char *dir = tu_path("d");
    xsipc_shm *shm;

    ck_assert(mkdir(dir, 0700) == 0);
    ck_assert(setenv("TMPDIR", dir, 1) == 0);
    shm = xsipc_shm_new("tmpdir");
    ck_assert_ptr_nonnull(shm);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NO_ERROR);
    xsipc_shm_free(shm); /* the process keeps the registry of dir */
    ck_assert(rmdir(dir) == 0);
    assert_refused(dir, "names no directory; Qt would put its key files in /");

    ck_assert(mkdir(dir, 0700) == 0);
    ck_assert(setenv("TMPDIR", dir, 1) == 0);
    shm = xsipc_shm_new("tmpdir");
    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0, "%s",
                  xsipc_shm_error_string(shm));
    ck_assert(has_key_file(dir));
    xsipc_shm_free(shm);
    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    ck_assert(rmdir(dir) == 0);
}
END_TEST

/* In the child: as TU_STRANGER, a $TMPDIR below a directory it may not
 * search does not resolve (EACCES); Qt would keep the path and fail. */
static int unsearchable_child(void *arg)
{
    const char *value = arg;
    xsipc_status st;

    if (setuid(TU_STRANGER) != 0)
        return 3;
    if (setenv("TMPDIR", value, 1) != 0)
        return 4;
    if (xsipc_registry_open(NULL, 0, &st) != NULL)
        return 5;
    if (st.code != XSIPC_KEY_ERROR ||
        strstr(st.text, "cannot be resolved (Permission denied); Qt would "
                        "look in ") == NULL)
        return 6;
    return 0;
}

START_TEST(test_tmpdir_unsearchable)
{
    char value[PATH_MAX];
    const char *base;
    pid_t pid;
    int status;

    tu_need_root();
    base = tu_shared_dir();
    snprintf(value, sizeof value, "%s/closed", base);
    ck_assert(mkdir(value, 0700) == 0);
    snprintf(value, sizeof value, "%s/closed/in", base);
    ck_assert(mkdir(value, 0755) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(unsearchable_child(value));
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status %d", status);
    ck_assert(rmdir(value) == 0);
    snprintf(value, sizeof value, "%s/closed", base);
    ck_assert(rmdir(value) == 0);
}
END_TEST

/* ------------------------------------------------------ with real Qt */

#ifndef QT5_PEER
#define QT5_PEER ""
#endif
#ifndef QT6_PEER
#define QT6_PEER ""
#endif

/* The peer's path, or a skip that says which Qt is missing. */
static const char *qt_peer(const char *peer, int major)
{
    if (peer[0] == '\0')
        tu_skip("Qt %d: skipped, no Qt%dCore (configure found no Qt %d "
                "development files; ./bootstrap installs them)",
                major, major, major);
    return peer;
}

/* With $TMPDIR value, a Qt program's segment "tmpdir" holding "from Qt" is
 * what xsipc attaches: both computed the same directory. */
static void qt_meets_xsipc(const char *peer, const char *value)
{
    const char *argv[] = {peer, "create", "tmpdir", "from Qt", NULL};
    char line[64];
    xsipc_shm *shm;
    tu_proc p;

    ck_assert(setenv("TMPDIR", value, 1) == 0);
    tu_proc_start(&p, (char *const *)argv);
    ck_assert_msg(tu_proc_line(&p, line, sizeof line, 10000) == 0 &&
                      strcmp(line, "ready") == 0,
                  "TMPDIR=%s: Qt create did not say ready", value);
    shm = xsipc_shm_new("tmpdir");
    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_attach(shm, XSIPC_READ_ONLY) == 0, "TMPDIR=%s: %s",
                  value, xsipc_shm_error_string(shm));
    ck_assert_str_eq(xsipc_shm_const_data(shm), "from Qt");
    xsipc_shm_free(shm);
    tu_proc_close_in(&p);
    ck_assert_int_eq(tu_proc_wait(&p, 10000), 0);
    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
}

/* The spellings Qt cleans, and a relative value, reach the same directory
 * for Qt and xsipc; a file is refused by both (Qt: KeyError, 3). */
static void qt_same_directory(const char *peer)
{
    char value[PATH_MAX], cwd[PATH_MAX], sub[PATH_MAX], file[PATH_MAX];
    const char *argv[] = {peer, "create", "tmpdir", "from Qt", NULL};
    char line[64];
    tu_proc p;
    FILE *f;

    snprintf(sub, sizeof sub, "%s", tu_path("a/b"));
    ck_assert(mkdir(tu_path("a"), 0700) == 0);
    ck_assert(mkdir(sub, 0700) == 0);
    ck_assert(symlink(sub, tu_path("link")) == 0);
    snprintf(value, sizeof value, "%s/link/..", tu_dir());
    qt_meets_xsipc(peer, value);
    ck_assert(!has_key_file(tu_path("a")));

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert(chdir(tu_path("a")) == 0);
    qt_meets_xsipc(peer, "b/../b");
    ck_assert(chdir(cwd) == 0);

    snprintf(file, sizeof file, "%s", tu_path("file"));
    ck_assert_ptr_nonnull(f = fopen(file, "w"));
    ck_assert(fclose(f) == 0);
    ck_assert(setenv("TMPDIR", file, 1) == 0);
    tu_proc_start(&p, (char *const *)argv);
    ck_assert_int_eq(tu_proc_line(&p, line, sizeof line, 10000), 0);
    ck_assert_str_eq(line, "error 3");
    tu_proc_close_in(&p);
    ck_assert_int_eq(tu_proc_wait(&p, 10000), 1);
    assert_refused(file, "names no directory");

    ck_assert(unlink(file) == 0);
    ck_assert(unlink(tu_path("link")) == 0);
    ck_assert(rmdir(sub) == 0);
    ck_assert(rmdir(tu_path("a")) == 0);
}

START_TEST(test_tmpdir_qt5_same_directory)
{
    qt_same_directory(qt_peer(QT5_PEER, 5));
}
END_TEST

START_TEST(test_tmpdir_qt6_same_directory)
{
    qt_same_directory(qt_peer(QT6_PEER, 6));
}
END_TEST

Suite *tmpdir_suite(void)
{
    Suite *s = suite_create("tmpdir");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *qt = tcase_create("qt");

    tu_tcase(core);
    tcase_add_test(core, test_tmpdir_unset_or_empty_is_tmp);
    tcase_add_test(core, test_tmpdir_cleaned_by_spelling);
    tcase_add_test(core, test_tmpdir_relative);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_add_test(errors, test_tmpdir_missing);
    tcase_add_test(errors, test_tmpdir_dangling_link);
    tcase_add_test(errors, test_tmpdir_file);
    tcase_add_test(errors, test_tmpdir_removed_after_use);
    tcase_add_test(errors, test_tmpdir_unsearchable);
    suite_add_tcase(s, errors);

    tu_tcase(qt);
    tcase_add_test(qt, test_tmpdir_qt5_same_directory);
    tcase_add_test(qt, test_tmpdir_qt6_same_directory);
    suite_add_tcase(s, qt);
    return s;
}
