/* log.h — leveled, key=value structured logging to stderr and an optional file.
 *
 * One line per event: `ts=... level=info msg="..." k=v ...`. Fields are passed preformatted by the
 * caller (C uses th_logf's printf-style fields, Lua formats its table) so that logging never needs
 * an allocation. Secrets must never reach this module: callers log names, not values. */
#ifndef TH_LOG_H
#define TH_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include "tradehost.h"

int  th_log_open_file(const char *path, const char **err);
void th_log_close(void);
void th_log_set_level(int level);
int  th_log_level(void);
int  th_log_level_parse(const char *name, int *level_out);
const char *th_log_level_name(int level);

/* printf-style: the format builds the fields part, e.g. th_logf(TH_LOG_INFO, "started", "pairs=%d", n). */
void th_logf(int level, const char *msg, const char *fields_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line the caller formatted itself (ending in '\n'), to every sink, with write() only: safe in
 * a signal handler (the forced-exit path, app/shutdown.c, uses it there). */
void th_log_write_line(const char *line, size_t len);

/* Escape text for use as a quoted field value (newlines become \n, quotes escaped, surrounding
 * quotes added), so one event is always one line. */
void th_log_quote(const char *in, char *out, size_t cap);

#define TH_LOG_ENABLED(lvl) ((lvl) >= th_log_level())

#endif
