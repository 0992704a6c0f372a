//! The `mailhop` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use mailhop::scenario::{self, LoadError};

/// `println!` for stdout that ends the program quietly when the reader has
/// gone (`mailhop test | head`), instead of panicking on a broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        if let Err(err) = writeln!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(err)
        }
    };
}

/// `print!` for stdout, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        if let Err(err) = write!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(err)
        }
    };
}

/// Stdout cannot be written: the reader closed the pipe (end quietly, as
/// `cat` does), or something worse (say so).
fn stdout_failed(err: std::io::Error) -> ! {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("cannot write to standard output: {err}");
    std::process::exit(2);
}

/// mimalloc instead of the system allocator: runs allocate many small
/// strings, and a server must give memory back after a storm of large
/// what-ifs (glibc keeps it in per-thread arenas for good).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use mailhop::{invariants, report, sim, suite};

/// mailhop runs a small world of mail clients, servers and DNS in one
/// process and shows how a message travels through it, hop by hop.
///
/// Every hop is a real SMTP conversation (with real STARTTLS and AUTH) over
/// in-memory links, on a virtual clock: hours of retries take milliseconds,
/// and the same scenario always gives the same result.
#[derive(Debug, Parser)]
#[command(name = "mailhop", version, about, long_about)]
#[command(after_help = "Examples:\n  \
    mailhop run scenarios/six-hops.json          hops, channels and who could read what\n  \
    mailhop run scenarios/six-hops.json --json   the full trace, every byte and event\n  \
    mailhop validate scenarios/*.json            check files before sharing them\n  \
    mailhop test scenarios/ --junit report.xml   check every scenario's claims (CI)\n  \
    mailhop serve                                the web player at http://127.0.0.1:8025/\n  \
    mailhop export scenarios/six-hops.json --html six-hops.html   a player that needs no server\n  \
    mailhop schema > scenario.schema.json        for completion in your editor\n\n\
    Set RUST_LOG=debug to watch the simulation's own log on stderr.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Caps on a run. A world can be built that never settles (two relays
/// forwarding to each other, a flood of messages); these end such a run
/// with a clear message instead of letting it grow.
#[derive(Debug, clap::Args)]
struct Caps {
    /// Stop the run at this virtual time if the scenario's own `until` is
    /// later (for example 2h or 3d).
    #[arg(long, value_name = "DURATION", value_parser = scenario::Duration::parse)]
    until: Option<scenario::Duration>,
    /// Stop after recording this many events.
    #[arg(long, value_name = "N", default_value_t = sim::Limits::default().max_events)]
    max_events: usize,
    /// Stop once this many messages (bounces included) exist.
    #[arg(long, value_name = "N", default_value_t = sim::Limits::default().max_messages)]
    max_messages: u64,
    /// Stop once the trace holds this many bytes of messages, lines and
    /// wire chunks (a run's memory grows with them).
    #[arg(long, value_name = "BYTES", default_value_t = sim::Limits::default().max_bytes)]
    max_bytes: usize,
}

impl Caps {
    fn limits(&self) -> sim::Limits {
        sim::Limits {
            max_events: self.max_events,
            max_messages: self.max_messages,
            max_bytes: self.max_bytes,
        }
    }

    fn apply(&self, scenario: &mut scenario::Scenario) {
        if let Some(until) = self.until {
            scenario.until = scenario.until.min(until);
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and print its hops, or its whole trace with --json.
    ///
    /// The table lists each hop (one message moving from one machine to the
    /// next) with its virtual time, protocol and channel: plaintext, TLS
    /// without checking who the server is, or TLS with an authenticated
    /// server. Then what else happened (failed connections, deferrals,
    /// retries, deliveries, bounces) and, for each message, which machines
    /// held a copy their operator could read.
    ///
    /// Exits with 0 after a clean run, 2 when the scenario is invalid, and 1
    /// when the run broke one of mailhop's own checks (a bug: please report).
    Run {
        /// The scenario file (JSON).
        file: PathBuf,
        /// Print the trace as JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Use this seed instead of the scenario's (changes TLS randomness,
        /// not the story).
        #[arg(long)]
        seed: Option<u64>,
        /// Write the trace to FILE as the run produces it, one JSON object
        /// per line (the header first, then each event), for runs too large
        /// to hold. The conversation lines and wire chunks then live in the
        /// file only; the table is made from the other events.
        #[arg(long, value_name = "FILE", conflicts_with = "json")]
        trace_out: Option<PathBuf>,
        #[command(flatten)]
        caps: Caps,
    },
    /// Check scenario files; every problem names file:line:column and what
    /// would be valid.
    ///
    /// Checks the files without running them: `mailhop test` runs them and
    /// also finds what only a run shows (a caption on a hop that never
    /// happens, a claim that fails).
    ///
    /// Exits with 0 when every file is valid and 2 when any is not.
    Validate {
        /// Scenario files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run scenarios and check what they claim (their `expect` lists).
    ///
    /// Each scenario runs, its expectations are checked against the trace,
    /// and so are mailhop's own invariants (no message lost silently). One
    /// line per scenario; under a failure, each failed expectation with what
    /// was expected, what happened, and the event (virtual time, hop) that
    /// decided it. A caption on a hop the run never makes fails the scenario
    /// too, at the caption's file:line:column. The last line is `N passed,
    /// N failed`.
    ///
    /// Exits with 0 when every scenario passes, 1 when any fails, and 2 when
    /// a file is not a valid scenario.
    Test {
        /// Scenario files or folders (searched for *.json). Default: scenarios/
        paths: Vec<PathBuf>,
        /// Run each scenario N times and fail unless every trace is
        /// byte-identical.
        #[arg(long, default_value_t = 1, value_name = "N")]
        repeat: u32,
        /// Also write the results as JUnit XML, which CI systems display.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Print the results as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Scenarios to run at the same time (default: one per core).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        caps: Caps,
    },
    /// Start the web player: step through scenarios hop by hop in a browser.
    ///
    /// Serves a gallery of the built-in scenarios (and those in
    /// --scenarios DIR) on 127.0.0.1. Each page shows the machines, the hop
    /// being made, how it travelled, who could read the message where, the
    /// SMTP conversation, the message with the headers each hop added, and
    /// what-if switches that re-run the world. Everything the page needs is
    /// in the binary: it works offline.
    Serve {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8025)]
        port: u16,
        /// Address to listen on. Keep the default unless students must reach
        /// this machine over the network; then also name, with --host, the
        /// host names or addresses they will type.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// A host name (or address) students use to reach this server, for
        /// example `--host 192.168.1.20 --host teacher-pc.local`. Requests
        /// naming any other host are refused, so a foreign web page cannot
        /// reach the player through a name that points here.
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        /// A folder of your own scenario files to serve besides the built-in ones.
        #[arg(long, value_name = "DIR")]
        scenarios: Option<PathBuf>,
        /// Reload a scenario when its file changes; an invalid file shows its
        /// problems on the page.
        #[arg(long, requires = "scenarios")]
        watch: bool,
    },
    /// Write a scenario's walk-through to files that need no server.
    ///
    /// `--html OUT` writes one self-contained page that plays the scenario
    /// offline (for videos, or to send to students); `--data OUT` writes the
    /// player data (the JSON the player draws from, docs/player.md).
    Export {
        /// The scenario file (JSON).
        file: PathBuf,
        /// Write a self-contained HTML player here.
        #[arg(long, value_name = "OUT", required_unless_present = "data")]
        html: Option<PathBuf>,
        /// Write the player data (JSON) here.
        #[arg(long, value_name = "OUT")]
        data: Option<PathBuf>,
    },
    /// Print the OpenPGP key of a person in a scenario, ASCII-armoured.
    ///
    /// Every mail client with `pgp` has a key drawn from the scenario's seed
    /// and its user's address. This prints the public key (or, with
    /// --secret, the secret key, without a passphrase), for `gpg --import`:
    /// a student can then decrypt with GnuPG a copy a run stored, and check
    /// its signature. Exits with 2 when the scenario is invalid or the
    /// address has no key.
    PgpKey {
        /// The scenario file (JSON).
        file: PathBuf,
        /// The address, a mail client's `user`.
        address: String,
        /// Print the secret key instead of the public one.
        #[arg(long)]
        secret: bool,
    },
    /// Print the JSON Schema of scenario files.
    ///
    /// Point a scenario's "$schema" at a saved copy and editors such as VS
    /// Code complete keys and flag mistakes as you type.
    Schema,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            file,
            json,
            seed,
            trace_out,
            caps,
        } => run(&file, json, seed, trace_out.as_deref(), &caps),
        Command::Validate { files } => validate(&files),
        Command::Test {
            paths,
            repeat,
            junit,
            json,
            jobs,
            caps,
        } => test(paths, repeat, junit.as_deref(), json, jobs, &caps),
        Command::Serve {
            port,
            bind,
            scenarios,
            watch,
            hosts,
        } => serve(mailhop::web::ServeOptions {
            bind,
            port,
            scenarios,
            watch,
            hosts,
        }),
        Command::Export { file, html, data } => export(&file, html.as_deref(), data.as_deref()),
        Command::PgpKey {
            file,
            address,
            secret,
        } => pgp_key(&file, &address, secret),
        Command::Schema => {
            outln!("{}", scenario::schema_json());
            ExitCode::SUCCESS
        }
    }
}

fn print_problems(err: &LoadError) {
    let mut stderr = std::io::stderr().lock();
    for problem in &err.problems {
        let _ = writeln!(stderr, "{problem}");
    }
}

fn run(
    file: &Path,
    json: bool,
    seed: Option<u64>,
    trace_out: Option<&Path>,
    caps: &Caps,
) -> ExitCode {
    let mut scenario = match scenario::load_file_with_warnings(file) {
        Ok((s, warnings)) => {
            for warning in warnings {
                eprintln!("{warning}");
            }
            s
        }
        Err(err) => {
            print_problems(&err);
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    caps.apply(&mut scenario);
    let sink = match trace_out.map(|out| (out, std::fs::File::create(out))) {
        None => None,
        Some((_, Ok(created))) => Some(std::sync::Arc::new(std::sync::Mutex::new(
            sim::sink::Sink::new(
                Box::new(std::io::BufWriter::with_capacity(1 << 20, created)),
                &scenario.id,
                scenario.seed,
                &scenario.start,
            ),
        ))),
        Some((out, Err(err))) => {
            eprintln!("{}: cannot write the trace there: {err}", out.display());
            return ExitCode::from(2);
        }
    };
    let options = sim::Options {
        limits: caps.limits(),
        sink: sink.clone(),
        ..sim::Options::default()
    };
    let trace = match sim::run_with(&scenario, &options) {
        Ok(trace) => trace,
        Err(err) => {
            eprintln!("{}: cannot run: {err}", file.display());
            return ExitCode::from(2);
        }
    };
    if json {
        // Straight to stdout: a large run's JSON never sits in memory whole.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, &trace)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        if let Err(err) = written {
            stdout_failed(err);
        }
    } else {
        out!("{}", report::render(&scenario, &trace));
    }
    // The writer has kept writing while the report was made; wait for it.
    if let (Some(out), Some(sink)) = (trace_out, sink)
        && let Err(err) = sink.lock().unwrap_or_else(|e| e.into_inner()).finish()
    {
        eprintln!("{}: cannot write the trace: {err}", out.display());
        return ExitCode::from(2);
    }
    if let Some(out) = trace_out {
        outln!(
            "\nThe whole trace is in {} (one JSON object per line). Conversation lines \
             and wire chunks are only there, so the table above does not list message \
             content refused after DATA.",
            out.display()
        );
    }
    if let Some(why) = invariants::cut_short(&trace) {
        eprintln!("{}: {why}", file.display());
    }
    let mut ok = true;
    // With --trace-out the trace held here lacks lines and wire chunks, so
    // its sequence numbers have gaps: the file is the whole trace.
    if trace_out.is_none()
        && let Err(err) = invariants::check_shape(&trace)
    {
        eprintln!("internal error: {err}");
        ok = false;
    }
    if let Err(violations) = invariants::check_no_loss(&trace) {
        for v in violations {
            eprintln!("invariant broken: {v}");
        }
        ok = false;
    }
    // The process ends here: freeing millions of records one by one would
    // only make a large run's exit slower.
    std::mem::forget(trace);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn pgp_key(file: &std::path::Path, address: &str, secret: bool) -> ExitCode {
    let scenario = match scenario::load_file(file) {
        Ok(scenario) => scenario,
        Err(err) => {
            print_problems(&err);
            return ExitCode::from(2);
        }
    };
    match mailhop::pgp::scenario_key(&scenario, address) {
        Some(Ok(keys)) => {
            let armored = if secret {
                keys.secret_armored()
            } else {
                keys.public_armored()
            };
            outln!("{}", armored.trim_end());
            ExitCode::SUCCESS
        }
        Some(Err(reason)) => {
            eprintln!("{}: {reason}", file.display());
            ExitCode::from(2)
        }
        None => {
            eprintln!(
                "{}: `{address}` has no OpenPGP key: no mail client with `pgp` has it as its `user`",
                file.display()
            );
            ExitCode::from(2)
        }
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut all_valid = true;
    for file in files {
        match scenario::load_file_with_warnings(file) {
            Ok((_, warnings)) if warnings.is_empty() => outln!("{}: ok", file.display()),
            Ok((_, warnings)) => {
                for warning in &warnings {
                    eprintln!("{warning}");
                }
                outln!(
                    "{}: ok, with {} warning{}",
                    file.display(),
                    warnings.len(),
                    if warnings.len() == 1 { "" } else { "s" }
                );
            }
            Err(err) => {
                print_problems(&err);
                all_valid = false;
            }
        }
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn test(
    paths: Vec<PathBuf>,
    repeat: u32,
    junit: Option<&Path>,
    json: bool,
    jobs: Option<usize>,
    caps: &Caps,
) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    };
    let files = suite::collect_files(&paths);
    if files.is_empty() {
        eprintln!(
            "no scenario files (*.json) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(2);
    }
    let mut options = suite::Options {
        repeat,
        limits: caps.limits(),
        until: caps.until,
        ..suite::Options::default()
    };
    if let Some(jobs) = jobs {
        options.jobs = jobs;
    }
    let report = suite::run(&files, &options);
    if json {
        outln!("{}", suite::render_json(&report));
    } else {
        out!("{}", suite::render_text(&report));
    }
    if let Some(junit) = junit
        && let Err(err) = std::fs::write(junit, suite::render_junit(&report))
    {
        eprintln!("cannot write {}: {err}", junit.display());
        return ExitCode::from(2);
    }
    ExitCode::from(report.exit_code())
}

fn serve(options: mailhop::web::ServeOptions) -> ExitCode {
    if !options.bind.is_loopback() {
        if options.hosts.is_empty() {
            eprintln!(
                "--bind {} lets other machines reach the player: name the host or address students will type with --host (for example --host 192.168.1.20)",
                options.bind
            );
            return ExitCode::from(2);
        }
        eprintln!(
            "warning: listening on {}: everyone who can reach this machine can use the player (as {})",
            options.bind,
            options.hosts.join(", ")
        );
    }
    if let Some(dir) = &options.scenarios
        && !dir.is_dir()
    {
        eprintln!("--scenarios {}: not a folder", dir.display());
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mailhop::web::serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cannot serve: {err}");
            ExitCode::FAILURE
        }
    }
}

fn export(file: &Path, html: Option<&Path>, data: Option<&Path>) -> ExitCode {
    let run = match mailhop::harness::Run::file(file) {
        Ok(run) => run,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let player = mailhop::player::build(&run.scenario, &run.trace);
    let mut outputs = Vec::new();
    if let Some(out) = data {
        outputs.push((
            out,
            serde_json::to_string(&player).expect("player data is plain data"),
        ));
    }
    if let Some(out) = html {
        outputs.push((out, mailhop::web::export_html(&player)));
    }
    for (out, text) in outputs {
        if let Err(err) = std::fs::write(out, text) {
            eprintln!("cannot write {}: {err}", out.display());
            return ExitCode::from(2);
        }
        outln!("wrote {}", out.display());
    }
    ExitCode::SUCCESS
}
