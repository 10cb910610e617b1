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

    *s++ = '+'; /* stop at the first non-option, as POSIX asks */
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

int
cli_parse_options(const cli_option *opts, size_t n, int argc, char **argv,
                  int (*on_option)(void *cfg, int c, const char *arg),
                  void *cfg)
{
    struct option *longopts = calloc(n + 1, sizeof(*longopts));
    char *shortopts = malloc(3 * n + 2);
    int c, rc = -1;

    if (longopts == NULL || shortopts == NULL) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAILURE;
        goto out;
    }
    cli_getopt_tables(opts, n, longopts, shortopts);
    opterr = 0;
    while (rc < 0 &&
           (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            rc = cli_usage_error("bad option '%s'", argv[optind - 1]);
        else
            rc = on_option(cfg, c, optarg);
    }
out:
    free(longopts);
    free(shortopts);
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

const char *
cli_display_path(const char *path)
{
    static char cwd[4096];
    static size_t cwd_len = (size_t)-1;

    if (cwd_len == (size_t)-1)
        cwd_len = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
    if (cwd_len > 1 && strncmp(path, cwd, cwd_len) == 0 && path[cwd_len] == '/')
        return path + cwd_len + 1;
    return path;
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

    if (total < done) /* files that came after the count */
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
    } else {
        fprintf(stderr, "\r\033[K%s %llu...", what, (unsigned long long)done);
    }
    fflush(stderr);
    p->is_drawn = true;
}
