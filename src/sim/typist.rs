//! A person typing SMTP by hand, as with `telnet mail.example.test 25`.
//!
//! A `type` step of the script starts here. The person connects with
//! [`World::connect`] like any other client, so the server's side is the
//! session every client meets: it records each line it reads and each reply
//! it writes, and a message it accepts is a real message, stored, relayed
//! and delivered like any other. The person speaks no protocol of their
//! own. They read the greeting, type a line, wait until the whole reply is
//! on the screen (a multi-line reply ends at the line with a space after
//! the code, which [`ReplyReader`] recognises), and type the next. After a
//! 354 the lines are the message itself, typed without waiting, up to a
//! lone `.`, whose reply is awaited again. When DATA is refused instead,
//! the message lines up to that `.` are not typed at all: nobody types a
//! letter to a server that just said no.
//!
//! Everything is bounded: loading checked the lines (how many, how long, no
//! line breaks inside), and the person waits at most [`PATIENCE`] of virtual
//! time for a reply before giving up. Each line becomes a `typed` event with
//! the reply it got, so the player can tell a session that never made a hop
//! (a refused relay attempt); stopping before the last line is a
//! `typing_stopped` event saying why.

use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Duration, timeout};

use super::link::LinkEnd;
use super::world::{Busy, World};
use crate::proto::smtp::{Reply, ReplyEvent, ReplyReader};
use crate::scenario::Typing;
use crate::trace::{Event, Stop, Typed};

/// How long a person waits for a reply before giving up on the session.
pub const PATIENCE: Duration = Duration::from_secs(5 * 60);

/// Runs one `type` step of the script.
pub async fn type_lines(world: Rc<World>, typing: Typing, _busy: Busy) {
    // A failed connection is already in the trace (`connect_failed`).
    let Ok(conn) = world.connect(&typing.by, &typing.to, typing.port).await else {
        return;
    };
    let mut terminal = Terminal {
        world: &world,
        node: typing.by,
        server: typing.to,
        conn: conn.id,
        link: conn.link,
        replies: ReplyReader::default(),
    };
    let lines = &typing.lines;
    if let Err(why) = terminal.read_reply().await {
        return terminal.stop(why, lines.len());
    }
    let mut mode = Mode::Commands;
    for (i, line) in lines.iter().enumerate() {
        match mode {
            Mode::Skipping if line == "." => {
                mode = Mode::Commands;
                continue;
            }
            Mode::Skipping => continue,
            _ => {}
        }
        if terminal.type_line(line).await.is_err() {
            return terminal.stop(Stop::Closed, lines.len() - i);
        }
        if mode == Mode::Message && line != "." {
            terminal.typed(line, None);
            continue;
        }
        match terminal.read_reply().await {
            Ok(reply) => {
                mode = if reply.code == 354 {
                    Mode::Message
                } else if is_data(line) {
                    Mode::Skipping
                } else {
                    Mode::Commands
                };
                terminal.typed(line, Some(reply.summary()));
            }
            Err(why) => {
                terminal.typed(line, None);
                return terminal.stop(why, lines.len() - i - 1);
            }
        }
    }
    // Done typing: close the terminal, as a person quits telnet.
    let _ = terminal.link.shutdown().await;
}

/// What the next line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A command: type it and wait for the reply.
    Commands,
    /// A line of the message after 354: type it without waiting.
    Message,
    /// A line of a message whose DATA was refused: a person reading the
    /// refusal does not type it.
    Skipping,
}

/// Whether a line is the DATA command.
fn is_data(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case("DATA")
}

/// The person's end of the connection and what is on their screen.
struct Terminal<'a> {
    world: &'a Rc<World>,
    node: String,
    server: String,
    conn: String,
    link: LinkEnd,
    replies: ReplyReader,
}

impl Terminal<'_> {
    /// Types one line and presses Enter (CRLF).
    async fn type_line(&mut self, line: &str) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.link.write_all(&bytes).await?;
        self.link.flush().await
    }

    /// Waits for one complete reply, at most [`PATIENCE`].
    async fn read_reply(&mut self) -> Result<Reply, Stop> {
        match timeout(PATIENCE, self.next_reply()).await {
            Ok(result) => result,
            Err(_) => Err(Stop::NoReply),
        }
    }

    async fn next_reply(&mut self) -> Result<Reply, Stop> {
        loop {
            match self.replies.next_reply() {
                Some(ReplyEvent::Reply(reply)) => return Ok(reply),
                Some(ReplyEvent::Garbage) => return Err(Stop::NotSmtp),
                None => {}
            }
            let mut chunk = [0u8; 4096];
            match self.link.read(&mut chunk).await {
                Ok(0) | Err(_) => return Err(Stop::Closed),
                Ok(n) => self.replies.push(&chunk[..n]),
            }
        }
    }

    fn typed(&self, line: &str, reply: Option<String>) {
        self.world.emit(Event::Typed(Box::new(Typed {
            node: self.node.clone(),
            conn: self.conn.clone(),
            server: self.server.clone(),
            text: line.to_string(),
            reply,
        })));
    }

    fn stop(&self, reason: Stop, untyped: usize) {
        self.world.emit(Event::TypingStopped {
            node: self.node.clone(),
            conn: self.conn.clone(),
            reason,
            untyped,
        });
    }
}
