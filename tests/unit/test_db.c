/*
 * test_db.c - the index file's connection: the checkpoint that folds the
 * write-ahead log into the file (newsidx_index_checkpoint).
 *
 * A disk that fills up or fails is simulated by a VFS shim registered as
 * the default: it is the system's own VFS, except that writes to a main
 * database file fail with `fault_rc` while that is set.  The log and the
 * shared memory are written as usual, so commits still succeed and only
 * the checkpoint meets the fault, as on a nearly full disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "write.h"

static sqlite3_vfs fault_vfs;            /* the shim */
static sqlite3_vfs *fault_real;          /* the system's VFS */
static sqlite3_io_methods fault_methods; /* the real ones, but xWrite */
static const sqlite3_io_methods *fault_real_methods;
static int fault_rc = SQLITE_OK; /* what main-file writes return */

/* Kept after the real VFS's file object: is this a main database file? */
typedef struct fault_tag {
    unsigned char is_main;
} fault_tag;

static fault_tag *
fault_tag_of(sqlite3_file *file)
{
    return (fault_tag *)((char *)file + fault_real->szOsFile);
}

static int
fault_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    if (fault_rc != SQLITE_OK && fault_tag_of(file)->is_main)
        return fault_rc;
    return fault_real_methods->xWrite(file, buf, amt, off);
}

/* Open through the real VFS, then give a main database file the methods
 * with our xWrite (the system's VFS uses other methods for other files). */
static int
fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
           int *flags_out)
{
    int rc = fault_real->xOpen(fault_real, name, file, flags, flags_out);

    (void)vfs;
    fault_tag_of(file)->is_main = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    if (rc != SQLITE_OK || file->pMethods == NULL ||
        !fault_tag_of(file)->is_main)
        return rc;
    if (fault_real_methods == NULL) {
        fault_real_methods = file->pMethods;
        fault_methods = *file->pMethods;
        fault_methods.xWrite = fault_write;
    }
    assert_ptr_equal(file->pMethods, fault_real_methods);
    file->pMethods = &fault_methods;
    return rc;
}

static void
fault_vfs_register(void)
{
    fault_real = sqlite3_vfs_find(NULL);
    assert_non_null(fault_real);
    fault_vfs = *fault_real;
    fault_vfs.zName = "nx-fault";
    fault_vfs.szOsFile = fault_real->szOsFile + (int)sizeof(fault_tag);
    fault_vfs.xOpen = fault_open;
    assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

static int
setup(void **state)
{
    fault_rc = SQLITE_OK;
    return fixture_setup(state, "/tmp/nx-db-XXXXXX");
}

/* The fault is lifted first, so that closing folds the log as usual. */
static int
teardown_db(void **state)
{
    fault_rc = SQLITE_OK;
    return teardown(state);
}

static const char item_text[] = "---\n"
                                "title: \"Walrus census\"\n"
                                "excerpt: \"Counting walruses from space\"\n"
                                "webUrl: https://example.com/walrus\n"
                                "---\n";

static void
add_item(newsidx_index *idx, const char *source)
{
    assert_int_equal(newsidx_index_add_buffer(idx, source, item_text,
                                              strlen(item_text), NULL, NULL,
                                              NULL),
                     NEWSIDX_OK);
}

/* The size of the index's -wal file, or -1 if there is none. */
static long long
wal_size(const fixture *f)
{
    char path[160];
    struct stat st;

    snprintf(path, sizeof(path), "%s-wal", f->path);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int64_t
item_count(newsidx_index *idx)
{
    int64_t n = -1;

    assert_int_equal(newsidx_index_count(&n, idx, NULL), NEWSIDX_OK);
    return n;
}

static double
seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_db__checkpoint_empties_the_wal(void **state)
{
    fixture *f = *state;
    newsidx_error err;

    add_item(f->idx, "mem:1");
    assert_true(wal_size(f) > 0);
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_OK);
    assert_int_equal(wal_size(f), 0);
    assert_int_equal(item_count(f->idx), 1);
    /* Nothing to fold is no failure either, and err may be NULL. */
    assert_int_equal(newsidx_index_checkpoint(f->idx, NULL), NEWSIDX_OK);
}

static void
test_db__checkpoint_on_a_full_disk_is_io(void **state)
{
    fixture *f = *state;
    newsidx_error err;
    long long before;

    add_item(f->idx, "mem:1");
    before = wal_size(f);
    assert_true(before > 0);
    fault_rc = SQLITE_FULL;
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_IO);
    assert_int_equal(err.code, NEWSIDX_IO);
    assert_non_null(strstr(err.message, "cannot fold the write-ahead log"));
    assert_non_null(strstr(err.message, f->path));
    assert_non_null(strstr(err.message, "database or disk is full"));
    assert_non_null(strstr(err.message, "the next run completes this"));
    /* The items stay committed in the log, and readable. */
    assert_int_equal(wal_size(f), before);
    assert_int_equal(item_count(f->idx), 1);
    /* Once there is room, the next checkpoint completes the fold. */
    fault_rc = SQLITE_OK;
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_OK);
    assert_int_equal(wal_size(f), 0);
    assert_int_equal(item_count(f->idx), 1);
}

