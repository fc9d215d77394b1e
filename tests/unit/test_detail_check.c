/* SPDX-License-Identifier: MIT */
/* The reader of FreeRADIUS's detail file that the RADIUS tests rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detail_check.h"

static void records_and_values(void **state)
{
    char text[] = "Tue Nov 24 20:33:58 2026\n"
                  "\tAcct-Status-Type = Stop\n"
                  "\tUser-Name = \"CONTOSO\\\\al\\\"ice\"\n"
                  "\tCalled-Station-Id = \"a\\303\\251\"\n"
                  "\tAcct-Session-Time = 3723\n"
                  "\n"
                  "Tue Nov 24 20:33:59 2026\n"
                  "\tAcct-Status-Type = Accounting-On\n"
                  "\tUser = \"not User-Name\"\n"
                  "\n";
    char *records[4];
    char v[64];

    (void)state;
    assert_int_equal(dc_split(text, records, 4), 2);
    assert_true(dc_get(records[0], "User-Name", v, sizeof v));
    assert_string_equal(v, "CONTOSO\\al\"ice");
    assert_true(dc_get(records[0], "Called-Station-Id", v, sizeof v));
    assert_string_equal(v, "a\xC3\xA9");
    assert_true(dc_get(records[0], "Acct-Session-Time", v, sizeof v));
    assert_string_equal(v, "3723");
    /* Attributes belong to their record; a prefix of a name is not the name. */
    assert_false(dc_get(records[1], "User-Name", v, sizeof v));
    assert_false(dc_get(records[1], "Acct-Session-Time", v, sizeof v));
    assert_false(dc_get(records[0], "User", v, sizeof v));
    assert_true(dc_get(records[1], "Acct-Status-Type", v, sizeof v));
    assert_string_equal(v, "Accounting-On");
    /* Cut short: an unterminated quote is not a value. */
    assert_false(dc_get(records[0], "User-Name", v, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
