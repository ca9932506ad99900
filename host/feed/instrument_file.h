/* instrument_file.h — instruments from a file: a venue's instrument JSON document, or a
 * recording that holds the REST body or the channel snapshot as one of its frames.
 *
 * It lives in the feed because it reads recordings; the core parses the documents
 * (th_instruments_load_json) and never reads a recording itself. */
#ifndef TH_INSTRUMENT_FILE_H
#define TH_INSTRUMENT_FILE_H

#include "../core/instrument.h"

/* Returns the number of instruments loaded, or -1 with a static message in *err. */
int th_instruments_load_file(th_instruments *r, const char *path, const char **err);

#endif
