/// Input that is not well-formed or not FHIR: what is wrong and where.
public struct FHIRFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OperationOutcome issue type (http://hl7.org/fhir/issue-type).
    public enum IssueType: String, Sendable {
        /// Not well-formed (JSON or XML syntax, encoding).
        case structure
        /// Well-formed, but not valid FHIR content.
        case invalid
        /// Refused for security (DOCTYPE, entities).
        case security
        /// Beyond a size or depth bound.
        case tooLong = "too-long"
        /// Cannot be written in the requested format.
        case processing
        /// What was asked for does not exist (a service's unknown resource).
        case notFound = "not-found"
    }

    public var type: IssueType
    public var message: String
    /// FHIRPath-like location, e.g. `Bundle.entry[2].resource.ofType(Patient).birthDate`.
    public var location: String?
    public var line: Int?
    public var column: Int?

    public init(
        _ type: IssueType, _ message: String, location: String? = nil, line: Int? = nil,
        column: Int? = nil
    ) {
        self.type = type
        self.message = message
        self.location = location
        self.line = line
        self.column = column
    }

    /// One line: message, location, line and column.
    public var description: String {
        var text = message
        if let location { text += " at \(location)" }
        if let line {
            text += " (line \(line)"
            if let column { text += ", column \(column)" }
            text += ")"
        }
        return text
    }
}

/// Builds a FHIRPath-like location while a reader descends.
struct PathTracker {
    private struct Step {
        var name: String
        var index: Int?
        var resourceType: String?
    }

    private var steps: [Step] = []

    mutating func push(_ name: String, index: Int? = nil) {
        steps.append(Step(name: name, index: index))
    }

    mutating func pop() { steps.removeLast() }

    /// Notes the type of the resource the current step holds (for `.ofType(T)`).
    mutating func setResourceType(_ type: String) {
        if !steps.isEmpty { steps[steps.count - 1].resourceType = type }
    }

    mutating func setIndex(_ index: Int) {
        if !steps.isEmpty { steps[steps.count - 1].index = index }
    }

    var path: String {
        var out = ""
        for (i, step) in steps.enumerated() {
            if i > 0 { out += "." }
            out += step.name
            if let index = step.index { out += "[\(index)]" }
            if i > 0, let type = step.resourceType { out += ".ofType(\(type))" }
        }
        return out
    }
}
