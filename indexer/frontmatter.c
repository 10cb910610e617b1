/*
 * frontmatter.c - the YAML front matter of one file -> one nx_item (owns
 * libyaml).
 *
 * A file is a news item when it starts with a `---` line, the block up to
 * the next `---` or `...` line is a YAML mapping, and that mapping has a
 * title or an excerpt.  The text after the block is the body.
 *
 * How values are taken:
 * - Known keys go to typed fields of nx_item (and of nx_related for the
 *   entries of `related:`).  Other keys go to the object's extra_json, as
 *   typed JSON, in document order.
 * - Nothing the author wrote is dropped silently.  A value that does not
 *   fit its field (a word where a number belongs, a mapping where a string
 *   belongs) is kept as JSON in extra_json under its own key, and a warning
 *   with its line and column is recorded; one bad value never fails the
 *   document.  Shapes that fit after a small, lossless change are taken
 *   without a warning: "85" or 85.0 for a number, a single string where a
 *   list belongs, a mapping where a list of mappings belongs.
 * - A key that occurs twice in one mapping: the last one wins, as in most
 *   YAML loaders (PyYAML, Psych); each earlier one is skipped with a
 *   warning.
 * - Null values (`key:`, `~`, `null`) of known keys count as absent.
 *
 * Hostile input: raw bytes are sanitized first, so libyaml sees valid
 * UTF-8 without control characters.  Nesting deeper than FM_MAX_DEPTH and
 * more than FM_MAX_NODES node visits (alias expansions counted each time,
 * so an alias bomb stops early) fail the document.  libyaml's scanner is
 * quadratic in the depth of flow collections (`[[[[...`) and its composer
 * in the number of anchors, so when the text could hold too many of
 * either, one cheap event pass counts them before the document is loaded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "write.h"

#define FM_MAX_DEPTH   64     /* nesting levels; the root mapping is 1 */
#define FM_MAX_NODES   100000 /* node visits, aliases counted each time */
#define FM_MAX_ANCHORS 1000   /* libyaml looks anchors up linearly */
#define FM_MAX_ALIASES 10000
#define FM_MAX_WHOLE   1000000 /* largest quality or heat */
#define FM_QUOTE_MAX   40      /* bytes of a value quoted in a warning */
#define FM_KEYS_SMALL  64      /* key slots kept on the stack */

#define FM_ITEM(m) offsetof(nx_item, m)
#define FM_REL(m)  offsetof(nx_related, m)

/* How a known key's value is taken. */
typedef enum fm_kind {
    FM_STRING,  /* char *, as written */
    FM_TEXT,    /* char *, display text: repaired and trimmed */
    FM_URL,     /* char *, trimmed */
    FM_DATE,    /* int64_t Unix seconds + bool has_ */
    FM_WHOLE,   /* int64_t 0..FM_MAX_WHOLE + bool has_ */
    FM_HEAT,    /* like FM_WHOLE; -1 means unknown */
    FM_BOOL,    /* int 1 or 0 */
    FM_IMAGES,  /* char *, a JSON array */
    FM_TOPICS,  /* char ** + size_t count */
    FM_RELATED, /* nx_related * + size_t count */
    FM_MAPPING  /* nested keys written to the same object */
} fm_kind;

typedef struct fm_field {
    const char *key;            /* as in the file; NULL ends a table */
    fm_kind kind;               /* how the value is taken */
    size_t off;                 /* offset of the member written */
    size_t aux_off;             /* its has_ flag or count */
    const struct fm_field *sub; /* FM_MAPPING: the nested keys */
} fm_field;

static const fm_field fm_provider_fields[] = {
    {"name", FM_TEXT, FM_ITEM(provider_name), 0, NULL},
    {"domain", FM_URL, FM_ITEM(provider_domain), 0, NULL},
    {"images", FM_IMAGES, FM_ITEM(provider_images_json), 0, NULL},
    {NULL, FM_STRING, 0, 0, NULL},
};

static const fm_field fm_item_fields[] = {
    {"category", FM_STRING, FM_ITEM(category), 0, NULL},
    {"title", FM_TEXT, FM_ITEM(title), 0, NULL},
    {"excerpt", FM_TEXT, FM_ITEM(excerpt), 0, NULL},
    {"type", FM_STRING, FM_ITEM(type), 0, NULL},
    {"webUrl", FM_URL, FM_ITEM(web_url), 0, NULL},
    {"originalUrl", FM_URL, FM_ITEM(original_url), 0, NULL},
    {"ampWebUrl", FM_URL, FM_ITEM(amp_url), 0, NULL},
    {"cdnAmpWebUrl", FM_URL, FM_ITEM(cdn_amp_url), 0, NULL},
    {"secured", FM_STRING, FM_ITEM(secured), 0, NULL},
    {"publishedDateTime", FM_DATE, FM_ITEM(published_at),
     FM_ITEM(has_published_at), NULL},
    {"quality", FM_WHOLE, FM_ITEM(quality), FM_ITEM(has_quality), NULL},
    {"heat", FM_HEAT, FM_ITEM(heat), FM_ITEM(has_heat), NULL},
    {"published", FM_BOOL, FM_ITEM(published), 0, NULL},
    {"provider", FM_MAPPING, 0, 0, fm_provider_fields},
    {"topics", FM_TOPICS, FM_ITEM(topics), FM_ITEM(n_topics), NULL},
    {"images", FM_IMAGES, FM_ITEM(images_json), 0, NULL},
    {"related", FM_RELATED, FM_ITEM(related), FM_ITEM(n_related), NULL},
    {NULL, FM_STRING, 0, 0, NULL},
};

static const fm_field fm_related_provider_fields[] = {
    {"name", FM_TEXT, FM_REL(provider_name), 0, NULL},
    {"domain", FM_URL, FM_REL(provider_domain), 0, NULL},
    {NULL, FM_STRING, 0, 0, NULL},
};

static const fm_field fm_related_fields[] = {
    {"title", FM_TEXT, FM_REL(title), 0, NULL},
    {"excerpt", FM_TEXT, FM_REL(excerpt), 0, NULL},
    {"publishedDateTime", FM_DATE, FM_REL(published_at),
     FM_REL(has_published_at), NULL},
    {"webUrl", FM_URL, FM_REL(url), 0, NULL},
    {"ampWebUrl", FM_URL, FM_REL(amp_url), 0, NULL},
    {"cdnAmpWebUrl", FM_URL, FM_REL(cdn_amp_url), 0, NULL},
    {"type", FM_STRING, FM_REL(type), 0, NULL},
    {"provider", FM_MAPPING, 0, 0, fm_related_provider_fields},
    {"quality", FM_WHOLE, FM_REL(quality), FM_REL(has_quality), NULL},
    {"images", FM_IMAGES, FM_REL(images_json), 0, NULL},
    {NULL, FM_STRING, 0, 0, NULL},
};

/* Maps libyaml's mark.index (characters from the start of the block) to a
 * line and column of the file.  libyaml also breaks lines at a lone CR,
 * U+2028 and U+2029, which editors do not, so its mark.line is not used.
 * Marks are asked for mostly in document order: the cursor moves forward
 * and restarts only when asked for an earlier one. */
typedef struct fm_cursor {
    size_t idx;      /* characters passed */
    size_t off;      /* bytes passed */
    unsigned line;   /* file line at `off` */
    size_t line_idx; /* character index where that line starts */
} fm_cursor;

