//! The client side of SMTP: how mail clients submit and how MTAs relay.
//!
//! One call to [`transact`] is one connection: greeting, EHLO, STARTTLS when
//! the plan says so, EHLO again, AUTH for submission, then MAIL, RCPT and DATA
//! (pipelined when the server offers PIPELINING), and QUIT. The result says,
//! for each recipient, what the server finally answered.

use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsConnector;

use super::{LineIo, Reply, dot_stuff, read_reply};
use crate::scenario::StartTls;
use crate::sim::link::Io;
use crate::sim::world::{Connection, World};
use crate::tls::{self, ClientVerify};
use crate::trace::Event;

/// How the client should behave on this connection.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The name to give in EHLO.
    pub helo: String,
    /// The server's host name, checked against its certificate.
    pub server_name: String,
    /// `none`: never STARTTLS; `offer`: when the server offers it;
    /// `require`: give up if the server does not offer it.
    pub starttls: StartTls,
    pub verify: ClientVerify,
    /// User and password for AUTH PLAIN (submission).
    pub auth: Option<(String, String)>,
}

/// How a connection ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The transaction ran; the final reply for each recipient.
    Done(Vec<(String, Reply)>),
    /// The session failed before any recipient got an answer.
    Failed { reason: String, permanent: bool },
}

fn failed(reason: impl Into<String>, permanent: bool) -> Outcome {
    Outcome::Failed {
        reason: reason.into(),
        permanent,
    }
}

/// Runs one SMTP session over `conn`.
pub async fn transact(
    world: &Rc<World>,
    conn: Connection,
    plan: &Plan,
    sender: &str,
    recipients: &[String],
    data: &[u8],
) -> Outcome {
    let mut io = LineIo::new(Io::Plain(conn.link));
    let outcome = session(
        world,
        &mut io,
        &conn.id,
        &conn.verdict,
        plan,
        sender,
        recipients,
        data,
    )
    .await;
    let _ = io.flush().await;
    let _ = io.io.shutdown().await;
    outcome.unwrap_or_else(|err| {
        failed(
            format!("lost connection with {}: {err}", plan.server_name),
            false,
        )
    })
}

async fn command(io: &mut LineIo, line: &str) -> std::io::Result<Option<Reply>> {
    io.queue(line.as_bytes());
    io.queue(b"\r\n");
    read_reply(io).await
}

