/*
 * scoring.c - the engine's scores (engine.c): the weights a query scores
 * with (each scored phrase's idf, the column averages) and a row's bm25f
 * and score from its docinfo, with the same formula and the same
 * arithmetic as the nx_bm25f SQL function (rank.c); and the bounds of
 * scores the walk leaves rows and blocks unscored by: a row's from its
 * occurrences alone, a block's from the bounds table (block-max,
 * bounds.c) or, for a rare word, from its rows.
 */
#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/**************************************************************************
** Scoring
*/

/* The exact token count of column `col` of row `id` (fts_docsize), for a
 * count docinfo could not hold. */
static uint32_t
scoring_docsize(eng *e, int64_t id, int col)
{
    uint32_t len = 0;
    int rc = nx_fr_docsize(&len, e->q->idx->db, &e->docsize, id, col);

    if (rc != SQLITE_OK)
        e->rc = rc;
    return len;
}

/* bm25f of row `id` (docinfo slot `s`), as nx_bm25f computes it: for each
 * phrase the weighted saturations of its columns, times its idf. */
static double
scoring_bm25f(eng *e, int64_t id, unsigned s, unsigned u)
{
    uint32_t len[3] = {0, 0, 0};
    bool has_len[3] = {false, false, false};
    double score = 0;
    int i, c;

    for (i = 0; i < e->n_scored; i++) {
        const uint32_t *tf;

        if (!nx_walk_bit(e->ph_bits[i], u))
            continue;
        tf = e->ph_tf[i][u];
        /* The lengths of the columns the phrase is in, once per row. */
        for (c = 0; c < 3; c++) {
            if (tf[c] == 0 || has_len[c])
                continue;
            len[c] = nx_docinfo_u16(e->dbuf + NX_DOCINFO_LEN_OFF(c) + 2 * s);
            if (len[c] >= NX_DOCINFO_LEN_BIG)
                len[c] = scoring_docsize(e, id, c);
            has_len[c] = true;
        }
        score += e->idf[i] * nx_score_text(e->w, tf, len, e->avg);
    }
    return score;
}

void
nx_scoring_row(eng *e, int64_t id, unsigned s, unsigned u, search_cand *c)
{
    const newsidx_query *q = e->q;
    const unsigned char *d = e->dbuf;
    unsigned flags = d[NX_DOCINFO_FLAGS_OFF + s];
    nx_score_doc doc;

    memset(&doc, 0, sizeof(doc));
    doc.level = (int)nx_docinfo_u16(d + NX_DOCINFO_LEVEL_OFF + 2 * s);
    doc.has_quality = (flags & NX_DOC_HAS_QUALITY) != 0;
    doc.has_heat = (flags & NX_DOC_HAS_HEAT) != 0;
    doc.has_date = (flags & NX_DOC_HAS_DATE) != 0;
    if (e->need_full) {
        doc.quality =
            (int32_t)nx_docinfo_u32(d + NX_DOCINFO_QUALITY_OFF + 4 * s);
        doc.heat = (int32_t)nx_docinfo_u32(d + NX_DOCINFO_HEAT_OFF + 4 * s);
        doc.date = (int64_t)nx_docinfo_u64(d + NX_DOCINFO_DATE_OFF + 8 * s);
    }
    memset(c, 0, sizeof(*c));
    c->id = id;
    nx_search_score(c, q, e->has_text ? scoring_bm25f(e, id, s, u) : 1.0, &doc);
}

int
nx_scoring_weights(eng *e, newsidx_error *err)
{
    const nx_coll *coll = e->q->coll;
    int64_t n_rows = coll != NULL ? coll->n_rows : nx_fr_rows(e->r);
    int c, n = 0, rc;

    e->w[0] = e->q->w.title;
    e->w[1] = e->q->w.excerpt;
    e->w[2] = e->q->w.body;
    /* Over several files, the statistics of them all (nx_coll). */
    for (c = 0; c < 3; c++)
        e->avg[c] = coll != NULL ? coll->avg[c]
                    : n_rows > 0
                        ? (double)nx_fr_col_total(e->r, c) / (double)n_rows
                        : 1.0;
    rc = nx_search_idf(e->q, n_rows, e->idf, &n, err);
    e->is_declined = rc == NEWSIDX_OK && n != e->n_scored;
    return rc;
}

/**************************************************************************
** Bounds
*/

void
nx_scoring_row_bound_init(eng *e)
{
    const nx_weights *w = &e->q->w;
    double f0 = nx_rank_prior_factor(w, 0.0), f1 = nx_rank_prior_factor(w, 1.0);
    int i, c;

    e->has_row_bound = e->q->opts.sort == NEWSIDX_SORT_RANK && e->has_text;
    for (c = 0; c < 3; c++)
        e->has_row_bound &= e->w[c] >= 0;
    for (i = 0; i < e->n_scored; i++)
        e->has_row_bound &= e->idf[i] >= 0;
    /* The prior under unequal weights lies between the two ends too. */
    e->row_factor = f0 > f1 ? f0 : f1;
    e->has_row_bound &= e->row_factor > 0;
    for (i = 0; i < 64; i++)
        e->sat_max[i] = nx_rank_sat(i, 0, 1);
}

