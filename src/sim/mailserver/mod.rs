//! The reading side of a mailbox server: IMAP and POP3 sessions over the
//! world's mailbox store.
//!
//! Like [`super::session::serve_smtp`], each driver owns the stream, feeds
//! its engine (`proto::imap`, `proto::pop3`) with what arrived and the
//! virtual time, writes what the engine says and records the transcript,
//! logins and TLS handshakes. The engines reach the mailboxes through
//! [`Boxes`], which implements both engines' views of the store
//! (`imap::Mailstore`, `pop3::Maildrop`) over `world.store`; it is made for
//! one engine call at a time, so no borrow of the store is held across a
//! wait. What the engines change is told in the trace here: copies expunged
//! or deleted at QUIT, moved, flagged, and copies a client APPENDed (a hop
//! from the client, and a copy at rest on the server).

use std::collections::VecDeque;
mod boxes;

use boxes::{Boxes, Gone};

use std::rc::Rc;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::sleep_until;

use super::link::{Io, LinkEnd};
use super::session::{CHUNK, accept_tls, channel_of, close, cut, send_queued};
use super::world::{Busy, ConnInfo, World};
use crate::clock::SimTime;
use crate::proto::imap;
use crate::proto::pop3;
use crate::scenario::{Node, Service, StartTls};
use crate::trace::{Auth, Dir, Event, Expunged, Flagged, Hop, Moved, Place, Spot, Stored};

/// The server's end of one retrieval session.
struct Side<'a> {
    world: &'a Rc<World>,
    conn: &'a ConnInfo,
    io: Io,
    out: Vec<u8>,
    /// Who logged in, once someone did.
    user: Option<String>,
}

/// How a listener is set up, from its node and port.
struct Setup {
    tls: Option<Arc<rustls::ServerConfig>>,
    implicit_tls: bool,
    require_tls: bool,
}

impl<'a> Side<'a> {
    /// The server's end of a new connection, with TLS already up on 993
    /// and 995; `None` when that handshake failed (it is recorded).
    async fn open(
        world: &'a Rc<World>,
        conn: &'a ConnInfo,
        link: LinkEnd,
        service: Service,
    ) -> Option<(Side<'a>, Setup)> {
        let node = world
            .node(&conn.server)
            .expect("connections go to scenario nodes");
        let tls = world.server_tls(&conn.server);
        let setup = Setup {
            implicit_tls: service.implicit_tls(),
            require_tls: require_tls(node, tls.is_some()),
            tls,
        };
        let mut side = Side {
            world,
            conn,
            io: Io::Plain(link),
            out: Vec::new(),
            user: None,
        };
        if setup.implicit_tls && !side.start_tls(setup.tls.clone()).await {
            return None;
        }
        Some((side, setup))
    }

    /// After the engine's yes to STARTTLS or STLS: records what the client
    /// sent too early, then runs the handshake; false when it failed.
    async fn upgrade(
        &mut self,
        discarded: usize,
        config: Option<Arc<rustls::ServerConfig>>,
    ) -> bool {
        if discarded > 0 {
            self.world.emit(Event::Discarded {
                conn: self.conn.id.clone(),
                bytes: discarded,
            });
        }
        self.start_tls(config).await
    }

    fn line(&self, dir: Dir, text: String) {
        self.world.emit(Event::Line {
            conn: self.conn.id.clone(),
            dir,
            text,
            tls: self.io.is_tls(),
        });
    }

    fn login(&mut self, user: String, command: &str, accepted: bool) {
        if accepted {
            self.user = Some(user.clone());
        }
        self.world.emit(Event::Auth(Box::new(Auth {
            conn: self.conn.id.clone(),
            user,
            mechanism: command.into(),
            accepted,
            tls: self.io.is_tls(),
        })));
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        send_queued(&mut self.io, &mut self.out).await
    }

    /// Runs the handshake after STARTTLS/STLS; false when it failed.
    async fn start_tls(&mut self, config: Option<Arc<rustls::ServerConfig>>) -> bool {
        if self.flush().await.is_err() {
            return false;
        }
        let plain = std::mem::replace(&mut self.io, Io::Gone);
        match accept_tls(self.world, self.conn, plain, config).await {
            Some(tls) => {
                self.io = tls;
                true
            }
            None => false,
        }
    }

