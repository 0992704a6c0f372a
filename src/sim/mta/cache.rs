//! Connections a relay keeps open between messages: Postfix's connection
//! cache (`smtp_connection_cache_destinations`), for a node that sets
//! `connection_cache`.
//!
//! After a transaction, the relay keeps the connection to that next hop
//! instead of saying QUIT. The next message for the same host, if it comes
//! within the idle time, goes over it: the client sends `RSET` to check the
//! server is still there, then `MAIL FROM` (no new TCP connection, greeting,
//! EHLO or TLS handshake). A connection left idle that long gets its QUIT;
//! one older than [`REUSE_LIMIT`] is not used again (Postfix's
//! `smtp_connection_reuse_time_limit`), so no connection lives for ever.
//!
//! The trace shows it as it is: several hops on one `conn`, each starting
//! with `RSET` after the first.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use crate::sim::session::ClientSession;
use crate::sim::world::World;

/// How long a connection may be reused after it was opened (Postfix's
/// `smtp_connection_reuse_time_limit`).
pub const REUSE_LIMIT: Duration = Duration::from_secs(300);

/// Idle connections kept for one (node, next host) at most.
const PER_DESTINATION: usize = 4;

/// The idle connections of every node, by (node, next host).
#[derive(Default)]
pub struct ConnCache {
    parked: BTreeMap<(String, String), Vec<(u64, ClientSession)>>,
    next_ticket: u64,
}

impl ConnCache {
    /// The most recently parked connection from `node` to `host`.
    fn take(&mut self, node: &str, host: &str) -> Option<ClientSession> {
        let key = (node.to_string(), host.to_string());
        let list = self.parked.get_mut(&key)?;
        let (_, session) = list.pop()?;
        if list.is_empty() {
            self.parked.remove(&key);
        }
        Some(session)
    }

    /// Parks `session`; returns its ticket and the connection pushed out to
    /// make room, if any.
    fn park(
        &mut self,
        node: &str,
        host: &str,
        session: ClientSession,
    ) -> (u64, Option<ClientSession>) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let list = self
            .parked
            .entry((node.to_string(), host.to_string()))
            .or_default();
        list.push((ticket, session));
        let evicted = (list.len() > PER_DESTINATION).then(|| list.remove(0).1);
        (ticket, evicted)
    }

    /// Takes back the connection parked with `ticket`, if nobody took it.
    fn unpark(&mut self, node: &str, host: &str, ticket: u64) -> Option<ClientSession> {
        let key = (node.to_string(), host.to_string());
        let list = self.parked.get_mut(&key)?;
        let at = list.iter().position(|(t, _)| *t == ticket)?;
        let (_, session) = list.remove(at);
        if list.is_empty() {
            self.parked.remove(&key);
        }
        Some(session)
    }

    /// Forgets every connection (at the end of a run cut short, so the
    /// sessions and the world they point to are freed).
    pub fn clear(&mut self) {
        self.parked.clear();
    }
}

/// An idle connection from `node` to `host`, if one is kept and young
/// enough to reuse (an older one gets its QUIT).
pub fn take(world: &Rc<World>, node: &str, host: &str) -> Option<ClientSession> {
    loop {
        let session = world.conn_cache.borrow_mut().take(node, host)?;
        if too_old(world, &session) {
            close_later(world, session);
        } else {
            return Some(session);
        }
    }
}

fn too_old(world: &World, session: &ClientSession) -> bool {
    world.clock.now().as_millis() >= session.opened + REUSE_LIMIT.as_millis() as u64
}

/// Keeps `session` for `node`'s next message to `host` for `idle` at most,
/// then says QUIT. A session that is not idle, or too old to reuse, is
/// closed now.
pub fn keep(world: &Rc<World>, node: &str, host: &str, session: ClientSession, idle: Duration) {
    if !session.is_idle() || too_old(world, &session) || idle.is_zero() {
        close_later(world, session);
        return;
    }
    let (ticket, evicted) = world.conn_cache.borrow_mut().park(node, host, session);
    if let Some(evicted) = evicted {
        close_later(world, evicted);
    }
    let busy = world.busy();
    let world = world.clone();
    let (node, host) = (node.to_string(), host.to_string());
    tokio::task::spawn_local(async move {
        tokio::time::sleep(idle).await;
        let idle_too_long = world.conn_cache.borrow_mut().unpark(&node, &host, ticket);
        if let Some(session) = idle_too_long {
            session.close().await;
        }
        drop(busy);
    });
}

/// Says QUIT on `session` in a task of its own.
pub fn close_later(world: &Rc<World>, session: ClientSession) {
    let busy = world.busy();
    tokio::task::spawn_local(async move {
        session.close().await;
        drop(busy);
    });
}
