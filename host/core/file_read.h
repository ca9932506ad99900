/* file_read.h — the one whole-file reader (plain or gzip, read transparently by zlib).
 *
 * It lives in the core because the core's own loaders (the journal, instrument documents) read
 * whole files, and the core must not depend on the feed's recording reader. */
#ifndef TH_FILE_READ_H
#define TH_FILE_READ_H

#include <stddef.h>

/* Whole file (gzip or plain) into a malloc'd NUL-terminated buffer. On failure *err says why
 * ("no such file or directory", "permission denied", "read error", "out of memory"). */
int th_read_file(const char *path, char **out, size_t *len, const char **err);

#endif
