/*
 * test_search.c - ranking and the ranked scan: the pinned behaviour of the
 * formula (docs/ranking.md) and the exactness of stopping early, compared
 * with exhaustive scoring of every match.
 */
#include <math.h>
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
#include "results.h"
#include "write.h"

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-search-XXXXXX");
}

static bool add_unpublished; /* add() writes published: false */
static const char *add_date; /* and this publishedDateTime, when set */

/* Add an item; quality/heat < -1 leave the key out. */
static void
add(fixture *f, const char *name, const char *title, const char *excerpt,
    int quality, int heat)
{
    char text[2048], q[32] = "", h[32] = "", d[64] = "";
    newsidx_error err;

    if (quality >= -1)
        snprintf(q, sizeof(q), "quality: %d\n", quality);
    if (heat >= -1)
        snprintf(h, sizeof(h), "heat: %d\n", heat);
    if (add_date != NULL)
        snprintf(d, sizeof(d), "publishedDateTime: %s\n", add_date);
    snprintf(text, sizeof(text),
             "---\ntitle: \"%s\"\nexcerpt: \"%s\"\nwebUrl: https://x.org/%s\n"
             "%s%s%s%s---\n",
             title, excerpt, name, q, h, d,
             add_unpublished ? "published: false\n" : "");
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, &err),
                     NEWSIDX_OK);
}

/* Run `text` without collapsing, at most `limit` hits; their paths go to
 * names[], and the total must equal the number of hits when all fit. */
#define HIT_NAME_SIZE 16
static size_t
hit_names(fixture *f, const char *text, uint64_t limit,
          char (*names)[HIT_NAME_SIZE], size_t cap)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    const newsidx_hit *h;
    newsidx_error err;
    size_t n = 0;

    opts.no_collapse = true;
    if (limit > 0)
        opts.limit = limit;
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
    while (newsidx_results_next(&h, r) == NEWSIDX_OK && n < cap)
        snprintf(names[n++], HIT_NAME_SIZE, "%s", newsidx_hit_path(h));
    if (limit > 0)
        assert_int_equal(newsidx_results_total(r), n);
    newsidx_results_free(r);
    newsidx_query_free(q);
    return n;
}

/* names[0..n) joined by spaces, in a static buffer. */
static const char *
joined(char (*names)[HIT_NAME_SIZE], size_t n)
{
    static char out[1024];
    size_t i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, names[i]);
    }
    return out;
}

/* The paths of the hits of `text`, in rank order, joined by spaces. */
static const char *
ranked(fixture *f, const char *text)
{
    char names[32][HIT_NAME_SIZE];

    return joined(names, hit_names(f, text, 0, names, 32));
}

static void
test_search__equal_text_higher_quality_first(void **state)
{
    fixture *f = *state;

    add(f, "low", "walrus colony one", "seen on ice", 10, 50);
    add(f, "high", "walrus colony two", "seen on ice", 90, 50);
    assert_string_equal(ranked(f, "walrus"), "high low");
}

static void
test_search__equal_text_higher_heat_first(void **state)
{
    fixture *f = *state;

    add(f, "cold", "walrus colony one", "seen on ice", 50, 3);
    add(f, "hot", "walrus colony two", "seen on ice", 50, 250);
    assert_string_equal(ranked(f, "walrus"), "hot cold");
}

static void
test_search__strong_title_match_beats_weak_match_with_high_prior(void **state)
{
    fixture *f = *state;

    add(f, "title", "Walrus census", "counting animals on the coast", 0, 0);
    add(f, "weak", "Arctic shipping report",
        "the route passed a walrus and many other things along the long way",
        200, 320);
    assert_string_equal(ranked(f, "walrus"), "title weak");
}

static void
test_search__unknown_heat_is_not_punished(void **state)
{
    fixture *f = *state;

    add(f, "zero", "walrus colony one", "seen on ice", 50, 0);
    add(f, "unknown", "walrus colony two", "seen on ice", 50, -1);
    add(f, "missing", "walrus colony six", "seen on ice", 50, -5);
    /* Unknown (-1) and missing heat are neutral: above a known 0, equal to
     * each other (then the earlier-added one, the lower rank key, wins). */
    assert_string_equal(ranked(f, "walrus"), "unknown missing zero");
}

static void
test_search__prior_factor_is_neutral_for_unknowns(void **state)
{
    nx_weights w = {10, 4, 1, 1, 1, 0.3, 0, 0, NX_FORM_WEIGHT};

    (void)state;
    assert_true(
        nx_rank_prior_factor(&w, nx_rank_prior(&w, false, 0, false, 0)) == 1.0);
    assert_true(nx_rank_prior(&w, true, 200, true, 320) == 1.0);
    assert_true(nx_rank_prior(&w, true, 0, true, 0) == 0.0);
    /* The level bound covers every item of the level, any weights. */
    for (int qv = 0; qv <= 200; qv += 7) {
        for (int hv = 0; hv <= 320; hv += 11) {
            nx_item it;
            nx_weights w2 = {10, 4, 1, 3, 0.5, 0.6, 0, 0, NX_FORM_WEIGHT};

            memset(&it, 0, sizeof(it));
            it.has_quality = it.has_heat = true;
            it.quality = qv;
            it.heat = hv;
            assert_true(nx_rank_prior_factor(
                            &w2, nx_rank_prior(&w2, true, qv, true, hv)) <=
                        nx_rank_level_bound(&w2, nx_prior_level(&it)) + 1e-12);
        }
    }
}

/* Does a row with this date pass the query's date filters? */
static bool
in_dates(const newsidx_query *q, bool has, int64_t at)
{
    size_t i;

    if ((q->opts.has_since || q->opts.has_until) &&
        !(has && (!q->opts.has_since || at >= q->opts.since) &&
          (!q->opts.has_until || at <= q->opts.until)))
        return false;
    for (i = 0; i < q->parsed->n_filters; i++) {
        const nx_filter *f = &q->parsed->filters[i];
        bool in;

        if (f->kind != NX_FILTER_DATE)
            continue;
        in = has && (!f->has_lo || at >= f->lo) && (!f->has_hi || at <= f->hi);
        if (in == f->is_negated)
            return false;
    }
    return true;
}

