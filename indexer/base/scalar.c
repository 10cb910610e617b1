/*
 * scalar.c - reading the text of one plain scalar as a value: nulls, YAML
 * 1.1 booleans, numbers as JSON, whole numbers.  Text only: no libyaml
 * (frontmatter.c hands over each scalar's bytes).
 */
#include <string.h>

#include "base.h"

#define SCALAR_SAFE_INT 9007199254740992ULL /* 2^53: exact in a double */

/* The text of a null: empty, `~` or `null` (three spellings). */
bool
nx_scalar_is_null(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 &&
            (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
             memcmp(s, "NULL", 4) == 0));
}

bool
nx_scalar_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

void
nx_scalar_trim(const char **s, size_t *len)
{
    while (*len > 0 && nx_scalar_is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && nx_scalar_is_space((*s)[*len - 1]))
        (*len)--;
}

/* Does `s` spell `word` (lower case) in lower case, Capitalized or UPPER
 * case, the three spellings YAML 1.1 allows? */
static bool
scalar_word_is(const char *s, size_t len, const char *word)
{
    size_t i, n_upper = 0;

    if (strlen(word) != len)
        return false;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
            n_upper++;
        }
        if (c != word[i])
            return false;
    }
    return n_upper == 0 || n_upper == len ||
           (n_upper == 1 && s[0] >= 'A' && s[0] <= 'Z');
}

/*
 * A YAML 1.1 boolean word.  The one-letter y/n (and 1/0) only with
 * `is_lenient`, for `published`: Psych and PyYAML, which Jekyll sites are
 * written for, read a lone `y` as a string.
 */
bool
nx_scalar_bool_word(const char *s, size_t len, bool is_lenient, int *value)
{
    static const char *const words[] = {"true", "yes", "on", "false", "no",
                                        "off",  "y",   "1",  "n",     "0"};
    size_t i, n_words = is_lenient ? 10 : 6;

    for (i = 0; i < n_words; i++) {
        if (scalar_word_is(s, len, words[i])) {
            *value = i < 3 || i == 6 || i == 7;
            return true;
        }
    }
    return false;
}

/* A decimal number split into its parts; digit runs may hold '_'. */
typedef struct scalar_decimal {
    bool is_negative;
    const char *digits; /* integer part */
    size_t n_digits;
    const char *frac; /* after the point */
    size_t n_frac;
    bool has_point;
    bool has_exp;
    long exp; /* clamped to +-100000 */
} scalar_decimal;

static bool
scalar_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* End of the run of digits and '_' at `i` that starts with a digit. */
static size_t
scalar_digit_run(const char *s, size_t len, size_t i)
{
    if (i >= len || !scalar_is_digit(s[i]))
        return i;
    while (i < len && (scalar_is_digit(s[i]) || s[i] == '_'))
        i++;
    return i;
}

static bool
scalar_exponent_scan(const char *s, size_t len, size_t *i, long *exp)
{
    size_t k = *i + 1;
    bool is_negative = false;
    long e = 0;

    if (k < len && (s[k] == '+' || s[k] == '-'))
        is_negative = s[k++] == '-';
    if (k >= len || !scalar_is_digit(s[k]))
        return false;
    for (; k < len && scalar_is_digit(s[k]); k++)
        e = e > 100000 ? e : e * 10 + (s[k] - '0');
    *exp = is_negative ? -e : e;
    *i = k;
    return true;
}

/* [+-] digits [. digits] [e [+-] digits], with at least one digit. */
static bool
scalar_decimal_scan(const char *s, size_t len, scalar_decimal *d)
{
    size_t i = 0, j;

    memset(d, 0, sizeof(*d));
    if (i < len && (s[i] == '+' || s[i] == '-'))
        d->is_negative = s[i++] == '-';
    d->digits = s + i;
    j = scalar_digit_run(s, len, i);
    d->n_digits = j - i;
    i = j;
    if (i < len && s[i] == '.') {
        d->has_point = true;
        d->frac = s + i + 1;
        j = scalar_digit_run(s, len, i + 1);
        d->n_frac = j - i - 1;
        i = j;
    }
    if (d->n_digits == 0 && d->n_frac == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        if (!scalar_exponent_scan(s, len, &i, &d->exp))
            return false;
        d->has_exp = true;
    }
    return i == len;
}

/* Value of hex digit `c`, or 16 if it is none. */
static unsigned
scalar_hex_digit(char c)
{
    if (scalar_is_digit(c))
        return (unsigned)(c - '0');
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
}

/* 0x1F, 0o17, 0b101 with an optional sign: 1 and `*v`, 0 if not such a
 * number, -1 if it does not fit 64 bits. */
static int
scalar_radix_scan(const char *s, size_t len, uint64_t *v, bool *is_negative)
{
    size_t i = 0, n_digits = 0;
    unsigned base, digit;

    *is_negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        *is_negative = s[i++] == '-';
    if (len - i < 3 || s[i] != '0')
        return 0;
    base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : s[i + 1] == 'b' ? 2 : 0;
    for (*v = 0, i += 2; i < len && base != 0; i++) {
        if (s[i] == '_')
            continue;
        digit = scalar_hex_digit(s[i]);
        if (digit >= base)
            return 0;
        if (*v > (UINT64_MAX - digit) / base)
            return -1;
        *v = *v * base + digit;
        n_digits++;
    }
    return n_digits > 0 && i == len ? 1 : 0;
}

