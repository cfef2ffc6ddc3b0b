import Foundation
import Hummingbird
import HummingbirdTesting
import FHIR
import JWTKit
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// interface.md v3, serve, Trust: the CDS Hooks client's JWT ("Trusting CDS Clients").
@Suite struct TrustTests {
    static let base = "https://cds.example.org"
    static let issuer = "https://ehr.example.org/"
    static let endpoint = base + "/cds-services/rpl-patient-view"

    /// The client's key pair; its public half in the auth file's JWKS.
    struct Client {
        let key = ES384PrivateKey()
        let signer = JWTKeyCollection()

        func jwks(kid: String = "k1") -> String {
            let p = key.parameters!
            return "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"\(kid)\",\"use\":\"sig\",\"alg\":\"ES384\",\"x\":\"\(p.x)\",\"y\":\"\(p.y)\"}]}"
        }

        // exp 290 s: under the 5 minutes the server allows, and far past any call on a loaded machine.
        func token(iss: String = TrustTests.issuer, aud: String = TrustTests.endpoint, exp: TimeInterval = 290, iat: TimeInterval = -5,
                   jti: String = UUID().uuidString, kid: String = "k1", jku: String? = nil) async throws -> String {
            await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            var header = JWTHeader()
            header.typ = "JWT"
            header.kid = kid
            if let jku { header.jku = jku }
            let now = Date()
            let claims = CDSClaims(iss: .init(value: iss), aud: .init(value: [aud]), exp: .init(value: now.addingTimeInterval(exp)),
                                   iat: .init(value: now.addingTimeInterval(iat)), jti: .init(value: jti), tenant: nil)
            return try await signer.sign(claims, header: header)
        }
    }

    static func trust(_ client: Client) async throws -> Trust {
        let file = "{\"publicBaseURL\":\"\(base)\",\"clients\":[{\"issuer\":\"\(issuer)\",\"jwks\":\(client.jwks())}]}"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-auth-\(UUID().uuidString).json")
        try file.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        return try await Trust(try AuthFile.read(path.path))
    }

    static func call(_ trust: Trust, token: String?, path: String = "/cds-services/rpl-patient-view") async throws -> Int {
        let body = Serve.request("patient-view", context: Serve.context(), prefetch: Serve.prefetch(Serve.indicated))
        return try await Serve.call(Serve.app(trust: trust), path == "/cds-services" ? .get : .post, path, body: path == "/cds-services" ? [] : body,
                                    headers: token.map { [.authorization: "Bearer " + $0] } ?? [:]).status
    }

