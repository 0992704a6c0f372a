//! A guessed server, probed: connect, start TLS when the try says so, and
//! run the `proto::discover::probe` engine until it has a verdict.

use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Duration, timeout};

use super::super::session::{CHUNK, ClientSide};
use super::super::world::World;
use crate::proto::discover::probe::{Kind, Probe, Step};
use crate::scenario::SocketType;
use crate::tls::ClientVerify;

/// How long a probe waits for its verdict (Thunderbird's guesses wait
/// 10 seconds for a server).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Probes `server` (known as `host`) on `port`; the verdict and the
/// connection's id, if one was made.
#[allow(clippy::too_many_arguments)]
pub async fn probe(
    world: &Rc<World>,
    node: &str,
    server: &str,
    host: &str,
    port: u16,
    socket: SocketType,
    kind: Kind,
    verify: ClientVerify,
) -> (Result<String, String>, Option<String>) {
    let conn = match world.connect(node, server, port).await {
        Ok(conn) => conn,
        Err(reason) => return (Err(format!("cannot reach {host}:{port}: {reason}")), None),
    };
    let id = conn.id.clone();
    let helo = format!("[{}]", world.zone.ip_of(node));
    let mut side = ClientSide::new(world, conn, host, verify);
    let run = async {
        if socket == SocketType::Ssl {
            side.start_tls().await?;
        }
        let mut probe = Probe::new(kind, socket, &helo);
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let steps = match side.io.read(&mut chunk).await {
                Ok(0) | Err(_) => probe.eof(),
                Ok(n) => probe.feed(&chunk[..n]),
            };
            for step in steps {
                match step {
                    Step::Send(bytes) => side.out.extend_from_slice(&bytes),
                    Step::Done(verdict) => {
                        let _ = side.flush().await;
                        let _ = side.io.shutdown().await;
                        return verdict;
                    }
                }
            }
            if let Err(err) = side.flush().await {
                return Err(format!("lost connection with {host}: {err}"));
            }
        }
    };
    let verdict = match timeout(TIMEOUT, run).await {
        Ok(verdict) => verdict,
        Err(_) => Err(format!("no answer within {}s", TIMEOUT.as_secs())),
    };
    (verdict, Some(id))
}
