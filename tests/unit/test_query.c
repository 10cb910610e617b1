/*
 * test_query.c - the query object's options: the reference date of
 * freshness (newsidx_query_now), which defaults to the newest date in the
 * index, found from its date tags, and the scores measured from it; the
 * other forms of the words it searches (newsidx_query_form), the exact
 * option and the form weight; options of version 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-query-XXXXXX");
}

/* Add item `name` about walruses, dated `date` (publishedDateTime, or
 * none when NULL); unpublished when `is_draft`. */
static void
add(fixture *f, const char *name, const char *date, bool is_draft)
{
    char text[512], d[64] = "";
    newsidx_error err;

    if (date != NULL)
        snprintf(d, sizeof(d), "publishedDateTime: %s\n", date);
    snprintf(text, sizeof(text),
             "---\ntitle: \"Walrus news %s\"\nexcerpt: \"About walruses\"\n"
             "%s%s---\n",
             name, d, is_draft ? "published: false\n" : "");
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, &err),
                     NEWSIDX_OK);
}

/* The reference time of a query for "walrus" with a half-life of
 * `half_life` days and the option `now`; false when it has none. */
static bool
reference(fixture *f, double half_life, int64_t now, int64_t *out)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_error err;
    bool has;

    opts.fresh_half_life = half_life;
    opts.now = now;
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", &opts, &err),
                     NEWSIDX_OK);
    has = newsidx_query_now(q, out);
    newsidx_query_free(q);
    return has;
}

static void
test_query__now_is_the_newest_date(void **state)
{
    fixture *f = *state;
    int64_t now = 0;

    add(f, "old", "2019-05-01T08:00:00Z", false);
    add(f, "newest", "2023-07-15T10:00:00Z", false);
    add(f, "feb", "2023-02-28T12:00:00Z", false);
    add(f, "undated", NULL, false);
    assert_true(reference(f, 30, 0, &now));
    assert_int_equal(now, 1689415200); /* 2023-07-15T10:00:00Z */
}

static void
test_query__now_is_in_the_latest_month_of_the_latest_year(void **state)
{
    fixture *f = *state;
    int64_t now = 0;

    add(f, "nov", "2023-11-30T23:59:59Z", false);
    add(f, "dec", "2023-12-01T00:00:00Z", false);
    add(f, "dec-early", "2023-12-01T00:00:00Z", false);
    add(f, "last-year", "2022-12-31T23:00:00Z", false);
    add(f, "ancient", "0999-06-01T00:00:00Z", false);
    assert_true(reference(f, 30, 0, &now));
    assert_int_equal(now, 1701388800); /* 2023-12-01T00:00:00Z */
}

static void
test_query__now_counts_unpublished_items(void **state)
{
    fixture *f = *state;
    int64_t now = 0;

    add(f, "item", "2020-01-01T00:00:00Z", false);
    add(f, "draft", "2020-03-01T00:00:00Z", true);
    assert_true(reference(f, 30, 0, &now));
    assert_int_equal(now, 1583020800); /* 2020-03-01T00:00:00Z */
}

static void
test_query__now_follows_the_index(void **state)
{
    fixture *f = *state;
    newsidx_error err;
    int64_t now = 0;

    add(f, "a", "2020-01-01T00:00:00Z", false);
    add(f, "b", "2021-05-01T00:00:00Z", false);
    assert_true(reference(f, 30, 0, &now));
    assert_int_equal(now, 1619827200); /* 2021-05-01 */
    assert_int_equal(newsidx_index_remove(f->idx, "b", &err), NEWSIDX_OK);
    assert_true(reference(f, 30, 0, &now));
    assert_int_equal(now, 1577836800); /* 2020-01-01 */
}

static void
test_query__now_option_wins(void **state)
{
    fixture *f = *state;
    int64_t now = 0;

    add(f, "a", "2020-01-01T00:00:00Z", false);
    assert_true(reference(f, 30, 12345, &now));
    assert_int_equal(now, 12345);
}