typedef struct fm_ctx {
    int rc;               /* sticky status */
    newsidx_error *err;   /* the caller's */
    nx_parse_pos pos;     /* where a NEWSIDX_PARSE failure is */
    nx_item *item;        /* being built */
    size_t warn_cap;      /* room in item->warnings */
    yaml_document_t *doc; /* the loaded front matter */
    const char *block;    /* the front-matter text given to libyaml */
    size_t block_len;     /* its bytes */
    fm_cursor cursor;     /* marks -> file positions */
    size_t n_visits;      /* nodes converted so far */
    nx_buf path;          /* key path of the value being mapped */
    nx_buf scratch;       /* text repairs */
    bool is_named;        /* item->title was taken from `name` */
} fm_ctx;

/* An object being filled from one mapping: its key table, the struct the
 * members live in, and where the other keys go. */
typedef struct fm_target {
    const fm_field *fields;
    void *base;
    nx_buf *extra; /* members of a JSON object, "{" written first */
} fm_target;

/* One key/value pair on its way to a field. */
typedef struct fm_slot {
    const fm_target *target;
    const fm_field *field;
    yaml_node_t *key;
    yaml_node_t *value;
    int depth; /* nesting level of value */
} fm_slot;

/* Which pair of a mapping is the last with each key. */
typedef struct fm_keys {
    yaml_document_t *doc;
    yaml_node_pair_t *pairs;
    uint32_t *slots; /* pair number + 1; 0 = free */
    size_t mask;
    uint32_t small[FM_KEYS_SMALL];
} fm_keys;

static int fm_fail_pos(fm_ctx *ctx, nx_parse_pos pos, const char *fmt, ...)
    NX_PRINTF(3, 4);
static int fm_fail_at(fm_ctx *ctx, const yaml_node_t *node, const char *fmt,
                      ...) NX_PRINTF(3, 4);
static void fm_warn_pos(fm_ctx *ctx, nx_parse_pos pos, const char *fmt, ...)
    NX_PRINTF(3, 4);
static void fm_json_node(fm_ctx *ctx, nx_buf *out, yaml_node_t *node,
                         int depth);
static void fm_map_fields(fm_ctx *ctx, const fm_target *target,
                          yaml_node_t *map, int depth);

/**************************************************************************
** Status, positions and warnings
*/

static int
fm_nomem(fm_ctx *ctx)
{
    if (ctx->rc == NEWSIDX_OK)
        ctx->rc = nx_fail(ctx->err, NEWSIDX_NOMEM, "out of memory");
    return ctx->rc;
}

/* Fail the document with NEWSIDX_PARSE at `pos`; the first failure wins. */
static int
fm_fail_pos(fm_ctx *ctx, nx_parse_pos pos, const char *fmt, ...)
{
    char msg[sizeof(ctx->err->message)];
    va_list ap;

    if (ctx->rc != NEWSIDX_OK)
        return ctx->rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx->pos = pos;
    ctx->rc = nx_fail(ctx->err, NEWSIDX_PARSE, "%s", msg);
    return ctx->rc;
}