static void
test_db__checkpoint_on_an_io_error_is_io(void **state)
{
    fixture *f = *state;
    newsidx_error err;

    add_item(f->idx, "mem:1");
    fault_rc = SQLITE_IOERR_WRITE;
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_IO);
    assert_non_null(strstr(err.message, "disk I/O error"));
    assert_true(wal_size(f) > 0);
    /* A write after the failure still commits (to the log). */
    add_item(f->idx, "mem:2");
    fault_rc = SQLITE_OK;
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_OK);
    assert_int_equal(wal_size(f), 0);
    assert_int_equal(item_count(f->idx), 2);
}

/* A reader in the middle of a query holds its snapshot: the checkpoint
 * leaves the log to it without waiting for the busy timeout, and that is
 * not a failure. */
static void
test_db__checkpoint_with_a_reader_is_not_a_failure(void **state)
{
    fixture *f = *state;
    newsidx_index *ro;
    newsidx_error err;
    double start;

    add_item(f->idx, "mem:1");
    assert_int_equal(newsidx_index_checkpoint(f->idx, NULL), NEWSIDX_OK);
    assert_int_equal(
        newsidx_index_open(&ro, f->path, NEWSIDX_OPEN_READONLY, NULL),
        NEWSIDX_OK);
    assert_int_equal(sqlite3_exec(ro->db, "BEGIN; SELECT count(*) FROM items",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    add_item(f->idx, "mem:2");
    start = seconds_now();
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_OK);
    assert_true(seconds_now() - start < 5.0);
    assert_true(wal_size(f) > 0);
    assert_int_equal(sqlite3_exec(ro->db, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);
    newsidx_index_close(ro);
    assert_int_equal(newsidx_index_checkpoint(f->idx, &err), NEWSIDX_OK);
    assert_int_equal(wal_size(f), 0);
    assert_int_equal(item_count(f->idx), 2);
}

static void
test_db__checkpoint_of_a_readonly_handle_is_readonly(void **state)
{
    fixture *f = *state;
    newsidx_index *ro;
    newsidx_error err;

    add_item(f->idx, "mem:1");
    assert_int_equal(
        newsidx_index_open(&ro, f->path, NEWSIDX_OPEN_READONLY, NULL),
        NEWSIDX_OK);
    assert_int_equal(newsidx_index_checkpoint(ro, &err), NEWSIDX_READONLY);
    assert_non_null(strstr(err.message, "read-only"));
    newsidx_index_close(ro);
}

/* The languages end as every iteration does: NEWSIDX_OK with a name,
 * "none" last, then NEWSIDX_DONE with NULL; each one is taken. */
static void
test_db__stem_language_names_end_with_done(void **state)
{
    fixture *f = *state;
    const char *name = "x", *last = NULL;
    size_t i;

    for (i = 0; newsidx_stem_language_name(&name, i) == NEWSIDX_OK; i++) {
        assert_non_null(name);
        if (i < 3)
            assert_int_equal(
                newsidx_index_set_stem_language(f->idx, name, NULL),
                NEWSIDX_OK);
        last = name;
    }
    assert_true(i > 10); /* Snowball has a few dozen */
    assert_null(name);
    assert_string_equal(last, "none");
    assert_int_equal(newsidx_stem_language_name(&name, i + 1000), NEWSIDX_DONE);
    assert_null(name);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown_db)
        T(test_db__checkpoint_empties_the_wal),
        T(test_db__checkpoint_on_a_full_disk_is_io),
        T(test_db__checkpoint_on_an_io_error_is_io),
        T(test_db__checkpoint_with_a_reader_is_not_a_failure),
        T(test_db__checkpoint_of_a_readonly_handle_is_readonly),
        T(test_db__stem_language_names_end_with_done),
#undef T
    };

    fault_vfs_register();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
