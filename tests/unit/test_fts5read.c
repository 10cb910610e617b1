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

/* nx_fr_pos_list of the position list p[0..n) gives the n_want entries
 * of `want` (rowid, column, offset), and -1 when out has room for one
 * fewer. */
static void
check_pos_list(const unsigned char *p, int n, int64_t (*want)[3], size_t n_want)
{
    static int64_t got[4096];
    int col_max, m, i, want_col_max = -1;

    if (n_want > sizeof(got) / sizeof(got[0]))
        return;
    m = nx_fr_pos_list(got, &col_max, p, n, (int)n_want);
    assert_int_equal(m, (int)n_want);
    for (i = 0; i < m; i++) {
        assert_int_equal(got[i], want[i][1] << 32 | want[i][2]);
        if (want[i][1] > want_col_max)
            want_col_max = (int)want[i][1];
    }
    assert_int_equal(col_max, want_col_max);
    if (n_want > 0)
        assert_int_equal(nx_fr_pos_list(got, &col_max, p, n, m - 1), -1);
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
        size_t row_at;
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
            row_at = at;
            while (nx_fr_pos_next(&pos)) {
                assert_true(at < n_want);
                assert_int_equal(nx_fr_term_rowid(t), want[at][0]);
                assert_int_equal(pos.col, want[at][1]);
                assert_int_equal(pos.pos, want[at][2]);
                at++;
            }
            check_pos_list(p, n, &want[row_at], at - row_at);
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
    assert_int_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_OK);
    assert_null(r); /* another format: no reader, SQL instead */
    exec(f->db, "COMMIT");
    exec(f->db, "UPDATE fts_config SET v = 4 WHERE k = 'version';"
                "UPDATE fts_data SET block = x'00000001ffffff' WHERE id = 10");
    /* 0xff after the cookie: a V2 structure record (a later SQLite's
     * contentless_delete tables), another format too. */
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_OK);
    assert_null(r);
    exec(f->db, "COMMIT");
    exec(f->db,
         "UPDATE fts_data SET block = x'0000000103020100' WHERE id = 10");
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_CORRUPT);
    assert_non_null(strstr(err.message, "damaged"));
    assert_non_null(strstr(err.message, "structure"));
    exec(f->db, "COMMIT");
}

/**************************************************************************
** Damaged records (issue 13): whatever the bytes, the reader answers or
** reports NEWSIDX_CORRUPT naming the record.  Never a crash, a read or
** write out of bounds, undefined behaviour (the sanitizer build runs
** these), a giant allocation or a hang.
*/

/* The words of words() and the tags of put_row(), in FTS5's order. */
static const char *const vocab_sorted[] = {"cafe",
                                           "chip",
                                           "cloud",
                                           "court",
                                           "data",
                                           "market",
                                           "naive",
                                           "policy",
                                           "quokka",
                                           "robot",
                                           "the",
                                           "uber",
                                           "vision",
                                           "walrus",
                                           "x1",
                                           "x2",
                                           "xylo",
                                           "zurich",
                                           "\xce\xb1\xce\xb2\xce\xb3",
                                           "\xe6\x97\xa5",
                                           "\xe6\x9c\xac",
                                           "\xee\x80\x80p2",
                                           "\xee\x80\x80t1"};
#define N_VOCAB        (sizeof(vocab_sorted) / sizeof(vocab_sorted[0]))
#define WALK_MAX_STEPS 200000 /* rows of one term: far more than built */

/* Every row and position of `t` from where it is; false past the cap. */
static bool
walk_rows(nx_fr_term *t)
{
    int steps = 0;

    while (!nx_fr_term_eof(t) && steps++ < WALK_MAX_STEPS) {
        const unsigned char *p;
        nx_fr_pos pos;
        int64_t out[64];
        int n, col_max, tf[3] = {0, 0, 0};

        if (nx_fr_term_poslist(t, &p, &n) != SQLITE_OK)
            return true;
        nx_fr_pos_init(&pos, p, n);
        while (nx_fr_pos_next(&pos))
            ;
        nx_fr_pos_list(out, &col_max, p, n, sizeof(out) / sizeof(out[0]));
        nx_fr_pos_count(p, n, -1, tf);
        if (nx_fr_term_next(t) != SQLITE_OK)
            return true;
    }
    return steps <= WALK_MAX_STEPS;
}

