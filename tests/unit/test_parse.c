/*
 * test_parse.c - unit tests for parse.c: the query language, its exact
 * FTS5 output, filters, dates, error columns, hostile input (every result
 * is checked against a real FTS5 table) and out-of-memory at every
 * allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "query.h"

/**************************************************************************
** Helpers
*/

static sqlite3 *fts_db;

static int
group_setup(void **state)
{
    (void)state;
    if (sqlite3_open(":memory:", &fts_db) != SQLITE_OK)
        return -1;
    return sqlite3_exec(
        fts_db,
        "CREATE VIRTUAL TABLE fts USING fts5(title, excerpt, body, "
        "quality UNINDEXED, heat UNINDEXED, published_at UNINDEXED, "
        "published UNINDEXED, tokenize='unicode61 remove_diacritics 2');"
        "INSERT INTO fts VALUES('quokka news', 'the state of the art', "
        "'zurich ai c at t 人 工', 50, 7, 1600000000, 1);",
        NULL, NULL, NULL);
}

static int
group_teardown(void **state)
{
    (void)state;
    sqlite3_close(fts_db);
    fts_db = NULL;
    return 0;
}

/* FTS5 must accept `expr` (when not empty) without a syntax error. */
static void
check_fts_accepts(const char *expr)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (expr[0] == '\0')
        return;
    rc = sqlite3_prepare_v2(
        fts_db, "SELECT count(*) FROM fts WHERE fts MATCH ?", -1, &stmt, NULL);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_bind_text(stmt, 1, expr, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW)
        fail_msg("fts5 rejects [%.200s]: %s", expr, sqlite3_errmsg(fts_db));
    sqlite3_finalize(stmt);
}

/* Parse `in` (len bytes); it must succeed.  The caller frees the result. */
static nx_parsed *
parse_ok_len(const char *in, size_t len)
{
    nx_parsed *q = NULL;
    newsidx_error err;
    int rc = nx_query_parse(&q, in, len, &err);

    if (rc != NEWSIDX_OK)
        fail_msg("parse of [%s] failed: %d %s", in, rc, err.message);
    assert_non_null(q);
    assert_non_null(q->match);
    assert_non_null(q->exclude);
    check_fts_accepts(q->match);
    check_fts_accepts(q->exclude);
    return q;
}

static nx_parsed *
parse_ok(const char *in)
{
    return parse_ok_len(in, strlen(in));
}

static void
check_parse(const char *in, const char *want_match, const char *want_exclude)
{
    nx_parsed *q = parse_ok(in);

    if (strcmp(q->match, want_match) != 0)
        fail_msg("[%s]: match [%s], want [%s]", in, q->match, want_match);
    if (strcmp(q->exclude, want_exclude) != 0)
        fail_msg("[%s]: exclude [%s], want [%s]", in, q->exclude, want_exclude);
    nx_parsed_free(q);
}

/* Parse `in`: it must fail with NEWSIDX_PARSE at `column`, and the message
 * must contain `want_msg`. */
static void
check_error(const char *in, unsigned column, const char *want_msg)
{
    nx_parsed *q = (nx_parsed *)1;
    newsidx_error err;
    int rc = nx_query_parse(&q, in, strlen(in), &err);

    if (rc != NEWSIDX_PARSE)
        fail_msg("[%s]: rc %d, want NEWSIDX_PARSE", in, rc);
    assert_null(q);
    assert_int_equal(err.code, NEWSIDX_PARSE);
    assert_int_equal(err.line, 1);
    if (err.column != column)
        fail_msg("[%s]: column %u, want %u", in, err.column, column);
    if (strstr(err.message, want_msg) == NULL)
        fail_msg("[%s]: message [%s] lacks [%s]", in, err.message, want_msg);
}

/* The one filter of `in`. */
static void
check_filter(const char *in, nx_filter_kind kind, bool is_negated,
             const char *text, const char *raw)
{
    nx_parsed *q = parse_ok(in);

    assert_int_equal(q->n_filters, 1);
    assert_int_equal(q->filters[0].kind, kind);
    assert_int_equal(q->filters[0].is_negated, is_negated);
    if (text == NULL)
        assert_null(q->filters[0].text);
    else
        assert_string_equal(q->filters[0].text, text);
    assert_string_equal(q->filters[0].raw, raw);
    assert_string_equal(q->match, "");
    assert_string_equal(q->exclude, "");
    nx_parsed_free(q);
}

/* The bounds of the one filter of `in`; INT64_MIN means "no bound". */
static void
check_bounds(const char *in, int64_t lo, int64_t hi)
{
    nx_parsed *q = parse_ok(in);

    assert_int_equal(q->n_filters, 1);
    assert_int_equal(q->filters[0].has_lo, lo != INT64_MIN);
    assert_int_equal(q->filters[0].has_hi, hi != INT64_MIN);
    if (lo != INT64_MIN && q->filters[0].lo != lo)
        fail_msg("[%s]: lo %lld, want %lld", in, (long long)q->filters[0].lo,
                 (long long)lo);
    if (hi != INT64_MIN && q->filters[0].hi != hi)
        fail_msg("[%s]: hi %lld, want %lld", in, (long long)q->filters[0].hi,
                 (long long)hi);
    nx_parsed_free(q);
}

