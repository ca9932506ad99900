/* repl.c — the REPL socket on the session's loop (see repl.h for the protocol).
 *
 * Why it is built this way:
 *   - A unix socket, created under umask 077 and chmod 0600: only the host's own user can attach
 *     (anyone who can attach can trade). No TCP listener exists for it.
 *   - A socket file left by a crashed host is removed; one that still answers belongs to a live
 *     host and is refused, so two hosts never fight over one path.
 *   - Chunks are never logged (a user may paste anything); only connects and counts are. */
#include "repl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/metrics.h"

struct th_repl_client {
    uv_pipe_t h;
    th_repl *r;
    th_repl_client *next;
    int env_ref;
    bool hello_done, readonly;
    bool json;             /* the machine mode: each line a chunk, each answer one JSON object */
    bool reading;          /* false while too much input waits (backpressure) */
    bool discarding;       /* the current line went over TH_REPL_LINE_MAX: drop it to its '\n' */
    char *in;              /* bytes received and not handled yet (whole lines and a partial one) */
    size_t in_n, in_cap;
    size_t partial;        /* where the last, unterminated line starts in `in` */
    char *chunk;           /* the lines of an incomplete chunk */
    size_t chunk_n, chunk_cap;
    uv_shutdown_t bye;
};

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

/* Stands in `in` for a line that was too long: a real line never is a lone NUL (the client
 * refuses NUL bytes), and if a raw client sends one it only gets the same error. */
static const char TOO_LONG_MARK[] = {0, '\n'};

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    char *b = realloc(*buf, c);
    if (!b) return -1;
    *buf = b;
    *cap = c;
    return 0;
}

static void on_client_closed(uv_handle_t *h)
{
    th_repl_client *c = h->data;
    th_repl *r = c->r;
    th_lua_unref(r->lua, c->env_ref);
    for (th_repl_client **p = &r->clients; *p; p = &(*p)->next)
        if (*p == c) { *p = c->next; break; }
    free(c->in);
    free(c->chunk);
    free(c);
    r->nclients--;
    th_metric_set(r->m_clients, r->nclients);
}

static bool closing(th_repl_client *c) { return uv_is_closing((uv_handle_t *)&c->h); }

static void client_close(th_repl_client *c)
{
    if (!closing(c)) uv_close((uv_handle_t *)&c->h, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    /* EPIPE, ECONNRESET...: the client hung up before its answer; close it now (its read
     * callback may never come if it is not reading). */
    if (status < 0 && status != UV_ECANCELED) client_close(req->handle->data);
    free(req);
}

/* One frame: status, length, bytes. A client with more than TH_REPL_QUEUE_MAX bytes of answers
 * waiting does not read them: it is dropped, or it would grow the host without bound. */
static void reply(th_repl_client *c, const char *text, size_t n, char status)
{
    if (closing(c)) return;
    write_req *w = malloc(sizeof *w + TH_REPL_FRAME_HEAD + n);
    if (!w) { client_close(c); return; } /* an answer lost: the client must not wait for it */
    w->data[0] = status;
    w->data[1] = (char)(n >> 24);
    w->data[2] = (char)(n >> 16);
    w->data[3] = (char)(n >> 8);
    w->data[4] = (char)n;
    memcpy(w->data + TH_REPL_FRAME_HEAD, text, n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)(TH_REPL_FRAME_HEAD + n));
    if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, on_written) != 0) { free(w); client_close(c); return; }
    size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->h);
    if (queued > TH_REPL_QUEUE_MAX) {
        th_metric_inc(c->r->m_dropped);
        th_logf(TH_LOG_WARN, "repl: client dropped: it does not read its answers", "queued_bytes=%zu limit=%d", queued,
                TH_REPL_QUEUE_MAX);
        client_close(c);
    }
}

static void reply_str(th_repl_client *c, const char *text, char status) { reply(c, text, strlen(text), status); }

static void on_bye(uv_shutdown_t *req, int status)
{
    (void)status;
    client_close(req->data);
}

