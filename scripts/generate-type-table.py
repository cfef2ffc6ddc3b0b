#!/usr/bin/env python3
"""Generate Sources/FHIR/Model/TypeTable.generated.swift from the official R4 (4.0.1) definitions.

The JSON schema gives, for every type, its elements in definition order, each element's type and
whether it repeats (choice types arrive expanded: valueQuantity, valueString, ...; content
references arrive as $ref to the shared backbone type, e.g. Questionnaire_Item). The XSD is read
too and must agree on order and cardinality: if HL7's two renderings disagree, generation fails.

Usage: generate-type-table.py [--schemas DIR] [--check FILE]
  default: write the Swift source to stdout; --check: exit 1 when FILE differs from what would be
  generated (the drift test runs this).
"""
import argparse, json, os, sys
import xml.etree.ElementTree as ET

XS = '{http://www.w3.org/2001/XMLSchema}'
HERE = os.path.dirname(os.path.abspath(__file__))


def load_json_schema(path):
    with open(path, encoding='utf-8') as f:
        schema = json.load(f)
    defs = schema['definitions']
    resources = [r['$ref'].split('/')[-1] for r in defs['ResourceList']['oneOf']]
    primitives = {}
    types = {}
    for name, d in defs.items():
        if 'properties' not in d:
            if name == 'xhtml':
                primitives[name] = 'x'
            elif d.get('type') in ('string', 'number', 'boolean'):
                primitives[name] = {'string': 's', 'number': 'n', 'boolean': 'b'}[d['type']]
            continue
        elements = []
        for prop, p in d['properties'].items():
            if prop.startswith('_') or (prop == 'resourceType' and name in resources):
                continue
            if p.get('type') == 'array':
                ref, repeats = p['items'].get('$ref'), True
            else:
                ref, repeats = p.get('$ref'), False
            if ref is None:
                # A primitive described inline (a pattern or an enum): its type name comes from
                # the XSD later; keep what the JSON schema says about its kind meanwhile.
                inline = p['items'] if repeats else p
                kind = 'code' if 'enum' in inline else '?' + inline['type']
                elements.append((prop, kind, repeats))
                continue
            elements.append((prop, ref.split('/')[-1], repeats))
        types[name] = elements
    return primitives, types, resources


def load_xsd(xsd_dir):
    """complexType name -> (base, [(element name, repeats, type)], [choice groups]) from every XSD
    file; a choice group is the set of names of one non-repeating xs:choice (a choice element's
    types, deceasedBoolean and deceasedDateTime: at most one of them)."""
    out = {}
    for fn in sorted(os.listdir(xsd_dir)):
        if not fn.endswith('.xsd') or fn in ('fhir-single.xsd', 'fhir-all.xsd', 'xml.xsd',
                                               'xmldsig-core-schema.xsd', 'fhir-xhtml.xsd'):
            continue
        root = ET.parse(os.path.join(xsd_dir, fn)).getroot()
        for ct in root.iter(XS + 'complexType'):
            name = ct.get('name')
            if name is None:
                continue
            ext = ct.find(f'{XS}complexContent/{XS}extension')
            base = ext.get('base') if ext is not None else None
            seq = []
            scope = ext if ext is not None else ct
            for el in scope.iter(XS + 'element'):
                if el.get('name') is not None:
                    seq.append((el.get('name'), el.get('maxOccurs', '1'), el.get('type')))
                elif el.get('ref') == 'xhtml:div':  # Narrative.div, the XHTML element
                    seq.append(('div', el.get('maxOccurs', '1'), 'xhtml'))
            # choice elements: their maxOccurs sits on the xs:choice
            choice_max = {}
            groups = []
            for ch in scope.iter(XS + 'choice'):
                for el in ch.iter(XS + 'element'):
                    choice_max[el.get('name')] = ch.get('maxOccurs', '1')
                if ch.get('maxOccurs', '1') == '1':
                    groups.append({el.get('name') for el in ch.iter(XS + 'element')})
            seq = [(n, choice_max.get(n, mx) != '1', t) for n, mx, t in seq]
            out[name] = (base, seq, groups)
    return out


def xsd_elements(xsd, name):
    base, seq, _ = xsd[name]
    inherited = xsd_elements(xsd, base) if base in xsd else []
    return inherited + seq


def xsd_choice_groups(xsd, name):
    """The type's choice groups, its bases' first."""
    base, _, groups = xsd[name]
    inherited = xsd_choice_groups(xsd, base) if base in xsd else []
    return inherited + groups


