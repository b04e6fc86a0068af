//! What a crate others depend on must prove before it is published: its examples run, it
//! builds and passes its tests on the stated MSRV, its docs build as docs.rs builds them, its
//! package holds its licenses and a README whose links work on the registry's page, and
//! `cargo publish --dry-run` accepts it.
//!
//! `cargo xtask package` runs these steps alone; `cargo xtask test` runs them with the rest.
//! `cargo xtask package-check` is the one step that is not a cargo command (package contents
//! and README links).

use std::path::{Path, PathBuf};

use crate::util::{cargo, root, step, StepResult};

/// The crates published to crates.io, in dependency order.
const PUBLISHED: [(&str, &str); 3] = [
    ("guestmem", "core"),
    ("guestmem-alloc", "alloc-ext"),
    ("guestmem-wasi", "wasi"),
];

/// Files every published package must hold besides its sources.
const REQUIRED: [&str; 4] = ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// Every publishing step, cheapest first.
pub fn all() -> StepResult {
    msrv()?;
    docs_rs()?;
    step(
        "package contents and README links",
        &mut cargo(None, &["xtask", "package-check"]),
    )?;
    dry_run()
}

/// Runs every example of the core; each asserts its own results.
pub fn examples() -> StepResult {
    for name in core_examples()? {
        step(
            &format!("example {name}"),
            &mut cargo(
                None,
                &["run", "--quiet", "-p", "guestmem", "--example", &name],
            ),
        )?;
    }
    Ok(())
}

/// The names of `core/examples/*.rs`, sorted.
fn core_examples() -> Result<Vec<String>, String> {
    let dir = root().join("core/examples");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let stem = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "rs").then_some(stem)
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("no examples in {}", dir.display()));
    }
    Ok(names)
}

/// The published crates' library, unit and integration tests and examples, built and tested
/// on the toolchain named by `rust-version` (installed by `.ci/install`). Not the doctests:
/// the stable `tests` step runs them, and on 1.88 (one compilation per doctest) they would
/// take 30 s more.
pub fn msrv() -> StepResult {
    let msrv = rust_version()?;
    let mut args = vec!["test", "--lib", "--tests", "--examples"];
    for (name, _) in PUBLISHED {
        args.extend(["-p", name]);
    }
    step(
        &format!("MSRV {msrv}: build and test the published crates"),
        &mut cargo(Some(&msrv), &args),
    )
}

/// `rust-version` of the workspace's `Cargo.toml`, which the published crates inherit.
fn rust_version() -> Result<String, String> {
    let path = root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("rust-version")?.trim_start();
            let value = value.strip_prefix('=')?.trim();
            Some(value.trim_matches('"').to_string())
        })
        .ok_or_else(|| format!("{}: no rust-version", path.display()))
}

/// The docs as docs.rs builds them (`[package.metadata.docs.rs]`): nightly, every feature,
/// `--cfg docsrs`; warnings are errors. On the nightly pinned for Miri.
pub fn docs_rs() -> StepResult {
    let mut args = vec!["doc", "--no-deps", "--all-features"];
    for (name, _) in PUBLISHED {
        args.extend(["-p", name]);
    }
    let mut command = cargo(Some(crate::checks::MIRI_NIGHTLY), &args);
    command.env("RUSTDOCFLAGS", "--cfg docsrs -D warnings");
    step(
        "docs.rs build (nightly, all features, --cfg docsrs)",
        &mut command,
    )
}

/// Packages every published crate and builds it from the package, as `cargo publish` would,
/// without uploading. The crates go together: `guestmem-alloc` and `guestmem-wasi` are
/// verified against the packaged `guestmem`, not against crates.io. `--allow-dirty`: the check is of the working
/// tree, committed or not.
///
/// Cargo verifies `guestmem-alloc` and `guestmem-wasi` against a local registry holding the
/// packaged `guestmem`, and extracts that package under `$CARGO_HOME/registry/src/` in a
/// directory named after the registry's path. It never extracts a version twice: a copy left by
/// an earlier run from the same target directory (a CI machine that keeps `CARGO_HOME` between
/// runs of the same checkout path) would be built instead of today's package, and the check
/// would judge yesterday's sources. So the copies of our own packages go first.
pub fn dry_run() -> StepResult {
    forget_earlier_packages()?;
    let mut args = vec!["publish", "--dry-run", "--allow-dirty"];
    for (name, _) in PUBLISHED {
        args.extend(["-p", name]);
    }
    step("cargo publish --dry-run", &mut cargo(None, &args))
}

