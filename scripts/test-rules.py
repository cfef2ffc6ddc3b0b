#!/usr/bin/env python3
"""The rule book in a real browser (issue 19): `rpl-adapter rules --format html` opened by headless
Chromium (Debian's): the page renders (a screenshot that is not blank), every rule id is in the
rendered page, it prints to PDF as several pages; the markdown of the built-in Profiles is
byte-stable. Usage: test-rules.py path/to/rpl-adapter
"""
import os, re, struct, subprocess, sys, tempfile, zlib

BIN = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def chromium(*args):
    for name in ("chromium", "chromium-browser", "google-chrome"):
        for d in os.environ.get("PATH", "").split(":"):
            if os.access(os.path.join(d, name), os.X_OK):
                return subprocess.run([os.path.join(d, name), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                       "--disable-extensions", *args], capture_output=True, timeout=120)
    raise SystemExit("chromium not found (Debian: apt-get install chromium)")


def png_pixels(path):
    """(width, height, distinct byte values of the decoded rows): enough to tell a blank page."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def main():
    rules = [l.split('"code": "')[1].split('"')[0] for l in open(os.path.join(HERE, "Profiles/CodeSystem-rpl-rule.json")) if '"code": "' in l]
    check(len(rules) == 45, f"{len(rules)} rule ids in CodeSystem rpl-rule")
    with tempfile.TemporaryDirectory() as work:
        for language in ("nl", "en"):
            page = os.path.join(work, f"rules-{language}.html")
            with open(page, "wb") as f:
                r = subprocess.run([BIN, "rules", "--language", language, "--format", "html"], cwd=HERE, stdout=f, stderr=subprocess.PIPE)
            check(r.returncode == 0, f"rules --language {language} --format html exits 0 ({r.stderr.decode()[:200]})")
            dom = chromium("--dump-dom", "file://" + page).stdout.decode()
            ids = set(re.findall(r'<section class="rule[^"]*" id="([^"]+)"', dom))
            check(ids == set(rules), f"{language}: the rendered page holds every rule id ({len(ids)} of {len(rules)})")
            shot = os.path.join(work, f"rules-{language}.png")
            chromium("--window-size=1280,1800", "--screenshot=" + shot, "file://" + page)
            width, height, distinct = png_pixels(shot) if os.path.exists(shot) else (0, 0, 0)
            check(width == 1280 and height == 1800 and distinct > 40, f"{language}: a screenshot that is not blank ({width}x{height}, {distinct} distinct byte values)")
            pdf = os.path.join(work, f"rules-{language}.pdf")
            chromium("--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + page)
            pages = len(re.findall(rb"/Type\s*/Page[^s]", open(pdf, "rb").read())) if os.path.exists(pdf) else 0
            check(pages >= 6, f"{language}: prints as {pages} pages (each card area starts one)")
        first = subprocess.run([BIN, "rules", "--format", "markdown"], cwd=HERE, capture_output=True).stdout
        second = subprocess.run([BIN, "rules", "--format", "markdown"], cwd=HERE, capture_output=True).stdout
        check(first == second and len(first) > 10000, f"markdown of the built-in Profiles is byte-stable ({len(first)} bytes)")
    print(f"{len(failures)} failed" if failures else "rules: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
