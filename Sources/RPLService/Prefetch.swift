import FHIR
import RPLAdapter
import Foundation
import AsyncHTTPClient
import NIOCore

/// What the rules read, as CDS Hooks prefetch templates (interface.md v3, serve), and how a
/// request's prefetch becomes one record: each key complete, else completed from `fhirServer`.
public enum Prefetch {
    /// The templates, within the specification's prefetch query restrictions (a read, and type
    /// searches by patient).
    static let templates: [(key: String, template: String)] = [
        ("patient", "Patient/{{context.patientId}}"),
    ] + [
        ("conditions", "Condition"), ("observations", "Observation"), ("procedures", "Procedure"),
        ("medicationRequests", "MedicationRequest"), ("medicationStatements", "MedicationStatement"),
        ("serviceRequests", "ServiceRequest"), ("familyHistory", "FamilyMemberHistory"), ("relatedPersons", "RelatedPerson"),
        ("diagnosticReports", "DiagnosticReport"), ("imagingStudies", "ImagingStudy"), ("episodesOfCare", "EpisodeOfCare"),
        ("researchSubjects", "ResearchSubject"),
    ].map { ($0.0, $0.1 + "?patient={{context.patientId}}") }

    /// The client that reads from `fhirServer`: redirects are not followed (an answer from
    /// elsewhere is not the allowed server's; helper-39's trial: a 302 took the search, and the
    /// partner lookup without its token, to a server the auth file does not name), and a refused
    /// connection fails at once, not at the deadline. It lives as long as the program.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Why a record could not be made complete: HTTP 412 (or 400 for a malformed prefetch).
    struct Incomplete: Error, CustomStringConvertible {
        let description: String
        var badRequest = false
    }

    /// Where missing data may be fetched from: the request's `fhirServer` (when this client may
    /// name it) and its access token.
    struct Source: Sendable {
        var fhirServer: String
        var accessToken: String?
    }

