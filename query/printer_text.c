/*
 * printer_text.c - the human-readable printer.
 *
 * Text needs the whole picture before it can start (the header says how
 * many hits the page shows), so this printer builds the document in memory
 * and renders it when the outermost value ends:
 *
 *   23 matches, showing 1-10
 *
 *    1. Title
 *       Provider · 2023-11-28 · quality 88 · heat 120 · score 3.21
 *       ... text around the [matched] terms ...
 *       https://example.com/story
 *       ↳ Related title — Provider, 2023-11-29 (#12)
 *
 *   topic: AI (12), Machine Learning (5)
 *   Did you mean: zuckerberg (12)?
 *
 * A document without "hits" (--count) prints its total alone.  Control
 * characters in the data never reach the terminal; the snippet markers
 * (STX and ETX, asked for through mark_open/mark_close) become bold inverse
 * with colour, else "[" and "]".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "printer.h"

#define TEXT_MARK_OPEN  "\x02"
#define TEXT_MARK_CLOSE "\x03"

#define ANSI_BOLD  "\033[1m"
#define ANSI_MARK  "\033[1;7m"
#define ANSI_RESET "\033[0m"

typedef enum text_kind {
    TEXT_MAP,
    TEXT_LIST,
    TEXT_STRING,
    TEXT_INTEGER,
    TEXT_REAL,
    TEXT_BOOLEAN,
    TEXT_NULL
} text_kind;

/* A node of the document tree. */
typedef struct text_node {
    text_kind kind;
    char *key;       /* its key in the parent map, or NULL */
    char *str;       /* TEXT_STRING */
    int64_t integer; /* TEXT_INTEGER, TEXT_BOOLEAN */
    double real;     /* TEXT_REAL */
    struct text_node *parent;
    struct text_node *first; /* children of a map or list */
    struct text_node *last;
    struct text_node *next; /* the next sibling */
} text_node;

typedef struct text_printer {
    printer base;
    FILE *out;
    bool is_color;
    bool is_oom;
    text_node *root; /* the document being built */
    text_node *cur;  /* the open map or list */
    char *key;       /* the pending map key */
} text_printer;

/* ------------------------------------------------------------------ */
/* Building the tree                                                   */

static void
text_node_free(text_node *n)
{
    while (n != NULL) {
        text_node *next = n->next;

        text_node_free(n->first);
        free(n->key);
        free(n->str);
        free(n);
        n = next;
    }
}

static char *
text_strdup(text_printer *tp, const char *s)
{
    char *copy = strdup(s);

    if (copy == NULL)
        tp->is_oom = true;
    return copy;
}

static void text_render(text_printer *tp, const text_node *root);

/* Append a node to the open container (or make it the root). */
static text_node *
text_add(text_printer *tp, text_kind kind)
{
    text_node *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        tp->is_oom = true;
        return NULL;
    }
    n->kind = kind;
    n->key = tp->key;
    tp->key = NULL;
    n->parent = tp->cur;
    if (tp->cur == NULL) {
        text_node_free(tp->root);
        tp->root = n;
    } else if (tp->cur->last == NULL) {
        tp->cur->first = tp->cur->last = n;
    } else {
        tp->cur->last->next = n;
        tp->cur->last = n;
    }
    return n;
}

/* A complete value was added: render the document once it is whole. */
static void
text_after(text_printer *tp)
{
    if (tp->cur != NULL || tp->root == NULL)
        return;
    if (!tp->is_oom)
        text_render(tp, tp->root);
    text_node_free(tp->root);
    tp->root = NULL;
}

static void
text_begin(text_printer *tp, text_kind kind)
{
    text_node *n = text_add(tp, kind);

    if (n != NULL)
        tp->cur = n;
}

static void
text_begin_map(printer *p)
{
    text_begin((text_printer *)p, TEXT_MAP);
}

static void
text_begin_list(printer *p)
{
    text_begin((text_printer *)p, TEXT_LIST);
}

static void
text_end(printer *p)
{
    text_printer *tp = (text_printer *)p;

    if (tp->cur != NULL)
        tp->cur = tp->cur->parent;
    text_after(tp);
}

