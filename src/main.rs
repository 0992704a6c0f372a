//! The `mailhop` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use mailhop::scenario::{self, LoadError};
use mailhop::{invariants, report, sim};

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
    mailhop schema > scenario.schema.json        for completion in your editor\n\n\
    Set RUST_LOG=debug to watch the simulation's own log on stderr.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
    /// Check scenario files; every problem names file:line:column and what
    /// would be valid.
    ///
    /// Exits with 0 when every file is valid and 2 when any is not.
    Validate {
        /// Scenario files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
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
        Command::Run { file, json, seed } => run(&file, json, seed),
        Command::Validate { files } => validate(&files),
        Command::Schema => {
            println!("{}", scenario::schema_json());
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

fn run(file: &Path, json: bool, seed: Option<u64>) -> ExitCode {
    let mut scenario = match scenario::load_file(file) {
        Ok(s) => s,
        Err(err) => {
            print_problems(&err);
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let trace = match sim::run(&scenario) {
        Ok(trace) => trace,
        Err(err) => {
            eprintln!("{}: cannot run: {err}", file.display());
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{}", trace.to_json());
    } else {
        print!("{}", report::render(&scenario, &trace));
    }
    let mut ok = true;
    if let Err(err) = invariants::check_shape(&trace) {
        eprintln!("internal error: {err}");
        ok = false;
    }
    if let Err(violations) = invariants::check_no_loss(&trace) {
        for v in violations {
            eprintln!("invariant broken: {v}");
        }
        ok = false;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut all_valid = true;
    for file in files {
        match scenario::load_file(file) {
            Ok(_) => println!("{}: ok", file.display()),
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
