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

    static func read(_ text: String) -> Reading {
        var s = text.filter { !$0.isWhitespace }
        // Cell counts (`[20]`) say how many cells showed it, not what it is.
        while let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") { s.removeSubrange(open...close) }
        // A mosaic or chimera (`46,XX[15]/47,XX,+21[5]`): cell lines separated by `/`.
        let clones = s.split(separator: "/", omittingEmptySubsequences: false)
        let parts = clones[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
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

    /// The sex chromosomes of an ISCN text's first cell line (`XY` of `46,XY,t(2;5)(…)`), upper-case;
    /// nil when the text is not ISCN.
    static func sexChromosomes(_ text: String) -> String? {
        let s = text.filter { !$0.isWhitespace }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)[0].split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count >= 2, Int(parts[0]) != nil, !parts[1].isEmpty, parts[1].allSatisfy({ "XYxy".contains($0) }) else { return nil }
        return parts[1].uppercased()
    }

    /// A structural change that makes a translocation (in pregnancy tissue: RPL-CLINICAL-GENETICS).
    static func hasTranslocation(_ text: String) -> Bool {
        let s = text.lowercased().filter { !$0.isWhitespace }
        return s.contains("t(") || s.contains("der(") || s.contains("rob(")
    }
}
