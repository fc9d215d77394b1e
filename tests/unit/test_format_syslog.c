/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expected.h"
#include "fixtures.h"
#include "format.h"
#include "syslog_check.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

static void format(const struct rh_record *r, const struct rh_syslog_options *o, char *out,
                   size_t size, struct rh_buf *b)
{
    rh_buf_init(b, out, size);
    assert_true(rh_format_syslog(r, o, b));
}

static void ppp_record_exact_bytes(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_syslog_options o;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    struct sc_message m;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_syslog_options_default(&o);
    format(&r, &o, out, sizeof out, &b);
    assert_string_equal(out, syslog_ppp);
    assert_true(sc_parse(out, b.len, &m));
    assert_int_equal(m.pri, 86); /* authpriv.info */
    assert_string_equal(m.hostname, "ras01.contoso.com");
    assert_string_equal(m.app_name, "rashangup");
    assert_string_equal(m.procid, "-");
    assert_string_equal(m.msgid, "hangup");
    assert_string_equal(m.sd_id, "rashangup@32473");
    assert_int_equal(m.n_elements, 1);
    assert_int_equal(m.n_params, RH_FIELD_COUNT - 1); /* probation_time is unknown */
    assert_true(m.bom);
}

static void options_are_applied_and_checked(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_syslog_options o;
    char out[RH_FORMAT_MAX];
    char err[200];
    struct rh_buf b;
    struct sc_message m;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_syslog_options_default(&o);
    o.facility = 16;
    o.severity = 5;
    o.app_name = "RRAS";
    o.sd_id = "vpn@1.3.6";
    o.procid = "4242";
    o.hostname = "ras01";
    assert_true(rh_syslog_options_check(&o, err, sizeof err));
    format(&r, &o, out, sizeof out, &b);
    assert_true(sc_parse(out, b.len, &m));
    assert_int_equal(m.pri, 133);
    assert_string_equal(m.hostname, "ras01");
    assert_string_equal(m.app_name, "RRAS");
    assert_string_equal(m.procid, "4242");
    assert_string_equal(m.sd_id, "vpn@1.3.6");

    static const char *const bad_ids[] = {"vpn",   "vpn@",  "@32473",
                                          "a b@1", "v=x@1", "v@1.",
                                          "v@x",   "v@1@2", "abcdefghijklmnopqrstuvwxyz012345@1"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        o.sd_id = bad_ids[i];
        if (rh_syslog_options_check(&o, err, sizeof err))
            fail_msg("SD-ID \"%s\" accepted", bad_ids[i]);
        assert_non_null(strstr(err, "SD-ID"));
        rh_buf_init(&b, out, sizeof out);
        assert_false(rh_format_syslog(&r, &o, &b));
    }
    rh_syslog_options_default(&o);
    o.facility = 24;
    assert_false(rh_syslog_options_check(&o, err, sizeof err));
    assert_non_null(strstr(err, "facility"));
    rh_syslog_options_default(&o);
    o.app_name = "has space";
    assert_false(rh_syslog_options_check(&o, err, sizeof err));
    assert_non_null(strstr(err, "APP-NAME"));
}

static void values_are_escaped_and_round_trip(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_syslog_options o;
    char out[RH_FORMAT_MAX];
    char value[RH_USER_SIZE];
    struct rh_buf b;
    struct sc_message m;
    const rh_wchar name[] = {'a', '"', 'b', '\\', ']', '[', '=', 0x674E, 0xD83D, 0xDE00, '\n', 0};

    (void)state;
    fx_ppp(&c);
    memcpy(c.wszUserName, name, sizeof name);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_syslog_options_default(&o);
    format(&r, &o, out, sizeof out, &b);
    assert_non_null(strstr(out, " user=\"a\\\"b\\\\\\][=\xE6\x9D\x8E\xF0\x9F\x98\x80\n\" "));
    assert_true(sc_parse(out, b.len, &m));
    assert_true(sc_param(out, b.len, "user", value, sizeof value));
    assert_string_equal(value, "a\"b\\][=\xE6\x9D\x8E\xF0\x9F\x98\x80\n");
    /* MSG stays one line: its control characters become '?'. */
    assert_null(memchr(m.msg, '\n', m.msg_len));
    assert_non_null(strstr(m.msg, "CONTOSO\\a\"b\\][=\xE6\x9D\x8E\xF0\x9F\x98\x80? disconnected"));
}

