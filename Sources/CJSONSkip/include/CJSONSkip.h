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

#endif
