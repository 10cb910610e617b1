/*
 * test_store.c - the index file: creating and opening it, writing and
 * replacing items, removing them, schema versions, URL keys, prior
 * levels and the docinfo blocks.
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

#include "fixture.h"
#include "write.h"

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
        sqlite3_exec(f->idx->db, "PRAGMA user_version = 99", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(newsidx_index_open(&idx, f->path, 0, &err),
                     NEWSIDX_SCHEMA);
    assert_non_null(strstr(err.message, "schema version 99"));
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
test_store__other_schema_is_refused_until_rebuilt(void **state)
{
    fixture *f = *state;
    newsidx_index *idx;
    newsidx_error err;
    int64_t n = -1;

    add_text(f->idx, "mem:1", "Zürich rises", "rises again");
    assert_int_equal(
        sqlite3_exec(f->idx->db, "PRAGMA user_version = 4", NULL, NULL, NULL),
        SQLITE_OK);
    newsidx_index_close(f->idx);
    f->idx = NULL;
    assert_int_equal(newsidx_index_open(&idx, f->path, 0, &err),
                     NEWSIDX_SCHEMA);
    assert_non_null(strstr(err.message, "schema version 4"));
    assert_non_null(strstr(err.message, "make it anew: newsindex --rebuild"));
    assert_int_equal(
        newsidx_index_open(&idx, f->path, NEWSIDX_OPEN_READONLY, &err),
        NEWSIDX_SCHEMA);
    assert_int_equal(
        newsidx_index_open(&f->idx, f->path, NEWSIDX_OPEN_REBUILD, NULL),
        NEWSIDX_OK);
    assert_int_equal(newsidx_index_schema_version(f->idx),
                     NEWSIDX_SCHEMA_VERSION);
    assert_int_equal(newsidx_index_count(&n, f->idx, NULL), NEWSIDX_OK);
    assert_int_equal(n, 0);
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
test_store__prior_levels_order_by_quality_and_heat(void **state)
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
    assert_int_equal(nx_prior_level(&unknown), 512);
    hi.quality = 100000;
    hi.heat = 100000;
    assert_int_equal(nx_prior_level(&hi), NX_PRIOR_LEVELS - 1);
}

/* The varints of an fts_docsize blob: the token count of each column. */
static void
docsize_cols(const unsigned char *p, int n, uint32_t *cols, int n_cols)
{
    int c = 0, i = 0;

    memset(cols, 0, (size_t)n_cols * sizeof(*cols));
    while (i < n && c < n_cols) {
        uint32_t v = 0;

        while (i < n && (p[i] & 0x80))
            v = (v << 7) | (p[i++] & 0x7f);
        if (i < n)
            v = (v << 7) | p[i++];
        cols[c++] = v;
    }
}

/* docinfo holds, for every item, its level, flags, quality, heat, date,
 * provider, the hashes of its URL key and normalized title, and the token
 * counts FTS5 keeps in fts_docsize; removed items leave an empty slot. */
