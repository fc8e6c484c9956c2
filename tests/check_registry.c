/* SPDX-License-Identifier: MIT */
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
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "registry/internal.h"
#include "testutil.h"

/* A uid that is neither ours nor root's, for the ownership refusals. */
#define STRANGER_UID TU_STRANGER

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

/* Entries of tu_dir() (all of them, dot files too). */
static int dir_entries(char *names, size_t len)
{
    DIR *d = opendir(tu_dir());
    struct dirent *e;
    int n = 0;

    names[0] = '\0';
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (strlen(names) + strlen(e->d_name) + 2 < len) {
            strcat(names, " ");
            strcat(names, e->d_name);
        }
    }
    closedir(d);
    return n;
}

static void assert_dir_empty(void)
{
    char names[2048];

    ck_assert_msg(dir_entries(names, sizeof names) == 0, "left:%s", names);
}

/* Reads the record of the key file at path and checks its fields. */
static void assert_record(const char *path, xsipc__kind kind, const char *name,
                          key_t key, unsigned flags)
{
    static xsipc__record rec;
    char buf[XSIPC__REC_MAX + 1];
    const char *why;
    ssize_t n;
    int fd = open(path, O_RDONLY);

    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, sizeof buf);
    close(fd);
    ck_assert_int_gt(n, 0);
    ck_assert_msg(xsipc__rec_parse(buf, (size_t)n, &rec, &why) == 0,
                  "record of %s: %s", path, why);
    ck_assert_int_eq(rec.kind, (int)kind);
    ck_assert_int_eq(rec.proj, (int)(((unsigned)key >> 24) & 0xff));
    ck_assert_uint_eq(rec.key, (uint32_t)key);
    ck_assert_int_eq(rec.pid, getpid());
    ck_assert_uint_eq(rec.flags, flags);
    ck_assert_uint_eq(rec.name_len, strlen(name));
    ck_assert_str_eq(rec.name, name);
    ck_assert(rec.time > 0 && rec.time <= (int64_t)time(NULL));
}

/* The claim of key names file. */
static void assert_claim(key_t key, const char *file)
{
    char claim[64];
    struct stat sc, sf;

    snprintf(claim, sizeof claim, ".claim-%08x", (unsigned)key);
    ck_assert_msg(lstat(tu_path(claim), &sc) == 0, "no claim %s", claim);
    ck_assert_msg(lstat(tu_path(file), &sf) == 0, "no key file %s", file);
    /* A hard link of the key file's inode (see claim.c): its second. */
    ck_assert_msg(S_ISREG(sc.st_mode) && sc.st_dev == sf.st_dev &&
                      sc.st_ino == sf.st_ino,
                  "claim %s is not a link of %s", claim, file);
    ck_assert_int_eq(sf.st_nlink, 2);
}

