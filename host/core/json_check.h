/* json_check.h — strict JSON validation (RFC 8259) of a request body, with a message saying what
 * is wrong and where.
 *
 * Why not jsmn alone: jsmn (json.c) is built for exchange frames and is lenient (it takes bare
 * words as primitives, `{a:1}`, trailing commas in places), so a malformed API body would be
 * half-read instead of refused. Bodies are small (the API caps them at a few KiB), so one
 * recursive-descent pass with a depth limit costs nothing; after it passes, jsmn tokenises the
 * same text to read fields. */
#ifndef TH_JSON_CHECK_H
#define TH_JSON_CHECK_H

#include <stddef.h>

#define TH_JSON_CHECK_DEPTH 32

/* 0 when s[0..len) is exactly one JSON value (whitespace around it allowed); otherwise -1 with
 * msg holding e.g. "invalid JSON at byte 7: expected ':' after an object key". */
int th_json_check(const char *s, size_t len, char *msg, size_t cap);

#endif
