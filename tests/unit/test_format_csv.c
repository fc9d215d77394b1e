/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv_check.h"
#include "expected.h"
#include "fixtures.h"
#include "format.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

static void header_and_row_exact_bytes(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    size_t used;

    (void)state;
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_file_header(RH_FORMAT_CSV, &b));
    assert_string_equal(out, csv_header);
    assert_int_equal(cc_row(out + 3, b.len - 3, -1, NULL, 0, &used), RH_FIELD_COUNT);

    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_csv(&r, &b));
    assert_string_equal(out, csv_ppp);
    assert_int_equal(cc_row(out, b.len, -1, NULL, 0, &used), RH_FIELD_COUNT);
    assert_int_equal(used, b.len);

    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_file_header(RH_FORMAT_JSON, &b));
    assert_int_equal(b.len, 0);
}

static void cells_quote_and_neutralise(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\r\nlines", "\"two\r\nlines\""},
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"=1+1", "'=1+1"},
        {"+1", "'+1"},
        {"-2", "'-2"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "\"'\tx\""},
        {"\rx", "\"'\rx\""},
        {"a=b", "a=b"},
        {"bell\x07", "\"bell\x07\""},
        {"\xE6\x9D\x8E", "\xE6\x9D\x8E"},
    };
    char out[128];
    char cell[128];
    struct rh_buf b;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t used;

        rh_buf_init(&b, out, sizeof out);
        rh_csv_append_cell(&b, cases[i].in, strlen(cases[i].in));
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("cell %zu: got [%s], want [%s]", i, out, cases[i].out);
        /* It reads back as the input, but for the apostrophe of a neutralised formula. */
        rh_buf_append(&b, "\r\n", 2);
        assert_int_equal(cc_row(out, b.len, 0, cell, sizeof cell, &used), 1);
        assert_string_equal(cell + (cell[0] == '\'' ? 1 : 0), cases[i].in);
    }
}

static void hostile_user_stays_one_row(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    char cell[RH_USER_SIZE];
    struct rh_buf b;
    size_t used;
    const rh_wchar name[] = {'=', 'c', 'm', 'd', ',', '"', '\r', '\n', 0xD83D, 0xDE00, 0};

    (void)state;
    fx_ppp(&c);
    memcpy(c.wszUserName, name, sizeof name);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_csv(&r, &b));
    assert_int_equal(cc_row(out, b.len, 7, cell, sizeof cell, &used), RH_FIELD_COUNT);
    assert_int_equal(used, b.len);
    assert_string_equal(cell, "'=cmd,\"\r\n\xF0\x9F\x98\x80");
}

static void nulls_are_empty_cells(void **state)
{
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    char cell[64];
    struct rh_buf b;
    size_t used;
    const struct rh_record_meta bare = {FX_HANGUP_MS, NULL, NULL};

    (void)state;
    rh_record_from_legacy(&r, NULL, NULL, NULL, NULL, &bare);
    r.warnings = RH_WARN_PROJECTION_UNKNOWN | RH_WARN_INVALID_UTF16;
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_csv(&r, &b));
    assert_int_equal(cc_row(out, b.len, 1, cell, sizeof cell, &used), RH_FIELD_COUNT);
    assert_string_equal(cell, "");
    assert_int_equal(cc_row(out, b.len, RH_FIELD_COUNT - 1, cell, sizeof cell, &used),
                     RH_FIELD_COUNT);
    assert_string_equal(cell, "projection_unknown;invalid_utf16");
}

static void overflow_leaves_buffer_unchanged(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[100];
    struct rh_buf b;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    rh_buf_append_str(&b, "keep");
    assert_false(rh_format_csv(&r, &b));
    assert_false(rh_format_csv_header(&b));
    assert_string_equal(out, "keep");
}