/* Writes len bytes into a new key file for name, as someone else would. */
static void plant_key_file(xsipc__kind kind, const char *name, const void *buf,
                           size_t len, char *file)
{
    xsipc_status st;
    int fd;

    ck_assert_int_eq(xsipc__reg_file_name(kind, name, file, 256, &st), 0);
    fd = open(tu_path(file), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
    ck_assert_int_ge(fd, 0);
    if (len > 0)
        ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

/* A valid record as the library writes it. */
static size_t sample_record(char *buf, size_t len, const char *name)
{
    static xsipc__record rec;
    size_t n;

    memset(&rec, 0, sizeof rec);
    rec.kind = 0;
    rec.proj = 'Q';
    rec.key = 0x5100abcd;
    rec.pid = 4242;
    rec.start = 777;
    rec.time = 1700000000;
    rec.flags = 0;
    rec.name_len = strlen(name);
    memcpy(rec.name, name, rec.name_len + 1);
    n = xsipc__rec_format(&rec, buf, len);
    ck_assert_uint_gt(n, 0);
    return n;
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
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
    ck_assert_str_eq(buf, target);

    /* A trailing slash goes. */
    ck_assert(setenv("TMPDIR", tu_path("real/"), 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
    ck_assert_str_eq(buf, target);

    ck_assert(setenv("TMPDIR", tu_dir(), 1) == 0);
    ck_assert(unlink(link) == 0);
    ck_assert(rmdir(target) == 0);
}
END_TEST

START_TEST(test_registry_default_dir_unset_is_tmp)
{
    char buf[PATH_MAX];

    ck_assert(unsetenv("TMPDIR") == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
    ck_assert_str_eq(buf, "/tmp");

    ck_assert(setenv("TMPDIR", "", 1) == 0);
    ck_assert_int_eq(xsipc__reg_default_dir(buf, sizeof buf, NULL), 0);
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
    ck_assert(sb.st_dev == k.dev && sb.st_ino == k.ino);
    ck_assert(xsipc__reg_current(tu_registry(), &k));
    /* Its record and its claim, the inode's second link (and nothing
     * else: no .name- link, as an older xsipc made). */
    assert_record(path, XSIPC__KIND_SHM, "share", k.key, XSIPC__REC_LINKED);
    assert_claim(k.key, k.file);
    ck_assert(
        !exists(tu_path(".name-maab90dfe8c6f152a4fb071f5f4f9df804626e6ab")));

    xsipc__reg_release(tu_registry(), &k);
    ck_assert(!exists(path));
    assert_dir_empty();
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
    char names[512];

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
    /* The replaced file's claim, its inode's last link, went with it. */
    ck_assert_int_eq(dir_entries(names, sizeof names), 1);

    ck_assert(unlink(path) == 0);
    ck_assert(!xsipc__reg_current(tu_registry(), &k));
    xsipc__reg_release(tu_registry(), &k); /* gone already: nothing to do */
    ck_assert(!exists(path));
    assert_dir_empty();
}
END_TEST

/*
 * A Qt program removed our key file and another made it again, as Qt or
 * as xsipc: the claim of the removed one, its inode's last link now, is
 * stale, and the handle that had its key drops it when it looks the name
 * up again -- nothing else would find it without a scan.
 */
START_TEST(test_registry_replaced_key_file_claim_goes)
{
    xsipc_status st;
    xsipc__key k, other;
    char claim[64], names[512], path[PATH_MAX];
    int round;

    for (round = 0; round < 2; round++) {
        memset(&k, 0, sizeof k);
        ck_assert_int_eq(xsipc__reg_resolve_keep(tu_registry(), XSIPC__KIND_SHM,
                                                 "swapped", 1, 0, &k, &st),
                         0);
        snprintf(claim, sizeof claim, ".claim-%08x", (unsigned)k.key);
        snprintf(path, sizeof path, "%s", tu_path(k.file));
        ck_assert(unlink(path) == 0);
        if (round == 0)
            make_file(path, 0640); /* Qt's */
        else
            ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                                "swapped", 1, &other, &st),
                             0);
        ck_assert(exists(tu_path(claim)));
        ck_assert_int_eq(xsipc__reg_resolve_keep(tu_registry(), XSIPC__KIND_SHM,
                                                 "swapped", 0, 0, &k, &st),
                         0);
        ck_assert_msg(!exists(tu_path(claim)), "round %d: %s left", round,
                      claim);
        ck_assert_int_eq(dir_entries(names, sizeof names), round == 0 ? 1 : 2);
        xsipc__reg_release(tu_registry(), &k);
        assert_dir_empty();
    }
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
    ck_assert_int_eq(again.persistent, 1);
    ck_assert_int_eq(xsipc__reg_unregister(reg, &k, &st), 0);
    ck_assert(!exists(tu_path(k.file)));
    xsipc_registry_close(reg);
}
END_TEST

/* Qt's setNativeKey(path): the caller splits the path, the registry takes
 * the base name as the file name itself. */
START_TEST(test_registry_native_plain_file_name)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg =
        xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, NULL, &st);
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
    ck_assert_msg(strstr(st.text, "no such key file: ") == st.text,
                  "message: %s", st.text);
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
    char twin[PATH_MAX], path[PATH_MAX];

    snprintf(twin, sizeof twin, "%s", tu_path("twin"));
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "linked", 1, &k, &st),
                     0);
    ck_assert(link(tu_path(k.file), twin) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "linked",
                                     1, &again, &st),
                  &st, XSIPC_UNTRUSTED);
    /* Three: its claim, the twin, itself. */
    ck_assert_msg(strstr(st.text, "3 hard links") != NULL, "message: %s",
                  st.text);
    ck_assert(unlink(twin) == 0);
    xsipc__reg_release(tu_registry(), &k);
    ck_assert(!exists(tu_path(k.file)));

    /* A file Qt made has no claim: a second link is never its claim. */
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "linked", 1, &k, &st),
                     0);
    xsipc__reg_release(tu_registry(), &k);
    snprintf(path, sizeof path, "%s", tu_path(k.file));
    make_file(path, 0640);
    ck_assert(link(path, twin) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "linked",
                                     0, &again, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "2 hard links, and the second is not its "
                                  "claim") != NULL,
                  "message: %s", st.text);
    ck_assert(unlink(twin) == 0);
    ck_assert(unlink(path) == 0);
    assert_dir_empty();
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

    tu_need_root();
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

    tu_need_root();
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
    xsipc_registry *reg =
        xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, NULL, &st);
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
    reg = xsipc__reg_open(tu_dir(), 0x8000u, NULL, &st);
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
    ck_assert_int_eq(xsipc__reg_default_dir(buf, 3, NULL), -XSIPC_KEY_ERROR);
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
        xsipc__status_quote("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                            41, 0, q, sizeof q),
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9...");
    /* A C1 control (U+0085) and malformed bytes are escaped, a whole
     * character is kept. */
    ck_assert_str_eq(xsipc__status_quote("\xc2\x85|\xff|\xc3|\xe2\x82\xac", 40,
                                         0, q, sizeof q),
                     "\\xc2\\x85|\\xff|\\xc3|\xe2\x82\xac");
    /* The middle goes: the start and the end stay, and an escape is never
     * cut on either side of the "...". */
    ck_assert_str_eq(
        xsipc__status_quote("abcdefghijklmnopqrstuvwxyz", 5, 4, q, sizeof q),
        "abcde...wxyz");
    ck_assert_str_eq(xsipc__status_quote("ab\x01\x02"
                                         "cd",
                                         2, 5, q, sizeof q),
                     "ab...cd");
    ck_assert_str_eq(xsipc__status_quote("a\x01"
                                         "bcdef",
                                         3, 3, q, sizeof q),
                     "a...def");
    /* What fits in head + 3 + tail is not shortened. */
    ck_assert_str_eq(xsipc__status_quote("abcdefghij", 4, 3, q, sizeof q),
                     "abcdefghij");
    /* The buffer bounds the copy too. */
    ck_assert_str_eq(xsipc__status_quote("abcdefgh", 40, 0, q, 8), "abcd...");
    ck_assert_str_eq(xsipc__status_quote(NULL, 40, 0, q, sizeof q), "");
}
END_TEST

