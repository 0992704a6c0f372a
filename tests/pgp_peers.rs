//! An independent OpenPGP implementation, GnuPG (Debian's `gnupg`),
//! decrypting what mailhop's mail client encrypted in a run of
//! `scenarios/pgp.json` (the copy an intermediate server stored, taken from
//! the trace), with Bob's secret key exported by `mailhop pgp-key`, and
//! verifying Alice's signature inside. If mailhop's PGP/MIME only opened
//! with mailhop's own code, this would fail.
//!
//! Each test has its own GNUPGHOME in a temporary folder, runs gpg with
//! `--batch --pinentry-mode loopback`, and stops the agent it started
//! (`gpgconf --kill all`) before removing the folder. Needs `gpg` and
//! `gpgconf` on PATH (`.ci/run` installs gnupg); without them the tests
//! fail and say so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use mailhop::harness::Run;
use mailhop::trace::Event;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/pgp.json");

/// A throwaway GnuPG home; its agent is stopped and the folder removed on drop.
struct GnupgHome {
    dir: PathBuf,
}

impl GnupgHome {
    fn new() -> GnupgHome {
        static N: AtomicU32 = AtomicU32::new(0);
        // Short: the agent's socket path must fit in a sockaddr_un.
        let dir = std::env::temp_dir().join(format!(
            "mh-gpg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        GnupgHome { dir }
    }

    fn gpg(&self, args: &[&str]) -> Output {
        Command::new("gpg")
            .env("GNUPGHOME", &self.dir)
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("gpg (Debian's gnupg, which .ci/run installs) did not start: {e}")
            })
    }

    fn import(&self, armored: &str) {
        let file = self.dir.join("key.asc");
        std::fs::write(&file, armored).unwrap();
        let out = self.gpg(&["--import", path(&file)]);
        assert!(
            out.status.success(),
            "gpg --import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Decrypts `armored`; the plaintext and gpg's status lines.
    fn decrypt(&self, armored: &str) -> (bool, String, String) {
        let input = self.dir.join("message.asc");
        let status = self.dir.join("status.txt");
        std::fs::write(&input, armored).unwrap();
        let out = self.gpg(&[
            "--trust-model",
            "always",
            "--status-file",
            path(&status),
            "--decrypt",
            path(&input),
        ]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            std::fs::read_to_string(&status).unwrap_or_default(),
        )
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &self.dir)
            .args(["--kill", "all"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `mailhop pgp-key scenarios/pgp.json ADDRESS [--secret]`.
fn exported(address: &str, secret: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailhop"));
    cmd.args(["pgp-key", SCENARIO, address]);
    if secret {
        cmd.arg("--secret");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The armoured block of `message`'s copy on `node`, from the run's trace.
fn stored_block(run: &Run, node: &str, message: &str) -> String {
    let eml = run
        .trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Stored(s) if s.node == node && s.message == message => Some(s.eml.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{node} stored no copy of {message}"));
    mailhop::pgp::armored_part(eml.as_bytes()).expect("a PGP/MIME message")
}

#[test]
fn gnupg_decrypts_what_an_intermediate_server_stored_and_the_signature_is_good() {
    let run = Run::file(SCENARIO).unwrap();
    let home = GnupgHome::new();
    home.import(&exported("bob@friend.test", true));
    home.import(&exported("alice@home.test", false));
    let alice = mailhop::pgp::scenario_key(&run.scenario, "alice@home.test")
        .unwrap()
        .unwrap();
    for (message, subject, words) in [
        ("m1", None, "Are you free for lunch on Friday?"),
        (
            "m2",
            Some("Subject: The surprise party for Carol"),
            "Not a word to Carol!",
        ),
    ] {
        let (ok, clear, status) = home.decrypt(&stored_block(&run, "filter.spamco.test", message));
        assert!(ok, "{message}: gpg could not decrypt:\n{status}");
        assert!(clear.contains(words), "{message}: {clear}");
        if let Some(subject) = subject {
            assert!(clear.contains(subject), "{message}: {clear}");
            assert!(clear.contains("protected-headers=\"v1\""), "{clear}");
        }
        assert!(status.contains("[GNUPG:] DECRYPTION_OKAY"), "{status}");
        assert!(
            status.contains(&format!("[GNUPG:] VALIDSIG {}", alice.fingerprint)),
            "{message}: Alice's signature:\n{status}"
        );
        assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    }
}

#[test]
fn gnupg_with_someone_elses_key_cannot_decrypt() {
    let run = Run::file(SCENARIO).unwrap();
    let home = GnupgHome::new();
    // Alice's key opens her own message (the Sent copy's reason); a third
    // person's would not: here, only Alice's public key is known.
    home.import(&exported("alice@home.test", false));
    let (ok, clear, status) = home.decrypt(&stored_block(&run, "mx.friend.test", "m1"));
    assert!(!ok, "decrypted without a secret key: {clear}");
    assert!(status.contains("[GNUPG:] NO_SECKEY"), "{status}");
}