    /// What arrived next: bytes, `None` when the session is over (the
    /// client left, or one end went down), or a wake-up from `wake`.
    async fn read(&mut self, chunk: &mut [u8], wake: impl Future<Output = ()>) -> Read {
        let read = tokio::select! {
            biased;
            () = self.world.went_down.notified() => None,
            () = wake => return Read::Woken,
            read = self.io.read(chunk) => Some(read),
        };
        match read {
            None if cut(self.world, self.conn) => Read::Over,
            None => Read::Woken,
            Some(Ok(0) | Err(_)) => Read::Over,
            Some(Ok(n)) => Read::Bytes(n),
        }
    }
}

enum Read {
    Bytes(usize),
    Woken,
    Over,
}

/// Whether the server refuses passwords before TLS. A server with a
/// certificate does, as Dovecot does by default (`LOGINDISABLED` on 143,
/// USER refused on 110); a server without one takes them in plaintext,
/// for anyone on the link to read.
fn require_tls(node: &Node, tls_available: bool) -> bool {
    tls_available || node.starttls == StartTls::Require
}

/// Runs one IMAP session on the server end of a connection.
pub async fn serve_imap(
    world: Rc<World>,
    conn: ConnInfo,
    link: LinkEnd,
    service: Service,
    _busy: Busy,
) {
    let Some((mut side, setup)) = Side::open(&world, &conn, link, service).await else {
        return close(&world, &conn);
    };
    let (tls_config, implicit_tls) = (setup.tls.clone(), setup.implicit_tls);
    let mut server = imap::Server::new(imap::Config {
        host: conn.server.clone(),
        tls_available: tls_config.is_some(),
        require_tls: setup.require_tls,
        implicit_tls,
    });
    let now = || world.clock.unix_now();
    let mut gone = Gone::default();
    let mut pending: VecDeque<imap::Output> = {
        let mut boxes = Boxes::new(&world, &conn.server, &mut gone);
        server.greet(now(), &mut boxes).into()
    };
    let mut chunk = vec![0u8; CHUNK];
    'session: loop {
        while let Some(output) = pending.pop_front() {
            use imap::Output as O;
            match output {
                O::Heard(line) => side.line(Dir::ClientToServer, line),
                O::HeardLiteral(n) => side.line(Dir::ClientToServer, literal(n)),
                O::Sent(line) => side.line(Dir::ServerToClient, line),
                O::SentLiteral(n) => side.line(Dir::ServerToClient, literal(n)),
                O::Write(bytes) => side.out.extend_from_slice(&bytes),
                O::Login {
                    user,
                    mechanism,
                    accepted,
                } => {
                    let command = match mechanism {
                        "PLAIN" => "IMAP AUTHENTICATE PLAIN",
                        _ => "IMAP LOGIN",
                    };
                    side.login(user, command, accepted);
                }
                O::StartTls { discarded } => {
                    if !side.upgrade(discarded, tls_config.clone()).await {
                        break 'session;
                    }
                    let mut boxes = Boxes::new(&world, &conn.server, &mut gone);
                    pending.extend(server.tls_started(now(), &mut boxes));
                }
                O::Fetched(_) => {}
                O::FlagsStored { folder, uid, flags } => {
                    let user = side.user.clone().unwrap_or_default();
                    let message = world.store_message(&conn.server, &user, &folder, uid);
                    world.emit(Event::Flagged(Box::new(Flagged {
                        node: conn.server.clone(),
                        message: message.unwrap_or_default(),
                        conn: conn.id.clone(),
                        mailbox: user,
                        folder,
                        uid,
                        flags: flags.into_iter().collect(),
                    })));
                }
                O::Expunged { folder, uids } => {
                    let user = side.user.clone().unwrap_or_default();
                    for uid in uids {
                        let message = gone.take(&folder, uid);
                        expunged(&world, &conn, &user, &folder, uid, message, "EXPUNGE");
                    }
                }
                O::Appended { folder, uid, .. } => {
                    let user = side.user.clone().unwrap_or_default();
                    appended(&world, &side, &user, &folder, uid);
                }
                O::Moved { from, to, uids } => {
                    let user = side.user.clone().unwrap_or_default();
                    for (uid, new_uid) in uids {
                        let message = world.store_message(&conn.server, &user, &to, new_uid);
                        world.emit(Event::Moved(Box::new(Moved {
                            node: conn.server.clone(),
                            message: message.unwrap_or_default(),
                            conn: conn.id.clone(),
                            mailbox: user.clone(),
                            from: from.clone(),
                            to: to.clone(),
                            uid,
                            new_uid,
                        })));
                    }
                }
                O::Copied { to, uids, .. } => {
                    let user = side.user.clone().unwrap_or_default();
                    for (_, new_uid) in uids {
                        stored_copy(&world, &conn, &user, &to, new_uid);
                    }
                }
                O::FolderCreated { .. } => {}
                O::Close => {
                    let _ = side.flush().await;
                    let _ = side.io.shutdown().await;
                    break 'session;
                }
            }
        }
        if side.flush().await.is_err() {
            break;
        }
        let idle = server.is_idle();
        let arrived = async {
            if idle {
                world.mail_arrived.notified().await
            } else {
                std::future::pending().await
            }
        };
        let mut boxes_for = |server: &mut imap::Server, bytes: Option<&[u8]>| {
            let mut boxes = Boxes::new(&world, &conn.server, &mut gone);
            match bytes {
                Some(bytes) => server.feed(bytes, now(), &mut boxes),
                None => server.changed(now(), &mut boxes),
            }
        };
        match side.read(&mut chunk, arrived).await {
            Read::Over => break,
            Read::Woken => pending.extend(boxes_for(&mut server, None)),
            Read::Bytes(n) => pending.extend(boxes_for(&mut server, Some(&chunk[..n]))),
        }
    }
    close(&world, &conn);
}

