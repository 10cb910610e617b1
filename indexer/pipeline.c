/*
 * pipeline.c - the indexing pipeline of newsidx_index_paths: a ring of
 * jobs, one per walked file, and the worker thread that reads, hashes and
 * parses the changed files (and prepares their items) while the calling
 * thread writes the ones before.  index.c looks the files up and writes
 * them; this file moves them between the two threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "write.h"

/* How far the lookups run ahead of the writes, in files and in bytes: far
 * enough that the worker goes on parsing while the writer commits a
 * batch (a commit of 5,000 items takes about as long as parsing 4,000;
 * with 64 files the worker sat idle through every commit, a third of the
 * run). */
#define PIPE_WINDOW       4096
#define PIPE_WINDOW_BYTES (32u * 1024 * 1024)
/* A thread that had to wait is woken when this many jobs are ready for
 * it (or no more will come), not at every one: a wake-up per file cost
 * about a tenth of the CPU time of a run. */
#define PIPE_WAKE 16
/* The worker frees its read buffer after a file this big, rather than keep
 * it for the rest of the run. */
#define PIPE_BIG_FILE (1024 * 1024)

/* A written item and its doc, handed back to the worker to free: memory
 * freed by the thread that allocated it goes back to that thread's cache,
 * where a free from the other thread takes the allocator's lock (glibc),
 * about a tenth of the indexing time. */
typedef struct pipe_spent {
    nx_item *item;
    nx_doc doc;
} pipe_spent;

struct nx_pipe {
    pthread_mutex_t lock; /* guards the fields up to is_stopping */
    pthread_cond_t work;  /* the worker waits on it for jobs */
    pthread_cond_t done;  /* the caller waits on it for finished jobs */
    size_t n_posted;      /* jobs looked up and handed over */
    size_t n_done;        /* jobs the worker is through with */
    size_t wants;         /* the caller sleeps until n_done >= wants; 0 =
                             it does not */
    bool is_worker_idle;  /* the worker sleeps */
    size_t n_bytes;       /* walked size of the jobs not yet written */
    bool is_stopping;
    bool has_worker;
    pthread_t thread;
    nx_buf content;    /* the worker's read buffer */
    nx_prep *prep;     /* the worker's preparer */
    nx_pipe_job *jobs; /* a ring of n_jobs */
    size_t n_jobs;
    pipe_spent *spent; /* for the worker to free (under lock) */
    size_t n_spent, cap_spent;
    uint64_t max_file_size; /* larger files fail to be read */
};

/* Read a whole file into `content`; NEWSIDX_IO or NEWSIDX_NOMEM with a
 * reason in `err` on failure.  Runs on the worker thread. */
static int
pipe_read(nx_buf *content, const char *path, uint64_t max_size,
          newsidx_error *err)
{
    struct stat st;
    ssize_t n;
    int fd;

    nx_buf_clear(content);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return nx_fail(err, NEWSIDX_IO, "not a regular file");
    }
    if ((uint64_t)st.st_size > max_size) {
        close(fd);
        return nx_fail(err, NEWSIDX_IO,
                       "file is %lld bytes, over the %llu-byte limit",
                       (long long)st.st_size, (unsigned long long)max_size);
    }
    if (!nx_buf_reserve(content, (size_t)st.st_size + 4096)) {
        close(fd);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    while ((n = read(fd, content->data + content->len,
                     content->cap - content->len - 1)) > 0) {
        content->len += (size_t)n;
        if (content->len > max_size)
            break; /* grew while we read */
        if (!nx_buf_reserve(content, 4096))
            break;
    }
    close(fd);
    if (n < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot read: %s", strerror(errno));
    if (nx_buf_oom(content))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory reading the file");
    if (content->len > max_size)
        return nx_fail(err, NEWSIDX_IO, "file is over the %llu-byte limit",
                       (unsigned long long)max_size);
    content->data[content->len] = '\0';
    return NEWSIDX_OK;
}

/* Free a list of spent items. */
static void
pipe_spent_free(pipe_spent *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        nx_item_free(list[i].item);
        nx_doc_clear(&list[i].doc);
    }
}

/*
 * The worker's part of a file: read it, hash it and, unless only its mtime
 * moved, parse it and prepare the item for writing.  Touches nothing but
 * the job, the worker's buffer and its preparer.
 */
static void
pipe_work(nx_pipe_job *job, nx_buf *content, nx_prep *prep, uint64_t max_size)
{
    nx_error_clear(&job->file_err);
    job->read_rc =
        pipe_read(content, job->entry.path, max_size, &job->file_err);
    if (job->read_rc != NEWSIDX_OK)
        return;
    job->n_bytes = content->len;
    job->hash = nx_hash64(content->data, content->len);
    if (job->is_known && job->hash == job->rec.hash) {
        job->is_touched = true;
        return;
    }
    job->prc = nx_frontmatter_parse(&job->item, content->data, content->len,
                                    &job->pos, &job->file_err);
    if (job->prc == NEWSIDX_OK &&
        nx_prep_doc(prep, &job->doc, job->item) != NEWSIDX_OK) {
        nx_item_free(job->item);
        job->item = NULL;
        job->prc = nx_fail(&job->file_err, NEWSIDX_NOMEM,
                           "out of memory preparing the item");
    }
}

