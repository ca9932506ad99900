/* json_out.h — writing JSON values to a stdio stream: strings escaped, numbers as the shortest
 * text that reads back exactly (a price of 100000.12345678 stays that, 0.1 stays 0.1), NaN and
 * infinities as null (JSON has neither).
 *
 * Why: the API's answers, the event stream and the Redis mirror all write JSON documents of
 * unbounded length (a 500-pair statistics answer), so they write to a stream (open_memstream)
 * rather than into fixed buffers, through these two functions. */
#ifndef TH_JSON_OUT_H
#define TH_JSON_OUT_H

#include <stdio.h>

/* "text" with ", \ and control bytes escaped; NULL writes null. */
void th_json_put_str(FILE *f, const char *s);
/* The shortest of %.15g, %.16g, %.17g that reads back as v; null when not finite. */
void th_json_put_num(FILE *f, double v);

#endif
