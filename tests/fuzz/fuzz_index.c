/*
 * fuzz_index.c - the read path on damaged index files.
 *
 * Once per process a small index is built through the public API
 * (index_build: about 440 generated items indexed from files in two runs
 * and a few added from memory, some replaced and some removed, so that
 * the FTS5 index has several segments, delete markers, doclists over
 * several leaves, position lists longer than a leaf and a doclist index)
 * and its bytes are kept.  Each input is a list of damages to that file
 * (the encoding is below): the file is written to a scratch path, damaged
 * through plain SQL (and raw bytes), opened read-only with
 * newsidx_index_open, and a fixed set of queries runs on it that reaches
 * every read path: the engine's walks, block-max, the SQL fallback,
 * filters, sorts, facets, counts, a later page, --like, related entries,
 * snippets and suggestions.  Every field of every hit is read.
 *
 * Invariants (STYLE.md 2.1a: every byte of the file is untrusted):
 * - no crash and no sanitizer report;
 * - no allocation above FUZZ_MAX_ALLOC, by the library or by SQLite;
 * - every call returns a status it documents, and a damaged file gives
 *   NEWSIDX_CORRUPT, NEWSIDX_IO, NEWSIDX_SCHEMA, NEWSIDX_NOTFOUND or
 *   NEWSIDX_NOMEM (and NEWSIDX_INVALID where newsidx.h documents it for
 *   malformed stored weights); NEWSIDX_INTERNAL means a bug;
 * - every failure has err->code equal to the status, a non-empty,
 *   NUL-terminated message, and its `*out` NULL;
 * - every string a getter returns is NULL or valid UTF-8 (a path excepted:
 *   file names are any bytes); a page holds at most `limit` hits.
 * On the undamaged file every query must succeed and find something
 * (checked once, so that a typo in the query list cannot hide a path).
 *
 * The input: records of 8 bytes, at most FUZZ_MAX_DAMAGES of them,
 *
 *     op  kind  row(u16 LE)  off(u16 LE)  arg(u16 LE)
 *
 * up to a record whose op byte is 0xff; the bytes after that 0xff are the
 * pool that text and inserted bytes are taken from.  `op` (enum fuzz_op)
 * says what to do, `kind` what is damaged (fuzz_kinds: the fts_data
 * records by type, fts_idx, docinfo, bounds, terms, meta, items, ...),
 * `row` a row of that kind modulo their number (so every record hits a
 * real row), `off` a byte offset modulo the value's length (or a column),
 * and `arg` the value: its low byte is a small signed delta, its high
 * nibble picks a base among fuzz_bases (0, 128, 4096, 0x7fffffff, 2^40,
 * 2^63-1, -1, ...).  An empty input damages nothing.
 *
 * Environment (docs/fuzzing.md): NX_FUZZ_INDEX_FILE=path damages that
 * file instead of a scratch one and leaves it behind, to look at it with
 * sqlite3 or newsquery; NX_FUZZ_INDEX_TRACE=1 prints each call and its
 * status; NX_FUZZ_INDEX_LAX=1 reports broken status, UTF-8 and allocation
 * invariants on stderr instead of aborting, so that a long run can look
 * for memory errors past a known bug.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "query.h"

/**************************************************************************
** The base index
*/

#define FUZZ_N_FIRST 400 /* items of the first run */
#define FUZZ_N_FILES 440 /* items of both runs */

static unsigned char *base; /* the clean index file */
static size_t base_len;
static char path[4096]; /* the scratch file */
static char path_wal[4112], path_shm[4112], path_lock[4112];
static bool is_lax;
static bool is_trace; /* NX_FUZZ_INDEX_TRACE: print each call */
static bool is_kept;  /* NX_FUZZ_INDEX_FILE: leave the file behind */

/* The items are made from a deterministic generator (xorshift32). */
static uint32_t gen_state = 2463534242u;

/* The next number of the generator. */
static uint32_t
gen_next(void)
{
    gen_state ^= gen_state << 13;
    gen_state ^= gen_state >> 17;
    gen_state ^= gen_state << 5;
    return gen_state;
}

/* One of the `n` words. */
static const char *
gen_pick(const char *const *words, size_t n)
{
    return words[gen_next() % n];
}

#define GEN_PICK(a) gen_pick((a), sizeof(a) / sizeof((a)[0]))

static const char *const gen_nouns[] = {
    "market",  "chip",      "cloud",   "model",   "data",      "city",
    "drone",   "satellite", "startup", "bank",    "hospital",  "factory",
    "farm",    "port",      "grid",    "battery", "sensor",    "camera",
    "network", "vision",    "arm",     "fleet",   "warehouse", "court"};
static const char *const gen_verbs[] = {
    "raises",  "tests",  "launches", "builds", "cuts",
    "expands", "pilots", "deploys",  "trains", "opens"};
static const char *const gen_adjs[] = {
    "new",     "autonomous", "open",  "smart", "global", "electric",
    "quantum", "neural",     "rural", "urban", "Zürich", "Málaga",
    "São",     "Straße",     "人工",  "ＡＩ",  "ﬁnance", "naïve"};
/* Words of the prefix `robo*`, "robot" the most common. */
static const char *const gen_robo[] = {
    "robot",    "robot",       "robot",    "robots",     "robotic",  "robotics",
    "robotaxi", "roboadvisor", "robocall", "roboticist", "robotist", "robocop"};
static const char *const gen_topics[] = {"AI",      "Robotics", "Cloud",
                                         "Chips",   "Health",   "Finance",
                                         "Climate", "Mobility"};
static const struct {
    const char *name, *domain;
} gen_providers[] = {
    {"Robot Weekly", "robotweekly.com"},
    {"The Market Journal", "marketjournal.com"},
    {"Chip Insider", "chipinsider.com"},
    {"Finance Feed", "financefeed.com"},
    {"Nordic Tech", "nordictech.no"},
    {"Città Futura", "cittafutura.it"},
};

/* A word only item `id` holds ("zx" and the id in letters). */
static void
gen_unique(nx_buf *b, unsigned id)
{
    nx_buf_puts(b, " zx");
    do {
        nx_buf_putc(b, (char)('a' + id % 26));
        id /= 26;
    } while (id > 0);
}

/* `n` words, every `robot_every`-th one "robot" or a word of robo*. */
static void
gen_words(nx_buf *b, unsigned n, unsigned robot_every)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        const char *w;

        switch (gen_next() % 4) {
        case 0:
            w = GEN_PICK(gen_adjs);
            break;
        case 1:
            w = GEN_PICK(gen_verbs);
            break;
        default:
            w = GEN_PICK(gen_nouns);
        }
        if (robot_every > 0 && i % robot_every == 0)
            w = i % (3 * robot_every) == 0 ? GEN_PICK(gen_robo) : "robot";
        nx_buf_printf(b, "%s%s", i ? " " : "", w);
    }
}

/* "key: date" of item `id`, 2019 to 2023. */
static void
gen_date(nx_buf *b, const char *key, unsigned id, unsigned salt)
{
    unsigned day = (id * 7 + salt * 3) % 1700;
    int y = 2019 + (int)(day / 365), m = 1 + (int)(day % 365) / 31;
    int d = 1 + (int)(day % 28);

    nx_buf_printf(b, "%s: %04d-%02d-%02dT%02u:%02u:00Z\n", key, y,
                  m > 12 ? 12 : m, d, (id * 5) % 24, (id * 11) % 60);
}

