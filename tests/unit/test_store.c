/*
 * test_store.c - the index file: creating and opening it, writing and
 * replacing items, removing them, schema versions, URL keys and the rank
 * key order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "internal.h"

#include "fixture.h" /* after the declarations it uses */

static const char item_text[] =
    "---\n"
    "category: news\n"
    "title: \"Zürich startup raises &amp; grows\"\n"
    "excerpt: \"The company said itâ€™s hiring.\"\n"
    "publishedDateTime: 2021-06-03T23:01:00Z\n"
    "webUrl: \"https://www.example.com/story/1/?utm_source=rss\"\n"
    "type: article\n"
    "quality: 99\n"
    "heat: -1\n"
    "published: false\n"
    "provider:\n  name: Example News\n  domain: example.com\n"
    "topics:\n  - AI\n  - Startups\n"
    "related:\n"
    "  - title: \"First related\"\n    webUrl: \"http://example.com/story/1\"\n"
    "  - title: \"Second related\"\n    webUrl: \"https://other.org/x\"\n"
    "    quality: 50\n"
    "---\n";

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-store-XXXXXX");
}

/* The first column of the first row of `sql`, as an integer. */
static int64_t
query_int(newsidx_index *idx, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t v = -999;

    assert_int_equal(sqlite3_prepare_v2(idx->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* The first column of the first row of `sql`, as text (static buffer). */
static const char *
query_text(newsidx_index *idx, const char *sql)
{
    static char buf[512];
    sqlite3_stmt *stmt;

    buf[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(idx->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return buf;
}

static void
test_store__open_missing_without_create_is_notfound(void **state)
{
    newsidx_index *idx = (newsidx_index *)1;
    newsidx_error err;

    (void)state;
    assert_int_equal(newsidx_index_open(&idx, "/tmp/nx-no-such.db", 0, &err),
                     NEWSIDX_NOTFOUND);
    assert_null(idx);
    assert_int_equal(err.code, NEWSIDX_NOTFOUND);
    assert_non_null(strstr(err.message, "/tmp/nx-no-such.db"));
}

static void
test_store__readonly_with_create_is_invalid(void **state)
{
    newsidx_index *idx;

    (void)state;
    assert_int_equal(
        newsidx_index_open(&idx, "/tmp/x.db",
                           NEWSIDX_OPEN_READONLY | NEWSIDX_OPEN_CREATE, NULL),
        NEWSIDX_INVALID);
    assert_null(idx);
}

static void
test_store__new_index_is_empty_and_versioned(void **state)
{
    fixture *f = *state;
    int64_t n = -1;

    assert_int_equal(newsidx_index_schema_version(f->idx),
                     NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(newsidx_index_count(&n, f->idx, NULL), NEWSIDX_OK);
    assert_int_equal(n, 0);
    assert_int_equal(query_int(f->idx, "PRAGMA application_id"),
                     NX_APPLICATION_ID);
    assert_string_equal(query_text(f->idx, "PRAGMA journal_mode"), "wal");
}

static void
test_store__add_buffer_stores_every_part(void **state)
{
    fixture *f = *state;
    newsidx_error err;

    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:1", item_text,
                                              strlen(item_text), NULL, NULL,
                                              &err),
                     NEWSIDX_OK);
    assert_string_equal(query_text(f->idx, "SELECT title FROM items"),
                        "Zürich startup raises & grows");
    assert_string_equal(query_text(f->idx, "SELECT excerpt FROM items"),
                        "The company said it’s hiring.");
    assert_string_equal(query_text(f->idx, "SELECT title FROM fts"),
                        "zurich startup raises & grows");
    assert_string_equal(query_text(f->idx, "SELECT url_key FROM items"),
                        "example.com/story/1");
    assert_int_equal(query_int(f->idx, "SELECT heat IS NULL FROM items"), 1);
    assert_int_equal(query_int(f->idx, "SELECT quality FROM items"), 99);
    assert_int_equal(query_int(f->idx, "SELECT published FROM items"), 0);
    assert_int_equal(query_int(f->idx, "SELECT published_at FROM items"),
                     1622761260);
    assert_string_equal(
        query_text(f->idx, "SELECT group_concat(t.name, '|') FROM"
                           " (SELECT * FROM item_topics ORDER BY ord) it"
                           " JOIN topics t ON t.id = it.topic_id"),
        "AI|Startups");
    assert_string_equal(query_text(f->idx, "SELECT name || '/' || domain"
                                           " FROM providers"),
                        "Example News/example.com");
    assert_string_equal(query_text(f->idx,
                                   "SELECT group_concat(title, '|') FROM"
                                   " (SELECT title FROM related ORDER BY ord)"),
                        "First related|Second related");
    /* The first related entry points at the item itself (same URL key). */
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM related_resolved"
                                       " WHERE target_id IS NOT NULL"),
                     1);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM fts WHERE fts"
                                       " MATCH 'zurich AND startup'"),
                     1);
}

