/* repl_edit.c — `tradehost repl` on a terminal: line editing, history and tab completion with
 * libedit (the only file that includes histedit.h).
 *
 *   - Editing keys (arrows, Home/End, Ctrl-R search...) are libedit's emacs bindings, so an arrow
 *     key edits or recalls a line and its escape bytes never reach the host; ~/.editrc applies.
 *   - History: the lines entered, in $XDG_STATE_HOME/tradehost/history when XDG_STATE_HOME is set
 *     (an absolute path, per the XDG spec), else ~/.tradehost_history; at most 1000 lines, the file
 *     written after every line (a crash loses nothing) and always mode 0600: lines may hold
 *     anything a user typed, and the host never logs chunks for the same reason.
 *   - Tab completes the word before the cursor (letters, digits, `_ . :`) by asking the host
 *     ("complete" request, repl.h): the host resolves it in this connection's environment without
 *     running code. One completion is inserted; several insert their common prefix, and a second
 *     Tab with nothing to add lists them.
 *   - A chunk cut off mid-statement continues on a "..> " prompt.
 *   - While waiting for a key, the socket is watched too: a host that goes away ends the client at
 *     once instead of at the next line. */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "repl.h"
#include "repl_client.h"

#define HISTORY_MAX 1000
#define COMPLETIONS_SHOWN 200

typedef struct edit_ctx {
    th_repl_conn *c;
    bool more;          /* inside a multi-line chunk: the "..> " prompt */
    bool host_gone;     /* the socket turned readable while waiting for a key */
    char word[256];     /* the word the last Tab listed nothing new for */
} edit_ctx;

static edit_ctx *ctx_of(EditLine *el)
{
    void *p = NULL;
    el_get(el, EL_CLIENTDATA, &p);
    return p;
}

static char *prompt(EditLine *el) { return ctx_of(el)->more ? "..> " : "th> "; }

/* One character for libedit: waits on the terminal and the socket; decodes UTF-8 (the locale's
 * multibyte encoding); a byte that does not decode is passed on as itself. */
static int read_key(EditLine *el, wchar_t *wc)
{
    edit_ctx *x = ctx_of(el);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (;;) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {x->c->fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue; /* a resize: libedit's own handler dealt with it */
            return -1;
        }
        if (p[1].revents) { x->host_gone = true; return -1; }
        if (!p[0].revents) continue;
        char b;
        ssize_t r = read(0, &b, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        wchar_t w;
        size_t k = mbrtowc(&w, &b, 1, &st);
        if (k == (size_t)-2) continue;
        if (k == (size_t)-1) { memset(&st, 0, sizeof st); w = (unsigned char)b; }
        *wc = w;
        return 1;
    }
}

static bool word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
           ch == ':';
}

/* Lists completions in columns under the line being edited. */
static void list_completions(char **v, int n)
{
    size_t w = 0;
    for (int i = 0; i < n; i++) if (strlen(v[i]) > w) w = strlen(v[i]);
    w += 2;
    int cols = (int)(80 / w);
    if (cols < 1) cols = 1;
    fputc('\n', stdout);
    for (int i = 0; i < n; i++) {
        fprintf(stdout, "%-*s", (int)w, v[i]);
        if ((i + 1) % cols == 0 || i == n - 1) fputc('\n', stdout);
    }
    fflush(stdout);
}

static unsigned char complete(EditLine *el, int ch)
{
    (void)ch;
    edit_ctx *x = ctx_of(el);
    const LineInfo *li = el_line(el);
    const char *start = li->cursor;
    while (start > li->buffer && word_char(start[-1])) start--;
    size_t wn = (size_t)(li->cursor - start);
    if (wn >= sizeof x->word - 16) return CC_ERROR;
    char req[sizeof x->word + 16];
    int rn = snprintf(req, sizeof req, "%s%.*s", TH_REPL_COMPLETE, (int)wn, start);
    char word[sizeof x->word];
    snprintf(word, sizeof word, "%.*s", (int)wn, start);
    if (th_repl_conn_send(x->c, req, (size_t)rn) != 0) { x->host_gone = true; return CC_EOF; }
    int st = th_repl_conn_answer(x->c);
    if (st < 0 || st == TH_REPL_BYE) { x->host_gone = true; return CC_EOF; }
    if (st != TH_REPL_COMPLETIONS) return CC_REFRESH_BEEP;
    char *v[COMPLETIONS_SHOWN];
    int n = 0;
    for (char *p = x->c->buf; *p && n < COMPLETIONS_SHOWN;) {
        char *e = strchr(p, '\n');
        if (e) *e = 0;
        if (*p) v[n++] = p;
        if (!e) break;
        p = e + 1;
    }
    if (n == 0) return CC_REFRESH_BEEP;
    size_t common = strlen(v[0]);
    for (int i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && v[i][k] == v[0][k]) k++;
        common = k;
    }
    if (common > wn && strncmp(v[0], word, wn) == 0) {
        char add[512];
        snprintf(add, sizeof add, "%.*s", (int)(common - wn), v[0] + wn);
        el_insertstr(el, add);
        x->word[0] = 0;
        return CC_REFRESH;
    }
    if (n == 1) return CC_REFRESH;
    /* Nothing to add: the first Tab beeps, a second one on the same word lists them. */
    if (strcmp(x->word, word) != 0) { snprintf(x->word, sizeof x->word, "%s", word); return CC_REFRESH_BEEP; }
    list_completions(v, n);
    return CC_REDISPLAY;
}

