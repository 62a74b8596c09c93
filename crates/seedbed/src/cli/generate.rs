//! `seedbed migrate generate`: a new, empty migration file for a domain, registered in that
//! domain's migrator in order, so that it is pending as soon as the workspace is rebuilt.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{NaiveDateTime, Utc};
use clap::Args;

use super::UsageError;
use super::args::domain_names;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The domain the migration belongs to.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// What it does, in snake_case, e.g. `add_user_nickname`.
    name: String,
    /// Print the file and the registration it would write, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The seedbed workspace to write into [default: the one around the current directory].
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
}

/// What `generate` writes: the new file and the domain's `mod.rs` with it registered.
struct Plan {
    file: PathBuf,
    source: String,
    registry: PathBuf,
    registered: String,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let dir = domain_dir(args.workspace.as_deref(), &args.domain)?;
    let plan = plan(&dir, &args.domain, &args.name, Utc::now().naive_utc())?;
    if args.dry_run {
        say!("-- would write {}:", plan.file.display());
        say!("{}", plan.source);
        say!("-- and register it in {}:", plan.registry.display());
        say!("{}", plan.registered);
        return Ok(());
    }
    std::fs::write(&plan.file, &plan.source).with_context(|| format!("writing {}", plan.file.display()))?;
    std::fs::write(&plan.registry, &plan.registered)
        .with_context(|| format!("writing {}", plan.registry.display()))?;
    say!("{}: wrote {}", args.domain, plan.file.display());
    say!("{}: registered it in {}, last in order", args.domain, plan.registry.display());
    say!(
        "Fill in its up and down, then `cargo run -p seedbed -- migrate status --domain {}` lists it as pending.",
        args.domain
    );
    Ok(())
}

/// snake_case: lower-case letters and digits in words joined by single underscores.
fn check_name(name: &str) -> Result<(), UsageError> {
    let ok = !name.is_empty()
        && name.len() <= 60
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .split('_')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(UsageError(format!(
            "`{name}` is not a snake_case migration name: use lower-case words joined by single underscores, at most 60 characters, e.g. add_user_nickname"
        )))
    }
}

/// `migration/src/<domain>` of the workspace given, or of the one around the current directory.
fn domain_dir(workspace: Option<&Path>, domain: &str) -> anyhow::Result<PathBuf> {
    let relative = Path::new("migration").join("src").join(domain);
    let found = match workspace {
        Some(root) => Some(root.join(&relative)).filter(|d| d.join("mod.rs").is_file()),
        None => std::env::current_dir()?
            .ancestors()
            .map(|a| a.join(&relative))
            .find(|d| d.join("mod.rs").is_file()),
    };
    found.ok_or_else(|| {
        UsageError(format!(
            "no {} here or above: run it inside the seedbed workspace, or pass --workspace DIR",
            relative.join("mod.rs").display()
        ))
        .into()
    })
}

fn plan(dir: &Path, domain: &str, name: &str, now: NaiveDateTime) -> anyhow::Result<Plan> {
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_owned))
        .filter(|f| seedbed_migration::runner::description(f) != f.as_str())
        .collect();
    versions.sort();
    if let Some(clash) = versions.iter().find(|v| seedbed_migration::runner::description(v) == name) {
        return Err(UsageError(format!(
            "{domain} already has a migration named {name} ({clash}.rs): pick another name"
        ))
        .into());
    }
    // After every existing version, even when this machine's clock is behind the last one's.
    let mut stamp = now;
    let last = versions.last().and_then(|v| NaiveDateTime::parse_from_str(&v[1..16], "%Y%m%d_%H%M%S").ok());
    if let Some(last) = last
        && stamp <= last
    {
        stamp = last + chrono::Duration::seconds(1);
    }
    let version = format!("m{}_{name}", stamp.format("%Y%m%d_%H%M%S"));
    let registry = dir.join("mod.rs");
    let current =
        std::fs::read_to_string(&registry).with_context(|| format!("reading {}", registry.display()))?;
    let registered = register(&current, &version).ok_or_else(|| {
        anyhow::anyhow!(
            "{} does not look like a domain's migrator: register {version} by hand",
            registry.display()
        )
    })?;
    Ok(Plan { file: dir.join(format!("{version}.rs")), source: template(name), registry, registered })
}

/// `mod.rs` with `version` declared after the last module and listed after the last migration.
fn register(current: &str, version: &str) -> Option<String> {
    let mut offset = 0;
    let mut mod_end = None;
    for line in current.split_inclusive('\n') {
        offset += line.len();
        if line.starts_with("mod m") || line.starts_with("pub mod m") {
            mod_end = Some(offset);
        }
    }
    let mod_end = mod_end?;
    let last_entry = current.rfind("include_str!(")?;
    let entry_end = last_entry + current[last_entry..].find("),\n")? + 3;
    let entry_end = entry_end + current[entry_end..].find("),\n").filter(|i| *i < 20).map_or(0, |i| i + 3);
    let mut out = String::with_capacity(current.len() + 200);
    out.push_str(&current[..mod_end]);
    out.push_str(&format!("mod {version};\n"));
    out.push_str(&current[mod_end..entry_end]);
    out.push_str(&format!(
        "            Migration::new({version}::Migration, include_str!(\"{version}.rs\")),\n"
    ));
    out.push_str(&current[entry_end..]);
    Some(out)
}

fn template(name: &str) -> String {
    let title = name.replace('_', " ");
    format!(
        r#"//! {title}: say here what this migration changes and why.
//!
//! Written by `seedbed migrate generate`. Once released, this file is append-only: change the
//! schema with a new migration instead. See docs/extending.md.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, _m: &SchemaManager) -> Result<(), DbErr> {{
        // e.g. _m.alter_table(Table::alter().table("users").add_column(ColumnDef::new("nickname").string_len(40).null()).to_owned()).await
        Ok(())
    }}

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {{
        // Undo exactly what `up` did, in reverse order.
        Ok(())
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(current: &str, expected: &str) {
        assert_eq!(register(current, "m20991231_000000_x").as_deref(), Some(expected));
    }

    #[test]
    fn registers_after_the_last_migration_in_either_layout() {
        check(
            "mod m1_a;\n\npub fn migrator() {\n    vec![\n            Migration::new(m1_a::Migration, include_str!(\"m1_a.rs\")),\n        ],\n}\n",
            "mod m1_a;\nmod m20991231_000000_x;\n\npub fn migrator() {\n    vec![\n            Migration::new(m1_a::Migration, include_str!(\"m1_a.rs\")),\n            Migration::new(m20991231_000000_x::Migration, include_str!(\"m20991231_000000_x.rs\")),\n        ],\n}\n",
        );
        check(
            "mod m1_a;\n\npub fn migrator() {\n    vec![\n            Migration::new(\n                m1_a::Migration,\n                include_str!(\"m1_a.rs\"),\n            ),\n        ],\n}\n",
            "mod m1_a;\nmod m20991231_000000_x;\n\npub fn migrator() {\n    vec![\n            Migration::new(\n                m1_a::Migration,\n                include_str!(\"m1_a.rs\"),\n            ),\n            Migration::new(m20991231_000000_x::Migration, include_str!(\"m20991231_000000_x.rs\")),\n        ],\n}\n",
        );
    }

    #[test]
    fn names_must_be_snake_case() {
        for good in ["add_user_nickname", "v2", "backfill_2025_rows"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in
            ["", "AddNickname", "add-nickname", "add__nickname", "_add", "add_", "2fast", "add nickname"]
        {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
