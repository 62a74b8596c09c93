//! `#[seedbed_fixtures::test]` as a user meets it: a test file with a wrong option fails to
//! compile with a message that names the problem and the fix, at the token at fault. Each
//! case is compiled by `rustc --test` against the `seedbed-fixtures` this suite was built
//! with (metadata only: no code is generated, so a case takes a second or two).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The newest build of `lib{name}-*.{ext}` in `deps`.
fn newest(deps: &Path, name: &str, ext: &str) -> PathBuf {
    std::fs::read_dir(deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let file = p.file_name().unwrap().to_string_lossy();
            file.starts_with(&format!("lib{name}-")) && file.ends_with(&format!(".{ext}"))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("no lib{name}-*.{ext} in {}: build seedbed-fixtures first", deps.display()))
}

/// Compiles `source` as a test crate using seedbed-fixtures; the compiler's errors, if any.
fn compile(source: &str) -> Option<String> {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let dir = std::env::temp_dir().join(format!("seedbed-macro-case-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file =
        dir.join(format!("case_{:x}.rs", source.len() * 31 + source.bytes().map(usize::from).sum::<usize>()));
    std::fs::write(&file, source).unwrap();
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .args(["--edition", "2024", "--test", "--emit=metadata", "--error-format=short", "--color=never"])
        .arg("--extern")
        .arg(format!("seedbed_fixtures={}", newest(&deps, "seedbed_fixtures", "rlib").display()))
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg("--out-dir")
        .arg(&dir)
        .arg(&file)
        .output()
        .expect("rustc runs");
    let _ = std::fs::remove_file(&file);
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

fn case(attr: &str, arg: &str) -> String {
    format!(
        "#[seedbed_fixtures::test({attr})]\nasync fn t(db: seedbed_fixtures::{arg}) {{\n    let _ = db;\n}}\n"
    )
}

#[test]
fn a_wrong_option_fails_the_build_with_the_fix() {
    // (attribute, argument type, the error it must give, or None to compile)
    let cases: [(&str, &str, Option<&str>); 6] = [
        ("domains(draw), profile = \"tiny\", seed = 42", "Db", None),
        ("domains(draw, booking), mode = \"rollback\"", "TxDb", None),
        (
            "domains(lottery)",
            "Db",
            Some(
                "unknown domain in #[seedbed_fixtures::test(domains(..))]: the domains are those of seedbed_registry::DOMAINS (`seedbed new-domain` adds one)",
            ),
        ),
        (
            "domains(draw), profile = \"huge\"",
            "Db",
            Some(
                "unknown profile in #[seedbed_fixtures::test(profile = \"..\")]: the profiles are \"tiny\", \"dev\" and \"large\"",
            ),
        ),
        (
            "domains(draw), sead = 42",
            "Db",
            Some(
                "unknown option `sead`: the options are domains(..), profile, seed, scale, now, url, keep, mode",
            ),
        ),
        (
            "domains(draw), mode = \"rollback\"",
            "Db",
            Some("mode = \"rollback\" hands the test a `TxDb`: write `db: TxDb`"),
        ),
    ];
    let mut wrong = Vec::new();
    for (attr, arg, wanted) in cases {
        let got = compile(&case(attr, arg));
        let ok = match (wanted, &got) {
            (None, None) => true,
            (Some(w), Some(errors)) => errors.contains(w),
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "#[seedbed_fixtures::test({attr})] async fn t(db: {arg})\n  wanted: {}\n  got: {}",
                wanted.unwrap_or("it compiles"),
                got.as_deref().unwrap_or("it compiles")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
