//! The mailboxes at each step, as IMAP shows them: for every mailbox on a
//! server its UIDVALIDITY, its folders and their messages by UID with
//! their flags; and the copies mail clients downloaded onto their devices.
//!
//! It is followed through the trace once, event by event, alongside the
//! copies at rest ([`super::holders`]), and told only from what the trace
//! says: a delivery files a message with its UID (`delivered`), an IMAP
//! APPEND is a hop whose `mailbox` spot carries the UID, a download is a
//! hop followed by the copy on the device, `flagged`, `expunged` (IMAP
//! EXPUNGE, or POP3's DELE at QUIT) and `moved` change what is there. A copy
//! the server made itself (IMAP COPY) is a `stored` copy in a mailbox with
//! no UID: it gets the folder's next one, as the store gives them (UIDs in
//! a folder start at 1 and only grow, RFC 9051 section 2.3.1.1), and a
//! `delivered` that names another UID for it corrects that.
//!
//! A mailbox is listed from the first message filed into it (a mailbox a
//! client only logged in to, still empty, is not). INBOX is listed first,
//! then the other folders in the order the trace first names them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::trace::{Delivered, Event, Expunged, Flagged, Moved, Place, Record, Spot, Stored};

/// The mail at rest in mailboxes and on devices, after one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailState {
    /// Every mailbox on a server, in the order the trace first fills them.
    pub servers: Vec<MailboxView>,
    /// Every mail client that downloaded something, with its copies.
    pub devices: Vec<DeviceView>,
}

/// One person's mailbox on one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxView {
    pub node: String,
    /// The address whose mailbox it is.
    pub mailbox: String,
    /// Null until an event tells it (a delivery, an APPEND, a download).
    pub uidvalidity: Option<u32>,
    pub folders: Vec<FolderView>,
}

/// A folder and its messages, in UID order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderView {
    pub name: String,
    pub messages: Vec<MessageView>,
    /// Messages that left the folder at this step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<GoneView>,
    /// The UID the folder gives next: one past the highest it ever gave.
    #[serde(skip)]
    next_uid: u32,
}

/// A message in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    pub uid: u32,
    /// The run's id of the message (`m1`).
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub flags: Vec<String>,
    /// What this step did to it: `new` (filed: delivered, appended or
    /// copied), `moved` (it came from the folder `from`) or `flags` (its
    /// flags changed; `added_flags` are the ones it gained).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added_flags: Vec<String>,
}

/// A message that left a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoneView {
    pub uid: u32,
    pub message: String,
    /// `EXPUNGE` (IMAP), `DELE` (POP3, carried out at QUIT) or `MOVE`.
    pub by: String,
    /// For `MOVE`: the folder it went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A mail client's device and the copies it downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    pub node: String,
    pub copies: Vec<DeviceCopy>,
}

/// One downloaded copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceCopy {
    pub message: String,
    /// Where it was downloaded from: the mailbox and folder on the server,
    /// and the UID it had there.
    pub mailbox: String,
    pub folder: String,
    pub uid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `new` at the step it was downloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
}

/// Where a message sits: (node, mailbox) and folder.
type BoxKey = (String, String);

/// The mailboxes, followed event by event.
#[derive(Default)]
pub(super) struct Mailboxes {
    state: MailState,
    /// Position in `state.servers` by (node, lower-cased address).
    index: BTreeMap<BoxKey, usize>,
    /// Subjects by message: from `composed`, else the first stored copy.
    subjects: BTreeMap<String, String>,
    /// APPEND hops whose copy is yet to be stored, by (server, message).
    appending: BTreeMap<(String, String), Spot>,
    /// Downloads whose copy is yet to be stored, by (device, message).
    downloading: BTreeMap<(String, String), Spot>,
    /// Something changed since the last snapshot.
    changed: bool,
}

