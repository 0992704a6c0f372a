//! Where a mail client reads and sends mail: the servers the scenario names
//! (`fetch.server`, `submit`), or those its `discover` search found.
//!
//! A found account keeps host names, as a real client's settings do; each
//! session looks the name up again (an A query in the trace) and checks the
//! server's certificate against it. The search runs once per client, at its
//! first `fetch` or `send`; a search that found nothing is not kept, so a
//! later step searches again (a person who tries the setup once more).

use std::rc::Rc;

use tokio::sync::Mutex;

use super::discover;
use super::world::World;
use crate::scenario::{SocketType, StartTls};

/// A client's search, once it has found something; behind a lock so that
/// two steps at the same moment share one search.
pub type Slot = Rc<Mutex<Option<Rc<Found>>>>;

/// A server a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub socket: SocketType,
    /// The login it was told to use; empty for the client's address.
    pub username: String,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub incoming: Server,
    pub outgoing: Option<Server>,
}

/// How a session reaches a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The node that answers.
    pub node: String,
    /// The name the client knows it by, checked against its certificate.
    pub host: String,
    pub port: u16,
    /// TLS from the first byte.
    pub implicit_tls: bool,
    /// Whether STARTTLS is used, when not.
    pub starttls: StartTls,
    /// The login.
    pub user: String,
}

/// Where `node` reads its mail.
pub async fn incoming(world: &Rc<World>, node: &str) -> Result<Reach, String> {
    let cfg = world.node(node).ok_or("no such client")?;
    let fetch = cfg.fetch.as_ref().ok_or("it has no `fetch`")?;
    let user = cfg.user.clone().unwrap_or_default();
    if let Some(server) = &fetch.server {
        let port = fetch.port();
        return Ok(Reach {
            node: server.clone(),
            host: server.clone(),
            port,
            implicit_tls: world
                .service_at(server, port)
                .is_some_and(|s| s.implicit_tls()),
            starttls: cfg.starttls,
            user,
        });
    }
    let found = found(world, node).await?;
    resolve(world, node, &found.incoming, user)
}

/// Where `node` sends its mail.
pub async fn outgoing(world: &Rc<World>, node: &str) -> Result<Reach, String> {
    let cfg = world.node(node).ok_or("no such client")?;
    let user = cfg.user.clone().unwrap_or_default();
    if let Some(server) = &cfg.submit {
        return Ok(Reach {
            node: server.clone(),
            host: server.clone(),
            port: cfg.submit_port,
            // Port 465 is submission over implicit TLS (RFC 8314), as mail
            // clients assume when told to use it.
            implicit_tls: cfg.submit_port == 465,
            starttls: cfg.starttls,
            user,
        });
    }
    let found = found(world, node).await?;
    let server = found
        .outgoing
        .as_ref()
        .ok_or_else(|| "could not find its servers: found no server to send with".to_string())?;
    resolve(world, node, server, user)
}

/// The servers `node`'s search found, searching first if it has not yet.
async fn found(world: &Rc<World>, node: &str) -> Result<Rc<Found>, String> {
    let slot = world
        .accounts
        .borrow_mut()
        .entry(node.to_string())
        .or_default()
        .clone();
    let mut held = slot.lock().await;
    if let Some(found) = &*held {
        return Ok(found.clone());
    }
    let found = Rc::new(
        discover::search(world, node)
            .await
            .map_err(|why| format!("could not find its servers: {why}"))?,
    );
    *held = Some(found.clone());
    Ok(found)
}

/// Looks a found server's name up, as a client does before each session.
fn resolve(world: &World, node: &str, server: &Server, user: String) -> Result<Reach, String> {
    let ips = world.lookup_a(node, &server.host).unwrap_or_default();
    let ip = ips
        .first()
        .ok_or_else(|| format!("no address for {}", server.host))?;
    let target = world
        .zone
        .node_at(ip)
        .ok_or_else(|| format!("nothing answers at {ip}"))?;
    Ok(Reach {
        node: target.to_string(),
        host: server.host.clone(),
        port: server.port,
        implicit_tls: server.socket == SocketType::Ssl,
        starttls: match server.socket {
            SocketType::Plain => StartTls::None,
            SocketType::Ssl | SocketType::Starttls => StartTls::Require,
        },
        user: if server.username.is_empty() {
            user
        } else {
            server.username.clone()
        },
    })
}
