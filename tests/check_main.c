/* SPDX-License-Identifier: MIT */
/*
 * check_main.c -- the main of every Check program: the program is built
 * with -DTEST_SUITE=<module>_suite and runs that suite, then the leak check.
 */
#include <config.h>

#include "testutil.h"

#ifndef TEST_SUITE
#error "build with -DTEST_SUITE=<module>_suite"
#endif

Suite *TEST_SUITE(void);

int main(void)
{
    return tu_main(TEST_SUITE());
}