/* Append the digits of a run, without '_', and with leading zeros removed
 * when `is_trimmed` (one kept). */
static void
scalar_put_digits(nx_buf *out, const char *s, size_t n, bool is_trimmed)
{
    size_t i, start = out->len;

    for (i = 0; i < n; i++) {
        if (s[i] == '_' || (is_trimmed && s[i] == '0' && out->len == start))
            continue;
        nx_buf_putc(out, s[i]);
    }
    if (out->len == start && n > 0)
        nx_buf_putc(out, '0');
}

/* Value of a run of decimal digits and '_'; false past 2^53. */
static bool
scalar_digits_value(const char *s, size_t n, uint64_t *v)
{
    size_t i;

    for (*v = 0, i = 0; i < n; i++) {
        if (s[i] == '_')
            continue;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
        if (*v > SCALAR_SAFE_INT)
            return false;
    }
    return true;
}

/*
 * Append plain scalar `s` as a JSON number if it is one: YAML 1.1/1.2 ints
 * (with '_', hex, octal 0o, binary) and floats (.5, 1e5).  Returns false
 * for anything else, including numbers a JSON reader would not keep
 * exactly or at all (beyond 2^53, |x| >= 1e300, .inf, .nan) and integers
 * with leading zeros (zip codes, YAML 1.1 octal): those stay strings.
 */
bool
nx_scalar_json_number(nx_buf *out, const char *s, size_t len)
{
    scalar_decimal d;
    uint64_t v;
    bool is_negative;
    int rc = scalar_radix_scan(s, len, &v, &is_negative);

    if (rc != 0) {
        if (rc < 0 || v > SCALAR_SAFE_INT)
            return false;
        nx_buf_printf(out, "%s%llu", is_negative ? "-" : "",
                      (unsigned long long)v);
        return true;
    }
    if (!scalar_decimal_scan(s, len, &d))
        return false;
    if (!d.has_point && !d.has_exp) {
        if ((d.n_digits > 1 && d.digits[0] == '0') ||
            !scalar_digits_value(d.digits, d.n_digits, &v))
            return false;
    } else if (d.exp + (long)d.n_digits > 300 || d.exp < -300) {
        return false;
    }
    if (d.is_negative)
        nx_buf_putc(out, '-');
    if (d.n_digits == 0)
        nx_buf_putc(out, '0');
    scalar_put_digits(out, d.digits, d.n_digits, true);
    if (d.has_point) {
        nx_buf_putc(out, '.');
        scalar_put_digits(out, d.n_frac ? d.frac : "0", d.n_frac ? d.n_frac : 1,
                          false);
    }
    if (d.has_exp)
        nx_buf_printf(out, "e%ld", d.exp);
    return true;
}

/* The next digit of a decimal's integer and fraction parts, skipping '_';
 * -1 at the end. */
static int
scalar_decimal_digit(const scalar_decimal *d, size_t *i)
{
    while (*i < d->n_digits + d->n_frac) {
        size_t k = (*i)++;
        char c = k < d->n_digits ? d->digits[k] : d->frac[k - d->n_digits];

        if (c != '_')
            return c - '0';
    }
    return -1;
}

/*
 * Read `s` as a whole number: 85, "85", 85.0, 8.5e1, 0x55; a fraction is
 * rounded half away from zero (`*is_rounded` then true).  Returns 1, 0 when
 * `s` is not a number, -1 when its magnitude is 1e15 or more.
 */
int
nx_scalar_whole_number(const char *s, size_t len, int64_t *out,
                       bool *is_rounded)
{
    scalar_decimal d;
    uint64_t v = 0;
    size_t i = 0, k = 0, n_int;
    int digit, rc;
    bool is_negative;

    *is_rounded = false;
    nx_scalar_trim(&s, &len);
    rc = scalar_radix_scan(s, len, &v, &is_negative);
    if (rc == 0 && !scalar_decimal_scan(s, len, &d))
        return 0;
    if (rc == 0) {
        is_negative = d.is_negative;
        for (n_int = 0; k < d.n_digits; k++)
            n_int += d.digits[k] != '_';
        for (k = 0; (digit = scalar_decimal_digit(&d, &i)) >= 0; k++) {
            if ((long)k < (long)n_int + d.exp)
                v = v * 10 + (uint64_t)digit;
            else if ((long)k == (long)n_int + d.exp && digit >= 5)
                v += 1; /* half away from zero */
            *is_rounded |= (long)k >= (long)n_int + d.exp && digit > 0;
            if (v >= 1000000000000000ULL)
                return -1;
        }
        for (; (long)k < (long)n_int + d.exp && v != 0; k++)
            if ((v *= 10) >= 1000000000000000ULL)
                return -1;
    }
    if (rc < 0 || v >= 1000000000000000ULL)
        return -1;
    *out = is_negative ? -(int64_t)v : (int64_t)v;
    return 1;
}
