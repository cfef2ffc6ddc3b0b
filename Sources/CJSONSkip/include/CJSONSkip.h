#ifndef CJSONSKIP_H
#define CJSONSKIP_H

#include <stddef.h>
#include <stdint.h>

/// Passes over one JSON value of FHIR JSON that nobody will build (issue 20: the resources a
/// caller does not read are most of a Synthea Bundle), checking it as the Swift reader's
/// `JSONScanner.skipValue` does, sixteen bytes at a time inside strings.
///
/// `bytes[pos]` is the value's first byte; `depth` the reader's nesting depth there. Returns the
/// offset just past the value, or -1 when the value is not one this pass can vouch for: any
/// error, and what it leaves to the Swift reader (keys with escapes or non-ASCII bytes, whose
/// equality is Unicode's; objects of more than 32 keys). The Swift reader then checks the value
/// itself and says what is wrong and where. A value this pass accepts is one the Swift reader
/// accepts, ending at the same byte.
ptrdiff_t rpl_json_skip_value(const uint8_t *bytes, size_t count, size_t pos, int depth, int max_depth);

/// Inside a string, the first byte from `pos` that needs a look: a quote, a backslash, a control
/// character or a non-ASCII byte (`count` if none).
size_t rpl_json_plain_run(const uint8_t *bytes, size_t count, size_t pos);

/// A resource screen's tables (`ResourceScreen`): open-addressed sets of 64-bit FNV-1a hashes
/// (size a power of two, `mask` = size - 1; 0 is an empty slot, a hash of 0 is stored as 1).
typedef struct {
    const uint64_t *codes;
    size_t codes_mask;
    const uint64_t *categories;
    size_t categories_mask;
    uint64_t category_lengths;  // bit n: a category of n bytes
    const uint32_t *blocks;     // pairs: first, last (three bytes each, big-endian)
    size_t block_count;
    const uint64_t *words;
    size_t words_mask;
    const uint64_t *stems;
    size_t stems_mask;
    uint64_t stem_lengths;
    int any_text;
} rpl_screen;

/// The answer of `rpl_json_screen_resource` for a resource that may matter.
#define RPL_JSON_MATTERS ((ptrdiff_t)-2)
/// At most this many kept members are recorded (beyond: the resource matters).
#define RPL_JSON_MAX_KEPT 4

/// Passes over one resource object (its `{` at `pos`) exactly as `rpl_json_skip_value` does,
/// and screens it on the way: RPL_JSON_MATTERS as soon as a `code` string is one of the screen's
/// codes (upper case, without dots and spaces, or starting with a category, or in a block) or
/// a `text`, `display` or `valueString` string holds one of its words (lower case, a whole
/// word; a stem starts one), or such a string has an escape or a byte beyond ASCII, or the
/// resource holds resources (`contained`), has business identifiers, or pads its id or meta. Else
/// the offset past the object
/// (the same as `rpl_json_skip_value`'s), with the offsets of its own keys `id` and `meta` in
/// `kept` (their opening quotes, `*kept_count` of them); or -1 as `rpl_json_skip_value`.
ptrdiff_t rpl_json_screen_resource(const uint8_t *bytes, size_t count, size_t pos, int depth, int max_depth,
                                   const rpl_screen *screen, uint32_t *kept, int *kept_count);

/// Whether a screen finds that one string (its content) may matter as a `code` (kind 1) or a
/// text (kind 2): for tests.
int rpl_json_screen_string(const rpl_screen *screen, int kind, const uint8_t *bytes, size_t count);

#endif
