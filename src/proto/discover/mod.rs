//! Finding a mail account's servers from an address alone, as a mail
//! client does when a person sets up an account: the formats and rules,
//! with no I/O (the search itself, which connects and looks up names, is
//! `sim::discover`).
//!
//! - `autoconfig.rs`: Thunderbird's `config-v1.1.xml`, written by a
//!   provider and read by the client (roxmltree).
//! - `autodiscover.rs`: Microsoft's Autodiscover question and answer (POX).
//! - `site.rs`: a provider's web server, as an [`http::Site`](crate::proto::http::Site).
//! - `srv.rs`: the SRV names of RFC 6186 and the order to try records in.
//! - `guess.rs`: the host names and ports a client guesses.
//! - `probe.rs`: what it says to a guessed server to see whether it answers.

pub mod autoconfig;
pub mod autodiscover;
pub mod guess;
pub mod probe;
pub mod site;
pub mod srv;

#[cfg(test)]
mod tests;
