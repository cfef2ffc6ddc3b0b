#!/usr/bin/env python3
"""Writes the inputs, parameters and descriptions of the replay scenarios in Fixtures/.

Each scenario is designed by hand here (what it shows, which rules must fire and which must stay
quiet); `rpl-adapter replay --update` then writes expected.json, and a test checks that every
expected output fires exactly the rules the scenario's README declares. Running this again
rewrites only input.*, parameters.json and README.md.
"""
import json, os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..')
OUT = os.path.join(ROOT, 'Fixtures')
SYN = os.path.join(ROOT, 'TestData', 'corpus', 'synthea', 'bundles')
LOINC, SCT, ATC = 'http://loinc.org', 'http://snomed.info/sct', 'http://www.whocc.no/atc'
ICD10 = 'http://hl7.org/fhir/sid/icd-10'
INTERP = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation'
ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode'
AS_OF = '2026-11-02'

ADVICE = ['RPL-PRECONCEPTION', 'RPL-SUPPLEMENTS', 'RPL-EXPERT-CENTRE', 'RPL-SUPPORTIVE-CARE', 'RPL-FREYA',
          'RPL-HISTORY', 'RPL-LIFESTYLE-HISTORY', 'RPL-PROGNOSIS']


def cc(system, code, display=None, text=None):
    c = {'system': system, 'code': code}
    if display: c['display'] = display
    r = {'coding': [c]}
    if text: r['text'] = text
    return r


def txt(text): return {'text': text}


SUBJ = {'reference': 'PATIENT'}


def condition(id, code, onset, verification='confirmed', clinical='active', system=SCT, **extra):
    r = {'resourceType': 'Condition', 'id': id,
         'clinicalStatus': cc('http://terminology.hl7.org/CodeSystem/condition-clinical', clinical),
         'verificationStatus': cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', verification),
         'code': cc(system, code) if code else extra.pop('codeText'), 'subject': SUBJ}
    if onset: r['onsetDateTime'] = onset
    r.update(extra)
    return r


def obs(id, code, date, system=LOINC, **extra):
    r = {'resourceType': 'Observation', 'id': id, 'status': 'final', 'code': cc(system, code), 'subject': SUBJ}
    if date: r['effectiveDateTime'] = date
    r.update(extra)
    return r


def qty(value, unit, code=None):
    q = {'value': value}
    if unit: q.update({'unit': unit, 'system': 'http://unitsofmeasure.org', 'code': code or unit})
    return q


def tsh(value, unit='mIU/L', code='m[IU]/L', date='2026-10-20', rng=None, id='tsh'):
    r = obs(id, '3016-3', date, valueQuantity=qty(value, unit, code))
    if rng: r['referenceRange'] = [{'low': {'value': rng[0]}, 'high': {'value': rng[1]}}]
    return r


def ft4(value, unit='pmol/L', code='pmol/L', loinc='14920-3', date='2026-10-21'):
    return obs('ft4', loinc, date, valueQuantity=qty(value, unit, code))


def apl(id, code, date, positive):
    return obs(id, code, date, interpretation=[cc(INTERP, 'POS' if positive else 'NEG')])


APL = [('la', '75514-0'), ('aclg', '3181-5'), ('aclm', '3182-3'), ('b2g', '44448-9'), ('b2m', '44449-7')]


def apl_negative(date='2026-06-01', skip=()):
    return [apl(f'{i}-neg', c, date, False) for i, c in APL if i not in skip]


def sr(id, system=None, code=None, text=None, status='active', **extra):
    c = {}
    if system: c['coding'] = [{'system': system, 'code': code}]
    if text: c['text'] = text
    r = {'resourceType': 'ServiceRequest', 'id': id, 'status': status, 'intent': 'order', 'code': c, 'subject': SUBJ}
    r.update(extra)
    return r


def mr(id, system=None, code=None, text=None):
    c = {}
    if system: c['coding'] = [{'system': system, 'code': code}]
    if text: c['text'] = text
    return {'resourceType': 'MedicationRequest', 'id': id, 'status': 'active', 'intent': 'order',
            'medicationCodeableConcept': c, 'subject': SUBJ}


def fmh(id, relationship, code=None, text=None):
    return {'resourceType': 'FamilyMemberHistory', 'id': id, 'status': 'completed', 'patient': SUBJ,
            'relationship': cc(ROLE, relationship), 'condition': [{'code': cc(SCT, code) if code else {'text': text}}]}


def patient(birth='1993-05-14'):
    p = {'resourceType': 'Patient', 'id': 'anna', 'identifier': [{'system': 'http://fhir.nl/fhir/NamingSystem/bsn', 'value': '999911120'}],
         'gender': 'female'}
    if birth: p['birthDate'] = birth
    return p


def losses(dates, code='17369002'):
    return [condition(f'loss-{i + 1}', code, d) for i, d in enumerate(dates)]


TWO = ['2025-03-10', '2026-01-22']
THREE = ['2024-01-10', '2025-03-10', '2026-01-22']


