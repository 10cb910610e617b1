/*
 * fuzz_normalize.c - the text functions of normalize.c on any bytes.
 *
 * Invariants:
 * - nx_utf8_valid agrees with a plain reference decoder (RFC 3629);
 * - nx_utf8_sanitize gives valid UTF-8, leaves valid text without control
 *   characters unchanged, and reports the first replacement's offset;
 * - nx_text_repair and nx_normalize give valid UTF-8;
 * - nx_normalize's output is trimmed, has no double spaces, and is a fixed
 *   point: normalize(normalize(x)) == normalize(x).
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "write.h"

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool
ref_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* Has `s` a control character nx_utf8_sanitize replaces (C0 but TAB, LF
 * and CR; DEL; C1)? */
static bool
has_control(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ||
            s[i] == 0x7f)
            return true;
        if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
            return true;
    }
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    bool valid = nx_utf8_valid(in, size);
    NX_FUZZ_CHECK(valid == ref_utf8_valid(data, size));

    nx_buf clean = NX_BUF_INIT;
    size_t n_replaced = 99, first = 99;
    NX_FUZZ_CHECK(nx_utf8_sanitize(&clean, in, size, &n_replaced, &first));
    const char *c = clean.data ? clean.data : "";
    NX_FUZZ_CHECK(nx_utf8_valid(c, clean.len));
    NX_FUZZ_CHECK(!has_control((const uint8_t *)c, clean.len));
    if (n_replaced == 0) {
        NX_FUZZ_CHECK(first == 0);
        NX_FUZZ_CHECK(clean.len == size && memcmp(c, in, size) == 0);
    } else {
        NX_FUZZ_CHECK(first < size);
        NX_FUZZ_CHECK(memcmp(c, in, first) == 0);
    }
    if (valid && !has_control(data, size))
        NX_FUZZ_CHECK(n_replaced == 0);

    nx_buf repaired = NX_BUF_INIT;
    unsigned what = nx_text_repair(&repaired, c, clean.len);
    NX_FUZZ_CHECK(!nx_buf_oom(&repaired));
    NX_FUZZ_CHECK((what & ~(NX_REPAIR_MOJIBAKE | NX_REPAIR_ENTITIES)) == 0);
    const char *r = repaired.data ? repaired.data : "";
    NX_FUZZ_CHECK(nx_utf8_valid(r, repaired.len));

    nx_buf norm = NX_BUF_INIT, again = NX_BUF_INIT;
    NX_FUZZ_CHECK(nx_normalize(&norm, c, clean.len));
    const char *n = norm.data ? norm.data : "";
    NX_FUZZ_CHECK(nx_utf8_valid(n, norm.len));
    NX_FUZZ_CHECK(strlen(n) == norm.len);
    if (norm.len > 0)
        NX_FUZZ_CHECK(n[0] != ' ' && n[norm.len - 1] != ' ');
    NX_FUZZ_CHECK(strstr(n, "  ") == NULL);
    NX_FUZZ_CHECK(nx_normalize(&again, n, norm.len));
    const char *a = again.data ? again.data : "";
    if (again.len != norm.len || memcmp(a, n, norm.len) != 0) {
        fprintf(stderr,
                "normalize is not idempotent:\n  once:  '%s'\n"
                "  twice: '%s'\n",
                n, a);
        NX_FUZZ_CHECK(!"normalize(normalize(x)) == normalize(x)");
    }

    /* nx_normalize also reads raw bytes (an invalid sequence counts as
     * U+FFFD): the same invariants hold. */
    nx_buf_clear(&norm);
    nx_buf_clear(&again);
    NX_FUZZ_CHECK(nx_normalize(&norm, in, size));
    n = norm.data ? norm.data : "";
    NX_FUZZ_CHECK(nx_utf8_valid(n, norm.len));
    if (norm.len > 0)
        NX_FUZZ_CHECK(n[0] != ' ' && n[norm.len - 1] != ' ');
    NX_FUZZ_CHECK(nx_normalize(&again, n, norm.len));
    a = again.data ? again.data : "";
    NX_FUZZ_CHECK(again.len == norm.len && memcmp(a, n, norm.len) == 0);

    /* The display repair of the normalized text is also well-formed. */
    nx_buf_clear(&repaired);
    nx_text_repair(&repaired, n, norm.len);
    NX_FUZZ_CHECK(
        nx_utf8_valid(repaired.data ? repaired.data : "", repaired.len));
    NX_FUZZ_CHECK(nx_text_has_word_char(n, norm.len) ==
                  nx_text_has_word_char(a, again.len));

    nx_buf_free(&clean);
    nx_buf_free(&repaired);
    nx_buf_free(&norm);
    nx_buf_free(&again);
    return 0;
}