/* The exhaustive top 10 of `match` by the same score, as item ids, into
 * keys; *n_all = every match.  Every match is scored, the prior from the
 * item's level with equal quality and heat weights, from quality and heat
 * otherwise (docs/ranking.md). */
static size_t
exhaustive(fixture *f, newsidx_query *q, const nx_weights *wq,
           bool is_published_only, int64_t *keys, size_t *n_all)
{
    const char *match = newsidx_query_match(q);
    nx_weights w = *wq;
    sqlite3_stmt *stmt;
    struct {
        int64_t key;
        double score;
    } all[4096], t;
    double idf[SEARCH_MAX_TERMS];
    int64_t n_rows = 0;
    size_t n = 0, i, j;
    int n_idf = 0;

    /* nx_bm25f with the query's idfs, as newsidx works them out. */
    assert_int_equal(nx_search_rows(q, &n_rows, NULL), NEWSIDX_OK);
    assert_int_equal(nx_search_idf(q, n_rows, idf, &n_idf, NULL), NEWSIDX_OK);
    nx_read_half_of(f->idx)->rank.idf = idf;
    nx_read_half_of(f->idx)->rank.n_idf = n_idf;
    assert_int_equal(
        sqlite3_prepare_v2(f->idx->db,
                           "SELECT fts.rowid, nx_bm25f(fts, ?2, ?3, ?4),"
                           " i.quality, i.heat, i.published, i.level,"
                           " i.published_at FROM fts"
                           " JOIN items i ON i.id = fts.rowid"
                           " WHERE fts MATCH ?1 AND (?5 = '' OR fts.rowid"
                           " NOT IN (SELECT rowid FROM fts WHERE fts MATCH"
                           " ?5))",
                           -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_text(stmt, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, q->parsed->exclude, -1, SQLITE_STATIC);
    sqlite3_bind_double(stmt, 2, w.title);
    sqlite3_bind_double(stmt, 3, w.excerpt);
    sqlite3_bind_double(stmt, 4, w.body);
    while (sqlite3_step(stmt) == SQLITE_ROW && n < 4096) {
        bool hq = sqlite3_column_type(stmt, 2) != SQLITE_NULL;
        bool hh = sqlite3_column_type(stmt, 3) != SQLITE_NULL;

        double prior;

        if (is_published_only && sqlite3_column_type(stmt, 4) != SQLITE_NULL &&
            sqlite3_column_int(stmt, 4) == 0)
            continue;
        if (!in_dates(q, sqlite3_column_type(stmt, 6) != SQLITE_NULL,
                      sqlite3_column_int64(stmt, 6)))
            continue;
        all[n].key = sqlite3_column_int64(stmt, 0);
        if (w.quality == w.heat)
            prior = (double)sqlite3_column_int(stmt, 5) / 1023.0;
        else
            prior = nx_rank_prior(&w, hq, sqlite3_column_int64(stmt, 2), hh,
                                  sqlite3_column_int64(stmt, 3));
        all[n].score =
            sqlite3_column_double(stmt, 1) * nx_rank_prior_factor(&w, prior);
        n++;
    }
    sqlite3_finalize(stmt);
    nx_read_half_of(f->idx)->rank.idf = NULL;
    nx_read_half_of(f->idx)->rank.n_idf = 0;
    for (i = 0; i < n; i++) { /* selection of the best 10 */
        for (j = i + 1; i < 10 && j < n; j++) {
            if (all[j].score > all[i].score ||
                (all[j].score == all[i].score && all[j].key < all[i].key)) {
                t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
        }
    }
    for (i = 0; i < n && i < 10; i++)
        keys[i] = all[i].key;
    *n_all = n;
    assert_true(n < 4096);
    return n < 10 ? n : 10;
}

/* Leave `n` item ids unused: a placeholder file row, so that items spread
 * over many blocks of the engine's walk. */
static void
gap(fixture *f, int n)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "INSERT INTO files(id, path, size, mtime_ns, hash, status,"
             " indexed_at) VALUES((SELECT max(id) FROM files) + %d,"
             " 'gap' || ((SELECT max(id) FROM files) + %d), 0, 0, 0, 1, 0)",
             n, n);
    assert_int_equal(sqlite3_exec(f->idx->db, sql, NULL, NULL, NULL),
                     SQLITE_OK);
}

/* Words a..h repeated by the seed: texts whose scores differ. */
static void
some_words(char *out, size_t size, unsigned *seed, int min, int max)
{
    static const char *const words[] = {"robot", "vision", "market", "chip",
                                        "cloud", "policy", "court",  "data"};
    size_t len = 0;
    int n, k;

    *seed = *seed * 1103515245u + 12345u;
    n = min + (int)((*seed >> 16) % (unsigned)(max - min + 1));
    out[0] = '\0';
    for (k = 0; k < n && len + 16 < size; k++) {
        unsigned r, pick;

        *seed = *seed * 1103515245u + 12345u;
        r = (*seed >> 16) % 64;
        *seed = *seed * 1103515245u + 12345u;
        pick = (*seed >> 16) % 6;
        /* Zipf-ish: the first words far more often. */
        len += (size_t)snprintf(out + len, size - len, "%s ",
                                words[r < 24   ? 0
                                      : r < 40 ? 1
                                               : 2 + pick]);
    }
}

/* 1,500 items of a few words with ids in gaps over some 150 blocks,
 * bounds for every word, some items replaced or removed afterwards. */
static void
build_scan_index(fixture *f)
{
    char title[256], excerpt[512], name[32], date[32];
    unsigned seed = 12345;
    size_t i;

    /* Bounds for every word here, and items over some 150 blocks. */
    f->idx->bound_min_df = 50;
    for (i = 0; i < 1500; i++) {
        some_words(title, sizeof(title), &seed, 1, 8);
        some_words(excerpt, sizeof(excerpt), &seed, 2, 24);
        snprintf(name, sizeof(name), "i%zu", i);
        seed = seed * 1103515245u + 12345u;
        add_unpublished = i % 7 == 3;
        /* Dates over 2019-2024, a few items without one. */
        snprintf(date, sizeof(date), "%d-%02d-%02dT%02d:00:00Z",
                 2019 + (int)((seed >> 3) % 6), 1 + (int)((seed >> 9) % 12),
                 1 + (int)((seed >> 13) % 28), (int)((seed >> 5) % 24));
        add_date = i % 11 == 5 ? NULL : date;
        add(f, name, title, excerpt, (int)((seed >> 16) % 170),
            (int)((seed >> 8) % 330) - 1);
        if (i % 3 == 0)
            gap(f, 1 + (int)((seed >> 4) % 60));
    }
    /* Some items change or go: their old bounds stay behind. */
    for (i = 0; i < 1500; i += 97) {
        snprintf(name, sizeof(name), "i%zu", i);
        if (i % 2)
            assert_int_equal(newsidx_index_remove(f->idx, name, NULL),
                             NEWSIDX_OK);
        else
            add(f, name, "robot", "robot robot vision", 150, 300);
    }
    add_unpublished = false;
    add_date = NULL;
}

static void
test_search__ranked_scan_gives_the_exhaustive_top10(void **state)
{
    static const char *const queries[] = {"robot",
                                          "vision market",
                                          "chip OR cloud",
                                          "court data policy",
                                          "rob*",
                                          "title:robot",
                                          "\"vision market\"",
                                          "robot -chip",
                                          "\"robot robot\"",
                                          "vision robot data"};
    fixture *f = *state;
    size_t k;
    uint64_t pruned = 0;

    build_scan_index(f);
    /* Each query with the default prior, with unequal prior weights (from
     * the quality and heat values), with another prior strength and title
     * weight, and with and without the unpublished items. */
    for (k = 0; k < 6 * sizeof(queries) / sizeof(queries[0]); k++) {
        newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
        nx_weights w = {10, 4, 1, 1, 1, 0.3, 0, 0, NX_FORM_WEIGHT};
        const char *text = queries[k / 6];
        newsidx_query *q;
        newsidx_results *r;
        const newsidx_hit *h;
        int64_t want[10];
        size_t n_want, n_all, n = 0;
        uint64_t blocks;

        opts.no_collapse = true;
        opts.include_unpublished = k % 2 == 1;
        if (k % 6 >= 2 && k % 6 < 4) {
            opts.w_quality = w.quality = 3;
            opts.w_heat = w.heat = 0.5;
        }
        if (k % 6 >= 4) {
            opts.prior_strength = w.strength = 0.6;
            opts.w_title = w.title = 20;
        }
        assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, NULL),
                         NEWSIDX_OK);
        n_want = exhaustive(f, q, &w, !opts.include_unpublished, want, &n_all);
        blocks = nx_read_half_of(f->idx)->rank.n_blocks;
        assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
        while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
            assert_true(n < n_want);
            assert_int_equal(h->id, want[n]);
            n++;
        }
        assert_int_equal(n, n_want);
        assert_int_equal(newsidx_results_total(r), n_all);
        print_message(
            "query '%s'%s%s: %llu matches, %llu blocks walked"
            " for the top 10\n",
            text, opts.include_unpublished ? " --all" : "",
            k % 6 >= 4   ? " prior=0.6,title=20"
            : k % 6 >= 2 ? " quality=3,heat=0.5"
                         : "",
            (unsigned long long)newsidx_results_total(r),
            (unsigned long long)(nx_read_half_of(f->idx)->rank.n_blocks -
                                 blocks));
        if (nx_read_half_of(f->idx)->rank.n_blocks > blocks &&
            nx_read_half_of(f->idx)->rank.n_blocks - blocks < 60)
            pruned++;
        newsidx_results_free(r);
        newsidx_query_free(q);
    }
    /* block-max did leave blocks out (without the fts reader, SQL ranks:
     * the same top 10, no blocks) */
    if (!nx_fr_is_off())
        assert_true(pruned >= 10);
}

