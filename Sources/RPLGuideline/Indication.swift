// Card: "-2 of meer miskramen = herhaalde miskramen." and "Vermijd de term habituele abortus."

/// RPL-INDICATION — "2 of meer miskramen = herhaalde miskramen.": two or more losses make the plan;
/// otherwise the run succeeds with no plan and says why.
public func rplIndication(_ f: Facts) -> (holds: Bool, reason: Phrase) {
    // guideline.md v3: the maximum decides; a range is said as one.
    let n = f.lossCountMaximum, low = f.lossCount
    let counted: Phrase = low < n ? "\(low)–\(n) pregnancy losses counted" : n == 1 ? "1 pregnancy loss counted" : "\(n) pregnancy losses counted"
    if n >= 2 { return (true, "\(counted): recurrent pregnancy loss (2 or more)") }
    return (false, "\(counted), fewer than 2: no recurrent pregnancy loss work-up is indicated")
}

/// RPL-TERM — "Vermijd de term habituele abortus.": no output text ever carries the rejected
/// terms, even when an input display does. Every text the emitter writes passes through here.
/// guideline.md v2: every spelling and word order ("abortus habitualis", "habitual aborter",
/// "habituele miskramen", "Habitual abortions"), rewritten to "herhaalde miskramen" (Dutch) or
/// "recurrent pregnancy loss(es)" (English), inflected as a whole word (never "losss").
public func rplTerm(_ text: String) -> String {
    // Fast path (every text the emitter writes passes here): only texts with "habitu" or
    // "recurrent abort" in them, in any case, can hold the term.
    guard mayHoldRejectedTerm(text) else { return text }
    let habitual: Set<String> = ["habitual", "habitueel", "habituele", "habitualis"]
    let loss: Set<String> = ["abortion", "abortions", "aborter", "aborters", "abortus", "miscarriage", "miscarriages", "miskraam", "miskramen"]
    let dutch: Set<String> = ["habitueel", "habituele", "habitualis", "abortus", "miskraam", "miskramen"]
    // Words: runs of letters, with their place in the text.
    var words: [(range: Range<String.Index>, lower: String)] = []
    var i = text.startIndex
    while i < text.endIndex {
        guard text[i].isLetter else { i = text.index(after: i); continue }
        var j = i
        while j < text.endIndex && text[j].isLetter { j = text.index(after: j) }
        words.append((i..<j, text[i..<j].lowercased()))
        i = j
    }
    guard words.count >= 2 else { return text }
    var out = ""
    var copied = text.startIndex
    var k = 0
    while k + 1 < words.count {
        let a = words[k], b = words[k + 1]
        let between = text[a.range.upperBound..<b.range.lowerBound]
        let adjacent = !between.isEmpty && between.allSatisfy { $0 == " " || $0 == "-" || $0 == "\u{00A0}" }
        let pair = (habitual.contains(a.lower) && loss.contains(b.lower)) || (loss.contains(a.lower) && habitual.contains(b.lower))
            || (a.lower == "recurrent" && ["abortion", "abortions"].contains(b.lower))
        guard adjacent && pair else { k += 1; continue }
        let lossWord = loss.contains(a.lower) ? a.lower : b.lower
        var replacement: String
        if dutch.contains(a.lower) || dutch.contains(b.lower) {
            replacement = "herhaalde miskramen"
        } else {
            replacement = lossWord.hasSuffix("s") && lossWord != "abortus" ? "recurrent pregnancy losses" : "recurrent pregnancy loss"
        }
        if text[a.range].first?.isUppercase == true { replacement = replacement.prefix(1).uppercased() + replacement.dropFirst() }
        out += text[copied..<a.range.lowerBound] + replacement
        copied = b.range.upperBound
        k += 2
    }
    if copied == text.startIndex { return text }
    return out + text[copied...]
}

/// Whether a text has "habitu" or "recurrent abort" in it, in any case: one pass over its bytes,
/// each first compared to the terms' first letters (issue 20: two passes, one per term, were a
/// twentieth of a CDS request, whose warnings all pass here).
func mayHoldRejectedTerm(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { s in
        @inline(__always) func at(_ i: Int, _ term: StaticString) -> Bool {
            let n = term.utf8CodeUnitCount
            guard i + n <= s.count else { return false }
            let t = term.utf8Start
            for k in 1..<n {
                var c = s[i + k]
                if c >= 0x41 && c <= 0x5A { c += 0x20 }
                if c != t[k] { return false }
            }
            return true
        }
        for i in s.indices {
            // An ASCII letter's lower case: H and h, R and r (no other byte gives 0x68 or 0x72).
            switch s[i] | 0x20 {
            case UInt8(ascii: "h"): if at(i, "habitu") { return true }
            case UInt8(ascii: "r"): if at(i, "recurrent abort") { return true }
            default: break
            }
        }
        return false
    }
}
