#!/usr/bin/env python3
"""The phrases a clinician reads (issue 19), found in the Swift sources, and the catalogue that
words them in English and Dutch (Profiles/CodeSystem-rpl-text.json).

A phrase is a Swift string literal of type Phrase: its words with {0}, {1} … where its
interpolations stand are its template, the catalogue's key. This script reads every string
literal of the files that write clinicians' texts, as Swift would build the template, and:

  check   (default) fails when a prose literal of those files is not in the catalogue, when a
          catalogue entry is not in the sources any more, or when an entry lacks a language or
          its placeholders differ between languages.
  list    prints the templates the sources hold that the catalogue lacks (one JSON object each).
  update  adds them to the catalogue with their English wording and no Dutch (check then fails
          until the Dutch is written), and drops entries no longer in the sources.

Literals that are not phrases (JSON names, codes, operators' messages) are told apart by shape:
a phrase has a letter and a space; the few prose literals that are not phrases are listed in
NOT_PHRASES below, each with why.
"""
import hashlib, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "Profiles" / "CodeSystem-rpl-text.json"
SYSTEM = "http://rpl-adapter.org/fhir/CodeSystem/rpl-text"

# The files that write texts a clinician reads.
SOURCES = (
    [p for p in sorted((ROOT / "Sources/RPLGuideline").glob("*.swift"))
     if p.name not in ("Card.swift", "CalendarDate.swift", "Phrase.swift") and not p.name.endswith(".generated.swift")]
    + sorted((ROOT / "Sources/RPLAdapter/Facts").glob("*.swift"))
    + [ROOT / "Sources/RPLAdapter/Output" / n for n in ("PlanEmitter.swift", "ContainedCarePlan.swift", "Withdrawals.swift", "Wording.swift")]
    + sorted((ROOT / "Sources/RPLAdapter/Output/Transaction").glob("*.swift"))
    + [ROOT / "Sources/RPLService/Cards.swift"]
)

# Prose literals in those files that are not phrases: (file name, template) → why.
NOT_PHRASES = {
    ("Indication.swift", "recurrent abort"): "RPL-TERM's search for the rejected term",
    ("Indication.swift", "herhaalde miskramen"): "RPL-TERM's replacement, in the language of the term it replaces",
    ("Indication.swift", "recurrent pregnancy losses"): "RPL-TERM's replacement, in the language of the term it replaces",
    ("Indication.swift", "recurrent pregnancy loss"): "RPL-TERM's replacement, in the language of the term it replaces",
    ("FactSource.swift", "the Bundle has no Patient"): "an error for the operator (OperationOutcome)",
    ("FactSource.swift", "the Bundle has {0} Patients and none is female: cannot tell who the patient is"): "an error for the operator",
    ("FactSource.swift", "the Bundle has {0} female Patients, not linked to each other (Patient.link): one Bundle holds one patient"): "an error for the operator",
    ("FactSource.swift", "{0} a"): "a FHIR age's unit, read",
    ("FactSource.swift", "{0} mo"): "a FHIR age's unit, read",
    ("FactSource.swift", "{0} wk"): "a FHIR age's unit, read",
    ("FactSource.swift", "{0} d"): "a FHIR age's unit, read",
    ("FactSource.swift", "age {0}"): "an onsetAge as the record writes it (its value and unit), quoted in warnings",
    ("FactSource.swift", "age {0}–{1}"): "an onsetRange as the record writes it, quoted in warnings",
    ("Requests.swift", "pregnancy tissue genetics"): "a not-recommended item's key",
    ("ServiceRequest.swift", "Recurrent miscarriage"): "SNOMED CT's display of 102878001",
    ("Provenance.swift", "rpl-adapter {0}"): "the agent's name and version",
}


def literals(text):
    """Every (template, line) of a string literal in Swift source, interpolations as {n}; the
    literals inside an interpolation too."""
    out = []
    NESTED.clear()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0: break
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2
            continue
        if text.startswith('"""', i):
            end = text.find('"""', i + 3)
            i = end + 3
            continue
        if c == '"':
            template, i = read_literal(text, i + 1)
            line = text.count("\n", 0, i) + 1
            out.append((template, line))
            out.extend((t, line) for t in NESTED)
            NESTED.clear()
            continue
        i += 1
    return out


NESTED = []


