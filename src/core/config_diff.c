/* SPDX-License-Identifier: MIT */
#include "config_diff.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t find(const struct rh_config_sink *set, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static bool same_values(const struct rh_config_sink *a, const struct rh_config_sink *b)
{
    return a->ops != NULL && a->ops == b->ops && a->config != NULL && b->config != NULL &&
           memcmp(a->config, b->config, a->ops->config_size) == 0;
}

static enum rh_sink_change decide(const struct rh_config_sink *cur, const struct rh_config_sink *nx,
                                  bool incomplete)
{
    bool ran = cur != NULL && cur->standing == RH_STANDING_RUNS;

    if (nx == NULL) /* its key is gone, or was not read */
        return incomplete ? (ran ? RH_CHANGE_STOP : RH_CHANGE_HOLD) : RH_CHANGE_RELEASE;
    switch (nx->standing) {
    case RH_STANDING_RUNS:
        if (!ran)
            return RH_CHANGE_START;
        return same_values(cur, nx) ? RH_CHANGE_KEEP : RH_CHANGE_RESTART;
    case RH_STANDING_INVALID:
        return ran ? RH_CHANGE_STOP : RH_CHANGE_HOLD;
    case RH_STANDING_DISABLED:
        return RH_CHANGE_RELEASE;
    }
    return RH_CHANGE_HOLD;
}

size_t rh_config_diff(const struct rh_config_sink *current, size_t n_current,
                      const struct rh_config_sink *next, size_t n_next, bool incomplete,
                      struct rh_config_change *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < n_current && n < cap; i++) {
        size_t k = find(next, n_next, current[i].name);

        if (find(current, i, current[i].name) != SIZE_MAX)
            continue; /* named twice: the first decides */
        snprintf(out[n].name, sizeof out[n].name, "%s", current[i].name);
        out[n].ran = current[i].standing == RH_STANDING_RUNS;
        out[n].next = k;
        out[n].change = decide(&current[i], k != SIZE_MAX ? &next[k] : NULL, incomplete);
        n++;
    }
    for (size_t k = 0; k < n_next && n < cap; k++) {
        if (find(current, n_current, next[k].name) != SIZE_MAX ||
            find(next, k, next[k].name) != SIZE_MAX)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", next[k].name);
        out[n].ran = false;
        out[n].next = k;
        out[n].change = decide(NULL, &next[k], incomplete);
        n++;
    }
    return n;
}

const char *rh_sink_change_name(enum rh_sink_change c)
{
    switch (c) {
    case RH_CHANGE_KEEP:
        return "keep";
    case RH_CHANGE_RESTART:
        return "restart";
    case RH_CHANGE_START:
        return "start";
    case RH_CHANGE_STOP:
        return "stop";
    case RH_CHANGE_HOLD:
        return "hold";
    case RH_CHANGE_RELEASE:
        return "release";
    }
    return "?";
}