#define NONE INT64_MIN

/**************************************************************************
** Words, phrases, operators
*/

static void
test_parse__plain_words(void **state)
{
    (void)state;
    check_parse("", "", "");
    check_parse("   \t ", "", "");
    check_parse("Zürich  AI", "\"zurich\" AND \"ai\"", "");
    check_parse("quokka", "\"quokka\"", "");
    check_parse("U.S. A.I.", "\"us\" AND \"ai\"", "");
    check_parse("人工智能", "\"人 工 智 能\"", "");
}

static void
test_parse__punctuation_in_words(void **state)
{
    (void)state;
    check_parse("state-of-the-art", "\"state of the art\"", "");
    check_parse("don't", "\"don t\"", "");
    check_parse("C++ AT&T", "\"c\" AND \"at t\"", "");
    check_parse("COVID-19", "\"covid 19\"", "");
    check_parse("2021-06-03", "\"2021 06 03\"", "");
    check_parse("$1.5bn", "\"1 5bn\"", "");
}

static void
test_parse__words_without_word_chars_are_dropped(void **state)
{
    (void)state;
    check_parse("& ++ — ... *", "", "");
    check_parse("a & b", "\"a\" AND \"b\"", "");
    check_parse("\xE2\x80\x94 \xE2\x80\xA6", "", ""); /* — … */
    check_parse("\xFF\xFE", "", "");                  /* invalid UTF-8 */
}

static void
test_parse__fts5_keywords_other_than_ours_are_words(void **state)
{
    (void)state;
    check_parse("NEAR(a b)", "\"near\" AND \"a\" AND \"b\"", "");
    check_parse("and not", "\"and\" AND \"not\"", "");
    check_parse("\"AND\" \"NOT\"", "\"and\" AND \"not\"", "");
}

/* AND, OR and NOT in capitals are operators; parentheses group.  AND is
 * the same as a space, so OR binds tighter: a OR b c is (a OR b) AND c. */
static void
test_parse__operators(void **state)
{
    (void)state;
    check_parse("a AND b", "\"a\" AND \"b\"", "");
    check_parse("a NOT b", "\"a\"", "\"b\"");
    check_parse("a NOT b NOT c", "\"a\"", "\"b\" OR \"c\"");
    check_parse("NOT b", "", "\"b\"");
    check_parse("a AND NOT b", "\"a\"", "\"b\"");
    check_parse("a NOT NOT b", "\"a\" AND \"b\"", "");
    check_parse("a NOT (b OR c)", "\"a\"", "\"b\" OR \"c\"");
    check_parse("a -(b OR c)", "\"a\"", "\"b\" OR \"c\"");
    check_parse("a NOT title:b", "\"a\"", "title : \"b\"");
    check_parse("a NOT topic:x", "\"a\"", "");
    check_parse("a OR b AND c", "(\"a\" OR \"b\") AND \"c\"", "");
    check_parse("a (b OR c) d", "\"a\" AND (\"b\" OR \"c\") AND \"d\"", "");
    check_parse("(a) (b)", "\"a\" AND \"b\"", "");
    /* lone operators are dropped */
    check_parse("AND", "", "");
    check_parse("NOT", "", "");
    check_parse("a AND", "\"a\"", "");
    check_parse("a NOT", "\"a\"", "");
    check_parse("AND AND a", "\"a\"", "");
}

/* Shapes the engine does not run become one FTS5 expression of any
 * shape (the query then runs in SQL). */
static void
test_parse__general_expressions(void **state)
{
    nx_parsed *q;

    (void)state;
    check_parse("(a b) OR c", "((\"a\" AND \"b\") OR \"c\")", "");
    check_parse("a OR (b c)", "(\"a\" OR (\"b\" AND \"c\"))", "");
    check_parse("x (a b) OR (c NOT d)",
                "\"x\" AND ((\"a\" AND \"b\") OR ((\"c\") NOT (\"d\")))", "");
    check_parse("a NOT (b c)", "\"a\"", "(\"b\" AND \"c\")");
    check_parse("-(b c)", "", "(\"b\" AND \"c\")");
    check_parse("(a b) OR c topic:x", "((\"a\" AND \"b\") OR \"c\")", "");
    q = parse_ok("(a b) OR c topic:x -d");
    assert_true(q->is_general);
    assert_int_equal(q->n_terms, 3);
    assert_int_equal(q->n_excluded, 1);
    assert_int_equal(q->n_filters, 1);
    nx_parsed_free(q);
    q = parse_ok("a OR b");
    assert_false(q->is_general);
    nx_parsed_free(q);
}

/* What cannot be run is an error at the operator or filter, never a
 * query that quietly means something else. */
