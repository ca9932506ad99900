/* rec_writer.h — writes a recording in the format feed/recording.c reads (`tradehost record`), so a
 * recording made live goes back through the one ingestion path (replay, run, backtest):
 *   <receive_ts_ns> <frame>                 a frame the venue sent
 *   <url> <-> <epoch.ns>                    a connection opened
 *   <url> <- <epoch.ns>: <frame>            a frame we sent (subscriptions)
 *   <url> -> <epoch.ns>: <body>             a REST body (Binance depth snapshots), the venue.snapshots line
 * One record per line: a newline or CR inside a frame (JSON whitespace only: JSON strings cannot
 * hold raw ones) becomes a space, a space in a URL %20.
 *
 * Lines are buffered and written whole (write(2) of complete lines only), at most every flush and
 * when the buffer passes 1 MB: the file never ends in a partial line, even after kill -9 (buffered
 * lines are lost then, never cut). A failed or short write truncates the file back to its last
 * complete line and the writer refuses from then on (th_rec_writer_failed). */
#ifndef TH_REC_WRITER_H
#define TH_REC_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum th_rec_line { TH_REC_LINE_OPEN, TH_REC_LINE_SENT, TH_REC_LINE_REST } th_rec_line;

typedef struct th_rec_writer {
    int fd;
    char *buf;
    size_t n, cap;
    int64_t written;          /* bytes on disk, every one in a complete line */
    uint64_t frames, sent, opens, rest, lines;
    bool failed;
    char error[300];
    char path[1024];
} th_rec_writer;

/* Creates path (it must not exist: a recording is never overwritten). 0, or -1 with *err. */
int th_rec_writer_open(th_rec_writer *w, const char *path, const char **err);
/* `<ts_ns> <frame>` */
void th_rec_writer_frame(th_rec_writer *w, int64_t ts_ns, const char *text, size_t len);
/* `<url> <-> ts`, `<url> <- ts: text`, `<url> -> ts: text` */
void th_rec_writer_tagged(th_rec_writer *w, th_rec_line kind, const char *url, size_t url_len, int64_t ts_ns, const char *text,
                          size_t len);
/* The buffered lines to the file. 0, or -1 (failed: the file ends at its last complete line). */
int th_rec_writer_flush(th_rec_writer *w);
bool th_rec_writer_failed(const th_rec_writer *w);
/* Flush, fsync, close; 0 or -1 (with error). */
int th_rec_writer_close(th_rec_writer *w);

#endif