/* The text of item `id`; `version` > 0 for a replacement. */
static void
gen_item(nx_buf *b, unsigned id, unsigned version)
{
    unsigned n_topics, i, p = (id * 5 + version) % 6;

    gen_state = 2463534242u ^ (id * 2654435761u) ^ version;
    nx_buf_clear(b);
    nx_buf_puts(b, "---\ncategory: news\ntitle: \"");
    if (id % 5 == 0)
        nx_buf_puts(b, "Robot arm ");
    gen_words(b, id == 50 || id == 250 ? 300 : 5 + id % 5, 4);
    if (id % 9 == 0)
        nx_buf_puts(b, " market");
    if (version > 0)
        nx_buf_printf(b, " update %u", version);
    nx_buf_puts(b, "\"\nexcerpt: \"");
    gen_words(b, 12 + id % 17, 6);
    if (id == 17)
        nx_buf_puts(b, " A quokka reviews the robot.");
    if (id % 10 == 1)
        nx_buf_puts(b, " The drone and the satellite.");
    nx_buf_puts(b, "\"\n");
    if (id % 23 != 0)
        gen_date(b, "publishedDateTime", id, version);
    nx_buf_printf(b, "webUrl: https://www.%s/%u/story-%u\n",
                  gen_providers[p].domain, 2019 + id % 5,
                  id % 97 == 3 ? 3 : id);
    nx_buf_puts(b, id % 3 ? "type: article\n" : "type: video\n");
    if (id % 7 != 0)
        nx_buf_printf(b, "quality: %u\n", (id * 37) % 101);
    if (id % 13 == 0)
        nx_buf_puts(b, "heat: -1\n");
    else if (id % 11 != 0)
        nx_buf_printf(b, "heat: %u\n", (id * 53) % 320);
    if (id % 8 == 3)
        nx_buf_puts(b, "published: false\n");
    else if (id % 5 != 0)
        nx_buf_puts(b, "published: true\n");
    nx_buf_printf(b, "provider:\n  name: %s\n  domain: %s\n",
                  gen_providers[p].name, gen_providers[p].domain);
    n_topics = id % 4;
    if (n_topics > 0)
        nx_buf_puts(b, "topics:\n");
    for (i = 0; i < n_topics; i++)
        nx_buf_printf(b, "  - %s\n", gen_topics[(id / 4 + i * 3) % 8]);
    if (id % 4 == 1) {
        nx_buf_puts(b, "related:\n");
        for (i = 0; i <= id % 3; i++) {
            unsigned other = (id * 31 + i * 17) % FUZZ_N_FILES + 1;
            unsigned q = (other * 5) % 6;

            nx_buf_puts(b, "  - title: \"");
            gen_words(b, 4 + i, 2);
            nx_buf_puts(b, "\"\n");
            /* Every other entry links to an indexed item. */
            nx_buf_printf(b, "    webUrl: https://%s%s/%u/story-%u\n",
                          i % 2 ? "" : "www.", gen_providers[q].domain,
                          2019 + other % 5, i % 2 ? other + 1000 : other);
            gen_date(b, "    publishedDateTime", other, i);
            nx_buf_printf(b,
                          "    provider:\n      name: %s\n      domain: %s\n",
                          gen_providers[q].name, gen_providers[q].domain);
            if (i != 1)
                nx_buf_printf(b, "    quality: %u\n", (other * 3) % 100);
        }
    }
    nx_buf_puts(b, "---\n");
    /* A body with "robot" every few words: its doclist spans leaves.
     * Four items repeat "giga" so often that its position lists are
     * longer than a leaf and its doclist gets a doclist index. */
    gen_words(b, 20 + id % 40, 4);
    for (i = 0; id % 100 == 0 && id <= 400 && i < 6000; i++)
        nx_buf_puts(b, " giga");
    gen_unique(b, id);
    nx_buf_putc(b, '\n');
}

/* The scratch file is `file`. */
static void
index_path_set(const char *file)
{
    snprintf(path, sizeof(path), "%s", file);
    snprintf(path_wal, sizeof(path_wal), "%s-wal", path);
    snprintf(path_shm, sizeof(path_shm), "%s-shm", path);
    snprintf(path_lock, sizeof(path_lock), "%s.lock", path); /* the writer's */
}

/* Remove the scratch file and what SQLite and the writer leave beside
 * it. */
static void
index_unlink(void)
{
    unlink(path);
    unlink(path_wal);
    unlink(path_shm);
    unlink(path_lock);
}

/* At exit: the scratch file goes; a kept one stays, without the files
 * SQLite and the writer leave beside it. */
static void
index_cleanup(void)
{
    if (!is_kept)
        unlink(path);
    unlink(path_wal);
    unlink(path_shm);
    unlink(path_lock);
}

/* Remove the scratch files in `dir` of fuzz_index processes that are no
 * more: a crash leaves its file behind (libFuzzer's -fork mode many). */
static void
index_sweep(const char *dir)
{
    static const char prefix[] = "nx-fuzz-index-";
    DIR *d = opendir(dir);
    struct dirent *e;
    char file[4200];

    while (d != NULL && (e = readdir(d)) != NULL) {
        long pid;
        char *end;

        if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
            continue;
        pid = strtol(e->d_name + sizeof(prefix) - 1, &end, 10);
        if (pid <= 0 || pid == (long)getpid() || strncmp(end, ".db", 3) != 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
        unlink(file);
    }
    if (d != NULL)
        closedir(d);
}

/* The scratch file: a tmpfs if there is one, else TMPDIR. */
static void
index_choose_path(void)
{
    const char *kept = getenv("NX_FUZZ_INDEX_FILE");
    const char *dir = getenv("TMPDIR");
    struct stat st;
    char file[4096];

    if (kept != NULL && kept[0] != '\0') {
        is_kept = true;
        index_path_set(kept);
        return;
    }
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        dir = "/dev/shm";
    else if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    index_sweep(dir);
    snprintf(file, sizeof(file), "%s/nx-fuzz-index-%ld.db", dir,
             (long)getpid());
    index_path_set(file);
}

/* Run setup SQL that must work. */
static void
index_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fuzz_index: %s: %s\n", sql, msg ? msg : "?");
        NX_FUZZ_CHECK(!"setup SQL failed");
    }
}

/* The integer a `SELECT count(*)` gives; -1 for none. */
static int64_t
index_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t n = -1;

    NX_FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

/* Add (or replace) item `id` under `source`. */
static void
index_add(newsidx_index *idx, nx_buf *b, const char *source, unsigned id,
          unsigned version)
{
    newsidx_error err;
    int rc;

    gen_item(b, id, version);
    NX_FUZZ_CHECK(!nx_buf_oom(b));
    rc = newsidx_index_add_buffer(idx, source, b->data, b->len, NULL, NULL,
                                  &err);
    if (rc != NEWSIDX_OK)
        fprintf(stderr, "fuzz_index: %s: %s\n", source, err.message);
    NX_FUZZ_CHECK(rc == NEWSIDX_OK);
}

/* Write item `id` (version `version`) as file NNNN.md of folder `dir`;
 * with `is_remove`, remove that file. */
static void
index_file(nx_buf *b, const char *dir, unsigned id, unsigned version,
           bool is_remove)
{
    char file[4200];
    FILE *f;

    snprintf(file, sizeof(file), "%s/%04u.md", dir, id);
    if (is_remove) {
        unlink(file);
        return;
    }
    gen_item(b, id, version);
    NX_FUZZ_CHECK(!nx_buf_oom(b));
    f = fopen(file, "wb");
    NX_FUZZ_CHECK(f != NULL);
    NX_FUZZ_CHECK(fwrite(b->data, 1, b->len, f) == b->len);
    NX_FUZZ_CHECK(fclose(f) == 0);
}

