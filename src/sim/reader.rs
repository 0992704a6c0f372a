//! Mail clients reading mail: the last hop of a message's journey.
//!
//! A `fetch` step connects the client to the server its `fetch` names and
//! runs a retrieval engine (`proto::fetch::imap` or `::pop3`) over the
//! connection: it downloads what the device has not seen yet, and with
//! `idle` stays in IMAP IDLE for a while, downloading what arrives. A
//! `file` step moves a downloaded message into another folder (IMAP MOVE),
//! and a `send` with `save_sent` APPENDs the sent message to `Sent`.
//!
//! Each downloaded message is a hop from the server to the device, as the
//! device received it (channel, TLS), and a copy at rest on the device. What
//! a device already has is kept in [`Device`], so the next session only
//! downloads what is new, as a real client does with UIDs (IMAP) or UIDL
//! ids (POP3). A session that fails says why (`retrieval_failed`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Duration, Instant, sleep_until};

use super::account;
use super::session::{CHUNK, ClientSide};
use super::world::{Busy, World};
use crate::proto::fetch::{Failure, imap, pop3};
use crate::scenario::{FetchStep, FileStep, Retrieval};
use crate::tls::ClientVerify;
use crate::trace::{Event, Hop, Place, RetrievalFailed, Spot, Stored};

/// What one mail client has downloaded.
#[derive(Debug, Default, Clone)]
pub struct Device {
    /// IMAP: per folder, the UIDVALIDITY and the UIDs it has.
    imap: BTreeMap<String, imap::Known>,
    /// POP3: the unique ids (UIDL) it has.
    pop3: BTreeSet<String>,
    /// Downloaded messages: (folder, UID, Subject), for `file` steps.
    subjects: Vec<(String, u32, String)>,
}

/// What a session is for.
enum Task {
    /// Download what is new; stay in IDLE this long after.
    Fetch { idle: Option<Duration> },
    /// Move the message with this Subject to a folder.
    File { subject: String, folder: String },
    /// Save a sent message in `Sent`.
    SaveSent(Vec<u8>),
}

/// Runs one `fetch` step of the script.
pub async fn fetch(world: Rc<World>, step: FetchStep, _busy: Busy) {
    let idle = step.idle.map(|d| Duration::from_millis(d.as_millis()));
    session(&world, &step.by, Task::Fetch { idle }).await;
}

/// Runs one `file` step of the script.
pub async fn file(world: Rc<World>, step: FileStep, _busy: Busy) {
    let task = Task::File {
        subject: step.subject,
        folder: step.folder,
    };
    session(&world, &step.by, task).await;
}

/// Saves a message `node` just sent in its `Sent` folder.
pub async fn save_sent(world: &Rc<World>, node: &str, message: Vec<u8>) {
    session(world, node, Task::SaveSent(message)).await;
}