static void reader_rejects_broken_rows(void **state)
{
    size_t used;

    (void)state;
    assert_int_equal(cc_row("a,b\r\n", 5, -1, NULL, 0, &used), 2);
    assert_int_equal(cc_row("a,b\n", 4, -1, NULL, 0, &used), -1);
    assert_int_equal(cc_row("a\"b\r\n", 5, -1, NULL, 0, &used), -1);
    assert_int_equal(cc_row("\"a\r\n", 4, -1, NULL, 0, &used), -1);
    assert_int_equal(cc_row("\"a\"b\r\n", 6, -1, NULL, 0, &used), -1);
}

/* Rows to cut: the header, then plain rows and rows whose user cell holds "\r\n". */
struct rows {
    char text[16 * RH_FORMAT_MAX];
    size_t len;
    size_t ends[17]; /* where each row ends */
    size_t n;
};

static void make_rows(struct rows *t, size_t n_rows)
{
    const rh_wchar hostile[] = {'a', ',', '"', '\r', '\n', 'h', 'a', 'n', 'g', 'u', 'p', ',', 0};
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_buf b;

    rh_buf_init(&b, t->text, sizeof t->text);
    assert_true(rh_format_csv_header(&b));
    t->n = 0;
    t->ends[t->n++] = b.len;
    for (size_t i = 0; i < n_rows; i++) {
        fx_ppp(&c);
        if (i % 2 == 0)
            memcpy(c.wszUserName, hostile, sizeof hostile);
        rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
        assert_true(rh_format_csv(&r, &b));
        t->ends[t->n++] = b.len;
    }
    t->len = b.len;
}

/* The last row end at or before `cut`, or 0 if none. */
static size_t last_end_before(const struct rows *t, size_t cut)
{
    size_t e = 0;

    for (size_t i = 0; i < t->n && t->ends[i] <= cut; i++)
        e = t->ends[i];
    return e;
}

static void last_row_end_from_the_start(void **state)
{
    static struct rows t;
    size_t end;

    (void)state;
    make_rows(&t, 6);
    /* Every cut, also one just past a CRLF inside a quoted cell. */
    for (size_t cut = 0; cut <= t.len; cut++) {
        size_t want = last_end_before(&t, cut);

        end = 12345;
        if (want == 0) {
            assert_false(rh_csv_last_row_end(t.text, cut, true, &end));
            assert_int_equal(end, 12345);
        } else {
            assert_true(rh_csv_last_row_end(t.text, cut, true, &end));
            if (end != want)
                fail_msg("cut at %zu: row end %zu, not %zu", cut, end, want);
        }
    }
    /* A torn header holds no row end: the header is written again. */
    assert_false(rh_csv_last_row_end(t.text, 20, true, &end));
}

static void last_row_end_from_anywhere(void **state)
{
    static struct rows t;
    size_t end;

    (void)state;
    make_rows(&t, 15);
    /*
     * Taken from anywhere in the first two rows (inside a quoted cell, or outside)
     * and cut anywhere in the last two: the row ends that follow decide.
     */
    for (size_t from = 0; from < t.ends[2]; from++) {
        for (size_t cut = t.ends[t.n - 3]; cut <= t.len; cut++) {
            size_t want = last_end_before(&t, cut);

            /* Where it matters: just past an LF (a row's or a cell's), and a few others. */
            if (t.text[cut - 1] != '\n' && cut % 101 != 0)
                continue;

            assert_true(rh_csv_last_row_end(t.text + from, cut - from, false, &end));
            if (from + end != want)
                fail_msg("from %zu, cut at %zu: row end %zu, not %zu", from, cut, from + end, want);
        }
    }
    /* Nothing but a cell's "\r\n": no whole row. */
    assert_false(rh_csv_last_row_end("abc", 3, false, &end));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_and_row_exact_bytes),
        cmocka_unit_test(cells_quote_and_neutralise),
        cmocka_unit_test(hostile_user_stays_one_row),
        cmocka_unit_test(nulls_are_empty_cells),
        cmocka_unit_test(overflow_leaves_buffer_unchanged),
        cmocka_unit_test(reader_rejects_broken_rows),
        cmocka_unit_test(last_row_end_from_the_start),
        cmocka_unit_test(last_row_end_from_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
