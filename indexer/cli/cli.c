/*
 * cli.c - messages, option tables, number parsing, display paths and the
 * progress bar shared by newsindex and newsquery.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *cli_program = "newsidx";

void
cli_set_program(const char *name)
{
    cli_program = name;
}

static void cli_vmessage(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
cli_vmessage(const char *kind, const char *fmt, va_list ap)
{
    char msg[1024];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "%s: %s: ", cli_program, kind);
    cli_put_escaped(stderr, msg);
    fputc('\n', stderr);
}

void
cli_put_escaped(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

void
cli_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vmessage("error", fmt, ap);
    va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vmessage("warning", fmt, ap);
    va_end(ap);
}

int
cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vmessage("error", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_program);
    return CLI_EXIT_USAGE;
}

void
cli_getopt_tables(const cli_option *opts, size_t n, struct option *longopts,
                  char *shortopts)
{
    size_t i;
    char *s = shortopts;

    /* '-': operands come back in order (as option 1), so that options may
     * follow them whatever POSIXLY_CORRECT says; ':': a missing value is
     * told apart from an unknown option. */
    *s++ = '-';
    *s++ = ':';
    for (i = 0; i < n; i++) {
        longopts[i].name = opts[i].name;
        longopts[i].has_arg = opts[i].has_arg;
        longopts[i].flag = NULL;
        longopts[i].val = opts[i].short_name;
        if (opts[i].short_name > 0 && opts[i].short_name < 256) {
            *s++ = (char)opts[i].short_name;
            if (opts[i].has_arg == required_argument)
                *s++ = ':';
            else if (opts[i].has_arg == optional_argument)
                s += sprintf(s, "::");
        }
    }
    *s = '\0';
    memset(&longopts[n], 0, sizeof(longopts[n]));
}

/* The entry of `p`'s table whose short_name is `c`, or NULL. */
static const cli_option *
cli_find(const cli_parser *p, int c)
{
    size_t i;

    for (i = 0; i < p->n_opts; i++)
        if (p->opts[i].short_name == c)
            return &p->opts[i];
    return NULL;
}

/*
 * An argument that starts with a single '-' is only options: each letter
 * a short option, and one that takes a value only as the last letter (the
 * value is the next argument).  getopt_long would read `-hiring` as -h and
 * `-n95` as -n 95, where a query means to exclude a word.  Returns -1 if
 * `arg` is fine, or a usage error.
 */
static int
cli_check_dashed(const cli_parser *p, const char *arg)
{
    const char *s;

    if (arg[0] != '-' || arg[1] == '\0' || arg[1] == '-')
        return -1; /* an operand, "-", a long option or "--" */
    for (s = arg + 1; *s != '\0'; s++) {
        const cli_option *o = cli_find(p, (unsigned char)*s);

        if (o == NULL)
            return cli_usage_error("unknown option '%s'; %s", arg,
                                   p->dash_hint);
        if (o->has_arg != no_argument && s[1] != '\0')
            return cli_usage_error("unknown option '%s' (the value of -%c "
                                   "is the next argument: -%c %s); %s",
                                   arg, *s, *s, s + 1, p->dash_hint);
    }
    return -1;
}

/* getopt_long's '?' for `arg` (a long option: short ones were checked
 * first): unknown, or the start of several names. */
static int
cli_unknown_long(const cli_parser *p, const char *arg)
{
    size_t i, len, n = 0;

    if (strncmp(arg, "--", 2) != 0)
        return cli_usage_error("unknown option '%s'", arg);
    len = strcspn(arg + 2, "=");
    for (i = 0; i < p->n_opts; i++)
        n += strncmp(p->opts[i].name, arg + 2, len) == 0;
    if (n > 1)
        return cli_usage_error("option '%.*s' is ambiguous", (int)len + 2, arg);
    return cli_usage_error("unknown option '%s'", arg);
}

/* Option `c` was given without '=': when it takes an optional value and
 * the next argument reads as one, say how to write what was meant. */
