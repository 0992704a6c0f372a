//! The simulation: a scenario's world run on a virtual clock.
//!
//! [`run`] builds a [`World`](world::World) from a scenario and runs it on a
//! tokio current-thread runtime with paused time inside a `LocalSet`: actors
//! are local tasks, they interleave in a fixed order, and the clock jumps to
//! the next timer whenever every task waits. TLS randomness comes from a
//! generator seeded with the scenario's seed. The run stops when nothing is
//! left to do (no script step pending, no session open, nothing queued that
//! will be retried) or at the scenario's `until`, whichever comes first.

pub mod account;
pub mod checks;
pub mod discover;
pub mod dns;
pub mod judge;
pub mod link;
pub mod mailserver;
pub mod mta;
pub mod mua;
mod pgp;
pub mod reader;
pub mod session;
pub mod sink;
pub mod store;
pub mod typist;
pub mod web;
pub mod world;

use std::rc::Rc;

use tokio::task::LocalSet;
use tokio::time::sleep_until;

use crate::clock::SimTime;
use crate::scenario::{Action, Scenario};
use crate::trace::{Event, QueuedAtEnd, Trace};
use world::World;

pub use world::Limits;

/// Knobs for a run that are not part of the scenario.
#[derive(Clone, Default)]
pub struct Options {
    /// Event kinds not to record. Only for tests that prove the invariant
    /// checks notice a missing event.
    pub suppress: Vec<&'static str>,
    /// Caps on events and messages.
    pub limits: Limits,
    /// Write every event here as it happens (`--trace-out`); the returned
    /// trace then keeps all but lines and wire chunks (see [`sink`]). The
    /// run hands the sink its last events; wait for the file with
    /// [`sink::Sink::finish`].
    pub sink: Option<sink::SharedSink>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("suppress", &self.suppress)
            .field("limits", &self.limits)
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

/// Runs a scenario to the end (or to a limit) and returns its trace.
pub fn run(scenario: &Scenario) -> Result<Trace, String> {
    run_with(scenario, &Options::default())
}

/// Runs a scenario with extra options.
///
/// A run has a runtime of its own, with its own paused clock. Called from
/// code that is already inside a tokio runtime (a web handler, an async
/// test), it runs on a thread of its own, since one thread cannot drive two
/// runtimes.
pub fn run_with(scenario: &Scenario, options: &Options) -> Result<Trace, String> {
    let run = || drive(scenario, options, |_| async {}).map(|(trace, ())| trace);
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|scope| {
            scope
                .spawn(run)
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    } else {
        run()
    }
}

/// Runs a scenario while `visit` also acts in its world: tests use it to
/// open connections of their own (a raw SMTP client, or an outside client
/// through [`bridge`]). The run ends when `visit` has finished and the world
/// is quiescent, or at the scenario's `until`.
pub fn drive<F, Fut, T>(
    scenario: &Scenario,
    options: &Options,
    visit: F,
) -> Result<(Trace, T), String>
where
    F: FnOnce(Rc<World>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    crate::tls::seed_thread(scenario.seed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| format!("cannot start the simulation runtime: {e}"))?;
    let local = LocalSet::new();
    let (events, value) = local.block_on(&runtime, async {
        let world = World::new(scenario.clone(), options.limits)?;
        world.set_sink(options.sink.clone());
        world
            .suppress
            .borrow_mut()
            .extend(options.suppress.iter().copied());
        start(&world);
        let until = world.clock.instant(SimTime(scenario.until.as_millis()));
        let value = {
            let _busy = world.busy();
            visit(world.clone()).await
        };
        let reason = if let Some(limit) = world.halted() {
            limit
        } else if !world.is_busy() {
            "quiescent"
        } else {
            tokio::select! {
                biased;
                _ = world.halt.notified() => world.halted().unwrap_or("halted"),
                _ = world.idle.notified() => "quiescent",
                _ = sleep_until(until) => "time_limit",
            }
        };
        for (node, message, recipients) in world.still_queued() {
            world.emit(Event::QueuedAtEnd(Box::new(QueuedAtEnd {
                node,
                message,
                recipients,
            })));
        }
        world.emit(Event::End {
            reason: reason.into(),
        });
        // Kept connections point back at the world: let them go, so a run
        // cut short frees everything.
        world.conn_cache.borrow_mut().clear();
        world.release_sink();
        Ok::<_, String>((world.take_events(), value))
    })?;
    let trace = Trace {
        scenario: scenario.id.clone(),
        seed: scenario.seed,
        start: scenario.start.clone(),
        events,
    };
    Ok((trace, value))
}

/// Connects `client` to `server:port` and returns a plain tokio stream for
/// the client's side, for SMTP clients that need a `Send` stream (lettre).
/// Bytes are pumped to and from the in-memory link, so the tap, latency and
/// trace work as for the simulation's own clients.
pub async fn bridge(
    world: &Rc<World>,
    client: &str,
    server: &str,
    port: u16,
) -> Result<tokio::io::DuplexStream, String> {
    let conn = world.connect(client, server, port).await?;
    let (outside, inside) = tokio::io::duplex(64 * 1024);
    let busy = world.busy();
    tokio::task::spawn_local(async move {
        let _busy = busy;
        let (mut link_read, mut link_write) = tokio::io::split(conn.link);
        let (mut in_read, mut in_write) = tokio::io::split(inside);
        let up = async {
            let _ = tokio::io::copy(&mut in_read, &mut link_write).await;
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut link_write).await;
        };
        let down = async {
            let _ = tokio::io::copy(&mut link_read, &mut in_write).await;
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut in_write).await;
        };
        tokio::join!(up, down);
    });
    Ok(outside)
}

/// Schedules the faults and the script.
fn start(world: &Rc<World>) {
    for fault in &world.scenario.faults {
        let world = world.clone();
        let fault = fault.clone();
        tokio::task::spawn_local(async move {
            sleep_until(world.clock.instant(SimTime(fault.from.as_millis()))).await;
            world.emit(Event::NodeDown {
                node: fault.down.clone(),
                until: fault.until.map(|u| u.as_millis()),
            });
            world.went_down.notify_waiters();
            if let Some(until) = fault.until {
                sleep_until(world.clock.instant(SimTime(until.as_millis()))).await;
                world.emit(Event::NodeUp { node: fault.down });
            }
        });
    }
    for step in &world.scenario.script {
        let busy = world.busy();
        let world = world.clone();
        let step = step.clone();
        tokio::task::spawn_local(async move {
            sleep_until(world.clock.instant(SimTime(step.at.as_millis()))).await;
            match step.action() {
                Some(Action::Send(send)) => {
                    mua::send(world.clone(), send.from.clone(), send.clone(), busy).await
                }
                Some(Action::Type(typing)) => {
                    typist::type_lines(world.clone(), typing.clone(), busy).await
                }
                Some(Action::Fetch(fetch)) => {
                    reader::fetch(world.clone(), fetch.clone(), busy).await
                }
                Some(Action::File(file)) => reader::file(world.clone(), file.clone(), busy).await,
                // Loading refuses a step that does neither or both.
                None => {}
            }
        });
    }
}
