// Card: "-2 of meer miskramen = herhaalde miskramen." and "Vermijd de term habituele abortus."

/// RPL-INDICATION — "2 of meer miskramen = herhaalde miskramen.": two or more losses make the plan;
/// otherwise the run succeeds with no plan and says why.
public func rplIndication(_ f: Facts) -> (holds: Bool, reason: String) {
    let n = f.lossCount
    let counted = "\(n) pregnancy loss\(n == 1 ? "" : "es") counted"
    if n >= 2 { return (true, "\(counted): recurrent pregnancy loss (2 or more)") }
    return (false, "\(counted), fewer than 2: no recurrent pregnancy loss work-up is indicated")
}

/// RPL-TERM — "Vermijd de term habituele abortus.": no output text ever carries the rejected
/// terms, even when an input display does. Every text the emitter writes passes through here.
public func rplTerm(_ text: String) -> String {
    let rejected: [(String, String)] = [
        ("habituele abortus", "herhaalde miskraam"),
        ("habitual abortion", "recurrent pregnancy loss"),
        ("habitual aborter", "recurrent pregnancy loss"),
        ("recurrent abortion", "recurrent pregnancy loss"),
    ]
    var out = text
    for (term, replacement) in rejected {
        out = replacingCaseInsensitive(term, with: replacement, in: out)
    }
    return out
}

/// `term` is lower-case ASCII.
func replacingCaseInsensitive(_ term: String, with replacement: String, in text: String) -> String {
    let t = Array(term.utf8)
    let s = Array(text.utf8)
    guard s.count >= t.count else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    var i = 0
    var changed = false
    while i < s.count {
        if i + t.count <= s.count {
            var match = true
            for k in 0..<t.count {
                var c = s[i + k]
                if c >= 0x41 && c <= 0x5A { c += 0x20 }
                if c != t[k] { match = false; break }
            }
            if match {
                out.append(contentsOf: replacement.utf8)
                i += t.count
                changed = true
                continue
            }
        }
        out.append(s[i])
        i += 1
    }
    return changed ? String(decoding: out, as: UTF8.self) : text
}
