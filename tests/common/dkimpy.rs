//! dkimpy, Python's DKIM and ARC library (Debian's `python3-dkim`, which
//! `.ci/run` installs), as an outside verifier of what mailhop signs and
//! seals. It runs under [`super::python`] with `dkimpy.py` beside this file;
//! its DNS is only the TXT records it is handed, and its clock is the
//! virtual "now" (dkimpy refuses a `t=` in its future).
//!
//! ```ignore
//! let records = BTreeMap::from([(
//!     "s1._domainkey.bank.test.".to_string(),
//!     key.record.clone(),
//! )]);
//! let verdicts = common::dkimpy::verify(&message, &records, now);
//! assert!(verdicts.dkim[0].verified, "{verdicts:?}");
//! ```
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

/// What dkimpy said about one message.
#[derive(Debug, Clone, Deserialize)]
pub struct Verdicts {
    /// One per DKIM-Signature header, topmost first (dkimpy's `idx`):
    /// `DKIM.verify(idx)`.
    pub dkim: Vec<Signature>,
    /// `dkim.arc_verify`.
    pub arc: ArcChain,
    /// The names dkimpy looked up, in order (`sel._domainkey.domain.`).
    pub asked: Vec<String>,
}

/// dkimpy's verdict on one DKIM signature.
#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    pub verified: bool,
    /// `d=` and `s=` as the header says them.
    pub domain: String,
    pub selector: String,
    /// Why it did not verify, in dkimpy's words (`body hash mismatch …`).
    pub why: Option<String>,
}

/// dkimpy's verdict on the ARC chain.
#[derive(Debug, Clone, Deserialize)]
pub struct ArcChain {
    /// The chain validation status: `pass`, `fail` or `none`.
    pub cv: String,
    pub reason: String,
}

/// Hands dkimpy `message` (the bytes as delivered, CRLF line ends), DNS
/// made of `records` (owner name, with or without the final dot, to the
/// TXT value, its strings joined) and the time `now` (seconds since 1970,
/// the run's virtual time), and returns its verdicts. Panics, saying what
/// to install, when Python or dkimpy is missing.
pub fn verify(message: &[u8], records: &BTreeMap<String, String>, now: u64) -> Verdicts {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/dkimpy.py");
    let request = serde_json::json!({
        "message": base64::engine::general_purpose::STANDARD.encode(message),
        "records": records,
        "now": now,
    });
    let mut child = Command::new(super::python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "this test runs dkimpy as an independent DKIM verifier and needs {} \
                 (apt-get install python3 python3-dkim, or set MAILHOP_PYTHON): {e}",
                super::python()
            )
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write to dkimpy");
    let output = child.wait_with_output().expect("dkimpy ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "dkimpy failed (apt-get install python3-dkim; .ci/run installs it):\n{stderr}"
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "dkimpy's answer is not what dkimpy.py writes: {e}\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
