/// What the XML readers look for inside a resource they do not build (`materialise`), where JSON
/// needs no look (found by helper-31's trial):
/// - a resource it holds (`contained`): the caller may read that one (a loss contained in an
///   Encounter), and JSON reads it;
/// - a non-repeating element given twice: R4 refuses it and JSON cannot even write it (a
///   duplicate key, which the JSON reader refuses in every resource, built or not).
/// Either sends the document to a whole reading (`XMLReader.wholeReading`), rare in real data.
struct SkippedResourceWatch {
    private struct Frame {
        /// The element's type, nil where nothing is checked (a type R4 does not know, XHTML).
        var type: TypeTable.TypeInfo?
        /// `contained`, `resource` or `outcome`: its element is a resource.
        var holdsResource = false
        /// The non-repeating elements met (a bit per place in the type, the first 64), and beyond.
        var singles: UInt64 = 0
        var more: [String] = []
    }

    private let table = TypeTable.r4
    private let elementType = TypeTable.r4.type("Element")
    private var frames: [Frame]

    /// At the start of a resource not built.
    init(resourceType: String) {
        frames = [Frame(type: table.type(resourceType))]
    }

    /// An element opens in the resource (`fhir`: in FHIR's namespace). False: the document needs
    /// a whole reading.
    mutating func open(_ name: String, fhir: Bool) -> Bool {
        let parent = frames.count - 1
        // The resource's own `contained`.
        if parent == 0 && fhir && name == "contained" { return false }
        var child = Frame()
        if fhir {
            if frames[parent].holdsResource {
                child.type = table.type(name)
            } else if let type = frames[parent].type, let info = type.element(name) {
                if !info.repeats {
                    if info.index < 64 {
                        let bit: UInt64 = 1 << UInt64(info.index)
                        if frames[parent].singles & bit != 0 { return false }
                        frames[parent].singles |= bit
                    } else {
                        if frames[parent].more.contains(name) { return false }
                        frames[parent].more.append(name)
                    }
                }
                if info.primitiveKind != nil {
                    child.type = elementType
                } else if info.holdsResource {
                    child.holdsResource = true
                } else {
                    child.type = table.type(number: info.typeNumber)
                }
            }
        }
        frames.append(child)
        return true
    }

    /// The innermost open element closes.
    mutating func close() {
        if frames.count > 1 { frames.removeLast() }
    }
}
