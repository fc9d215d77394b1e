/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json_check.h"
#include "pipeline.h"

static void backoff_doubles_caps_and_jitters(void **state)
{
    (void)state;
    assert_int_equal(rh_backoff_ms(0, 1000, 60000, 0), 0);
    /* The upper half of base * 2^(attempt-1): [500, 1000], [1000, 2000], ... */
    assert_int_equal(rh_backoff_ms(1, 1000, 60000, 0), 500);
    assert_int_equal(rh_backoff_ms(1, 1000, 60000, 500), 1000);
    assert_int_equal(rh_backoff_ms(2, 1000, 60000, 0), 1000);
    assert_int_equal(rh_backoff_ms(3, 1000, 60000, 1000), 3000);
    assert_int_equal(rh_backoff_ms(3, 1000, 60000, 2000), 4000);
    for (uint32_t a = 1; a < 100; a++) {
        for (uint32_t r = 0; r < 5000; r += 97) {
            uint32_t d = rh_backoff_ms(a, 1000, 60000, r * 2654435761u);
            assert_true(d <= 60000);
            assert_true(d >= (a >= 7 ? 30000u : 500u << (a - 1)));
        }
    }
    /* Different random values spread the retries. */
    assert_int_not_equal(rh_backoff_ms(5, 1000, 60000, 1), rh_backoff_ms(5, 1000, 60000, 7777));
}

static void status_is_json(void **state)
{
    struct rh_status s;
    char out[8192];
    char v[64];
    struct rh_buf b;

    (void)state;
    memset(&s, 0, sizeof s);
    s.time_ms = 1795975260000ull;
    s.started_ms = 1795975200000ull;
    s.server = "ras01";
    s.version = "0.1.0";
    s.journal_path = "C:\\ProgramData\\RasHangup\\journal\\journal.dat";
    s.journal_bytes = 268431360;
    s.received = 10;
    s.journaled = 10;
    s.n_sinks = 3;
    s.sinks[0] = (struct rh_sink_status){
        "file", "file", RH_SINK_STATE_IDLE, 10, 0, 0, 0, 0, 0, 0, 0, NULL, NULL};
    s.sinks[1] = (struct rh_sink_status){
        "syslog \"a\"", "syslog", RH_SINK_STATE_RETRYING, 4, 3, 0, 0, 6, 1795975200000ull, 10061, 2,
        NULL,           NULL};
    /* A sink that does not run: its state, its backlog and why. */
    s.sinks[2] =
        (struct rh_sink_status){"bad", NULL, RH_SINK_STATE_INVALID,      0,   0, 0, 0, 5, 0,
                                0,     0,    "value Transport: \"tpc\"", NULL};
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_int_equal(jc_get(out, b.len - 1, "journal_path", v, sizeof v), JC_STRING);
    assert_string_equal(v, s.journal_path);
    assert_int_equal(jc_get(out, b.len - 1, "full_policy", v, sizeof v), JC_STRING);
    assert_string_equal(v, "drop_oldest");
    assert_non_null(strstr(out, "\"state\":\"retrying\",\"delivered\":4,\"retried\":3,"));
    assert_non_null(strstr(out, "\"pending\":6,\"unconfirmed\":2,\"oldest_pending\":"
                                "\"2026-11-29T18:00:00.000Z\","
                                "\"oldest_pending_age_s\":60,\"last_error\":10061}"));
    assert_non_null(strstr(out, "{\"name\":\"bad\",\"type\":null,\"state\":\"invalid\","));
    assert_non_null(strstr(out, "\"pending\":5,"));
    assert_non_null(strstr(out, "\"reason\":\"value Transport: \\\"tpc\\\"\"}]}"));
    rh_buf_init(&b, out, 100);
    assert_false(rh_format_status(&s, &b));
    assert_int_equal(b.len, 0);
}