static size_t
fm_utf8_width(unsigned char b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* Line and column (in characters) of byte `off` of `s`, 1-based. */
static nx_parse_pos
fm_pos_of_offset(const char *s, size_t off)
{
    nx_parse_pos pos = {1, 1};
    size_t i;

    for (i = 0; i < off; i++) {
        unsigned char b = (unsigned char)s[i];

        if (b == '\n') {
            pos.line++;
            pos.column = 1;
        } else if ((b & 0xC0) != 0x80) {
            pos.column++;
        }
    }
    return pos;
}

static void
fm_cursor_reset(fm_cursor *c)
{
    c->idx = c->off = c->line_idx = 0;
    c->line = 2; /* the block starts after the opening `---` line */
}

static nx_parse_pos
fm_pos_of_mark(fm_ctx *ctx, yaml_mark_t mark)
{
    fm_cursor *c = &ctx->cursor;
    nx_parse_pos pos;

    if (mark.index < c->idx)
        fm_cursor_reset(c);
    while (c->idx < mark.index && c->off < ctx->block_len) {
        unsigned char b = (unsigned char)ctx->block[c->off];

        c->off += fm_utf8_width(b);
        c->idx++;
        if (b == '\n') {
            c->line++;
            c->line_idx = c->idx;
        }
    }
    pos.line = c->line;
    pos.column = (unsigned)(c->idx - c->line_idx) + 1;
    return pos;
}

static int
fm_fail_at(fm_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[sizeof(ctx->err->message)];
    va_list ap;

    if (ctx->rc != NEWSIDX_OK)
        return ctx->rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fm_fail_pos(ctx, fm_pos_of_mark(ctx, node->start_mark), "%s", msg);
}

static bool
fm_warn_grow(fm_ctx *ctx)
{
    size_t cap = ctx->warn_cap ? ctx->warn_cap * 2 : 4;
    nx_warning *w;

    w = nx_realloc(ctx->item->warnings, cap * sizeof(*w));
    if (w == NULL) {
        fm_nomem(ctx);
        return false;
    }
    ctx->item->warnings = w;
    ctx->warn_cap = cap;
    return true;
}

/* Record a warning at `pos` about the current key path (NULL at the top). */
static void
fm_warn_pos(fm_ctx *ctx, nx_parse_pos pos, const char *fmt, ...)
{
    nx_item *item = ctx->item;
    nx_warning *w;
    char msg[256];
    va_list ap;

    if (ctx->rc != NEWSIDX_OK ||
        (item->n_warnings == ctx->warn_cap && !fm_warn_grow(ctx)))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    w = &item->warnings[item->n_warnings];
    w->line = pos.line;
    w->column = pos.column;
    w->message = nx_strdup(msg);
    w->field = NULL;
    if (ctx->path.len > 0)
        w->field = nx_strndup(ctx->path.data, ctx->path.len);
    if (w->message == NULL || nx_buf_oom(&ctx->path) ||
        (ctx->path.len > 0 && w->field == NULL)) {
        nx_free(w->message);
        nx_free(w->field);
        fm_nomem(ctx);
        return;
    }
    item->n_warnings++;
}

/* Quote scalar text for a message: at most FM_QUOTE_MAX bytes, cut on a
 * character boundary, control characters shown as spaces. */
static void
fm_quote(char *dst, size_t size, const char *s, size_t len)
{
    size_t n = len, i, k = 0;

    if (n > FM_QUOTE_MAX) {
        n = FM_QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (size < n + 6)
        n = 0;
    dst[k++] = '\'';
    for (i = 0; i < n; i++)
        dst[k++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    if (n < len) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k++] = '\'';
    dst[k] = '\0';
}

/* "'high'", "a list" or "a mapping", for "expected ..., got ..." */
static void
fm_describe(char *dst, size_t size, const yaml_node_t *node)
{
    if (node->type == YAML_SEQUENCE_NODE)
        snprintf(dst, size, "a list");
    else if (node->type == YAML_MAPPING_NODE)
        snprintf(dst, size, "a mapping");
    else if (node->type == YAML_SCALAR_NODE)
        fm_quote(dst, size, (const char *)node->data.scalar.value,
                 node->data.scalar.length);
    else
        snprintf(dst, size, "nothing");
}

static void
fm_warn_expected(fm_ctx *ctx, const yaml_node_t *node, const char *what)
{
    char got[FM_QUOTE_MAX + 8];

    fm_describe(got, sizeof(got), node);
    fm_warn_pos(ctx, fm_pos_of_mark(ctx, node->start_mark),
                "expected %s, got %s", what, got);
}

/* Count one visit of `node` at nesting level `depth`; false (and the
 * document fails) past a limit. */
static bool
fm_visit(fm_ctx *ctx, const yaml_node_t *node, int depth)
{
    nx_parse_pos none = {0, 0};

    if (ctx->rc != NEWSIDX_OK)
        return false;
    if (node == NULL) {
        fm_fail_pos(ctx, none, "broken yaml document");
        return false;
    }
    if (depth > FM_MAX_DEPTH) {
        fm_fail_at(ctx, node, "nesting deeper than %d levels", FM_MAX_DEPTH);
        return false;
    }
    if (++ctx->n_visits > FM_MAX_NODES) {
        fm_fail_at(ctx, node, "more than %d nodes, aliases counted each time",
                   FM_MAX_NODES);
        return false;
    }
    return true;
}

/**************************************************************************
** Key paths ("related[2].title") for warnings
*/

static size_t
fm_path_push_key(fm_ctx *ctx, const yaml_node_t *key)
{
    size_t mark = ctx->path.len;

    if (mark > 0)
        nx_buf_putc(&ctx->path, '.');
    if (key->type == YAML_SCALAR_NODE)
        nx_buf_put(&ctx->path, key->data.scalar.value, key->data.scalar.length);
    else
        nx_buf_putc(&ctx->path, '?');
    return mark;
}

static size_t
fm_path_push_index(fm_ctx *ctx, size_t i)
{
    size_t mark = ctx->path.len;
    char digits[24];
    size_t n = sizeof(digits);

    digits[--n] = ']';
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    digits[--n] = '[';
    nx_buf_put(&ctx->path, digits + n, sizeof(digits) - n);
    return mark;
}

static void
fm_path_pop(fm_ctx *ctx, size_t mark)
{
    if (ctx->path.data != NULL && mark <= ctx->path.len) {
        ctx->path.len = mark;
        ctx->path.data[mark] = '\0';
    }
}

/**************************************************************************
** Scalar nodes (scalar.c reads their text as nulls, booleans, numbers)
*/

static const char *
fm_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static bool
fm_is_plain(const yaml_node_t *node)
{
    return node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A null: a plain scalar that is empty, `~` or `null`.  "" is a string. */
static bool
fm_is_null(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE && fm_is_plain(node) &&
           nx_scalar_is_null(fm_text(node), node->data.scalar.length);
}

/**************************************************************************
** Duplicate keys: which pair of a mapping is the last with its key
*/

static yaml_node_t *
fm_pair_key(const fm_keys *k, size_t i)
{
    return yaml_document_get_node(k->doc, k->pairs[i].key);
}

static bool
fm_key_equal(const yaml_node_t *a, const yaml_node_t *b)
{
    return a->data.scalar.length == b->data.scalar.length &&
           memcmp(a->data.scalar.value, b->data.scalar.value,
                  a->data.scalar.length) == 0;
}

/* The slot holding a key equal to scalar `key`, or the free one where it
 * would go. */
static size_t
fm_keys_slot(const fm_keys *k, const yaml_node_t *key)
{
    const unsigned char *s = key->data.scalar.value;
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    size_t i;

    for (i = 0; i < key->data.scalar.length; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    for (i = (size_t)h & k->mask; k->slots[i] != 0; i = (i + 1) & k->mask) {
        if (fm_key_equal(fm_pair_key(k, k->slots[i] - 1), key))
            break;
    }
    return i;
}

static bool
fm_keys_init(fm_ctx *ctx, fm_keys *k, yaml_node_t *map)
{
    size_t n =
        (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    size_t cap = FM_KEYS_SMALL, i;

    if (n > FM_MAX_NODES) {
        fm_fail_at(ctx, map, "more than %d nodes, aliases counted each time",
                   FM_MAX_NODES);
        return false;
    }
    while (cap < 2 * n)
        cap *= 2;
    k->doc = ctx->doc;
    k->pairs = map->data.mapping.pairs.start;
    k->mask = cap - 1;
    k->slots =
        cap == FM_KEYS_SMALL ? k->small : nx_calloc(cap, sizeof(*k->slots));
    if (k->slots == NULL) {
        fm_nomem(ctx);
        return false;
    }
    if (k->slots == k->small)
        memset(k->small, 0, sizeof(k->small));
    for (i = 0; i < n; i++) {
        yaml_node_t *key = fm_pair_key(k, i);

        if (key != NULL && key->type == YAML_SCALAR_NODE)
            k->slots[fm_keys_slot(k, key)] = (uint32_t)i + 1;
    }
    return true;
}

/* Does a later pair of the mapping have the same key as pair `i`? */
static bool
fm_keys_superseded(const fm_keys *k, size_t i)
{
    yaml_node_t *key = fm_pair_key(k, i);

    return key != NULL && key->type == YAML_SCALAR_NODE &&
           k->slots[fm_keys_slot(k, key)] != i + 1;
}

static void
fm_keys_free(fm_keys *k)
{
    if (k->slots != k->small)
        nx_free(k->slots);
}

/**************************************************************************
** Typed JSON
*/

/* Plain scalars resolve to null, booleans, numbers or strings; quoted and
 * block scalars are strings. */
static void
fm_json_scalar(nx_buf *out, const yaml_node_t *node)
{
    const char *s = fm_text(node);
    size_t len = node->data.scalar.length;
    int b;

    if (fm_is_plain(node)) {
        if (nx_scalar_is_null(s, len)) {
            nx_buf_puts(out, "null");
            return;
        }
        if (nx_scalar_bool_word(s, len, false, &b)) {
            nx_buf_puts(out, b ? "true" : "false");
            return;
        }
        if (nx_scalar_json_number(out, s, len))
            return;
    }
    nx_buf_json_string(out, s, len);
}

/* A mapping key as a JSON string; a key that is itself a collection is
 * written as its JSON text. */
static void
fm_json_key(fm_ctx *ctx, nx_buf *out, yaml_node_t *key, int depth)
{
    nx_buf text = NX_BUF_INIT;

    if (key->type == YAML_SCALAR_NODE) {
        if (fm_visit(ctx, key, depth))
            nx_buf_json_string(out, fm_text(key), key->data.scalar.length);
        return;
    }
    fm_json_node(ctx, &text, key, depth);
    if (nx_buf_oom(&text))
        fm_nomem(ctx);
    else
        nx_buf_json_string(out, text.data ? text.data : "", text.len);
    nx_buf_free(&text);
}

static void
fm_json_sequence(fm_ctx *ctx, nx_buf *out, yaml_node_t *seq, int depth)
{
    yaml_node_item_t *it;

    nx_buf_putc(out, '[');
    for (it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top && ctx->rc == NEWSIDX_OK; it++) {
        if (it != seq->data.sequence.items.start)
            nx_buf_putc(out, ',');
        fm_json_node(ctx, out, yaml_document_get_node(ctx->doc, *it),
                     depth + 1);
    }
    nx_buf_putc(out, ']');
}

static void
fm_json_mapping(fm_ctx *ctx, nx_buf *out, yaml_node_t *map, int depth)
{
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t i, n = (size_t)(map->data.mapping.pairs.top - pairs);
    bool is_first = true;
    fm_keys keys;

    if (!fm_keys_init(ctx, &keys, map))
        return;
    nx_buf_putc(out, '{');
    for (i = 0; i < n && ctx->rc == NEWSIDX_OK; i++) {
        yaml_node_t *key = yaml_document_get_node(ctx->doc, pairs[i].key);

        if (fm_keys_superseded(&keys, i)) {
            fm_warn_pos(ctx, fm_pos_of_mark(ctx, key->start_mark),
                        "duplicate key, the last value wins");
            continue;
        }
        if (!is_first)
            nx_buf_putc(out, ',');
        is_first = false;
        fm_json_key(ctx, out, key, depth + 1);
        nx_buf_putc(out, ':');
        fm_json_node(ctx, out, yaml_document_get_node(ctx->doc, pairs[i].value),
                     depth + 1);
    }
    nx_buf_putc(out, '}');
    fm_keys_free(&keys);
}

/* Append `node` (at nesting level `depth`) as JSON. */
static void
fm_json_node(fm_ctx *ctx, nx_buf *out, yaml_node_t *node, int depth)
{
    if (!fm_visit(ctx, node, depth))
        return;
    switch (node->type) {
    case YAML_SCALAR_NODE:
        fm_json_scalar(out, node);
        break;
    case YAML_SEQUENCE_NODE:
        fm_json_sequence(ctx, out, node, depth);
        break;
    case YAML_MAPPING_NODE:
        fm_json_mapping(ctx, out, node, depth);
        break;
    default:
        nx_buf_puts(out, "null");
        break;
    }
}

/* Start member `key` of the JSON object collecting in `extra`. */
static void
fm_extra_key(fm_ctx *ctx, nx_buf *extra, yaml_node_t *key, int depth)
{
    nx_buf_putc(extra, extra->len == 0 ? '{' : ',');
    fm_json_key(ctx, extra, key, depth);
    nx_buf_putc(extra, ':');
}

/* Keep a slot's value as it is, under its own key, in the extra object. */
static void
fm_keep_raw(fm_ctx *ctx, const fm_slot *s)
{
    fm_extra_key(ctx, s->target->extra, s->key, s->depth);
    fm_json_node(ctx, s->target->extra, s->value, s->depth);
}

/* Keep an earlier value of a duplicated key in the extra object under
 * "KEY@LINE", so that nothing written is lost although the last one wins. */
static void
fm_keep_duplicate(fm_ctx *ctx, const fm_slot *s)
{
    nx_buf name = NX_BUF_INIT;
    nx_buf *extra = s->target->extra;

    if (s->key->type == YAML_SCALAR_NODE)
        nx_buf_put(&name, fm_text(s->key), s->key->data.scalar.length);
    nx_buf_printf(&name, "@%u", fm_pos_of_mark(ctx, s->key->start_mark).line);
    nx_buf_putc(extra, extra->len == 0 ? '{' : ',');
    nx_buf_json_string(extra, name.data ? name.data : "", name.len);
    nx_buf_putc(extra, ':');
    fm_json_node(ctx, extra, s->value, s->depth);
    if (nx_buf_oom(&name))
        fm_nomem(ctx);
    nx_buf_free(&name);
}

/* The finished extra object (NULL when empty); `extra` is emptied. */
static char *
fm_extra_finish(fm_ctx *ctx, nx_buf *extra)
{
    char *json;

    if (ctx->rc != NEWSIDX_OK || extra->len == 0) {
        if (nx_buf_oom(extra))
            fm_nomem(ctx);
        nx_buf_free(extra);
        return NULL;
    }
    nx_buf_putc(extra, '}');
    json = nx_buf_detach(extra);
    if (json == NULL)
        fm_nomem(ctx);
    return json;
}

/**************************************************************************
** Fields
*/

static void *
fm_member(const fm_slot *s, size_t off)
{
    return (char *)s->target->base + off;
}

/* Copy of `s` with every NUL (from a "\0" escape) made U+FFFD, into `out`. */
static void
fm_replace_nul(nx_buf *out, const char *s, size_t len)
{
    const char *nul;

    while ((nul = memchr(s, '\0', len)) != NULL) {
        nx_buf_put(out, s, (size_t)(nul - s));
        nx_buf_puts(out, "\xEF\xBF\xBD");
        len -= (size_t)(nul - s) + 1;
        s = nul + 1;
    }
    nx_buf_put(out, s, len);
}

/* A new string for a field of `kind` from text of `node`: display text is
 * repaired, URLs trimmed, NUL characters replaced (with a warning).
 * NULL on out-of-memory. */
static char *
fm_string_copy(fm_ctx *ctx, fm_kind kind, const yaml_node_t *node,
               const char *s, size_t len)
{
    nx_buf nul = NX_BUF_INIT;
    char *copy = NULL;

    if (memchr(s, '\0', len) != NULL) {
        fm_warn_pos(ctx, fm_pos_of_mark(ctx, node->start_mark),
                    "nul character replaced by U+FFFD");
        fm_replace_nul(&nul, s, len);
        s = nul.data ? nul.data : "";
        len = nul.len;
    }
    if (kind == FM_TEXT) {
        nx_buf_clear(&ctx->scratch);
        nx_text_repair(&ctx->scratch, s, len);
        s = ctx->scratch.data ? ctx->scratch.data : "";
        len = nx_buf_oom(&ctx->scratch) ? 0 : ctx->scratch.len;
    } else if (kind == FM_URL) {
        nx_scalar_trim(&s, &len);
    }
    if (ctx->rc == NEWSIDX_OK && !nx_buf_oom(&nul) &&
        !nx_buf_oom(&ctx->scratch))
        copy = nx_strndup(s, len);
    if (copy == NULL)
        fm_nomem(ctx);
    nx_buf_free(&nul);
    return copy;
}

/* Join the scalar items of a list with ", "; false if an item is a list or
 * a mapping. */
static bool
fm_join(fm_ctx *ctx, nx_buf *out, yaml_node_t *seq, int depth)
{
    yaml_node_item_t *it;
    size_t n = 0;

    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);

        if (!fm_visit(ctx, item, depth + 1))
            return true;
        if (item->type != YAML_SCALAR_NODE)
            return false;
        if (fm_is_null(item))
            continue;
        if (n++ > 0)
            nx_buf_puts(out, ", ");
        nx_buf_put(out, item->data.scalar.value, item->data.scalar.length);
    }
    if (nx_buf_oom(out))
        fm_nomem(ctx);
    return true;
}

static void
fm_set_string(fm_ctx *ctx, const fm_slot *s, const char *text, size_t len)
{
    char **dst = fm_member(s, s->field->off);
    char *copy = fm_string_copy(ctx, s->field->kind, s->value, text, len);

    if (copy != NULL) {
        nx_free(*dst);
        *dst = copy;
    }
}

/* A string; a list of strings is joined (and also kept raw, with a
 * warning); a mapping or a list of lists is kept raw only. */
static void
fm_field_string(fm_ctx *ctx, const fm_slot *s)
{
    nx_buf joined = NX_BUF_INIT;
    bool is_joined;

    if (s->value->type == YAML_SCALAR_NODE) {
        fm_set_string(ctx, s, fm_text(s->value), s->value->data.scalar.length);
        return;
    }
    is_joined = s->value->type == YAML_SEQUENCE_NODE &&
                fm_join(ctx, &joined, s->value, s->depth);
    if (is_joined)
        fm_warn_pos(ctx, fm_pos_of_mark(ctx, s->value->start_mark),
                    "expected a string, got a list; items joined with ', '");
    else
        fm_warn_expected(ctx, s->value, "a string");
    fm_keep_raw(ctx, s);
    if (is_joined && ctx->rc == NEWSIDX_OK)
        fm_set_string(ctx, s, joined.data ? joined.data : "", joined.len);
    nx_buf_free(&joined);
}

static void
fm_field_date(fm_ctx *ctx, const fm_slot *s)
{
    int64_t *dst = fm_member(s, s->field->off);
    bool *has = fm_member(s, s->field->aux_off);

    if (s->value->type == YAML_SCALAR_NODE &&
        nx_date_parse(fm_text(s->value), s->value->data.scalar.length, dst)) {
        *has = true;
        return;
    }
    fm_warn_expected(ctx, s->value, "a date and time");
    fm_keep_raw(ctx, s);
}

static void
fm_field_whole(fm_ctx *ctx, const fm_slot *s)
{
    int64_t *dst = fm_member(s, s->field->off), v = 0;
    bool *has = fm_member(s, s->field->aux_off), is_rounded = false;
    char text[FM_QUOTE_MAX + 8];
    int rc = 0;

    if (s->value->type == YAML_SCALAR_NODE)
        rc = nx_scalar_whole_number(
            fm_text(s->value), s->value->data.scalar.length, &v, &is_rounded);
    if (rc > 0 && v == -1 && !is_rounded && s->field->kind == FM_HEAT)
        return; /* heat -1: unknown */
    if (rc == 0 || rc < 0 || v < 0 || v > FM_MAX_WHOLE) {
        fm_warn_expected(ctx, s->value,
                         rc == 0 ? "a whole number"
                                 : "a whole number from 0 to 1000000");
        fm_keep_raw(ctx, s);
        return;
    }
    if (is_rounded) {
        fm_describe(text, sizeof(text), s->value);
        fm_warn_pos(ctx, fm_pos_of_mark(ctx, s->value->start_mark),
                    "%s is not a whole number, rounded to %lld", text,
                    (long long)v);
    }
    *dst = v;
    *has = true;
}

static void
fm_field_bool(fm_ctx *ctx, const fm_slot *s)
{
    int *dst = fm_member(s, s->field->off);
    const char *text;
    size_t len;
    int b;

    if (s->value->type == YAML_SCALAR_NODE) {
        text = fm_text(s->value);
        len = s->value->data.scalar.length;
        nx_scalar_trim(&text, &len);
        if (nx_scalar_bool_word(text, len, true, &b)) {
            *dst = b;
            return;
        }
    }
    fm_warn_expected(ctx, s->value, "true or false");
    fm_keep_raw(ctx, s);
}

/* Any value as a JSON array: a list as it is, anything else in one. */
static void
fm_field_images(fm_ctx *ctx, const fm_slot *s)
{
    char **dst = fm_member(s, s->field->off);
    bool is_list = s->value->type == YAML_SEQUENCE_NODE;
    nx_buf json = NX_BUF_INIT;

    if (!is_list)
        nx_buf_putc(&json, '[');
    fm_json_node(ctx, &json, s->value, s->depth);
    if (!is_list)
        nx_buf_putc(&json, ']');
    if (ctx->rc == NEWSIDX_OK && nx_buf_oom(&json))
        fm_nomem(ctx);
    if (ctx->rc == NEWSIDX_OK) {
        nx_free(*dst);
        *dst = nx_buf_detach(&json);
    }
    nx_buf_free(&json);
}

/* Nested keys (provider) written into the same object; keys it does not
 * know, and values it cannot take, go to the extra object under the
 * parent's key as an object of their own. */
static void
fm_field_mapping(fm_ctx *ctx, const fm_slot *s)
{
    nx_buf rest = NX_BUF_INIT;
    fm_target sub = {s->field->sub, s->target->base, &rest};
    fm_slot name = *s;

    char got[FM_QUOTE_MAX + 8];

    if (s->value->type == YAML_SCALAR_NODE) {
        fm_describe(got, sizeof(got), s->value);
        fm_warn_pos(ctx, fm_pos_of_mark(ctx, s->value->start_mark),
                    "expected a mapping, got %s; taken as the name", got);
        name.field = &s->field->sub[0];
        fm_field_string(ctx, &name);
        return;
    }
    if (s->value->type != YAML_MAPPING_NODE) {
        fm_warn_expected(ctx, s->value, "a mapping");
        fm_keep_raw(ctx, s);
        return;
    }
    fm_map_fields(ctx, &sub, s->value, s->depth);
    if (rest.len > 0) {
        nx_buf_putc(&rest, '}');
        fm_extra_key(ctx, s->target->extra, s->key, s->depth);
        nx_buf_put(s->target->extra, rest.data, rest.len);
    }
    if (nx_buf_oom(&rest))
        fm_nomem(ctx);
    nx_buf_free(&rest);
}

/* Item `i` of a list value; a single value is a list of one. */
static yaml_node_t *
fm_list_item(fm_ctx *ctx, yaml_node_t *value, size_t i)
{
    if (value->type != YAML_SEQUENCE_NODE)
        return value;
    return yaml_document_get_node(ctx->doc,
                                  value->data.sequence.items.start[i]);
}

static size_t
fm_list_len(const yaml_node_t *value)
{
    if (value->type != YAML_SEQUENCE_NODE)
        return 1;
    return (size_t)(value->data.sequence.items.top -
                    value->data.sequence.items.start);
}

/* Add item `i` of topics value s->value; false if it is not a string. */
static bool
fm_topic_add(fm_ctx *ctx, const fm_slot *s, size_t i)
{
    yaml_node_t *item = fm_list_item(ctx, s->value, i);
    char **topics = *(char ***)fm_member(s, s->field->off);
    size_t *n_topics = fm_member(s, s->field->aux_off), mark;
    char *topic;

    if (item != s->value && !fm_visit(ctx, item, s->depth + 1))
        return true;
    if (item->type != YAML_SCALAR_NODE) {
        mark = fm_path_push_index(ctx, i);
        fm_warn_expected(ctx, item, "a string");
        fm_path_pop(ctx, mark);
        return false;
    }
    if (fm_is_null(item))
        return true;
    topic = fm_string_copy(ctx, FM_TEXT, item, fm_text(item),
                           item->data.scalar.length);
    if (topic != NULL && topic[0] != '\0')
        topics[(*n_topics)++] = topic;
    else
        nx_free(topic);
    return true;
}

static void
fm_related_entry(fm_ctx *ctx, nx_related *r, yaml_node_t *map, int depth)
{
    nx_buf extra = NX_BUF_INIT;
    fm_target target = {fm_related_fields, r, &extra};

    fm_map_fields(ctx, &target, map, depth);
    r->extra_json = fm_extra_finish(ctx, &extra);
    nx_buf_free(&extra);
}

/* Add item `i` of related value s->value; false if it is not a mapping. */
static bool
fm_related_add(fm_ctx *ctx, const fm_slot *s, size_t i)
{
    yaml_node_t *item = fm_list_item(ctx, s->value, i);
    nx_related *related = *(nx_related **)fm_member(s, s->field->off);
    size_t *n_related = fm_member(s, s->field->aux_off), mark;
    bool is_list = item != s->value;

    if (is_list && !fm_visit(ctx, item, s->depth + 1))
        return true;
    if (fm_is_null(item))
        return true;
    mark = is_list ? fm_path_push_index(ctx, i) : ctx->path.len;
    if (item->type == YAML_MAPPING_NODE)
        fm_related_entry(ctx, &related[(*n_related)++], item,
                         s->depth + is_list);
    else
        fm_warn_expected(ctx, item, "a mapping");
    fm_path_pop(ctx, mark);
    return item->type == YAML_MAPPING_NODE;
}

/* A list field: each item goes through `add`, which returns false when the
 * item has the wrong shape; then the whole value is also kept raw, with a
 * warning.  A single value is a list of one; a `refused` node (a mapping
 * for topics, a scalar for related) is kept raw as a whole. */
static void
fm_field_list(fm_ctx *ctx, const fm_slot *s, yaml_node_type_t refused,
              const char *expected, size_t elem_size,
              bool (*add)(fm_ctx *, const fm_slot *, size_t))
{
    void **dst = fm_member(s, s->field->off);
    size_t *n_dst = fm_member(s, s->field->aux_off);
    size_t i, n = fm_list_len(s->value);
    bool is_raw = false;

    if (s->value->type == refused) {
        fm_warn_expected(ctx, s->value, expected);
        fm_keep_raw(ctx, s);
        return;
    }
    *dst = nx_calloc(n, elem_size);
    if (*dst == NULL) {
        fm_nomem(ctx);
        return;
    }
    for (i = 0; i < n && ctx->rc == NEWSIDX_OK; i++)
        is_raw |= !add(ctx, s, i);
    if (*n_dst == 0) {
        nx_free(*dst);
        *dst = NULL;
    }
    if (is_raw)
        fm_keep_raw(ctx, s);
}

/* A list of display strings. */
static void
fm_field_topics(fm_ctx *ctx, const fm_slot *s)
{
    fm_field_list(ctx, s, YAML_MAPPING_NODE, "a list of strings",
                  sizeof(char *), fm_topic_add);
}

/* A list of mappings. */
static void
fm_field_related(fm_ctx *ctx, const fm_slot *s)
{
    fm_field_list(ctx, s, YAML_SCALAR_NODE, "a list of mappings",
                  sizeof(nx_related), fm_related_add);
}

static const fm_field *
fm_field_find(const fm_field *fields, const yaml_node_t *key)
{
    if (key->type != YAML_SCALAR_NODE)
        return NULL;
    for (; fields->key != NULL; fields++) {
        if (strlen(fields->key) == key->data.scalar.length &&
            memcmp(fields->key, key->data.scalar.value,
                   key->data.scalar.length) == 0)
            return fields;
    }
    return NULL;
}

/* Take one pair: a known key into its field, any other into extra. */
static void
fm_map_pair(fm_ctx *ctx, fm_slot *s)
{
    s->field = fm_field_find(s->target->fields, s->key);
    if (s->field == NULL) {
        fm_keep_raw(ctx, s);
        return;
    }
    if (!fm_visit(ctx, s->value, s->depth) || fm_is_null(s->value))
        return;
    switch (s->field->kind) {
    case FM_STRING:
    case FM_TEXT:
    case FM_URL:
        fm_field_string(ctx, s);
        break;
    case FM_DATE:
        fm_field_date(ctx, s);
        break;
    case FM_WHOLE:
    case FM_HEAT:
        fm_field_whole(ctx, s);
        break;
    case FM_BOOL:
        fm_field_bool(ctx, s);
        break;
    case FM_IMAGES:
        fm_field_images(ctx, s);
        break;
    case FM_TOPICS:
        fm_field_topics(ctx, s);
        break;
    case FM_RELATED:
        fm_field_related(ctx, s);
        break;
    case FM_MAPPING:
        fm_field_mapping(ctx, s);
        break;
    }
}

/* Fill `target` from mapping `map` at nesting level `depth` (already
 * visited).  Of pairs with equal keys only the last is taken. */
static void
fm_map_fields(fm_ctx *ctx, const fm_target *target, yaml_node_t *map, int depth)
{
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t i, n = (size_t)(map->data.mapping.pairs.top - pairs), mark;
    fm_slot slot = {target, NULL, NULL, NULL, depth + 1};
    fm_keys keys;

    if (!fm_keys_init(ctx, &keys, map))
        return;
    for (i = 0; i < n && ctx->rc == NEWSIDX_OK; i++) {
        slot.key = yaml_document_get_node(ctx->doc, pairs[i].key);
        slot.value = yaml_document_get_node(ctx->doc, pairs[i].value);
        if (!fm_visit(ctx, slot.key, depth + 1) || slot.value == NULL)
            break;
        mark = fm_path_push_key(ctx, slot.key);
        if (fm_keys_superseded(&keys, i)) {
            fm_warn_pos(ctx, fm_pos_of_mark(ctx, slot.key->start_mark),
                        "duplicate key, the last value wins; this one is "
                        "kept in extra as KEY@LINE");
            fm_keep_duplicate(ctx, &slot);
        } else {
            fm_map_pair(ctx, &slot);
        }
        fm_path_pop(ctx, mark);
    }
    fm_keys_free(&keys);
}

/**************************************************************************
** The text: sanitizing, front-matter delimiters, libyaml
*/

/* Bytes the per-byte loops look for, as a table to keep them cheap. */
#define FM_B_UNSAFE 1 /* C0 control but TAB LF CR, DEL, leads 0xC2 0xEF */
#define FM_B_OPEN   2 /* [ { */
#define FM_B_ANCHOR 4 /* & */
#define FM_B_ALIAS  8 /* * */

/* clang-format off */
#define U FM_B_UNSAFE
static const unsigned char fm_byte_class[256] = {
    U, U, U, U, U, U, U, U, U, 0, 0, U, U, 0, U, U, /* 0x00 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0x10 */
    0, 0, 0, 0, 0, 0, FM_B_ANCHOR, 0,               /* 0x20 */
    0, 0, FM_B_ALIAS, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FM_B_OPEN,     /* 0x50 */
    0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FM_B_OPEN,     /* 0x70 */
    0, 0, 0, U,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xA0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xB0 */
    0, 0, U, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xC0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xD0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, U, /* 0xE0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xF0 */
};
#undef U
/* clang-format on */

/* Bytes of a character libyaml refuses (or takes for a line break) that
 * the sanitizer may have kept: C0 controls but TAB, LF and CR; DEL; C1
 * controls (NEL is a line break to libyaml); U+FFFE and U+FFFF.  0 if the
 * character at `p` is fine. */
static size_t
fm_unsafe_len(const unsigned char *p, size_t left)
{
    if (p[0] < 0x20)
        return p[0] == '\t' || p[0] == '\n' || p[0] == '\r' ? 0 : 1;
    if (p[0] == 0x7F)
        return 1;
    if (p[0] == 0xC2 && left >= 2 && p[1] >= 0x80 && p[1] <= 0x9F)
        return 2;
    if (p[0] == 0xEF && left >= 3 && p[1] == 0xBF &&
        (p[2] == 0xBE || p[2] == 0xBF))
        return 3;
    return 0;
}

/* Replace what fm_unsafe_len finds in `text` by U+FFFD.  False only on
 * out-of-memory. */
static bool
fm_yaml_safe(nx_buf *text, size_t *n_out, size_t *first_out)
{
    const unsigned char *p = (const unsigned char *)text->data;
    nx_buf safe = NX_BUF_INIT;
    size_t i, k, run = 0, n = 0;

    for (i = 0; i < text->len; i++) {
        if ((fm_byte_class[p[i]] & FM_B_UNSAFE) == 0)
            continue;
        k = fm_unsafe_len(p + i, text->len - i);
        if (k == 0)
            continue;
        if (n++ == 0)
            *first_out = i;
        nx_buf_put(&safe, text->data + run, i - run);
        nx_buf_puts(&safe, "\xEF\xBF\xBD");
        i += k - 1;
        run = i + 1;
    }
    *n_out = n;
    if (n == 0)
        return true;
    nx_buf_put(&safe, text->data + run, text->len - run);
    if (nx_buf_oom(&safe)) {
        nx_buf_free(&safe);
        return false;
    }
    nx_buf_free(text);
    *text = safe;
    return true;
}

/* Length of the line at `p` without its LF; `*next` is where the next one
 * starts. */
static size_t
fm_line(const char *s, size_t len, size_t p, size_t *next)
{
    const char *lf = memchr(s + p, '\n', len - p);

    *next = lf ? (size_t)(lf - s) + 1 : len;
    return (lf ? (size_t)(lf - s) : len) - p;
}

/* Is the line `marker` followed by nothing but spaces, tabs or a CR? */
static bool
fm_line_is(const char *line, size_t n, const char *marker)
{
    size_t i;

    if (n < 3 || memcmp(line, marker, 3) != 0)
        return false;
    for (i = 3; i < n; i++) {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return false;
    }
    return true;
}

/* Offset of the line after an opening `---` line (after a BOM), or 0. */
static size_t
fm_opening(const char *s, size_t len)
{
    size_t p = 0, next;

    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        p = 3;
    if (p < len && fm_line_is(s + p, fm_line(s, len, p, &next), "---"))
        return next;
    return 0;
}

/* Where the front matter of `s` is; sets ctx->block. */
static int
fm_split(fm_ctx *ctx, const char *s, size_t len, size_t *body)
{
    size_t p = fm_opening(s, len), next, n;
    nx_parse_pos top = {1, 1};

    for (ctx->block = s + p; p < len; p = next) {
        n = fm_line(s, len, p, &next);
        if (fm_line_is(s + p, n, "---") || fm_line_is(s + p, n, "...")) {
            ctx->block_len = (size_t)(s + p - ctx->block);
            *body = next;
            return NEWSIDX_OK;
        }
    }
    return fm_fail_pos(ctx, top, "front matter is never closed");
}

/* Sanitize the raw bytes into `text`, with a warning when something had
 * to be replaced. */
static int
fm_sanitize(fm_ctx *ctx, nx_buf *text, const char *buf, size_t len)
{
    size_t n1 = 0, first1 = 0, n2 = 0, first2 = 0;
    nx_parse_pos pos = {0, 0}, pos2;

    if (!nx_utf8_sanitize(text, buf, len, &n1, &first1) ||
        !nx_buf_reserve(text, 0) || !fm_yaml_safe(text, &n2, &first2))
        return fm_nomem(ctx);
    if (n1 > 0)
        pos = fm_pos_of_offset(buf, first1);
    if (n2 > 0) {
        pos2 = fm_pos_of_offset(text->data, first2);
        if (n1 == 0 || pos2.line < pos.line ||
            (pos2.line == pos.line && pos2.column < pos.column))
            pos = pos2;
    }
    if (n1 + n2 > 0)
        fm_warn_pos(ctx, pos,
                    "invalid UTF-8 or control characters replaced (%zu)",
                    n1 + n2);
    return ctx->rc;
}

/* Is the character where the scanner stopped a tab?  (The cursor stands at
 * the problem mark once fm_pos_of_mark has placed it.) */
static bool
fm_is_tab_at(const fm_ctx *ctx, const yaml_parser_t *parser)
{
    size_t off = ctx->cursor.off;

    return parser->error == YAML_SCANNER_ERROR && off < ctx->block_len &&
           ctx->block[off] == '\t';
}

static int
fm_yaml_error(fm_ctx *ctx, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "invalid yaml";
    nx_parse_pos pos;

    if (parser->error == YAML_MEMORY_ERROR)
        return fm_nomem(ctx);
    if (parser->error == YAML_READER_ERROR) {
        pos = fm_pos_of_offset(ctx->block, parser->problem_offset);
        pos.line++;
    } else {
        pos = fm_pos_of_mark(ctx, parser->problem_mark);
    }
    if (fm_is_tab_at(ctx, parser))
        return fm_fail_pos(ctx, pos,
                           "a tab character here; YAML does not allow tabs "
                           "for indentation (%s)",
                           problem);
    if (parser->context == NULL)
        return fm_fail_pos(ctx, pos, "%s", problem);
    /* "found duplicate anchor; first occurrence" ... "second occurrence" */
    if (parser->error == YAML_COMPOSER_ERROR)
        return fm_fail_pos(ctx, pos, "%s at line %u, %s", parser->context,
                           fm_pos_of_mark(ctx, parser->context_mark).line,
                           problem);
    return fm_fail_pos(ctx, pos, "%s %s", problem, parser->context);
}

static bool
fm_parser_open(fm_ctx *ctx, yaml_parser_t *parser)
{
    if (!yaml_parser_initialize(parser)) {
        fm_nomem(ctx);
        return false;
    }
    yaml_parser_set_input_string(parser, (const unsigned char *)ctx->block,
                                 ctx->block_len);
    yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING);
    return true;
}

/* Counts of the event pass. */
typedef struct fm_census {
    int depth;
    size_t n_anchors;
    size_t n_aliases;
} fm_census;

static void
fm_census_add(fm_ctx *ctx, fm_census *c, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL;
    bool is_start = false;

    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        is_start = true;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        is_start = true;
        break;
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_ALIAS_EVENT:
        c->n_aliases++;
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        c->depth--;
        return;
    default:
        return;
    }
    c->n_anchors += anchor != NULL;
    if (c->depth >= FM_MAX_DEPTH) /* this node is at level depth + 1 */
        fm_fail_pos(ctx, fm_pos_of_mark(ctx, ev->start_mark),
                    "nesting deeper than %d levels", FM_MAX_DEPTH);
    else if (c->n_anchors > FM_MAX_ANCHORS)
        fm_fail_pos(ctx, fm_pos_of_mark(ctx, ev->start_mark),
                    "more than %d anchors", FM_MAX_ANCHORS);
    else if (c->n_aliases > FM_MAX_ALIASES)
        fm_fail_pos(ctx, fm_pos_of_mark(ctx, ev->start_mark),
                    "more than %d aliases", FM_MAX_ALIASES);
    c->depth += is_start;
}

/*
 * libyaml's scanner takes time quadratic in the depth of flow collections
 * and its composer in the number of anchors.  When the text has more `[`
 * and `{`, `&` or `*` characters than the limits allow collections,
 * anchors or aliases, count the real ones with the (streaming) event
 * parser, which stops at the first one too many.
 */
static int
fm_prescan(fm_ctx *ctx)
{
    const unsigned char *p = (const unsigned char *)ctx->block;
    size_t i, n_open = 0, n_amp = 0, n_star = 0;
    yaml_parser_t parser;
    yaml_event_t event;
    fm_census census = {0, 0, 0};
    bool is_end = false;

    for (i = 0; i < ctx->block_len; i++) {
        unsigned c = fm_byte_class[p[i]];

        if (c > FM_B_UNSAFE) {
            n_open += (c & FM_B_OPEN) != 0;
            n_amp += (c & FM_B_ANCHOR) != 0;
            n_star += (c & FM_B_ALIAS) != 0;
        }
    }
    if (n_open <= FM_MAX_DEPTH && n_amp <= FM_MAX_ANCHORS &&
        n_star <= FM_MAX_ALIASES)
        return NEWSIDX_OK;
    if (!fm_parser_open(ctx, &parser))
        return ctx->rc;
    while (!is_end && ctx->rc == NEWSIDX_OK) {
        if (!yaml_parser_parse(&parser, &event)) {
            fm_yaml_error(ctx, &parser);
            break;
        }
        is_end = event.type == YAML_STREAM_END_EVENT;
        fm_census_add(ctx, &census, &event);
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return ctx->rc;
}

/* Load the block as one YAML document; a second one is an error. */
static int
fm_load(fm_ctx *ctx, yaml_document_t *doc)
{
    yaml_parser_t parser;
    yaml_document_t next;
    yaml_node_t *root;

    if (!fm_parser_open(ctx, &parser))
        return ctx->rc;
    if (!yaml_parser_load(&parser, doc)) {
        fm_yaml_error(ctx, &parser);
        yaml_parser_delete(&parser);
        return ctx->rc;
    }
    if (!yaml_parser_load(&parser, &next)) {
        fm_yaml_error(ctx, &parser);
    } else {
        root = yaml_document_get_root_node(&next);
        if (root != NULL)
            fm_fail_pos(ctx, fm_pos_of_mark(ctx, root->start_mark),
                        "front matter holds more than one yaml document");
        yaml_document_delete(&next);
    }
    if (ctx->rc != NEWSIDX_OK)
        yaml_document_delete(doc);
    yaml_parser_delete(&parser);
    return ctx->rc;
}

/* The last pair of mapping `map` whose key is `key`: its value, and the
 * key node in *key_out; NULL when there is none. */
static yaml_node_t *
fm_last_value(fm_ctx *ctx, yaml_node_t *map, const char *key,
              yaml_node_t **key_out)
{
    yaml_node_pair_t *pair = map->data.mapping.pairs.top;
    size_t len = strlen(key);

    while (pair-- > map->data.mapping.pairs.start) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, pair->key);

        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            k->data.scalar.length == len &&
            memcmp(k->data.scalar.value, key, len) == 0) {
            *key_out = k;
            return yaml_document_get_node(ctx->doc, pair->value);
        }
    }
    return NULL;
}

