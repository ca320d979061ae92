//! Tells the test suite whether a PostgreSQL server is configured for it: with
//! `HALYARD_TEST_POSTGRES_URL` set, the PostgreSQL variant of every test is compiled to
//! run; without it, each is marked ignored (with the reason), so a run never counts
//! PostgreSQL coverage it did not have. Cargo rebuilds when the variable changes.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=HALYARD_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(halyard_postgres_tests)");
    let configured = std::env::var("HALYARD_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    if configured {
        println!("cargo::rustc-cfg=halyard_postgres_tests");
    }
}
