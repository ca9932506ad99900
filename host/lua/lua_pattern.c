/* lua_pattern.c — the pattern engine of the metered string functions (see lua_pattern.h).
 *
 * Why a second pattern engine: LuaJIT's matcher runs inside one VM instruction, where no count
 * hook fires, and backtracks without bound (("a"):rep(3000):find(".-.-.-.-b") runs for hours).
 * Budgeted runs (lua_budget.c) need one whose every step is charged to the run's budget.
 *
 * Design. The pattern is read once into a list of items: a run of literal bytes, one character
 * class (a 256-bit set: '.', %a..., [set], or one byte) with its quantifier (none, '?', '*', '+',
 * '-'), capture open/close, position capture, %bxy, %f[set], back-reference %1-%9, the '$' that
 * ends a pattern, the end, or an error met while reading (raised only when a match gets there).
 * The matcher walks the items with a stack of choice points ('?', '*', '+', '-'); captures need
 * no undo, because which captures are open at an item is a property of the item, and a
 * capture's offsets are always those written by the path that reached the current item.
 *
 * Behaviour follows LuaJIT 2.1 as observed (tests/lua/metered_spec.lua compares the two on
 * random patterns and subjects): the pattern ends at its first NUL; classes are ASCII (%g
 * included); at most 32 captures; a match nested deeper than 200 levels raises "pattern too
 * complex", where a level is a capture, a position capture, '*', '-', '+', or a '?' whose byte
 * matched (the order of choices, so also of results and errors, is LuaJIT's). */
#include "lua_pattern.h"

#include "lua_metered.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

enum { IT_STR, IT_ONE, IT_OPEN, IT_POS, IT_CLOSE, IT_BAL, IT_FRONT, IT_BACK, IT_EOS, IT_END, IT_ERR };
enum { Q_ONE, Q_OPT, Q_STAR, Q_PLUS, Q_LAZY };

#define MAX_LEVELS 200
#define CLOCK_EVERY 65536 /* steps between looks at the wall clock */

typedef uint64_t charset[4];

struct pat_item {
    uint8_t kind, quant, x, y; /* x: capture index, %b's opener, literal; y: %b's closer */
    uint32_t len;              /* IT_STR: bytes in the run */
    union {
        const uint8_t *str;     /* IT_STR */
        const uint64_t *bits;   /* IT_ONE, IT_FRONT */
        const char *err;        /* IT_ERR */
    } u;
};

static inline bool in_set(const uint64_t *b, uint8_t c)
{
    return (b[c >> 6] >> (c & 63)) & 1;
}

static inline void set_add(uint64_t *b, uint8_t c)
{
    b[c >> 6] |= (uint64_t)1 << (c & 63);
}

/* --- The meter ------------------------------------------------------------------------------ */

static void meter_arm(th_meter *m)
{
    uint64_t clock = m->used + CLOCK_EVERY;
    m->next_check = m->limit < clock - 1 ? m->limit + 1 : clock;
}

void th_meter_begin(th_meter *m, lua_State *L)
{
    m->L = L;
    m->used = 0;
    m->limit = th_pattern_steps_left();
    meter_arm(m);
}

void th_meter_flush(th_meter *m)
{
    th_pattern_charge(m->used);
    th_meter_begin(m, m->L);
}

void th_meter_slow(th_meter *m)
{
    if (m->used > m->limit) th_pattern_over(m->L, m->used);
    th_pattern_check_clock(m->L);
    meter_arm(m);
}

/* --- Character classes (ASCII, as LuaJIT's) -------------------------------------------------- */

static charset class_bits[2][26]; /* [upper][letter]: %a ... and their complements %A ... */
static charset any_bits;
static bool classes_ready;

static bool is_class_letter(uint8_t c)
{
    c |= 0x20;
    return c == 'a' || c == 'c' || c == 'd' || c == 'g' || c == 'l' || c == 'p' || c == 's' || c == 'u' ||
           c == 'w' || c == 'x' || c == 'z';
}

