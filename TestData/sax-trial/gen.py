#!/usr/bin/env python3
"""Bounded XML document generator for the SAX-path audit. Writes N documents (bytes) into OUT/
with a manifest.tsv of (name, mutations). Deterministic for a seed."""
import os, re, random, sys, glob

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
OUT = sys.argv[3] if len(sys.argv) > 3 else '/tmp/saxaudit/gen'
rnd = random.Random(SEED)
os.makedirs(OUT, exist_ok=True)

FHIR = 'http://hl7.org/fhir'
XHTML = 'http://www.w3.org/1999/xhtml'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'

seeds = []
for pat in ['/work/main/TestData/corpus/hl7-examples/xml/*.xml',
            '/work/main/TestData/corpus/lab-ig/nictiz-zib2020-xml/*.xml',
            '/work/main/Fixtures/**/*.xml']:
    for f in sorted(glob.glob(pat, recursive=True)):
        b = open(f, 'rb').read()
        if len(b) < 400_000:
            seeds.append((os.path.basename(f), b.decode('utf-8', 'replace')))

# ---------------------------------------------------------------- narratives
TEXT_BITS = ['a', 'Hello world', ' ', '\n  ', '\t', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x41;',
             '&#160;', '&#xA0;', '&#13;', '&#10;', '&#9;', 'é', 'ü', '→', '€', '1 &lt; 2', 'x;y', 'a&amp;b;c', '&#38;',
             '\r\n', '"quoted"', "it's", '>', ']]', 'CR\rLF', '&#x1F600;', '😀', '\u00a0']
ATTRS = ['class="a"', "class='a'", 'title="x&gt;y"', 'title="x>y"', "title='a\"b'", 'title="a\'b"', 'style="c:d"',
         'title="&amp;"', 'title="&#65;"', 'title="line\nbreak"', 'id="i1"', 'lang="nl"', 'xml:lang="nl"',
         'href="http://x/?a=1&amp;b=2"', 'title=""', 'title = "sp"', 'title="/"', 'title="a/>b"']
TAGS = ['p', 'b', 'i', 'span', 'table', 'tr', 'td', 'ul', 'li', 'a', 'h1', 'pre', 'div', 'code']


def xhtml_content(depth):
    out = []
    for _ in range(rnd.randint(0, 4)):
        r = rnd.random()
        if r < 0.40:
            out.append(rnd.choice(TEXT_BITS))
        elif r < 0.47:
            out.append(rnd.choice(['<br/>', '<br />', '<br></br>', '<br\n/>', '<hr/>', '<img src="x.png" alt="a&amp;b"/>']))
        elif r < 0.50:
            out.append(rnd.choice(['<!-- c -->', '<!---->', '<?pi x?>', '<![CDATA[ a<b ]]>', '<![CDATA[]]>', '<![CDATA[ ]]>']))
        elif r < 0.53:
            out.append(rnd.choice(['<h:b xmlns:h="%s">x</h:b>' % XHTML, '<span xmlns="%s">s</span>' % XHTML,
                                   '<o:x xmlns:o="urn:other">o</o:x>', '<x xmlns="urn:other"/>',
                                   '<div xmlns="%s">inner</div>' % XHTML, '<div/>', '<div></div>', '<p/>', '<p></p>',
                                   '<h:div xmlns:h="%s">hd</h:div>' % XHTML]))
        elif depth < 4:
            t = rnd.choice(TAGS)
            attrs = ''
            if rnd.random() < 0.3:
                picked, seen = [], set()
                for a in rnd.sample(ATTRS, rnd.randint(1, 2)):
                    k = a.split('=')[0].strip()
                    if k not in seen:
                        seen.add(k); picked.append(a)
                attrs = ' ' + ' '.join(picked)
                # avoid duplicate attribute names being common
            sep = rnd.choice(['', '', ' ', '\n   '])
            inner = xhtml_content(depth + 1)
            if inner == '' and rnd.random() < 0.5:
                out.append('<%s%s%s/>' % (t, attrs, sep))
            else:
                out.append('<%s%s%s>%s</%s%s>' % (t, attrs, sep, inner, t, rnd.choice(['', '', ' ', '\n'])))
    return ''.join(out)


