/*
 * schema.c - the tables of an index file, version NEWSIDX_SCHEMA_VERSION.
 *
 * The layout is documented for outside readers in docs/schema.md; keep the
 * two in step.  Any change to a table or to the meaning of a column bumps
 * NEWSIDX_SCHEMA_VERSION.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "format.h"

/* Default BM25 weights of the fts columns (title, excerpt, body, tags),
 * stored as the table's persistent `rank` so that `ORDER BY rank` uses
 * them even from a stock sqlite3 shell.  Tags never count. */
#define SCHEMA_DEFAULT_RANK "bm25(10.0, 4.0, 1.0, 0.0)"

static const char schema_sql[] =
    "CREATE TABLE meta("
    "  key TEXT PRIMARY KEY,"
    "  value ANY"
    ") STRICT;"
    "CREATE TABLE files("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL,"
    "  hash INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  message TEXT,"
    "  line INTEGER,"
    "  col INTEGER,"
    "  indexed_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE providers("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  images TEXT,"
    "  UNIQUE(name, domain)"
    ");"
    "CREATE INDEX providers_key ON providers(key);"
    "CREATE INDEX providers_domain ON providers(domain);"
    "CREATE TABLE topics("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  key TEXT NOT NULL"
    ");"
    "CREATE INDEX topics_key ON topics(key);"
    "CREATE TABLE items("
    "  id INTEGER PRIMARY KEY,"
    "  category TEXT,"
    "  title TEXT,"
    "  excerpt TEXT,"
    "  type TEXT,"
    "  web_url TEXT,"
    "  url_key TEXT,"
    "  original_url TEXT,"
    "  amp_url TEXT,"
    "  cdn_amp_url TEXT,"
    "  published_at INTEGER,"
    "  quality INTEGER,"
    "  heat INTEGER,"
    "  published INTEGER,"
    "  level INTEGER NOT NULL,"
    "  provider_id INTEGER REFERENCES providers(id),"
    "  images TEXT,"
    "  secured TEXT,"
    "  extra TEXT,"
    "  body TEXT,"
    "  warnings TEXT"
    ");"
    "CREATE INDEX items_url_key ON items(url_key) WHERE url_key <> '';"
    "CREATE TABLE item_topics("
    "  item_id INTEGER NOT NULL,"
    "  ord INTEGER NOT NULL,"
    "  topic_id INTEGER NOT NULL,"
    "  PRIMARY KEY(item_id, ord)"
    ") WITHOUT ROWID;"
    "CREATE TABLE related("
    "  item_id INTEGER NOT NULL,"
    "  ord INTEGER NOT NULL,"
    "  title TEXT,"
    "  excerpt TEXT,"
    "  published_at INTEGER,"
    "  url TEXT,"
    "  url_key TEXT,"
    "  amp_url TEXT,"
    "  cdn_amp_url TEXT,"
    "  type TEXT,"
    "  provider_name TEXT,"
    "  provider_domain TEXT,"
    "  quality INTEGER,"
    "  images TEXT,"
    "  extra TEXT,"
    "  PRIMARY KEY(item_id, ord)"
    ") WITHOUT ROWID;"
    /* Rows of the fts table holding each token (terms.c keeps it). */
    "CREATE TABLE terms("
    "  term TEXT PRIMARY KEY,"
    "  df INTEGER NOT NULL,"
    "  stem TEXT"
    ") WITHOUT ROWID;"
    /* A word's other forms, by their stem (stem.c); NULL when a token is
     * its own stem. */
    "CREATE INDEX terms_stem ON terms(stem) WHERE stem IS NOT NULL;"
    /* What the engine scores and filters with, per item, in blocks of
     * NX_DOCINFO_SLOTS item ids (docinfo.c has the layout). */
    "CREATE TABLE docinfo("
    "  block INTEGER PRIMARY KEY,"
    "  data BLOB NOT NULL"
    ");"
    /* The items of each normalized title, by the hash docinfo holds of
     * it: the copies of a story that share a title are one lookup away
     * (query/search.c).  The URL key has items_url_key. */
    "CREATE TABLE title_keys("
    "  hash INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  PRIMARY KEY(hash, id)"
    ") WITHOUT ROWID;"
    /* Per frequent token and docinfo block, a bound of what the token
     * adds to an item's default score (bounds.c). */
    "CREATE TABLE bounds("
    "  term TEXT NOT NULL,"
    "  chunk INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY(term, chunk)"
    ") WITHOUT ROWID;"
    /* title/excerpt/body hold normalized text (nx_normalize); tags holds
     * the item's filter tokens (docs/schema.md).  The rowid is items.id. */
    "CREATE VIRTUAL TABLE fts USING fts5("
    "  title, excerpt, body, tags,"
    "  tokenize = 'unicode61 remove_diacritics 2 categories "
    "''" NX_TOKEN_CATEGORIES "'''"
    ");"
    "INSERT INTO fts(fts, rank) VALUES('rank', '" SCHEMA_DEFAULT_RANK "');"
    /* Read-only conveniences for people using the sqlite3 shell. */
    "CREATE VIEW news AS"
    "  SELECT i.id, f.path, i.title, i.excerpt, i.web_url AS url,"
    "    strftime('%Y-%m-%dT%H:%M:%SZ', i.published_at, 'unixepoch')"
    "      AS published_at,"
    "    p.name AS provider, p.domain AS provider_domain,"
    "    i.quality, i.heat, i.published, i.type, i.category"
    "  FROM items i JOIN files f ON f.id = i.id"
    "  LEFT JOIN providers p ON p.id = i.provider_id;"
    "CREATE VIEW related_resolved AS"
    "  SELECT r.*, (SELECT min(t.id) FROM items t"
    "               WHERE t.url_key = r.url_key AND t.url_key <> '')"
    "    AS target_id"
    "  FROM related r;";

