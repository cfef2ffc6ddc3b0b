#!/usr/bin/env python3
"""Compile Profiles/*.json into the binary: writes Sources/RPLAdapter/Profiles.generated.swift.

The program must work as one copied file, so the conformance resources it is driven by are
embedded: the runtime copy as an element archive (no JSON parse at start-up), the whole copy as
JSON text for the rule book. `--check FILE` exits 1 when
FILE differs from what would be generated (a test runs it, so Profiles/ and the binary cannot
drift apart).
"""
import argparse, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def runtime(resource):
    """What the program reads of a resource, for the built-in copy: every start-up parses it, and
    reading costs time per byte. Descriptions, ValueSet titles, the
    PlanDefinition's card quotes (the same lines are in RPLGuideline/Card.swift, and a test keeps
    them equal with Profiles/) and the CodeSystems' displays stay in Profiles/, the copy people
    read and sites edit (`--profiles DIR` reads theirs whole). ValueSet concept displays stay
    in: the plan names a recognised code by them, whatever the sender's display said
    (interface.md v3)."""
    r = {k: v for k, v in resource.items() if k != 'description'}
    kind = r.get('resourceType')
    if kind == 'ValueSet':
        r.pop('title', None)
        # Each concept's source (the rule book's) is not read by the rules.
        for part in ('include', 'exclude'):
            for inc in r.get('compose', {}).get(part, []):
                inc['concept'] = [{k: v for k, v in c.items() if k != 'extension'} for c in inc.get('concept', [])] if 'concept' in inc else None
                if inc['concept'] is None:
                    del inc['concept']
    elif kind == 'PlanDefinition':
        r['action'] = [{k: v for k, v in a.items() if k in ('id', 'definitionCanonical')} for a in r.get('action', [])]
    elif kind == 'CodeSystem' and r.get('id') not in ('rpl-override-reason', 'rpl-text'):
        # (The override reasons' displays are read: serve offers them on its cards; the texts'
        # wordings are the plan's words.)
        r['concept'] = [{'code': c['code']} for c in r.get('concept', [])]
    return r


# The element model's JSON mapping (Sources/FHIR/JSON/JSONReader.swift), for the built-in copy.
CONTAINERS = {'contained', 'outcome', 'resource'}
KIND = {'string': 0, 'number': 1, 'boolean': 2, 'object': 3}


class Archive:
    """Element trees as ElementArchive (Sources/FHIR/Model/ElementArchive.swift) reads them: a
    table of distinct strings and, per node in document order, four numbers: name, value (index
    + 1, 0 for none), flags (value kind | resource << 2 | in an array << 3), child count."""

    def __init__(self):
        self.index = {}
        self.strings = []
        self.numbers = []

    def string(self, s):
        if s == '' or '\n' in s or '\r' in s:
            # One string a line; FHIR has no empty strings.
            raise SystemExit(f'{s!r}: an empty string or a line break cannot be archived')
        if s not in self.index:
            self.index[s] = len(self.strings)
            self.strings.append(s)
        return self.index[s]

    def node(self, name, value=None, kind='string', resource=False, array=False, children=()):
        self.numbers += [self.string(name), 0 if value is None else self.string(value) + 1,
                         KIND[kind] | (4 if resource else 0) | (8 if array else 0), len(children)]
        for child in children:
            child()

    def obj(self, name, o, array, where):
        """An object: a resource where one may stand (the root, contained, resource, outcome)."""
        if 'resourceType' in o and (name == '' or name in CONTAINERS):
            kids = self.members(o, where)
            resource = lambda: self.node(o['resourceType'], kind='object', resource=True, children=kids)
            if name == '':
                resource()
            else:
                self.node(name, array=array, children=[resource])
        else:
            self.node(name, kind='object', array=array, children=self.members(o, where))

    def members(self, o, where):
        out = []
        for key, v in o.items():
            if key == 'resourceType':
                continue
            if key.startswith('_') or v is None:
                raise SystemExit(f'{where}: {key}: primitive extensions and nulls are not archived; keep them out of the runtime copy')
            for item, array in ([(x, True) for x in v] if isinstance(v, list) else [(v, False)]):
                out.append(self.value(key, item, array, where))
        return out

    def value(self, name, v, array, where):
        if isinstance(v, dict):
            return lambda: self.obj(name, v, array, where)
        if isinstance(v, bool):
            return lambda: self.node(name, 'true' if v else 'false', 'boolean', array=array)
        if isinstance(v, Number):
            return lambda: self.node(name, v.text, 'number', array=array)
        if isinstance(v, str):
            if v == '':
                raise SystemExit(f'{where}: {name}: an empty string')
            return lambda: self.node(name, v, 'string', array=array)
        raise SystemExit(f'{where}: {name}: {v!r} is not FHIR JSON')


