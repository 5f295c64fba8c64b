//! A deterministic synthetic garden shaped like what Loam's `note_parts`/`note_value` see for
//! `python3 genvault.py DIR 10000` (sizes calibrated on Loam's own output for that garden: content HTML median
//! ~2.6 KB, mean ~5 KB, ~1.5% of notes 20-50 KB; 1-5 tags; Zipf-distributed backlinks, median ~6, hubs with
//! hundreds; 0-4 folder levels; one or more dates), plus descriptions and history (edited date, contributors)
//! that the generated garden lacks, so that every branch of note.html is taken.

use std::sync::Arc;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        // SplitMix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    pub fn pick<'a, T: Copy>(&mut self, items: &'a [T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.f().max(1e-12), self.f());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const WORDS: &[&str] = &[
    "account", "action", "advice", "agent", "algorithm", "analysis", "answer", "archive", "area", "argument",
    "article", "balance", "battery", "behavior", "bicycle", "block", "board", "boundary", "branch", "bridge",
    "budget", "buffer", "cache", "camera", "campaign", "capital", "carbon", "career", "category", "chain",
    "chapter", "chart", "circle", "claim", "client", "climate", "cloud", "cluster", "code", "coffee", "column",
    "community", "concept", "context", "contract", "control", "cursor", "customer", "cycle", "data", "database",
    "deadline", "decision", "design", "device", "diagram", "diet", "dinner", "disk", "document", "domain",
    "draft", "dream", "driver", "economy", "editor", "energy", "engine", "error", "event", "example",
    "exercise", "feature", "feedback", "filter", "finance", "flight", "focus", "format", "formula", "garden",
    "gateway", "graph", "growth", "guide", "habit", "health", "history", "idea", "image", "index", "input",
    "insight", "journal", "kernel", "kitchen", "knowledge", "label", "language", "layer", "layout", "lecture",
    "lesson", "library", "limit", "link", "loop", "machine", "market", "matrix", "meeting", "memory", "method",
    "mirror", "model", "module", "monitor", "mountain", "museum", "music", "network", "node", "notebook",
    "ocean", "office", "option", "order", "output", "paper", "parser", "pattern", "people", "philosophy",
    "photo", "pipeline", "planet", "platform", "plugin", "poem", "policy", "practice", "problem", "process",
    "project", "protocol", "query", "queue", "reading", "recipe", "record", "release", "report", "research",
    "review", "river", "roadmap", "routine", "runtime", "schedule", "schema", "science", "screen", "script",
    "season", "security", "server", "session", "signal", "sketch", "software", "source", "sprint", "stack",
    "station", "storage", "strategy", "stream", "structure", "study", "summary", "system", "table", "target",
    "task", "team", "template", "tension", "theory", "thread", "ticket", "timeline", "token", "topic", "track",
    "travel", "trend", "update", "user", "value", "vector", "version", "video", "vision", "window", "workflow",
    "workshop", "writing",
];
const INTL: &[&str] = &[
    "Café", "Résumé", "naïve", "Übersicht", "Zürich", "façade", "Ångström", "jalapeño", "Straße", "Ελληνικά",
    "Москва", "東京", "日本語", "español", "São Paulo", "Łódź", "déjà vu", "über", "Øresund",
];
const TOP: &[&str] =
    &["Projects", "Areas", "Resources", "Archive", "Daily Notes", "Journal", "Café Recipes", "Zürich Trip"];
const PEOPLE: &[&str] = &["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra"];
const LANGS: &[&str] = &["python", "rust", "bash", "json", "sql", "yaml"];

#[derive(Debug, Clone)]
pub struct Date {
    pub iso: String,
    pub display: String,
}

#[derive(Debug)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug)]
pub struct Backlink {
    pub title: String,
    pub url: String,
    /// HTML: the sentence around the first link.
    pub context: String,
}

#[derive(Debug)]
pub struct Tag {
    pub name: String,
    /// Relative, as Loam's `Tag::url` (`tags/name/`); pages prefix `base_path`.
    pub url: String,
}

#[derive(Debug)]
pub struct Note {
    pub title: String,
    pub description: String,
    pub url: String,
    pub path: String,
    pub folder: usize,
    pub content: String,
    pub headings: Vec<Heading>,
    /// The shallowest heading level.
    pub top: u8,
    pub tags: Vec<Tag>,
    pub date: Option<Date>,
    pub created: Option<Date>,
    pub updated: Option<Date>,
    pub edited: Option<Date>,
    pub contributors: Vec<String>,
    /// Sorted by title, one per linking note.
    pub backlinks: Vec<Backlink>,
}