static void
test_parse__operator_errors(void **state)
{
    (void)state;
    check_error("a OR -b", 6, "exclusion");
    check_error("a OR NOT b", 6, "exclusion");
    check_error("a -b OR c", 3, "exclusion");
    check_error("topic:x OR b", 1, "filter");
    check_error("b OR topic:x", 6, "filter");
    check_error("x (a OR NOT b)", 9, "exclusion");
    check_error("x OR (NOT b)", 7, "NOT needs");
    check_error("(a b) OR foo:x", 10, "unknown field");
}

static void
test_parse__or(void **state)
{
    (void)state;
    check_parse("a b OR c", "\"a\" AND (\"b\" OR \"c\")", "");
    check_parse("a b OR c d", "\"a\" AND (\"b\" OR \"c\") AND \"d\"", "");
    check_parse("a OR b OR c", "\"a\" OR \"b\" OR \"c\"", "");
    check_parse("a OR b c OR d", "(\"a\" OR \"b\") AND (\"c\" OR \"d\")", "");
    check_parse("a OR title:b", "\"a\" OR title : \"b\"", "");
    check_parse("a OR b*", "\"a\" OR \"b\" *", "");
    check_parse("(a OR b) c", "(\"a\" OR \"b\") AND \"c\"", "");
}

static void
test_parse__or_misplaced_is_dropped(void **state)
{
    (void)state;
    check_parse("OR", "", "");
    check_parse("OR a", "\"a\"", "");
    check_parse("a OR", "\"a\"", "");
    check_parse("a OR OR b", "\"a\" OR \"b\"", "");
    check_parse("OR OR", "", "");
    check_parse("(a OR) b", "\"a\" AND \"b\"", "");
    check_parse("a OR & b", "\"a\" OR \"b\"", "");
    check_parse("a or b", "\"a\" AND \"or\" AND \"b\"", "");
    check_parse("a \"OR\" b", "\"a\" AND \"or\" AND \"b\"", "");
    check_parse("a Or b", "\"a\" AND \"or\" AND \"b\"", "");
}

static void
test_parse__phrases(void **state)
{
    (void)state;
    check_parse("\"exact phrase\"", "\"exact phrase\"", "");
    check_parse("\"Exact  Phrase\" x", "\"exact phrase\" AND \"x\"", "");
    check_parse("\"unbalanced quote", "\"unbalanced quote\"", "");
    check_parse("a \"unbalanced OR b", "\"a\" AND \"unbalanced or b\"", "");
    check_parse("\"\"", "", "");
    check_parse("a \"\" b", "\"a\" AND \"b\"", "");
    check_parse("\"a b\"*", "\"a b\" *", "");
    check_parse("foo\"bar baz\"", "\"foo\" AND \"bar baz\"", "");
    check_parse("\"a\"\"b\"", "\"a\" AND \"b\"", "");
    check_parse("\"(a)\"", "\"a\"", "");
}

static void
test_parse__only_tokens_reach_fts5(void **state)
{
    (void)state;
    /* U+FF02 FULLWIDTH QUOTATION MARK becomes '"' under NFKC */
    check_parse("a\xEF\xBC\x82"
                "b",
                "\"a b\"", "");
    check_parse("\"a -b* (c) d:e\"", "\"a b c d e\"", "");
    check_parse("x\xEF\xBF\xBDy", "\"x y\"", "");
}

static void
test_parse__exclude(void **state)
{
    (void)state;
    check_parse("-robot", "", "\"robot\"");
    check_parse("title:quokka -robot", "title : \"quokka\"", "\"robot\"");
    check_parse("-\"a b\" -c", "", "\"a b\" OR \"c\"");
    check_parse("-title:x", "", "title : \"x\"");
    check_parse("-x*", "", "\"x\" *");
    check_parse("--a", "", "\"a\"");
    check_parse("-&", "", "");
    check_parse("-\"", "", "");
}

static void
test_parse__hyphen_alone_or_inside_is_no_exclusion(void **state)
{
    (void)state;
    check_parse("-", "", "");
    check_parse("a - b", "\"a\" AND \"b\"", "");
    check_parse("a-b", "\"a b\"", "");
    check_parse("a-", "\"a\"", "");
    check_parse("-(a)", "", "\"a\"");
    check_parse("- (a)", "\"a\"", "");
}

static void
test_parse__prefix(void **state)
{
    (void)state;
    check_parse("word*", "\"word\" *", "");
    check_parse("Word**", "\"word\" *", "");
    check_parse("*", "", "");
    check_parse("new-yo*", "\"new yo\" *", "");
    check_parse("a*b", "\"a b\"", "");
    check_parse("*a", "\"a\"", "");
    check_parse("C++*", "\"c\" *", "");
}

static void
test_parse__parentheses_are_separators(void **state)
{
    (void)state;
    check_parse("((a", "\"a\"", "");
    check_parse("a)", "\"a\"", "");
    check_parse("f(x)", "\"f\" AND \"x\"", "");
    check_parse("()", "", "");
}