/* Index folder `dir` as newsindex does. */
static void
index_run(newsidx_index *idx, const char *dir)
{
    newsidx_index_stats stats = NEWSIDX_INDEX_STATS_INIT;
    newsidx_error err;
    const char *paths[1];

    paths[0] = dir;
    NX_FUZZ_CHECK(newsidx_index_paths(&stats, idx, paths, 1, NULL, &err) ==
                  NEWSIDX_OK);
    NX_FUZZ_CHECK(stats.failed == 0 && stats.skipped == 0);
}

/* Read the whole file at `path` into base. */
static void
index_slurp(void)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    size_t at = 0;

    NX_FUZZ_CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0);
    base_len = (size_t)st.st_size;
    base = malloc(base_len);
    NX_FUZZ_CHECK(base != NULL);
    while (at < base_len) {
        ssize_t n = read(fd, base + at, base_len - at);

        NX_FUZZ_CHECK(n > 0);
        at += (size_t)n;
    }
    close(fd);
}

static void fuzz_queries_clean(void);

/* Build the base index and keep its bytes.  As newsindex makes one over
 * two runs (one large segment, then a smaller one with replaced, removed
 * and new items), then two more items added one at a time (level-0
 * segments): several segments, delete markers, long doclists. */
static void
index_build(void)
{
    newsidx_index *idx = NULL;
    newsidx_error err;
    nx_buf b = NX_BUF_INIT;
    sqlite3 *db;
    struct stat st;
    char dir[4200], source[4300];
    unsigned id;

    index_choose_path();
    index_unlink();
    snprintf(dir, sizeof(dir), "%s.src", path);
    NX_FUZZ_CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST);
    NX_FUZZ_CHECK(newsidx_index_open(&idx, path, NEWSIDX_OPEN_CREATE, &err) ==
                  NEWSIDX_OK);
    /* Words held by this many rows get block-max bounds (4096 would leave
     * the bounds table of a small index empty); tests lower it the same
     * way. */
    idx->bound_min_df = 100;
    for (id = 1; id <= FUZZ_N_FIRST; id++)
        index_file(&b, dir, id, 0, false);
    index_run(idx, dir);
    for (id = 10; id <= 40; id += 3) /* replaced */
        index_file(&b, dir, id, 1, false);
    for (id = 60; id < 66; id++) /* removed */
        index_file(&b, dir, id, 0, true);
    for (id = FUZZ_N_FIRST + 1; id <= FUZZ_N_FILES; id++) /* new */
        index_file(&b, dir, id, 0, false);
    index_run(idx, dir);
    index_add(idx, &b, "gen/extra.md", FUZZ_N_FILES + 1, 0);
    snprintf(source, sizeof(source), "%s/%04u.md", dir, 20);
    index_add(idx, &b, source, 20, 2);
    nx_buf_free(&b);
    newsidx_index_close(idx);
    for (id = 1; id <= FUZZ_N_FILES; id++)
        index_file(&b, dir, id, 0, true);
    rmdir(dir);

    /* A stored ranking default, as docs/ranking.md says to write one. */
    NX_FUZZ_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
                  SQLITE_OK);
    index_exec(db, "INSERT OR REPLACE INTO meta VALUES('weights',"
                   " 'title=10,excerpt=4,body=1,quality=1,heat=1,prior=0.3')");
    /* The same bytes on every machine, so that an input damages the same
     * thing everywhere: the paths and times of the files made the same,
     * then the file rewritten in table order. */
    index_exec(db, "UPDATE files SET mtime_ns = 0, indexed_at = 0;"
                   "UPDATE files SET path = 'src/' || substr(path, -7)"
                   " WHERE path LIKE '%.src/%';"
                   "VACUUM");
    /* What the damages are meant to reach must be there. */
    NX_FUZZ_CHECK(index_count(db, "SELECT count(*) FROM fts_data"
                                  " WHERE id & 68719476736") > 0); /* dlidx */
    NX_FUZZ_CHECK(index_count(db, "SELECT count(*) FROM bounds") > 0);
    NX_FUZZ_CHECK(index_count(db, "SELECT count(*) FROM related") > 0);
    NX_FUZZ_CHECK(index_count(db, "SELECT count(*) FROM docinfo") > 0);
    sqlite3_close(db);
    /* A clean close leaves no -wal: the bytes are the whole index. */
    NX_FUZZ_CHECK(stat(path_wal, &st) != 0 && errno == ENOENT);
    index_slurp();
    fuzz_queries_clean();
    atexit(index_cleanup);
}

/**************************************************************************
** Damage
*/

#define FUZZ_MAX_DAMAGES 32
#define FUZZ_RECORD      8
#define FUZZ_END         0xff /* op byte: the pool follows */
#define FUZZ_MAX_GROW    512  /* bytes one damage may add */

enum fuzz_op {
    OP_SET_BYTE,   /* byte at off = arg */
    OP_XOR_BYTE,   /* byte at off ^= arg (0 flips the top bit) */
    OP_VARINT,     /* varint value(arg) written over the bytes at off */
    OP_VARINT_INS, /* varint value(arg) inserted at off */
    OP_VARINT_ADD, /* the varint at off += value(arg), rewritten */
    OP_U16BE,      /* u16 big-endian (leaf headers) value(arg) at off */
    OP_LE16,       /* little-endian u16/u32/u64 (docinfo, bounds) */
    OP_LE32,
    OP_LE64,
    OP_TRUNCATE,   /* keep off % (len + 1) bytes */
    OP_EXTEND,     /* append (arg & 0x1ff) + 1 bytes of the pool */
    OP_DEL_BYTES,  /* remove (arg & 0xff) + 1 bytes at off */
    OP_INS_BYTES,  /* insert (arg & 0xff) + 1 bytes of the pool at off */
    OP_DELETE_ROW, /* delete the row */
    OP_SET_INT,    /* integer column (off % their number) = value(arg) */
    OP_SET_TEXT,   /* text column (off % ...) = bytes of the pool */
    OP_SET_TYPE,   /* any column (off % ...): NULL, real, blob, ... */
    OP_SWAP,       /* swap the value with that of row arg */
    OP_RAW,        /* file byte (row << 16 | off) ^= arg, after the SQL */
    OP_COUNT
};

/* One record of the input. */
typedef struct fuzz_damage {
    unsigned op;   /* enum fuzz_op */
    unsigned kind; /* index into fuzz_kinds (modulo) */
    unsigned row;  /* the row of that kind (modulo their number) */
    unsigned off;  /* byte offset (modulo the length) or column */
    unsigned arg;  /* the value: fuzz_value(arg), a byte, a count */
} fuzz_damage;

/* What one kind of damage works on: the rows `where` selects in `table`,
 * named by the columns `key`; `bytes` is the column the byte operations
 * change, `ints` and `texts` the ones OP_SET_INT and OP_SET_TEXT pick
 * from. */
typedef struct fuzz_kind {
    const char *table;    /* the table */
    const char *where;    /* SQL condition: the rows of this kind */
    const char *key;      /* the columns naming a row, in ORDER BY order */
    int n_key;            /* how many (1 or 2) */
    const char *bytes;    /* the byte operations' column, or NULL */
    const char *ints[8];  /* OP_SET_INT's columns, NULL-ended */
    const char *texts[8]; /* OP_SET_TEXT's columns, NULL-ended */
} fuzz_kind;

/* fts_data rowids: segid << 37 | dlidx bit (1 << 36) | height | pgno. */
#define FUZZ_SEG_MIN   "137438953472"
#define FUZZ_DLIDX_BIT "68719476736"

