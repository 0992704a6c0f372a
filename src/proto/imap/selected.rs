//! The selected folder: the client's view of it (which UID each sequence
//! number stands for, the flags it last heard), kept in step with the
//! store, and the commands that change messages in it (STORE, EXPUNGE,
//! CLOSE, COPY, MOVE).

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use imap_codec::imap_types::{
    IntoStatic,
    core::Vec1,
    extensions::uidplus::{UidElement, UidSet},
    fetch::MessageDataItem,
    flag::{Flag, FlagFetch, FlagPerm, StoreResponse, StoreType},
    mailbox::Mailbox,
    response::{Code, Data, Status, StatusBody, StatusKind},
    sequence::{SeqOrUid, Sequence, SequenceSet},
};

use super::words::{Done, nonexistent, text};
use super::{Mailstore, Output, Server};

/// The folder a client selected, as the client knows it.
#[derive(Debug)]
pub(super) struct Selected {
    pub folder: String,
    /// EXAMINE: nothing may change.
    pub read_only: bool,
    /// The UID of each message, by sequence number minus one.
    pub uids: Vec<u32>,
    /// Their flags as the client last heard them.
    pub flags: Vec<BTreeSet<String>>,
}

impl Selected {
    /// The (sequence number, UID) pairs a set names. By UID, UIDs that do
    /// not exist are simply not there (RFC 9051 section 6.4.9); by
    /// sequence number, one past the last message is an error (`None`).
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Option<Vec<(u32, u32)>> {
        let numbered = (1u32..).zip(self.uids.iter().copied());
        if uid {
            let largest = self.uids.last().copied().unwrap_or(0);
            return Some(
                numbered
                    .filter(|&(_, u)| contains(set, u, largest))
                    .collect(),
            );
        }
        let count = u32::try_from(self.uids.len()).unwrap_or(u32::MAX);
        let too_far = set.0.as_ref().iter().any(|seq| match seq {
            Sequence::Single(v) => beyond(v, count),
            Sequence::Range(a, b) => beyond(a, count) || beyond(b, count),
        });
        if too_far {
            return None;
        }
        Some(numbered.filter(|&(n, _)| contains(set, n, count)).collect())
    }
}

fn beyond(v: &SeqOrUid, count: u32) -> bool {
    matches!(v, SeqOrUid::Value(n) if n.get() > count)
}

/// Whether `x` is in the set, `*` standing for `largest`.
pub(super) fn contains(set: &SequenceSet, x: u32, largest: u32) -> bool {
    let value = |v: &SeqOrUid| match v {
        SeqOrUid::Value(n) => n.get(),
        SeqOrUid::Asterisk => largest,
    };
    set.0.as_ref().iter().any(|seq| match seq {
        Sequence::Single(v) => value(v) == x,
        Sequence::Range(a, b) => {
            let (a, b) = (value(a), value(b));
            a.min(b) <= x && x <= a.max(b)
        }
    })
}

/// A folder name as the store knows it: `INBOX` in any case is `INBOX`.
pub(super) fn folder_name(mailbox: &Mailbox<'_>) -> String {
    match mailbox {
        Mailbox::Inbox => "INBOX".to_string(),
        Mailbox::Other(other) => {
            let name = String::from_utf8_lossy(other.inner().as_ref()).into_owned();
            if name.eq_ignore_ascii_case("INBOX") {
                "INBOX".to_string()
            } else {
                name
            }
        }
    }
}