START_TEST(test_registry_native_name_max)
{
    xsipc_status st = {XSIPC_NO_ERROR, ""};
    xsipc_registry *reg =
        xsipc__reg_open(tu_dir(), XSIPC__REG_NATIVE, NULL, &st);
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

/* ------------------------------------------------------------- records */

START_TEST(test_registry_record_round_trip)
{
    static xsipc__record r;
    char buf[XSIPC__REC_MAX + 1], name[4001];
    const char *why;
    size_t n;

    n = sample_record(buf, sizeof buf, "my key 42");
    ck_assert_int_eq(xsipc__rec_parse(buf, n, &r, &why), 0);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(r.kind, 0);
    ck_assert_int_eq(r.proj, 'Q');
    ck_assert_uint_eq(r.key, 0x5100abcd);
    ck_assert_int_eq(r.pid, 4242);
    ck_assert_uint_eq(r.start, 777);
    ck_assert_int_eq(r.time, 1700000000);
    ck_assert_str_eq(r.name, "my key 42");
    ck_assert(memcmp(buf,
                     "xsipc-record 1\nkind shm\nproj 81\n"
                     "key 0x5100abcd\npid 4242\nstart 777\n"
                     "time 1700000000\nflags 0\nname 9 my key 42\n",
                     n) == 0);
    /* Every flag this version knows: persistent, keep, claimed by a hard
     * link. */
    r.flags = XSIPC__REC_PERSISTENT | XSIPC__REC_KEEP | XSIPC__REC_LINKED;
    n = xsipc__rec_format(&r, buf, sizeof buf);
    ck_assert_uint_gt(n, 0);
    buf[n] = '\0';
    ck_assert(strstr(buf, "\nflags 7\n") != NULL);
    ck_assert_int_eq(xsipc__rec_parse(buf, n, &r, &why), 0);
    ck_assert_uint_eq(r.flags, 7);
    /* A 4,000-byte name fits; control bytes and newlines are kept. */
    memset(name, 'x', 4000);
    name[0] = '\n';
    name[1] = '\x01';
    name[4000] = '\0';
    n = sample_record(buf, sizeof buf, name);
    ck_assert_int_eq(xsipc__rec_parse(buf, n, &r, &why), 0);
    ck_assert_uint_eq(r.name_len, 4000);
    ck_assert(memcmp(r.name, name, 4001) == 0);
    /* Too small a buffer: 0, nothing claimed. */
    ck_assert_uint_eq(xsipc__rec_format(&r, buf, 100), 0);
}
END_TEST

/* Every proper prefix of a record is "truncated": a reader may see a
 * record being written. */
START_TEST(test_registry_record_truncated)
{
    static xsipc__record r;
    char buf[512];
    const char *why;
    size_t n = sample_record(buf, sizeof buf, "share"), i;

    for (i = 0; i < n; i++)
        ck_assert_msg(xsipc__rec_parse(buf, i, &r, &why) ==
                          XSIPC__REC_TRUNCATED,
                      "prefix of %zu bytes: %s", i, why);
    ck_assert(why != NULL && why[0] != '\0');
}
END_TEST

START_TEST(test_registry_record_garbage)
{
    static const char *const bad[] = {
        "xsipc-record 2\n", /* a later version */
        "xsipc-record 01\n",
        "XSIPC-record 1\n",
        "xsipc-record 1\nkind shx\n",
        "xsipc-record 1\nkind shm\nproj 0\n",
        "xsipc-record 1\nkind shm\nproj 256\n",
        "xsipc-record 1\nkind shm\nproj 081\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100ABCD\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abc\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 0\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 2147483648\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid -1\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\n"
        "start 18446744073709551616\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 9223372036854775808\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 1\nflags 8\n", /* a bit version 1 does not know */
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 1\nflags 0\nname 4097 ",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 1\nflags 0\nname 1 ab\n",
        "xsipc-record 1\nkind shm\nproj 81\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 1\nflags 0\nname 1 a\nmore",
        /* the key's proj byte is not proj */
        "xsipc-record 1\nkind shm\nproj 82\nkey 0x5100abcd\npid 1\nstart 0\n"
        "time 1\nflags 0\nname 1 a\n",
    };
    static xsipc__record r;
    const char *why;
    char nul[128];
    size_t i, n;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(xsipc__rec_parse(bad[i], strlen(bad[i]), &r, &why) ==
                          XSIPC__REC_BAD,
                      "accepted or truncated: %s", bad[i]);
        ck_assert(why[0] != '\0');
    }
    ck_assert_int_eq(xsipc__rec_parse(bad[0], strlen(bad[0]), &r, &why),
                     XSIPC__REC_BAD);
    ck_assert_str_eq(why, "record of a later version than this library reads");
    /* A NUL inside the name. */
    n = sample_record(nul, sizeof nul, "abc");
    nul[n - 3] = '\0';
    ck_assert_int_eq(xsipc__rec_parse(nul, n, &r, &why), XSIPC__REC_BAD);
    /* Oversized input, and a NULL buffer, never read. */
    ck_assert_int_eq(xsipc__rec_parse(nul, XSIPC__REC_MAX + 1, &r, &why),
                     XSIPC__REC_BAD);
    ck_assert_int_eq(xsipc__rec_parse(NULL, 5, &r, &why), XSIPC__REC_BAD);
}
END_TEST

