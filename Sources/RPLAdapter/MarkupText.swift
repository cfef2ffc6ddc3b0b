/// Text for XML or HTML markup (the rule book's page, replay's JUnit report): `& < > "` as
/// entities, and the control characters XML 1.0 cannot hold (all but tab, line feed and carriage
/// return) left out.
func markupEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default:
            if let a = ch.asciiValue, a < 0x20, a != 0x0A, a != 0x09, a != 0x0D { continue }
            out.append(ch)
        }
    }
    return out
}
