import FHIR
import RPLGuideline

/// The input Bundle, indexed: every resource (entries and their contained resources) by its
/// place, with references resolved the way the Bundle's type implies (`urn:uuid` full URLs,
/// relative `Type/id` against the entry's base, absolute URLs, `#contained`).
public struct InputBundle: Sendable {
    public struct Item: Sendable {
        public let resource: Element
        public let fullUrl: String?
        /// For a contained resource: the index of the resource holding it.
        public let container: Int?
        public var type: String { resource.name }
        public var id: String? { resource.string("id") }
    }

    public let bundle: Element
    public let items: [Item]
    private var byFullUrl: [String: Int] = [:]
    private var byTypeAndId: [String: Int] = [:]
    private var contained: [String: Int] = [:]

    public init(_ bundle: Element) {
        self.bundle = bundle
        var items: [Item] = []
        var byFullUrl: [String: Int] = [:]
        var byTypeAndId: [String: Int] = [:]
        var contained: [String: Int] = [:]
        for entry in bundle.children("entry") {
            guard let resource = entry.child("resource")?.resource else { continue }
            let fullUrl = entry.string("fullUrl")
            let index = items.count
            items.append(Item(resource: resource, fullUrl: fullUrl, container: nil))
            if let fullUrl { byFullUrl[fullUrl] = byFullUrl[fullUrl] ?? index }
            if let id = resource.string("id") {
                let key = resource.name + "/" + id
                byTypeAndId[key] = byTypeAndId[key] ?? index
            }
            for c in resource.children("contained") {
                guard let inner = c.resource else { continue }
                let innerIndex = items.count
                items.append(Item(resource: inner, fullUrl: nil, container: index))
                if let id = inner.string("id") { contained["\(index)#\(id)"] = innerIndex }
            }
        }
        self.items = items
        let (older, superseded) = InputBundle.olderVersions(items)
        self.superseded = superseded
        // A reference names the resource, so it reaches its newest version.
        self.byFullUrl = byFullUrl.mapValues { older[$0] ?? $0 }
        self.byTypeAndId = byTypeAndId.mapValues { older[$0] ?? $0 }
        self.contained = contained
    }

    public var type: String? { bundle.string("type") }

    /// Entries that are an older version of a resource the Bundle also holds (a searchset with
    /// `_history`, an engine that sends each change): guideline.md v3, one resource is read once,
    /// in its newest version. The same resource is the same full URL, else the same `Type/id`;
    /// newest by `meta.versionId` (as numbers where both are), then `meta.lastUpdated`, then the
    /// later entry.
    public let superseded: Set<Int>

    /// Each older version's index → the newest version's, and every index superseded (with the
    /// resources contained in an older version).
    static func olderVersions(_ items: [Item]) -> ([Int: Int], Set<Int>) {
        var newest: [String: Int] = [:]
        var out: Set<Int> = []
        func isNewer(_ a: Item, than b: Item) -> Bool {
            let va = a.resource.child("meta")?.string("versionId"), vb = b.resource.child("meta")?.string("versionId")
            if let va, let vb, va != vb {
                if let na = Int(va), let nb = Int(vb) { return na > nb }
                return va > vb
            }
            let la = a.resource.child("meta")?.string("lastUpdated").map(Identities.instant)
            let lb = b.resource.child("meta")?.string("lastUpdated").map(Identities.instant)
            if let la, let lb, la != lb { return la > lb }
            return true
        }
        for (index, item) in items.enumerated() where item.container == nil {
            guard let key = item.fullUrl ?? item.id.map({ item.type + "/" + $0 }) else { continue }
            if let other = newest[key] {
                if isNewer(item, than: items[other]) {
                    out.insert(other)
                    newest[key] = index
                } else {
                    out.insert(index)
                }
            } else {
                newest[key] = index
            }
        }
        var map: [Int: Int] = [:]
        for index in out {
            let item = items[index]
            if let key = item.fullUrl ?? item.id.map({ item.type + "/" + $0 }), let n = newest[key] { map[index] = n }
        }
        // A superseded entry's contained resources go with it.
        if !out.isEmpty {
            for (index, item) in items.enumerated() where item.container.map(out.contains) == true { out.insert(index) }
        }
        return (map, out)
    }