/* A key file Qt made (empty) is valid as it is, and in a registry that
 * follows Qt's life cycle nothing is written to it. */
START_TEST(test_registry_qt_key_file_used_as_is)
{
    xsipc_status st;
    char file[256];
    struct stat sb;
    xsipc__key k;

    plant_key_file(XSIPC__KIND_SHM, "qt made", NULL, 0, file);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "qt made", 1, &k, &st),
                     0);
    ck_assert_int_eq(k.created, 0);
    ck_assert(k.key == ftok(tu_path(file), 'Q'));
    ck_assert(lstat(tu_path(file), &sb) == 0);
    ck_assert_int_eq(sb.st_size, 0);
    ck_assert_int_eq(dir_entries(file, sizeof file), 1); /* no claim */
    xsipc__reg_release(tu_registry(), &k);
    assert_dir_empty();
}
END_TEST

/* In a persistent registry the Qt-made file is claimed and recorded once,
 * and later lookups write nothing. */
START_TEST(test_registry_persistent_adopts_qt_key_file)
{
    xsipc_status st;
    xsipc_registry *reg;
    char file[256], names[512];
    xsipc__key k, again;
    struct stat before, after;

    plant_key_file(XSIPC__KIND_SEM, "adopted", NULL, 0, file);
    reg = xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SEM, "adopted", 0, &k, &st), 0);
    assert_record(tu_path(file), XSIPC__KIND_SEM, "adopted", k.key,
                  XSIPC__REC_PERSISTENT | XSIPC__REC_LINKED);
    assert_claim(k.key, file);
    ck_assert_int_eq(dir_entries(names, sizeof names), 2);
    ck_assert(lstat(tu_path(file), &before) == 0);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SEM, "adopted", 1, &again, &st), 0);
    ck_assert(lstat(tu_path(file), &after) == 0);
    ck_assert(again.key == k.key && again.persistent);
    ck_assert(before.st_mtime == after.st_mtime &&
              before.st_size == after.st_size);
    ck_assert_int_eq(xsipc__reg_unregister(reg, &k, &st), 0);
    xsipc_registry_close(reg);
    assert_dir_empty();
}
END_TEST