pub struct Folder {
    /// From the home page down to the folder itself: (title, url).
    pub crumbs: Vec<(String, String)>,
    pub url: String,
}

pub struct SiteData {
    pub title: String,
    pub description: String,
    pub base_path: String,
    pub base_url: String,
    pub site_origin: String,
    pub folders: Vec<Folder>,
    pub notes: Vec<Arc<Note>>,
    /// The 8 most recent notes: (url, title, iso date, display date).
    pub recent: Vec<(String, String, String, String)>,
}

fn slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

fn word(r: &mut Rng) -> &'static str {
    if r.f() < 0.015 {
        r.pick(INTL)
    } else {
        r.pick(WORDS)
    }
}

fn words(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| word(r)).collect::<Vec<_>>().join(" ")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn date(r: &mut Rng) -> Date {
    let (y, m, d) = (r.range(2019, 2025), r.range(1, 12), r.range(1, 28));
    Date { iso: format!("{y:04}-{m:02}-{d:02}T00:00:00+00:00"), display: format!("{y:04}-{m:02}-{d:02}") }
}

/// Inline HTML as Loam writes it for a sentence, with a link to one of `links` now and then.
fn sentence(r: &mut Rng, links: &[(String, String)]) -> String {
    let n = r.range(6, 18);
    let mut ws: Vec<String> = (0..n).map(|_| word(r).to_string()).collect();
    for _ in 0..r.range(0, 2) {
        let i = r.range(0, n - 1);
        ws[i] = match r.range(0, 5) {
            0 => format!("<strong>{}</strong>", ws[i]),
            1 => format!("<em>{}</em>", ws[i]),
            2 => format!("<code>{}_{}()</code>", ws[i], r.range(0, 99)),
            3 => format!("<a class=\"tag\" href=\"/tags/{0}/\">#{0}</a>", ws[i]),
            4 => format!("<a href=\"https://example.com/{}/{}\">{}</a>", r.pick(WORDS), r.range(1, 999), ws[i]),
            _ => format!("<mark>{}</mark>", ws[i]),
        };
    }
    if !links.is_empty() && r.f() < 0.35 {
        let (title, url) = &links[r.range(0, links.len() - 1)];
        ws.push(format!("<a class=\"internal\" href=\"{url}\">{title}</a>"));
    }
    let s = capitalize(&ws.join(" "));
    s + r.pick(&[".", ".", ".", "?", "!"])
}

fn code_block(r: &mut Rng) -> String {
    let lang = r.pick(LANGS);
    let mut s = format!(
        "<pre class=\"code\" data-lang=\"{lang}\"><code class=\"language-{lang}\"><span class=\"hl-source hl-{lang}\">"
    );
    for _ in 0..r.range(3, 12) {
        let (a, b) = (r.pick(WORDS), r.pick(WORDS));
        s += &format!(
            "    <span class=\"hl-storage hl-type hl-{lang}\">let</span> {a} <span class=\"hl-keyword hl-operator hl-{lang}\">=</span> <span class=\"hl-support hl-function hl-{lang}\">{b}</span>(<span class=\"hl-constant hl-numeric hl-{lang}\">{}</span>);\n",
            r.range(0, 999)
        );
    }
    s + "</span></code></pre>"
}

fn table(r: &mut Rng) -> String {
    let cols = r.range(3, 5);
    let mut s = String::from("<table><thead><tr>");
    for _ in 0..cols {
        s += &format!("<th>{}</th>", capitalize(word(r)));
    }
    s += "</tr></thead><tbody>\n";
    for _ in 0..r.range(2, 8) {
        s += "<tr>";
        for _ in 0..cols {
            let n = r.range(1, 3);
            s += &format!("<td>{}</td>", words(r, n));
        }
        s += "</tr>\n";
    }
    s + "</tbody></table>"
}