static bool class_has(uint8_t letter, int c)
{
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
    bool graph = c > 32 && c < 127;
    switch (letter) {
    case 'a': return lower || upper;
    case 'c': return c < 32 || c == 127;
    case 'd': return digit;
    case 'g': return graph;
    case 'l': return lower;
    case 'p': return graph && !lower && !upper && !digit;
    case 's': return c == ' ' || (c >= '\t' && c <= '\r');
    case 'u': return upper;
    case 'w': return lower || upper || digit;
    case 'x': return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    case 'z': return c == 0;
    default: return false;
    }
}

static void classes_init(void)
{
    if (classes_ready) return;
    for (int l = 0; l < 26; l++) {
        for (int c = 0; c < 256; c++) {
            if (class_has((uint8_t)('a' + l), c)) set_add(class_bits[0][l], (uint8_t)c);
            else set_add(class_bits[1][l], (uint8_t)c);
        }
    }
    memset(any_bits, 0xff, sizeof any_bits);
    classes_ready = true;
}

/* The class %letter: its static set, or NULL when letter is an ordinary character. */
static const uint64_t *class_set(uint8_t letter)
{
    if (!is_class_letter(letter)) return NULL;
    bool upper = letter >= 'A' && letter <= 'Z';
    return class_bits[upper][(letter | 0x20) - 'a'];
}

/* --- Compiling -------------------------------------------------------------------------------- */

typedef struct compiler {
    const uint8_t *p;
    size_t plen, i;
    pat_item *items;
    int n;                /* items written */
    uint64_t (*sets)[4];  /* pool of sets that are not a static class */
    int nsets;
    uint8_t *bytes;       /* literal runs */
    size_t nbytes;
    int level;            /* captures opened so far */
    uint8_t cap_state[PAT_MAXCAPTURES]; /* CAP_OPEN_, CAP_CLOSED_, CAP_POS_ */
} compiler;

enum { CAP_OPEN_, CAP_CLOSED_, CAP_POS_ };

/* Upper bounds: an item per pattern byte plus the end; a pooled set per two bytes ("a*", "[x]")
 * plus one; a literal byte per pattern byte. */
size_t th_pat_space(const char *p, size_t plen)
{
    (void)p;
    size_t items = (plen + 2) * sizeof(pat_item);
    size_t sets = (plen / 2 + 1) * sizeof(charset);
    return items + sets + plen + 1;
}

static void emit_error(compiler *c, const char *msg)
{
    pat_item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    it->kind = IT_ERR;
    it->u.err = msg;
}

static pat_item *emit(compiler *c, uint8_t kind)
{
    pat_item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    return it;
}

static uint64_t *new_set(compiler *c)
{
    uint64_t *b = c->sets[c->nsets++];
    memset(b, 0, sizeof(charset));
    return b;
}

/* Reads the set that starts at p[i] == '[' into a pooled charset. Returns false (and emits the
 * error) when its ']' is missing. */
static bool read_set(compiler *c, const uint64_t **out)
{
    const uint8_t *p = c->p;
    size_t j = c->i + 1;
    bool negate = j < c->plen && p[j] == '^';
    if (negate) j++;
    size_t body = j;
    /* The closing ']': the first byte of the body never closes, and '%' takes the next byte. */
    for (;;) {
        if (j >= c->plen) {
            emit_error(c, "malformed pattern (missing ']')");
            return false;
        }
        if (p[j++] == '%' && j < c->plen) j++;
        if (j < c->plen && p[j] == ']') break;
    }
    size_t close = j;
    uint64_t *b = new_set(c);
    for (size_t k = body; k < close;) {
        if (p[k] == '%') { /* %x: a class, or x itself (x may be the closing ']') */
            uint8_t x = p[k + 1];
            const uint64_t *cls = class_set(x);
            if (cls) for (int w = 0; w < 4; w++) b[w] |= cls[w];
            else set_add(b, x);
            k += 2;
        } else if (k + 2 < close && p[k + 1] == '-') {
            for (int ch = p[k]; ch <= p[k + 2]; ch++) set_add(b, (uint8_t)ch);
            k += 3;
        } else {
            set_add(b, p[k]);
            k++;
        }
    }
    if (negate) for (int w = 0; w < 4; w++) b[w] = ~b[w];
    c->i = close + 1;
    *out = b;
    return true;
}

