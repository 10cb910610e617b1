/*
 * test_normalize.c - unit tests for base/utf8.c (UTF-8 validation and
 * sanitizing), base/repair.c (display repairs) and base/normalize.c (the
 * normalization for matching and newsidx_normalize), including out-of-memory at
 * every allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "write.h"

#define FFFD "\xEF\xBF\xBD"

/**************************************************************************
** Helpers
*/

static void
check_normalize_len(const char *in, size_t len, const char *want)
{
    nx_buf b = NX_BUF_INIT;

    assert_true(nx_normalize(&b, in, len));
    assert_false(nx_buf_oom(&b));
    assert_string_equal(b.data != NULL ? b.data : "", want);
    assert_int_equal(b.len, strlen(want));
    nx_buf_free(&b);
}

static void
check_normalize(const char *in, const char *want)
{
    check_normalize_len(in, strlen(in), want);
}

static void
check_repair(const char *in, const char *want, unsigned want_bits)
{
    nx_buf b = NX_BUF_INIT;
    unsigned bits = nx_text_repair(&b, in, strlen(in));

    assert_false(nx_buf_oom(&b));
    assert_string_equal(b.data != NULL ? b.data : "", want);
    assert_int_equal(b.len, strlen(want));
    assert_int_equal(bits, want_bits);
    nx_buf_free(&b);
}

static void
check_sanitize(const char *in, size_t len, const char *want,
               size_t want_replaced, size_t want_first)
{
    nx_buf b = NX_BUF_INIT;
    size_t n_replaced = 99, first = 99;

    assert_true(nx_utf8_sanitize(&b, in, len, &n_replaced, &first));
    assert_string_equal(b.data != NULL ? b.data : "", want);
    assert_int_equal(b.len, strlen(want));
    assert_int_equal(n_replaced, want_replaced);
    assert_int_equal(first, want_first);
    assert_true(nx_utf8_valid(b.data, b.len));
    nx_buf_free(&b);
}

/* Deterministic pseudo-random bytes (xorshift). */
static void
fill_random(unsigned char *p, size_t len, uint32_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        p[i] = (unsigned char)seed;
    }
}

/**************************************************************************
** nx_utf8_valid
*/