int
nx_schema_create(newsidx_index *idx, newsidx_error *err)
{
    sqlite3 *db = idx->db;
    char sql[512];
    int rc;

    rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO meta VALUES('schema_version', %d),"
                 "('created_by', 'newsidx %s'),"
                 "('rank', '%s'),"
                 "('stem_language', '" NX_STEM_DEFAULT "');"
                 "INSERT INTO fts(fts, rank) VALUES('hashsize', 33554432);"
                 "PRAGMA application_id = %d;"
                 "PRAGMA user_version = %d;",
                 NEWSIDX_SCHEMA_VERSION, NEWSIDX_VERSION_STRING,
                 SCHEMA_DEFAULT_RANK, NX_APPLICATION_ID,
                 NEWSIDX_SCHEMA_VERSION);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(idx, rc, "cannot create the index tables", err);
}

int
nx_schema_drop(newsidx_index *idx, newsidx_error *err)
{
    static const char *const kinds[] = {"view", "table"};
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    nx_buf sql = NX_BUF_INIT;
    size_t k;
    int rc = SQLITE_OK;

    for (k = 0; k < 2 && rc == SQLITE_OK; k++) {
        rc = sqlite3_prepare_v2(db,
                                "SELECT name FROM sqlite_schema WHERE type=?1"
                                " AND name NOT LIKE 'sqlite_%'"
                                " AND name NOT LIKE 'fts_%'",
                                -1, &stmt, NULL);
        if (rc == SQLITE_OK)
            sqlite3_bind_text(stmt, 1, kinds[k], -1, SQLITE_STATIC);
        while (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            nx_buf_printf(&sql, "DROP %s IF EXISTS \"%s\";", kinds[k],
                          (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    if (nx_buf_oom(&sql))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (rc == SQLITE_OK && sql.data != NULL)
        rc = sqlite3_exec(db, sql.data, NULL, NULL, NULL);
    nx_buf_free(&sql);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA user_version = 0;", NULL, NULL, NULL);
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(idx, rc, "cannot drop the old index", err);
}
