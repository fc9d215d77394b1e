/* SPDX-License-Identifier: MIT */
/* A strict RFC 5424 parser for tests: the header, the structured data, the MSG. */
#ifndef SYSLOG_CHECK_H
#define SYSLOG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

struct sc_message {
    unsigned pri;
    char timestamp[64];
    char hostname[256];
    char app_name[49];
    char procid[129];
    char msgid[33];
    char sd_id[33]; /* of the first SD-ELEMENT */
    int n_elements;
    int n_params;    /* in all elements */
    bool bom;        /* MSG starts with the UTF-8 BOM */
    const char *msg; /* after the BOM */
    size_t msg_len;
};

/* Parses text[0..len) as one message; false if it breaks RFC 5424's grammar. */
bool sc_parse(const char *text, size_t len, struct sc_message *m);

/* The unescaped value of PARAM-NAME `name` (the first one), or false. */
bool sc_param(const char *text, size_t len, const char *name, char *out, size_t out_size);

#endif
