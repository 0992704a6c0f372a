//! TLS for STARTTLS on the simulated SMTP links.
//!
//! When a client or server in a scenario says `STARTTLS`, both ends run a real
//! rustls handshake over the in-memory link. This module supplies everything
//! that handshake needs:
//!
//! - [`provider`]: a rustls [`CryptoProvider`](rustls::crypto::CryptoProvider)
//!   whose randomness comes from a seeded ChaCha20 generator instead of the
//!   operating system;
//! - [`VirtualTime`]: the simulation's clock as seen by rustls, so certificate
//!   validity follows virtual time, not the wall clock;
//! - [`pki`]: the in-simulation certificate authority, which issues the
//!   servers' certificates (valid, expired, wrong name or self-signed);
//! - [`verify`]: the client side, which checks the server's certificate and
//!   tells the trace, in plain English, what it found.
//!
//! # Why so much care
//!
//! A run must be reproducible: the same scenario and seed give a
//! byte-identical trace, TLS records included. A stock TLS stack draws fresh
//! randomness for every handshake (client and server randoms, session ids,
//! ephemeral key shares) and reads the wall clock to check certificates. Here
//! every random byte is drawn from [`seed_thread`]'s generator, every key is
//! derived from the scenario seed, and every "now" is virtual time. Signatures
//! are Ed25519, which is deterministic by design.

mod dates;
pub mod pki;
pub mod provider;
mod time;
pub mod verify;

pub use pki::Pki;
pub(crate) use pki::derive as derive_bytes;
pub use provider::{crypto_provider, seed_thread};
pub use time::VirtualTime;
pub use verify::{ClientVerify, ServerAuth, ServerAuthSlot, client_config, client_config_resuming};
