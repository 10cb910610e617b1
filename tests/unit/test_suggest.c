/*
 * test_suggest.c - unit tests of query/suggest.c: "did you mean" replaces
 * only words that match nothing or very little, and a suggestion is made
 * only when it finds more than the query, with what it finds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "results.h"

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-suggest-XXXXXX");
}

/* Add `n` items titled `title`, named PREFIX0, PREFIX1, ... */
static void
add_n(fixture *f, const char *prefix, int n, const char *title,
      bool is_published)
{
    char name[64], text[512];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        snprintf(text, sizeof(text),
                 "---\ntitle: \"%s\"\nwebUrl: https://x.org/%s\n%s---\n", title,
                 name, is_published ? "" : "published: false\n");
        assert_int_equal(newsidx_index_add_buffer(f->idx, name, text,
                                                  strlen(text), NULL, NULL,
                                                  NULL),
                         NEWSIDX_OK);
    }
}

/* The suggestions of `text` as "TEXT (TOTAL)" joined by "; ", in a static
 * buffer ("" when none); *total_out gets the query's own total. */
static const char *
suggested(fixture *f, const char *text, bool is_all, uint64_t *total_out)
{
    static char out[512];
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_query *q;
    newsidx_results *r;
    const char *s;
    uint64_t total = 1;
    size_t i, len = 0;

    opts.include_unpublished = is_all;
    assert_int_equal(newsidx_query_new(&q, f->idx, text, &opts, NULL),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, NULL), NEWSIDX_OK);
    out[0] = '\0';
    for (i = 0; newsidx_results_suggestion(&s, &total, r, i) == NEWSIDX_OK;
         i++) {
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s (%llu)",
                                i ? "; " : "", s, (unsigned long long)total);
        assert_true(total > newsidx_results_total(r));
    }
    /* Past the last: NEWSIDX_DONE, with both outputs cleared. */
    assert_int_equal(newsidx_results_suggestion(&s, &total, r, i),
                     NEWSIDX_DONE);
    assert_null(s);
    assert_int_equal(total, 0);
    assert_true(i <= NX_SUGGEST_MAX);
    if (total_out != NULL)
        *total_out = newsidx_results_total(r);
    newsidx_results_free(r);
    newsidx_query_free(q);
    return out;
}

/* A word in no item: the nearest term, with what the new query finds. */
static void
test_suggest__word_in_no_item_gets_the_nearest_term(void **state)
{
    fixture *f = *state;
    uint64_t total;

    add_n(f, "w", 3, "walrus colony", true);
    assert_string_equal(suggested(f, "walrsu", false, &total), "walrus (3)");
    assert_int_equal(total, 0);
    assert_string_equal(suggested(f, "walrus", false, &total), "");
    assert_int_equal(total, 3);
}

/* "Very little": a word in some items is replaced by a term one edit away
 * that is in at least ten times as many items, and only then. */
static void
test_suggest__very_little_is_a_tenth(void **state)
{
    fixture *f = *state;
    uint64_t total;

    add_n(f, "typo", 1, "walrsu colony", true);
    add_n(f, "w", 9, "walrus colony", true);
    assert_string_equal(suggested(f, "walrsu", false, &total), "");
    assert_int_equal(total, 1);
    add_n(f, "more", 1, "walrus colony", true);
    assert_string_equal(suggested(f, "walrsu", false, &total), "walrus (10)");
    assert_int_equal(total, 1);
}

/* A word that matches is not taken for a typo of a term two edits away,
 * however frequent ("intel" was "into", "tesla" was "test"). */
static void
test_suggest__a_matching_word_is_not_replaced_two_edits_away(void **state)
{
    fixture *f = *state;

    add_n(f, "i", 1, "intel colleges", true);
    add_n(f, "t", 30, "into the colony", true);
    assert_string_equal(suggested(f, "intel", false, NULL), "");
    assert_string_equal(suggested(f, "intel colleges", false, NULL), "");
    /* A word in no item may be two edits away. */
    assert_string_equal(suggested(f, "inttoo", false, NULL), "into (30)");
}

