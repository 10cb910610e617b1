/*
 * parse.c - the query language (docs/query.md): a string typed by a person
 * becomes an FTS5 MATCH expression for the positive part, one for the
 * excluded part, the search terms (for highlighting and scoring) and the
 * filters.
 *
 * The language is safe by default.  A word is a run of bytes between
 * separators: ASCII space, control characters, DEL and both parentheses.
 * A `"` ends a word and starts a phrase, which runs to the next `"` or to
 * the end.  Every word and phrase goes through nx_normalize and is cut
 * into the tokens the unicode61 tokenizer sees, joined by single spaces
 * ("don't" -> "don t"); one without any token is dropped.  So only quoted
 * token text and the `AND`, `OR`, `NOT`, `:`, `*` and parentheses we
 * write ever reach FTS5.
 *
 * AND, OR and NOT in capitals are operators, parentheses group; NOT (and
 * a leading '-') binds tightest, then OR, then AND or a space.  The query
 * is read into a tree ("The tree"), then written out ("From the tree to
 * the expressions").  Output forms of the usual shape (exact; tests
 * compare them):
 *   word          "word"              word*        "word" *
 *   title:word    title : "word"      a b          "a" AND "b"
 *   a OR b c      ("a" OR "b") AND "c"   (a lone group has no parentheses)
 *   -a -b         exclude: "a" OR "b"
 * Other shapes are one FTS5 expression (nx_parsed.is_general):
 *   (a b) OR c    (("a" AND "b") OR "c")
 *
 * A lone operator and an unmatched parenthesis are dropped.  Only an
 * unknown field name, a malformed filter value and what the operators
 * cannot express (an exclusion as a side of OR, a NOT with nothing to
 * exclude from, a filter under OR) fail, with NEWSIDX_PARSE and the
 * character column where the problem starts.
 */
#include <assert.h>
#include <string.h>

#include "query.h"

#define PARSE_SECONDS_PER_DAY 86400
#define PARSE_SHOW_MAX        40 /* bytes of a value quoted in a message */

/* One word or phrase as read from the query, before normalization. */
typedef struct parse_atom {
    size_t start;      /* byte offset of the field name or the word */
    bool is_negated;   /* a leading '-' */
    bool is_quoted;    /* the value was a "phrase" */
    const char *name;  /* field name, or NULL */
    size_t name_len;   /* bytes in `name` */
    const char *value; /* the word, or the inside of the phrase */
    size_t value_len;  /* bytes in `value`, trailing '*' included */
    size_t n_stars;    /* trailing '*' (after the closing quote if quoted) */
} parse_atom;

typedef struct parse_state {
    const char *text;         /* the query */
    size_t len;               /* bytes in `text` */
    size_t pos;               /* next byte to read */
    newsidx_error *err;       /* may be NULL */
    nx_parsed *q;             /* the result being built */
    size_t terms_cap;         /* slots allocated in q->terms */
    size_t excl_cap;          /* slots allocated in q->excluded */
    size_t filters_cap;       /* slots allocated in q->filters */
    nx_buf match;             /* the finished AND groups */
    nx_buf group;             /* the open group: alternatives joined by OR */
    size_t n_groups;          /* groups written to `match` */
    size_t n_alts;            /* alternatives in `group` */
    bool is_or_pending;       /* an OR follows the last positive term */
    bool is_after_term;       /* the last token kept was a positive term */
    nx_buf exclude;           /* excluded parts joined by OR */
    nx_buf norm;              /* scratch: one normalized value */
    nx_buf words;             /* scratch: its tokens joined by spaces */
    struct parse_node *nodes; /* the tree (see "The tree") */
    size_t n_nodes, nodes_cap;
    unsigned in_not;      /* writing the operand of a NOT */
    bool is_nomem;        /* a node could not be made */
    size_t too_deep;      /* 1 + the position of the first '(' or NOT nested
                             deeper than PARSE_MAX_DEPTH, or 0 */
    const nx_expander *x; /* a word's other forms, or NULL */
    nx_buf forms;         /* scratch: the forms of one word */
    bool is_to_exclude;   /* the terms written now go to `exclude` */
} parse_state;

/**************************************************************************
** Characters and positions
*/

/* Bytes that end a word: space, controls, DEL, parentheses. */
static bool
parse_is_sep(unsigned char c)
{
    return c <= 0x20 || c == 0x7F || c == '(' || c == ')';
}

static bool
parse_is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static bool
parse_is_alnum(unsigned char c)
{
    return parse_is_alpha(c) || (unsigned char)(c - '0') < 10;
}

/* The 1-based character column of byte `off`: bytes that do not continue
 * a UTF-8 sequence are counted. */
static unsigned
parse_column(const char *text, size_t off)
{
    unsigned col = 1;
    size_t i;

    for (i = 0; i < off; i++) {
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    }
    return col;
}

/* How many bytes of `s` to show in a message: at most PARSE_SHOW_MAX,
 * cut at a character boundary; 0 when that is not valid UTF-8. */
