#!/usr/bin/env python3
"""Writes the callout icons into static/callouts.css: one CSS mask per callout type, from Lucide's icons (the set
Obsidian draws callouts with), as data: URLs so that a page loads nothing from another origin.

    scripts/callout-icons.py

Fetches lucide-static at the pinned version with `npm pack` (which runs no install scripts), checks the tarball's
integrity, and rewrites the block between the two marker comments in static/callouts.css. Lucide is under the ISC
licence; its notice is written with the block.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse

VERSION = "1.62.0"
INTEGRITY = "sha512-WBZA/m2PvkFpMGHDtsBck5P2A9G4ehLlYu4GwwICcmEm1BvYVgj00lCDxKRWLlbMlOibLaiwdQ88G5pHkSWgwA=="  # dist.integrity

# Obsidian's callout types and the icon each is drawn with; an unknown type is drawn as a note.
ICONS = [
    (["note"], "pencil"),
    (["abstract", "summary", "tldr"], "clipboard-list"),
    (["info"], "info"),
    (["todo"], "circle-check"),
    (["tip", "hint", "important"], "flame"),
    (["success", "check", "done"], "check"),
    (["question", "help", "faq"], "circle-help"),
    (["warning", "caution", "attention"], "triangle-alert"),
    (["failure", "fail", "missing"], "x"),
    (["danger", "error"], "zap"),
    (["bug"], "bug"),
    (["example"], "list"),
    (["quote", "cite"], "quote"),
]

BEGIN = "/* callout icons: written by scripts/callout-icons.py from lucide-static"
END = "/* end of callout icons */"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"lucide-static@{VERSION}", "--json"], cwd=tmp, check=True,
                             capture_output=True, text=True).stdout
        name = re.search(r'"filename":\s*"([^"]+)"', out).group(1)
        tarball = os.path.join(tmp, name)
        digest = "sha512-" + base64.b64encode(hashlib.sha512(open(tarball, "rb").read()).digest()).decode()
        if not INTEGRITY:
            sys.exit(f"set INTEGRITY = \"{digest}\" in this script (check it against the registry), then run again")
        if digest != INTEGRITY:
            sys.exit(f"lucide-static {VERSION}: integrity {digest} is not the pinned {INTEGRITY}")
        with tarfile.open(tarball) as tar:
            licence = tar.extractfile("package/LICENSE").read().decode().strip()
            svgs = {icon: tar.extractfile(f"package/icons/{icon}.svg").read().decode() for _, icon in ICONS}
    rules = []
    for types, icon in ICONS:
        shapes = re.search(r"<svg[^>]*>(.*)</svg>", svgs[icon], re.S).group(1)
        shapes = re.sub(r"\s+", " ", shapes).strip().replace('"', "'")
        svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='black' "
               f"stroke-width='2' stroke-linecap='round' stroke-linejoin='round'>{shapes}</svg>")
        url = "data:image/svg+xml," + urllib.parse.quote(svg, safe=" '=/:,.-")
        selectors = ",\n".join(f'.callout[data-callout="{t}"]' for t in types)
        if types[0] == "note":
            selectors = ".callout"
        rules.append(f"{selectors} {{\n  --callout-icon: url(\"{url}\");\n}}")
    notice = "\n".join(f"   {line}".rstrip() for line in licence.splitlines())
    block = f"{BEGIN} {VERSION}:\n{notice}\n*/\n\n" + "\n\n".join(rules) + f"\n\n{END}"
    path = os.path.join(root, "static", "callouts.css")
    css = open(path).read()
    if BEGIN in css:
        css = css[: css.index(BEGIN)] + block + css[css.index(END) + len(END):]
    else:
        css = css.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(css)
    print(f"wrote {len(ICONS)} icons of lucide-static {VERSION} into static/callouts.css")


if __name__ == "__main__":
    main()