class Number:
    """A JSON number as its source text (the reader keeps `1.50` as written)."""

    def __init__(self, text):
        self.text = text


def load(path):
    return json.load(open(path, encoding='utf-8'), parse_int=Number, parse_float=Number)


def plain(v):
    """Numbers back as json's own, to write JSON."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, Number):
        return json.loads(v.text)
    return v


def swift_line(s):
    """A line of a Swift multi-line string literal holding `s` exactly: ASCII, escapes for the rest."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch == '\\':
            out.append('\\\\')
        elif ch == '"':
            out.append('\\"')
        elif 0x20 <= c < 0x7F:
            out.append(ch)
        else:
            out.append('\\u{%X}' % c)
    line = ''.join(out)
    if line.endswith(' '):
        line = line[:-1] + '\\u{20}'
    if line.startswith(' '):
        line = '\\u{20}' + line[1:]
    return line


def digits(n):
    """Base-32 digits, lowest first: '0'+d ends a number, 'P'+d goes on."""
    out = []
    while n >= 32:
        out.append(chr(0x50 + (n & 31)))
        n >>= 5
    out.append(chr(0x30 + n))
    return ''.join(out)


def render(profiles_dir):
    names = sorted(n for n in os.listdir(profiles_dir) if n.endswith('.json'))
    archive = Archive()
    archive.numbers.append(len(names))
    for n in names:
        archive.numbers.append(archive.string(n))
        archive.obj('', runtime(load(os.path.join(profiles_dir, n))), False, n)
    stream = ''.join(digits(x) for x in archive.numbers)
    out = ['// GENERATED by scripts/embed-profiles.py from Profiles/*.json. Do not edit: run',
           '// `python3 scripts/embed-profiles.py`.',
           '',
           '/// The built-in Profiles as ElementArchive reads them (no JSON to parse at start-up): first the',
           '/// distinct names and values, one a line; then the file count, and per file its name and tree.',
           f'/// {len(names)} files, {len(archive.numbers) // 4} nodes, {len(archive.strings)} strings.',
           'let embeddedProfileStrings: StaticString = """']
    out += [swift_line(x) for x in archive.strings]
    # Raw: the digits include a backslash.
    out += ['"""', '', 'let embeddedProfileNodes: StaticString = #"""']
    out += [stream[i:i + 120] for i in range(0, len(stream), 120)]
    out += ['"""#', '',
            "/// The built-in Profiles' file names (a site's copy must have each), without decoding them.",
            'let embeddedProfileNames: [String] = [']
    out += [f'    "{n}",' for n in names]
    out += [']', '',
            '/// The built-in Profiles whole (descriptions, displays, what each rule checks): read only by',
            '/// `rpl-adapter rules`, never at the start of `apply`.',
            'let embeddedProfileSources: [(name: String, json: String)] = [']
    for n in names:
        text = json.dumps(json.load(open(os.path.join(profiles_dir, n), encoding='utf-8')), separators=(',', ':'), ensure_ascii=False) + '\n'
        if '"####' in text:
            raise SystemExit(f'{n}: contains a raw-string delimiter')
        out.append(f'    ("{n}", ####"""\n{text}"""####),')
    out.append(']')
    return '\n'.join(out) + '\n'


def write_runtime_json(profiles_dir, out_dir):
    """The built-in copy as JSON, one file each (a test reads them with the JSON reader and
    compares the archive's trees)."""
    os.makedirs(out_dir, exist_ok=True)
    for n in sorted(n for n in os.listdir(profiles_dir) if n.endswith('.json')):
        r = runtime(load(os.path.join(profiles_dir, n)))
        with open(os.path.join(out_dir, n), 'w', encoding='utf-8') as f:
            f.write(dumps_exact(r))


def dumps_exact(v):
    """JSON with each number as its source text."""
    if isinstance(v, dict):
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + dumps_exact(x) for k, x in v.items()) + '}'
    if isinstance(v, list):
        return '[' + ','.join(dumps_exact(x) for x in v) + ']'
    if isinstance(v, Number):
        return v.text
    return json.dumps(v, ensure_ascii=False)


def camel(text):
    """'RPL-APL-REPEAT' -> 'aplRepeat', 'NR-DRUGS' -> 'nrDrugs', 'thyroid-tsh' -> 'thyroidTsh'."""
    parts = [p for p in text.replace('_', '-').split('-') if p]
    if parts and parts[0] == 'RPL':
        parts = parts[1:]
    if parts and parts[0] == 'rpl':
        parts = parts[1:]
    words = [p.lower() for p in parts]
    name = words[0] + ''.join(w[:1].upper() + w[1:] for w in words[1:])
    return ('_' + name) if name[:1].isdigit() else name