/* `levels` times `open`, then "z", then `levels` times `close`. */
static char *
nested(const char *open, const char *close, int levels)
{
    size_t n = (strlen(open) + strlen(close)) * (size_t)levels + 2;
    char *s = malloc(n);
    int i;

    assert_non_null(s);
    s[0] = '\0';
    for (i = 0; i < levels; i++)
        strcat(s, open);
    strcat(s, "z");
    for (i = 0; i < levels; i++)
        strcat(s, close);
    return s;
}

/* Groups and NOTs nest 8 deep: at that depth the worst shapes still make
 * expressions FTS5's parser takes (parse_ok checks; `a OR b c OR (`
 * overflows its stack at 16), and deeper is an error at the first '(' or
 * NOT too deep, never a silent change (fuzz_query found FTS5's "parser
 * stack overflow" at 32). */
static void
test_parse__nesting_is_bounded(void **state)
{
    static const struct {
        const char *open, *close;
        int per; /* levels each repeat opens */
    } shapes[] = {
        {"a b (", ")", 1},
        {"a OR (", ")", 1},
        {"a OR b c OR (", " d)", 1},
        {"a title:b OR (", " OR c)", 1},
        {"a -(", " b)", 2},
        {"(a OR b) (", " c OR d)", 1},
        {"(a OR b) -(", " c OR d)", 2},
        {"(a b) OR (", " c d)", 1},
        {"a (b OR (", " c))", 2},
        {"a NOT (b NOT (", "))", 4},
    };
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        int levels = 8 / shapes[k].per;
        char *ok = nested(shapes[k].open, shapes[k].close, levels);
        char *deep = nested(shapes[k].open, shapes[k].close, levels + 1);
        nx_parsed *q = NULL;
        newsidx_error err;

        nx_parsed_free(parse_ok(ok));
        if (nx_query_parse(&q, deep, strlen(deep), &err) != NEWSIDX_PARSE)
            fail_msg("[%s] is not refused", deep);
        assert_null(q);
        assert_non_null(strstr(err.message, "nested more than 8 deep"));
        free(ok);
        free(deep);
    }
    check_error("a ((((((((((x))))))))))", 11,
                "parentheses and NOTs nested more than 8 deep");
    check_error("NOT NOT NOT NOT NOT NOT NOT NOT NOT x", 33,
                "nested more than 8 deep");
}

static void
test_parse__columns(void **state)
{
    (void)state;
    check_parse("title:quokka", "title : \"quokka\"", "");
    check_parse("Title:\"A b\"", "title : \"a b\"", "");
    check_parse("BODY:x*", "body : \"x\" *", "");
    check_parse("excerpt:\"a b\"*", "excerpt : \"a b\" *", "");
    check_parse("title:a:b", "title : \"a b\"", "");
    check_parse("title:&", "", "");
    check_parse("title:\"", "", "");
    check_parse("a title:b c", "\"a\" AND title : \"b\" AND \"c\"", "");
}

/* Emoji and other symbols (So) are words of their own, as the index
 * tokenizes them (issue 14); other punctuation is not. */
static void
test_parse__symbols_are_words(void **state)
{
    (void)state;
    check_parse("\xF0\x9F\xA4\x96", "\"\xF0\x9F\xA4\x96\"", "");
    check_parse("robot\xF0\x9F\xA4\x96", "\"robot \xF0\x9F\xA4\x96\"", "");
    check_parse("\xC2\xA9 2024", "\"\xC2\xA9\" AND \"2024\"", "");
    check_parse("\xE2\x80\x94", "", "");
}

/* A query that is only an address means url: that address. */
static void
test_parse__bare_url_is_url_filter(void **state)
{
    (void)state;
    check_filter("https://www.Example.com/a/?utm=x#top", NX_FILTER_URL, false,
                 "example.com/a", "https://www.Example.com/a/?utm=x#top");
    check_filter("www.example.com/b", NX_FILTER_URL, false, "example.com/b",
                 "www.example.com/b");
    check_filter("url:http://example.com/c/", NX_FILTER_URL, false,
                 "example.com/c", "http://example.com/c/");
    check_filter("-url:example.com", NX_FILTER_URL, true, "example.com",
                 "example.com");
    check_parse("www.example", "\"www example\"", "");
}

static void
test_parse__not_fields(void **state)
{
    (void)state;
    check_parse("x https://example.com/x", "\"x\" AND \"https example com x\"",
                "");
    check_parse("\"http://news.example/a\"", "\"http news example a\"", "");
    check_parse("title://x", "\"title x\"", "");
    check_parse("10:30", "\"10 30\"", "");
    check_parse("AT&T:x", "\"at t x\"", "");
    check_parse("title:", "\"title\"", "");
    check_parse("title: x", "\"title\" AND \"x\"", "");
    check_parse("quality: 5", "\"quality\" AND \"5\"", "");
    check_parse("a:", "\"a\"", "");
    check_parse(":", "", "");
    check_parse("::", "", "");
    check_parse(":a", "\"a\"", "");
    check_parse("title:(x)", "\"title\" AND \"x\"", "");
}

