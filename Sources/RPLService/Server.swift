import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import FHIR
import RPLAdapter
import Prometheus
import Foundation

/// The request context: who the token speaks for, once checked.
public struct ServeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var client: TrustedClient?
    public init(source: Source) { coreContext = .init(source: source) }
}

/// `rpl-adapter serve`'s settings (interface.md v3, serve).
public struct ServeOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// CDS Hooks JWT checking; nil only on loopback.
    public var trust: Trust?
    public var allowedOrigins: [String] = []
    public var bodyLimit = 16 << 20
    /// A connection that sends nothing for this long is closed (a body that never ends).
    public var idleTimeout: TimeAmount = .seconds(10)
    /// A request's whole body must arrive within this (a client that trickles a byte at a time
    /// keeps the idle timeout at bay, not this one): else 408.
    public var requestTimeout: Duration = .seconds(30)
    public init() {}
}

/// The routes, their middleware and the application.
public enum Server {
    public static func router(engine: Engine, options: ServeOptions) -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        router.add(middleware: Operations(metrics: engine.metrics))
        if !options.allowedOrigins.isEmpty { router.add(middleware: CORS(origins: Set(options.allowedOrigins))) }

        // Operations: no token (a load balancer's probe, Prometheus' scrape on the same network).
        router.get("health") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"alive\"}"))) }
        router.get("ready") { _, _ in
            // The Profiles are loaded before the server listens (a bad folder stops it, exit 78).
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ready\",\"profiles\":\"loaded\"}")))
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: engine.metrics.registry.emitToBuffer())))
        }

        let guarded = router.group().add(middleware: Authentication(trust: options.trust))
        guarded.get("cds-services") { _, _ in respond(Engine.json(200, CDSHooks.discovery())) }
        guarded.post("cds-services/:id") { request, context in
            let body = try await bytes(request, options)
            return respond(await engine.hook(context.parameters.get("id") ?? "", body: body, client: context.client))
        }
        guarded.post("cds-services/:id/feedback") { request, context in
            let body = try await bytes(request, options)
            return respond(engine.feedback(context.parameters.get("id") ?? "", body: body))
        }
        guarded.get("fhir/metadata") { request, _ in
            respond(engine.metadata(Engine.answerFormat(format: request.uri.queryParameters["_format"].map(String.init),
                                                        accept: request.headers[.accept], request: .json)))
        }
        guarded.post("fhir/$rpl-transaction") { request, _ in
            let body = try await bytes(request, options)
            return respond(engine.transaction(body: body, format: request.uri.queryParameters["_format"].map(String.init), accept: request.headers[.accept]))
        }
        guarded.post("fhir/$rpl-withdrawals") { request, _ in
            let body = try await bytes(request, options)
            return respond(engine.transaction(body: body, format: request.uri.queryParameters["_format"].map(String.init), accept: request.headers[.accept],
                                              withdrawals: true))
        }
        guarded.post("fhir/PlanDefinition/$apply") { request, _ in
            let body = try await bytes(request, options)
            return respond(engine.applyOperation(planDefinition: nil, body: body, format: request.uri.queryParameters["_format"].map(String.init),
                                                 accept: request.headers[.accept]))
        }
        guarded.post("fhir/PlanDefinition/:id/$apply") { request, context in
            let id = context.parameters.get("id") ?? ""
            // The card's PlanDefinition: `rpl-card` (interface.md), or its id in Profiles.
            guard id == "rpl-card" || id == "rpl-guideline" else {
                return respond(engine.fhir(404, OperationOutcome.make([FHIRFormatError(.notFound, "no PlanDefinition/\(id) here: apply PlanDefinition/rpl-card")]), .json))
            }
            let body = try await bytes(request, options)
            return respond(engine.applyOperation(planDefinition: id, body: body, format: request.uri.queryParameters["_format"].map(String.init),
                                                 accept: request.headers[.accept]))
        }
        return router
    }

    /// The request's body, at most `bodyLimit` bytes (else 413), whole within `requestTimeout`
    /// (else 408: the reading is cancelled, the connection closed).
    static func bytes(_ request: Request, _ options: ServeOptions) async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var request = request
                return Array(try await request.collectBody(upTo: options.bodyLimit).readableBytesView)
            }
            group.addTask {
                try await Task.sleep(for: options.requestTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else { throw HTTPError(.requestTimeout) }
            return body
        }
    }

    static func respond(_ answer: Engine.Answer) -> Response {
        var headers: HTTPFields = answer.status == 204 ? [:] : [.contentType: answer.contentType]
        for (name, value) in answer.headers {
            if let field = HTTPFields.Element.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// The application: listens on `options.host`; SIGTERM and SIGINT stop it gracefully (no new
    /// connections; requests in flight finish).
    public static func application(engine: Engine, options: ServeOptions, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(engine: engine, options: options),
                    server: .http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()], idleTimeout: options.idleTimeout)),
                    configuration: .init(address: .hostname(options.host, port: options.port), serverName: "rpl-adapter/\(Adapter.version)"),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
                    logger: engine.logger)
    }
}