static double
scoring_sat_max(const eng *e, uint32_t tf)
{
    return tf < 64 ? e->sat_max[tf] : nx_rank_sat(tf, 0, 1);
}

double
nx_scoring_row_bound(const eng *e, unsigned u)
{
    double v = 0;
    int i, c;

    for (i = 0; i < e->n_scored; i++) {
        const uint32_t *tf;
        double part = 0;

        if (!nx_walk_bit(e->ph_bits[i], u))
            continue;
        tf = e->ph_tf[i][u];
        for (c = 0; c < 3; c++) {
            if (tf[c] != 0)
                part += e->w[c] * scoring_sat_max(e, tf[c]);
        }
        v += e->idf[i] * part;
    }
    return v * e->row_factor;
}

/* A word's bounds per block (bounds.c), into a new array of n_blocks;
 * NULL when it has none. */
static double *
scoring_word_bounds(eng *e, const char *word, size_t len, int64_t n_blocks)
{
    sqlite3_stmt *stmt;
    double *ub = NULL;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db, "SELECT chunk, data FROM bounds WHERE term = ?1", -1,
        &stmt, NULL);

    if (rc != SQLITE_OK) {
        e->rc = rc;
        return NULL;
    }
    sqlite3_bind_text(stmt, 1, word, (int)len, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t chunk = sqlite3_column_int64(stmt, 0), b;
        const unsigned char *d = sqlite3_column_blob(stmt, 1);
        int i;

        if (sqlite3_column_bytes(stmt, 1) != 2 * NX_BOUND_CHUNK || d == NULL ||
            chunk < 0) {
            e->rc = nx_db_damaged(e->q->idx,
                                  "a row of the bounds table is malformed"
                                  " (chunk %lld)",
                                  (long long)chunk);
            break;
        }
        if (ub == NULL &&
            (ub = nx_calloc((size_t)n_blocks + 1, sizeof(*ub))) == NULL) {
            e->rc = SQLITE_NOMEM;
            break;
        }
        /* Chunks past the last item's hold no bound a query uses. */
        for (i = 0; i < NX_BOUND_CHUNK && chunk < n_blocks; i++) {
            b = chunk * NX_BOUND_CHUNK + i;
            if (b < n_blocks)
                ub[b] = nx_docinfo_u16(d + 2 * i);
        }
    }
    sqlite3_finalize(stmt);
    if (e->rc == SQLITE_OK && rc != SQLITE_DONE)
        e->rc = rc;
    if (e->rc != SQLITE_OK) {
        nx_free(ub);
        return NULL;
    }
    return ub;
}

/*
 * Bounds of token k (`w`, `len` bytes) of phrase `p` from the token's own
 * rows, for a word too rare for the bounds table (fewer rows than
 * bound_min_df: another form of a word, often): per block, the most any
 * row of it can add (its occurrences at the shortest length, with the
 * largest prior and freshness factor), in the table's scale, which the
 * caller multiplies by factor / NX_BOUND_SCALE.  NULL for a frequent word
 * (it should have had rows) or on failure (e->rc set).
 */
static double *
scoring_rare_bounds(eng *e, eng_phrase *p, int k, const char *w, size_t len,
                    double factor)
{
    nx_fr_term *t = p->tok[k];
    double *ub, wc[3];
    int64_t df;
    int c, rc = nx_terms_df(e->q->idx, w, len, &df);

    if (rc != SQLITE_OK)
        e->rc = rc;
    if (rc != SQLITE_OK || t == NULL || df < 0 || df >= e->q->idx->bound_min_df)
        return NULL;
    ub = nx_calloc((size_t)e->n_blocks + 1, sizeof(*ub));
    if (ub == NULL) {
        e->rc = SQLITE_NOMEM;
        return NULL;
    }
    for (c = 0; c < 3; c++) /* a negative weight only lowers a score */
        wc[c] = e->w[c] > 0 ? e->w[c] : 0;
    for (rc = nx_fr_term_rewind(t, 0); rc == SQLITE_OK && !nx_fr_term_eof(t);
         rc = nx_fr_term_next(t)) {
        const unsigned char *pl;
        int n, tf[3] = {0, 0, 0};
        int64_t b = nx_fr_term_rowid(t) >> ENG_UNIT_SHIFT;
        double v = 0;

        if ((rc = nx_fr_term_poslist(t, &pl, &n)) != SQLITE_OK)
            break;
        nx_fr_pos_count(pl, n, p->column, tf);
        for (c = 0; c < 3; c++)
            v += tf[c] ? wc[c] * scoring_sat_max(e, (uint32_t)tf[c]) : 0;
        v *= e->row_factor * NX_BOUND_SCALE / factor;
        if (b < e->n_blocks && v > ub[b])
            ub[b] = v;
    }
    if (rc == SQLITE_OK)
        rc = nx_fr_term_rewind(t, 0);
    if (rc != SQLITE_OK) {
        e->rc = SQLITE_CORRUPT; /* the reader's failure: eng_error */
        nx_free(ub);
        return NULL;
    }
    return ub;
}