/// The note's HTML, about `size` bytes, with `headings` spread through it.
fn content(r: &mut Rng, size: usize, headings: &[Heading], links: &[(String, String)]) -> String {
    let mut html = String::with_capacity(size + 512);
    let per_head = size / (headings.len() + 1);
    let mut next_head = per_head / 2;
    let mut heads = headings.iter();
    loop {
        if html.len() >= next_head {
            if let Some(h) = heads.next() {
                html += &format!("<h{0} id=\"{1}\">{2}</h{0}>\n", h.level, h.id, h.text);
                next_head += per_head;
                continue;
            }
        }
        if html.len() >= size && heads.len() == 0 {
            break;
        }
        match r.range(0, 9) {
            0..=4 => {
                let n = r.range(2, 6);
                let p: Vec<String> = (0..n).map(|_| sentence(r, links)).collect();
                html += &format!("<p>{}</p>\n", p.join(" "));
            }
            5 | 6 => {
                html += "<ul>\n";
                for _ in 0..r.range(2, 7) {
                    html += &format!("<li>{}</li>\n", sentence(r, links));
                }
                html += "</ul>\n";
            }
            7 => html += &(code_block(r) + "\n"),
            8 => html += &(table(r) + "\n"),
            _ => html += &format!("<blockquote>\n<p>{}</p>\n</blockquote>\n", sentence(r, links)),
        }
    }
    html.pop(); // Loam's body HTML has no final newline in the page (`{{ note.content | safe }}\n  </div>`).
    html
}

