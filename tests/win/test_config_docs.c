/* SPDX-License-Identifier: MIT */
/*
 * docs/configuration.md documents every value rashangup reads: each sink type's
 * table and the global table are made from the option tables the code reads the
 * registry with, and must appear in the document word for word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <cmocka.h>

#include "config_load.h"
#include "sink.h"
#include "wintest.h"

static char *doc;

static void expect_table(const char *title, const struct rh_option *o, size_t n)
{
    static char table[16384];
    struct rh_buf b;

    rh_buf_init(&b, table, sizeof table);
    assert_true(rh_option_table_markdown(o, n, &b));
    table[b.len] = '\0';
    if (strstr(doc, table) == NULL)
        fail_msg("docs/configuration.md lacks the table of %s, which is now:\n%s", title, table);
}

/* Every table the code reads the registry with is sound: defaults it allows, sizes that fit. */
static void every_table_is_sound(void **state)
{
    size_t n;
    const struct rh_option *g = rh_config_global_options(&n);
    char err[256] = "";

    (void)state;
    if (!rh_option_table_check(g, n, rh_config_global_size(), err, sizeof err))
        fail_msg("the global values: %s", err);
    for (size_t i = 0; rh_sink_types[i] != NULL; i++) {
        const struct rh_sink_ops *t = rh_sink_types[i];

        if (!rh_option_table_check(t->options, t->n_options, t->config_size, err, sizeof err))
            fail_msg("sink type %s: %s", t->type, err);
    }
}

static void every_option_is_documented(void **state)
{
    size_t n;
    const struct rh_option *g = rh_config_global_options(&n);
    char heading[64];

    (void)state;
    expect_table("the global values", g, n);
    for (size_t i = 0; rh_sink_types[i] != NULL; i++) {
        const struct rh_sink_ops *t = rh_sink_types[i];

        snprintf(heading, sizeof heading, "`Type` = `%s`", t->type);
        if (strstr(doc, heading) == NULL)
            fail_msg("docs/configuration.md has no section with %s", heading);
        if (t->n_options > 0)
            expect_table(t->type, t->options, t->n_options);
    }
}

/* With --print: the tables, to paste into docs/configuration.md after a change. */
static void print_tables(void)
{
    static char table[16384];
    struct rh_buf b;
    size_t n;
    const struct rh_option *g = rh_config_global_options(&n);

    rh_buf_init(&b, table, sizeof table);
    rh_option_table_markdown(g, n, &b);
    printf("## globals\n\n%.*s\n", (int)b.len, table);
    for (size_t i = 0; rh_sink_types[i] != NULL; i++) {
        rh_buf_init(&b, table, sizeof table);
        rh_option_table_markdown(rh_sink_types[i]->options, rh_sink_types[i]->n_options, &b);
        printf("## %s\n\n%.*s\n", rh_sink_types[i]->type, (int)b.len, table);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_table_is_sound),
        cmocka_unit_test(every_option_is_documented),
    };
    WCHAR path[MAX_PATH];
    size_t len;

    if (argc > 1 && strcmp(argv[1], "--print") == 0) {
        print_tables();
        return 0;
    }

    _snwprintf(path, MAX_PATH, L"Z:%hs/docs/configuration.md", RH_SOURCE_DIR);
    for (WCHAR *p = path; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
    doc = wt_read_file(path, &len);
    if (doc == NULL) {
        fprintf(stderr, "cannot read %ls\n", path);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
