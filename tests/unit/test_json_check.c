/* test_json_check.c — the API's strict JSON check: valid bodies pass; each kind of malformed body
 * is refused with a message naming the byte and what was expected (what a 400 answer carries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/json_check.h"

static int check(const char *s, char *msg) { return th_json_check(s, strlen(s), msg, 160); }

static void valid_bodies_pass(void **st)
{
    (void)st;
    char msg[160];
    const char *ok[] = {"{}", " {\"duration_s\": 12.5e1 } \n", "[1,-0.5,true,false,null,\"a\\u00e9\\n\"]", "\"x\"", "0",
                        "{\"a\":{\"b\":[[],{}]}}"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) assert_int_equal(check(ok[i], msg), 0);
}

static void malformed_bodies_are_located(void **st)
{
    (void)st;
    char msg[160];
    struct { const char *s, *want; } bad[] = {
        {"", "invalid JSON at byte 0: the body ends where a value was expected"},
        {"{a:1}", "invalid JSON at byte 1: expected a string key in an object"},
        {"{\"a\" 1}", "invalid JSON at byte 5: expected ':' after an object key"},
        {"{\"a\":1,}", "invalid JSON at byte 7: expected a string key in an object"},
        {"[1,]", "invalid JSON at byte 3: an unexpected character (expected a value)"},
        {"{\"a\":01}", "invalid JSON at byte 6: expected ',' or '}' in an object"},
        {"{\"a\":1} x", "invalid JSON at byte 8: text after the JSON value"},
        {"\"abc", "invalid JSON at byte 4: a string that never ends"},
        {"[1.]", "invalid JSON at byte 1: a bad number (no digit after '.')"},
        {"[tru]", "invalid JSON at byte 1: an unexpected character (expected a value)"},
        {"\"\\q\"", "invalid JSON at byte 2: a bad escape in a string"},
        {"{\"a\":[1,2", "invalid JSON at byte 9: an array that never ends"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(check(bad[i].s, msg), -1);
        assert_string_equal(msg, bad[i].want);
    }
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = 0;
    assert_int_equal(check(deep, msg), -1);
    assert_non_null(strstr(msg, "nested deeper than 32 levels"));
    char nul[] = "\"a\0b\"";
    assert_int_equal(th_json_check(nul, 5, msg, sizeof msg), -1); /* a NUL byte is a control character */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(valid_bodies_pass), cmocka_unit_test(malformed_bodies_are_located)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
