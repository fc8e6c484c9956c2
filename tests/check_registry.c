/*
 * check_registry.c -- the registry: SHA-1, Qt's key file names, the default
 * directory, key files and their key_t, and the refusals that keep a
 * stranger from choosing our keys.
 *
 * Every test works in the fixture's directory (tu_dir(), also $TMPDIR) and
 * removes each file it makes: the fixture reports any file left as a leak.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/registry.h"
#include "testutil.h"

/* A uid that is neither ours nor root's, for the ownership refusals. */
#define STRANGER_UID 65534

/* ------------------------------------------------------------- helpers */

/* Asserts a failure with code: the return value, the status and a
 * message that says something. */
static void assert_failed(int rc, const xsipc_status *st, xsipc_error code)
{
    ck_assert_msg(rc == -(int)code, "returned %d, expected %d (%s)", rc,
                  -(int)code, st->text);
    ck_assert_msg(st->code == code, "status code %d, expected %d (%s)",
                  (int)st->code, (int)code, st->text);
    ck_assert_msg(st->text[0] != '\0', "empty message for error %d", (int)code);
}

/* Asserts that a failed open left a NULL registry and a status. */
static void assert_open_failed(xsipc_registry *reg, const xsipc_status *st,
                               xsipc_error code)
{
    ck_assert_msg(reg == NULL, "registry opened, expected error %d", (int)code);
    ck_assert_msg(st->code == code, "status code %d, expected %d (%s)",
                  (int)st->code, (int)code, st->text);
    ck_assert_msg(st->text[0] != '\0', "empty message for error %d", (int)code);
}

