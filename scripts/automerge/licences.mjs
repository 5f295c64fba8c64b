// The licences of every package esbuild put in the automerge bundle, from its metafile: writes their notices,
// one after another, to OUT (the bundle's LICENSE), and prints a Markdown table row per package for
// static/vendor/README.md. Run by scripts/vendor.
//
//   node licences.mjs METAFILE OUT
import fs from "node:fs";
import path from "node:path";

const [metafile, out] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(metafile, "utf8"));
const packages = new Map();
for (const output of Object.values(meta.outputs)) {
  for (const input of Object.keys(output.inputs)) {
    // The innermost node_modules/NAME or node_modules/@SCOPE/NAME folder holding the file.
    const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (match) packages.set(match[1], true);
  }
}
const notices = [];
const rows = [];
for (const folder of [...packages.keys()].sort()) {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8"));
  const file = fs.readdirSync(folder).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  if (!file) throw new Error(`${manifest.name}@${manifest.version}: no licence file in the package`);
  const text = fs.readFileSync(path.join(folder, file), "utf8").trim();
  notices.push(`${manifest.name}@${manifest.version} (${manifest.license})\n${"-".repeat(40)}\n${text}\n`);
  rows.push(`| [${manifest.name}](https://www.npmjs.com/package/${manifest.name}/v/${manifest.version}) | ${manifest.version} | ${manifest.license} (\`automerge/LICENSE\`) |`);
}
fs.writeFileSync(
  out,
  "The packages bundled into automerge.min.js (loam serve's live editing view), each with its licence.\n\n" +
    notices.join("\n"),
);
console.log([...new Set(rows)].join("\n"));
