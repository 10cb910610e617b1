/*
 * test_scan.c - the walk (scan.c): every candidate once, in the bytewise
 * order of full paths (SQLite's BINARY), whatever the folder names and the
 * paths given; hidden entries and links to folders left out; unreadable
 * folders reported and remembered; exclude patterns, given and from the
 * ignore file, leave out what they match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "write.h"

typedef struct fixture {
    char root[64];
} fixture;

static void
make_file(const fixture *f, const char *rel)
{
    char path[2700];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->root, rel);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("---\ntitle: t\n---\n", fp);
    fclose(fp);
}

static void
make_dir(const fixture *f, const char *rel)
{
    char path[2700];

    snprintf(path, sizeof(path), "%s/%s", f->root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    snprintf(f->root, sizeof(f->root), "/tmp/nx_scan_XXXXXX");
    assert_non_null(mkdtemp(f->root));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", f->root,
             f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

typedef struct reports {
    int n;
    char last[512];
} reports;

static void
on_report(const char *path, int err_no, const char *what, void *payload)
{
    reports *r = payload;

    (void)err_no;
    (void)what;
    r->n++;
    snprintf(r->last, sizeof(r->last), "%s", path);
}

/* Walk options: the default endings, no pattern. */
static nx_scan_opts
opts_of(unsigned flags, nx_scan_report_fn report, void *payload)
{
    nx_scan_opts o;

    memset(&o, 0, sizeof(o));
    o.flags = flags;
    o.report = report;
    o.payload = payload;
    return o;
}

/* Walk all of `root`, reporting into r; the number of files into *n.
 * The walk stays open, for nx_scan_covers. */