/* The last frame: written, then the connection closes. */
static void reply_bye(th_repl_client *c, const char *text)
{
    reply_str(c, text, TH_REPL_BYE);
    if (closing(c)) return;
    uv_read_stop((uv_stream_t *)&c->h);
    c->reading = false;
    c->in_n = c->partial = 0;
    c->bye.data = c;
    if (uv_shutdown(&c->bye, (uv_stream_t *)&c->h, on_bye) != 0) client_close(c);
}

/* The first line: which access the client asks for; the socket may only narrow it. */
static void on_hello(th_repl_client *c, const char *line, size_t n)
{
    th_repl *r = c->r;
    static const char full[] = TH_REPL_HELLO " full", ro[] = TH_REPL_HELLO " read-only", json[] = " json";
    bool want_ro;
    if (n >= sizeof json - 1 && memcmp(line + n - (sizeof json - 1), json, sizeof json - 1) == 0) {
        c->json = true;
        n -= sizeof json - 1;
    }
    if (n == sizeof full - 1 && memcmp(line, full, n) == 0) want_ro = false;
    else if (n == sizeof ro - 1 && memcmp(line, ro, n) == 0) want_ro = true;
    else {
        reply_bye(c, "error: this is the tradehost REPL, protocol 2: the first line must be \"" TH_REPL_HELLO
                     " full\" or \"" TH_REPL_HELLO " read-only\", with \" json\" after it for the machine mode"
                     " (use `tradehost repl SOCKET`)\n");
        return;
    }
    c->readonly = r->readonly || want_ro;
    c->env_ref = th_lua_repl_env(r->lua, r->strat, c->readonly);
    if (c->env_ref < 0) {
        th_logf(TH_LOG_ERROR, "repl: cannot make the client's environment", "error=\"%s\"", r->lua->error);
        reply_bye(c, "error: the host cannot make a REPL environment (see its log)\n");
        return;
    }
    c->hello_done = true;
    th_logf(TH_LOG_INFO, "repl: client attached", "clients=%d access=%s mode=%s", r->nclients,
            c->readonly ? "read-only" : "full", c->json ? "json" : "text");
    reply_str(c, c->readonly ? "read-only" : "full", TH_REPL_READY);
}

static char out[TH_REPL_ANSWER_MAX];

/* An error the host itself answers: a line of text, or in the machine mode a JSON object (the
 * messages are fixed text with nothing to escape). */
static void reply_error(th_repl_client *c, const char *msg)
{
    char buf[256];
    if (c->json) snprintf(buf, sizeof buf, "{\"ok\":false,\"error\":\"%s\",\"output\":\"\"}", msg);
    else snprintf(buf, sizeof buf, "error: %s\n", msg);
    reply_str(c, buf, TH_REPL_READY);
}

/* A request line (0x01 and a name): only "complete WORD" so far. The chunk being typed stays. */
static void on_request(th_repl_client *c, const char *line, size_t n)
{
    static const char complete[] = TH_REPL_COMPLETE;
    if (n < sizeof complete - 1 || memcmp(line, complete, sizeof complete - 1) != 0) {
        reply_error(c, "unknown request (the protocol 2 requests: complete)");
        return;
    }
    size_t k = sizeof complete - 1, out_n = 0;
    bool more = false;
    th_lua_repl_eval(c->r->lua, c->json ? "complete_json" : "complete", c->env_ref, line + k, n - k, out, sizeof out,
                     &out_n, &more);
    reply(c, out, out_n, c->json ? TH_REPL_READY : TH_REPL_COMPLETIONS);
}