static int
parse_show_len(const char *s, size_t len)
{
    size_t n = len;

    if (n > PARSE_SHOW_MAX) {
        n = PARSE_SHOW_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return nx_utf8_valid(s, n) ? (int)n : 0;
}

/**************************************************************************
** Reading one token
*/

/* Read a "phrase" at st->pos (on the opening quote) into `a`: it ends at
 * the next quote or at the end of the query; '*' after it are counted. */
static void
parse_read_phrase(parse_state *st, parse_atom *a)
{
    const char *open = st->text + st->pos + 1;
    size_t rest = st->len - st->pos - 1;
    const char *close = memchr(open, '"', rest);

    a->is_quoted = true;
    a->value = open;
    a->value_len = close != NULL ? (size_t)(close - open) : rest;
    st->pos += 1 + a->value_len + (close != NULL ? 1 : 0);
    while (st->pos < st->len && st->text[st->pos] == '*') {
        a->n_stars++;
        st->pos++;
    }
}

/* Read a word or "phrase" value at st->pos into `a`. */
static void
parse_read_value(parse_state *st, parse_atom *a)
{
    size_t i = st->pos;

    if (i < st->len && st->text[i] == '"') {
        parse_read_phrase(st, a);
        return;
    }
    while (i < st->len && !parse_is_sep((unsigned char)st->text[i]) &&
           st->text[i] != '"')
        i++;
    a->value = st->text + st->pos;
    a->value_len = i - st->pos;
    while (a->n_stars < a->value_len &&
           a->value[a->value_len - 1 - a->n_stars] == '*')
        a->n_stars++;
    st->pos = i;
}

/*
 * Read one token at st->pos (not a separator): an optional '-' followed by
 * something, an optional `name:` (ASCII letters, directly followed by a
 * value that does not start with '/'), then a word or a "phrase".
 */
static void
parse_read_atom(parse_state *st, parse_atom *a)
{
    const char *t = st->text;
    size_t i;

    memset(a, 0, sizeof(*a));
    if (t[st->pos] == '-' && st->pos + 1 < st->len &&
        !parse_is_sep((unsigned char)t[st->pos + 1])) {
        a->is_negated = true;
        st->pos++;
    }
    a->start = st->pos;
    for (i = st->pos; i < st->len && parse_is_alpha((unsigned char)t[i]); i++)
        ;
    if (i > st->pos && i + 1 < st->len && t[i] == ':' &&
        !parse_is_sep((unsigned char)t[i + 1]) && t[i + 1] != '/') {
        a->name = t + st->pos;
        a->name_len = i - st->pos;
        st->pos = i + 1;
    }
    parse_read_value(st, a);
}

/**************************************************************************
** The FTS5 expressions and the terms
*/

/* Append `col : "text" *` (column and star optional), doubling quotes. */
static void
parse_put_string(nx_buf *b, const char *col, const char *s, size_t len,
                 bool is_prefix)
{
    const char *q;

    if (col != NULL) {
        nx_buf_puts(b, col);
        nx_buf_puts(b, " : ");
    }
    nx_buf_putc(b, '"');
    while ((q = memchr(s, '"', len)) != NULL) {
        nx_buf_put(b, s, (size_t)(q - s) + 1);
        nx_buf_putc(b, '"');
        len -= (size_t)(q - s) + 1;
        s = q + 1;
    }
    nx_buf_put(b, s, len);
    nx_buf_putc(b, '"');
    if (is_prefix)
        nx_buf_puts(b, " *");
}

/* Write the open group to `match`; parenthesized when it has several
 * alternatives and is not the only group. */
static void
parse_close_group(parse_state *st, bool is_more)
{
    bool has_parens = st->n_alts > 1 && (is_more || st->n_groups > 0);

    if (st->n_alts == 0)
        return;
    if (st->n_groups > 0)
        nx_buf_puts(&st->match, " AND ");
    if (has_parens)
        nx_buf_putc(&st->match, '(');
    nx_buf_put(&st->match, st->group.data, st->group.len);
    if (has_parens)
        nx_buf_putc(&st->match, ')');
    nx_buf_clear(&st->group);
    st->n_groups++;
    st->n_alts = 0;
}

/* Record a term (its tokens are in st->words): a positive one in
 * q->terms, as an alternative of the open group, or an excluded one. */
static int
parse_add_term(parse_state *st, bool is_negated, bool is_prefix, int column)
{
    nx_parsed *q = st->q;
    nx_term **list = is_negated ? &q->excluded : &q->terms;
    size_t *n = is_negated ? &q->n_excluded : &q->n_terms;
    size_t *cap = is_negated ? &st->excl_cap : &st->terms_cap;
    nx_term *grown, *t;

    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 8;

        grown = nx_realloc(*list, ncap * sizeof(*grown));
        if (grown == NULL)
            return NEWSIDX_NOMEM;
        *list = grown;
        *cap = ncap;
    }
    t = &(*list)[*n];
    memset(t, 0, sizeof(*t));
    t->text = nx_strndup(st->words.data, st->words.len);
    if (t->text == NULL)
        return NEWSIDX_NOMEM;
    t->is_prefix = is_prefix;
    t->is_column = column >= 0;
    t->column = column;
    t->group = st->n_groups;
    t->family = *n;
    /* Flat queries write exclusions to `exclude`; general ones their
     * top-level exclusions (is_to_exclude), the others into `match`. */
    t->phrase = (is_negated && st->q->is_general == false) || st->is_to_exclude
                    ? NX_NO_PHRASE
                    : q->n_phrases++;
    (*n)++;
    return NEWSIDX_OK;
}

/* The other forms of the word in st->words (an atom `a`, not a prefix)
 * into st->forms; how many, or -1 on out-of-memory.  None for a quoted
 * phrase, a word written `=word`, a phrase of several tokens, or without
 * an expander. */
static int
parse_forms(parse_state *st, const parse_atom *a, bool is_prefix)
{
    nx_buf_clear(&st->forms);
    if (st->x == NULL || is_prefix || a->is_quoted ||
        (a->value_len > 0 && a->value[0] == '=') ||
        memchr(st->words.data, ' ', st->words.len) != NULL)
        return 0;
    return st->x->forms(st->x->ctx, st->words.data, st->words.len, &st->forms);
}

/* Write the forms of st->forms (n of them) after the word just written to
 * `out` (" OR " each), and add them as terms of the word's family (the
 * last term of the list `is_negated` names). */
static int
parse_put_forms(parse_state *st, nx_buf *out, const char *col, int column,
                bool is_negated, int n)
{
    nx_parsed *q = st->q;
    size_t family = (is_negated ? q->n_excluded : q->n_terms) - 1, at = 0;
    int k, rc = NEWSIDX_OK;

    for (k = 0; k < n && rc == NEWSIDX_OK; k++) {
        const char *f = st->forms.data + at;
        size_t len = strlen(f);

        at += len + 1;
        nx_buf_puts(out, " OR ");
        parse_put_string(out, col, f, len, false);
        nx_buf_clear(&st->words);
        nx_buf_put(&st->words, f, len);
        rc = nx_buf_oom(&st->words)
                 ? NEWSIDX_NOMEM
                 : parse_add_term(st, is_negated, false, column);
        if (rc == NEWSIDX_OK) {
            nx_term *t = is_negated ? &q->excluded[q->n_excluded - 1]
                                    : &q->terms[q->n_terms - 1];

            t->is_form = true;
            t->family = family;
            q->n_forms++;
        }
    }
    return rc;
}

/* Normalize `s` into st->norm; false on out-of-memory. */
static bool
parse_normalize(parse_state *st, const char *s, size_t len)
{
    nx_buf_clear(&st->norm);
    nx_buf_put(&st->norm, "", 0); /* data is never NULL afterwards */
    return nx_normalize(&st->norm, s, len) && !nx_buf_oom(&st->norm);
}

/* The bytes of the UTF-8 character at `p` (valid UTF-8, `avail` > 0). */
static size_t
parse_char_len(const unsigned char *p, size_t avail)
{
    size_t n = p[0] < 0xC0 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;

    return n < avail ? n : avail;
}

