//! Reading and editing `CREATE TABLE` text: the statement a migration is about to run, or the
//! one SQLite stores in `sqlite_schema`.
//!
//! SQLite cannot add or drop a CHECK or FOREIGN KEY constraint on an existing table; its
//! documented way is to rebuild the table from an edited copy of that text. The migration
//! helpers do the rebuild and add named constraints to new tables, and introspection reads
//! CHECK clauses back, all through this small lexer, which understands quoting and
//! parentheses and nothing more.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Word,
    Quoted,
    Open,
    Close,
    Comma,
    Other,
}

/// `backslash`: whether a backslash escapes the next character inside quotes (MySQL).
fn lex_with(sql: &str, backslash: bool) -> Vec<(Tok, Range<usize>)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                continue;
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                i += 1;
                loop {
                    if i >= bytes.len() {
                        break;
                    }
                    if backslash && bytes[i] == b'\\' && close != b']' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == close {
                        // A doubled quote is an escaped quote, except for brackets.
                        if close != b']' && bytes.get(i + 1) == Some(&close) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                Tok::Quoted
            }
            b'(' => {
                i += 1;
                Tok::Open
            }
            b')' => {
                i += 1;
                Tok::Close
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Tok::Word
            }
            _ => {
                i += 1;
                Tok::Other
            }
        };
        out.push((tok, start..i));
    }
    out
}

fn lex(sql: &str) -> Vec<(Tok, Range<usize>)> {
    lex_with(sql, false)
}

/// Removes SQL quoting from an identifier: `"a""b"` → `a"b`.
pub fn unquote(ident: &str) -> String {
    let t = ident.trim();
    let (open, close) = match t.chars().next() {
        Some('"') => ('"', '"'),
        Some('`') => ('`', '`'),
        Some('[') => ('[', ']'),
        Some('\'') => ('\'', '\''),
        _ => return t.to_owned(),
    };
    let inner = t.strip_prefix(open).and_then(|s| s.strip_suffix(close)).unwrap_or(t);
    inner.replace(&format!("{close}{close}"), &close.to_string())
}

