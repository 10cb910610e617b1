/*
 * test_frontmatter.c - unit tests of indexer/frontmatter.c: front matter
 * text -> nx_item, every shape a value comes in, hostile input, and
 * out-of-memory at every allocation.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "write.h"

/**************************************************************************
** Helpers
*/

static int
parse(nx_item **out, const char *text, size_t len, nx_parse_pos *pos,
      newsidx_error *err)
{
    int rc;

    *out = (nx_item *)&rc; /* must be overwritten */
    pos->line = pos->column = 99;
    memset(err, 0x55, sizeof(*err));
    rc = nx_frontmatter_parse(out, text, len, pos, err);
    if (rc != NEWSIDX_OK) {
        assert_null(*out);
        assert_int_equal(err->code, rc);
    }
    if (rc != NEWSIDX_PARSE) {
        assert_int_equal(pos->line, 0);
        assert_int_equal(pos->column, 0);
    }
    return rc;
}

/* Parse `text`, which must be a news item. */
static nx_item *
parse_ok(const char *text)
{
    nx_item *item;
    nx_parse_pos pos;
    newsidx_error err;
    int rc = parse(&item, text, strlen(text), &pos, &err);

    if (rc != NEWSIDX_OK)
        print_message("unexpected failure: %s\n", err.message);
    assert_int_equal(rc, NEWSIDX_OK);
    assert_non_null(item);
    return item;
}

/* Parse `text`, which must fail with `code` and message `message`; for
 * NEWSIDX_PARSE also at `line`:`column`. */
static void
parse_fails(const char *text, size_t len, int code, const char *message,
            unsigned line, unsigned column)
{
    nx_item *item;
    nx_parse_pos pos;
    newsidx_error err;
    int rc = parse(&item, text, len, &pos, &err);

    assert_int_equal(rc, code);
    assert_string_equal(err.message, message);
    if (code == NEWSIDX_PARSE) {
        assert_int_equal(pos.line, line);
        assert_int_equal(pos.column, column);
    }
}

static void
assert_warning(const nx_item *item, size_t i, unsigned line, unsigned column,
               const char *field, const char *message)
{
    assert_true(i < item->n_warnings);
    assert_int_equal(item->warnings[i].line, line);
    assert_int_equal(item->warnings[i].column, column);
    if (field == NULL)
        assert_null(item->warnings[i].field);
    else
        assert_string_equal(item->warnings[i].field, field);
    assert_string_equal(item->warnings[i].message, message);
}

