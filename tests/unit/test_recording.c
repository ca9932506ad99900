/* test_recording.c — the recording reader on hostile lines: a NUL byte inside a line ends only that
 * line (it used to swallow the next one and shift every later line number), a receive timestamp
 * too long for int64 is a bad line (it used to be signed overflow), a last line without a newline
 * is read, and a line longer than the initial buffer comes back whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/feed/recording.h"

static char PATH[64];

static void write_file(const char *data, size_t n)
{
    snprintf(PATH, sizeof PATH, "/tmp/th_rec_test_XXXXXX");
    int fd = mkstemp(PATH);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void nul_byte_ends_only_its_line(void **st)
{
    (void)st;
    static const char data[] = "1600000000000000001 {\"a\":1}\n"
                               "1600000000000000002 {\"b\0\":2}\n"
                               "1600000000000000003 {\"c\":3}\n"
                               "12345678901234567890123456 {\"d\":4}\n"
                               "1600000000000000005 {\"e\":5}";
    write_file(data, sizeof data - 1);
    th_recording rec;
    const char *err;
    th_record r;
    assert_int_equal(th_recording_open(&rec, PATH, &err), 0);

    assert_int_equal(th_recording_next(&rec, &r), 1);
    assert_int_equal(rec.line_no, 1);
    assert_int_equal(r.ts_ns, 1600000000000000001LL);

    assert_int_equal(th_recording_next(&rec, &r), 1); /* the line with the NUL: whole, NUL included */
    assert_int_equal(rec.line_no, 2);
    assert_int_equal(r.len, 8);
    assert_memory_equal(r.data, "{\"b\0\":2}", 8);

    assert_int_equal(th_recording_next(&rec, &r), 1); /* the next line is still there, numbered 3 */
    assert_int_equal(rec.line_no, 3);
    assert_int_equal(r.ts_ns, 1600000000000000003LL);
    assert_int_equal(r.len, 7);
    assert_memory_equal(r.data, "{\"c\":3}", 7);

    assert_int_equal(th_recording_next(&rec, &r), 1); /* 26 digits: not a time, skipped and counted */
    assert_int_equal(rec.line_no, 5);
    assert_int_equal(rec.bad_lines, 1);
    assert_int_equal(r.ts_ns, 1600000000000000005LL);
    assert_int_equal(r.len, 7);                       /* no newline at the end of the file */
    assert_memory_equal(r.data, "{\"e\":5}", 7);

    assert_int_equal(th_recording_next(&rec, &r), 0);
    assert_int_equal(rec.records, 4);
    th_recording_close(&rec);
    unlink(PATH);
}

static void timestamps_at_the_int64_edge(void **st)
{
    (void)st;
    th_record r;
    char a[] = "9223372036854775807 {}";  /* INT64_MAX ns: the year 2262 */
    assert_int_equal(th_recording_parse_line(a, strlen(a), &r), 0);
    assert_int_equal(r.ts_ns, INT64_MAX);
    char b[] = "9223372036854775808 {}";  /* one more: refused, not wrapped */
    assert_int_equal(th_recording_parse_line(b, strlen(b), &r), -1);
    char c[] = "99999999999999999999 {}"; /* 20 digits */
    assert_int_equal(th_recording_parse_line(c, strlen(c), &r), -1);
    char d[] = "12345678901234567890123456.5: {}"; /* cryptofeed form, 26 digits */
    assert_int_equal(th_recording_parse_line(d, strlen(d), &r), -1);
}

static void long_line_comes_back_whole(void **st)
{
    (void)st;
    size_t n = 300000;
    char *data = malloc(n + 64);
    int h = snprintf(data, 64, "1600000000000000001 ");
    memset(data + h, 'x', n);
    memcpy(data + h + n, "\n1600000000000000002 y\n", 23);
    write_file(data, (size_t)h + n + 23);
    free(data);
    th_recording rec;
    const char *err;
    th_record r;
    assert_int_equal(th_recording_open(&rec, PATH, &err), 0);
    assert_int_equal(th_recording_next(&rec, &r), 1);
    assert_int_equal(r.len, n);
    assert_int_equal(r.data[n - 1], 'x');
    assert_int_equal(th_recording_next(&rec, &r), 1);
    assert_int_equal(r.len, 1);
    assert_int_equal(rec.line_no, 2);
    assert_int_equal(th_recording_next(&rec, &r), 0);
    th_recording_close(&rec);
    unlink(PATH);
    /* a missing file names itself and the reason */
    assert_int_equal(th_recording_open(&rec, "/nonexistent/rec.txt", &err), -1);
    assert_non_null(strstr(err, "/nonexistent/rec.txt"));
    assert_non_null(strstr(err, "No such file or directory"));
    th_recording_close(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nul_byte_ends_only_its_line),
        cmocka_unit_test(timestamps_at_the_int64_edge),
        cmocka_unit_test(long_line_comes_back_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