#[allow(clippy::too_many_arguments)]
async fn session(
    world: &Rc<World>,
    io: &mut LineIo,
    conn_id: &str,
    verdict: &std::cell::Cell<Option<bool>>,
    plan: &Plan,
    sender: &str,
    recipients: &[String],
    data: &[u8],
) -> std::io::Result<Outcome> {
    let host = &plan.server_name;
    let lost = || failed(format!("lost connection with {host}"), false);
    let Some(greeting) = read_reply(io).await? else {
        return Ok(lost());
    };
    if greeting.code != 220 {
        command(io, "QUIT").await?;
        return Ok(failed(
            format!("host {host} greeted us with: {}", greeting.summary()),
            false,
        ));
    }
    let Some(mut caps) = hello(io, &plan.helo).await? else {
        return Ok(lost());
    };
    if plan.starttls != StartTls::None && has(&caps, "STARTTLS") {
        let Some(reply) = command(io, "STARTTLS").await? else {
            return Ok(lost());
        };
        if reply.code != 220 {
            command(io, "QUIT").await?;
            return Ok(failed(
                format!("host {host} refused STARTTLS: {}", reply.summary()),
                false,
            ));
        }
        let (config, slot) = tls::client_config(&world.pki, plan.verify, world.time.clone());
        let Ok(name) = ServerName::try_from(host.clone()) else {
            return Ok(failed(
                format!("{host} is not a valid TLS server name"),
                true,
            ));
        };
        let Io::Plain(link) = io.take_io() else {
            unreachable!("STARTTLS runs once, on the plain stream")
        };
        match TlsConnector::from(config).connect(name, link).await {
            Ok(stream) => {
                *io = LineIo::new(Io::ClientTls(Box::new(stream)));
                let auth = slot.get();
                let authenticated = auth.as_ref().is_some_and(|a| a.authenticated);
                verdict.set(Some(authenticated));
                let (version, cipher) = io.io.tls_params().unwrap_or_default();
                world.emit(Event::TlsHandshake {
                    conn: conn_id.to_string(),
                    version,
                    cipher,
                    server_authenticated: authenticated,
                    reason: auth.map(|a| a.reason).unwrap_or_default(),
                });
            }
            Err(err) => {
                let why = slot
                    .get()
                    .map(|a| format!(" ({})", a.reason))
                    .unwrap_or_default();
                let reason = format!("TLS handshake with {host} failed: {err}{why}");
                world.emit(Event::TlsFailed {
                    conn: conn_id.to_string(),
                    error: reason.clone(),
                });
                return Ok(failed(reason, false));
            }
        }
        let Some(again) = hello(io, &plan.helo).await? else {
            return Ok(lost());
        };
        caps = again;
    } else if plan.starttls == StartTls::Require {
        command(io, "QUIT").await?;
        return Ok(failed(
            format!("TLS is required, but host {host} did not offer STARTTLS"),
            false,
        ));
    }

    if let Some((user, password)) = &plan.auth {
        if !caps
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH ") && c.contains("PLAIN"))
        {
            command(io, "QUIT").await?;
            return Ok(failed(
                format!("host {host} does not offer AUTH PLAIN here"),
                true,
            ));
        }
        let token = B64.encode(format!("\0{user}\0{password}"));
        let Some(reply) = command(io, &format!("AUTH PLAIN {token}")).await? else {
            return Ok(lost());
        };
        if reply.code != 235 {
            command(io, "QUIT").await?;
            return Ok(failed(
                format!("host {host} refused our login: {}", reply.summary()),
                reply.code >= 500,
            ));
        }
    }

    let eight_bit = data.iter().any(|&b| b >= 0x80) && has(&caps, "8BITMIME");
    let mail = format!(
        "MAIL FROM:<{sender}>{}",
        if eight_bit { " BODY=8BITMIME" } else { "" }
    );
    let pipelining = has(&caps, "PIPELINING");
    let mut replies = Vec::new();
    if pipelining {
        io.queue(format!("{mail}\r\n").as_bytes());
        for rcpt in recipients {
            io.queue(format!("RCPT TO:<{rcpt}>\r\n").as_bytes());
        }
        io.queue(b"DATA\r\n");
        for _ in 0..recipients.len() + 2 {
            let Some(reply) = read_reply(io).await? else {
                return Ok(lost());
            };
            replies.push(reply);
        }
    } else {
        let Some(reply) = command(io, &mail).await? else {
            return Ok(lost());
        };
        let ok = reply.is_positive();
        replies.push(reply);
        if ok {
            for rcpt in recipients {
                let Some(reply) = command(io, &format!("RCPT TO:<{rcpt}>")).await? else {
                    return Ok(lost());
                };
                replies.push(reply);
            }
            if replies[1..].iter().any(Reply::is_positive) {
                let Some(reply) = command(io, "DATA").await? else {
                    return Ok(lost());
                };
                replies.push(reply);
            }
        }
    }
    let mail_reply = replies[0].clone();
    if !mail_reply.is_positive() {
        command(io, "QUIT").await?;
        return Ok(Outcome::Done(
            recipients
                .iter()
                .map(|r| (r.clone(), mail_reply.clone()))
                .collect(),
        ));
    }
    let rcpt_replies: Vec<Reply> = replies[1..=recipients.len()].to_vec();
    let final_reply = match replies.get(recipients.len() + 1) {
        Some(reply) if reply.code == 354 => {
            io.queue(&dot_stuff(data));
            let Some(reply) = read_reply(io).await? else {
                return Ok(lost());
            };
            Some(reply)
        }
        other => other.cloned(),
    };
    command(io, "QUIT").await?;
    let results = recipients
        .iter()
        .zip(rcpt_replies)
        .map(|(rcpt, reply)| match (&final_reply, reply.is_positive()) {
            (Some(fin), true) => (rcpt.clone(), fin.clone()),
            (None, true) => (rcpt.clone(), lost_reply()),
            (_, false) => (rcpt.clone(), reply),
        })
        .collect();
    Ok(Outcome::Done(results))
}

fn lost_reply() -> Reply {
    Reply {
        code: 451,
        lines: vec!["4.4.2 lost connection during DATA".into()],
    }
}

/// EHLO, falling back to HELO; returns the capability lines.
async fn hello(io: &mut LineIo, name: &str) -> std::io::Result<Option<Vec<String>>> {
    let Some(reply) = command(io, &format!("EHLO {name}")).await? else {
        return Ok(None);
    };
    if reply.code == 250 {
        return Ok(Some(reply.lines.into_iter().skip(1).collect()));
    }
    let Some(reply) = command(io, &format!("HELO {name}")).await? else {
        return Ok(None);
    };
    Ok((reply.code == 250).then(Vec::new))
}

fn has(caps: &[String], keyword: &str) -> bool {
    caps.iter().any(|c| {
        c.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

/// Whether the server verdict mode for a node's outgoing connections is
/// "check the certificate".
pub fn verify_mode(check: bool) -> ClientVerify {
    if check {
        ClientVerify::Authenticate
    } else {
        ClientVerify::Opportunistic
    }
}