def resolve_inline(types, xsd, primitives):
    """Name the inline primitives by the XSD's element type (e.g. Extension.valueBase64Binary)."""
    for name, elements in types.items():
        xname = name.replace('_', '.')
        xtypes = {n: t for n, _, t in xsd_elements(xsd, xname)} if xname in xsd else {}
        for i, (n, t, r) in enumerate(elements):
            if t.startswith('?'):
                xt = xtypes.get(n)
                if xt in primitives:
                    t = xt
                else:
                    t = {'?string': 'string', '?number': 'decimal', '?boolean': 'boolean'}[t]
                elements[i] = (n, t, r)


tolerated = []


def cross_check(types, xsd):
    checked = 0
    for name, elements in types.items():
        xname = name.replace('_', '.')
        if xname not in xsd:
            continue
        xs = [(n, r) for n, r, _ in xsd_elements(xsd, xname)]
        js = [(n, r) for n, _, r in elements]
        # XML carries Element.id and Extension.url as attributes, not elements.
        js_cmp = [e for e in js if not (e[0] == 'id' and 'id' not in [x[0] for x in xs])
                  and not (name == 'Extension' and e[0] == 'url')]
        if js_cmp != xs and [e for e in js_cmp if e[0] != 'modifierExtension'] == xs:
            # Known disagreement in HL7's own files: the JSON schema gives some complex types
            # that derive from Element (DataRequirement.codeFilter, ...) a modifierExtension
            # that the XSD lacks. Keep it (it reads JSON that has it), note it.
            tolerated.append(name)
            continue
        if js_cmp != xs:
            raise SystemExit(f'{name}: JSON schema and XSD disagree:\n json {js_cmp}\n xsd  {xs}')
        checked += 1
    return checked


def render(primitives, types, resources, checked, xsd):
    lines = []
    for p in sorted(primitives):
        lines.append(f'P {p} {primitives[p]}')
    rset = set(resources)
    for name in sorted(types):
        kind = 'R' if name in rset else 'T'
        xname = name.replace('_', '.')
        group_of = {}
        for g, members in enumerate(xsd_choice_groups(xsd, xname) if xname in xsd else []):
            for n in members:
                group_of[n] = g
        names = {n for n, _, _ in types[name]}
        for g in set(group_of.values()):
            members = [n for n in group_of if group_of[n] == g]
            if len([n for n in members if n in names]) < 2:
                raise SystemExit(f'{name}: a choice group with fewer than two elements: {members}')
        if len(set(group_of.values())) > 64:
            raise SystemExit(f'{name}: more than 64 choice groups (the reader keeps them in a 64-bit set)')
        if any(r for n, _, r in types[name] if n in group_of):
            raise SystemExit(f'{name}: a repeating element in a choice group')
        els = ' '.join(f'{n}:{t}{"*" if r else ""}{"|" + str(group_of[n]) if n in group_of else ""}' for n, t, r in types[name])
        lines.append(f'{kind} {name} {els}')
    body = '\n'.join(lines)
    containers = sorted({n for els in types.values() for n, t, _ in els if t == 'ResourceList'})
    names = ', '.join(f'"{n}"' for n in containers)
    return f'''// GENERATED by scripts/generate-type-table.py from the FHIR R4 4.0.1 JSON schema and XSDs
// ({len(types)} types, {len(primitives)} primitive types; order and cardinality of {checked} types
// cross-checked between the two; {len(tolerated)} types have a modifierExtension in the JSON schema
// only: {', '.join(tolerated)}). Do not edit: run `python3 scripts/generate-type-table.py >
// Sources/FHIR/Model/TypeTable.generated.swift`. A test fails when this file and the generator drift apart.
//
// One line per type: `P name kind` for primitives (s string, n number, b boolean, x xhtml);
// `R name elements` for resources, `T name elements` for other types; an element is
// `name:type`, with `*` when it repeats, `|g` when it is one of the types of choice element g
// of the type (at most one of a group may be present), in definition order.

/// Names of the elements whose type is ResourceList (a resource sits inside them).
let generatedResourceContainerNames: Set<String> = [{names}]

let generatedTypeTable = """
{body}
"""
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--schemas', default=os.path.join(HERE, '..', 'TestData', 'corpus', 'schemas'))
    ap.add_argument('--check')
    a = ap.parse_args()
    primitives, types, resources = load_json_schema(os.path.join(a.schemas, 'json', 'fhir.schema.json'))
    xsd = load_xsd(os.path.join(a.schemas, 'xsd'))
    resolve_inline(types, xsd, primitives)
    checked = cross_check(types, xsd)
    text = render(primitives, types, resources, checked, xsd)
    if a.check:
        with open(a.check, encoding='utf-8') as f:
            if f.read() != text:
                print(f'{a.check} differs from the generator output: regenerate it', file=sys.stderr)
                sys.exit(1)
        print(f'{a.check} matches the generator ({len(types)} types)')
    else:
        sys.stdout.write(text)


if __name__ == '__main__':
    main()
