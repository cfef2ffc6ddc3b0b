/// Finds the exact source text of each narrative `<div>` in an XML document, so that a narrative
/// read from XML is the same text that was written (libxml2 would re-serialise it: `&quot;`
/// becomes `"`, and a JSON → XML → JSON round trip would not give back the same string).
///
/// A light tokenizer: comments, CDATA, processing instructions, start and end tags (quoted
/// attribute values may hold `>`). It reports each outermost element whose local name is `div`
/// and whose start tag declares the XHTML namespace; the XML reader takes them in document order
/// and checks each against what libxml2 parsed (falling back to libxml2's serialisation).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum NarrativeScanner {
    static func divs(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        // No XHTML namespace anywhere: no narrative to find (most documents of a feed).
        let namespace = Self.xhtmlNamespace
        guard contains(namespace, in: bytes) else { return [] }
        var found: [Range<Int>] = []
        var i = 0
        let n = bytes.count
        var divStart = -1
        var divDepth = 0
        // Read once: a static is behind a once-check at every use (issue 20: this scan is a pass
        // over the whole document).
        let commentOpen = Self.commentOpen, commentEnd = Self.commentEnd, cdataOpen = Self.cdataOpen, cdataEnd = Self.cdataEnd
        let piOpen = Self.piOpen, piEnd = Self.piEnd, declarationOpen = Self.declarationOpen

        func starts(_ pattern: [UInt8], at j: Int) -> Bool {
            guard j + pattern.count <= n else { return false }
            for k in 0..<pattern.count where bytes[j + k] != pattern[k] { return false }
            return true
        }
        func skip(past pattern: [UInt8], from j: Int) -> Int {
            var j = j
            while j < n {
                if starts(pattern, at: j) { return j + pattern.count }
                j += 1
            }
            return n
        }
        while i < n {
            // Next '<' (memchr: the scanner runs over whole documents).
            guard let p = memchr(bytes.baseAddress! + i, 0x3C, n - i) else { break }
            i = bytes.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
            // Only `<!` and `<?` open anything but a tag.
            let next = i + 1 < n ? bytes[i + 1] : 0
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                if starts(commentOpen, at: i) { i = skip(past: commentEnd, from: i + 4); continue }
                if starts(cdataOpen, at: i) { i = skip(past: cdataEnd, from: i + 9); continue }
                if starts(piOpen, at: i) { i = skip(past: piEnd, from: i + 2); continue }
                if starts(declarationOpen, at: i) { return [] }  // DOCTYPE: refused by the reader anyway
            }
            let tagStart = i
            let isEnd = i + 1 < n && bytes[i + 1] == UInt8(ascii: "/")
            var j = i + (isEnd ? 2 : 1)
            let nameStart = j
            while j < n, !isSpace(bytes[j]), bytes[j] != UInt8(ascii: ">"), bytes[j] != UInt8(ascii: "/") { j += 1 }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<j])
            let isDiv = localNameIsDiv(name)
            // Only a div's tag is read to its end. Any other tag ends before the next '<' (an
            // attribute value cannot hold one in well-formed XML, and libxml2 refuses the
            // document otherwise), so the search goes on from its name (issue 20: reading every
            // tag's attributes was most of this pass).
            if !isDiv { i = j; continue }
            // Find the tag's end, honouring quotes.
            var quote: UInt8 = 0
            while j < n {
                let b = bytes[j]
                if quote != 0 {
                    if b == quote { quote = 0 }
                } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                    quote = b
                } else if b == UInt8(ascii: ">") {
                    break
                }
                j += 1
            }
            guard j < n else { return found }
            let declaresXHTML = Self.declaresXHTML(UnsafeBufferPointer(rebasing: bytes[tagStart..<j]))
            let selfClosing = bytes[j - 1] == UInt8(ascii: "/")
            let tagEnd = j + 1
            if divStart < 0 {
                if !isEnd && isDiv && declaresXHTML {
                    if selfClosing {
                        found.append(tagStart..<tagEnd)
                    } else {
                        divStart = tagStart
                        divDepth = 1
                    }
                }
            } else if isDiv {
                if isEnd {
                    divDepth -= 1
                    if divDepth == 0 {
                        found.append(divStart..<tagEnd)
                        divStart = -1
                    }
                } else if !selfClosing {
                    divDepth += 1
                }
            }
            i = tagEnd
        }
        return found
    }

    /// Whether a start tag holds `xmlns="http://www.w3.org/1999/xhtml"` (or in single quotes)
    /// outside an attribute value (the SAX path asks the same of a div's tag).
    static func declaresXHTML(_ tag: UnsafeBufferPointer<UInt8>) -> Bool {
        func starts(_ pattern: [UInt8], at j: Int) -> Bool {
            guard j + pattern.count <= tag.count else { return false }
            for k in 0..<pattern.count where tag[j + k] != pattern[k] { return false }
            return true
        }
        var quote: UInt8 = 0
        for j in 0..<tag.count {
            let b = tag[j]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: "x") && (starts(xmlns, at: j) || starts(xmlnsSingle, at: j)) {
                return true
            }
        }
        return false
    }

    static let xhtmlNamespace = Array("http://www.w3.org/1999/xhtml".utf8)
    static let xmlns = Array("xmlns=\"http://www.w3.org/1999/xhtml\"".utf8)
    static let xmlnsSingle = Array("xmlns='http://www.w3.org/1999/xhtml'".utf8)
    static let commentOpen = Array("<!--".utf8), commentEnd = Array("-->".utf8)
    static let cdataOpen = Array("<![CDATA[".utf8), cdataEnd = Array("]]>".utf8)
    static let piOpen = Array("<?".utf8), piEnd = Array("?>".utf8)
    static let declarationOpen = Array("<!".utf8)

    /// Whether `pattern` occurs in `bytes` (memchr for its first byte, then a compare).
    static func contains(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, let first = pattern.first else { return false }
        var i = 0
        while i + pattern.count <= bytes.count {
            guard let p = memchr(base + i, Int32(first), bytes.count - pattern.count + 1 - i) else { return false }
            i = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
            if pattern.withUnsafeBufferPointer({ memcmp(base + i, $0.baseAddress!, $0.count) }) == 0 { return true }
            i += 1
        }
        return false
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    static func localNameIsDiv(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        if let colon = name.lastIndex(of: UInt8(ascii: ":")) { start = colon + 1 }
        return name.count - start == 3 && name[start] == UInt8(ascii: "d") && name[start + 1] == UInt8(ascii: "i")
            && name[start + 2] == UInt8(ascii: "v")
    }
}