static void sha1_hex(const void *data, size_t len, char hex[41])
{
    unsigned char d[20];
    int i;

    xsipc__sha1(data, len, d);
    for (i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void assert_sha1(const void *data, size_t len, const char *want)
{
    char got[41];

    sha1_hex(data, len, got);
    ck_assert_msg(strcmp(got, want) == 0, "SHA-1 of %zu bytes: %s, want %s",
                  len, got, want);
}

static void assert_file_name(xsipc__kind kind, const char *name,
                             const char *want)
{
    char buf[256];
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    int rc = xsipc__reg_file_name(kind, name, buf, sizeof buf, &st);

    ck_assert_msg(rc == 0, "file name of \"%s\": %d (%s)", name, rc, st.text);
    ck_assert_str_eq(buf, want);
}

/* A string of n copies of c (static: one at a time). */
static const char *repeat(char c, size_t n)
{
    static char buf[1024];

    ck_assert(n < sizeof buf);
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/* Creates an empty file at path with mode. */
static void make_file(const char *path, mode_t mode)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);

    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    close(fd);
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

/* realpath of tu_dir(): the registry's own spelling of it. */
static const char *real_dir(void)
{
    static char buf[PATH_MAX];

    ck_assert(realpath(tu_dir(), buf) != NULL);
    return buf;
}

/* ---------------------------------------------------------------- core */

START_TEST(test_registry_sha1_fips_vectors)
{
    static const char abc448[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char abc896[] =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

    /* FIPS 180-2 appendix A and the NIST examples. */
    assert_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_sha1(NULL, 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_sha1(abc448, strlen(abc448),
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_sha1(abc896, strlen(abc896),
                "a49b2446a02c645bf419f995b67091253a04a259");
}
END_TEST

START_TEST(test_registry_sha1_million_a)
{
    size_t n = 1000000;
    char *a = malloc(n);

    ck_assert_ptr_ne(a, NULL);
    memset(a, 'a', n);
    assert_sha1(a, n, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(a);
}
END_TEST

/* The padding changes shape at 56 and 64 bytes: one block or two. */
START_TEST(test_registry_sha1_padding_boundaries)
{
    assert_sha1(repeat('a', 55), 55,
                "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    assert_sha1(repeat('a', 56), 56,
                "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    assert_sha1(repeat('a', 63), 63,
                "03f09f5b158a7a8cdad920bddc29b81c18a551f5");
    assert_sha1(repeat('a', 64), 64,
                "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    assert_sha1(repeat('a', 119), 119,
                "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56");
}
END_TEST

/* The worked examples of DESIGN.md section 3, as Qt 5 and 6 name them. */
START_TEST(test_registry_file_name_qt_examples)
{
    assert_file_name(XSIPC__KIND_SHM, "share",
                     "qipc_sharedmemory_"
                     "shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab");
    assert_file_name(XSIPC__KIND_SHM, "my key 42",
                     "qipc_sharedmemory_"
                     "mykey0bc7ee864f28b7c010761d48c509e076aa2171f4");
    assert_file_name(XSIPC__KIND_SHM,
                     "\xe5\x85\xb1\xe4\xba\xab\xe5\x86\x85"
                     "\xe5\xad\x98", /* 共享内存 */
                     "qipc_sharedmemory_"
                     "0b57f2998ae6b3ea79e2a7bd9953487b58c68a6a");
}
END_TEST

START_TEST(test_registry_file_name_systemsem_prefix)
{
    assert_file_name(XSIPC__KIND_SEM, "share",
                     "qipc_systemsem_"
                     "shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab");
}
END_TEST

/* Only A-Z a-z are kept (not by locale: ö is not a letter to Qt's
 * [^A-Za-z]); the hash covers every byte. */
START_TEST(test_registry_file_name_ascii_letters_only)
{
    assert_file_name(XSIPC__KIND_SHM, "Hello, W\xc3\xb6rld 2024!",
                     "qipc_sharedmemory_HelloWrld"
                     "d27d4aec352a68b94d54f87b694ea6cc27497de9");
    assert_file_name(XSIPC__KIND_SEM,
                     "Gr\xc3\xbc\xc3\x9f"
                     "e aus K\xc3\xb6ln",
                     "qipc_systemsem_GreausKln"
                     "5ca85a0b51faf664d0c29eacfdea0764981e781f");
}
END_TEST

START_TEST(test_registry_default_dir_honours_tmpdir)
{
    char buf[PATH_MAX];
    const char *target = tu_path("real");
    const char *link = tu_path("link");

    ck_assert(mkdir(target, 0700) == 0);
    ck_assert(symlink(target, link) == 0);

    /* A symbolic link is resolved: Qt's files are where the link points. */
    ck_assert(setenv("TMPDIR", link, 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, target);

    /* A trailing slash goes. */
    ck_assert(setenv("TMPDIR", tu_path("real/"), 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, target);

    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    ck_assert(unlink(link) == 0);
    ck_assert(rmdir(target) == 0);
}
END_TEST

START_TEST(test_registry_default_dir_falls_back_to_tmp)
{
    char buf[PATH_MAX];

    ck_assert(unsetenv("TMPDIR") == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp");

    ck_assert(setenv("TMPDIR", "", 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp");

    ck_assert(setenv("TMPDIR", tu_path("missing"), 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp");

    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
}
END_TEST

START_TEST(test_registry_open_default_dir)
{
    xsipc_status st = {XSIPC_UNKNOWN_ERROR, "stale"};
    xsipc_registry *reg = xsipc_registry_open(NULL, 0, &st);

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(st.code, XSIPC_NO_ERROR);
    ck_assert_str_eq(st.text, "");
    ck_assert_str_eq(xsipc_registry_dir(reg), real_dir());
    ck_assert_int_eq(reg->obj_mode, 0600);
    ck_assert_int_eq(reg->file_mode, 0640);
    xsipc_registry_close(reg);
}
END_TEST

/* Each handle holds a reference; the last close frees (valgrind / ASan
 * see the rest). */
START_TEST(test_registry_references)
{
    xsipc_registry *reg = xsipc_registry_open(tu_dir(), 0, NULL);

    ck_assert_ptr_ne(reg, NULL);
    ck_assert_uint_eq(reg->refs, 1);
    ck_assert(xsipc__reg_ref(reg) == reg);
    ck_assert_uint_eq(reg->refs, 2);
    xsipc_registry_close(reg);
    ck_assert_uint_eq(reg->refs, 1);
    ck_assert_str_eq(xsipc_registry_dir(reg), real_dir());
    xsipc_registry_close(reg);
    xsipc_registry_close(NULL);
}
END_TEST

START_TEST(test_registry_resolve_creates_key_file)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key k;
    struct stat sb;
    const char *path;

    umask(022);
    ck_assert_int_eq(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "share", 1, &k, &st),
        0);
    ck_assert_int_eq(k.created, 1);
    ck_assert_str_eq(k.file, "qipc_sharedmemory_"
                             "shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab");
    path = tu_path(k.file);
    ck_assert(lstat(path, &sb) == 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_int_eq(sb.st_mode & 07777, 0640);
    ck_assert_int_eq(sb.st_size, 0);
    ck_assert(sb.st_dev == k.dev && sb.st_ino == k.ino);
    ck_assert(xsipc__reg_current(tu_registry(), &k));

    xsipc__reg_release(tu_registry(), &k);
    ck_assert(!exists(path));
}
END_TEST

/* Many processes asking for one name get one key: the second lookup finds
 * the first one's file, with or without create. */
START_TEST(test_registry_resolve_finds_existing)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key a, b, c;

    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM,
                                        "my key 42", 1, &a, &st),
                     0);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM,
                                        "my key 42", 1, &b, &st),
                     0);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM,
                                        "my key 42", 0, &c, &st),
                     0);
    ck_assert_int_eq(a.created, 1);
    ck_assert_int_eq(b.created, 0);
    ck_assert_int_eq(c.created, 0);
    ck_assert_int_eq(a.key, b.key);
    ck_assert_int_eq(a.key, c.key);
    ck_assert(a.ino == b.ino && a.dev == b.dev);
    ck_assert_str_eq(b.file, a.file);
    xsipc__reg_release(tu_registry(), &a);
    ck_assert(!exists(tu_path(a.file)));
}
END_TEST

START_TEST(test_registry_key_equals_ftok)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key k;
    key_t want;

    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "ftok twin", 1, &k, &st),
                     0);
    want = ftok(tu_path(k.file), 'Q');
    ck_assert_msg(want != (key_t)-1, "ftok: %s", strerror(errno));
    ck_assert_msg(k.key == want, "key 0x%08x, ftok 0x%08x", (unsigned)k.key,
                  (unsigned)want);
    ck_assert_uint_eq(((unsigned)k.key >> 24) & 0xff, 'Q');
    xsipc__reg_release(tu_registry(), &k);
}
END_TEST

START_TEST(test_registry_group_modes)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg =
        xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_GROUP, &st);
    xsipc__key k;
    struct stat sb;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(reg->obj_mode, 0660);
    ck_assert_int_eq(reg->file_mode, 0660);
    umask(0);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "group", 1, &k, &st), 0);
    umask(022);
    ck_assert(lstat(tu_path(k.file), &sb) == 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0660);
    xsipc__reg_release(reg, &k);
    ck_assert(!exists(tu_path(k.file)));
    xsipc_registry_close(reg);
}
END_TEST

