/*
 * test_snippet.c - the marked window of display text (query/snippet.c):
 * a mark covers word characters only, never the punctuation around a
 * word, and words a hyphen joins share one mark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "query.h"

/* The snippet of `text` for terms `words` (normalized, NULL-ended; a word
 * ending in '*' is a prefix), marked with [ and ]. */
static void
expect_snippet(const char *text, const char *const *words, const char *want)
{
    nx_term terms[8];
    char copies[8][64];
    nx_buf out = NX_BUF_INIT;
    size_t n = 0;

    memset(terms, 0, sizeof(terms));
    for (; words[n] != NULL; n++) {
        size_t len = strlen(words[n]);

        assert_true(n < 8 && len < sizeof(copies[n]));
        memcpy(copies[n], words[n], len + 1);
        terms[n].is_prefix = len > 0 && copies[n][len - 1] == '*';
        if (terms[n].is_prefix)
            copies[n][len - 1] = '\0';
        terms[n].text = copies[n];
    }
    assert_true(nx_snippet(&out, text, terms, n, "[", "]"));
    assert_true(nx_buf_reserve(&out, 0));
    assert_string_equal(out.data, want);
    nx_buf_free(&out);
}

static void
test_snippet__quotes_and_brackets_stay_outside_the_mark(void **state)
{
    static const char *const machine[] = {"machine", NULL};
    static const char *const ai[] = {"ai", NULL};

    (void)state;
    expect_snippet("They said: \xe2\x80\x9cMachine learning\xe2\x80\x9d.",
                   machine,
                   "They said: \xe2\x80\x9c[Machine] learning\xe2\x80\x9d.");
    expect_snippet("Models (AI) and \xc2\xab"
                   "AI\xc2\xbb, 'AI'!",
                   ai, "Models ([AI]) and \xc2\xab[AI]\xc2\xbb, '[AI]'!");
    expect_snippet("\xe2\x80\x98machine\xe2\x80\x99 time", machine,
                   "\xe2\x80\x98[machine]\xe2\x80\x99 time");
}

static void
test_snippet__hyphenated_words_share_one_mark(void **state)
{
    static const char *const phrase[] = {"self driving", NULL};
    static const char *const driving[] = {"driving", NULL};

    (void)state;
    expect_snippet("A self-driving car", phrase, "A [self-driving] car");
    expect_snippet("A Self\xe2\x80\x90"
                   "Driving car",
                   phrase,
                   "A [Self\xe2\x80\x90"
                   "Driving] car");
    /* Only the word that matches is marked. */
    expect_snippet("A self-driving car", driving, "A self-[driving] car");
    /* Two marked words apart keep their own marks. */
    expect_snippet("self and driving", phrase, "[self] and [driving]");
}

static void
test_snippet__joiners_inside_a_word_stay_in_it(void **state)
{
    static const char *const facebook[] = {"facebook", NULL};
    static const char *const us[] = {"us", NULL};
    static const char *const n1000[] = {"1000", NULL};

    (void)state;
    expect_snippet("Facebook\xe2\x80\x99s plan", facebook,
                   "[Facebook\xe2\x80\x99s] plan");
    expect_snippet("Facebook's plan", facebook, "[Facebook's] plan");
    expect_snippet("The U.S. plan", us, "The [U.S]. plan");
    expect_snippet("About 1,000 robots.", n1000, "About [1,000] robots.");
}

static void
test_snippet__letters_of_any_script_and_emoji_are_words(void **state)
{
    static const char *const zurich[] = {"zurich", NULL};
    static const char *const robot[] = {"\xf0\x9f\xa4\x96", NULL};
    static const char *const pref[] = {"comput*", NULL};

    (void)state;
    expect_snippet("\xe2\x80\x9eZ\xc3\xbcrich\xe2\x80\x9c heute", zurich,
                   "\xe2\x80\x9e[Z\xc3\xbcrich]\xe2\x80\x9c heute");
    expect_snippet("Robots \xf0\x9f\xa4\x96 are here", robot,
                   "Robots [\xf0\x9f\xa4\x96] are here");
    expect_snippet("\"Computers\", computing.", pref,
                   "\"[Computers]\", [computing].");
}

/* A text that ends right after a word, in a buffer of its exact size:
 * the joiner test after the word reads nothing past the text's end (it
 * compared 3 bytes there; fuzz_index found it under ASan). */
static void
test_snippet__the_end_of_the_text_is_not_read_past(void **state)
{
    static const char *const robot[] = {"robot", NULL};
    static const char *const texts[] = {"A robot!", "A robot", "robot?!"};
    static const char *const wants[] = {"A [robot]!", "A [robot]", "[robot]?!"};
    size_t k;

    (void)state;
    for (k = 0; k < 3; k++) {
        size_t len = strlen(texts[k]);
        char *exact = malloc(len + 1);

        assert_non_null(exact);
        memcpy(exact, texts[k], len + 1);
        expect_snippet(exact, robot, wants[k]);
        free(exact);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_snippet__quotes_and_brackets_stay_outside_the_mark),
        cmocka_unit_test(test_snippet__hyphenated_words_share_one_mark),
        cmocka_unit_test(test_snippet__joiners_inside_a_word_stay_in_it),
        cmocka_unit_test(
            test_snippet__letters_of_any_script_and_emoji_are_words),
        cmocka_unit_test(test_snippet__the_end_of_the_text_is_not_read_past),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
