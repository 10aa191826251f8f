//! The command line: no subcommand opens the window; `show` prints a model card, `graph` what
//! is inside its ONNX file, `predict` builds, checks and sends a request, `openapi` describes
//! the endpoint, using the same library calls as the GUI.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::input::build::InputSource;
use crate::model;

mod args;
mod card_text;
mod diff;
mod eval;
mod explain;
mod graph;
mod predict;
mod scan;

pub use args::{
    BackendArgs, Cli, Command, EnvManagerArg, FillArg, FormatArg, ImageArgs, parse_image_size,
    parse_pad, parse_range, parse_triple, parse_window_size,
};
pub use card_text::render_card;
use card_text::{remote_json, remote_text};
pub use predict::latency_line;

/// Runs the command; `Err` is printed as `error: ...` with exit code 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if cli.command.is_some() {
        crate::text::FrontEnd::set(crate::text::FrontEnd::CommandLine);
    }
    let Some(command) = cli.command else {
        #[cfg(feature = "gui")]
        {
            crate::ui::run(cli.model, cli.image, cli.window_size)?;
            return Ok(ExitCode::SUCCESS);
        }
        #[cfg(not(feature = "gui"))]
        anyhow::bail!("this build has no window (built without the `gui` feature): use `show`");
    };
    match command {
        Command::Show {
            model,
            tracking_uri,
            json,
        } => {
            let crate::session::Opened { card, remote } =
                crate::session::open(&model, tracking_uri.as_deref())?;
            if json {
                let mut doc = model::json::card_to_json(&card);
                if let (Some(r), Some(obj)) = (&remote, doc.as_object_mut()) {
                    obj.insert("source".into(), remote_json(r));
                }
                print_out(
                    serde_json::to_string_pretty(&doc).context("cannot write the card as JSON")?,
                )?;
            } else {
                let mut text = String::new();
                if let Some(r) = &remote {
                    text.push_str(&remote_text(r));
                }
                text.push_str(&render_card(&card));
                print_text(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph {
            model,
            tracking_uri,
            file,
            nodes,
            json,
        } => {
            let crate::session::Opened { card, mut remote } =
                crate::session::open(&model, tracking_uri.as_deref())?;
            let report = crate::session::read_graph(
                &card,
                remote.as_mut(),
                file.as_deref(),
                &Default::default(),
                &std::sync::atomic::AtomicBool::new(false),
            )?;
            write_out(|out| {
                if json {
                    graph::write_graph_json(&report, nodes, out)
                } else {
                    graph::write_graph_text(&report, nodes, out)
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi {
            model,
            tracking_uri,
        } => {
            let card = crate::session::open(&model, tracking_uri.as_deref())?.card;
            let doc = crate::input::openapi::openapi_document(&card);
            print_out(&serde_json::to_string_pretty(&doc).context("cannot write the document")?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict {
            model,
            tracking_uri,
            input,
            image,
            npy,
            csv,
            fill,
            fill_range,
            batch,
            free_axis,
            params,
            image_args,
            format,
            dry_run,
            labels,
            backend,
            repeat,
        } => {
            let source = if let Some(path) = input {
                InputSource::RequestFile(path)
            } else if !image.is_empty() {
                InputSource::Images(image)
            } else if !npy.is_empty() {
                // Named by NAME=FILE, else by the file's stem, as files dropped on the window.
                InputSource::Npy(
                    npy.iter()
                        .map(|a| crate::session::parse_npy_arg(a))
                        .collect(),
                )
            } else if let Some(path) = csv {
                InputSource::Csv(path)
            } else if let Some(fill) = fill {
                use crate::input::build::FillKind;
                InputSource::Fill {
                    kind: match fill {
                        FillArg::Zeros => FillKind::Zeros,
                        FillArg::Ones => FillKind::Ones,
                        FillArg::Random => FillKind::Random {
                            low: fill_range.0,
                            high: fill_range.1,
                        },
                    },
                    batch: batch as usize,
                    free: free_axis as usize,
                }
            } else {
                InputSource::Example
            };
            let settings = backend.settings()?;
            let image = image_args.spec();
            let send = (!dry_run).then_some((
                backend.backend,
                settings,
                repeat,
                labels,
                backend.trust_model,
            ));
            predict::predict(model, tracking_uri, source, params, image, format, send)
        }
        Command::Diff {
            a,
            b,
            tracking_uri,
            json,
        } => diff::diff(&a, &b, tracking_uri.as_deref(), json),
        Command::Scan {
            model,
            tracking_uri,
            json,
        } => scan::scan(&model, tracking_uri.as_deref(), json),
        Command::Eval {
            model,
            tracking_uri,
            images,
            csv,
            jsonl,
            parquet,
            label,
            labels,
            task,
            batch,
            concurrency,
            out,
            json,
            engine,
            master,
            predictions,
            labels_from,
            image_args,
            backend,
        } => {
            // The flag given says the table's form, whatever its file's name.
            use crate::eval::dataset::TableKind;
            let table = csv
                .map(|f| (f, TableKind::Csv))
                .or(jsonl.map(|f| (f, TableKind::JsonLines)));
            let table = table.or_else(|| {
                labels_from
                    .as_ref()
                    .filter(|p| !p.is_dir())
                    .map(|f| (f.clone(), TableKind::of(f)))
            });
            let images = images.or_else(|| labels_from.filter(|p| p.is_dir()));
            let dataset = match (images, table, parquet) {
                (Some(dir), _, _) => crate::eval::DatasetSpec::Images(dir),
                (None, Some((file, kind)), _) => crate::eval::DatasetSpec::Table {
                    file,
                    label,
                    kind: Some(kind),
                },
                // Described by the Spark engine's Python before the plan is made.
                (None, None, Some(path)) => crate::eval::DatasetSpec::Parquet {
                    path,
                    label,
                    columns: Vec::new(),
                    rows: 0,
                },
                (None, None, None) => anyhow::bail!(
                    "give the dataset: --images DIR, --csv FILE, --jsonl FILE or --parquet DIR"
                ),
            };
            let options = crate::eval::EvalOptions {
                batch: batch.map(|b| b as usize),
                task,
                labels,
                image: image_args.spec(),
                concurrency: Some(concurrency as usize),
            };
            let settings = backend.settings()?;
            eval::eval(eval::EvalArgs {
                model,
                tracking_uri,
                dataset,
                options,
                backend: backend.backend,
                settings,
                trust_model: backend.trust_model,
                out,
                json,
                engine,
                master,
                env_manager: backend.env_manager,
                predictions,
            })
        }
        Command::Explain {
            model,
            tracking_uri,
            csv,
            image,
            window,
            stride,
            baseline,
            image_args,
            row,
            background,
            background_rows,
            class,
            permutations,
            seed,
            concurrency,
            batch,
            json,
            backend,
        } => {
            let spec = match (image, csv) {
                (Some(image), _) => {
                    explain::What::Image(crate::explain::occlusion::ImageSpecOcclusion {
                        image,
                        class,
                        window,
                        stride,
                        grid: None,
                        baseline,
                        batch: batch.map(|b| b as usize),
                        options: image_args.spec(),
                        concurrency: concurrency as usize,
                    })
                }
                (None, Some(csv)) => explain::What::Row(crate::explain::table::TableSpec {
                    data: csv,
                    row,
                    background: match background {
                        Some(file) => crate::explain::table::Background::File(file),
                        None => crate::explain::table::Background::Rows(background_rows as usize),
                    },
                    class,
                    pairs: (permutations as usize).div_ceil(2),
                    seed,
                    batch: batch.map(|b| b as usize),
                    concurrency: concurrency as usize,
                }),
                (None, None) => anyhow::bail!("give what to explain: --csv FILE or --image FILE"),
            };
            let settings = backend.settings()?;
            explain::explain(explain::ExplainArgs {
                model,
                tracking_uri,
                spec,
                backend: backend.backend,
                settings,
                trust_model: backend.trust_model,
                json,
            })
        }
    }
}

/// Opens a model to run through `backend` (eval's and explain's way in): the card, its
/// tracking server mirror, the backend chosen; MLflow's scoring server is refused for a model
/// whose scan finds something dangerous unless `trust` (`--trust-model`).
fn open_to_run(
    model: &std::path::Path,
    tracking_uri: Option<&str>,
    backend: &str,
    trust: bool,
) -> anyhow::Result<(
    model::ModelCard,
    Option<crate::source::RemoteModel>,
    crate::predict::BackendChoice,
)> {
    let crate::session::Opened { card, mut remote } = crate::session::open(model, tracking_uri)?;
    let has_onnx = crate::session::BackendKind::auto(&card).is_some();
    let choice =
        crate::predict::BackendChoice::parse(backend, has_onnx).map_err(anyhow::Error::msg)?;
    if !trust
        && let Some(why) = crate::session::dangerous_to_serve(&card, remote.as_mut(), &choice)
            .map_err(anyhow::Error::msg)?
    {
        anyhow::bail!("refused: {why}. Pass --trust-model to run it anyway");
    }
    Ok((card, remote, choice))
}

/// Fetches every file a remote model still lacks (`why`: what for, in the line said first),
/// with a progress bar of bytes on stderr; Ctrl+C stops it.
fn fetch_all(remote: &mut crate::source::RemoteModel, why: &str) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering;
    if !remote.lacks(None) {
        return Ok(());
    }
    let missing = remote.missing_bytes();
    eprintln!(
        "{why}: fetching {} ({}) from {}",
        remote.uri,
        crate::text::human_size(missing),
        remote.tracking.base
    );
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(missing),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:32} {bytes}/{total_bytes} · {bytes_per_sec} · ETA {eta}",
        )
        .context("the progress bar's template")?,
    );
    eval::catch_interrupt();
    let progress = crate::source::Progress::default();
    let result = std::thread::scope(|scope| {
        let fetching = scope.spawn(|| remote.fetch(None, &progress));
        while !fetching.is_finished() {
            bar.set_position(progress.done.load(Ordering::Relaxed));
            if eval::INTERRUPTED.load(Ordering::Relaxed) {
                progress.cancel.store(true, Ordering::Relaxed);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        fetching.join()
    });
    bar.finish_and_clear();
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::Error::new(e).context(format!("cannot fetch {}", remote.uri))),
        Err(_) => anyhow::bail!("fetching {} stopped unexpectedly", remote.uri),
    }
}

/// Writes `text` and a newline to stdout; a closed pipe (`| head`) is not an error.
/// Writes to stdout through `write` (buffered); a closed pipe ends quietly.
fn write_out(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// Prints text meant for a terminal (not JSON): control characters that came from the data
/// (escape sequences, carriage returns) are written as escapes, line breaks kept.
fn print_text(text: &str) -> anyhow::Result<()> {
    print_out(crate::text::printable_lines(text))
}

fn print_out(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