static int
cli_check_optional(const cli_parser *p, int c, int argc, char **argv)
{
    const cli_option *o = cli_find(p, c);
    const char *next = optind < argc ? argv[optind] : NULL;

    if (o == NULL || o->has_arg != optional_argument || next == NULL ||
        p->is_value == NULL || !p->is_value(c, next))
        return -1;
    return cli_usage_error("'%s %s': an optional value goes after '=' "
                           "(--%s=%s); for the word '%s', put it before %s",
                           argv[optind - 1], next, o->name, next, next,
                           argv[optind - 1]);
}

/* One result of getopt_long: an operand goes to `operands`, an option to
 * the program.  Returns -1 to go on, or an exit code. */
static int
cli_handle(const cli_parser *p, int c, int argc, char **argv, void *cfg,
           char **operands, int *n_operands)
{
    int rc;

    switch (c) {
    case 1:
        operands[(*n_operands)++] = optarg;
        return -1;
    case ':':
        return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
    case '?':
        return cli_unknown_long(p, argv[optind - 1]);
    default:
        rc = optarg == NULL ? cli_check_optional(p, c, argc, argv) : -1;
        return rc >= 0 ? rc : p->on_option(cfg, c, optarg);
    }
}

int
cli_parse_options(const cli_parser *p, int argc, char **argv, void *cfg)
{
    struct option *longopts = calloc(p->n_opts + 1, sizeof(*longopts));
    char *shortopts = malloc(3 * p->n_opts + 3);
    char **operands = malloc(((size_t)argc + 1) * sizeof(*operands));
    int c, rc = -1, n_operands = 0, checked = 0;

    if (longopts == NULL || shortopts == NULL || operands == NULL) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAILURE;
        goto out;
    }
    cli_getopt_tables(p->opts, p->n_opts, longopts, shortopts);
    opterr = 0;
    while (rc < 0) {
        /* Each argument once, before getopt_long reads its first letter
         * (optind stays on a group of letters until its last). */
        if (optind < argc && optind > checked) {
            checked = optind;
            if ((rc = cli_check_dashed(p, argv[optind])) >= 0)
                break;
        }
        c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c == -1)
            break;
        rc = cli_handle(p, c, argc, argv, cfg, operands, &n_operands);
    }
    if (rc < 0) {
        /* After "--" (or the last option), the rest are operands too. */
        while (optind < argc)
            operands[n_operands++] = argv[optind++];
        memcpy(argv + argc - n_operands, operands,
               (size_t)n_operands * sizeof(*operands));
        optind = argc - n_operands;
    }
out:
    free(longopts);
    free(shortopts);
    free(operands);
    return rc;
}

const char *
cli_default_db(const char *given)
{
    const char *env = getenv("NEWSIDX_DB");

    if (given != NULL && *given != '\0')
        return given;
    return env != NULL && *env != '\0' ? env : "news.db";
}

void
cli_print_options(FILE *out, const cli_option *opts, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char left[64];
        int len;

        if (opts[i].short_name > 0 && opts[i].short_name < 256)
            len = snprintf(left, sizeof(left), "  -%c, --%s",
                           opts[i].short_name, opts[i].name);
        else
            len = snprintf(left, sizeof(left), "      --%s", opts[i].name);
        if (opts[i].arg != NULL && len > 0 && (size_t)len < sizeof(left))
            snprintf(left + len, sizeof(left) - (size_t)len,
                     opts[i].has_arg == optional_argument ? "[=%s]" : " %s",
                     opts[i].arg);
        fprintf(out, "%-28s %s\n", left, opts[i].help);
    }
}

bool
cli_parse_u64(const char *s, bool allow_suffix, uint64_t *out)
{
    unsigned long long v;
    uint64_t mult = 1;
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    if (allow_suffix && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1024;
            break;
        case 'm':
        case 'M':
            mult = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            mult = 1024ull * 1024 * 1024;
            break;
        default:
            return false;
        }
        end++;
    }
    if (*end != '\0' || v > UINT64_MAX / mult)
        return false;
    *out = (uint64_t)v * mult;
    return true;
}

