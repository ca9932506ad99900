/* json_check.c — strict JSON validation with a located message (see json_check.h). */
#include "json_check.h"

#include <stdio.h>
#include <string.h>

typedef struct jc {
    const char *s;
    size_t n, i;
    const char *err;
} jc;

static void ws(jc *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r')) c->i++;
}

static int fail(jc *c, const char *why)
{
    if (!c->err) c->err = why;
    return -1;
}

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static int string(jc *c)
{
    c->i++; /* the opening quote */
    while (c->i < c->n) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') { c->i++; return 0; }
        if (ch < 0x20) return fail(c, "a control character inside a string");
        if (ch == '\\') {
            if (++c->i >= c->n) break;
            char e = c->s[c->i];
            if (e == 'u') {
                for (int k = 1; k <= 4; k++) {
                    char h = c->i + (size_t)k < c->n ? c->s[c->i + (size_t)k] : 0;
                    if (!(is_digit(h) || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return fail(c, "a bad \\u escape");
                }
                c->i += 4;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return fail(c, "a bad escape in a string");
            }
        }
        c->i++;
    }
    return fail(c, "a string that never ends");
}

static int number(jc *c)
{
    size_t i = c->i;
    if (i < c->n && c->s[i] == '-') i++;
    if (i >= c->n || !is_digit(c->s[i])) return fail(c, "a bad number");
    if (c->s[i] == '0') i++;
    else while (i < c->n && is_digit(c->s[i])) i++;
    if (i < c->n && c->s[i] == '.') {
        i++;
        if (i >= c->n || !is_digit(c->s[i])) return fail(c, "a bad number (no digit after '.')");
        while (i < c->n && is_digit(c->s[i])) i++;
    }
    if (i < c->n && (c->s[i] == 'e' || c->s[i] == 'E')) {
        i++;
        if (i < c->n && (c->s[i] == '+' || c->s[i] == '-')) i++;
        if (i >= c->n || !is_digit(c->s[i])) return fail(c, "a bad number (no digit in the exponent)");
        while (i < c->n && is_digit(c->s[i])) i++;
    }
    c->i = i;
    return 0;
}

static int word(jc *c, const char *w)
{
    size_t k = strlen(w);
    if (c->n - c->i < k || memcmp(c->s + c->i, w, k) != 0) return fail(c, "an unexpected character (expected a value)");
    c->i += k;
    return 0;
}

static int value(jc *c, int depth)
{
    ws(c);
    if (c->i >= c->n) return fail(c, "the body ends where a value was expected");
    if (depth > TH_JSON_CHECK_DEPTH) return fail(c, "nested deeper than 32 levels");
    char ch = c->s[c->i];
    if (ch == '"') return string(c);
    if (ch == '-' || is_digit(ch)) return number(c);
    if (ch == 't') return word(c, "true");
    if (ch == 'f') return word(c, "false");
    if (ch == 'n') return word(c, "null");
    if (ch != '{' && ch != '[') return fail(c, "an unexpected character (expected a value)");
    char close = ch == '{' ? '}' : ']';
    c->i++;
    ws(c);
    if (c->i < c->n && c->s[c->i] == close) { c->i++; return 0; }
    for (;;) {
        if (close == '}') {
            ws(c);
            if (c->i >= c->n || c->s[c->i] != '"') return fail(c, "expected a string key in an object");
            if (string(c) != 0) return -1;
            ws(c);
            if (c->i >= c->n || c->s[c->i] != ':') return fail(c, "expected ':' after an object key");
            c->i++;
        }
        if (value(c, depth + 1) != 0) return -1;
        ws(c);
        if (c->i >= c->n) return fail(c, close == '}' ? "an object that never ends" : "an array that never ends");
        if (c->s[c->i] == ',') { c->i++; continue; }
        if (c->s[c->i] == close) { c->i++; return 0; }
        return fail(c, close == '}' ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
    }
}

int th_json_check(const char *s, size_t len, char *msg, size_t cap)
{
    jc c = {s, len, 0, NULL};
    if (value(&c, 0) == 0) {
        ws(&c);
        if (c.i == c.n) return 0;
        c.err = "text after the JSON value";
    }
    if (msg && cap) snprintf(msg, cap, "invalid JSON at byte %zu: %s", c.i, c.err);
    return -1;
}