/* Build "---\n<body>---\n" with printf-style formatting; free() it. */
static char *doc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
doc(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/**************************************************************************
** The two seed items (trimmed copies of the corpus seeds)
*/

static const char seed_zdnet[] =
    "---\n"
    "category: news\n"
    "title: \"Facebook AI\xE2\x80\x99s friendly battle of researchers "
    "versus devs finds PyTorch triumphant\"\n"
    "excerpt: \"In a kind of battle of the researchers versus devs, "
    "according to Schroepfer. \\\"I had this knock-out, drag-out debate "
    "with Yann ...\"\n"
    "publishedDateTime: 2021-06-03T23:01:00Z\n"
    "originalUrl: \"https://www.zdnet.com/article/facebook-ais/\"\n"
    "webUrl: \"https://www.zdnet.com/article/facebook-ais/\"\n"
    "ampWebUrl: \"https://www.zdnet.com/google-amp/article/facebook-ais/\"\n"
    "cdnAmpWebUrl: \"https://www-zdnet-com.cdn.ampproject.org/c/s/"
    "www.zdnet.com/google-amp/article/facebook-ais/\"\n"
    "type: article\n"
    "quality: 99\n"
    "heat: -1\n"
    "published: false\n"
    "\n"
    "provider:\n"
    "  name: ZDNet\n"
    "  domain: zdnet.com\n"
    "  images:\n"
    "    - url: \"https://everyday-cc.github.io/ai/assets/images/"
    "organizations/zdnet.com-50x50.jpg\"\n"
    "      width: 50\n"
    "      height: 50\n"
    "\n"
    "topics:\n"
    "  - Facebook AI\n"
    "  - AI\n"
    "\n"
    "images:\n"
    "  - url: \"https://www.zdnet.com/a/hub/i/2021/06/03/pytorch.jpg\"\n"
    "    width: 1600\n"
    "    height: 1069\n"
    "    isCached: true\n"
    "\n"
    "related:\n"
    "  - title: \"Facebook goes all in on PyTorch at F8 Refresh\"\n"
    "    excerpt: \"Facebook announced it is making PyTorch its default "
    "framework\"\n"
    "    publishedDateTime: 2021-06-02T20:14:00Z\n"
    "    webUrl: \"https://sdtimes.com/ai/facebook-goes-all-in/\"\n"
    "    ampWebUrl: \"https://sdtimes.com/amp/facebook-goes-all-in/ \"\n"
    "    cdnAmpWebUrl: \"https://sdtimes-com.cdn.ampproject.org/c/s/x/\"\n"
    "    type: article\n"
    "    provider:\n"
    "      name: SD Times\n"
    "      domain: sdtimes.com\n"
    "    quality: 69\n"
    "    images:\n"
    "      - url: \"https://sdtimes.com/wp-content/uploads/2021/06/a.png\"\n"
    "        width: 1000\n"
    "        height: 653\n"
    "        isCached: true\n"
    "\n"
    "secured: \"9z9Bb4ges7hAJdrvgUhCdRk=;Us97RkoZFtZNCQ5BnXDG2A==\"\n"
    "---\n"
    "\n";

static void
test_frontmatter__seed_zdnet(void **state)
{
    nx_item *item = parse_ok(seed_zdnet);

    (void)state;
    assert_string_equal(item->category, "news");
    assert_string_equal(item->title,
                        "Facebook AI\xE2\x80\x99s friendly battle of "
                        "researchers versus devs finds PyTorch triumphant");
    assert_string_equal(item->excerpt,
                        "In a kind of battle of the researchers versus devs, "
                        "according to Schroepfer. \"I had this knock-out, "
                        "drag-out debate with Yann ...");
    assert_true(item->has_published_at);
    assert_int_equal(item->published_at, 1622761260);
    assert_string_equal(item->original_url,
                        "https://www.zdnet.com/article/facebook-ais/");
    assert_string_equal(item->web_url,
                        "https://www.zdnet.com/article/facebook-ais/");
    assert_string_equal(item->amp_url,
                        "https://www.zdnet.com/google-amp/article/"
                        "facebook-ais/");
    assert_string_equal(item->cdn_amp_url,
                        "https://www-zdnet-com.cdn.ampproject.org/c/s/"
                        "www.zdnet.com/google-amp/article/facebook-ais/");
    assert_string_equal(item->type, "article");
    assert_true(item->has_quality);
    assert_int_equal(item->quality, 99);
    assert_false(item->has_heat); /* -1: unknown */
    assert_int_equal(item->published, 0);
    assert_string_equal(item->provider_name, "ZDNet");
    assert_string_equal(item->provider_domain, "zdnet.com");
    assert_string_equal(item->provider_images_json,
                        "[{\"url\":\"https://everyday-cc.github.io/ai/assets/"
                        "images/organizations/zdnet.com-50x50.jpg\","
                        "\"width\":50,\"height\":50}]");
    assert_int_equal(item->n_topics, 2);
    assert_string_equal(item->topics[0], "Facebook AI");
    assert_string_equal(item->topics[1], "AI");
    assert_string_equal(item->images_json,
                        "[{\"url\":\"https://www.zdnet.com/a/hub/i/2021/06/03/"
                        "pytorch.jpg\",\"width\":1600,\"height\":1069,"
                        "\"isCached\":true}]");
    assert_string_equal(item->secured,
                        "9z9Bb4ges7hAJdrvgUhCdRk=;Us97RkoZFtZNCQ5BnXDG2A==");
    assert_null(item->extra_json);
    assert_null(item->body);
    assert_int_equal(item->n_warnings, 0);

    assert_int_equal(item->n_related, 1);
    nx_item_free(item);
}

static void
test_frontmatter__seed_zdnet_related(void **state)
{
    nx_item *item = parse_ok(seed_zdnet);
    const nx_related *r;

    (void)state;
    assert_int_equal(item->n_related, 1);
    r = &item->related[0];
    assert_string_equal(r->title,
                        "Facebook goes all in on PyTorch at F8 Refresh");
    assert_string_equal(r->excerpt, "Facebook announced it is making PyTorch "
                                    "its default framework");
    assert_true(r->has_published_at);
    assert_int_equal(r->published_at, 1622664840);
    assert_string_equal(r->url, "https://sdtimes.com/ai/facebook-goes-all-in/");
    /* the trailing space inside the quotes is trimmed */
    assert_string_equal(r->amp_url,
                        "https://sdtimes.com/amp/facebook-goes-all-in/");
    assert_string_equal(r->cdn_amp_url,
                        "https://sdtimes-com.cdn.ampproject.org/c/s/x/");
    assert_string_equal(r->type, "article");
    assert_string_equal(r->provider_name, "SD Times");
    assert_string_equal(r->provider_domain, "sdtimes.com");
    assert_true(r->has_quality);
    assert_int_equal(r->quality, 69);
    assert_string_equal(r->images_json,
                        "[{\"url\":\"https://sdtimes.com/wp-content/uploads/"
                        "2021/06/a.png\",\"width\":1000,\"height\":653,"
                        "\"isCached\":true}]");
    assert_null(r->extra_json);
    nx_item_free(item);
}

static const char seed_sdtimes[] =
    "---\n"
    "category: news\n"
    "title: \"Facebook goes all in on PyTorch at F8 Refresh\"\n"
    "excerpt: \"Facebook announced it is making PyTorch its default "
    "framework for artificial intelligence and machine learning models at "
    "F8 Refresh\"\n"
    "publishedDateTime: 2021-06-02T20:14:00Z\n"
    "originalUrl: \"https://sdtimes.com/ai/facebook-goes-all-in/\"\n"
    "webUrl: \"https://sdtimes.com/ai/facebook-goes-all-in/\"\n"
    "type: article\n"
    "quality: 69\n"
    "heat: 79\n"
    "published: true\n"
    "\n"
    "provider:\n"
    "  name: SD Times\n"
    "  domain: sdtimes.com\n"
    "\n"
    "topics:\n"
    "  - Facebook AI\n"
    "  - AI\n"
    "\n"
    "related:\n"
    "  - title: \"Facebook is moving all of its AI models to PyTorch\"\n"
    "    excerpt: \"Facebook Inc. today revealed that it\xC3\xA2\xE2\x82\xAC"
    "\xE2\x84\xA2s going all-in on PyTorch\"\n"
    "    publishedDateTime: 2021-06-02T17:53:00Z\n"
    "    webUrl: \"https://siliconangle.com/2021/06/02/facebook/\"\n"
    "    type: article\n"
    "    provider:\n"
    "      name: SiliconANGLE\n"
    "      domain: siliconangle.com\n"
    "    quality: 53\n"
    "\n"
    "secured: \"iAS6CdIVx29R0cTVfah3dA==;eKjBMt3YSq2+Q8EOVumk3g==\"\n"
    "---\n"
    "\n";

static void
test_frontmatter__seed_sdtimes_mojibake_repaired(void **state)
{
    nx_item *item = parse_ok(seed_sdtimes);

    (void)state;
    assert_string_equal(item->title,
                        "Facebook goes all in on PyTorch at F8 Refresh");
    assert_int_equal(item->published_at, 1622664840);
    assert_true(item->has_heat);
    assert_int_equal(item->heat, 79);
    assert_int_equal(item->quality, 69);
    assert_int_equal(item->published, 1);
    assert_null(item->provider_images_json);
    assert_null(item->images_json);
    assert_int_equal(item->n_related, 1);
    /* itâ€™s -> it’s, and no warning for a repair */
    assert_string_equal(item->related[0].excerpt,
                        "Facebook Inc. today revealed that "
                        "it\xE2\x80\x99s going all-in on PyTorch");
    assert_int_equal(item->related[0].published_at, 1622656380);
    assert_string_equal(item->related[0].provider_name, "SiliconANGLE");
    assert_int_equal(item->related[0].quality, 53);
    assert_int_equal(item->n_warnings, 0);
    nx_item_free(item);
}

/**************************************************************************
** Shapes of values
*/

static void
test_frontmatter__scalar_styles(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: 'It''s single-quoted'\n"
                             "excerpt: \"say \\\"hi\\\"\\tthere \\u00e9\"\n"
                             "category: plain text, here\n"
                             "type: >\n"
                             "  folded\n"
                             "  lines\n"
                             "secured: |\n"
                             "  line one\n"
                             "  line two\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->title, "It's single-quoted");
    assert_string_equal(item->excerpt, "say \"hi\"\tthere \xC3\xA9");
    assert_string_equal(item->category, "plain text, here");
    assert_string_equal(item->type, "folded lines\n");
    assert_string_equal(item->secured, "line one\nline two\n");
    assert_int_equal(item->n_warnings, 0);
    nx_item_free(item);
}

static void
test_frontmatter__display_text_repaired_and_trimmed(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: \"  Q&amp;A: it&#8217;s  \"\n"
                             "excerpt: >\n"
                             "  folded text\n"
                             "provider:\n"
                             "  name: \" AT&amp;T \"\n"
                             "topics: [\" AI \", \"\", ~, R&amp;D]\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->title, "Q&A: it\xE2\x80\x99s");
    assert_string_equal(item->excerpt, "folded text");
    assert_string_equal(item->provider_name, "AT&T");
    assert_int_equal(item->n_topics, 2); /* empty and null ones dropped */
    assert_string_equal(item->topics[0], "AI");
    assert_string_equal(item->topics[1], "R&D");
    assert_int_equal(item->n_warnings, 0);
    nx_item_free(item);
}

static void
test_frontmatter__published_yaml11_booleans(void **state)
{
    static const char *const yes[] = {"y",    "Y",    "yes",    "Yes", "YES",
                                      "true", "True", "TRUE",   "on",  "On",
                                      "ON",   "1",    "\"yes\""};
    static const char *const no[] = {"n",     "N",     "no",    "No",  "NO",
                                     "false", "False", "FALSE", "off", "Off",
                                     "OFF",   "0",     "'off'"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        char *text = doc("---\ntitle: t\npublished: %s\n---\n", yes[i]);
        nx_item *item = parse_ok(text);

        assert_int_equal(item->published, 1);
        assert_int_equal(item->n_warnings, 0);
        nx_item_free(item);
        free(text);
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        char *text = doc("---\ntitle: t\npublished: %s\n---\n", no[i]);
        nx_item *item = parse_ok(text);

        assert_int_equal(item->published, 0);
        assert_int_equal(item->n_warnings, 0);
        nx_item_free(item);
        free(text);
    }
}

static void
test_frontmatter__published_unmappable_kept_raw(void **state)
{
    nx_item *item = parse_ok("---\ntitle: t\npublished: yEs\n---\n");
    nx_item *absent = parse_ok("---\ntitle: t\n---\n");

    (void)state;
    assert_int_equal(item->published, -1);
    assert_string_equal(item->extra_json, "{\"published\":\"yEs\"}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 3, 12, "published",
                   "expected true or false, got 'yEs'");
    assert_int_equal(absent->published, -1);
    nx_item_free(item);
    nx_item_free(absent);
}

static void
test_frontmatter__numbers_in_other_forms(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "quality: \"85\"\n"
                             "heat: 85.0\n"
                             "related:\n"
                             "  - title: r\n"
                             "    quality: 0x1F\n"
                             "  - title: s\n"
                             "    quality: 8.5e1\n"
                             "---\n");

    (void)state;
    assert_int_equal(item->quality, 85);
    assert_int_equal(item->heat, 85);
    assert_true(item->has_heat);
    assert_int_equal(item->related[0].quality, 31);
    assert_int_equal(item->related[1].quality, 85);
    assert_int_equal(item->n_warnings, 0);
    assert_null(item->extra_json);
    nx_item_free(item);
}