/*
 * Events and communities name themselves with `name:` instead of `title:`.
 * An item without a usable title (missing, null, empty or all spaces, or
 * not a string) takes its top-level `name` as the title, under a title's
 * own rules: a string is repaired and trimmed, a list of strings is joined
 * with a warning, anything else is refused with a warning.  `name` stays
 * in extra as written (fm_map_fields put it there: it is no known key), so
 * the copy fm_field_string keeps of a refused or joined value goes to a
 * buffer thrown away.  An empty result leaves the title as it was.
 */
static void
fm_name_as_title(fm_ctx *ctx, yaml_node_t *root)
{
    static const fm_field title = {"title", FM_TEXT, FM_ITEM(title), 0, NULL};
    nx_item *item = ctx->item;
    nx_buf unused = NX_BUF_INIT;
    fm_target target = {&title, item, &unused};
    fm_slot slot = {&target, &title, NULL, NULL, 2};
    char *before = item->title;
    size_t mark;

    if (ctx->rc != NEWSIDX_OK || (before != NULL && before[0] != '\0'))
        return;
    slot.value = fm_last_value(ctx, root, "name", &slot.key);
    if (slot.value == NULL || fm_is_null(slot.value))
        return;
    item->title = NULL; /* an empty title, kept if `name` gives nothing */
    mark = fm_path_push_key(ctx, slot.key);
    fm_field_string(ctx, &slot);
    fm_path_pop(ctx, mark);
    if (item->title != NULL && item->title[0] != '\0') {
        nx_free(before);
        ctx->is_named = true;
    } else {
        nx_free(item->title);
        item->title = before;
    }
    if (nx_buf_oom(&unused))
        fm_nomem(ctx);
    nx_buf_free(&unused);
}

