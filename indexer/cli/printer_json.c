/*
 * printer_json.c - the JSON printer: document mode (one value, indented by
 * two spaces) and stream mode (JSONL).
 *
 * Output is always valid UTF-8 JSON: every control character is escaped,
 * bytes that are not valid UTF-8 (file names may hold any bytes) become
 * U+FFFD, and NaN or infinite numbers print as null.
 *
 * Stream mode prints each element of the top-level map's "hits" list as a
 * line of its own and nothing else of the document.  A document without a
 * "hits" member (newsquery --count) is printed whole, on one line.  To
 * decide that, the parts outside the hits are kept in memory until the
 * outermost value ends.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "printer.h"

#define JSON_MAX_DEPTH 32

typedef struct json_frame {
    bool is_map;  /* a map, else a list */
    bool is_hits; /* the top-level "hits" list */
    size_t n;     /* members written so far */
} json_frame;

typedef struct json_printer {
    printer base;
    FILE *out;
    bool is_stream;
    bool is_oom;       /* the side buffer could not grow */
    bool is_after_key; /* the next value follows a map key */
    bool is_hits_key;  /* that key is "hits" in the outermost map */
    bool has_hits;     /* stream: the document had a "hits" list */
    bool is_in_hit;    /* stream: writing one hit to `out` */
    int hit_depth;     /* stream: depth at which that hit began */
    int depth;         /* open containers */
    json_frame stack[JSON_MAX_DEPTH];
    char *side; /* stream: what is not a hit, held back */
    size_t side_len, side_cap;
} json_printer;

/* Where the next bytes go: `out`, or the side buffer in stream mode. */
static void
json_write(json_printer *jp, const char *s, size_t len)
{
    if (!jp->is_stream || jp->is_in_hit) {
        fwrite(s, 1, len, jp->out);
        return;
    }
    if (jp->side_len + len + 1 > jp->side_cap) {
        size_t cap = jp->side_cap ? jp->side_cap * 2 : 256;
        char *grown;

        while (cap < jp->side_len + len + 1)
            cap *= 2;
        grown = realloc(jp->side, cap);
        if (grown == NULL) {
            jp->is_oom = true;
            return;
        }
        jp->side = grown;
        jp->side_cap = cap;
    }
    memcpy(jp->side + jp->side_len, s, len);
    jp->side_len += len;
}

static void
json_puts(json_printer *jp, const char *s)
{
    json_write(jp, s, strlen(s));
}

static void
json_newline(json_printer *jp, int depth)
{
    int i;

    json_write(jp, "\n", 1);
    for (i = 0; i < depth; i++)
        json_write(jp, "  ", 2);
}

/* Write what comes before a value or a key: a comma and, in document mode,
 * a new indented line.  In stream mode an element of the hits list starts
 * a line of its own on `out`. */
static void
json_before(json_printer *jp)
{
    json_frame *top;

    if (jp->is_after_key) {
        jp->is_after_key = false;
        return;
    }
    if (jp->depth == 0)
        return;
    top = &jp->stack[jp->depth - 1];
    if (jp->is_stream && top->is_hits) {
        top->n++;
        jp->is_in_hit = true;
        jp->hit_depth = jp->depth;
        return;
    }
    if (top->n++ > 0)
        json_write(jp, ",", 1);
    if (!jp->is_stream)
        json_newline(jp, jp->depth);
}

/* After a complete value: end a stream line, or the whole document. */
static void
json_after(json_printer *jp)
{
    if (jp->is_in_hit && jp->depth == jp->hit_depth) {
        json_write(jp, "\n", 1);
        jp->is_in_hit = false;
    }
    if (jp->depth > 0)
        return;
    if (!jp->is_stream) {
        json_write(jp, "\n", 1);
    } else if (!jp->has_hits && jp->side_len > 0) {
        fwrite(jp->side, 1, jp->side_len, jp->out);
        fputc('\n', jp->out);
    }
    jp->side_len = 0;
    jp->has_hits = false;
}

static void
json_begin(json_printer *jp, bool is_map)
{
    bool is_hits = jp->is_hits_key && !is_map && jp->depth == 1;

    json_before(jp);
    jp->is_hits_key = false;
    json_write(jp, is_map ? "{" : "[", 1);
    assert(jp->depth < JSON_MAX_DEPTH); /* emit.c nests five deep at most */
    jp->stack[jp->depth].is_map = is_map;
    jp->stack[jp->depth].is_hits = is_hits;
    jp->stack[jp->depth].n = 0;
    jp->depth++;
    if (is_hits)
        jp->has_hits = true;
}

static void
json_begin_map(printer *p)
{
    json_begin((json_printer *)p, true);
}

static void
json_begin_list(printer *p)
{
    json_begin((json_printer *)p, false);
}