/* Random queries of every shape the engine runs (ORs, phrases of two
 * and three words, prefixes, columns, excluded words, phrases and
 * prefixes), with and without --all: the top 10 and the total must be
 * the exhaustive scorer's. */
static void
test_search__random_queries_give_the_exhaustive_top10(void **state)
{
    static const char *const parts[] = {"robot",
                                        "vision",
                                        "market",
                                        "chip",
                                        "cloud",
                                        "policy",
                                        "court",
                                        "data",
                                        "ro*",
                                        "c*",
                                        "po*",
                                        "title:robot",
                                        "excerpt:data",
                                        "title:ch*",
                                        "\"robot vision\"",
                                        "\"data court\"",
                                        "\"robot robot robot\"",
                                        "\"vision market chip\"",
                                        "robot OR chip",
                                        "cloud OR c*",
                                        "\"robot vision\" OR policy"};
    static const char *const minus[] = {"-chip", "-\"robot vision\"", "-cl*",
                                        "-title:data"};
    static const char *const dates[] = {"date:2021",
                                        "date:2020-02",
                                        "date:2019-11..2020-03",
                                        "date:..2020-06",
                                        "date:2023..",
                                        "date:2019..2024",
                                        "-date:2022",
                                        "date:2022-05-01..2022-05-31",
                                        "date:2030..",
                                        "date:2020-02-29"};
    fixture *f = *state;
    unsigned seed = 777;
    int k;

    build_scan_index(f);
    for (k = 0; k < 120; k++) {
        newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
        nx_weights w = {10, 4, 1, 1, 1, 0.3, 0, 0, NX_FORM_WEIGHT};
        char text[256] = "";
        size_t len = 0, n_want, n_all, n = 0;
        int n_parts, j;
        newsidx_query *q;
        newsidx_results *r;
        const newsidx_hit *h;
        int64_t want[10];

        seed = seed * 1103515245u + 12345u;
        n_parts = 1 + (int)((seed >> 16) % 3);
        for (j = 0; j < n_parts; j++) {
            seed = seed * 1103515245u + 12345u;
            len += (size_t)snprintf(
                text + len, sizeof(text) - len, "%s%s", j ? " " : "",
                parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))]);
        }
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 == 0)
            len += (size_t)snprintf(text + len, sizeof(text) - len, " %s",
                                    minus[(seed >> 20) % 4]);
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 == 0)
            len += (size_t)snprintf(text + len, sizeof(text) - len, " %s",
                                    dates[(seed >> 20) % 10]);
        if ((seed >> 24) % 9 == 0) { /* --since and --until */
            opts.has_since = true;
            opts.since = 1577836800 + (int64_t)((seed >> 8) % 400) * 86400;
            opts.has_until = (seed >> 12) % 2 == 0;
            opts.until = opts.since + 200 * 86400;
        }
        opts.no_collapse = true;
        opts.include_unpublished = (seed >> 24) % 2 == 1;
        /* A prefix's terms read whole, walked block by block, or some of
         * each. */
        nx_read_half_of(f->idx)->prefix_rare_df = k % 3 == 0   ? 0
                                                  : k % 3 == 1 ? 8192
                                                               : 30;
        assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, NULL),
                         NEWSIDX_OK);
        n_want = exhaustive(f, q, &w, !opts.include_unpublished, want, &n_all);
        assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
        while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
            if (n >= n_want || h->id != want[n])
                fail_msg("query '%s'%s: hit %zu is item %lld, want %lld", text,
                         opts.include_unpublished ? " --all" : "", n,
                         (long long)h->id,
                         n < n_want ? (long long)want[n] : -1LL);
            n++;
        }
        assert_int_equal(n, n_want);
        if (newsidx_results_total(r) != n_all)
            fail_msg("query '%s': total %llu, want %zu", text,
                     (unsigned long long)newsidx_results_total(r), n_all);
        newsidx_results_free(r);
        newsidx_query_free(q);
    }
}

