/* test_decimal.c — the one decimal converter: exactness, refusals, and a round trip over every
 * decimal number in every bundled recording (text -> fixed -> text must give the text back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "../../host/core/decimal.h"
#include "../../host/core/json.h"
#include "../../host/feed/recording.h"

static int64_t parse(const char *s, int scale)
{
    int64_t v = -999;
    assert_int_equal(th_dec_parse(s, strlen(s), scale, &v), TH_DEC_OK);
    return v;
}

static void parses_exactly(void **st)
{
    (void)st;
    assert_int_equal(parse("0.043020", 5), 4302);
    assert_int_equal(parse("0.043020", 6), 43020);
    assert_int_equal(parse("20270.49268141", 8), 2027049268141LL);
    assert_int_equal(parse("354.16000000", 2), 35416);
    assert_int_equal(parse("1", 8), 100000000);
    assert_int_equal(parse("-2.5", 1), -25);
    assert_int_equal(parse("1e-05", 8), 1000);
    assert_int_equal(parse("1E-8", 8), 1);
    assert_int_equal(parse("4787.0", 0), 4787);
    assert_int_equal(parse("0.00000000", 8), 0);
    assert_int_equal(parse("0.000000000000000000000000", 2), 0); /* long zero runs never overflow */
    assert_int_equal(parse("12.3400000000000000000000", 2), 1234);
    assert_int_equal(parse("92233720368.54775807", 8), INT64_MAX);
}