static void
test_store__docinfo_matches_items(void **state)
{
    fixture *f = *state;
    sqlite3_stmt *stmt;
    static char long_item[200000];
    size_t i, n_checked = 0, len;

    /* A title of 70000 words: more tokens than a u16 holds. */
    len = (size_t)snprintf(long_item, sizeof(long_item), "---\ntitle: \"");
    for (i = 0; i < 140000; i++)
        long_item[len++] = i % 2 ? ' ' : 'w';
    len += (size_t)snprintf(long_item + len, sizeof(long_item) - len,
                            "\"\nexcerpt: many words\n---\n");
    add_text(f->idx, "mem:1", "Zürich rises", "rises again");
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:2", item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:3", long_item, len,
                                              NULL, NULL, NULL),
                     NEWSIDX_OK);
    add_text(f->idx, "mem:4", "Gone soon", "removed below");
    assert_int_equal(newsidx_index_remove(f->idx, "mem:4", NULL), NEWSIDX_OK);
    assert_int_equal(sqlite3_prepare_v2(
                         f->idx->db,
                         "SELECT f.id, i.id, i.level, i.published,"
                         " i.published_at, i.quality, i.heat, d.sz,"
                         " (SELECT data FROM docinfo WHERE block = f.id >> ?1),"
                         " i.provider_id, i.url_key,"
                         " (SELECT title FROM fts WHERE rowid = f.id)"
                         " FROM files f LEFT JOIN items i ON i.id = f.id"
                         " LEFT JOIN fts_docsize d ON d.id = f.id",
                         -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int(stmt, 1, NX_DOCINFO_SHIFT);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        unsigned slot = (unsigned)(id & (NX_DOCINFO_SLOTS - 1));
        const unsigned char *data = sqlite3_column_blob(stmt, 8);
        uint32_t cols[4];
        unsigned flags;
        int c;

        assert_non_null(data);
        assert_int_equal(sqlite3_column_bytes(stmt, 8), NX_DOCINFO_BYTES);
        flags = data[NX_DOCINFO_FLAGS_OFF + slot];
        if (sqlite3_column_type(stmt, 1) == SQLITE_NULL) {
            assert_int_equal(flags, 0);
            continue;
        }
        assert_true(flags & NX_DOC_PRESENT);
        assert_int_equal(nx_docinfo_u16(data + NX_DOCINFO_LEVEL_OFF + 2 * slot),
                         sqlite3_column_int(stmt, 2));
        assert_int_equal((flags & NX_DOC_UNPUBLISHED) != 0,
                         sqlite3_column_type(stmt, 3) != SQLITE_NULL &&
                             sqlite3_column_int(stmt, 3) == 0);
        assert_int_equal((flags & NX_DOC_HAS_DATE) != 0,
                         sqlite3_column_type(stmt, 4) != SQLITE_NULL);
        if (flags & NX_DOC_HAS_DATE)
            assert_int_equal(
                (int64_t)nx_docinfo_u64(data + NX_DOCINFO_DATE_OFF + 8 * slot),
                sqlite3_column_int64(stmt, 4));
        assert_int_equal((flags & NX_DOC_HAS_QUALITY) != 0,
                         sqlite3_column_type(stmt, 5) != SQLITE_NULL);
        if (flags & NX_DOC_HAS_QUALITY)
            assert_int_equal((int32_t)nx_docinfo_u32(
                                 data + NX_DOCINFO_QUALITY_OFF + 4 * slot),
                             sqlite3_column_int64(stmt, 5));
        assert_int_equal((flags & NX_DOC_HAS_HEAT) != 0,
                         sqlite3_column_type(stmt, 6) != SQLITE_NULL);
        /* The provider and the hashes of the collapse keys: the URL key
         * and the normalized title (the fts table's title column). */
        assert_int_equal(
            nx_docinfo_u32(data + NX_DOCINFO_PROVIDER_OFF + 4 * slot),
            sqlite3_column_int64(stmt, 9));
        assert_int_equal((flags & NX_DOC_HAS_URL_KEY) != 0,
                         sqlite3_column_bytes(stmt, 10) > 0);
        if (flags & NX_DOC_HAS_URL_KEY)
            assert_int_equal(
                nx_docinfo_u64(data + NX_DOCINFO_URL_OFF + 8 * slot),
                nx_hash64(sqlite3_column_text(stmt, 10),
                          (size_t)sqlite3_column_bytes(stmt, 10)));
        assert_int_equal((flags & NX_DOC_HAS_TITLE_KEY) != 0,
                         sqlite3_column_bytes(stmt, 11) > 0);
        if (flags & NX_DOC_HAS_TITLE_KEY)
            assert_int_equal(
                nx_docinfo_u64(data + NX_DOCINFO_TITLE_OFF + 8 * slot),
                nx_hash64(sqlite3_column_text(stmt, 11),
                          (size_t)sqlite3_column_bytes(stmt, 11)));
        docsize_cols(sqlite3_column_blob(stmt, 7),
                     sqlite3_column_bytes(stmt, 7), cols, 4);
        for (c = 0; c < 3; c++) {
            unsigned n_tok =
                nx_docinfo_u16(data + NX_DOCINFO_LEN_OFF(c) + 2 * slot);

            if (cols[c] >= NX_DOCINFO_LEN_BIG)
                assert_int_equal(n_tok, NX_DOCINFO_LEN_BIG);
            else
                assert_int_equal(n_tok, cols[c]);
        }
        n_checked++;
    }
    sqlite3_finalize(stmt);
    assert_int_equal(n_checked, 3);
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

static void
test_store__weights_check(void **state)
{
    static const char *const good[] = {"", "title=12,prior=0.2",
                                       "excerpt=0,body=1000,quality=1,heat=0.5",
                                       "form=1,fresh=36500", "title=1,title=2"};
    static const char *const bad[] = {
        "titel=3",   "title",        "title=",
        "title=-1",  "title=.5",     "title=1.",
        "title=1e3", "title=1001",   "prior=0.95",
        "form=1.5",  "fresh=40000",  "title=1,",
        ",title=1",  "title=1,,x=2", "title=1, excerpt=2",
        "title=nan"};
    newsidx_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(newsidx_weights_check(good[i], &err), NEWSIDX_OK);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(newsidx_weights_check(bad[i], &err), NEWSIDX_INVALID);
        assert_int_equal(err.code, NEWSIDX_INVALID);
    }
    newsidx_weights_check("heat=1,prior=2", &err);
    assert_string_equal(
        err.message, "ranking weight 'prior=2' needs a number from 0 to 0.9");
}

