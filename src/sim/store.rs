//! The mailbox store: what each mailbox server holds, as IMAP and POP3 will
//! see it.
//!
//! Every mailbox has folders (`INBOX`, `Junk`, `Sent` from the start, more
//! on demand), and every folder has messages with a UID that only grows
//! (RFC 9051 section 2.3.1.1), flags, a size and an internal date (when the
//! message arrived). UIDVALIDITY is the mailbox's creation time in virtual
//! seconds, as Dovecot does, so it is the same in every run. Messages
//! leave a folder by UID (`remove`: POP3's deletions at QUIT). Changes are
//! made by the simulation and told in the trace by whoever makes them
//! (`delivered` carries the UID a delivery got).

use std::collections::{BTreeMap, BTreeSet};

/// Folders every mailbox has from the start.
pub const DEFAULT_FOLDERS: [&str; 3] = ["INBOX", "Junk", "Sent"];

/// Every mailbox of the world, by (node, address).
#[derive(Debug, Default)]
pub struct MailStore {
    mailboxes: BTreeMap<(String, String), Mailbox>,
}

/// One person's mailbox on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub uidvalidity: u32,
    pub folders: BTreeMap<String, Folder>,
}

/// A folder and its messages, in UID order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub uidnext: u32,
    pub messages: Vec<StoredMessage>,
}

/// One message in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub uid: u32,
    /// The run-local message id (`m1`).
    pub message: String,
    /// IMAP flags (`\Seen`, `\Deleted`, …).
    pub flags: BTreeSet<String>,
    /// Size in octets, as RFC822.SIZE reports it.
    pub size: usize,
    /// When it arrived, Unix seconds of virtual time.
    pub internal_date: i64,
    /// The message as stored, CRLF line ends.
    pub eml: Vec<u8>,
}

/// Where a new message was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub uidvalidity: u32,
    pub uid: u32,
}

impl MailStore {
    /// Files a message into `folder` of `mailbox` on `node`, creating what
    /// does not exist yet.
    pub fn append(
        &mut self,
        node: &str,
        mailbox: &str,
        folder: &str,
        message: &str,
        eml: Vec<u8>,
        now_unix: i64,
    ) -> Filed {
        let mb = self
            .mailboxes
            .entry((node.to_string(), mailbox.to_ascii_lowercase()))
            .or_insert_with(|| Mailbox::new(now_unix));
        let f = mb.folders.entry(folder.to_string()).or_default();
        let uid = f.uidnext;
        f.uidnext += 1;
        f.messages.push(StoredMessage {
            uid,
            message: message.to_string(),
            flags: BTreeSet::new(),
            size: eml.len(),
            internal_date: now_unix,
            eml,
        });
        Filed {
            uidvalidity: mb.uidvalidity,
            uid,
        }
    }

    /// Removes messages from `folder` by UID, as POP3 does at QUIT (the
    /// UPDATE state). A UID that is not there (another session removed it)
    /// is skipped; UIDs are never given again, so `uidnext` stays. Returns
    /// how many were removed.
    pub fn remove(&mut self, node: &str, mailbox: &str, folder: &str, uids: &[u32]) -> usize {
        let Some(f) = self
            .mailboxes
            .get_mut(&(node.to_string(), mailbox.to_ascii_lowercase()))
            .and_then(|mb| mb.folders.get_mut(folder))
        else {
            return 0;
        };
        let before = f.messages.len();
        f.messages.retain(|m| !uids.contains(&m.uid));
        before - f.messages.len()
    }

    /// A mailbox, if anything was ever filed into it.
    pub fn mailbox(&self, node: &str, mailbox: &str) -> Option<&Mailbox> {
        self.mailboxes
            .get(&(node.to_string(), mailbox.to_ascii_lowercase()))
    }

    /// A mailbox to change (a client reading it by IMAP or POP3), made
    /// empty with the default folders if nothing was filed into it yet.
    pub fn mailbox_mut(&mut self, node: &str, mailbox: &str, now_unix: i64) -> &mut Mailbox {
        self.mailboxes
            .entry((node.to_string(), mailbox.to_ascii_lowercase()))
            .or_insert_with(|| Mailbox::new(now_unix))
    }
}

impl Mailbox {
    fn new(now_unix: i64) -> Self {
        Mailbox {
            uidvalidity: u32::try_from(now_unix.max(1)).unwrap_or(u32::MAX),
            folders: DEFAULT_FOLDERS
                .iter()
                .map(|f| (f.to_string(), Folder::default()))
                .collect(),
        }
    }
}

impl Default for Folder {
    /// An empty folder; UIDs start at 1.
    fn default() -> Self {
        Folder {
            uidnext: 1,
            messages: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9051_uids_grow_per_folder_and_uidvalidity_stays() {
        let mut store = MailStore::default();
        let a = store.append("mx", "Bob@x.test", "INBOX", "m1", b"a".to_vec(), 100);
        let b = store.append("mx", "bob@x.test", "INBOX", "m2", b"bb".to_vec(), 200);
        let c = store.append("mx", "bob@x.test", "Junk", "m3", b"c".to_vec(), 300);
        assert_eq!((a.uid, b.uid, c.uid), (1, 2, 1));
        assert_eq!(a.uidvalidity, 100);
        assert_eq!(b.uidvalidity, 100);
        let mb = store.mailbox("mx", "BOB@x.test").expect("exists");
        assert_eq!(mb.folders["INBOX"].uidnext, 3);
        assert_eq!(mb.folders["INBOX"].messages[1].size, 2);
        assert!(mb.folders.contains_key("Sent"));
        assert!(store.mailbox("other", "bob@x.test").is_none());
        let fresh = store.mailbox_mut("other", "Bob@x.test", 400);
        assert_eq!((fresh.uidvalidity, fresh.folders.len()), (400, 3));
        store.mailbox_mut("mx", "bob@x.test", 500).folders.clear();
        assert!(
            store
                .mailbox("mx", "bob@x.test")
                .expect("kept")
                .folders
                .is_empty()
        );
    }

    #[test]
    fn removed_messages_leave_their_uids_unused() {
        let mut store = MailStore::default();
        for (i, m) in ["m1", "m2", "m3"].into_iter().enumerate() {
            store.append("mx", "bob@x.test", "INBOX", m, b"x".to_vec(), i as i64 + 1);
        }
        assert_eq!(store.remove("mx", "BOB@x.test", "INBOX", &[1, 3, 9]), 2);
        assert_eq!(store.remove("mx", "bob@x.test", "INBOX", &[1]), 0);
        assert_eq!(store.remove("mx", "bob@x.test", "Nowhere", &[2]), 0);
        assert_eq!(store.remove("other", "bob@x.test", "INBOX", &[2]), 0);
        let inbox = &store.mailbox("mx", "bob@x.test").expect("exists").folders["INBOX"];
        assert_eq!(inbox.messages.len(), 1);
        assert_eq!(inbox.messages[0].uid, 2);
        let next = store.append("mx", "bob@x.test", "INBOX", "m4", b"y".to_vec(), 9);
        assert_eq!(next.uid, 4, "UID 3 is never given again");
    }
}
