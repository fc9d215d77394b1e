/* SPDX-License-Identifier: MIT */
/* The Windows Event Log's insertion strings for a hangup event (see format.h). */
#include "format.h"

bool rh_format_eventlog(const struct rh_record *r, struct rh_buf *out,
                        size_t offsets[RH_FIELD_COUNT])
{
    struct rh_field f[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, f);
    char *p = rh_fields_reserve(out, f, n, 1, 0);

    if (p == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        offsets[i] = (size_t)(p - out->data);
        if (!f[i].null)
            p = rh_field_write(p, &f[i], ',');
        *p++ = '\0';
    }
    out->len = (size_t)(p - out->data);
    return true;
}
