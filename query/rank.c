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

#define RANK_TEXT_COLUMNS NX_SCORE_COLUMNS /* title, excerpt, body */
#define RANK_MAX_PHRASES  SEARCH_MAX_TERMS /* query.c's words and forms */

/* Per-statement data, made by the first call: idf and average lengths. */
typedef struct rank_aux {
    int n_phrases;
    int n_tokens[RANK_MAX_PHRASES]; /* tokens of each phrase */
    double avg_len[RANK_TEXT_COLUMNS];
    double idf[RANK_MAX_PHRASES];
    double w[RANK_TEXT_COLUMNS];
} rank_aux;

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
    uint32_t len[RANK_TEXT_COLUMNS] = {0, 0, 0}, tfc[RANK_TEXT_COLUMNS];
    bool has_len[RANK_TEXT_COLUMNS] = {false, false, false};
    int i, c, rc = SQLITE_OK;

    for (i = 0; i < n_phrases && rc == SQLITE_OK; i++) {
        for (c = 0; c < RANK_TEXT_COLUMNS && rc == SQLITE_OK; c++) {
            tfc[c] = tf[i][c] > 0 ? (uint32_t)tf[i][c] : 0;
            if (tfc[c] > 0 && !has_len[c]) {
                int n = 0;

                rc = api->xColumnSize(fts, c, &n);
                len[c] = n > 0 ? (uint32_t)n : 0;
                has_len[c] = true;
            }
        }
        parts[i] =
            rc == SQLITE_OK ? nx_score_text(aux->w, tfc, len, aux->avg_len) : 0;
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
        if (state != NULL && state->avg != NULL)
            aux->avg_len[i] = state->avg[i];
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
        return nx_fail(err, nx_db_status(rc),
                       "cannot register the functions: %s", sqlite3_errstr(rc));
    return NEWSIDX_OK;
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