/* Item ids and scores of the top 20 of `text`; returns how many. */
static size_t
scored(fixture *f, const char *text, int64_t *keys, double *scores)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    const newsidx_hit *h;
    size_t n = 0;

    opts.no_collapse = true;
    opts.limit = 20;
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
    while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
        keys[n] = h->id;
        scores[n++] = newsidx_hit_score(h);
    }
    newsidx_results_free(r);
    newsidx_query_free(q);
    return n;
}

/* The score of the only hit of `text`. */
static double
score_of(fixture *f, const char *text)
{
    int64_t keys[20];
    double scores[20];

    assert_int_equal(scored(f, text, keys, scores), 1);
    return scores[0];
}

/* Texts of words with their other forms: the common form often, the
 * others rarely (rare forms get no bounds rows: the engine bounds them
 * from their rows). */
static void
form_words(char *out, size_t size, unsigned *seed, int n)
{
    static const char *const words[] = {
        "robot",   "robot", "robot",  "robots",  "robotic",  "chip",
        "chips",   "chip",  "market", "markets", "marketed", "vision",
        "visions", "cloud", "clouds", "court",   "courts",   "data"};
    size_t len = 0;
    int k;

    out[0] = '\0';
    for (k = 0; k < n && len + 16 < size; k++) {
        unsigned r;

        *seed = *seed * 1103515245u + 12345u;
        r = (*seed >> 16) % 100;
        /* the first six (robot, chip) most often */
        len += (size_t)snprintf(
            out + len, size - len, "%s ",
            words[r < 50 ? r % 6 : (r % (sizeof(words) / sizeof(words[0])))]);
    }
}

/* Inflected forms find each other, with the exact top 10 of the
 * exhaustive scorer (their weights and family idfs the same), and the
 * block bounds still in use though some forms are too rare for bounds
 * rows; an exact form ranks above another form of the word. */
static void
test_search__word_forms_give_the_exhaustive_top10(void **state)
{
    static const char *const queries[] = {
        "robot",         "robots",          "robotic",        "chip",
        "chips",         "market",          "markets vision", "=robot",
        "robot chips",   "robot OR clouds", "courts -chip",   "title:robots",
        "robot -courts", "\"robot chip\"",  "visions data"};
    fixture *f = *state;
    char title[128], excerpt[512], name[32];
    unsigned seed = 4242;
    uint64_t blocks;
    double sb;
    size_t i;

    f->idx->bound_min_df = 60;
    for (i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        form_words(title, sizeof(title), &seed, 1 + (int)((seed >> 16) % 6));
        form_words(excerpt, sizeof(excerpt), &seed,
                   2 + (int)((seed >> 8) % 20));
        snprintf(name, sizeof(name), "w%zu", i);
        add(f, name, title, excerpt, (int)((seed >> 16) % 170),
            (int)((seed >> 8) % 330) - 1);
        if (i % 4 == 0)
            gap(f, 1 + (int)((seed >> 4) % 40));
    }
    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
        nx_weights w = {10, 4, 1, 1, 1, 0.3, 0, 0, NX_FORM_WEIGHT};
        size_t n_want, n_all, n = 0;
        newsidx_query *q;
        newsidx_results *r;
        const newsidx_hit *h;
        int64_t want[10];

        opts.no_collapse = true;
        assert_int_equal(newsidx_query_new(&q, f->idx, queries[i], &opts, NULL),
                         NEWSIDX_OK);
        n_want = exhaustive(f, q, &w, true, want, &n_all);
        blocks = nx_read_half_of(f->idx)->rank.n_blocks;
        assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
        while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
            if (n >= n_want || h->id != want[n])
                fail_msg("query '%s': hit %zu is item %lld, want %lld",
                         queries[i], n, (long long)h->id,
                         n < n_want ? (long long)want[n] : -1LL);
            n++;
        }
        assert_int_equal(n, n_want);
        assert_int_equal(newsidx_results_total(r), n_all);
        assert_true(n_want > 0);
        /* robot's forms: robotic is rare, still the bounds are used */
        if (strcmp(queries[i], "robot") == 0 && !nx_fr_is_off())
            assert_true(nx_read_half_of(f->idx)->rank.n_blocks > blocks);
        newsidx_results_free(r);
        newsidx_query_free(q);
    }
    /* The same text but for the form: the form typed ranks first. */
    add(f, "xa", "zorbling robots", "aaa bbb", 80, 80);
    add(f, "xb", "zorbling robot", "aaa bbb", 80, 80);
    {
        int64_t keys[20];
        double scores[20];

        assert_int_equal(scored(f, "zorbling robot", keys, scores), 2);
        assert_true(scores[0] > scores[1]);
        sb = scores[1];
        assert_int_equal(scored(f, "zorbling robots", keys, scores), 2);
        assert_true(scores[0] > scores[1]);
        assert_true(fabs(scores[1] - sb) <= 1e-9 * sb);
    }
}