static void
test_store__add_buffer_again_replaces(void **state)
{
    fixture *f = *state;
    char changed[sizeof(item_text)];
    int64_t n;

    memcpy(changed, item_text, sizeof(item_text));
    memcpy(strstr(changed, "Zürich"), "Lugano ", 7);
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:1", item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:1", changed,
                                              strlen(changed), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_count(&n, f->idx, NULL), NEWSIDX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM fts"), 1);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM related"), 2);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM item_topics"), 2);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM fts WHERE fts"
                                       " MATCH 'lugano'"),
                     1);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM fts WHERE fts"
                                       " MATCH 'zurich'"),
                     0);
}

static void
test_store__add_buffer_rejects_bad_input(void **state)
{
    fixture *f = *state;
    const char *not_news = "---\ntaxonomy: topic\nname: AI\n---\n";
    const char *bad = "---\ntitle: \"never closed\nexcerpt: x\n---\n";
    newsidx_error err;

    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:tax", not_news,
                                              strlen(not_news), NULL, NULL,
                                              &err),
                     NEWSIDX_NOTFOUND);
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:bad", bad,
                                              strlen(bad), NULL, NULL, &err),
                     NEWSIDX_PARSE);
    assert_non_null(strstr(err.message, "mem:bad:"));
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM files"), 0);
    /* The error object is optional, also on a parse error with a
     * position. */
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:bad", bad,
                                              strlen(bad), NULL, NULL, NULL),
                     NEWSIDX_PARSE);
}

static void
test_store__remove(void **state)
{
    fixture *f = *state;
    newsidx_error err;

    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:1", item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_remove(f->idx, "mem:1", &err), NEWSIDX_OK);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM items"), 0);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM fts"), 0);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM related"), 0);
    assert_int_equal(newsidx_index_remove(f->idx, "mem:1", &err),
                     NEWSIDX_NOTFOUND);
    assert_non_null(strstr(err.message, "mem:1"));
}

