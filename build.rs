//! Tells the test suite whether a PostgreSQL server is configured for it: with
//! `HALYARD_TEST_POSTGRES_URL` set, the PostgreSQL variant of every test is compiled to
//! run; without it, each is marked ignored (with the reason), so a run never counts
//! PostgreSQL coverage it did not have. `HALYARD_TEST_REPLICA_URL` (a streaming replica
//! of that server, `.ci/pg-replica`) does the same for the read-replica tests. Cargo
//! rebuilds when either variable changes.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for (variable, cfg) in [
        ("HALYARD_TEST_POSTGRES_URL", "halyard_postgres_tests"),
        ("HALYARD_TEST_REPLICA_URL", "halyard_replica_tests"),
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if std::env::var(variable).is_ok_and(|url| !url.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
