/*
 * test_index.c - newsidx_index_paths' contract (index.c): the options and
 * stats initializers agree with their macros and respect a version 1
 * struct's end, a stats struct without its version is refused before any
 * work, and the cancel callback stops a run with what was committed kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fixture.h"

static int
setup(void **state)
{
    return fixture_setup(state, "/tmp/nx-index-XXXXXX");
}

static void
test_index__options_init_is_the_macro(void **state)
{
    newsidx_index_options want = NEWSIDX_INDEX_OPTIONS_INIT, got;
    unsigned char v1[sizeof(newsidx_index_options)];
    size_t i, end = offsetof(newsidx_index_options, excludes);

    (void)state;
    memset(&got, 0xa5, sizeof(got));
    assert_int_equal(
        newsidx_index_options_init(&got, NEWSIDX_INDEX_OPTIONS_VERSION),
        NEWSIDX_OK);
    assert_int_equal(got.version, want.version);
    assert_null(got.extensions);
    assert_int_equal(got.n_extensions, 0);
    assert_false(got.is_rebuild);
    assert_int_equal(got.batch_size, want.batch_size);
    assert_int_equal(got.max_file_size, want.max_file_size);
    assert_null(got.on_event);
    assert_null(got.on_progress);
    assert_null(got.payload);
    assert_null(got.cancel);
    assert_null(got.excludes);
    assert_int_equal(got.n_excludes, 0);
    assert_false(got.is_retell);
    assert_null(got.is_cancelled);
    /* Version 1: nothing written past its struct's end. */
    memset(v1, 0xa5, sizeof(v1));
    assert_int_equal(
        newsidx_index_options_init((newsidx_index_options *)(void *)v1, 1),
        NEWSIDX_OK);
    assert_int_equal(((newsidx_index_options *)(void *)v1)->version, 1);
    for (i = end; i < sizeof(v1); i++)
        assert_int_equal(v1[i], 0xa5);
    /* Unknown versions: refused, untouched. */
    memset(&got, 0xa5, sizeof(got));
    assert_int_equal(newsidx_index_options_init(&got, 0), NEWSIDX_INVALID);
    assert_int_equal(
        newsidx_index_options_init(&got, NEWSIDX_INDEX_OPTIONS_VERSION + 1),
        NEWSIDX_INVALID);
    assert_int_equal(newsidx_index_options_init(NULL, 1), NEWSIDX_INVALID);
    assert_int_equal(((unsigned char *)&got)[0], 0xa5);
}

static void
test_index__stats_need_their_version(void **state)
{
    fixture *f = *state;
    newsidx_index_stats want = NEWSIDX_INDEX_STATS_INIT, got;
    newsidx_error err;
    const char *paths[1] = {f->dir};

    memset(&got, 0xa5, sizeof(got));
    assert_int_equal(newsidx_index_stats_init(&got, 1), NEWSIDX_OK);
    assert_int_equal(got.version, want.version);
    assert_int_equal(got.added, 0);
    assert_true(got.seconds == 0);
    assert_int_equal(newsidx_index_stats_init(&got, 2), NEWSIDX_INVALID);
    /* Without its version: refused, with the way out in the message. */
    memset(&got, 0, sizeof(got));
    assert_int_equal(newsidx_index_paths(&got, f->idx, paths, 1, NULL, &err),
                     NEWSIDX_INVALID);
    assert_non_null(strstr(err.message, "NEWSIDX_INDEX_STATS_INIT"));
    got = want;
    assert_int_equal(newsidx_index_paths(&got, f->idx, paths, 1, NULL, &err),
                     NEWSIDX_OK);
    assert_int_equal(got.version, NEWSIDX_INDEX_STATS_VERSION);
}

typedef struct cancel_state {
    int n_asked, stop_at;
} cancel_state;

static bool
cancel_after(void *payload)
{
    cancel_state *c = payload;

    return ++c->n_asked >= c->stop_at;
}

static void
test_index__cancel_callback_stops_the_run(void **state)
{
    fixture *f = *state;
    newsidx_index_options opts = NEWSIDX_INDEX_OPTIONS_INIT;
    newsidx_index_stats stats = NEWSIDX_INDEX_STATS_INIT;
    newsidx_error err;
    cancel_state c = {0, 50};
    char dir[128], path[200];
    const char *paths[1] = {dir};
    int64_t n = -1;
    int i;

    snprintf(dir, sizeof(dir), "%s/items", f->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    for (i = 0; i < 200; i++) {
        FILE *fp;

        snprintf(path, sizeof(path), "%s/%03d.md", dir, i);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "---\ntitle: \"Item %d\"\n---\n", i);
        fclose(fp);
    }
    opts.batch_size = 10;
    opts.is_cancelled = cancel_after;
    opts.payload = &c;
    assert_int_equal(newsidx_index_paths(&stats, f->idx, paths, 1, &opts, &err),
                     NEWSIDX_CANCELLED);
    assert_int_equal(c.n_asked, c.stop_at);
    /* What was committed stays: fewer than all, and a run without the
     * callback completes. */
    assert_int_equal(newsidx_index_count(&n, f->idx, &err), NEWSIDX_OK);
    assert_true(n < 200);
    opts.is_cancelled = NULL;
    assert_int_equal(newsidx_index_paths(&stats, f->idx, paths, 1, &opts, &err),
                     NEWSIDX_OK);
    assert_int_equal(newsidx_index_count(&n, f->idx, &err), NEWSIDX_OK);
    assert_int_equal(n, 200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index__options_init_is_the_macro),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_index__stats_need_their_version),
        T(test_index__cancel_callback_stops_the_run),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