static void
test_query__now_is_the_clock_without_dates(void **state)
{
    fixture *f = *state;
    int64_t now = 0, before = (int64_t)time(NULL);

    add(f, "undated", NULL, false);
    assert_true(reference(f, 30, 0, &now));
    assert_true(now >= before && now <= (int64_t)time(NULL));
}

static void
test_query__now_is_the_clock_before_a_date_in_the_future(void **state)
{
    fixture *f = *state;
    int64_t now = 0, before = (int64_t)time(NULL);

    add(f, "a", "2020-01-01T00:00:00Z", false);
    add(f, "typo", "2999-01-01T00:00:00Z", false);
    assert_true(reference(f, 30, 0, &now));
    assert_true(now >= before && now <= (int64_t)time(NULL));
}

static void
test_query__no_now_without_freshness(void **state)
{
    fixture *f = *state;
    int64_t now = 42;

    add(f, "a", "2020-01-01T00:00:00Z", false);
    assert_false(reference(f, 0, 0, &now));
    assert_int_equal(now, 42);
}

static void
test_query__stored_half_life_gives_a_now(void **state)
{
    fixture *f = *state;
    sqlite3 *db;
    int64_t now = 0;

    add(f, "a", "2020-01-01T00:00:00Z", false);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO meta VALUES('weights',"
                                  " 'fresh=10')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_true(reference(f, 0, 0, &now));
    assert_int_equal(now, 1577836800);
}

/* The factors of the hit at `path`, for "walrus" with a 30-day half-life
 * from the index's newest date. */
static void
fresh_of(fixture *f, const char *path, double *fresh, double *score)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    const newsidx_hit *h;
    newsidx_error err;
    double bm25, prior;

    opts.fresh_half_life = 30;
    opts.no_collapse = true;
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", &opts, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
    *fresh = -1;
    while (newsidx_results_next(&h, r) == NEWSIDX_OK)
        if (strcmp(newsidx_hit_path(h), path) == 0) {
            newsidx_hit_factors(h, &bm25, &prior, fresh);
            *score = newsidx_hit_score(h);
        }
    newsidx_results_free(r);
    newsidx_query_free(q);
}

static void
test_query__scores_of_an_archive_do_not_collapse(void **state)
{
    fixture *f = *state;
    double fresh = 0, score = 0;

    add(f, "newest", "2015-06-01T00:00:00Z", false);
    add(f, "month", "2015-05-02T00:00:00Z", false);
    add(f, "decade", "2005-06-01T00:00:00Z", false);
    fresh_of(f, "newest", &fresh, &score);
    assert_true(fresh == 1.0);
    fresh_of(f, "month", &fresh, &score);
    assert_true(fresh > 0.54 && fresh < 0.56); /* 30 days: 0.1 + 0.9 / 2 */
    fresh_of(f, "decade", &fresh, &score);
    assert_true(fresh >= 0.1 && fresh < 0.1001);
    assert_true(score > 0);
}

