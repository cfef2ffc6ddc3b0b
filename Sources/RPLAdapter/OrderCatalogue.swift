import FHIR
import RPLGuideline

/// The order catalogue (issue 17, part 2): each ActivityDefinition of Profiles/ with the items
/// its `activity-item` extension lists, read once when the Profiles load, so no reader or writer
/// parses the extension again.
public struct OrderCatalogue: Sendable {
    /// One test of an activity: the lupus anticoagulant of the antiphospholipid tests, the FSH of
    /// the hormone profile.
    public struct Item: Sendable {
        /// Its item code (`lupus-anticoagulant`): the ValueSet `rpl-<item>` recognises its results.
        public let item: String
        /// The coding as the ActivityDefinition gives it (written into an order as it stands).
        public let coding: Element?
        public let code: CodeKey?
        /// Its name in an order's text; the item code where none is given.
        public let text: String
        /// The SpecimenDefinition id its `specimen` names, where it has its own.
        public let specimen: String?
    }

    public let items: [ActivityID: [Item]]

    init(resources: [String: Element]) {
        var items: [ActivityID: [Item]] = [:]
        for activity in ActivityID.allCases {
            guard let ad = resources["ActivityDefinition/" + activity.rawValue] else { continue }
            for ext in ad.children("extension") where ext.string("url")?.hasSuffix("/activity-item") == true {
                let parts = ext.children("extension")
                func part(_ name: String) -> Element? { parts.first { $0.string("url") == name } }
                guard let item = part("item")?.string("valueCode") else { continue }
                let coding = part("code")?.child("valueCoding")
                let code = coding.flatMap { c in c.string("system").flatMap { s in c.string("code").map { CodeKey(system: s, code: $0) } } }
                let specimen = part("specimen")?.string("valueCanonical").map { String($0.split(separator: "/").last ?? "") }
                items[activity, default: []].append(Item(item: item, coding: coding, code: code, text: part("text")?.string("valueString") ?? item, specimen: specimen))
            }
        }
        self.items = items
    }

    public func items(of activity: ActivityID) -> [Item] { items[activity] ?? [] }
}
