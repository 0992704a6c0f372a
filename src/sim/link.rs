//! In-memory links: a TCP connection's bytes, carried with latency on the
//! virtual clock, and a tap that shows what a passive observer of the link
//! would see.
//!
//! A connection is two [`LinkEnd`]s. Writing to one end hands the bytes to
//! the other end stamped with a delivery time (now + the link's latency); the
//! reader waits on the virtual clock until then. Order is preserved, and
//! shutting down the write side gives the peer end-of-file after the last
//! byte arrives, as TCP does.
//!
//! Every write also goes through the link's [`Tap`], which records a
//! [`Event::Wire`] with what an observer would make of the bytes: text while
//! the conversation is in cleartext, and only TLS record headers once a TLS
//! handshake record has been seen in that direction.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::{Instant, Sleep, sleep_until};

use crate::trace::{Dir, Event, Observed, Tampered, TlsRecord, Wire};

use super::world::World;

type Chunk = (Instant, Vec<u8>);

/// One end of an in-memory connection.
pub struct LinkEnd {
    tx: Option<UnboundedSender<Chunk>>,
    rx: UnboundedReceiver<Chunk>,
    /// A chunk received but not yet due.
    pending: Option<Chunk>,
    /// A due chunk being read, and how much of it was read.
    current: Option<(Vec<u8>, usize)>,
    sleep: Pin<Box<Sleep>>,
    latency: std::time::Duration,
    dir: Dir,
    tap: Rc<Tap>,
}

impl std::fmt::Debug for LinkEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkEnd")
            .field("conn", &self.tap.conn)
            .field("dir", &self.dir)
            .finish()
    }
}

/// Makes a connected pair: (client end, server end). `stripper` names an
/// attacker on the path who strips STARTTLS from what the server says.
pub fn pair(
    world: &Rc<World>,
    conn: String,
    latency: std::time::Duration,
    stripper: Option<String>,
) -> (LinkEnd, LinkEnd) {
    let (c2s_tx, c2s_rx) = unbounded_channel();
    let (s2c_tx, s2c_rx) = unbounded_channel();
    let tap = Rc::new(Tap {
        world: Rc::downgrade(world),
        conn,
        scanners: RefCell::new([Scanner::default(), Scanner::default()]),
        stripper,
    });
    let end = |tx, rx, dir| LinkEnd {
        tx: Some(tx),
        rx,
        pending: None,
        current: None,
        sleep: Box::pin(sleep_until(Instant::now())),
        latency,
        dir,
        tap: tap.clone(),
    };
    (
        end(c2s_tx, s2c_rx, Dir::ClientToServer),
        end(s2c_tx, c2s_rx, Dir::ServerToClient),
    )
}

