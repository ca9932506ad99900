/* json_out.c — JSON strings and numbers onto a stream (see json_out.h). */
#include "json_out.h"

#include <math.h>
#include <stdlib.h>

void th_json_put_str(FILE *f, const char *s)
{
    if (!s) { fputs("null", f); return; }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { fputc('\\', f); fputc((int)c, f); }
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc((int)c, f);
    }
    fputc('"', f);
}

void th_json_put_num(FILE *f, double v)
{
    if (!isfinite(v)) { fputs("null", f); return; }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
}