/// Removes every extracted or cached copy of a published crate of this workspace from the
/// cargo home (`name-VERSION` under `registry/src/*/` and `name-VERSION.crate` under
/// `registry/cache/*/`). None of them comes from crates.io: these names are ours, and only
/// earlier dry runs put them there.
fn forget_earlier_packages() -> StepResult {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let ours = |file: &str| {
        let file = file.strip_suffix(".crate").unwrap_or(file);
        PUBLISHED.iter().any(|(name, _)| {
            file.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
        })
    };
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(kind)) else {
            continue; // nothing extracted yet
        };
        for registry in registries.flatten() {
            let Ok(entries) = std::fs::read_dir(registry.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                if !ours(&entry.file_name().to_string_lossy()) {
                    continue;
                }
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// `cargo xtask package-check`: what `cargo publish` does not check.
///
/// - each package holds its README, CHANGELOG and both license files;
/// - no published manifest names the placeholder repository (`.invalid`);
/// - each README's links work on the registry's page: absolute URLs only (crates.io has no
///   repository to resolve `../core` against), every `[label]` defined, and every docs.rs link
///   into a crate of this workspace names an item that rustdoc generated (run after the docs
///   are built, as in `all`).
pub fn package_check() -> StepResult {
    let mut problems = Vec::new();
    let workspace_manifest = read(&root().join("Cargo.toml"))?;
    let placeholder_inherited = workspace_manifest
        .lines()
        .any(|l| l.trim_start().starts_with("repository") && l.contains(".invalid"));
    for (name, dir) in PUBLISHED {
        let listed = cargo(None, &["package", "--list", "--allow-dirty", "-p", name])
            .output()
            .map_err(|e| format!("cargo package --list -p {name}: {e}"))?;
        if !listed.status.success() {
            return Err(format!(
                "cargo package --list -p {name}: {}",
                String::from_utf8_lossy(&listed.stderr)
            ));
        }
        let files = String::from_utf8_lossy(&listed.stdout);
        for required in REQUIRED {
            if !files.lines().any(|f| f == required) {
                problems.push(format!("{name}: the package lacks {required}"));
            }
        }
        let manifest = read(&root().join(dir).join("Cargo.toml"))?;
        let repository = manifest
            .lines()
            .find(|l| l.trim_start().starts_with("repository"));
        let placeholder = repository.is_some_and(|l| {
            l.contains(".invalid") || (l.contains("workspace") && placeholder_inherited)
        });
        if placeholder {
            problems.push(format!(
                "{name}: the placeholder repository would be published; set the real one"
            ));
        }
        let readme = root().join(dir).join("README.md");
        problems.extend(
            readme_problems(&read(&readme)?)
                .into_iter()
                .map(|p| format!("{}: {p}", readme.display())),
        );
    }
    if problems.is_empty() {
        println!("    packages hold their licenses; README links resolve");
        Ok(())
    } else {
        for p in &problems {
            eprintln!("    {p}");
        }
        Err(format!("{} publishing problem(s)", problems.len()))
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A link of a README: its label and, unless it is a shortcut reference (`[label]`), its
/// destination.
struct Link {
    label: String,
    target: Option<String>,
}

/// What is wrong with the links of one README, as the registry renders it.
fn readme_problems(text: &str) -> Vec<String> {
    let mut definitions = Vec::new();
    let mut links = Vec::new();
    let mut fenced = false;
    // A definition cannot interrupt a paragraph: `[x]: y` right after text is a link and text.
    let mut paragraph = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            paragraph = false;
            continue;
        }
        if fenced {
            continue;
        }
        match definition(line) {
            Some((label, target)) if !paragraph => {
                definitions.push(label.to_string());
                links.push(Link {
                    label: label.to_string(),
                    target: Some(target.to_string()),
                });
            }
            _ => {
                links.extend(inline_links(line));
                paragraph = !line.trim().is_empty();
            }
        }
    }
    let mut problems = Vec::new();
    for link in links {
        match &link.target {
            None if !definitions.contains(&link.label) => problems.push(format!(
                "[{}] has no definition (shown as plain brackets on crates.io)",
                link.label
            )),
            None => {}
            Some(target) => {
                if !(target.starts_with("https://") || target.starts_with('#')) {
                    problems.push(format!(
                        "[{}]({target}) is not an absolute https URL: it breaks on crates.io",
                        link.label
                    ));
                } else if let Some(missing) = missing_docs_page(target) {
                    problems.push(format!(
                        "[{}]({target}): rustdoc made no {}",
                        link.label,
                        missing.display()
                    ));
                }
            }
        }
    }
    problems
}

/// `[label]: target` at the start of a line.
fn definition(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let (label, rest) = rest.split_once("]:")?;
    Some((label, rest.trim()))
}

/// The links of one line outside code spans: `[label](target)`, `[label][ref]` (checked as
/// `ref`) and `[label]`.
fn inline_links(line: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = line;
    let mut in_code = false;
    while let Some(c) = rest.chars().next() {
        let after = rest.get(c.len_utf8()..).unwrap_or("");
        if c == '`' {
            in_code = !in_code;
            rest = after;
        } else if c == '[' && !in_code {
            let Some((label, tail)) = after.split_once(']') else {
                break;
            };
            if let Some(tail) = tail.strip_prefix('(') {
                let target = tail.split(')').next().unwrap_or("");
                links.push(Link {
                    label: label.to_string(),
                    target: Some(target.to_string()),
                });
                rest = tail.get(target.len()..).unwrap_or("");
            } else if let Some(tail) = tail.strip_prefix('[') {
                let reference = tail.split(']').next().unwrap_or("");
                links.push(Link {
                    label: reference.to_string(),
                    target: None,
                });
                rest = tail.get(reference.len()..).unwrap_or("");
            } else {
                links.push(Link {
                    label: label.to_string(),
                    target: None,
                });
                rest = tail;
            }
        } else {
            rest = after;
        }
    }
    links
}

/// For a `https://docs.rs/<crate>/latest/<crate_ident>/<page>` link into a published crate of
/// this workspace, the page rustdoc should have generated, if it did not.
fn missing_docs_page(target: &str) -> Option<PathBuf> {
    let path = target.strip_prefix("https://docs.rs/")?;
    let path = path.split('#').next().unwrap_or(path);
    let mut parts = path.splitn(3, '/');
    let krate = parts.next()?;
    PUBLISHED.iter().find(|(name, _)| *name == krate)?;
    let _version = parts.next()?;
    let page = match parts.next() {
        Some(page) if !page.is_empty() => page.to_string(),
        _ => format!("{}/", krate.replace('-', "_")),
    };
    let mut file = target_dir().join("doc").join(&page);
    if page.ends_with('/') {
        file.push("index.html");
    }
    (!file.is_file()).then_some(file)
}

/// Where cargo puts its output: `CARGO_TARGET_DIR`, or `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        })
        .unwrap_or_else(|| root().join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_links() {
        let text = "See [`A`] and [b](../core), [c](https://x.example/) and [`D`][d].\n\
                    ```\nlet x = v[1];\n```\n`[not a link]`\ntext then\n[`A`]: a link, not a definition\n\n\
                    [`A`]: https://x.example/a\n";
        let problems = readme_problems(text);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.first().is_some_and(|p| p.contains("../core")));
        assert!(problems.get(1).is_some_and(|p| p.contains("[d]")));
    }
}