/*
 * Normalize `s` and keep only its tokens as unicode61 sees them, joined by
 * single spaces, in st->words ("don't" -> "don t").  Empty when `s` has no
 * word character.  False on out-of-memory.
 */
static bool
parse_words(parse_state *st, const char *s, size_t len)
{
    const unsigned char *p;
    size_t i = 0, n;
    bool owes_space = false;

    if (!parse_normalize(st, s, len))
        return false;
    p = (const unsigned char *)st->norm.data;
    nx_buf_clear(&st->words);
    nx_buf_put(&st->words, "", 0);
    while (i < st->norm.len) {
        n = parse_char_len(p + i, st->norm.len - i);
        if (p[i] < 0x80 ? !parse_is_alnum(p[i])
                        : !nx_text_has_word_char((const char *)p + i, n)) {
            owes_space = st->words.len > 0;
        } else {
            if (owes_space)
                nx_buf_putc(&st->words, ' ');
            nx_buf_put(&st->words, p + i, n);
            owes_space = false;
        }
        i += n;
    }
    return !nx_buf_oom(&st->words);
}

/*
 * A word or phrase, perhaps restricted to column `col`: into `exclude`
 * when negated, otherwise into `match` (as an alternative of the open
 * group after an OR) and the terms.  Dropped when it has no word
 * character.
 */
static int
parse_add_text(parse_state *st, const parse_atom *a, const char *col,
               int column)
{
    size_t len = a->value_len - (a->is_quoted ? 0 : a->n_stars);
    bool is_prefix = a->n_stars > 0;

    int n_forms, rc;

    if (!parse_words(st, a->value, len))
        return NEWSIDX_NOMEM;
    if (st->words.len == 0)
        return NEWSIDX_OK;
    if ((n_forms = parse_forms(st, a, is_prefix)) < 0)
        return NEWSIDX_NOMEM;
    if (a->is_negated) {
        if (st->exclude.len > 0)
            nx_buf_puts(&st->exclude, " OR ");
        parse_put_string(&st->exclude, col, st->words.data, st->words.len,
                         is_prefix);
        st->is_or_pending = st->is_after_term = false;
        rc = parse_add_term(st, true, is_prefix, column);
        return rc == NEWSIDX_OK ? parse_put_forms(st, &st->exclude, col, column,
                                                  true, n_forms)
                                : rc;
    }
    if (st->is_or_pending)
        nx_buf_puts(&st->group, " OR ");
    else
        parse_close_group(st, true);
    parse_put_string(&st->group, col, st->words.data, st->words.len, is_prefix);
    st->n_alts += 1 + (size_t)n_forms;
    st->is_or_pending = false;
    st->is_after_term = true;
    rc = parse_add_term(st, false, is_prefix, column);
    return rc == NEWSIDX_OK
               ? parse_put_forms(st, &st->group, col, column, false, n_forms)
               : rc;
}

/**************************************************************************
** Filters
*/

/* Append a filter of `kind` for atom `a`, its raw value copied; the new
 * filter is returned through `*out`. */
static int
parse_add_filter(parse_state *st, const parse_atom *a, nx_filter_kind kind,
                 nx_filter **out)
{
    nx_parsed *q = st->q;
    nx_filter *f;

    if (q->n_filters == st->filters_cap) {
        size_t cap = st->filters_cap ? 2 * st->filters_cap : 4;

        f = nx_realloc(q->filters, cap * sizeof(*f));
        if (f == NULL)
            return NEWSIDX_NOMEM;
        q->filters = f;
        st->filters_cap = cap;
    }
    f = &q->filters[q->n_filters];
    memset(f, 0, sizeof(*f));
    f->raw = nx_strndup(a->value, a->value_len);
    if (f->raw == NULL)
        return NEWSIDX_NOMEM;
    f->kind = kind;
    f->is_negated = a->is_negated;
    q->n_filters++;
    st->is_or_pending = st->is_after_term = false;
    *out = f;
    return NEWSIDX_OK;
}

/* provider: topic: type: category: with a normalized text value. */
static int
parse_filter_text(parse_state *st, const parse_atom *a, nx_filter_kind kind)
{
    nx_filter *f;
    int rc;

    if (!parse_normalize(st, a->value, a->value_len))
        return NEWSIDX_NOMEM;
    rc = parse_add_filter(st, a, kind, &f);
    if (rc != NEWSIDX_OK)
        return rc;
    f->text = nx_strndup(st->norm.data, st->norm.len);
    return f->text != NULL ? NEWSIDX_OK : NEWSIDX_NOMEM;
}

/* url: with the address as the collapse key has it (nx_url_normalize). */
static int
parse_filter_url(parse_state *st, const parse_atom *a)
{
    nx_filter *f;
    int rc;

    nx_buf_clear(&st->norm);
    if (!nx_url_normalize(&st->norm, a->value, a->value_len) ||
        !nx_buf_reserve(&st->norm, 0))
        return NEWSIDX_NOMEM;
    rc = parse_add_filter(st, a, NX_FILTER_URL, &f);
    if (rc != NEWSIDX_OK)
        return rc;
    f->text = nx_strndup(st->norm.data, st->norm.len);
    return f->text != NULL ? NEWSIDX_OK : NEWSIDX_NOMEM;
}

/* Read a non-negative integer of 1 to 18 digits, all of `s`. */
static bool
parse_uint(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (len == 0 || len > 18)
        return false;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The position of the first ".." in `s`, or `len` when there is none. */
static size_t
parse_find_dots(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return i;
    }
    return len;
}

/* A range LO..HI with either end optional, but not both. */
static bool
parse_uint_range(const char *s, size_t len, nx_filter *f)
{
    size_t dots = parse_find_dots(s, len);

    if (dots == len) {
        f->has_lo = f->has_hi = parse_uint(s, len, &f->lo);
        f->hi = f->lo;
        return f->has_lo;
    }
    if (dots == 0 && len == 2)
        return false;
    if (dots > 0 && !parse_uint(s, dots, &f->lo))
        return false;
    if (dots + 2 < len && !parse_uint(s + dots + 2, len - dots - 2, &f->hi))
        return false;
    f->has_lo = dots > 0;
    f->has_hi = dots + 2 < len;
    return true;
}

/*
 * A number or range as quality: and heat: take it: N, =N, >=N, >N, <=N,
 * <N, LO..HI, LO.., ..HI.  Bounds are inclusive, so >N is N+1.
 */