/* A bad record: a clear error naming the file and the fault, no crash. */
START_TEST(test_registry_bad_records_refused)
{
    static const struct {
        const char *name;
        const char *content;
        size_t len;
        const char *says;
    } cases[] = {
        {"garbage",
         "\x7f"
         "ELF\x02\x01\x01",
         7, "bad record (not an xsipc"},
        {"cut", "xsipc-record 1\nkind shm\npr", 26, "truncated record"},
        {"later", "xsipc-record 7\n", 15, "later version"},
    };
    static char big[XSIPC__REC_MAX + 100];
    xsipc_status st;
    xsipc__key k;
    char file[256];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plant_key_file(XSIPC__KIND_SHM, cases[i].name, cases[i].content,
                       cases[i].len, file);
        assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                         cases[i].name, 1, &k, &st),
                      &st, XSIPC_KEY_ERROR);
        ck_assert_msg(strstr(st.text, cases[i].says) != NULL &&
                          strstr(st.text, file) != NULL,
                      "message: %s", st.text);
        ck_assert(unlink(tu_path(file)) == 0);
    }
    memset(big, 'z', sizeof big);
    plant_key_file(XSIPC__KIND_SHM, "big", big, sizeof big, file);
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "big", 0, &k, &st),
        &st, XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(st.text, "over the limit") != NULL, "message: %s",
                  st.text);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

/* A record of another name in our name's file (a SHA-1 clash, or a file
 * written by hand): never taken for ours. */
START_TEST(test_registry_record_of_other_name_refused)
{
    xsipc_status st;
    xsipc__key k;
    char buf[512], file[256];
    size_t n = sample_record(buf, sizeof buf, "somebody else");

    plant_key_file(XSIPC__KIND_SHM, "me", buf, n, file);
    assert_failed(
        xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "me", 1, &k, &st),
        &st, XSIPC_KEY_COLLISION);
    ck_assert_msg(strstr(st.text, "somebody else") != NULL, "message: %s",
                  st.text);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

