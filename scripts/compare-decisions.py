#!/usr/bin/env python3
"""Compares every fixture's expected output at a git revision with the working tree, with the
texts a clinician reads blanked (text, description, detail, rationale, title, display and the
note texts): what is left is the decisions, ids, references, codes and dates. Exit 1 on any
difference. Used when a change should alter only wording (issue 19: the plan in Dutch).

    python3 scripts/compare-decisions.py HEAD~1
"""
import glob, json, subprocess, sys

TEXTS = {"text", "description", "detail", "rationale", "title", "display"}


def blank(x):
    if isinstance(x, dict):
        return {k: ("" if k in TEXTS and isinstance(v, str) else blank(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [blank(v) for v in x]
    return x


def main():
    rev = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    same = differ = 0
    for path in sorted(glob.glob("Fixtures/*/expected.json")):
        try:
            old = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, check=True).stdout
        except subprocess.CalledProcessError:
            print(f"{path}: not at {rev} (new)")
            continue
        a, b = blank(json.loads(old)), blank(json.load(open(path)))
        if a == b:
            same += 1
        else:
            differ += 1
            print(f"{path}: decisions differ")
    print(f"compare-decisions: {same} fixtures the same but for texts, {differ} differ (against {rev})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