static const fuzz_kind fuzz_kinds[] = {
    /* 0: the structure record, 1: the averages record, 2: leaves,
     * 3: doclist indexes, 4: any fts_data record */
    {"fts_data", "id = 10", "id", 1, "block", {"id"}, {NULL}},
    {"fts_data", "id = 1", "id", 1, "block", {"id"}, {NULL}},
    {"fts_data",
     "id >= " FUZZ_SEG_MIN " AND (id & " FUZZ_DLIDX_BIT ") = 0",
     "id",
     1,
     "block",
     {"id"},
     {NULL}},
    {"fts_data",
     "(id & " FUZZ_DLIDX_BIT ") != 0",
     "id",
     1,
     "block",
     {"id"},
     {NULL}},
    {"fts_data", "1", "id", 1, "block", {"id"}, {NULL}},
    {"fts_idx", "1", "segid, term", 2, "term", {"pgno", "segid"}, {"term"}},
    {"fts_docsize", "1", "id", 1, "sz", {"id"}, {NULL}},
    {"fts_config", "1", "k", 1, "v", {"v"}, {"v", "k"}},
    {"fts_content", "1", "id", 1, "c0", {"id"}, {"c0", "c1", "c2", "c3"}},
    {"docinfo", "1", "block", 1, "data", {"block"}, {NULL}},
    {"bounds", "1", "term, chunk", 2, "data", {"chunk"}, {"term"}},
    {"terms", "1", "term", 1, "term", {"df"}, {"term"}},
    {"meta", "1", "key", 1, "value", {"value"}, {"value", "key"}},
    {"items",
     "1",
     "id",
     1,
     "title",
     {"id", "published_at", "quality", "heat", "level", "published",
      "provider_id"},
     {"title", "excerpt", "web_url", "url_key", "body", "type", "category"}},
    {"item_topics",
     "1",
     "item_id, ord",
     2,
     NULL,
     {"topic_id", "item_id", "ord"},
     {NULL}},
    {"related",
     "1",
     "item_id, ord",
     2,
     "title",
     {"published_at", "quality", "item_id", "ord"},
     {"title", "url", "url_key", "provider_name", "provider_domain"}},
    {"topics", "1", "id", 1, "key", {"id"}, {"key", "name"}},
    {"providers", "1", "id", 1, "key", {"id"}, {"key", "name", "domain"}},
    {"files", "1", "id", 1, "path", {"id", "status"}, {"path"}},
    /* (last: the regression inputs name the kinds by their place) */
    {"title_keys", "1", "hash, id", 2, NULL, {"hash", "id"}, {NULL}},
};
#define FUZZ_N_KINDS (sizeof(fuzz_kinds) / sizeof(fuzz_kinds[0]))

static const uint64_t fuzz_bases[16] = {
    0,
    128,
    4096,
    1u << 14,
    1u << 16,
    0x7fffffffu,
    0x80000000u,
    (uint64_t)1 << 32,
    (uint64_t)1 << 40,
    (uint64_t)1 << 56,
    (uint64_t)1 << 62,
    (uint64_t)INT64_MAX,
    (uint64_t)INT64_MAX + 1, /* INT64_MIN */
    UINT64_MAX,              /* -1 */
    256,
    0xffffffffu,
};

/* value(arg): a base from the high nibble plus a signed delta from the
 * low byte, so that small args are small values. */
static uint64_t
fuzz_value(unsigned arg)
{
    int delta = (arg & 0x80) ? (int)(arg & 0xff) - 256 : (int)(arg & 0xff);

    return fuzz_bases[(arg >> 12) & 15] + (uint64_t)(int64_t)delta;
}

/* Odd values for OP_SET_TEXT when the pool is empty (or arg asks). */
static const char *const fuzz_texts[] = {
    "",
    "title=12,prior=x",
    "title=1e308,excerpt=-1,prior=0.9",
    "1e9 nan -1",
    "0 0 0",
    "inf inf inf",
    "\xff\xfe\xc0\x80",
    "robot",
    "\xee\x80\x80t1",
    "x\xed\xa0\x80y",
    "version",
    "3",
};

/* A growable byte string. */
typedef struct fuzz_bytes {
    unsigned char *p;
    size_t n, cap;
} fuzz_bytes;

/* Room for `extra` more bytes. */
static void
bytes_room(fuzz_bytes *b, size_t extra)
{
    if (b->n + extra + 16 > b->cap) {
        size_t cap = (b->n + extra + 16) * 2;
        unsigned char *p = realloc(b->p, cap);

        NX_FUZZ_CHECK(p != NULL);
        b->p = p;
        b->cap = cap;
    }
}

/* Insert `n` bytes at `at` (at most the end). */
static void
bytes_insert(fuzz_bytes *b, size_t at, const unsigned char *src, size_t n)
{
    bytes_room(b, n);
    if (at > b->n)
        at = b->n;
    memmove(b->p + at + n, b->p + at, b->n - at);
    memcpy(b->p + at, src, n);
    b->n += n;
}

/* Overwrite at `at`, growing the string when it goes past the end. */
static void
bytes_put(fuzz_bytes *b, size_t at, const unsigned char *src, size_t n)
{
    if (at > b->n)
        at = b->n;
    if (at + n > b->n) {
        bytes_room(b, at + n - b->n);
        b->n = at + n;
    }
    memcpy(b->p + at, src, n);
}

/* SQLite's (and FTS5's) varint. */
static int
fuzz_put_varint(unsigned char *p, uint64_t v)
{
    unsigned char tmp[10];
    int i, n = 0;

    if (v >> 56) {
        p[8] = (unsigned char)v;
        v >>= 8;
        for (i = 7; i >= 0; i--) {
            p[i] = (unsigned char)((v & 0x7f) | 0x80);
            v >>= 7;
        }
        return 9;
    }
    do {
        tmp[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v != 0);
    tmp[0] &= 0x7f;
    for (i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* The varint at `p` (of `n` bytes) into *v; its length. */
static int
fuzz_get_varint(const unsigned char *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    for (i = 0; i < 8 && i < n; i++) {
        x = (x << 7) | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return (int)i + 1;
        }
    }
    if (i == 8 && n > 8) {
        *v = (x << 8) | p[8];
        return 9;
    }
    *v = x;
    return (int)i;
}

/* `n` bytes of the pool from `from` on (cycled), or `fill`. */
static void
fuzz_pool_bytes(unsigned char *out, size_t n, const uint8_t *pool,
                size_t pool_len, size_t from, unsigned char fill)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = pool_len ? pool[(from + i) % pool_len] : fill;
}

/* Apply byte operation d->op to `b`. */
static void
fuzz_bytes_op(fuzz_bytes *b, const fuzz_damage *d, const uint8_t *pool,
              size_t pool_len)
{
    unsigned char tmp[FUZZ_MAX_GROW + 16];
    size_t at = b->n ? d->off % (b->n + 1) : 0, n;
    uint64_t v = fuzz_value(d->arg), old;
    int k;

    switch (d->op) {
    case OP_SET_BYTE:
    case OP_XOR_BYTE:
        if (at >= b->n)
            at = b->n ? b->n - 1 : 0;
        if (b->n == 0) {
            tmp[0] = (unsigned char)d->arg;
            bytes_put(b, 0, tmp, 1);
        } else if (d->op == OP_SET_BYTE) {
            b->p[at] = (unsigned char)d->arg;
        } else {
            b->p[at] ^= (d->arg & 0xff) ? (unsigned char)d->arg : 0x80;
        }
        break;
    case OP_VARINT:
        bytes_put(b, at, tmp, (size_t)fuzz_put_varint(tmp, v));
        break;
    case OP_VARINT_INS:
        bytes_insert(b, at, tmp, (size_t)fuzz_put_varint(tmp, v));
        break;
    case OP_VARINT_ADD:
        k = fuzz_get_varint(b->p + at, b->n - at, &old);
        memmove(b->p + at, b->p + at + k, b->n - at - (size_t)k);
        b->n -= (size_t)k;
        bytes_insert(b, at, tmp, (size_t)fuzz_put_varint(tmp, old + v));
        break;
    case OP_U16BE:
        tmp[0] = (unsigned char)(v >> 8);
        tmp[1] = (unsigned char)v;
        bytes_put(b, at, tmp, 2);
        break;
    case OP_LE16:
    case OP_LE32:
    case OP_LE64:
        n = d->op == OP_LE16 ? 2 : d->op == OP_LE32 ? 4 : 8;
        for (k = 0; k < (int)n; k++)
            tmp[k] = (unsigned char)(v >> (8 * k));
        bytes_put(b, at, tmp, n);
        break;
    case OP_TRUNCATE:
        b->n = at;
        break;
    case OP_EXTEND:
        n = (d->arg & 0x1ff) + 1;
        fuzz_pool_bytes(tmp, n, pool, pool_len, d->off, (unsigned char)d->arg);
        bytes_put(b, b->n, tmp, n);
        break;
    case OP_DEL_BYTES:
        n = (d->arg & 0xff) + 1;
        if (n > b->n - at)
            n = b->n - at;
        memmove(b->p + at, b->p + at + n, b->n - at - n);
        b->n -= n;
        break;
    case OP_INS_BYTES:
        n = (d->arg & 0xff) + 1;
        fuzz_pool_bytes(tmp, n, pool, pool_len, d->arg >> 8,
                        (unsigned char)(d->arg >> 8));
        bytes_insert(b, at, tmp, n);
        break;
    default:
        break;
    }
}

/* Does `op` work on the bytes of a value? */
static bool
fuzz_is_bytes_op(unsigned op)
{
    return op <= OP_INS_BYTES;
}

/* The key of row `row` (modulo their number) of kind `k` into `key`
 * (sqlite3_value copies the caller frees); false when there is none. */
static bool
fuzz_pick_row(sqlite3 *db, const fuzz_kind *k, unsigned row,
              sqlite3_value **key, sqlite3_value **val)
{
    char sql[512];
    sqlite3_stmt *stmt;
    int64_t n = 0;
    int i;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s", k->table,
             k->where);
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return false;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (n <= 0)
        return false;
    snprintf(sql, sizeof(sql),
             "SELECT %s, %s FROM %s WHERE %s ORDER BY %s LIMIT 1 OFFSET ?1",
             k->key, k->bytes ? k->bytes : "NULL", k->table, k->where, k->key);
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(stmt, 1, (int64_t)(row % (uint64_t)n));
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return false;
    }
    for (i = 0; i < k->n_key; i++)
        key[i] = sqlite3_value_dup(sqlite3_column_value(stmt, i));
    *val = sqlite3_value_dup(sqlite3_column_value(stmt, k->n_key));
    sqlite3_finalize(stmt);
    return true;
}

