/* SPDX-License-Identifier: MIT */
/*
 * Record formatters: pure functions from a record to bytes. They allocate
 * nothing and touch no global state; each appends to a bounded buffer and, on
 * overflow, returns false and leaves the buffer as it was before the record began,
 * so a partial record is never emitted. All four (JSON, CSV, RFC 5424 and the
 * Event Log's strings) write the fields of rh_record_fields() in its order,
 * under its names.
 */
#ifndef RH_FORMAT_H
#define RH_FORMAT_H

#include <stdbool.h>

#include "record.h"
#include "text.h"

/* Enough for any record in any format (the worst case is checked by tests). */
#define RH_FORMAT_MAX 32768

enum rh_format {
    RH_FORMAT_JSON = 0, /* JSON Lines: one RFC 8259 object and LF */
    RH_FORMAT_CSV,      /* RFC 4180: one row and CRLF, after a header row */
};

/* The configuration names of the file formats, by enum rh_format, NULL-terminated. */
extern const char *const rh_format_names[];

/* Looks a file format up by its configuration name ("json", "csv", in any case); false if unknown.
 */
bool rh_format_from_name(const char *name, enum rh_format *out);
const char *rh_format_name(enum rh_format f);

/* Appends the record in format `f`. */
bool rh_format_record(enum rh_format f, const struct rh_record *r, struct rh_buf *out);
/* What a new file in format `f` starts with: CSV's UTF-8 BOM and header row; "" for JSON. */
bool rh_format_file_header(enum rh_format f, struct rh_buf *out);

bool rh_format_json(const struct rh_record *r, struct rh_buf *out);
/* Appends a JSON string literal (quotes included) for UTF-8 text s[0..n). */
void rh_json_append_string(struct rh_buf *out, const char *s, size_t n);

bool rh_format_csv(const struct rh_record *r, struct rh_buf *out);
bool rh_format_csv_header(struct rh_buf *out);
/* Appends one CSV cell: quoted when needed, formula triggers neutralised with a leading '. */
void rh_csv_append_cell(struct rh_buf *out, const char *s, size_t n);

/*
 * Where the last whole row ends in text[0..len), the end of a CSV file these
 * functions wrote that a write may have left cut short: *end is the offset just
 * past the CRLF that ends it. A CRLF ends a row only outside quotes: a quoted
 * cell may hold CR and LF, so which CRLF ends a row depends on every quote
 * before it. `at_start`: text begins at the file's first byte, outside quotes.
 * Otherwise text begins anywhere, and of its two readings (it begins outside
 * quotes, or inside) the one with more rows of RH_FIELD_COUNT cells between its
 * row ends is taken; on a tie, the one whose last row ends later, so that no
 * whole row is ever cut. False if text holds no row end.
 */
bool rh_csv_last_row_end(const char *text, size_t len, bool at_start, size_t *end);

/*
 * Checks once that `out` can take the worst case of fields f[0..n) in a format
 * whose escaping grows a byte of text to at most `text_factor` bytes, plus `fixed`
 * bytes of the format's own: returns where to write, unchecked, or NULL (and sets
 * out->overflow). The caller sets out->len when done.
 */
char *rh_fields_reserve(struct rh_buf *out, const struct rh_field *f, size_t n, size_t text_factor,
                        size_t fixed);

/*
 * The Event Log's summary of a hangup, insertion string RH_FIELD_COUNT + 1 of
 * event 1000: a sentence with the fields that are empty left out, the duration
 * as people say it, and which way the bytes went ("frank (FABRIKAM)
 * disconnected after 1 h 2 min 3 s of sstp from 203.0.113.9, assigned
 * 10.0.0.5: 1,000,000 bytes sent to the client, 250,000 received from it.").
 */
bool rh_format_eventlog_summary(const struct rh_record *r, struct rh_buf *out);

/*
 * The Windows Event Log's insertion strings for a hangup event: one per field
 * of rh_record_fields(), in its order (the message text, RH_MSG_HANGUP in
 * src/win/messages.mc, names them %1 to %46), each NUL-terminated, back to back
 * in out, starting at out->data + offsets[i]. A null field is the empty
 * string; a list is joined with ','; text is the exact UTF-8.
 */
bool rh_format_eventlog(const struct rh_record *r, struct rh_buf *out,
                        size_t offsets[RH_FIELD_COUNT]);

/* RFC 5424. */
#define RH_SYSLOG_DEFAULT_SD_ID    "rashangup@32473" /* 32473: for documentation, RFC 5612 */
#define RH_SYSLOG_DEFAULT_APP_NAME "rashangup"
#define RH_SYSLOG_DEFAULT_FACILITY 10 /* authpriv: security and authorization */

struct rh_syslog_options {
    unsigned facility;    /* 0..23 */
    unsigned severity;    /* 0..7; informational (6) for a hangup */
    const char *app_name; /* 1..48 printable US-ASCII */
    const char *sd_id;    /* SD-ID: name@enterprise-number, or a registered name */
    const char *procid;   /* NULL or "" for "-" */
    const char *hostname; /* NULL: the record's server name */
    bool omit_msg;        /* end after the structured data: no BOM, no summary */
};

/* A facility by RFC 5424 keyword ("authpriv", "local0"...) or number 0..23. */
bool rh_syslog_facility_from_name(const char *name, unsigned *facility);

void rh_syslog_options_default(struct rh_syslog_options *o);
/* The field rh_syslog_options_fault finds wrong. */
enum rh_syslog_field {
    RH_SYSLOG_FIELD_NONE = 0,
    RH_SYSLOG_FIELD_FACILITY,
    RH_SYSLOG_FIELD_SEVERITY,
    RH_SYSLOG_FIELD_APP_NAME,
    RH_SYSLOG_FIELD_PROCID,
    RH_SYSLOG_FIELD_SD_ID,
};

/* The first field of o that RFC 5424 does not allow (NONE: none), and why in err. */
enum rh_syslog_field rh_syslog_options_fault(const struct rh_syslog_options *o, char *err,
                                             size_t err_size);

/* False, with the reason in err, if an option breaks RFC 5424's syntax. */
bool rh_syslog_options_check(const struct rh_syslog_options *o, char *err, size_t err_size);

/*
 * One RFC 5424 message, without framing: HEADER, one SD-ELEMENT holding every
 * known field, then a BOM and a one-line summary as MSG.
 */
bool rh_format_syslog(const struct rh_record *r, const struct rh_syslog_options *o,
                      struct rh_buf *out);

#endif /* RH_FORMAT_H */
