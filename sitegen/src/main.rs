//! `sitegen` — command-line entry point; all work lives in the `sitegen` library.

fn main() {
    println!("sitegen {}", env!("CARGO_PKG_VERSION"));
}