/* A block walk of `t` from row 0, as the engine's, with occurrences or
 * with position lists. */
static bool
walk_blocks(nx_fr_term *t, bool with_pos)
{
    static uint32_t tf[256][3], off[256], len[256];
    uint64_t bits[4];
    nx_fr_block_pos bp;
    int64_t lo = 0;
    int steps = 0;

    memset(&bp, 0, sizeof(bp));
    bp.off = off;
    bp.len = len;
    if (nx_fr_term_rewind(t, 0) != SQLITE_OK)
        return true;
    while (steps++ < WALK_MAX_STEPS) {
        int64_t next;
        int rc;

        memset(bits, 0, sizeof(bits));
        rc = with_pos ? nx_fr_term_block_pos(t, lo, 4, NULL, bits, &bp)
                      : nx_fr_term_block(t, lo, 4, NULL, bits, tf, -1);
        next = nx_fr_term_block_next(t);
        if (rc != SQLITE_OK || next == INT64_MAX)
            break;
        lo = next & ~(int64_t)255;
    }
    nx_buf_free(&bp.arena);
    return steps <= WALK_MAX_STEPS;
}

/* Read everything the engine may read, every term alone and all of them
 * together; the reader's status at the end (its message in err). */
static int
read_everything(sqlite3 *db, newsidx_error *err)
{
    nx_fr_term *its[N_VOCAB];
    size_t lens[N_VOCAB], k;
    nx_fr *r;
    int rc;

    exec(db, "BEGIN");
    rc = nx_fr_open(&r, db, err);
    if (rc != NEWSIDX_OK || r == NULL) { /* r NULL: a later format */
        exec(db, "COMMIT");
        return rc;
    }
    for (k = 0; k < N_VOCAB; k++) {
        nx_fr_term *t = NULL;

        lens[k] = strlen(vocab_sorted[k]);
        if (nx_fr_term_open(&t, r, vocab_sorted[k], lens[k]) != SQLITE_OK ||
            t == NULL)
            continue;
        assert_true(walk_rows(t));
        if (nx_fr_term_rewind(t, 0) == SQLITE_OK)
            nx_fr_term_seek(t, 500);
        if (nx_fr_term_rewind(t, 300) == SQLITE_OK)
            assert_true(walk_rows(t));
        assert_true(walk_blocks(t, false));
        assert_true(walk_blocks(t, true));
        nx_fr_term_close(t);
    }
    if (nx_fr_terms_open(r, (int)N_VOCAB, vocab_sorted, lens, its) ==
        SQLITE_OK) {
        for (k = 0; k < N_VOCAB; k++) {
            if (its[k] != NULL)
                assert_true(walk_blocks(its[k], false));
            nx_fr_term_close(its[k]);
        }
    }
    rc = nx_fr_error(r, err);
    nx_fr_close(r);
    exec(db, "COMMIT");
    return rc;
}

/* read_everything must answer, or report the damage with a message that
 * says so: never another status (out of memory would be a giant
 * allocation that failed), never an allocation of more than 16 MB. */
static int
check_read(sqlite3 *db, const char *what)
{
    newsidx_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    nx_alloc_largest(true);
    rc = read_everything(db, &err);
    /* (A structure record of a later FTS5 is left to SQL.) */
    if (rc != NEWSIDX_OK && rc != NEWSIDX_CORRUPT)
        fail_msg("%s: status %d (%s)", what, rc, err.message);
    if (rc == NEWSIDX_CORRUPT && strstr(err.message, "damaged") == NULL)
        fail_msg("%s: message '%s'", what, err.message);
    if (nx_alloc_largest(false) > ((size_t)16 << 20))
        fail_msg("%s: an allocation of %zu bytes", what,
                 nx_alloc_largest(false));
    return rc;
}

/* Record `id` of fts_data into buf (n bytes); false when missing. */
static bool
record_get(sqlite3 *db, int64_t id, unsigned char *buf, int cap, int *n)
{
    sqlite3_stmt *stmt;
    bool has = false;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT block FROM fts_data"
                                        " WHERE id = ?",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *n = sqlite3_column_bytes(stmt, 0);
        assert_true(*n <= cap);
        memcpy(buf, sqlite3_column_blob(stmt, 0), (size_t)*n);
        has = true;
    }
    sqlite3_finalize(stmt);
    return has;
}