/// One retrieval session of `node`, as its `fetch` says.
async fn session(world: &Rc<World>, node: &str, task: Task) {
    let Some(cfg) = world.node(node).cloned() else {
        return;
    };
    let Some(fetch) = cfg.fetch.clone() else {
        return;
    };
    let protocol = fetch.protocol.as_str().to_ascii_uppercase();
    let user = cfg.user.clone().unwrap_or_default();
    let reach = account::incoming(world, node).await;
    let server = match &reach {
        Ok(reach) => reach.node.clone(),
        Err(_) => fetch
            .server
            .clone()
            .unwrap_or_else(|| crate::proto::smtp::domain_of(&user).to_string()),
    };
    let fail = |reason: String| {
        world.emit(Event::RetrievalFailed(Box::new(RetrievalFailed {
            node: node.to_string(),
            server: server.clone(),
            protocol: protocol.clone(),
            reason,
        })));
    };
    let reach = match reach {
        Ok(reach) => reach,
        Err(reason) => return fail(reason),
    };
    let password = cfg.password.clone().unwrap_or_default();
    let device = world
        .devices
        .borrow()
        .get(node)
        .cloned()
        .unwrap_or_default();
    // What the session is to do, in the engine's words.
    let mut engine: Box<dyn Engine> = match fetch.protocol {
        Retrieval::Pop3 => {
            let mut plan = pop3::Plan::new(&reach.host, &reach.user, &password);
            plan.starttls = reach.starttls;
            plan.implicit_tls = reach.implicit_tls;
            plan.known = device.pop3.clone();
            plan.delete = fetch.delete;
            Box::new(Pop3(pop3::Client::new(plan)))
        }
        Retrieval::Imap => {
            let mut plan = imap::Plan::new(&reach.host, &reach.user, &password);
            plan.starttls = reach.starttls;
            plan.implicit_tls = reach.implicit_tls;
            plan.folder = fetch.folder.clone();
            plan.mark_seen = true;
            match &task {
                Task::Fetch { idle } => plan.idle = idle.is_some(),
                Task::File { subject, folder } => {
                    let Some(uid) = device
                        .subjects
                        .iter()
                        .find(|(f, _, s)| *f == fetch.folder && s == subject)
                        .map(|(_, uid, _)| *uid)
                    else {
                        return fail(format!(
                            "{node} has no message with Subject {subject:?} in {}: fetch it first",
                            fetch.folder
                        ));
                    };
                    plan.move_to = Some(imap::Move {
                        uids: BTreeSet::from([uid]),
                        folder: folder.clone(),
                    });
                }
                Task::SaveSent(message) => {
                    plan.folder = "Sent".into();
                    plan.mark_seen = false;
                    plan.append = Some(imap::Append {
                        folder: "Sent".into(),
                        message: message.clone(),
                    });
                }
            }
            plan.known = device.imap.get(&plan.folder).cloned();
            Box::new(Imap(imap::Client::new(plan)))
        }
    };
    let port = reach.port;
    let conn = match world.connect(node, &reach.node, port).await {
        Ok(conn) => conn,
        Err(reason) => {
            return fail(format!("cannot reach {}:{port}: {reason}", reach.host));
        }
    };
    let implicit = reach.implicit_tls;
    let verify = ClientVerify::checking(cfg.verify_tls.unwrap_or(true));
    let mut side = ClientSide::new(world, conn, &reach.host, verify);
    let mut pending: VecDeque<Act> = VecDeque::new();
    if implicit && let Err(reason) = side.start_tls().await {
        pending.extend(engine.tls_failed(reason));
    }
    let mut idle_for = match task {
        Task::Fetch { idle } => idle,
        _ => None,
    };
    let mut reading = Reading {
        world,
        node,
        user: &user,
        server: &reach.node,
        protocol: &protocol,
    };
    let mut idle_until: Option<Instant> = None;
    let mut chunk = vec![0u8; CHUNK];
    loop {
        while let Some(act) = pending.pop_front() {
            match act {
                Act::Send(bytes) => side.out.extend_from_slice(&bytes),
                Act::StartTls => {
                    let started = match side.flush().await {
                        Ok(()) => side.start_tls().await,
                        Err(err) => Err(err.to_string()),
                    };
                    pending.extend(match started {
                        Ok(()) => engine.tls_started(),
                        Err(reason) => engine.tls_failed(reason),
                    });
                }
                Act::Got(got) => reading.got(&side, got),
                Act::Idling => {
                    if let Some(idle) = idle_for.take() {
                        idle_until = Some(Instant::now() + idle);
                    }
                }
                Act::Done(failure) => {
                    let _ = side.flush().await;
                    let _ = side.io.shutdown().await;
                    if let Some(failure) = failure {
                        fail(failure.to_string());
                    }
                    return;
                }
            }
        }
        if side.flush().await.is_err() {
            pending.extend(engine.eof());
            continue;
        }
        let timer = async {
            match idle_until {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            read = side.io.read(&mut chunk) => pending.extend(match read {
                Ok(0) | Err(_) => engine.eof(),
                Ok(n) => engine.feed(&chunk[..n]),
            }),
            () = timer => {
                idle_until = None;
                pending.extend(engine.stop_idle());
            }
        }
    }
}

/// The facts a session's downloads are recorded with.
struct Reading<'a> {
    world: &'a Rc<World>,
    node: &'a str,
    user: &'a str,
    server: &'a str,
    protocol: &'a str,
}

impl Reading<'_> {
    /// A message reached the device: its hop from the server, its copy on
    /// the device, and what the device now knows.
    fn got(&mut self, side: &ClientSide, got: Got) {
        let world = self.world;
        let message = world
            .store_message(self.server, self.user, &got.folder, got.uid)
            .unwrap_or_else(|| {
                let header = headers(&got.raw).and_then(|h| h.0);
                world.message_id_for(header.as_deref())
            });
        let tls = side.io.tls_params();
        world.emit(Event::Hop(Box::new(Hop {
            hop: world.next_hop(),
            message: message.clone(),
            from: self.server.to_string(),
            to: self.node.to_string(),
            conn: side.conn_id.clone(),
            protocol: self.protocol.to_string(),
            channel: side.channel(),
            tls_version: tls.as_ref().map(|t| t.0.clone()),
            cipher: tls.map(|t| t.1),
            sender: String::new(),
            recipients: Vec::new(),
            mailbox: Some(Spot {
                mailbox: self.user.to_string(),
                folder: got.folder.clone(),
                uid: got.uid,
                uidvalidity: got.uidvalidity,
                appended: false,
            }),
        })));
        // An encrypted message is opened with the user's key as it arrives.
        let opening = super::pgp::open(world, self.node, self.user, &message, &got.raw);
        world.emit(Event::Stored(Box::new(Stored {
            node: self.node.to_string(),
            message,
            place: Place::Device {
                mailbox: self.user.to_string(),
                folder: got.folder.clone(),
            },
            readable: opening.readable,
            eml: String::from_utf8_lossy(&got.raw).into_owned(),
        })));
        if let Some(event) = opening.event {
            world.emit(event);
        }
        let subject = opening
            .subject
            .or_else(|| headers(&got.raw).and_then(|h| h.1))
            .unwrap_or_default();
        let mut devices = world.devices.borrow_mut();
        let device = devices.entry(self.node.to_string()).or_default();
        if let Some(id) = got.pop3_id {
            device.pop3.insert(id);
        } else {
            let known = device
                .imap
                .entry(got.folder.clone())
                .or_insert_with(|| imap::Known {
                    uidvalidity: got.uidvalidity,
                    uids: BTreeSet::new(),
                });
            if known.uidvalidity != got.uidvalidity {
                *known = imap::Known {
                    uidvalidity: got.uidvalidity,
                    uids: BTreeSet::new(),
                };
            }
            known.uids.insert(got.uid);
        }
        device.subjects.push((got.folder, got.uid, subject));
    }
}