/* Map the document's root mapping to the item. */
static int
fm_map_document(fm_ctx *ctx, yaml_document_t *doc)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    nx_buf extra = NX_BUF_INIT;
    fm_target target = {fm_item_fields, ctx->item, &extra};

    ctx->doc = doc;
    if (root == NULL || fm_is_null(root))
        return nx_fail(ctx->err, NEWSIDX_NOTFOUND, "front matter is empty");
    if (root->type == YAML_SCALAR_NODE)
        return fm_fail_at(ctx, root, "front matter is a scalar, not a mapping");
    if (root->type == YAML_SEQUENCE_NODE)
        return fm_fail_at(ctx, root, "front matter is a list, not a mapping");
    if (fm_visit(ctx, root, 1))
        fm_map_fields(ctx, &target, root, 1);
    fm_name_as_title(ctx, root);
    ctx->item->extra_json = fm_extra_finish(ctx, &extra);
    nx_buf_free(&extra);
    return ctx->rc;
}

static int
fm_parse_block(fm_ctx *ctx)
{
    yaml_document_t doc;
    int rc;

    fm_cursor_reset(&ctx->cursor);
    if (fm_prescan(ctx) != NEWSIDX_OK || fm_load(ctx, &doc) != NEWSIDX_OK)
        return ctx->rc;
    rc = fm_map_document(ctx, &doc);
    yaml_document_delete(&doc);
    ctx->doc = NULL;
    return rc;
}