def bundle(resources, type='collection', urls='urn', timestamp=None, birth='1993-05-14'):
    entries = []
    res = [patient(birth)] + resources
    key = lambda r: r['resourceType'] + '/' + r['id']
    pref = {'urn': lambda r: 'urn:uuid:' + uuidish(key(r)), 'server': lambda r: 'http://server.example.nl/fhir/' + key(r), 'none': None}[urls]
    subject = pref(res[0]) if urls == 'urn' else 'Patient/anna'
    for r in res:
        r = json.loads(json.dumps(r).replace('"PATIENT"', json.dumps(subject)))
        e = {}
        if pref: e['fullUrl'] = pref(r)
        e['resource'] = r
        if type in ('transaction', 'batch'): e['request'] = {'method': 'POST', 'url': r['resourceType']}
        if type == 'searchset': e['search'] = {'mode': 'match'}
        entries.append(e)
    b = {'resourceType': 'Bundle', 'id': 'input', 'type': type}
    if timestamp: b['timestamp'] = timestamp
    b['entry'] = entries
    return b


def uuidish(key):
    import hashlib
    h = hashlib.sha1(key.encode()).hexdigest()
    return f'{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}'


S = []  # (name, title, input bundle or file, fires, quiet, extra notes, parameters)


def add(name, title, input, fires, quiet, note='', as_of=AS_OF, fmt='json'):
    S.append((name, title, input, fires, quiet, note, as_of, fmt))


base = lambda *extra, birth='1993-05-14', ls=TWO, **kw: bundle(losses(ls) + list(extra), birth=birth, **kw)
NEG = apl_negative()

add('indication-two-losses', 'Two miscarriages: the plan with its general advice; nothing tested yet',
    base(), ['RPL-INDICATION'] + ADVICE + ['RPL-TSH', 'RPL-APL', 'RPL-UTERUS'],
    ['RPL-FT4', 'RPL-LEVOTHYROXINE', 'RPL-SUBCLINICAL', 'RPL-APL-REPEAT', 'RPL-APL-TREAT', 'RPL-KARYOTYPE',
     'RPL-GENETIC-COUNSELING', 'RPL-CLINICAL-GENETICS', 'RPL-UROGENITAL', 'RPL-LIFESTYLE', 'RPL-PROGESTERONE', 'RPL-CERVIX'])
add('indication-one-loss', 'One miscarriage: no plan (an empty transaction Bundle)', base(ls=['2025-03-10']), [], ['RPL-INDICATION'] + ADVICE)
add('indication-refuted-loss', 'A refuted second loss does not count: no plan',
    base(condition('loss-x', '19169002', '2026-02-01', verification='refuted'), ls=['2025-03-10']), [], ['RPL-INDICATION'])
add('indication-entered-in-error-loss', 'A loss entered in error does not count: no plan',
    base(condition('loss-x', '19169002', '2026-02-01', verification='entered-in-error'), ls=['2025-03-10']), [], ['RPL-INDICATION'])
add('indication-ectopic-after-miscarriage', 'A miscarriage code followed 5 days later by a tubal pregnancy is that ectopic: no plan',
    base(condition('mc', '19169002', '2026-02-01'), condition('tubal', '79586000', '2026-02-06'), ls=['2025-03-10']), [], ['RPL-INDICATION'])
add('indication-same-day-conditions', 'Two loss Conditions on one date count once: no plan',
    base(condition('blighted', '35999006', '2025-03-10'), ls=['2025-03-10']), [], ['RPL-INDICATION'])
add('indication-partial-onsets', 'Losses dated 2019, 2021-05 and 2025-03-10: partial dates are intervals and count (v2): three losses, about 35%',
    base(ls=['2019', '2021-05', '2025-03-10']), ['RPL-INDICATION', 'RPL-PROGNOSIS'], [])
add('indication-one-pregnancy-three-records', 'One pregnancy recorded three times, 0, 10 and 30 days apart (scan, curettage, letter): one loss (v2), no plan',
    base(ls=['2026-01-01', '2026-01-11', '2026-01-31']), [], ['RPL-INDICATION'] + ADVICE)
add('prognosis-three-losses', 'Three miscarriages: about 35% (RiskAssessment)', base(ls=THREE), ['RPL-INDICATION', 'RPL-PROGNOSIS'], [])
add('prognosis-four-losses', 'Four miscarriages: no figure in the sources, a CarePlan note instead', base(ls=['2023-01-10'] + THREE),
    ['RPL-INDICATION', 'RPL-PROGNOSIS'], [])
add('term-recurrent-miscarriage-condition', 'Only a "recurrent miscarriage" Condition, displayed with the rejected term: a plan, and the term never appears',
    base({'resourceType': 'Condition', 'id': 'rm', 'code': {'coding': [{'system': SCT, 'code': '102878001', 'display': 'Habitual aborter'}], 'text': 'Habituele abortus'},
          'subject': SUBJ}, ls=[]), ['RPL-INDICATION', 'RPL-TERM'], [])
