/// Semantic comparison of two outputs resource by resource: Bundle entries are matched by type and
/// identity (id, else fullUrl, else their position among resources of that type), then compared
/// element by element (`ElementDiff`). A reordered but equal Bundle is equal.
public enum BundleDiff {
    public struct ResourceDifferences: Sendable, CustomStringConvertible {
        /// `Type/id` (or the fullUrl) of the resource.
        public var resource: String
        public var differences: [ElementDiff.Difference]
        public init(resource: String, differences: [ElementDiff.Difference]) {
            self.resource = resource
            self.differences = differences
        }
        public var description: String {
            ([resource] + differences.map { "  " + $0.description }).joined(separator: "\n")
        }
    }

    public static func compare(expected: Element, actual: Element) -> [ResourceDifferences] {
        guard expected.name == "Bundle", actual.name == "Bundle", expected.isResource, actual.isResource else {
            let d = ElementDiff.compare(expected: expected, actual: actual)
            return d.isEmpty ? [] : [ResourceDifferences(resource: expected.name, differences: d)]
        }
        var out: [ResourceDifferences] = []
        // The Bundle itself, without its entries.
        var e = expected, a = actual
        e.children.removeAll { $0.name == "entry" }
        a.children.removeAll { $0.name == "entry" }
        let shell = ElementDiff.compare(expected: e, actual: a)
        if !shell.isEmpty { out.append(ResourceDifferences(resource: "Bundle", differences: shell)) }

        let left = keyed(expected.children("entry")), right = keyed(actual.children("entry"))
        var rightByKey: [String: Element] = [:]
        for (k, v) in right { rightByKey[k] = v }
        var seen = Set<String>()
        for (key, entry) in left {
            seen.insert(key)
            guard let other = rightByKey[key] else {
                out.append(ResourceDifferences(resource: key, differences: [.init(path: key, expected: "present", actual: nil)]))
                continue
            }
            var d = ElementDiff.compare(expected: entry, actual: other)
            for i in d.indices { d[i].path = key + d[i].path.dropFirst("entry".count) }
            if !d.isEmpty { out.append(ResourceDifferences(resource: key, differences: d)) }
        }
        for (key, _) in right where !seen.contains(key) {
            out.append(ResourceDifferences(resource: key, differences: [.init(path: key, expected: nil, actual: "present")]))
        }
        return out
    }

    /// Entries with their identity, in order.
    static func keyed(_ entries: [Element]) -> [(String, Element)] {
        var counts: [String: Int] = [:]
        return entries.map { entry in
            let resource = entry.child("resource")?.resource
            let type = resource?.name ?? "entry"
            if let id = resource?.string("id") { return (type + "/" + id, entry) }
            if let url = entry.string("fullUrl") { return (url, entry) }
            let n = counts[type, default: 0]
            counts[type] = n + 1
            return ("\(type)[\(n)]", entry)
        }
    }
}