/* Release removes the key file only while it is the inode the key came
 * from: a newer file at the path belongs to newer users. */
START_TEST(test_registry_release_same_inode_only)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc__key k;
    const char *path, *other = tu_path("newer");

    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "replaced", 1, &k, &st),
                     0);
    path = tu_path(k.file);
    /* Made while the old file exists, so it cannot reuse its inode. */
    make_file(other, 0640);
    ck_assert(rename(other, path) == 0);
    ck_assert(!xsipc__reg_current(tu_registry(), &k));

    errno = EINTR;
    xsipc__reg_release(tu_registry(), &k);
    ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(exists(path), "release removed a newer key file");

    ck_assert(unlink(path) == 0);
    ck_assert(!xsipc__reg_current(tu_registry(), &k));
    xsipc__reg_release(tu_registry(), &k); /* gone already: nothing to do */
    ck_assert(!exists(path));
}
END_TEST

START_TEST(test_registry_persistent_keeps_key_file)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg =
        xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);
    xsipc__key k, again;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "stable", 1, &k, &st), 0);
    xsipc__reg_release(reg, &k);
    ck_assert(exists(tu_path(k.file)));
    ck_assert(xsipc__reg_current(reg, &k));
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "stable", 0, &again, &st), 0);
    ck_assert_int_eq(again.key, k.key);
    ck_assert(unlink(tu_path(k.file)) == 0);
    xsipc_registry_close(reg);
}
END_TEST

