/// OperationOutcome: how errors in the input are reported.
public enum OperationOutcome {
    static let lineExtension = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
    static let columnExtension = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col"

    /// One issue per error: severity error, the issue type, the message as diagnostics, the
    /// location as FHIRPath in `expression`, line and column as the standard extensions.
    public static func make(_ errors: [FHIRFormatError]) -> Element {
        var issues: [Element] = []
        for error in errors {
            var issue: [Element] = []
            if let line = error.line {
                issue.append(.complex("extension", [
                    .primitive("url", lineExtension), .primitive("valueInteger", String(line), kind: .number),
                ]))
                if let column = error.column {
                    issue.append(.complex("extension", [
                        .primitive("url", columnExtension), .primitive("valueInteger", String(column), kind: .number),
                    ]))
                }
            }
            issue.append(.primitive("severity", "error"))
            issue.append(.primitive("code", error.type.rawValue))
            issue.append(.primitive("diagnostics", error.description))
            if let location = error.location { issue.append(.primitive("expression", location)) }
            issues.append(.complex("issue", issue))
        }
        return .resource("OperationOutcome", issues)
    }
}
