/*
 * engine.c - the query engine: a query's matches found by walking the fts
 * index's doclists directly (fts5read.c) and scored from the docinfo
 * blocks, with the same formula and the same arithmetic as the nx_bm25f
 * SQL function (rank.c), so that its top-k is exactly the SQL scan's.
 *
 * A query is an AND of groups, each an OR of phrases (a word, a quoted
 * phrase, a prefix, each perhaps restricted to a column), plus the tag
 * filters (an OR of tag tokens each), the excluded phrases and the range
 * filters.  Rows are visited in rowid order: the required groups are
 * leapfrogged (each seeks to the highest rowid any of them is on) until
 * all agree on a row, which then goes through the exclusions and the
 * docinfo filters before it is counted and scored.
 *
 * The engine declines what it does not run (--like, a prefix phrase of
 * several words, a query of filters alone, an index whose FTS5 format the
 * reader does not know); search.c then runs the query in SQL.
 *
 * This file is the entry point (nx_engine_run, nx_engine_count,
 * nx_engine_matches): it sets
 * the engine up for a query (the reader, the plan, the weights), runs it
 * and turns its failures into statuses.  The work is done in plan.c (the
 * phrases and groups of the query), walk.c (the walk over the doclists,
 * block by block) and scoring.c (the scores and their bounds).
 */
#include <sqlite3.h>

#include "results.h"

/**************************************************************************
** Running a query
*/

/* Which parts of docinfo past the hot ones the query reads: the dates
 * (for date filters, --since/--until, freshness, a date sort) and quality
 * and heat (for their filters, unequal prior weights, their sorts). */
static void
eng_needs(eng *e)
{
    const newsidx_query *q = e->q;
    size_t i;

    e->need_qh = q->w.quality != q->w.heat ||
                 q->opts.sort == NEWSIDX_SORT_QUALITY ||
                 q->opts.sort == NEWSIDX_SORT_HEAT;
    e->need_date = q->w.fresh_half_life > 0 ||
                   q->opts.sort == NEWSIDX_SORT_DATE || q->opts.has_since ||
                   q->opts.has_until;
    for (i = 0; i < q->parsed->n_filters; i++) {
        nx_filter_kind k = q->parsed->filters[i].kind;

        e->need_date |= k == NX_FILTER_DATE;
        e->need_qh |= k == NX_FILTER_QUALITY || k == NX_FILTER_HEAT;
    }
    e->need_full = e->need_date || e->need_qh;
}

static void
eng_free(eng *e)
{
    nx_plan_free(e);
    nx_free(e->ph_bits);
    nx_free(e->ph_tf);
    nx_free(e->block_ub);
    nx_free(e->walked);
    nx_free(e->pos_buf);
    nx_fr_term_close(e->unpub_t);
    sqlite3_blob_close(e->dblob);
    sqlite3_finalize(e->docsize);
    nx_fr_close(e->r);
    nx_buf_free(&e->scratch);
    nx_free(e);
}

/* The engine's failure as a status; NEWSIDX_OK with e->is_declined set
 * for a phrase too long to check. */
static int
eng_error(eng *e, newsidx_error *err)
{
    int rc;

    if (e->rc == SQLITE_TOOBIG) {
        e->is_declined = true;
        return NEWSIDX_OK;
    }
    if (e->r != NULL && (rc = nx_fr_error(e->r, err)) != NEWSIDX_OK)
        return rc;
    if (e->rc == SQLITE_NOMEM)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return nx_db_error(e->q->idx, e->rc, "cannot run the query", err);
}

/* Is setting up `e` still going: no failure (`rc`, e->rc) and no
 * decline? */
static bool
eng_is_going(const eng *e, int rc)
{
    return rc == NEWSIDX_OK && e->rc == SQLITE_OK && !e->is_declined;
}

/* Set up the engine for `q`: NEWSIDX_OK with *out set, NEWSIDX_OK with
 * *out NULL and *is_declined set for a query the engine does not run, or
 * an error with its message. */