/// Flags as the store keeps them; `BAD` for a flag no one may set
/// (`\Recent`, or a system flag RFC 9051 does not define).
pub(super) fn flag_names(command: &str, flags: &[Flag<'_>]) -> Result<BTreeSet<String>, Done> {
    flags
        .iter()
        .map(|flag| match flag {
            Flag::Extension(_) => Err(Done::bad(command, &format!("Invalid system flag {flag}"))),
            _ => Ok(flag.to_string()),
        })
        .collect()
}

/// Stored flags as a FETCH response gives them (any the store holds that
/// are not valid IMAP flags are left out).
pub(super) fn fetch_flags(flags: &BTreeSet<String>) -> Vec<FlagFetch<'static>> {
    flags
        .iter()
        .filter_map(|f| Flag::try_from(f.as_str()).ok())
        .map(IntoStatic::into_static)
        .map(FlagFetch::Flag)
        .collect()
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// UIDs as a UIDPLUS set, runs written as ranges.
fn uid_set(uids: impl Iterator<Item = u32>) -> Option<UidSet> {
    let mut elements: Vec<UidElement> = Vec::new();
    for uid in uids.map(nonzero) {
        match elements.last_mut() {
            Some(UidElement::Single(a)) if a.get().checked_add(1) == Some(uid.get()) => {
                *elements.last_mut()? = UidElement::Range(*a, uid);
            }
            Some(UidElement::Range(_, b)) if b.get().checked_add(1) == Some(uid.get()) => *b = uid,
            _ => elements.push(UidElement::Single(uid)),
        }
    }
    Vec1::try_from(elements).ok().map(UidSet)
}

impl Server {
    /// The signed-in user (commands past the state check always have one).
    pub(super) fn user_name(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    /// SELECT or EXAMINE (RFC 9051 section 6.3.2), with what IMAP4rev1
    /// clients also expect (RECENT, UNSEEN).
    pub(super) fn select(
        &mut self,
        mailbox: &Mailbox<'_>,
        read_only: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        self.selected = None;
        let name = folder_name(mailbox);
        let user = self.user_name();
        let Some(folder) = store.folder(&user, &name) else {
            return nonexistent(&name);
        };
        let uids: Vec<u32> = folder.messages.iter().map(|m| m.uid).collect();
        let flags: Vec<BTreeSet<String>> =
            folder.messages.iter().map(|m| m.flags.clone()).collect();
        let first_unseen = flags.iter().position(|f| !f.contains("\\Seen"));
        let (uidvalidity, uidnext) = (folder.uidvalidity, folder.uidnext);
        let system = [
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ];
        self.enqueue_data(Data::Flags(system.to_vec()));
        let permanent = if read_only {
            Vec::new()
        } else {
            let mut p: Vec<FlagPerm> = system.into_iter().map(FlagPerm::Flag).collect();
            p.push(FlagPerm::Asterisk);
            p
        };
        let permanent_text = if read_only {
            "Read-only mailbox."
        } else {
            "Flags permitted."
        };
        self.ok_untagged(Code::PermanentFlags(permanent), permanent_text);
        self.enqueue_data(Data::Exists(u32::try_from(uids.len()).unwrap_or(u32::MAX)));
        self.enqueue_data(Data::Recent(0));
        if let Some(at) = first_unseen {
            let seq = u32::try_from(at + 1).unwrap_or(u32::MAX);
            self.ok_untagged(Code::Unseen(nonzero(seq)), "First unseen.");
        }
        self.ok_untagged(Code::UidValidity(nonzero(uidvalidity)), "UIDs valid");
        self.ok_untagged(Code::UidNext(nonzero(uidnext)), "Predicted next UID");
        self.selected = Some(Selected {
            folder: name,
            read_only,
            uids,
            flags,
        });
        if read_only {
            Done::ok_with(Code::ReadOnly, "Examine completed.")
        } else {
            Done::ok_with(Code::ReadWrite, "Select completed.")
        }
    }

    pub(super) fn ok_untagged(&mut self, code: Code<'static>, words: &str) {
        self.enqueue_status(Status::Untagged(StatusBody {
            kind: StatusKind::Ok,
            code: Some(code),
            text: text(words),
        }));
    }

    /// Tells the client what changed in the selected folder since it last
    /// heard: flags set elsewhere, messages gone (only if `expunges`),
    /// new messages.
    pub(super) fn sync(&mut self, store: &mut dyn Mailstore, expunges: bool) {
        let user = self.user_name();
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        let now: Vec<(u32, BTreeSet<String>)> = store
            .folder(&user, &selected.folder)
            .map(|f| {
                f.messages
                    .iter()
                    .map(|m| (m.uid, m.flags.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut data = Vec::new();
        if expunges {
            for at in (0..selected.uids.len()).rev() {
                if now
                    .binary_search_by_key(&selected.uids[at], |m| m.0)
                    .is_err()
                {
                    selected.uids.remove(at);
                    selected.flags.remove(at);
                    data.push(Data::Expunge(nonzero(
                        u32::try_from(at + 1).unwrap_or(u32::MAX),
                    )));
                }
            }
        }
        for (at, uid) in selected.uids.iter().enumerate() {
            let Ok(i) = now.binary_search_by_key(uid, |m| m.0) else {
                continue;
            };
            if now[i].1 != selected.flags[at] {
                selected.flags[at] = now[i].1.clone();
                let items = vec![
                    MessageDataItem::Uid(nonzero(*uid)),
                    MessageDataItem::Flags(fetch_flags(&now[i].1)),
                ];
                let seq = nonzero(u32::try_from(at + 1).unwrap_or(u32::MAX));
                data.push(Data::Fetch {
                    seq,
                    items: Vec1::unvalidated(items),
                });
            }
        }
        let last = selected.uids.last().copied().unwrap_or(0);
        let before = selected.uids.len();
        for (uid, flags) in now.into_iter().filter(|m| m.0 > last) {
            selected.uids.push(uid);
            selected.flags.push(flags);
        }
        if selected.uids.len() != before {
            data.push(Data::Exists(
                u32::try_from(selected.uids.len()).unwrap_or(u32::MAX),
            ));
        }
        for d in data {
            self.enqueue_data(d);
        }
    }

    /// STORE and UID STORE (RFC 9051 section 6.4.6).
    pub(super) fn store_flags(
        &mut self,
        set: &SequenceSet,
        kind: StoreType,
        response: StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        let name = if uid { "UID STORE" } else { "STORE" };
        let Some(selected) = &self.selected else {
            return Done::bad(name, "No mailbox selected.");
        };
        if selected.read_only {
            return Done::no(Some(Code::ReadOnly), "Mailbox is read-only.");
        }
        let given = match flag_names(name, flags) {
            Ok(given) => given,
            Err(done) => return done,
        };
        let Some(targets) = selected.resolve(set, uid) else {
            return Done::bad(name, "Invalid messageset.");
        };
        let user = self.user_name();
        let folder = selected.folder.clone();
        let current: Vec<Option<BTreeSet<String>>> = {
            let view = store.folder(&user, &folder);
            targets
                .iter()
                .map(|&(_, u)| {
                    let view = view.as_ref()?;
                    let at = view.messages.binary_search_by_key(&u, |m| m.uid).ok()?;
                    Some(view.messages[at].flags.clone())
                })
                .collect()
        };
        for ((seq, u), old) in targets.into_iter().zip(current) {
            // A message expunged elsewhere and not yet told is left alone.
            let Some(old) = old else { continue };
            let new: BTreeSet<String> = match kind {
                StoreType::Replace => given.clone(),
                StoreType::Add => old.union(&given).cloned().collect(),
                StoreType::Remove => old.difference(&given).cloned().collect(),
            };
            if new != old {
                store.set_flags(&user, &folder, u, new.clone());
                self.out.push(Output::FlagsStored {
                    folder: folder.clone(),
                    uid: u,
                    flags: new.clone(),
                });
            }
            self.told_flags(u, &new);
            if response == StoreResponse::Answer {
                let mut items = vec![MessageDataItem::Flags(fetch_flags(&new))];
                if uid {
                    items.insert(0, MessageDataItem::Uid(nonzero(u)));
                }
                self.enqueue_data(Data::Fetch {
                    seq: nonzero(seq),
                    items: Vec1::unvalidated(items),
                });
            }
        }
        Done::ok("Store completed.")
    }

    /// Records that the client now knows these flags of a message.
    pub(super) fn told_flags(&mut self, uid: u32, flags: &BTreeSet<String>) {
        if let Some(selected) = self.selected.as_mut()
            && let Some(at) = selected.uids.iter().position(|&u| u == uid)
        {
            selected.flags[at] = flags.clone();
        }
    }

    /// EXPUNGE, UID EXPUNGE (only UIDs in `only`) and CLOSE: removes the
    /// messages marked `\Deleted`. The `* n EXPUNGE` lines come from the
    /// sync after the command (none after CLOSE).
    pub(super) fn expunge(
        &mut self,
        only: Option<&SequenceSet>,
        store: &mut dyn Mailstore,
    ) -> Result<(), Done> {
        let Some(selected) = &self.selected else {
            return Ok(());
        };
        if selected.read_only {
            return Err(Done::no(Some(Code::ReadOnly), "Mailbox is read-only."));
        }
        let user = self.user_name();
        let folder = selected.folder.clone();
        let chosen: Option<BTreeSet<u32>> = match only {
            Some(set) => {
                let uids = selected.resolve(set, true).unwrap_or_default();
                Some(uids.into_iter().map(|p| p.1).collect())
            }
            None => None,
        };
        let doomed: Vec<u32> = store
            .folder(&user, &folder)
            .map(|f| {
                f.messages
                    .iter()
                    .filter(|m| m.flags.contains("\\Deleted"))
                    .filter(|m| chosen.as_ref().is_none_or(|c| c.contains(&m.uid)))
                    .map(|m| m.uid)
                    .collect()
            })
            .unwrap_or_default();
        if !doomed.is_empty() {
            store.expunge(&user, &folder, &doomed);
            self.out.push(Output::Expunged {
                folder,
                uids: doomed,
            });
        }
        Ok(())
    }

    /// COPY and MOVE, by sequence number or UID (RFC 6851 for MOVE).
    pub(super) fn transfer(
        &mut self,
        set: &SequenceSet,
        to: &Mailbox<'_>,
        uid: bool,
        moving: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        let verb = match (moving, uid) {
            (true, true) => "UID MOVE",
            (true, false) => "MOVE",
            (false, true) => "UID COPY",
            (false, false) => "COPY",
        };
        let Some(selected) = &self.selected else {
            return Done::bad(verb, "No mailbox selected.");
        };
        if moving && selected.read_only {
            return Done::no(Some(Code::ReadOnly), "Mailbox is read-only.");
        }
        let Some(targets) = selected.resolve(set, uid) else {
            return Done::bad(verb, "Invalid messageset.");
        };
        let user = self.user_name();
        let from = selected.folder.clone();
        let to = folder_name(to);
        let Some(destination) = store.folder(&user, &to) else {
            return Done::no(
                Some(Code::TryCreate),
                format!("Mailbox doesn't exist: {to}"),
            );
        };
        let uidvalidity = nonzero(destination.uidvalidity);
        let existing: Vec<u32> = store
            .folder(&user, &from)
            .map(|f| f.messages.iter().map(|m| m.uid).collect())
            .unwrap_or_default();
        let uids: Vec<u32> = targets
            .into_iter()
            .map(|p| p.1)
            .filter(|u| existing.binary_search(u).is_ok())
            .collect();
        if uids.is_empty() {
            let what = if moving { "move" } else { "copy" };
            return Done::ok(format!("No messages found to {what}."));
        }
        let pairs = store.copy(&user, &from, &uids, &to);
        let copyuid = uid_set(pairs.iter().map(|p| p.0))
            .zip(uid_set(pairs.iter().map(|p| p.1)))
            .map(|(source, destination)| Code::CopyUid {
                uid_validity: uidvalidity,
                source,
                destination,
            });
        if !moving {
            self.out.push(Output::Copied {
                from,
                to,
                uids: pairs,
            });
            return match copyuid {
                Some(code) => Done::ok_with(code, "Copy completed."),
                None => Done::ok("Copy completed."),
            };
        }
        let moved: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        store.expunge(&user, &from, &moved);
        if let Some(code) = copyuid {
            self.ok_untagged(code, "Moved UIDs.");
        }
        self.out.push(Output::Moved {
            from,
            to,
            uids: pairs,
        });
        Done::ok("Move completed.")
    }
}
