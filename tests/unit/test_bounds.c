/*
 * test_bounds.c - the block bounds (bounds.c): every frequent token has
 * them, and each is at least what the token adds to the default score of
 * every item of its block, worked out here from FTS5's own data (the
 * positions of fts5vocab, the lengths of fts_docsize) whatever the order
 * of additions, replacements and removals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "query.h"

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-bounds-XXXXXX");
}

static unsigned seed = 99;

static unsigned
next_rand(void)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
}

static void
words(char *out, size_t size, int n)
{
    static const char *const vocab[] = {"alpha", "beta",  "gamma", "delta",
                                        "omega", "sigma", "tau",   "zeta"};
    size_t len = 0;
    int i;

    out[0] = '\0';
    for (i = 0; i < n && len + 16 < size; i++) {
        unsigned r = next_rand() % 16;

        len += (size_t)snprintf(out + len, size - len, "%s ",
                                vocab[r < 6    ? 0
                                      : r < 10 ? 1
                                               : r - 8]);
    }
}

static void
put(fixture *f, int i)
{
    char text[4096], t[256], e[1024], name[32];

    words(t, sizeof(t), 1 + (int)(next_rand() % 7));
    words(e, sizeof(e), (int)(next_rand() % 30));
    snprintf(name, sizeof(name), "mem:%d", i);
    snprintf(text, sizeof(text),
             "---\ntitle: \"%s\"\nexcerpt: \"%s\"\nquality: %u\nheat: %u\n"
             "---\n%s\n",
             t, e, next_rand() % 180, next_rand() % 320,
             next_rand() % 4 == 0 ? "alpha body text" : "");
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, NULL),
                     NEWSIDX_OK);
}

static uint16_t
stored(fixture *f, const char *term, int64_t block)
{
    sqlite3_stmt *stmt;
    uint16_t v = 0;

    assert_int_equal(sqlite3_prepare_v2(f->idx->db,
                                        "SELECT data FROM bounds WHERE"
                                        " term = ?1 AND chunk = ?2",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(stmt, 1, term, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, block / NX_BOUND_CHUNK);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = (uint16_t)nx_docinfo_u16(
            (const unsigned char *)sqlite3_column_blob(stmt, 0) +
            2 * (block % NX_BOUND_CHUNK));
    sqlite3_finalize(stmt);
    return v;
}

/* Every (item, token) of the index: the stored bound of the token in the
 * item's block is at least the token's default score in the item. */
static size_t
check(fixture *f)
{
    sqlite3_stmt *stmt;
    double avg[3];
    bool has;
    size_t n = 0;

    assert_int_equal(nx_bounds_avg(f->idx, avg, &has), SQLITE_OK);
    assert_true(has);
    assert_int_equal(
        sqlite3_exec(f->idx->db,
                     "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vi USING"
                     " fts5vocab(main, 'fts', 'instance')",
                     NULL, NULL, NULL),
        SQLITE_OK);
    /* Per item and token: tf per column, the item's lengths and level. */
    assert_int_equal(
        sqlite3_prepare_v2(
            f->idx->db,
            "SELECT v.term, v.doc, sum(v.col = 'title'),"
            " sum(v.col = 'excerpt'), sum(v.col = 'body'), i.level,"
            " (SELECT df FROM terms WHERE term = v.term), d.sz"
            " FROM vi v JOIN items i ON i.id = v.doc"
            " JOIN fts_docsize d ON d.id = v.doc"
            " WHERE v.col <> 'tags' GROUP BY v.term, v.doc",
            -1, &stmt, NULL),
        SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(stmt, 0);
        int64_t id = sqlite3_column_int64(stmt, 1);
        const unsigned char *sz = sqlite3_column_blob(stmt, 7);
        int nsz = sqlite3_column_bytes(stmt, 7), c, i = 0;
        uint32_t tf[3], len[3] = {0, 0, 0};

        if (sqlite3_column_int64(stmt, 6) < f->idx->bound_min_df)
            continue;
        for (c = 0; c < 3; c++)
            tf[c] = (uint32_t)sqlite3_column_int(stmt, 2 + c);
        for (c = 0; c < 3 && i < nsz; c++) {
            while (i < nsz && (sz[i] & 0x80))
                len[c] = (len[c] << 7) | (sz[i++] & 0x7f);
            if (i < nsz)
                len[c] = (len[c] << 7) | sz[i++];
        }
        /* The bound's formula (docs/ranking.md), worked out here. */
        {
            static const double wref[3] = {10, 4, 1};
            double v = 0;
            int level = sqlite3_column_int(stmt, 5);

            for (c = 0; c < 3; c++) {
                if (tf[c] > 0)
                    v += wref[c] * nx_rank_sat(tf[c], len[c], avg[c]);
            }
            v *= 1.0 + 0.3 * (2.0 * level / 1023.0 - 1.0);
            assert_true(stored(f, term, id >> NX_BOUND_SHIFT) >=
                        1000.0 * v * (1 - 1e-12));
        }
        n++;
    }
    sqlite3_finalize(stmt);
    return n;
}