/// Inserts `extra` elements (table constraints) at the end of the element list of a
/// `CREATE TABLE` statement in any dialect, keeping everything else as it was.
/// `backslash` says whether the dialect escapes quotes with a backslash, as MySQL does.
pub fn append_elements(sql: &str, extra: &[String], backslash: bool) -> Option<String> {
    if extra.is_empty() {
        return Some(sql.to_owned());
    }
    let toks = lex_with(sql, backslash);
    let open = toks.iter().position(|(t, _)| *t == Tok::Open)?;
    let mut depth = 0usize;
    for (tok, range) in &toks[open..] {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    let body_end = sql[..range.start].trim_end().len();
                    return Some(format!("{}, {}{}", &sql[..body_end], extra.join(", "), &sql[body_end..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// A `CREATE TABLE` statement split into its head, its comma-separated elements (column
/// definitions and table constraints) and whatever follows the closing parenthesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    pub elements: Vec<String>,
    pub tail: String,
}

/// One CHECK clause found in a table: its constraint name, if it has one, and its expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckClause {
    pub name: Option<String>,
    pub expr: String,
}

impl CreateTable {
    /// Splits `sql`, or returns `None` when it is not a `CREATE TABLE … ( … )` statement.
    pub fn parse(sql: &str) -> Option<Self> {
        let toks = lex(sql);
        let open = toks.iter().position(|(t, _)| *t == Tok::Open)?;
        let mut depth = 0usize;
        let mut elements = Vec::new();
        let mut start = toks[open].1.end;
        for (tok, range) in &toks[open..] {
            match tok {
                Tok::Open => depth += 1,
                Tok::Close => {
                    depth -= 1;
                    if depth == 0 {
                        elements.push(sql[start..range.start].trim().to_owned());
                        return Some(CreateTable { elements, tail: sql[range.end..].trim().to_owned() });
                    }
                }
                Tok::Comma if depth == 1 => {
                    elements.push(sql[start..range.start].trim().to_owned());
                    start = range.end;
                }
                _ => {}
            }
        }
        None
    }

    /// The statement again, for a table called `name`.
    pub fn to_sql(&self, name: &str) -> String {
        let mut sql =
            format!("CREATE TABLE \"{}\" ( {} )", name.replace('"', "\"\""), self.elements.join(", "));
        if !self.tail.is_empty() {
            sql.push(' ');
            sql.push_str(&self.tail);
        }
        sql
    }

    /// The name of the table constraint `element` declares, if it starts with `CONSTRAINT name`.
    pub fn constraint_name(element: &str) -> Option<String> {
        let toks = lex(element);
        match toks.as_slice() {
            [(Tok::Word, kw), (Tok::Word | Tok::Quoted, name), ..]
                if element[kw.clone()].eq_ignore_ascii_case("constraint") =>
            {
                Some(unquote(&element[name.clone()]))
            }
            _ => None,
        }
    }

    /// Whether a table constraint called `name` exists.
    pub fn has_constraint(&self, name: &str) -> bool {
        self.elements.iter().any(|e| Self::constraint_name(e).as_deref() == Some(name))
    }

    /// Drops the table constraint called `name`; false if there was none.
    pub fn remove_constraint(&mut self, name: &str) -> bool {
        let before = self.elements.len();
        self.elements.retain(|e| Self::constraint_name(e).as_deref() != Some(name));
        self.elements.len() != before
    }

    /// Every CHECK clause, at column or table level, in order of appearance.
    pub fn checks(&self) -> Vec<CheckClause> {
        let mut out = Vec::new();
        for element in &self.elements {
            let toks = lex(element);
            let mut name = None;
            let mut depth = 0usize;
            let mut i = 0;
            while i < toks.len() {
                let (tok, range) = &toks[i];
                match tok {
                    Tok::Open => depth += 1,
                    Tok::Close => depth = depth.saturating_sub(1),
                    Tok::Word if depth == 0 => {
                        let word = &element[range.clone()];
                        if word.eq_ignore_ascii_case("constraint") {
                            name = toks.get(i + 1).map(|(_, r)| unquote(&element[r.clone()]));
                        } else if word.eq_ignore_ascii_case("check")
                            && toks.get(i + 1).map(|t| t.0) == Some(Tok::Open)
                        {
                            let open = toks[i + 1].1.clone();
                            let mut d = 0usize;
                            for (t, r) in &toks[i + 1..] {
                                match t {
                                    Tok::Open => d += 1,
                                    Tok::Close => {
                                        d -= 1;
                                        if d == 0 {
                                            out.push(CheckClause {
                                                name: name.take(),
                                                expr: element[open.end..r.start].trim().to_owned(),
                                            });
                                            break;
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = r#"CREATE TABLE "users" ( "id" uuid_text NOT NULL PRIMARY KEY, "role" varchar(20) NOT NULL CHECK ("role" IN ('user', 'a,b')), "note" text DEFAULT 'it''s (fine)', CONSTRAINT "ck_users_x" CHECK (length("note") > 0) )"#;

    #[test]
    fn splits_elements_respecting_quotes_and_parentheses() {
        let t = CreateTable::parse(USERS).unwrap();
        assert_eq!(t.elements.len(), 4, "{:#?}", t.elements);
        assert_eq!(t.elements[2], r#""note" text DEFAULT 'it''s (fine)'"#);
        assert_eq!(t.to_sql("users"), USERS);
    }

    #[test]
    fn finds_column_and_table_checks() {
        let t = CreateTable::parse(USERS).unwrap();
        let checks = t.checks();
        assert_eq!(
            checks,
            vec![
                CheckClause { name: None, expr: r#""role" IN ('user', 'a,b')"#.into() },
                CheckClause { name: Some("ck_users_x".into()), expr: r#"length("note") > 0"#.into() },
            ]
        );
    }

    #[test]
    fn adds_and_removes_named_constraints() {
        let mut t = CreateTable::parse(USERS).unwrap();
        assert!(t.has_constraint("ck_users_x"));
        assert!(t.remove_constraint("ck_users_x"));
        assert!(!t.remove_constraint("ck_users_x"));
        t.elements.push(r#"CONSTRAINT "fk_a" FOREIGN KEY ("id") REFERENCES "b" ("id")"#.into());
        assert!(t.has_constraint("fk_a"));
        assert_eq!(CreateTable::parse(&t.to_sql("users")).unwrap(), t);
    }

    #[test]
    fn appends_elements_in_any_dialect() {
        let mysql = r"CREATE TABLE `t` ( `a` int, `b` text DEFAULT ')' COMMENT 'it\'s' ) ENGINE=InnoDB";
        let got = append_elements(mysql, &["CONSTRAINT `ck` CHECK (a > 0)".into()], true).unwrap();
        assert_eq!(
            got,
            r"CREATE TABLE `t` ( `a` int, `b` text DEFAULT ')' COMMENT 'it\'s', CONSTRAINT `ck` CHECK (a > 0) ) ENGINE=InnoDB"
        );
        let pg = r#"CREATE TABLE "t" ( "a" text DEFAULT 'C:\' )"#;
        let got = append_elements(pg, &["CHECK (a <> '')".into()], false).unwrap();
        assert_eq!(got, r#"CREATE TABLE "t" ( "a" text DEFAULT 'C:\', CHECK (a <> '') )"#);
    }

    #[test]
    fn unquotes_identifiers() {
        assert_eq!(unquote(r#""a""b""#), r#"a"b"#);
        assert_eq!(unquote("`x`"), "x");
        assert_eq!(unquote("[y]"), "y");
        assert_eq!(unquote("plain"), "plain");
    }
}