static int
eng_open(eng **out, newsidx_query *q, bool *is_declined, newsidx_error *err)
{
    eng *e;
    int rc;

    *out = NULL;
    *is_declined = q->parsed == NULL || q->self_id != 0;
    if (*is_declined)
        return NEWSIDX_OK;
    e = nx_calloc(1, sizeof(*e));
    if (e == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    e->q = q;
    e->dblock = -1;
    rc = nx_fr_open(&e->r, q->idx->db, err);
    e->is_declined = rc == NEWSIDX_OK && e->r == NULL; /* another format */
    if (eng_is_going(e, rc)) {
        if (q->half->qtok == NULL)
            e->rc = nx_tokenizer_new(&q->half->qtok, q->idx->db);
        e->tok = q->half->qtok;
        if (e->rc == SQLITE_OK)
            nx_plan_build(e);
    }
    if (eng_is_going(e, rc))
        rc = nx_scoring_weights(e, err);
    if (eng_is_going(e, rc)) {
        size_t n = (size_t)(e->n_scored > 0 ? e->n_scored : 1);

        e->ph_bits = nx_calloc(n, sizeof(*e->ph_bits));
        e->ph_tf = nx_malloc(n * sizeof(*e->ph_tf));
        if (e->ph_bits == NULL || e->ph_tf == NULL)
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    eng_needs(e);
    if (eng_is_going(e, rc))
        nx_scoring_row_bound_init(e);
    if (rc == NEWSIDX_OK && !e->is_declined && e->rc != SQLITE_OK)
        rc = eng_error(e, err);
    *is_declined = e->is_declined;
    if (rc != NEWSIDX_OK || *is_declined) {
        eng_free(e);
        return rc;
    }
    *out = e;
    return NEWSIDX_OK;
}

/* The end of a run: the engine's failure as a status, or a decline. */
static int
eng_close(eng *e, bool *is_declined, newsidx_error *err)
{
    int rc = e->rc == SQLITE_OK ? NEWSIDX_OK : eng_error(e, err);

    *is_declined = e->is_declined;
    eng_free(e);
    return rc;
}

int
nx_engine_run(search_run *run, newsidx_query *q, bool *is_declined,
              newsidx_error *err)
{
    eng *e;
    int rc = eng_open(&e, q, is_declined, err);

    if (e == NULL)
        return rc;
    nx_scoring_bounds(e);
    if (e->block_ub != NULL)
        nx_walk_top(e, run);
    run->n_rows = e->n_walked_rows + nx_walk_all(e, run);
    run->is_counted = true;
    run->n_hidden = e->n_hidden;
    run->has_hidden = true;
    q->half->rank.n_blocks += e->n_walked + e->n_blocks_scored;
    return eng_close(e, is_declined, err);
}

/* A walk that counts the matches, and marks them when `marks` is set. */
static int
eng_count(uint64_t *total_out, uint64_t *hidden_out, uint64_t *marks,
          size_t n_words, newsidx_query *q, bool *is_declined,
          newsidx_error *err)
{
    eng *e;
    int rc = eng_open(&e, q, is_declined, err);

    if (e == NULL)
        return rc;
    e->is_counting = true;
    e->marks = marks;
    e->n_marks = n_words;
    *total_out = nx_walk_all(e, NULL);
    *hidden_out = e->n_hidden;
    return eng_close(e, is_declined, err);
}

int
nx_engine_count(uint64_t *total_out, uint64_t *hidden_out, newsidx_query *q,
                bool *is_declined, newsidx_error *err)
{
    return eng_count(total_out, hidden_out, NULL, 0, q, is_declined, err);
}

int
nx_engine_matches(uint64_t *marks, size_t n_words, newsidx_query *q,
                  bool *is_declined, newsidx_error *err)
{
    uint64_t total, hidden;

    return eng_count(&total, &hidden, marks, n_words, q, is_declined, err);
}
