//! Protocol engines: bytes and time in, bytes and happenings out.
//!
//! Each engine is a state machine in the style of smoltcp and of
//! smtp-proto's receivers. It never reads a socket, a clock or the world:
//! the caller feeds it what arrived on the connection and the current
//! virtual time, and gets back what to send, what to put in the transcript,
//! and the moments where the outside has to act (start TLS now, a message
//! was accepted, close). Questions only the world can answer (may this
//! client relay, does this mailbox exist, is this password right) go to a
//! policy the caller hands in.
//!
//! Architecture invariant: nothing under `proto` imports tokio, `sim`,
//! `trace` or the world (`tests/architecture.rs` holds this line). The
//! drivers in `sim::session` run the engines over an in-memory link today
//! and can run them over a TCP stream tomorrow.

pub mod fetch;
pub mod smtp;
