import FHIR
import RPLGuideline
import Digests

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
        // An item per entry, and one per contained resource (few): no doubling of a large array.
        items.reserveCapacity(bundle.children.count)
        // Each table sized for every entry at once: no regrowth, each key hashed once (issue 20).
        var byFullUrl: [String: Int] = [:]
        byFullUrl.reserveCapacity(bundle.children.count)
        var byTypeAndId: [String: Int] = [:]
        byTypeAndId.reserveCapacity(bundle.children.count)
        var contained: [String: Int] = [:]
        // fullUrls of more than one entry (versions of one resource: bdl-7), found on the way.
        var recurringFullUrls: Set<String> = []
        // The first entry of a key wins: inserted, and put back in the rare case one was there
        // (one hash per entry; issue 20).
        func first(_ index: Int, _ key: String, in table: inout [String: Int]) {
            if let earlier = table.updateValue(index, forKey: key) { table[key] = earlier }
        }
        for e in bundle.children.indices where bundle.children[e].name == "entry" {
            let entry = bundle.children[e]
            guard let resource = entry.child("resource")?.resource else { continue }
            let fullUrl = entry.string("fullUrl")
            let index = items.count
            items.append(Item(resource: resource, fullUrl: fullUrl, container: nil))
            if let fullUrl, let earlier = byFullUrl.updateValue(index, forKey: fullUrl) {
                byFullUrl[fullUrl] = earlier
                recurringFullUrls.insert(fullUrl)
            }
            if let id = resource.string("id") { first(index, resource.name + "/" + id, in: &byTypeAndId) }
            for c in resource.children where c.name == "contained" {
                guard let inner = c.resource else { continue }
                let innerIndex = items.count
                items.append(Item(resource: inner, fullUrl: nil, container: index))
                if let id = inner.string("id") { contained["\(index)#\(id)"] = innerIndex }
            }
        }
        self.items = items
        let (older, superseded, shared, undecided) = InputBundle.olderVersions(items, recurringFullUrls: recurringFullUrls)
        self.superseded = superseded
        self.sharedIdentifiers = shared
        self.undecidedVersions = undecided
        self.recurringFullUrls = recurringFullUrls
        // A reference names the resource, so it reaches its newest version.
        self.byFullUrl = byFullUrl.mapValues { older[$0] ?? $0 }
        self.byTypeAndId = byTypeAndId.mapValues { older[$0] ?? $0 }
        self.contained = contained
    }

    public var type: String? { bundle.string("type") }

    /// Entries that are an older version (or a second copy) of a resource the Bundle also holds
    /// (a searchset with `_history`, an engine that sends each change, an intake that sends the
    /// record twice): guideline.md v3, one resource is read once, in its newest version (see
    /// `olderVersions`).
    public let superseded: Set<Int>
    /// Resources of one type that share a business identifier but differ in code or subject:
    /// two resources (a warning says so).
    public let sharedIdentifiers: [(Int, Int)]
    /// Copies of one resource (superseded, kept) that differ in content with no `meta.lastUpdated`
    /// or numeric `versionId` to order them: the kept one chosen by digest (a warning says so).
    public let undecidedVersions: [(Int, Int)]
    /// fullUrls that more than one entry has (bdl-7: versions, checked by `checkVersions`).
    private let recurringFullUrls: Set<String>

    /// Each older version's index → the newest version's, and every index superseded (with the
    /// resources contained in an older version); and the pairs that share a business identifier
    /// but differ in code or subject (kept as two: labs put one accession number on every result
    /// of an order).
    /// guideline.md v3, one resource is read once: the key is type + business identifier (the
    /// smallest, as one spelling), else type + absolute fullUrl (not a `urn:`), else type + id;
    /// entries sharing a `urn:` (bdl-7: versions) take one key, the first of those of any of them,
    /// else type + the urn. The newest wins: the later
    /// `meta.lastUpdated` (as an instant), then `versionId` when both are all digits, then a digest
    /// of the content; never the order of the entries.
    static func olderVersions(_ items: [Item], recurringFullUrls: Set<String>) -> ([Int: Int], Set<Int>, [(Int, Int)], [(Int, Int)]) {
        // The key, and whether it is a business identifier (kept beside it: a substring search
        // on every key cost a tenth of a CDS request).
        func ownKey(_ item: Item) -> (String, byIdentifier: Bool)? {
            // The smallest identifier key, without a list of the identifiers (asked of every entry).
            var smallest: String?
            for child in item.resource.children where child.name == "identifier" {
                if let k = Identities.identifierKey(child), smallest.map({ k < $0 }) ?? true { smallest = k }
            }
            if let i = smallest { return (item.type + "?identifier=" + i, true) }
            // An absolute fullUrl names the resource on its server; a `urn:uuid:` only its place in
            // this Bundle (a resend makes new ones), so the id decides (found by a new user's
            // trial: one loss sent twice under two urn:uuids was read twice and changed every id).
            if let url = item.fullUrl, !url.hasPrefix("urn:") { return (item.type + "@" + url, false) }
            return item.id.map { (item.type + "/" + $0, false) }
        }
        // A urn that recurs names one resource in this Bundle (bdl-7: its versions): every entry
        // under it takes one key, the first of its entries' own (an identifier before an id), so
        // that versions that gained an identifier, or a copy resent under another urn, join it.
        var urnKeys: [String: (String, byIdentifier: Bool)] = [:]
        if !recurringFullUrls.isEmpty {
            for item in items where item.container == nil {
                guard let url = item.fullUrl, url.hasPrefix("urn:"), recurringFullUrls.contains(url) else { continue }
                let own = ownKey(item) ?? (item.type + "@" + url, false)
                if let known = urnKeys[url], (known.byIdentifier ? 0 : 1, known.0) <= (own.byIdentifier ? 0 : 1, own.0) { continue }
                urnKeys[url] = own
            }
        }
        func key(_ item: Item) -> (String, byIdentifier: Bool)? {
            if !urnKeys.isEmpty, let url = item.fullUrl, let shared = urnKeys[url] { return shared }
            return ownKey(item)
        }
        // The last tie-break between copies with no version information: their content as
        // meaning, not spelling (no id, meta, narrative or displays; decimals, code systems and
        // instants in one spelling; lists sorted), so a resend reworded, reordered or rewritten
        // picks the same one; identical content: the smaller id.
        func normalised(_ e: Element) -> Element {
            var e = e
            e.children = e.children.filter { !["id", "meta", "text", "display"].contains($0.name) }.map(normalised)
            // An instant is a dateTime (as in Identities).
            for i in e.children.indices where e.children[i].name == "effectiveInstant" { e.children[i].name = "effectiveDateTime" }
            if let v = e.value {
                // XML gives no JSON kinds: any value that is a decimal is read as one.
                if e.name == "system" { e.value = Terminology.canonicalSystem(v) }
                // A code as read, trimmed (found by the metamorphic tests on helper-45's copies that
                // differ: a trailing space chose the other copy).
                else if e.name == "code" { e.value = Terminology.trimmed(v) }
                else if Identities.decimal(v) != v { e.value = Identities.decimal(v) }
                else if v.count > 10, v.contains("T"), CalendarDate(fhir: v) != nil { e.value = Identities.instant(v) }
            }
            e.children.sort { a, b in
                a.name != b.name ? a.name < b.name : ((try? JSONWriter().write(a)) ?? []).lexicographicallyPrecedes((try? JSONWriter().write(b)) ?? [])
            }
            return e
        }
        // Each copy's normalised content made once (copies are compared again and again).
        var contents: [Int: [UInt8]] = [:]
        func content(_ i: Int) -> [UInt8] {
            if let known = contents[i] { return known }
            let made = (try? JSONWriter().write(normalised(items[i].resource))) ?? []
            contents[i] = made
            return made
        }
        func digest(_ i: Int) -> String { SHA1.hex(content(i)) + "|" + (items[i].id ?? "") }
        /// Whether `a` is the newer by its version information (the later `meta.lastUpdated`, else
        /// the larger numeric `versionId`); nil when that tells nothing.
        func newerByVersion(_ a: Int, than b: Int) -> Bool? {
            let ma = items[a].resource.child("meta"), mb = items[b].resource.child("meta")
            if let la = ma?.string("lastUpdated").map(Identities.instant), let lb = mb?.string("lastUpdated").map(Identities.instant), la != lb { return la > lb }
            if let va = ma?.string("versionId"), let vb = mb?.string("versionId"), let na = Int(va), let nb = Int(vb), na != nb { return na > nb }
            return nil
        }
        func isNewer(_ a: Int, than b: Int) -> Bool { newerByVersion(a, than: b) ?? (digest(a) > digest(b)) }
        /// What a shared identifier may not hide: another code or another subject.
        func what(_ item: Item) -> String {
            let codes = item.resource.child("code")?.children("coding").compactMap { c in
                c.string("code").map { (c.string("system").map(Terminology.canonicalSystem) ?? "") + "|" + Terminology.trimmed($0) }
            } ?? []
            return Set(codes).sorted().joined(separator: ",") + "@" + (item.resource.child("subject")?.string("reference") ?? "")
        }
        var newest: [String: Int] = [:]
        newest.reserveCapacity(items.count)
        var out: Set<Int> = []
        var distinct: [(Int, Int)] = []
        var groupOf: [Int: String] = [:]
        groupOf.reserveCapacity(items.count)
        var identifierGroups: [String: String] = [:]  // a group keyed by identifier → that identifier's key
        for (index, item) in items.enumerated() where item.container == nil {
            guard case (var k, let byIdentifier)? = key(item) else { continue }
            let identifierKey = k
            if byIdentifier, let other = newest[k], what(items[other]) != what(item) {
                distinct.append((other, index))
                k += "#" + what(item)
            }
            if byIdentifier { identifierGroups[k] = identifierKey }
            groupOf[index] = k
            // One hash when the key is new (the common case): the newer of two stays.
            if let other = newest.updateValue(index, forKey: k) {
                if isNewer(index, than: other) {
                    out.insert(other)
                } else {
                    newest[k] = other
                    out.insert(index)
                }
            }
        }
        // The pairs in an order of their own (by code and subject, then the newest's digest),
        // never the entries': the first of each identifier is named in the others' warning.
        var variants: [String: [Int]] = [:]
        for (k, index) in newest {
            if let identifierKey = identifierGroups[k] { variants[identifierKey, default: []].append(index) }
        }
        distinct = []
        for (_, group) in variants.sorted(by: { $0.key < $1.key }) where group.count > 1 {
            let sorted = group.sorted { (what(items[$0]), digest($0)) < (what(items[$1]), digest($1)) }
            for other in sorted.dropFirst() { distinct.append((sorted[0], other)) }
        }
        var map: [Int: Int] = [:]
        for index in out { if let k = groupOf[index], let n = newest[k] { map[index] = n } }
        // Copies that say different things with nothing to tell which is newer (no lastUpdated,
        // no numeric versionIds): the digest chose, and a warning says so (found by a new user's
        // trial: one of two versions was taken silently).
        var undecided: [(Int, Int, [UInt8])] = []
        for (index, kept) in map where newerByVersion(kept, than: index) == nil && content(index) != content(kept) {
            undecided.append((index, kept, content(index)))
        }
        // In an order of their own (by content), never the dictionary's.
        let undecidedPairs = undecided.sorted { a, b in
            a.2 != b.2 ? a.2.lexicographicallyPrecedes(b.2) : (items[a.0].id ?? "", items[a.0].fullUrl ?? "") < (items[b.0].id ?? "", items[b.0].fullUrl ?? "")
        }.map { ($0.0, $0.1) }
        // A superseded entry's contained resources go with it.
        if !out.isEmpty {
            for (index, item) in items.enumerated() where item.container.map(out.contains) == true { out.insert(index) }
        }
        return (map, out, distinct, undecidedPairs)
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
        if let key = item.resource.children("identifier").compactMap(Identities.identifierKey).min(), let bar = key.firstIndex(of: "|") {
            return .complex("Reference", [
                .primitive("type", item.type),
                .complex("identifier", [.primitive("system", String(key[..<bar])), .primitive("value", String(key[key.index(after: bar)...]))]),
            ])
        }
        return .complex("Reference", [.primitive("display", "\(item.type) \(item.id ?? item.fullUrl ?? "#\(index)") in the input Bundle")])
    }
}

extension InputBundle {
    /// bdl-7 (FHIR R4): entries that share a fullUrl are versions of one resource and must carry
    /// distinct `meta.versionId`s. Two entries with the same fullUrl without distinct versions are
    /// unusable input (thrown, naming the fullUrl). Versions themselves are read once, the newest,
    /// by `olderVersions` (the one mechanism for versions and copies).
    public func checkVersions() throws(FHIRFormatError) {
        // Only fullUrls that recur (found while indexing; most Bundles have none).
        guard !recurringFullUrls.isEmpty else { return }
        var shared: [String: [Int]] = [:]
        var n = 0
        for entry in bundle.children where entry.name == "entry" {
            defer { n += 1 }
            guard let fullUrl = entry.string("fullUrl"), recurringFullUrls.contains(fullUrl), entry.child("resource")?.resource != nil else { continue }
            shared[fullUrl, default: []].append(n)
        }
        let entries = bundle.children("entry")
        for (fullUrl, positions) in shared.sorted(by: { $0.value[0] < $1.value[0] }) {
            let resources = positions.map { entries[$0].child("resource")!.resource! }
            // Versions of one resource are of one type (found by a new user's trial: a Condition
            // and an Observation with one fullUrl were both read, a reference reaching either).
            if let other = resources.firstIndex(where: { $0.name != resources[0].name }) {
                throw FHIRFormatError(.invalid, "entries with the fullUrl \(fullUrl) hold a \(resources[0].name) and a \(resources[other].name) (bdl-7: entries with the same fullUrl must be versions of one resource)",
                                      location: "Bundle.entry[\(positions[other])].fullUrl")
            }
            // Resources the reader did not build (no facts are read from them): their versions unseen.
            let built = positions.indices.filter { !resources[$0].children.isEmpty }
            guard built.count > 1 else { continue }
            let versions = built.map { resources[$0].child("meta")?.string("versionId") }
            let named = versions.compactMap { $0 }
            guard named.count == versions.count, Set(named).count == named.count else {
                throw FHIRFormatError(.invalid, "\(built.count) entries have the fullUrl \(fullUrl) without distinct meta.versionId (bdl-7: entries with the same fullUrl must be versions of one resource)",
                                      location: "Bundle.entry[\(positions[built[1]])].fullUrl")
            }
        }
    }
}
