/* SPDX-License-Identifier: MIT */
/* Journal payloads: what a callback packs is what a worker decodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payload.h"
#include "fixtures.h"
#include "format.h"
#include "sink.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

/* The JSON of a record: comparing it compares every field. */
static void json(const struct rh_record *r, char *out, size_t size)
{
    struct rh_buf b;

    rh_buf_init(&b, out, size);
    assert_true(rh_format_json(r, &b));
}

static void ex_round_trips_and_packs_small(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record direct, decoded;
    uint8_t packed[RH_PAYLOAD_MAX];
    static char a[RH_FORMAT_MAX], b[RH_FORMAT_MAX];
    size_t n;

    (void)state;
    fx_ppp(&c);
    n = rh_payload_pack_ex(&c, RH_EX_OK, 0, packed);
    print_message("RAS_CONNECTION_EX: %u bytes, packed %u\n", (unsigned)sizeof c, (unsigned)n);
    assert_true(n > 0 && n < sizeof c / 3);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &decoded));
    rh_record_from_ex(&direct, &c, RH_EX_OK, &meta);
    json(&direct, a, sizeof a);
    json(&decoded, b, sizeof b);
    assert_string_equal(a, b);

    /* A short structure keeps its warning through the journal. */
    n = rh_payload_pack_ex(&c, RH_EX_SHORT, 0, packed);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &decoded));
    assert_int_equal(decoded.warnings & RH_WARN_STRUCTURE_SHORT, RH_WARN_STRUCTURE_SHORT);
}

static void legacy_round_trips_with_missing_levels(void **state)
{
    struct rh_ras_connection_0 c0;
    struct rh_ras_connection_2 c2;
    struct rh_record direct, decoded;
    uint8_t packed[RH_PAYLOAD_MAX];
    static char a[RH_FORMAT_MAX], b[RH_FORMAT_MAX];
    size_t n;

    (void)state;
    memset(&c0, 0, sizeof c0);
    memset(&c2, 0, sizeof c2);
    FX_SET_W(c0.wszUserName, "bob");
    c0.dwConnectDuration = 77;
    c2.guid.Data1 = 0x12345678;
    n = rh_payload_pack_legacy(&c0, NULL, &c2, NULL, 0, packed);
    assert_true(n > 0);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_LEGACY, packed, n, &meta, &decoded));
    rh_record_from_legacy(&direct, &c0, NULL, &c2, NULL, &meta);
    json(&direct, a, sizeof a);
    json(&decoded, b, sizeof b);
    assert_string_equal(a, b);
    assert_string_equal(decoded.user.s, "bob");
    assert_false(decoded.present & RH_HAS_COUNTERS); /* level 1 was absent */
}

static void damaged_payloads_are_refused(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    uint8_t packed[RH_PAYLOAD_MAX];
    size_t n;

    (void)state;
    fx_ikev2(&c);
    n = rh_payload_pack_ex(&c, RH_EX_OK, 0, packed);
    assert_false(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n - 1, &meta, &r));
    assert_false(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, 1, &meta, &r));
    assert_false(rh_payload_decode(RH_JKIND_HANGUP_LEGACY, packed, n, &meta, &r));
    assert_false(rh_payload_decode((enum rh_jkind)99, packed, n, &meta, &r));
    assert_false(rh_payload_decode(RH_JKIND_SERVICE_START, packed, n, &meta, &r));
    packed[0] = 0x80; /* an unknown flag: written by another version */
    assert_false(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &r));
}

/* A connection's start decodes like its hangup; service events carry no connection. */
static void kinds_map_to_sink_events(void **state)
{
    static const uint8_t id[16] = {1, 2, 3};
    struct rh_record_meta m = {1700000000123ull, "VPN1", id};
    struct rh_ras_connection_ex c;
    struct rh_record r;
    uint8_t packed[RH_PAYLOAD_MAX];
    size_t n;

    (void)state;
    fx_ikev2(&c);
    n = rh_payload_pack_ex(&c, RH_EX_OK, 0, packed);
    assert_true(rh_payload_decode(RH_JKIND_ACCEPT_EX, packed, n, &m, &r));
    assert_memory_equal(&r.connection_id, &c.guid, sizeof c.guid);
    assert_true(r.user.len > 0);

    memset(&r, 0x5a, sizeof r);
    assert_true(rh_payload_decode(RH_JKIND_SERVICE_STOP, NULL, 0, &m, &r));
    assert_int_equal(r.time_ms, m.time_ms);
    assert_string_equal(r.server.s, "VPN1");
    assert_memory_equal(r.record_id, id, sizeof id);
    assert_int_equal(r.user.len, 0);
    assert_true(rh_guid_is_nil(&r.connection_id));

    assert_int_equal(rh_payload_event(RH_JKIND_HANGUP_EX), RH_EVENT_HANGUP);
    assert_int_equal(rh_payload_event(RH_JKIND_HANGUP_LEGACY), RH_EVENT_HANGUP);
    assert_int_equal(rh_payload_event(RH_JKIND_ACCEPT_EX), RH_EVENT_CONNECT);
    assert_int_equal(rh_payload_event(RH_JKIND_ACCEPT_LEGACY), RH_EVENT_CONNECT);
    assert_int_equal(rh_payload_event(RH_JKIND_SERVICE_START), RH_EVENT_SERVICE_START);
    assert_int_equal(rh_payload_event(RH_JKIND_SERVICE_STOP), RH_EVENT_SERVICE_STOP);
    assert_int_equal(rh_payload_event(RH_JKIND_PAD), 0);
}

