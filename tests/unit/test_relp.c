/* SPDX-License-Identifier: MIT */
/* RELP frames, byte for byte, and the client's reading of what a server (or anything else) sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relp.h"

static void frames_are_byte_exact(void **state)
{
    char out[256];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_relp_open(&b, 1));
    assert_true(rh_relp_frame(&b, 2, "syslog", "<86>1 - x", 9));
    assert_true(rh_relp_frame(&b, 3, "close", NULL, 0));
    assert_int_equal(b.len, strlen("1 open 54 relp_version=0\nrelp_software=rashangup\ncommands="
                                   "syslog\n2 syslog 9 <86>1 - x\n3 close 0\n"));
    assert_memory_equal(out,
                        "1 open 54 relp_version=0\nrelp_software=rashangup\ncommands=syslog\n"
                        "2 syslog 9 <86>1 - x\n3 close 0\n",
                        b.len);
    /* Commands are letters; what does not fit leaves the buffer as it was. */
    assert_false(rh_relp_frame(&b, 4, "sys log", "x", 1));
    assert_false(rh_relp_frame(&b, 4, "", "x", 1));
    assert_false(rh_relp_frame(&b, RH_RELP_TXNR_MAX + 1, "syslog", "x", 1));
    rh_buf_init(&b, out, 12);
    assert_false(rh_relp_frame(&b, 4, "syslog", "0123456789", 10));
    assert_int_equal(b.len, 0);
    assert_int_equal(rh_relp_next_txnr(1), 2);
    assert_int_equal(rh_relp_next_txnr(RH_RELP_TXNR_MAX), 1);
}

static void responses_are_read(void **state)
{
    const char open_rsp[] = "1 rsp 93 200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,"
                            "http://librelp.adiscon.com\ncommands=syslog\n";
    const char two[] = "2 rsp 6 200 OK\n3 rsp 6 500 no\n4 rsp 0\n0 serverclose 0\n";
    struct rh_relp_response r;
    size_t used = 0, at = 0;

    (void)state;
    assert_int_equal(rh_relp_parse(open_rsp, sizeof open_rsp - 1, &r, &used), RH_RELP_FRAME);
    assert_int_equal(used, sizeof open_rsp - 1);
    assert_int_equal(r.txnr, 1);
    assert_string_equal(r.command, "rsp");
    assert_int_equal(r.code, 200);
    assert_true(rh_relp_open_accepted(&r));

    assert_int_equal(rh_relp_parse(two, sizeof two - 1, &r, &used), RH_RELP_FRAME);
    assert_int_equal(r.txnr, 2);
    assert_int_equal(r.code, 200);
    at += used;
    assert_int_equal(rh_relp_parse(two + at, sizeof two - 1 - at, &r, &used), RH_RELP_FRAME);
    assert_int_equal(r.txnr, 3);
    assert_int_equal(r.code, 500);
    assert_false(rh_relp_open_accepted(&r));
    at += used;
    assert_int_equal(rh_relp_parse(two + at, sizeof two - 1 - at, &r, &used), RH_RELP_FRAME);
    assert_int_equal(r.txnr, 4);
    assert_int_equal(r.code, 0);
    at += used;
    assert_int_equal(rh_relp_parse(two + at, sizeof two - 1 - at, &r, &used), RH_RELP_FRAME);
    assert_int_equal(r.txnr, 0);
    assert_string_equal(r.command, "serverclose");
    at += used;
    assert_int_equal(at, sizeof two - 1);

    /* Every cut of a frame is "more", never a frame or an error. */
    for (size_t n = 0; n < sizeof open_rsp - 1; n++)
        assert_int_equal(rh_relp_parse(open_rsp, n, &r, &used), RH_RELP_MORE);
}

static void open_needs_syslog(void **state)
{
    const char other[] = "1 rsp 34 200 OK\nrelp_version=0\ncommands=foo\n";
    const char listed[] = "1 rsp 41 200 OK\nrelp_version=0\ncommands=foo,syslog\n";
    const char refused[] = "1 rsp 22 500 not now\ncommands=x\n";
    struct rh_relp_response r;
    size_t used;

    (void)state;
    assert_int_equal(rh_relp_parse(other, sizeof other - 1, &r, &used), RH_RELP_FRAME);
    assert_false(rh_relp_open_accepted(&r));
    assert_int_equal(rh_relp_parse(listed, sizeof listed - 1, &r, &used), RH_RELP_FRAME);
    assert_true(rh_relp_open_accepted(&r));
    assert_int_equal(rh_relp_parse(refused, sizeof refused - 1, &r, &used), RH_RELP_FRAME);
    assert_false(rh_relp_open_accepted(&r));
}

/* What is not RELP ends the session: a hostile or confused server cannot make the client wait for
 * ever. */
static void garbage_is_refused(void **state)
{
    static const char *const bad[] = {
        "x rsp 6 200 OK\n", "1rsp 6 200 OK\n",
        "1 r5p 6 200 OK\n", "1 rsp 6 200 OKX",
        "1 rsp 6x200 OK\n", "1234567890 rsp 0\n",
        "1 rsp 4097 ",      "1 rsp 3 2x0\n",
        "1 rsp 6 20 OK \n", "1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n",
        "1 rsp 0x",
    };
    struct rh_relp_response r;
    size_t used;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (rh_relp_parse(bad[i], strlen(bad[i]), &r, &used) != RH_RELP_BAD)
            fail_msg("accepted: %s", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_are_byte_exact),
        cmocka_unit_test(responses_are_read),
        cmocka_unit_test(open_needs_syslog),
        cmocka_unit_test(garbage_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
