import Testing
import FHIR  // not @testable: what another module sees

/// Element's initialiser is internal (Swift's memberwise one builds a node in place: issue 20); the
/// public factories build every node another module can, each field as given.
@Suite struct ElementFactoryTests {
    @Test func nodeTakesEveryField() {
        let kid = Element.primitive("id", "a1")
        let node = Element.node("valueQuantity", value: "1.50", valueKind: .number, isResource: false, wasArray: true, children: [kid])
        #expect(node.name == "valueQuantity")
        #expect(node.value == "1.50")
        #expect(node.valueKind == .number)
        #expect(node.isResource == false)
        #expect(node.wasArray == true)
        #expect(node.children == [kid])
        let bare = Element.node("code")
        #expect(bare.value == nil && bare.valueKind == .string && !bare.isResource && !bare.wasArray && bare.children.isEmpty)
        #expect(Element.node("Patient", isResource: true, children: [kid]) == Element.resource("Patient", [kid]))
        #expect(Element.node("code", children: [kid]) == Element.complex("code", [kid]))
    }
}
