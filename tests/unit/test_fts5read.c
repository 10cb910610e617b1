/*
 * test_fts5read.c - the reader of FTS5's index format against FTS5 itself:
 * every term's rows and positions as fts5vocab's `instance` table lists
 * them, on indexes built to stress the format (many segments, tiny pages
 * so that doclists and position lists run over several of them, deletes,
 * rows replaced in the same and in later transactions), and seeks.
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

#include "query.h"

typedef struct db_fixture {
    char path[64];
    sqlite3 *db;
} db_fixture;

static int
setup(void **state)
{
    db_fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->path, sizeof(f->path), "/tmp/nx-fr-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(f->db,
                     "CREATE VIRTUAL TABLE fts USING fts5(title, excerpt,"
                     " body, tags, tokenize = 'unicode61 remove_diacritics 2');"
                     "CREATE VIRTUAL TABLE temp.vi USING"
                     " fts5vocab(main, 'fts', 'instance');"
                     "CREATE VIRTUAL TABLE temp.vr USING"
                     " fts5vocab(main, 'fts', 'row');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    db_fixture *f = *state;

    sqlite3_close(f->db);
    unlink(f->path);
    free(f);
    return 0;
}

static void
exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static unsigned rng = 1;

static unsigned
next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) & 0x7fff;
}

/* A text of `n` words drawn from a small vocabulary, the first words far
 * more often than the rest. */
static void
words(char *out, size_t size, int n)
{
    static const char *const vocab[] = {
        "the",  "robot", "vision", "cafe",   "zurich", "chip",   "cloud",
        "data", "court", "policy", "market", "quokka", "walrus", "xylo",
        "αβγ",  "日",    "本",     "naïve",  "über",   "x1",     "x2"};
    size_t len = 0;
    int i;

    out[0] = '\0';
    for (i = 0; i < n && len + 16 < size; i++) {
        unsigned r = next_rand() % 100;
        unsigned k = r < 40 ? r % 3 : r < 80 ? 3 + r % 8 : 11 + r % 10;

        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
                                vocab[k]);
    }
}

