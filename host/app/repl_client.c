/* repl_client.c — `tradehost repl [--read-only] SOCKET`: attach to a running host's REPL socket
 * (repl.h has the protocol). Lines from stdin go to the host one at a time; each answer is a
 * length-framed reply printed byte for byte (NULs and control bytes included), so
 * `echo 'th.risk.status()' | tradehost repl SOCK` works as well as a terminal. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repl.h"

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one frame and writes its bytes to `to`; returns its status, or -1 when the host closed
 * the connection or broke the protocol. */
static int read_answer(int fd, FILE *to)
{
    unsigned char head[TH_REPL_FRAME_HEAD];
    if (recv_all(fd, (char *)head, sizeof head) != 0) return -1;
    size_t n = (size_t)head[1] << 24 | (size_t)head[2] << 16 | (size_t)head[3] << 8 | head[4];
    if (head[0] > TH_REPL_BYE || n > TH_REPL_ANSWER_MAX) {
        fprintf(stderr, "tradehost repl: not a tradehost REPL answer (status %u, length %zu)\n", head[0], n);
        return -1;
    }
    char buf[16384];
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        if (recv_all(fd, buf, k) != 0) return -1;
        fwrite(buf, 1, k, head[0] == TH_REPL_BYE ? stderr : to);
        n -= k;
    }
    fflush(to);
    return head[0];
}

int th_cmd_repl(int argc, char **argv)
{
    bool readonly = argc == 3 && strcmp(argv[1], "--read-only") == 0;
    if (argc != 2 + readonly || argv[argc - 1][0] == '-') {
        fprintf(stderr, "usage: tradehost repl [--read-only] SOCKET   (see `tradehost repl --help`)\n");
        return 2;
    }
    const char *path = argv[argc - 1];
    int fd = th_repl_connect(path);
    if (fd < 0 && errno == ENAMETOOLONG) { fprintf(stderr, "tradehost repl: %s: path too long for a unix socket\n", path); return 2; }
    if (fd < 0) {
        fprintf(stderr, "tradehost repl: %s: %s (is a host running with repl.socket set to this path?)\n", path, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    bool tty = isatty(0);
    const char *hello = readonly ? TH_REPL_HELLO " read-only\n" : TH_REPL_HELLO " full\n";
    char granted[64] = "";
    FILE *g = fmemopen(granted, sizeof granted - 1, "w");
    int hs = g && send_all(fd, hello, strlen(hello)) == 0 ? read_answer(fd, g) : -1;
    if (g) fclose(g);
    if (hs != TH_REPL_READY) {
        fprintf(stderr, "tradehost repl: %s: the host refused the connection\n", path);
        close(fd);
        return 1;
    }
    if (tty) printf("attached to %s (%s access): Lua runs inside the host (th, state, ctx); Ctrl-D leaves\n", path, granted);
    /* stdin is read with read(), not stdio, so that poll() sees every byte still to come: while
     * waiting for input, a host that goes away is noticed at once, not at the next line. */
    char *in = NULL;
    size_t in_n = 0, in_cap = 0;
    bool in_eof = false;
    int status = TH_REPL_READY, code = 0;
    if (tty) { fputs("th> ", stdout); fflush(stdout); }
    for (;;) {
        char *nl = in ? memchr(in, '\n', in_n) : NULL;
        if (!nl && in_eof && in_n) nl = in + in_n; /* a last line without its newline */
        if (nl) {
            size_t n = (size_t)(nl - in);
            if (memchr(in, '\0', n)) {
                fprintf(stderr, "tradehost repl: a NUL byte in the input line; not sent\n");
            } else {
                if (send_all(fd, in, n) != 0 || send_all(fd, "\n", 1) != 0) status = -1;
                else status = read_answer(fd, stdout);
                if (status == TH_REPL_BYE) status = -1;
                if (status < 0) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
            }
            size_t used = n < in_n ? n + 1 : n;
            memmove(in, in + used, in_n - used);
            in_n -= used;
            if (tty) { fputs(status == TH_REPL_MORE ? "..> " : "th> ", stdout); fflush(stdout); }
            continue;
        }
        if (in_eof) break;
        struct pollfd p[2] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; break; }
        if (p[1].revents) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
        if (!p[0].revents) continue;
        if (in_cap - in_n < 4096) {
            size_t cap = in_cap ? in_cap * 2 : 8192;
            char *b = realloc(in, cap);
            if (!b) { fprintf(stderr, "tradehost repl: out of memory\n"); code = 1; break; }
            in = b;
            in_cap = cap;
        }
        ssize_t r = read(0, in + in_n, in_cap - in_n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) in_eof = true;
        else in_n += (size_t)r;
    }
    if (status == TH_REPL_MORE) { fprintf(stderr, "tradehost repl: input ended inside an incomplete chunk (not run)\n"); code = 1; }
    if (tty && code == 0) printf("\n");
    free(in);
    close(fd);
    return code;
}
