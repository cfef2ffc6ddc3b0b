import Foundation
import Testing
@testable import FHIR

/// The XML reader's SAX path (issue 20) against `XMLTreeBuilder`, the reader it stands in front
/// of: on every XML document in the repository it must build the same tree or decline, and it
/// must not decline the usual ones (else it is only slower).
struct XMLSAXPathTests {
    static let folders = ["TestData/corpus/hl7-examples/xml", "TestData/corpus/lab-ig/nictiz-zib2020-xml", "Fixtures",
                          "TestData/reader-trial4/inputs", "TestData/reader-trial", "Fuzz/findings/xml"]

    static func xmlFiles() -> [URL] {
        var found: [URL] = []
        for folder in folders {
            let dir = Corpus.projectRoot.appendingPathComponent(folder)
            guard let walk = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walk where url.pathExtension == "xml" { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }

    static let readTypes: Set<String> = ["Patient", "Condition", "Observation", "Procedure", "DiagnosticReport"]

    @Test func agreesWithTheStreamingReaderOnEveryXMLFile() throws {
        let files = Self.xmlFiles()
        #expect(files.count > 200)
        var built = 0
        var wellFormed = 0
        for url in files {
            let bytes = try Corpus.bytes(url)
            bytes.withUnsafeBufferPointer { b in
                #expect(XMLReader.pathsDisagree(b) == nil, "\(url.lastPathComponent)")
                #expect(XMLReader.pathsDisagree(b, materialise: { Self.readTypes.contains($0) }) == nil, "\(url.lastPathComponent) (skipping)")
                if (try? XMLReader.read(b)) != nil {
                    wellFormed += 1
                    if XMLSAXBuilder.read(b, materialise: nil) != nil { built += 1 }
                }
            }
        }
        // The HL7 examples hold comments, CDATA and odd narratives; nearly all are still built here.
        #expect(wellFormed > 150 && built * 100 >= wellFormed * 90, "the SAX path built \(built) of \(wellFormed)")
        print("XMLSAXPathTests: the SAX path built \(built) of the \(wellFormed) XML files read, of \(files.count)")
    }

    @Test func declinesWhatItCannotVouchFor() throws {
        let fhir = #"xmlns="http://hl7.org/fhir""#
        let xhtml = #"xmlns="http://www.w3.org/1999/xhtml""#
        func sax(_ s: String) -> Element? { Array(s.utf8).withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: nil) } }
        let plain = "<Patient \(fhir)><text><status value=\"generated\"/><div \(xhtml)><p>Ann &amp; Bo</p></div></text><gender value=\"female\"/></Patient>"
        let read = try #require(sax(plain))
        #expect(read.child("text")?.child("div")?.value == "<div \(xhtml)><p>Ann &amp; Bo</p></div>")
        LibXML.setUp()
        var streaming = XMLTreeBuilder()
        #expect(read == (try Array(plain.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try streaming.parse(b) }))
        // Each of these is XMLTreeBuilder's to read: a refusal, or a narrative libxml2 must write.
        for declined in [
            "<Patient \(fhir)><gender value=\"female\">text</gender></Patient>",
            "<Patient \(fhir)><gender value=\"\"/></Patient>",
            "<Patient \(fhir)><gender value=\"female\" other=\"x\"/></Patient>",
            "<Patient \(fhir)><resourceType value=\"x\"/></Patient>",
            "<Patient \(fhir)><gender value=\"female\"></Patient>",
            "<Patient \(fhir)><text><status value=\"generated\"/><div \(xhtml)><!-- a --><p>x</p></div></text></Patient>",
            "<Patient \(fhir)><text><status value=\"generated\"/><div \(xhtml)><p><![CDATA[x]]></p></div></text></Patient>",
            "<Patient \(fhir)><text><status value=\"generated\"/><div \(xhtml)><p>&#65;</p></div></text></Patient>",
            "<Patient \(fhir)><text><status value=\"generated\"/><div \(xhtml)><br></br></div></text></Patient>",
            "<Patient \(fhir) xmlns:h=\"http://www.w3.org/1999/xhtml\"><text><status value=\"generated\"/><h:div><h:p>x</h:p></h:div></text></Patient>",
        ] {
            #expect(sax(declined) == nil, "\(declined)")
        }
        // An element after a skipped resource, right after it or after a blank: refused (a resource
        // is the whole content of its element), so XMLTreeBuilder's to say.
        let skipClaim: (String) -> Bool = { $0 != "Claim" }
        for after in ["<Claim><id value=\"a\"/></Claim><id value=\"b\"/>", "<Claim><id value=\"a\"/></Claim> <id value=\"b\"/>"] {
            let text = "<Bundle \(fhir)><type value=\"collection\"/><entry><resource>\(after)</resource></entry></Bundle>"
            Array(text.utf8).withUnsafeBufferPointer { b in
                #expect(XMLSAXBuilder.read(b, materialise: skipClaim) == nil, "\(after)")
                #expect(throws: FHIRFormatError.self) { try XMLReader.read(b, materialise: skipClaim) }
            }
        }
        // A skipped resource's own nesting is bounded, its narrative's by the narrative bound
        // (XMLTreeBuilder.skipSubtree).
        let deep = String(repeating: "<extension>", count: 120) + String(repeating: "</extension>", count: 120)
        let skippedDeep = "<Bundle \(fhir)><type value=\"collection\"/><entry><resource><Claim>\(deep)</Claim></resource></entry></Bundle>"
        #expect(Array(skippedDeep.utf8).withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: { $0 != "Claim" }) } == nil)
        let deepDiv = String(repeating: "<div>", count: 120) + String(repeating: "</div>", count: 120)
        let skippedNarrative = "<Bundle \(fhir)><type value=\"collection\"/><entry><resource><Claim><text><div \(xhtml)>\(deepDiv)</div></text></Claim></resource></entry></Bundle>"
        let skipped = try #require(Array(skippedNarrative.utf8).withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: { $0 != "Claim" }) })
        #expect(skipped.children("entry").first?.child("resource")?.resource?.name == "Claim")
    }