/* Insert or replace row `rowid` with random texts. */
static void
put_row(sqlite3 *db, int64_t rowid, int long_words)
{
    static char t[256], e[1024], b[65536];
    sqlite3_stmt *stmt;

    words(t, sizeof(t), 1 + (int)(next_rand() % 8));
    words(e, sizeof(e), (int)(next_rand() % 40));
    if (long_words > 0) {
        size_t len = 0;
        int i;

        for (i = 0; i < long_words && len + 8 < sizeof(b); i++)
            len += (size_t)snprintf(b + len, sizeof(b) - len, "walrus ");
    } else {
        words(b, sizeof(b), (int)(next_rand() % 4));
    }
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT OR REPLACE INTO fts(rowid,"
                                        " title, excerpt, body, tags)"
                                        " VALUES(?, ?, ?, ?, ?)",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, rowid);
    sqlite3_bind_text(stmt, 2, t, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, e, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, b, -1, SQLITE_STATIC);
    if (next_rand() % 3 == 0)
        sqlite3_bind_text(stmt, 5, "\xee\x80\x80t1 \xee\x80\x80p2", -1,
                          SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
}

static int
col_index(const char *name)
{
    static const char *const cols[] = {"title", "excerpt", "body", "tags"};
    int i;

    for (i = 0; i < 4; i++) {
        if (strcmp(name, cols[i]) == 0)
            return i;
    }
    fail_msg("unknown column %s", name);
    return -1;
}

/* Every (rowid, column, offset) of `term`, from FTS5, into out[]. */
static size_t
expected(sqlite3 *db, const char *term, int64_t (*out)[3], size_t cap)
{
    sqlite3_stmt *stmt;
    size_t n = 0;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT doc, col, offset FROM vi"
                                        " WHERE term = ?",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(stmt, 1, term, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        assert_true(n < cap);
        out[n][0] = sqlite3_column_int64(stmt, 0);
        out[n][1] = col_index((const char *)sqlite3_column_text(stmt, 1));
        out[n][2] = sqlite3_column_int64(stmt, 2);
        n++;
    }
    sqlite3_finalize(stmt);
    return n;
}

#define MAX_INSTANCES 400000

/* The index of the first instance of want[0..n) at rowid `target` or
 * after (n when none). */
static size_t
first_at(int64_t (*want)[3], size_t n, int64_t target)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (want[mid][0] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Rewinds to random rows, back and forward, each followed by a few steps,
 * against FTS5's rows (want: its instances, in rowid order). */
static void
check_rewinds(nx_fr *r, const char *term, int64_t (*want)[3], size_t n_want)
{
    int64_t last = want[n_want - 1][0];
    nx_fr_term *t;
    int k, step;

    assert_int_equal(nx_fr_term_open(&t, r, term, strlen(term)), SQLITE_OK);
    for (k = 0; k < 12; k++) {
        int64_t target = (int64_t)(next_rand() % (unsigned)(last + 8));
        size_t j = first_at(want, n_want, target);

        assert_int_equal(nx_fr_term_rewind(t, target), SQLITE_OK);
        for (step = 0; step < 3; step++) {
            if (j == n_want) {
                assert_true(nx_fr_term_eof(t));
                break;
            }
            assert_false(nx_fr_term_eof(t));
            assert_int_equal(nx_fr_term_rowid(t), want[j][0]);
            while (j < n_want && want[j][0] == nx_fr_term_rowid(t))
                j++;
            if (k % 2 == 0) {
                assert_int_equal(nx_fr_term_next(t), SQLITE_OK);
            } else { /* a seek some rows on */
                int64_t to =
                    nx_fr_term_rowid(t) + 1 + (int64_t)(next_rand() % 400);

                assert_int_equal(nx_fr_term_seek(t, to), SQLITE_OK);
                j = first_at(want, n_want, to);
            }
        }
    }
    nx_fr_term_close(t);
}

#define BLOCK_WORDS 4 /* blocks of 256 rows */
#define BLOCK_ROWS  (64 * BLOCK_WORDS)

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Block walks in waves, as the engine's pruned walk goes: each wave a
 * random set of blocks in rising order after a rewind, every block's rows
 * and occurrences per column against FTS5's. */
static void
check_blocks(nx_fr *r, const char *term, int64_t (*want)[3], size_t n_want)
{
    static uint32_t tf[BLOCK_ROWS][3];
    int64_t n_blocks = want[n_want - 1][0] / BLOCK_ROWS + 2, list[16];
    nx_fr_term *t;
    int wave;

    assert_int_equal(nx_fr_term_open(&t, r, term, strlen(term)), SQLITE_OK);
    for (wave = 0; wave < 4; wave++) {
        int n = 1 + (int)(next_rand() % 16), i;

        for (i = 0; i < n; i++)
            list[i] = (int64_t)(next_rand() % (unsigned)n_blocks);
        qsort(list, (size_t)n, sizeof(*list), cmp_i64);
        assert_int_equal(nx_fr_term_rewind(t, list[0] * BLOCK_ROWS), SQLITE_OK);
        for (i = 0; i < n; i++) {
            int64_t lo = list[i] * BLOCK_ROWS;
            uint64_t bits[BLOCK_WORDS] = {0}, bits_want[BLOCK_WORDS] = {0};
            uint32_t tf_want[BLOCK_ROWS][3];
            size_t j;

            if (i > 0 && list[i] == list[i - 1])
                continue; /* a block once per wave */
            memset(tf, 0, sizeof(tf));
            memset(tf_want, 0, sizeof(tf_want));
            for (j = first_at(want, n_want, lo);
                 j < n_want && want[j][0] < lo + BLOCK_ROWS; j++) {
                unsigned u = (unsigned)(want[j][0] - lo);

                bits_want[u / 64] |= (uint64_t)1 << (u % 64);
                if (want[j][1] < 3)
                    tf_want[u][want[j][1]]++;
            }
            assert_int_equal(
                nx_fr_term_block(t, lo, BLOCK_WORDS, NULL, bits, tf, -1),
                SQLITE_OK);
            assert_memory_equal(bits, bits_want, sizeof(bits));
            for (j = 0; j < BLOCK_ROWS; j++) {
                if (bits_want[j / 64] & ((uint64_t)1 << (j % 64)))
                    assert_memory_equal(tf[j], tf_want[j], sizeof(tf[j]));
            }
        }
    }
    nx_fr_term_close(t);
}

/* The rows of an iterator, each with its position list, against those of
 * another (consumes both). */
static void
check_same_rows(nx_fr_term *a, nx_fr_term *b)
{
    while (!nx_fr_term_eof(a) && !nx_fr_term_eof(b)) {
        const unsigned char *pa, *pb;
        int na, nb;

        assert_int_equal(nx_fr_term_rowid(a), nx_fr_term_rowid(b));
        assert_int_equal(nx_fr_term_poslist(a, &pa, &na), SQLITE_OK);
        assert_int_equal(nx_fr_term_poslist(b, &pb, &nb), SQLITE_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(pa, pb, (size_t)na);
        assert_int_equal(nx_fr_term_next(a), SQLITE_OK);
        assert_int_equal(nx_fr_term_next(b), SQLITE_OK);
    }
    assert_true(nx_fr_term_eof(a));
    assert_true(nx_fr_term_eof(b));
}

/* Terms opened together (nx_fr_terms_open): the whole vocabulary with
 * terms no row holds among them, and every third term, each iterator the
 * same as one opened alone.  Terms out of order are refused. */
static void
check_terms_open(sqlite3 *db, nx_fr *r)
{
    static char *names[4096];
    static const char *terms[4096];
    static size_t lens[4096];
    static nx_fr_term *its[4096];
    sqlite3_stmt *stmt;
    int n = 0, k, step;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT term FROM vr UNION"
                                        " SELECT term || 'zz' FROM vr UNION"
                                        " SELECT 'a' UNION SELECT 'zzzz'"
                                        " ORDER BY 1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW && n < 4096) {
        names[n] = strdup((const char *)sqlite3_column_text(stmt, 0));
        lens[n] = (size_t)sqlite3_column_bytes(stmt, 0);
        n++;
    }
    sqlite3_finalize(stmt);
    assert_true(n > 20);
    for (step = 1; step <= 3; step += 2) {
        int m = 0;

        for (k = 0; k < n; k += step) {
            terms[m] = names[k];
            lens[m] = strlen(names[k]);
            m++;
        }
        assert_int_equal(nx_fr_terms_open(r, m, terms, lens, its), SQLITE_OK);
        for (k = 0; k < m; k++) {
            nx_fr_term *alone = NULL;

            assert_int_equal(nx_fr_term_open(&alone, r, terms[k], lens[k]),
                             SQLITE_OK);
            assert_int_equal(alone == NULL, its[k] == NULL);
            if (alone != NULL)
                check_same_rows(its[k], alone);
            nx_fr_term_close(alone);
            nx_fr_term_close(its[k]);
        }
    }
    terms[0] = names[1];
    terms[1] = names[0];
    lens[0] = strlen(names[1]);
    lens[1] = strlen(names[0]);
    assert_int_equal(nx_fr_terms_open(r, 2, terms, lens, its), SQLITE_MISUSE);
    assert_null(its[0]);
    for (k = 0; k < n; k++)
        free(names[k]);
}

/* Compare the reader with FTS5 for every term, and seeks into each. */
static void
check_all_terms(sqlite3 *db)
{
    static int64_t want[MAX_INSTANCES][3];
    sqlite3_stmt *terms;
    nx_fr *r;
    size_t n_terms = 0;

    exec(db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, db, NULL), NEWSIDX_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT term FROM vr", -1, &terms, NULL),
        SQLITE_OK);
    while (sqlite3_step(terms) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(terms, 0);
        size_t n_want = expected(db, term, want, MAX_INSTANCES), at = 0;
        nx_fr_term *t = NULL;

        assert_int_equal(nx_fr_term_open(&t, r, term, strlen(term)), SQLITE_OK);
        for (; !nx_fr_term_eof(t); assert_int_equal(nx_fr_term_next(t), 0)) {
            const unsigned char *p;
            nx_fr_pos pos;
            int n;

            assert_true(at < n_want);
            assert_int_equal(nx_fr_term_rowid(t), want[at][0]);
            assert_int_equal(nx_fr_term_poslist(t, &p, &n), SQLITE_OK);
            nx_fr_pos_init(&pos, p, n);
            while (nx_fr_pos_next(&pos)) {
                assert_true(at < n_want);
                assert_int_equal(nx_fr_term_rowid(t), want[at][0]);
                assert_int_equal(pos.col, want[at][1]);
                assert_int_equal(pos.pos, want[at][2]);
                at++;
            }
        }
        assert_int_equal(at, n_want);
        nx_fr_term_close(t);
        /* Seeks: to a random rowid, then to a few further ones. */
        if (n_want > 0) {
            int k;

            assert_int_equal(nx_fr_term_open(&t, r, term, strlen(term)),
                             SQLITE_OK);
            for (k = 0; k < 8 && !nx_fr_term_eof(t); k++) {
                int64_t target =
                    nx_fr_term_rowid(t) + (int64_t)(next_rand() % 300);
                size_t j;

                assert_int_equal(nx_fr_term_seek(t, target), SQLITE_OK);
                for (j = 0; j < n_want && want[j][0] < target; j++)
                    ;
                if (j == n_want)
                    assert_true(nx_fr_term_eof(t));
                else
                    assert_int_equal(nx_fr_term_rowid(t), want[j][0]);
            }
            nx_fr_term_close(t);
            check_rewinds(r, term, want, n_want);
            check_blocks(r, term, want, n_want);
        }
        n_terms++;
    }
    sqlite3_finalize(terms);
    assert_true(n_terms > 10);
    /* A term no row holds. */
    {
        nx_fr_term *t = (nx_fr_term *)1;

        assert_int_equal(nx_fr_term_open(&t, r, "nosuchterm", 10), SQLITE_OK);
        assert_null(t);
    }
    assert_int_equal(nx_fr_error(r, NULL), NEWSIDX_OK);
    nx_fr_close(r);
    assert_int_equal(nx_fr_open(&r, db, NULL), NEWSIDX_OK);
    check_terms_open(db, r);
    nx_fr_close(r);
    exec(db, "COMMIT");
}

/* The averages: rows and tokens per column, as FTS5 counts them. */
static void
check_averages(sqlite3 *db)
{
    sqlite3_stmt *stmt;
    nx_fr *r;
    int c;

    exec(db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, db, NULL), NEWSIDX_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM fts", -1, &stmt, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(nx_fr_rows(r), sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    for (c = 0; c < 4; c++) {
        static const char *const sql[] = {
            "SELECT count(*) FROM vi WHERE col = 'title'",
            "SELECT count(*) FROM vi WHERE col = 'excerpt'",
            "SELECT count(*) FROM vi WHERE col = 'body'",
            "SELECT count(*) FROM vi WHERE col = 'tags'"};

        assert_int_equal(sqlite3_prepare_v2(db, sql[c], -1, &stmt, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        assert_int_equal(nx_fr_col_total(r, c), sqlite3_column_int64(stmt, 0));
        sqlite3_finalize(stmt);
    }
    nx_fr_close(r);
    exec(db, "COMMIT");
}

/* Build an index in `n_txn` transactions of `per_txn` rows, with deletes
 * and replacements, pages of `pgsz` bytes and automerge `am`. */
static void
build(sqlite3 *db, int pgsz, int am, int n_txn, int per_txn)
{
    char sql[128];
    int t, i;
    int64_t next = 1;

    snprintf(sql, sizeof(sql),
             "INSERT INTO fts(fts, rank) VALUES('pgsz', %d);"
             "INSERT INTO fts(fts, rank) VALUES('automerge', %d);",
             pgsz, am);
    exec(db, sql);
    for (t = 0; t < n_txn; t++) {
        exec(db, "BEGIN");
        for (i = 0; i < per_txn; i++) {
            unsigned r = next_rand() % 100;

            if (r < 8 && next > 5) { /* replace an older row */
                put_row(db, 1 + (int64_t)(next_rand() % (unsigned)(next - 1)),
                        0);
            } else if (r < 12 && next > 5) { /* delete an older row */
                snprintf(sql, sizeof(sql), "DELETE FROM fts WHERE rowid = %lld",
                         (long long)(1 + next_rand() % (unsigned)(next - 1)));
                exec(db, sql);
            } else {
                /* Rowids with gaps; now and then a very long body, whose
                 * position list runs over many pages. */
                next += 1 + next_rand() % 3;
                put_row(db, next, r == 99 ? 3000 : 0);
                if (r == 98) /* the same row again in one transaction */
                    put_row(db, next, 0);
            }
        }
        exec(db, "COMMIT");
    }
}

static void
test_fts5read__matches_fts5_with_default_pages(void **state)
{
    db_fixture *f = *state;

    rng = 7;
    build(f->db, 4050, 4, 12, 150);
    check_all_terms(f->db);
    check_averages(f->db);
}

static void
test_fts5read__matches_fts5_with_tiny_pages_and_many_segments(void **state)
{
    db_fixture *f = *state;

    rng = 11;
    build(f->db, 64, 0, 25, 60); /* no automerge: 25 segments or more */
    check_all_terms(f->db);
    check_averages(f->db);
}

static void
test_fts5read__matches_fts5_after_optimize(void **state)
{
    db_fixture *f = *state;

    rng = 13;
    build(f->db, 128, 2, 10, 120);
    exec(f->db, "INSERT INTO fts(fts) VALUES('optimize')");
    check_all_terms(f->db);
    /* Then more writes on top of the one merged segment. */
    build(f->db, 128, 2, 3, 50);
    check_all_terms(f->db);
}

/* Doclists over hundreds of leaves of one segment: FTS5 gives them a
 * doclist index (of several records, and a level above them, at this
 * page size), which seeks and rewinds jump with. */
static void
test_fts5read__long_doclists_use_their_dlidx(void **state)
{
    db_fixture *f = *state;
    uint64_t records, leaves;
    nx_fr *r;
    int i;

    rng = 19;
    exec(f->db, "INSERT INTO fts(fts, rank) VALUES('pgsz', 64)");
    exec(f->db, "BEGIN");
    for (i = 1; i <= 6000; i++)
        put_row(f->db, i * 2, 0);
    exec(f->db, "COMMIT");
    exec(f->db, "INSERT INTO fts(fts) VALUES('optimize')");
    check_all_terms(f->db);
    /* And what the checks read of the dlidx, on their own. */
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, NULL), NEWSIDX_OK);
    {
        static int64_t want[MAX_INSTANCES][3];
        size_t n_want = expected(f->db, "the", want, MAX_INSTANCES);

        assert_true(n_want > 3000);
        check_rewinds(r, "the", want, n_want);
    }
    nx_fr_dlidx_read(r, &records, &leaves);
    assert_true(records > 1);
    assert_true(leaves > 100);
    nx_fr_close(r);
    exec(f->db, "COMMIT");
}