static void
test_store__set_weights_stores_and_removes(void **state)
{
    fixture *f = *state;
    newsidx_error err;

    assert_int_equal(newsidx_index_set_weights(f->idx, "title=12", &err),
                     NEWSIDX_OK);
    assert_string_equal(
        query_text(f->idx, "SELECT value FROM meta WHERE key = 'weights'"),
        "title=12");
    /* A bad one writes nothing. */
    assert_int_equal(newsidx_index_set_weights(f->idx, "title=x", &err),
                     NEWSIDX_INVALID);
    assert_string_equal(
        query_text(f->idx, "SELECT value FROM meta WHERE key = 'weights'"),
        "title=12");
    assert_int_equal(newsidx_index_set_weights(f->idx, "", &err), NEWSIDX_OK);
    assert_int_equal(
        query_int(f->idx, "SELECT count(*) FROM meta WHERE key = 'weights'"),
        0);
}

static void
on_stored_warning(unsigned line, unsigned column, const char *field,
                  const char *message, void *payload)
{
    char *out = payload;

    snprintf(out + strlen(out), 256 - strlen(out), "%u:%u:%s:%s;", line, column,
             field ? field : "-", message ? message : "-");
}

static void
test_store__item_warnings_are_read_back(void **state)
{
    static const char text[] = "---\ntitle: t\nquality: high\nheat: hot\n---\n";
    fixture *f = *state;
    char got[256] = "";
    size_t n = 99;
    int64_t id;
    bool has = false;

    assert_int_equal(newsidx_index_add_buffer(f->idx, "mem:w", text,
                                              strlen(text), NULL, NULL, NULL),
                     NEWSIDX_OK);
    id = query_int(f->idx, "SELECT id FROM files WHERE path = 'mem:w'");
    assert_int_equal(nx_store_item_exists(&has, f->idx, id, NULL), NEWSIDX_OK);
    assert_true(has);
    assert_int_equal(nx_store_item_exists(&has, f->idx, id + 1, NULL),
                     NEWSIDX_OK);
    assert_false(has);
    assert_int_equal(
        nx_store_item_warnings(&n, f->idx, id, on_stored_warning, got, NULL),
        NEWSIDX_OK);
    assert_int_equal(n, 2);
    assert_string_equal(got, "3:10:quality:expected a whole number, got 'high';"
                             "4:7:heat:expected a whole number, got 'hot';");
    /* Stored JSON out of shape gives no warning and no error. */
    assert_int_equal(sqlite3_exec(f->idx->db,
                                  "UPDATE items SET warnings = '[1, {\"line\":"
                                  " \"x\"}, ' WHERE id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(nx_store_item_warnings(&n, f->idx, id, NULL, NULL, NULL),
                     NEWSIDX_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sqlite3_exec(f->idx->db,
                                  "UPDATE items SET warnings = '[1, {\"line\":"
                                  " \"x\", \"message\": 7}]' WHERE id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    got[0] = '\0';
    assert_int_equal(
        nx_store_item_warnings(&n, f->idx, id, on_stored_warning, got, NULL),
        NEWSIDX_OK);
    assert_int_equal(n, 1);
    assert_string_equal(got, "0:0:-:-;");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__open_missing_without_create_is_notfound),
        cmocka_unit_test(test_store__readonly_with_create_is_invalid),
        cmocka_unit_test(test_store__prior_levels_order_by_quality_and_heat),
        cmocka_unit_test(test_store__weights_check),
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
        T(test_store__other_schema_is_refused_until_rebuilt),
        T(test_store__docinfo_matches_items),
        T(test_store__add_buffer_survives_allocation_failures),
        T(test_store__set_weights_stores_and_removes),
        T(test_store__item_warnings_are_read_back),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
