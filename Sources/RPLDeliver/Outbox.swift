import Foundation
import GRDB
import Digests

/// The durable outbox of `deliver` (interface.md v2, v3): every message is stored and synced before
/// it is first sent, and marked delivered only on the receiver's acknowledgement. A real SQLite
/// database (through GRDB): WAL journal with `synchronous = FULL`, so a commit is on disk when it
/// returns and a `kill -9` at any instant loses nothing taken in; one writer, enforced by an
/// exclusive lock on `<path>.lock` for the whole run. Readers (`--status`) open it read-only and
/// take no lock: WAL lets them read while the writer writes.
///
/// A message is keyed by its destination and its content (v3): the same content for another
/// destination is another message.
public final class Outbox {
    public enum State: String, Sendable, CaseIterable { case pending, delivered, dead }

    public struct Message: Sendable {
        public var id: Int64
        /// Where it goes: the FHIR base URL, or `mllp://HOST:PORT`.
        public var destination: String
        /// `fhir` (a transaction or batch Bundle) or `hl7v2` (one message).
        public var kind: String
        /// What it answers, for the log (the Bundle's identifier, or MSH-10).
        public var name: String
        public var body: [UInt8]
        /// Attempts over all runs.
        public var attempts: Int
    }

    public struct Counts: Sendable, Equatable {
        public var pending = 0, delivered = 0, dead = 0
        public init(pending: Int = 0, delivered: Int = 0, dead: Int = 0) {
            self.pending = pending
            self.delivered = delivered
            self.dead = dead
        }
        mutating func add(_ state: State?, _ n: Int) {
            switch state {
            case .pending?: pending += n
            case .delivered?: delivered += n
            case .dead?: dead += n
            case nil: break
            }
        }
    }

