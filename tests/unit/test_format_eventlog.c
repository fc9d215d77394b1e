/* SPDX-License-Identifier: MIT */
/*
 * The Event Log's insertion strings: the record's fields in order, as the CSV
 * row has them (read back by the independent RFC 4180 reader), raw text, empty
 * for null; and the message text of RH_MSG_HANGUP in src/win/messages.mc names
 * every field at its own insertion number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv_check.h"
#include "expected.h"
#include "fixtures.h"
#include "format.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

static void strings_are_the_fields_in_order(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    static char buf[RH_FORMAT_MAX];
    size_t offsets[RH_FIELD_COUNT], consumed;
    struct rh_buf b;
    char cell[1024];

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, buf, sizeof buf);
    assert_true(rh_format_eventlog(&r, &b, offsets));
    assert_int_equal(cc_row(csv_ppp, strlen(csv_ppp), -1, NULL, 0, &consumed), RH_FIELD_COUNT);
    for (int i = 0; i < RH_FIELD_COUNT; i++) {
        assert_int_equal(cc_row(csv_ppp, strlen(csv_ppp), i, cell, sizeof cell, &consumed),
                         RH_FIELD_COUNT);
        assert_string_equal(buf + offsets[i], cell);
    }
    /* Back to back: the last string ends the output. */
    assert_int_equal(b.len,
                     offsets[RH_FIELD_COUNT - 1] + strlen(buf + offsets[RH_FIELD_COUNT - 1]) + 1);
    assert_string_equal(buf + offsets[7], "alice");
    assert_string_equal(buf + offsets[31], ""); /* probation_time: null */
}

static void text_is_exact_and_lists_use_commas(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    static char buf[RH_FORMAT_MAX];
    size_t offsets[RH_FIELD_COUNT];
    struct rh_buf b;

    (void)state;
    fx_ikev2(&c);
    FX_SET_W(c.wszUserName, "a,\"b\" %1 \xE6\x9D\x8E");
    c.dwConnectionFlags |= 0x1; /* a second flag next to the tunnel's */
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, buf, sizeof buf);
    assert_true(rh_format_eventlog(&r, &b, offsets));
    assert_string_equal(buf + offsets[7], "a,\"b\" %1 \xE6\x9D\x8E");
    assert_non_null(strchr(buf + offsets[13], ','));
    assert_null(strchr(buf + offsets[13], ';'));

    /* Too small: false, nothing written. */
    rh_buf_init(&b, buf, 64);
    assert_false(rh_format_eventlog(&r, &b, offsets));
    assert_int_equal(b.len, 0);
}

static void message_text_names_every_field(void **state)
{
    FILE *f = fopen(RH_SOURCE_DIR "/src/win/messages.mc", "rb");
    char line[512];
    bool in_hangup = false;
    int next = 1;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL) {
        char want[96];

        if (strncmp(line, "SymbolicName=RH_MSG_HANGUP", 26) == 0)
            in_hangup = true;
        if (!in_hangup || next > RH_FIELD_COUNT)
            continue;
        snprintf(want, sizeof want, "%s: %%%d", rh_field_name((size_t)next - 1), next);
        if (strncmp(line, want, strlen(want)) == 0 &&
            (line[strlen(want)] == '\n' || line[strlen(want)] == '\r'))
            next++;
        else if (line[0] >= 'a' && line[0] <= 'z' && strstr(line, ": %") != NULL)
            fail_msg("messages.mc: \"%s\" where \"%s\" was expected", line, want);
    }
    fclose(f);
    assert_true(in_hangup);
    assert_int_equal(next, RH_FIELD_COUNT + 1);
    /* The summary's insertion numbers are the fields it names. */
    assert_string_equal(rh_field_name(7), "user");
    assert_string_equal(rh_field_name(8), "domain");
    assert_string_equal(rh_field_name(4), "duration_s");
    assert_string_equal(rh_field_name(12), "tunnel");
    assert_string_equal(rh_field_name(14), "remote_endpoint");
    assert_string_equal(rh_field_name(16), "client_ipv4");
    assert_string_equal(rh_field_name(32), "bytes_sent");
    assert_string_equal(rh_field_name(33), "bytes_received");
}

/* Event 1000's first line: a sentence, empty fields left out, bytes with their direction. */
static void the_summary_reads_as_a_sentence(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char buf[1024];
    struct rh_buf b;

    (void)state;
    fx_ppp(&c);
    FX_SET_W(c.wszUserName, "frank");
    FX_SET_W(c.wszLogonDomain, "");
    c.dwConnectDuration = 3723;
    c.dwBytesXmited = 1000000;
    c.dwBytesRcved = 250000;
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, buf, sizeof buf);
    assert_true(rh_format_eventlog_summary(&r, &b));
    print_message("%s\n", buf);
    /* No "(domain )" for an empty domain; a human duration; which way the bytes went. */
    assert_int_equal(strncmp(buf, "frank disconnected after 1 h 2 min 3 s of ppp from ", 51), 0);
    assert_non_null(strstr(buf, ": 1,000,000 bytes sent to the client, 250,000 received from it."));
    assert_null(strstr(buf, "()"));
    assert_null(strstr(buf, " as :"));

    /* A domain, and a short connection. */
    FX_SET_W(c.wszLogonDomain, "FABRIKAM");
    c.dwConnectDuration = 59;
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, buf, sizeof buf);
    assert_true(rh_format_eventlog_summary(&r, &b));
    assert_int_equal(strncmp(buf, "frank (FABRIKAM) disconnected after 59 s of ", 44), 0);
    /* A line break in a name cannot forge a field line above the real ones. */
    FX_SET_W(c.wszUserName, "eve\r\nuser: admin");
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, buf, sizeof buf);
    assert_true(rh_format_eventlog_summary(&r, &b));
    assert_null(strchr(buf, '\n'));
    assert_null(strchr(buf, '\r'));
    assert_int_equal(strncmp(buf, "eve  user: admin (FABRIKAM)", 27), 0);
    /* Too small: false, nothing written. */
    rh_buf_init(&b, buf, 16);
    assert_false(rh_format_eventlog_summary(&r, &b));
    assert_int_equal(b.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_are_the_fields_in_order),
        cmocka_unit_test(text_is_exact_and_lists_use_commas),
        cmocka_unit_test(message_text_names_every_field),
        cmocka_unit_test(the_summary_reads_as_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