static void
test_frontmatter__fraction_rounded_with_warning(void **state)
{
    nx_item *item = parse_ok("---\ntitle: t\nquality: 85.6\nheat: 84.5\n---\n");

    (void)state;
    assert_int_equal(item->quality, 86);
    assert_int_equal(item->heat, 85); /* half away from zero */
    assert_int_equal(item->n_warnings, 2);
    assert_warning(item, 0, 3, 10, "quality",
                   "'85.6' is not a whole number, rounded to 86");
    assert_warning(item, 1, 4, 7, "heat",
                   "'84.5' is not a whole number, rounded to 85");
    assert_null(item->extra_json);
    nx_item_free(item);
}

static void
test_frontmatter__number_out_of_range_kept_raw(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "quality: 2000000\n"
                             "heat: 1234567890123456789012345678901234567890\n"
                             "related:\n"
                             "  - title: r\n"
                             "    quality: -5\n"
                             "---\n");

    (void)state;
    assert_false(item->has_quality);
    assert_false(item->has_heat);
    assert_false(item->related[0].has_quality);
    assert_string_equal(item->extra_json,
                        "{\"quality\":2000000,\"heat\":"
                        "\"1234567890123456789012345678901234567890\"}");
    assert_string_equal(item->related[0].extra_json, "{\"quality\":-5}");
    assert_int_equal(item->n_warnings, 3);
    assert_warning(item, 0, 3, 10, "quality",
                   "expected a whole number from 0 to 1000000, got "
                   "'2000000'");
    assert_warning(item, 1, 4, 7, "heat",
                   "expected a whole number from 0 to 1000000, got "
                   "'1234567890123456789012345678901234567890'");
    assert_warning(item, 2, 7, 14, "related[0].quality",
                   "expected a whole number from 0 to 1000000, got '-5'");
    nx_item_free(item);
}

static void
test_frontmatter__word_for_number_warns_at_its_line(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "excerpt: e\n"
                             "type: article\n"
                             "quality: high\n"
                             "---\n");

    (void)state;
    assert_false(item->has_quality);
    assert_string_equal(item->extra_json, "{\"quality\":\"high\"}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 5, 10, "quality",
                   "expected a whole number, got 'high'");
    nx_item_free(item);
}

static void
test_frontmatter__heat_minus_one_is_unknown(void **state)
{
    nx_item *unknown = parse_ok("---\ntitle: t\nheat: -1\n---\n");
    nx_item *negative = parse_ok("---\ntitle: t\nheat: -3\n---\n");
    nx_item *zero = parse_ok("---\ntitle: t\nheat: 0\n---\n");

    (void)state;
    assert_false(unknown->has_heat);
    assert_int_equal(unknown->n_warnings, 0);
    assert_null(unknown->extra_json);
    assert_false(negative->has_heat);
    assert_string_equal(negative->extra_json, "{\"heat\":-3}");
    assert_warning(negative, 0, 3, 7, "heat",
                   "expected a whole number from 0 to 1000000, got '-3'");
    assert_true(zero->has_heat);
    assert_int_equal(zero->heat, 0);
    nx_item_free(unknown);
    nx_item_free(negative);
    nx_item_free(zero);
}

static void
test_frontmatter__list_for_string_is_joined(void **state)
{
    nx_item *item = parse_ok("---\ntitle: [a, b]\n---\n");

    (void)state;
    assert_string_equal(item->title, "a, b");
    assert_string_equal(item->extra_json, "{\"title\":[\"a\",\"b\"]}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 2, 8, "title",
                   "expected a string, got a list; items joined with ', '");
    nx_item_free(item);
}

static void
test_frontmatter__string_for_list_is_one_item(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "topics: AI\n"
                             "images: {url: x}\n"
                             "related: {title: r}\n"
                             "---\n");

    (void)state;
    assert_int_equal(item->n_topics, 1);
    assert_string_equal(item->topics[0], "AI");
    assert_string_equal(item->images_json, "[{\"url\":\"x\"}]");
    assert_int_equal(item->n_related, 1);
    assert_string_equal(item->related[0].title, "r");
    assert_int_equal(item->n_warnings, 0);
    assert_null(item->extra_json);
    nx_item_free(item);
}

static void
test_frontmatter__mapping_for_string_kept_raw(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "excerpt: e\n"
                             "title: {a: 1}\n"
                             "webUrl: [[x]]\n"
                             "---\n");

    (void)state;
    assert_null(item->title);
    assert_null(item->web_url);
    assert_string_equal(item->extra_json,
                        "{\"title\":{\"a\":1},\"webUrl\":[[\"x\"]]}");
    assert_int_equal(item->n_warnings, 2);
    assert_warning(item, 0, 3, 8, "title", "expected a string, got a mapping");
    assert_warning(item, 1, 4, 9, "webUrl", "expected a string, got a list");
    nx_item_free(item);
}

static void
test_frontmatter__nulls_are_absent(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title:\n"
                             "excerpt: e\n"
                             "webUrl: ~\n"
                             "quality: null\n"
                             "published: Null\n"
                             "provider:\n"
                             "topics: NULL\n"
                             "related:\n"
                             "---\n");

    (void)state;
    assert_null(item->title);
    assert_null(item->web_url);
    assert_false(item->has_quality);
    assert_int_equal(item->published, -1);
    assert_null(item->provider_name);
    assert_null(item->topics);
    assert_null(item->related);
    assert_int_equal(item->n_warnings, 0);
    assert_null(item->extra_json);
    nx_item_free(item);
}