    public struct Busy: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "the outbox \(path) is in use by another deliver" }
    }

    /// Why a path cannot be an outbox: `unusable` (exit 74: a missing folder, a device, a folder,
    /// not a database) or `missing` (exit 66: nothing there, for a run that only reads it).
    public enum PathProblem: Error, Equatable, CustomStringConvertible {
        case unusable(String)
        case missing(String)
        public var description: String {
            switch self {
            case .unusable(let s), .missing(let s): return s
            }
        }
    }

    /// Checks `path` before anything is created. `mustExist`: `--status`, `--resume`,
    /// `--requeue-dead` (an outbox that is not there is not made).
    public static func check(path: String, mustExist: Bool) -> PathProblem? {
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFDIR: return .unusable("the outbox \(path) is a folder, not a file")
            case S_IFCHR, S_IFBLK: return .unusable("the outbox \(path) is a device, not a file")
            default: return .unusable("the outbox \(path) is not a regular file")
            }
        }
        let parent = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isDir) {
            return .unusable("the outbox \(path): its folder \(parent) does not exist")
        }
        if !isDir.boolValue { return .unusable("the outbox \(path): \(parent) is not a folder") }
        if mustExist { return .missing("no outbox at \(path)") }
        return nil
    }

    let db: DatabaseQueue
    private let lockFD: Int32
    public let readOnly: Bool

    /// The writer. `sync: false` (`--no-sync`, for measuring only): commits are not waited for on
    /// disk, so a crash of the machine (not of the process) may lose what was taken in.
    public init(path: String, sync: Bool = true) throws {
        readOnly = false
        lockFD = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            if lockFD >= 0 { close(lockFD) }
            throw Busy(path: path)
        }
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
        }
        db = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS message (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL UNIQUE,          -- a digest of destination, kind and body: taken in once
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    body BLOB NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_answer TEXT,
                    created TEXT NOT NULL,
                    updated TEXT NOT NULL,
                    destination TEXT NOT NULL DEFAULT ''
                )
                """)
            // An outbox of version 2 has no destination column: its messages get '' (claimed by
            // the next deliver of their kind, see `claimUndirected`).
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(message)").map { $0["name"] as String }
            if !columns.contains("destination") {
                try db.execute(sql: "ALTER TABLE message ADD COLUMN destination TEXT NOT NULL DEFAULT ''")
            }
        }
    }

    /// A reader (`--status`): read-only, no lock, never creates anything; works while a writer
    /// runs (WAL).
    public init(readingAt path: String) throws {
        readOnly = true
        lockFD = -1
        var config = Configuration()
        config.readonly = true
        db = try DatabaseQueue(path: path, configuration: config)
        _ = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
    }

    deinit {
        if lockFD >= 0 {
            flock(lockFD, LOCK_UN)
            close(lockFD)
        }
    }

    /// Whether the database holds an outbox (a reader on a SQLite file of something else).
    public func isOutbox() throws -> Bool {
        try db.read { db in try db.tableExists("message") }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func key(destination: String, kind: String, body: [UInt8]) -> String {
        Digest.sha1Hex(Array(destination.utf8) + [0] + Array(kind.utf8) + [0] + body)
    }

    /// Takes messages in for `destination`, in one synced transaction; one already there (same
    /// destination, kind and body) is not taken again, whatever its state. Returns how many were new.
    @discardableResult
    public func add(_ messages: [(kind: String, name: String, body: [UInt8])], destination: String) throws -> Int {
        let now = Outbox.now()
        return try db.write { db in
            var added = 0
            for m in messages {
                // Already there from an outbox of version 2 (keyed by kind and body, no destination)?
                let legacy = Digest.sha1Hex(Array(m.kind.utf8) + [0] + m.body)
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE key = ? AND destination IN ('', ?)", arguments: [legacy, destination]) == true { continue }
                try db.execute(sql: "INSERT OR IGNORE INTO message (key, destination, kind, name, body, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [Outbox.key(destination: destination, kind: m.kind, body: m.body), destination, m.kind, m.name, Data(m.body), now, now])
                added += db.changesCount
            }
            return added
        }
    }

    /// Messages of a version-2 outbox (no destination) of `kind` become `destination`'s; returns how many.
    @discardableResult
    public func claimUndirected(kind: String, destination: String) throws -> Int {
        try db.write { db in
            try db.execute(sql: "UPDATE message SET destination = ? WHERE destination = '' AND kind = ? AND state = 'pending'", arguments: [destination, kind])
            return db.changesCount
        }
    }

    /// The pending messages for `destination`, oldest first.
    public func pending(destination: String) throws -> [Message] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, destination, kind, name, body, attempts FROM message WHERE state = 'pending' AND destination = ? ORDER BY id",
                             arguments: [destination]).map(Self.message)
        }
    }

    static func message(_ row: Row) -> Message {
        Message(id: row["id"], destination: row["destination"], kind: row["kind"], name: row["name"],
                body: [UInt8]((row["body"] as Data?) ?? Data()), attempts: row["attempts"])
    }

    /// Whether `message` is a batch of withdrawals whose transaction (the same `Bundle.identifier`,
    /// same destination) is not delivered: it is sent after its transaction (interface.md v3),
    /// so it waits, whatever order the two were taken in, and also while its transaction has not
    /// arrived at all (a batch without its plan would withdraw proposals whose replacements were
    /// never sent). A batch whose plan was "not indicated" (an empty transaction, never sent) is
    /// named so at intake and goes alone.
    public func waitsForItsTransaction(_ message: Message) throws -> Bool {
        guard message.kind == "fhir", message.name.hasPrefix("batch for ") else { return false }
        let transaction = "Bundle for " + message.name.dropFirst("batch for ".count)
        let (all, delivered) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE destination = ? AND kind = 'fhir' AND name = ?",
                              arguments: [message.destination, transaction]) ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE destination = ? AND kind = 'fhir' AND name = ? AND state = 'delivered'",
                              arguments: [message.destination, transaction]) ?? 0)
        }
        return all == 0 || delivered < all
    }

    /// A state change, synced before the next message is sent.
    public func record(_ id: Int64, state: State, attempts: Int, answer: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE message SET state = ?, attempts = ?, last_answer = ?, updated = ? WHERE id = ?",
                           arguments: [state.rawValue, attempts, String(answer.prefix(4000)), Outbox.now(), id])
        }
    }

    /// All messages, or one destination's.
    public func counts(destination: String? = nil) throws -> Counts {
        var total = Counts()
        for (d, c) in try countsByDestination() where destination == nil || d == destination {
            total.pending += c.pending
            total.delivered += c.delivered
            total.dead += c.dead
        }
        return total
    }

    /// Counts per destination, sorted by destination.
    public func countsByDestination() throws -> [(String, Counts)] {
        try db.read { db in
            var by: [String: Counts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT destination, state, COUNT(*) AS n FROM message GROUP BY destination, state") {
                by[row["destination"], default: Counts()].add(State(rawValue: row["state"] ?? ""), row["n"])
            }
            return by.sorted { $0.key < $1.key }
        }
    }

    public struct Dead: Sendable {
        public var message: Message
        public var answer: String
        /// When it was taken in.
        public var created: Date
    }

    /// Dead messages, all or one destination's, oldest first.
    public func dead(destination: String? = nil) throws -> [Dead] {
        try db.read { db in
            var sql = "SELECT id, destination, kind, name, body, attempts, last_answer, created FROM message WHERE state = 'dead'"
            var arguments: StatementArguments = []
            if let destination {
                sql += " AND destination = ?"
                arguments = [destination]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).map { row in
                let created = ISO8601DateFormatter().date(from: row["created"] ?? "") ?? Date.distantPast
                return Dead(message: Self.message(row), answer: row["last_answer"] ?? "", created: created)
            }
        }
    }

    /// A dead message back to pending (its attempts and answer kept, noted as requeued).
    public func requeue(_ id: Int64) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE message SET state = 'pending', last_answer = 'requeued; dead with: ' || COALESCE(last_answer, ''), updated = ? WHERE id = ? AND state = 'dead'",
                           arguments: [Outbox.now(), id])
        }
    }
}