/* A literal byte without quantifier joins the run of literals before it, if any. */
static void emit_literal(compiler *c, uint8_t ch)
{
    pat_item *last = c->n ? &c->items[c->n - 1] : NULL;
    if (!last || last->kind != IT_STR || last->u.str + last->len != c->bytes + c->nbytes) {
        last = emit(c, IT_STR);
        last->u.str = c->bytes + c->nbytes;
    }
    c->bytes[c->nbytes++] = ch;
    last->len++;
}

/* One character class at p[i] and its quantifier. Returns false after an error item. */
static bool read_single(compiler *c)
{
    const uint8_t *p = c->p;
    const uint64_t *bits = NULL;
    int literal = -1;
    if (p[c->i] == '[') {
        if (!read_set(c, &bits)) return false;
    } else if (p[c->i] == '%') { /* the caller saw that a byte follows */
        bits = class_set(p[c->i + 1]);
        if (!bits) literal = p[c->i + 1];
        c->i += 2;
    } else if (p[c->i] == '.') {
        bits = any_bits;
        c->i++;
    } else {
        literal = p[c->i++];
    }
    int quant = Q_ONE;
    if (c->i < c->plen) {
        switch (p[c->i]) {
        case '?': quant = Q_OPT; break;
        case '*': quant = Q_STAR; break;
        case '+': quant = Q_PLUS; break;
        case '-': quant = Q_LAZY; break;
        }
        if (quant != Q_ONE) c->i++;
    }
    if (literal >= 0 && quant == Q_ONE) {
        emit_literal(c, (uint8_t)literal);
        return true;
    }
    if (literal >= 0) {
        uint64_t *b = new_set(c);
        set_add(b, (uint8_t)literal);
        bits = b;
    }
    pat_item *it = emit(c, IT_ONE);
    it->quant = (uint8_t)quant;
    it->u.bits = bits;
    return true;
}

/* One item at p[i]. Returns false when the pattern is done (its end, '$' at the end, or an
 * error item). */
static bool read_item(compiler *c)
{
    const uint8_t *p = c->p;
    size_t i = c->i, left = c->plen - i;
    if (left == 0) {
        emit(c, IT_END);
        return false;
    }
    switch (p[i]) {
    case '(':
        if (c->level >= PAT_MAXCAPTURES) {
            emit_error(c, "too many captures");
            return false;
        }
        if (left > 1 && p[i + 1] == ')') {
            emit(c, IT_POS)->x = (uint8_t)c->level;
            c->cap_state[c->level++] = CAP_POS_;
            c->i += 2;
        } else {
            emit(c, IT_OPEN)->x = (uint8_t)c->level;
            c->cap_state[c->level++] = CAP_OPEN_;
            c->i += 1;
        }
        return true;
    case ')': {
        int k = c->level - 1;
        while (k >= 0 && c->cap_state[k] != CAP_OPEN_) k--;
        if (k < 0) {
            emit_error(c, "invalid pattern capture");
            return false;
        }
        emit(c, IT_CLOSE)->x = (uint8_t)k;
        c->cap_state[k] = CAP_CLOSED_;
        c->i += 1;
        return true;
    }
    case '$':
        if (left == 1) {
            emit(c, IT_EOS);
            return false;
        }
        break;
    case '%':
        if (left == 1) {
            emit_error(c, "malformed pattern (ends with '%')");
            return false;
        }
        switch (p[i + 1]) {
        case 'b': {
            if (left < 4) {
                emit_error(c, "unbalanced pattern");
                return false;
            }
            pat_item *it = emit(c, IT_BAL);
            it->x = p[i + 2];
            it->y = p[i + 3];
            c->i += 4;
            return true;
        }
        case 'f': {
            c->i += 2;
            if (c->i >= c->plen || p[c->i] != '[') {
                emit_error(c, "missing '[' after '%f' in pattern");
                return false;
            }
            const uint64_t *bits;
            if (!read_set(c, &bits)) return false;
            emit(c, IT_FRONT)->u.bits = bits;
            return true;
        }
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9': {
            int k = p[i + 1] - '1';
            if (k < 0 || k >= c->level || c->cap_state[k] == CAP_OPEN_) {
                emit_error(c, "invalid capture index");
                return false;
            }
            emit(c, IT_BACK)->x = (uint8_t)k;
            c->i += 2;
            return true;
        }
        }
        break;
    }
    return read_single(c);
}