/* The number of matches of `text` with `opts`. */
static uint64_t
total_of(fixture *f, const char *text, const newsidx_query_options *opts)
{
    newsidx_query *q;
    newsidx_results *r;
    newsidx_error err;
    uint64_t n;

    assert_int_equal(newsidx_query_new(&q, f->idx, text, opts, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
    n = newsidx_results_total(r);
    newsidx_results_free(r);
    newsidx_query_free(q);
    return n;
}

/* Add item `name` with `title` and no excerpt. */
static void
add_titled(fixture *f, const char *name, const char *title)
{
    char text[512];
    newsidx_error err;

    snprintf(text, sizeof(text), "---\ntitle: \"%s\"\n---\n", title);
    assert_int_equal(newsidx_index_add_buffer(f->idx, name, text, strlen(text),
                                              NULL, NULL, &err),
                     NEWSIDX_OK);
}

/* "word>form word>form ..." of query `text`: what newsidx_query_form
 * lists, in its order. */
static void
forms_of(fixture *f, const char *text, const newsidx_query_options *opts,
         char *out, size_t size)
{
    newsidx_query *q;
    newsidx_error err;
    const char *word = "x", *form = "x";
    size_t i, n = 0;

    assert_int_equal(newsidx_query_new(&q, f->idx, text, opts, &err),
                     NEWSIDX_OK);
    out[0] = '\0';
    for (i = 0; newsidx_query_form(&word, &form, q, i) == NEWSIDX_OK; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s>%s", i ? " " : "", word,
                              form);
    assert_null(word); /* past the end: both NULL */
    assert_null(form);
    newsidx_query_free(q);
}

static void
test_query__forms_are_listed(void **state)
{
    fixture *f = *state;
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_error err;
    char got[256];

    add_titled(f, "a", "Robots sorted parcels");
    add_titled(f, "b", "Robotic sorting");
    add_titled(f, "c", "A robot");
    /* The most frequent form first, then alphabetical; the excluded
     * word's forms too; a quoted word and =word have none. */
    forms_of(f, "Robot -sort", &opts, got, sizeof(got));
    assert_string_equal(got, "robot>robotic robot>robots sort>sorted"
                             " sort>sorting");
    forms_of(f, "\"robot\" =sorting parcel", &opts, got, sizeof(got));
    assert_string_equal(got, "parcel>parcels");
    assert_int_equal(newsidx_query_new(&q, f->idx, "robot", &opts, &err),
                     NEWSIDX_OK);
    assert_true(newsidx_query_form_weight(q) == 0.5);
    newsidx_query_free(q);
    opts.w_form = 0.25;
    assert_int_equal(newsidx_query_new(&q, f->idx, "robot", &opts, &err),
                     NEWSIDX_OK);
    assert_true(newsidx_query_form_weight(q) == 0.25);
    newsidx_query_free(q);
}

static void
test_query__exact_option_matches_the_words_as_typed(void **state)
{
    fixture *f = *state;
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    char got[256];

    add_titled(f, "a", "Robots sorted parcels");
    add_titled(f, "b", "A robot");
    assert_int_equal(total_of(f, "robot", &opts), 2);
    assert_int_equal(total_of(f, "robots", &opts), 2);
    opts.is_exact = true;
    assert_int_equal(total_of(f, "robot", &opts), 1);
    assert_int_equal(total_of(f, "robots", &opts), 1);
    assert_int_equal(total_of(f, "robots -sort", &opts), 1); /* not sorted */
    forms_of(f, "robot -sort", &opts, got, sizeof(got));
    assert_string_equal(got, "");
}

static void
test_query__form_weight_is_checked(void **state)
{
    fixture *f = *state;
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q = NULL;
    newsidx_error err;

    opts.w_form = 1.5;
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", &opts, &err),
                     NEWSIDX_INVALID);
    assert_null(q);
    assert_non_null(strstr(err.message, "form weight"));
    opts.version = 3;
    opts.w_form = -1;
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", &opts, &err),
                     NEWSIDX_INVALID);
}

/* newsidx_query_options_init gives what the macro gives. */
static void
test_query__options_init_is_the_macro(void **state)
{
    newsidx_query_options want = NEWSIDX_QUERY_OPTIONS_INIT, got;

    (void)state;
    memset(&got, 0xa5, sizeof(got));
    assert_int_equal(
        newsidx_query_options_init(&got, NEWSIDX_QUERY_OPTIONS_VERSION),
        NEWSIDX_OK);
    assert_int_equal(got.version, want.version);
    assert_int_equal(got.sort, want.sort);
    assert_int_equal(got.limit, want.limit);
    assert_int_equal(got.offset, want.offset);
    assert_int_equal(got.related_limit, want.related_limit);
    assert_int_equal(got.facets, want.facets);
    assert_false(got.include_unpublished);
    assert_false(got.no_collapse);
    assert_false(got.is_count_only);
    assert_false(got.is_exact);
    assert_true(got.w_form == want.w_form);
    assert_true(got.fresh_half_life == want.fresh_half_life);
    assert_int_equal(newsidx_query_options_init(&got, 0), NEWSIDX_INVALID);
    assert_int_equal(
        newsidx_query_options_init(&got, NEWSIDX_QUERY_OPTIONS_VERSION + 1),
        NEWSIDX_INVALID);
}

