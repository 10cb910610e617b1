/*
 * emit.h - newsquery's results described as a document through a printer
 * (printer.h).  The document's shape is the JSON schema of
 * docs/json-schema.md; emit.c never asks which format is active.
 */
#ifndef NQ_EMIT_H
#define NQ_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "newsidx.h"
#include "printer.h"

/* What the document says besides the results themselves. */
typedef struct emit_info {
    const char *query; /* the query text as typed; "" with --like */
    int64_t like_id;   /* --like ID, or 0 */
    uint64_t offset;   /* hits skipped (--offset) */
    unsigned facets;   /* NEWSIDX_FACET_* bits asked for */
    bool is_explain;   /* add each hit's score factors */
    bool has_now;      /* the query ranks by freshness (newsidx_query_now) */
    bool is_all;       /* unpublished items are in (--all) */
    int64_t now;       /* with has_now: freshness's reference time */
    const newsidx_query *q;  /* with is_explain: the query, for the other
                                forms of its words */
    unsigned facet_limit;    /* values shown per facet; 0 = all */
    unsigned format_version; /* 1 or EMIT_FORMAT_VERSION */
    const char *const *dbs;  /* the index files searched, */
    size_t n_dbs;            /* named in the document when several */
} emit_info;

/* The schema version of the document (--format-version): the newest one,
 * the default.  Version 1 differs in one member: its "total" counts the
 * matching items, which version 2 calls "total_matches". */
#define EMIT_FORMAT_VERSION 2

/* Describe all of `r` (header, every hit, facets, suggestions) as one map.
 * The hits are consumed: `r` is at its end afterwards. */
void emit_results(printer *p, const emit_info *info, newsidx_results *r);

/* Describe only the number of matches of `r` (--count), and its facets
 * when asked for. */
void emit_count(printer *p, const emit_info *info, const newsidx_results *r);

#endif /* NQ_EMIT_H */
