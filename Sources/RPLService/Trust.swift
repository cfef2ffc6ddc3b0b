import Foundation
import JWTKit
import AsyncHTTPClient
import NIOCore

/// The `--auth` file (interface.md v3, serve, Trust): the public base URL the audience is built
/// from, and the CDS clients trusted: each an issuer with its keys (a JWKS, or the URL of one),
/// the algorithms it may sign with, and the FHIR servers the service may fetch from for it.
///
/// ```json
/// {"publicBaseURL": "https://cds.example.org",
///  "clients": [{"issuer": "https://ehr.example.org/", "jwksURL": "https://ehr.example.org/jwks",
///               "fhirServers": ["https://ehr.example.org/fhir"]}]}
/// ```
public struct AuthFile: Decodable, Sendable {
    public var publicBaseURL: String
    public var clients: [Client]

    public struct Client: Decodable, Sendable {
        public var issuer: String
        /// The client's public keys, inline.
        public var jwks: JWKS?
        /// Where the client publishes them; fetched at start and when a token names an unknown `kid`.
        public var jwksURL: String?
        /// Beyond ES384 and RS384 (the specification's recommendation); never `none` or HMAC.
        public var algorithms: [String]?
        /// The `fhirServer` values this client may send: prefetch is completed only from these.
        public var fhirServers: [String]?
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func read(_ path: String) throws(Problem) -> AuthFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "cannot read the auth file \(path)") }
        let file: AuthFile
        do { file = try JSONDecoder().decode(AuthFile.self, from: data) } catch {
            throw Problem(description: "the auth file \(path) is not valid: \(error)")
        }
        try file.check()
        return file
    }

    func check() throws(Problem) {
        guard let base = URL(string: publicBaseURL), ["http", "https"].contains(base.scheme ?? ""), base.host != nil, !publicBaseURL.hasSuffix("/") else {
            throw Problem(description: "publicBaseURL must be an absolute http(s) URL without a trailing slash: \(publicBaseURL)")
        }
        guard !clients.isEmpty else { throw Problem(description: "the auth file lists no client") }
        var issuers = Set<String>()
        for c in clients {
            guard issuers.insert(c.issuer).inserted else { throw Problem(description: "client \(c.issuer) is listed twice") }
            guard c.jwks != nil || c.jwksURL != nil else { throw Problem(description: "client \(c.issuer) has neither jwks nor jwksURL") }
            if let url = c.jwksURL, !url.hasPrefix("https://") && !Trust.isLoopbackURL(url) {
                throw Problem(description: "client \(c.issuer): jwksURL must be https (or on loopback)")
            }
            for a in c.algorithms ?? [] where Trust.forbidden(a) {
                throw Problem(description: "client \(c.issuer): algorithm \(a) is not allowed (none and HMAC never are)")
            }
            for s in c.fhirServers ?? [] where !s.hasPrefix("https://") && !Trust.isLoopbackURL(s) {
                throw Problem(description: "client \(c.issuer): fhirServer \(s) must be https")
            }
        }
    }
}

/// The claims of a CDS Hooks client's JWT ("Trusting CDS Clients").
struct CDSClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    var tenant: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Who a verified token speaks for.
public struct TrustedClient: Sendable {
    public let issuer: String
    public let fhirServers: [String]
}