/* Every idf comes from the terms table, with no walk over a phrase's
 * rows: a word's from the rows holding it, a phrase's is the sum of its
 * words', a prefix's from the rows holding the words it stands for,
 * counted with repeats (docs/ranking.md). */
static void
test_search__idf_from_the_terms_table(void **state)
{
    fixture *f = *state;
    uint64_t before;
    double w_a, w_b, ab, pre, ratio;
    int64_t df_a, df_b, df_pre;
    char name[16];
    int i;

    /* One item holds "quokka zeppelin" once, in its title, and nothing
     * else of them; the others hold each word alone. */
    add(f, "one", "Quokka zeppelin", "a story", 100, 100);
    for (i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "q%d", i);
        add(f, name, "Marsupials", i % 2 ? "quokka" : "quokkaish", 50, 50);
        snprintf(name, sizeof(name), "z%d", i);
        add(f, name, "Zeppelins", i % 3 ? "zeppelin" : "other", 50, 50);
    }
    before = nx_read_half_of(f->idx)->rank.n_counted;
    /* `=`: the words as written, not their other forms ("Zeppelins"). */
    w_a = score_of(f, "title:=quokka");
    w_b = score_of(f, "title:=zeppelin");
    ab = score_of(f, "\"quokka zeppelin\"");
    pre = score_of(f, "title:quokk*");
    assert_int_equal(nx_read_half_of(f->idx)->rank.n_counted,
                     before); /* no walk at all */
    /* Same tf (1, in the same title): a phrase scores as its words. */
    assert_true(fabs(ab - (w_a + w_b)) <= 1e-12 * ab);
    /* A prefix: the same tf, the idf of the summed counts. */
    assert_int_equal(nx_terms_df(f->idx, "quokka", 6, &df_a), SQLITE_OK);
    assert_int_equal(nx_terms_df(f->idx, "zeppelin", 8, &df_b), SQLITE_OK);
    assert_int_equal(nx_terms_prefix_df(f->idx, "quokk", 5, &df_pre),
                     SQLITE_OK);
    assert_int_equal(df_a, 7);
    assert_int_equal(df_pre, 7 + 6); /* quokka, quokkaish */
    ratio = nx_rank_idf(25, df_pre) / nx_rank_idf(25, df_a);
    assert_true(fabs(pre - w_a * ratio) <= 1e-12 * pre);
    (void)df_b;
}

/* The total counts every match, however few the scan kept. */
static void
test_search__total_counts_every_match(void **state)
{
    fixture *f = *state;
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    char name[32];
    int i;

    for (i = 0; i < 30; i++) { /* strong text, top prior */
        snprintf(name, sizeof(name), "top%d", i);
        add(f, name, "walrus", "walrus walrus walrus", 200, 320);
    }
    for (i = 0; i < 300; i++) { /* weak text, lowest prior */
        snprintf(name, sizeof(name), "low%d", i);
        add(f, name, "a walrus among many other words of a long title", "ice",
            0, 0);
    }
    opts.no_collapse = true;
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", &opts, NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
    assert_int_equal(newsidx_results_total(r), 330);
    newsidx_results_free(r);
    newsidx_query_free(q);
}

/* The total of `text` through handle `idx`, counted only or ranked. */
static uint64_t
total_of(newsidx_index *idx, const char *text, bool count_only, bool all)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    uint64_t n;

    opts.is_count_only = count_only;
    opts.include_unpublished = all;
    assert_int_equal(newsidx_query_new(&q, idx, text, &opts, NULL), NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
    n = newsidx_results_total(r);
    newsidx_results_free(r);
    newsidx_query_free(q);
    return n;
}

/* The engine keeps which items a count takes between queries: a change
 * to the file, through this handle or another, must show at once. */
static void
test_search__counts_follow_changes_to_the_file(void **state)
{
    fixture *f = *state;
    newsidx_index *other;
    char name[32];
    int i, k;

    f->idx->bound_min_df = 8; /* ranked queries take the pruned walk */
    for (i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "a%d", i);
        add(f, name, "walrus", "walrus on ice", i % 5, i % 7);
    }
    for (k = 0; k < 2; k++) {
        assert_int_equal(total_of(f->idx, "walrus", k, false), 40);
        assert_int_equal(total_of(f->idx, "walrus", k, true), 40);
    }
    add_unpublished = true;
    add(f, "u1", "walrus", "walrus unpublished", 1, 1);
    add_unpublished = false;
    add(f, "a40", "walrus", "walrus again", 1, 1);
    for (k = 0; k < 2; k++) {
        assert_int_equal(total_of(f->idx, "walrus", k, false), 41);
        assert_int_equal(total_of(f->idx, "walrus", k, true), 42);
    }
    /* Another handle on the file adds two and removes one. */
    assert_int_equal(
        newsidx_index_open(&other, f->path, NEWSIDX_OPEN_CREATE, NULL),
        NEWSIDX_OK);
    for (i = 41; i < 43; i++) {
        char text[256];

        snprintf(name, sizeof(name), "a%d", i);
        snprintf(text, sizeof(text),
                 "---\ntitle: walrus\nwebUrl: https://x.org/%s\n---\n", name);
        assert_int_equal(newsidx_index_add_buffer(
                             other, name, text, strlen(text), NULL, NULL, NULL),
                         NEWSIDX_OK);
    }
    assert_int_equal(newsidx_index_remove(other, "a0", NULL), NEWSIDX_OK);
    newsidx_index_close(other);
    for (k = 0; k < 2; k++) {
        assert_int_equal(total_of(f->idx, "walrus", k, false), 42);
        assert_int_equal(total_of(f->idx, "walrus", k, true), 43);
    }
}

/* Phrases far into a long body (offsets of several varint bytes) and in
 * later columns are found where their words are adjacent, only there. */
