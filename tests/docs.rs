//! The ER diagrams in docs/domains are generated from the entities and must stay so.

use std::path::PathBuf;

use sea_orm::DbBackend;
use sea_orm::sea_query::TableCreateStatement;
use seedbed::docs::{er_diagram, with_diagram};
use seedbed_registry::Domain;

use crate::util::{assert_success, domains, run, seedbed_command, show};

fn pages() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/domains")
}

#[test]
fn er_diagrams_match_the_entities() {
    for domain in domains() {
        let path = pages().join(format!("{}.md", domain.name));
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            with_diagram(&page, &er_diagram(domain)) == page,
            "{} is out of date with the entities of {}: run `cargo run -p seedbed -- docs` and commit the result",
            path.display(),
            domain.name
        );
    }
}

fn raffle_without_its_last_table(backend: DbBackend) -> Vec<TableCreateStatement> {
    let mut tables = seedbed_raffle::create_statements(backend);
    tables.retain(|t| !format!("{:?}", t.get_table_name()).contains("audit_logs"));
    tables
}

#[test]
fn a_changed_entity_makes_the_diagram_stale() {
    let raffle = seedbed_registry::find("raffle").unwrap();
    let changed = Domain { entities: raffle_without_its_last_table, ..*raffle };
    let page = std::fs::read_to_string(pages().join("raffle.md")).unwrap();
    assert_ne!(with_diagram(&page, &er_diagram(&changed)), page, "dropping audit_logs went unnoticed");

    // The command says so too, and rewrites a stale page when asked.
    let dir = std::env::temp_dir().join(format!("seedbed-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stale = with_diagram(&page, &er_diagram(&changed));
    std::fs::write(dir.join("raffle.md"), &stale).unwrap();
    let docs = |extra: &[&str]| {
        let mut cmd = seedbed_command();
        cmd.args(["docs", "--domain", "raffle", "--dir"]).arg(&dir).args(extra);
        run(cmd)
    };
    let out = docs(&["--check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run `cargo run -p seedbed -- docs`"),
        "{}",
        show(&out)
    );
    assert_success(&docs(&[]));
    assert_eq!(std::fs::read_to_string(dir.join("raffle.md")).unwrap(), page);
    assert_success(&docs(&["--check"]));
    std::fs::remove_dir_all(&dir).unwrap();
}