/// Checks each request's `Authorization: Bearer` JWT as CDS Hooks 2.0 says, for the `/fhir/*`
/// routes too. A refusal's reason goes to the log only; the caller answers 401.
public actor Trust {
    struct Refused: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    let file: AuthFile
    var keys: [String: JWTKeyCollection] = [:]
    /// The `kid`s each client's JWKS names: a token naming another is refused (the collection
    /// would otherwise try its default key).
    var kids: [String: Set<String>] = [:]
    /// `jti` → its expiry: a token seen is refused again until it would have expired anyway.
    var seen: [String: Date] = [:]
    var lastRefresh: [String: Date] = [:]
    let http: HTTPClient

    /// A JWKS URL is read again for an unknown `kid` at most this often (a flood of bad tokens
    /// does not become a flood on the client's server).
    let refreshInterval: TimeInterval
    /// How long a JWKS URL may take to answer.
    let fetchTimeout: TimeAmount

    public init(_ file: AuthFile, http: HTTPClient = .shared, refreshInterval: TimeInterval = 60, fetchTimeout: TimeAmount = .seconds(5)) async throws {
        self.file = file
        self.http = http
        self.refreshInterval = refreshInterval
        self.fetchTimeout = fetchTimeout
        for client in file.clients {
            let collection = JWTKeyCollection()
            if let jwks = client.jwks { try await collection.add(jwks: jwks) }
            keys[client.issuer] = collection
            kids[client.issuer] = Set((client.jwks?.keys ?? []).compactMap { $0.keyIdentifier?.string })
        }
        for client in file.clients where client.jwksURL != nil {
            // A JWKS URL that cannot be read at start is read again when a token needs it.
            try? await refresh(client)
        }
    }

    nonisolated var publicBaseURL: String { file.publicBaseURL }

    static func forbidden(_ alg: String) -> Bool {
        alg.lowercased() == "none" || alg.uppercased().hasPrefix("HS")
    }

    static func isLoopbackURL(_ s: String) -> Bool {
        guard let host = URL(string: s)?.host else { return false }
        return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
    }

    /// The client a request's token speaks for, or why not. `audience`: the endpoint called.
    public func verify(authorization: String?, audience: String, now: Date = Date()) async -> Result<TrustedClient, Error> {
        do {
            return .success(try await check(authorization, audience: audience, now: now))
        } catch {
            return .failure(error)
        }
    }

    func check(_ authorization: String?, audience: String, now: Date) async throws -> TrustedClient {
        // RFC 7235: the scheme name is case-insensitive ("bearer" is Bearer).
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { throw Refused("no Bearer token") }
        let token = String(authorization.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.json(parts[0]), let payload = Self.json(parts[1]) else { throw Refused("not a JWS compact token") }
        guard let alg = header["alg"] as? String else { throw Refused("no alg") }
        guard !Self.forbidden(alg) else { throw Refused("alg \(alg) is never accepted") }
        guard header["typ"] as? String == "JWT" else { throw Refused("typ must be JWT") }
        guard let kid = header["kid"] as? String, !kid.isEmpty else { throw Refused("no kid") }
        guard let iss = payload["iss"] as? String, let client = file.clients.first(where: { $0.issuer == iss }) else {
            throw Refused("unknown issuer")
        }
        let allowed = Set(["ES384", "RS384"] + (client.algorithms ?? []))
        guard allowed.contains(alg) else { throw Refused("alg \(alg) is not allowed for \(iss)") }
        if let jku = header["jku"] as? String, jku != client.jwksURL { throw Refused("jku is not the client's JWKS URL") }
        let claims = try await verifySignature(token, client: client, kid: kid)
        guard claims.aud.value.contains(audience) else { throw Refused("aud does not name \(audience)") }
        guard claims.exp.value <= now.addingTimeInterval(300) else { throw Refused("exp more than 5 minutes ahead") }
        guard claims.iat.value <= now.addingTimeInterval(5) else { throw Refused("iat in the future") }
        try remember(claims.jti.value, until: claims.exp.value, now: now)
        return TrustedClient(issuer: iss, fhirServers: client.fhirServers ?? [])
    }

    func verifySignature(_ token: String, client: AuthFile.Client, kid: String) async throws -> CDSClaims {
        if kids[client.issuer]?.contains(kid) != true, client.jwksURL != nil {
            // A key rotated since the JWKS was read: read it again (at most once a minute).
            try await refresh(client)
        }
        guard kids[client.issuer]?.contains(kid) == true, let collection = keys[client.issuer] else { throw Refused("unknown kid") }
        return try await collection.verify(token, as: CDSClaims.self)
    }

    func remember(_ jti: String, until expiry: Date, now: Date) throws {
        if seen.count > 10_000 { seen = seen.filter { $0.value > now } }
        if let until = seen[jti], until > now { throw Refused("jti replayed") }
        seen[jti] = expiry
    }

    func refresh(_ client: AuthFile.Client) async throws {
        guard let url = client.jwksURL else { return }
        if let last = lastRefresh[client.issuer], Date().timeIntervalSince(last) < refreshInterval { return }
        lastRefresh[client.issuer] = Date()
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: fetchTimeout)
        guard response.status == .ok else { throw Refused("JWKS \(url) answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        let jwks = try JSONDecoder().decode(JWKS.self, from: Data(buffer: body))
        let collection = JWTKeyCollection()
        try await collection.add(jwks: jwks)
        if let inline = client.jwks { try await collection.add(jwks: inline) }
        keys[client.issuer] = collection
        kids[client.issuer] = Set((jwks.keys + (client.jwks?.keys ?? [])).compactMap { $0.keyIdentifier?.string })
    }

    static func json(_ part: Substring) -> [String: Any]? {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