static void
test_search__phrases_deep_in_the_body_and_in_later_columns(void **state)
{
    fixture *f = *state;
    static char text[16384];
    size_t len;
    int i;

    len = (size_t)snprintf(text, sizeof(text),
                           "---\ntitle: walrus tusks\nexcerpt: quokka on ice, "
                           "walrus quokka\nwebUrl: https://x.org/deep\n---\n");
    for (i = 0; i < 700; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "w%d ", i);
    len += (size_t)snprintf(text + len, sizeof(text) - len,
                            "ice floe drifting w1 w2\n");
    assert_int_equal(
        newsidx_index_add_buffer(f->idx, "deep", text, len, NULL, NULL, NULL),
        NEWSIDX_OK);
    add(f, "other", "ice", "floe", 1, 1);
    assert_int_equal(total_of(f->idx, "\"ice floe drifting\"", false, false),
                     1);
    assert_int_equal(total_of(f->idx, "\"w698 w699 ice\"", false, false), 1);
    assert_int_equal(total_of(f->idx, "\"w699 w698\"", false, false), 0);
    assert_int_equal(total_of(f->idx, "\"drifting w1\"", false, false), 1);
    assert_int_equal(total_of(f->idx, "\"w1 w3\"", false, false), 0);
    assert_int_equal(total_of(f->idx, "\"walrus quokka\"", false, false), 1);
    assert_int_equal(total_of(f->idx, "\"tusks quokka\"", false, false), 0);
    assert_int_equal(total_of(f->idx, "\"walrus tusks\"", false, false), 1);
    assert_int_equal(total_of(f->idx, "\"ice floe\"", false, false), 1);
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The paths of every hit of `text`, sorted, joined by spaces. */
static const char *
matched(fixture *f, const char *text)
{
    char names[32][HIT_NAME_SIZE];
    size_t n = hit_names(f, text, 32, names, 32);

    qsort(names, n, sizeof(names[0]), name_cmp);
    return joined(names, n);
}

/* Date filters decide most rows from the month bucket of the rank key:
 * the months of the bounds, clamped buckets (before 1970, after 2310) and
 * undated items must still come out right. */
static void
test_search__date_filters_at_month_edges(void **state)
{
    static const struct {
        const char *name, *date;
    } items[] = {
        {"a", "2023-12-31T23:59:59Z"}, {"b", "2024-01-01T00:00:00Z"},
        {"c", "2024-02-29T12:00:00Z"}, {"d", "2024-03-01T00:00:00Z"},
        {"e", "2024-12-31T23:59:59Z"}, {"f", "2025-01-01T00:00:00Z"},
        {"g", "1965-06-01T00:00:00Z"}, {"h", "1970-01-15T00:00:00Z"},
        {"i", "2400-01-01T00:00:00Z"}, {"j", NULL},
        {"k", "2024-06-15T08:00:00Z"}, {"l", "2024-02-28T23:59:59Z"},
        {"m", "2024-03-02T00:00:00Z"},
    };
    fixture *f = *state;
    char text[512];
    size_t i;

    for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        newsidx_error err;

        snprintf(text, sizeof(text), "---\ntitle: \"Walrus %s\"\n%s%s%s---\n",
                 items[i].name, items[i].date ? "publishedDateTime: " : "",
                 items[i].date ? items[i].date : "", items[i].date ? "\n" : "");
        assert_int_equal(newsidx_index_add_buffer(f->idx, items[i].name, text,
                                                  strlen(text), NULL, NULL,
                                                  &err),
                         NEWSIDX_OK);
    }
    assert_string_equal(matched(f, "walrus"), "a b c d e f g h i j k l m");
    assert_string_equal(matched(f, "walrus date:2024"), "b c d e k l m");
    assert_string_equal(matched(f, "walrus date:2024-02"), "c l");
    assert_string_equal(matched(f, "walrus date:2024-02-29"), "c");
    assert_string_equal(matched(f, "walrus date:2024-03-01"), "d");
    assert_string_equal(matched(f, "walrus date:2023-12..2024-01"), "a b");
    assert_string_equal(matched(f, "walrus date:2024-01..2024-12"),
                        "b c d e k l m");
    assert_string_equal(matched(f, "walrus date:2024-02-29..2024-03-01"),
                        "c d");
    assert_string_equal(matched(f, "walrus date:..1969"), "g");
    assert_string_equal(matched(f, "walrus date:1970"), "h");
    assert_string_equal(matched(f, "walrus date:1971..2399"),
                        "a b c d e f k l m");
    assert_string_equal(matched(f, "walrus date:2300.."), "i");
    assert_string_equal(matched(f, "walrus date:2025.."), "f i");
    assert_string_equal(matched(f, "walrus date:1000..9999"),
                        "a b c d e f g h i k l m");
    assert_string_equal(matched(f, "walrus -date:2024"), "a f g h i j");
    assert_string_equal(matched(f, "walrus -date:1970"),
                        "a b c d e f g i j k l m");
}

/* Limits on a query's size are syntax errors with a message, not cuts. */
static void
test_search__too_many_terms_or_filters_is_an_error(void **state)
{
    fixture *f = *state;
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_results *r = NULL;
    newsidx_query *q = NULL;
    newsidx_error err;
    char text[2048] = "";
    int i;

    for (i = 0; i < 64; i++)
        strcat(text, i % 2 ? "walrus " : "-seal ");
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, &err),
                     NEWSIDX_OK);
    newsidx_query_free(q);
    strcat(text, "\"one more\"");
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, &err),
                     NEWSIDX_PARSE);
    assert_null(q);
    assert_non_null(strstr(err.message, "too many words and phrases (65;"));
    text[0] = '\0';
    for (i = 0; i < 25; i++)
        strcat(text, "quality:>1 ");
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, &err),
                     NEWSIDX_PARSE);
    assert_non_null(strstr(err.message, "too many filters (25;"));
    /* 24 of the filters with the most SQL parameters still run. */
    strcpy(text, "walrus");
    for (i = 0; i < 24; i++)
        strcat(text, " date:2001-02-03..2030");
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
    newsidx_results_free(r);
    newsidx_query_free(q);
}