static void
text_map_key(printer *p, const char *key)
{
    text_printer *tp = (text_printer *)p;

    free(tp->key);
    tp->key = text_strdup(tp, key);
}

static void
text_string(printer *p, const char *s)
{
    text_printer *tp = (text_printer *)p;
    text_node *n = text_add(tp, s != NULL ? TEXT_STRING : TEXT_NULL);

    if (n != NULL && s != NULL)
        n->str = text_strdup(tp, s);
    text_after(tp);
}

static void
text_integer(printer *p, int64_t v)
{
    text_printer *tp = (text_printer *)p;
    text_node *n = text_add(tp, TEXT_INTEGER);

    if (n != NULL)
        n->integer = v;
    text_after(tp);
}

static void
text_real(printer *p, double d)
{
    text_printer *tp = (text_printer *)p;
    text_node *n = text_add(tp, TEXT_REAL);

    if (n != NULL)
        n->real = d;
    text_after(tp);
}

static void
text_boolean(printer *p, bool b)
{
    text_printer *tp = (text_printer *)p;
    text_node *n = text_add(tp, TEXT_BOOLEAN);

    if (n != NULL)
        n->integer = b;
    text_after(tp);
}

static void
text_null(printer *p)
{
    text_add((text_printer *)p, TEXT_NULL);
    text_after((text_printer *)p);
}

/* ------------------------------------------------------------------ */
/* Reading the tree                                                    */