/* Columns in a NULL-ended list of at most 8. */
static size_t
fuzz_n_cols(const char *const *cols)
{
    size_t n = 0;

    while (n < 8 && cols[n] != NULL)
        n++;
    return n;
}

/* Prepare "UPDATE OR REPLACE table SET col = ?1 WHERE (key) = (?2, ...)"
 * (or a DELETE when col is NULL) with the key bound. */
static sqlite3_stmt *
fuzz_prepare_write(sqlite3 *db, const fuzz_kind *k, const char *col,
                   sqlite3_value **key)
{
    char sql[512];
    sqlite3_stmt *stmt;
    int i;

    if (col != NULL)
        snprintf(sql, sizeof(sql),
                 "UPDATE OR REPLACE %s SET %s = ?1 WHERE (%s) = (?2%s)",
                 k->table, col, k->key, k->n_key > 1 ? ", ?3" : "");
    else
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE (%s) = (?2%s)",
                 k->table, k->key, k->n_key > 1 ? ", ?3" : "");
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return NULL;
    for (i = 0; i < k->n_key; i++)
        sqlite3_bind_value(stmt, i + 2, key[i]);
    return stmt;
}

/* Run a prepared write once and finalize it. */
static void
fuzz_step_once(sqlite3_stmt *stmt)
{
    if (stmt != NULL) {
        sqlite3_step(stmt); /* a constraint may refuse it: no damage then */
        sqlite3_finalize(stmt);
    }
}

/* Apply one damage through SQL. */
static void
fuzz_damage_sql(sqlite3 *db, const fuzz_damage *d, const uint8_t *pool,
                size_t pool_len)
{
    const fuzz_kind *k = &fuzz_kinds[d->kind % FUZZ_N_KINDS];
    sqlite3_value *key[2] = {NULL, NULL}, *val = NULL;
    sqlite3_value *key2[2] = {NULL, NULL}, *val2 = NULL;
    sqlite3_stmt *stmt = NULL;
    fuzz_bytes b = {NULL, 0, 0};
    size_t n;
    int i;

    if (!fuzz_pick_row(db, k, d->row, key, &val))
        goto done;
    if (fuzz_is_bytes_op(d->op)) {
        bool is_text = sqlite3_value_type(val) == SQLITE_TEXT;
        const void *p = sqlite3_value_blob(val);

        if (k->bytes == NULL)
            goto done;
        n = (size_t)sqlite3_value_bytes(val);
        bytes_room(&b, n);
        if (n > 0)
            memcpy(b.p, p, n);
        b.n = n;
        fuzz_bytes_op(&b, d, pool, pool_len);
        stmt = fuzz_prepare_write(db, k, k->bytes, key);
        if (stmt != NULL && is_text)
            sqlite3_bind_text(stmt, 1, (const char *)b.p, (int)b.n,
                              SQLITE_TRANSIENT);
        else if (stmt != NULL)
            sqlite3_bind_blob(stmt, 1, b.p, (int)b.n, SQLITE_TRANSIENT);
        fuzz_step_once(stmt);
        goto done;
    }
    switch (d->op) {
    case OP_DELETE_ROW:
        fuzz_step_once(fuzz_prepare_write(db, k, NULL, key));
        break;
    case OP_SET_INT:
        n = fuzz_n_cols(k->ints);
        if (n == 0)
            break;
        stmt = fuzz_prepare_write(db, k, k->ints[d->off % n], key);
        if (stmt != NULL)
            sqlite3_bind_int64(stmt, 1, (int64_t)fuzz_value(d->arg));
        fuzz_step_once(stmt);
        break;
    case OP_SET_TEXT:
        n = fuzz_n_cols(k->texts);
        if (n == 0)
            break;
        stmt = fuzz_prepare_write(db, k, k->texts[d->off % n], key);
        if (stmt == NULL)
            break;
        if (pool_len == 0 || (d->arg & 0x8000)) {
            const char *t = fuzz_texts[(d->arg & 0xff) % (sizeof(fuzz_texts) /
                                                          sizeof(*fuzz_texts))];

            sqlite3_bind_text(stmt, 1, t, -1, SQLITE_STATIC);
        } else {
            size_t from = (d->arg >> 8) % pool_len, len = d->arg & 0xff;

            if (len > pool_len - from)
                len = pool_len - from;
            sqlite3_bind_text(stmt, 1, (const char *)pool + from, (int)len,
                              SQLITE_TRANSIENT);
        }
        fuzz_step_once(stmt);
        break;
    case OP_SET_TYPE: {
        const char *cols[24];
        size_t n_cols = 0;

        for (i = 0; i < 8 && k->ints[i] != NULL; i++)
            cols[n_cols++] = k->ints[i];
        for (i = 0; i < 8 && k->texts[i] != NULL; i++)
            cols[n_cols++] = k->texts[i];
        if (k->bytes != NULL)
            cols[n_cols++] = k->bytes;
        stmt = fuzz_prepare_write(db, k, cols[d->off % n_cols], key);
        if (stmt == NULL)
            break;
        switch (d->arg % 6) {
        case 0:
            sqlite3_bind_null(stmt, 1);
            break;
        case 1:
            sqlite3_bind_double(stmt, 1, (double)(int64_t)fuzz_value(d->arg));
            break;
        case 2:
            sqlite3_bind_double(stmt, 1, HUGE_VAL);
            break;
        case 3:
            sqlite3_bind_zeroblob(stmt, 1, (int)(d->arg >> 3));
            break;
        case 4:
            sqlite3_bind_blob(stmt, 1, pool, (int)pool_len, SQLITE_STATIC);
            break;
        default:
            sqlite3_bind_double(stmt, 1, -0.5);
        }
        fuzz_step_once(stmt);
        break;
    }
    case OP_SWAP:
        if (k->bytes == NULL || !fuzz_pick_row(db, k, d->arg, key2, &val2))
            break;
        stmt = fuzz_prepare_write(db, k, k->bytes, key);
        if (stmt != NULL)
            sqlite3_bind_value(stmt, 1, val2);
        fuzz_step_once(stmt);
        stmt = fuzz_prepare_write(db, k, k->bytes, key2);
        if (stmt != NULL)
            sqlite3_bind_value(stmt, 1, val);
        fuzz_step_once(stmt);
        break;
    default:
        break;
    }
done:
    free(b.p);
    for (i = 0; i < 2; i++) {
        sqlite3_value_free(key[i]);
        sqlite3_value_free(key2[i]);
    }
    sqlite3_value_free(val);
    sqlite3_value_free(val2);
}