/*
 * A lab replay's records say so, whatever their kind, in every format; RRAS's
 * never do, and an unknown flag beside it is still refused.
 */
static void simulated_records_say_so_in_every_kind_and_format(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_ras_connection_0 c0;
    struct rh_record r;
    uint8_t packed[RH_PAYLOAD_MAX], service[1];
    static char text[RH_FORMAT_MAX];
    struct rh_buf b;
    size_t n;

    (void)state;
    fx_ppp(&c);
    n = rh_payload_pack_ex(&c, RH_EX_SHORT, RH_PAYLOAD_SIMULATED, packed);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &r));
    assert_int_equal(r.warnings & (RH_WARN_SIMULATED | RH_WARN_STRUCTURE_SHORT),
                     RH_WARN_SIMULATED | RH_WARN_STRUCTURE_SHORT);
    json(&r, text, sizeof text);
    assert_non_null(strstr(text, "\"warnings\":[\"structure_short\",\"simulated\"]"));
    rh_buf_init(&b, text, sizeof text);
    assert_true(rh_format_csv(&r, &b));
    assert_non_null(strstr(text, ",structure_short;simulated\r\n"));
    rh_buf_init(&b, text, sizeof text);
    assert_true(rh_format_eventlog_summary(&r, &b));
    assert_int_equal(strncmp(text, RH_SIMULATED_SUMMARY, strlen(RH_SIMULATED_SUMMARY)), 0);

    packed[0] |= 0x80; /* an unknown flag beside it */
    assert_false(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &r));

    n = rh_payload_pack_ex(&c, RH_EX_OK, 0, packed);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_EX, packed, n, &meta, &r));
    assert_int_equal(r.warnings & RH_WARN_SIMULATED, 0);
    rh_buf_init(&b, text, sizeof text);
    assert_true(rh_format_eventlog_summary(&r, &b));
    assert_null(strstr(text, "Simulated"));

    memset(&c0, 0, sizeof c0);
    FX_SET_W(c0.wszUserName, "bob");
    n = rh_payload_pack_legacy(&c0, NULL, NULL, NULL, RH_PAYLOAD_SIMULATED, packed);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_LEGACY, packed, n, &meta, &r));
    assert_int_equal(r.warnings & RH_WARN_SIMULATED, RH_WARN_SIMULATED);
    assert_string_equal(r.user.s, "bob");
    n = rh_payload_pack_legacy(&c0, NULL, NULL, NULL, 0, packed);
    assert_true(rh_payload_decode(RH_JKIND_HANGUP_LEGACY, packed, n, &meta, &r));
    assert_int_equal(r.warnings & RH_WARN_SIMULATED, 0);

    /* Service events: nothing (as every version wrote), or the one flag. */
    assert_int_equal(rh_payload_pack_service(0, service), 0);
    assert_true(rh_payload_decode(RH_JKIND_SERVICE_START, service, 0, &meta, &r));
    assert_int_equal(r.warnings & RH_WARN_SIMULATED, 0);
    assert_int_equal(rh_payload_pack_service(RH_PAYLOAD_SIMULATED, service), 1);
    assert_true(rh_payload_decode(RH_JKIND_SERVICE_STOP, service, 1, &meta, &r));
    assert_int_equal(r.warnings & RH_WARN_SIMULATED, RH_WARN_SIMULATED);
    service[0] = 0x01; /* FLAG_SHORT means nothing here */
    assert_false(rh_payload_decode(RH_JKIND_SERVICE_STOP, service, 1, &meta, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ex_round_trips_and_packs_small),
        cmocka_unit_test(legacy_round_trips_with_missing_levels),
        cmocka_unit_test(damaged_payloads_are_refused),
        cmocka_unit_test(kinds_map_to_sink_events),
        cmocka_unit_test(simulated_records_say_so_in_every_kind_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
