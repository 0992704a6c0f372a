//! Outside clients in another process (Python's imaplib, poplib) talking
//! to a server of a running world over a real loopback socket.
//!
//! The socket's bytes are relayed to and from [`sim::bridge`], so the
//! connection crosses the simulated network like any other: a `connect`
//! event, latency, the wire tap, the server's transcript.
//!
//! The catch is time. The world runs on tokio's paused clock, which jumps
//! to the next timer whenever every task waits. A client in another process
//! lives in real time: while it thinks between two commands, the world
//! sees nothing to do and would jump, to a POP3 autologout ten virtual
//! minutes ahead, say, before the client had time to send its next line.
//! So while the client is connected, [`relay`] holds the clock back: it
//! lets virtual time move one millisecond at a time, and never ahead of
//! the wall clock since the client connected. Latency still elapses (at
//! real speed), timers fire when they are due, and nothing jumps. Before
//! the client connects, the world is frozen: [`relay`] waits for it
//! without yielding to the runtime.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Child;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mailhop::sim::{self, world::World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How far virtual time may move in one step while a client is connected.
const TICK: Duration = Duration::from_millis(1);
/// Longest a session may take in real time before the test gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// A loopback listener for one outside client, and its port.
pub fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("bound").port();
    (listener, port)
}

/// Takes the connection `client_process` makes to `listener`, then relays
/// it to `server:port` as if it came from `client` (a node of the world)
/// until both ends have closed.
pub async fn relay(
    world: &Rc<World>,
    listener: &TcpListener,
    client_process: &mut Child,
    client: &str,
    server: &str,
    port: u16,
) -> Result<(), String> {
    let mut socket = accept(listener, client_process)?;
    let stream = sim::bridge(world, client, server, port).await?;
    let (mut from_world, mut to_world) = tokio::io::split(stream);
    let real_start = Instant::now();
    let virtual_start = tokio::time::Instant::now();
    let mut up = vec![0u8; 64 * 1024];
    let mut down = vec![0u8; 64 * 1024];
    let (mut up_open, mut down_open) = (true, true);
    while up_open || down_open {
        if real_start.elapsed() > PATIENCE {
            return Err(format!("the session took more than {PATIENCE:?}"));
        }
        if up_open {
            match socket.read(&mut up) {
                Ok(0) => {
                    up_open = false;
                    let _ = to_world.shutdown().await;
                }
                Ok(n) => to_world
                    .write_all(&up[..n])
                    .await
                    .map_err(|e| format!("into the world: {e}"))?,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => {
                    up_open = false;
                    let _ = to_world.shutdown().await;
                }
            }
        }
        tokio::select! {
            biased;
            read = from_world.read(&mut down), if down_open => match read {
                Ok(n) if n > 0 && write_all(&mut socket, &down[..n]).is_ok() => {}
                _ => {
                    down_open = false;
                    let _ = socket.shutdown(Shutdown::Write);
                }
            },
            () = tokio::time::sleep(TICK) => {
                let ahead = (tokio::time::Instant::now() - virtual_start)
                    .saturating_sub(real_start.elapsed());
                std::thread::sleep(ahead);
            }
        }
    }
    Ok(())
}

/// The connection the client process makes, waited for in real time with
/// the world frozen; an error with the process's stderr if it died first.
fn accept(listener: &TcpListener, process: &mut Child) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).expect("non-blocking accept");
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((socket, _)) => {
                socket.set_nonblocking(true).expect("non-blocking socket");
                return Ok(socket);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Some(status) = process.try_wait().expect("the client's status") {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = process.stderr.take() {
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    return Err(format!("the client never connected ({status}):\n{stderr}"));
                }
                if started.elapsed() > PATIENCE {
                    return Err(format!("the client did not connect in {PATIENCE:?}"));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

/// Writes all of `bytes` to a non-blocking socket.
fn write_all(socket: &mut TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match socket.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
