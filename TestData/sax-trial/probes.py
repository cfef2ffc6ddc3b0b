#!/usr/bin/env python3
"""Handwritten, systematic probes: each feature in a Patient (convert) and in a Bundle with skipped
resources (convert and apply), at several paddings so the old push parser's 512-byte chunk
boundaries fall at different places."""
import os, sys
OUT = sys.argv[1] if len(sys.argv) > 1 else '/tmp/saxaudit/probes'
os.makedirs(OUT, exist_ok=True)
X = 'http://www.w3.org/1999/xhtml'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'

divs = [
    '<div xmlns="%s"/>' % X, '<div xmlns="%s" />' % X, '<div xmlns="%s"></div>' % X, "<div xmlns='%s'>a</div>" % X,
    '<div xmlns="%s"><p>a</p></div>' % X, '<div xmlns="%s"><br/></div>' % X, '<div xmlns="%s"><br></br></div>' % X,
    '<div xmlns="%s"><br /></div>' % X, '<div xmlns="%s">a &amp; b &lt; c &gt; d</div>' % X,
    '<div xmlns="%s">&#65;</div>' % X, '<div xmlns="%s">&#x41;</div>' % X, '<div xmlns="%s">&#160;x</div>' % X,
    '<div xmlns="%s">&#xA0;&#8364;</div>' % X, '<div xmlns="%s">&quot;&apos;</div>' % X,
    '<div xmlns="%s"><![CDATA[a<b]]></div>' % X, '<div xmlns="%s"><![CDATA[]]></div>' % X,
    '<div xmlns="%s"><!-- c --></div>' % X, '<div xmlns="%s"><?pi x?></div>' % X,
    '<div xmlns="%s"><p title="a&gt;b">t</p></div>' % X, '<div xmlns="%s"><p title="a>b">t</p></div>' % X,
    '<div xmlns="%s"><p title="a>A">&#65;</p></div>' % X, "<div xmlns=\"%s\"><p title='q\"q'>t</p></div>" % X,
    '<div xmlns="%s">\r\n<p>a</p>\r\n</div>' % X, '<div xmlns="%s">\t<p>\ta</p></div>' % X,
    '<div\n  xmlns="%s"\n  class="c"\n>x</div>' % X, '<div class="x>y" xmlns="%s">x</div>' % X,
    '<h:div xmlns:h="%s">x</h:div>' % X, '<div xmlns="%s"><h:p xmlns:h="%s">x</h:p></div>' % (X, X),
    '<div xmlns="%s"><div>inner</div></div>' % X, '<div xmlns="%s"><div xmlns="%s">inner</div></div>' % (X, X),
    '<div xmlns="%s"><div/></div>' % X, '<div xmlns="%s"><x xmlns="urn:o">o</x></div>' % X,
    '<div xmlns="%s" xml:lang="nl">nl</div>' % X, '<div xmlns="%s">é ü 😀</div>' % X,
    '<div xmlns="%s">&#13;</div>' % X, '<div xmlns="%s"> </div>' % X, '<div xmlns="%s"><p> </p></div>' % X,
    '<div xmlns="%s"><p></p></div>' % X, '<div xmlns="%s"><p/></div>' % X, '<div xmlns="%s">]]&gt;</div>' % X,
    '<div xmlns="%s"><table><tr><td>1</td></tr></table></div>' % X, '<div xmlns="%s">a;b&amp;c;d</div>' % X,
    '<div title="xmlns=&quot;%s&quot;" xmlns="%s">t</div>' % (X, X), '<div xmlns:xsi="%s" xsi:xmlns="%s" xmlns="%s">s</div>' % (XSI, X, X),
    '<div xmlns="%s"></div >' % X, '<div xmlns="%s">x</div\n>' % X,
    '<div xmlns="%s"><img src="a" alt="b"/></div>' % X, '<div xmlns="%s" title="%s">long attr in div tag</div>' % (X, 'T' * 70000),
    '<div xmlns="%s">%s</div>' % (X, 'y' * 70000), '<div xmlns="%s"><p>%s</p></div>' % (X, 'a&amp;b ' * 12000),
    '<div xmlns="%s">%s</div>' % (X, '<b>' * 120 + 'd' + '</b>' * 120),
]
values = ['a&amp;b', '&lt;x&gt;', '&#65;', '&#x41;', 'a\nb', 'a\tb', 'a\rb', 'a\r\nb', 'a&#10;b', 'a&#13;b', 'a&#9;b',
          '&quot;&apos;', 'é', '&#160;', ' lead', 'trail ', '&amp;amp;', '&#38;#65;', '&amp;lt;', '>', '😀', '&#x1F600;',
          'a  b', '\n', ' ', '&#32;', '']
