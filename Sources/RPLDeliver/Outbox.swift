import Foundation
import GRDB
import RPLAdapter

/// The durable outbox of `deliver` (interface.md v2): every message is stored and synced before it
/// is first sent, and marked delivered only on the receiver's acknowledgement. A real SQLite
/// database (through GRDB): WAL journal with `synchronous = FULL`, so a commit is on disk when it
/// returns and a `kill -9` at any instant loses nothing taken in; one writer, enforced by an
/// exclusive lock on `<path>.lock` for the whole run.
public final class Outbox {
    public enum State: String, Sendable { case pending, delivered, dead }

    public struct Message: Sendable {
        public var id: Int64
        /// `fhir` (a transaction Bundle) or `hl7v2` (one message).
        public var kind: String
        /// What it answers, for the log (the Bundle's identifier, or MSH-10).
        public var name: String
        public var body: [UInt8]
        public var attempts: Int
    }

    public struct Counts: Sendable, Equatable {
        public var pending = 0, delivered = 0, dead = 0
    }

    public struct Busy: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "the outbox \(path) is in use by another deliver" }
    }

    let db: DatabaseQueue
    private let lockFD: Int32

    /// `sync: false` (`--no-sync`, for measuring only): commits are not waited for on disk, so
    /// a crash of the machine (not of the process) may lose what was taken in.
    public init(path: String, sync: Bool = true) throws {
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
                    key TEXT NOT NULL UNIQUE,          -- a digest of kind and body: the same message is taken in once
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    body BLOB NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_answer TEXT,
                    created TEXT NOT NULL,
                    updated TEXT NOT NULL
                )
                """)
        }
    }

    deinit {
        flock(lockFD, LOCK_UN)
        close(lockFD)
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// Takes messages in, in one synced transaction; one already there (same kind and body) is not
    /// taken again, whatever its state. Returns how many were new.
    @discardableResult
    public func add(_ messages: [(kind: String, name: String, body: [UInt8])]) throws -> Int {
        let now = Outbox.now()
        return try db.write { db in
            var added = 0
            for m in messages {
                try db.execute(sql: "INSERT OR IGNORE INTO message (key, kind, name, body, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [Digest.sha1Hex(Array(m.kind.utf8) + [0] + m.body), m.kind, m.name, Data(m.body), now, now])
                added += db.changesCount
            }
            return added
        }
    }

    /// The pending messages, oldest first.
    public func pending() throws -> [Message] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, name, body, attempts FROM message WHERE state = 'pending' ORDER BY id").map { row in
                Message(id: row["id"], kind: row["kind"], name: row["name"], body: [UInt8]((row["body"] as Data?) ?? Data()), attempts: row["attempts"])
            }
        }
    }

    /// A state change, synced before the next message is sent.
    public func record(_ id: Int64, state: State, attempts: Int, answer: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE message SET state = ?, attempts = ?, last_answer = ?, updated = ? WHERE id = ?",
                           arguments: [state.rawValue, attempts, String(answer.prefix(4000)), Outbox.now(), id])
        }
    }

    public func counts() throws -> Counts {
        try db.read { db in
            var c = Counts()
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM message GROUP BY state") {
                let n: Int = row["n"]
                switch State(rawValue: row["state"] ?? "") {
                case .pending?: c.pending = n
                case .delivered?: c.delivered = n
                case .dead?: c.dead = n
                case nil: break
                }
            }
            return c
        }
    }
}
