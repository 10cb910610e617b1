/*
 * rank.c - the ranking function: BM25F text relevance (an FTS5 auxiliary
 * function), the quality/heat prior, freshness, and the bounds that let a
 * ranked query stop early.  docs/ranking.md explains the formula.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

#define RANK_TEXT_COLUMNS 3                /* title, excerpt, body */
#define RANK_MAX_PHRASES  SEARCH_MAX_TERMS /* query.c's words and forms */
/* The least freshness factor, however far an item is from the reference
 * date (docs/ranking.md). */
#define RANK_FRESH_FLOOR 0.1

/* Per-statement data, made by the first call: idf and average lengths. */
typedef struct rank_aux {
    int n_phrases;
    int n_tokens[RANK_MAX_PHRASES]; /* tokens of each phrase */
    double avg_len[RANK_TEXT_COLUMNS];
    double idf[RANK_MAX_PHRASES];
    double w[RANK_TEXT_COLUMNS];
} rank_aux;

/* Lucene's idf: always positive, so common terms still count. */
double
nx_rank_idf(int64_t n_rows, int64_t n)
{
    return log(1.0 + ((double)n_rows - (double)n + 0.5) / ((double)n + 0.5));
}

double
nx_rank_sat(double tf, double len, double avg)
{
    double norm = 1.0 - NX_BM25_B + NX_BM25_B * (avg > 0 ? len / avg : 1.0);

    return tf * (NX_BM25_K1 + 1.0) / (tf + NX_BM25_K1 * norm);
}

/* The term frequencies of phrases 0..n_phrases-1 in each column of the
 * current row.  Phrase by phrase, and only the phrases scored: xInstCount
 * would collect the instances of every phrase of a huge query. */
static int
rank_row_tf(const Fts5ExtensionApi *api, Fts5Context *fts, int n_phrases,
            int (*tf)[RANK_TEXT_COLUMNS])
{
    int i, rc = SQLITE_OK;

    for (i = 0; i < n_phrases && rc == SQLITE_OK; i++) {
        int col = -1, off = 0;
        Fts5PhraseIter it;

        memset(tf[i], 0, sizeof(tf[i]));
        rc = api->xPhraseFirst(fts, i, &it, &col, &off);
        for (; rc == SQLITE_OK && col >= 0;
             api->xPhraseNext(fts, &it, &col, &off)) {
            if (col < RANK_TEXT_COLUMNS)
                tf[i][col]++;
        }
    }
    return rc;
}

/* parts[i] = sum over the columns of w_c * sat(tf_ic, len_c), with the
 * row's real column lengths (one read of FTS5's docsize per row). */
static int
rank_exact_parts(const Fts5ExtensionApi *api, Fts5Context *fts,
                 const rank_aux *aux, int n_phrases,
                 int (*tf)[RANK_TEXT_COLUMNS], double *parts)
{
    int i, c, rc = SQLITE_OK, len[RANK_TEXT_COLUMNS] = {-1, -1, -1};

    for (i = 0; i < n_phrases && rc == SQLITE_OK; i++) {
        parts[i] = 0;
        for (c = 0; c < RANK_TEXT_COLUMNS && rc == SQLITE_OK; c++) {
            if (tf[i][c] == 0)
                continue;
            if (len[c] < 0)
                rc = api->xColumnSize(fts, c, &len[c]);
            parts[i] +=
                aux->w[c] * nx_rank_sat(tf[i][c], len[c], aux->avg_len[c]);
        }
    }
    return rc;
}

/* xQueryPhrase callback: count the rows of a phrase.  It reads nothing
 * of the row: a walk over a common term's doclist is the bulk of the cost
 * of a first call. */
static int
rank_count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *payload)
{
    (void)api;
    (void)fts;
    (*(int64_t *)payload)++;
    return SQLITE_OK;
}