add('thyroid-tsh-normal', 'A normal TSH 3 weeks old: no TSH order, no free T4', base(tsh(2.1), *NEG), [], ['RPL-TSH', 'RPL-FT4', 'RPL-APL'])
add('thyroid-tsh-on-upper-limit', 'TSH exactly on the result\'s upper limit (4.0 of 0.4–4.0) is normal: no free T4',
    base(tsh(4.0, rng=(0.4, 4.0))), [], ['RPL-TSH', 'RPL-FT4'])
add('thyroid-tsh-above-limit', 'TSH 4.01 above the limit 4.0: order free T4', base(tsh(4.01, rng=(0.4, 4.0))), ['RPL-FT4'], ['RPL-TSH'])
add('thyroid-tsh-low', 'TSH 0.3 under the default range 0.4–4.0: order free T4', base(tsh(0.3)), ['RPL-FT4'], ['RPL-TSH'])
add('thyroid-tsh-outside-lookback', 'TSH from 2025-10-01, outside the 12-month window: order TSH', base(tsh(2.1, date='2025-10-01')), ['RPL-TSH'], ['RPL-FT4'])
add('thyroid-tsh-no-unit', 'A TSH without a unit: warned, treated as missing, so TSH is ordered', base(tsh(4.6, unit=None)), ['RPL-TSH'], ['RPL-FT4'])
add('thyroid-tsh-micro-units-per-ml', 'TSH 4.6 µIU/mL (= mU/L) is high: order free T4', base(tsh(4.6, unit='µIU/mL', code='u[IU]/mL')), ['RPL-FT4'], ['RPL-TSH'])
add('thyroid-overt-ft4-ng-dl', 'TSH 8.0 high and free T4 0.7 ng/dL (9.0 pmol/L) low: propose levothyroxine',
    base(tsh(8.0), ft4(0.7, 'ng/dL', 'ng/dL', '3024-7')), ['RPL-LEVOTHYROXINE'], ['RPL-FT4', 'RPL-SUBCLINICAL'])
add('thyroid-subclinical-pmol', 'TSH 6.0 high and free T4 15 pmol/L normal: discuss, no proposal',
    base(tsh(6.0), ft4(15)), ['RPL-SUBCLINICAL'], ['RPL-LEVOTHYROXINE', 'RPL-FT4', 'NR-LEVOTHYROXINE-EUTHYROID'])
add('thyroid-hypothyroid-already-treated', 'Hypothyroidism Condition and levothyroxine already active: no new proposal, and the active request is not flagged',
    base(tsh(2.0), condition('hypo', '40930008', '2020-01-01'), mr('levo', ATC, 'H03AA01')), [], ['RPL-LEVOTHYROXINE', 'NR-LEVOTHYROXINE-EUTHYROID'])
add('apl-all-negative', 'All five antiphospholipid tests negative: nothing to order or repeat', base(*NEG), [], ['RPL-APL', 'RPL-APL-REPEAT', 'RPL-APL-TREAT'])
add('apl-one-missing', 'Four tests negative, anti-β2GPI IgM missing: order that one', base(*apl_negative(skip=('b2m',))), ['RPL-APL'], ['RPL-APL-REPEAT'])
add('apl-single-positive', 'Anticardiolipin IgG positive on 2026-09-01: repeat from 2026-11-24 (positive + 84 days)',
    base(*apl_negative(skip=('aclg',)), apl('aclg-1', '3181-5', '2026-09-01', True)), ['RPL-APL-REPEAT'], ['RPL-APL', 'RPL-APL-TREAT'])
add('apl-repeat-after-83-days', 'Second positive 83 days after the first: too early, repeat again; no treatment',
    base(*apl_negative(skip=('aclg',)), apl('aclg-1', '3181-5', '2026-06-01', True), apl('aclg-2', '3181-5', '2026-08-23', True)),
    ['RPL-APL-REPEAT'], ['RPL-APL-TREAT'])
add('apl-persistent-84-days', 'Second positive 84 days after the first: persistent, propose aspirin and LMWH',
    base(*apl_negative(skip=('aclg',)), apl('aclg-1', '3181-5', '2026-06-01', True), apl('aclg-2', '3181-5', '2026-08-24', True)),
    ['RPL-APL-TREAT'], ['RPL-APL-REPEAT', 'RPL-APL'])
add('apl-transient', 'Negative 84 days after a single positive: transient, no treatment (said in a note)',
    base(*apl_negative(skip=('aclg',)), apl('aclg-1', '3181-5', '2026-06-01', True), apl('aclg-2', '3181-5', '2026-08-24', False)),
    [], ['RPL-APL-TREAT', 'RPL-APL-REPEAT'])
add('apl-lupus-anticoagulant-ratio', 'Lupus anticoagulant from a dRVVT ratio 1.3 (> 1.2, no range): positive, repeat',
    base(*apl_negative(skip=('la',)), obs('drvvt', '50410-0', '2026-09-01', valueQuantity=qty(1.3, '{ratio}'))), ['RPL-APL-REPEAT'], ['RPL-APL'])