/* pipe_work, then let go of a big read buffer rather than keep it for
 * the rest of the run. */
static void
pipe_work_once(nx_pipe_job *job, nx_buf *content, nx_prep *prep,
               uint64_t max_size)
{
    pipe_work(job, content, prep, max_size);
    if (content->cap >= PIPE_BIG_FILE)
        nx_buf_free(content);
}

/* Empty a written job's slot for the next one.  Its item and doc go to
 * the worker to free, when there is one. */
static void
pipe_job_clear(nx_pipe *pipe, nx_pipe_job *job, bool has_worker)
{
    nx_buf path_buf = job->path_buf;
    bool is_handed = false;

    nx_file_rec_clear(&job->rec);
    if (has_worker && job->item != NULL) {
        pthread_mutex_lock(&pipe->lock);
        if (pipe->n_spent == pipe->cap_spent) {
            size_t cap = pipe->cap_spent ? pipe->cap_spent * 2 : 256;
            pipe_spent *grown = nx_realloc(pipe->spent, cap * sizeof(*grown));

            if (grown != NULL) {
                pipe->spent = grown;
                pipe->cap_spent = cap;
            }
        }
        if (pipe->n_spent < pipe->cap_spent) {
            pipe->spent[pipe->n_spent].item = job->item;
            pipe->spent[pipe->n_spent++].doc = job->doc;
            is_handed = true;
        }
        pthread_mutex_unlock(&pipe->lock);
    }
    if (!is_handed) {
        nx_item_free(job->item);
        nx_doc_clear(&job->doc);
    }
    memset(job, 0, sizeof(*job));
    job->path_buf = path_buf;
}

/*
 * The pipeline.  The calling thread looks files up in the index up to
 * PIPE_WINDOW files (and PIPE_WINDOW_BYTES bytes) ahead of where it
 * writes, and hands those that changed to one worker thread, which reads,
 * hashes and parses them in walk order while the calling thread writes the
 * ones before.  Jobs live in a ring: the worker owns positions
 * [n_done, n_posted), the caller every other.  Without a worker (the
 * thread could not be started) the caller does the work itself.
 */
static void *
pipe_worker(void *arg)
{
    nx_pipe *pipe = arg;
    pipe_spent *mine = NULL, *t;
    size_t n_mine = 0, cap_mine = 0, cap, pos;

    pthread_mutex_lock(&pipe->lock);
    for (;;) {
        while (!pipe->is_stopping && pipe->n_done == pipe->n_posted) {
            pipe->is_worker_idle = true;
            pthread_cond_wait(&pipe->work, &pipe->lock);
            pipe->is_worker_idle = false;
        }
        if (pipe->is_stopping)
            break;
        pos = pipe->n_done;
        /* Take the items the writer is through with, leaving it our
         * emptied list. */
        t = pipe->spent;
        pipe->spent = mine;
        mine = t;
        n_mine = pipe->n_spent;
        pipe->n_spent = 0;
        cap = pipe->cap_spent;
        pipe->cap_spent = cap_mine;
        cap_mine = cap;
        pthread_mutex_unlock(&pipe->lock);
        pipe_spent_free(mine, n_mine);
        if (pipe->jobs[pos % pipe->n_jobs].state == NX_PIPE_JOB_QUEUED)
            pipe_work_once(&pipe->jobs[pos % pipe->n_jobs], &pipe->content,
                           pipe->prep, pipe->max_file_size);
        pthread_mutex_lock(&pipe->lock);
        pipe->n_done = pos + 1;
        if (pipe->wants != 0 && pipe->n_done >= pipe->wants) {
            pipe->wants = 0;
            pthread_cond_signal(&pipe->done);
        }
    }
    pthread_mutex_unlock(&pipe->lock);
    nx_free(mine);
    return NULL;
}

/* Start the worker, with its preparer made here (it needs the index's
 * connection).  Without a thread the caller does the work itself. */