/// A message's Message-ID (with its angle brackets) and Subject.
fn headers(raw: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let parsed = mail_parser::MessageParser::default().parse_headers(raw)?;
    Some((
        parsed.message_id().map(|id| format!("<{id}>")),
        parsed.subject().map(str::to_string),
    ))
}

/// A downloaded message, whichever protocol brought it.
struct Got {
    folder: String,
    uidvalidity: u32,
    uid: u32,
    /// POP3's unique id for it.
    pop3_id: Option<String>,
    raw: Vec<u8>,
}

/// What a retrieval engine asks of the driver.
enum Act {
    Send(Vec<u8>),
    StartTls,
    Got(Got),
    Idling,
    Done(Option<Failure>),
}

/// The two client engines, as the driver runs them.
trait Engine {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Act>;
    fn eof(&mut self) -> Vec<Act>;
    fn tls_started(&mut self) -> Vec<Act>;
    fn tls_failed(&mut self, reason: String) -> Vec<Act>;
    fn stop_idle(&mut self) -> Vec<Act>;
}

struct Imap(imap::Client);

impl Imap {
    fn acts(outputs: Vec<imap::ClientOutput>) -> Vec<Act> {
        use imap::ClientOutput as O;
        outputs
            .into_iter()
            .filter_map(|o| match o {
                O::Send(bytes) => Some(Act::Send(bytes)),
                O::StartTls => Some(Act::StartTls),
                O::Fetched(f) => Some(Act::Got(Got {
                    folder: f.folder,
                    uidvalidity: f.uidvalidity,
                    uid: f.uid,
                    pop3_id: None,
                    raw: f.raw,
                })),
                O::Idling => Some(Act::Idling),
                O::NewMail { .. } => None,
                O::Done(outcome) => Some(Act::Done(outcome.failure)),
            })
            .collect()
    }
}

impl Engine for Imap {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Act> {
        Self::acts(self.0.feed(bytes))
    }
    fn eof(&mut self) -> Vec<Act> {
        Self::acts(self.0.eof())
    }
    fn tls_started(&mut self) -> Vec<Act> {
        Self::acts(self.0.tls_started())
    }
    fn tls_failed(&mut self, reason: String) -> Vec<Act> {
        Self::acts(self.0.tls_failed(reason))
    }
    fn stop_idle(&mut self) -> Vec<Act> {
        Self::acts(self.0.stop_idle())
    }
}

struct Pop3(pop3::Client);

impl Pop3 {
    fn acts(outputs: Vec<pop3::ClientOutput>) -> Vec<Act> {
        use pop3::ClientOutput as O;
        outputs
            .into_iter()
            .map(|o| match o {
                O::Send(bytes) => Act::Send(bytes),
                O::StartTls => Act::StartTls,
                O::Retrieved(r) => {
                    // mailhop's server writes UIDL ids as Dovecot does:
                    // the UID, then UIDVALIDITY, eight hex digits each.
                    let id = r.uid.unwrap_or_default();
                    let hex = |s: Option<&str>| s.and_then(|s| u32::from_str_radix(s, 16).ok());
                    Act::Got(Got {
                        folder: "INBOX".into(),
                        uid: hex(id.get(..8)).unwrap_or(0),
                        uidvalidity: hex(id.get(8..16)).unwrap_or(0),
                        pop3_id: Some(id),
                        raw: r.raw,
                    })
                }
                O::Done(outcome) => Act::Done(outcome.failure),
            })
            .collect()
    }
}

impl Engine for Pop3 {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Act> {
        Self::acts(self.0.feed(bytes))
    }
    fn eof(&mut self) -> Vec<Act> {
        Self::acts(self.0.eof())
    }
    fn tls_started(&mut self) -> Vec<Act> {
        Self::acts(self.0.tls_started())
    }
    fn tls_failed(&mut self, reason: String) -> Vec<Act> {
        Self::acts(self.0.tls_failed(reason))
    }
    fn stop_idle(&mut self) -> Vec<Act> {
        Vec::new()
    }
}