/* A suggestion that finds no more than the query is not made. */
static void
test_suggest__only_when_it_finds_more(void **state)
{
    fixture *f = *state;

    add_n(f, "w", 3, "walrus colony", true);
    add_n(f, "p", 2, "pelican beach", true);
    /* "walrus pelican" finds nothing either. */
    assert_string_equal(suggested(f, "walrsu pelican", false, NULL), "");
    assert_string_equal(suggested(f, "walrsu colony", false, NULL),
                        "walrus colony (3)");
}

/* Counted under the query's options: unpublished items count only with
 * include_unpublished, as they do for the query. */
static void
test_suggest__counted_with_the_query_options(void **state)
{
    fixture *f = *state;

    add_n(f, "u", 4, "walrus colony", false);
    assert_string_equal(suggested(f, "walrsu", false, NULL), "");
    assert_string_equal(suggested(f, "walrsu", true, NULL), "walrus (4)");
}

/* Two typos: each fix alone finds nothing, both at once do. */
static void
test_suggest__several_typos_fixed_together(void **state)
{
    fixture *f = *state;

    add_n(f, "w", 2, "walrus colony", true);
    add_n(f, "p", 3, "pelican colony", true);
    add_n(f, "b", 1, "walrus pelican beach", true);
    assert_string_equal(suggested(f, "walrsu pelicna", false, NULL),
                        "walrus pelican (1)");
    /* With OR each finds some: most matches first, at most three. */
    assert_string_equal(suggested(f, "walrsu OR pelicna OR beahc", false, NULL),
                        "walrus OR pelican OR beach (6); "
                        "walrsu OR pelican OR beahc (4); "
                        "walrus OR pelicna OR beahc (3)");
}

/* A damaged count in the terms table is reported, never shown. */
static void
test_suggest__damaged_term_count_is_corrupt(void **state)
{
    fixture *f = *state;
    newsidx_query *q;
    newsidx_results *r = NULL;
    newsidx_error err;
    sqlite3 *db;

    add_n(f, "w", 3, "walrus colony", true);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE terms SET df = -5"
                                  " WHERE term = 'walrus'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(newsidx_query_new(&q, f->idx, "walrsu", NULL, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_query_run(&r, q, &err), NEWSIDX_CORRUPT);
    assert_null(r);
    assert_non_null(strstr(err.message, "terms table"));
    newsidx_query_free(q);
}

/* Out of memory at each allocation of a query that gets a suggestion. */
static void
test_suggest__allocation_failures(void **state)
{
    fixture *f = *state;
    newsidx_query *q;
    newsidx_results *r = NULL;
    newsidx_error err;
    long n;
    int rc = NEWSIDX_NOMEM;

    add_n(f, "w", 2, "walrus colony", true);
    add_n(f, "p", 1, "walrus pelican", true);
    assert_int_equal(
        newsidx_query_new(&q, f->idx, "walrsu pelicna", NULL, &err),
        NEWSIDX_OK);
    for (n = 0; rc != NEWSIDX_OK; n++) {
        nx_alloc_fail_after(n);
        rc = newsidx_query_run(&r, q, &err);
        nx_alloc_fail_after(-1);
        if (rc != NEWSIDX_OK) {
            assert_int_equal(rc, NEWSIDX_NOMEM);
            assert_null(r);
        }
    }
    {
        const char *s = NULL;
        uint64_t total = 0;

        assert_int_equal(newsidx_results_suggestion(&s, &total, r, 0),
                         NEWSIDX_OK);
        assert_string_equal(s, "walrus pelican");
        assert_int_equal(total, 1);
    }
    newsidx_results_free(r);
    newsidx_query_free(q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_suggest__word_in_no_item_gets_the_nearest_term),
        T(test_suggest__very_little_is_a_tenth),
        T(test_suggest__a_matching_word_is_not_replaced_two_edits_away),
        T(test_suggest__only_when_it_finds_more),
        T(test_suggest__counted_with_the_query_options),
        T(test_suggest__several_typos_fixed_together),
        T(test_suggest__damaged_term_count_is_corrupt),
        T(test_suggest__allocation_failures),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
