/*
 * printer_paths.c - the paths printer (--format paths): the path of each
 * hit, one per line, or each ended by NUL (-0) for `xargs -0`, as `rg -l`
 * and `notmuch search --output=files` print them.
 *
 * Paths are written byte for byte, as the system names the files, even
 * when they are not UTF-8: a script must be able to open them.  With
 * newlines, a name holding a newline would read as two; -0 is for that.
 * Everything else of the document is left out.
 */
#include <stdlib.h>
#include <string.h>

#include "printer.h"

typedef struct paths_printer {
    printer base;
    FILE *out;
    char end;         /* '\n' or '\0' */
    int depth;        /* open containers */
    bool is_hits_key; /* the last key was "hits" in the outermost map */
    int hits_depth;   /* the depth inside the hits list, or 0 */
    bool is_path_key; /* the last key was "path" of a hit */
} paths_printer;

static void
paths_begin(printer *p)
{
    paths_printer *pp = (paths_printer *)p;

    pp->depth++;
    if (pp->is_hits_key && pp->depth == 2)
        pp->hits_depth = 2;
    pp->is_hits_key = false;
    pp->is_path_key = false;
}

static void
paths_end(printer *p)
{
    paths_printer *pp = (paths_printer *)p;

    if (pp->depth == pp->hits_depth)
        pp->hits_depth = 0;
    pp->depth--;
    pp->is_path_key = false;
}

static void
paths_map_key(printer *p, const char *key)
{
    paths_printer *pp = (paths_printer *)p;

    pp->is_hits_key = pp->depth == 1 && strcmp(key, "hits") == 0;
    /* A hit is a map one level inside the hits list. */
    pp->is_path_key = pp->hits_depth > 0 && pp->depth == pp->hits_depth + 1 &&
                      strcmp(key, "path") == 0;
}

static void
paths_string(printer *p, const char *s)
{
    paths_printer *pp = (paths_printer *)p;

    if (pp->is_path_key && s != NULL) {
        fputs(s, pp->out);
        fputc(pp->end, pp->out);
    }
    pp->is_hits_key = false;
    pp->is_path_key = false;
}

/* Any other value: nothing to print. */
static void
paths_scalar(paths_printer *pp)
{
    pp->is_hits_key = false;
    pp->is_path_key = false;
}

static void
paths_integer(printer *p, int64_t n)
{
    (void)n;
    paths_scalar((paths_printer *)p);
}

static void
paths_real(printer *p, double d)
{
    (void)d;
    paths_scalar((paths_printer *)p);
}

static void
paths_boolean(printer *p, bool b)
{
    (void)b;
    paths_scalar((paths_printer *)p);
}

static void
paths_null(printer *p)
{
    paths_scalar((paths_printer *)p);
}

static int
paths_finish(printer *p)
{
    paths_printer *pp = (paths_printer *)p;

    return fflush(pp->out) != 0 || ferror(pp->out) ? -1 : 0;
}

static void
paths_free(printer *p)
{
    free(p);
}

printer *
printer_paths_new(FILE *out, bool is_null)
{
    paths_printer *pp = calloc(1, sizeof(*pp));

    if (pp == NULL)
        return NULL;
    pp->base.begin_map = paths_begin;
    pp->base.begin_list = paths_begin;
    pp->base.end = paths_end;
    pp->base.map_key = paths_map_key;
    pp->base.string = paths_string;
    pp->base.integer = paths_integer;
    pp->base.real = paths_real;
    pp->base.boolean = paths_boolean;
    pp->base.null = paths_null;
    pp->base.finish = paths_finish;
    pp->base.free = paths_free;
    pp->base.mark_open = "[";
    pp->base.mark_close = "]";
    pp->out = out;
    pp->end = is_null ? '\0' : '\n';
    return &pp->base;
}
