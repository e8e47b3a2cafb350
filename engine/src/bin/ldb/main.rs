//! `ldb` — the Lightning DB command-line tool. A thin layer over the `lightning_db` library.

fn main() {
    println!("ldb {}", env!("CARGO_PKG_VERSION"));
}
