/*
 * fixture.h - the cmocka fixture of the unit tests that need an index: a
 * new index file in a fresh temporary folder, closed and removed after the
 * test.  Include after <cmocka.h>.
 */
#ifndef NX_TEST_FIXTURE_H
#define NX_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsidx.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    newsidx_index *idx;
} fixture;

/* A new index t.db in a folder made from the mkdtemp() template `tmpl`. */
static int
fixture_setup(void **state, const char *tmpl)
{
    fixture *f = calloc(1, sizeof(*f));
    newsidx_error err;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "%s", tmpl);
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    assert_int_equal(
        newsidx_index_open(&f->idx, f->path, NEWSIDX_OPEN_CREATE, &err),
        NEWSIDX_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    newsidx_index_close(f->idx);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

#endif /* NX_TEST_FIXTURE_H */