/* Qt's setNativeKey(path): the caller splits the path, the registry takes
 * the base name as the file name itself. */
START_TEST(test_registry_native_plain_file_name)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg = xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, &st);
    xsipc__key k;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "my native key", 1, &k, &st),
        0);
    ck_assert_str_eq(k.file, "my native key");
    ck_assert_int_eq(k.created, 1);
    ck_assert(k.key == ftok(tu_path("my native key"), 'Q'));
    /* A native key file is the caller's path: release keeps it. */
    xsipc__reg_release(reg, &k);
    ck_assert(exists(tu_path("my native key")));
    ck_assert_int_eq(unlink(tu_path("my native key")), 0);
    xsipc_registry_close(reg);
}
END_TEST

/* -------------------------------------------------------------- errors */

START_TEST(test_registry_empty_name_is_key_error)
{
    xsipc_status st;
    char buf[256];
    xsipc__key k;

    assert_failed(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "", buf, sizeof buf, &st), &st,
        XSIPC_KEY_ERROR);
    assert_failed(
        xsipc__reg_file_name(XSIPC__KIND_SEM, NULL, buf, sizeof buf, &st), &st,
        XSIPC_KEY_ERROR);
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "", 1, &k, &st), &st,
        XSIPC_KEY_ERROR);
    /* A NULL status is allowed: the code still comes back. */
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "", buf, sizeof buf, NULL),
        -XSIPC_KEY_ERROR);
}
END_TEST

START_TEST(test_registry_missing_key_file_not_found)
{
    xsipc_status st;
    xsipc__key k;

    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                     "nobody made me", 0, &k, &st),
                  &st, XSIPC_NOT_FOUND);
    ck_assert_msg(strstr(st.text, "no key file") != NULL, "message: %s",
                  st.text);
    ck_assert_msg(strstr(st.text, "qipc_sharedmemory_nobodymademe") != NULL,
                  "message: %s", st.text);
    ck_assert(!exists(tu_path(k.file)));
}
END_TEST

/* A link where a key file belongs would let its author choose our key_t:
 * refused, and never followed, not even to create its target. */
START_TEST(test_registry_symlink_key_file_untrusted)
{
    xsipc_status st;
    xsipc__key k;
    char file[256];
    const char *target = tu_path("target");

    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "share", file, sizeof file, &st),
        0);
    ck_assert(symlink(target, tu_path(file)) == 0);

    /* Dangling: create must not make the target. */
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "share", 1, &k, &st),
        &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "symbolic link") != NULL, "message: %s",
                  st.text);
    ck_assert(!exists(target));

    make_file(target, 0640);
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "share", 0, &k, &st),
        &st, XSIPC_UNTRUSTED);

    ck_assert(unlink(tu_path(file)) == 0);
    ck_assert(unlink(target) == 0);
}
END_TEST

START_TEST(test_registry_hard_link_untrusted)
{
    xsipc_status st;
    xsipc__key k, again;
    const char *twin = tu_path("twin");

    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "linked", 1, &k, &st),
                     0);
    ck_assert(link(tu_path(k.file), twin) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "linked",
                                     1, &again, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "2 hard links") != NULL, "message: %s",
                  st.text);
    ck_assert(unlink(twin) == 0);
    xsipc__reg_release(tu_registry(), &k);
    ck_assert(!exists(tu_path(k.file)));
}
END_TEST

/* A FIFO at the key path must neither block the open nor be taken. */
START_TEST(test_registry_fifo_key_file_refused)
{
    xsipc_status st;
    xsipc__key k;
    char file[256];

    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SEM, "pipe", file, sizeof file, &st),
        0);
    ck_assert(mkfifo(tu_path(file), 0600) == 0);
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SEM, "pipe", 1, &k, &st),
        &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "not a regular file") != NULL, "message: %s",
                  st.text);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