static void
test_bounds__cover_every_item_of_every_block(void **state)
{
    fixture *f = *state;
    int i;

    f->idx->bound_min_df = 8;
    /* Items one transaction each, ids spread over many bound blocks. */
    for (i = 0; i < 600; i++) {
        put(f, i);
        if (i % 5 == 0) {
            char sql[200];

            snprintf(sql, sizeof(sql),
                     "INSERT INTO files(id, path, size, mtime_ns, hash, status,"
                     " indexed_at) VALUES((SELECT max(id) FROM files) + %u,"
                     " 'gap%d', 0, 0, 0, 1, 0)",
                     1 + next_rand() % 200, i);
            assert_int_equal(sqlite3_exec(f->idx->db, sql, NULL, NULL, NULL),
                             SQLITE_OK);
        }
    }
    assert_true(check(f) > 1000);
    /* Replacements (new bounds, old ones left) and removals. */
    for (i = 0; i < 600; i += 7) {
        char name[32];

        snprintf(name, sizeof(name), "mem:%d", i);
        if (i % 2)
            assert_int_equal(newsidx_index_remove(f->idx, name, NULL),
                             NEWSIDX_OK);
        else
            put(f, i);
    }
    assert_true(check(f) > 1000);
}

/* Bounds are written in big transactions too (newsidx_index_paths), where
 * tokens become frequent in the middle of a batch. */
static void
index_in_batches(fixture *f)
{
    newsidx_index_options opts = NEWSIDX_INDEX_OPTIONS_INIT;
    newsidx_index_stats stats = NEWSIDX_INDEX_STATS_INIT;
    const char *paths[1];
    char dir[128], path[200], t[256], e[1024];
    int i;

    f->idx->bound_min_df = 40;
    snprintf(dir, sizeof(dir), "%s/items", f->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    for (i = 0; i < 900; i++) {
        FILE *fp;

        snprintf(path, sizeof(path), "%s/%04d.md", dir, i);
        fp = fopen(path, "w");
        assert_non_null(fp);
        words(t, sizeof(t), 1 + (int)(next_rand() % 7));
        words(e, sizeof(e), (int)(next_rand() % 30));
        fprintf(fp, "---\ntitle: \"%s\"\nexcerpt: \"%s\"\nquality: %u\n---\n",
                t, e, next_rand() % 180);
        fclose(fp);
    }
    paths[0] = dir;
    opts.batch_size = 250;
    assert_int_equal(newsidx_index_paths(&stats, f->idx, paths, 1, &opts, NULL),
                     NEWSIDX_OK);
    assert_int_equal(stats.added, 900);
}

static void
test_bounds__cover_items_indexed_in_batches(void **state)
{
    fixture *f = *state;

    index_in_batches(f);
    assert_true(check(f) > 1000);
}

/* Without the fts reader (another FTS5 format), the averages are the
 * indexer's own and tokens that become frequent get their bounds through
 * fts5vocab: bounds still, for a reader that comes back. */
static void
test_bounds__cover_items_indexed_without_the_fts_reader(void **state)
{
    fixture *f = *state;
    const char *was = getenv("NEWSIDX_FTS5_READER");
    char *keep = was != NULL ? strdup(was) : NULL;
    sqlite3_stmt *stmt;

    assert_int_equal(setenv("NEWSIDX_FTS5_READER", "off", 1), 0);
    index_in_batches(f);
    for (int i = 0; i < 600; i++)
        put(f, 1000 + i); /* a transaction each */
    if (keep != NULL)
        setenv("NEWSIDX_FTS5_READER", keep, 1);
    else
        unsetenv("NEWSIDX_FTS5_READER");
    free(keep);
    assert_true(check(f) > 2000);
    /* The frequent tokens have rows. */
    assert_int_equal(sqlite3_prepare_v2(
                         f->idx->db, "SELECT count(DISTINCT term) FROM bounds",
                         -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_true(sqlite3_column_int(stmt, 0) >= 6);
    sqlite3_finalize(stmt);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_bounds__cover_every_item_of_every_block),
        T(test_bounds__cover_items_indexed_in_batches),
        T(test_bounds__cover_items_indexed_without_the_fts_reader),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