static void
test_store__readonly_handle_refuses_writes(void **state)
{
    fixture *f = *state;
    newsidx_index *ro;

    assert_int_equal(
        newsidx_index_open(&ro, f->path, NEWSIDX_OPEN_READONLY, NULL),
        NEWSIDX_OK);
    assert_int_equal(newsidx_index_add_buffer(ro, "mem:1", item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_READONLY);
    assert_int_equal(newsidx_index_paths(NULL, ro, NULL, 0, NULL, NULL),
                     NEWSIDX_READONLY);
    newsidx_index_close(ro);
}

static void
test_store__other_schema_version_is_refused_or_rebuilt(void **state)
{
    fixture *f = *state;
    newsidx_index *idx;
    newsidx_error err;

    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:1", item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
    assert_int_equal(
        sqlite3_exec(f->idx->db, "PRAGMA user_version = 7", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(newsidx_index_open(&idx, f->path, 0, &err),
                     NEWSIDX_SCHEMA);
    assert_non_null(strstr(err.message, "schema version 7"));
    assert_int_equal(
        newsidx_index_open(&idx, f->path, NEWSIDX_OPEN_REBUILD, &err),
        NEWSIDX_OK);
    assert_int_equal(newsidx_index_schema_version(idx), NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(query_int(idx, "SELECT count(*) FROM items"), 0);
    newsidx_index_close(idx);
}

/* Rows where `terms` and FTS5's own counts (fts5vocab) disagree. */
static int64_t
terms_mismatches(newsidx_index *idx)
{
    assert_int_equal(
        sqlite3_exec(idx->db,
                     "CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING"
                     " fts5vocab(main, 'fts', 'row')",
                     NULL, NULL, NULL),
        SQLITE_OK);
    return query_int(idx, "SELECT (SELECT count(*) FROM ("
                          "  SELECT term, doc FROM temp.v EXCEPT"
                          "  SELECT term, df FROM terms)) +"
                          " (SELECT count(*) FROM ("
                          "  SELECT term, df FROM terms EXCEPT"
                          "  SELECT term, doc FROM temp.v))");
}

static void
add_text(newsidx_index *idx, const char *source, const char *title,
         const char *excerpt)
{
    char text[70000];

    snprintf(text, sizeof(text),
             "---\ntitle: \"%s\"\nexcerpt: \"%s\"\n"
             "webUrl: https://example.com/%s\n---\nbody %s\n",
             title, excerpt, source, title);
    assert_int_equal(newsidx_index_add_buffer(idx, source, text, strlen(text),
                                              NULL, NULL, NULL),
                     NEWSIDX_OK);
}

static void
test_store__terms_count_the_rows_of_each_token(void **state)
{
    fixture *f = *state;
    static char long_word[40001];

    memset(long_word, 'q', sizeof(long_word) - 1);
    add_text(f->idx, "mem:1", "Zürich zurich ZURICH rises", "rises again");
    add_text(f->idx, "mem:2", "Café news", "zurich café");
    add_text(f->idx, "mem:3", long_word, "long words are cut at 32768 bytes");
    assert_int_equal(terms_mismatches(f->idx), 0);
    assert_int_equal(query_int(f->idx, "SELECT df FROM terms"
                                       " WHERE term = 'zurich'"),
                     2);
    /* Replaced, removed, then everything dropped at once. */
    add_text(f->idx, "mem:1", "Lugano rises", "no more of that city");
    assert_int_equal(terms_mismatches(f->idx), 0);
    assert_int_equal(query_int(f->idx, "SELECT df FROM terms"
                                       " WHERE term = 'zurich'"),
                     1);
    assert_int_equal(newsidx_index_remove(f->idx, "mem:2", NULL), NEWSIDX_OK);
    assert_int_equal(terms_mismatches(f->idx), 0);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM terms"
                                       " WHERE term IN ('zurich', 'cafe')"),
                     0);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM terms"
                                       " WHERE df <= 0"),
                     0);
    assert_int_equal(newsidx_index_remove(f->idx, "mem:3", NULL), NEWSIDX_OK);
    assert_int_equal(newsidx_index_remove(f->idx, "mem:1", NULL), NEWSIDX_OK);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM terms"), 0);
}