static void
test_frontmatter__duplicate_keys_last_wins(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: first\n"
                             "foo: 1\n"
                             "title: second\n"
                             "foo: 2\n"
                             "images:\n"
                             "  - {url: a, url: b}\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->title, "second");
    /* Earlier values of top-level keys are kept as KEY@LINE. */
    assert_string_equal(item->extra_json,
                        "{\"title@2\":\"first\",\"foo@3\":1,\"foo\":2}");
    assert_string_equal(item->images_json, "[{\"url\":\"b\"}]");
    assert_int_equal(item->n_warnings, 3);
    assert_warning(item, 0, 2, 1, "title",
                   "duplicate key, the last value wins; this one is kept in "
                   "extra as KEY@LINE");
    assert_warning(item, 1, 3, 1, "foo",
                   "duplicate key, the last value wins; this one is kept in "
                   "extra as KEY@LINE");
    assert_warning(item, 2, 7, 6, "images",
                   "duplicate key, the last value wins");
    nx_item_free(item);
}

static void
test_frontmatter__unknown_keys_as_typed_json(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "name: Event\n"
                             "excerpt: x\n"
                             "members: 8400\n"
                             "ratio: 4.50\n"
                             "half: .5\n"
                             "big: 1e5\n"
                             "neg: -2.5E-3\n"
                             "hex: 0x1F\n"
                             "under: 1_000\n"
                             "zip: 01234\n"
                             "huge: 12345678901234567890\n"
                             "flag: yes\n"
                             "off: Off\n"
                             "letter: y\n"
                             "nothing: ~\n"
                             "empty:\n"
                             "inf: .inf\n"
                             "quoted: \"123\"\n"
                             "text: hello world\n"
                             "when: 2021-06-03T23:01:00Z\n"
                             "list: [1, \"2\", three]\n"
                             "map: {a: 1, b: [true, null]}\n"
                             "? [complex, key]\n"
                             ": v\n"
                             "block: |\n"
                             "  x \"q\" \\ y\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->title, "Event"); /* `name` with no title */
    assert_string_equal(item->excerpt, "x");
    assert_string_equal(
        item->extra_json,
        "{\"name\":\"Event\",\"members\":8400,\"ratio\":4.50,\"half\":0.5,"
        "\"big\":1e5,\"neg\":-2.5e-3,\"hex\":31,\"under\":1000,"
        "\"zip\":\"01234\",\"huge\":\"12345678901234567890\","
        "\"flag\":true,\"off\":false,\"letter\":\"y\",\"nothing\":null,"
        "\"empty\":null,\"inf\":\".inf\",\"quoted\":\"123\","
        "\"text\":\"hello world\",\"when\":\"2021-06-03T23:01:00Z\","
        "\"list\":[1,\"2\",\"three\"],\"map\":{\"a\":1,\"b\":[true,null]},"
        "\"[\\\"complex\\\",\\\"key\\\"]\":\"v\","
        "\"block\":\"x \\\"q\\\" \\\\ y\\n\"}");
    assert_int_equal(item->n_warnings, 0);
    nx_item_free(item);
}

static void
test_frontmatter__provider_and_related_leftovers(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "provider:\n"
                             "  name: P\n"
                             "  url: https://p.example/\n"
                             "  domain: [p.example]\n"
                             "related:\n"
                             "  - title: r\n"
                             "    heat: 3\n"
                             "    provider:\n"
                             "      name: Q\n"
                             "      images: [{url: i}]\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->provider_name, "P");
    assert_string_equal(item->provider_domain, "p.example");
    assert_string_equal(item->extra_json,
                        "{\"provider\":{\"url\":\"https://p.example/\","
                        "\"domain\":[\"p.example\"]}}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 6, 11, "provider.domain",
                   "expected a string, got a list; items joined with ', '");
    assert_string_equal(item->related[0].provider_name, "Q");
    assert_string_equal(item->related[0].extra_json,
                        "{\"heat\":3,\"provider\":{\"images\":"
                        "[{\"url\":\"i\"}]}}");
    nx_item_free(item);
}

static void
test_frontmatter__provider_as_string(void **state)
{
    nx_item *item = parse_ok("---\ntitle: t\nprovider: ZDNet\n---\n");

    (void)state;
    assert_string_equal(item->provider_name, "ZDNet");
    assert_null(item->extra_json);
    assert_warning(item, 0, 3, 11, "provider",
                   "expected a mapping, got 'ZDNet'; taken as the name");
    nx_item_free(item);
}

static void
test_frontmatter__bad_list_items_keep_the_list_raw(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "topics: [AI, [x], ML]\n"
                             "related:\n"
                             "  - just text\n"
                             "  - title: r\n"
                             "---\n");

    (void)state;
    assert_int_equal(item->n_topics, 2);
    assert_string_equal(item->topics[0], "AI");
    assert_string_equal(item->topics[1], "ML");
    assert_int_equal(item->n_related, 1);
    assert_string_equal(item->related[0].title, "r");
    assert_string_equal(item->extra_json,
                        "{\"topics\":[\"AI\",[\"x\"],\"ML\"],"
                        "\"related\":[\"just text\",{\"title\":\"r\"}]}");
    assert_int_equal(item->n_warnings, 2);
    assert_warning(item, 0, 3, 14, "topics[1]",
                   "expected a string, got a list");
    assert_warning(item, 1, 5, 5, "related[0]",
                   "expected a mapping, got 'just text'");
    nx_item_free(item);
}

/**************************************************************************
** Dates
*/

static void
test_frontmatter__date_forms(void **state)
{
    static const struct {
        const char *text;
        int64_t expected;
    } cases[] = {
        {"2021-06-03T23:01:00Z", 1622761260},
        {"2021-06-03T23:01:00.123456Z", 1622761260},
        {"2021-06-03T23:01:00+02:00", 1622754060},
        {"2021-06-03T23:01:00-0800", 1622790060},
        {"2021-06-03T23:01:00+02", 1622754060},
        {"2021-06-03t23:01:00z", 1622761260},
        {"2021-06-03 23:01:00", 1622761260},
        {"2021-06-03T23:01Z", 1622761260},
        {"2021-06-03T23:01:00", 1622761260},
        {"2021-06-03", 1622678400},
        {"\"2021-06-03T23:01:00Z \"", 1622761260},
        {"2001-12-14 21:59:43.10 -5", 1008385183},
        {"Thu, 03 Jun 2021 23:01:00 +0000", 1622761260},
        {"Thu, 03 Jun 2021 23:01:00 GMT", 1622761260},
        {"3 Jun 2021 16:01 PDT", 1622761260},
        {"Thursday, 03 June 99 23:01:00 UT", 928450860},
        {"1969-12-31T23:59:59Z", -1},
        {"1600-03-01T00:00:00Z", -11670912000},
        {"2024-02-29", 1709164800},
        {"9999-12-31T23:59:59Z", 253402300799},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text =
            doc("---\ntitle: t\npublishedDateTime: %s\n---\n", cases[i].text);
        nx_item *item = parse_ok(text);

        if (!item->has_published_at || item->published_at != cases[i].expected)
            print_message("date case %s\n", cases[i].text);
        assert_true(item->has_published_at);
        assert_int_equal(item->published_at, cases[i].expected);
        assert_int_equal(item->n_warnings, 0);
        nx_item_free(item);
        free(text);
    }
}