/* One complete line: add it to the chunk, evaluate, answer. */
static void on_line(th_repl_client *c, const char *line, size_t n)
{
    th_repl *r = c->r;
    if (n && line[n - 1] == '\r') n--;
    if (!c->hello_done) { on_hello(c, line, n); return; }
    if (n == 1 && line[0] == 0) {
        c->chunk_n = 0;
        reply_error(c, "line longer than 64 KiB: discarded");
        return;
    }
    if (n && line[0] == TH_REPL_REQUEST) { on_request(c, line, n); return; }
    if (c->chunk_n + n + 1 > TH_REPL_LINE_MAX || grow(&c->chunk, &c->chunk_cap, c->chunk_n + n + 2) != 0) {
        c->chunk_n = 0;
        reply_error(c, "chunk longer than 64 KiB: discarded");
        return;
    }
    if (c->chunk_n) c->chunk[c->chunk_n++] = '\n';
    memcpy(c->chunk + c->chunk_n, line, n);
    c->chunk_n += n;
    bool more = false;
    size_t out_n = 0;
    th_lua_repl_eval(r->lua, c->json ? "eval_json" : "eval", c->env_ref, c->chunk, c->chunk_n, out, sizeof out, &out_n,
                     &more);
    if (more) { reply(c, "", 0, TH_REPL_MORE); return; }
    c->chunk_n = 0;
    th_metric_inc(r->m_chunks);
    reply(c, out, out_n, TH_REPL_READY);
}

static bool has_line(th_repl_client *c) { return !closing(c) && c->partial > 0; }

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    static char rbuf[16384];
    (void)suggested;
    *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Handles the first waiting line of a client; reading resumes once the backlog is small. */
static void handle_one(th_repl_client *c)
{
    char *nl = memchr(c->in, '\n', c->partial);
    size_t n = (size_t)(nl - c->in);
    on_line(c, c->in, n);
    if (closing(c) || c->in_n == 0) return; /* a BYE emptied the buffer */
    memmove(c->in, nl + 1, c->in_n - n - 1);
    c->in_n -= n + 1;
    c->partial -= n + 1;
    if (!c->reading && c->in_n < TH_REPL_INPUT_MAX / 2) {
        c->reading = true;
        uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
    }
}

/* One line per callback over all clients, and the client served moves to the end of the list:
 * however many clients send runaway chunks, the loop gets a turn after each chunk. */
static void on_pump(uv_idle_t *h)
{
    th_repl *r = h->data;
    th_repl_client **pp = &r->clients;
    while (*pp && !has_line(*pp)) pp = &(*pp)->next;
    if (!*pp) {
        uv_idle_stop(h);
        return;
    }
    th_repl_client *c = *pp;
    handle_one(c);
    if (!closing(c) && c->next) {
        *pp = c->next;
        th_repl_client **t = pp;
        while (*t) t = &(*t)->next;
        *t = c;
        c->next = NULL;
    }
}

static int append(th_repl_client *c, const char *p, size_t n)
{
    if (grow(&c->in, &c->in_cap, c->in_n + n + sizeof TOO_LONG_MARK) != 0) return -1;
    memcpy(c->in + c->in_n, p, n);
    c->in_n += n;
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    th_repl_client *c = s->data;
    if (nread < 0) { client_close(c); return; }
    const char *p = buf->base, *end = buf->base + nread;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (c->discarding) { /* drop the rest of an over-long line; its answer waits in line */
            if (!nl) return;
            c->discarding = false;
            p = nl + 1;
            continue;
        }
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (c->in_n - c->partial + n > TH_REPL_LINE_MAX + (nl ? 1 : 0)) {
            c->in_n = c->partial; /* this line is too long: a mark takes its place */
            if (append(c, TOO_LONG_MARK, sizeof TOO_LONG_MARK) != 0) { client_close(c); return; }
            c->partial = c->in_n;
            c->discarding = nl == NULL;
            p += n;
            continue;
        }
        if (append(c, p, n) != 0) { client_close(c); return; }
        if (nl) c->partial = c->in_n;
        p += n;
    }
    if (c->partial > 0) uv_idle_start(&c->r->pump, on_pump);
    if (c->in_n > TH_REPL_INPUT_MAX && c->reading) {
        c->reading = false;
        uv_read_stop(s);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    th_repl *r = server->data;
    if (status < 0) { th_logf(TH_LOG_WARN, "repl: accept failed", "error=\"%s\"", uv_strerror(status)); return; }
    th_repl_client *c = calloc(1, sizeof *c);
    if (!c) return;
    c->r = r;
    c->env_ref = -1;
    uv_pipe_init(server->loop, &c->h, 0);
    c->h.data = c;
    c->next = r->clients;
    r->clients = c;
    r->nclients++;
    th_metric_set(r->m_clients, r->nclients);
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0) { client_close(c); return; }
    c->reading = true;
    uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

