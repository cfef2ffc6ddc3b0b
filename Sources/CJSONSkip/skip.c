// The fast pass of JSONScanner.skipValue (see CJSONSkip.h). Every rule here mirrors one of the
// Swift reader's, named beside it; where this pass cannot decide as the Swift reader would, it
// gives up (-1) and the Swift reader checks the value.
#include "CJSONSkip.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FAIL ((ptrdiff_t)-1)
// An object's keys compared here (beyond, the Swift reader's set of keys decides).
#define MAX_KEYS 32

typedef struct {
    const uint8_t *p;
    size_t n;
    int max_depth;
    // Screening a resource (rpl_json_screen_resource); NULL: only passing over.
    const rpl_screen *screen;
    int resource_depth;  // the depth of the resource's own members
    uint32_t *kept;
    int *kept_count;
} scan;

// What a member's key makes of its string values when screening.
enum { KIND_OTHER = 0, KIND_CODE = 1, KIND_TEXT = 2 };

static inline int is_digit(uint8_t b) { return b >= '0' && b <= '9'; }

// JSONScanner.skipWhitespace: space, line feed, carriage return, tab; sixteen at a time
// (pretty-printed input is mostly indentation).
static inline size_t skip_ws(const scan *s, size_t i) {
    // Most calls in compact JSON find none.
    if (i < s->n && s->p[i] > ' ') return i;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' '), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');
    while (i + 16 <= s->n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s->p + i));
        __m128i blank = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, tab)));
        unsigned other = ~(unsigned)_mm_movemask_epi8(blank) & 0xFFFFu;
        if (other) return i + (size_t)__builtin_ctz(other);
        i += 16;
    }
#endif
    while (i < s->n) {
        uint8_t b = s->p[i];
        if (b != ' ' && b != '\n' && b != '\r' && b != '\t') break;
        i++;
    }
    return i;
}

// The first byte from i that needs a look inside a string: a quote, a backslash, a control
// character or a non-ASCII byte (JSONScanner.skipPlainASCII, sixteen at a time). Signed
// comparison: bytes from 0x80 are negative, so below 0x20 too.
static inline size_t plain_run(const scan *s, size_t i) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (i + 16 <= s->n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s->p + i));
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                       _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(special);
        if (mask) return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // Eight at a time elsewhere (the Swift reader's SWAR test, helper-32's review: byte by byte
    // on arm64 was slower than what this replaced). Little-endian loads.
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (i + 8 <= s->n) {
        uint64_t w;
        memcpy(&w, s->p + i, 8);
        uint64_t quote = w ^ (ones * 0x22), backslash = w ^ (ones * 0x5C);
        uint64_t special = (w & highs) | ((w - ones * 0x20) & ~w & highs) | ((quote - ones) & ~quote & highs) |
                           ((backslash - ones) & ~backslash & highs);
        if (special) return i + (size_t)(__builtin_ctzll(special) >> 3);
        i += 8;
    }
#endif
    while (i < s->n) {
        uint8_t b = s->p[i];
        if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) return i;
        i++;
    }
    return i;
}

// JSONScanner.readHex4.
static inline int hex4(const scan *s, size_t *i, uint32_t *value) {
    if (*i + 4 > s->n) return 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t b = s->p[*i + k];
        uint32_t d;
        if (b >= '0' && b <= '9') d = b - '0';
        else if (b >= 'A' && b <= 'F') d = b - 'A' + 10;
        else if (b >= 'a' && b <= 'f') d = b - 'a' + 10;
        else return 0;
        v = v << 4 | d;
    }
    *i += 4;
    *value = v;
    return 1;
}