/* The options of a program built against 0.1.0: the struct ends at
 * mark_close.  What lies after it in memory is never read. */
static void
test_query__version_1_options_are_read_to_their_end(void **state)
{
    fixture *f = *state;
    newsidx_query_options *opts;
    size_t v1 = offsetof(newsidx_query_options, is_exact);
    newsidx_query *q;
    newsidx_error err;

    add(f, "one", NULL, false);
    /* Garbage after the version-1 fields: is_exact and w_form would be
     * invalid if read. */
    opts = malloc(sizeof(*opts));
    assert_non_null(opts);
    memset(opts, 0xff, sizeof(*opts));
    {
        newsidx_query_options init = NEWSIDX_QUERY_OPTIONS_INIT;

        memcpy(opts, &init, v1);
    }
    opts->version = 1;
    {
        /* newsidx_query_options_init(v1) writes the same, and no more. */
        unsigned char *b = malloc(sizeof(*opts));
        size_t i;

        assert_non_null(b);
        memset(b, 0xff, sizeof(*opts));
        assert_int_equal(
            newsidx_query_options_init((newsidx_query_options *)(void *)b, 1),
            NEWSIDX_OK);
        for (i = v1; i < sizeof(*opts); i++)
            assert_int_equal(b[i], 0xff);
        assert_int_equal(((newsidx_query_options *)(void *)b)->version, 1);
        assert_int_equal(((newsidx_query_options *)(void *)b)->limit, 10);
        free(b);
    }
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrus", opts, &err),
                     NEWSIDX_OK);
    assert_true(newsidx_query_form_weight(q) == 0.5);
    newsidx_query_free(q);
    opts->version = 1;
    assert_int_equal(total_of(f, "walrus", opts), 1); /* forms searched */
    free(opts);
}

/* Closing the index, or freeing the query, while what hangs on it is alive
 * is no use after free: each goes with the last of its dependents (the
 * sanitizer stage's leak check sees that everything is freed). */
static void
test_query__close_waits_for_queries_and_results(void **state)
{
    fixture *f = *state;
    newsidx_query *q, *q2;
    newsidx_results *r, *r2;
    const newsidx_hit *h;
    newsidx_error err;
    int order;

    add(f, "one", "2023-07-15T10:00:00Z", false);
    add(f, "two", "2023-07-16T10:00:00Z", false);
    for (order = 0; order < 2; order++) {
        newsidx_index *idx = f->idx;

        if (idx == NULL)
            assert_int_equal(newsidx_index_open(&idx, f->path, 0, &err),
                             NEWSIDX_OK);
        assert_int_equal(newsidx_query_new(&q, idx, "walrus", NULL, &err),
                         NEWSIDX_OK);
        assert_int_equal(newsidx_query_new(&q2, idx, "news", NULL, &err),
                         NEWSIDX_OK);
        assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
        assert_int_equal(newsidx_query_run(&r2, q, &err), NEWSIDX_OK);
        newsidx_index_close(idx);
        f->idx = NULL;
        /* Still usable: the queries can even run again. */
        newsidx_query_free(q2);
        newsidx_results_free(r2);
        assert_int_equal(newsidx_query_run(&r2, q, &err), NEWSIDX_OK);
        assert_int_equal(newsidx_results_total(r2), 2);
        newsidx_results_free(r2);
        if (order == 0) {
            /* The query first: it goes with its last results, and the
             * index with it. */
            newsidx_query_free(q);
            assert_int_equal(newsidx_results_total(r), 2);
            assert_int_equal(newsidx_results_dropped(r), 0);
            assert_int_equal(newsidx_results_next(&h, r), NEWSIDX_OK);
            assert_non_null(strstr(newsidx_hit_title(h), "Walrus"));
            newsidx_results_free(r);
        } else {
            /* The results first: the index goes with the query. */
            newsidx_results_free(r);
            assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
            assert_int_equal(newsidx_results_total(r), 2);
            newsidx_results_free(r);
            newsidx_query_free(q);
        }
    }
}

