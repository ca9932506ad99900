/* test_rec_writer.c — the recording writer of `tradehost record` against the one reader: every
 * kind of line it writes comes back from th_recording_next as written (a newline inside a frame
 * as a space, a space in a URL as %20, times to the nanosecond), and a write that fails half-way
 * (the file size limit) leaves the file at its last complete line, the writer refusing from then
 * on. An existing file is never overwritten. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/feed/rec_writer.h"
#include "../../host/feed/recording.h"

static char PATH[64];

static void fresh_path(void)
{
    snprintf(PATH, sizeof PATH, "/tmp/th_recw_test_XXXXXX");
    int fd = mkstemp(PATH);
    assert_true(fd >= 0);
    close(fd);
    unlink(PATH);
}

static void every_line_reads_back(void **st)
{
    (void)st;
    fresh_path();
    th_rec_writer w;
    const char *err = NULL;
    assert_int_equal(th_rec_writer_open(&w, PATH, &err), 0);
    th_rec_writer_tagged(&w, TH_REC_LINE_OPEN, "ws://127.0.0.1:9/v2", 19, 1618678134045305088LL, NULL, 0);
    th_rec_writer_tagged(&w, TH_REC_LINE_SENT, "ws://127.0.0.1:9/v2", 19, 1618678134045305089LL, "{\"method\":\"subscribe\"}", 22);
    th_rec_writer_frame(&w, 1618678134045305090LL, "{\"channel\":\n\"book\",\r\n\"x\":1}", 27);
    th_rec_writer_tagged(&w, TH_REC_LINE_REST, "http://h/a b?symbol=X", 21, 1618678134000000001LL, "{\"lastUpdateId\":5}", 18);
    assert_int_equal(th_rec_writer_close(&w), 0);
    assert_int_equal(w.frames, 1);
    assert_int_equal(w.opens, 1);
    assert_int_equal(w.sent, 1);
    assert_int_equal(w.rest, 1);
    th_recording r;
    th_record rec;
    assert_int_equal(th_recording_open(&r, PATH, &err), 0);
    assert_int_equal(th_recording_next(&r, &rec), 1);
    assert_int_equal(rec.kind, TH_REC_OPEN);
    assert_int_equal(rec.ts_ns, 1618678134045305088LL);
    assert_int_equal(rec.url_len, 19);
    assert_memory_equal(rec.url, "ws://127.0.0.1:9/v2", 19);
    assert_int_equal(th_recording_next(&r, &rec), 1);
    assert_int_equal(rec.kind, TH_REC_SENT);
    assert_int_equal(rec.ts_ns, 1618678134045305089LL);
    assert_int_equal(rec.len, 22);
    assert_memory_equal(rec.data, "{\"method\":\"subscribe\"}", 22);
    assert_int_equal(th_recording_next(&r, &rec), 1);
    assert_int_equal(rec.kind, TH_REC_FRAME);
    assert_int_equal(rec.ts_ns, 1618678134045305090LL);
    assert_int_equal(rec.len, 27);
    assert_memory_equal(rec.data, "{\"channel\": \"book\",  \"x\":1}", 27);
    assert_int_equal(th_recording_next(&r, &rec), 1);
    assert_int_equal(rec.kind, TH_REC_REST);
    assert_int_equal(rec.ts_ns, 1618678134000000001LL);
    assert_int_equal(rec.url_len, 23);
    assert_memory_equal(rec.url, "http://h/a%20b?symbol=X", 23);
    assert_memory_equal(rec.data, "{\"lastUpdateId\":5}", 18);
    assert_int_equal(th_recording_next(&r, &rec), 0);
    assert_int_equal(r.bad_lines, 0);
    th_recording_close(&r);
    /* never overwritten */
    assert_int_equal(th_rec_writer_open(&w, PATH, &err), -1);
    assert_non_null(strstr(err, "never overwritten"));
    unlink(PATH);
}

static void failed_write_ends_at_a_complete_line(void **st)
{
    (void)st;
    fresh_path();
    th_rec_writer w;
    const char *err = NULL;
    assert_int_equal(th_rec_writer_open(&w, PATH, &err), 0);
    char frame[280]; /* 279 characters: a 300-byte line with its 19-digit time, space and newline */
    memset(frame, 'x', sizeof frame - 1);
    frame[0] = '{';
    frame[sizeof frame - 2] = '}';
    frame[sizeof frame - 1] = 0;
    /* two 300-byte lines on disk, then the limit cuts the next batch's write in the middle */
    th_rec_writer_frame(&w, 1000000000000000000LL, frame, strlen(frame));
    th_rec_writer_frame(&w, 1000000000000000001LL, frame, strlen(frame));
    assert_int_equal(th_rec_writer_flush(&w), 0);
    assert_int_equal(w.written, 600);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = (struct rlimit){1000, old.rlim_max}; /* the soft limit only: it can be raised back */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    th_rec_writer_frame(&w, 1000000000000000002LL, frame, strlen(frame));
    th_rec_writer_frame(&w, 1000000000000000003LL, frame, strlen(frame));
    assert_int_equal(th_rec_writer_flush(&w), -1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_true(th_rec_writer_failed(&w));
    th_rec_writer_frame(&w, 1000000000000000004LL, frame, strlen(frame)); /* refused from now on */
    assert_int_equal(th_rec_writer_close(&w), -1);
    struct stat sb;
    assert_int_equal(stat(PATH, &sb), 0);
    assert_int_equal(sb.st_size, 600);
    th_recording r;
    th_record rec;
    assert_int_equal(th_recording_open(&r, PATH, &err), 0);
    int n = 0;
    while (th_recording_next(&r, &rec) == 1) n++;
    assert_int_equal(n, 2);
    assert_int_equal(r.bad_lines, 0);
    th_recording_close(&r);
    unlink(PATH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_line_reads_back),
        cmocka_unit_test(failed_write_ends_at_a_complete_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