// One UTF-8 sequence at i (its first byte at least 0x80), strictly: no overlong forms, no
// surrogates, nothing above U+10FFFF (JSONScanner.validateUTF8). Its length, or 0.
static inline size_t utf8_sequence(const scan *s, size_t i) {
    uint8_t b0 = s->p[i];
    size_t need;
    uint32_t min, scalar;
    if ((b0 & 0xE0) == 0xC0) { need = 1; min = 0x80; scalar = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { need = 2; min = 0x800; scalar = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { need = 3; min = 0x10000; scalar = b0 & 0x07; }
    else return 0;
    if (i + need >= s->n) return 0;
    for (size_t k = 1; k <= need; k++) {
        uint8_t b = s->p[i + k];
        if ((b & 0xC0) != 0x80) return 0;
        scalar = scalar << 6 | (b & 0x3F);
    }
    if (scalar < min || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF)) return 0;
    return need + 1;
}

// A string at its opening quote (JSONScanner.skipString, readString, readEscapedString): past
// its closing quote, or FAIL. `plain`: ASCII without escapes.
static ptrdiff_t skip_string(const scan *s, size_t i, int *plain) {
    i++;
    int ascii_plain = 1;
    for (;;) {
        i = plain_run(s, i);
        if (i >= s->n) return FAIL;  // unterminated
        uint8_t b = s->p[i];
        if (b == '"') {
            *plain = ascii_plain;
            return (ptrdiff_t)(i + 1);
        }
        if (b == '\\') {
            ascii_plain = 0;
            i++;
            if (i >= s->n) return FAIL;
            uint8_t e = s->p[i++];
            switch (e) {
            case '"': case '\\': case '/': case 'n': case 'r': case 't':
                break;
            case 'u': {
                uint32_t scalar;
                if (!hex4(s, &i, &scalar)) return FAIL;
                if (scalar >= 0xD800 && scalar <= 0xDBFF) {
                    if (!(i + 1 < s->n && s->p[i] == '\\' && s->p[i + 1] == 'u')) return FAIL;  // lone surrogate
                    i += 2;
                    uint32_t low;
                    if (!hex4(s, &i, &low) || low < 0xDC00 || low > 0xDFFF) return FAIL;
                } else if (scalar >= 0xDC00 && scalar <= 0xDFFF) {
                    return FAIL;  // lone surrogate
                } else if (scalar < 0x20 && scalar != 0x09 && scalar != 0x0A && scalar != 0x0D) {
                    return FAIL;  // a control character FHIR strings do not hold
                }
                break;
            }
            default:
                return FAIL;  // \b, \f (control characters) and invalid escapes
            }
            continue;
        }
        if (b < 0x20) return FAIL;  // a control character must be escaped
        ascii_plain = 0;
        size_t k = utf8_sequence(s, i);
        if (k == 0) return FAIL;
        i += k;
    }
}

// JSONScanner.scanNumber: RFC 8259's grammar.
static ptrdiff_t skip_number(const scan *s, size_t i) {
    const uint8_t *p = s->p;
    size_t n = s->n;
    if (p[i] == '-') i++;
    if (i >= n || !is_digit(p[i])) return FAIL;
    if (p[i] == '0') {
        i++;
        if (i < n && is_digit(p[i])) return FAIL;  // leading zero
    } else {
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || !is_digit(p[i])) return FAIL;
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || !is_digit(p[i])) return FAIL;
        while (i < n && is_digit(p[i])) i++;
    }
    return (ptrdiff_t)i;
}

static inline ptrdiff_t literal(const scan *s, size_t i, const char *text, size_t length) {
    if (i + length > s->n || memcmp(s->p + i, text, length) != 0) return FAIL;
    return (ptrdiff_t)(i + length);
}

// MARK: screening (ResourceScreen)

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline int in_set(const uint64_t *set, size_t mask, uint64_t hash) {
    if (hash == 0) hash = 1;
    size_t slot = (size_t)(hash ^ (hash >> 29)) & mask;
    for (;;) {
        uint64_t h = set[slot];
        if (h == hash) return 1;
        if (h == 0) return 0;
        slot = (slot + 1) & mask;
    }
}

static inline uint8_t upper(uint8_t b) { return b >= 'a' && b <= 'z' ? (uint8_t)(b & ~0x20) : b; }
static inline uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? (uint8_t)(b | 0x20) : b; }
static inline int word_byte(uint8_t b) { return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b >= 0x80; }

// A code of one or two bytes (`packed`, big-endian) against a block's three-byte ends, compared as
// strings: a shorter string that is a prefix is the smaller.
static inline int compare_short(uint32_t packed, size_t length, uint32_t end3) {
    for (size_t i = 0; i < 3; i++) {
        if (i == length) return -1;
        uint8_t a = (uint8_t)(packed >> (8 * (length - 1 - i))), b = (uint8_t)(end3 >> (8 * (2 - i)));
        if (a != b) return a < b ? -1 : 1;
    }
    return 0;
}

static inline int short_in_block(uint32_t packed, size_t length, uint32_t first, uint32_t last) {
    return compare_short(packed, length, first) >= 0 && compare_short(packed, length, last) <= 0;
}

// A code: its normal form (upper case, no dots, no spaces) is a code, or starts with a category,
// or its first three bytes fall in a block.
static int code_matters(const rpl_screen *sc, const uint8_t *p, size_t n) {
    uint64_t hash = FNV_BASIS;
    size_t length = 0;
    uint32_t first3 = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = upper(p[i]);
        if (b == '.' || b == ' ') continue;
        hash = (hash ^ b) * FNV_PRIME;
        length++;
        if (length <= 3) first3 = first3 << 8 | b;
        if (length < 64 && (sc->category_lengths >> length & 1) && in_set(sc->categories, sc->categories_mask, hash)) return 1;
    }
    if (length >= 3) {
        for (size_t k = 0; k < sc->block_count; k++) {
            if (sc->blocks[2 * k] <= first3 && first3 <= sc->blocks[2 * k + 1]) return 1;
        }
    } else if (length > 0) {
        // A code shorter than a category is compared with a block's ends as a string, as the
        // terminology compares it (`Q4` falls in Q38-Q45: helper-46's review; `kg` in none).
        for (size_t k = 0; k < sc->block_count; k++) {
            if (short_in_block(first3, length, sc->blocks[2 * k], sc->blocks[2 * k + 1])) return 1;
        }
    }
    return in_set(sc->codes, sc->codes_mask, hash);
}