/* Only root can give a file away; as anyone else there is nothing to do. */
START_TEST(test_registry_foreign_key_file_untrusted)
{
    xsipc_status st;
    xsipc__key k;
    char file[256];

    if (geteuid() != 0)
        return;
    ck_assert_int_eq(xsipc__reg_file_name(XSIPC__KIND_SHM, "squatted", file,
                                          sizeof file, &st),
                     0);
    make_file(tu_path(file), 0640);
    ck_assert(chown(tu_path(file), STRANGER_UID, STRANGER_UID) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "squatted",
                                     1, &k, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "uid 65534") != NULL, "message: %s", st.text);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

START_TEST(test_registry_writable_dir_untrusted)
{
    xsipc_status st;
    xsipc_registry *reg;
    const char *sub = tu_path("shared");

    ck_assert(mkdir(sub, 0700) == 0);

    ck_assert(chmod(sub, 0777) == 0);
    reg = xsipc_registry_open(sub, 0, &st);
    assert_open_failed(reg, &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "sticky") != NULL, "message: %s", st.text);
    ck_assert_msg(strstr(st.text, "shared") != NULL, "message: %s", st.text);

    ck_assert(chmod(sub, 0770) == 0);
    reg = xsipc_registry_open(sub, 0, &st);
    assert_open_failed(reg, &st, XSIPC_UNTRUSTED);

    /* As /tmp: writable by all, but each entry only by its owner. */
    ck_assert(chmod(sub, 01777) == 0);
    reg = xsipc_registry_open(sub, 0, &st);
    ck_assert_msg(reg != NULL, "sticky directory refused: %s", st.text);
    xsipc_registry_close(reg);

    ck_assert(rmdir(sub) == 0);
}
END_TEST

START_TEST(test_registry_foreign_dir_untrusted)
{
    xsipc_status st;
    xsipc_registry *reg;
    const char *sub = tu_path("theirs");

    if (geteuid() != 0)
        return;
    ck_assert(mkdir(sub, 0755) == 0);
    ck_assert(chown(sub, STRANGER_UID, STRANGER_UID) == 0);
    reg = xsipc_registry_open(sub, 0, &st);
    assert_open_failed(reg, &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "uid 65534") != NULL, "message: %s", st.text);
    ck_assert(rmdir(sub) == 0);
}
END_TEST

START_TEST(test_registry_bad_dir_refused)
{
    xsipc_status st;
    xsipc_registry *reg;
    const char *file = tu_path("plain");

    reg = xsipc_registry_open(tu_path("missing"), 0, &st);
    assert_open_failed(reg, &st, XSIPC_NOT_FOUND);
    ck_assert_msg(strstr(st.text, "missing") != NULL, "message: %s", st.text);

    make_file(file, 0600);
    reg = xsipc_registry_open(file, 0, &st);
    assert_open_failed(reg, &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "plain") != NULL, "message: %s", st.text);

    reg = xsipc_registry_open(tu_path("plain/below"), 0, &st);
    assert_open_failed(reg, &st, XSIPC_NOT_FOUND);

    reg = xsipc_registry_open("", 0, &st);
    assert_open_failed(reg, &st, XSIPC_NOT_FOUND);
    ck_assert(unlink(file) == 0);
}
END_TEST

START_TEST(test_registry_native_rejects_bad_names)
{
    static const char *const bad[] = {"a/b", "..", ".", "", "/abs", "dir/"};
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg = xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, &st);
    xsipc__key k;
    size_t i;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_failed(
            xsipc__reg_resolve(reg, XSIPC__KIND_SHM, bad[i], 1, &k, &st), &st,
            XSIPC_KEY_ERROR);
    assert_failed(xsipc__reg_resolve(reg, XSIPC__KIND_SHM, NULL, 1, &k, &st),
                  &st, XSIPC_KEY_ERROR);
    xsipc_registry_close(reg);
}
END_TEST