static void
test_parse__unknown_field(void **state)
{
    (void)state;
    check_error("foo:bar", 1,
                "unknown field 'foo' (fields: title, excerpt, "
                "body, provider, topic, type, category, date, "
                "quality, heat, url); quote it to search for the "
                "text: \"foo:bar\"");
    check_error("a foo:bar", 3, "unknown field 'foo'");
    check_error("-foo:bar", 2, "unknown field 'foo'");
    check_error("re:Invent", 1, "\"re:Invent\"");
    check_error("Zürich foo:\"x y\"", 8, "\"foo:x y\"");
    check_error("a::", 1, "unknown field 'a'");
    check_parse("\"re:Invent\"", "\"re invent\"", "");
}

static void
test_parse__error_column_counts_characters(void **state)
{
    (void)state;
    check_error("日本 date:2021-13", 4, "malformed date value '2021-13'");
    check_error("\xF0\x9F\x98\x80 x:y", 3, "unknown field 'x'");
    check_error("é\té quality:x", 5, "malformed quality value 'x'");
}

static void
test_parse__field_names_ignore_case(void **state)
{
    (void)state;
    check_parse("TITLE:a", "title : \"a\"", "");
    check_parse("ExCeRpT:a", "excerpt : \"a\"", "");
    check_filter("PROVIDER:X", NX_FILTER_PROVIDER, false, "x", "X");
    check_bounds("Date:2021", 1609459200, 1640995199);
    check_bounds("HEAT:7", 7, 7);
}

/**************************************************************************
** Filters
*/

static void
test_parse__text_filters(void **state)
{
    (void)state;
    check_filter("provider:TechCrunch", NX_FILTER_PROVIDER, false, "techcrunch",
                 "TechCrunch");
    check_filter("provider:\"SD Times\"", NX_FILTER_PROVIDER, false, "sd times",
                 "SD Times");
    check_filter("provider:example.com", NX_FILTER_PROVIDER, false,
                 "example.com", "example.com");
    check_filter("topic:Zürich", NX_FILTER_TOPIC, false, "zurich", "Zürich");
    check_filter("-topic:AI", NX_FILTER_TOPIC, true, "ai", "AI");
    check_filter("type:Video", NX_FILTER_TYPE, false, "video", "Video");
    check_filter("category:Tech", NX_FILTER_CATEGORY, false, "tech", "Tech");
    check_filter("topic:&", NX_FILTER_TOPIC, false, "&", "&");
}

static void
test_parse__filters_with_words(void **state)
{
    nx_parsed *q;

    (void)state;
    q = parse_ok("ai topic:ml -provider:x date:2021 quality:>=60 -b");
    assert_string_equal(q->match, "\"ai\"");
    assert_string_equal(q->exclude, "\"b\"");
    assert_int_equal(q->n_filters, 4);
    assert_int_equal(q->filters[0].kind, NX_FILTER_TOPIC);
    assert_int_equal(q->filters[1].kind, NX_FILTER_PROVIDER);
    assert_true(q->filters[1].is_negated);
    assert_int_equal(q->filters[2].kind, NX_FILTER_DATE);
    assert_null(q->filters[2].text);
    assert_string_equal(q->filters[2].raw, "2021");
    assert_int_equal(q->filters[3].kind, NX_FILTER_QUALITY);
    assert_int_equal(q->filters[3].lo, 60);
    nx_parsed_free(q);
}

static void
test_parse__date_forms(void **state)
{
    (void)state;
    check_bounds("date:2021", 1609459200, 1640995199);
    check_bounds("date:2021-03", 1614556800, 1617235199);
    check_bounds("date:2021-12", 1638316800, 1640995199);
    check_bounds("date:2021-03-05", 1614902400, 1614988799);
    check_bounds("date:2021-3-5", 1614902400, 1614988799);
    check_bounds("date:2021-01..2021-06-30", 1609459200, 1625097599);
    check_bounds("date:..2021-06", NONE, 1625097599);
    check_bounds("date:2021-01..", 1609459200, NONE);
    check_bounds("date:2021..2021", 1609459200, 1640995199);
    check_bounds("date:\"2021\"", 1609459200, 1640995199);
    check_bounds("date:2024-02-29", 1709164800, 1709251199);
    check_bounds("date:2000-02-29", 951782400, 951782400 + 86399);
    check_filter("-date:2021", NX_FILTER_DATE, true, NULL, "2021");
}

static void
test_parse__date_errors(void **state)
{
    (void)state;
    check_error("date:2023-02-29", 1, "malformed date value '2023-02-29'");
    check_error("date:1900-02-29", 1, "malformed date");
    check_error("date:2021-13", 1, "(use YYYY, YYYY-MM, YYYY-MM-DD");
    check_error("date:2021-00", 1, "malformed date");
    check_error("date:2021-04-31", 1, "malformed date");
    check_error("date:2021-04-00", 1, "malformed date");
    check_error("date:yesterday", 1, "malformed date value 'yesterday'");
    check_error("date:..", 1, "malformed date");
    check_error("date:2021-06..2021-01", 1, "malformed date");
    check_error("date:21", 1, "malformed date");
    check_error("date:2021-001", 1, "malformed date");
    check_error("date:2021-01-01T00", 1, "malformed date");
    check_error("date:2021..2022..2023", 1, "malformed date");
    check_error("date:\"\"", 1, "malformed date value ''");
    check_error("x -date:2021x", 4, "malformed date");
}

