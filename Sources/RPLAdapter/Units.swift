import FHIR

/// UCUM conversion for the two thyroid results (guideline.md §0): TSH to mU/L (= mIU/L = µIU/mL),
/// free T4 to pmol/L (1 ng/dL = 12.87 pmol/L).
enum Units {
    enum Problem: Error { case missing, unknown(String), noValue }

    /// The factor to the target unit, from the Quantity's UCUM `code`, else its `unit` text.
    static func factor(_ quantity: Element, table: [String: Double]) throws(Problem) -> Double {
        let code = quantity.string("code") ?? quantity.string("unit")
        guard let code else { throw .missing }
        let key = code.replacingMicro().lowercased()
        guard let f = table[key] else { throw .unknown(code) }
        return f
    }

    static let tsh: [String: Double] = [
        "mu/l": 1, "miu/l": 1, "m[iu]/l": 1, "[miu]/l": 1, "uiu/ml": 1, "u[iu]/ml": 1, "[uiu]/ml": 1, "uu/ml": 1,
        "miu/ml": 1000, "m[iu]/ml": 1000,
    ]

    static let freeT4: [String: Double] = [
        "pmol/l": 1, "ng/dl": 12.87, "ng/l": 1.287, "ng/ml": 1287, "pg/ml": 1.287, "nmol/l": 1000,
    ]

    /// The value of a Quantity converted, or why not.
    static func convert(_ quantity: Element?, table: [String: Double]) throws(Problem) -> Double {
        guard let quantity, let text = quantity.string("value"), let value = Double(text) else { throw .noValue }
        return value * (try factor(quantity, table: table))
    }
}

extension String {
    /// µ (U+00B5) and μ (U+03BC) written as u, the UCUM way.
    func replacingMicro() -> String {
        var out = ""
        for ch in self { out.append(ch == "µ" || ch == "μ" ? "u" : ch) }
        return out
    }
}
