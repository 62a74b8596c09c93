//! `seedbed docs`: regenerate (or, with `--check`, verify) the ER diagrams in the domain pages.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{DomainArgs, UsageError};
use crate::docs::{er_diagram, with_diagram};

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The folder of the domain pages, `<domain>.md` each.
    #[arg(long, value_name = "DIR", default_value = "docs/domains")]
    dir: PathBuf,
    /// Change nothing; fail if a diagram is out of date with the entities.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    domains: DomainArgs,
}

pub fn run(args: DocsArgs) -> anyhow::Result<()> {
    if !args.dir.is_dir() {
        return Err(UsageError(format!(
            "{} is not a folder: run from the workspace root or pass --dir",
            args.dir.display()
        ))
        .into());
    }
    let mut stale = Vec::new();
    for domain in args.domains.selected()? {
        let path = args.dir.join(format!("{}.md", domain.name));
        let page = match std::fs::read_to_string(&path) {
            Ok(page) => page,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!("# The {} domain\n", domain.name),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let updated = with_diagram(&page, &er_diagram(domain));
        if updated == page {
            say!("{}: up to date", path.display());
        } else if args.check {
            stale.push(path.display().to_string());
        } else {
            std::fs::write(&path, updated).with_context(|| format!("writing {}", path.display()))?;
            say!("{}: diagram written", path.display());
        }
    }
    if !stale.is_empty() {
        return Err(UsageError(format!(
            "out of date with the entities: {}; run `cargo run -p seedbed -- docs` and commit the result",
            stale.join(", ")
        ))
        .into());
    }
    Ok(())
}