def div_open():
    r = rnd.random()
    if r < 0.55:
        return '<div xmlns="%s">' % XHTML, '</div>'
    opts = [
        ("<div xmlns='%s'>" % XHTML, '</div>'),
        ('<div\n   xmlns="%s"\n>' % XHTML, '</div>'),
        ('<div class="a>b" xmlns="%s">' % XHTML, '</div>'),
        ('<div xmlns="%s" class="x">' % XHTML, '</div >'),
        ('<div title="xmlns=&quot;%s&quot;" xmlns="%s">' % (XHTML, XHTML), '</div>'),
        ('<h:div xmlns:h="%s">' % XHTML, '</h:div>'),
        ('<div xmlns="%s" xmlns:h="%s">' % (XHTML, XHTML), '</div>'),
        ('<div xmlns:xsi="%s" xmlns="%s" xsi:x="y">' % (XSI, XHTML), '</div>'),
        ('<div\txmlns="%s"\t>' % XHTML, '</div\t>'),
        ('<div xmlns = "%s">' % XHTML, '</div>'),
        ('<div xmlns="%s" xml:lang="nl" lang="nl">' % XHTML, '</div>'),
    ]
    return rnd.choice(opts)


def narrative():
    r = rnd.random()
    if r < 0.08:
        return rnd.choice(['<div xmlns="%s"/>' % XHTML, '<div xmlns="%s" />' % XHTML, "<div xmlns='%s'/>" % XHTML,
                           '<div xmlns="%s"></div>' % XHTML])
    o, c = div_open()
    return o + xhtml_content(0) + c


def text_element():
    return '<text><status value="generated"/>%s</text>' % narrative()

# ---------------------------------------------------------------- helpers on documents


def strip_decl(s):
    s = s.lstrip('\ufeff')
    s = re.sub(r'^\s*<\?xml[^?]*\?>\s*', '', s)
    return s


def root_to_nested(s):
    """A seed document's root as a nested resource (drop xmlns="http://hl7.org/fhir" on the root)."""
    s = strip_decl(s)
    s = re.sub(r'<!--.*?-->', '', s, flags=re.S) if rnd.random() < 0.5 else s
    return s.replace(' xmlns="http://hl7.org/fhir"', '', 1)


def tag_positions(s):
    """Start offsets of start tags of FHIR-ish elements (outside narratives, roughly)."""
    return [m.start() for m in re.finditer(r'<[A-Za-z][A-Za-z0-9]*[ />]', s)]


def boundary_positions(s):
    return [m.start() + 1 for m in re.finditer(r'>\s*<', s)]


def find_resource_elems(s):
    """Positions right after a resource start tag's '>' (upper-case element names)."""
    return [m.end() for m in re.finditer(r'<[A-Z][A-Za-z]+(\s[^>]*)?>', s)]


def insert_at(s, pos, text):
    return s[:pos] + text + s[pos:]


def outside_divs(s):
    """Ranges of outermost narratives (div tags balanced by local name)."""
    out = []
    depth = 0
    start = 0
    for m in re.finditer(r'<(/?)(?:[A-Za-z]+:)?div\b[^>]*?(/?)>', s):
        if m.group(1):
            if depth > 0:
                depth -= 1
                if depth == 0:
                    out.append((start, m.end()))
        elif m.group(2):
            if depth == 0:
                out.append((m.start(), m.end()))
        else:
            if depth == 0:
                start = m.start()
            depth += 1
    return out


def pick_boundary(s):
    b = boundary_positions(s)
    return rnd.choice(b) if b else len(s)


