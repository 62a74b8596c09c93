//! Reading `.env` without ever echoing it: a line may hold a password, so a line that
//! cannot be parsed is named by file and number, never shown.

use std::path::{Path, PathBuf};

/// Sets each variable of the nearest `.env` (in the working directory or above) that the
/// environment does not set already. Returns what was wrong with the file, if anything, in
/// words safe to print; the lines that parse are loaded all the same.
pub fn load() -> Option<String> {
    let path = find()?;
    let content = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Some(format!("cannot read {} ({})", path.display(), e.kind())),
    };
    let mut bad_lines = Vec::new();
    for item in dotenvy::from_read_iter(content.as_bytes()) {
        match item {
            // The environment cannot hold a NUL byte (setting one would panic).
            Ok((key, value)) if key.contains('\0') || value.contains('\0') => {
                bad_lines.push(content.lines().position(|l| l.contains('\0')).map(|i| i + 1))
            }
            Ok((key, value)) => {
                if std::env::var_os(&key).is_none() {
                    // SAFETY: this runs first thing in `main`, before the runtime or any other
                    // thread exists, so nothing reads the environment concurrently.
                    unsafe { std::env::set_var(key, value) };
                }
            }
            Err(dotenvy::Error::LineParse(line, _)) => bad_lines.push(line_number(&content, &line)),
            Err(_) => bad_lines.push(None),
        }
    }
    if bad_lines.is_empty() {
        return None;
    }
    let numbers: Vec<String> = bad_lines.iter().map(|n| n.map_or("?".into(), |n| n.to_string())).collect();
    let noun = if numbers.len() == 1 { "line" } else { "lines" };
    Some(format!("{} {noun} {} cannot be parsed", path.display(), numbers.join(", ")))
}

/// The nearest `.env` file, looking in the working directory and then its parents, as
/// dotenvy does.
fn find() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors().map(|dir| dir.join(".env")).find(|p| Path::is_file(p))
}

/// The 1-based number of the physical line where `logical` (what the parser read, which for
/// a quoted value may span several lines) starts.
fn line_number(content: &str, logical: &str) -> Option<usize> {
    let first = logical.lines().next().unwrap_or_default().trim_end();
    content.lines().position(|l| l.trim_end() == first).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::line_number;

    #[test]
    fn finds_the_line_a_parse_error_starts_on() {
        let content = "A=1\n# note\nDATABASE_URL=postgres://u:pw@h/db'\nB=2\n";
        assert_eq!(line_number(content, "DATABASE_URL=postgres://u:pw@h/db'\nB=2\n"), Some(3));
        assert_eq!(line_number(content, "not there"), None);
    }
}