misc = [
    '<!-- c -->', '<?pi x?>', ' \n\t ', '&#32;', '&#10;', '<![CDATA[ ]]>', '<![CDATA[]]>', '<![CDATA[x]]>', 'x', '&#160;',
    '<name xmlns:xsi="%s" xsi:type="HumanName"><family value="f"/></name>' % XSI,
    '<name xsi:type="x"><family value="f"/></name>', '<name q:a="1"><family value="f"/></name>',
    '<name xmlns:q="urn:q" q:a="1"><family value="f"/></name>', '<name foo="1"><family value="f"/></name>',
    '<name xml:space="preserve"><family value="f"/></name>', '<name xml:lang="nl"><family value="f"/></name>',
    '<name id="n1"><family id="f1" value="f"/></name>', '<name id=""><family value="f"/></name>',
    '<x xmlns="urn:other"/>', '<q:name/>', '<name xmlns=""/>', '<f:name xmlns:f="http://hl7.org/fhir"><f:family value="f"/></f:name>',
    '<name\n\tid="n"\r\n><family\n value="f"\n/></name>', '<extension url="http://x" id="e"><valueString value="v"/></extension>',
    '<extension id="e" url="http://x"><valueString value="v"/></extension>', '<extension url="http://x"><valueString value="v" url="u"/></extension>',
    '<name><family value="f"></family></name>', '<name><family value="f" ></family ></name>',
    '<name><family value="%s"/></name>' % ('L' * 65535), '<name><family value="%s"/></name>' % ('L' * 65537),
    '<name><family value="%s&amp;"/></name>' % ('L' * 70000), ' ' * 70000, '\n' * 65537, '<!--%s-->' % ('c' * 70000),
    '<extension url="http://x">' * 97 + '<valueString value="v"/>' + '</extension>' * 97,
    '<extension url="http://x">' * 98 + '<valueString value="v"/>' + '</extension>' * 98,
    '<extension url="http://x">' * 99 + '<valueString value="v"/>' + '</extension>' * 99,
    '<contained><Encounter><id value="e"/><status value="finished"/></Encounter></contained>',
    '<contained><Encounter><status value="finished"/></Encounter><code value="x"/></contained>',
    '<contained><Encounter/> <!--c--> </contained>',
    '<contained><Encounter><text><status value="generated"/><div xmlns="%s">enc</div></text></Encounter></contained>' % X,
]
skipped_bodies = [
    '<Claim/>', '<Claim></Claim>', '<Claim><id value="c"/></Claim>', '<Encounter><text><status value="generated"/><div xmlns="%s"><p>e</p></div></text></Encounter>' % X,
    '<ExplanationOfBenefit><o:x xmlns:o="urn:o">text<![CDATA[c]]><!--c--><?p?></o:x></ExplanationOfBenefit>',
    '<Claim>' + '<extension url="x">' * 95 + '</extension>' * 95 + '</Claim>',
    '<Claim>' + '<extension url="x">' * 96 + '</extension>' * 96 + '</Claim>',
    '<Claim>' + '<extension url="x">' * 97 + '</extension>' * 97 + '</Claim>',
    '<Claim><text><div xmlns="%s">%s</div></text></Claim>' % (X, '<b>' * 200 + '</b>' * 200),
    '<Claim><text><h:div xmlns:h="%s">%s</h:div></text></Claim>' % (X, '<h:b>' * 200 + '</h:b>' * 200),
    '<Claim><text><div xmlns="%s"><o:x xmlns:o="urn:o">%s</o:x></div></text></Claim>' % (X, '<o:b>' * 200 + '</o:b>' * 200),
    '<Claim><x>' + '<y>' * 200 + '</y>' * 200 + '</x></Claim>',
    '<Claim xmlns="http://hl7.org/fhir" foo="1" value="v"/>', '<Claim><bogus/>text</Claim>',
    '<Claim/><!--c-->', '<Claim/> ', '<Claim/>\n<!--c-->\n', '<Claim/><?p?>', '<Claim/>x', '<Claim/><code value="x"/>',
    '<Claim/> <code value="x"/>', '<Claim/><!--c--><code value="x"/>', '<Claim/><Patient/>', '<Claim/> <Patient/>',
    '<Claim/><div xmlns="%s"/>' % X, '<Claim/> <div xmlns="%s"/>' % X, '<Claim/>&#32;', '<Claim/><![CDATA[ ]]>', '<Claim/><![CDATA[x]]>',
    '<Claim>%s</Claim>' % (' ' * 70000), '<Claim><text><div xmlns="%s">%s</div></text></Claim>' % (X, 'z' * 70000),
    '<Bundle><type value="collection"/><entry><resource><Patient/></resource></entry></Bundle>',
]

