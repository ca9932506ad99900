/* recording.h — reads recorded market data: our `<receive_ts_ns> <frame>` lines and the cryptofeed
 * `.rec` format (frames, sent frames, connection opens, inline REST responses), plain or gzip
 * (gzip, recognised by its magic bytes, and pipes through zlib; plain files with read(2) in 1 MB
 * blocks). One record per line; lines of any length (a Binance
 * exchangeInfo body is ~2 MB on one line). The record's data points into the reader's buffer and
 * is valid until the next call. */
#ifndef TH_RECORDING_H
#define TH_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum th_record_kind {
    TH_REC_FRAME = 0,   /* a frame the venue sent */
    TH_REC_REST = 1,    /* a REST response body, with its URL */
    TH_REC_SENT = 2,    /* a frame the client sent (subscriptions) */
    TH_REC_OPEN = 3,    /* a connection opened, with its URL */
} th_record_kind;

typedef struct th_record {
    th_record_kind kind;
    int64_t ts_ns;
    const char *url;
    size_t url_len;
    char *data;
    size_t len;
} th_record;

typedef struct th_recording {
    void *gz;                  /* gzip (or unseekable) input, read through zlib */
    int fd;                    /* plain file, read directly; -1 when gz */
    char *buf;
    size_t cap, pos, end;      /* buf[pos, end): read, not yet returned */
    bool eof;
    uint64_t line_no;          /* lines read so far (every newline counts, blank or bad) */
    uint64_t records;          /* lines that parsed as records */
    uint64_t bad_lines;        /* non-blank lines in no known format */
    char path[1024];
    char error[1100];
} th_recording;

int th_recording_open(th_recording *r, const char *path, const char **err);
/* 1: a record; 0: end of file; -1: read error. Lines that fit no format are counted and skipped. */
int th_recording_next(th_recording *r, th_record *out);
void th_recording_close(th_recording *r);
/* Parse one line (no newline) into a record; returns 0, or -1 if it fits no format. */
int th_recording_parse_line(char *line, size_t len, th_record *out);

#endif
