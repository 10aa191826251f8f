//! `mlmodel-inspector`: parses the command line, then runs a subcommand.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mlmodel_inspector::cli::Cli::parse();
    match mlmodel_inspector::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