/* Claims planted by someone else are not believed. */
START_TEST(test_registry_planted_claims_refused)
{
    xsipc_status st;
    xsipc__key k;
    char file[256], claim[64];
    struct stat sb;
    key_t key;

    plant_key_file(XSIPC__KIND_SHM, "planted", NULL, 0, file);
    ck_assert(lstat(tu_path(file), &sb) == 0);
    key = xsipc__reg_ftok(&sb, 'Q');
    snprintf(claim, sizeof claim, ".claim-%08x", (unsigned)key);

    /* A directory in the claim's place: no claim xsipc makes. */
    ck_assert(mkdir(tu_path(claim), 0700) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "planted",
                                     0, &k, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert_msg(strstr(st.text, "not a claim made by xsipc") != NULL &&
                      strstr(st.text, file) != NULL,
                  "message: %s", st.text);
    ck_assert(rmdir(tu_path(claim)) == 0);

    /* A file of ours with one link, or a second link of an inode with
     * another key: neither claims the key for any file, so they are
     * stale, and the Qt file is used as it is. */
    make_file(tu_path(claim), 0600);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "planted", 0, &k, &st),
                     0);
    ck_assert(unlink(tu_path(claim)) == 0);
    make_file(tu_path("other"), 0600);
    ck_assert(link(tu_path("other"), tu_path(claim)) == 0);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "planted", 0, &k, &st),
                     0);
    ck_assert(unlink(tu_path(claim)) == 0);
    ck_assert(unlink(tu_path("other")) == 0);

    /* A link out of the directory. */
    ck_assert(symlink("../../etc/passwd", tu_path(claim)) == 0);
    assert_failed(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "planted",
                                     0, &k, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert(unlink(tu_path(claim)) == 0);

    /* A link to a gone file: stale, the Qt file is used as it is. */
    ck_assert(symlink("qipc_sharedmemory_gone", tu_path(claim)) == 0);
    ck_assert_int_eq(xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM,
                                        "planted", 0, &k, &st),
                     0);
    ck_assert(unlink(tu_path(claim)) == 0);
    ck_assert(unlink(tu_path(file)) == 0);
}
END_TEST

/* Names are only ever hashed into a file name: none reaches outside the
 * registry directory, whatever it holds. */
START_TEST(test_registry_names_stay_inside)
{
    static char long_name[4001], longer[5001];
    const char *names[] = {
        "../../../etc/passwd", "a/b/c", "/abs/olute", "..",  ".",
        "\n\x01\x1b[2J\x7f",   "dir/",  long_name,    longer};
    const char *sub = tu_path("reg");
    xsipc_registry *reg;
    xsipc_status st;
    xsipc__key k;
    char names_left[4096];
    DIR *d;
    struct dirent *e;
    size_t i;
    int files = 0;

    memset(long_name, '7', 4000); /* digits: a short file name */
    long_name[17] = '/';
    memset(longer, '.', 5000);
    ck_assert(mkdir(sub, 0700) == 0);
    reg = xsipc_registry_open(sub, 0, &st);
    ck_assert_ptr_nonnull(reg);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        ck_assert_msg(
            xsipc__reg_resolve(reg, XSIPC__KIND_SHM, names[i], 1, &k, &st) == 0,
            "name %zu: %s", i, st.text);
        ck_assert(strchr(k.file, '/') == NULL);
        ck_assert_int_eq(strncmp(k.file, "qipc_sharedmemory_", 18), 0);
    }
    /* 4,000 letters would pass NAME_MAX: refused, nothing made. */
    memset(long_name, 'x', 4000);
    assert_failed(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, long_name, 1, &k, &st), &st,
        XSIPC_KEY_ERROR);
    /* The test directory holds only the registry; the registry only key
     * files and the registry's own dot files. */
    ck_assert_int_eq(dir_entries(names_left, sizeof names_left), 1);
    d = opendir(sub);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ck_assert_msg(strncmp(e->d_name, "qipc_sharedmemory_", 18) == 0 ||
                          strncmp(e->d_name, ".claim-", 7) == 0,
                      "unexpected %s", e->d_name);
        files++;
    }
    closedir(d);
    ck_assert_int_eq(files, 2 * 9);
    ck_assert_int_eq(xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st), 9);
    xsipc_registry_close(reg);
    ck_assert(rmdir(sub) == 0);
}
END_TEST

/*
 * A key file as an older xsipc left it in tu_dir(): its record (flags,
 * without XSIPC__REC_LINKED), a claim that is a symbolic link naming it
 * ('m' and the name after Qt's prefix) and, with link, a .name- link
 * naming the claim's key.  Its name goes to file (256 bytes); its key is
 * returned.
 */
