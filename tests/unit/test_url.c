/*
 * test_url.c - URL normalization for story identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "write.h"

static void
expect_url(const char *in, const char *want)
{
    nx_buf out = NX_BUF_INIT;

    assert_true(nx_url_normalize(&out, in, strlen(in)));
    assert_true(nx_buf_reserve(&out, 0));
    assert_string_equal(out.data, want);
    nx_buf_free(&out);
}

static void
test_url__scheme_host_and_www_do_not_matter(void **state)
{
    (void)state;
    expect_url("https://www.Example.COM/a/b", "example.com/a/b");
    expect_url("http://example.com/a/b", "example.com/a/b");
    expect_url("https://ABSOLUTEREPORTS.images.worldnow.com/x.jpg",
               "absolutereports.images.worldnow.com/x.jpg");
    expect_url("//example.com/a", "example.com/a");
}

static void
test_url__tracking_query_fragment_and_slash_are_dropped(void **state)
{
    (void)state;
    expect_url("https://www.foxbusiness.com/x?dcmp=snt-sf-twitter",
               "foxbusiness.com/x");
    expect_url("https://example.com/story/?src=rss#top", "example.com/story");
    expect_url("https://example.com:443/a/", "example.com/a");
    expect_url("http://example.com:80/a", "example.com/a");
    expect_url("http://example.com:8080/a", "example.com:8080/a");
    expect_url("http://example.com:80x/a", "example.com:80x/a");
    expect_url("http://example.com:4430/a", "example.com:4430/a");
}

/* A query's address is a slice of the query: nothing past its end is
 * read (fuzz_query found "http://:" read past its last byte; ASan checks
 * the exact-size copies). */
static void
test_url__a_slice_is_read_to_its_end_only(void **state)
{
    static const char *const ins[] = {"http://:",   "http://a:4", "http://a:44",
                                      "http://a:8", "www.",       "//",
                                      "a://"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        size_t n = strlen(ins[i]);
        char *copy = malloc(n); /* no NUL */
        nx_buf out = NX_BUF_INIT;

        assert_non_null(copy);
        memcpy(copy, ins[i], n);
        assert_true(nx_url_normalize(&out, copy, n));
        nx_buf_free(&out);
        free(copy);
    }
}

static void
test_url__query_kept_where_it_is_the_address(void **state)
{
    (void)state;
    expect_url("https://example.com/article.php?id=12",
               "example.com/article.php?id=12");
    expect_url("https://example.com/?p=123", "example.com?p=123");
}

static void
test_url__spaces_and_blanks(void **state)
{
    (void)state;
    expect_url("  https://apnews.com/Wired Release/x  ",
               "apnews.com/Wired%20Release/x");
    expect_url("", "");
    expect_url("   ", "");
    expect_url("/assets/logo.jpg", "/assets/logo.jpg");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url__scheme_host_and_www_do_not_matter),
        cmocka_unit_test(
            test_url__tracking_query_fragment_and_slash_are_dropped),
        cmocka_unit_test(test_url__query_kept_where_it_is_the_address),
        cmocka_unit_test(test_url__a_slice_is_read_to_its_end_only),
        cmocka_unit_test(test_url__spaces_and_blanks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