def mutate_value_attr(s, fn):
    ms = [m for m in re.finditer(r'value="([^"]*)"', s)]
    if not ms:
        return s
    m = rnd.choice(ms)
    return s[:m.start(1)] + fn(m.group(1)) + s[m.end(1):]


VALUE_BITS = ['&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x41;', '&#10;', '&#9;', '&#13;', '&#xD;&#xA;',
              '\n', '\t', '\r', '\r\n', '  ', '&#160;', 'é', '😀', '&#x1F600;', '>', "'", '&amp;amp;', '&#38;#65;',
              '&amp;lt;', ' ', '&#32;']


def add_start_tag_attr(s, attr):
    ts = [m for m in re.finditer(r'<([a-z][A-Za-z0-9]*)(\s[^<>]*?)?(/?)>', s)]
    if not ts:
        return s
    m = rnd.choice(ts)
    endpos = m.end() - (2 if m.group(3) else 1)
    return s[:endpos] + ' ' + attr + s[endpos:]


def add_resource_attr(s, attr):
    ts = [m for m in re.finditer(r'<([A-Z][A-Za-z0-9]*)(\s[^<>]*?)?(/?)>', s)]
    if not ts:
        return s
    m = rnd.choice(ts)
    endpos = m.end() - (2 if m.group(3) else 1)
    return s[:endpos] + ' ' + attr + s[endpos:]


def deep_ext(d, leaf='<valueString value="v"/>'):
    return '<extension url="http://x/e">' * d + leaf + '</extension>' * d


