/* SPDX-License-Identifier: MIT */
/* The list of sink types that exist. */
#include "sink.h"
#include "text.h"

extern const struct rh_sink_ops rh_sink_file;
extern const struct rh_sink_ops rh_sink_syslog;
extern const struct rh_sink_ops rh_sink_radius;
extern const struct rh_sink_ops rh_sink_eventlog;

const struct rh_sink_ops *const rh_sink_types[] = {
    &rh_sink_file, &rh_sink_syslog, &rh_sink_radius, &rh_sink_eventlog, NULL,
};

const struct rh_sink_ops *rh_sink_find_type(const char *type)
{
    for (size_t i = 0; rh_sink_types[i] != NULL; i++)
        if (rh_ascii_ieq(rh_sink_types[i]->type, type)) /* File as much as file */
            return rh_sink_types[i];
    return NULL;
}