static bool
parse_number_range(const char *s, size_t len, nx_filter *f)
{
    size_t skip = len >= 2 && s[1] == '=' ? 2 : 1;

    if (len == 0)
        return false;
    if (s[0] == '=') {
        f->has_lo = f->has_hi = parse_uint(s + 1, len - 1, &f->lo);
        f->hi = f->lo;
    } else if (s[0] == '>') {
        f->has_lo = parse_uint(s + skip, len - skip, &f->lo);
        f->lo += skip == 1 ? 1 : 0;
        return f->has_lo;
    } else if (s[0] == '<') {
        f->has_hi = parse_uint(s + skip, len - skip, &f->hi);
        f->hi -= skip == 1 ? 1 : 0;
        return f->has_hi;
    } else if (!parse_uint_range(s, len, f)) {
        return false;
    }
    return (f->has_lo || f->has_hi) &&
           !(f->has_lo && f->has_hi && f->lo > f->hi);
}

/* date: quality: heat: ; NEWSIDX_PARSE for a malformed value. */
static int
parse_filter_bounds(parse_state *st, const parse_atom *a, nx_filter_kind kind)
{
    static const char *const usage[] = {
        "YYYY, YYYY-MM, YYYY-MM-DD or a range FROM..TO",
        "N, =N, >=N, >N, <=N, <N or a range LO..HI"};
    nx_filter *f;
    bool is_ok;
    int rc, n_show;

    rc = parse_add_filter(st, a, kind, &f);
    if (rc != NEWSIDX_OK)
        return rc;
    if (kind == NX_FILTER_DATE)
        is_ok = nx_query_date_range(a->value, a->value_len, &f->has_lo, &f->lo,
                                    &f->has_hi, &f->hi);
    else
        is_ok = parse_number_range(a->value, a->value_len, f);
    if (is_ok)
        return NEWSIDX_OK;
    n_show = parse_show_len(a->value, a->value_len);
    return nx_fail_at(
        st->err, NEWSIDX_PARSE, 1, parse_column(st->text, a->start),
        "malformed %.*s value '%.*s' (use %s)", (int)a->name_len, a->name,
        n_show, a->value, usage[kind == NX_FILTER_DATE ? 0 : 1]);
}

/**************************************************************************
** Fields
*/

static const char *const parse_columns[] = {"title", "excerpt", "body"};

static const struct parse_filter_name {
    const char *name;
    nx_filter_kind kind;
} parse_filters[] = {
    {"provider", NX_FILTER_PROVIDER}, {"topic", NX_FILTER_TOPIC},
    {"type", NX_FILTER_TYPE},         {"category", NX_FILTER_CATEGORY},
    {"date", NX_FILTER_DATE},         {"quality", NX_FILTER_QUALITY},
    {"heat", NX_FILTER_HEAT},         {"url", NX_FILTER_URL}};

#define PARSE_N(a) (sizeof(a) / sizeof((a)[0]))

/* Is field name `a->name` (any case) equal to `want`? */
static bool
parse_name_is(const parse_atom *a, const char *want)
{
    size_t i;

    if (strlen(want) != a->name_len)
        return false;
    for (i = 0; i < a->name_len; i++) {
        if ((a->name[i] | 0x20) != want[i])
            return false;
    }
    return true;
}

static int
parse_unknown_field(parse_state *st, const parse_atom *a)
{
    int n_name = a->name_len > 32 ? 32 : (int)a->name_len;
    int n_show = parse_show_len(a->value, a->value_len);

    return nx_fail_at(
        st->err, NEWSIDX_PARSE, 1, parse_column(st->text, a->start),
        "unknown field '%.*s' (fields: title, excerpt, body, "
        "provider, topic, type, category, date, quality, "
        "heat, url); quote it to search for the text: \"%.*s:%.*s\"",
        n_name, a->name, n_name, a->name, n_show, a->value);
}

/* A `name:value` token: a column restriction or a filter. */
static int
parse_field(parse_state *st, const parse_atom *a)
{
    size_t i;

    for (i = 0; i < PARSE_N(parse_columns); i++) {
        if (parse_name_is(a, parse_columns[i]))
            return parse_add_text(st, a, parse_columns[i], (int)i);
    }
    for (i = 0; i < PARSE_N(parse_filters); i++) {
        if (!parse_name_is(a, parse_filters[i].name))
            continue;
        if (parse_filters[i].kind == NX_FILTER_URL)
            return parse_filter_url(st, a);
        if (parse_filters[i].kind <= NX_FILTER_LAST_TAG)
            return parse_filter_text(st, a, parse_filters[i].kind);
        return parse_filter_bounds(st, a, parse_filters[i].kind);
    }
    return parse_unknown_field(st, a);
}

/**************************************************************************
** The tree
**
** The query is first read into a tree: a sequence of parts (ANDed: AND in
** capitals is the same as a space), each an OR of unary parts, each a
** word, a phrase, a filter, NOT (or '-') of one, or a group in
** parentheses.  OR binds tighter than the sequence, so `a OR b c` is
** (a OR b) AND c, as it always was here.  Nodes live in st->nodes and
** name each other by index.
*/

/* Groups and NOTs nested deeper are an error: FTS5's parser has a stack
 * of 100 entries, and a level typed can take 6 of it (`a OR b c OR (`
 * overflows it at 16 levels; test_parse checks the worst shapes found at
 * this depth). */
#define PARSE_MAX_DEPTH 8
#define PARSE_NONE      (-1)

typedef enum parse_kind {
    PARSE_ATOM, /* a word, phrase or filter (atom.is_negated is false) */
    PARSE_AND,
    PARSE_OR,
    PARSE_NOT
} parse_kind;

typedef struct parse_node {
    parse_kind kind;
    parse_atom atom; /* PARSE_ATOM */
    int kid;         /* first child, or PARSE_NONE */
    int next;        /* next sibling, or PARSE_NONE */
} parse_node;

/* A new node of `kind`; its index, or PARSE_NONE on out-of-memory. */
static int
parse_node_new(parse_state *st, parse_kind kind)
{
    if (st->n_nodes == st->nodes_cap) {
        size_t cap = st->nodes_cap ? 2 * st->nodes_cap : 16;
        parse_node *grown = nx_realloc(st->nodes, cap * sizeof(*grown));

        if (grown == NULL) {
            st->is_nomem = true;
            return PARSE_NONE;
        }
        st->nodes = grown;
        st->nodes_cap = cap;
    }
    memset(&st->nodes[st->n_nodes], 0, sizeof(st->nodes[0]));
    st->nodes[st->n_nodes].kind = kind;
    st->nodes[st->n_nodes].kid = st->nodes[st->n_nodes].next = PARSE_NONE;
    return (int)st->n_nodes++;
}