add('genetics-karyotype-criteria', 'Age 34, three miscarriages, a sister with recurrent miscarriage: karyotype both parents; no partner is recorded, so his is a plan activity (interface.md v2)',
    base(fmh('sister', 'SIS', '102878001'), birth='1991-11-03', ls=THREE), ['RPL-KARYOTYPE'], ['RPL-CLINICAL-GENETICS'])
add('genetics-karyotype-partner', 'The same with the partner recorded (a RelatedPerson with a BSN): one karyotyping order per parent, his with him as the subject, created as a Patient from his identifier (interface.md v2)',
    base(fmh('sister', 'SIS', '102878001'),
         {'resourceType': 'RelatedPerson', 'id': 'partner', 'identifier': [{'system': 'http://fhir.nl/fhir/NamingSystem/bsn', 'value': '999911132'}],
          'patient': SUBJ, 'relationship': [cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'HUSB')], 'name': [{'family': 'Jansen', 'given': ['Piet']}],
          'gender': 'male', 'birthDate': '1990-02-01'},
         birth='1991-11-03', ls=THREE), ['RPL-KARYOTYPE'], ['RPL-CLINICAL-GENETICS'])
add('genetics-karyotype-age-35', 'The same at age 35: no karyotyping', base(fmh('sister', 'SIS', '102878001'), birth='1991-11-02', ls=THREE), [], ['RPL-KARYOTYPE'])
add('genetics-abnormal-parental-karyotype', 'An abnormal parental karyotype: genetic counselling',
    base(obs('kt', '29770-5', '2026-05-01', valueString='46,XX,t(11;22)(q23;q11)', interpretation=[cc(INTERP, 'A')])),
    ['RPL-GENETIC-COUNSELING'], ['RPL-CLINICAL-GENETICS'])
add('genetics-family-translocation', 'A brother with a balanced translocation (by text): clinical genetics',
    base(fmh('brother', 'BRO', text='gebalanceerde translocatie')), ['RPL-CLINICAL-GENETICS'], ['RPL-GENETIC-COUNSELING', 'RPL-KARYOTYPE'])
add('genetics-tissue-translocation', 'An unbalanced translocation in pregnancy tissue: clinical genetics, not counselling',
    base({'resourceType': 'Specimen', 'id': 'poc', 'type': cc(SCT, '440473005')},
         obs('kt', '29770-5', '2026-05-01', valueString='47,XX,+der(22)t(11;22)', specimen={'reference': 'Specimen/poc'})),
    ['RPL-CLINICAL-GENETICS'], ['RPL-GENETIC-COUNSELING'])
add('uterus-imaging-done', 'A transvaginal ultrasound report is in the record: no new one',
    base({'resourceType': 'DiagnosticReport', 'id': 'tve', 'status': 'final', 'code': cc('http://rpl-adapter.org/fhir/CodeSystem/rpl-activity', 'uterine-ultrasound'), 'subject': SUBJ}),
    [], ['RPL-UTERUS', 'RPL-UROGENITAL'])
add('uterus-congenital-anomaly', 'A congenital uterine anomaly: image the urinary tract', base(condition('anomaly', '37849005', '2020-01-01')), ['RPL-UROGENITAL', 'RPL-UTERUS'], [])
add('lifestyle-smoking-bmi', 'Current smoker with BMI 31: lifestyle referral naming both',
    base(obs('smoke', '72166-2', '2026-09-01', valueCodeableConcept=cc(SCT, '77176002')),
         obs('bmi', '39156-5', '2026-09-01', valueQuantity=qty(31, 'kg/m2'))), ['RPL-LIFESTYLE'], [])
add('lifestyle-bmi-normal', 'BMI 18.5, on the lower limit: no lifestyle referral', base(obs('bmi', '39156-5', '2026-09-01', valueQuantity=qty(18.5, 'kg/m2'))), [], ['RPL-LIFESTYLE'])
PREG = lambda bleed, ls=THREE, *extra: base(condition('preg', '77386006', '2026-08-24'),
                                      obs('ga', '49051-6', '2026-11-02', valueQuantity=qty(13.142857, 'wk', 'wk')),
                                      *([condition('bleed', '54048003', bleed)] if bleed else []), *extra, ls=ls)
add('pregnancy-bleeding-at-12w0d', 'Three losses, pregnant at 13w1d, bleeding at 12w0d: progesterone until 2026-11-22; the progesterone already requested is not flagged',
    PREG('2026-10-25', THREE, mr('utrogestan', ATC, 'G03DA04')), ['RPL-PROGESTERONE'], ['NR-DRUGS'])
add('pregnancy-bleeding-at-12w1d', 'The same bleeding a day later, at 12w1d: no progesterone', PREG('2026-10-26'), [], ['RPL-PROGESTERONE'])
add('pregnancy-cervix-second-trimester', 'A second-trimester miscarriage and suspected cervical insufficiency: serial cervix ultrasound',
    base(condition('second', '85116003', '2026-01-22'), condition('ci', '17382005', '2026-01-22', verification='provisional'), ls=['2025-03-10']),
    ['RPL-CERVIX'], [])