static int
rank_aux_make(const Fts5ExtensionApi *api, Fts5Context *fts,
              sqlite3_value **args, int n_args, nx_rank_state *state,
              rank_aux **out)
{
    rank_aux *aux = sqlite3_malloc(sizeof(*aux));
    const double *idf = NULL;
    sqlite3_int64 n_rows = 0, total;
    int i, rc;

    *out = NULL;
    if (aux == NULL)
        return SQLITE_NOMEM;
    memset(aux, 0, sizeof(*aux));
    for (i = 0; i < RANK_TEXT_COLUMNS; i++)
        aux->w[i] = i < n_args ? sqlite3_value_double(args[i]) : 1.0;
    aux->n_phrases = api->xPhraseCount(fts);
    /* The query's idfs fit only the expression they came with. */
    if (state != NULL && state->n_idf == aux->n_phrases)
        idf = state->idf;
    if (aux->n_phrases > RANK_MAX_PHRASES)
        aux->n_phrases = RANK_MAX_PHRASES;
    rc = api->xRowCount(fts, &n_rows);
    for (i = 0; i < RANK_TEXT_COLUMNS && rc == SQLITE_OK; i++) {
        rc = api->xColumnTotalSize(fts, i, &total);
        aux->avg_len[i] = n_rows > 0 ? (double)total / (double)n_rows : 1.0;
    }
    for (i = 0; i < aux->n_phrases && rc == SQLITE_OK; i++) {
        int64_t n = 0;

        aux->n_tokens[i] = api->xPhraseSize(fts, i);
        if (aux->n_tokens[i] < 1)
            aux->n_tokens[i] = 1;

        if (idf != NULL) {
            aux->idf[i] = idf[i];
            continue;
        }
        rc = api->xQueryPhrase(fts, i, &n, rank_count_row);
        if (state != NULL)
            state->n_counted++;
        aux->idf[i] = nx_rank_idf(n_rows, n);
    }
    if (rc != SQLITE_OK) {
        sqlite3_free(aux);
        return rc;
    }
    /* On failure xSetAuxdata frees `aux` itself. */
    rc = api->xSetAuxdata(fts, aux, sqlite3_free);
    if (rc != SQLITE_OK)
        return rc;
    *out = aux;
    return SQLITE_OK;
}

/* The aux data of the statement, made by its first call. */
static int
rank_aux_get(const Fts5ExtensionApi *api, Fts5Context *fts,
             sqlite3_value **args, int n_args, nx_rank_state *state,
             rank_aux **out)
{
    *out = api->xGetAuxdata(fts, 0);
    if (*out != NULL)
        return SQLITE_OK;
    return rank_aux_make(api, fts, args, n_args, state, out);
}

/* The bm25f score of the current row of `fts`, whose phrases 0..n-1 are
 * aux's. */
static int
rank_row_score(const Fts5ExtensionApi *api, Fts5Context *fts,
               const rank_aux *aux, nx_rank_state *state, double *score)
{
    double parts[RANK_MAX_PHRASES];
    int tf[RANK_MAX_PHRASES][RANK_TEXT_COLUMNS];
    int i, rc;

    *score = 0;
    if (state != NULL)
        state->n_scored++;
    rc = rank_row_tf(api, fts, aux->n_phrases, tf);
    if (rc == SQLITE_OK)
        rc = rank_exact_parts(api, fts, aux, aux->n_phrases, tf, parts);
    for (i = 0; rc == SQLITE_OK && i < aux->n_phrases; i++)
        *score += aux->idf[i] * parts[i];
    return rc;
}

/*
 * nx_bm25f(fts, w_title, w_excerpt, w_body): BM25F with per-column
 * saturation, sum over phrases of idf * sum over columns w_c * sat(tf_c).
 * The idfs are the query's (state->idf, docs/ranking.md) when the caller
 * set them; otherwise each comes from FTS5's count of the phrase's rows.
 */
static void
rank_bm25f(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
           int n_args, sqlite3_value **args)
{
    nx_rank_state *state = api->xUserData(fts);
    rank_aux *aux;
    double score = 0;
    int rc = rank_aux_get(api, fts, args, n_args, state, &aux);

    if (rc == SQLITE_OK)
        rc = rank_row_score(api, fts, aux, state, &score);
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    else
        sqlite3_result_double(ctx, score);
}

