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
    /// Each activity's request category (the ActivityDefinition's `request-category` extension),
    /// as written into its requests, and the SNOMED codes it holds.
    public let categories: [ActivityID: Element]
    public func categoryCodes(of activity: ActivityID) -> [String] {
        categories[activity]?.children("coding").compactMap { $0.string("code") } ?? []
    }
    /// The SpecimenDefinition id an activity names (`specimenRequirement`).
    let activitySpecimen: [ActivityID: String]
    /// The SpecimenDefinitions of Profiles/, typed, by id.
    let specimens: [String: OrderSet.Specimen]

    init(resources: [String: Element]) {
        var items: [ActivityID: [Item]] = [:]
        var activitySpecimen: [ActivityID: String] = [:]
        var categories: [ActivityID: Element] = [:]
        for activity in ActivityID.allCases {
            guard let ad = resources["ActivityDefinition/" + activity.rawValue] else { continue }
            if let ext = ad.children("extension").first(where: { $0.string("url")?.hasSuffix("/request-category") == true }),
               var concept = ext.child("valueCodeableConcept") {
                concept.name = "category"
                categories[activity] = concept
            }
            activitySpecimen[activity] = ad.children("specimenRequirement").first?.string("reference").map { String($0.split(separator: "/").last ?? "") }
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
        self.activitySpecimen = activitySpecimen
        self.categories = categories
        var specimens: [String: OrderSet.Specimen] = [:]
        for (key, sd) in resources where key.hasPrefix("SpecimenDefinition/") {
            func coding(_ concept: Element?, _ system: String) -> OrderSet.Coding? {
                concept?.children("coding").first { $0.string("system") == system }.map(OrderSet.Coding.init)
            }
            specimens[String(key.dropFirst("SpecimenDefinition/".count))] = OrderSet.Specimen(
                type: coding(sd.child("typeCollected"), "http://terminology.hl7.org/CodeSystem/v2-0487"),
                additive: coding(sd.all("typeTested.container.additive.additiveCodeableConcept").first, "http://terminology.hl7.org/CodeSystem/v2-0371"))
        }
        self.specimens = specimens
    }

    /// What the lab collects for an order of `activity` coded `codes`: the SpecimenDefinition of
    /// the ordered item where it names its own (the lupus anticoagulant: citrated plasma), else the
    /// activity's; nil where Profiles define none.
    public func specimen(of activity: ActivityID, codes: Set<String>) -> OrderSet.Specimen? {
        var id = activitySpecimen[activity]
        for item in items(of: activity) {
            // By the code alone, as the order carries it (a site's coding may leave out the system).
            guard let code = item.coding?.string("code"), codes.contains(code), let specimen = item.specimen else { continue }
            id = specimen
        }
        return id.flatMap { specimens[$0] }
    }

    public func items(of activity: ActivityID) -> [Item] { items[activity] ?? [] }
}