impl Mailboxes {
    /// Takes one event of the trace into account.
    pub(super) fn apply(&mut self, record: &Record) {
        match &record.event {
            Event::Composed(c) => {
                self.subjects.insert(c.message.clone(), c.subject.clone());
            }
            Event::Hop(hop) => {
                let Some(spot) = &hop.mailbox else { return };
                if spot.appended {
                    self.appending
                        .insert((hop.to.clone(), hop.message.clone()), spot.clone());
                } else {
                    self.downloading
                        .insert((hop.to.clone(), hop.message.clone()), spot.clone());
                    let mb = self.mailbox(&hop.from, &spot.mailbox);
                    mb.uidvalidity.get_or_insert(spot.uidvalidity);
                }
            }
            Event::Stored(stored) => self.stored(stored),
            Event::Delivered(d) => self.delivered(d),
            Event::Flagged(f) => self.flagged(f),
            Event::Expunged(e) => self.expunged(e),
            Event::Moved(m) => self.moved(m),
            _ => {}
        }
    }

    /// The state now, if it changed since the last call; the next one
    /// starts with no changes marked.
    pub(super) fn snapshot(&mut self) -> Option<MailState> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        let now = self.state.clone();
        for folder in self.state.servers.iter_mut().flat_map(|m| &mut m.folders) {
            folder.gone.clear();
            for m in &mut folder.messages {
                m.change = None;
                m.from = None;
                m.added_flags.clear();
            }
        }
        for copy in self.state.devices.iter_mut().flat_map(|d| &mut d.copies) {
            copy.change = None;
        }
        Some(now)
    }

    fn stored(&mut self, stored: &Stored) {
        let Stored {
            node,
            message,
            place,
            eml,
            ..
        } = stored;
        if !self.subjects.contains_key(message)
            && let Some(subject) = subject_of(eml)
        {
            self.subjects.insert(message.clone(), subject);
        }
        let subject = self.subjects.get(message).cloned();
        match place {
            Place::Queue { .. } => {}
            Place::Mailbox { mailbox, folder } => {
                let key = (node.clone(), message.clone());
                let spot = self
                    .appending
                    .remove(&key)
                    .filter(|spot| spot.folder == *folder);
                let mb = self.mailbox(node, mailbox);
                let uid = match &spot {
                    Some(spot) => {
                        mb.uidvalidity.get_or_insert(spot.uidvalidity);
                        spot.uid
                    }
                    None => folder_mut(mb, folder).next_uid,
                };
                file(folder_mut(mb, folder), new_message(uid, message, subject));
                self.changed = true;
            }
            Place::Device { mailbox, folder } => {
                let spot = self.downloading.remove(&(node.clone(), message.clone()));
                let at = match self.state.devices.iter().position(|d| d.node == *node) {
                    Some(at) => at,
                    None => {
                        self.state.devices.push(DeviceView {
                            node: node.clone(),
                            copies: Vec::new(),
                        });
                        self.state.devices.len() - 1
                    }
                };
                self.state.devices[at].copies.push(DeviceCopy {
                    message: message.clone(),
                    mailbox: mailbox.clone(),
                    folder: folder.clone(),
                    uid: spot.map(|s| s.uid),
                    subject,
                    change: Some("new"),
                });
                self.changed = true;
            }
        }
    }

    fn delivered(&mut self, d: &Delivered) {
        self.changed = true;
        let subject = self.subjects.get(&d.message).cloned();
        let mb = self.mailbox(&d.node, &d.mailbox);
        mb.uidvalidity = Some(d.uidvalidity);
        let folder = folder_mut(mb, &d.folder);
        if at(folder, d.uid).is_some() {
            return;
        }
        // The stored copy was given the folder's next UID; the delivery
        // says which it really got.
        let guessed = folder
            .messages
            .iter()
            .rposition(|m| m.message == d.message && m.change == Some("new"));
        let entry = match guessed {
            Some(i) => {
                let mut m = folder.messages.remove(i);
                m.uid = d.uid;
                m
            }
            None => new_message(d.uid, &d.message, subject),
        };
        file(folder, entry);
    }

    fn flagged(&mut self, f: &Flagged) {
        let Some(folder) = self.existing(&f.node, &f.mailbox, &f.folder) else {
            return;
        };
        let Some(i) = at(folder, f.uid) else { return };
        let m = &mut folder.messages[i];
        let gained: Vec<String> = f
            .flags
            .iter()
            .filter(|x| !m.flags.contains(x))
            .cloned()
            .collect();
        m.flags = f.flags.clone();
        if m.change.is_none() || m.change == Some("flags") {
            m.change = Some("flags");
            m.added_flags.extend(gained);
        }
        self.changed = true;
    }

    fn expunged(&mut self, e: &Expunged) {
        let Some(folder) = self.existing(&e.node, &e.mailbox, &e.folder) else {
            return;
        };
        let Some(i) = at(folder, e.uid) else { return };
        let m = folder.messages.remove(i);
        folder.gone.push(GoneView {
            uid: m.uid,
            message: m.message,
            by: e.by.clone(),
            to: None,
        });
        self.changed = true;
    }

    fn moved(&mut self, m: &Moved) {
        let Some(from) = self.existing(&m.node, &m.mailbox, &m.from) else {
            return;
        };
        let Some(i) = at(from, m.uid) else { return };
        let mut entry = from.messages.remove(i);
        from.gone.push(GoneView {
            uid: m.uid,
            message: entry.message.clone(),
            by: "MOVE".into(),
            to: Some(m.to.clone()),
        });
        entry.uid = m.new_uid;
        entry.change = Some("moved");
        entry.from = Some(m.from.clone());
        entry.added_flags.clear();
        let mb = self.mailbox(&m.node, &m.mailbox);
        file(folder_mut(mb, &m.to), entry);
        self.changed = true;
    }

    /// The mailbox `address` on `node`, listed (with its INBOX) if new.
    fn mailbox(&mut self, node: &str, address: &str) -> &mut MailboxView {
        let key = (node.to_string(), address.to_ascii_lowercase());
        let servers = &mut self.state.servers;
        let i = *self.index.entry(key).or_insert_with(|| {
            servers.push(MailboxView {
                node: node.to_string(),
                mailbox: address.to_string(),
                uidvalidity: None,
                folders: vec![empty_folder("INBOX")],
            });
            servers.len() - 1
        });
        &mut servers[i]
    }

    /// A folder of a mailbox already listed.
    fn existing(&mut self, node: &str, address: &str, folder: &str) -> Option<&mut FolderView> {
        let i = *self
            .index
            .get(&(node.to_string(), address.to_ascii_lowercase()))?;
        Some(folder_mut(&mut self.state.servers[i], folder))
    }
}