START_TEST(test_registry_bad_flags_invalid_argument)
{
    xsipc_status st;
    xsipc_registry *reg;

    /* The private NATIVE bit is not for public callers. */
    reg = xsipc_registry_open(tu_dir(), XSIPC__REG_NATIVE, &st);
    assert_open_failed(reg, &st, XSIPC_INVALID_ARGUMENT);
    reg = xsipc_registry_open(tu_dir(), 0x80u, &st);
    assert_open_failed(reg, &st, XSIPC_INVALID_ARGUMENT);
    reg = xsipc__reg_open(tu_dir(), 0x8000u, &st);
    assert_open_failed(reg, &st, XSIPC_INVALID_ARGUMENT);
}
END_TEST

/* -------------------------------------------------------------- limits */

START_TEST(test_registry_name_over_name_max)
{
    xsipc_status st;
    char buf[256];
    xsipc__key k;

    /* 18 + 300 + 40 bytes. */
    assert_failed(xsipc__reg_file_name(XSIPC__KIND_SHM, repeat('x', 300), buf,
                                       sizeof buf, &st),
                  &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "NAME_MAX") != NULL, "message: %s", st.text);
    ck_assert_msg(strstr(st.text, "358 bytes") != NULL, "message: %s", st.text);
    ck_assert_msg(strstr(st.text, "...") != NULL, "message: %s", st.text);
    ck_assert_uint_lt(strlen(st.text), 150);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                     repeat('x', 300), 1, &k, &st),
                  &st, XSIPC_KEY_ERROR);

    /* Only letters count: a long name of digits has a short file name. */
    ck_assert_int_eq(xsipc__reg_file_name(XSIPC__KIND_SHM, repeat('7', 900),
                                          buf, sizeof buf, &st),
                     0);
    ck_assert_uint_eq(strlen(buf), 58);
}
END_TEST

/* 18 + 197 + 40 = 255 fits exactly, and the file system takes it. */
START_TEST(test_registry_name_at_name_max)
{
    xsipc_status st;
    char buf[256];
    xsipc__key k;

    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        repeat('m', 197), 1, &k, &st),
                     0);
    ck_assert_uint_eq(strlen(k.file), 255);
    xsipc__reg_release(tu_registry(), &k);
    ck_assert(!exists(tu_path(k.file)));

    assert_failed(xsipc__reg_file_name(XSIPC__KIND_SHM, repeat('m', 198), buf,
                                       sizeof buf, &st),
                  &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "256 bytes") != NULL, "message: %s", st.text);
    /* qipc_systemsem_ is 3 bytes shorter. */
    ck_assert_int_eq(xsipc__reg_file_name(XSIPC__KIND_SEM, repeat('m', 200),
                                          buf, sizeof buf, &st),
                     0);
    assert_failed(xsipc__reg_file_name(XSIPC__KIND_SEM, repeat('m', 201), buf,
                                       sizeof buf, &st),
                  &st, XSIPC_KEY_ERROR);
}
END_TEST

START_TEST(test_registry_small_buffers)
{
    xsipc_status st;
    char buf[64];

    /* "share" needs 18 + 5 + 40 bytes and the NUL. */
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, "share", buf, 64, &st), 0);
    assert_failed(xsipc__reg_file_name(XSIPC__KIND_SHM, "share", buf, 63, &st),
                  &st, XSIPC_KEY_ERROR);
    assert_failed(xsipc__reg_file_name(XSIPC__KIND_SHM, "share", NULL, 0, &st),
                  &st, XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, 3), -XSIPC_KEY_ERROR);
}
END_TEST

/* Names reach logs: no control character gets there raw, and a long one
 * is cut at a character boundary. */
