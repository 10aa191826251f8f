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
    // glibc's malloc raises its mmap threshold to the size of each large block freed (up to
    // 32 MiB), after which blocks that size come from heaps that keep them once freed: an
    // evaluation's answers, read by several threads, then left each thread's heap holding
    // what it once parsed, and the peak went from 560 MiB to 1,070 MiB from one run to the
    // next. A fixed threshold gives blocks of 1 MiB or more back to the system when freed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; called before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
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