n = 0
manifest = open(os.path.join(OUT, 'manifest.tsv'), 'w')


def emit(doc, kind):
    global n
    fn = 'p%05d.xml' % n
    b = doc if isinstance(doc, bytes) else doc.encode('utf-8')
    open(os.path.join(OUT, fn), 'wb').write(b)
    manifest.write('%s\t%s\t%s\t%d\n' % (fn, 'probe', kind, len(b)))
    n += 1


def pad(k):
    return '' if k == 0 else '<!--' + 'p' * k + '-->'


PADS = [0, 137, 401, 489, 505]
for i, d in enumerate(divs):
    for k in PADS:
        emit('<Patient xmlns="http://hl7.org/fhir">%s<id value="p"/><text><status value="generated"/>%s</text><gender value="female"/></Patient>' % (pad(k), d), 'div%d-pad%d' % (i, k))
    # the same narrative in a read resource of a Bundle after a skipped one, for apply
    emit('<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Claim><text><status value="generated"/>%s</text></Claim></resource></entry>'
         '<entry><resource><Patient><id value="p"/><text><status value="generated"/>%s</text><gender value="female"/></Patient></resource></entry></Bundle>' % (d, d), 'bundle-div%d' % i)
for i, v in enumerate(values):
    for k in [0, 489]:
        emit('<Patient xmlns="http://hl7.org/fhir">%s<id value="p"/><name><family value="%s"/><given value=\'%s\'/></name><gender value="female"/></Patient>' % (pad(k), v, v.replace("'", '&apos;')), 'value%d-pad%d' % (i, k))
for i, m in enumerate(misc):
    for k in [0, 300, 497]:
        emit('<Patient xmlns="http://hl7.org/fhir">%s<id value="p"/>%s<gender value="female"/></Patient>' % (pad(k), m), 'misc%d-pad%d' % (i, k))
for i, s in enumerate(skipped_bodies):
    for k in [0, 450]:
        emit('<Bundle xmlns="http://hl7.org/fhir">%s<type value="collection"/><entry><resource><Patient><id value="p"/><gender value="female"/></Patient></resource></entry>'
             '<entry><resource>%s</resource></entry><entry><resource><Condition><id value="c"/><subject><reference value="Patient/p"/></subject></Condition></resource></entry></Bundle>' % (pad(k), s), 'skip%d-pad%d' % (i, k))