/* The body: what follows the closing line, less one blank line; NULL when
 * only whitespace. */
static int
fm_set_body(fm_ctx *ctx, const char *s, size_t len)
{
    size_t i;

    if (len > 0 && s[0] == '\n')
        s++, len--;
    else if (len > 1 && s[0] == '\r' && s[1] == '\n')
        s += 2, len -= 2;
    for (i = 0; i < len && nx_scalar_is_space(s[i]); i++)
        continue;
    if (i == len)
        return NEWSIDX_OK;
    ctx->item->body = nx_strndup(s, len);
    return ctx->item->body ? NEWSIDX_OK : fm_nomem(ctx);
}

/* A news item has a title or an excerpt of its own: a title taken from
 * `name` does not make one (profiles and taxonomy files have a name). */
static int
fm_check_news(fm_ctx *ctx)
{
    const nx_item *item = ctx->item;

    if ((ctx->is_named || item->title == NULL || item->title[0] == '\0') &&
        (item->excerpt == NULL || item->excerpt[0] == '\0'))
        return nx_fail(ctx->err, NEWSIDX_NOTFOUND, "no title or excerpt");
    return NEWSIDX_OK;
}

/**************************************************************************
** The interface
*/

int
nx_frontmatter_parse(nx_item **out, const char *buf, size_t len,
                     nx_parse_pos *pos_out, newsidx_error *err)
{
    nx_buf text = NX_BUF_INIT;
    size_t body = 0;
    fm_ctx ctx;
    int rc;

    *out = NULL;
    nx_error_clear(err);
    memset(&ctx, 0, sizeof(ctx));
    ctx.err = err;
    if (len == 0 || fm_opening(buf, len) == 0) /* cheap, before copying */
        rc = nx_fail(err, NEWSIDX_NOTFOUND, "no front matter");
    else if ((ctx.item = nx_calloc(1, sizeof(nx_item))) == NULL)
        rc = fm_nomem(&ctx);
    else
        rc = NEWSIDX_OK;
    if (rc == NEWSIDX_OK) {
        ctx.item->published = -1;
        rc = fm_sanitize(&ctx, &text, buf, len);
    }
    if (rc == NEWSIDX_OK)
        rc = fm_split(&ctx, text.data, text.len, &body);
    if (rc == NEWSIDX_OK)
        rc = fm_parse_block(&ctx);
    if (rc == NEWSIDX_OK)
        rc = fm_set_body(&ctx, text.data + body, text.len - body);
    if (rc == NEWSIDX_OK)
        rc = fm_check_news(&ctx);
    if (pos_out != NULL)
        *pos_out = rc == NEWSIDX_PARSE ? ctx.pos : (nx_parse_pos){0, 0};
    if (rc == NEWSIDX_OK) {
        *out = ctx.item;
        ctx.item = NULL;
    }
    nx_item_free(ctx.item);
    nx_buf_free(&ctx.path);
    nx_buf_free(&ctx.scratch);
    nx_buf_free(&text);
    return rc;
}