/// Every route but the operational ones: the CDS Hooks JWT, when `--auth` is given. The audience
/// is the endpoint called, from the configured public base URL.
struct Authentication: RouterMiddleware {
    let trust: Trust?

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        guard let trust else { return try await next(request, context) }
        let audience = trust.publicBaseURL + request.uri.path
        switch await trust.verify(authorization: request.headers[.authorization], audience: audience) {
        case .success(let client):
            var context = context
            context.client = client
            return try await next(request, context)
        case .failure(let why):
            // The reason only in the log (never the token).
            context.logger.notice("refused", metadata: ["event": "auth.refused", "reason": .string("\(why)"), "path": .string(request.uri.path)])
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"unauthorized\"}")))
        }
    }
}

/// CORS for the origins given (`--allow-origin`), none for others.
struct CORS: RouterMiddleware {
    typealias Context = ServeContext
    let origins: Set<String>

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else { return try await next(request, context) }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Accept"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        // A browser client may read what $rpl-transaction says of the withdrawal batch.
        response.headers[.accessControlExposeHeaders] = "RPL-Withdrawals, Link"
        response.headers[.vary] = "Origin"
        return response
    }
}

/// Requests and latency per route (the route pattern, never the path's ids). Time limits sit
/// where time is spent waiting: the connection's idle timeout (a client that stops sending), the
/// request timeout (a body that trickles), the FHIR server's deadline (prefetch completion, 2 s)
/// and the JWKS URL's (5 s); the evaluation itself is bounded by the body limit.
struct Operations: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = { context.endpointPath ?? "unmatched" }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.request(route: route(), method: request.method.rawValue, status: Int(status.code), duration: ContinuousClock.now - start)
            throw error
        }
        metrics.request(route: route(), method: request.method.rawValue, status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }
}

/// The Prometheus metrics (interface.md v3, serve): requests and latency per route, cards per
/// rule id, feedback outcomes.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    func request(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(descriptor: .init(namespace: "rpl", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status"),
                             labels: labels).increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "rpl", metricName: "http_request_duration", unitName: "seconds",
                                                         helpText: "HTTP request latency by route"),
                                       labels: [("route", route)],
                                       buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
                                                 .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(2)]).record(duration)
    }

    func card(service: String, rule: String) {
        registry.makeCounter(descriptor: .init(namespace: "rpl", metricName: "cds_cards", unitName: "total", helpText: "CDS Hooks cards given, by service and rule id"),
                             labels: [("service", service), ("rule", rule)]).increment()
    }

    func feedback(service: String, outcome: String) {
        registry.makeCounter(descriptor: .init(namespace: "rpl", metricName: "cds_feedback", unitName: "total", helpText: "CDS Hooks feedback by outcome"),
                             labels: [("service", service), ("outcome", outcome)]).increment()
    }
}

/// `Expect: 100-continue` answered (RFC 9110 §10.1.1), so a client that waits for it before sending
/// a large body does not wait for its own timeout (found by helper-39's trial: curl waited a second
/// on every body over 1 MB; a client that waits for good got nothing). A pipelined request's 100
/// waits until the responses before it have ended (helper-40's review: it came before them).
/// A body refused later (413, 408) is refused then, as RFC 9110 allows.
final class ContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// For each request whose response has not ended, in order: whether it expects 100-continue
    /// and has not had it yet.
    private var waiting: [Bool] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let expects = head.headerFields[.expect]?.lowercased() == "100-continue"
            if expects && waiting.isEmpty {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
                waiting.append(false)
            } else {
                waiting.append(expects)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended: Bool
        if case .end = unwrapOutboundIn(data) { ended = true } else { ended = false }
        context.write(data, promise: promise)
        guard ended, !waiting.isEmpty else { return }
        waiting.removeFirst()
        // The next request's turn: its 100 now, after the response before it.
        if waiting.first == true {
            waiting[0] = false
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
    }
}
