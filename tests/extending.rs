//! Extending a domain, as docs/extending.md teaches: the draw domain's worked versions 1.1,
//! 1.3 and 1.4 migrate a database that already holds data, and `seedbed migrate generate` adds a
//! migration that compiles and is pending at once.

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::prelude::{DateTimeUtc, Decimal};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use seedbed_core::Backend;
use seedbed_draw::{draw_categories, draws, plans, subscriptions, user_preferences, users};
use seedbed_seeds::{Profile, Quiet, SeedOptions};

use crate::util::{TestDb, assert_success, backend_tests, domains, run, seedbed_command, show};

/// Everything a draw held before version 1.3.0.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct DrawBefore13 {
    id: i32,
    title: String,
    prize_amount: Decimal,
    entry_fee: i32,
    max_participants: i32,
    current_participants: i32,
    draw_time: DateTimeUtc,
    is_active: bool,
    winner_id: Option<String>,
    updated_at: DateTimeUtc,
}

async fn draws_before_13(db: &DatabaseConnection) -> Vec<DrawBefore13> {
    use draws::Column::*;
    draws::Entity::find()
        .select_only()
        .columns([
            Id,
            Title,
            PrizeAmount,
            EntryFee,
            MaxParticipants,
            CurrentParticipants,
            DrawTime,
            IsActive,
            WinnerId,
            UpdatedAt,
        ])
        .order_by_asc(Id)
        .into_model::<DrawBefore13>()
        .all(db)
        .await
        .unwrap()
}

/// The digests of every draw table but the two version 1.3.0 changes.
async fn untouched_digests(db: &DatabaseConnection) -> Digests {
    digests_but(db, &["draws", "draw_categories"]).await
}

/// Table name → digest.
type Digests = std::collections::BTreeMap<&'static str, String>;

/// The digests of every draw table the namespace holds but `changed`.
async fn digests_but(db: &DatabaseConnection, changed: &[&str]) -> Digests {
    let seeder = domains().iter().find(|d| d.name == "draw").unwrap().seeder;
    let mut out = Digests::new();
    for table in seeder.tables() {
        // A table a later version creates is not there yet.
        if let (false, Ok(digest)) = (changed.contains(&table.name()), table.digest(db).await) {
            out.insert(table.name(), format!("{digest:?}"));
        }
    }
    out
}

/// The digests of the tables `before` has, now.
async fn digests_now(db: &DatabaseConnection, before: &Digests) -> Digests {
    let mut now = digests_but(db, &[]).await;
    now.retain(|table, _| before.contains_key(table));
    now
}

/// Version 1.1.0's migration (`user_preferences`) and version 1.3.0's (`draw_categories`).
const V1_1: &str = "m20250801_000000_user_preferences";
const V1_3: &str = "m20251001_000000_draw_categories";
/// Version 1.4.0's (premium).
const V1_4: &str = "m20251201_000000_premium";

/// Reverts `version` and every migration after it, found by name: a migration added later
/// goes too, and the test still starts from just before `version`.
async fn down_to_before(migrator: &seedbed_migration::Migrator, db: &DatabaseConnection, version: &str) {
    let versions = migrator.versions();
    let at = versions
        .iter()
        .position(|v| v == version)
        .unwrap_or_else(|| panic!("the draw domain has no migration {version}: {versions:?}"));
    migrator.down(db, (versions.len() - at) as u32).await.unwrap();
    let status = migrator.status(db).await.unwrap();
    let applied: Vec<&String> = status
        .iter()
        .filter(|s| matches!(s.state, seedbed_migration::State::Applied { .. }))
        .map(|s| &s.version)
        .collect();
    assert_eq!(
        applied,
        versions[..at].iter().collect::<Vec<_>>(),
        "down to before {version} left another history"
    );
}

