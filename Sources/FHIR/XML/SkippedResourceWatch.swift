/// What the XML readers look for inside a resource they do not build (`materialise`), where JSON
/// needs no look (found by helper-31's trial): a non-repeating element given twice, which R4
/// refuses and JSON cannot even write (a duplicate key, which the JSON reader refuses in every
/// resource, built or not). `XMLTreeBuilder` also hands a resource that holds resources
/// (`contained`) to a whole reading, where the SAX path reads its kept members itself
/// (`XMLReader.keptBySkippedResources`). Either sends the document to a whole reading
/// (`XMLReader.wholeReading`), rare in real data.
///
/// Names are libxml2's interned pointers (one per name in a document), and what R4 says of an
/// element of a type is looked up once per document (`SkippedElementLookups`): the watch sees
/// every element of the resources it passes over, most of a real record (issue 20: looked up by
/// name, it made reading Synthea's XML a third slower).
struct SkippedResourceWatch {
    private struct Frame {
        /// The element's type, nil where nothing is checked (a type R4 does not know, XHTML).
        /// Unretained: the table keeps its types for its lifetime.
        var type: Unmanaged<TypeTable.TypeInfo>?
        /// `contained`, `resource` or `outcome`: its element is a resource.
        var holdsResource = false
        /// The non-repeating elements met (a bit per place in the type, the first 64), and beyond.
        var singles: UInt64 = 0
        var more: [UnsafeRawPointer] = []
    }

    private var frames: [Frame]
    /// Whether the resource's own `contained` needs a whole reading (`XMLTreeBuilder`).
    private let containedNeedsWholeReading: Bool

    /// At the start of a resource not built.
    init(resourceType: String, containedNeedsWholeReading: Bool) {
        frames = [Frame(type: TypeTable.r4.type(resourceType).map(Unmanaged.passUnretained))]
        frames.reserveCapacity(16)
        self.containedNeedsWholeReading = containedNeedsWholeReading
    }

    /// An element opens in the resource: `name`, its interned name (`text` makes it as a string),
    /// when in FHIR's namespace; `xhtmlDiv`: a narrative's XHTML `div`, which is the Narrative's
    /// `div` element. False: the document needs a whole reading.
    mutating func open(_ name: UnsafeRawPointer?, text: () -> String, xhtmlDiv: Bool = false,
                       lookups: inout SkippedElementLookups) -> Bool {
        let parent = frames.count - 1
        var child = Frame()
        if frames[parent].holdsResource {
            if let name { child.type = lookups.resourceType(name, text: text) }
            frames.append(child)
            return true
        }
        guard let type = frames[parent].type, name != nil || xhtmlDiv else {
            frames.append(child)
            return true
        }
        // Two divs of one narrative (helper-32's review): R4's `div` does not repeat.
        let found = xhtmlDiv ? lookups.element(of: type, named: SkippedElementLookups.divName, text: { "div" })
                             : lookups.element(of: type, named: name!, text: text)
        guard let found else {
            frames.append(child)
            return true
        }
        if !xhtmlDiv && parent == 0 && found.isContained && containedNeedsWholeReading { return false }
        if !found.repeats {
            if found.index < 64 {
                let bit: UInt64 = 1 << UInt64(found.index)
                if frames[parent].singles & bit != 0 { return false }
                frames[parent].singles |= bit
            } else {
                let key = xhtmlDiv ? SkippedElementLookups.divName : name!
                if frames[parent].more.contains(key) { return false }
                frames[parent].more.append(key)
            }
        }
        if !xhtmlDiv {
            child.type = found.childType
            child.holdsResource = found.holdsResource
        }
        frames.append(child)
        return true
    }

    /// The innermost open element closes.
    mutating func close() {
        if frames.count > 1 { frames.removeLast() }
    }
}

/// What R4 says of an element of a type, by the type and the element's interned name, found once
/// per document: direct-mapped, a slot per pair.
struct SkippedElementLookups {
    struct Found {
        var index: Int
        var repeats: Bool
        var holdsResource: Bool
        var isContained: Bool
        /// The element's own type where it is complex or a primitive (`Element`: its id and
        /// extensions); nil where nothing is checked below it.
        var childType: Unmanaged<TypeTable.TypeInfo>?
    }

    private struct Slot {
        var type: UInt = 0
        var name: UnsafeRawPointer?
        var found: Found?
    }

    /// Stands for the name `div` of an XHTML div (whose interned pointer is XHTML's, not R4's).
    static var divName: UnsafeRawPointer { UnsafeRawPointer(bitPattern: 1)! }

    private let table = TypeTable.r4
    private let elementType = TypeTable.r4.type("Element").map(Unmanaged.passUnretained)
    private var slots = [Slot](repeating: Slot(), count: 512)
    private var resources: [UnsafeRawPointer: Unmanaged<TypeTable.TypeInfo>?] = [:]

    mutating func element(of type: Unmanaged<TypeTable.TypeInfo>, named name: UnsafeRawPointer, text: () -> String) -> Found? {
        let typeBits = UInt(bitPattern: type.toOpaque())
        let nameBits = UInt(bitPattern: name)
        let slot = Int(truncatingIfNeeded: ((UInt64(typeBits) ^ UInt64(nameBits) &* 0x9E37_79B9_7F4A_7C15) >> 40)) & (slots.count - 1)
        if slots[slot].type == typeBits && slots[slot].name == name { return slots[slot].found }
        let found: Found? = type.takeUnretainedValue().element(text()).map { info in
            let child: Unmanaged<TypeTable.TypeInfo>?
            if info.primitiveKind != nil {
                child = elementType
            } else if info.holdsResource {
                child = nil
            } else {
                child = table.type(number: info.typeNumber).map(Unmanaged.passUnretained)
            }
            return Found(index: info.index, repeats: info.repeats, holdsResource: info.holdsResource,
                         isContained: info.holdsResource && text() == "contained", childType: child)
        }
        slots[slot] = Slot(type: typeBits, name: name, found: found)
        return found
    }

    /// A resource's type by its element's interned name.
    mutating func resourceType(_ name: UnsafeRawPointer, text: () -> String) -> Unmanaged<TypeTable.TypeInfo>? {
        if let known = resources[name] { return known }
        let type = table.type(text()).map(Unmanaged.passUnretained)
        resources[name] = type
        return type
    }
}
