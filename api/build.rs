//! Builds the crate again when a migration is added, changed or removed: `embed_migrations!`
//! (src/db/mod.rs) reads the migration folders at compile time, and cargo tracks no folder it
//! is not told about.

fn main() {
    println!("cargo:rerun-if-changed=../migrations/sqlite");
    println!("cargo:rerun-if-changed=../migrations/postgres");
}