static void
test_fts5read__empty_table(void **state)
{
    db_fixture *f = *state;
    nx_fr *r;
    nx_fr_term *t = (nx_fr_term *)1;

    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, NULL), NEWSIDX_OK);
    assert_int_equal(nx_fr_rows(r), 0);
    assert_int_equal(nx_fr_term_open(&t, r, "the", 3), SQLITE_OK);
    assert_null(t);
    nx_fr_close(r);
    exec(f->db, "COMMIT");
}

/* Another FTS5 version, or a damaged structure record. */
static void
test_fts5read__unknown_or_damaged_is_reported(void **state)
{
    db_fixture *f = *state;
    newsidx_error err;
    nx_fr *r;

    rng = 17;
    build(f->db, 4050, 4, 2, 20);
    exec(f->db, "UPDATE fts_config SET v = 5 WHERE k = 'version'");
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, &err), NX_FR_UNSUPPORTED);
    assert_null(r);
    exec(f->db, "COMMIT");
    exec(f->db, "UPDATE fts_config SET v = 4 WHERE k = 'version';"
                "UPDATE fts_data SET block = x'00000001ffffff' WHERE id = 10");
    exec(f->db, "BEGIN");
    assert_int_not_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_OK);
    assert_null(r);
    exec(f->db, "COMMIT");
    exec(f->db,
         "UPDATE fts_data SET block = x'0000000103020100' WHERE id = 10");
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_INTERNAL);
    assert_non_null(strstr(err.message, "malformed"));
    exec(f->db, "COMMIT");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_fts5read__matches_fts5_with_default_pages),
        T(test_fts5read__matches_fts5_with_tiny_pages_and_many_segments),
        T(test_fts5read__matches_fts5_after_optimize),
        T(test_fts5read__long_doclists_use_their_dlidx),
        T(test_fts5read__empty_table),
        T(test_fts5read__unknown_or_damaged_is_reported),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