// A text: each word (letters and digits, lower case) against the keywords' first words and stems.
static int text_matters(const rpl_screen *sc, const uint8_t *p, size_t n) {
    if (sc->any_text) return 1;
    size_t i = 0;
    while (i < n) {
        if (!word_byte(lower(p[i]))) { i++; continue; }
        uint64_t hash = FNV_BASIS;
        size_t length = 0;
        while (i < n) {
            uint8_t b = lower(p[i]);
            if (!word_byte(b)) break;
            hash = (hash ^ b) * FNV_PRIME;
            length++;
            i++;
            if (length < 64 && (sc->stem_lengths >> length & 1) && in_set(sc->stems, sc->stems_mask, hash)) return 1;
        }
        if (in_set(sc->words, sc->words_mask, hash)) return 1;
    }
    return 0;
}

int rpl_json_screen_string(const rpl_screen *screen, int kind, const uint8_t *bytes, size_t count) {
    return kind == KIND_CODE ? code_matters(screen, bytes, count) : kind == KIND_TEXT ? text_matters(screen, bytes, count) : 0;
}

static inline int key_is(const uint8_t *k, uint32_t n, const char *name, uint32_t length) {
    return n == length && memcmp(k, name, length) == 0;
}

static inline int key_kind(const uint8_t *k, uint32_t n) {
    if (key_is(k, n, "code", 4)) return KIND_CODE;
    if (key_is(k, n, "text", 4) || key_is(k, n, "display", 7) || key_is(k, n, "valueString", 11)) return KIND_TEXT;
    return KIND_OTHER;
}

// The members a skeleton keeps: its `id` and `meta` (a reference reaches it, a newer version
// replaces it).
static inline int key_kept(const uint8_t *k, uint32_t n) {
    return key_is(k, n, "id", 2) || key_is(k, n, "meta", 4);
}

// Members that make a resource one to build whole: resources it holds (read as any resource),
// an id's or meta's padding (read with them), business identifiers (a lab's accession number on
// every result of an order ties them together: copies and identities are told by it; helper-46's
// review).
static inline int key_builds(const uint8_t *k, uint32_t n) {
    return key_is(k, n, "contained", 9) || key_is(k, n, "_contained", 10) || key_is(k, n, "_id", 3) ||
           key_is(k, n, "_meta", 5) || key_is(k, n, "identifier", 10) || key_is(k, n, "_identifier", 11);
}

// A string value at i (already passed over up to `end`) under a key of this kind.
static inline ptrdiff_t screen_string(const scan *s, size_t i, ptrdiff_t end, int plain, int kind) {
    if (kind == KIND_OTHER || end < 0) return end;
    // An escape or a byte beyond ASCII: only a reading can tell what it says.
    if (!plain) return RPL_JSON_MATTERS;
    const uint8_t *content = s->p + i + 1;
    size_t n = (size_t)end - i - 2;
    if (kind == KIND_CODE ? code_matters(s->screen, content, n) : text_matters(s->screen, content, n)) return RPL_JSON_MATTERS;
    return end;
}

static ptrdiff_t skip_value(const scan *s, size_t i, int depth);
static ptrdiff_t skip_array(const scan *s, size_t i, int depth, int kind);