static int
pipe_start(nx_pipe *pipe, newsidx_index *idx, uint64_t n_files,
           newsidx_error *err)
{
    int rc;

    pthread_mutex_init(&pipe->lock, NULL);
    pthread_cond_init(&pipe->work, NULL);
    pthread_cond_init(&pipe->done, NULL);
    pipe->n_jobs = n_files < PIPE_WINDOW ? n_files + 1 : PIPE_WINDOW;
    pipe->jobs = nx_calloc(pipe->n_jobs, sizeof(*pipe->jobs));
    if (pipe->jobs == NULL) {
        pipe->n_jobs = 0;
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    rc = nx_prep_new(&pipe->prep, idx->db);
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot set up the tokenizer", err);
    pipe->has_worker =
        pthread_create(&pipe->thread, NULL, pipe_worker, pipe) == 0;
    return NEWSIDX_OK;
}

int
nx_pipe_start(nx_pipe **out, newsidx_index *idx, uint64_t n_files,
              uint64_t max_file_size, newsidx_error *err)
{
    nx_pipe *pipe = nx_calloc(1, sizeof(*pipe));
    int rc;

    *out = NULL;
    if (pipe == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    pipe->max_file_size = max_file_size;
    rc = pipe_start(pipe, idx, n_files, err);
    if (rc != NEWSIDX_OK) {
        nx_pipe_stop(pipe);
        return rc;
    }
    *out = pipe;
    return NEWSIDX_OK;
}

void
nx_pipe_stop(nx_pipe *pipe)
{
    size_t i;

    if (pipe == NULL)
        return;
    if (pipe->has_worker) {
        pthread_mutex_lock(&pipe->lock);
        pipe->is_stopping = true;
        pthread_cond_signal(&pipe->work);
        pthread_mutex_unlock(&pipe->lock);
        pthread_join(pipe->thread, NULL);
        pipe->has_worker = false;
    }
    pthread_cond_destroy(&pipe->work);
    pthread_cond_destroy(&pipe->done);
    pthread_mutex_destroy(&pipe->lock);
    for (i = 0; i < pipe->n_jobs; i++) {
        pipe_job_clear(pipe, &pipe->jobs[i], false);
        nx_buf_free(&pipe->jobs[i].path_buf);
    }
    pipe_spent_free(pipe->spent, pipe->n_spent);
    nx_free(pipe->spent);
    pipe->spent = NULL;
    pipe->n_spent = pipe->cap_spent = 0;
    nx_free(pipe->jobs);
    pipe->jobs = NULL;
    pipe->n_jobs = 0;
    nx_buf_free(&pipe->content);
    nx_prep_free(pipe->prep);
    pipe->prep = NULL;
    nx_free(pipe);
}

/* Bytes a walked file may hold in flight: its size as the walk saw it. */
static size_t
pipe_entry_bytes(const nx_scan_entry *e)
{
    return (size_t)(e->size > 0 ? e->size : 0);
}

/* Hand the looked-up job to the worker, or, with is_done, mark it done at
 * once: an unchanged file with nothing in flight before it needs no
 * worker, and a re-run with no change then costs no thread switch per
 * file. */
void
nx_pipe_post(nx_pipe *pipe, bool is_done)
{
    pipe->n_bytes += pipe_entry_bytes(&nx_pipe_slot(pipe)->entry);
    pthread_mutex_lock(&pipe->lock);
    pipe->n_posted++;
    if (is_done)
        pipe->n_done = pipe->n_posted;
    else if (pipe->is_worker_idle && pipe->n_posted - pipe->n_done >= PIPE_WAKE)
        pthread_cond_signal(&pipe->work);
    pthread_mutex_unlock(&pipe->lock);
}

/* Whether the file after the posted ones may be posted while the job at
 * `pos` is the next to write: always when nothing is in flight, else when
 * the window has room for it in files and in bytes.  A big file thus
 * waits until it can be alone, and memory stays bounded. */
bool
nx_pipe_may_post(const nx_pipe *pipe, size_t pos, const nx_scan_entry *entry)
{
    size_t next = pipe->n_posted;

    if (entry == NULL)
        return false;
    if (next == pos)
        return true;
    return next - pos < pipe->n_jobs &&
           pipe->n_bytes + pipe_entry_bytes(entry) <= PIPE_WINDOW_BYTES;
}

/* Wait for the worker to finish the job at `pos`, or do it here. */
nx_pipe_job *
nx_pipe_wait(nx_pipe *pipe, size_t pos)
{
    nx_pipe_job *job = &pipe->jobs[pos % pipe->n_jobs];

    if (!pipe->has_worker) {
        if (job->state == NX_PIPE_JOB_QUEUED)
            pipe_work_once(job, &pipe->content, pipe->prep,
                           pipe->max_file_size);
        pipe->n_done = pos + 1;
        return job;
    }
    pthread_mutex_lock(&pipe->lock);
    if (pipe->n_done <= pos) {
        /* Sleep until a few jobs are ready, and make sure the worker is
         * not asleep itself: it is woken late to save wake-ups. */
        pipe->wants =
            pos + PIPE_WAKE < pipe->n_posted ? pos + PIPE_WAKE : pipe->n_posted;
        if (pipe->is_worker_idle)
            pthread_cond_signal(&pipe->work);
        while (pipe->n_done <= pos)
            pthread_cond_wait(&pipe->done, &pipe->lock);
    }
    pthread_mutex_unlock(&pipe->lock);
    return job;
}

nx_pipe_job *
nx_pipe_slot(nx_pipe *pipe)
{
    return &pipe->jobs[pipe->n_posted % pipe->n_jobs];
}

size_t
nx_pipe_n_posted(const nx_pipe *pipe)
{
    return pipe->n_posted;
}

void
nx_pipe_done(nx_pipe *pipe, nx_pipe_job *job)
{
    pipe->n_bytes -= pipe_entry_bytes(&job->entry);
    pipe_job_clear(pipe, job, pipe->has_worker);
}
