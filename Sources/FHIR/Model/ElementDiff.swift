/// Semantic comparison of two element trees: elements matched by name (order of different names
/// does not matter, as in JSON objects), repeating elements in order, values by their exact text.
public enum ElementDiff {
    public struct Difference: Sendable, Equatable, CustomStringConvertible {
        /// FHIRPath-like location of the difference.
        public var path: String
        public var expected: String?
        public var actual: String?

        public init(path: String, expected: String?, actual: String?) {
            self.path = path
            self.expected = expected
            self.actual = actual
        }

        public var description: String {
            "\(path): expected \(expected.map { "\"\($0)\"" } ?? "nothing"), got \(actual.map { "\"\($0)\"" } ?? "nothing")"
        }
    }

    public static func compare(expected: Element, actual: Element) -> [Difference] {
        var out: [Difference] = []
        compare(expected, actual, path: expected.name, into: &out)
        return out
    }

    static func summary(_ e: Element) -> String {
        if let v = e.value { return v }
        if e.isResource { return e.name }
        if let r = e.resource { return r.name }
        return "(\(e.children.count) element\(e.children.count == 1 ? "" : "s"))"
    }

    static func compare(_ a: Element, _ b: Element, path: String, into out: inout [Difference]) {
        if a.isResource != b.isResource || (a.isResource && a.name != b.name) {
            out.append(Difference(path: path, expected: summary(a), actual: summary(b)))
            return
        }
        if a.value != b.value {
            out.append(Difference(path: path, expected: a.value, actual: b.value))
        }
        var names: [String] = []
        var seen = Set<String>()
        for c in a.children + b.children where seen.insert(c.name).inserted { names.append(c.name) }
        for name in names {
            let left = a.children(name)
            let right = b.children(name)
            let many = left.count > 1 || right.count > 1 || left.first?.wasArray == true || right.first?.wasArray == true
            for i in 0..<max(left.count, right.count) {
                var step = path + "." + name + (many ? "[\(i)]" : "")
                if i < left.count, i < right.count {
                    if let r = left[i].resource, !left[i].isResource, right[i].resource?.name == r.name {
                        step += ".ofType(\(r.name))"
                        compare(r, right[i].resource!, path: step, into: &out)
                    } else {
                        compare(left[i], right[i], path: step, into: &out)
                    }
                } else if i < left.count {
                    out.append(Difference(path: step, expected: summary(left[i]), actual: nil))
                } else {
                    out.append(Difference(path: step, expected: nil, actual: summary(right[i])))
                }
            }
        }
    }
}
