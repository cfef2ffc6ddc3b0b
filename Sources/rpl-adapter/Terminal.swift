import ArgumentParser
import ExitStatus
import FHIR
import RPLAdapter

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output and standard error, written whole.
enum Terminal {
    /// Ends the process with this status at once (what was written is out: the writes are not
    /// buffered), leaving the memory to the kernel.
    static func end(_ status: ExitStatus) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status.rawValue)
        #elseif canImport(Musl)
        Musl.exit(status.rawValue)
        #else
        Darwin.exit(status.rawValue)
        #endif
    }

    /// Writes to standard output. When it cannot be written (a full disk, a closed pipe: SIGPIPE
    /// is ignored so that a closed pipe is an error here, not a silent death) the run stops at
    /// once with exit 74 and one line on standard error: nothing is reported as done that was lost.
    static func output(_ bytes: [UInt8]) {
        if let failure = writeAll(1, bytes) {
            error("rpl-adapter: cannot write standard output: \(String(cString: strerror(failure)))")
            // At once, without the exit handlers: threads answering other inputs may be inside
            // libxml2, whose exit handler frees its tables (nothing here is buffered).
            _exit(ExitStatus.ioError.rawValue)
        }
    }

    /// A line on standard error; one that cannot be written is dropped (there is nowhere to say so).
    static func error(_ line: String) {
        _ = writeAll(2, Array((line + "\n").utf8))
    }

    /// The whole of `bytes`, or the error that stopped it. A non-blocking descriptor that is full
    /// is waited on (found by a new user's trial and a review: a full pipe was a write error on
    /// standard output, cut its last line, and dropped lines on standard error).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&ready, 1, -1)
                        continue
                    }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }

    /// How messages name a source: standard input as `<stdin>`.
    static func name(_ source: String) -> String { source == "-" ? "<stdin>" : source }

    /// The built-in Profiles, or a site's folder (`--profiles`), checked as it loads: exit 74 when
    /// it cannot be read, 78 when it is wrong, one line per problem on standard error.
    static func loadProfiles(_ directory: String?) throws -> Profiles {
        guard let directory else { return try Profiles.builtIn() }
        do {
            return try Profiles.load(directory: directory)
        } catch {
            for problem in error.problems { Terminal.error("rpl-adapter: Profiles \(directory): \(problem)") }
            throw (error.unreadable ? ExitStatus.ioError : .configuration).exitCode
        }
    }

    /// Bad input: an OperationOutcome on standard output, one line on standard error.
    static func report(_ error: FHIRFormatError, source: String, as format: FHIRFormat, pretty: Bool, naming: (Element) -> Element = { $0 }) {
        var a = Answer()
        a.refuse(error, source: source, outcome: naming(OperationOutcome.make([error])), as: format, pretty: pretty)
        a.write()
    }
}