static key_t old_key_file(const char *name, unsigned flags, int link,
                          char *file)
{
    char claim[64], target[256], old[64], hex[16];
    struct stat sb;
    key_t key;
    int fd;

    plant_key_file(XSIPC__KIND_SHM, name, NULL, 0, file);
    fd = open(tu_path(file), O_RDWR | O_CLOEXEC);
    ck_assert(fd >= 0 && fstat(fd, &sb) == 0);
    key = xsipc__reg_ftok(&sb, 'Q');
    ck_assert_int_eq(
        xsipc__reg_write_record(fd, XSIPC__KIND_SHM, name, key, 'Q', flags, 0),
        0);
    close(fd);
    snprintf(claim, sizeof claim, ".claim-%08x", (unsigned)key);
    snprintf(target, sizeof target, "m%s", file + 18);
    ck_assert(symlink(target, tu_path(claim)) == 0);
    if (link) {
        ck_assert_int_eq(xsipc__reg_old_link_name(file, old, sizeof old), 0);
        snprintf(hex, sizeof hex, "%08x", (unsigned)key);
        ck_assert(symlink(hex, tu_path(old)) == 0);
    }
    return key;
}

/* What an older xsipc left of a key file of name that a Qt program
 * removed: its claim and its .name- link, naming a file that is gone.  Its
 * key has another device byte than tu_dir()'s, so that no file made in the
 * test can have it (and take the claim over). */
static void old_leftovers(const char *name)
{
    char file[256], claim[64], target[256], old[64], hex[16];
    xsipc_status st;
    struct stat sb;
    unsigned key;

    ck_assert(stat(tu_dir(), &sb) == 0);
    key =
        ((unsigned)'Q' << 24) | (((unsigned)sb.st_dev + 1u) & 0xffu) << 16 | 1u;
    ck_assert_int_eq(
        xsipc__reg_file_name(XSIPC__KIND_SHM, name, file, sizeof file, &st), 0);
    snprintf(claim, sizeof claim, ".claim-%08x", key);
    snprintf(target, sizeof target, "m%s", file + 18);
    ck_assert(symlink(target, tu_path(claim)) == 0);
    ck_assert_int_eq(xsipc__reg_old_link_name(file, old, sizeof old), 0);
    snprintf(hex, sizeof hex, "%08x", key);
    ck_assert(symlink(hex, tu_path(old)) == 0);
}

static int count_entry(const xsipc_registry_entry *e, void *arg)
{
    int *n = arg;

    ck_assert_msg(e->problem == NULL, "problem: %s", e->problem);
    ck_assert_msg(
        (e->flags & (XSIPC_ENTRY_UNCLAIMED | XSIPC_ENTRY_COLLISION)) == 0,
        "flags 0x%x", e->flags);
    (*n)++;
    return 0;
}

/*
 * An upgrade: a registry an older xsipc left -- claims that are symbolic
 * links, .name- links -- keeps working, and leaves no litter.  Its key
 * files are used with the keys they have (their claims read as they are),
 * their last user removes them with their claims and .name- links, and gc
 * takes the leftovers of files Qt removed.  In a persistent registry the
 * lookup writes nothing, and a second link is refused as before.
 */
START_TEST(test_registry_older_registry_upgrades)
{
    xsipc_status st;
    xsipc_registry *reg;
    xsipc_shm *a, *b;
    char file[256], names[1024], twin[PATH_MAX];
    struct stat before, after;
    xsipc__key k;
    key_t key, got = 0;
    int n = 0;

    /* Qt's life cycle (the test's registry). */
    key = old_key_file("live", 0, 1, file);
    old_leftovers("gone");
    ck_assert_int_eq(dir_entries(names, sizeof names), 5);
    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "live", XSIPC_KIND_SHM,
                                        0, &got, NULL, 0, &st),
                     0);
    ck_assert(got == key);
    ck_assert_int_eq(xsipc_registry_list(tu_registry(), count_entry, &n, &st),
                     1);
    a = xsipc_shm_new_in(tu_registry(), "live");
    b = xsipc_shm_new_in(tu_registry(), "live");
    ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
    strcpy(xsipc_shm_data(a), "upgraded");
    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "upgraded");
    xsipc_shm_free(b);
    xsipc_shm_free(a);
    /* The last user took the key file, its claim and its .name- link (and
     * the lock's key file and claim, made new). */
    ck_assert_int_eq(dir_entries(names, sizeof names), 2);
    ck_assert_int_eq(
        xsipc_registry_gc(tu_registry(), XSIPC_GC_NOW, NULL, NULL, &st), 2);
    assert_dir_empty();

    /* A persistent registry. */
    key = old_key_file("kept", XSIPC__REC_PERSISTENT, 0, file);
    old_leftovers("gone");
    reg = xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_msg(reg != NULL, "open: %s", st.text);
    ck_assert(lstat(tu_path(file), &before) == 0);
    ck_assert_int_eq(
        xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "kept", 1, &k, &st), 0);
    ck_assert(k.key == key && !k.created && k.persistent);
    ck_assert(lstat(tu_path(file), &after) == 0);
    ck_assert(before.st_ctime == after.st_ctime &&
              before.st_size == after.st_size && after.st_nlink == 1);
    /* A second link is no claim of an older xsipc's either. */
    snprintf(twin, sizeof twin, "%s", tu_path("twin"));
    ck_assert(link(tu_path(file), twin) == 0);
    assert_failed(xsipc__reg_resolve(reg, XSIPC__KIND_SHM, "kept", 0, &k, &st),
                  &st, XSIPC_UNTRUSTED);
    ck_assert(unlink(twin) == 0);
    /* gc takes what the Qt program's removal left, not the live claim. */
    ck_assert_int_eq(xsipc_registry_gc(reg, XSIPC_GC_NOW, NULL, NULL, &st), 2);
    ck_assert_int_eq(dir_entries(names, sizeof names), 2);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SHM, 0, &st),
                     0);
    assert_dir_empty();
    xsipc_registry_close(reg);
}
END_TEST