/// Runs one POP3 session on the server end of a connection.
pub async fn serve_pop3(
    world: Rc<World>,
    conn: ConnInfo,
    link: LinkEnd,
    service: Service,
    _busy: Busy,
) {
    let Some((mut side, setup)) = Side::open(&world, &conn, link, service).await else {
        return close(&world, &conn);
    };
    let (tls_config, implicit_tls) = (setup.tls.clone(), setup.implicit_tls);
    let mut server = pop3::Server::new(pop3::Config {
        host: conn.server.clone(),
        tls_available: tls_config.is_some(),
        require_tls: setup.require_tls,
        implicit_tls,
    });
    let now = || world.clock.now().as_millis();
    let mut pending: VecDeque<pop3::Output> = server.greet(now()).into();
    let mut chunk = vec![0u8; CHUNK];
    let mut locked: Option<String> = None;
    'session: loop {
        while let Some(output) = pending.pop_front() {
            use pop3::Output as O;
            match output {
                O::Heard(line) => side.line(Dir::ClientToServer, line),
                O::Reply(line) => {
                    side.out.extend_from_slice(line.as_bytes());
                    side.out.extend_from_slice(b"\r\n");
                    side.line(Dir::ServerToClient, line);
                }
                O::MessageLine(bytes) => {
                    side.out.extend_from_slice(&bytes);
                    side.out.extend_from_slice(b"\r\n");
                    side.line(
                        Dir::ServerToClient,
                        String::from_utf8_lossy(&bytes).into_owned(),
                    );
                }
                O::Login {
                    user,
                    mechanism,
                    accepted,
                } => {
                    let command = match mechanism {
                        "PLAIN" => "POP3 AUTH PLAIN",
                        _ => "POP3 USER/PASS",
                    };
                    if accepted {
                        locked = Some(user.clone());
                    }
                    side.login(user, command, accepted);
                }
                O::StartTls { discarded } => {
                    if !side.upgrade(discarded, tls_config.clone()).await {
                        break 'session;
                    }
                    server.tls_started(now());
                }
                O::Retrieved { .. } => {}
                O::Delete { user, uids, .. } => {
                    let messages: Vec<Option<String>> = uids
                        .iter()
                        .map(|&uid| world.store_message(&conn.server, &user, "INBOX", uid))
                        .collect();
                    world
                        .store
                        .borrow_mut()
                        .remove(&conn.server, &user, "INBOX", &uids);
                    for (uid, message) in uids.into_iter().zip(messages) {
                        expunged(&world, &conn, &user, "INBOX", uid, message, "DELE");
                    }
                }
                O::Close => {
                    let _ = side.flush().await;
                    let _ = side.io.shutdown().await;
                    break 'session;
                }
            }
        }
        if side.flush().await.is_err() {
            break;
        }
        let deadline = server.deadline();
        let timer = async {
            match deadline {
                Some(ms) => sleep_until(world.clock.instant(SimTime(ms))).await,
                None => std::future::pending().await,
            }
        };
        match side.read(&mut chunk, timer).await {
            Read::Over => break,
            Read::Woken => pending.extend(server.poll(now())),
            Read::Bytes(n) => {
                let mut gone = Gone::default();
                let boxes = Boxes::new(&world, &conn.server, &mut gone);
                pending.extend(server.feed(&chunk[..n], now(), &boxes));
            }
        }
    }
    if let Some(user) = locked {
        world.unlock_maildrop(&conn.server, &user);
    }
    close(&world, &conn);
}

