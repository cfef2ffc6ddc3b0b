import FHIR

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole input (file or standard input) in one malloc'd block, bounded in size. Grown with
/// realloc, which moves large blocks by remapping pages rather than copying them, so reading
/// never needs twice the input's size.
final class InputFile {
    /// Larger inputs are refused rather than read: no single patient's record comes near it.
    static let maxBytes = FHIRFormat.maxDocumentBytes

    /// An input as a read error names it.
    static func named(_ path: String) -> String { path == "-" ? "standard input" : path }

    struct ReadError: Error {
        let message: String
    }

    /// What a failed read says (a ReadError's message; any other error as it describes itself).
    static func message(_ error: any Error) -> String {
        (error as? ReadError)?.message ?? "\(error)"
    }

    private var base: UnsafeMutableRawPointer?
    private(set) var count = 0
    private var capacity = 0

    private init() {}

    deinit { free(base) }

    /// Gives the bytes back before the end of the owner's scope; `withBytes` then sees none.
    func release() {
        free(base)
        base = nil
        count = 0
        capacity = 0
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base?.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// An input opened for reading (`-`: standard input, descriptor 0, not to be closed) and
    /// what `fstat` says of it (nil if it says nothing); a folder is refused here, for every reader.
    static func openInput(_ path: String) throws -> (fd: Int32, status: stat?) {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY)
            if fd < 0 { throw ReadError(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return (fd, nil) }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if fd != 0 { close(fd) }
            throw ReadError(message: "cannot read \(path): it is a directory")
        }
        return (fd, st)
    }

    static func read(_ path: String) throws -> InputFile {
        let (fd, status) = try openInput(path)
        defer { if fd != 0 { close(fd) } }
        // A regular file's size is known before reading; a pipe's or a device's is not.
        let fileSize = status.flatMap { ($0.st_mode & S_IFMT) == S_IFREG ? Int($0.st_size) : nil }
        if let fileSize, fileSize > maxBytes {
            throw FHIRFormatError(.tooLong, "input is \(fileSize) bytes; the limit is \(maxBytes) bytes")
        }
        let input = InputFile()
        try input.grow(to: fileSize.map { $0 + 1 } ?? 1 << 16)
        while true {
            if input.count == input.capacity {
                if input.capacity >= maxBytes + 1 {
                    throw FHIRFormatError(.tooLong, "input is larger than the limit of \(maxBytes) bytes")
                }
                try input.grow(to: min(input.capacity * 2, maxBytes + 1))
            }
            let n = systemRead(fd, input.base! + input.count, input.capacity - input.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(message: "cannot read \(named(path)): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            input.count += n
            if input.count > maxBytes {
                throw FHIRFormatError(.tooLong, "input is larger than the limit of \(maxBytes) bytes")
            }
        }
        return input
    }

    private func grow(to newCapacity: Int) throws {
        guard let grown = realloc(base, max(newCapacity, 1)) else {
            throw ReadError(message: "out of memory reading \(newCapacity) bytes")
        }
        base = grown
        capacity = newCapacity
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