/* A node of `kind` over the list of siblings starting at `kids`. */
static int
parse_node_over(parse_state *st, parse_kind kind, int kids)
{
    int n = parse_node_new(st, kind);

    if (n != PARSE_NONE)
        st->nodes[n].kid = kids;
    return n;
}

/* Skip spaces and controls; true when something is left. */
static bool
parse_skip_space(parse_state *st)
{
    while (st->pos < st->len && (unsigned char)st->text[st->pos] <= 0x20)
        st->pos++;
    while (st->pos < st->len && st->text[st->pos] == 0x7F) {
        st->pos++;
        while (st->pos < st->len && (unsigned char)st->text[st->pos] <= 0x20)
            st->pos++;
    }
    return st->pos < st->len;
}

/* Is the bare word `op` (AND, OR, NOT: capitals) at st->pos? */
static bool
parse_at_operator(const parse_state *st, const char *op)
{
    size_t n = strlen(op);

    return st->len - st->pos >= n && memcmp(st->text + st->pos, op, n) == 0 &&
           (st->pos + n == st->len ||
            parse_is_sep((unsigned char)st->text[st->pos + n]));
}

static int parse_seq(parse_state *st, unsigned depth, bool is_closed);

/* Is atom `a` text (no field, or a column) with no word character?  It
 * is then dropped where it stands, as a lone operator is. */
static bool
parse_is_void_text(parse_state *st, const parse_atom *a)
{
    size_t len = a->value_len - (a->is_quoted ? 0 : a->n_stars);

    if (a->name != NULL && !parse_name_is(a, "title") &&
        !parse_name_is(a, "excerpt") && !parse_name_is(a, "body"))
        return false;
    if (!parse_words(st, a->value, len)) {
        st->is_nomem = true;
        return false;
    }
    return st->words.len == 0;
}

/* An atom at st->pos as a node (a '-' makes it a NOT); PARSE_NONE when it
 * has nothing searchable (counted in q->n_dropped) or on out-of-memory. */
static int
parse_atom_node(parse_state *st)
{
    parse_atom a;
    int n;

    parse_read_atom(st, &a);
    if (parse_is_void_text(st, &a)) {
        st->q->n_dropped += !a.is_negated;
        return PARSE_NONE;
    }
    n = parse_node_new(st, PARSE_ATOM);
    if (n == PARSE_NONE)
        return PARSE_NONE;
    st->nodes[n].atom = a;
    st->nodes[n].atom.is_negated = false;
    if (a.is_negated) {
        n = parse_node_over(st, PARSE_NOT, n);
        if (n != PARSE_NONE)
            st->nodes[n].atom.start = a.start - 1;
    }
    return n;
}

/* A unary part: NOT x, -x, -( ... ), ( ... ) or an atom; PARSE_NONE when
 * there is none before the next ')' or the end.  Lone operators, atoms
 * with nothing searchable are skipped, and so are parentheses and NOTs
 * deeper than PARSE_MAX_DEPTH, noted in st->too_deep (a loop: a long run
 * of them must not recurse). */
static int
parse_unary(parse_state *st, unsigned depth)
{
    const char *t = st->text;

    while (!st->is_nomem && parse_skip_space(st) && t[st->pos] != ')') {
        size_t at = st->pos;
        int n;

        if (parse_at_operator(st, "NOT") ||
            (t[at] == '-' && at + 1 < st->len && t[at + 1] == '(')) {
            st->pos += t[at] == '-' ? 1 : 3;
            if (depth >= PARSE_MAX_DEPTH) {
                st->too_deep = st->too_deep ? st->too_deep : at + 1;
                continue; /* an error (parse_tree); parsing goes on */
            }
            n = parse_unary(st, depth + 1);
            if (n == PARSE_NONE)
                return PARSE_NONE;              /* NOT at the end: dropped */
            if (st->nodes[n].kind == PARSE_NOT) /* NOT NOT x is x */
                return st->nodes[n].kid;
            n = parse_node_over(st, PARSE_NOT, n);
            if (n != PARSE_NONE)
                st->nodes[n].atom.start = at;
            return n;
        }
        if (t[at] == '(') {
            st->pos++;
            if (depth >= PARSE_MAX_DEPTH) {
                st->too_deep = st->too_deep ? st->too_deep : at + 1;
                continue;
            }
            n = parse_seq(st, depth + 1, true);
            if (n != PARSE_NONE) {
                st->nodes[n].atom.start = at;
                return n;
            }
            continue; /* () */
        }
        if (parse_at_operator(st, "OR") || parse_at_operator(st, "AND")) {
            st->pos += t[at] == 'O' ? 2 : 3; /* misplaced: dropped */
            continue;
        }
        n = parse_atom_node(st);
        if (n != PARSE_NONE)
            return n;
    }
    return PARSE_NONE;
}

/* unary (OR unary)* */
static int
parse_alternatives(parse_state *st, unsigned depth)
{
    int first = parse_unary(st, depth), last = first, n = 1;

    while (first != PARSE_NONE && parse_skip_space(st) &&
           parse_at_operator(st, "OR")) {
        int k;

        st->pos += 2;
        k = parse_unary(st, depth);
        if (k == PARSE_NONE)
            break; /* OR at the end or before ')': dropped */
        st->nodes[last].next = k;
        last = k;
        n++;
    }
    return n == 1 ? first : parse_node_over(st, PARSE_OR, first);
}

/* A sequence of parts up to the end, or with `is_closed` up to its ')';
 * an unmatched ')' is skipped.  An AND node, or PARSE_NONE when empty. */
static int
parse_seq(parse_state *st, unsigned depth, bool is_closed)
{
    int first = PARSE_NONE, last = PARSE_NONE;

    while (!st->is_nomem && parse_skip_space(st)) {
        int k;

        if (st->text[st->pos] == ')') {
            st->pos++;
            if (is_closed)
                break;
            continue;
        }
        if (parse_at_operator(st, "AND")) {
            st->pos += 3;
            continue;
        }
        k = parse_alternatives(st, depth);
        if (k == PARSE_NONE)
            continue;
        if (first == PARSE_NONE)
            first = k;
        else
            st->nodes[last].next = k;
        last = k;
    }
    return first == PARSE_NONE ? PARSE_NONE
                               : parse_node_over(st, PARSE_AND, first);
}