backend_tests!(the_category_backfill_sorts_every_seeded_draw_and_changes_nothing_else);
async fn the_category_backfill_sorts_every_seeded_draw_and_changes_nothing_else(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = domains().iter().find(|d| d.name == "draw").unwrap();
    let db = t.migrated(domain).await;
    let opts = SeedOptions { profile: Profile::Dev, ..Default::default() };
    let hash = seedbed_seeds::accounts::dev_password_hash();
    seedbed_seeds::seed(&db, domain.seeder, opts, false, &Quiet, &hash).await.unwrap();
    let migrator = (domain.migrator)();
    // A dev database as it stood before version 1.3.0: its down keeps every draw.
    down_to_before(&migrator, &db, V1_3).await;
    let draws_before = draws_before_13(&db).await;
    let untouched = untouched_digests(&db).await;
    assert!(draws_before.len() >= 250, "dev should hold hundreds of draws, not {}", draws_before.len());

    migrator.up(&db, None).await.unwrap();

    assert_eq!(draws_before_13(&db).await, draws_before, "the backfill changed a draw beyond its category");
    assert_eq!(digests_now(&db, &untouched).await, untouched, "the backfill changed another table");
    let categories =
        draw_categories::Entity::find().order_by_asc(draw_categories::Column::Id).all(&db).await.unwrap();
    let slugs: Vec<&str> = categories.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["classic", "daily", "weekend", "mega"]);
    let all = draws::Entity::find().all(&db).await.unwrap();
    assert_eq!(all.len(), draws_before.len());
    for d in &all {
        let slug = categories.iter().find(|c| c.id == d.category_id).map(|c| c.slug.as_str());
        let expected = match d.title.split_whitespace().next() {
            Some("Daily") => "daily",
            Some("Weekend" | "Friday") => "weekend",
            Some("Mega") => "mega",
            _ => "classic",
        };
        assert_eq!(slug, Some(expected), "draw {} ({}) went to the wrong category", d.id, d.title);
    }
    // And the domain's own checks agree.
    let checks = seedbed_seeds::checks(domain.seeder, db.get_database_backend());
    let findings = seedbed_seeds::checks::run(&db, &checks).await.unwrap();
    let failing: Vec<_> = findings.iter().filter(|f| f.violations > 0).map(|f| f.name.as_str()).collect();
    assert!(failing.is_empty(), "checks failing after the backfill: {failing:?}");
}