static void
test_parse__date_range_api(void **state)
{
    bool has_lo = true, has_hi = true;
    int64_t lo = 0, hi = 0;

    (void)state;
    assert_true(nx_query_date_range("2021", 4, &has_lo, &lo, &has_hi, &hi));
    assert_true(has_lo && has_hi);
    assert_int_equal(lo, 1609459200);
    assert_int_equal(hi, 1640995199);
    assert_true(nx_query_date_range("..2021", 6, &has_lo, &lo, &has_hi, &hi));
    assert_false(has_lo);
    assert_true(has_hi);
    assert_false(nx_query_date_range("", 0, &has_lo, &lo, &has_hi, &hi));
    assert_false(
        nx_query_date_range("2021-02-30", 10, &has_lo, &lo, &has_hi, &hi));
    /* `len` bounds the text */
    assert_true(nx_query_date_range("2021-13", 4, &has_lo, &lo, &has_hi, &hi));
}

static void
test_parse__number_filters(void **state)
{
    (void)state;
    check_bounds("quality:>=60", 60, NONE);
    check_bounds("quality:>60", 61, NONE);
    check_bounds("quality:<=5", NONE, 5);
    check_bounds("quality:<5", NONE, 4);
    check_bounds("quality:=7", 7, 7);
    check_bounds("quality:7", 7, 7);
    check_bounds("quality:60..80", 60, 80);
    check_bounds("quality:60..", 60, NONE);
    check_bounds("quality:..80", NONE, 80);
    check_bounds("heat:0", 0, 0);
    check_bounds("heat:5..5", 5, 5);
    check_filter("-heat:>3", NX_FILTER_HEAT, true, NULL, ">3");
    check_filter("quality:7", NX_FILTER_QUALITY, false, NULL, "7");
}

static void
test_parse__number_errors(void **state)
{
    (void)state;
    check_error("quality:>=x", 1,
                "malformed quality value '>=x' (use N, "
                "=N, >=N, >N, <=N, <N or a range LO..HI)");
    check_error("heat:5..2", 1, "malformed heat value '5..2'");
    check_error("quality:..", 1, "malformed quality");
    check_error("quality:-5", 1, "malformed quality");
    check_error("quality:>", 1, "malformed quality");
    check_error("quality:5.5", 1, "malformed quality");
    check_error("quality:1..2..3", 1, "malformed quality");
    check_error("quality:==5", 1, "malformed quality");
    check_error("quality:1234567890123456789", 1, "malformed quality");
    check_error("a Heat:x", 3, "malformed Heat value 'x'");
}

/**************************************************************************
** Terms
*/

static void
test_parse__terms(void **state)
{
    nx_parsed *q;

    (void)state;
    q = parse_ok("Quokka \"B c\" title:d e* -f topic:g h & -title:i");
    assert_int_equal(q->n_terms, 5);
    assert_string_equal(q->terms[0].text, "quokka");
    assert_false(q->terms[0].is_prefix);
    assert_string_equal(q->terms[1].text, "b c");
    assert_string_equal(q->terms[2].text, "d");
    assert_string_equal(q->terms[3].text, "e");
    assert_true(q->terms[3].is_prefix);
    assert_string_equal(q->terms[4].text, "h");
    assert_int_equal(q->n_filters, 1);
    nx_parsed_free(q);

    q = parse_ok("-a & OR");
    assert_int_equal(q->n_terms, 0);
    assert_null(q->terms);
    nx_parsed_free(q);
}

/**************************************************************************
** Hostile input
*/