pub fn generate(n: usize) -> SiteData {
    let mut r = Rng::new(1);
    // Folders: the root, top folders, then nested ones up to four levels (genvault makes n/40 of them).
    let nfold = (n / 40).max(8);
    let mut folders: Vec<(Vec<String>, usize)> = vec![(Vec::new(), 0)];
    for t in TOP {
        folders.push((vec![t.to_string()], 1));
    }
    while folders.len() < nfold {
        let parent = r.range(1, folders.len() - 1);
        if folders[parent].1 >= 4 {
            continue;
        }
        let name = match r.range(0, 9) {
            0 => r.pick(INTL).to_string(),
            1..=3 => {
                let k = r.range(2, 3);
                (0..k).map(|_| capitalize(word(&mut r))).collect::<Vec<_>>().join(" ")
            }
            4 => r.range(2015, 2025).to_string(),
            _ => capitalize(word(&mut r)),
        };
        let mut path = folders[parent].0.clone();
        path.push(name);
        if folders.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let depth = path.len();
        folders.push((path, depth));
    }
    let folders: Vec<Folder> = folders
        .iter()
        .map(|(path, _)| {
            let mut crumbs = vec![("Home".to_string(), "/".to_string())];
            let mut url = String::from("/");
            for seg in path {
                url += &slug(seg);
                url.push('/');
                crumbs.push((seg.clone(), url.clone()));
            }
            Folder { crumbs, url }
        })
        .collect();

    // Tags: a Zipf-ish pool of n/20.
    let ntags = (n / 20).max(12);
    let tag_pool: Vec<String> = (0..ntags)
        .map(|i| match i % 7 {
            0 => format!("{}/{}", r.pick(&["project", "area", "topic", "status"]), r.pick(WORDS)),
            1 => format!("{}-{}", r.pick(WORDS), r.pick(WORDS)),
            _ => format!("{}{}", r.pick(WORDS), if i >= WORDS.len() { format!("-{i}") } else { String::new() }),
        })
        .collect();
    let zipf = |r: &mut Rng, len: usize, s: f64| -> usize {
        // inverse-CDF sampling of 1/(k+1)^s over 0..len, approximately
        let u = r.f();
        let a = 1.0 - s;
        let max = ((len as f64 + 1.0).powf(a) - 1.0) / a;
        let x = (u * max * a + 1.0).powf(1.0 / a) - 1.0;
        (x as usize).min(len - 1)
    };

    // Titles and places first, for links and backlinks.
    struct Stub {
        title: String,
        url: String,
        path: String,
        folder: usize,
    }
    let mut seen = std::collections::HashSet::new();
    let stubs: Vec<Stub> = (0..n)
        .map(|i| {
            let folder = if r.f() < 0.08 { 0 } else { r.range(1, folders.len() - 1) };
            let mut title = if r.f() < 0.06 {
                date(&mut r).display
            } else {
                let k = r.range(1, 5);
                let t = words(&mut r, k);
                match r.range(0, 40) {
                    0 => format!("{}'s notes", capitalize(&t)),
                    1 => format!("{} & {}", capitalize(&t), word(&mut r)),
                    2 => format!("{} (draft)", capitalize(&t)),
                    3 => format!("{} — {}", capitalize(&t), words(&mut r, 2)),
                    _ => capitalize(&t),
                }
            };
            if !seen.insert(slug(&title)) {
                title = format!("{title} {i}");
                seen.insert(slug(&title));
            }
            let url = format!("{}{}/", folders[folder].url, slug(&title));
            let dir: Vec<&str> = folders[folder].crumbs[1..].iter().map(|(t, _)| t.as_str()).collect();
            let path = if dir.is_empty() { format!("{title}.md") } else { format!("{}/{title}.md", dir.join("/")) };
            Stub { title, url, path, folder }
        })
        .collect();
    // Each note links to 5-15 others, popular ones more often (genvault's Zipf over a shuffled order).
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (r.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut outgoing: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        let mut targets = Vec::new();
        for _ in 0..r.range(5, 15) {
            let t = order[zipf(&mut r, n, 0.7)];
            if t != i && !targets.contains(&t) {
                targets.push(t);
                incoming[t].push(i);
            }
        }
        outgoing.push(targets);
    }

    let notes: Vec<Arc<Note>> = (0..n)
        .map(|i| {
            let stub = &stubs[i];
            let size = if r.f() < 0.015 {
                r.range(20_000, 50_000)
            } else {
                ((7.85 + 0.65 * r.normal()).exp() as usize).clamp(600, 30_000)
            };
            let nhead = (size / 2600).max(1).min(40);
            let mut heads = Vec::new();
            let mut ids = std::collections::HashSet::new();
            for _ in 0..nhead {
                let k = r.range(1, 4);
                let mut text = capitalize(&words(&mut r, k));
                if r.f() < 0.03 {
                    text += " & more";
                }
                let mut id = slug(&text);
                while !ids.insert(id.clone()) {
                    id += "-1";
                }
                let level = if r.f() < 0.7 { 2 } else { 3 };
                heads.push(Heading { level, id, text });
            }
            let top = heads.iter().map(|h| h.level).min().unwrap_or(1);
            let links: Vec<(String, String)> =
                outgoing[i].iter().map(|&t| (stubs[t].title.clone(), stubs[t].url.clone())).collect();
            let content = content(&mut r, size, &heads, &links);
            let mut tags: Vec<Tag> = Vec::new();
            for _ in 0..r.range(1, 5) {
                let name = &tag_pool[zipf(&mut r, ntags, 0.9)];
                if !tags.iter().any(|t| &t.name == name) {
                    tags.push(Tag { name: name.clone(), url: format!("tags/{}/", slug(name)) });
                }
            }
            let mut backlinks: Vec<Backlink> = incoming[i]
                .iter()
                .map(|&from| {
                    let phrase = r.pick(&["See {}.", "Related: {}.", "Compare with {}.", "Also {} covers this."]);
                    let label = if r.f() < 0.5 { stub.title.clone() } else { words(&mut r, 2) };
                    let before = if r.f() < 0.5 { format!("({}) ", capitalize(&words(&mut r, 3))) } else { String::new() };
                    let context = format!("{before}{}", phrase.replace("{}", &format!("<strong>{label}</strong>")));
                    Backlink { title: stubs[from].title.clone(), url: stubs[from].url.clone(), context }
                })
                .collect();
            backlinks.sort_by(|a, b| a.title.to_lowercase().cmp(&b.title.to_lowercase()));
            let with_history = r.f() < 0.5;
            let contributors: Vec<String> = if with_history {
                let k = r.range(1, 3);
                (0..k).map(|j| PEOPLE[(i + j) % PEOPLE.len()].to_string()).collect()
            } else {
                Vec::new()
            };
            Arc::new(Note {
                title: stub.title.clone(),
                description: if r.f() < 0.15 { capitalize(&words(&mut r, 12)) + "." } else { String::new() },
                url: stub.url.clone(),
                path: stub.path.clone(),
                folder: stub.folder,
                content,
                headings: heads,
                top,
                tags,
                date: Some(date(&mut r)),
                created: (r.f() < 0.1).then(|| date(&mut r)),
                updated: (r.f() < 0.1).then(|| date(&mut r)),
                edited: with_history.then(|| date(&mut r)),
                contributors,
                backlinks,
            })
        })
        .collect();
    let mut dated: Vec<usize> = (0..n).collect();
    dated.sort_by(|&a, &b| notes[b].date.as_ref().unwrap().iso.cmp(&notes[a].date.as_ref().unwrap().iso).then(a.cmp(&b)));
    let recent = dated
        .iter()
        .take(8)
        .map(|&i| {
            let d = notes[i].date.clone().unwrap();
            (notes[i].url.clone(), notes[i].title.clone(), d.display.clone(), d.display)
        })
        .collect();
    SiteData {
        title: "My Garden".into(),
        description: "Notes on everything, growing slowly".into(),
        base_path: "/".into(),
        base_url: "https://example.org/".into(),
        site_origin: "https://example.org".into(),
        folders,
        notes,
        recent,
    }
}
