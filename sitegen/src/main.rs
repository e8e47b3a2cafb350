//! `sitegen` — command-line entry point; all work lives in the `sitegen` library
//! ([`sitegen::cmd`]).

/// mimalloc instead of the system allocator: a build allocates millions of small JSON values and
/// strings from several threads (see adr/0007-mimalloc-allocator.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(sitegen::cmd::main(std::env::args_os()));
}