    static func b64(_ s: String) -> String {
        Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What the client's JWKS URL serves (changed by the test to rotate keys, or to fail).
    actor Published {
        var body: String?
        init(_ body: String?) { self.body = body }
        func set(_ body: String?) { self.body = body }
    }

    /// Keys from a JWKS URL (a real HTTP server on loopback): read at start, read again for a
    /// `kid` it does not know (a rotation), a key no longer published refused, a URL down at
    /// start read when it is back, and a `jku` other than that URL refused.
    @Test func keysFromAJWKSURLAndTheirRotation() async throws {
        let first = Client(), second = Client()
        let published = Published(nil)
        let router = Router()
        router.get("jwks") { _, _ -> Response in
            guard let body = await published.body else { return Response(status: .serviceUnavailable) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let peer = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await peer.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/jwks"
            let file = "{\"publicBaseURL\":\"\(Self.base)\",\"clients\":[{\"issuer\":\"\(Self.issuer)\",\"jwksURL\":\"\(url)\"}]}"
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-auth-\(UUID().uuidString).json")
            try file.write(to: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: path) }
            // Down at start: the service starts, refuses, and reads the URL again once it is back.
            // A generous timeout: a loaded machine must not turn a read into a refusal.
            let trust = try await Trust(try AuthFile.read(path.path), refreshInterval: 0, fetchTimeout: .seconds(600))
            #expect(try await Self.call(trust, token: try await first.token()) == 401)
            await published.set(first.jwks(kid: "k1"))
            #expect(try await Self.call(trust, token: try await first.token()) == 200)
            // The client rotates to k2: a token with k2 makes the service read the URL again.
            await published.set(second.jwks(kid: "k2"))
            #expect(try await Self.call(trust, token: try await second.token(kid: "k2")) == 200)
            #expect(try await Self.call(trust, token: try await first.token(kid: "k1")) == 401)
            // A jku header only when it is that URL.
            #expect(try await Self.call(trust, token: try await second.token(kid: "k2", jku: url)) == 200)
            #expect(try await Self.call(trust, token: try await second.token(kid: "k2", jku: "https://attacker.example/jwks")) == 401)
            // Read at most once per interval (a minute by default): a rotation inside it waits for it.
            let slow = try await Trust(try AuthFile.read(path.path), refreshInterval: 3600, fetchTimeout: .seconds(600))
            await published.set(first.jwks(kid: "k3"))
            #expect(try await Self.call(slow, token: try await second.token(kid: "k2")) == 200)
            #expect(try await Self.call(slow, token: try await first.token(kid: "k3")) == 401)
        }
    }

    @Test func aValidTokenIsAnswered() async throws {
        let client = Client()
        let trust = try await Self.trust(client)
        #expect(try await Self.call(trust, token: try await client.token()) == 200)
        // Discovery is guarded too, with its own audience.
        #expect(try await Self.call(trust, token: try await client.token(aud: Self.base + "/cds-services"), path: "/cds-services") == 200)
    }

    @Test func everyBadTokenIsRefused() async throws {
        let client = Client()
        let trust = try await Self.trust(client)
        let good = try await client.token()
        let parts = good.split(separator: ".").map(String.init)
        let unsigned = Self.b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}") + "." + parts[1] + "."
        let hmac = JWTKeyCollection()
        await hmac.add(hmac: HMACKey(from: Array(repeating: 7, count: 48)), digestAlgorithm: .sha384, kid: "k1")
        var hs = JWTHeader(); hs.typ = "JWT"; hs.kid = "k1"
        let now = Date()
        let hmacToken = try await hmac.sign(CDSClaims(iss: .init(value: Self.issuer), aud: .init(value: [Self.endpoint]), exp: .init(value: now.addingTimeInterval(60)),
                                                      iat: .init(value: now), jti: .init(value: UUID().uuidString), tenant: nil), header: hs)
        let cases: [(String, String?)] = [
            ("no token", nil),
            ("expired", try await client.token(exp: -10)),
            ("expiry more than 5 minutes ahead", try await client.token(exp: 3600)),
            ("issued in the future", try await client.token(iat: 600)),
            ("wrong aud", try await client.token(aud: Self.base + "/cds-services/rpl-order-sign")),
            ("unknown issuer", try await client.token(iss: "https://stranger.example.org/")),
            ("bad signature", try await Client().token()),
            ("alg none", unsigned),
            ("HMAC", hmacToken),
            ("unknown kid", try await client.token(kid: "k2")),
            ("garbage", "not.a.token"),
        ]
        for (name, token) in cases {
            #expect(try await Self.call(trust, token: token) == 401, "\(name)")
        }
    }

    @Test func aReplayedTokenIsRefused() async throws {
        let client = Client()
        let trust = try await Self.trust(client)
        let token = try await client.token()
        #expect(try await Self.call(trust, token: token) == 200)
        #expect(try await Self.call(trust, token: token) == 401)
    }

    @Test func theFHIRRoutesAreGuardedTooButNotTheOperationalOnes() async throws {
        let trust = try await Self.trust(Client())
        let app = Serve.app(trust: trust)
        #expect(try await Serve.call(app, .get, "/fhir/metadata").status == 401)
        #expect(try await Serve.call(app, .post, "/fhir/$rpl-transaction", body: Array("{}".utf8)).status == 401)
        #expect(try await Serve.call(app, .get, "/health").status == 200)
        #expect(try await Serve.call(app, .get, "/ready").status == 200)
    }

    @Test func anAuthFileThatCannotBeTrustedIsRefused() throws {
        for text in ["{}", "{\"publicBaseURL\":\"https://cds.example.org/\",\"clients\":[{\"issuer\":\"a\",\"jwksURL\":\"https://a/jwks\"}]}",
                     "{\"publicBaseURL\":\"https://cds.example.org\",\"clients\":[]}",
                     "{\"publicBaseURL\":\"https://cds.example.org\",\"clients\":[{\"issuer\":\"a\"}]}",
                     "{\"publicBaseURL\":\"https://cds.example.org\",\"clients\":[{\"issuer\":\"a\",\"jwksURL\":\"http://a.example/jwks\"}]}",
                     "{\"publicBaseURL\":\"https://cds.example.org\",\"clients\":[{\"issuer\":\"a\",\"jwksURL\":\"https://a/jwks\",\"algorithms\":[\"HS256\"]}]}"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-auth-\(UUID().uuidString).json")
            try text.write(to: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: path) }
            #expect(throws: AuthFile.Problem.self, "\(text)") { try AuthFile.read(path.path) }
        }
    }
}