/**************************************************************************
** From the tree to the expressions
**
** A query of the shape the engine runs (an AND of parts, each a term, an
** OR of terms, an exclusion of a term or of an OR of terms, or a filter)
** is written as before: `match`, `exclude` and the filters.  Any other
** (an AND inside an OR, a NOT of an AND, ...) is written as one FTS5
** expression with its own AND, OR, NOT and parentheses (is_general: the
** query runs in SQL); only its top-level exclusions go to `exclude`.
** Filters belong to the whole query: under OR or NOT of a group they are
** an error.
*/

/* Is `a` a filter (a known field that is not a column)? */
static bool
parse_is_filter(const parse_atom *a)
{
    size_t i;

    for (i = 0; a->name != NULL && i < PARSE_N(parse_filters); i++) {
        if (parse_name_is(a, parse_filters[i].name))
            return true;
    }
    return false;
}

/* Is node `n` a text atom (a word or phrase, perhaps in a column)? */
static bool
parse_is_text(const parse_state *st, int n)
{
    const parse_atom *a = &st->nodes[n].atom;

    if (st->nodes[n].kind != PARSE_ATOM)
        return false;
    if (a->name == NULL)
        return true;
    return parse_name_is(a, "title") || parse_name_is(a, "excerpt") ||
           parse_name_is(a, "body");
}

/* Does `n` (after flattening nested ORs) hold text atoms only? */
static bool
parse_is_text_or(const parse_state *st, int n)
{
    int k;

    if (parse_is_text(st, n))
        return true;
    if (st->nodes[n].kind != PARSE_OR)
        return false;
    for (k = st->nodes[n].kid; k != PARSE_NONE; k = st->nodes[k].next) {
        if (!parse_is_text_or(st, k))
            return false;
    }
    return true;
}

/* Call `fn` on each part of AND node `n`, nested ANDs (groups in
 * parentheses) flattened; stops at the first status that is not OK. */
static int
parse_each_part(parse_state *st, int n,
                int (*fn)(parse_state *st, int part, void *ctx), void *ctx)
{
    int k, rc = NEWSIDX_OK;

    for (k = st->nodes[n].kid; k != PARSE_NONE && rc == NEWSIDX_OK;
         k = st->nodes[k].next) {
        if (st->nodes[k].kind == PARSE_AND)
            rc = parse_each_part(st, k, fn, ctx);
        else
            rc = fn(st, k, ctx);
    }
    return rc;
}

/* parse_each_part callback: clear *(bool *)ctx for a part the engine's
 * shape does not have. */
static int
parse_part_is_flat(parse_state *st, int n, void *ctx)
{
    const parse_node *p = &st->nodes[n];
    int kid = p->kid;

    if (p->kind == PARSE_NOT && st->nodes[kid].kind == PARSE_AND &&
        st->nodes[st->nodes[kid].kid].next == PARSE_NONE)
        kid = st->nodes[kid].kid; /* NOT (x) */
    if (p->kind == PARSE_ATOM ||
        (p->kind == PARSE_OR && parse_is_text_or(st, n)))
        return NEWSIDX_OK;
    if (p->kind == PARSE_NOT &&
        (st->nodes[kid].kind == PARSE_ATOM || parse_is_text_or(st, kid)))
        return NEWSIDX_OK;
    *(bool *)ctx = false;
    return NEWSIDX_OK;
}

/* An error at atom or operator `n`. */
static int
parse_fail_at(parse_state *st, int n, const char *msg)
{
    return nx_fail_at(st->err, NEWSIDX_PARSE, 1,
                      parse_column(st->text, st->nodes[n].atom.start), "%s",
                      msg);
}

static int parse_flat_alternatives(parse_state *st, int n, bool is_negated);

/* parse_each_part callback: write one part of a query of the engine's
 * shape, through the functions that always wrote queries. */
static int
parse_flat_part(parse_state *st, int n, void *ctx)
{
    const parse_node *p = &st->nodes[n];
    parse_atom a;

    (void)ctx;
    st->is_or_pending = st->is_after_term = false;
    if (p->kind == PARSE_OR)
        return parse_flat_alternatives(st, n, false);
    if (p->kind == PARSE_NOT && st->nodes[p->kid].kind != PARSE_ATOM)
        return parse_flat_alternatives(st, p->kid, true);
    a = p->kind == PARSE_NOT ? st->nodes[p->kid].atom : p->atom;
    a.is_negated = p->kind == PARSE_NOT;
    return a.name != NULL ? parse_field(st, &a)
                          : parse_add_text(st, &a, NULL, -1);
}

/* The text atoms under `n` (an OR, perhaps nested, or a group of one) as
 * the alternatives of one group, or (negated) as exclusions. */
static int
parse_flat_alternatives(parse_state *st, int n, bool is_negated)
{
    const parse_node *p = &st->nodes[n];
    int k, rc = NEWSIDX_OK;

    if (p->kind == PARSE_ATOM) {
        parse_atom a = p->atom;

        a.is_negated = is_negated;
        if (!is_negated && st->is_after_term)
            st->is_or_pending = true;
        st->is_after_term = st->is_after_term && !is_negated;
        if (a.name == NULL)
            return parse_add_text(st, &a, NULL, -1);
        return parse_field(st, &a);
    }
    for (k = p->kid; k != PARSE_NONE && rc == NEWSIDX_OK; k = st->nodes[k].next)
        rc = parse_flat_alternatives(st, k, is_negated);
    return rc;
}

static int parse_general(parse_state *st, int n, nx_buf *out);

/* Text atom `a` as an FTS5 string into `out`, and as a term (an excluded
 * one under a NOT); nothing when it has no word character. */
static int
parse_general_atom(parse_state *st, const parse_atom *a, nx_buf *out)
{
    size_t len = a->value_len - (a->is_quoted ? 0 : a->n_stars), i;
    const char *col = NULL;
    int column = -1;

    for (i = 0; a->name != NULL && i < PARSE_N(parse_columns); i++) {
        if (parse_name_is(a, parse_columns[i])) {
            col = parse_columns[i];
            column = (int)i;
        }
    }
    int n_forms, rc;

    if (!parse_words(st, a->value, len))
        return NEWSIDX_NOMEM;
    if (st->words.len == 0)
        return NEWSIDX_OK;
    if ((n_forms = parse_forms(st, a, a->n_stars > 0)) < 0)
        return NEWSIDX_NOMEM;
    nx_buf_puts(out, n_forms > 0 ? "(" : "");
    parse_put_string(out, col, st->words.data, st->words.len, a->n_stars > 0);
    rc = parse_add_term(st, st->in_not > 0, a->n_stars > 0, column);
    if (rc == NEWSIDX_OK)
        rc = parse_put_forms(st, out, col, column, st->in_not > 0, n_forms);
    nx_buf_puts(out, n_forms > 0 ? ")" : "");
    return rc;
}

