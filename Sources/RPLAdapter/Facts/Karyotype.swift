/// A karyotype result read as ISCN text (guideline.md v2): `46,XX`, `46,XY[20]`,
/// `46,XX,t(11;22)(q23;q11.2)`, `45,XX,rob(13;14)(q10;q10)`, `46,XY,inv(9)(p12q13)`.
/// Codes decide elsewhere; a karyotype is text by nature, so its ISCN string is read here.
struct Karyotype {
    enum Reading: Equatable {
        /// `46,XX` or `46,XY`, with a cell count allowed.
        case normal
        /// Normal apart from common heteromorphisms (normal variants: a note, not abnormal).
        case normalVariant([String])
        /// Anything else ISCN can say: another count, a structural change, a mosaic.
        case abnormal
        /// Not ISCN (free text): a warning, for a clinician to check.
        case notISCN
    }

    /// Common heteromorphisms: inv(9)(p11q13) / inv(9)(p12q13), qh+ / qh-, ph+, ps+, cenh,
    /// Yqh+ / Yqh- (on any chromosome number where ISCN allows it, e.g. `9qh+`, `15ps+`).
    static func isHeteromorphism(_ part: String) -> Bool {
        let p = part.lowercased()
        if p == "inv(9)(p11q13)" || p == "inv(9)(p12q13)" { return true }
        let variants = ["qh+", "qh-", "ph+", "ps+", "cenh", "cenh+", "cenh-"]
        for v in variants where p.hasSuffix(v) {
            let chromosome = p.dropLast(v.count)
            if chromosome.isEmpty || chromosome == "y" || chromosome.allSatisfy(\.isNumber) { return true }
        }
        return false
    }

    /// An ISCN text's cell lines, each its comma-separated parts: no whitespace, and no cell counts
    /// (`[20]` says how many cells showed it, not what it is); a mosaic or chimera
    /// (`46,XX[15]/47,XX,+21[5]`) has its lines separated by `/`.
    static func cellLines(_ text: String) -> [[String]] {
        var s = text.filter { !$0.isWhitespace }
        while let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") { s.removeSubrange(open...close) }
        return s.split(separator: "/", omittingEmptySubsequences: false).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    static func read(_ text: String) -> Reading {
        var clones = cellLines(text)
        // ISCN writes a mosaic `mos` and a chimera `chi` before the first line (`mos 45,X[5]/46,XX[25]`:
        // not read before, found by a clinical audit, helper-45).
        for prefix in ["mos", "chi"] where clones[0].first.map({ $0.lowercased().hasPrefix(prefix) }) == true {
            clones[0][0] = String(clones[0][0].dropFirst(prefix.count))
        }
        // In situ hybridisation after the karyotype (`46,XX.ish del(22)(q11.2q11.2)(TUPLE1-)`): read
        // apart. A deletion, duplication, rearrangement or a missing or extra signal is abnormal; the
        // karyotype before it is read as any.
        if clones.count == 1, let at = clones[0].firstIndex(where: { $0.lowercased().contains(".ish") }) {
            let part = Array(clones[0][at])
            let dot = part.indices.first { i in i + 4 <= part.count && String(part[i..<(i + 4)]).lowercased() == ".ish" }!
            let ish = (String(part[dot...]) + "," + clones[0][(at + 1)...].joined(separator: ",")).lowercased()
            clones[0] = Array(clones[0][..<at]) + (dot == 0 ? [] : [String(part[..<dot])])
            if ["del(", "dup(", "der(", "t(", "ins(", "inv(", "-)", "x0)", "x1)", "x3)", "x4)"].contains(where: { ish.contains($0) }) {
                return clones[0].count >= 2 && Int(clones[0][0]) != nil ? .abnormal : .notISCN
            }
        }
        let parts = clones[0]
        guard parts.count >= 2, let count = Int(parts[0]), (40...100).contains(count),
              parts[1].allSatisfy({ "XYxy".contains($0) }), !parts[1].isEmpty else {
            return .notISCN
        }
        if clones.count > 1 { return .abnormal }
        guard count == 46, ["XX", "XY"].contains(parts[1].uppercased()) else { return .abnormal }
        let changes = Array(parts.dropFirst(2)).filter { !$0.isEmpty }
        if changes.isEmpty { return .normal }
        if changes.allSatisfy(isHeteromorphism) { return .normalVariant(changes) }
        return .abnormal
    }

    /// The sex chromosomes of every cell line of an ISCN text, upper-case (`XY` of
    /// `46,XY,t(2;5)(…)`; `X` and `XY` of `mos 45,X[10]/46,XY[10]`); empty when it is not ISCN
    /// (helper-34's review: `46,XY[20]` and the second line of a mosaic were missed).
    static func sexChromosomes(_ text: String) -> [String] {
        cellLines(text).compactMap { parts in
            guard parts.count >= 2 else { return nil }
            var count = Substring(parts[0])
            for prefix in ["mos", "chi"] where count.hasPrefix(prefix) { count = count.dropFirst(prefix.count) }
            guard Int(count) != nil, !parts[1].isEmpty, parts[1].allSatisfy({ "XYxy".contains($0) }) else { return nil }
            return parts[1].uppercased()
        }
    }

    /// A structural change that makes a translocation (in pregnancy tissue: RPL-CLINICAL-GENETICS).
    static func hasTranslocation(_ text: String) -> Bool {
        let s = text.lowercased().filter { !$0.isWhitespace }
        return s.contains("t(") || s.contains("der(") || s.contains("rob(")
    }
}