/* Write the base file to the scratch path and damage it. */
static void
fuzz_damage_file(const fuzz_damage *dmg, size_t n_dmg, const uint8_t *pool,
                 size_t pool_len)
{
    size_t i, at = 0;
    bool has_sql = false;
    int fd;

    index_unlink();
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    NX_FUZZ_CHECK(fd >= 0);
    while (at < base_len) {
        ssize_t n = write(fd, base + at, base_len - at);

        NX_FUZZ_CHECK(n > 0);
        at += (size_t)n;
    }
    for (i = 0; i < n_dmg; i++)
        has_sql |= dmg[i].op != OP_RAW;
    if (has_sql) {
        sqlite3 *db = NULL;

        NX_FUZZ_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
                      SQLITE_OK);
        index_exec(db, "PRAGMA synchronous = OFF; BEGIN");
        for (i = 0; i < n_dmg; i++) {
            if (dmg[i].op != OP_RAW)
                fuzz_damage_sql(db, &dmg[i], pool, pool_len);
        }
        index_exec(db, "COMMIT");
        NX_FUZZ_CHECK(sqlite3_close(db) == SQLITE_OK);
    }
    /* Raw bytes last, over whatever SQLite wrote. */
    for (i = 0; i < n_dmg; i++) {
        off_t pos;
        unsigned char c;

        if (dmg[i].op != OP_RAW)
            continue;
        pos = (off_t)((((uint64_t)dmg[i].row << 16) | dmg[i].off) % base_len);
        if (pread(fd, &c, 1, pos) == 1) {
            c ^= (dmg[i].arg & 0xff) ? (unsigned char)dmg[i].arg : 0x80;
            NX_FUZZ_CHECK(pwrite(fd, &c, 1, pos) == 1);
        }
    }
    close(fd);
}

/**************************************************************************
** Allocations
**
** No allocation may be sized by the file: nothing the read path asks for
** on this 1 MB index comes near FUZZ_MAX_ALLOC.  The library's own go
** through nx_malloc, which keeps the largest size asked for; SQLite's
** (FTS5's included) go through fuzz_mem_*, which refuse a giant one
** (fuzz_mem_allow says why that is SQLite's to answer).  This works
** without libFuzzer's -malloc_limit_mb too (the replay builds).
*/
#define FUZZ_MAX_ALLOC ((size_t)256 << 20)

static sqlite3_mem_methods fuzz_mem_default;

static bool fuzz_mem_allow(int n);

/* SQLite's xMalloc and xRealloc, watched. */
static void *
fuzz_mem_malloc(int n)
{
    return fuzz_mem_allow(n) ? fuzz_mem_default.xMalloc(n) : NULL;
}

static void *
fuzz_mem_realloc(void *p, int n)
{
    return fuzz_mem_allow(n) ? fuzz_mem_default.xRealloc(p, n) : NULL;
}

/* Route SQLite's allocations through fuzz_mem_*; before any other use of
 * SQLite. */
static void
fuzz_mem_setup(void)
{
    sqlite3_mem_methods m;

    NX_FUZZ_CHECK(sqlite3_shutdown() == SQLITE_OK);
    NX_FUZZ_CHECK(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &fuzz_mem_default) ==
                  SQLITE_OK);
    m = fuzz_mem_default;
    m.xMalloc = fuzz_mem_malloc;
    m.xRealloc = fuzz_mem_realloc;
    NX_FUZZ_CHECK(sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK);
}

/**************************************************************************
** Queries and invariants
*/

