import FHIR

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output and standard error, written whole.
enum Terminal {
    static func output(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    static func error(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBufferPointer { _ = write(2, $0.baseAddress!, $0.count) }
    }

    /// Bad input: an OperationOutcome on standard output, one line on standard error.
    static func report(_ error: FHIRFormatError, source: String, as format: FHIRFormat, pretty: Bool) {
        let outcome = OperationOutcome.make([error])
        if let bytes = try? format.write(outcome, pretty: pretty) {
            output(bytes)
            if !pretty && format == .json { output([0x0A]) }
        }
        Terminal.error("rpl-adapter: \(source == "-" ? "<stdin>" : source): \(error)")
    }
}

/// Reads a whole input (file or standard input), bounded in size.
enum InputFile {
    /// Larger inputs are refused rather than read: no single patient's record comes near it.
    static let maxBytes = 256 << 20

    struct ReadError: Error {
        let message: String
    }


    static func read(_ path: String) throws -> [UInt8] {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY)
            if fd < 0 { throw ReadError(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw ReadError(message: "cannot read \(path): it is a directory")
        }
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int(st.st_size) > maxBytes {
            throw FHIRFormatError(.tooLong, "input is \(st.st_size) bytes; the limit is \(maxBytes) bytes")
        }
        var bytes: [UInt8] = []
        if (st.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(st.st_size) + 1) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(message: "cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes {
                throw FHIRFormatError(.tooLong, "input is larger than the limit of \(maxBytes) bytes")
            }
        }
        return bytes
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
