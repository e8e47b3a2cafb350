//! `sitegen` — command-line entry point; all work lives in the `sitegen` library.

use clap::Parser;

/// mimalloc instead of the system allocator: a build allocates millions of small JSON values and
/// strings from several threads (see adr/0007-mimalloc-allocator.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = sitegen::cmd::Cli::parse();
    let code = match sitegen::cmd::execute(cli) {
        Ok(code) => code,
        Err(e) => {
            sitegen::errln!("error: {e:#}");
            1
        }
    };
    // A closed or failing standard output is reported here, once (see sitegen::util::output).
    std::process::exit(sitegen::util::output::finish(code));
}
