//! `loam init --deploy HOST`: the file a host reads to build and publish the garden on every push (a GitHub
//! Actions workflow, `netlify.toml`, `.gitlab-ci.yml`), written beside `loam.toml`. Each installs the same Loam
//! that wrote it (its source and commit) and runs `loam build` for the address the host gives the site.

use std::path::{Path, PathBuf};

/// The hosts `--deploy` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Host {
    /// GitHub Pages, through a GitHub Actions workflow.
    GithubPages,
    /// Netlify: `netlify.toml`.
    Netlify,
    /// Cloudflare Pages, through a GitHub Actions workflow and `wrangler.toml`.
    Cloudflare,
    /// GitLab Pages: `.gitlab-ci.yml`.
    Gitlab,
}

/// Where Loam's source is, for hosts to install it from (`cargo install --git`).
pub const SOURCE: &str = env!("CARGO_PKG_REPOSITORY");

/// The `cargo install` line that installs this very Loam: its commit when it was built from a clean checkout,
/// else the newest of its source.
pub fn install_command() -> String {
    let commit = env!("LOAM_COMMIT");
    let pinned = !commit.contains(' ') && !commit.contains('+');
    match pinned {
        true => format!("cargo install --locked --git {SOURCE} --rev {commit} loam"),
        false => format!("cargo install --locked --git {SOURCE} loam"),
    }
}

/// The files `host` needs, as (path relative to the garden's root, text), and what is left for its owner to do.
pub fn files(host: Host, title: &str) -> (Vec<(PathBuf, String)>, &'static str) {
    let install = install_command();
    match host {
        Host::GithubPages => (
            vec![(PathBuf::from(".github/workflows/loam-pages.yml"), github_pages(&install))],
            "push to GitHub, then in the repository's Settings > Pages choose \"GitHub Actions\" as the source",
        ),
        Host::Netlify => (
            vec![(PathBuf::from("netlify.toml"), netlify(&install))],
            "push, then on Netlify \"Add new site > Import an existing project\" and pick the repository",
        ),
        Host::Cloudflare => (
            vec![
                (PathBuf::from(".github/workflows/loam-cloudflare.yml"), cloudflare(&install)),
                (PathBuf::from("wrangler.toml"), wrangler(title)),
            ],
            "create the Pages project (`npx wrangler pages project create`), then add the repository secrets \
             CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID on GitHub and push",
        ),
        Host::Gitlab => (
            vec![(PathBuf::from(".gitlab-ci.yml"), gitlab(&install))],
            "push to GitLab: the pages job publishes the site at the address under Deploy > Pages",
        ),
    }
}

fn github_pages(install: &str) -> String {
    format!(
        r#"# Builds the garden with Loam and publishes it on GitHub Pages at every push to the default branch.
# Written by `loam init --deploy github-pages`. In the repository's Settings > Pages, choose "GitHub Actions".
name: Publish the garden
on:
  push:
    branches: [main, master]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: pages
        uses: actions/configure-pages@v5
      - name: Cache Loam
        id: cache
        uses: actions/cache@v4
        with:
          path: ~/.cargo/bin/loam
          key: loam-${{{{ runner.os }}}}-${{{{ hashFiles('.github/workflows/loam-pages.yml') }}}}
      - name: Install Loam
        if: steps.cache.outputs.cache-hit != 'true'
        run: {install}
      - name: Build the site
        run: loam build --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"#
    )
}

fn netlify(install: &str) -> String {
    format!(
        r#"# Builds the garden with Loam on Netlify. Written by `loam init --deploy netlify`.
# Netlify's build image has Rust (rustup); each build first installs Loam, which takes a few minutes.
[build]
  command = "command -v loam || {install}; loam build --base-url \"$URL/\""
  publish = "public"

# A deploy preview is built for its own address.
[context.deploy-preview]
  command = "command -v loam || {install}; loam build --base-url \"$DEPLOY_PRIME_URL/\""

[context.branch-deploy]
  command = "command -v loam || {install}; loam build --base-url \"$DEPLOY_PRIME_URL/\""
"#
    )
}

fn cloudflare(install: &str) -> String {
    format!(
        r#"# Builds the garden with Loam and publishes it on Cloudflare Pages at every push.
# Written by `loam init --deploy cloudflare`. Needs the repository secrets CLOUDFLARE_API_TOKEN (with the
# "Cloudflare Pages: Edit" permission) and CLOUDFLARE_ACCOUNT_ID; the project's name is in wrangler.toml.
name: Publish the garden on Cloudflare Pages
on:
  push:
  workflow_dispatch:
permissions:
  contents: read
  deployments: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Cache Loam
        id: cache
        uses: actions/cache@v4
        with:
          path: ~/.cargo/bin/loam
          key: loam-${{{{ runner.os }}}}-${{{{ hashFiles('.github/workflows/loam-cloudflare.yml') }}}}
      - name: Install Loam
        if: steps.cache.outputs.cache-hit != 'true'
        run: {install}
      - name: Build the site
        run: loam build
      - name: Publish
        uses: cloudflare/wrangler-action@v3
        with:
          apiToken: ${{{{ secrets.CLOUDFLARE_API_TOKEN }}}}
          accountId: ${{{{ secrets.CLOUDFLARE_ACCOUNT_ID }}}}
          command: pages deploy --branch=${{{{ github.ref_name }}}}
"#
    )
}

fn wrangler(title: &str) -> String {
    format!(
        "# The Cloudflare Pages project the garden is published to (`loam init --deploy cloudflare`).\n\
         name = {}\n\
         pages_build_output_dir = \"public\"\n\
         compatibility_date = \"2026-01-01\"\n",
        toml::Value::String(project_name(title))
    )
}

/// A Cloudflare Pages project name from a title: lower-case letters, digits and dashes.
fn project_name(title: &str) -> String {
    let mut name = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        match c {
            c if c.is_ascii_alphanumeric() => name.push(c),
            _ if !name.ends_with('-') && !name.is_empty() => name.push('-'),
            _ => {}
        }
    }
    let name = name.trim_end_matches('-');
    match name.is_empty() {
        true => "garden".to_string(),
        false => name.chars().take(58).collect(),
    }
}

fn gitlab(install: &str) -> String {
    format!(
        r#"# Builds the garden with Loam and publishes it on GitLab Pages at every push to the default branch.
# Written by `loam init --deploy gitlab`.
pages:
  image: rust:1
  cache:
    key: loam
    paths:
      - .cargo/
  variables:
    CARGO_HOME: $CI_PROJECT_DIR/.cargo
  script:
    - command -v loam || {install}
    - loam build --base-url "$CI_PAGES_URL/"
  artifacts:
    paths:
      - public
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"#
    )
}

/// Writes `host`'s files into the garden at `root`, never over a file that exists; says what it wrote and what is
/// left to do.
pub fn write(root: &Path, host: Host, title: &str) -> anyhow::Result<()> {
    let (files, next) = files(host, title);
    for (path, _) in &files {
        let path = root.join(path);
        if path.exists() {
            anyhow::bail!("`{}` already exists; `loam init --deploy` never overwrites it", path.display());
        }
    }
    for (relative, text) in &files {
        let path = root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        super::init::write_new(&path, text)?;
        eprintln!("wrote {}", if root == Path::new(".") { relative.display() } else { path.display() });
    }
    eprintln!("to publish: {next}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_what_cloudflare_takes() {
        assert_eq!(project_name("Bee notes"), "bee-notes");
        assert_eq!(project_name("  Ünïcode — Garden!! "), "n-code-garden");
        assert_eq!(project_name("—"), "garden");
    }
}