static void
test_store__schema_3_is_read_as_is_and_upgraded_by_a_writer(void **state)
{
    fixture *f = *state;
    newsidx_index *idx;

    add_text(f->idx, "mem:1", "Zürich rises", "rises again");
    add_text(f->idx, "mem:2", "Café news", "zurich café");
    assert_int_equal(sqlite3_exec(f->idx->db,
                                  "DROP TABLE terms; PRAGMA user_version = 3;"
                                  " UPDATE meta SET value = 3"
                                  " WHERE key = 'schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    newsidx_index_close(f->idx);
    f->idx = NULL;
    assert_int_equal(
        newsidx_index_open(&idx, f->path, NEWSIDX_OPEN_READONLY, NULL),
        NEWSIDX_OK);
    assert_int_equal(newsidx_index_schema_version(idx), 3);
    newsidx_index_close(idx);
    assert_int_equal(newsidx_index_open(&f->idx, f->path, 0, NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_schema_version(f->idx),
                     NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(query_int(f->idx, "PRAGMA user_version"),
                     NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(query_int(f->idx, "SELECT value FROM meta"
                                       " WHERE key = 'schema_version'"),
                     NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(query_int(f->idx, "SELECT df FROM terms"
                                       " WHERE term = 'rises'"),
                     1);
    assert_int_equal(terms_mismatches(f->idx), 0);
    add_text(f->idx, "mem:1", "Lugano", "calm");
    assert_int_equal(terms_mismatches(f->idx), 0);
}

static void
test_store__foreign_database_is_refused(void **state)
{
    fixture *f = *state;
    char path[160];
    newsidx_index *idx;
    newsidx_error err;
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/other.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(newsidx_index_open(&idx, path, 0, &err), NEWSIDX_SCHEMA);
    assert_non_null(strstr(err.message, "not a newsidx index"));
}

static void
test_store__rank_keys_order_by_prior(void **state)
{
    nx_item hi, lo, unknown;

    (void)state;
    memset(&hi, 0, sizeof(hi));
    memset(&lo, 0, sizeof(lo));
    memset(&unknown, 0, sizeof(unknown));
    hi.has_quality = hi.has_heat = true;
    hi.quality = 150;
    hi.heat = 300;
    lo.has_quality = lo.has_heat = true;
    lo.quality = 3;
    lo.heat = 0;
    assert_true(nx_prior_level(&hi) > nx_prior_level(&unknown));
    assert_true(nx_prior_level(&unknown) > nx_prior_level(&lo));
    /* Higher prior, lower rowid: FTS5 visits it first in rowid order. */
    assert_true(nx_rank_key(nx_prior_level(&hi), false, 0, 1000) <
                nx_rank_key(nx_prior_level(&lo), false, 0, 1));
    assert_true(nx_rank_key(5, false, 7, 1) < nx_rank_key(5, false, 7, 2));
    assert_true(nx_rank_key(NX_PRIOR_LEVELS - 1, false, 0, 0) >= 0);
    assert_true(nx_rank_key(0, true, NX_RANK_NO_DATE, (int64_t)1 << 40) > 0);
    /* Unpublished items after every published one, same order inside. */
    assert_true(nx_rank_key(0, false, NX_RANK_NO_DATE, 999) <
                nx_rank_key(1023, true, 0, 1));
    assert_true(nx_rank_key(0, false, NX_RANK_NO_DATE, 999) <
                NX_RANK_UNPUBLISHED);
    assert_true(nx_rank_key(0, true, 0, 1) >= NX_RANK_UNPUBLISHED);
    assert_int_equal(nx_rank_key_level(nx_rank_key(777, true, 4095, 5)), 777);
    assert_int_equal(nx_rank_key_level(nx_rank_key(3, false, 0, 5)), 3);
    /* Inside a level: newer months first, undated items last. */
    assert_true(nx_rank_key(9, false, nx_rank_month(true, 1700000000), 5) <
                nx_rank_key(9, false, nx_rank_month(true, 1600000000), 1));
    assert_true(nx_rank_key(9, false, nx_rank_month(true, 0), 5) <
                nx_rank_key(9, false, nx_rank_month(false, 0), 1));
    assert_int_equal(nx_rank_key_month(nx_rank_key(9, true, 1234, 77)), 1234);
    /* Month numbers: UTC calendar months from 1970-01. */
    assert_int_equal(nx_month_of(0), 0);
    assert_int_equal(nx_month_of(-1), -1);            /* 1969-12-31 */
    assert_int_equal(nx_month_of(951868799), 361);    /* 2000-02-29 */
    assert_int_equal(nx_month_of(951868800), 362);    /* 2000-03-01 */
    assert_int_equal(nx_month_of(1704067199), 647);   /* 2023-12-31 */
    assert_int_equal(nx_month_of(1704067200), 648);   /* 2024-01-01 */
    assert_int_equal(nx_month_of(-2208988800), -840); /* 1900-01-01 */
    assert_int_equal(nx_rank_month(true, -2208988800), NX_RANK_MONTH_MAX);
    assert_int_equal(nx_rank_month(true, (int64_t)1 << 40), 0);
}

static void
test_store__add_buffer_survives_allocation_failures(void **state)
{
    fixture *f = *state;
    long n;
    int rc = NEWSIDX_NOMEM;

    for (n = 0; n < 100000 && rc != NEWSIDX_OK; n++) {
        nx_alloc_fail_after(n);
        rc = newsidx_index_add_buffer(f->idx, "mem:oom", item_text,
                                      strlen(item_text), NULL, NULL, NULL);
        nx_alloc_fail_after(-1);
        assert_true(rc == NEWSIDX_OK || rc == NEWSIDX_NOMEM);
        if (rc != NEWSIDX_OK)
            assert_int_equal(query_int(f->idx, "SELECT count(*) FROM files"),
                             0);
    }
    assert_int_equal(rc, NEWSIDX_OK);
    assert_true(n > 5);
    assert_int_equal(query_int(f->idx, "SELECT count(*) FROM items"), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__open_missing_without_create_is_notfound),
        cmocka_unit_test(test_store__readonly_with_create_is_invalid),
        cmocka_unit_test(test_store__rank_keys_order_by_prior),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_store__new_index_is_empty_and_versioned),
        T(test_store__add_buffer_stores_every_part),
        T(test_store__add_buffer_again_replaces),
        T(test_store__add_buffer_rejects_bad_input),
        T(test_store__remove),
        T(test_store__readonly_handle_refuses_writes),
        T(test_store__other_schema_version_is_refused_or_rebuilt),
        T(test_store__foreign_database_is_refused),
        T(test_store__terms_count_the_rows_of_each_token),
        T(test_store__schema_3_is_read_as_is_and_upgraded_by_a_writer),
        T(test_store__add_buffer_survives_allocation_failures),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