impl AsyncRead for LinkEnd {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if let Some((data, pos)) = &mut this.current {
                let n = (data.len() - *pos).min(buf.remaining());
                buf.put_slice(&data[*pos..*pos + n]);
                *pos += n;
                if *pos == data.len() {
                    this.current = None;
                }
                return Poll::Ready(Ok(()));
            }
            if let Some((due, _)) = &this.pending {
                if Instant::now() < *due {
                    if this.sleep.deadline() != *due {
                        this.sleep.as_mut().reset(*due);
                    }
                    ready!(this.sleep.as_mut().poll(cx));
                }
                let (_, data) = this.pending.take().expect("checked above");
                this.current = Some((data, 0));
                continue;
            }
            match ready!(this.rx.poll_recv(cx)) {
                Some(chunk) => this.pending = Some(chunk),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for LinkEnd {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(tx) = &self.tx else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let bytes = self.tap.tamper(self.dir, buf);
        if tx
            .send((Instant::now() + self.latency, bytes.clone()))
            .is_err()
        {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        self.tap.observe(self.dir, &bytes);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tx = None;
        Poll::Ready(Ok(()))
    }
}

use std::future::Future;

/// The observer on one connection.
struct Tap {
    world: std::rc::Weak<World>,
    conn: String,
    /// One per direction: client to server, server to client.
    scanners: RefCell<[Scanner; 2]>,
    /// An attacker on the path who strips STARTTLS.
    stripper: Option<String>,
}

/// What a stripping attacker writes over `STARTTLS`: the same length, so
/// the reply stays well-formed, and a word no client knows (the trick of
/// real stripping boxes, which write `XXXXXXXA`).
const STRIPPED: &[u8] = b"XXXXXXXA";

impl Tap {
    /// The bytes as they leave the attacker: unchanged, unless it strips
    /// STARTTLS from a server's cleartext answer (an EHLO reply's
    /// `250-STARTTLS`, an IMAP `CAPABILITY ... STARTTLS`). Each changed
    /// line is a `tampered` event. Once TLS is up it can change nothing.
    fn tamper(&self, dir: Dir, bytes: &[u8]) -> Vec<u8> {
        let (Some(attacker), Dir::ServerToClient) = (&self.stripper, dir) else {
            return bytes.to_vec();
        };
        if self.scanners.borrow()[1].tls {
            return bytes.to_vec();
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut changed = Vec::new();
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let Some(at) = find(line, b"STARTTLS") else {
                out.extend_from_slice(line);
                continue;
            };
            let mut new = line.to_vec();
            new[at..at + STRIPPED.len()].copy_from_slice(STRIPPED);
            let text = |l: &[u8]| String::from_utf8_lossy(l).trim_end().to_string();
            changed.push((text(line), text(&new)));
            out.extend_from_slice(&new);
        }
        if let Some(world) = self.world.upgrade() {
            for (before, after) in changed {
                world.emit(Event::Tampered(Box::new(Tampered {
                    attacker: attacker.clone(),
                    conn: self.conn.clone(),
                    dir,
                    what: "strip_starttls".into(),
                    before,
                    after,
                })));
            }
        }
        out
    }

    fn observe(&self, dir: Dir, bytes: &[u8]) {
        let Some(world) = self.world.upgrade() else {
            return;
        };
        let observed = {
            let mut scanners = self.scanners.borrow_mut();
            let scanner = &mut scanners[match dir {
                Dir::ClientToServer => 0,
                Dir::ServerToClient => 1,
            }];
            scanner.observe(bytes)
        };
        world.emit(Event::Wire(Box::new(Wire {
            conn: self.conn.clone(),
            dir,
            len: bytes.len(),
            data: bytes.into(),
            observed,
        })));
    }
}

/// Where `needle` first starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What the observer knows about one direction of a connection.
#[derive(Default)]
struct Scanner {
    /// Set once a TLS handshake record was seen: from then on, records.
    tls: bool,
    /// Bytes of a record header split across chunks.
    header: Vec<u8>,
    /// Payload bytes of the current record still to come.
    remaining: usize,
}

impl Scanner {
    fn observe(&mut self, bytes: &[u8]) -> Observed {
        // A TLS record starts with content type 22 (handshake) and major version 3.
        if !self.tls && bytes.len() >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03 {
            self.tls = true;
        }
        if !self.tls {
            return Observed::Text;
        }
        let mut records = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(rest.len());
                self.remaining -= n;
                rest = &rest[n..];
                continue;
            }
            let need = 5 - self.header.len();
            let n = need.min(rest.len());
            self.header.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            if self.header.len() == 5 {
                let h = std::mem::take(&mut self.header);
                let length = u16::from_be_bytes([h[3], h[4]]);
                records.push(TlsRecord {
                    content_type: match h[0] {
                        20 => "change_cipher_spec".to_string(),
                        21 => "alert".to_string(),
                        22 => "handshake".to_string(),
                        23 => "application_data".to_string(),
                        other => other.to_string(),
                    },
                    version: format!("0x{:02x}{:02x}", h[1], h[2]),
                    length,
                });
                self.remaining = length as usize;
            }
        }
        Observed::Tls { records }
    }
}

/// A connection's byte stream before or after STARTTLS.
pub enum Io {
    Plain(LinkEnd),
    ClientTls(Box<tokio_rustls::client::TlsStream<LinkEnd>>),
    ServerTls(Box<tokio_rustls::server::TlsStream<LinkEnd>>),
    /// Only while a handshake owns the stream.
    Gone,
}

impl Io {
    pub fn is_tls(&self) -> bool {
        matches!(self, Io::ClientTls(_) | Io::ServerTls(_))
    }

    /// The negotiated TLS version and cipher suite, if TLS is up.
    pub fn tls_params(&self) -> Option<(String, String)> {
        let conn: &rustls::CommonState = match self {
            Io::ClientTls(s) => s.get_ref().1,
            Io::ServerTls(s) => s.get_ref().1,
            _ => return None,
        };
        let version = match conn.protocol_version()? {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
            other => format!("{other:?}"),
        };
        let cipher = conn.negotiated_cipher_suite()?.suite();
        let cipher = cipher
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{cipher:?}"));
        Some((version, cipher))
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match &mut *$self {
            Io::Plain($s) => $e,
            Io::ClientTls($s) => $e,
            Io::ServerTls($s) => $e,
            Io::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    };
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write(cx, buf))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_flush(cx))
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}