/* The FTS5 expression of part `n` (not a NOT) into `out`, parenthesized
 * when it is compound; empty when nothing of it is searchable. */
static int
parse_general_part(parse_state *st, int n, nx_buf *out)
{
    nx_buf inner = NX_BUF_INIT;
    int rc = parse_general(st, n, &inner);

    if (rc == NEWSIDX_OK && inner.len > 0) {
        bool is_compound = st->nodes[n].kind != PARSE_ATOM;

        nx_buf_puts(out, is_compound ? "(" : "");
        nx_buf_put(out, inner.data, inner.len);
        nx_buf_puts(out, is_compound ? ")" : "");
    }
    if (nx_buf_oom(&inner))
        rc = NEWSIDX_NOMEM;
    nx_buf_free(&inner);
    return rc;
}

/* Join the parts of AND node `n` (`want` = NOT parts or the others) with
 * `sep` into `out`; NOT parts contribute their operand. */
static int
parse_general_join(parse_state *st, int n, bool want_not, const char *sep,
                   nx_buf *out)
{
    int k, rc = NEWSIDX_OK;

    for (k = st->nodes[n].kid; k != PARSE_NONE && rc == NEWSIDX_OK;
         k = st->nodes[k].next) {
        bool is_not = st->nodes[k].kind == PARSE_NOT;
        size_t at = out->len;

        if (is_not != want_not)
            continue;
        if (out->len > 0)
            nx_buf_puts(out, sep);
        rc = parse_general_part(st, is_not ? st->nodes[k].kid : k, out);
        if (out->len == at + strlen(sep) && at > 0)
            out->len = at; /* nothing searchable: no separator either */
        if (out->data != NULL)
            out->data[out->len] = '\0';
    }
    return rc;
}

/* The FTS5 expression of node `n` (a text atom, an AND or an OR below the
 * top) into `out`. */
static int
parse_general(parse_state *st, int n, nx_buf *out)
{
    const parse_node *p = &st->nodes[n];
    nx_buf neg = NX_BUF_INIT;
    int k, rc = NEWSIDX_OK;

    if (p->kind == PARSE_ATOM) {
        if (parse_is_text(st, n))
            return parse_general_atom(st, &p->atom, out);
        if (!parse_is_filter(&p->atom))
            return parse_unknown_field(st, &p->atom);
        return parse_fail_at(st, n,
                             "a filter applies to the whole query: it"
                             " cannot be an alternative of OR or"
                             " excluded with others in parentheses");
    }
    if (p->kind == PARSE_OR) {
        for (k = p->kid; k != PARSE_NONE && rc == NEWSIDX_OK;
             k = st->nodes[k].next) {
            if (st->nodes[k].kind == PARSE_NOT)
                return parse_fail_at(st, k,
                                     "an exclusion cannot be a side of"
                                     " OR: it only narrows what the"
                                     " rest of the query finds");
            if (out->len > 0)
                nx_buf_puts(out, " OR ");
            rc = parse_general_part(st, k, out);
        }
        return rc;
    }
    /* AND: (the positive parts) NOT (the excluded ones ORed) */
    rc = parse_general_join(st, n, false, " AND ", out);
    st->in_not++;
    if (rc == NEWSIDX_OK)
        rc = parse_general_join(st, n, true, " OR ", &neg);
    st->in_not--;
    if (rc == NEWSIDX_OK && neg.len > 0 && out->len == 0) {
        for (k = p->kid; st->nodes[k].kind != PARSE_NOT; k = st->nodes[k].next)
            ;
        rc = parse_fail_at(st, k,
                           "NOT needs something to exclude from in"
                           " its group, e.g. (a NOT b)");
    }
    if (rc == NEWSIDX_OK && neg.len > 0) {
        nx_buf wrapped = NX_BUF_INIT;

        nx_buf_printf(&wrapped, "(%s) NOT (%s)", out->data, neg.data);
        nx_buf_clear(out);
        nx_buf_put(out, wrapped.data, wrapped.len);
        nx_buf_free(&wrapped);
    }
    nx_buf_free(&neg);
    return rc;
}

/* parse_each_part callback of a query in general form: filters (and
 * excluded ones) as ever; every other part into st->match (ANDed) or,
 * under a NOT, into st->exclude (ORed). */
static int
parse_general_top(parse_state *st, int n, void *ctx)
{
    const parse_node *p = &st->nodes[n];
    bool is_not = p->kind == PARSE_NOT;
    int kid = is_not ? p->kid : n, rc;
    nx_buf *out = is_not ? &st->exclude : &st->match;
    const char *sep = is_not ? " OR " : " AND ";
    size_t at = out->len;

    (void)ctx;
    if (st->nodes[kid].kind == PARSE_ATOM && !parse_is_text(st, kid)) {
        parse_atom a = st->nodes[kid].atom;

        a.is_negated = is_not;
        return parse_field(st, &a);
    }
    if (out->len > 0)
        nx_buf_puts(out, sep);
    st->in_not += is_not;
    st->is_to_exclude = is_not;
    rc = parse_general_part(st, kid, out);
    st->is_to_exclude = false;
    st->in_not -= is_not;
    if (at > 0 && out->len == at + strlen(sep)) {
        out->len = at; /* nothing searchable in it */
        out->data[at] = '\0';
    }
    return rc;
}

/* Does `s` (n bytes) start with `prefix`, in any case? */
static bool
parse_starts_with(const char *s, size_t n, const char *prefix)
{
    size_t i, k = strlen(prefix);

    for (i = 0; i < k; i++) {
        if (i >= n || (s[i] | 0x20) != prefix[i])
            return false;
    }
    return true;
}

/* Is atom `a` an address as people paste one (http://, https://, www.)?
 * A query that is only that means `url:` it. */
static bool
parse_is_bare_url(const parse_atom *a)
{
    const char *v = a->value;
    size_t n = a->value_len;

    if (a->name != NULL || a->is_quoted)
        return false;
    if (parse_starts_with(v, n, "http://") ||
        parse_starts_with(v, n, "https://"))
        return true;
    return parse_starts_with(v, n, "www.") && n > 4 &&
           memchr(v + 4, '.', n - 4) != NULL;
}