add('pregnancy-cervix-first-trimester', 'Suspected cervical insufficiency without a second-trimester loss: no cervix follow-up',
    base(condition('ci', '17382005', '2026-01-22')), [], ['RPL-CERVIX'])
add('nr-laboratory-tests', 'Six not-recommended tests already requested: each flagged by its line',
    base(sr('thrombo', text='Trombofilie-onderzoek'), sr('hla', text='HLA typering'), sr('hormones', text='Hormoonprofiel'),
         sr('prl', LOINC, '2842-3'), sr('vitd', LOINC, '62292-8'), sr('hcy', LOINC, '13965-9')),
    ['NR-THROMBOPHILIA', 'NR-IMMUNOLOGY', 'NR-HORMONES', 'NR-PROLACTIN', 'NR-OVARIAN-ENDOCRINE', 'NR-HOMOCYSTEINE'], [])
add('nr-procedures', 'Not-recommended procedures and genetics already requested: flagged',
    base(sr('septum', text='Hysteroscopische septumresectie'), sr('polyp', text='Poliep verwijdering'), sr('scratch', text='Endometrium scratching'),
         sr('imsi', text='IMSI spermaselectie'), sr('poc', SCT, '312948004'), sr('kary', SCT, '444309000')),
    ['NR-UTERINE-SURGERY', 'NR-POLYP-MYOMA-ADHESION', 'NR-SCRATCHING', 'NR-SPERM-SELECTION', 'NR-TISSUE-GENETICS', 'NR-KARYOTYPE'], [])
add('nr-drugs', 'Not-recommended drugs already requested: metformin, prednisone, enoxaparin with a hereditary thrombophilia (ICD-10 D68.5: v2, the LMWH line needs one), levothyroxine (euthyroid)',
    base(tsh(2.0), condition('fvl', 'D68.5', '2019-04-01', system=ICD10),
         mr('metformin', ATC, 'A10BA02'), mr('pred', text='Prednison 10 mg'), mr('enox', ATC, 'B01AB05'), mr('levo', ATC, 'H03AA01')),
    ['NR-DRUGS', 'NR-PREDNISONE', 'NR-LMWH-THROMBOPHILIA', 'NR-LEVOTHYROXINE-EUTHYROID'], [])
add('nr-drugs-other-indication', 'v2: another recorded indication lifts the drug flags: metformin with diabetes (E11.9), prednisolone for asthma named in its reason, nadroparin after a pulmonary embolism (Z86.7)',
    base(tsh(2.0), condition('dm', 'E11.9', '2020-02-01', system=ICD10), condition('pe', 'Z86.7', '2022-03-01', system=ICD10),
         mr('metformin', ATC, 'A10BA02'), dict(mr('pred', ATC, 'H02AB06'), reasonCode=[{'text': 'Astma exacerbatie'}]),
         mr('nadro', ATC, 'B01AB06')),
    [], ['NR-DRUGS', 'NR-PREDNISONE', 'NR-LMWH-THROMBOPHILIA'])
add('nr-drugs-heparin-no-indication', 'v2: tinzaparin with no thrombophilia and no other indication recorded is the card\'s "Heparine" (NR-DRUGS), not the LMWH-for-thrombophilia line',
    base(tsh(2.0), mr('tinza', ATC, 'B01AB10')), ['NR-DRUGS'], ['NR-LMWH-THROMBOPHILIA'])
add('nr-exceptions', 'Requests whose exceptions hold: ANA with lupus, prolactin with amenorrhoea, prednisone in a study, LMWH with persistent antiphospholipid antibodies',
    base(condition('sle', '200936003', '2020-01-01'), condition('amen', '14302001', '2026-01-01'),
         {'resourceType': 'ResearchSubject', 'id': 'rs', 'status': 'on-study', 'study': {'display': 'trial'}, 'individual': SUBJ},
         apl('a1', '3181-5', '2026-03-01', True), apl('a2', '3181-5', '2026-06-01', True),
         sr('ana', text='ANA'), sr('prl', LOINC, '2842-3'), mr('pred', ATC, 'H02AB07'), mr('enox', ATC, 'B01AB05')),
    ['RPL-APL-TREAT', 'RPL-HORMONE-PROFILE', 'RPL-ANA'], ['NR-IMMUNOLOGY', 'NR-PROLACTIN', 'NR-PREDNISONE', 'NR-LMWH-THROMBOPHILIA', 'NR-DRUGS', 'RPL-PROLACTIN'],
    note='v2: coded amenorrhoea now orders the hormone profile (RPL-HORMONE-PROFILE) and prolactin (RPL-PROLACTIN), which the input already requests: a note, no new order; the coded lupus gives "consider ANA" (RPL-ANA: the ANA request is text only, not recognised as the test); enoxaparin without a thrombophilia is the "Heparine" of NR-DRUGS, lifted by the persistent antibodies.')