static void
test_frontmatter__bad_dates_kept_raw(void **state)
{
    static const char *const cases[] = {"2021-02-29",
                                        "2021-13-01",
                                        "2021-06-31",
                                        "2021-06-03T24:00:00Z",
                                        "2021-06-03T23:61Z",
                                        "2021-06-03T23:01:00+25",
                                        "yesterday",
                                        "2021-06-03X",
                                        "Thu, 32 Jun 2021 10:00 GMT",
                                        "03 Foo 2021 10:00",
                                        "1622761260"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text =
            doc("---\ntitle: t\npublishedDateTime: %s\n---\n", cases[i]);
        char *json = doc("{\"publishedDateTime\":\"%s\"}", cases[i]);
        char *message = doc("expected a date and time, got '%s'", cases[i]);
        nx_item *item = parse_ok(text);

        assert_false(item->has_published_at);
        if (strcmp(cases[i], "1622761260") == 0)
            assert_string_equal(item->extra_json,
                                "{\"publishedDateTime\":1622761260}");
        else
            assert_string_equal(item->extra_json, json);
        assert_int_equal(item->n_warnings, 1);
        assert_warning(item, 0, 3, 20, "publishedDateTime", message);
        nx_item_free(item);
        free(text);
        free(json);
        free(message);
    }
}

static void
test_frontmatter__bad_date_in_related(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: t\n"
                             "related:\n"
                             "  - title: a\n"
                             "  - title: b\n"
                             "  - title: c\n"
                             "    publishedDateTime: soon\n"
                             "---\n");

    (void)state;
    assert_int_equal(item->n_related, 3);
    assert_false(item->related[2].has_published_at);
    assert_string_equal(item->related[2].extra_json,
                        "{\"publishedDateTime\":\"soon\"}");
    assert_null(item->extra_json);
    assert_warning(item, 0, 7, 24, "related[2].publishedDateTime",
                   "expected a date and time, got 'soon'");
    nx_item_free(item);
}

/**************************************************************************
** Delimiters and the body
*/

static void
test_frontmatter__crlf_and_bom(void **state)
{
    nx_item *item = parse_ok("\xEF\xBB\xBF---\r\n"
                             "title: \"A\"\r\n"
                             "excerpt: >\r\n"
                             "  two\r\n"
                             "  lines\r\n"
                             "quality: high\r\n"
                             "--- \t\r\n"
                             "\r\n"
                             "Body\r\n");

    (void)state;
    assert_string_equal(item->title, "A");
    assert_string_equal(item->excerpt, "two lines");
    assert_warning(item, 0, 6, 10, "quality",
                   "expected a whole number, got 'high'");
    assert_string_equal(item->body, "Body\r\n");
    nx_item_free(item);
}

static void
test_frontmatter__no_final_newline(void **state)
{
    nx_item *item = parse_ok("---\ntitle: A\n---");

    (void)state;
    assert_string_equal(item->title, "A");
    assert_null(item->body);
    nx_item_free(item);
}

static void
test_frontmatter__dots_end_marker_and_body(void **state)
{
    nx_item *item = parse_ok("---\ntitle: A\n...\nbody text\n--- not yaml\n");
    nx_item *blank = parse_ok("---\ntitle: A\n---\n\n \t\n\n");
    nx_item *body = parse_ok("---\ntitle: A\n---\n\n\nHello\n\nWorld\n");

    (void)state;
    assert_string_equal(item->body, "body text\n--- not yaml\n");
    assert_null(blank->body);
    assert_string_equal(body->body, "\nHello\n\nWorld\n");
    nx_item_free(item);
    nx_item_free(blank);
    nx_item_free(body);
}

static void
test_frontmatter__never_closed(void **state)
{
    (void)state;
    parse_fails("---\ntitle: A\n", 13, NEWSIDX_PARSE,
                "front matter is never closed", 1, 1);
    parse_fails("---", 3, NEWSIDX_PARSE, "front matter is never closed", 1, 1);
    parse_fails("---\ntitle: A\n--- x\n", 19, NEWSIDX_PARSE,
                "front matter is never closed", 1, 1);
}

static void
test_frontmatter__no_front_matter(void **state)
{
    (void)state;
    parse_fails("", 0, NEWSIDX_NOTFOUND, "no front matter", 0, 0);
    parse_fails("# Title\n---\ntitle: A\n---\n", 25, NEWSIDX_NOTFOUND,
                "no front matter", 0, 0);
    parse_fails("----\ntitle: A\n---\n", 18, NEWSIDX_NOTFOUND,
                "no front matter", 0, 0);
    parse_fails(" ---\ntitle: A\n---\n", 18, NEWSIDX_NOTFOUND,
                "no front matter", 0, 0);
}

static void
test_frontmatter__empty_front_matter(void **state)
{
    (void)state;
    parse_fails("---\n---\n", 8, NEWSIDX_NOTFOUND, "front matter is empty", 0,
                0);
    parse_fails("---\n...\n", 8, NEWSIDX_NOTFOUND, "front matter is empty", 0,
                0);
    parse_fails("---\n\n# only a comment\n---\n", 25, NEWSIDX_NOTFOUND,
                "front matter is empty", 0, 0);
    parse_fails("---\n~\n---\n", 10, NEWSIDX_NOTFOUND, "front matter is empty",
                0, 0);
}

static void
test_frontmatter__scalar_and_list_documents(void **state)
{
    (void)state;
    parse_fails("---\n\nhello\n---\n", 15, NEWSIDX_PARSE,
                "front matter is a scalar, not a mapping", 3, 1);
    parse_fails("---\n- a\n- b\n---\n", 16, NEWSIDX_PARSE,
                "front matter is a list, not a mapping", 2, 1);
}

static void
test_frontmatter__second_document(void **state)
{
    (void)state;
    parse_fails("---\ntitle: a\n--- b\n---\n", 23, NEWSIDX_PARSE,
                "front matter holds more than one yaml document", 3, 5);
}

static void
test_frontmatter__not_a_news_item(void **state)
{
    static const char taxonomy[] = "---\n"
                                   "taxonomy: organization\n"
                                   "_id: zdnet.com\n"
                                   "name: ZDNet\n"
                                   "domain: zdnet.com\n"
                                   "---\n";
    nx_item *event;

    (void)state;
    parse_fails(taxonomy, sizeof(taxonomy) - 1, NEWSIDX_NOTFOUND,
                "no title or excerpt", 0, 0);
    parse_fails("---\ntitle: \"  \"\nexcerpt: \"\"\n---\n", 32,
                NEWSIDX_NOTFOUND, "no title or excerpt", 0, 0);
    event = parse_ok("---\n"
                     "name: \"NeurIPS 2019\"\n"
                     "excerpt: \"A conference\"\n"
                     "type: conference\n"
                     "---");
    assert_string_equal(event->title, "NeurIPS 2019"); /* from its name */
    assert_string_equal(event->excerpt, "A conference");
    assert_string_equal(event->extra_json, "{\"name\":\"NeurIPS 2019\"}");
    nx_item_free(event);
}

/* Parse "---\n<fm>---\n" and check the title it gets and its extra. */
static void
assert_named(const char *fm, const char *title, const char *extra)
{
    char *text = doc("---\n%s---\n", fm);
    nx_item *item = parse_ok(text);

    if (title == NULL)
        assert_null(item->title);
    else
        assert_string_equal(item->title, title);
    assert_string_equal(item->extra_json, extra);
    nx_item_free(item);
    free(text);
}

