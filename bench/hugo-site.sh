#!/usr/bin/env bash
# hugo-site.sh GARDEN SITE: a Hugo site (SITE/hugo.toml, SITE/layouts, SITE/content) around a copy of a garden's
# notes, set up to do work comparable to loam's, for the benchmarks that compare the two (build-vs-hugo.sh,
# serve-latency.py).
#
# Copies the notes into SITE/content, with two frontmatter changes on the copy only (never on loam's input):
# `aliases:` becomes `loam_aliases:` (Hugo takes aliases as redirect URLs; genvault's are plain words) and
# `publish: false` becomes `draft: true`. Every sub-folder gets an `_index.md`, because Hugo lists a nested folder
# as a section (a folder page, as loam makes) only when it has one.
set -euo pipefail
garden=$1 site=$2
mkdir -p "$site/content"
python3 - "$garden" "$site/content" <<'PY'
import os, shutil, sys
src, content = sys.argv[1], sys.argv[2]
for dirpath, dirnames, filenames in os.walk(src):
    dirnames.sort()
    rel = os.path.relpath(dirpath, src)
    out = content if rel == "." else os.path.join(content, rel)
    os.makedirs(out, exist_ok=True)
    if rel != ".":
        name = os.path.basename(dirpath).replace("\\", "\\\\").replace('"', '\\"')
        with open(os.path.join(out, "_index.md"), "w", encoding="utf-8") as f:
            f.write('---\ntitle: "%s"\n---\n' % name)
    for fn in sorted(filenames):
        s, d = os.path.join(dirpath, fn), os.path.join(out, fn)
        if not fn.endswith(".md"):
            shutil.copyfile(s, d)
            continue
        with open(s, encoding="utf-8") as f:
            text = f.read()
        end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
        if end > 0:
            fm = [("loam_aliases:" + l[len("aliases:"):]) if l.startswith("aliases:")
                  else "draft: true" if l.rstrip() == "publish: false" else l
                  for l in text[4:end].split("\n")]
            text = "---\n" + "\n".join(fm) + text[end:]
        with open(d, "w", encoding="utf-8") as f:
            f.write(text)
PY
cat >"$site/hugo.toml" <<'EOF'
baseURL = "https://example.org/"
title = "Bench garden"
languageCode = "en"
buildFuture = true
buildExpired = true

[taxonomies]
tag = "tags"

# One feed for the whole site, as loam writes; Hugo's default adds one per folder and per tag.
[outputs]
home = ["HTML", "RSS"]
section = ["HTML"]
taxonomy = ["HTML"]
term = ["HTML"]

# Code highlighted with CSS classes, as loam does (syntect's classed spans and a stylesheet).
[markup.highlight]
codeFences = true
noClasses = false

[markup.goldmark.renderer]
unsafe = true

[markup.tableOfContents]
startLevel = 1
endLevel = 6
EOF
mkdir -p "$site/layouts/_default"
cat >"$site/layouts/_default/baseof.html" <<'EOF'
<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<title>{{ .Title }} | {{ site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}">
</head>
<body>
<nav><a href="{{ "/" | relURL }}">{{ site.Title }}</a> · <a href="{{ "tags/" | relURL }}">tags</a></nav>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
EOF
cat >"$site/layouts/_default/single.html" <<'EOF'
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
{{ with .GetTerms "tags" }}<ul class="tags">{{ range . }}<li><a href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}
{{ with .Date }}<time datetime="{{ .Format "2006-01-02" }}">{{ .Format "2 January 2006" }}</time>{{ end }}
<nav class="toc">{{ .TableOfContents }}</nav>
{{ .Content }}
</article>
{{ end }}
EOF
cat >"$site/layouts/_default/list.html" <<'EOF'
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
{{ with .Sections }}<ul class="folders">{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> ({{ len .Pages }})</li>{{ end }}</ul>{{ end }}
<ul class="notes">
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ with .Date }} <time>{{ .Format "2006-01-02" }}</time>{{ end }}</li>
{{ end }}
</ul>
{{ end }}
EOF
