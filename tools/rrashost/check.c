/* SPDX-License-Identifier: MIT */
/*
 * rrashost --check-config: the configuration as rashangup.dll reads it, every
 * sink with its values (a secret is never shown) and each destination tried
 * without a record sent. Nothing is written: no journal, no file, no record.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config_load.h"
#include "diag.h"
#include "files.h"
#include "host.h"
#include "text.h"

/* One value as the DLL would use it; a secret only as set or not. */
static void print_value(const struct rh_option *o, const void *config)
{
    const unsigned char *at = (const unsigned char *)config + o->offset;
    uint32_t v;

    switch (o->type) {
    case RH_OPT_STRING:
    case RH_OPT_PATH:
        if (rh_ascii_ieq(o->name, "Secret"))
            printf("    %-20s %s\n", o->name, at[0] != '\0' ? "(set; not shown)" : "(empty)");
        else
            printf("    %-20s %s\n", o->name, at[0] != '\0' ? (const char *)at : "(empty)");
        return;
    case RH_OPT_DWORD:
        memcpy(&v, at, sizeof v);
        printf("    %-20s %lu\n", o->name, (unsigned long)v);
        return;
    case RH_OPT_CHOICE:
        memcpy(&v, at, sizeof v);
        printf("    %-20s %s\n", o->name, o->choices[v]);
        return;
    }
}

/*
 * Owners are judged as the service judges them: RemoteAccess runs as
 * LocalSystem, so what the administrator running this check owns is not
 * trusted as the service's own (it would be refused at its start). Where
 * RemoteAccess is disabled, or cannot be asked (a lab, where rrashost plays
 * it), this account is the service's. Which one is said.
 */
static void judge_as_the_service(void)
{
    struct rh_host_service rras;
    const char *why = NULL;

    rh_host_query_service(RH_HOST_RRAS_SERVICE, &rras);
    if (!rras.known)
        why = "the service manager does not say how RemoteAccess runs";
    else if (!rras.installed)
        why = "RemoteAccess is not installed";
    else if (rras.disabled && !rras.running)
        why = "RemoteAccess is disabled here (a lab: rrashost --replay runs as you)";
    else if (!rras.local_system)
        why = "RemoteAccess does not run as LocalSystem here";
    if (why == NULL) {
        rh_fs_trust_self(false);
        printf("Owners of folders and files are judged as LocalSystem, the account RemoteAccess "
               "runs as: what your own account owns is refused, as the service would refuse "
               "it.\n");
    } else {
        printf("Folders and files your own account owns are trusted here, since %s; the service "
               "trusts only what SYSTEM, Administrators, TrustedInstaller or its own account "
               "own.\n",
               why);
    }
}

/* Each line of text, indented. */
static void print_indented(const char *text)
{
    while (*text != '\0') {
        const char *nl = strchr(text, '\n');
        size_t n = nl != NULL ? (size_t)(nl - text) : strlen(text);

        printf("    %.*s\n", (int)n, text);
        text += n + (nl != NULL ? 1 : 0);
    }
}

int rh_check_config(void)
{
    struct rh_config_set *cs = calloc(1, sizeof *cs);
    size_t n_globals;
    const struct rh_option *globals = rh_config_global_options(&n_globals);
    unsigned wont_run = 0, unreachable = 0, runs = 0;

    if (cs == NULL) {
        fprintf(stderr, "rrashost: out of memory\n");
        return 1;
    }
    printf("The configuration in HKLM\\SOFTWARE\\RasHangup as rashangup.dll reads it. Nothing is "
           "written and no record is sent; what is wrong is said in the DLL's own words (on "
           "standard error).\n");
    judge_as_the_service();
    fflush(stdout);
    rh_diag_echo(true);
    rh_config_load(cs, false);
    fflush(stderr);
    printf("\nGlobal values:\n");
    for (size_t i = 0; i < n_globals; i++)
        print_value(&globals[i], &cs->g);
    if (cs->n == 0)
        printf("\nNo sink is configured: records would be kept for none.\n");
    for (size_t i = 0; i < cs->n; i++) {
        struct rh_config_sink *s = &cs->sinks[i];
        char err[512] = "", out[4096] = "";
        void *instance;

        printf("\nSink %s (%s): ", s->name, s->ops != NULL ? s->ops->type : "type not known");
        if (s->standing == RH_STANDING_DISABLED) {
            printf("disabled (Enabled = 0): it does not run, and nothing is kept for it\n");
            continue;
        }
        if (s->standing == RH_STANDING_INVALID) {
            printf("would NOT run: %s\n", s->reason);
            wont_run++;
            continue;
        }
        printf("\n");
        for (size_t k = 0; k < s->ops->n_options; k++)
            print_value(&s->ops->options[k], s->config);
        instance = s->ops->create(s->name, s->config, err, sizeof err);
        if (instance == NULL) {
            printf("    would NOT run: %s\n", err);
            wont_run++;
            continue;
        }
        runs++;
        if (s->ops->probe == NULL) {
            printf("    would run; nothing to try without sending a record\n");
        } else if (s->ops->probe(instance, out, sizeof out) == RH_SINK_OK) {
            printf("    would run:\n");
            print_indented(out);
        } else {
            printf("    would run, but cannot deliver now (its records would wait in the "
                   "journal):\n");
            print_indented(out);
            unreachable++;
        }
        s->ops->destroy(instance);
    }
    printf("\n%u sink(s) would run", runs);
    if (unreachable > 0)
        printf(" (%u of them cannot deliver now)", unreachable);
    printf(", %u would not.\n", wont_run);
    rh_config_set_free(cs);
    free(cs);
    return wont_run > 0 ? 4 : unreachable > 0 ? 5 : 0;
}
