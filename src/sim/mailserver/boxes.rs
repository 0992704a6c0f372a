//! The mailbox store as the IMAP and POP3 server engines see it
//! (`imap::Mailstore`, `pop3::Maildrop`), made for one engine call at a
//! time over `world.store`, so no borrow of the store is held across a
//! wait; and the messages a call removed, by the run-local ids the trace
//! names them by.

use std::cell::RefMut;
use std::collections::{BTreeMap, BTreeSet};

use super::super::store::{Folder, MailStore, StoredMessage};
use super::super::world::World;
use crate::proto::imap::{FolderView, Mailstore, MessageView};
use crate::proto::pop3::{Inbox, InboxMessage, Maildrop};

/// Messages the engine removed during one call, by (folder, UID): the run-
/// local ids the trace names them by, kept until their output is recorded.
#[derive(Default)]
pub(super) struct Gone(BTreeMap<(String, u32), String>);

impl Gone {
    pub(super) fn take(&mut self, folder: &str, uid: u32) -> Option<String> {
        self.0.remove(&(folder.to_string(), uid))
    }
}

/// The mailbox store as the engines see it, for one call.
pub(super) struct Boxes<'a> {
    world: &'a World,
    node: &'a str,
    store: RefMut<'a, MailStore>,
    now: i64,
    gone: &'a mut Gone,
}

impl<'a> Boxes<'a> {
    pub(super) fn new(world: &'a World, node: &'a str, gone: &'a mut Gone) -> Self {
        Boxes {
            world,
            node,
            store: world.store.borrow_mut(),
            now: world.clock.unix_now(),
            gone,
        }
    }

    fn folder_mut(&mut self, user: &str, folder: &str) -> Option<&mut Folder> {
        self.store
            .mailbox_mut(self.node, user, self.now)
            .folders
            .get_mut(folder)
    }

    /// Whether `user` may log in here with `password`: the node has an
    /// account for the address (names compare without case) and a mailbox.
    fn may_log_in(&self, user: &str, password: &str) -> bool {
        let Some(node) = self.world.node(self.node) else {
            return false;
        };
        let has_mailbox = node.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(user));
        has_mailbox
            && node
                .accounts
                .iter()
                .any(|(name, pw)| name.eq_ignore_ascii_case(user) && pw == password)
    }
}

impl Mailstore for Boxes<'_> {
    fn login(&mut self, user: &str, password: &str) -> bool {
        let ok = self.may_log_in(user, password);
        if ok {
            self.store.mailbox_mut(self.node, user, self.now);
        }
        ok
    }

    fn folders(&self, user: &str) -> Vec<String> {
        let mailbox = self.store.mailbox(self.node, user);
        mailbox.map_or_else(Vec::new, |m| m.folders.keys().cloned().collect())
    }

    fn folder(&self, user: &str, folder: &str) -> Option<FolderView<'_>> {
        let mailbox = self.store.mailbox(self.node, user)?;
        let f = mailbox.folders.get(folder)?;
        Some(FolderView {
            uidvalidity: mailbox.uidvalidity,
            uidnext: f.uidnext,
            messages: f
                .messages
                .iter()
                .map(|m| MessageView {
                    uid: m.uid,
                    flags: &m.flags,
                    size: m.size,
                    internal_date: m.internal_date,
                    eml: &m.eml,
                })
                .collect(),
        })
    }

    fn create_folder(&mut self, user: &str, folder: &str) -> bool {
        let folders = &mut self.store.mailbox_mut(self.node, user, self.now).folders;
        folders
            .insert(folder.to_string(), Folder::default())
            .is_none()
    }

    fn set_flags(&mut self, user: &str, folder: &str, uid: u32, flags: BTreeSet<String>) {
        // Messages are in UID order: a session flagging thousands stays linear.
        if let Some(f) = self.folder_mut(user, folder)
            && let Ok(at) = f.messages.binary_search_by_key(&uid, |m| m.uid)
        {
            f.messages[at].flags = flags;
        }
    }

    fn expunge(&mut self, user: &str, folder: &str, uids: &[u32]) {
        let Some(f) = self.folder_mut(user, folder) else {
            return;
        };
        let mut removed = Vec::new();
        f.messages.retain(|m| {
            let going = uids.contains(&m.uid);
            if going {
                removed.push((m.uid, m.message.clone()));
            }
            !going
        });
        for (uid, message) in removed {
            self.gone.0.insert((folder.to_string(), uid), message);
        }
    }

    fn append(
        &mut self,
        user: &str,
        folder: &str,
        eml: Vec<u8>,
        flags: BTreeSet<String>,
        internal_date: i64,
    ) -> Option<u32> {
        self.folder_mut(user, folder)?;
        let header = mail_parser::MessageParser::default()
            .parse_headers(&eml)
            .and_then(|m| m.message_id().map(|id| format!("<{id}>")));
        let message = self.world.message_id_for(header.as_deref());
        let f = self.folder_mut(user, folder)?;
        let uid = f.uidnext;
        f.uidnext += 1;
        f.messages.push(StoredMessage {
            uid,
            message,
            flags,
            size: eml.len(),
            internal_date,
            eml,
        });
        Some(uid)
    }

    fn copy(&mut self, user: &str, from: &str, uids: &[u32], to: &str) -> Vec<(u32, u32)> {
        let chosen: Vec<StoredMessage> = self
            .folder_mut(user, from)
            .map(|f| f.messages.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|m| uids.contains(&m.uid))
            .collect();
        let Some(dest) = self.folder_mut(user, to) else {
            return Vec::new();
        };
        chosen
            .into_iter()
            .map(|mut m| {
                let old = m.uid;
                m.uid = dest.uidnext;
                dest.uidnext += 1;
                let new = m.uid;
                dest.messages.push(m);
                (old, new)
            })
            .collect()
    }
}

impl Maildrop for Boxes<'_> {
    fn authenticate(&self, user: &str, password: &str) -> bool {
        self.may_log_in(user, password)
    }

    fn open(&self, user: &str) -> Option<Inbox> {
        if !self.world.lock_maildrop(self.node, user) {
            return None;
        }
        let inbox = self
            .store
            .mailbox(self.node, user)
            .and_then(|m| Some((m.uidvalidity, m.folders.get("INBOX")?)));
        Some(match inbox {
            Some((uidvalidity, f)) => Inbox {
                uidvalidity,
                messages: f
                    .messages
                    .iter()
                    .map(|m| InboxMessage {
                        uid: m.uid,
                        eml: m.eml.clone(),
                    })
                    .collect(),
            },
            None => Inbox {
                uidvalidity: u32::try_from(self.now.max(1)).unwrap_or(u32::MAX),
                messages: Vec::new(),
            },
        })
    }
}