static void
test_frontmatter__name_is_the_title_when_there_is_none(void **state)
{
    (void)state;
    /* Only a name: it is the title, and stays in extra as written. */
    assert_named("name: \"NeurIPS 2019\"\nexcerpt: e\n", "NeurIPS 2019",
                 "{\"name\":\"NeurIPS 2019\"}");
    /* A title of its own wins. */
    assert_named("title: T\nname: N\nexcerpt: e\n", "T", "{\"name\":\"N\"}");
    assert_named("name: N\ntitle: T\n", "T", "{\"name\":\"N\"}");
    /* A title that is not usable gives way: null, empty, all spaces. */
    assert_named("title: ~\nname: N\nexcerpt: e\n", "N", "{\"name\":\"N\"}");
    assert_named("title: \"\"\nname: N\nexcerpt: e\n", "N", "{\"name\":\"N\"}");
    assert_named("title: \" \\t \"\nname: N\nexcerpt: e\n", "N",
                 "{\"name\":\"N\"}");
    /* Repaired and trimmed as a title is. */
    assert_named("name: \"  Q&amp;A day  \"\nexcerpt: e\n", "Q&A day",
                 "{\"name\":\"  Q&amp;A day  \"}");
    /* Of two names the last one, as for any key. */
    assert_named("name: A\nname: B\nexcerpt: e\n", "B",
                 "{\"name@2\":\"A\",\"name\":\"B\"}");
    /* A name that gives nothing leaves the title as it was. */
    assert_named("name: \"   \"\nexcerpt: e\n", NULL, "{\"name\":\"   \"}");
    assert_named("name: ~\nexcerpt: e\n", NULL, "{\"name\":null}");
    assert_named("title: \"\"\nname: \"\"\nexcerpt: e\n", "",
                 "{\"name\":\"\"}");
}

static void
test_frontmatter__name_follows_the_title_rules(void **state)
{
    nx_item *item;

    (void)state;
    /* A list of strings is joined, with the warning a title gets. */
    item = parse_ok("---\nexcerpt: e\nname: [Power, Apps]\n---\n");
    assert_string_equal(item->title, "Power, Apps");
    assert_string_equal(item->extra_json, "{\"name\":[\"Power\",\"Apps\"]}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 3, 7, "name",
                   "expected a string, got a list; items joined with ', '");
    nx_item_free(item);
    /* A mapping is no title: refused with a warning, kept in extra once. */
    item = parse_ok("---\nexcerpt: e\nname: {first: Andrew}\n---\n");
    assert_null(item->title);
    assert_string_equal(item->extra_json, "{\"name\":{\"first\":\"Andrew\"}}");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 3, 7, "name", "expected a string, got a mapping");
    nx_item_free(item);
    /* With a usable title, name is not looked at: no warning. */
    item = parse_ok("---\ntitle: T\nname: {a: 1}\n---\n");
    assert_string_equal(item->title, "T");
    assert_int_equal(item->n_warnings, 0);
    nx_item_free(item);
    /* Nested names (a provider's) are not the item's. */
    item = parse_ok("---\nexcerpt: e\nprovider:\n  name: P\n---\n");
    assert_null(item->title);
    assert_string_equal(item->provider_name, "P");
    nx_item_free(item);
}

/* Out of memory at each allocation while `name` becomes the title. */
static void
test_frontmatter__name_allocation_failures(void **state)
{
    static const char text[] = "---\ntitle: \"\"\nexcerpt: e\n"
                               "name: [Power, \"Apps&amp;\"]\n---\n";
    nx_item *item = NULL;
    long n;
    int rc = NEWSIDX_NOMEM;

    (void)state;
    for (n = 0; rc != NEWSIDX_OK; n++) {
        nx_parse_pos pos;
        newsidx_error err;

        nx_alloc_fail_after(n);
        rc = parse(&item, text, sizeof(text) - 1, &pos, &err);
        nx_alloc_fail_after(-1);
        if (rc != NEWSIDX_OK) {
            assert_int_equal(rc, NEWSIDX_NOMEM);
            assert_string_equal(err.message, "out of memory");
        }
    }
    assert_string_equal(item->title, "Power, Apps&");
    assert_string_equal(item->extra_json,
                        "{\"name\":[\"Power\",\"Apps&amp;\"]}");
    assert_int_equal(item->n_warnings, 1);
    nx_item_free(item);
}

static void
test_frontmatter__name_alone_is_not_a_news_item(void **state)
{
    static const char profile[] = "---\n"
                                  "name: \"Andrew Ng\"\n"
                                  "bio: \"A researcher\"\n"
                                  "type: \"profile\"\n"
                                  "---\n";

    (void)state;
    /* What makes a news item is a title or an excerpt of its own. */
    parse_fails(profile, sizeof(profile) - 1, NEWSIDX_NOTFOUND,
                "no title or excerpt", 0, 0);
    parse_fails("---\ntitle: \"\"\nname: N\n---\n", 27, NEWSIDX_NOTFOUND,
                "no title or excerpt", 0, 0);
}

/**************************************************************************
** Bad and hostile input
*/

static void
test_frontmatter__yaml_errors_have_positions(void **state)
{
    (void)state;
    parse_fails("---\ntitle: A\nprovider:\n\tname: X\n---\n", 35, NEWSIDX_PARSE,
                "a tab character here; YAML does not allow tabs for "
                "indentation (found character that cannot start any token)",
                4, 1);
    parse_fails("---\ntitle: \"abc\nexcerpt: x\n---\n", 31, NEWSIDX_PARSE,
                "found unexpected end of stream while scanning a quoted "
                "scalar",
                4, 1);
    parse_fails("---\ntitle: a\n  b: c\n---\n", 24, NEWSIDX_PARSE,
                "mapping values are not allowed in this context", 3, 4);
    parse_fails("---\ntitle: *nowhere\n---\n", 24, NEWSIDX_PARSE,
                "found undefined alias", 2, 8);
    parse_fails("---\na: &x 1\nb: &x 2\ntitle: t\n---\n", 33, NEWSIDX_PARSE,
                "found duplicate anchor; first occurrence at line 2, "
                "second occurrence",
                3, 4);
}

static void
test_frontmatter__nul_and_invalid_utf8_replaced(void **state)
{
    static const char text[] = "---\n"
                               "title: \"A\0B\xFF\"\n"
                               "excerpt: x\xC2\x85y\xEF\xBF\xBEz\x7F\n"
                               "---\n";
    nx_item *item;
    nx_parse_pos pos;
    newsidx_error err;

    (void)state;
    assert_int_equal(parse(&item, text, sizeof(text) - 1, &pos, &err),
                     NEWSIDX_OK);
    assert_string_equal(item->title, "A\xEF\xBF\xBD"
                                     "B\xEF\xBF\xBD");
    assert_string_equal(item->excerpt, "x\xEF\xBF\xBDy\xEF\xBF\xBDz"
                                       "\xEF\xBF\xBD");
    assert_int_equal(item->n_warnings, 1);
    assert_warning(item, 0, 2, 10, NULL,
                   "invalid UTF-8 or control characters replaced (5)");
    nx_item_free(item);
}

static void
test_frontmatter__escaped_nul_replaced(void **state)
{
    nx_item *item = parse_ok("---\ntitle: \"a\\0b\"\nx: \"\\0\"\n---\n");

    (void)state;
    assert_string_equal(item->title, "a\xEF\xBF\xBD"
                                     "b");
    assert_string_equal(item->extra_json, "{\"x\":\"\\u0000\"}");
    assert_warning(item, 0, 2, 8, "title", "nul character replaced by U+FFFD");
    nx_item_free(item);
}

