import RPLGuideline

// The output's language (issue 19): the phrases the rules and fact sources write, rendered with
// the catalogue in Profiles (`CodeSystem-rpl-text`).

extension Phrase {
    /// English, for operators (standard error, the Result's warnings): as the Swift literal says,
    /// with the card's rejected term rewritten.
    public var operatorText: String { rplTerm(description) }
}

extension Wording {
    /// A warning about the input as the plan's note says it.
    public func render(inputWarning warning: Phrase) -> String {
        Phrase(template: "Input warning: {0}", arguments: [.phrase(warning)]).rendered(in: self)
    }
}
