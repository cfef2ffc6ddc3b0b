import RPLGuideline

// The output's language (issue 19): the phrases the rules and fact sources write, rendered with
// the catalogue in Profiles (`CodeSystem-rpl-text`).

extension Phrase {
    /// English, for operators (standard error, the Result's warnings): as the Swift literal says,
    /// with the card's rejected term rewritten.
    public var operatorText: String { rplTerm(description) }
}

extension Wording {
    /// A phrase as a clinician reads it: in this language, the card's rejected term rewritten
    /// (RPL-TERM). Every writer of clinicians' texts calls this.
    public func text(_ phrase: Phrase) -> String { rplTerm(phrase.rendered(in: self)) }

    /// A warning about the input as the plan's note (and the card) says it.
    public static func inputWarning(_ warning: Phrase) -> Phrase { "Input warning: \(warning)" }
}
