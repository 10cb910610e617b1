/*
 * fuzz_query.c - nx_query_parse on any bytes.
 *
 * Invariants: the status is OK, PARSE or NOMEM; on PARSE the error column
 * lies within the query (1..len+1) and the message is valid UTF-8; on OK
 * the `match` and `exclude` expressions are valid UTF-8 and are accepted
 * by a real FTS5 table with the index's columns and tokenizer (one
 * in-memory table, created once), every term and filter text is valid
 * UTF-8 (the raw filter values are kept as typed, any bytes), and date
 * ranges have lo <= hi.
 */
#include <string.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "query.h"

static sqlite3 *db;
static sqlite3_stmt *count_stmt;

static void
setup(void)
{
    NX_FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    NX_FUZZ_CHECK(
        sqlite3_exec(
            db,
            /* The columns and tokenizer of the index (indexer/format/schema.c,
             * schema 7): text columns and the tags column. */
            "CREATE VIRTUAL TABLE fts USING fts5("
            "  title, excerpt, body, tags,"
            "  tokenize = 'unicode61 remove_diacritics 2 categories "
            "''" NX_TOKEN_CATEGORIES "''');"
            "INSERT INTO fts VALUES('quokka news us ai', 'the state of the "
            "art',"
            "  'zurich 1000 c at t 人 工 ☕', '');",
            NULL, NULL, NULL) == SQLITE_OK);
    NX_FUZZ_CHECK(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM fts WHERE fts MATCH ?", -1,
                           &count_stmt, NULL) == SQLITE_OK);
}

static void
check_text(const char *s)
{
    NX_FUZZ_CHECK(s != NULL);
    NX_FUZZ_CHECK(nx_utf8_valid(s, strlen(s)));
}

/* FTS5 must accept a non-empty expression. */
static void
check_fts(const char *what, const char *expr)
{
    check_text(expr);
    if (expr[0] == '\0')
        return;
    sqlite3_bind_text(count_stmt, 1, expr, -1, SQLITE_STATIC);
    int rc = sqlite3_step(count_stmt);
    if (rc != SQLITE_ROW) {
        fprintf(stderr, "FTS5 rejects the %s expression [%s]: %s\n", what, expr,
                sqlite3_errmsg(db));
        NX_FUZZ_CHECK(rc == SQLITE_ROW);
    }
    sqlite3_reset(count_stmt);
    sqlite3_clear_bindings(count_stmt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (db == NULL)
        setup();
    nx_parsed *q = (nx_parsed *)&q; /* must be overwritten */
    newsidx_error err;
    memset(&err, 0, sizeof err);
    int rc = nx_query_parse(&q, (const char *)data, size, &err);
    NX_FUZZ_CHECK(rc == NEWSIDX_OK || rc == NEWSIDX_PARSE ||
                  rc == NEWSIDX_NOMEM);
    if (rc != NEWSIDX_OK) {
        NX_FUZZ_CHECK(q == NULL);
        NX_FUZZ_CHECK(err.code == rc);
        NX_FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        check_text(err.message);
        if (rc == NEWSIDX_PARSE)
            NX_FUZZ_CHECK(err.line == 1 && err.column >= 1 &&
                          err.column <= size + 1);
        return 0;
    }
    NX_FUZZ_CHECK(q != NULL);
    check_fts("match", q->match);
    check_fts("exclude", q->exclude);
    NX_FUZZ_CHECK(q->n_terms == 0 || q->terms != NULL);
    for (size_t i = 0; i < q->n_terms; i++)
        check_text(q->terms[i].text);
    NX_FUZZ_CHECK(q->n_filters == 0 || q->filters != NULL);
    for (size_t i = 0; i < q->n_filters; i++) {
        const nx_filter *f = &q->filters[i];
        if (f->kind <= NX_FILTER_CATEGORY)
            check_text(f->text);
        /* f->raw is the value as typed: any bytes. */
        NX_FUZZ_CHECK(f->raw != NULL);
        if (f->has_lo && f->has_hi && f->kind == NX_FILTER_DATE)
            NX_FUZZ_CHECK(f->lo <= f->hi);
    }
    nx_parsed_free(q);
    return 0;
}
