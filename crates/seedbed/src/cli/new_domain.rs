//! `seedbed new-domain NAME`: scaffolds a whole domain (its entity crate, migrator and first
//! migration, seeder with a rule, test file and page) and registers it in
//! `seedbed-registry`, so that the next `cargo test` covers it with every registry-driven
//! suite.
//!
//! Everything is checked and composed in memory first; then the files are written, and if a
//! write fails, what was written is removed and what was edited is put back: an error leaves
//! the workspace as it was.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{NaiveDateTime, Utc};
use clap::Args;

use super::UsageError;

#[derive(Debug, Args)]
pub struct NewDomainArgs {
    /// The domain's name, in snake_case: its `--domain` value, namespace, module and crate
    /// (`seedbed-NAME`).
    name: String,
    /// What it is, in a few words, for `--help` and its page.
    #[arg(long, value_name = "TEXT")]
    about: Option<String>,
    /// List the files it would write and edit, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The seedbed workspace to write into [default: the one around the current directory].
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
}

/// Words a domain's name cannot be: Rust keywords (it becomes a module and a crate name).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The digest of the scaffold's example data at tiny, seed 7 (the same for every name: its
/// streams are keyed `new-domain`), written into the new domain's test file. Recorded from a
/// scaffolded domain; `tests/extending.rs` fails if the templates' data no longer gives it.
const SCAFFOLD_TINY_SEED_7_DIGEST: &str = "6ba5eac685b0ca6b1f9a4a66407ce3285b495aafdddfdecdbd6a0fe4421d9e53";

/// Names of seedbed's own packages and modules that no file check would catch.
const RESERVED: &[&str] = &["seeds", "migration", "tests", "domain_cases", "fixtures_example", "cli"];

/// One file the scaffold creates or rewrites.
struct Write {
    path: PathBuf,
    text: String,
    /// What it held before, for an edit; `None` for a new file.
    before: Option<String>,
}

pub fn run(args: NewDomainArgs) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let about = args.about.clone().unwrap_or_else(|| format!("the {} domain", args.name));
    if about.trim().is_empty() || about.contains(['"', '\\', '\n', '\r']) {
        return Err(UsageError(
            "--about must be one line of text without quotes or backslashes, e.g. --about \"library loans\""
                .into(),
        )
        .into());
    }
    let root = workspace_root(args.workspace.as_deref())?;
    let writes = plan(&root, &args.name, &about, Utc::now().naive_utc())?;
    if args.dry_run {
        for w in &writes {
            let verb = if w.before.is_some() { "edit " } else { "write" };
            say!("would {verb} {}", w.path.strip_prefix(&root).unwrap_or(&w.path).display());
        }
        return Ok(());
    }
    apply(&writes)?;
    for w in &writes {
        let verb = if w.before.is_some() { "edited " } else { "wrote  " };
        say!("{}: {verb}{}", args.name, w.path.strip_prefix(&root).unwrap_or(&w.path).display());
    }
    say!(
        "{}: registered in crates/registry/src/lib.rs. Run `cargo fmt --all && cargo test`: every registry-driven suite covers it; then make its tables your own (docs/extending.md).",
        args.name
    );
    Ok(())
}

/// snake_case, a valid Rust identifier that is not a keyword, short enough for every
/// backend's namespace names.
fn check_name(name: &str) -> Result<(), UsageError> {
    let snake = !name.is_empty()
        && name.len() <= 30
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .split('_')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if !snake {
        return Err(UsageError(format!(
            "`{name}` is not a valid domain name: use lower-case words joined by single underscores, at most 30 characters, starting with a letter, e.g. library or room_booking"
        )));
    }
    if RESERVED.contains(&name) {
        return Err(UsageError(format!(
            "`{name}` names a part of seedbed itself (seedbed-{name}, or a test module): pick another name"
        )));
    }
    if KEYWORDS.contains(&name) {
        return Err(UsageError(format!(
            "`{name}` is a Rust keyword and cannot name a domain's module: pick another name"
        )));
    }
    Ok(())
}