static nx_scan *
walk_all(const char *root, reports *r, int *n)
{
    const char *paths[1] = {root};
    nx_scan_opts o = opts_of(0, on_report, r);
    nx_scan *scan;
    newsidx_error err;

    assert_int_equal(nx_scan_open(&scan, paths, 1, &o, &err), NEWSIDX_OK);
    for (*n = 0; nx_scan_next(scan) != NULL; (*n)++)
        ;
    return scan;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk `paths` with `o` and check the files come as `want` (relative to
 * the root), sorted by strcmp of their full paths, once each. */
static void
check_walk_opts(const fixture *f, const char *const *paths, size_t n_paths,
                const nx_scan_opts *o, const char *const *want, size_t n_want)
{
    unsigned flags = o->flags;
    char *expect[64], *got[64];
    const nx_scan_entry *e;
    nx_scan *scan;
    newsidx_error err;
    size_t i, n = 0;

    assert_true(n_want < 64);
    for (i = 0; i < n_want; i++) {
        expect[i] = malloc(strlen(f->root) + strlen(want[i]) + 2);
        sprintf(expect[i], "%s/%s", f->root, want[i]);
    }
    qsort(expect, n_want, sizeof(*expect), cmp_str);
    assert_int_equal(nx_scan_open(&scan, paths, n_paths, o, &err), NEWSIDX_OK);
    while ((e = nx_scan_next(scan)) != NULL) {
        assert_true(n < 64);
        got[n++] = strdup(e->path);
        if ((flags & NX_SCAN_NAMES_ONLY) == 0)
            assert_true(e->size > 0);
    }
    assert_int_equal(nx_scan_status(scan, &err), NEWSIDX_OK);
    nx_scan_close(scan);
    for (i = 0; i < n && i < n_want; i++)
        assert_string_equal(got[i], expect[i]);
    assert_int_equal(n, n_want);
    for (i = 0; i < n; i++)
        free(got[i]);
    for (i = 0; i < n_want; i++)
        free(expect[i]);
}

/* check_walk_opts with no pattern. */
static void
check_walk(const fixture *f, const char *const *paths, size_t n_paths,
           unsigned flags, const char *const *want, size_t n_want)
{
    nx_scan_opts o = opts_of(flags, NULL, NULL);

    check_walk_opts(f, paths, n_paths, &o, want, n_want);
}

/* Names where folder order and path order differ: '-', '.', '0' and bytes
 * over 0x7f around '/'. */
static void
tree(const fixture *f)
{
    make_dir(f, "a");
    make_dir(f, "a-b");
    make_dir(f, "a0");
    make_dir(f, "a/b");
    make_dir(f, "a/b/c");
    make_dir(f, "\xc3\xa9t\xc3\xa9");
    make_dir(f, ".hidden");
    make_file(f, "a.md");
    make_file(f, "a/x.md");
    make_file(f, "a/b.md");
    make_file(f, "a/b/c.md");
    make_file(f, "a/b/c/d.md");
    make_file(f, "a/b-c.md");
    make_file(f, "a-b/y.md");
    make_file(f, "a-b.md");
    make_file(f, "a0/z.md");
    make_file(f, "Z.TXT");
    make_file(f, "\xc3\xa9t\xc3\xa9/e.markdown");
    make_file(f, ".hidden/h.md");
    make_file(f, "a/.h.md");
    make_file(f, "a/not-news.json");
}

static const char *const all_files[] = {"a.md",
                                        "a/x.md",
                                        "a/b.md",
                                        "a/b/c.md",
                                        "a/b/c/d.md",
                                        "a/b-c.md",
                                        "a-b/y.md",
                                        "a-b.md",
                                        "a0/z.md",
                                        "Z.TXT",
                                        "\xc3\xa9t\xc3\xa9/e.markdown"};

static void
test_scan__path_order_whatever_the_names(void **state)
{
    fixture *f = *state;
    const char *paths[1] = {f->root};
    unsigned flags;

    tree(f);
    for (flags = 0; flags <= NX_SCAN_NAMES_ONLY; flags += NX_SCAN_NAMES_ONLY)
        check_walk(f, paths, 1, flags, all_files,
                   sizeof(all_files) / sizeof(all_files[0]));
}

static void
test_scan__overlapping_paths_come_once(void **state)
{
    fixture *f = *state;
    char p1[128], p2[128], p3[128], p4[128];
    const char *paths[5] = {p1, p2, f->root, p3, p4};
    static const char *const hidden_too[] = {"a.md",
                                             "a/x.md",
                                             "a/b.md",
                                             "a/b/c.md",
                                             "a/b/c/d.md",
                                             "a/b-c.md",
                                             "a-b/y.md",
                                             "a-b.md",
                                             "a0/z.md",
                                             "Z.TXT",
                                             "\xc3\xa9t\xc3\xa9/e.markdown",
                                             ".hidden/h.md"};

    tree(f);
    snprintf(p1, sizeof(p1), "%s/a/b", f->root);     /* inside another */
    snprintf(p2, sizeof(p2), "%s/a-b.md", f->root);  /* a file, walked too */
    snprintf(p3, sizeof(p3), "%s/.hidden", f->root); /* hidden, given */
    snprintf(p4, sizeof(p4), "%s/a/", f->root);      /* with a slash */
    check_walk(f, paths, 5, 0, hidden_too,
               sizeof(hidden_too) / sizeof(hidden_too[0]));
}

static void
test_scan__a_file_given_is_taken_whatever_its_name(void **state)
{
    fixture *f = *state;
    char p1[128];
    const char *paths[1] = {p1};
    static const char *const want[] = {"a/not-news.json"};

    tree(f);
    snprintf(p1, sizeof(p1), "%s/a/not-news.json", f->root);
    check_walk(f, paths, 1, 0, want, 1);
}

static void
test_scan__links_to_files_followed_to_folders_not(void **state)
{
    fixture *f = *state;
    const char *paths[1] = {f->root};
    char target[256], link[256];
    static const char *const want[] = {"a/x.md", "link.md"};

    make_dir(f, "a");
    make_file(f, "a/x.md");
    snprintf(target, sizeof(target), "%s/a/x.md", f->root);
    snprintf(link, sizeof(link), "%s/link.md", f->root);
    assert_int_equal(symlink(target, link), 0);
    snprintf(target, sizeof(target), "%s/a", f->root);
    snprintf(link, sizeof(link), "%s/loop", f->root);
    assert_int_equal(symlink(target, link), 0);
    check_walk(f, paths, 1, 0, want, 2);
    check_walk(f, paths, 1, NX_SCAN_NAMES_ONLY, want, 2);
}

static void
test_scan__unreadable_folder_is_reported_and_blind(void **state)
{
    fixture *f = *state;
    const char *paths[1] = {f->root};
    char dir[256], inside[300];
    nx_scan *scan;
    reports r = {0, ""};
    int n;

    if (geteuid() == 0)
        skip(); /* root reads every folder */
    make_dir(f, "open");
    make_dir(f, "shut");
    make_file(f, "open/a.md");
    make_file(f, "shut/b.md");
    snprintf(dir, sizeof(dir), "%s/shut", f->root);
    snprintf(inside, sizeof(inside), "%s/b.md", dir);
    assert_int_equal(chmod(dir, 0), 0);
    scan = walk_all(paths[0], &r, &n);
    assert_int_equal(n, 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.last, dir);
    assert_false(nx_scan_covers(scan, inside));
    assert_true(nx_scan_covers(scan, paths[0]));
    nx_scan_close(scan);
}

/* Folders nested past the limit are not entered: reported, and what is
 * under them is never taken as vanished (this one works as root too). */
static void
test_scan__too_deep_is_reported_and_blind(void **state)
{
    fixture *f = *state;
    const char *paths[1] = {f->root};
    static char rel[2048], deep[2600], below[2700];
    nx_scan *scan;
    reports r = {0, ""};
    size_t len = 0;
    int i, n;

    for (i = 0; i < 300; i++) {
        len +=
            (size_t)snprintf(rel + len, sizeof(rel) - len, "%sd", i ? "/" : "");
        make_dir(f, rel);
        if (i == 3)
            make_file(f, "d/d/d/d/shallow.md");
    }
    snprintf(deep, sizeof(deep), "%s/%s", f->root, rel);
    snprintf(below, sizeof(below), "%s/x.md", deep);
    scan = walk_all(paths[0], &r, &n);
    assert_int_equal(n, 1);
    assert_int_equal(r.n, 1);
    assert_false(nx_scan_covers(scan, below));
    nx_scan_close(scan);
}

static void
test_scan__missing_paths(void **state)
{
    fixture *f = *state;
    char p1[128];
    const char *paths[2] = {p1, f->root};
    nx_scan *scan;
    newsidx_error err;
    reports r = {0, ""};

    nx_scan_opts o = opts_of(0, on_report, &r);

    snprintf(p1, sizeof(p1), "%s/none", f->root);
    /* One missing of two: reported, the other walked. */
    assert_int_equal(nx_scan_open(&scan, paths, 2, &o, &err), NEWSIDX_OK);
    assert_int_equal(r.n, 1);
    assert_null(nx_scan_next(scan));
    nx_scan_close(scan);
    /* Only missing ones: an error; quiet about it when asked. */
    r.n = 0;
    o.flags = NX_SCAN_QUIET_ROOTS;
    assert_int_equal(nx_scan_open(&scan, paths, 1, &o, &err), NEWSIDX_NOTFOUND);
    assert_null(scan);
    assert_int_equal(r.n, 0);
}

static void
test_scan__patterns_match_gitignore_like(void **state)
{
    static const struct {
        const char *pattern, *rel;
        bool is_dir, want;
    } cases[] = {
        {"README.md", "README.md", false, true},
        {"README.md", "a/b/README.md", false, true},
        {"README.md", "README.mdx", false, false},
        {"_data", "x/_data", true, true},
        {"_data/", "x/_data", true, true},
        {"_data/", "x/_data", false, false},
        {"*.md", "a/b.md", false, true},
        {"/README.md", "README.md", false, true},
        {"/README.md", "a/README.md", false, false},
        {"a/*.md", "a/b.md", false, true},
        {"a/*.md", "a/b/c.md", false, false}, /* '*' stops at '/' */
        {"a/*", "a/b", true, true},
        {"a/*.md", "x/a/b.md", false, false}, /* anchored */
        {"**/b.md", "a/x/b.md", false, true},
        {"**/b.md", "b.md", false, true},
        {"a/**/b.md", "a/b.md", false, true},
        {"a/**/b.md", "a/x/y/b.md", false, true},
        {"a/**", "a/x/y", false, true},
        {"a//b", "a/b", false, true},
        {"d?.md", "d1.md", false, true},
        {"d[0-9].md", "dx.md", false, false},
        {"\\!x", "!x", false, true},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (nx_scan_pattern_matches(cases[i].pattern, cases[i].rel,
                                    cases[i].is_dir) != cases[i].want)
            fail_msg("%s on %s: expected %d", cases[i].pattern, cases[i].rel,
                     cases[i].want);
    }
}

/* A hostile pattern of many "**" and "*" parts against a deep path ends
 * at once: matching is polynomial, not a search over every split (which
 * would take years here, and was what the first version did). */
static void
test_scan__hostile_patterns_do_not_hang(void **state)
{
    char pattern[400] = "", path[400] = "";
    size_t i;

    (void)state;
    for (i = 0; i < 40; i++)
        strcat(pattern, "**/*/");
    strcat(pattern, "z.md");
    for (i = 0; i < 60; i++)
        strcat(path, "d/");
    strcat(path, "y.md");
    assert_false(nx_scan_pattern_matches(pattern, path, false));
    path[strlen(path) - 4] = 'z';
    assert_true(nx_scan_pattern_matches(pattern, path, false));
    assert_true(nx_scan_pattern_matches(
        "**/**/**/**/**/**/**/**/**/**/**/**/z.md", path, false));
}

static void
test_scan__bad_patterns_are_refused(void **state)
{
    newsidx_error err;

    (void)state;
    assert_int_equal(nx_scan_pattern_check("", &err), NEWSIDX_INVALID);
    assert_int_equal(nx_scan_pattern_check("//", &err), NEWSIDX_INVALID);
    assert_string_equal(err.message, "exclude pattern '//' is empty");
    assert_int_equal(nx_scan_pattern_check("!x", &err), NEWSIDX_INVALID);
    assert_non_null(strstr(err.message, "'!x' starts with '!'"));
    assert_int_equal(nx_scan_pattern_check("a/", &err), NEWSIDX_OK);
}

static void
test_scan__excludes_leave_out_what_they_match(void **state)
{
    static const char *const excludes[] = {"b", "a-b/", "*.TXT", "/a0"};
    static const char *const want[] = {
        "a.md",     "a/x.md", "a/b.md",
        "a/b-c.md", "a-b.md", "\xc3\xa9t\xc3\xa9/e.markdown"};
    fixture *f = *state;
    const char *paths[1] = {f->root};
    const char *file[1] = {NULL};
    char one[128];
    nx_scan_opts o = opts_of(0, NULL, NULL);

    tree(f);
    o.excludes = excludes;
    o.n_excludes = 4;
    check_walk_opts(f, paths, 1, &o, want, 6);
    o.flags = NX_SCAN_NAMES_ONLY;
    check_walk_opts(f, paths, 1, &o, want, 6);
    /* A file given by name is taken all the same. */
    snprintf(one, sizeof(one), "%s/Z.TXT", f->root);
    file[0] = one;
    {
        static const char *const z[] = {"Z.TXT"};

        check_walk_opts(f, file, 1, &o, z, 1);
    }
}

static void
test_scan__ignore_file_is_read(void **state)
{
    static const char *const want[] = {"a.md",     "a/x.md",   "a/b.md",
                                       "a/b/c.md", "a/b-c.md", "a-b.md",
                                       "a0/z.md"};
    fixture *f = *state;
    const char *paths[1] = {f->root};
    char path[128];
    nx_scan_opts o = opts_of(0, NULL, NULL);
    nx_scan *scan;
    newsidx_error err;
    FILE *fp;

    tree(f);
    snprintf(path, sizeof(path), "%s/" NX_SCAN_IGNORE_FILE, f->root);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# comment\n\n  c/  \r\n/a-b/\n*.TXT\n\xc3\xa9*\n", fp);
    fclose(fp);
    check_walk_opts(f, paths, 1, &o, want, 7);
    /* A bad line stops the walk before it starts, naming it. */
    fp = fopen(path, "a");
    fputs("!a.md\n", fp);
    fclose(fp);
    assert_int_equal(nx_scan_open(&scan, paths, 1, &o, &err), NEWSIDX_INVALID);
    assert_null(scan);
    assert_non_null(strstr(err.message, NX_SCAN_IGNORE_FILE "' line 7: "));
    /* One that cannot be read too. */
    unlink(path);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(nx_scan_open(&scan, paths, 1, &o, &err), NEWSIDX_IO);
    assert_non_null(strstr(err.message, "cannot read '"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_scan__path_order_whatever_the_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan__overlapping_paths_come_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_scan__a_file_given_is_taken_whatever_its_name, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_scan__links_to_files_followed_to_folders_not, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_scan__unreadable_folder_is_reported_and_blind, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_scan__too_deep_is_reported_and_blind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan__missing_paths, setup,
                                        teardown),
        cmocka_unit_test(test_scan__patterns_match_gitignore_like),
        cmocka_unit_test(test_scan__hostile_patterns_do_not_hang),
        cmocka_unit_test(test_scan__bad_patterns_are_refused),
        cmocka_unit_test_setup_teardown(
            test_scan__excludes_leave_out_what_they_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan__ignore_file_is_read, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
