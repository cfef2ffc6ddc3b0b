#!/bin/sh
# Regenerates 3 and 4 (0.7 MB each): a narrative nested 100,000 levels deep.
python3 -c "
X='http://www.w3.org/1999/xhtml'; n=100000
open('3-deep-narrative-100k.xml','w').write('<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div xmlns=\"%s\">' % X+'<b>'*n+'x'+'</b>'*n+'</div></text></Patient>\n')
open('4-skipped-deep-narrative-100k.xml','w').write('<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><gender value=\"female\"/></Patient></resource></entry><entry><resource><Claim><text><div xmlns=\"%s\">' % X+'<b>'*n+'</b>'*n+'</div></text></Claim></resource></entry></Bundle>\n')
"
# 3b / 4b: the same crash and hang in the NEW binary, once its SAX path declines (comment in the
# narrative; text after the skipped Claim), i.e. the fallback still has them.
python3 -c "
X='http://www.w3.org/1999/xhtml'; n=100000
open('3b-deep-narrative-with-comment.xml','w').write('<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div xmlns=\"%s\"><!--c-->' % X+'<b>'*n+'x'+'</b>'*n+'</div></text></Patient>\n')
open('4b-skipped-deep-narrative-then-text.xml','w').write('<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><gender value=\"female\"/></Patient></resource></entry><entry><resource><Claim><text><div xmlns=\"%s\">' % X+'<b>'*n+'</b>'*n+'</div></text></Claim>x</resource></entry></Bundle>\n')
"