/* Add a story copy: `url` as webUrl ("" for none), the given quality. */
static void
add_copy(fixture *f, const char *name, const char *title, const char *url,
         int quality)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "---\ntitle: \"%s\"\nexcerpt: \"gantry story\"\n%s%s%s"
             "quality: %d\n---\n",
             title, *url ? "webUrl: " : "", url, *url ? "\n" : "", quality);
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, NULL),
                     NEWSIDX_OK);
}

/* One page of `text` sorted by quality: the hits' paths with their
 * collapsed ids ("a(1,2) d(4)"), the stories and whether exact. */
static const char *
collapsed_page(fixture *f, const char *text, uint64_t offset, unsigned limit,
               uint64_t *stories, bool *is_exact)
{
    static char out[1024];
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    const newsidx_hit *h;
    size_t len = 0, i;

    opts.sort = NEWSIDX_SORT_QUALITY;
    opts.offset = offset;
    opts.limit = limit;
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
    out[0] = '\0';
    while (newsidx_results_next(&h, r) == NEWSIDX_OK && len < 900) {
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s(",
                                len > 0 ? " " : "", newsidx_hit_path(h));
        assert_int_equal(newsidx_hit_collapsed_id(h, 0), newsidx_hit_id(h));
        for (i = 0; i < newsidx_hit_collapsed(h); i++)
            len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%lld",
                                    i > 0 ? "," : "",
                                    (long long)newsidx_hit_collapsed_id(h, i));
        assert_int_equal(newsidx_hit_collapsed_id(h, i), 0);
        len += (size_t)snprintf(out + len, sizeof(out) - len, ")");
    }
    *stories = newsidx_results_stories(r, is_exact);
    newsidx_results_free(r);
    newsidx_query_free(q);
    return out;
}

/* Going down the ranked list, an item joins the first story above it
 * whose head has its URL or its normalized title; else it heads its own.
 * The head lists the ids it stands for, its own first. */
static void
test_search__collapse_joins_the_first_story_by_url_or_title(void **state)
{
    fixture *f = *state;
    uint64_t stories;
    bool is_exact;

    /* 1; 2 has a's URL; 3 a's title, normalized; 4 b's title, but b is
     * no head; 5 d's title; 6 alone. */
    add_copy(f, "a", "Robots take the port", "https://x.org/1", 90);
    add_copy(f, "b", "Another title", "https://www.x.org/1/", 80);
    add_copy(f, "c", "ROBOTS  take the P\xc3\xb6rt", "https://y.org/2", 70);
    add_copy(f, "d", "Another title", "https://z.org/3", 60);
    add_copy(f, "e", "Another title", "", 50);
    add_copy(f, "g", "Lone story", "", 40);
    assert_string_equal(collapsed_page(f, "gantry", 0, 10, &stories, &is_exact),
                        "a(1,2,3) d(4,5) g(6)");
    assert_int_equal(stories, 3);
    assert_true(is_exact);
    /* Paging goes through the stories: the second page of 2 has one. */
    assert_string_equal(collapsed_page(f, "gantry", 2, 2, &stories, &is_exact),
                        "g(6)");
    assert_int_equal(stories, 3);
    assert_string_equal(collapsed_page(f, "gantry", 3, 2, &stories, &is_exact),
                        "");
    assert_int_equal(stories, 3);
}

/* Give item `id` the title hash of item `like` in docinfo and in
 * title_keys, as two titles whose hashes collide would have. */
static void
collide_titles(fixture *f, int64_t id, int64_t like)
{
    sqlite3 *db = f->idx->db;
    sqlite3_stmt *stmt;
    unsigned char data[NX_DOCINFO_BYTES];
    uint64_t h_like, h_old;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT data FROM docinfo"
                                        " WHERE block = 0",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(stmt, 0), NX_DOCINFO_BYTES);
    memcpy(data, sqlite3_column_blob(stmt, 0), NX_DOCINFO_BYTES);
    sqlite3_finalize(stmt);
    h_like = nx_docinfo_u64(data + NX_DOCINFO_TITLE_OFF + 8 * like);
    h_old = nx_docinfo_u64(data + NX_DOCINFO_TITLE_OFF + 8 * id);
    memcpy(data + NX_DOCINFO_TITLE_OFF + 8 * id,
           data + NX_DOCINFO_TITLE_OFF + 8 * like, 8);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE docinfo SET data = ?1"
                                        " WHERE block = 0",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, data, NX_DOCINFO_BYTES, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE title_keys SET hash = ?1"
                                        " WHERE hash = ?2 AND id = ?3",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, (int64_t)h_like);
    sqlite3_bind_int64(stmt, 2, (int64_t)h_old);
    sqlite3_bind_int64(stmt, 3, id);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_finalize(stmt);
}

/* Collapsing compares the hashes of the keys (docinfo); two titles that
 * share a hash are still two stories: the fold the hashes suggest is
 * checked against the titles, and the copies found anew from them. */
static void
test_search__equal_hashes_of_different_titles_do_not_collapse(void **state)
{
    fixture *f = *state;
    uint64_t stories;
    bool is_exact;

    add_copy(f, "a", "Robots take the port", "", 90);
    add_copy(f, "b", "Another story", "", 80);
    add_copy(f, "c", "Robots take the port", "", 70);
    add_copy(f, "d", "Another story", "", 60);
    assert_string_equal(collapsed_page(f, "gantry", 0, 10, &stories, &is_exact),
                        "a(1,3) b(2,4)");
    collide_titles(f, 2, 1); /* b's hash is a's */
    collide_titles(f, 4, 1); /* and d's */
    assert_string_equal(collapsed_page(f, "gantry", 0, 10, &stories, &is_exact),
                        "a(1,3) b(2,4)");
    assert_int_equal(stories, 2);
    /* A page whose scan does not reach the copies finds them by the
     * hashes (title_keys): only the real ones. */
    assert_string_equal(collapsed_page(f, "gantry", 0, 1, &stories, &is_exact),
                        "a(1,3)");
    assert_string_equal(collapsed_page(f, "gantry", 1, 1, &stories, &is_exact),
                        "b(2,4)");
}

