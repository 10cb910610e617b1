/*
 * tokenizer.c - the fts table's own tokenizer (FTS5's unicode61 with
 * remove_diacritics 2), for code that must cut text exactly as FTS5 does:
 * the term counts, the column lengths the engine scores with, and the
 * query words the engine looks up.
 *
 * An instance is made from a connection's fts5_api and may then be used
 * on any one thread at a time: unicode61 keeps no state outside its
 * instance.
 */
#include <sqlite3.h>

#include "format.h"

struct nx_tokenizer {
    fts5_tokenizer api;
    Fts5Tokenizer *tok;
};

int
nx_tokenizer_new(nx_tokenizer **out, sqlite3 *db)
{
    static const char *args[] = {"remove_diacritics", "2", "categories",
                                 NX_TOKEN_CATEGORIES};
    sqlite3_stmt *stmt = NULL;
    fts5_api *api = NULL;
    nx_tokenizer *t;
    void *ud = NULL;
    int rc;

    *out = NULL;
    t = nx_calloc(1, sizeof(*t));
    if (t == NULL)
        return SQLITE_NOMEM;
    rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", NULL);
        sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_OK && api == NULL)
        rc = SQLITE_ERROR;
    if (rc == SQLITE_OK)
        rc = api->xFindTokenizer(api, "unicode61", &ud, &t->api);
    if (rc == SQLITE_OK)
        rc = t->api.xCreate(ud, args, 4, &t->tok);
    if (rc != SQLITE_OK) {
        nx_free(t);
        return rc;
    }
    *out = t;
    return SQLITE_OK;
}

void
nx_tokenizer_free(nx_tokenizer *t)
{
    if (t == NULL)
        return;
    if (t->tok != NULL)
        t->api.xDelete(t->tok);
    nx_free(t);
}

int
nx_tokenizer_run(nx_tokenizer *t, bool is_query, const char *text, size_t len,
                 nx_token_fn cb, void *ctx)
{
    if (len == 0)
        return SQLITE_OK;
    if (len > INT32_MAX)
        return SQLITE_TOOBIG;
    return t->api.xTokenize(
        t->tok, ctx, is_query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT,
        text, (int)len, cb);
}

/* FNV-1a */
uint32_t
nx_token_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;

    while (n-- > 0)
        h = (h ^ (unsigned char)*p++) * 16777619u;
    return h;
}