static const char *const hostile[] = {
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "-",
    "*",
    "\"",
    "(",
    ")",
    "((a",
    "a)",
    "\"unbalanced",
    "NEAR(a b)",
    "NEAR/3",
    "a:",
    ":",
    "::",
    "title:",
    "-\"",
    "--a",
    "a**",
    "C++",
    "AT&T",
    "state-of-the-art",
    "don't",
    "https://example.com/a?b=c&d=e#f",
    "http://x",
    "ftp://x.y",
    "www.example.com",
    "2021-06-03",
    "$1.5bn",
    "\xF0\x9F\x98\x80",
    "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
    "人工智能",
    "東京 ＡＩ",
    "مرحبا بالعالم",
    "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",
    "\xFF\xFE\xC0\xAF",
    "a\x01"
    "b\x7F"
    "c\x1B[0m",
    "\xE2\x80\x8B",
    "\xEF\xBF\xBD",
    "\xEF\xBB\xBF",
    "a\xCC\x81",
    "\xCC\x81",
    "{title}:x",
    "title:{x}",
    "^a",
    "a^",
    "+a",
    "a + b",
    "a OR",
    "OR a",
    "OR OR",
    "a OR OR b",
    "AND OR NOT",
    "-OR",
    "\"OR\"",
    "title:OR",
    "-title:",
    "-title:\"",
    "title:\"\"",
    "title:*",
    "*:*",
    "a:*",
    "-*",
    "\"a\"*",
    "\"\"*",
    "**",
    "\"*\"",
    "a\"b\"c",
    "\"a\"b\"c",
    "\\",
    "\\\"",
    "a\\\"b",
    "'",
    "''",
    "'a'",
    "`a`",
    "a\tb",
    "a\nb",
    "a\rb",
    "\x7F",
    "quality:",
    "heat: 5",
    "date:",
    "10:30",
    "12:00:00",
    "a::b",
    "title::x",
    "Title:Title:Title",
    "-quality:5",
    "(a OR b) AND (c OR d)",
    "a (OR) b",
    "((((((((((a))))))))))",
    "a -b -c -d",
    "- - -",
    "-- --",
    "-a-b",
    "a--b",
    "...",
    "…",
    "—",
    "–",
    "a.b.c.",
    "U.S.A.",
    "1,000,000",
    "3,5",
    "¹²³",
    "Ⅻ",
    "ﬁ",
    "ß",
    "İ",
    "ǅ",
    "\xEE\x80\x80",
    "\xF3\xA0\x80\x81",
    "NEAR(\"a\" \"b\", 3)",
    "a AND NOT b",
    "col:val",
    "provider:",
    "provider:\"",
    "provider:\"\"",
    "topic:\"a b",
    "type:*",
    "category:-",
    "-category:x",
    "a\"",
    "\" \"",
    "\"  a  \"",
    "\"a\" OR \"b\"",
    "%",
    "%%",
    "a%b",
    "@user",
    "#tag",
    "email@example.com",
    "~a",
    "a~",
    "a|b",
    "a&&b",
    "a||b",
    "!a",
    "a!",
    "?",
    "a?",
    "[a]",
    "{a}",
    "<a>",
    "a=b",
    "a;b",
    "a,b",
    "a/b",
    "/a",
    "a/",
};

/* Every printable ASCII punctuation character, alone and inside a word. */
static void
check_hostile_one(const char *in, size_t len)
{
    nx_parsed *q = NULL;
    newsidx_error err;
    unsigned n_chars = 0;
    size_t i;
    int rc = nx_query_parse(&q, in, len, &err);

    for (i = 0; i < len; i++)
        n_chars += ((unsigned char)in[i] & 0xC0) != 0x80;
    if (rc == NEWSIDX_PARSE) {
        assert_null(q);
        assert_int_equal(err.line, 1);
        assert_in_range(err.column, 1, n_chars + 1);
        return;
    }
    if (rc != NEWSIDX_OK)
        fail_msg("[%.80s]: rc %d", in, rc);
    check_fts_accepts(q->match);
    check_fts_accepts(q->exclude);
    nx_parsed_free(q);
}

static void
test_parse__hostile_strings(void **state)
{
    char buf[8];
    size_t i, n_checked = 0;
    int c;

    (void)state;
    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        check_hostile_one(hostile[i], strlen(hostile[i]));
        n_checked++;
    }
    for (c = 0x21; c < 0x7F; c++) {
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            continue;
        snprintf(buf, sizeof(buf), "%c", c);
        check_hostile_one(buf, strlen(buf));
        snprintf(buf, sizeof(buf), "a%cb", c);
        check_hostile_one(buf, strlen(buf));
        snprintf(buf, sizeof(buf), "%ca%c", c, c);
        check_hostile_one(buf, strlen(buf));
        n_checked += 3;
    }
    check_hostile_one("a\0b", 3);
    assert_true(n_checked >= 100);
}

/* Build `len` bytes of junk from fragments (deterministic). */
static char *
junk_query(size_t len, bool may_fail)
{
    /* The last five may make the query an error: an unknown field, a
     * malformed date, and operators that may end up next to a filter
     * (`topic:x OR y` is refused) or an exclusion (`a OR -b`). */
    static const char *const frag[] = {"a",           "-b",
                                       "\"c d",       "e*",
                                       "(",           ")",
                                       "title:x",     "-\"",
                                       "AT&T",        "人工",
                                       "\xFF",        "\x01",
                                       "10:30",       "http://x.y/z",
                                       "provider:p",  "date:2021",
                                       "quality:>5",  "\"",
                                       "-",           "*",
                                       "NEAR",        "Zürich",
                                       "\"q\"",       "-title:y*",
                                       "don't",       "—",
                                       "x-y-z",       "a\xCC\x81",
                                       "OR",          "NOT",
                                       "OR",          "foo:bar",
                                       "date:2021-13"};
    size_t n_frag = sizeof(frag) / sizeof(frag[0]) - (may_fail ? 0 : 5);
    char *s = malloc(len + 1);
    unsigned seed = 12345;
    size_t at = 0, k;

    assert_non_null(s);
    while (at < len) {
        const char *f;

        seed = seed * 1103515245u + 12345u;
        k = (seed >> 16) % n_frag;
        /* A '(' alone opens a group to the end: nine of them nest too
         * deep, an error the junk that may not fail must not make. */
        f = !may_fail && frag[k][0] == '(' ? "(e* a)" : frag[k];
        if (at + strlen(f) + 1 > len)
            break;
        memcpy(s + at, f, strlen(f));
        at += strlen(f);
        s[at++] = (seed >> 8) % 3 ? ' ' : '\t';
    }
    memset(s + at, ' ', len - at);
    s[len] = '\0';
    return s;
}