backend_tests!(the_premium_backfill_explains_every_vip_flag_and_changes_nothing_else);
async fn the_premium_backfill_explains_every_vip_flag_and_changes_nothing_else(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = domains().iter().find(|d| d.name == "draw").unwrap();
    let db = t.migrated(domain).await;
    let opts = SeedOptions { profile: Profile::Dev, ..Default::default() };
    let hash = seedbed_seeds::accounts::dev_password_hash();
    seedbed_seeds::seed(&db, domain.seeder, opts, false, &Quiet, &hash).await.unwrap();
    let migrator = (domain.migrator)();
    // A dev database as it stood before version 1.4.0: VIP flags without subscriptions.
    down_to_before(&migrator, &db, V1_4).await;
    let new_tables = ["draws", "plans", "subscriptions", "subscription_payments"];
    let untouched = digests_but(&db, &new_tables).await;
    assert!(untouched.contains_key("referrals"), "1.2.0's tables are there before 1.4.0: {untouched:?}");
    let vips: Vec<String> = users::Entity::find()
        .filter(users::Column::IsVip.eq(true))
        .order_by_asc(users::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert!(vips.len() >= 10, "dev should hold dozens of VIP users, not {}", vips.len());

    migrator.up(&db, None).await.unwrap();

    assert_eq!(digests_now(&db, &untouched).await, untouched, "the backfill changed another table");
    let legacy = plans::Entity::find().all(&db).await.unwrap();
    assert!(
        matches!(legacy.as_slice(), [p] if p.slug == "vip_legacy" && p.price_coins == 0 && !p.is_public),
        "the backfill should create exactly the free legacy plan: {legacy:?}"
    );
    let subs =
        subscriptions::Entity::find().order_by_asc(subscriptions::Column::UserId).all(&db).await.unwrap();
    let explained: Vec<String> = subs
        .iter()
        .filter(|s| {
            s.status == seedbed_draw::enums::SubscriptionStatus::Active
                && s.plan_id == legacy[0].id
                && s.active_user_id.as_deref() == Some(s.user_id.as_str())
                && s.period_start < s.period_end
        })
        .map(|s| s.user_id.clone())
        .collect();
    assert_eq!(explained, vips, "each VIP (and nobody else) gets one active legacy subscription: {subs:?}");
    assert_eq!(subs.len(), vips.len(), "the backfill made other subscriptions: {subs:?}");
    let checks = seedbed_seeds::checks(domain.seeder, db.get_database_backend());
    let findings = seedbed_seeds::checks::run(&db, &checks).await.unwrap();
    let failing: Vec<_> = findings.iter().filter(|f| f.violations > 0).map(|f| f.name.as_str()).collect();
    assert!(failing.is_empty(), "checks failing after the backfill: {failing:?}");
    // Applied again (down and up), it ends the same way and keeps every coin.
    migrator.down(&db, 1).await.unwrap();
    migrator.up(&db, None).await.unwrap();
    assert_eq!(digests_now(&db, &untouched).await, untouched, "down and up again changed another table");
    assert_eq!(subscriptions::Entity::find().all(&db).await.unwrap().len(), vips.len());
}

backend_tests!(the_preferences_step_gives_every_existing_user_defaults);
async fn the_preferences_step_gives_every_existing_user_defaults(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = domains().iter().find(|d| d.name == "draw").unwrap();
    let db = t.migrated(domain).await;
    let opts = SeedOptions { profile: Profile::Tiny, ..Default::default() };
    let hash = seedbed_seeds::accounts::dev_password_hash();
    seedbed_seeds::seed(&db, domain.seeder, opts, false, &Quiet, &hash).await.unwrap();
    let migrator = (domain.migrator)();
    // Back to before version 1.1.0 (the categories of 1.3.0 go first), then forward again.
    down_to_before(&migrator, &db, V1_1).await;
    migrator.up(&db, None).await.unwrap();
    let users = users::Entity::find().all(&db).await.unwrap();
    let prefs = user_preferences::Entity::find().all(&db).await.unwrap();
    assert_eq!(prefs.len(), users.len(), "one preferences row per existing user");
    let defaults = user_preferences::Entity::find()
        .filter(user_preferences::Column::NotifyEmail.eq(true))
        .filter(user_preferences::Column::NotifySms.eq(false))
        .filter(user_preferences::Column::MarketingOptIn.eq(false))
        .filter(user_preferences::Column::Language.eq(seedbed_draw::enums::Language::En))
        .filter(user_preferences::Column::Theme.eq(seedbed_draw::enums::Theme::System))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(defaults.len(), users.len(), "the data step must give the documented defaults");
}

/// Held by a test while it builds a scratch workspace into this workspace's target directory.
static SCRATCH_BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Copies the workspace's sources (not `target/`, not `.git`) to `to`.
fn copy_sources(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if [".git", "target", ".seedbed"].iter().any(|skip| name == *skip) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_sources(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Renames every package `X` of the scratch workspace `X-scratch`, keeping the names the
/// code uses (the dependency keys).
fn rename_packages(scratch: &Path) {
    let edit = |path: PathBuf, f: &dyn Fn(String) -> String| {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(&path, f(text)).unwrap();
    };
    // Path dependencies, in the workspace's table and in members (fixtures-example's).
    let repoint = |text: String| {
        text.lines()
            .map(|l| match l.split_once(" = { path = ") {
                Some((key, rest)) if key.starts_with("seedbed") => {
                    format!("{key} = {{ package = \"{key}-scratch\", path = {rest}")
                }
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut members: Vec<PathBuf> = ["migration", "seeds", "tests"].iter().map(|d| scratch.join(d)).collect();
    members.extend(std::fs::read_dir(scratch.join("crates")).unwrap().map(|e| e.unwrap().path()));
    for dir in members {
        edit(dir.join("Cargo.toml"), &|text| {
            let start = text.find("\nname = \"").expect("a package name") + "\nname = \"".len();
            let end = start + text[start..].find('"').unwrap();
            repoint(format!("{}-scratch{}", &text[..end], &text[end..]))
        });
    }
    edit(scratch.join("Cargo.toml"), &repoint);
    edit(scratch.join("crates/seedbed/src/main.rs"), &|text| {
        text.replace("seedbed::cli", "seedbed_scratch::cli")
    });
}

fn migration_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn generate_writes_a_migration_that_compiles_and_is_pending() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scratch = std::env::temp_dir().join(format!("seedbed-generate-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    copy_sources(workspace, &scratch);
    let draw_dir = scratch.join("migration/src/draw");
    let before = migration_files(&draw_dir);

    // The guide's command, from inside the workspace.
    let generate = |args: &[&str]| {
        let mut cmd = seedbed_command();
        cmd.args(["migrate", "generate", "--domain", "draw"]).args(args).current_dir(&scratch);
        run(cmd)
    };
    let out = generate(&["add_marker_column", "--dry-run"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("_add_marker_column.rs"), "{}", show(&out));
    assert_eq!(migration_files(&draw_dir), before, "--dry-run wrote a file");
    assert_success(&generate(&["add_marker_column"]));
    assert_eq!(migration_files(&draw_dir), before + 1);
    let out = generate(&["add_marker_column"]);
    assert_eq!(out.status.code(), Some(2), "a clash must be refused\n{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has a migration named add_marker_column"));

    // Rebuilt, the scratch workspace lists it as pending. It builds into this workspace's
    // target directory, which already holds every dependency; its packages get names of
    // their own, since Cargo names a member's artifacts by its path inside the workspace,
    // which is the same here, and they would overwrite this workspace's.
    rename_packages(&scratch);
    let target = std::env::current_exe().unwrap().ancestors().nth(3).unwrap().to_owned();
    // Tidy: the scratch crates' artifacts leave `deps/` once the run is over.
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let listing = || -> std::collections::BTreeSet<std::ffi::OsString> {
        std::fs::read_dir(&deps).unwrap().map(|e| e.unwrap().file_name()).collect()
    };
    // One scratch build at a time: each removes the artifacts that appeared during its build,
    // which would include another's built meanwhile.
    let _one_build = SCRATCH_BUILD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let ours = listing();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["run", "-q", "--offline", "-p", "seedbed-scratch", "--target-dir"])
        .arg(&target)
        .args(["--", "migrate", "status", "--domain", "draw", "--database-url"])
        .arg(format!("sqlite://{}", scratch.join("db").display()))
        .current_dir(&scratch);
    let out = run(cargo);
    for scratch_artifact in listing().difference(&ours) {
        let _ = std::fs::remove_file(deps.join(scratch_artifact));
    }
    assert_success(&out);
    let pending = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with("pending") && l.ends_with("_add_marker_column"))
        .count();
    assert_eq!(pending, 1, "the generated migration is not listed as pending\n{}", show(&out));
    std::fs::remove_dir_all(&scratch).ok();
}

/// Every file under `dir`, relative, with its contents: what "nothing written" compares.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.strip_prefix(dir).unwrap().to_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The registry-driven tests the scratch domain must pass, on SQLite (the other backends run
/// the same code over the same registry in the main suite).
const REGISTRY_DRIVEN: &[&str] = &[
    "entities::entities_agree_with_migrations::sqlite",
    "entities::each_seeders_tables_are_its_entities_parents_first",
    "integrity::each_rule_check_catches_its_corruption::sqlite",
    "integrity::each_orphan_check_catches_a_dangling_key::sqlite",
    "integrity::every_registered_domain_has_a_test_file_and_every_test_file_a_domain",
    "constraints::constraints_refuse_bad_rows::sqlite",
    "constraints::every_check_and_foreign_key_of_the_live_schema_refuses_a_violating_write::sqlite",
    "seeding::tiny_fills_every_table_and_uses_every_enumerated_value",
    "seeding::every_backend_holds_the_same_data::sqlite",
    "seeding::every_check_passes_on_tiny_and_dev::sqlite",
    "migrations::each_down_undoes_its_up::sqlite",
    "dry_run::a_dry_run_changes_nothing::sqlite",
    "dry_run::the_sql_of_a_dry_run_builds_the_schema_up_builds::sqlite",
    "backup::backup_fresh_restore_gives_the_same_digest::sqlite",
    "seeding::the_catalogue_documents_every_rule",
    "docs::er_diagrams_match_the_entities",
    "fixtures::every_registered_domain_gets_a_seeded_fixture_that_keeps_its_rules::sqlite",
    "fixtures::the_template_fingerprint_covers_every_registered_domain",
];

#[test]
fn new_domain_scaffolds_a_domain_the_registry_driven_suites_cover() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scratch = std::env::temp_dir().join(format!("seedbed-new-domain-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    copy_sources(workspace, &scratch);
    let new_domain = |dir: &Path, args: &[&str]| {
        let mut cmd = seedbed_command();
        cmd.arg("new-domain").args(args).current_dir(dir);
        run(cmd)
    };

    // Bad input: one line, exit 2, nothing written.
    let before = snapshot(&scratch);
    let outside = std::env::temp_dir().join(format!("seedbed-not-a-workspace-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    for (dir, args, says) in [
        (&scratch, &["draw"][..], "`draw` is taken"),
        (&scratch, &["Room-Booking"][..], "is not a valid domain name"),
        (&scratch, &["type"][..], "is a Rust keyword"),
        (&scratch, &["seeds"][..], "names a part of seedbed itself"),
        (&scratch, &["scratchdom", "--about", "say \"hi\""][..], "--about must be one line"),
        (&outside, &["scratchdom"][..], "no seedbed workspace"),
    ] {
        let out = new_domain(dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "new-domain {args:?} must be refused\n{}", show(&out));
        assert!(stderr.contains(says) && stderr.trim().lines().count() == 1, "{args:?}: {}", show(&out));
    }
    assert!(snapshot(&scratch) == before, "a refused new-domain wrote something");
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none(), "new-domain wrote outside a workspace");
    std::fs::remove_dir_all(&outside).ok();

    let out = new_domain(&scratch, &["scratchdom", "--about", "a scratch domain"]);
    assert_success(&out);
    let registry = std::fs::read_to_string(scratch.join("crates/registry/src/lib.rs")).unwrap();
    assert!(
        registry.contains("Scratchdom: scratchdom, seedbed_scratchdom, \"a scratch domain\";"),
        "{registry}"
    );
    let out = new_domain(&scratch, &["scratchdom"]);
    assert_eq!(out.status.code(), Some(2), "a second scaffold of one name must be refused\n{}", show(&out));

    // The scratch workspace's suites, run on the registry that now holds four domains. It
    // builds into this workspace's target directory (see the test above for why packages are
    // renamed), and its copy of the CLI binary gets a name of its own too, so that it never
    // replaces the binary the other tests run.
    rename_packages(&scratch);
    let rename_bin = |path: PathBuf| {
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("seedbed-cli", "seedbed-cli-scratch")).unwrap();
    };
    rename_bin(scratch.join("tests/Cargo.toml"));
    rename_bin(scratch.join("tests/util.rs"));
    // That binary's main names the CLI crate by its dependency key (`seedbed`), which the
    // renamed package's own main no longer does: give it the original main.
    std::fs::copy(workspace.join("crates/seedbed/src/main.rs"), scratch.join("tests/cli_main.rs")).unwrap();
    let manifest = scratch.join("tests/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("path = \"../crates/seedbed/src/main.rs\"", "path = \"cli_main.rs\""),
    )
    .unwrap();
    let target = std::env::current_exe().unwrap().ancestors().nth(3).unwrap().to_owned();
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let listing = || -> std::collections::BTreeSet<std::ffi::OsString> {
        std::fs::read_dir(&deps).unwrap().map(|e| e.unwrap().file_name()).collect()
    };
    // One scratch build at a time: each removes the artifacts that appeared during its build,
    // which would include another's built meanwhile.
    let _one_build = SCRATCH_BUILD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let ours = listing();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args([
            "test",
            "-q",
            "--offline",
            "-p",
            "seedbed-tests-scratch",
            "--test",
            "integration",
            "--target-dir",
        ])
        .arg(&target)
        .arg("--")
        .args(REGISTRY_DRIVEN)
        .arg("--exact")
        .current_dir(&scratch);
    let out = run(cargo);
    for scratch_artifact in listing().difference(&ours) {
        let _ = std::fs::remove_file(deps.join(scratch_artifact));
    }
    let _ = std::fs::remove_file(target.join("debug/seedbed-cli-scratch"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("test result: ok. {} passed", REGISTRY_DRIVEN.len())),
        "the registry-driven suites did not all pass on the scaffolded domain\n{}",
        show(&out)
    );
    std::fs::remove_dir_all(&scratch).ok();
}