static void
test_frontmatter__positions_count_lines_as_editors_do(void **state)
{
    /* U+2028 and a lone CR are line breaks to libyaml, not to editors */
    nx_item *item = parse_ok("---\n"
                             "title: \"a\xE2\x80\xA8"
                             "b\rc\"\n"
                             "excerpt: \xC3\xA9\xC3\xA9\n"
                             "quality: high\n"
                             "heat: [\xC3\xA9, x]\n"
                             "---\n");

    (void)state;
    assert_int_equal(item->n_warnings, 2);
    assert_warning(item, 0, 4, 10, "quality",
                   "expected a whole number, got 'high'");
    assert_warning(item, 1, 5, 7, "heat",
                   "expected a whole number, got a list");
    nx_item_free(item);
}

/* 9 levels of 9 aliases: 9^9 nodes if expanded. */
static char *
billion_laughs(const char *key)
{
    char *text = malloc(4096);
    size_t n = 0;
    int level, i;

    assert_non_null(text);
    n += (size_t)sprintf(text + n, "---\nexcerpt: e\nl0: &l0 lol\n");
    for (level = 1; level <= 9; level++) {
        n += (size_t)sprintf(text + n, "l%d: &l%d [", level, level);
        for (i = 0; i < 9; i++)
            n += (size_t)sprintf(text + n, "%s*l%d", i ? ", " : "", level - 1);
        n += (size_t)sprintf(text + n, "]\n");
    }
    sprintf(text + n, "%s: *l9\n---\n", key);
    return text;
}

static void
test_frontmatter__alias_bomb_stops_early(void **state)
{
    static const char *const keys[] = {"bomb", "title", "topics", "related",
                                       "quality"};
    clock_t start = clock();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *text = billion_laughs(keys[i]);
        nx_item *item;
        nx_parse_pos pos;
        newsidx_error err;

        assert_int_equal(parse(&item, text, strlen(text), &pos, &err),
                         NEWSIDX_PARSE);
        assert_string_equal(err.message,
                            "more than 100000 nodes, aliases counted each "
                            "time");
        assert_true(pos.line >= 3 && pos.line <= 13);
        free(text);
    }
    assert_true(clock() - start < 5 * CLOCKS_PER_SEC);
}

static void
test_frontmatter__alias_cycle(void **state)
{
    (void)state;
    parse_fails("---\ntitle: t\na: &a [*a]\n---\n", 27, NEWSIDX_PARSE,
                "nesting deeper than 64 levels", 3, 4);
}

static void
test_frontmatter__aliases_within_limits(void **state)
{
    nx_item *item = parse_ok("---\n"
                             "title: &t \"Same\"\n"
                             "img: &i {url: x}\n"
                             "images: [*i, *i]\n"
                             "related:\n"
                             "  - title: *t\n"
                             "---\n");

    (void)state;
    assert_string_equal(item->images_json, "[{\"url\":\"x\"},{\"url\":\"x\"}]");
    assert_string_equal(item->related[0].title, "Same");
    assert_string_equal(item->extra_json, "{\"img\":{\"url\":\"x\"}}");
    nx_item_free(item);
}

/* "---\nexcerpt: e\na: " + `depth` '[' + `depth` ']' + "\n---\n" */
static char *
deep_flow(size_t depth)
{
    char *text = malloc(2 * depth + 64);
    size_t n;

    assert_non_null(text);
    n = (size_t)sprintf(text, "---\nexcerpt: e\na: ");
    memset(text + n, '[', depth);
    memset(text + n + depth, ']', depth);
    strcpy(text + n + 2 * depth, "\n---\n");
    return text;
}

static void
test_frontmatter__nesting_limit_is_64(void **state)
{
    char *ok = deep_flow(63); /* the root is level 1 */
    char *deep = deep_flow(64);
    nx_item *item = parse_ok(ok);

    (void)state;
    assert_int_equal(strlen(item->extra_json), 5 + 2 * 63 + 1);
    parse_fails(deep, strlen(deep), NEWSIDX_PARSE,
                "nesting deeper than 64 levels", 3, 4 + 63);
    nx_item_free(item);
    free(ok);
    free(deep);
}

static void
test_frontmatter__deep_flow_nesting_refused_fast(void **state)
{
    size_t depths[] = {10000, 1000000};
    clock_t start = clock();
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        char *text = deep_flow(depths[i]);

        parse_fails(text, strlen(text), NEWSIDX_PARSE,
                    "nesting deeper than 64 levels", 3, 4 + 63);
        free(text);
    }
    assert_true(clock() - start < 5 * CLOCKS_PER_SEC);
}

static void
test_frontmatter__deep_block_nesting_refused(void **state)
{
    size_t depth = 10000, n, i;
    char *map = malloc(depth * (depth + 5) / 2 + 64);
    char *seq = malloc(2 * depth + 64);

    (void)state;
    assert_non_null(map);
    assert_non_null(seq);
    /* a mapping 10000 levels deep: "a:\n a:\n  a:\n..." */
    n = (size_t)sprintf(map, "---\nexcerpt: e\n");
    for (i = 0; i < depth; i++) {
        memset(map + n, ' ', i);
        memcpy(map + n + i, "a:\n", 3);
        n += i + 3;
    }
    strcpy(map + n, "---\n");
    parse_fails(map, strlen(map), NEWSIDX_PARSE,
                "nesting deeper than 64 levels", 3 + 63, 1 + 63);
    /* a sequence 10000 levels deep in compact form: "- - - - x" */
    n = (size_t)sprintf(seq, "---\nexcerpt: e\na:\n");
    for (i = 0; i < depth; i++, n += 2)
        memcpy(seq + n, "- ", 2);
    strcpy(seq + n, "x\n---\n");
    parse_fails(seq, strlen(seq), NEWSIDX_PARSE,
                "nesting deeper than 64 levels", 4, 1 + 2 * 63);
    free(map);
    free(seq);
}

static void
test_frontmatter__too_many_anchors_refused(void **state)
{
    char *text = malloc(1100 * 16 + 64);
    size_t n;
    int i;

    (void)state;
    assert_non_null(text);
    n = (size_t)sprintf(text, "---\ntitle: t\nlist:\n");
    for (i = 0; i <= 1000; i++)
        n += (size_t)sprintf(text + n, "  - &a%d x\n", i);
    strcpy(text + n, "---\n");
    parse_fails(text, strlen(text), NEWSIDX_PARSE, "more than 1000 anchors",
                4 + 1000, 5);
    free(text);
}

static void
test_frontmatter__too_many_aliases_refused(void **state)
{
    char *text = malloc(10001 * 4 + 64);
    size_t n;
    int i;

    (void)state;
    assert_non_null(text);
    n = (size_t)sprintf(text, "---\ntitle: &t t\nlist: [");
    for (i = 0; i <= 10000; i++)
        n += (size_t)sprintf(text + n, "*t,");
    strcpy(text + n - 1, "]\n---\n");
    parse_fails(text, strlen(text), NEWSIDX_PARSE, "more than 10000 aliases", 3,
                8 + 3 * 10000);
    free(text);
}

static void
test_frontmatter__item_free_null(void **state)
{
    (void)state;
    nx_item_free(NULL);
}

/**************************************************************************
** Out of memory
*/