/* A failing sink's last error in words, beside its code. */
static void status_says_the_error_in_words(void **state)
{
    struct rh_status s;
    char out[4096];
    struct rh_buf b;

    (void)state;
    memset(&s, 0, sizeof s);
    s.time_ms = 1795975260000ull;
    s.server = "ras01";
    s.version = "0.1.0";
    s.journal_path = "C:\\j\\journal.dat";
    s.n_sinks = 2;
    s.sinks[0] = (struct rh_sink_status){"siem",
                                         "syslog",
                                         RH_SINK_STATE_RETRYING,
                                         0,
                                         1,
                                         0,
                                         0,
                                         1,
                                         0,
                                         10061,
                                         0,
                                         NULL,
                                         "send over tcp to 10.0.0.5 port 514: refused"};
    /* No text: no member (a sink that never failed). */
    s.sinks[1] = (struct rh_sink_status){"file", "file", RH_SINK_STATE_IDLE, 1, 0, 0, 0, 0, 0, 0, 0,
                                         NULL,   NULL};
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_non_null(strstr(out, "\"last_error_text\":\"send over tcp to 10.0.0.5 port 514: "
                                "refused\",\"last_error\":10061}"));
    assert_null(strstr(strstr(out, "\"name\":\"file\""), "last_error_text"));
}

/* status.json's verdict: what a monitor alerts on, with its reasons. */
static void health_says_what_to_alert_on(void **state)
{
    struct rh_status s;
    char out[16384], v[512];
    struct rh_buf b;

    (void)state;
    memset(&s, 0, sizeof s);
    s.time_ms = 1795975260000ull;
    s.server = "ras01";
    s.version = "0.1.0";
    s.journal_path = "C:\\j\\journal.dat";
    s.n_sinks = 3;
    s.sinks[0] = (struct rh_sink_status){"file", "file", RH_SINK_STATE_IDLE, 1, 0, 0, 0, 0, 0, 0, 0,
                                         NULL,   NULL};
    s.sinks[1] = (struct rh_sink_status){
        "siem", "syslog", RH_SINK_STATE_SENDING, 1, 0, 0, 0, 9, 0, 0, 0, NULL, NULL};
    /* Disabled: the administrator's choice, not a problem. */
    s.sinks[2] = (struct rh_sink_status){"old", NULL, RH_SINK_STATE_DISABLED, 0,   0, 0, 0, 0, 0,
                                         0,     0,    "Enabled = 0",          NULL};
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_int_equal(jc_get(out, b.len - 1, "health", v, sizeof v), JC_STRING);
    assert_string_equal(v, "ok");
    assert_non_null(strstr(out, "\"health\":\"ok\",\"health_reasons\":[],"));

    /* One sink failing: degraded, and it is named with its error. */
    s.sinks[1].state = RH_SINK_STATE_RETRYING;
    s.sinks[1].last_error_text = "send over tcp to 10.0.0.5 port 514: refused";
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_non_null(strstr(out, "\"health\":\"degraded\",\"health_reasons\":[\"sink siem is "
                                "retrying: send over tcp to 10.0.0.5 port 514: refused\"]"));

    /* Every sink that runs failing: nothing is delivered. */
    s.sinks[0].state = RH_SINK_STATE_INVALID;
    s.sinks[0].reason = "value Path: \"x\" is not an absolute path";
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_non_null(strstr(out, "\"health\":\"failing\""));
    assert_non_null(strstr(out, "no sink can deliver: records wait in the journal"));

    /* Records lost is failing whatever the sinks do now. */
    s.sinks[0].state = s.sinks[1].state = RH_SINK_STATE_IDLE;
    s.dropped = 12;
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_status(&s, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_non_null(strstr(out, "\"health\":\"failing\",\"health_reasons\":[\"12 undelivered "
                                "record(s) dropped since start (the journal was full)\"]"));
    assert_int_equal(rh_status_health(&s, &b), RH_HEALTH_FAILING);
    s.dropped = 0;
    s.refused = 3;
    assert_int_equal(rh_status_health(&s, &b), RH_HEALTH_DEGRADED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_caps_and_jitters),
        cmocka_unit_test(status_is_json),
        cmocka_unit_test(status_says_the_error_in_words),
        cmocka_unit_test(health_says_what_to_alert_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