int th_repl_connect(const char *path)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
    memcpy(a.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ENOENT: free. A socket nobody answers on: stale (a crashed host's), removed. Anything else: refused. */
static int claim_path(const char *path, const char **err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        *err = "cannot stat the socket path";
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) { *err = "the path exists and is not a socket (refusing to replace it)"; return -1; }
    int fd = th_repl_connect(path);
    if (fd >= 0) { close(fd); *err = "another host is listening on this socket"; return -1; }
    if (errno != ECONNREFUSED) { *err = "the existing socket cannot be checked (not removing it)"; return -1; }
    if (unlink(path) != 0) { *err = "cannot remove the stale socket file"; return -1; }
    th_logf(TH_LOG_INFO, "repl: removed a stale socket file", "path=%s", path);
    return 0;
}

int th_repl_open(th_repl *r, uv_loop_t *loop, const char *path, th_lua *lua, th_strategy *strat, bool readonly,
                 const char **err)
{
    memset(r, 0, sizeof *r);
    r->lua = lua;
    r->strat = strat;
    r->readonly = readonly;
    if (strlen(path) >= sizeof r->path) { *err = "repl.socket: path longer than 107 bytes (the unix socket limit)"; return -1; }
    snprintf(r->path, sizeof r->path, "%s", path);
    const char *e2;
    th_metric_register(readonly ? "repl_chunks_total{socket=\"read-only\"}" : "repl_chunks_total{socket=\"full\"}",
                       TH_METRIC_COUNTER, &r->m_chunks, &e2);
    th_metric_register(readonly ? "repl_clients{socket=\"read-only\"}" : "repl_clients{socket=\"full\"}",
                       TH_METRIC_GAUGE, &r->m_clients, &e2);
    th_metric_register(readonly ? "repl_clients_dropped_total{socket=\"read-only\"}" : "repl_clients_dropped_total{socket=\"full\"}",
                       TH_METRIC_COUNTER, &r->m_dropped, &e2);
    if (claim_path(path, err) != 0) return -1;
    uv_pipe_init(loop, &r->server, 0);
    r->server.data = r;
    uv_idle_init(loop, &r->pump);
    r->pump.data = r;
    r->open = true;
    mode_t old = umask(077); /* the file is born 0600: no window in which others could connect */
    int rc = uv_pipe_bind(&r->server, path);
    umask(old);
    if (rc == 0 && chmod(path, 0600) != 0) rc = UV_EACCES;
    if (rc == 0) rc = uv_listen((uv_stream_t *)&r->server, 8, on_connection);
    if (rc != 0) {
        static char msg[160];
        snprintf(msg, sizeof msg, "cannot listen on the socket: %s", uv_strerror(rc));
        *err = msg;
        th_repl_close(r);
        return -1;
    }
    th_logf(TH_LOG_INFO, "repl: listening", "socket=%s mode=0600 access=%s", path, readonly ? "read-only" : "full");
    return 0;
}

void th_repl_close(th_repl *r)
{
    if (!r->open) return;
    for (th_repl_client *c = r->clients; c; c = c->next) client_close(c);
    if (!uv_is_closing((uv_handle_t *)&r->server)) uv_close((uv_handle_t *)&r->server, NULL);
    if (!uv_is_closing((uv_handle_t *)&r->pump)) uv_close((uv_handle_t *)&r->pump, NULL);
    unlink(r->path);
    r->open = false;
}