/// How a literal shows in the transcript: its size, not its bytes (the
/// message itself is in the hop's copy).
fn literal(octets: usize) -> String {
    format!("[{octets} octets]")
}

/// Records a copy that left a mailbox.
fn expunged(
    world: &World,
    conn: &ConnInfo,
    user: &str,
    folder: &str,
    uid: u32,
    message: Option<String>,
    by: &str,
) {
    world.emit(Event::Expunged(Box::new(Expunged {
        node: conn.server.clone(),
        message: message.unwrap_or_default(),
        conn: conn.id.clone(),
        mailbox: user.to_string(),
        folder: folder.to_string(),
        uid,
        by: by.to_string(),
    })));
}

/// A client APPENDed a message: it crossed from the client to the server
/// (a hop), and now sits in the mailbox (a copy at rest).
fn appended(world: &World, side: &Side<'_>, user: &str, folder: &str, uid: u32) {
    let conn = side.conn;
    let Some(message) = world.store_message(&conn.server, user, folder, uid) else {
        return;
    };
    let tls = side.io.tls_params();
    let uidvalidity = world
        .store
        .borrow()
        .mailbox(&conn.server, user)
        .map_or(0, |m| m.uidvalidity);
    world.emit(Event::Hop(Box::new(Hop {
        hop: world.next_hop(),
        message,
        from: conn.client.clone(),
        to: conn.server.clone(),
        conn: conn.id.clone(),
        protocol: "IMAP".into(),
        channel: channel_of(tls.is_some(), conn.verdict.get()),
        tls_version: tls.as_ref().map(|t| t.0.clone()),
        cipher: tls.map(|t| t.1),
        sender: String::new(),
        recipients: Vec::new(),
        mailbox: Some(Spot {
            mailbox: user.to_string(),
            folder: folder.to_string(),
            uid,
            uidvalidity,
            appended: true,
        }),
    })));
    stored_copy(world, conn, user, folder, uid);
}

/// Records the copy now at `uid` of `folder` as stored on the server, and
/// the flags it came with (an APPEND names them, a COPY keeps them), which
/// no later event would tell.
fn stored_copy(world: &World, conn: &ConnInfo, user: &str, folder: &str, uid: u32) {
    let node = &conn.server;
    let copy = world.store.borrow().mailbox(node, user).and_then(|m| {
        let f = m.folders.get(folder)?;
        let found = f.messages.iter().find(|m| m.uid == uid)?;
        Some((
            found.message.clone(),
            found.eml.clone(),
            found.flags.clone(),
        ))
    });
    let Some((message, eml, flags)) = copy else {
        return;
    };
    world.emit(Event::Stored(Box::new(Stored {
        node: node.clone(),
        message: message.clone(),
        place: Place::Mailbox {
            mailbox: user.to_string(),
            folder: folder.to_string(),
        },
        readable: !crate::pgp::is_encrypted(&eml),
        eml: String::from_utf8_lossy(&eml).into_owned(),
    })));
    if !flags.is_empty() {
        world.emit(Event::Flagged(Box::new(Flagged {
            node: node.clone(),
            message,
            conn: conn.id.clone(),
            mailbox: user.to_string(),
            folder: folder.to_string(),
            uid,
            flags: flags.into_iter().collect(),
        })));
    }
}