static void refuses_what_it_cannot_represent(void **st)
{
    (void)st;
    int64_t v;
    assert_int_equal(th_dec_parse("0.043025", 5, 5, &v), TH_DEC_OK); /* the length bounds the text: "0.043" */
    assert_int_equal(v, 4300);
    assert_int_equal(th_dec_parse("0.043025", 8, 5, &v), TH_DEC_EINEXACT);
    assert_int_equal(th_dec_parse("92233720368.54775808", 20, 8, &v), TH_DEC_ERANGE);
    assert_int_equal(th_dec_parse("", 0, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("-", 1, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse(".", 1, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("1.2.3", 5, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("1e", 2, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("abc", 3, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("\"1\"", 3, 2, &v), TH_DEC_ESYNTAX);
    assert_int_equal(th_dec_parse("1", 1, 19, &v), TH_DEC_ERANGE);
    assert_string_equal(th_dec_strerror(TH_DEC_EINEXACT), "more decimals than the instrument's precision");
}

static void formats_exactly(void **st)
{
    (void)st;
    char b[32];
    th_dec_format(4302, 5, b, sizeof b); assert_string_equal(b, "0.04302");
    th_dec_format(35416, 2, b, sizeof b); assert_string_equal(b, "354.16");
    th_dec_format(-25, 1, b, sizeof b); assert_string_equal(b, "-2.5");
    th_dec_format(7, 0, b, sizeof b); assert_string_equal(b, "7");
    th_dec_format(0, 8, b, sizeof b); assert_string_equal(b, "0.00000000");
    th_dec_format(INT64_MIN + 1, 18, b, sizeof b); assert_string_equal(b, "-9.223372036854775807");
    assert_int_equal(th_dec_places("0.00001000", 10), 5);
    assert_int_equal(th_dec_places("0.5", 3), 1);
    assert_int_equal(th_dec_places("100", 3), 0);
    assert_int_equal(th_dec_places("1E-8", 4), 8);
    assert_int_equal(th_dec_text_decimals("0.00010000", 10), 8);
    int64_t v;
    assert_int_equal(th_dec_from_double(0.1 + 0.2, 8, &v), 0);
    assert_int_equal(v, 30000000); /* nearest unit, not 30000000.000000004 truncated */
    assert_int_not_equal(th_dec_from_double(1.0 / 0.0, 8, &v), 0);
}

/* Every number-looking token in a recording: parse at its own written scale, format, compare. */
static uint64_t roundtrip_file(const char *path, uint64_t *checked)
{
    th_recording rec;
    const char *err;
    if (th_recording_open(&rec, path, &err) != 0) fail_msg("%s: %s", path, err);
    th_json j;
    assert_int_equal(th_json_init(&j, 1 << 20), 0);
    th_record r;
    uint64_t bad = 0;
    while (th_recording_next(&rec, &r) > 0) {
        if (!r.data || th_json_parse(&j, r.data, r.len) <= 0) continue;
        for (int i = 0; i < j.n; i++) {
            if (j.tok[i].type != TH_JSON_PRIMITIVE && j.tok[i].type != TH_JSON_STRING) continue;
            const char *s = th_json_ptr(&j, i);
            size_t n = th_json_len(&j, i);
            if (n == 0 || n > 24 || !memchr(s, '.', n)) continue;
            size_t k = s[0] == '-';
            int ok = k < n;
            for (size_t q = k; q < n; q++) if (!((s[q] >= '0' && s[q] <= '9') || s[q] == '.')) ok = 0;
            if (!ok) continue;
            int scale = th_dec_text_decimals(s, n);
            if (scale > TH_DEC_MAX_SCALE) continue;
            int64_t v;
            char out[40];
            if (th_dec_parse(s, n, scale, &v) != 0) { bad++; continue; }
            int len = th_dec_format(v, scale, out, sizeof out);
            /* "-0.0" formats as "0.0": the only text that may not come back byte for byte */
            if ((size_t)len != n || memcmp(out, s, n) != 0) {
                if (!(v == 0 && s[0] == '-')) { bad++; if (bad < 5) print_error("mismatch: %.*s -> %s\n", (int)n, s, out); }
            }
            (*checked)++;
        }
    }
    th_json_free(&j);
    th_recording_close(&rec);
    return bad;
}

static void roundtrip_every_recorded_number(void **st)
{
    (void)st;
    static const char *files[] = {
        "kraken/book-5pairs-2021-04-17.v2.txt", "kraken-futures/futures-ws-v1-2021-07-22.rec",
        "binance/spot-ws-2021-10-12.rec", "binance/spot-depth-snapshots-2021-10-12.rec",
        "binance/usdm-ws-2021-07-22.rec", "binance/usdm-depth-snapshots-2021-07-22.rec",
    };
    uint64_t checked = 0, bad = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", TH_TEST_DATA, files[i]);
        bad += roundtrip_file(path, &checked);
    }
    print_message("round-tripped %llu recorded decimals\n", (unsigned long long)checked);
    assert_true(checked > 50000); /* 56,534 in the bundled data */
    assert_int_equal(bad, 0);
}

/* th_dec_parse has a fast path for plain "digits[.digits]" texts; a leading '+' sends the same
 * text down the general path. The two must agree (result code and value) on every text, including
 * the edges: 19 characters, overflow on scaling up, inexact scaling down, a lone point. */
static void fast_path_agrees_with_general(void **st)
{
    (void)st;
    static const char ALPHA[] = "0123456789.";
    const char *edges[] = {".", "0", "0.", ".0", "5.", ".5", "9223372036854775807", "9223372036854775808",
                           "999999999999999999.", "0.000000000000000001", "1844674407370955161", "00000000000000000001",
                           "922337203685477580.7", "1.5", "..", "1..2", "12345678901234567890"};
    char buf[40], plus[41];
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int checked = 0;
    for (int it = 0; it < 400000 + (int)(sizeof edges / sizeof *edges); it++) {
        size_t n;
        if (it < (int)(sizeof edges / sizeof *edges)) {
            n = strlen(edges[it]);
            memcpy(buf, edges[it], n);
        } else {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            n = 1 + (size_t)((seed >> 33) % 21);
            int dot = (int)((seed >> 20) % (n + 3)); /* usually one point, sometimes none */
            for (size_t k = 0; k < n; k++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[k] = (int)k == dot ? '.' : ALPHA[(seed >> 40) % 10];
            }
            if ((seed >> 8) % 50 == 0) buf[(seed >> 16) % n] = ALPHA[(seed >> 24) % 11]; /* stray points */
        }
        plus[0] = '+';
        memcpy(plus + 1, buf, n);
        for (int scale = 0; scale <= 18; scale++) {
            int64_t a = -1, b = -1;
            int ra = th_dec_parse(buf, n, scale, &a), rb = th_dec_parse(plus, n + 1, scale, &b);
            if (ra != rb || (ra == TH_DEC_OK && a != b)) {
                buf[n] = 0;
                fail_msg("\"%s\" scale %d: fast path %d/%lld, general %d/%lld", buf, scale, ra, (long long)a, rb,
                         (long long)b);
            }
            checked++;
        }
    }
    assert_true(checked > 7000000);
}

/* Scales past the powers-of-ten table (money at price + qty decimals: 8 + 8 on Binance, 14 + 10
 * on a meme coin) convert exactly where a double can, and an impossible scale is NaN, not a read
 * past the table (it used to index th_dec_pow10_table[scale] unchecked). */
static void to_double_at_any_scale(void **st)
{
    (void)st;
    assert_true(th_dec_to_double(123456789, 8) == 1.23456789);
    assert_true(th_dec_to_double(100000LL * 100000000LL, 16) == 0.001); /* 1e13 units at scale 16 */
    assert_true(th_dec_to_double(123, 22) == 123e-22);
    assert_true(th_dec_to_double(123, 24) > 1.229e-22 && th_dec_to_double(123, 24) < 1.231e-22);
    assert_true(th_dec_to_double(-5, 19) == -5e-19);
    assert_true(th_dec_to_double(7, -3) == 7000.0);
    assert_true(isnan(th_dec_to_double(1, 1000)));
    assert_true(isnan(th_dec_to_double(1, -1000)));
    assert_true(isnan(th_dec_to_double(1, INT32_MIN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_exactly),
        cmocka_unit_test(to_double_at_any_scale),
        cmocka_unit_test(refuses_what_it_cannot_represent),
        cmocka_unit_test(formats_exactly),
        cmocka_unit_test(roundtrip_every_recorded_number),
        cmocka_unit_test(fast_path_agrees_with_general),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