static void
test_normalize__valid_accepts_utf8(void **state)
{
    (void)state;
    assert_true(nx_utf8_valid("", 0));
    assert_true(nx_utf8_valid("plain ascii text, long enough", 29));
    assert_true(nx_utf8_valid("Z\u00fcrich \u20ac \U0001F600", 16));
    assert_true(nx_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
    assert_true(nx_utf8_valid("\xED\x9F\xBF", 3));     /* U+D7FF */
    assert_true(nx_utf8_valid("a\0b", 3));             /* NUL is valid */
}

static void
test_normalize__valid_rejects_overlong(void **state)
{
    (void)state;
    assert_false(nx_utf8_valid("\xC0\xAF", 2));
    assert_false(nx_utf8_valid("\xC1\xBF", 2));
    assert_false(nx_utf8_valid("\xE0\x80\xAF", 3));
    assert_false(nx_utf8_valid("\xF0\x80\x80\xAF", 4));
}

static void
test_normalize__valid_rejects_surrogate(void **state)
{
    (void)state;
    assert_false(nx_utf8_valid("\xED\xA0\x80", 3));
    assert_false(nx_utf8_valid("ok \xED\xBF\xBF", 6));
}

static void
test_normalize__valid_rejects_truncated(void **state)
{
    (void)state;
    assert_false(nx_utf8_valid("abc\xE2\x82", 5));
    assert_false(nx_utf8_valid("abc\xF0\x9F\x98", 6));
    assert_false(nx_utf8_valid("\xC3", 1));
    /* the length counts, not a NUL */
    assert_false(nx_utf8_valid("\xC3\xA9", 1));
}

static void
test_normalize__valid_rejects_lone_continuation(void **state)
{
    (void)state;
    assert_false(nx_utf8_valid("\x80", 1));
    assert_false(nx_utf8_valid("abcdefgh\xBF", 9));
}

static void
test_normalize__valid_rejects_f5_and_above(void **state)
{
    (void)state;
    assert_false(nx_utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
    assert_false(nx_utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(nx_utf8_valid("\xF8", 1));
    assert_false(nx_utf8_valid("\xFE\xFF", 2));
}

/**************************************************************************
** nx_utf8_sanitize
*/

static void
test_normalize__sanitize_copies_valid_text(void **state)
{
    const char *in = "title: \"Z\u00fcrich\"\r\n\texcerpt: \u4eba\U0001F600";

    (void)state;
    check_sanitize(in, strlen(in), in, 0, 0);
    check_sanitize("", 0, "", 0, 0);
}

static void
test_normalize__sanitize_replaces_maximal_subparts(void **state)
{
    (void)state;
    /* C0 is never a lead byte, AF alone is a stray continuation */
    check_sanitize("a\xC0\xAF"
                   "b",
                   4, "a" FFFD FFFD "b", 2, 1);
    /* ED A0 is not a prefix of any valid sequence */
    check_sanitize("\xED\xA0\x80", 3, FFFD FFFD FFFD, 3, 0);
    /* a truncated sequence is one replacement */
    check_sanitize("ab\xE2\x82", 4, "ab" FFFD, 1, 2);
    check_sanitize("ab\xF0\x9F\x98"
                   "c",
                   6, "ab" FFFD "c", 1, 2);
    check_sanitize("\x80x", 2, FFFD "x", 1, 0);
    check_sanitize("x\xF5\xFF", 3, "x" FFFD FFFD, 2, 1);
    check_sanitize("x\xF4\x90\x80\x80", 5, "x" FFFD FFFD FFFD FFFD, 4, 1);
}

static void
test_normalize__sanitize_replaces_controls(void **state)
{
    (void)state;
    check_sanitize("a\0b", 3, "a" FFFD "b", 1, 1);
    check_sanitize("tab\tlf\ncr\r\x01\x1f\x7f", 13,
                   "tab\tlf\ncr\r" FFFD FFFD FFFD, 3, 10);
    /* C1 controls U+0080..U+009F, but not U+00A0 */
    check_sanitize("\xC2\x80\xC2\x9F\xC2\xA0", 6, FFFD FFFD "\xC2\xA0", 2, 0);
    /* a control inside an otherwise fast 8-byte word */
    check_sanitize("abcdefg\x1bhijklmnop", 17, "abcdefg" FFFD "hijklmnop", 1,
                   7);
}

static void
test_normalize__sanitize_all_binary(void **state)
{
    unsigned char bytes[256];
    nx_buf b = NX_BUF_INIT;
    size_t i, n_replaced, first;

    (void)state;
    for (i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    assert_true(nx_utf8_sanitize(&b, (char *)bytes, 256, &n_replaced, &first));
    /* 29 C0 controls, DEL, 64 continuations, C0 C1, 30 two-byte, 16
     * three-byte and 5 four-byte leads each cut short, 11 bytes F5..FF */
    assert_int_equal(n_replaced, 29 + 1 + 64 + 2 + 30 + 16 + 5 + 11);
    assert_int_equal(first, 0);
    assert_int_equal(b.len, 98 + 3 * n_replaced);
    assert_true(nx_utf8_valid(b.data, b.len));
    nx_buf_free(&b);
}

static void
test_normalize__sanitize_random_binary(void **state)
{
    size_t len = 1 << 20, i, n_replaced;
    unsigned char *bytes = nx_malloc(len);
    nx_buf b = NX_BUF_INIT;

    (void)state;
    assert_non_null(bytes);
    fill_random(bytes, len, 12345);
    assert_true(nx_utf8_sanitize(&b, (char *)bytes, len, &n_replaced, NULL));
    assert_true(n_replaced > len / 4);
    assert_true(nx_utf8_valid(b.data, b.len));
    for (i = 0; i < b.len; i++) {
        unsigned char c = (unsigned char)b.data[i];

        assert_false(c < 0x20 && c != '\t' && c != '\n' && c != '\r');
        assert_false(c == 0x7F);
        if (c == 0xC2)
            assert_true((unsigned char)b.data[i + 1] >= 0xA0);
    }
    nx_buf_free(&b);
    nx_free(bytes);
}

static void
test_normalize__sanitize_appends_and_allows_null_outs(void **state)
{
    nx_buf b = NX_BUF_INIT;

    (void)state;
    nx_buf_puts(&b, "head:");
    assert_true(nx_utf8_sanitize(&b, "x\x01y", 3, NULL, NULL));
    assert_string_equal(b.data, "head:x" FFFD "y");
    nx_buf_free(&b);
}

/**************************************************************************
** nx_text_repair
*/

static void
test_normalize__repair_corpus_mojibake(void **state)
{
    (void)state;
    /* "itâ€™s" as found in the real corpus */
    check_repair("ed that it\u00e2\u20ac\u2122s going",
                 "ed that it\u2019s going", NX_REPAIR_MOJIBAKE);
}

static void
test_normalize__repair_mojibake_variants(void **state)
{
    (void)state;
    check_repair("caf\u00c3\u00a9", "caf\u00e9", NX_REPAIR_MOJIBAKE);
    check_repair("M\u00c3\u00bcller", "M\u00fcller", NX_REPAIR_MOJIBAKE);
    check_repair("a \u00e2\u20ac\u201d b", "a \u2014 b", NX_REPAIR_MOJIBAKE);
    check_repair("\u00e2\u20ac\u0153hi\u00e2\u20ac\xC2\x9D", "\u201chi\u201d",
                 NX_REPAIR_MOJIBAKE);
    /* the 0x9D byte of "”" was dropped (undefined in cp1252) */
    check_repair("\u00e2\u20ac\u0153hi\u00e2\u20ac", "\u201chi\u201d",
                 NX_REPAIR_MOJIBAKE);
    check_repair("say \u00e2\u20ac\u0153hi\u00e2\u20ac now",
                 "say \u201chi\u201d now", NX_REPAIR_MOJIBAKE);
    /* Latin-1 variant: C1 controls instead of cp1252 specials */
    check_repair("it\u00e2\xC2\x80\xC2\x99s", "it\u2019s", NX_REPAIR_MOJIBAKE);
    check_repair("100\u00c2\u00a0km", "100\u00a0km", NX_REPAIR_MOJIBAKE);
    check_repair("\u00f0\u0178\u02dc\u20ac!", "\U0001F600!",
                 NX_REPAIR_MOJIBAKE);
    check_repair("\u00e2\u201e\u00a2", "\u2122", NX_REPAIR_MOJIBAKE);
}

static void
test_normalize__repair_leaves_real_text(void **state)
{
    const char *in = "M\u00e1laga, Fran\u00e7ois, El Pa\u00eds, Le "
                     "L\u00e9zard, \u00c5ngstr\u00f6m, na\u00efve, "
                     "\u20ac100, \u201cquoted\u201d, S\u00c3O, \u00c2, "
                     "\u00c3 la, \u00c9\u00e9";

    (void)state;
    check_repair(in, in, 0);
    check_repair("AT&T and R&D", "AT&T and R&D", 0);
}

static void
test_normalize__repair_entities(void **state)
{
    (void)state;
    check_repair("it&#8217;s", "it\u2019s", NX_REPAIR_ENTITIES);
    check_repair("it&#x2019;s", "it\u2019s", NX_REPAIR_ENTITIES);
    check_repair("it&rsquo;s", "it\u2019s", NX_REPAIR_ENTITIES);
    check_repair("Q&#038;A", "Q&A", NX_REPAIR_ENTITIES);
    check_repair("&amp;amp;", "&amp;", NX_REPAIR_ENTITIES);
    check_repair("&lt;b&gt; &quot;x&quot; &apos;y&apos;", "<b> \"x\" 'y'",
                 NX_REPAIR_ENTITIES);
    check_repair("&Eacute;cole &eacute;t&eacute; &Uuml;ber &szlig;",
                 "\u00c9cole \u00e9t\u00e9 \u00dcber \u00df",
                 NX_REPAIR_ENTITIES);
    check_repair("a&nbsp;b&mdash;c&hellip;&euro;5&trade;&#X41;",
                 "a\u00a0b\u2014c\u2026\u20ac5\u2122A", NX_REPAIR_ENTITIES);
    /* browsers read &#128;..&#159; as cp1252 */
    check_repair("it&#146;s", "it\u2019s", NX_REPAIR_ENTITIES);
    check_repair("a&#9;b", "a\tb", NX_REPAIR_ENTITIES);
}

static void
test_normalize__repair_bad_entities(void **state)
{
    (void)state;
    check_repair("x&#0;y", "x" FFFD "y", NX_REPAIR_ENTITIES);
    check_repair("x&#1;&#127;&#x81;y", "x" FFFD FFFD FFFD "y",
                 NX_REPAIR_ENTITIES);
    check_repair("&#xD800;&#1114112;&#99999999999999;", FFFD FFFD FFFD,
                 NX_REPAIR_ENTITIES);
    check_repair("&bogus; &AMP; &amp &#; &#x; &#12a; &",
                 "&bogus; &AMP; &amp &#; &#x; &#12a; &", 0);
    check_repair("&", "&", 0);
    check_repair("a & b", "a & b", 0);
}

static void
test_normalize__repair_trims(void **state)
{
    (void)state;
    check_repair(" \t\u00a0 hello  world \u3000\n", "hello  world", 0);
    check_repair("&nbsp;x&nbsp;", "x", NX_REPAIR_ENTITIES);
    check_repair("\u00c2\u00a0x", "x", NX_REPAIR_MOJIBAKE);
    check_repair(" \r\n ", "", 0);
    check_repair("", "", 0);
    check_repair("\u200b\ufeffx\u2003", "x", 0);
}

static void
test_normalize__repair_both_and_appends(void **state)
{
    nx_buf b = NX_BUF_INIT;
    const char *in = "  it\u00e2\u20ac\u2122s &amp; more ";
    unsigned bits;

    (void)state;
    nx_buf_puts(&b, "[");
    bits = nx_text_repair(&b, in, strlen(in));
    assert_int_equal(bits, NX_REPAIR_MOJIBAKE | NX_REPAIR_ENTITIES);
    assert_string_equal(b.data, "[it\u2019s & more");
    nx_buf_free(&b);
}

/**************************************************************************
** nx_normalize
*/

static void
test_normalize__folds_required_examples(void **state)
{
    (void)state;
    check_normalize("Z\u00fcrich", "zurich");
    check_normalize("\ufb01nance", "finance");
    check_normalize("\uff21\uff29", "ai");
    check_normalize("Stra\u00dfe", "strasse");
    check_normalize("ZURICH", "zurich");
    check_normalize("\u00c5ngstr\u00f6m", "angstrom");
    check_normalize("Fran\u00e7ois", "francois");
    /* decomposed input, compatibility letters */
    check_normalize("Zu\u0308rich A\u030angstro\u0308m", "zurich angstrom");
    check_normalize("\U0001D400\u2160 \u2474", "ai (1)");
    check_normalize("\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
                    "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3");
}

static void
test_normalize__collapses_whitespace(void **state)
{
    (void)state;
    check_normalize("  a \t\n b\u00a0c\u2003d\u3000e\r\nf\u2028g  ",
                    "a b c d e f g");
    check_normalize("a\xC2\x85"
                    "b\x01\x7f"
                    "c",
                    "a b c");
    check_normalize_len("a\0b", 3, "a b");
    check_normalize_len("a\0\0b\0", 5, "a b");
    check_normalize(" \t\n ", "");
    check_normalize("", "");
}

static void
test_normalize__drops_ignorables(void **state)
{
    (void)state;
    check_normalize("zero\u200bwidth", "zerowidth");
    check_normalize("co\u00adoperate", "cooperate");
    check_normalize("\ufeffbom", "bom");
    check_normalize("a\u200db\u2060c", "abc");
    check_normalize("\u2764\ufe0f", "\u2764");
}

static void
test_normalize__joins_abbreviations(void **state)
{
    (void)state;
    check_normalize("U.S.", "us");
    check_normalize("U.S.A.", "usa");
    check_normalize("A.I.", "ai");
    check_normalize("e.g.", "eg");
    check_normalize("i.e., this", "ie, this");
    check_normalize("in the U.S. The", "in the us the");
    check_normalize("end. Next", "end. next");
    check_normalize("the U.S", "the us");
    check_normalize("Vitamin A. The", "vitamin a. the");
    check_normalize("(U.S.)", "(us)");
    check_normalize("U.S.Army", "us.army");
    check_normalize("U.S.2", "us.2");
    check_normalize("x.ai", "x.ai");
    check_normalize("a.m. p.m.", "am pm");
    check_normalize("wait...", "wait...");
    check_normalize("U. S.", "u. s.");
    check_normalize("A.I.\u6280\u672f", "ai \u6280 \u672f");
    check_normalize("\u0442.\u0435.", "\u0442\u0435");
}

static void
test_normalize__removes_digit_group_commas(void **state)
{
    (void)state;
    check_normalize("1,000,000", "1000000");
    check_normalize("$2,500 prize", "$2500 prize");
    check_normalize("1,000.50", "1000.50");
    check_normalize("3,5", "3,5");
    check_normalize("3.5", "3.5");
    check_normalize("1,0000", "1,0000");
    check_normalize("10, 000", "10, 000");
    check_normalize("a,000", "a,000");
    check_normalize("1,2,3", "1,2,3");
    check_normalize("\uff11\uff0c\uff10\uff10\uff10", "1000");
}

static void
test_normalize__splits_cjk(void **state)
{
    (void)state;
    check_normalize("\u4eba\u5de5\u667a\u80fd\u7684\u672a\u6765",
                    "\u4eba \u5de5 \u667a \u80fd \u7684 \u672a \u6765");
    /* Hangul stays composed: no jamo in the output */
    check_normalize("\uc544\ud06c\ub85c\ud32c", "\uc544 \ud06c \ub85c \ud32c");
    check_normalize("AI\u6280\u672f", "ai \u6280 \u672f");
    check_normalize("\u6280\u672fAI", "\u6280 \u672f ai");
    check_normalize("\u65e5\u672c\u8a9e\u3002\u30c6\u30b9\u30c8",
                    "\u65e5 \u672c \u8a9e \u3002 \u30c6 \u30b9 \u30c8");
    /* half-width katakana become full width */
    check_normalize("\uff76\uff80\uff76\uff85", "\u30ab \u30bf \u30ab \u30ca");
    /* voicing marks are kept: ガ and カ are different syllables */
    check_normalize("\u30ac\u30ab", "\u30ac \u30ab");
    check_normalize("\uff76\uff9e", "\u30ac");
    check_normalize("\u304b\u3099", "\u304c");
    check_normalize("a\u3099", "a");
    /* decomposed Hangul is composed */
    check_normalize("\u1100\u1161\u11a8", "\uac01");
    /* extension B and compatibility ideographs */
    check_normalize("\U00020000\uf900", "\U00020000 \u8c48");
    check_normalize("\u4eba  \u4eba", "\u4eba \u4eba");
}

static void
test_normalize__keeps_rtl_letters(void **state)
{
    (void)state;
    check_normalize("\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627",
                    "\u0645\u0631\u062d\u0628\u0627");
    check_normalize("\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",
                    "\u05e9\u05dc\u05d5\u05dd");
}

static void
test_normalize__passes_punctuation(void **state)
{
    (void)state;
    check_normalize("State-of-the-art AI\u2019s \u201cbest\u201d!",
                    "state-of-the-art ai\u2019s \u201cbest\u201d!");
    check_normalize("\U0001F680 Launch", "\U0001F680 launch");
    check_normalize("C++ & C# @home #1", "c++ & c# @home #1");
}

static void
test_normalize__survives_invalid_input(void **state)
{
    unsigned char junk[4096];
    nx_buf b = NX_BUF_INIT;

    (void)state;
    /* What is invalid separates words: U+FFFD is a symbol the tokenizer
     * would keep (NX_TOKEN_CATEGORIES), with nothing to find. */
    check_normalize_len("\xC0\xAF"
                        "ab\xFF",
                        5, "ab");
    check_normalize_len("x\xED\xA0\x80", 4, "x");
    check_normalize_len("x\xE2\x82y", 4, "x y");
    fill_random(junk, sizeof(junk), 777);
    assert_true(nx_normalize(&b, (char *)junk, sizeof(junk)));
    assert_true(nx_utf8_valid(b.data, b.len));
    nx_buf_free(&b);
    assert_true((nx_text_repair(&b, (char *)junk, sizeof(junk)) & ~3u) == 0);
    nx_buf_free(&b);
}

static void
test_normalize__handles_long_input(void **state)
{
    nx_buf in = NX_BUF_INIT, want = NX_BUF_INIT;
    int i;

    (void)state;
    /* an abbreviation and a number across the 4096-byte ASCII chunks */
    for (i = 0; i < 2047; i++) {
        nx_buf_puts(&in, "A ");
        nx_buf_puts(&want, "a ");
    }
    nx_buf_puts(&in, "U.S.A. 1,000");
    nx_buf_puts(&want, "usa 1000");
    check_normalize(in.data, want.data);
    nx_buf_clear(&in);
    nx_buf_clear(&want);
    /* CJK and decomposed kana across composition segments */
    for (i = 0; i < 500; i++) {
        nx_buf_puts(&in, "\u4eba\u304b\u3099");
        nx_buf_puts(&want, i ? " \u4eba \u304c" : "\u4eba \u304c");
    }
    check_normalize(in.data, want.data);
    nx_buf_free(&in);
    nx_buf_free(&want);
}

static void
test_normalize__appends_to_buffer(void **state)
{
    nx_buf b = NX_BUF_INIT;

    (void)state;
    nx_buf_puts(&b, "x|");
    assert_true(nx_normalize(&b, "  Hello  U.S. ", 14));
    assert_string_equal(b.data, "x|hello us");
    assert_true(nx_normalize(&b, "  ", 2));
    assert_string_equal(b.data, "x|hello us");
    assert_true(nx_normalize(&b, "\u4eba", 3));
    assert_string_equal(b.data, "x|hello us\u4eba");
    nx_buf_free(&b);
}

/**************************************************************************
** newsidx_normalize
*/

static void
test_normalize__public_normalizes(void **state)
{
    newsidx_error err = {0, 0, 0, ""};
    char *out = NULL;

    (void)state;
    assert_int_equal(
        newsidx_normalize(&out, "  Z\u00fcrich, U.S.A. ", 18, &err),
        NEWSIDX_OK);
    assert_string_equal(out, "zurich, usa");
    newsidx_free(out);
    assert_int_equal(newsidx_normalize(&out, NULL, 0, NULL), NEWSIDX_OK);
    assert_string_equal(out, "");
    newsidx_free(out);
}

static void
test_normalize__public_sanitizes_invalid(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(newsidx_normalize(&out, "Caf\xE9 \xC0", 6, NULL),
                     NEWSIDX_OK);
    assert_string_equal(out, "caf");
    assert_true(nx_utf8_valid(out, strlen(out)));
    newsidx_free(out);
}

/**************************************************************************
** Out of memory at each allocation in turn
*/

static const char nomem_text[] =
    "  Z\u00fcrich, U.S.A.: it\u00e2\u20ac\u2122s &amp; 1,000,000 "
    "\u4eba\u5de5\u667a\u80fd \uc544\ud06c\ub85c\ud32c \ufb01nance "
    "and a long enough English tail to need the buffer to grow more than "
    "once, plus ASCII: the quick brown fox jumps over the lazy dog. ";

static void
test_normalize__nomem_sanitize(void **state)
{
    long n;

    (void)state;
    for (n = 0; n < 100; n++) {
        nx_buf b = NX_BUF_INIT;
        bool ok;

        nx_alloc_fail_after(n);
        ok = nx_utf8_sanitize(&b, nomem_text, sizeof(nomem_text) - 1, NULL,
                              NULL);
        nx_alloc_fail_after(-1);
        assert_int_equal(ok, !nx_buf_oom(&b));
        nx_buf_free(&b);
        if (ok)
            break;
    }
    assert_true(n > 0 && n < 100);
}

static void
test_normalize__nomem_repair(void **state)
{
    long n;

    (void)state;
    for (n = 0; n < 100; n++) {
        nx_buf b = NX_BUF_INIT;
        bool ok;

        nx_alloc_fail_after(n);
        nx_text_repair(&b, nomem_text, sizeof(nomem_text) - 1);
        nx_alloc_fail_after(-1);
        ok = !nx_buf_oom(&b);
        if (ok)
            assert_true(
                strncmp(b.data, "Z\u00fcrich, U.S.A.: it\u2019s & ", 24) == 0);
        nx_buf_free(&b);
        if (ok)
            break;
    }
    assert_true(n > 0 && n < 100);
}

static void
test_normalize__nomem_normalize(void **state)
{
    long n;

    (void)state;
    for (n = 0; n < 100; n++) {
        nx_buf b = NX_BUF_INIT;
        bool ok;

        nx_buf_puts(&b, "prefix that fills most of the first 64 bytes "
                        "of the buffer:");
        nx_alloc_fail_after(n);
        ok = nx_normalize(&b, nomem_text, sizeof(nomem_text) - 1);
        nx_alloc_fail_after(-1);
        assert_int_equal(ok, !nx_buf_oom(&b));
        nx_buf_free(&b);
        if (ok)
            break;
    }
    assert_true(n > 0 && n < 100);
}

static void
test_normalize__nomem_public(void **state)
{
    long n;

    (void)state;
    for (n = 0; n < 100; n++) {
        newsidx_error err = {0, 0, 0, ""};
        char *out = (char *)"not null";
        int rc;

        nx_alloc_fail_after(n);
        rc = newsidx_normalize(&out, nomem_text, sizeof(nomem_text) - 1, &err);
        nx_alloc_fail_after(-1);
        if (rc == NEWSIDX_OK) {
            assert_non_null(out);
            assert_true(strncmp(out, "zurich, usa: it", 15) == 0);
            newsidx_free(out);
            break;
        }
        assert_int_equal(rc, NEWSIDX_NOMEM);
        assert_null(out);
        assert_int_equal(err.code, NEWSIDX_NOMEM);
        assert_string_equal(err.message, "out of memory");
    }
    assert_true(n > 0 && n < 100);
    /* an empty result still needs its one allocation */
    {
        char *out = (char *)"not null";

        nx_alloc_fail_after(0);
        assert_int_equal(newsidx_normalize(&out, "   ", 3, NULL),
                         NEWSIDX_NOMEM);
        nx_alloc_fail_after(-1);
        assert_null(out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize__valid_accepts_utf8),
        cmocka_unit_test(test_normalize__valid_rejects_overlong),
        cmocka_unit_test(test_normalize__valid_rejects_surrogate),
        cmocka_unit_test(test_normalize__valid_rejects_truncated),
        cmocka_unit_test(test_normalize__valid_rejects_lone_continuation),
        cmocka_unit_test(test_normalize__valid_rejects_f5_and_above),
        cmocka_unit_test(test_normalize__sanitize_copies_valid_text),
        cmocka_unit_test(test_normalize__sanitize_replaces_maximal_subparts),
        cmocka_unit_test(test_normalize__sanitize_replaces_controls),
        cmocka_unit_test(test_normalize__sanitize_all_binary),
        cmocka_unit_test(test_normalize__sanitize_random_binary),
        cmocka_unit_test(test_normalize__sanitize_appends_and_allows_null_outs),
        cmocka_unit_test(test_normalize__repair_corpus_mojibake),
        cmocka_unit_test(test_normalize__repair_mojibake_variants),
        cmocka_unit_test(test_normalize__repair_leaves_real_text),
        cmocka_unit_test(test_normalize__repair_entities),
        cmocka_unit_test(test_normalize__repair_bad_entities),
        cmocka_unit_test(test_normalize__repair_trims),
        cmocka_unit_test(test_normalize__repair_both_and_appends),
        cmocka_unit_test(test_normalize__folds_required_examples),
        cmocka_unit_test(test_normalize__collapses_whitespace),
        cmocka_unit_test(test_normalize__drops_ignorables),
        cmocka_unit_test(test_normalize__joins_abbreviations),
        cmocka_unit_test(test_normalize__removes_digit_group_commas),
        cmocka_unit_test(test_normalize__splits_cjk),
        cmocka_unit_test(test_normalize__keeps_rtl_letters),
        cmocka_unit_test(test_normalize__passes_punctuation),
        cmocka_unit_test(test_normalize__survives_invalid_input),
        cmocka_unit_test(test_normalize__handles_long_input),
        cmocka_unit_test(test_normalize__appends_to_buffer),
        cmocka_unit_test(test_normalize__public_normalizes),
        cmocka_unit_test(test_normalize__public_sanitizes_invalid),
        cmocka_unit_test(test_normalize__nomem_sanitize),
        cmocka_unit_test(test_normalize__nomem_repair),
        cmocka_unit_test(test_normalize__nomem_normalize),
        cmocka_unit_test(test_normalize__nomem_public),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