add('nr-exceptions-genetics-hormones', 'Requests whose exceptions hold: parental karyotyping when the criteria hold (already requested, so RPL-KARYOTYPE orders nothing new: v2), pregnancy-tissue genetics with a structural anomaly of the last loss named in text, a hormone profile with a cycle disorder named in text (text holds a flag back, never orders: v2)',
    base(fmh('mother', 'MTH', '102878001'),
         {'resourceType': 'Condition', 'id': 'anomaly', 'code': {'text': 'Structurele afwijking bij 20-wekenecho'}, 'subject': SUBJ, 'onsetDateTime': '2026-09-20'},
         {'resourceType': 'Condition', 'id': 'cycle', 'code': {'text': 'Cyclusstoornis'}, 'subject': SUBJ},
         sr('kary', SCT, '444309000'), sr('poc', SCT, '312948004'), sr('hormones', text='Hormoonprofiel'),
         birth='1995-01-01', ls=['2024-01-10', '2025-03-10', '2026-10-05']),
    [], ['NR-KARYOTYPE', 'NR-TISSUE-GENETICS', 'NR-HORMONES', 'RPL-TISSUE-GENETICS', 'RPL-HORMONE-PROFILE', 'RPL-PROLACTIN'],
    note='v2: NR-TISSUE-GENETICS is lifted by an anomaly of the most recent loss (within 8 weeks), here named in text; the last loss moved from 2026-01-22 to 2026-10-05 so that it is recent.')
add('endocrine-amenorrhoea-icd10', 'Amenorrhoea coded ICD-10 N91.1, not pregnant, no results: prolactin and the hormone profile (FSH, LH, estradiol: three orders, one requisition) (v2 §3a)',
    base(condition('amen', 'N91.1', '2026-05-01', system=ICD10)),
    ['RPL-PROLACTIN', 'RPL-HORMONE-PROFILE'], ['NR-PROLACTIN', 'NR-HORMONES', 'RPL-ANA', 'RPL-TISSUE-GENETICS'])
add('endocrine-after-delivery', 'Amenorrhoea three and a half months after a delivery (Procedure 236973005): expected postpartum, no prolactin or hormone profile (v2 §3a)',
    base(condition('amen', 'N91.1', '2026-09-01', system=ICD10),
         {'resourceType': 'Procedure', 'id': 'birth', 'status': 'completed', 'code': cc(SCT, '236973005', 'Delivery procedure'), 'subject': SUBJ, 'performedDateTime': '2026-07-15'},
         ls=['2024-03-10', '2025-02-22']),
    [], ['RPL-PROLACTIN', 'RPL-HORMONE-PROFILE'])
add('endocrine-results-in-window', 'Oligomenorrhoea (N91.4) with prolactin, FSH and LH results in the lookback window: only estradiol is ordered (v2 §3a)',
    base(condition('oligo', 'N91.4', '2026-03-01', system=ICD10),
         obs('prl', '2842-3', '2026-09-01', valueQuantity=qty(12, 'ug/L')), obs('fsh', '15067-2', '2026-09-01', valueQuantity=qty(6, 'IU/L', '[IU]/L')),
         obs('lh', '10501-5', '2026-09-01', valueQuantity=qty(5, 'IU/L', '[IU]/L'))),
    ['RPL-HORMONE-PROFILE'], ['RPL-PROLACTIN'])
add('immunology-ana-consider', 'Systemic lupus erythematosus coded ICD-10 M32.9 and no ANA result: consider ANA, a plan activity, no order (v2 §3a)',
    base(condition('sle', 'M32.9', '2021-06-01', system=ICD10)), ['RPL-ANA'], ['NR-IMMUNOLOGY'])
add('immunology-ana-done', 'Lupus with an ANA result on record (2021): RPL-ANA stays quiet',
    base(condition('sle', 'M32.9', '2021-06-01', system=ICD10), obs('ana', '5048-4', '2021-05-20', valueString='1:640')), [], ['RPL-ANA'])
add('genetics-tissue-anomaly-recent-loss', 'The most recent loss (2026-10-05, four weeks ago) with an abnormal ultrasound finding coded ICD-10 O28.3: genetic analysis of its tissue may be considered (v2 §3a); the tissue request is not flagged',
    base(condition('echo', 'O28.3', '2026-09-20', system=ICD10), sr('poc', SCT, '312948004'), ls=['2025-03-10', '2026-10-05']),
    ['RPL-TISSUE-GENETICS'], ['NR-TISSUE-GENETICS'])
add('genetics-tissue-anomaly-old-loss', 'The same anomaly with a loss five months ago: past the 8 weeks, no activity, and the tissue request is flagged (v2 §3a)',
    base(condition('echo', 'O28.3', '2026-05-20', system=ICD10), sr('poc', SCT, '312948004'), ls=['2025-03-10', '2026-06-05']),
    ['NR-TISSUE-GENETICS'], ['RPL-TISSUE-GENETICS'])