void th_pat_compile(th_pat *pat, void *mem, const char *p, size_t plen, bool allow_anchor)
{
    classes_init();
    size_t nul = plen;
    const char *z = memchr(p, 0, plen);
    if (z) nul = (size_t)(z - p); /* the pattern ends at its first NUL, as LuaJIT's does */
    compiler c = {.p = (const uint8_t *)p, .plen = nul};
    c.items = mem;
    c.sets = (void *)((char *)mem + (plen + 2) * sizeof(pat_item));
    c.bytes = (uint8_t *)(c.sets + plen / 2 + 1);
    pat->anchored = allow_anchor && nul > 0 && p[0] == '^';
    if (pat->anchored) c.i = 1;
    while (read_item(&c)) {}
    pat->items = c.items;
    pat->ncaptures = c.level;
}

/* --- Matching --------------------------------------------------------------------------------- */

typedef struct choice {
    const pat_item *it;
    size_t at;   /* Q_OPT: where the rest goes without the byte; Q_LAZY: bytes taken so far end here */
    size_t count; /* Q_STAR, Q_PLUS: bytes the rest is tried after now */
    uint16_t level;
} choice;

static void raise_item_error(th_match *m, const char *msg)
{
    th_meter_flush(m->meter);
    luaL_error(m->L, "%s", msg);
}

#define DEEPER()                                                                             \
    do {                                                                                     \
        if (++level >= MAX_LEVELS) raise_item_error(m, "pattern too complex");               \
    } while (0)

