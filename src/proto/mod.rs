//! Protocol engines: bytes and time in, bytes and happenings out.
//!
//! Each engine is a state machine in the style of smoltcp and of
//! smtp-proto's receivers. It never reads a socket, a clock or the world:
//! the caller feeds it what arrived on the connection and the current
//! virtual time, and gets back what to send, what to put in the transcript,
//! and the moments where the outside has to act (start TLS now, a message
//! was accepted, remove these messages, close). Questions only the world
//! can answer (may this client relay, does this mailbox exist, is this
//! password right, what is in this INBOX) go to a policy or maildrop the
//! caller hands in.
//!
//! Architecture invariant: nothing under `proto` imports tokio, `sim`,
//! `trace` or the world (`tests/architecture.rs` holds this line). The
//! drivers in `sim::session` run the engines over an in-memory link; the
//! same engines run over a TCP stream too (`tests/pop3_peer.rs` serves
//! POP3 to Python's poplib on a loopback port).

pub mod discover;
pub mod fetch;
pub mod http;
pub mod imap;
pub mod pop3;
pub mod sasl;
pub mod smtp;

#[cfg(test)]
mod fuzz;