/* The roots of cli_display_roots: each typed path, without its trailing
 * '/'s, and its real path. */
typedef struct cli_root {
    const char *typed;
    size_t typed_len;
    char *real;
    size_t real_len; /* 0 for "/" */
} cli_root;

static cli_root *cli_roots;
static size_t cli_n_roots;

void
cli_display_roots(const char *const *paths, size_t n_paths)
{
    size_t i;

    cli_roots = calloc(n_paths + 1, sizeof(*cli_roots));
    cli_n_roots = 0;
    for (i = 0; cli_roots != NULL && i < n_paths; i++) {
        cli_root *r = &cli_roots[cli_n_roots];

        if ((r->real = realpath(paths[i], NULL)) == NULL)
            continue; /* reported as typed anyway */
        r->typed = paths[i];
        r->typed_len = strlen(paths[i]);
        while (r->typed_len > 1 && paths[i][r->typed_len - 1] == '/')
            r->typed_len--;
        r->real_len = strlen(r->real);
        if (r->real_len == 1) /* "/": "/x" goes on from it */
            r->real_len = 0;
        cli_n_roots++;
    }
}

const char *
cli_display_path(const char *path)
{
    static char *buf;
    static size_t cap;
    const cli_root *best = NULL;
    size_t i, need;

    for (i = 0; i < cli_n_roots; i++) {
        const cli_root *r = &cli_roots[i];

        if (strncmp(path, r->real, r->real_len) == 0 &&
            (path[r->real_len] == '/' || path[r->real_len] == '\0') &&
            (best == NULL || r->real_len > best->real_len))
            best = r;
    }
    if (best == NULL)
        return path;
    need = best->typed_len + strlen(path + best->real_len) + 1;
    if (need > cap) {
        char *grown = realloc(buf, need);

        if (grown == NULL)
            return path;
        buf = grown;
        cap = need;
    }
    memcpy(buf, best->typed, best->typed_len);
    /* "/" typed, and a path under it: one '/', not two. */
    i = best->typed_len == 1 && best->typed[0] == '/' &&
        path[best->real_len] == '/';
    strcpy(buf + best->typed_len, path + best->real_len + i);
    return buf;
}

double
cli_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_progress_init(cli_progress *p, bool is_enabled)
{
    p->is_enabled = is_enabled;
    p->is_drawn = false;
    p->start = cli_now();
    p->last_draw = 0;
}

void
cli_progress_clear(cli_progress *p)
{
    if (p->is_drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->is_drawn = false;
    }
}

void
cli_progress_update(cli_progress *p, uint64_t done, uint64_t total,
                    const char *what)
{
    double now = cli_now(), elapsed, rate;
    char bar[31];
    int filled = 0, i;

    if (total > 0 && total < done) /* files that came after the count */
        total = done;
    if (!p->is_enabled || (now - p->last_draw < 0.1 && done != total))
        return;
    p->last_draw = now;
    elapsed = now - p->start;
    rate = elapsed > 0 ? (double)done / elapsed : 0;
    if (total > 0)
        filled = (int)(30.0 * (double)done / (double)total);
    for (i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    if (total > 0 && rate > 0) {
        double eta = (double)(total - done) / rate;

        fprintf(stderr, "\r\033[K[%s] %llu/%llu %s  %.0f/s  ETA %d:%02d", bar,
                (unsigned long long)done, (unsigned long long)total, what, rate,
                (int)eta / 60, (int)eta % 60);
    } else if (done > 0) {
        fprintf(stderr, "\r\033[K%s... %llu", what, (unsigned long long)done);
    } else {
        fprintf(stderr, "\r\033[K%s...", what);
    }
    fflush(stderr);
    p->is_drawn = true;
}