/* Read the whole query into its tree and write it out. */
static int
parse_tree(parse_state *st)
{
    int root = parse_seq(st, 0, false), kid;
    bool is_flat = true;

    if (st->is_nomem)
        return NEWSIDX_NOMEM;
    if (st->too_deep > 0)
        return nx_fail_at(
            st->err, NEWSIDX_PARSE, 1, parse_column(st->text, st->too_deep - 1),
            "parentheses and NOTs nested more than %d deep", PARSE_MAX_DEPTH);
    if (root == PARSE_NONE)
        return NEWSIDX_OK;
    kid = st->nodes[root].kid;
    if (st->nodes[kid].next == PARSE_NONE &&
        st->nodes[kid].kind == PARSE_ATOM &&
        parse_is_bare_url(&st->nodes[kid].atom)) {
        parse_atom a = st->nodes[kid].atom;

        a.name = "url";
        a.name_len = 3;
        return parse_filter_url(st, &a);
    }
    parse_each_part(st, root, parse_part_is_flat, &is_flat);
    if (is_flat)
        return parse_each_part(st, root, parse_flat_part, NULL);
    st->q->is_general = true;
    return parse_each_part(st, root, parse_general_top, NULL);
}

/* Has an append to one of the output buffers failed? */
static bool
parse_is_oom(const parse_state *st)
{
    return nx_buf_oom(&st->match) || nx_buf_oom(&st->group) ||
           nx_buf_oom(&st->exclude) || nx_buf_oom(&st->norm) ||
           nx_buf_oom(&st->words) || nx_buf_oom(&st->forms) || st->is_nomem;
}

/* Move the two expressions into st->q; false on out-of-memory. */
static bool
parse_finish(parse_state *st)
{
    parse_close_group(st, false);
    st->q->n_groups = st->n_groups;
    nx_buf_put(&st->match, "", 0);
    nx_buf_put(&st->exclude, "", 0);
    if (parse_is_oom(st))
        return false;
    st->q->match = nx_buf_detach(&st->match);
    st->q->exclude = nx_buf_detach(&st->exclude);
    return true;
}

int
nx_query_parse(nx_parsed **out, const char *text, size_t len,
               newsidx_error *err)
{
    return nx_query_parse_with(out, text, len, NULL, err);
}

int
nx_query_parse_with(nx_parsed **out, const char *text, size_t len,
                    const nx_expander *x, newsidx_error *err)
{
    parse_state st = {0};
    int rc = NEWSIDX_OK;

    assert(out != NULL);
    assert(text != NULL || len == 0);
    *out = NULL;
    st.text = text != NULL ? text : "";
    st.len = len;
    st.err = err;
    st.x = x;
    st.q = nx_calloc(1, sizeof(*st.q));
    if (st.q == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = parse_tree(&st);
    if (rc == NEWSIDX_OK && parse_is_oom(&st))
        rc = NEWSIDX_NOMEM;
    if (rc == NEWSIDX_OK && !parse_finish(&st))
        rc = NEWSIDX_NOMEM;
    nx_buf_free(&st.match);
    nx_buf_free(&st.group);
    nx_buf_free(&st.exclude);
    nx_buf_free(&st.norm);
    nx_buf_free(&st.words);
    nx_buf_free(&st.forms);
    nx_free(st.nodes);
    if (rc != NEWSIDX_OK) {
        nx_parsed_free(st.q);
        if (rc == NEWSIDX_NOMEM)
            nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        return rc;
    }
    *out = st.q;
    return NEWSIDX_OK;
}

void
nx_parsed_free(nx_parsed *q)
{
    size_t i;

    if (q == NULL)
        return;
    for (i = 0; i < q->n_terms; i++)
        nx_free(q->terms[i].text);
    for (i = 0; i < q->n_excluded; i++)
        nx_free(q->excluded[i].text);
    nx_free(q->excluded);
    for (i = 0; i < q->n_filters; i++) {
        nx_free(q->filters[i].text);
        nx_free(q->filters[i].raw);
    }
    nx_free(q->terms);
    nx_free(q->filters);
    nx_free(q->match);
    nx_free(q->exclude);
    nx_free(q);
}

/**************************************************************************
** Dates
*/

/* Read "-N" or "-NN" at `*i` into `*v`; false when absent or malformed. */
static bool
parse_date_part(const char *s, size_t len, size_t *i, int64_t *v)
{
    size_t n = 0;

    if (*i >= len || s[*i] != '-')
        return false;
    while (*i + 1 + n < len && n < 3 && s[*i + 1 + n] >= '0' &&
           s[*i + 1 + n] <= '9')
        n++;
    if (n == 0 || n > 2 || !parse_uint(s + *i + 1, n, v))
        return false;
    *i += 1 + n;
    return true;
}

/* A period YYYY, YYYY-MM or YYYY-MM-DD: its first and last second. */
static bool
parse_date_period(const char *s, size_t len, int64_t *first, int64_t *last)
{
    int64_t y, m = 1, d = 1, days_after;
    size_t i = 4;

    if (len < 4 || !parse_uint(s, 4, &y))
        return false;
    if (i == len) {
        days_after = nx_days_from_civil(y + 1, 1, 1);
    } else if (!parse_date_part(s, len, &i, &m) || m < 1 || m > 12) {
        return false;
    } else if (i == len) {
        days_after = nx_days_from_civil(y + m / 12, m % 12 + 1, 1);
    } else if (!parse_date_part(s, len, &i, &d) || i != len || d < 1 ||
               d > nx_days_in_month(y, m)) {
        return false;
    } else {
        days_after = nx_days_from_civil(y, m, d) + 1;
    }
    *first = nx_days_from_civil(y, m, d) * PARSE_SECONDS_PER_DAY;
    *last = days_after * PARSE_SECONDS_PER_DAY - 1;
    return true;
}

bool
nx_query_date_range(const char *s, size_t len, bool *has_lo, int64_t *lo,
                    bool *has_hi, int64_t *hi)
{
    size_t dots = parse_find_dots(s, len);
    int64_t unused;

    *has_lo = *has_hi = false;
    if (dots == len) {
        *has_lo = *has_hi = parse_date_period(s, len, lo, hi);
        return *has_lo;
    }
    if (dots == 0 && len == 2)
        return false;
    if (dots > 0 && !parse_date_period(s, dots, lo, &unused))
        return false;
    if (dots + 2 < len &&
        !parse_date_period(s + dots + 2, len - dots - 2, &unused, hi))
        return false;
    *has_lo = dots > 0;
    *has_hi = dots + 2 < len;
    return !(*has_lo && *has_hi && *lo > *hi);
}