/* $XDG_STATE_HOME/tradehost/history (directories made 0700), else ~/.tradehost_history. */
static bool history_path(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && xdg[0] == '/') {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/tradehost", xdg);
        if (mkdir(xdg, 0700) != 0 && errno != EEXIST) return false;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
        snprintf(buf, cap, "%s/history", dir);
        return true;
    }
    const char *home = getenv("HOME");
    if (!home || !home[0]) return false;
    snprintf(buf, cap, "%s/.tradehost_history", home);
    return true;
}

/* Written whole each time, created 0600 and made 0600 if it was wider. */
static void history_save(History *h, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    fchmod(fd, 0600);
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); return; }
    HistEvent ev;
    history(h, &ev, H_SAVE_FP, f);
    fclose(f);
}

int th_repl_edit_loop(th_repl_conn *c, const char *granted)
{
    setlocale(LC_CTYPE, "");
    EditLine *el = el_init("tradehost", stdin, stdout, stderr);
    History *h = history_init();
    if (!el || !h) {
        if (el) el_end(el);
        if (h) history_end(h);
        fprintf(stderr, "tradehost repl: line editing is not available here; reading plain lines\n");
        return th_repl_plain_loop(c, false, true);
    }
    edit_ctx x = {.c = c};
    HistEvent ev;
    history(h, &ev, H_SETSIZE, HISTORY_MAX);
    history(h, &ev, H_SETUNIQUE, 1);
    char hpath[4096];
    bool has_file = history_path(hpath, sizeof hpath);
    if (has_file) history(h, &ev, H_LOAD, hpath); /* a missing file is an empty history */
    el_set(el, EL_CLIENTDATA, &x);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_SIGNAL, 1);
    el_set(el, EL_PROMPT, prompt);
    el_set(el, EL_HIST, history, h);
    el_set(el, EL_GETCFN, read_key);
    /* the wide call: the narrow el_set(EL_ADDFN) copies both strings and never frees them (libedit
     * says so: "XXX: The two strdup's leak"); the wide one keeps these static literals */
    el_wset(el, EL_ADDFN, L"th-complete", L"complete a name or table field", complete);
    el_set(el, EL_BIND, "^I", "th-complete", NULL);
    el_source(el, NULL); /* the user's ~/.editrc, if any */

    printf("attached to %s (%s access): Lua runs inside the host (th, state, ctx); .help lists what helps; Ctrl-D leaves\n",
           c->path, granted);
    fflush(stdout);
    int code = 0;
    for (;;) {
        int count = 0;
        const char *got = el_gets(el, &count);
        if (!got || count <= 0) {
            if (x.host_gone) { fprintf(stderr, "\ntradehost repl: the host closed the connection\n"); code = 1; }
            else putchar('\n');
            break;
        }
        size_t n = strlen(got);
        while (n && (got[n - 1] == '\n' || got[n - 1] == '\r')) n--;
        char *line = strndup(got, n);
        if (!line) { code = 1; break; }
        bool blank = strspn(line, " \t") == n;
        if (!blank) {
            history(h, &ev, H_ENTER, line);
            if (has_file) history_save(h, hpath);
        }
        int dot = x.more ? 0 : th_repl_dot_command(line, n);
        const char *problem = th_repl_line_problem(line, n);
        if (dot == 2) { free(line); break; }
        if (dot == 1) { free(line); continue; }
        if (problem) {
            fprintf(stderr, "tradehost repl: %s; not sent\n", problem);
            free(line);
            continue;
        }
        int st = th_repl_conn_send(c, line, n) == 0 ? th_repl_conn_answer(c) : -1;
        free(line);
        if (st < 0 || st == TH_REPL_BYE) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
        fwrite(c->buf, 1, c->n, stdout);
        fflush(stdout);
        x.more = st == TH_REPL_MORE;
    }
    if (has_file) history_save(h, hpath);
    el_end(el);
    history_end(h);
    return code;
}