fn empty_folder(name: &str) -> FolderView {
    FolderView {
        name: name.to_string(),
        messages: Vec::new(),
        gone: Vec::new(),
        next_uid: 1,
    }
}

fn new_message(uid: u32, message: &str, subject: Option<String>) -> MessageView {
    MessageView {
        uid,
        message: message.to_string(),
        subject,
        flags: Vec::new(),
        change: Some("new"),
        from: None,
        added_flags: Vec::new(),
    }
}

/// A folder of `mb`, made (empty) the first time it is named.
fn folder_mut<'m>(mb: &'m mut MailboxView, name: &str) -> &'m mut FolderView {
    let i = match mb.folders.iter().position(|f| f.name == name) {
        Some(i) => i,
        None => {
            mb.folders.push(empty_folder(name));
            mb.folders.len() - 1
        }
    };
    &mut mb.folders[i]
}

/// Where the message with `uid` is in a folder (kept in UID order).
fn at(folder: &FolderView, uid: u32) -> Option<usize> {
    folder.messages.binary_search_by_key(&uid, |m| m.uid).ok()
}

/// Files `entry` in UID order.
fn file(folder: &mut FolderView, entry: MessageView) {
    folder.next_uid = folder.next_uid.max(entry.uid.saturating_add(1));
    let i = folder.messages.partition_point(|m| m.uid < entry.uid);
    folder.messages.insert(i, entry);
}

/// The Subject header of a stored message, unfolded (as written: encoded
/// words stay encoded).
fn subject_of(eml: &str) -> Option<String> {
    let mut lines = eml.split("\r\n").take_while(|l| !l.is_empty()).peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.eq_ignore_ascii_case("Subject") {
            continue;
        }
        let mut subject = value.trim().to_string();
        while let Some(more) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            subject.push(' ');
            subject.push_str(more.trim());
        }
        return Some(subject);
    }
    None
}