// JSONScanner.skipValue's object: not empty; members `"key": value` with plain keys, none twice
// (ObjectKeys), no null as a value.
static ptrdiff_t skip_object(const scan *s, size_t i, int depth) {
    const uint8_t *p = s->p;
    size_t n = s->n;
    depth++;
    if (depth > s->max_depth) return FAIL;
    i = skip_ws(s, i + 1);
    if (i < n && p[i] == '}') return FAIL;  // empty object
    uint32_t key_start[MAX_KEYS];
    uint32_t key_length[MAX_KEYS];
    int keys = 0;
    for (;;) {
        i = skip_ws(s, i);
        if (i >= n || p[i] != '"') return FAIL;
        int plain = 0;
        ptrdiff_t end = skip_string(s, i, &plain);
        if (end < 0 || !plain || keys == MAX_KEYS) return FAIL;
        uint32_t start = (uint32_t)(i + 1), length = (uint32_t)((size_t)end - 1 - (i + 1));
        for (int k = 0; k < keys; k++) {
            if (key_length[k] == length && (length == 0 || p[key_start[k]] == p[start]) &&
                memcmp(p + key_start[k], p + start, length) == 0) return FAIL;  // duplicate key
        }
        key_start[keys] = start;
        key_length[keys] = length;
        keys++;
        int kind = KIND_OTHER;
        if (s->screen) {
            kind = key_kind(p + start, length);
            if (depth == s->resource_depth) {
                if (key_builds(p + start, length)) return RPL_JSON_MATTERS;
                if (key_kept(p + start, length)) {
                    if (*s->kept_count == RPL_JSON_MAX_KEPT) return RPL_JSON_MATTERS;
                    s->kept[(*s->kept_count)++] = (uint32_t)i;
                }
            }
        }
        i = skip_ws(s, (size_t)end);
        if (i >= n || p[i] != ':') return FAIL;
        i = skip_ws(s, i + 1);
        if (i >= n || p[i] == 'n') return FAIL;  // end of input; null outside an array
        if (kind != KIND_OTHER && p[i] == '"') {
            int plain_value = 0;
            end = skip_string(s, i, &plain_value);
            if (end == (ptrdiff_t)(i + 2)) return FAIL;  // empty string (skip_value's rule)
            end = screen_string(s, i, end, plain_value, kind);
        } else if (kind != KIND_OTHER && p[i] == '[') {
            end = skip_array(s, i, depth, kind);
        } else {
            end = skip_value(s, i, depth);
        }
        if (end < 0) return end;
        i = skip_ws(s, (size_t)end);
        if (i >= n) return FAIL;
        if (p[i] == ',') { i++; continue; }
        if (p[i] == '}') return (ptrdiff_t)(i + 1);
        return FAIL;
    }
}

// JSONScanner.skipValue's array: not empty; no arrays in it; null allowed (the `_name` padding).
// `kind`: what its member's key makes of its strings (screening).
static ptrdiff_t skip_array(const scan *s, size_t i, int depth, int kind) {
    const uint8_t *p = s->p;
    size_t n = s->n;
    depth++;
    if (depth > s->max_depth) return FAIL;
    i = skip_ws(s, i + 1);
    if (i < n && p[i] == ']') return FAIL;  // empty array
    for (;;) {
        i = skip_ws(s, i);
        if (i >= n) return FAIL;
        ptrdiff_t end;
        if (p[i] == 'n') end = literal(s, i, "null", 4);
        else if (p[i] == '[') return FAIL;  // arrays of arrays
        else if (kind != KIND_OTHER && p[i] == '"') {
            int plain_value = 0;
            end = skip_string(s, i, &plain_value);
            if (end == (ptrdiff_t)(i + 2)) return FAIL;  // empty string (skip_value's rule)
            end = screen_string(s, i, end, plain_value, kind);
        }
        else end = skip_value(s, i, depth);
        if (end < 0) return end;
        i = skip_ws(s, (size_t)end);
        if (i >= n) return FAIL;
        if (p[i] == ',') { i++; continue; }
        if (p[i] == ']') return (ptrdiff_t)(i + 1);
        return FAIL;
    }
}

static ptrdiff_t skip_value(const scan *s, size_t i, int depth) {
    switch (s->p[i]) {
    case '"': {
        int plain = 0;
        ptrdiff_t end = skip_string(s, i, &plain);
        if (end == (ptrdiff_t)(i + 2)) return FAIL;  // empty string: FHIR primitives are never empty
        return end;
    }
    case '{': return skip_object(s, i, depth);
    case '[': return skip_array(s, i, depth, KIND_OTHER);
    case 't': return literal(s, i, "true", 4);
    case 'f': return literal(s, i, "false", 5);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return skip_number(s, i);
    default:
        return FAIL;
    }
}

size_t rpl_json_plain_run(const uint8_t *bytes, size_t count, size_t pos) {
    scan s = { bytes, count, 0 };
    return plain_run(&s, pos);
}

ptrdiff_t rpl_json_skip_value(const uint8_t *bytes, size_t count, size_t pos, int depth, int max_depth) {
    // Offsets of keys are kept in 32 bits.
    if (bytes == NULL || pos >= count || count > UINT32_MAX) return FAIL;
    scan s = { bytes, count, max_depth, NULL, 0, NULL, NULL };
    return skip_value(&s, pos, depth);
}

ptrdiff_t rpl_json_screen_resource(const uint8_t *bytes, size_t count, size_t pos, int depth, int max_depth,
                                   const rpl_screen *screen, uint32_t *kept, int *kept_count) {
    *kept_count = 0;
    if (bytes == NULL || pos >= count || count > UINT32_MAX || bytes[pos] != '{') return FAIL;
    scan s = { bytes, count, max_depth, screen, depth + 1, kept, kept_count };
    return skip_object(&s, pos, depth);
}