ptrdiff_t th_pat_match(th_match *m, const th_pat *pat, size_t s)
{
    choice stack[MAX_LEVELS];
    int top = 0;
    unsigned level = 0;
    const pat_item *it = pat->items;
    const uint8_t *src = (const uint8_t *)m->src;
    size_t n = m->n;
    th_meter *meter = m->meter;
    for (;;) {
        th_meter_tick(meter, 1);
        switch (it->kind) {
        case IT_END:
            return (ptrdiff_t)s;
        case IT_EOS:
            if (s == n) return (ptrdiff_t)s;
            goto fail;
        case IT_STR:
            if (n - s >= it->len && memcmp(src + s, it->u.str, it->len) == 0) {
                th_meter_tick(meter, it->len >> 5);
                s += it->len;
                it++;
                continue;
            }
            goto fail;
        case IT_ONE: {
            const uint64_t *b = it->u.bits;
            bool one = s < n && in_set(b, src[s]);
            switch (it->quant) {
            case Q_ONE:
                if (!one) goto fail;
                s++;
                it++;
                continue;
            case Q_OPT:
                if (one) {
                    stack[top++] = (choice){.it = it, .at = s, .level = (uint16_t)level};
                    DEEPER();
                    s++;
                }
                it++;
                continue;
            case Q_STAR:
            case Q_PLUS: {
                size_t k = 0;
                while (s + k < n && in_set(b, src[s + k])) k++;
                th_meter_tick(meter, k);
                if (k == 0 && it->quant == Q_PLUS) goto fail;
                stack[top++] = (choice){.it = it, .at = s, .count = k, .level = (uint16_t)level};
                DEEPER();
                s += k;
                it++;
                continue;
            }
            case Q_LAZY:
                stack[top++] = (choice){.it = it, .at = s, .level = (uint16_t)level};
                DEEPER();
                it++;
                continue;
            }
            goto fail;
        }
        case IT_OPEN:
            m->cap[it->x].start = s;
            m->cap[it->x].len = PAT_CAP_OPEN;
            DEEPER();
            it++;
            continue;
        case IT_POS:
            m->cap[it->x].start = s;
            m->cap[it->x].len = PAT_CAP_POSITION;
            DEEPER();
            it++;
            continue;
        case IT_CLOSE:
            m->cap[it->x].len = s - m->cap[it->x].start;
            DEEPER();
            it++;
            continue;
        case IT_BAL: {
            if (s >= n || src[s] != it->x) goto fail;
            size_t j = s + 1, depth = 1;
            for (; j < n; j++) {
                if (src[j] == it->y) {
                    if (--depth == 0) break;
                } else if (src[j] == it->x) {
                    depth++;
                }
            }
            th_meter_tick(meter, j - s);
            if (j >= n) goto fail;
            s = j + 1;
            it++;
            continue;
        }
        case IT_FRONT: {
            uint8_t before = s ? src[s - 1] : 0, here = s < n ? src[s] : 0;
            if (in_set(it->u.bits, before) || !in_set(it->u.bits, here)) goto fail;
            it++;
            continue;
        }
        case IT_BACK: {
            size_t len = m->cap[it->x].len;
            if (len == PAT_CAP_POSITION || n - s < len) goto fail; /* "()%1" never matches */
            if (memcmp(src + s, src + m->cap[it->x].start, len) != 0) goto fail;
            th_meter_tick(meter, len >> 5);
            s += len;
            it++;
            continue;
        }
        case IT_ERR:
            raise_item_error(m, it->u.err);
            return -1;
        }
    fail:
        for (;;) {
            if (top == 0) return -1;
            choice *c = &stack[top - 1];
            th_meter_tick(meter, 1);
            if (c->it->quant == Q_OPT) { /* the rest without the optional byte, one level up */
                top--;
                s = c->at;
                level = c->level;
                it = c->it + 1;
                break;
            }
            if (c->it->quant == Q_LAZY) { /* one more byte, if it is in the class */
                if (c->at < n && in_set(c->it->u.bits, src[c->at])) {
                    s = ++c->at;
                    level = c->level + 1u;
                    it = c->it + 1;
                    break;
                }
                top--;
                continue;
            }
            if (c->count > (c->it->quant == Q_PLUS ? 1u : 0u)) { /* one byte fewer */
                c->count--;
                s = c->at + c->count;
                level = c->level + 1u;
                it = c->it + 1;
                break;
            }
            top--;
        }
    }
}

size_t th_pat_next_start(th_match *m, const th_pat *pat, size_t at)
{
    const pat_item *it = pat->items;
    const uint8_t *src = (const uint8_t *)m->src;
    size_t n = m->n;
    if (at >= n) return at; /* the empty end is tried as it is */
    if (it->kind == IT_STR) {
        const uint8_t *hit = memchr(src + at, it->u.str[0], n - at);
        size_t next = hit ? (size_t)(hit - src) : n + 1;
        th_meter_tick(m->meter, ((next > n ? n : next) - at) >> 4);
        return next;
    }
    if (it->kind == IT_BAL) {
        const uint8_t *hit = memchr(src + at, it->x, n - at);
        size_t next = hit ? (size_t)(hit - src) : n + 1;
        th_meter_tick(m->meter, ((next > n ? n : next) - at) >> 4);
        return next;
    }
    if (it->kind == IT_ONE && (it->quant == Q_ONE || it->quant == Q_PLUS)) {
        size_t k = at;
        while (k < n && !in_set(it->u.bits, src[k])) k++;
        th_meter_tick(m->meter, (k - at) >> 2);
        return k < n ? k : n + 1;
    }
    return at;
}

ptrdiff_t th_pat_search(th_match *m, const th_pat *pat, size_t at, size_t *end)
{
    if (pat->anchored) {
        ptrdiff_t e = th_pat_match(m, pat, at);
        if (e < 0) return -1;
        *end = (size_t)e;
        return (ptrdiff_t)at;
    }
    for (size_t s = at; s <= m->n; s++) {
        s = th_pat_next_start(m, pat, s);
        if (s > m->n) break;
        ptrdiff_t e = th_pat_match(m, pat, s);
        if (e >= 0) {
            *end = (size_t)e;
            return (ptrdiff_t)s;
        }
    }
    return -1;
}
