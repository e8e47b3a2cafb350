use lightning_db::{Database, Options, workload, wal::WalMode};
fn main() {
    let mode = if std::env::args().nth(1).as_deref() == Some("u") { WalMode::Unified } else { WalMode::Standard };
    let dir = tempfile::tempdir().unwrap();
    let db = Database::create(dir.path().join("db"), Options { wal_mode: mode, ..Options::default() }).unwrap();
    for i in 0..300u64 { db.put(&workload::key(1, i), &workload::value(1, i)).unwrap(); }
    println!("single ok");
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let db = &db;
            s.spawn(move || for i in 0..150u64 { let n = t * 1_000_000 + i; db.put(&workload::key(2, n), &workload::value(2, n)).unwrap(); });
        }
    });
    println!("threads ok");
    db.close().unwrap();
}