add('nr-completed-requests', 'Not-recommended tests and procedures that are already completed or revoked are not open requests: nothing flagged',
    base(sr('thrombo', text='Trombofilie-onderzoek', status='completed'), sr('vitd', LOINC, '62292-8', status='completed'),
         sr('hcy', LOINC, '13965-9', status='revoked'), sr('septum', text='Septumresectie', status='completed'),
         sr('polyp', text='Poliep verwijdering', status='completed'), sr('scratch', text='Endometrium scratching', status='revoked'),
         sr('imsi', text='IMSI', status='completed')),
    [], ['NR-THROMBOPHILIA', 'NR-OVARIAN-ENDOCRINE', 'NR-HOMOCYSTEINE', 'NR-UTERINE-SURGERY', 'NR-POLYP-MYOMA-ADHESION', 'NR-SCRATCHING', 'NR-SPERM-SELECTION'])
HIGH = lambda **kw: base(tsh(4.6), *NEG, **kw)
add('shape-searchset-server-ids', 'A searchset with server ids: references to Patient/anna and Observation/tsh', HIGH(type='searchset', urls='server'), ['RPL-FT4'], ['RPL-TSH', 'RPL-APL'])
add('shape-transaction-urn-uuid', 'A transaction with urn:uuid full URLs: the subject by identifier', HIGH(type='transaction'), ['RPL-FT4'], ['RPL-TSH', 'RPL-APL'])
doc = HIGH(type='document', timestamp='2026-11-02T10:00:00+01:00')
doc['entry'].insert(0, {'fullUrl': 'urn:uuid:' + uuidish('Composition'), 'resource': {'resourceType': 'Composition', 'id': 'letter', 'status': 'final', 'type': {'text': 'Verwijsbrief'},
                                                                                   'subject': {'reference': doc['entry'][0]['fullUrl']}, 'date': '2026-11-02', 'author': [{'display': 'dr. X'}], 'title': 'Verwijzing'}})
doc['identifier'] = {'system': 'urn:ietf:rfc:3986', 'value': 'urn:uuid:' + uuidish('document')}
add('shape-document-bundle', 'A document Bundle and no pinned date: the evaluation date is its timestamp', doc, ['RPL-FT4'], ['RPL-TSH'], as_of=None)
add('shape-contained-results', 'TSH contained in a DiagnosticReport',
    base({'resourceType': 'DiagnosticReport', 'id': 'dr', 'contained': [dict(tsh(4.6, id='t1'), subject=SUBJ)], 'status': 'final',
          'code': {'text': 'Schildklierfunctie'}, 'subject': SUBJ, 'result': [{'reference': '#t1'}]}), ['RPL-FT4'], ['RPL-TSH'])
add('shape-local-code-conceptmap', 'TSH with only the hospital\'s local code, mapped by ConceptMap-rpl-local-codes',
    base(obs('tsh-local', 'TSH', '2026-10-20', system='http://hospital.example.nl/CodeSystem/lab', valueQuantity=qty(4.6, 'mIU/L', 'm[IU]/L'))),
    ['RPL-FT4'], ['RPL-TSH'])
add('shape-xml-input', 'The searchset scenario in XML: the same decisions, XML out', HIGH(type='searchset', urls='server'), ['RPL-FT4'], ['RPL-TSH', 'RPL-APL'], fmt='xml')
# Misty Bradtke has 2 losses as the card counts them, but Synthea records her death in 2012: v2 gives a
# deceased patient no plan.
for name, fires, title in [('Misty_Bradtke', False, 'Misty Bradtke (Synthea): miscarriage 1990 and blighted ovum 2005 are 2 losses (the 1997 tubal pregnancy is not), but she is recorded as deceased (2012-11-26): no plan (guideline.md v2)'),
                           ('Samira_Parisian', True, 'Samira Parisian (Synthea): two loss Conditions on 2015-05-20 count once, plus 2018: 2 losses, a plan'),
                           ('Shasta_Towne', False, 'Shasta Towne (Synthea): two loss Conditions on one date are 1 loss: no plan')]:
    src = [f for f in os.listdir(SYN) if f.startswith(name)][0]
    add('synthea-' + name.lower().replace('_', '-'), title, ('file', os.path.join(SYN, src)),
        ['RPL-INDICATION', 'RPL-PROGNOSIS', 'RPL-TSH', 'RPL-APL', 'RPL-UTERUS'] if fires else [], [] if fires else ['RPL-INDICATION'])


