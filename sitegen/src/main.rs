//! `sitegen` — command-line entry point; all work lives in the `sitegen` library.

use clap::Parser;

fn main() {
    let cli = sitegen::cli::Cli::parse();
    let code = match sitegen::cli::execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