def read_literal(text, i):
    """Reads from after the opening quote; returns (template, index after the closing quote)."""
    parts, k = [], 0
    while True:
        c = text[i]
        if c == '"':
            return "".join(parts), i + 1
        if c == "\\":
            d = text[i + 1]
            if d == "(":
                i = skip_interpolation(text, i + 2)
                parts.append("{%d}" % k)
                k += 1
                continue
            if d == "u":
                end = text.index("}", i)
                parts.append(chr(int(text[i + 3:end], 16)))
                i = end + 1
                continue
            parts.append({"n": "\n", "t": "\t", "0": "\0", "r": "\r"}.get(d, d))
            i += 2
            continue
        parts.append(c)
        i += 1


def skip_interpolation(text, i):
    depth = 1
    while depth:
        c = text[i]
        if c == '"':
            nested, i = read_literal(text, i + 1)
            NESTED.append(nested)
            continue
        if c == "(": depth += 1
        elif c == ")": depth -= 1
        i += 1
    return i


def is_prose(template):
    return bool(re.search(r"[A-Za-z]", template)) and " " in template and template.strip() == template or template in SINGLE_WORDS


# Phrases of one word (a classification, a term) that the shape test alone would miss.
SINGLE_WORDS = {"low", "normal", "high", "date", "onset", "performed", "BMI", "TSH", "interpretation", "positive", "negative",
                "levothyroxine", "card", "birthDate", "resolved", "adenomyosis", "smokes", "active", "recurrence", "relapse",
                "years", "progesterone"}  # an implausible age's unit, a medication held back by its name (helper-42's audit)


def source_templates():
    found = {}
    for path in SOURCES:
        for template, line in literals(path.read_text()):
            if template == "{0}" or not is_prose(template):
                continue
            if (path.name, template) in NOT_PHRASES:
                continue
            found.setdefault(template, f"{path.relative_to(ROOT)}:{line}")
    return found


def profile_texts():
    """The English texts of Profiles that the output copies (the catalogue words them too): the
    project's activity displays, the ActivityDefinitions' code texts, dosages and item names."""
    found = {}
    profiles = ROOT / "Profiles"
    for name in ("CodeSystem-rpl-activity.json", "CodeSystem-rpl-override-reason.json"):
        for c in json.loads((profiles / name).read_text())["concept"]:
            found.setdefault(c["display"], f"Profiles/{name}")
    for path in sorted(profiles.glob("ActivityDefinition-*.json")):
        ad = json.loads(path.read_text())
        where = f"Profiles/{path.name}"
        for key in ("code", "productCodeableConcept"):
            if key in ad and "text" in ad[key]:
                found.setdefault(ad[key]["text"], where)
        for d in ad.get("dosage", []):
            if "text" in d:
                found.setdefault(d["text"], where)
        for e in ad.get("extension", []):
            if e["url"].endswith("/activity-item"):
                for part in e["extension"]:
                    if part["url"] == "text":
                        found.setdefault(part["valueString"], where)
    return found


def code(template):
    return "t-" + hashlib.sha1(template.encode()).hexdigest()[:10]


def load():
    cs = json.loads(CATALOGUE.read_text())
    return cs, {c["display"]: c for c in cs.get("concept", [])}


def dutch(concept):
    for d in concept.get("designation", []):
        if d.get("language") == "nl":
            return d.get("value")
    return None


def placeholders(t):
    return sorted(re.findall(r"\{\d+\}", t))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    found = source_templates()
    for t, where in profile_texts().items():
        found.setdefault(t, where)
    cs, entries = load()
    if mode == "list":
        for t, where in found.items():
            if t not in entries:
                print(json.dumps({"template": t, "where": where}, ensure_ascii=False))
        return 0
    if mode == "update":
        concepts = [entries[t] for t in entries if t in found]
        for t in found:
            if t not in entries:
                concepts.append({"code": code(t), "display": t})
        cs["concept"] = concepts
        CATALOGUE.write_text(json.dumps(cs, indent=2, ensure_ascii=False) + "\n")
        return 0
    problems = []
    for t, where in found.items():
        if t not in entries:
            problems.append(f"{where}: not in the catalogue: {t!r}")
    for t, c in entries.items():
        if t not in found:
            problems.append(f"catalogue {c['code']}: no longer in the sources: {t!r}")
        nl = dutch(c)
        if not nl:
            problems.append(f"catalogue {c['code']}: no Dutch: {t!r}")
        elif placeholders(nl) != placeholders(t):
            problems.append(f"catalogue {c['code']}: placeholders differ: {t!r} / {nl!r}")
        if c["code"] != code(t):
            problems.append(f"catalogue {c['code']}: code is not the template's ({code(t)})")
    for p in problems:
        print(p)
    print(f"texts: {len(found)} phrases in the sources, {len(entries)} in the catalogue, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