# whole-document variants
base = '<Patient xmlns="http://hl7.org/fhir"><id value="p"/><text><status value="generated"/><div xmlns="%s"><p>a</p></div></text><gender value="female"/></Patient>' % X
wholes = {
    'bom': '\ufeff' + base, 'decl': '<?xml version="1.0" encoding="UTF-8"?>\n' + base, 'decl-utf8': '<?xml version="1.0" encoding="utf8"?>' + base,
    'decl-11': '<?xml version="1.1"?>' + base, 'lead-comment': '<!-- x -->\n<?pi?>\n' + base, 'crlf': base.replace('><', '>\r\n<'),
    'tabs': base.replace('><', '>\t<'), 'after-root-ws': base + '\n\n', 'after-root-comment': base + '<!--x-->', 'after-root-pi': base + '<?p?>',
    'after-root-elem': base + '<Patient xmlns="http://hl7.org/fhir"/>', 'after-root-text': base + 'x', 'after-root-charref': base + '&#32;',
    'two-roots': base + base, 'truncated': base[:-5], 'truncated-div': base[:120], 'nul': base.replace('<gender', '\x00<gender'),
    'prefixed': '<f:Patient xmlns:f="http://hl7.org/fhir"><f:id value="p"/><f:text><f:status value="generated"/><div xmlns="%s">p</div></f:text></f:Patient>' % X,
    'prefixed-xhtml-default': '<f:Patient xmlns:f="http://hl7.org/fhir" xmlns="%s"><f:id value="p"/><f:text><f:status value="generated"/><div>p</div></f:text></f:Patient>' % X,
    'prefixed-xhtml-default-xsixmlns': '<f:Patient xmlns:f="http://hl7.org/fhir" xmlns="%s" xmlns:xsi="%s"><f:text><f:status value="generated"/><div xsi:xmlns="%s">p</div></f:text></f:Patient>' % (X, XSI, X),
    'root-not-resource': '<name xmlns="http://hl7.org/fhir"/>', 'root-nonfhir': '<Patient xmlns="urn:x"/>', 'root-div': '<div xmlns="%s"/>' % X,
    'resourceType-elem': '<Patient xmlns="http://hl7.org/fhir"><resourceType value="Patient"/></Patient>',
    'fhir-div-then-narrative': '<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Patient><text><status value="generated"/><f:div xmlns:f="http://hl7.org/fhir" xmlns="%s" value="&lt;div xmlns=&quot;%s&quot;&gt;a&lt;/div&gt;"/></text></Patient></resource></entry><entry><resource><Patient><text><status value="generated"/><div xmlns="%s"><p class=\'x\'>b<br /></p></div></text></Patient></resource></entry></Bundle>' % (X, X, X),
}
for k, v in wholes.items():
    emit(v, 'whole-' + k)
emit(('<?xml version="1.0"?>' + base.replace('<text><status value="generated"/><div xmlns="%s"><p>a</p></div></text>' % X, '')).encode('utf-16-le'), 'whole-utf16le-nobom')
emit(('<?xml version="1.0" encoding="UTF-16"?>' + base.replace('<text><status value="generated"/><div xmlns="%s"><p>a</p></div></text>' % X, '')).encode('utf-16-le'), 'whole-utf16le-nobom-decl')
emit(('<?xml version="1.0"?>' + base).encode('utf-16-le'), 'whole-utf16le-nobom-narrative')
emit(('<?xml version="1.0"?>' + base.replace('<text><status value="generated"/><div xmlns="%s"><p>a</p></div></text>' % X, '')).encode('utf-32-le'), 'whole-ucs4le')
emit(('<?xml version="1.0"?>' + base).encode('utf-16-be'), 'whole-utf16be-nobom')
emit(b'\xef\xbb\xbf' + ('<?xml version="1.0"?>' + base).encode('utf-16-le'), 'whole-bom-then-utf16')
emit(('<?xml version="1.0" encoding="ISO-8859-1"?>' + base.replace('"p"', '"p\u00e9"')).encode('latin-1'), 'whole-latin1-decl')
emit(('<?xml version="1.0"?>' + base.replace('"p"', '"p\u00e9"')).encode('latin-1'), 'whole-latin1-nodecl')
manifest.close()
print(n, 'probes')
