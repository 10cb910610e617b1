/*
 * engine.c - the query engine (work in progress: declines every query, so
 * search.c runs them in SQL).
 */
#include "results.h"

int
nx_engine_run(search_run *run, newsidx_query *q, newsidx_error *err)
{
    (void)run;
    (void)q;
    (void)err;
    return NX_ENGINE_DECLINED;
}

int
nx_engine_count(uint64_t *total_out, newsidx_query *q, newsidx_error *err)
{
    (void)total_out;
    (void)q;
    (void)err;
    return NX_ENGINE_DECLINED;
}