/* A broken invariant: abort, or in lax mode say it once per place. */
#define FUZZ_EXPECT(cond)                                                      \
    do {                                                                       \
        static bool reported_;                                                 \
        if (!(cond)) {                                                         \
            if (!is_lax)                                                       \
                NX_FUZZ_CHECK(cond);                                           \
            else if (!reported_)                                               \
                fprintf(stderr, "%s:%d: invariant failed (lax): %s\n",         \
                        __FILE__, __LINE__, #cond);                            \
            reported_ = true;                                                  \
        }                                                                      \
    } while (0)

/* A getter's string: NULL or valid UTF-8. */
static void
fuzz_text(const char *s)
{
    FUZZ_EXPECT(s == NULL || nx_utf8_valid(s, strlen(s)));
}

/* SQLite asks for `n` bytes: a giant request is refused (NULL: SQLite's
 * out of memory, which the library must then report cleanly like any
 * other failure).  Not a broken invariant: SQLite 3.40's own FTS5 sizes a
 * position-list buffer by the size varint of a leaf (up to 1 GiB, below
 * SQLite's 2 GiB cap; untouched address space outside a sanitizer) when
 * a query goes through SQL (facets, --like's scoring, the SQL scan), and
 * the stock sqlite3 shell does the same on the same file.  The library's
 * own allocations stay held to FUZZ_MAX_ALLOC (fuzz_largest). */
static bool
fuzz_mem_allow(int n)
{
    return n < 0 || (size_t)n <= FUZZ_MAX_ALLOC;
}

/* The largest allocation the library asked for since the last call. */
static void
fuzz_largest(const char *what)
{
    size_t n = nx_alloc_largest(true);

    if (n > FUZZ_MAX_ALLOC)
        fprintf(stderr, "fuzz_index: %s: the library asked for %zu bytes\n",
                what, n);
    FUZZ_EXPECT(n <= FUZZ_MAX_ALLOC);
}

/* What a damaged index may make any call fail with. */
static bool
fuzz_is_damage_status(int rc)
{
    return rc == NEWSIDX_CORRUPT || rc == NEWSIDX_IO || rc == NEWSIDX_SCHEMA ||
           rc == NEWSIDX_NOTFOUND || rc == NEWSIDX_NOMEM;
}

/* Check a call's status: OK, or a failure it may give with a message.
 * `is_weights`: newsidx.h documents NEWSIDX_INVALID for malformed
 * weights stored in the index.  On the clean index nothing may fail. */
static bool
fuzz_status(const char *what, int rc, const newsidx_error *err, bool is_weights,
            bool is_clean)
{
    if (is_trace)
        fprintf(stderr, "fuzz_index: %s: %s '%s'\n", what, newsidx_strerror(rc),
                err->message);
    if (rc == NEWSIDX_OK)
        return true;
    if (is_clean || rc == NEWSIDX_INTERNAL ||
        !(fuzz_is_damage_status(rc) || (is_weights && rc == NEWSIDX_INVALID)) ||
        err->code != rc || err->message[0] == '\0')
        fprintf(stderr, "fuzz_index: %s: %s (%d): '%.256s'\n", what,
                newsidx_strerror(rc), rc, err->message);
    NX_FUZZ_CHECK(!is_clean);
    FUZZ_EXPECT(rc != NEWSIDX_INTERNAL);
    FUZZ_EXPECT(fuzz_is_damage_status(rc) ||
                (is_weights && rc == NEWSIDX_INVALID));
    FUZZ_EXPECT(err->code == rc);
    FUZZ_EXPECT(memchr(err->message, '\0', sizeof(err->message)) != NULL);
    FUZZ_EXPECT(err->message[0] != '\0');
    return false;
}

enum {
    Q_FACETS = 1 << 0, /* topic, provider and year facets */
    Q_COUNT = 1 << 1,  /* only the count */
    Q_ALL = 1 << 2,    /* unpublished items too */
    Q_NO_COLLAPSE = 1 << 3,
    Q_RELATED = 1 << 4,    /* up to 8 related entries a hit */
    Q_FRESH = 1 << 5,      /* freshness, and quality and heat apart */
    Q_RANGE = 1 << 6,      /* since and until */
    Q_PREFIX_WALK = 1 << 7 /* prefix terms walked, not read whole */
};

typedef struct fuzz_query {
    const char *text; /* NULL: items like item `like` */
    int64_t like;
    newsidx_sort sort;
    unsigned limit;
    uint64_t offset;
    unsigned flags;
} fuzz_query;

static const fuzz_query fuzz_queries[] = {
    /* AND of common words: block-max bounds, snippets, related, facets */
    {"robot market", 0, NEWSIDX_SORT_RANK, 3, 0, Q_RELATED | Q_FACETS},
    {"quokka robot", 0, NEWSIDX_SORT_RANK, 2, 0, 0}, /* a rare word */
    {"zxkp giga", 0, NEWSIDX_SORT_RANK, 2, 0, 0},    /* a seek by dlidx */
    {"robo*", 0, NEWSIDX_SORT_RANK, 2, 0, 0},        /* prefix, read whole */
    {"robo* cloud", 0, NEWSIDX_SORT_RANK, 2, 0, Q_PREFIX_WALK},
    {"\"robot arm\" -drone", 0, NEWSIDX_SORT_RANK, 2, 0, 0},
    {"title:drone OR satellite", 0, NEWSIDX_SORT_RANK, 2, 0, Q_NO_COLLAPSE},
    {"robot topic:robotics -provider:chipinsider.com"
     " date:2020-01..2021-06-30 quality:>=50",
     0, NEWSIDX_SORT_RANK, 2, 0, 0},
    {"market heat:>0", 0, NEWSIDX_SORT_DATE, 2, 0, Q_RANGE},
    {"cloud", 0, NEWSIDX_SORT_RANK, 10, 0, Q_COUNT},
    {"robot", 0, NEWSIDX_SORT_RANK, 2, 20, Q_ALL}, /* a later page */
    {"market", 0, NEWSIDX_SORT_QUALITY, 2, 0, Q_FRESH | Q_ALL},
    {"provider:marketjournal.com -topic:health", 0, NEWSIDX_SORT_HEAT, 2, 0,
     0},                                              /* filters alone */
    {"robott", 0, NEWSIDX_SORT_RANK, 2, 0, 0},        /* suggestions */
    {"\"robot ar\"*", 0, NEWSIDX_SORT_RANK, 2, 0, 0}, /* the SQL scan */
    {NULL, 7, NEWSIDX_SORT_RANK, 2, 0, 0},            /* --like */
};
#define FUZZ_N_QUERIES (sizeof(fuzz_queries) / sizeof(fuzz_queries[0]))

/* Where a value read only to be read goes. */
static volatile size_t fuzz_sink;

/* Read every field of a hit. */
static void
fuzz_hit(const newsidx_hit *h)
{
    double bm25, prior, fresh;
    const char *s;
    int64_t v;
    size_t i, n;

    (void)newsidx_hit_id(h);
    /* A path is a file name as the system gives it: any bytes, also in an
     * undamaged index (docs/json-schema.md, "Encoding"). */
    s = newsidx_hit_path(h);
    fuzz_sink = s != NULL ? strlen(s) : 0; /* read it all, though */
    fuzz_text(newsidx_hit_title(h));
    fuzz_text(newsidx_hit_excerpt(h));
    fuzz_text(newsidx_hit_url(h));
    (void)newsidx_hit_published_at(h, &v);
    fuzz_text(newsidx_hit_provider_name(h));
    fuzz_text(newsidx_hit_provider_domain(h));
    n = newsidx_hit_topic_count(h);
    for (i = 0; i < n; i++)
        fuzz_text(newsidx_hit_topic(h, i));
    (void)newsidx_hit_quality(h, &v);
    (void)newsidx_hit_heat(h, &v);
    (void)newsidx_hit_score(h);
    fuzz_text(newsidx_hit_snippet(h));
    /* The ids a hit stands for: its own first, none zero, then 0. */
    n = newsidx_hit_collapsed(h);
    FUZZ_EXPECT(n >= 1 && newsidx_hit_collapsed_id(h, 0) == newsidx_hit_id(h));
    for (i = 1; i < n && i < 100000; i++)
        FUZZ_EXPECT(newsidx_hit_collapsed_id(h, i) != 0);
    FUZZ_EXPECT(newsidx_hit_collapsed_id(h, n) == 0);
    newsidx_hit_factors(h, &bm25, &prior, &fresh);
    n = newsidx_hit_related_count(h);
    for (i = 0; i < n; i++) {
        fuzz_text(newsidx_hit_related_title(h, i));
        fuzz_text(newsidx_hit_related_url(h, i));
        fuzz_text(newsidx_hit_related_provider_name(h, i));
        fuzz_text(newsidx_hit_related_provider_domain(h, i));
        (void)newsidx_hit_related_published_at(h, i, &v);
        (void)newsidx_hit_related_quality(h, i, &v);
        (void)newsidx_hit_related_id(h, i);
    }
}

/* Read every hit, facet and suggestion; the number of hits. */
static unsigned
fuzz_results(newsidx_results *r, const fuzz_query *fq)
{
    static const unsigned kinds[] = {
        NEWSIDX_FACET_TOPIC, NEWSIDX_FACET_PROVIDER, NEWSIDX_FACET_YEAR};
    const newsidx_hit *h;
    unsigned n_hits = 0;
    size_t i, k;
    int rc;

    /* Not checked against the total: on a damaged file the count and the
     * scan are two reads that may see different rows. */
    (void)newsidx_results_stories(r, NULL);
    (void)newsidx_results_total(r);
    (void)newsidx_results_unpublished(r);
    (void)newsidx_results_dropped(r);
    while ((rc = newsidx_results_next(&h, r)) == NEWSIDX_OK) {
        fuzz_hit(h);
        n_hits++;
        FUZZ_EXPECT(n_hits <= fq->limit);
        if (n_hits > fq->limit)
            break;
    }
    FUZZ_EXPECT(rc == NEWSIDX_OK || rc == NEWSIDX_DONE);
    for (k = 0; k < 3; k++) {
        for (i = 0; i < 1000; i++) {
            const char *value = NULL;
            uint64_t count;

            rc = newsidx_results_facet(&value, &count, r, kinds[k], i);
            FUZZ_EXPECT(rc == NEWSIDX_OK || rc == NEWSIDX_DONE);
            if (rc != NEWSIDX_OK)
                break;
            fuzz_text(value);
        }
    }
    for (i = 0; i < 1000; i++) {
        const char *s;
        uint64_t total;
        int src = newsidx_results_suggestion(&s, &total, r, i);

        FUZZ_EXPECT(src == NEWSIDX_OK || src == NEWSIDX_DONE);
        if (src != NEWSIDX_OK)
            break;
        fuzz_text(s);
    }
    return n_hits;
}

/* The other forms the query searches, from the terms table: text that
 * came from the file. */
static void
fuzz_forms(const newsidx_query *q)
{
    const char *word, *form;
    double w = newsidx_query_form_weight(q);
    size_t i;

    FUZZ_EXPECT(w >= 0 && w <= 1);
    for (i = 0; newsidx_query_form(&word, &form, q, i) == NEWSIDX_OK; i++) {
        FUZZ_EXPECT(i < 100000);
        if (i >= 100000)
            break;
        fuzz_text(word);
        fuzz_text(form);
    }
}

/* The options of query `fq`. */
static void
fuzz_options(newsidx_query_options *o, const fuzz_query *fq)
{
    static const newsidx_query_options init = NEWSIDX_QUERY_OPTIONS_INIT;

    *o = init;
    o->sort = fq->sort;
    o->limit = fq->limit;
    o->offset = fq->offset;
    o->now = 1700000000; /* the same ranking on every run */
    if (fq->flags & Q_FACETS)
        o->facets =
            NEWSIDX_FACET_TOPIC | NEWSIDX_FACET_PROVIDER | NEWSIDX_FACET_YEAR;
    o->is_count_only = (fq->flags & Q_COUNT) != 0;
    o->include_unpublished = (fq->flags & Q_ALL) != 0;
    o->no_collapse = (fq->flags & Q_NO_COLLAPSE) != 0;
    if (fq->flags & Q_RELATED)
        o->related_limit = 8;
    if (fq->flags & Q_FRESH) {
        o->fresh_half_life = 90;
        o->w_quality = 2;
        o->w_heat = 0.5;
    }
    if (fq->flags & Q_RANGE) {
        o->has_since = o->has_until = true;
        o->since = 1546300800; /* 2019-01-01 */
        o->until = 1577836800; /* 2020-01-01 */
    }
}

/* Run every query on `idx`. */
static void
fuzz_run_queries(newsidx_index *idx, bool is_clean)
{
    newsidx_error err;
    int64_t count;
    size_t i;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = newsidx_index_count(&count, idx, &err);
    fuzz_largest("newsidx_index_count");
    fuzz_status("newsidx_index_count", rc, &err, false, is_clean);
    {
        const char *language = NULL;

        memset(&err, 0, sizeof(err));
        rc = newsidx_index_stem_language(&language, idx, &err);
        fuzz_status("newsidx_index_stem_language", rc, &err, false, is_clean);
        if (rc == NEWSIDX_OK)
            fuzz_text(language);
    }
    for (i = 0; i < FUZZ_N_QUERIES; i++) {
        const fuzz_query *fq = &fuzz_queries[i];
        newsidx_query_options o;
        newsidx_query *q = NULL;
        newsidx_results *r = NULL;
        int64_t rare_df = nx_read_half_of(idx)->prefix_rare_df;
        unsigned n_hits = 0;

        fuzz_options(&o, fq);
        if (is_trace)
            fprintf(stderr, "fuzz_index: query %zu [%s]\n", i,
                    fq->text ? fq->text : "like");
        memset(&err, 0, sizeof(err));
        if (fq->text != NULL)
            rc = newsidx_query_new(&q, idx, fq->text, &o, &err);
        else
            rc = newsidx_query_like(&q, idx, fq->like, &o, &err);
        fuzz_largest(fq->text ? fq->text : "like");
        if (!fuzz_status(fq->text ? fq->text : "like", rc, &err, true,
                         is_clean)) {
            FUZZ_EXPECT(q == NULL);
            continue;
        }
        fuzz_text(newsidx_query_match(q));
        fuzz_forms(q);
        if (is_trace)
            fprintf(stderr, "fuzz_index: match [%s]\n", newsidx_query_match(q));
        /* A prefix's terms are read whole when few rows hold them (all of
         * them, in an index this small): lowered, they are walked. */
        if (fq->flags & Q_PREFIX_WALK)
            nx_read_half_of(idx)->prefix_rare_df = 1;
        memset(&err, 0, sizeof(err));
        rc = newsidx_query_run(&r, q, &err);
        nx_read_half_of(idx)->prefix_rare_df = rare_df;
        fuzz_largest(fq->text ? fq->text : "like");
        if (fuzz_status(fq->text ? fq->text : "like", rc, &err, false,
                        is_clean))
            n_hits = fuzz_results(r, fq);
        else
            FUZZ_EXPECT(r == NULL);
        /* Each query of the list finds something in the clean index. */
        if (is_clean && n_hits == 0 && !(fq->flags & Q_COUNT) &&
            !(fq->text != NULL && strcmp(fq->text, "robott") == 0)) {
            fprintf(stderr, "fuzz_index: no hit for [%s]\n",
                    fq->text ? fq->text : "like");
            NX_FUZZ_CHECK(n_hits > 0);
        }
        newsidx_results_free(r);
        newsidx_query_free(q);
    }
}

/* Every query on the undamaged index must succeed. */
static void
fuzz_queries_clean(void)
{
    newsidx_index *idx = NULL;
    newsidx_error err;

    NX_FUZZ_CHECK(newsidx_index_open(&idx, path, NEWSIDX_OPEN_READONLY, &err) ==
                  NEWSIDX_OK);
    fuzz_run_queries(idx, true);
    newsidx_index_close(idx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_damage dmg[FUZZ_MAX_DAMAGES];
    const uint8_t *pool = NULL;
    size_t n_dmg = 0, pool_len = 0, at;
    newsidx_index *idx = NULL;
    newsidx_error err;
    int rc;

    if (base == NULL) {
        const char *lax = getenv("NX_FUZZ_INDEX_LAX");
        const char *trace = getenv("NX_FUZZ_INDEX_TRACE");

        is_lax = lax != NULL && lax[0] != '\0' && lax[0] != '0';
        is_trace = trace != NULL && trace[0] != '\0' && trace[0] != '0';
        fuzz_mem_setup();
        index_build();
    }
    nx_alloc_largest(true);
    for (at = 0; at < size; at += FUZZ_RECORD) {
        if (data[at] == FUZZ_END) {
            pool = data + at + 1;
            pool_len = size - at - 1;
            break;
        }
        if (size - at < FUZZ_RECORD || n_dmg == FUZZ_MAX_DAMAGES)
            continue; /* not a damage; a pool may still follow */
        dmg[n_dmg].op = data[at] % OP_COUNT;
        dmg[n_dmg].kind = data[at + 1];
        dmg[n_dmg].row = data[at + 2] | (unsigned)data[at + 3] << 8;
        dmg[n_dmg].off = data[at + 4] | (unsigned)data[at + 5] << 8;
        dmg[n_dmg].arg = data[at + 6] | (unsigned)data[at + 7] << 8;
        n_dmg++;
    }
    fuzz_damage_file(dmg, n_dmg, pool, pool_len);

    memset(&err, 0, sizeof(err));
    rc = newsidx_index_open(&idx, path, NEWSIDX_OPEN_READONLY, &err);
    fuzz_largest("newsidx_index_open");
    if (!fuzz_status("newsidx_index_open", rc, &err, false, false)) {
        FUZZ_EXPECT(idx == NULL);
        return 0;
    }
    fuzz_run_queries(idx, false);
    newsidx_index_close(idx);
    return 0;
}