def mutate(s):
    """One mutation on a text document; returns (text or bytes, name)."""
    ops = [
        'crlf', 'tabs', 'bom', 'decl', 'multiline', 'comment', 'pi', 'ws', 'wsref', 'text', 'attrbits', 'emptyvalue',
        'unknownattr', 'xsiattr', 'nsattr', 'undefprefix', 'xmlspace', 'idattr', 'urlattr', 'nonfhir', 'afterroot',
        'truncate', 'badbytes', 'longattr', 'longtext', 'longws', 'deep', 'narrative', 'narrative2', 'narrativeplace',
        'cdata', 'entity', 'dupattr', 'resattr', 'prefixfhir', 'elemafterresource', 'contained', 'longcomment',
        'longnarrtext', 'charrefws', 'nul', 'redeclare', 'singlequote', 'spacesintag']
    benign = ['crlf', 'tabs', 'bom', 'decl', 'multiline', 'comment', 'pi', 'ws', 'wsref', 'attrbits', 'xsiattr', 'idattr',
              'longattr', 'longws', 'deep', 'narrative', 'narrative', 'narrative', 'narrative2', 'narrative2', 'narrativeplace',
              'contained', 'longcomment', 'pad', 'pad', 'narrative', 'narrative2', 'longnarrtext', 'longnarrtext', 'singlequote', 'spacesintag', 'prefixfhir', 'redeclare', 'charrefws']
    op = rnd.choice(benign) if rnd.random() < 0.75 else rnd.choice(ops)
    if op == 'pad':
        k = rnd.randint(1, 600)
        m = re.search(r'<[A-Z][A-Za-z]+[^>]*>', s)
        return (insert_at(s, m.end(), '<!--' + 'p' * k + '-->') if m else s), op
    if op == 'crlf':
        return s.replace('\n', '\r\n'), op
    if op == 'tabs':
        return re.sub(r'\n( +)', lambda m: '\n' + '\t' * (len(m.group(1)) // 2), s), op
    if op == 'bom':
        return '\ufeff' + s, op
    if op == 'decl':
        d = rnd.choice(['<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' encoding='utf-8'?>",
                        '<?xml version="1.0" encoding="utf8"?>', '<?xml version="1.0" standalone="yes"?>',
                        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- lead -->\n<?pi x?>', '<?xml version="1.1"?>',
                        '<?xml version="1.0" encoding="ISO-8859-1"?>', '\n<?xml version="1.0"?>', '<?xml version="1.0" ?>\r\n'])
        return d + strip_decl(s), op
    if op == 'multiline':
        return re.sub(r'(<[a-z][A-Za-z]*) (value|url|id)=', lambda m: m.group(1) + rnd.choice(['\n    ', '\r\n\t', '\t', '  ']) + m.group(2) + '=', s, count=rnd.randint(1, 50)), op
    if op == 'comment':
        for _ in range(rnd.randint(1, 5)):
            s = insert_at(s, pick_boundary(s), rnd.choice(['<!-- c -->', '<!---->', '<!-- <div xmlns="%s">x</div> -->' % XHTML, '<!--\n-->', '<!-- a > b -->']))
        return s, op
    if op == 'pi':
        return insert_at(s, pick_boundary(s), rnd.choice(['<?pi x?>', '<?pi?>', '<?pi <div xmlns="%s">?>' % XHTML])), op
    if op == 'ws':
        return insert_at(s, pick_boundary(s), rnd.choice([' ', '\n', '\t', '\r\n', '\r', '   \n\t'])), op
    if op == 'wsref':
        return insert_at(s, pick_boundary(s), rnd.choice(['&#32;', '&#10;', '&#x9;', '&#13;', '&#160;', '&#xA0;'])), op
    if op == 'charrefws':
        return insert_at(s, pick_boundary(s), rnd.choice(['<![CDATA[ ]]>', '<![CDATA[]]>', '<![CDATA[x]]>', ' &#32; '])), op
    if op == 'text':
        return insert_at(s, pick_boundary(s), rnd.choice(['x', ' t ', '&amp;', '&#65;', '\u00a0', '.'])), op
    if op == 'attrbits':
        for _ in range(rnd.randint(1, 4)):
            s = mutate_value_attr(s, lambda v: v + rnd.choice(VALUE_BITS) + rnd.choice(['', v]))
        return s, op
    if op == 'emptyvalue':
        return mutate_value_attr(s, lambda v: ''), op
    if op == 'unknownattr':
        return add_start_tag_attr(s, rnd.choice(['foo="x"', 'Value="x"', 'valueX="1"', 'lang="nl"', 'url="u"'])), op
    if op == 'xsiattr':
        s = s.replace('xmlns="http://hl7.org/fhir"', 'xmlns="http://hl7.org/fhir" xmlns:xsi="%s"' % XSI, 1)
        return add_start_tag_attr(s, rnd.choice(['xsi:type="x"', 'xsi:schemaLocation="a b"', 'xsi:nil="true"'])), op
    if op == 'nsattr':
        return add_start_tag_attr(s, rnd.choice(['xmlns:q="urn:q" q:a="1"', 'xmlns:q="http://hl7.org/fhir" q:value="1"', 'xmlns:q="urn:q"', 'xmlns="http://hl7.org/fhir"'])), op
    if op == 'undefprefix':
        if rnd.random() < 0.5:
            return add_start_tag_attr(s, 'q:a="1"'), op
        return insert_at(s, pick_boundary(s), '<q:x/>'), op
    if op == 'xmlspace':
        return add_start_tag_attr(s, rnd.choice(['xml:space="preserve"', 'xml:lang="nl"', 'xml:id="x"'])), op
    if op == 'idattr':
        return add_start_tag_attr(s, rnd.choice(['id="a1"', 'id=""', 'id="a&amp;b"', "id='q'"])), op
    if op == 'urlattr':
        return s.replace('<extension url="', '<extension id="e1" url="', 1) if rnd.random() < 0.5 else add_start_tag_attr(s, 'url="http://x"'), op
    if op == 'nonfhir':
        return insert_at(s, pick_boundary(s), rnd.choice(['<x xmlns="urn:other"/>', '<o:x xmlns:o="urn:o"><o:y/></o:x>', '<div xmlns="urn:other"/>'])), op
    if op == 'afterroot':
        return s.rstrip() + rnd.choice(['\n', '<!-- after -->', '<?pi?>', 'x', '<Patient xmlns="http://hl7.org/fhir"/>', '\n\n \t', '<', '&#32;']), op
    if op == 'truncate':
        return s[:rnd.randint(0, len(s))], op
    if op == 'badbytes':
        b = s.encode('utf-8')
        p = rnd.randint(0, len(b))
        bad = rnd.choice([b'\xff', b'\xc3', b'\xc0\xaf', b'\xed\xa0\x80', b'\xe9', b'\xf4\x90\x80\x80', b'\x80'])
        # prefer inside an attribute value or narrative text
        ms = [m.start(1) for m in re.finditer(rb'value="([^"]*)"', b)] + [m.end() for m in re.finditer(rb'<div[^>]*>', b)]
        if ms and rnd.random() < 0.7:
            p = rnd.choice(ms)
        return b[:p] + bad + b[p:], op
    if op == 'nul':
        b = s.encode('utf-8')
        p = rnd.randint(0, len(b))
        return b[:p] + b'\x00' + b[p:], op
    if op == 'longattr':
        n = rnd.choice([65535, 65536, 65537, 70000, 140000])
        filler = rnd.choice(['A', 'x', 'ab+/'])
        val = (filler * n)[:n]
        if rnd.random() < 0.3:
            val = val[:100] + '&amp;' + val[100:]
        return mutate_value_attr(s, lambda v: val), op
    if op == 'longtext':
        n = rnd.choice([65535, 65537, 70000])
        return insert_at(s, pick_boundary(s), 'x' * n), op
    if op == 'longws':
        n = rnd.choice([65535, 65536, 65537, 70000, 140000])
        return insert_at(s, pick_boundary(s), rnd.choice([' ', '\n', ' \n\t']) * (n // 1)), op
    if op == 'longcomment':
        n = rnd.choice([65535, 65537, 70000])
        return insert_at(s, pick_boundary(s), '<!--' + 'c' * n + '-->'), op
    if op == 'longnarrtext':
        n = rnd.choice([65530, 65537, 70000])
        o, c = div_open()
        body = rnd.choice(['y', ' ', 'a&amp;b ', 'é']) * n
        return put_narrative(s, o + body + c), op
    if op == 'deep':
        d = rnd.randint(80, 100)
        ps = find_resource_elems(s)
        if not ps:
            return s, op
        return insert_at(s, rnd.choice(ps), deep_ext(d)), op
    if op == 'narrative':
        return put_narrative(s, narrative()), op
    if op == 'narrative2':
        for _ in range(rnd.randint(2, 4)):
            s = put_narrative(s, narrative())
        return s, op
    if op == 'narrativeplace':
        # a div somewhere odd: as a direct child, twice in text, inside an extension
        ps = find_resource_elems(s)
        if not ps:
            return s, op
        ins = rnd.choice([narrative(), '<text>%s%s</text>' % (narrative(), narrative()),
                          '<extension url="x">%s</extension>' % narrative(),
                          '<text><status value="generated"/><f:div xmlns:f="http://hl7.org/fhir" xmlns="%s" value="&lt;div xmlns=&quot;%s&quot;&gt;z&lt;/div&gt;"/></text>' % (XHTML, XHTML)])
        return insert_at(s, rnd.choice(ps), ins), op
    if op == 'cdata':
        return insert_at(s, pick_boundary(s), rnd.choice(['<![CDATA[x]]>', '<![CDATA[ ]]>', '<![CDATA[]]>'])), op
    if op == 'entity':
        return mutate_value_attr(s, lambda v: v + rnd.choice(['&foo;', '&nbsp;', '&#0;', '&#xD800;', '&#x110000;', '&#1114111;'])), op
    if op == 'dupattr':
        return s.replace('value="', 'value="d" value="', 1), op
    if op == 'resattr':
        return add_resource_attr(s, rnd.choice(['id="r"', 'value="v"', 'xmlns:x="urn:x"', 'foo="1"'])), op
    if op == 'prefixfhir':
        return prefix_fhir(s), op
    if op == 'elemafterresource':
        m = re.search(r'</([A-Z][A-Za-z]+)>', s)
        if not m:
            return s, op
        return insert_at(s, m.end(), rnd.choice(['<code value="x"/>', ' <code value="x"/>', '<!--c--><code value="x"/>'])), op
    if op == 'contained':
        ps = find_resource_elems(s)
        if not ps:
            return s, op
        return insert_at(s, rnd.choice(ps), '<contained><Encounter><id value="e"/>%s<status value="finished"/></Encounter></contained>' % text_element()), op
    if op == 'redeclare':
        return add_start_tag_attr(s, 'xmlns="http://hl7.org/fhir"'), op
    if op == 'singlequote':
        return re.sub(r'value="([^"\']*)"', r"value='\1'", s, count=rnd.randint(1, 30)), op
    if op == 'spacesintag':
        return re.sub(r'"/>', rnd.choice(['" />', '"\n/>', '"\t/>', '" ></%s>' % 'X']), s, count=rnd.randint(1, 10)).replace('></X>', '/>'), op
    return s, op


def put_narrative(s, div):
    """Replace an existing narrative, or add a <text> to a resource."""
    ds = outside_divs(s)
    if ds and rnd.random() < 0.6:
        a, b = rnd.choice(ds)
        return s[:a] + div + s[b:]
    # after the resource's id/meta/implicitRules/language if any: put right after the start tag
    ms = [m for m in re.finditer(r'<([A-Z][A-Za-z]+)(\s[^>]*)?>(\s*<id value="[^"]*"/>)?', s)]
    if not ms:
        return s
    m = rnd.choice(ms)
    return s[:m.end()] + '<text><status value="generated"/>%s</text>' % div + s[m.end():]


def prefix_fhir(s):
    """Put FHIR elements in a prefix f: (narratives untouched); the default namespace stays off."""
    out = []
    i = 0
    keep = outside_divs(s) + [(m.start(), m.end()) for m in re.finditer(r'<!--.*?-->', s, flags=re.S)]
    keep.sort()
    pos = 0
    pieces = []
    for a, b in keep:
        if a < pos:
            continue
        pieces.append((s[pos:a], False)); pieces.append((s[a:b], True)); pos = b
    pieces.append((s[pos:], False))
    for p, kept in pieces:
        if kept:
            out.append(p)
            continue
        p = re.sub(r'<(/?)([A-Za-z][A-Za-z0-9]*)', lambda m: '<%sf:%s' % (m.group(1), m.group(2)), p)
        out.append(p)
    r = ''.join(out)
    r = r.replace('xmlns="http://hl7.org/fhir"', 'xmlns:f="http://hl7.org/fhir"' + rnd.choice(['', ' xmlns="%s"' % XHTML]), 1)
    return r

# ---------------------------------------------------------------- handwritten documents


SKIPPED = ['Claim', 'Encounter', 'ExplanationOfBenefit', 'Practitioner', 'Organization', 'Coverage', 'Location']


def skipped_resource():
    t = rnd.choice(SKIPPED)
    body = ''
    r = rnd.random()
    if r < 0.5:
        body = '<id value="s"/>' + text_element() + rnd.choice(['', '<status value="active"/>'])
    elif r < 0.65:
        body = deep_ext(rnd.randint(88, 97) if rnd.random() < 0.85 else rnd.choice([98, 99, 100, 150]))
    elif r < 0.75:
        body = '<text><status value="generated"/><div xmlns="%s">%s</div></text>' % (XHTML, '<b>' * 150 + 'x' + '</b>' * 150)
    elif r < 0.8:
        body = '<o:any xmlns:o="urn:o" o:a="1">text &amp; more<![CDATA[c]]><!--c--><?pi?></o:any>'
    elif r < 0.83:
        body = '<id value="x"/><bogus foo="1">text</bogus>'
    inner = '<%s>%s</%s>' % (t, body, t) if body or rnd.random() < 0.5 else '<%s/>' % t
    if rnd.random() < 0.1:
        inner = '<%s xmlns="%s">%s</%s>' % (t, FHIR, body, t)
    return inner


def after_skip():
    if rnd.random() < 0.8:
        return rnd.choice(['', '', '', ' ', '\n', '<!-- c -->', '<?pi?>', '&#32;', '<![CDATA[ ]]>', '\n<!-- c -->\n'])
    return rnd.choice(['x', '<code value="x"/>', ' <code value="x"/>',
                       '<Patient/>', ' <Patient/>', '<div xmlns="%s"/>' % XHTML, '<!--c--><code value="x"/>'])


def patient_entry():
    body = rnd.choice(['', text_element(), '<id value="p"/>']) + '<gender value="female"/><birthDate value="1990-01-01"/>'
    return '<entry><fullUrl value="urn:uuid:11111111-1111-4111-8111-111111111111"/><resource><Patient>%s</Patient></resource></entry>' % body


def loss_entry(k):
    return ('<entry><resource><Condition><id value="c%d"/>%s<code><coding><system value="http://snomed.info/sct"/><code value="17369002"/></coding></code>'
            '<subject><reference value="urn:uuid:11111111-1111-4111-8111-111111111111"/></subject><onsetDateTime value="202%d-03-10"/></Condition></resource></entry>'
            % (k, rnd.choice(['', text_element()]), k))


def handwritten_bundle():
    entries = [patient_entry()]
    for k in range(rnd.randint(0, 3)):
        entries.append(loss_entry(k))
    for _ in range(rnd.randint(1, 4)):
        entries.append('<entry><resource>%s%s</resource></entry>' % (skipped_resource(), after_skip()))
    rnd.shuffle(entries)
    ws = rnd.choice(['', '\n', '\n  '])
    return '<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>' + ws + ws.join(entries) + '</Bundle>'


def bundle_from_seeds():
    k = rnd.randint(1, 4)
    parts = []
    for _ in range(k):
        name, s = rnd.choice(seeds)
        s2 = root_to_nested(s)
        if s2.startswith('<Bundle'):
            continue
        parts.append('<entry><resource>%s</resource></entry>' % s2)
    for _ in range(rnd.randint(0, 2)):
        parts.append('<entry><resource>%s%s</resource></entry>' % (skipped_resource(), after_skip()))
    if not any('<Patient' in p for p in parts):
        parts.append(patient_entry())
    rnd.shuffle(parts)
    return '<?xml version="1.0" encoding="UTF-8"?>\n<Bundle xmlns="http://hl7.org/fhir">\n<type value="collection"/>\n' + '\n'.join(parts) + '\n</Bundle>\n'


manifest = open(os.path.join(OUT, 'manifest.tsv'), 'w')
for i in range(N):
    r = rnd.random()
    if r < 0.45:
        name, base = rnd.choice(seeds)
        src = name
    elif r < 0.75:
        base = handwritten_bundle()
        src = 'handwritten-bundle'
    else:
        base = bundle_from_seeds()
        src = 'seed-bundle'
    doc = base
    names = []
    for _ in range(rnd.choice([0, 1, 1, 1, 2, 2, 3])):
        if isinstance(doc, bytes):
            break
        doc, op = mutate(doc)
        names.append(op)
    if isinstance(doc, str):
        doc = doc.encode('utf-8')
    fn = '%05d.xml' % i
    open(os.path.join(OUT, fn), 'wb').write(doc)
    manifest.write('%s\t%s\t%s\t%d\n' % (fn, src, ','.join(names), len(doc)))
manifest.close()
print('wrote', N, 'to', OUT)