/* The registry lock excludes other processes: a creation waits for it. */
START_TEST(test_registry_lock_excludes)
{
    xsipc_status st;
    int fd, p[2], status;
    pid_t pid;
    char c;
    xsipc__key k;

    fd = xsipc__reg_lock(tu_registry(), &st);
    ck_assert_msg(fd >= 0, "lock: %s", st.text);
    ck_assert(pipe(p) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        if (xsipc__reg_resolve(tu_registry(), XSIPC__KIND_SHM, "waits", 1, &k,
                               &st) != 0)
            _exit(1);
        (void)!write(p[1], "x", 1);
        _exit(0);
    }
    close(p[1]);
    usleep(200000);
    /* Still waiting: the key file is not there. */
    ck_assert(!exists(tu_path("qipc_sharedmemory_waits603923767641d3521199ba"
                              "8867efdc3b787f53bc")));
    xsipc__reg_unlock(fd);
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "waits", XSIPC_KIND_SHM, 0, &st),
        0);
    assert_dir_empty();
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
    tcase_add_test(core, test_registry_default_dir_unset_is_tmp);
    tcase_add_test(core, test_registry_open_default_dir);
    tcase_add_test(core, test_registry_references);
    tcase_add_test(core, test_registry_resolve_creates_key_file);
    tcase_add_test(core, test_registry_resolve_finds_existing);
    tcase_add_test(core, test_registry_key_equals_ftok);
    tcase_add_test(core, test_registry_group_modes);
    tcase_add_test(core, test_registry_release_same_inode_only);
    tcase_add_test(core, test_registry_persistent_keeps_key_file);
    tcase_add_test(core, test_registry_native_plain_file_name);
    tcase_add_test(core, test_registry_record_round_trip);
    tcase_add_test(core, test_registry_record_truncated);
    tcase_add_test(core, test_registry_qt_key_file_used_as_is);
    tcase_add_test(core, test_registry_persistent_adopts_qt_key_file);
    tcase_add_test(core, test_registry_older_registry_upgrades);
    tcase_add_test(core, test_registry_replaced_key_file_claim_goes);
    tcase_add_test(core, test_registry_lock_excludes);
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
    tcase_add_test(errors, test_registry_record_garbage);
    tcase_add_test(errors, test_registry_bad_records_refused);
    tcase_add_test(errors, test_registry_record_of_other_name_refused);
    tcase_add_test(errors, test_registry_planted_claims_refused);
    suite_add_tcase(s, errors);

    tu_tcase(limits);
    tcase_add_test(limits, test_registry_name_over_name_max);
    tcase_add_test(limits, test_registry_name_at_name_max);
    tcase_add_test(limits, test_registry_small_buffers);
    tcase_add_test(limits, test_registry_messages_escape_names);
    tcase_add_test(limits, test_registry_native_name_max);
    tcase_add_test(limits, test_registry_names_stay_inside);
    suite_add_tcase(s, limits);

    return s;
}
