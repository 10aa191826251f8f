//! `mlmodel-inspector`: parses the command line, then runs a subcommand.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // ONNX Runtime's telemetry off (it writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime
    // at environment creation, whatever the C API asks), as the app turns MLflow's off for
    // the servers it starts; a value the user set is kept.
    if std::env::var_os("ORT_DISABLE_TELEMETRY").is_none() {
        // SAFETY: the first statement of main, before any thread exists that could read the
        // environment.
        unsafe { std::env::set_var("ORT_DISABLE_TELEMETRY", "1") };
    }
    let cli = mlmodel_inspector::cli::Cli::parse();
    match mlmodel_inspector::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