static void unusable_hostname_is_nil(void **state)
{
    struct rh_record r;
    struct rh_syslog_options o;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    struct sc_message m;
    const struct rh_record_meta m1 = {FX_HANGUP_MS, "r\xC3\xA9seau", NULL};
    const struct rh_record_meta m2 = {FX_HANGUP_MS, NULL, NULL};

    (void)state;
    rh_syslog_options_default(&o);
    rh_record_from_legacy(&r, NULL, NULL, NULL, NULL, &m1);
    format(&r, &o, out, sizeof out, &b);
    assert_true(sc_parse(out, b.len, &m));
    assert_string_equal(m.hostname, "-");
    rh_record_from_legacy(&r, NULL, NULL, NULL, NULL, &m2);
    format(&r, &o, out, sizeof out, &b);
    assert_true(sc_parse(out, b.len, &m));
    assert_string_equal(m.hostname, "-");
    assert_string_equal(m.msg, " disconnected after 0 s");
}

static void facilities_and_omitted_msg(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_syslog_options o;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    struct sc_message m;
    unsigned f;

    (void)state;
    assert_true(rh_syslog_facility_from_name("authpriv", &f));
    assert_int_equal(f, 10);
    assert_true(rh_syslog_facility_from_name("local7", &f));
    assert_int_equal(f, 23);
    assert_true(rh_syslog_facility_from_name("16", &f));
    assert_int_equal(f, 16);
    assert_false(rh_syslog_facility_from_name("24", &f));
    /* Keywords in any case, as Windows administrators expect (issue 15). */
    assert_true(rh_syslog_facility_from_name("Local0", &f));
    assert_int_equal(f, 16);
    assert_true(rh_syslog_facility_from_name("AUTHPRIV", &f));
    assert_int_equal(f, 10);
    assert_false(rh_syslog_facility_from_name("local8", &f));
    assert_false(rh_syslog_facility_from_name("local", &f));
    assert_false(rh_syslog_facility_from_name("", &f));

    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_syslog_options_default(&o);
    o.omit_msg = true;
    format(&r, &o, out, sizeof out, &b);
    assert_int_equal(out[b.len - 1], ']');
    assert_true(sc_parse(out, b.len, &m));
    assert_null(m.msg);
    assert_int_equal(m.n_params, RH_FIELD_COUNT - 1);
}

static void parser_rejects_broken_messages(void **state)
{
    static const char *const bad[] = {
        "",
        "<86>2 2026-11-29T18:00:00Z h a - m -",
        "<192>1 2026-11-29T18:00:00Z h a - m -",
        "<86>1 2026-11-29 h a - m -",
        "<86>1 2026-11-29T18:00:00Z h a - m [x@1 a=\"]\"]",
        "<86>1 2026-11-29T18:00:00Z h a - m [x@1 a=\"v]",
        "<86>1 2026-11-29T18:00:00Z h a - m [x@1 a=v]",
        "<86>1 2026-11-29T18:00:00Z h a - m x",
    };
    struct sc_message m;
    const char good[] = "<86>1 2026-11-29T18:00:00Z h a - m [x@1 a=\"\\]\"] \xEF\xBB\xBFok";

    (void)state;
    assert_true(sc_parse(good, strlen(good), &m));
    assert_true(m.bom);
    assert_int_equal(m.msg_len, 2);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sc_parse(bad[i], strlen(bad[i]), &m))
            fail_msg("accepted: %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ppp_record_exact_bytes),
        cmocka_unit_test(options_are_applied_and_checked),
        cmocka_unit_test(values_are_escaped_and_round_trip),
        cmocka_unit_test(unusable_hostname_is_nil),
        cmocka_unit_test(facilities_and_omitted_msg),
        cmocka_unit_test(parser_rejects_broken_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
