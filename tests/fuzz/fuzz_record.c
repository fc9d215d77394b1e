/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what RRAS's bytes go through: capture, conversion (RAS_CONNECTION_EX and
 * the legacy set) and every formatter. The oracle: each output parses as what it
 * claims to be (RFC 8259, RFC 4180, RFC 5424), holds one value per field, and
 * carries the user name exactly. Any failure traps.
 *
 * Input: byte 0 chooses the source (bit 0: legacy; bit 5: a journal payload to
 * decode, bit 6 its kind) and which legacy levels are present (bits 1-4); bytes
 * 1-8 are the hangup time; the rest is the structure or payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv_check.h"
#include "payload.h"
#include "format.h"
#include "json_check.h"
#include "radius.h"
#include "record.h"
#include "syslog_check.h"
#include "fuzz.h"

static char out[RH_FORMAT_MAX];
static char cell[RH_FORMAT_MAX];

static size_t count_non_null(const struct rh_record *r)
{
    struct rh_field f[RH_FIELD_COUNT];
    size_t n = 0;

    rh_record_fields(r, f);
    for (size_t i = 0; i < RH_FIELD_COUNT; i++)
        n += !f[i].null;
    return n;
}

static void check_formats(const struct rh_record *r)
{
    struct rh_buf b;
    struct sc_message m;
    struct rh_syslog_options o;
    size_t used;

    rh_buf_init(&b, out, sizeof out);
    CHECK(rh_format_json(r, &b));
    CHECK(b.len > 1 && out[b.len - 1] == '\n' && memchr(out, '\n', b.len - 1) == NULL);
    CHECK(jc_count_members(out, b.len - 1) == RH_FIELD_COUNT);
    CHECK(jc_get(out, b.len - 1, "user", cell, sizeof cell) == JC_STRING);
    CHECK(strcmp(cell, r->user.s) == 0);

    rh_buf_init(&b, out, sizeof out);
    CHECK(rh_format_csv(r, &b));
    CHECK(cc_row(out, b.len, 7, cell, sizeof cell, &used) == RH_FIELD_COUNT && used == b.len);
    /* A cell a spreadsheet would run as a formula gains a leading apostrophe. */
    CHECK(strcmp(cell + (strchr("=+-@\t\r", r->user.s[0]) != NULL && r->user.s[0] != '\0'),
                 r->user.s) == 0);

    rh_syslog_options_default(&o);
    rh_buf_init(&b, out, sizeof out);
    CHECK(rh_format_syslog(r, &o, &b));
    CHECK(sc_parse(out, b.len, &m));
    CHECK(m.bom && m.n_elements == 1 && (size_t)m.n_params == count_non_null(r));
    CHECK(memchr(m.msg, '\n', m.msg_len) == NULL && memchr(m.msg, '\r', m.msg_len) == NULL);
    CHECK(sc_param(out, b.len, "user", cell, sizeof cell));
    CHECK(strcmp(cell, r->user.s) == 0);

    /* RADIUS: the packet's length is what it says, and every attribute is well formed. */
    {
        static uint8_t packet[RH_RADIUS_MAX];
        struct rh_radius_options ro = {NULL, false, {0}, RH_RADIUS_USER_BACKSLASH, true};
        size_t len =
            rh_radius_accounting_request(packet, 1, RH_ACCT_STOP, r, NULL, 0, 0, &ro, "secret", 6);
        size_t at = 20;

        CHECK(len >= 20 && len <= RH_RADIUS_MAX && ((size_t)packet[2] << 8 | packet[3]) == len);
        while (at < len) {
            CHECK(packet[at + 1] >= 2 && at + packet[at + 1] <= len);
            at += packet[at + 1];
        }
        CHECK(at == len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct rh_record_meta meta = {0, "ras01.contoso.com", id};
    struct rh_record *r;
    uint8_t mode;

    if (size < 9)
        return 0;
    mode = data[0];
    memcpy(&meta.time_ms, data + 1, 8);
    data += 9;
    size -= 9;
    r = malloc(sizeof *r);
    if (r == NULL)
        return 0;

    if (mode & 0x20) {
        /* A journal payload, as a damaged disk might hand it back. */
        enum rh_jkind kind = (mode & 0x40) ? RH_JKIND_HANGUP_LEGACY : RH_JKIND_HANGUP_EX;
        uint8_t *exact = malloc(size > 0 ? size : 1);

        if (exact != NULL) {
            memcpy(exact, data, size);
            if (rh_payload_decode(kind, exact, size, &meta, r))
                check_formats(r);
            free(exact);
        }
    } else if (!(mode & 1)) {
        /* An exact-size copy: ASan sees any read past what RRAS would have given. */
        uint8_t *exact = malloc(size > 0 ? size : 1);
        struct rh_ras_connection_ex copy;
        enum rh_ex_status st;

        if (exact == NULL) {
            free(r);
            return 0;
        }
        memcpy(exact, data, size);
        st = rh_ex_capture(&copy, exact, size);
        free(exact);
        if (st == RH_EX_OK || st == RH_EX_SHORT) {
            rh_record_from_ex(r, &copy, st, &meta);
            check_formats(r);
        }
    } else {
        struct rh_ras_connection_0 c0;
        struct rh_ras_connection_1 c1;
        struct rh_ras_connection_2 c2;
        struct rh_ras_connection_3 c3;
        void *levels[4] = {&c0, &c1, &c2, &c3};
        const size_t sizes[4] = {sizeof c0, sizeof c1, sizeof c2, sizeof c3};

        for (int i = 0; i < 4; i++) {
            size_t n = size < sizes[i] ? size : sizes[i];

            memset(levels[i], 0, sizes[i]);
            memcpy(levels[i], data, n);
            data += n;
            size -= n;
        }
        rh_record_from_legacy(r, (mode & 2) ? &c0 : NULL, (mode & 4) ? &c1 : NULL,
                              (mode & 8) ? &c2 : NULL, (mode & 16) ? &c3 : NULL, &meta);
        check_formats(r);
    }
    free(r);
    return 0;
}