START_TEST(test_registry_messages_escape_names)
{
    char name[400], q[64];
    xsipc_status st;
    char buf[256];
    size_t i;

    strcpy(name, "\x01\x1b[31m\"\\");
    strcat(name, repeat('a', 300));
    assert_failed(
        xsipc__reg_file_name(XSIPC__KIND_SHM, name, buf, sizeof buf, &st), &st,
        XSIPC_KEY_ERROR);
    for (i = 0; st.text[i] != '\0'; i++)
        ck_assert_msg((unsigned char)st.text[i] >= 0x20 &&
                          (unsigned char)st.text[i] != 0x7f,
                      "raw control byte 0x%02x in: %s",
                      (unsigned char)st.text[i], st.text);
    ck_assert_msg(strstr(st.text, "\\x01\\x1b[31m\\\"\\\\") != NULL,
                  "message: %s", st.text);

    /* é is two bytes: 20 of them fill 40; the 21st does not fit in 41. */
    ck_assert_str_eq(
        xsipc__reg_quote("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9",
                         41, q, sizeof q),
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9...");
    /* A C1 control (U+0085) and malformed bytes are escaped, a whole
     * character is kept. */
    ck_assert_str_eq(
        xsipc__reg_quote("\xc2\x85|\xff|\xc3|\xe2\x82\xac", 40, q, sizeof q),
        "\\xc2\\x85|\\xff|\\xc3|\xe2\x82\xac");
    /* The buffer bounds the copy too. */
    ck_assert_str_eq(xsipc__reg_quote("abcdefgh", 40, q, 8), "abcd...");
    ck_assert_str_eq(xsipc__reg_quote(NULL, 40, q, sizeof q), "");
}
END_TEST

START_TEST(test_registry_native_name_max)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg = xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, &st);
    xsipc__key k;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SEM, repeat('n', 255), 1, &k, &st),
        0);
    xsipc__reg_release(reg, &k);
    ck_assert(exists(tu_path(k.file)));
    ck_assert_int_eq(unlink(tu_path(k.file)), 0);
    assert_failed(
        xsipc__reg_resolve(reg, XSIPC__KIND_SEM, repeat('n', 256), 1, &k, &st),
        &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "NAME_MAX") != NULL, "message: %s", st.text);
    xsipc_registry_close(reg);
}
END_TEST

/* --------------------------------------------------------------- suite */

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tu_tcase(core);
    tcase_add_test(core, test_registry_sha1_fips_vectors);
    tcase_add_test(core, test_registry_sha1_million_a);
    tcase_add_test(core, test_registry_sha1_padding_boundaries);
    tcase_add_test(core, test_registry_file_name_qt_examples);
    tcase_add_test(core, test_registry_file_name_systemsem_prefix);
    tcase_add_test(core, test_registry_file_name_ascii_letters_only);
    tcase_add_test(core, test_registry_default_dir_honours_tmpdir);
    tcase_add_test(core, test_registry_default_dir_falls_back_to_tmp);
    tcase_add_test(core, test_registry_open_default_dir);
    tcase_add_test(core, test_registry_references);
    tcase_add_test(core, test_registry_resolve_creates_key_file);
    tcase_add_test(core, test_registry_resolve_finds_existing);
    tcase_add_test(core, test_registry_key_equals_ftok);
    tcase_add_test(core, test_registry_group_modes);
    tcase_add_test(core, test_registry_release_same_inode_only);
    tcase_add_test(core, test_registry_persistent_keeps_key_file);
    tcase_add_test(core, test_registry_native_plain_file_name);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_add_test(errors, test_registry_empty_name_is_key_error);
    tcase_add_test(errors, test_registry_missing_key_file_not_found);
    tcase_add_test(errors, test_registry_symlink_key_file_untrusted);
    tcase_add_test(errors, test_registry_hard_link_untrusted);
    tcase_add_test(errors, test_registry_fifo_key_file_refused);
    tcase_add_test(errors, test_registry_foreign_key_file_untrusted);
    tcase_add_test(errors, test_registry_writable_dir_untrusted);
    tcase_add_test(errors, test_registry_foreign_dir_untrusted);
    tcase_add_test(errors, test_registry_bad_dir_refused);
    tcase_add_test(errors, test_registry_native_rejects_bad_names);
    tcase_add_test(errors, test_registry_bad_flags_invalid_argument);
    suite_add_tcase(s, errors);

    tu_tcase(limits);
    tcase_add_test(limits, test_registry_name_over_name_max);
    tcase_add_test(limits, test_registry_name_at_name_max);
    tcase_add_test(limits, test_registry_small_buffers);
    tcase_add_test(limits, test_registry_messages_escape_names);
    tcase_add_test(limits, test_registry_native_name_max);
    suite_add_tcase(s, limits);

    return s;
}