static void
fm_related_free(nx_related *r)
{
    nx_free(r->title);
    nx_free(r->excerpt);
    nx_free(r->url);
    nx_free(r->amp_url);
    nx_free(r->cdn_amp_url);
    nx_free(r->type);
    nx_free(r->provider_name);
    nx_free(r->provider_domain);
    nx_free(r->images_json);
    nx_free(r->extra_json);
}

void
nx_item_free(nx_item *item)
{
    size_t i;

    if (item == NULL)
        return;
    nx_free(item->category);
    nx_free(item->title);
    nx_free(item->excerpt);
    nx_free(item->type);
    nx_free(item->web_url);
    nx_free(item->original_url);
    nx_free(item->amp_url);
    nx_free(item->cdn_amp_url);
    nx_free(item->secured);
    nx_free(item->provider_name);
    nx_free(item->provider_domain);
    nx_free(item->provider_images_json);
    nx_free(item->images_json);
    nx_free(item->extra_json);
    nx_free(item->body);
    for (i = 0; i < item->n_topics; i++)
        nx_free(item->topics[i]);
    nx_free(item->topics);
    for (i = 0; i < item->n_related; i++)
        fm_related_free(&item->related[i]);
    nx_free(item->related);
    for (i = 0; i < item->n_warnings; i++) {
        nx_free(item->warnings[i].field);
        nx_free(item->warnings[i].message);
    }
    nx_free(item->warnings);
    nx_free(item);
}