static const text_node *
text_get(const text_node *map, const char *key)
{
    const text_node *n;

    if (map == NULL || map->kind != TEXT_MAP)
        return NULL;
    for (n = map->first; n != NULL; n = n->next)
        if (n->key != NULL && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

/* A string member, or NULL when missing, null or empty. */
static const char *
text_str(const text_node *map, const char *key)
{
    const text_node *n = text_get(map, key);

    if (n == NULL || n->kind != TEXT_STRING || n->str == NULL ||
        n->str[0] == '\0')
        return NULL;
    return n->str;
}

static bool
text_int(const text_node *map, const char *key, int64_t *out)
{
    const text_node *n = text_get(map, key);

    if (n == NULL || n->kind != TEXT_INTEGER)
        return false;
    *out = n->integer;
    return true;
}

static double
text_real_of(const text_node *map, const char *key)
{
    const text_node *n = text_get(map, key);

    if (n == NULL)
        return 0;
    return n->kind == TEXT_REAL ? n->real : (double)n->integer;
}

static size_t
text_count(const text_node *list)
{
    const text_node *n;
    size_t count = 0;

    for (n = list != NULL ? list->first : NULL; n != NULL; n = n->next)
        count++;
    return count;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

/* Write `s` with control characters (C0, DEL, C1) turned into single
 * spaces; with `is_marked`, STX and ETX are the snippet markers. */
static void
text_put(text_printer *tp, const char *s, bool is_marked)
{
    const unsigned char *u = (const unsigned char *)s;
    bool was_space = false;

    for (; *u != '\0'; u++) {
        if (is_marked && (*u == 0x02 || *u == 0x03)) {
            if (tp->is_color)
                fputs(*u == 0x02 ? ANSI_MARK : ANSI_RESET, tp->out);
            else
                fputc(*u == 0x02 ? '[' : ']', tp->out);
            was_space = false;
            continue;
        }
        if (*u < 0x20 || *u == 0x7f ||
            (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)) {
            if (*u == 0xc2)
                u++;
            if (!was_space)
                fputc(' ', tp->out);
            was_space = true;
            continue;
        }
        if (*u == ' ' && was_space)
            continue; /* after a control character made a space */
        was_space = *u == ' ';
        fputc(*u, tp->out);
    }
}

/* Write "YYYY-MM-DD" from an ISO 8601 time member; false if none. */
static bool
text_put_date(text_printer *tp, const text_node *map, const char *sep)
{
    const char *t = text_str(map, "published_at");

    if (t == NULL || strlen(t) < 10)
        return false;
    fprintf(tp->out, "%s%.10s", sep, t);
    return true;
}

/* "Provider, 2023-11-29" for a provider map and a time. */
static void
text_put_source(text_printer *tp, const text_node *item, const char *sep)
{
    const text_node *prov = text_get(item, "provider");
    const char *name = text_str(prov, "name");
    const char *what = name != NULL ? name : text_str(prov, "domain");

    if (what != NULL)
        text_put(tp, what, false);
    text_put_date(tp, item, what != NULL ? sep : "");
}

static void
text_render_related(text_printer *tp, const text_node *rel)
{
    const char *title = text_str(rel, "title");
    int64_t id;

    fputs("     \xe2\x86\xb3 ", tp->out); /* U+21B3 */
    if (title == NULL)
        title = text_str(rel, "url");
    text_put(tp, title != NULL ? title : "(untitled)", false);
    if (text_str(text_get(rel, "provider"), "name") != NULL ||
        text_str(text_get(rel, "provider"), "domain") != NULL ||
        text_str(rel, "published_at") != NULL) {
        fputs(" \xe2\x80\x94 ", tp->out); /* em dash */
        text_put_source(tp, rel, ", ");
    }
    if (text_int(rel, "id", &id))
        fprintf(tp->out, " (#%" PRId64 ")", id);
    fputc('\n', tp->out);
}

/* The line under the title: provider, date, quality, heat, score. */
static void
text_render_meta(text_printer *tp, const text_node *hit)
{
    const char *s;
    int64_t v;

    fputs("     ", tp->out);
    text_put_source(tp, hit, " \xc2\xb7 ");
    if (text_str(text_get(hit, "provider"), "name") != NULL ||
        text_str(text_get(hit, "provider"), "domain") != NULL ||
        text_str(hit, "published_at") != NULL)
        fputs(" \xc2\xb7 ", tp->out);
    if (text_int(hit, "quality", &v))
        fprintf(tp->out, "quality %" PRId64 " \xc2\xb7 ", v);
    if (text_int(hit, "heat", &v))
        fprintf(tp->out, "heat %" PRId64 " \xc2\xb7 ", v);
    fprintf(tp->out, "score %.3f", text_real_of(hit, "score"));
    if (text_int(hit, "collapsed", &v) && v > 1)
        fprintf(tp->out, " \xc2\xb7 %" PRId64 " similar stories", v);
    fprintf(tp->out, " \xc2\xb7 #%" PRId64, text_int(hit, "id", &v) ? v : 0);
    if ((s = text_str(hit, "db")) != NULL) { /* several files: whose id */
        fputs(" in ", tp->out);
        text_put(tp, s, false);
    }
    fputc('\n', tp->out);
}

static void
text_render_hit(text_printer *tp, const text_node *hit, uint64_t rank)
{
    const text_node *explain = text_get(hit, "explain");
    const text_node *rel;
    const char *s;

    fprintf(tp->out, "%3" PRIu64 ". ", rank);
    if (tp->is_color)
        fputs(ANSI_BOLD, tp->out);
    s = text_str(hit, "title");
    text_put(tp, s != NULL ? s : "(untitled)", false);
    if (tp->is_color)
        fputs(ANSI_RESET, tp->out);
    fputc('\n', tp->out);
    text_render_meta(tp, hit);
    if ((s = text_str(hit, "snippet")) != NULL ||
        (s = text_str(hit, "excerpt")) != NULL) {
        fputs("     ", tp->out);
        text_put(tp, s, true);
        if (tp->is_color)
            fputs(ANSI_RESET, tp->out); /* a marker cut off by the end */
        fputc('\n', tp->out);
    }
    if ((s = text_str(hit, "url")) != NULL) {
        fputs("     ", tp->out);
        text_put(tp, s, false);
        fputc('\n', tp->out);
    }
    rel = text_get(hit, "related");
    for (rel = rel != NULL ? rel->first : NULL; rel != NULL; rel = rel->next)
        text_render_related(tp, rel);
    if (explain != NULL) {
        fprintf(tp->out, "     explain: bm25 %.4f x prior %.4f x fresh %.4f",
                text_real_of(explain, "bm25"), text_real_of(explain, "prior"),
                text_real_of(explain, "fresh"));
        if ((s = text_str(explain, "now")) != NULL) {
            fputs(" (now ", tp->out); /* freshness's reference */
            text_put(tp, s, false);
            fputc(')', tp->out);
        }
        fprintf(tp->out, " = %.4f\n", text_real_of(hit, "score"));
        if ((s = text_str(hit, "path")) != NULL) {
            fputs("     path: ", tp->out);
            text_put(tp, s, false);
            fputc('\n', tp->out);
        }
    }
}

/* "topic: AI (12), Machine Learning (5)" for each facet kind, and "and 3
 * more" for the values left out (from `left_out`, by kind). */
static void
text_render_facets(text_printer *tp, const text_node *facets,
                   const text_node *left_out)
{
    const text_node *kind, *v;

    for (kind = facets != NULL ? facets->first : NULL; kind != NULL;
         kind = kind->next) {
        int64_t count, more = 0;

        fprintf(tp->out, "%s:", kind->key != NULL ? kind->key : "?");
        for (v = kind->first; v != NULL; v = v->next) {
            const char *value = text_str(v, "value");

            fputs(v == kind->first ? " " : ", ", tp->out);
            text_put(tp, value != NULL ? value : "(none)", false);
            if (text_int(v, "count", &count))
                fprintf(tp->out, " (%" PRId64 ")", count);
        }
        if (kind->key != NULL && text_int(left_out, kind->key, &more) &&
            more > 0)
            fprintf(tp->out,
                    "%s and %" PRId64 " more (--facet-limit 0 shows"
                    " all)",
                    kind->first != NULL ? "," : "", more);
        fputc('\n', tp->out);
    }
}

/* "Did you mean: zuckerberg (12) or zuckerburg (2)?": each suggestion
 * with the matches it finds, from the list `totals` beside them. */
static void
text_render_suggestions(text_printer *tp, const text_node *list,
                        const text_node *totals)
{
    const text_node *s, *n = totals != NULL ? totals->first : NULL;

    if (list == NULL || list->first == NULL)
        return;
    fputs("Did you mean: ", tp->out);
    for (s = list->first; s != NULL; s = s->next) {
        if (s != list->first)
            fputs(s->next == NULL ? " or " : ", ", tp->out);
        text_put(tp, s->str != NULL ? s->str : "", false);
        if (n != NULL && n->kind == TEXT_INTEGER)
            fprintf(tp->out, " (%" PRId64 ")", n->integer);
        n = n != NULL ? n->next : NULL;
    }
    fputs("?\n", tp->out);
}

/* "3 unpublished matches left out: --all shows them", when the query
 * left some out (not with --count: its output is the number alone). */
static void
text_render_hidden(text_printer *tp, const text_node *root)
{
    int64_t n = 0;

    text_int(root, "unpublished", &n);
    if (n > 0)
        fprintf(tp->out,
                "%" PRId64 " unpublished %s left out: --all shows %s\n", n,
                n == 1 ? "match" : "matches", n == 1 ? "it" : "them");
    n = 0;
    text_int(root, "dropped", &n);
    if (n > 0)
        fprintf(tp->out,
                "%" PRId64 " %s of the query had nothing to search for (a"
                " word needs a letter, a digit or a symbol such as an"
                " emoji)\n",
                n, n == 1 ? "word" : "words");
}

/* With --explain: "forms: robots = robot, robotic; each counts 0.5 of
 * the word typed", the forms of one word together. */
static void
text_render_forms(text_printer *tp, const text_node *root)
{
    const text_node *forms = text_get(root, "forms"), *f;
    const char *last = NULL;
    const text_node *w = text_get(root, "form_weight");

    if (forms == NULL || forms->first == NULL)
        return;
    fputs("forms:", tp->out);
    for (f = forms->first; f != NULL; f = f->next) {
        const char *word = text_str(f, "word"), *form = text_str(f, "form");

        if (word == NULL || form == NULL)
            continue;
        if (last == NULL || strcmp(last, word) != 0) {
            fputs(last == NULL ? " " : "; ", tp->out);
            text_put(tp, word, false);
            fputs(" =", tp->out);
        } else {
            fputc(',', tp->out);
        }
        fputc(' ', tp->out);
        text_put(tp, form, false);
        last = word;
    }
    if (w != NULL && w->kind == TEXT_REAL)
        fprintf(tp->out, " (each %g of the word typed)", w->real);
    fputc('\n', tp->out);
}

static void
text_render(text_printer *tp, const text_node *root)
{
    const text_node *hits = text_get(root, "hits"), *hit;
    int64_t total = 0, matches, offset = 0;
    bool is_exact;
    size_t n = text_count(hits);
    uint64_t rank;

    /* "total" counts the stories paging goes through, "total_matches"
     * the items (without it, format version 1: "total" is the items). */
    text_int(root, "total", &total);
    matches = total;
    text_int(root, "total_matches", &matches);
    is_exact = text_get(root, "total_exact") == NULL ||
               text_get(root, "total_exact")->integer != 0;
    if (hits == NULL) { /* --count: the matches, as the header says them */
        fprintf(tp->out, "%" PRId64 "\n", matches);
        if (text_get(root, "facets") != NULL)
            fputc('\n', tp->out);
        text_render_facets(tp, text_get(root, "facets"),
                           text_get(root, "facets_left_out"));
        return;
    }
    text_int(root, "offset", &offset);
    fprintf(tp->out, "%" PRId64 " %s", matches,
            matches == 1 ? "match" : "matches");
    if (total != matches || !is_exact)
        fprintf(tp->out, " in %s%" PRId64 " %s", is_exact ? "" : "at most ",
                total, total == 1 ? "story" : "stories");
    if (n > 0)
        fprintf(tp->out, ", showing %" PRIu64 "-%" PRIu64, (uint64_t)offset + 1,
                (uint64_t)offset + n);
    else if (offset > 0 && total > 0)
        fprintf(tp->out, "; --offset %" PRId64 " is past the last of them",
                offset);
    fputc('\n', tp->out);
    text_render_hidden(tp, root);
    text_render_forms(tp, root);
    rank = (uint64_t)offset;
    for (hit = hits->first; hit != NULL; hit = hit->next) {
        fputc('\n', tp->out);
        text_render_hit(tp, hit, ++rank);
    }
    if (text_get(root, "facets") != NULL ||
        text_get(root, "suggestions") != NULL)
        fputc('\n', tp->out);
    text_render_facets(tp, text_get(root, "facets"),
                       text_get(root, "facets_left_out"));
    text_render_suggestions(tp, text_get(root, "suggestions"),
                            text_get(root, "suggestion_totals"));
}

/* ------------------------------------------------------------------ */

static int
text_finish(printer *p)
{
    text_printer *tp = (text_printer *)p;

    if (fflush(tp->out) != 0 || ferror(tp->out) || tp->is_oom)
        return -1;
    return 0;
}

static void
text_free(printer *p)
{
    text_printer *tp = (text_printer *)p;

    text_node_free(tp->root);
    free(tp->key);
    free(tp);
}

printer *
printer_text_new(FILE *out, bool is_color)
{
    text_printer *tp = calloc(1, sizeof(*tp));

    if (tp == NULL)
        return NULL;
    tp->base.begin_map = text_begin_map;
    tp->base.begin_list = text_begin_list;
    tp->base.end = text_end;
    tp->base.map_key = text_map_key;
    tp->base.string = text_string;
    tp->base.integer = text_integer;
    tp->base.real = text_real;
    tp->base.boolean = text_boolean;
    tp->base.null = text_null;
    tp->base.finish = text_finish;
    tp->base.free = text_free;
    tp->base.mark_open = TEXT_MARK_OPEN;
    tp->base.mark_close = TEXT_MARK_CLOSE;
    tp->out = out;
    tp->is_color = is_color;
    return &tp->base;
}
