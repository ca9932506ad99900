/* log.c — the one logger. Lines are assembled in a stack buffer and written with a single write()
 * per sink so that concurrent processes appending to one file never interleave half-lines. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int g_level = TH_LOG_INFO;
static int g_file_fd = -1;

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

const char *th_log_level_name(int level)
{
    if (level < TH_LOG_DEBUG || level > TH_LOG_ERROR) return "?";
    return LEVEL_NAMES[level];
}

int th_log_level_parse(const char *name, int *level_out)
{
    for (int i = TH_LOG_DEBUG; i <= TH_LOG_ERROR; i++) {
        if (strcmp(name, LEVEL_NAMES[i]) == 0) { *level_out = i; return 0; }
    }
    return -1;
}

void th_log_set_level(int level) { g_level = level; }
int th_log_level(void) { return g_level; }

int th_log_open_file(const char *path, const char **err)
{
    /* O_NONBLOCK so that a FIFO nobody reads cannot hang start-up in open(); then only a regular
     * file is taken (a pipe or device that blocks would stall every log line on the loop). */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
    if (fd < 0) { *err = errno == ENXIO ? "log file is a FIFO with no reader" : strerror(errno); return -1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); *err = "log file is not a regular file"; return -1; }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (g_file_fd >= 0) close(g_file_fd);
    g_file_fd = fd;
    return 0;
}

void th_log_close(void)
{
    if (g_file_fd >= 0) close(g_file_fd);
    g_file_fd = -1;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) { if (errno == EINTR) continue; return; }
        buf += n; len -= (size_t)n;
    }
}

void th_log_write_line(const char *line, size_t len)
{
    write_all(STDERR_FILENO, line, len);
    if (g_file_fd >= 0) write_all(g_file_fd, line, len);
}

/* Quote msg so a line stays parseable whatever the text holds. */
static size_t append_quoted(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    if (o < cap) out[o++] = '"';
    for (; s && *s && o + 2 < cap; s++) {
        char c = *s;
        if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = c; }
        else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else out[o++] = c;
    }
    if (o < cap) out[o++] = '"';
    return o;
}

void th_log_quote(const char *in, char *out, size_t cap)
{
    size_t n = append_quoted(out, cap - 1, in);
    out[n] = 0;
}

static void emit(int level, const char *msg, const char *fields)
{
    char line[16384];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s msg=",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000, th_log_level_name(level));
    size_t o = (size_t)n;
    o += append_quoted(line + o, sizeof line - o - 2, msg);
    if (fields && *fields) {
        int m = snprintf(line + o, sizeof line - o - 1, " %s", fields);
        if (m > 0) o += (size_t)m < sizeof line - o - 1 ? (size_t)m : sizeof line - o - 2;
    }
    line[o++] = '\n';
    write_all(STDERR_FILENO, line, o);
    if (g_file_fd >= 0) write_all(g_file_fd, line, o);
}

void th_logf(int level, const char *msg, const char *fields_fmt, ...)
{
    if (level < g_level) return;
    char fields[12288];
    fields[0] = 0;
    if (fields_fmt) {
        va_list ap;
        va_start(ap, fields_fmt);
        vsnprintf(fields, sizeof fields, fields_fmt, ap);
        va_end(ap);
    }
    emit(level, msg, fields);
}

int th_log_emit(int32_t level, const char *msg, const char *fields)
{
    if (level < TH_LOG_DEBUG || level > TH_LOG_ERROR || !msg) return -1;
    if (level >= g_level) emit(level, msg, fields);
    return 0;
}