int
nx_rank_register(sqlite3 *db, nx_rank_state *state, newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    fts5_api *api = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", NULL);
        sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (api == NULL || api->iVersion < 2)
        return nx_fail(err, NEWSIDX_IO, "this SQLite has no usable FTS5");
    rc = api->xCreateFunction(api, "nx_bm25f", state, rank_bm25f, NULL);
    if (rc != SQLITE_OK)
        return nx_fail(err, NEWSIDX_IO, "cannot register the functions: %s",
                       sqlite3_errstr(rc));
    return NEWSIDX_OK;
}

double
nx_rank_prior(const nx_weights *w, bool has_q, int64_t q, bool has_h, int64_t h)
{
    double sum = w->quality + w->heat;

    if (sum <= 0)
        return 0.5;
    return (w->quality * nx_prior_part(has_q, q, NX_PRIOR_QUALITY_TOP) +
            w->heat * nx_prior_part(has_h, h, NX_PRIOR_HEAT_TOP)) /
           sum;
}

double
nx_rank_prior_factor(const nx_weights *w, double prior)
{
    return 1.0 + w->strength * (2.0 * prior - 1.0);
}

/*
 * Items of one rank-key level have (quality part + heat part) / 2 within
 * half a step of level / 1023.  Under other prior weights the prior is
 * largest when the heavier part takes as much of that sum as it can.
 */
double
nx_rank_level_bound(const nx_weights *w, int level)
{
    double m = ((double)level + 0.5) / (NX_PRIOR_LEVELS - 1), big, small;
    double hi = w->quality >= w->heat ? w->quality : w->heat;
    double lo = w->quality >= w->heat ? w->heat : w->quality;
    double sum = w->quality + w->heat;

    if (m > 1.0)
        m = 1.0;
    if (sum <= 0)
        return nx_rank_prior_factor(w, 0.5);
    big = 2.0 * m > 1.0 ? 1.0 : 2.0 * m;
    small = 2.0 * m - big;
    return nx_rank_prior_factor(w, (hi * big + lo * small) / sum);
}

/*
 * fresh = floor + (1 - floor) * 0.5 ^ (distance / half-life), where the
 * distance is between the item's date and the reference w->now, either
 * way: an item dated after it (a reference set in the past, a date in the
 * future) is as far from it as one as much before.  The floor keeps an
 * archive's old items ranked by relevance among themselves instead of
 * all at 0; it keeps the factor in [floor, 1], which the engine's bounds
 * take as at most 1.
 */
double
nx_rank_fresh(const nx_weights *w, bool has_date, int64_t date)
{
    double days;

    if (w->fresh_half_life <= 0)
        return 1.0;
    if (!has_date)
        return 0.5;
    /* In doubles: a damaged date must not overflow the difference. */
    days = fabs((double)w->now - (double)date) / 86400.0;
    return RANK_FRESH_FLOOR +
           (1.0 - RANK_FRESH_FLOOR) * pow(0.5, days / w->fresh_half_life);
}

bool
nx_rank_parse_weights(nx_weights *w, const char *s)
{
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"title", offsetof(nx_weights, title)},
        {"excerpt", offsetof(nx_weights, excerpt)},
        {"body", offsetof(nx_weights, body)},
        {"quality", offsetof(nx_weights, quality)},
        {"heat", offsetof(nx_weights, heat)},
        {"prior", offsetof(nx_weights, strength)},
        {"fresh", offsetof(nx_weights, fresh_half_life)},
        {"form", offsetof(nx_weights, form)},
    };
    const char *p = s;

    while (*p != '\0') {
        size_t n = strcspn(p, "="), k;
        char *end;
        double v;

        for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (strlen(keys[k].name) == n && strncmp(p, keys[k].name, n) == 0)
                break;
        }
        if (k == sizeof(keys) / sizeof(keys[0]) || p[n] != '=')
            return false;
        v = strtod(p + n + 1, &end);
        if (end == p + n + 1 || !isfinite(v) || v < 0 ||
            (*end != ',' && *end != '\0'))
            return false;
        *(double *)((char *)w + keys[k].off) = v;
        p = *end == ',' ? end + 1 : end;
    }
    return w->strength <= 0.9 && w->form <= 1.0;
}