/* How far a bound worked out under the defaults (bounds.c) may be below
 * this query's score: the weights against the default ones, the averages
 * against those of the bounds, the prior against the default prior. */
static double
scoring_bound_factor(eng *e, const double *avg_ref)
{
    static const double wref[3] = {NX_BOUND_W_TITLE, NX_BOUND_W_EXCERPT,
                                   NX_BOUND_W_BODY};
    const nx_weights *w = &e->q->w;
    double text = 0, s = w->strength;
    int c;

    for (c = 0; c < 3; c++) {
        double r = avg_ref[c] > 0 && e->avg[c] > avg_ref[c]
                       ? e->avg[c] / avg_ref[c]
                       : 1.0;

        if (avg_ref[c] <= 0 && e->avg[c] > 0)
            return -1; /* the bounds took no length into account */
        if (e->w[c] / wref[c] * r > text)
            text = e->w[c] / wref[c] * r;
    }
    if (w->quality == w->heat) /* the same level, another strength */
        return text * fmax((1 + s) / (1 + NX_BOUND_STRENGTH),
                           (1 - s) / (1 - NX_BOUND_STRENGTH));
    return text * (1 + s) / (1 - NX_BOUND_STRENGTH);
}

void
nx_scoring_bounds(eng *e)
{
    sqlite3_stmt *stmt;
    double avg_ref[3], factor;
    bool has_avg = false;
    int64_t max_id = 0, b;
    int i, k, j, rc;

    if (e->q->opts.sort != NEWSIDX_SORT_RANK || !e->has_text)
        return;
    rc = nx_bounds_avg(e->q->idx, avg_ref, &has_avg);
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return;
    }
    if (!has_avg || (factor = scoring_bound_factor(e, avg_ref)) <= 0)
        return;
    for (i = 0; i < e->n_scored; i++) {
        if (e->ph[i].is_prefix)
            return;
    }
    if (sqlite3_prepare_v2(e->q->idx->db, "SELECT max(id) FROM items", -1,
                           &stmt, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        max_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    /* A block's bound per block of ids: the ids must be ones the file
     * can hold, or a damaged one would size the array. */
    if (max_id < 0 || max_id > nx_db_max_id(e->q->idx)) {
        e->rc = nx_db_damaged(e->q->idx,
                              "item id %lld is out of range for this file",
                              (long long)max_id);
        return;
    }
    e->n_blocks = (max_id >> ENG_UNIT_SHIFT) + 1;
    e->block_ub = nx_calloc((size_t)e->n_blocks, sizeof(*e->block_ub));
    if (e->block_ub == NULL)
        return;
    /* A word's bound per block; a phrase's, the least of its words'; a
     * phrase no row holds, none. */
    for (i = 0; i < e->n_scored && e->rc == SQLITE_OK; i++) {
        eng_phrase *p = &e->ph[i];
        const char *w = p->words.data;

        if (p->is_empty) {
            p->ub = nx_calloc((size_t)e->n_blocks + 1, sizeof(*p->ub));
            if (p->ub == NULL)
                e->rc = SQLITE_NOMEM;
            continue;
        }
        for (k = 0; k < p->n_tok && w != NULL; k++) {
            size_t len = strlen(w);
            double *ub = scoring_word_bounds(e, w, len, e->n_blocks);

            if (ub == NULL && e->rc == SQLITE_OK)
                ub = scoring_rare_bounds(e, p, k, w, len, factor);
            if (ub == NULL) {
                nx_free(e->block_ub);
                e->block_ub = NULL;
                return;
            }
            if (p->ub == NULL) {
                p->ub = ub;
            } else {
                for (b = 0; b < e->n_blocks; b++)
                    p->ub[b] = ub[b] < p->ub[b] ? ub[b] : p->ub[b];
                nx_free(ub);
            }
            w += len + 1;
        }
    }
    if (e->rc != SQLITE_OK) { /* a phrase may be left without its bounds */
        nx_free(e->block_ub);
        e->block_ub = NULL;
        return;
    }
    /* A group adds up its phrases (one row may hold several); a block no
     * phrase of a scored group is in cannot match. */
    for (k = 0; k < e->n_req; k++) {
        const eng_group *g = &e->req[k];
        bool is_scored = false;

        for (j = 0; j < g->n; j++)
            is_scored |= g->ph[j] - e->ph < e->n_scored;
        if (!is_scored)
            continue; /* tags: no score, and no bounds */
        for (b = 0; b < e->n_blocks; b++) {
            double sum = 0;

            if (k > 0 && e->block_ub[b] < 0)
                continue;
            for (j = 0; j < g->n; j++) {
                int pi = (int)(g->ph[j] - e->ph);

                sum += e->idf[pi] * g->ph[j]->ub[b];
            }
            e->block_ub[b] = sum == 0 ? -1 : e->block_ub[b] + sum;
        }
    }
    for (b = 0; b < e->n_blocks; b++)
        e->block_ub[b] =
            e->block_ub[b] < 0 ? 0 : e->block_ub[b] / NX_BOUND_SCALE * factor;
}
