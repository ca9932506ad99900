/* instrument_file.c — instruments from a document or a recording (see instrument_file.h). */
#include "instrument_file.h"

#include <ctype.h>
#include <stdlib.h>

#include "../core/file_read.h"
#include "recording.h"

int th_instruments_load_file(th_instruments *r, const char *path, const char **err)
{
    /* Either one JSON document (possibly pretty-printed over many lines), or a recording that holds
     * the REST body / channel snapshot as one of its frames. */
    char *doc;
    size_t len;
    if (th_read_file(path, &doc, &len, err) != 0) return -1;
    size_t k = 0;
    while (k < len && isspace((unsigned char)doc[k])) k++;
    int rc = -1;
    if (k < len && (doc[k] == '{' || doc[k] == '[')) {
        rc = th_instruments_load_json(r, doc + k, len - k, err);
        free(doc);
        return rc;
    }
    free(doc);
    th_recording rec;
    if (th_recording_open(&rec, path, err) != 0) return -1;
    th_record e;
    *err = "no instrument data found in file";
    while (th_recording_next(&rec, &e) > 0) {
        if (e.kind != TH_REC_FRAME && e.kind != TH_REC_REST) continue;
        const char *lerr;
        int n = th_instruments_load_json(r, e.data, e.len, &lerr);
        if (n > 0) { rc = n; break; }
    }
    th_recording_close(&rec);
    return rc;
}