static void
json_end(printer *p)
{
    json_printer *jp = (json_printer *)p;
    json_frame *top;

    assert(jp->depth > 0);
    top = &jp->stack[--jp->depth];
    if (top->n > 0 && !jp->is_stream)
        json_newline(jp, jp->depth);
    json_write(jp, top->is_map ? "}" : "]", 1);
    json_after(jp);
}

/* The length of the valid UTF-8 sequence at `s`, or 0 if it is not one
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t
json_utf8_len(const unsigned char *s)
{
    size_t n, i;
    uint32_t c;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, c = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return n;
}

/* Write `s` as a JSON string literal. */
static void
json_quote(json_printer *jp, const char *s)
{
    const unsigned char *u = (const unsigned char *)s, *run = u;
    char esc[8];

    json_write(jp, "\"", 1);
    /* Characters that need no escape go out in runs, one write a run (a
     * write a character was most of a query's output time). */
    while (*u != '\0') {
        size_t n = json_utf8_len(u);

        if (n > 0 && *u != '"' && *u != '\\' && *u >= 0x20 && *u != 0x7f) {
            u += n;
            continue;
        }
        json_write(jp, (const char *)run, (size_t)(u - run));
        if (n == 0) {
            json_write(jp, "\\ufffd", 6);
            u++;
        } else if (*u == '"' || *u == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*u++;
            json_write(jp, esc, 2);
        } else if (*u < 0x20 || *u == 0x7f) {
            const char *named = *u == '\n'   ? "\\n"
                                : *u == '\t' ? "\\t"
                                : *u == '\r' ? "\\r"
                                : *u == '\b' ? "\\b"
                                : *u == '\f' ? "\\f"
                                             : NULL;

            if (named != NULL) {
                json_puts(jp, named);
            } else {
                snprintf(esc, sizeof(esc), "\\u%04x", *u);
                json_puts(jp, esc);
            }
            u++;
        }
        run = u;
    }
    json_write(jp, (const char *)run, (size_t)(u - run));
    json_write(jp, "\"", 1);
}

static void
json_map_key(printer *p, const char *key)
{
    json_printer *jp = (json_printer *)p;

    json_before(jp);
    json_quote(jp, key);
    json_write(jp, jp->is_stream ? ":" : ": ", jp->is_stream ? 1 : 2);
    jp->is_after_key = true;
    jp->is_hits_key = jp->depth == 1 && strcmp(key, "hits") == 0;
}

/* Write a scalar's literal text, with what comes before and after. */
static void
json_scalar(json_printer *jp, const char *literal)
{
    json_before(jp);
    jp->is_hits_key = false;
    json_puts(jp, literal);
    json_after(jp);
}

static void
json_string(printer *p, const char *s)
{
    json_printer *jp = (json_printer *)p;

    if (s == NULL) {
        json_scalar(jp, "null");
        return;
    }
    json_before(jp);
    jp->is_hits_key = false;
    json_quote(jp, s);
    json_after(jp);
}

static void
json_integer(printer *p, int64_t n)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", (long long)n);
    json_scalar((json_printer *)p, buf);
}

/* The shortest of %.15g, %.16g and %.17g that reads back as `d`. */
static void
json_real(printer *p, double d)
{
    char buf[40];
    int prec;

    if (!isfinite(d)) {
        json_scalar((json_printer *)p, "null");
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    json_scalar((json_printer *)p, buf);
}

static void
json_boolean(printer *p, bool b)
{
    json_scalar((json_printer *)p, b ? "true" : "false");
}

static void
json_null(printer *p)
{
    json_scalar((json_printer *)p, "null");
}

static int
json_finish(printer *p)
{
    json_printer *jp = (json_printer *)p;

    if (fflush(jp->out) != 0 || ferror(jp->out) || jp->is_oom)
        return -1;
    return 0;
}

static void
json_free(printer *p)
{
    json_printer *jp = (json_printer *)p;

    free(jp->side);
    free(jp);
}

printer *
printer_json_new(FILE *out, bool is_stream)
{
    json_printer *jp = calloc(1, sizeof(*jp));

    if (jp == NULL)
        return NULL;
    jp->base.begin_map = json_begin_map;
    jp->base.begin_list = json_begin_list;
    jp->base.end = json_end;
    jp->base.map_key = json_map_key;
    jp->base.string = json_string;
    jp->base.integer = json_integer;
    jp->base.real = json_real;
    jp->base.boolean = json_boolean;
    jp->base.null = json_null;
    jp->base.finish = json_finish;
    jp->base.free = json_free;
    jp->base.mark_open = "<mark>";
    jp->base.mark_close = "</mark>";
    jp->out = out;
    jp->is_stream = is_stream;
    return &jp->base;
}
