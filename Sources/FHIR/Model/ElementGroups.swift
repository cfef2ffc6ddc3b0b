/// Children grouped by name (first appearance), ordered by the R4 definition of their parent's
/// type; names the definition does not know keep their input order after the known ones.
struct ElementGroups {
    struct Group {
        var name: String
        var info: TypeTable.ElementInfo?
        var members: [Element]
    }

    static func make(_ children: [Element], in type: TypeTable.TypeInfo?) -> [Group] {
        var groups: [Group] = []
        groups.reserveCapacity(children.count)
        // Beyond a few names, a hash index keeps wide (hostile) objects linear.
        var index: [String: Int]?
        for child in children {
            // Siblings of one name are almost always adjacent: look at the last group first.
            if let last = groups.indices.last, groups[last].name == child.name {
                groups[last].members.append(child)
                continue
            }
            let existing = index.map { $0[child.name] } ?? groups.firstIndex(where: { $0.name == child.name })
            if let i = existing {
                groups[i].members.append(child)
            } else {
                groups.append(Group(name: child.name, info: type?.element(child.name), members: [child]))
                if index != nil {
                    index![child.name] = groups.count - 1
                } else if groups.count > 32 {
                    index = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1.name, $0) })
                }
            }
        }
        if type != nil {
            var sorted = true
            var previous = -1
            for g in groups {
                let index = g.info?.index ?? Int.max
                if index < previous { sorted = false; break }
                previous = index
            }
            if !sorted {
                // Stable: unknown names (Int.max) keep their relative order.
                groups = groups.enumerated().sorted { a, b in
                    let ia = a.element.info?.index ?? Int.max
                    let ib = b.element.info?.index ?? Int.max
                    return ia != ib ? ia < ib : a.offset < b.offset
                }.map(\.element)
            }
        }
        return groups
    }
}