static void
test_parse__long_junk_is_fast(void **state)
{
    char *s = junk_query(100 * 1024, false);
    clock_t t0 = clock();
    nx_parsed *q = parse_ok_len(s, 100 * 1024);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

    (void)state;
    assert_true(q->n_terms > 1000);
    assert_true(secs < 10.0);
    nx_parsed_free(q);
    free(s);

    s = junk_query(100 * 1024, true);
    check_hostile_one(s, 100 * 1024);
    free(s);
    s = malloc(100 * 1024);
    assert_non_null(s);
    for (size_t i = 0; i < 100 * 1024; i++)
        s[i] = (char)((i * 7919u + i / 13) & 0xFF);
    check_hostile_one(s, 100 * 1024);
    free(s);
}

static void
test_parse__long_or_chain(void **state)
{
    size_t n = 20000, i;
    char *s = malloc(n * 5 + 1);
    nx_parsed *q;

    (void)state;
    assert_non_null(s);
    for (i = 0; i < n; i++)
        memcpy(s + i * 5, "a OR ", 5);
    s[n * 5 - 4] = '\0';
    q = parse_ok(s);
    assert_int_equal(q->n_terms, n);
    nx_parsed_free(q);
    free(s);
}

/**************************************************************************
** Out of memory
*/

static void
check_alloc_failures(const char *in)
{
    nx_parsed *q;
    newsidx_error err;
    long n;
    int rc;

    for (n = 0;; n++) {
        q = (nx_parsed *)1;
        nx_alloc_fail_after(n);
        rc = nx_query_parse(&q, in, strlen(in), &err);
        nx_alloc_fail_after(-1);
        if (rc == NEWSIDX_OK)
            break;
        if (rc != NEWSIDX_NOMEM)
            fail_msg("[%s] n=%ld: rc %d", in, n, rc);
        assert_null(q);
        assert_int_equal(err.code, NEWSIDX_NOMEM);
        assert_true(n < 10000);
    }
    assert_non_null(q);
    nx_parsed_free(q);
}

static void
test_parse__out_of_memory(void **state)
{
    (void)state;
    check_alloc_failures("a b OR c -d title:e* \"f g\" topic:x date:2021 "
                         "quality:>5 provider:\"SD Times\" -type:v "
                         "category:c heat:1..9 h i j k l m n o p q r");
    check_alloc_failures("");
    check_alloc_failures("-a");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse__plain_words),
        cmocka_unit_test(test_parse__punctuation_in_words),
        cmocka_unit_test(test_parse__words_without_word_chars_are_dropped),
        cmocka_unit_test(test_parse__fts5_keywords_other_than_ours_are_words),
        cmocka_unit_test(test_parse__operators),
        cmocka_unit_test(test_parse__general_expressions),
        cmocka_unit_test(test_parse__operator_errors),
        cmocka_unit_test(test_parse__or),
        cmocka_unit_test(test_parse__or_misplaced_is_dropped),
        cmocka_unit_test(test_parse__phrases),
        cmocka_unit_test(test_parse__only_tokens_reach_fts5),
        cmocka_unit_test(test_parse__exclude),
        cmocka_unit_test(test_parse__hyphen_alone_or_inside_is_no_exclusion),
        cmocka_unit_test(test_parse__prefix),
        cmocka_unit_test(test_parse__parentheses_are_separators),
        cmocka_unit_test(test_parse__nesting_is_bounded),
        cmocka_unit_test(test_parse__columns),
        cmocka_unit_test(test_parse__symbols_are_words),
        cmocka_unit_test(test_parse__bare_url_is_url_filter),
        cmocka_unit_test(test_parse__not_fields),
        cmocka_unit_test(test_parse__unknown_field),
        cmocka_unit_test(test_parse__error_column_counts_characters),
        cmocka_unit_test(test_parse__field_names_ignore_case),
        cmocka_unit_test(test_parse__text_filters),
        cmocka_unit_test(test_parse__filters_with_words),
        cmocka_unit_test(test_parse__date_forms),
        cmocka_unit_test(test_parse__date_errors),
        cmocka_unit_test(test_parse__date_range_api),
        cmocka_unit_test(test_parse__number_filters),
        cmocka_unit_test(test_parse__number_errors),
        cmocka_unit_test(test_parse__terms),
        cmocka_unit_test(test_parse__hostile_strings),
        cmocka_unit_test(test_parse__long_junk_is_fast),
        cmocka_unit_test(test_parse__long_or_chain),
        cmocka_unit_test(test_parse__out_of_memory),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