    /// The record for `patientId`: every template's resources, from the prefetch where it is
    /// complete, else fetched (following `next` links) within `deadline`.
    static func record(_ body: JSONSlices, prefetch: [(key: String, value: Range<Int>)], patientId: String, from source: Source?,
                       http: HTTPClient, deadline: NIODeadline) async throws -> [Element] {
        var resources: [Element] = []
        for (key, template) in templates {
            let given = prefetch.first { $0.key == key }
            if let given, body.isNull(given.value) { continue }  // the client has no such data
            if let given, body.isObject(given.value) {
                let r: Element
                do { r = try body.resource(given.value) } catch {
                    throw Incomplete(description: "prefetch \(key) is not a FHIR resource: \(error)", badRequest: true)
                }
                // The template's kind: the patient a Patient, every search a Bundle (found by a new
                // user's trial, helper-39: a Patient given as the conditions was read as no conditions).
                // A Bundle of the results: a searchset, or a collection of them (not a batch-response,
                // a transaction or a history: helper-40's review).
                let kind = r.name == "Bundle" ? ["searchset", "collection"].contains(r.string("type") ?? "") : r.name == (key == "patient" ? "Patient" : "Bundle")
                if r.name != "OperationOutcome" && !kind {
                    throw Incomplete(description: "prefetch \(key) must be \(key == "patient" ? "a Patient" : "a searchset Bundle of the search's results"), not \(r.name == "Bundle" ? "a Bundle of type \(r.string("type") ?? "none")" : "a \(r.name)")", badRequest: true)
                }
                if r.name == "Bundle" {
                    let page = entries(r)
                    if let next = nextLink(r) {
                        resources += page
                        resources += try await fetchAll(next, key: key, from: source, http: http, deadline: deadline,
                                                       matchesBefore: matches(r), totalBefore: r.string("total").flatMap(Int.init))
                        continue
                    }
                    // A total beyond what it holds, with no next page: incomplete, so read from the
                    // server as a missing key is, never as all there is.
                    if !fewerThanTotal(r, matches: matches(r)) {
                        resources += page
                        continue
                    }
                } else if r.name != "OperationOutcome" {
                    if r.string("id") != patientId {
                        throw Incomplete(description: "prefetch patient is another Patient than context.patientId", badRequest: true)
                    }
                    resources.append(r)
                    continue
                }
            } else if let given, !body.isObject(given.value) {
                throw Incomplete(description: "prefetch \(key) must be a FHIR resource or null", badRequest: true)
            }
            // Absent, an OperationOutcome in its place, or fewer results than its total: incomplete,
            // never read as empty.
            let url = template.replacingOccurrences(of: "{{context.patientId}}", with: patientId)
            resources += try await fetchAll(url, key: key, from: source, http: http, deadline: deadline)
        }
        return resources
    }

    /// The partner's own records (interface.md v3, serve): no context token names him, so no
    /// prefetch holds them. With a `fhirServer`, his Patient is the one (already in the record, or
    /// found by `Patient?identifier=`) that carries an identifier of the RelatedPerson coded as her
    /// partner, compared as the record's identity compares them (canonical system, trimmed value,
    /// current); his records are read by his id, within `deadline`. `checked` is false where they
    /// could not be read (no server, no identifier, the server failing, him not found): his rules
    /// then give notes rather than decide as if he had no records; `failure` says why for the log.
    /// Without a server the record is unchecked even when it names no partner (the server might);
    /// with one, a record naming none is read as `apply` reads it.
    static func partnerRecords(_ resources: [Element], patientId: String, terminology: Terminology, from source: Source?,
                               http: HTTPClient, deadline: NIODeadline) async -> (resources: [Element], checked: Bool, failure: String?) {
        let partners = resources.filter { r in
            r.name == "RelatedPerson" && r.string("active") != "false"
                && r.children("relationship").contains { terminology.matches($0, .partner) }
        }
        guard !partners.isEmpty else { return ([], source != nil, nil) }
        guard let source else { return ([], false, nil) }
        // Each identifier as the sender spelled it (what his server may hold) and as one key.
        var searches: [String] = []
        var keys = Set<String>()
        for identifier in partners.flatMap({ $0.children("identifier") }) {
            guard let key = Identities.identifierKey(identifier), let system = identifier.string("system"), let value = identifier.string("value") else { continue }
            keys.insert(key)
            for token in [system + "|" + Terminology.trimmed(value), key] where !searches.contains(token) { searches.append(token) }
        }
        guard !keys.isEmpty else { return ([], false, "the partner's RelatedPerson has no current identifier with system and value") }
        func his(_ p: Element) -> Bool {
            p.name == "Patient" && p.string("id") != patientId && p.children("identifier").contains { Identities.identifierKey($0).map(keys.contains) == true }
        }
        var found: [Element] = []
        var ids = resources.filter(his).compactMap { $0.string("id") }
        do {
            if ids.isEmpty {
                // Only Patients that carry one of his identifiers: a server that ignores or widens
                // the search parameter adds nobody else to her record.
                for token in searches.prefix(6) {
                    for p in try await fetchAll("Patient?identifier=" + percentEncoded(token), key: "partner", from: source, http: http, deadline: deadline)
                    where his(p) {
                        guard let id = p.string("id"), !ids.contains(id) else { continue }
                        ids.append(id)
                        found.append(p)
                    }
                }
            }
            guard !ids.isEmpty else { return (found, false, "no Patient on fhirServer carries the partner's identifier") }
            for id in ids.prefix(3) {
                for type in partnerTypes {
                    found += try await fetchAll(type + "?patient=" + percentEncoded(id), key: "partner", from: source, http: http, deadline: deadline)
                }
            }
        } catch {
            return ([], false, "\(error)")
        }
        return (found, true, nil)
    }

    /// What the partner's rules read of his own records (guideline.md v3 `partner`).
    static let partnerTypes = ["Condition", "Observation", "FamilyMemberHistory", "ServiceRequest", "MedicationRequest", "Procedure"]

    static func percentEncoded(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func entries(_ bundle: Element) -> [Element] {
        bundle.children("entry").compactMap { e in
            guard let r = e.child("resource")?.resource, r.name != "OperationOutcome" else { return nil }
            return r
        }
    }

    /// The entries a searchset says matched the search (`search.mode` match, or no mode), not
    /// those included or an OperationOutcome.
    static func matches(_ bundle: Element) -> Int {
        bundle.children("entry").filter { e in
            guard let r = e.child("resource")?.resource, r.name != "OperationOutcome" else { return false }
            let mode = e.child("search")?.string("mode")
            return mode == nil || mode == "match"
        }.count
    }

    /// Whether a searchset's `total` is more than the matches read (its last page reached).
    static func fewerThanTotal(_ bundle: Element, matches: Int) -> Bool {
        guard let total = bundle.string("total").flatMap(Int.init) else { return false }
        return matches < total
    }

    static func nextLink(_ bundle: Element) -> String? {
        bundle.children("link").first { $0.string("relation") == "next" }?.string("url")
    }

    /// A read or search on the source, with every `next` page.
    /// `matchesBefore`, `totalBefore`: the matches and the `total` of the page read before (a
    /// prefetch's first page, whose `next` this follows).
    static func fetchAll(_ first: String, key: String, from source: Source?, http: HTTPClient, deadline: NIODeadline,
                         matchesBefore: Int = 0, totalBefore: Int? = nil) async throws -> [Element] {
        guard let source else {
            throw Incomplete(description: "prefetch \(key) is missing or incomplete and the request gives no fhirServer this service may use")
        }
        var out: [Element] = []
        var url: String? = first.hasPrefix("http") ? first : source.fhirServer + "/" + first
        // A read (`Patient/<id>`) or a search, told by the first URL: every `next` page is a search's,
        // whatever its form (paging links are opaque; helper-40's review).
        let read = url.map { !$0.contains("?") } ?? false
        var pages = 0
        var matched = matchesBefore
        var total = totalBefore
        while let u = url {
            // Only from the client's own server (a next link elsewhere is not followed).
            guard u.hasPrefix(source.fhirServer + "/") || u.hasPrefix(source.fhirServer + "?") else {
                throw Incomplete(description: "prefetch \(key): a link leaves fhirServer")
            }
            pages += 1
            guard pages <= 100 else { throw Incomplete(description: "prefetch \(key): more than 100 pages") }
            // Only the first URL can be a read.
            let search = !(read && pages == 1)
            let r = try await fetch(u, key: key, source: source, http: http, deadline: deadline, read: !search)
            guard r.name != "OperationOutcome" else { throw Incomplete(description: "prefetch \(key): the FHIR server answered an OperationOutcome") }
            // A search answers a searchset, a read the resource asked for: anything else (a Patient
            // for a Condition search, a batch-response) is not the answer, and not "no data"
            // (helper-39's trial: both were read as none, and a patient with three losses got no card).
            // A read answers the resource asked for, by type and id (helper-40's review: another
            // Patient was read as hers missing); its 404 stands as an empty Bundle.
            let path = u.split(separator: "/").suffix(2).map(String.init)
            let asked = search ? r.name == "Bundle" && r.string("type") == "searchset"
                : (path.count == 2 && r.name == path[0] && r.string("id") == path[1]) || (r.name == "Bundle" && r.child("entry") == nil)
            if !asked {
                throw Incomplete(description: "prefetch \(key): the FHIR server answered \(r.name == "Bundle" ? "a Bundle of type \(r.string("type") ?? "none")" : "a \(r.name)"), not \(search ? "a searchset" : "the resource asked for")")
            }
            if r.name == "Bundle" {
                out += entries(r)
                matched += matches(r)
                if total == nil { total = r.string("total").flatMap(Int.init) }
                url = nextLink(r)
            } else {
                out.append(r)
                url = nil
            }
        }
        if let total, matched < total {
            throw Incomplete(description: "prefetch \(key): the FHIR server's searchset says \(total) matches but gave \(matched)")
        }
        return out
    }

    static func fetch(_ url: String, key: String, source: Source, http: HTTPClient, deadline: NIODeadline, read: Bool) async throws -> Element {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/fhir+json")
        if let token = source.accessToken { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, deadline: deadline)
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            // Say which: a TLS failure (an internal CA the system does not trust) is not a timeout.
            let why = error is HTTPClientError && (error as! HTTPClientError) == .deadlineExceeded ? "no answer within the deadline"
                : "\(type(of: error)): \(error)"
            throw Incomplete(description: "prefetch \(key): the FHIR server could not be read (\(why))")
        }
        // A read of a resource that does not exist: no such data. A search answered 404 is a server
        // that cannot answer it, not one with nothing to say (helper-39's trial).
        if read && (response.status == .notFound || response.status == .gone) { return .resource("Bundle", [.primitive("type", "searchset")]) }
        guard response.status == .ok else { throw Incomplete(description: "prefetch \(key): the FHIR server answered \(response.status.code)") }
        do {
            return try body.withUnsafeReadableBytes { raw throws(FHIRFormatError) -> Element in
                try JSONReader.read(raw.bindMemory(to: UInt8.self))
            }
        } catch {
            throw Incomplete(description: "prefetch \(key): the FHIR server's answer is not FHIR JSON (\(error))")
        }
    }
}