/* A second index beside the fixture's, u.db. */
static newsidx_index *
second_index(fixture *f)
{
    char path[160];
    newsidx_index *idx = NULL;
    newsidx_error err;

    snprintf(path, sizeof(path), "%s/u.db", f->dir);
    assert_int_equal(newsidx_index_open(&idx, path, NEWSIDX_OPEN_CREATE, &err),
                     NEWSIDX_OK);
    return idx;
}

static void
test_query__multi_refuses_misuse(void **state)
{
    fixture *f = *state;
    newsidx_index *twice[2] = {f->idx, f->idx}, *none[2] = {f->idx, NULL};
    newsidx_query *q = (newsidx_query *)&q;
    newsidx_error err;

    assert_int_equal(newsidx_query_new_multi(&q, twice, 0, "w", NULL, &err),
                     NEWSIDX_INVALID);
    assert_null(q);
    assert_int_equal(newsidx_query_new_multi(&q, twice, 2, "w", NULL, &err),
                     NEWSIDX_INVALID);
    assert_non_null(strstr(err.message, "twice"));
    assert_int_equal(newsidx_query_new_multi(&q, none, 2, "w", NULL, &err),
                     NEWSIDX_INVALID);
    assert_int_equal(newsidx_query_new_multi(&q, NULL, 1, "w", NULL, &err),
                     NEWSIDX_INVALID);
}

/* Over two files: the reference time of freshness is the newest item of
 * both, the hits say their file, and the totals are both files'. */
static void
test_query__multi_is_one_collection(void **state)
{
    fixture *f = *state;
    newsidx_index *u = second_index(f), *both[2] = {f->idx, u};
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_results *r;
    const newsidx_hit *h;
    newsidx_query *q;
    newsidx_error err;
    const char *text = "---\ntitle: \"Walrus in the second file\"\n"
                       "publishedDateTime: 2024-01-02T00:00:00Z\n---\n";
    int64_t now = 0;
    size_t from_u = 0;

    add(f, "old", "2019-05-01T08:00:00Z", false);
    add(f, "draft", "2019-05-02T08:00:00Z", true);
    assert_int_equal(
        newsidx_index_add_buffer(u, "u1", text, strlen(text), NULL, NULL, &err),
        NEWSIDX_OK);
    opts.fresh_half_life = 30;
    assert_int_equal(
        newsidx_query_new_multi(&q, both, 2, "walrus", &opts, &err),
        NEWSIDX_OK);
    assert_true(newsidx_query_now(q, &now));
    assert_int_equal(now, 1704153600); /* 2024-01-02, from u.db */
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_OK);
    assert_int_equal(newsidx_results_total(r), 2);
    assert_int_equal(newsidx_results_unpublished(r), 1);
    while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
        if (newsidx_hit_index(h) == 1) {
            from_u++;
            assert_string_equal(newsidx_hit_path(h), "u1");
            assert_int_equal(newsidx_hit_collapsed_index(h, 0), 1);
        }
    }
    assert_int_equal(from_u, 1);
    newsidx_results_free(r);
    newsidx_query_free(q);
    newsidx_index_close(u);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_query__now_is_the_newest_date),
        T(test_query__now_is_in_the_latest_month_of_the_latest_year),
        T(test_query__now_counts_unpublished_items),
        T(test_query__now_follows_the_index),
        T(test_query__now_option_wins),
        T(test_query__now_is_the_clock_without_dates),
        T(test_query__now_is_the_clock_before_a_date_in_the_future),
        T(test_query__no_now_without_freshness),
        T(test_query__stored_half_life_gives_a_now),
        T(test_query__scores_of_an_archive_do_not_collapse),
        T(test_query__forms_are_listed),
        T(test_query__exact_option_matches_the_words_as_typed),
        T(test_query__form_weight_is_checked),
        T(test_query__version_1_options_are_read_to_their_end),
        cmocka_unit_test(test_query__options_init_is_the_macro),
        T(test_query__close_waits_for_queries_and_results),
        T(test_query__multi_refuses_misuse),
        T(test_query__multi_is_one_collection),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