    /// The resource a reference string points to, seen from the resource at `from`.
    public func resolve(_ reference: String, from: Int?) -> Int? {
        if reference.hasPrefix("#") {
            guard let from else { return nil }
            let holder = items[from].container ?? from
            if reference == "#" { return holder }
            return contained["\(holder)\(reference)"]
        }
        if let i = byFullUrl[reference] { return i }
        if reference.hasPrefix("urn:") { return nil }
        var parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count >= 2, parts[parts.count - 2] == "_history" { parts.removeLast(2) }
        let path = parts.joined(separator: "/")
        guard parts.count >= 2 else { return nil }
        let relative = parts[parts.count - 2] + "/" + parts[parts.count - 1]
        if !reference.contains("://"), let from, let base = serverBase(of: items[items[from].container ?? from].fullUrl) {
            if let i = byFullUrl[base + relative] { return i }
        }
        if let i = byFullUrl[String(path)] { return i }
        return byTypeAndId[String(relative)]
    }

    /// Resolves the `reference` of a Reference element.
    public func resolve(_ reference: Element?, from: Int?) -> Int? {
        guard let r = reference?.string("reference") else { return nil }
        return resolve(r, from: from)
    }

    /// `http://server/fhir/` from `http://server/fhir/Patient/1`.
    func serverBase(of fullUrl: String?) -> String? {
        guard let fullUrl, fullUrl.hasPrefix("http") else { return nil }
        var parts = fullUrl.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return nil }
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/"
    }

    /// The server id of a resource: what `Type/id` a server that holds it knows it by. A
    /// `urn:uuid` full URL (a transaction to be posted) gives none.
    public func serverId(_ index: Int) -> String? {
        let item = items[index]
        guard item.container == nil, let id = item.id else { return nil }
        if let fullUrl = item.fullUrl {
            if fullUrl.hasPrefix("urn:") { return nil }
            if fullUrl.hasPrefix("http") {
                let parts = fullUrl.split(separator: "/")
                if parts.count >= 2 { return parts[parts.count - 2] + "/" + parts[parts.count - 1] }
            }
        }
        return item.type + "/" + id
    }

    /// How to name this input resource in output, so that the receiving server can resolve it:
    /// `Type/id` where it has a server id, else a logical reference by identifier, else a
    /// display naming it.
    public func outputReference(_ index: Int) -> Element {
        let item = items[index]
        if let container = item.container {
            var r = outputReference(container)
            r.children.removeAll { $0.name == "display" }
            r.append(.primitive("display", "\(item.type)\(item.id.map { " #" + $0 } ?? "") contained in \(items[container].type)"))
            return r
        }
        if let server = serverId(index) { return .complex("Reference", [.primitive("reference", server)]) }
        // By identifier: the smallest, as one spelling (interface.md v3: their order and OID
        // spellings change nothing).
        let identifiers: [(String, String)] = item.resource.children("identifier").compactMap { e in
            guard let s = e.string("system"), let v = e.string("value") else { return nil }
            let system = Terminology.canonicalSystem(s), value = Terminology.trimmed(v)
            return system.isEmpty || value.isEmpty ? nil : (system, value)
        }
        if let (system, value) = identifiers.min(by: { $0.0 + "|" + $0.1 < $1.0 + "|" + $1.1 }) {
            return .complex("Reference", [
                .primitive("type", item.type),
                .complex("identifier", [.primitive("system", system), .primitive("value", value)]),
            ])
        }
        return .complex("Reference", [.primitive("display", "\(item.type) \(item.id ?? item.fullUrl ?? "#\(index)") in the input Bundle")])
    }
}

extension InputBundle {
    /// bdl-7 (FHIR R4): entries that share a fullUrl are versions of one resource and must carry
    /// distinct `meta.versionId`s. Two entries with the same fullUrl without distinct versions are
    /// unusable input (thrown, naming the fullUrl). With distinct versions the newest is kept (by
    /// `meta.lastUpdated`, else by `meta.versionId`: numerically when both are whole numbers) and
    /// read once; the older ones are dropped. Only entries the adapter reads are compared (the
    /// others are not built: their `meta` is not known).
    public static func newestVersions(_ bundle: Element) throws(FHIRFormatError) -> Element {
        var byFullUrl: [String: [Int]] = [:]
        let entries = bundle.children.indices.filter { bundle.children[$0].name == "entry" }
        for (n, i) in entries.enumerated() {
            let entry = bundle.children[i]
            guard let fullUrl = entry.string("fullUrl"), let r = entry.child("resource")?.resource, !r.children.isEmpty else { continue }
            byFullUrl[fullUrl, default: []].append(n)
        }
        var dropped = Set<Int>()
        for (fullUrl, positions) in byFullUrl where positions.count > 1 {
            let versions = positions.map { entries[$0] }.map { bundle.children[$0].child("resource")?.resource?.child("meta")?.string("versionId") }
            let named = versions.compactMap { $0 }
            guard named.count == versions.count, Set(named).count == named.count else {
                throw FHIRFormatError(.invalid, "\(positions.count) entries have the fullUrl \(fullUrl) without distinct meta.versionId (bdl-7: entries with the same fullUrl must be versions of one resource)",
                                      location: "Bundle.entry[\(positions[1])].fullUrl")
            }
            func newer(_ a: Int, than b: Int) -> Bool {
                let ma = bundle.children[entries[a]].child("resource")?.resource?.child("meta"), mb = bundle.children[entries[b]].child("resource")?.resource?.child("meta")
                if let ta = ma?.string("lastUpdated").flatMap(instantSeconds), let tb = mb?.string("lastUpdated").flatMap(instantSeconds), ta != tb { return ta > tb }
                let va = ma?.string("versionId") ?? "", vb = mb?.string("versionId") ?? ""
                if let na = Int(va), let nb = Int(vb) { return na > nb }
                return va > vb
            }
            let newest = positions.dropFirst().reduce(positions[0]) { newer($1, than: $0) ? $1 : $0 }
            dropped.formUnion(positions.filter { $0 != newest })
        }
        guard !dropped.isEmpty else { return bundle }
        var out = bundle
        let droppedChildren = Set(dropped.map { entries[$0] })
        out.children = bundle.children.indices.filter { !droppedChildren.contains($0) }.map { bundle.children[$0] }
        return out
    }

    /// An instant (`2026-11-02T10:00:00+01:00`) as seconds from day 0, UTC; nil when it is not one.
    static func instantSeconds(_ text: String) -> Double? {
        guard text.count >= 20, let day = CalendarDate(fhir: String(text.prefix(10))) else { return nil }
        let rest = Array(text.dropFirst(10))
        guard rest[0] == "T", rest.count >= 9, let h = Int(String(rest[1...2])), let m = Int(String(rest[4...5])) else { return nil }
        var i = 9
        var seconds = Double(String(rest[7...8])) ?? 0
        if i < rest.count, rest[i] == "." {
            var j = i + 1
            while j < rest.count, rest[j].isNumber { j += 1 }
            seconds += Double("0" + String(rest[i..<j])) ?? 0
            i = j
        }
        var offset = 0
        if i < rest.count, rest[i] == "+" || rest[i] == "-", rest.count >= i + 6, let oh = Int(String(rest[(i + 1)...(i + 2)])), let om = Int(String(rest[(i + 4)...(i + 5)])) {
            offset = (oh * 60 + om) * 60 * (rest[i] == "-" ? -1 : 1)
        }
        return Double(day.dayNumber) * 86400 + Double(h * 3600 + m * 60) + seconds - Double(offset)
    }
}