def codes(profiles_dir, name):
    cs = json.load(open(os.path.join(profiles_dir, name), encoding='utf-8'))
    return [(c['code'], c.get('display', '')) for c in cs['concept']]


def render_enum(type_name, doc, items, public=True, ordinal=False):
    access = 'public ' if public else ''
    out = [f'/// {line}' for line in doc] + [f'{access}enum {type_name}: String, CaseIterable, Sendable {{']
    seen = []
    for code, display in items:
        case = camel(code)
        if case in seen:
            raise SystemExit(f'{type_name}: two ids give the case name {case}')
        seen.append(case)
        if display:
            out.append(f'    /// {display}')
        out.append(f'    case {case} = "{code}"')
    if ordinal:
        out += ['', '    /// Its place among `allCases`: tables indexed by it need no hashing of the id.',
                f'    {access}var ordinal: Int {{', '        switch self {']
        out += [f'        case .{case}: return {i}' for i, case in enumerate(seen)]
        out += ['        }', '    }']
    out.append('}')
    return out


def render_ids(profiles_dir):
    """Sources/RPLGuideline/Ids.generated.swift: the rule and activity ids of Profiles/."""
    out = ['// GENERATED by scripts/embed-profiles.py from Profiles/CodeSystem-rpl-rule.json and',
           '// CodeSystem-rpl-activity.json. Do not edit: run `python3 scripts/embed-profiles.py`.',
           '// A test fails when this file and Profiles/ drift apart.', '']
    out += render_enum('RuleID', ['A rule id of the card (guideline.md), as CodeSystem rpl-rule defines it: a wrong id is a',
                                  'compile error, not a rule that silently never matches.'], codes(profiles_dir, 'CodeSystem-rpl-rule.json'))
    out.append('')
    out += render_enum('ActivityID', ['An activity of the order catalogue (an ActivityDefinition in Profiles/), as CodeSystem',
                                      'rpl-activity defines it.'], codes(profiles_dir, 'CodeSystem-rpl-activity.json'))
    return '\n'.join(out) + '\n'


def render_valuesets(profiles_dir):
    """Sources/RPLAdapter/ValueSetID.generated.swift: the recognition ValueSets of Profiles/."""
    items = []
    for n in sorted(os.listdir(profiles_dir)):
        if n.startswith('ValueSet-') and n.endswith('.json'):
            vs = json.load(open(os.path.join(profiles_dir, n), encoding='utf-8'))
            items.append((vs['id'], vs.get('title', '')))
    out = ['// GENERATED by scripts/embed-profiles.py from Profiles/ValueSet-*.json. Do not edit: run',
           '// `python3 scripts/embed-profiles.py`. A test fails when this file and Profiles/ drift apart.', '']
    out += render_enum('ValueSetID', ['A recognition ValueSet of Profiles/ (terminology.md): which codes mean TSH, a pregnancy',
                                      'loss, …  A mistyped ValueSet id is a compile error, not a list that matches nothing.'], items, ordinal=True)
    return '\n'.join(out) + '\n'


OUTPUTS = {
    'Sources/RPLAdapter/Profiles.generated.swift': render,
    'Sources/RPLGuideline/Ids.generated.swift': render_ids,
    'Sources/RPLAdapter/ValueSetID.generated.swift': render_valuesets,
}


def main():
    ap = argparse.ArgumentParser(description='Writes the Swift files generated from Profiles/ (or checks them with --check).')
    ap.add_argument('--profiles', default=os.path.join(HERE, '..', 'Profiles'))
    ap.add_argument('--check', action='store_true', help='exit 1 when a generated file differs from what Profiles/ gives')
    ap.add_argument('--runtime-json', metavar='DIR', help='write the built-in copy as JSON files into DIR (for a test) and stop')
    a = ap.parse_args()
    if a.runtime_json:
        write_runtime_json(a.profiles, a.runtime_json)
        return
    root = os.path.join(HERE, '..')
    drift = False
    for rel, make in OUTPUTS.items():
        text = make(a.profiles)
        path = os.path.join(root, rel)
        if a.check:
            current = open(path, encoding='utf-8').read() if os.path.exists(path) else None
            if current != text:
                print(f'{rel} differs from Profiles/: run scripts/embed-profiles.py', file=sys.stderr)
                drift = True
        else:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    if a.check:
        if drift:
            sys.exit(1)
        print('generated files match Profiles/')


if __name__ == '__main__':
    main()