static void
record_put(sqlite3 *db, int64_t id, const unsigned char *buf, int n)
{
    sqlite3_stmt *stmt;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE fts_data SET block = ?2"
                                        " WHERE id = ?1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_blob(stmt, 2, buf, n, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
}

/* An index whose records are small (64-byte pages), with several
 * segments, long doclists with doclist indexes and position lists over
 * several pages. */
static void
build_small(sqlite3 *db)
{
    int i;

    rng = 23;
    /* Thousands of damaged states are written: no need to sync them. */
    exec(db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY");
    exec(db, "INSERT INTO fts(fts, rank) VALUES('pgsz', 64);"
             "INSERT INTO fts(fts, rank) VALUES('automerge', 0)");
    exec(db, "BEGIN");
    for (i = 1; i <= 400; i++)
        put_row(db, i * 3, i % 97 == 0 ? 60 : 0);
    exec(db, "COMMIT");
    build(db, 64, 0, 2, 40);
}

/* The ids of some records worth damaging: the structure and averages,
 * leaves of each segment (first, middle, last) and doclist indexes. */
static size_t
records_to_damage(sqlite3 *db, int64_t *ids, size_t cap)
{
    sqlite3_stmt *stmt;
    size_t n = 0;

    ids[n++] = 10;
    ids[n++] = 1;
    assert_int_equal(
        sqlite3_prepare_v2(
            db,
            "SELECT id FROM (SELECT id, id >> 37 AS seg, row_number() OVER"
            " (PARTITION BY id >> 37 ORDER BY id) AS k, count(*) OVER"
            " (PARTITION BY id >> 37) AS n FROM fts_data WHERE id > 10 AND"
            " (id >> 36) & 1 = 0) WHERE k IN (1, n / 2, n)"
            " UNION ALL SELECT * FROM (SELECT id FROM fts_data"
            " WHERE (id >> 36) & 1 = 1 ORDER BY id LIMIT 3)",
            -1, &stmt, NULL),
        SQLITE_OK);
    while (n < cap && sqlite3_step(stmt) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

/* Each byte of each record of records_to_damage set to values a varint,
 * an offset or a header is most sensitive to; then each record cut
 * short.  Every state is read whole. */
static void
test_fts5read__every_damaged_byte_is_reported(void **state)
{
    static const unsigned values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    db_fixture *f = *state;
    unsigned char orig[4096], buf[4096];
    int64_t ids[16];
    size_t n_ids, k, v;
    int n, i, n_corrupt = 0, n_read = 0;
    char what[96];

    build_small(f->db);
    assert_int_equal(check_read(f->db, "undamaged"), NEWSIDX_OK);
    n_ids = records_to_damage(f->db, ids, 16);
    assert_true(n_ids >= 8);
    for (k = 0; k < n_ids; k++) {
        assert_true(record_get(f->db, ids[k], orig, sizeof(orig), &n));
        for (i = 0; i < n; i++) {
            for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
                if (orig[i] == values[v])
                    continue;
                memcpy(buf, orig, (size_t)n);
                buf[i] = (unsigned char)values[v];
                record_put(f->db, ids[k], buf, n);
                snprintf(what, sizeof(what), "record %lld byte %d = 0x%02x",
                         (long long)ids[k], i, values[v]);
                n_corrupt += check_read(f->db, what) == NEWSIDX_CORRUPT;
                n_read++;
            }
        }
        for (i = 0; i < n; i += 1 + n / 16) {
            record_put(f->db, ids[k], orig, i);
            snprintf(what, sizeof(what), "record %lld cut to %d",
                     (long long)ids[k], i);
            n_corrupt += check_read(f->db, what) == NEWSIDX_CORRUPT;
            n_read++;
        }
        record_put(f->db, ids[k], orig, n);
    }
    /* Most damage is seen (a byte of a position list, say, may not be). */
    assert_true(n_corrupt > n_read / 4);
    assert_int_equal(check_read(f->db, "restored"), NEWSIDX_OK);
}

/* The shapes of issue 13, one by one. */

/* A varint of SQLite's format at p: its bytes. */
static int
get_varint(const unsigned char *p, uint64_t *v)
{
    uint64_t x = 0;
    int i;

    for (i = 0; i < 8; i++) {
        x = (x << 7) | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    *v = (x << 8) | p[8];
    return 9;
}

/* Variant k of a damage to `leaf` (n bytes) into `out`: its size, or -1
 * when there are no more variants of it. */
typedef int (*leaf_damage_fn)(const unsigned char *leaf, int n,
                              unsigned char *out, int k);

/* Each variant of a damage, on every leaf in turn (restored after), read
 * every way; how many states the reader reported as damaged. */
static int
damage_each_leaf(sqlite3 *db, leaf_damage_fn damage, const char *what)
{
    unsigned char buf[4096], d[4096 + 16];
    sqlite3_stmt *stmt;
    int n, n_hit = 0;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT id FROM fts_data WHERE id > 10"
                                        " AND (id >> 36) & 1 = 0",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        int k, m;

        assert_true(record_get(db, id, buf, sizeof(buf), &n));
        for (k = 0; (m = damage(buf, n, d, k)) >= 0; k++) {
            record_put(db, id, d, m);
            n_hit += check_read(db, what) == NEWSIDX_CORRUPT;
        }
        record_put(db, id, buf, n);
    }
    sqlite3_finalize(stmt);
    return n_hit;
}

/* A leaf's first-rowid offset moved into its data, 1 to 36 bytes on. */
static int
damage_first_rowid(const unsigned char *leaf, int n, unsigned char *out, int k)
{
    unsigned first = (unsigned)leaf[0] << 8 | leaf[1], at = first + 1 + 7 * k;

    if (first == 0 || first + 2 >= ((unsigned)leaf[2] << 8 | leaf[3]) ||
        k > 5 || at >= (unsigned)n)
        return -1;
    memcpy(out, leaf, (size_t)n);
    out[0] = (unsigned char)(at >> 8);
    out[1] = (unsigned char)at;
    return n;
}

/* A leaf's first-rowid offset moved: rowids go back (a wild write in the
 * block walk before). */
static void
test_fts5read__rowids_going_back_are_reported(void **state)
{
    db_fixture *f = *state;

    build_small(f->db);
    assert_true(
        damage_each_leaf(f->db, damage_first_rowid, "first rowid moved") > 0);
}

/* A second level of 0x7fffffff segments in the structure record: its
 * sums overflowed. */
static void
test_fts5read__structure_overflow_is_reported(void **state)
{
    db_fixture *f = *state;
    newsidx_error err;
    nx_fr *r;

    build_small(f->db);
    /* cookie; 2 levels, 0x7fffffff segments, counter 0; level 0: one
     * segment (1, 1, 1); level 1: 0 merging, 0x7fffffff segments. */
    exec(f->db, "UPDATE fts_data SET block = x'00000001' || x'02'"
                " || x'87ffffff7f' || x'00' || x'0001' || x'010101'"
                " || x'00' || x'87ffffff7f' WHERE id = 10");
    exec(f->db, "BEGIN");
    assert_int_equal(nx_fr_open(&r, f->db, &err), NEWSIDX_CORRUPT);
    assert_null(r);
    assert_non_null(strstr(err.message, "structure"));
    exec(f->db, "COMMIT");
    check_read(f->db, "structure overflow");
}

/* A page-index delta of 0x7fffffff after the first term's offset. */
static int
damage_page_index(const unsigned char *leaf, int n, unsigned char *out, int k)
{
    int sz = leaf[2] << 8 | leaf[3], len;
    uint64_t first;

    if (k > 0 || sz >= n)
        return -1; /* no page index */
    len = get_varint(leaf + sz, &first);
    memcpy(out, leaf, (size_t)(sz + len));
    memcpy(out + sz + len, "\x87\xff\xff\xff\x7f", 5);
    return sz + len + 5;
}

/* A page-index delta of 0x7fffffff on every leaf with terms: the offset
 * of the next term overflowed. */
static void
test_fts5read__page_index_overflow_is_reported(void **state)
{
    db_fixture *f = *state;

    build_small(f->db);
    assert_true(damage_each_leaf(f->db, damage_page_index, "page-index delta") >
                0);
}

/* pgnoLast of every segment 0x7ffffff0: it sized the doclist index's
 * array (32 GiB). */
static void
test_fts5read__huge_last_page_allocates_nothing_huge(void **state)
{
    db_fixture *f = *state;
    unsigned char buf[4096], d[4096];
    int n, i = 4, lv, k, out = 0, n_levels, n_segs;
    uint64_t v;

    build_small(f->db);
    assert_true(record_get(f->db, 10, buf, sizeof(buf), &n));
    /* Copy the record, each segment's pgnoLast replaced. */
    memcpy(d, buf, 4);
    out = 4;
#define COPY_VARINT()                                                          \
    do {                                                                       \
        int s = i;                                                             \
        i += get_varint(buf + i, &v);                                          \
        memcpy(d + out, buf + s, (size_t)(i - s));                             \
        out += i - s;                                                          \
    } while (0)
    COPY_VARINT();
    n_levels = (int)v;
    COPY_VARINT();
    n_segs = (int)v;
    COPY_VARINT();
    for (lv = 0; lv < n_levels; lv++) {
        int n_seg;

        COPY_VARINT();
        COPY_VARINT();
        n_seg = (int)v;
        for (k = 0; k < n_seg; k++) {
            COPY_VARINT();
            COPY_VARINT();
            i += get_varint(buf + i, &v);
            memcpy(d + out, "\x87\xff\xff\xff\x70", 5);
            out += 5;
        }
    }
#undef COPY_VARINT
    assert_true(n_segs > 1);
    assert_int_equal(i, n);
    record_put(f->db, 10, d, out);
    check_read(f->db, "pgnoLast 0x7ffffff0");
}

/* A position list whose last varint runs past its end (a continuation
 * bit on its last byte) stops there: the entries before it are given and
 * counted, the cut one is not, whatever the pad after the list holds. */
static void
test_fts5read__a_cut_last_varint_ends_the_list(void **state)
{
    /* offset 0, offset 1, then 0x85 cut off; and a column switch cut off */
    static const unsigned char cut_offset[] = {0x02, 0x03, 0x85};
    static const unsigned char cut_column[] = {0x02, 0x01, 0x81};
    const unsigned char *lists[] = {cut_offset, cut_column};
    const int lens[] = {3, 3}, n_want[] = {2, 1};
    unsigned char buf[3 + 16];
    int64_t out[8];
    int k, pad, col_max, tf[3];

    (void)state;
    for (k = 0; k < 2; k++) {
        for (pad = 0; pad < 2; pad++) {
            memset(buf, pad ? 0xff : 0x00, sizeof(buf));
            memcpy(buf, lists[k], (size_t)lens[k]);
            assert_int_equal(nx_fr_pos_list(out, &col_max, buf, lens[k], 8),
                             n_want[k]);
            assert_int_equal(col_max, 0);
            assert_int_equal(out[n_want[k] - 1], n_want[k] - 1);
            memset(tf, 0, sizeof(tf));
            assert_int_equal(nx_fr_pos_count(buf, lens[k], -1, tf), n_want[k]);
            assert_int_equal(tf[0], n_want[k]);
        }
    }
    /* A last column marker with no entry after it still names its column
     * (the engine takes column 5 of a 4-column table as damage). */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, "\x02\x01\x05", 3);
    assert_int_equal(nx_fr_pos_list(out, &col_max, buf, 3, 8), 1);
    assert_int_equal(col_max, 5);
    /* No marker: the largest column of the entries, -1 for none. */
    assert_int_equal(nx_fr_pos_list(out, &col_max, buf, 1, 8), 1);
    assert_int_equal(col_max, 0);
    assert_int_equal(nx_fr_pos_list(out, &col_max, buf, 0, 8), 0);
    assert_int_equal(col_max, -1);
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
        T(test_fts5read__every_damaged_byte_is_reported),
        T(test_fts5read__rowids_going_back_are_reported),
        T(test_fts5read__structure_overflow_is_reported),
        T(test_fts5read__page_index_overflow_is_reported),
        T(test_fts5read__huge_last_page_allocates_nothing_huge),
#undef T
        cmocka_unit_test(test_fts5read__a_cut_last_varint_ends_the_list),
    };

    /* These tests are of the reader itself: NEWSIDX_FTS5_READER=off (a CI
     * stage runs every test with it) switches off its users, not it. */
    unsetenv("NEWSIDX_FTS5_READER");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
