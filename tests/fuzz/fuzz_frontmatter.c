/*
 * fuzz_frontmatter.c - nx_frontmatter_parse on any bytes.
 *
 * Invariants: the status is OK, NOTFOUND, PARSE or NOMEM; on OK there is
 * an item, on failure none; every string of an item is valid UTF-8 and
 * every *_json field is valid JSON (checked by SQLite's json_valid); the
 * error message is valid UTF-8.  ASan/UBSan catch the rest.
 */
#include <string.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "write.h"

static sqlite3_stmt *json_valid_stmt;

static void
check_text(const char *s)
{
    if (s != NULL)
        NX_FUZZ_CHECK(nx_utf8_valid(s, strlen(s)));
}

static void
check_json(const char *s)
{
    if (s == NULL)
        return;
    check_text(s);
    if (json_valid_stmt == NULL) {
        sqlite3 *db;
        NX_FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
        NX_FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT json_valid(?)", -1,
                                         &json_valid_stmt, NULL) == SQLITE_OK);
        /* db and the statement live as long as the process. */
    }
    sqlite3_bind_text(json_valid_stmt, 1, s, -1, SQLITE_STATIC);
    NX_FUZZ_CHECK(sqlite3_step(json_valid_stmt) == SQLITE_ROW);
    int ok = sqlite3_column_int(json_valid_stmt, 0);
    sqlite3_reset(json_valid_stmt);
    if (!ok)
        fprintf(stderr, "not JSON: %s\n", s);
    NX_FUZZ_CHECK(ok);
}

static void
check_item(const nx_item *it)
{
    check_text(it->category);
    check_text(it->title);
    check_text(it->excerpt);
    check_text(it->type);
    check_text(it->web_url);
    check_text(it->original_url);
    check_text(it->amp_url);
    check_text(it->cdn_amp_url);
    check_text(it->secured);
    check_text(it->provider_name);
    check_text(it->provider_domain);
    check_json(it->provider_images_json);
    check_json(it->images_json);
    check_json(it->extra_json);
    check_text(it->body);
    NX_FUZZ_CHECK(it->published >= -1 && it->published <= 1);
    NX_FUZZ_CHECK(it->n_topics == 0 || it->topics != NULL);
    for (size_t i = 0; i < it->n_topics; i++) {
        NX_FUZZ_CHECK(it->topics[i] != NULL);
        check_text(it->topics[i]);
    }
    NX_FUZZ_CHECK(it->n_related == 0 || it->related != NULL);
    for (size_t i = 0; i < it->n_related; i++) {
        const nx_related *r = &it->related[i];
        check_text(r->title);
        check_text(r->excerpt);
        check_text(r->url);
        check_text(r->amp_url);
        check_text(r->cdn_amp_url);
        check_text(r->type);
        check_text(r->provider_name);
        check_text(r->provider_domain);
        check_json(r->images_json);
        check_json(r->extra_json);
    }
    NX_FUZZ_CHECK(it->n_warnings == 0 || it->warnings != NULL);
    for (size_t i = 0; i < it->n_warnings; i++) {
        check_text(it->warnings[i].field);
        NX_FUZZ_CHECK(it->warnings[i].message != NULL);
        check_text(it->warnings[i].message);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nx_item *item = (nx_item *)&item; /* must be overwritten */
    nx_parse_pos pos = {0, 0};
    newsidx_error err;
    memset(&err, 0, sizeof err);

    int rc = nx_frontmatter_parse(&item, (const char *)data, size, &pos, &err);
    NX_FUZZ_CHECK(rc == NEWSIDX_OK || rc == NEWSIDX_NOTFOUND ||
                  rc == NEWSIDX_PARSE || rc == NEWSIDX_NOMEM);
    if (rc == NEWSIDX_OK) {
        NX_FUZZ_CHECK(item != NULL);
        check_item(item);
    } else {
        NX_FUZZ_CHECK(item == NULL);
        NX_FUZZ_CHECK(err.code == rc);
        NX_FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        check_text(err.message);
    }
    nx_item_free(item);
    return 0;
}