static void
test_frontmatter__allocation_failures(void **state)
{
    char *text = malloc(sizeof(seed_zdnet) + 256);
    nx_item *item = NULL;
    long n;
    int rc = NEWSIDX_NOMEM;

    (void)state;
    assert_non_null(text);
    /* a rich item: every field, a warning, extra keys, a body */
    strcpy(text, seed_zdnet);
    strcpy(text + strlen(text) - 5, /* replaces "---\n\n" */
           "foo: [1, {a: b}]\nprovider2: {x: [y]}\nquality: high\n"
           "---\nThe body\n");
    for (n = 0; rc != NEWSIDX_OK; n++) {
        nx_parse_pos pos;
        newsidx_error err;

        nx_alloc_fail_after(n);
        rc = parse(&item, text, strlen(text), &pos, &err);
        nx_alloc_fail_after(-1);
        if (rc != NEWSIDX_OK) {
            if (rc != NEWSIDX_NOMEM)
                print_message("n=%ld: %s\n", n, err.message);
            assert_int_equal(rc, NEWSIDX_NOMEM);
            assert_string_equal(err.message, "out of memory");
        }
    }
    assert_true(n > 10);
    assert_string_equal(item->body, "The body\n");
    assert_string_equal(item->extra_json,
                        "{\"quality@11\":99,\"foo\":[1,{\"a\":\"b\"}],"
                        "\"provider2\":{\"x\":[\"y\"]},\"quality\":\"high\"}");
    assert_int_equal(item->n_warnings, 2); /* quality twice */
    assert_int_equal(item->n_related, 1);
    nx_item_free(item);
    free(text);
}

/**************************************************************************
** The real corpus (skipped when it is not there)
*/

typedef struct corpus_count {
    size_t n_ok;
    size_t n_notfound;
    size_t n_other;
} corpus_count;

static bool
corpus_wanted(const char *name)
{
    size_t n = strlen(name);

    return (n > 3 && strcmp(name + n - 3, ".md") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

static void
corpus_file(const char *path, corpus_count *count)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);
    size_t len;
    nx_item *item;
    nx_parse_pos pos;
    newsidx_error err;
    int rc;

    assert_non_null(f);
    assert_non_null(buf);
    len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    rc = parse(&item, buf, len, &pos, &err);
    if (rc == NEWSIDX_OK)
        count->n_ok++;
    else if (rc == NEWSIDX_NOTFOUND)
        count->n_notfound++;
    else
        print_message("%s:%u:%u: %s\n", path, pos.line, pos.column,
                      err.message);
    count->n_other += rc != NEWSIDX_OK && rc != NEWSIDX_NOTFOUND;
    nx_item_free(item);
    free(buf);
}

static void
corpus_walk(const char *dir, corpus_count *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            corpus_walk(path, count);
        else if (S_ISREG(st.st_mode) && corpus_wanted(e->d_name))
            corpus_file(path, count);
    }
    closedir(d);
}

static void
test_frontmatter__real_corpus(void **state)
{
    const char *root = getenv("NEWSIDX_SOURCE_DIR");
    corpus_count count = {0, 0, 0};
    char dir[4096];
    struct stat st;

    (void)state;
#ifdef NEWSIDX_SOURCE_DIR
    if (root == NULL)
        root = NEWSIDX_SOURCE_DIR;
#endif
    if (root == NULL)
        skip();
    snprintf(dir, sizeof(dir), "%s/../shared/corpus", root);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        skip();
    corpus_walk(dir, &count);
    print_message("corpus: %zu news items, %zu not news\n", count.n_ok,
                  count.n_notfound);
    assert_int_equal(count.n_other, 0);
    assert_true(count.n_ok > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frontmatter__seed_zdnet),
        cmocka_unit_test(test_frontmatter__seed_zdnet_related),
        cmocka_unit_test(test_frontmatter__seed_sdtimes_mojibake_repaired),
        cmocka_unit_test(test_frontmatter__scalar_styles),
        cmocka_unit_test(test_frontmatter__display_text_repaired_and_trimmed),
        cmocka_unit_test(test_frontmatter__published_yaml11_booleans),
        cmocka_unit_test(test_frontmatter__published_unmappable_kept_raw),
        cmocka_unit_test(test_frontmatter__numbers_in_other_forms),
        cmocka_unit_test(test_frontmatter__fraction_rounded_with_warning),
        cmocka_unit_test(test_frontmatter__number_out_of_range_kept_raw),
        cmocka_unit_test(test_frontmatter__word_for_number_warns_at_its_line),
        cmocka_unit_test(test_frontmatter__heat_minus_one_is_unknown),
        cmocka_unit_test(test_frontmatter__list_for_string_is_joined),
        cmocka_unit_test(test_frontmatter__string_for_list_is_one_item),
        cmocka_unit_test(test_frontmatter__mapping_for_string_kept_raw),
        cmocka_unit_test(test_frontmatter__nulls_are_absent),
        cmocka_unit_test(test_frontmatter__duplicate_keys_last_wins),
        cmocka_unit_test(test_frontmatter__unknown_keys_as_typed_json),
        cmocka_unit_test(test_frontmatter__provider_and_related_leftovers),
        cmocka_unit_test(test_frontmatter__provider_as_string),
        cmocka_unit_test(test_frontmatter__bad_list_items_keep_the_list_raw),
        cmocka_unit_test(test_frontmatter__date_forms),
        cmocka_unit_test(test_frontmatter__bad_dates_kept_raw),
        cmocka_unit_test(test_frontmatter__bad_date_in_related),
        cmocka_unit_test(test_frontmatter__crlf_and_bom),
        cmocka_unit_test(test_frontmatter__no_final_newline),
        cmocka_unit_test(test_frontmatter__dots_end_marker_and_body),
        cmocka_unit_test(test_frontmatter__never_closed),
        cmocka_unit_test(test_frontmatter__no_front_matter),
        cmocka_unit_test(test_frontmatter__empty_front_matter),
        cmocka_unit_test(test_frontmatter__scalar_and_list_documents),
        cmocka_unit_test(test_frontmatter__second_document),
        cmocka_unit_test(test_frontmatter__not_a_news_item),
        cmocka_unit_test(
            test_frontmatter__name_is_the_title_when_there_is_none),
        cmocka_unit_test(test_frontmatter__name_follows_the_title_rules),
        cmocka_unit_test(test_frontmatter__name_allocation_failures),
        cmocka_unit_test(test_frontmatter__name_alone_is_not_a_news_item),
        cmocka_unit_test(test_frontmatter__yaml_errors_have_positions),
        cmocka_unit_test(test_frontmatter__nul_and_invalid_utf8_replaced),
        cmocka_unit_test(test_frontmatter__escaped_nul_replaced),
        cmocka_unit_test(test_frontmatter__positions_count_lines_as_editors_do),
        cmocka_unit_test(test_frontmatter__alias_bomb_stops_early),
        cmocka_unit_test(test_frontmatter__alias_cycle),
        cmocka_unit_test(test_frontmatter__aliases_within_limits),
        cmocka_unit_test(test_frontmatter__nesting_limit_is_64),
        cmocka_unit_test(test_frontmatter__deep_flow_nesting_refused_fast),
        cmocka_unit_test(test_frontmatter__deep_block_nesting_refused),
        cmocka_unit_test(test_frontmatter__too_many_anchors_refused),
        cmocka_unit_test(test_frontmatter__too_many_aliases_refused),
        cmocka_unit_test(test_frontmatter__item_free_null),
        cmocka_unit_test(test_frontmatter__allocation_failures),
        cmocka_unit_test(test_frontmatter__real_corpus),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