    @Test func helperNineteensFindings() throws {
        // UTF-16 without a byte order mark: refused by both paths, as FHIR XML is UTF-8.
        let utf16 = try Corpus.bytes(Corpus.projectRoot.appendingPathComponent("TestData/sax-trial/1-utf16le-no-bom.xml"))
        #expect(utf16.withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: nil) } == nil)
        #expect(throws: FHIRFormatError.self) { try XMLReader.read(utf16) }
        // A narrative nested 100,000 levels: refused, whichever path meets it, built or skipped,
        // and whether the SAX path declines it early (a comment) or late.
        let x = #"xmlns="http://www.w3.org/1999/xhtml""#
        let deep = String(repeating: "<b>", count: 100_000) + "x" + String(repeating: "</b>", count: 100_000)
        let skipClaim: (String) -> Bool = { $0 != "Claim" }
        for (text, materialise) in [
            ("<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div \(x)>\(deep)</div></text></Patient>", nil),
            ("<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div \(x)><!--c-->\(deep)</div></text></Patient>", nil),
            ("<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Claim><text><div \(x)>\(deep)</div></text></Claim></resource></entry></Bundle>", skipClaim),
            ("<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Claim><text><div \(x)>\(deep)</div></text></Claim>x</resource></entry></Bundle>", skipClaim),
        ] as [(String, ((String) -> Bool)?)] {
            let e = Array(text.utf8).withUnsafeBufferPointer { b in
                #expect(throws: FHIRFormatError.self) { try materialise.map { try XMLReader.read(b, materialise: $0) } ?? XMLReader.read(b) }
            }
            #expect(e?.message.contains("nested deeper than 256 levels") == true, "\(e?.message ?? "")")
        }
        // 256 levels, the div included, are read by both paths alike.
        let most = String(repeating: "<b>", count: 255) + "x" + String(repeating: "</b>", count: 255)
        let fits = Array("<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div \(x)>\(most)</div></text></Patient>".utf8)
        try fits.withUnsafeBufferPointer { b in
            #expect(XMLSAXBuilder.read(b, materialise: nil) != nil)
            #expect(XMLReader.pathsDisagree(b) == nil)
            _ = try XMLReader.read(b)
        }
        // A div in the FHIR namespace before a narrative (helper-19, helper-20): NarrativeScanner may
        // count it, so the SAX path leaves the document to XMLTreeBuilder, which keeps libxml2's
        // serialisation of the narrative after it.
        let shifted = try Corpus.bytes(Corpus.projectRoot.appendingPathComponent("TestData/sax-trial/2-fhir-div-shifts-narrative.xml"))
        #expect(shifted.withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: nil) } == nil)
        #expect(try XMLReader.read(shifted).children("entry").last?.child("resource")?.resource?.child("text")?.child("div")?.value
                == "<div xmlns=\"http://www.w3.org/1999/xhtml\"><br/></div>")
    }

    @Test func helperTwentysFindings() throws {
        // An error reported in a large document: stopping the parser from the error report freed
        // its input under it (a crash above glibc's mmap threshold). Declined, refused, no crash.
        let large = "<Patient xmlns=\"http://hl7.org/fhir\">" + String(repeating: "<x/>", count: 20_000) + "]]></Patient>"
        #expect(Array(large.utf8).withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: nil) } == nil)
        #expect(throws: FHIRFormatError.self) { try XMLReader.read(large) }
        // A NUL byte in a document XMLTreeBuilder parses whole (a stretch of over 64 KB without a
        // tag): refused there too, not read up to the NUL.
        let long = String(repeating: "a", count: 70_000)
        var withNUL = Array("<Patient xmlns=\"http://hl7.org/fhir\"><gender value=\"\(long)\"/></Patient>\n".utf8)
        withNUL += [0] + Array("junk<<<".utf8)
        let e = #expect(throws: FHIRFormatError.self) { try XMLReader.read(withNUL) }
        #expect(e?.message.contains("NUL") == true && e?.line == 2)
    }
}