/// The workspace given, or the one around the current directory: the directory that holds
/// the registry.
fn workspace_root(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let marker = Path::new("crates/registry/src/lib.rs");
    let found = match given {
        Some(root) => Some(root.to_owned()).filter(|r| r.join(marker).is_file()),
        None => std::env::current_dir()?.ancestors().find(|a| a.join(marker).is_file()).map(Path::to_owned),
    };
    found.ok_or_else(|| {
        UsageError(format!(
            "no seedbed workspace ({} not found) {}: run it inside the seedbed workspace, or pass --workspace DIR",
            marker.display(),
            if given.is_some() { "there" } else { "here or above" }
        ))
        .into()
    })
}

/// `snake_name` → `SnakeName`: the registry handle and the seeder's type.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Every file to write, composed in memory; fails (writing nothing) on a clash or on a
/// workspace file that does not look as expected.
fn plan(root: &Path, name: &str, about: &str, now: NaiveDateTime) -> anyhow::Result<Vec<Write>> {
    let version = format!("m{}_initial_schema", now.format("%Y%m%d_%H%M%S"));
    let fill = |template: &str| {
        template
            .replace("__name__", name)
            .replace("__Handle__", &camel(name))
            .replace("__version__", &version)
            .replace("__about__", about)
            .replace("__digest__", SCAFFOLD_TINY_SEED_7_DIGEST)
    };
    let new_files: Vec<(String, &str)> = vec![
        (format!("crates/{name}/Cargo.toml"), include_str!("new_domain/entity_Cargo.toml.tmpl")),
        (format!("crates/{name}/src/lib.rs"), include_str!("new_domain/entity_lib.rs.tmpl")),
        (format!("crates/{name}/src/prelude.rs"), include_str!("new_domain/entity_prelude.rs.tmpl")),
        (format!("crates/{name}/src/enums.rs"), include_str!("new_domain/entity_enums.rs.tmpl")),
        (format!("crates/{name}/src/members.rs"), include_str!("new_domain/entity_members.rs.tmpl")),
        (format!("crates/{name}/src/items.rs"), include_str!("new_domain/entity_items.rs.tmpl")),
        (format!("migration/src/{name}/mod.rs"), include_str!("new_domain/migration_mod.rs.tmpl")),
        (format!("migration/src/{name}/{version}.rs"), include_str!("new_domain/migration_initial.rs.tmpl")),
        (format!("seeds/src/{name}/mod.rs"), include_str!("new_domain/seeds_mod.rs.tmpl")),
        (format!("seeds/src/{name}/rules.rs"), include_str!("new_domain/seeds_rules.rs.tmpl")),
        (format!("tests/domains/{name}.rs"), include_str!("new_domain/tests_domain.rs.tmpl")),
        (format!("docs/domains/{name}.md"), include_str!("new_domain/docs_page.md.tmpl")),
    ];
    // The name is taken when any place the domain would occupy is.
    let taken = [
        format!("crates/{name}"),
        format!("migration/src/{name}"),
        format!("migration/src/{name}.rs"),
        format!("seeds/src/{name}"),
        format!("seeds/src/{name}.rs"),
        format!("tests/{name}.rs"),
        format!("tests/domains/{name}.rs"),
        format!("docs/domains/{name}.md"),
    ];
    if let Some(clash) = taken.iter().find(|p| root.join(p).exists()) {
        return Err(
            UsageError(format!("`{name}` is taken: {clash} already exists; pick another name")).into()
        );
    }
    let registry_src = root.join("crates/registry/src/lib.rs");
    let registry_text = read(&registry_src)?;
    if registry_text.contains(&format!(" {name}, seedbed_{name},")) {
        return Err(
            UsageError(format!("`{name}` is already registered in crates/registry/src/lib.rs")).into()
        );
    }

    let mut writes: Vec<Write> = new_files
        .into_iter()
        .map(|(path, t)| Write { path: root.join(path), text: fill(t), before: None })
        .collect();
    let mut edit = |path: &str, f: &dyn Fn(&str) -> Option<String>| -> anyhow::Result<()> {
        let full = root.join(path);
        let before = read(&full)?;
        let text = f(&before).ok_or_else(|| {
            anyhow::anyhow!(
                "{path} does not look as `seedbed new-domain` expects: add {name} by hand (docs/extending.md)"
            )
        })?;
        writes.push(Write { path: full, text, before: Some(before) });
        Ok(())
    };
    // The one registration line.
    edit("crates/registry/src/lib.rs", &|t| {
        let start = t.find("\ndomains! {\n")?;
        let end = start + t[start..].find("\n}\n")?;
        let line = format!("\n    {}: {name}, seedbed_{name}, \"{about}\";", camel(name));
        Some(format!("{}{line}{}", &t[..end], &t[end..]))
    })?;
    // Wiring Rust requires: the entity crate as a dependency, the modules declared.
    edit("Cargo.toml", &|t| {
        after_last_line(
            t,
            |l| l.starts_with("seedbed-") && l.contains("{ path = \"crates/"),
            &format!("seedbed-{name} = {{ path = \"crates/{name}\" }}"),
        )
    })?;
    edit("crates/registry/Cargo.toml", &|t| {
        after_last_line(
            t,
            |l| l.starts_with("seedbed-") && l.ends_with(".workspace = true"),
            &format!("seedbed-{name}.workspace = true"),
        )
    })?;
    edit("seeds/Cargo.toml", &|t| {
        after_last_line(
            t,
            |l| l.starts_with("seedbed-") && l.ends_with(".workspace = true"),
            &format!("seedbed-{name}.workspace = true"),
        )
    })?;
    edit("migration/src/lib.rs", &|t| with_module(t, name))?;
    edit("seeds/src/lib.rs", &|t| with_module(t, name))?;
    Ok(writes)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `text` with `line` inserted after the last line that `is_anchor` accepts.
fn after_last_line(text: &str, is_anchor: impl Fn(&str) -> bool, line: &str) -> Option<String> {
    let mut offset = 0;
    let mut at = None;
    for l in text.split_inclusive('\n') {
        offset += l.len();
        if is_anchor(l.trim_end()) {
            at = Some(offset);
        }
    }
    let at = at?;
    Some(format!("{}{line}\n{}", &text[..at], &text[at..]))
}

/// `text` with `pub mod name;` in its last block of `pub mod` lines, kept in the order
/// rustfmt keeps them (alphabetical).
fn with_module(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_mod = |l: &str| l.starts_with("pub mod ") && l.trim_end().ends_with(';');
    let end = lines.iter().rposition(|l| is_mod(l))? + 1;
    let start = lines[..end].iter().rposition(|l| !is_mod(l)).map_or(0, |i| i + 1);
    let mut block: Vec<String> = lines[start..end].iter().map(|l| l.trim_end().to_owned()).collect();
    block.push(format!("pub mod {name};"));
    block.sort_by(|a, b| a.trim_end_matches(';').cmp(b.trim_end_matches(';')));
    let mut out: String = lines[..start].concat();
    for l in block {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&lines[end..].concat());
    Some(out)
}

/// Writes every file; on a failure, removes what it created and restores what it edited.
fn apply(writes: &[Write]) -> anyhow::Result<()> {
    let mut done: Vec<&Write> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for w in writes {
            let dir = w.path.parent().expect("a file's directory");
            // Remember the outermost directory created, to remove it on failure.
            let missing = dir.ancestors().take_while(|a| !a.exists()).last().map(Path::to_owned);
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dirs.extend(missing);
            std::fs::write(&w.path, &w.text).with_context(|| format!("writing {}", w.path.display()))?;
            done.push(w);
        }
        Ok(())
    })();
    if result.is_err() {
        for w in done.iter().rev() {
            match &w.before {
                Some(before) => {
                    let _ = std::fs::write(&w.path, before);
                }
                None => {
                    let _ = std::fs::remove_file(&w.path);
                }
            }
        }
        for d in dirs.iter().rev() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_snake_case_identifiers() {
        for good in ["library", "room_booking", "v2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Library", "room-booking", "room__booking", "_x", "x_", "2fast", "type", "a b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_module_goes_into_the_last_block_in_order() {
        let text =
            "//! doc\n\npub mod accounts;\npub mod writer;\n\npub mod booking;\npub mod raffle;\n\nuse x;\n";
        assert_eq!(
            with_module(text, "library").unwrap(),
            "//! doc\n\npub mod accounts;\npub mod writer;\n\npub mod booking;\npub mod library;\npub mod raffle;\n\nuse x;\n"
        );
    }

    #[test]
    fn handles_are_camel_case() {
        assert_eq!(camel("room_booking"), "RoomBooking");
        assert_eq!(camel("v2"), "V2");
    }
}
