//! The repository explains itself: every file its documents name is in it, and the licence the
//! manifest declares is the one in `LICENSE`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The documents a newcomer reads: the README, the contributing guide, `docs/` and its
/// decisions.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut found = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    for dir in ["docs", "docs/decisions"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    found
}

/// What a document writes in backquotes that names a file or folder of the repository: a path
/// under one of its top folders, or one of its top files. Globs and placeholders are not names.
fn named_paths(text: &str) -> Vec<String> {
    const TOP: [&str; 8] = [
        "docs/",
        "tests/",
        "bench/",
        "api/",
        "migrations/",
        "openapi/",
        "examples/",
        ".ci/",
    ];
    const FILES: [&str; 6] = [
        "README.md",
        "CONTRIBUTING.md",
        "LICENSE",
        "Dockerfile",
        "docker-compose.yml",
        "Cargo.toml",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|quoted| quoted.split([' ', ':', '#']).next().unwrap_or(""))
        .filter(|p| TOP.iter().any(|t| p.starts_with(t)) || FILES.contains(p))
        .filter(|p| !p.contains(['*', '{', '<', '…']) && !p.contains("NAME"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_file_the_documents_name_is_in_the_repository() {
    let root = root();
    let mut missing = Vec::new();
    let mut named = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for path in named_paths(&text) {
            named += 1;
            if !root.join(&path).exists() {
                missing.push(format!("{}: {path}", document.display()));
            }
        }
    }
    assert!(named > 50, "the documents name files: {named}");
    assert!(
        missing.is_empty(),
        "named but not here:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_readme_points_to_the_domain_guide_the_guide_and_the_licence() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for named in ["docs/domain.md", "CONTRIBUTING.md", "LICENSE"] {
        assert!(named_paths(&readme).iter().any(|p| p == named), "{named}");
    }
    // The design notes outside the repository are no longer what it points to.
    assert!(!readme.contains("DESIGN"));
}

#[test]
fn the_licence_is_the_one_the_manifest_declares() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
    let licence = std::fs::read_to_string(root().join("LICENSE")).unwrap();
    assert!(licence.contains("Apache License"));
    assert!(licence.contains("Version 2.0, January 2004"));
    assert!(licence.contains("END OF TERMS AND CONDITIONS"));
}

#[test]
fn named_paths_are_read_from_backquotes() {
    let text = "see `docs/sync.md`, `api/src/db/sql/` and `tests/api/gate.rs:12`; not `a/b`, \
                `migrations/*/up.sql` or `cargo test`, and `LICENSE`";
    assert_eq!(
        named_paths(text),
        [
            "docs/sync.md",
            "api/src/db/sql/",
            "tests/api/gate.rs",
            "LICENSE"
        ]
    );
}