def to_xml(b):
    import subprocess
    binary = os.path.join(ROOT, '.build', 'debug', 'rpl-adapter')
    return subprocess.run([binary, 'convert', '--pretty', '--to', 'xml', '-'], input=json.dumps(b).encode(), capture_output=True, check=True).stdout


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, title, inp, fires, quiet, note, as_of, fmt in S:
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        for old in ('input.json', 'input.xml'):
            if os.path.exists(os.path.join(d, old)): os.remove(os.path.join(d, old))
        if isinstance(inp, tuple):
            shutil.copyfile(inp[1], os.path.join(d, 'input.json'))
        elif fmt == 'xml':
            open(os.path.join(d, 'input.xml'), 'wb').write(to_xml(inp))
        else:
            with open(os.path.join(d, 'input.json'), 'w') as f:
                json.dump(inp, f, indent=2, ensure_ascii=False); f.write('\n')
        params = {'resourceType': 'Parameters', 'id': name, 'parameter': []}
        if as_of: params['parameter'].append({'name': 'asOf', 'valueDate': as_of})
        if not params['parameter']: params['parameter'].append({'name': 'note', 'valueString': 'no options: the evaluation date is the input Bundle.timestamp'})
        with open(os.path.join(d, 'parameters.json'), 'w') as f:
            json.dump(params, f, indent=2); f.write('\n')
        with open(os.path.join(d, 'README.md'), 'w') as f:
            f.write(f'# {name}\n\n{title}.\n\n')
            f.write(f'Fires: {", ".join(fires) if fires else "(none)"}\n')
            f.write(f'Quiet: {", ".join(quiet) if quiet else "(none)"}\n')
    write_readme()
    print(len(S), 'scenarios')


RULES = ['RPL-INDICATION', 'RPL-TERM'] + ADVICE[:7] + ['RPL-PROGNOSIS', 'RPL-TSH', 'RPL-FT4', 'RPL-LEVOTHYROXINE', 'RPL-SUBCLINICAL',
         'RPL-APL', 'RPL-APL-REPEAT', 'RPL-APL-TREAT', 'RPL-KARYOTYPE', 'RPL-GENETIC-COUNSELING', 'RPL-CLINICAL-GENETICS', 'RPL-UTERUS',
         'RPL-UROGENITAL', 'RPL-LIFESTYLE', 'RPL-PROGESTERONE', 'RPL-CERVIX', 'RPL-PROLACTIN', 'RPL-HORMONE-PROFILE', 'RPL-ANA',
         'RPL-TISSUE-GENETICS', 'NR-TISSUE-GENETICS', 'NR-KARYOTYPE', 'NR-THROMBOPHILIA',
         'NR-IMMUNOLOGY', 'NR-HORMONES', 'NR-PROLACTIN', 'NR-OVARIAN-ENDOCRINE', 'NR-HOMOCYSTEINE', 'NR-LEVOTHYROXINE-EUTHYROID',
         'NR-LMWH-THROMBOPHILIA', 'NR-UTERINE-SURGERY', 'NR-POLYP-MYOMA-ADHESION', 'NR-SCRATCHING', 'NR-SPERM-SELECTION', 'NR-DRUGS', 'NR-PREDNISONE']

# Rules that cannot be quiet while a plan exists, and why (the general advice is always part of the plan).
ALWAYS = {r: 'part of every plan: quiet only where there is no plan' for r in ADVICE}
ALWAYS['RPL-TERM'] = 'a constraint on every output, never allowed to fail: no scenario may show the rejected term'


def write_readme():
    lines = ['# Fixtures: replayable scenarios', '',
             'Each folder is one scenario, in the shape of an HL7 CRMI test case (input data, input parameters,',
             'expected output):', '',
             '| file | what |', '|---|---|',
             '| `input.json` or `input.xml` | the input Bundle, as a feed would send it |',
             '| `parameters.json` | a FHIR `Parameters` with the options: `asOf` (valueDate), the pinned evaluation date |',
             '| `expected.json` | the expected output of `rpl-adapter apply` (a transaction Bundle, or an OperationOutcome) |',
             '| `README.md` | what the scenario shows, and the rules that must fire (`Fires:`) and stay quiet (`Quiet:`) |', '',
             'Run them all with `rpl-adapter replay` (or `swift run rpl-adapter replay`); `--filter TEXT` runs a subset,',
             '`--update` rewrites the expectations that changed and prints the differences, `--junit FILE` writes a report.', '',
             'How the expectations were made: `scripts/make-fixture-inputs.py` holds each scenario as designed by hand from',
             'guideline.md (input, date, and the rules that must fire and stay quiet); `replay --update` wrote `expected.json`;',
             'the test `FixtureTests.expectedOutputFiresWhatTheREADMEDeclares` fails unless every expected output fires exactly',
             'the declared rules. A change in an expectation shows in review as a diff of `expected.json`.', '',
             '`examples/` holds the bundled example of the README (not a scenario).', '',
             '## Rules and the scenarios that exercise them', '',
             '| rule | fires in | quiet in |', '|---|---|---|']
    for r in RULES:
        fires = [n for n, _, _, f, q, *_ in S if r in f]
        quiet = [n for n, _, _, f, q, *_ in S if r in q]
        q = ', '.join(quiet) if quiet else ('(reason) ' + ALWAYS.get(r, ''))
        if r in ALWAYS and not quiet:
            q = '(reason) ' + ALWAYS[r]
        lines.append(f'| {r} | {", ".join(fires) if fires else "—"} | {q} |')
    lines += ['', 'Where a general-advice rule is listed as quiet, it is in a scenario without a plan (fewer than 2 losses).', '']
    open(os.path.join(OUT, 'README.md'), 'w').write('\n'.join(lines))


if __name__ == '__main__':
    main()