/* Add an item with this title, excerpt and quality. */
static void
add_titled(fixture *f, const char *name, const char *title, const char *excerpt,
           int quality)
{
    char text[512];

    snprintf(text, sizeof(text),
             "---\ntitle: \"%s\"\nexcerpt: \"%s\"\nquality: %d\n---\n", title,
             excerpt, quality);
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, NULL),
                     NEWSIDX_OK);
}

/* A hit lists its copies ranked below the page's scan, and only those
 * the query matches: here 100 items share the title "Weather", 5 of
 * them about a storm, and the page's scan keeps 8 of the 1,055 storm
 * items.  (Past 64 same-title items the query's matches are marked to
 * sift them.) */
static void
test_search__a_hit_lists_its_copies_below_the_scan(void **state)
{
    fixture *f = *state;
    char name[32], title[64];
    uint64_t stories;
    bool is_exact;
    int i;

    add_titled(f, "w0", "Weather", "storm ahead", 99);
    for (i = 1; i < 100; i++) {
        snprintf(name, sizeof(name), "w%d", i);
        add_titled(f, name, "Weather", i % 20 == 0 ? "storm ahead" : "calm",
                   i % 20 == 0 ? 1 : 50);
    }
    /* More than NX_STORIES_EXACT_MAX matches: no scan of them all. */
    for (i = 0; i < 1050; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        snprintf(title, sizeof(title), "Storm report %d", i);
        add_titled(f, name, title, "storm ahead", 90 - i / 100);
    }
    /* w0 is item 1; the storm copies w20, w40, w60, w80 are items 21,
     * 41, 61, 81, ranked last (quality 1): far below a scan of 8. */
    assert_string_equal(collapsed_page(f, "storm", 0, 1, &stories, &is_exact),
                        "w0(1,21,41,61,81)");
    assert_false(is_exact);
    assert_string_equal(collapsed_page(f, "storm", 1, 1, &stories, &is_exact),
                        "s0(101)");
}

/* A year as SQLite's strftime('%Y', t, 'unixepoch') writes it, which the
 * year facets count by, over the whole range and past its ends. */
static void
test_search__years_are_sqlites(void **state)
{
    fixture *f = *state;
    sqlite3_stmt *stmt;
    int64_t t[2000];
    size_t n = 0, i;
    uint64_t x = 88172645463325252ULL;

    (void)f;
    {
        static const int64_t edges[] = {-210866760001LL,
                                        -210866760000LL,
                                        -62167219201LL,
                                        -62167219200LL,
                                        -1,
                                        0,
                                        1,
                                        951782399,
                                        951782400,
                                        253402300799LL,
                                        253402300800LL,
                                        INT64_MIN / 2,
                                        INT64_MAX / 2};

        for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
            t[n++] = edges[i];
    }
    while (n < sizeof(t) / sizeof(t[0])) { /* xorshift: spread over the range */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t[n++] = (int64_t)(x % 464269060800ULL) - 210866760000LL;
    }
    assert_int_equal(sqlite3_prepare_v2(f->idx->db,
                                        "SELECT strftime('%Y', ?1,"
                                        " 'unixepoch')",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    for (i = 0; i < n; i++) {
        char y[32] = "";
        bool has = nx_sqlite_year(t[i], y, sizeof(y));

        sqlite3_bind_int64(stmt, 1, t[i]);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
            assert_false(has);
        } else {
            assert_true(has);
            assert_string_equal(y, (const char *)sqlite3_column_text(stmt, 0));
        }
        sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
}

/* Up to 1,000 matches the stories are counted exactly, copies past the
 * page included, and paging yields that many; past 1,000 the count is an
 * upper bound, flagged. */
static void
test_search__stories_are_counted_exactly_up_to_a_thousand(void **state)
{
    fixture *f = *state;
    char name[32], title[64];
    uint64_t stories, offset, n_hits = 0;
    bool is_exact;
    int i;

    /* 600 items, every third a copy (same title) of the one before. */
    for (i = 0; i < 600; i++) {
        snprintf(name, sizeof(name), "n%04d", i);
        snprintf(title, sizeof(title), "Story %d", i % 3 == 2 ? i - 1 : i);
        add_copy(f, name, title, "", 1000 - i);
    }
    collapsed_page(f, "gantry", 0, 10, &stories, &is_exact);
    assert_true(is_exact);
    assert_int_equal(stories, 400);
    for (offset = 0;; offset += 50) {
        const char *page =
            collapsed_page(f, "gantry", offset, 50, &stories, &is_exact);
        const char *p;

        if (*page == '\0')
            break;
        for (p = page, n_hits++; (p = strchr(p, ' ')) != NULL; p++)
            n_hits++;
    }
    assert_int_equal(n_hits, 400);
    /* 1,200 items: past the exact limit. */
    for (i = 600; i < 1200; i++) {
        snprintf(name, sizeof(name), "n%04d", i);
        snprintf(title, sizeof(title), "Story %d", i % 3 == 2 ? i - 1 : i);
        add_copy(f, name, title, "", 1000 - i);
    }
    collapsed_page(f, "gantry", 0, 10, &stories, &is_exact);
    assert_false(is_exact);
    assert_true(stories >= 800 && stories <= 1200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search__prior_factor_is_neutral_for_unknowns),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_search__equal_text_higher_quality_first),
        T(test_search__equal_text_higher_heat_first),
        T(test_search__strong_title_match_beats_weak_match_with_high_prior),
        T(test_search__unknown_heat_is_not_punished),
        T(test_search__ranked_scan_gives_the_exhaustive_top10),
        T(test_search__random_queries_give_the_exhaustive_top10),
        T(test_search__word_forms_give_the_exhaustive_top10),
        T(test_search__date_filters_at_month_edges),
        T(test_search__total_counts_every_match),
        T(test_search__counts_follow_changes_to_the_file),
        T(test_search__phrases_deep_in_the_body_and_in_later_columns),
        T(test_search__too_many_terms_or_filters_is_an_error),
        T(test_search__idf_from_the_terms_table),
        T(test_search__collapse_joins_the_first_story_by_url_or_title),
        T(test_search__stories_are_counted_exactly_up_to_a_thousand),
        T(test_search__equal_hashes_of_different_titles_do_not_collapse),
        T(test_search__years_are_sqlites),
        T(test_search__a_hit_lists_its_copies_below_the_scan),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
