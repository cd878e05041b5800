//! The layers of `api/src` (docs/architecture.md) as the source says them: what each layer may
//! use, and where SQL may be written by hand. A use that breaks a rule fails here, naming the
//! file and line, before it becomes a habit.

use std::path::{Path, PathBuf};

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src")
}

/// Every `.rs` file below `dir`, with its text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    assert!(!out.is_empty(), "no source below {}", dir.display());
    out
}

/// The lines of the files below `dirs` (relative to `api/src`) that contain one of `words`,
/// comments left out, except in the files `allowed` (relative to `api/src`).
fn uses(dirs: &[&str], words: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = source();
    let mut found = Vec::new();
    for dir in dirs {
        let path = root.join(dir);
        let sources = if path.is_dir() {
            files(&path)
        } else {
            vec![(path.clone(), std::fs::read_to_string(&path).unwrap())]
        };
        for (file, text) in sources {
            let name = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if allowed.iter().any(|a| name.starts_with(a)) {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                if let Some(word) = words.iter().find(|w| code.contains(*w)) {
                    found.push(format!("{name}:{}: `{word}` in `{}`", n + 1, code));
                }
            }
        }
    }
    found
}

#[test]
fn domain_db_and_commands_know_nothing_of_http() {
    let found = uses(
        &["domain", "db", "app"],
        &[
            "actix",
            "crate::error",
            "crate::routes",
            "crate::http",
            "crate::auth",
            "crate::startup",
            "crate::idempotency",
            "ApiError",
        ],
        &[],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_domain_knows_nothing_of_the_database_or_the_commands() {
    let found = uses(&["domain"], &["diesel", "crate::db", "crate::app"], &[]);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_database_knows_nothing_of_the_commands_or_the_readers() {
    let found = uses(
        &["db"],
        &["crate::app", "crate::import", "crate::iati"],
        &[],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn middlewares_do_not_call_into_the_routes() {
    let found = uses(
        &[
            "idempotency.rs",
            "auth.rs",
            "ratelimit.rs",
            "deadline.rs",
            "telemetry.rs",
            "compression.rs",
            "http.rs",
            "error.rs",
        ],
        &["crate::routes"],
        &[],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn sql_is_written_by_hand_only_in_db_sql() {
    let found = uses(
        &[""],
        &[
            "sql_query",
            "batch_execute",
            "Sql::new",
            "SimpleConnection",
            "\"SELECT ",
            "\"INSERT ",
            "\"UPDATE ",
            "\"DELETE ",
        ],
        &["db/sql/"],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_finds_what_it_looks_for() {
    // The rules above pass because nothing breaks them, not because they look nowhere.
    assert!(!uses(&["db/sql"], &["sql_query"], &[]).is_empty());
    assert!(!uses(&["routes"], &["actix"], &[]).is_empty());
    assert!(uses(&["db/sql"], &["sql_query"], &["db/sql/"]).is_empty());
}
