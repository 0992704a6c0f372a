//! The commands of the authenticated and selected states, and those about
//! folders: LIST (with the special-use attributes of RFC 6154), STATUS,
//! CREATE, APPEND, SELECT and the commands on the selected folder, which
//! live in `selected`, `fetch` and `search`.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use imap_codec::imap_types::{
    command::CommandBody,
    core::{Atom, QuotedChar},
    extensions::binary::LiteralOrLiteral8,
    flag::{Flag, FlagNameAttribute},
    mailbox::{ListMailbox, Mailbox},
    response::{Code, Data},
    status::{StatusDataItem, StatusDataItemName},
};

use super::selected::{flag_names, folder_name};
use super::words::{Done, code, nonexistent};
use super::{Mailstore, Output, Server};

/// The hierarchy delimiter (folders here are flat, but a client may make
/// `Work/2024`).
const DELIMITER: char = '/';
/// The longest folder name (and LIST pattern).
const MAX_NAME: usize = 255;

impl Server {
    /// A command past the state check that is not about the session
    /// itself; `None` when it has answered on its own.
    pub(super) fn mailbox_command(
        &mut self,
        body: CommandBody<'static>,
        now_unix: i64,
        store: &mut dyn Mailstore,
    ) -> Option<Done> {
        use CommandBody as C;
        let done = match body {
            C::Select { mailbox, .. } => self.select(&mailbox, false, store),
            C::Examine { mailbox, .. } => self.select(&mailbox, true, store),
            C::List {
                reference,
                mailbox_wildcard,
            } => self.list(&reference, &mailbox_wildcard, false, store),
            C::Lsub {
                reference,
                mailbox_wildcard,
            } => self.list(&reference, &mailbox_wildcard, true, store),
            C::Status {
                mailbox,
                item_names,
            } => self.status(&mailbox, &item_names, store),
            C::Create { mailbox } => self.create(&mailbox, store),
            C::Delete { .. } => Done::no(
                Some(code("CANNOT")),
                "Deleting folders is not possible on this server.",
            ),
            C::Rename { .. } => Done::no(
                Some(code("CANNOT")),
                "Renaming folders is not possible on this server.",
            ),
            C::Subscribe { .. } => Done::ok("Subscribe completed."),
            C::Unsubscribe { .. } => Done::ok("Unsubscribe completed."),
            C::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let date = date.map_or(now_unix, |d| super::dates::unix(&d));
                self.append(&mailbox, &flags, date, message, store)
            }
            C::Enable { .. } => {
                // Nothing is granted: the session stays IMAP4rev1.
                self.enqueue_data(Data::Enabled {
                    capabilities: Vec::new(),
                });
                Done::ok("Enabled.")
            }
            C::Check => Done::ok("Check completed."),
            C::Close => {
                // A read-only folder is closed with nothing removed.
                let _ = self.expunge(None, store);
                self.selected = None;
                Done::ok("Close completed.")
            }
            C::Unselect => {
                self.selected = None;
                Done::ok("Unselect completed.")
            }
            C::Expunge => match self.expunge(None, store) {
                Ok(()) => Done::ok("Expunge completed."),
                Err(done) => done,
            },
            C::ExpungeUid { sequence_set } => match self.expunge(Some(&sequence_set), store) {
                Ok(()) => Done::ok("Expunge completed."),
                Err(done) => done,
            },
            C::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => self.fetch(&sequence_set, macro_or_item_names, uid, store),
            C::Search {
                charset,
                criteria,
                uid,
            } => self.search(charset.as_ref(), criteria.as_ref(), uid, store),
            C::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => self.store_flags(&sequence_set, kind, response, &flags, uid, store),
            C::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.transfer(&sequence_set, &mailbox, uid, false, store),
            C::Move {
                sequence_set,
                mailbox,
                uid,
            } => self.transfer(&sequence_set, &mailbox, uid, true, store),
            other => Done::bad(other.name(), "Not supported by this server."),
        };
        Some(done)
    }

    /// LIST and LSUB (every folder counts as subscribed).
    fn list(
        &mut self,
        reference: &Mailbox<'_>,
        pattern: &ListMailbox<'_>,
        lsub: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        let pattern = match pattern {
            ListMailbox::Token(token) => String::from_utf8_lossy(token.as_ref()).into_owned(),
            ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).into_owned(),
        };
        let reference = match reference {
            Mailbox::Inbox => "INBOX".to_string(),
            Mailbox::Other(o) => String::from_utf8_lossy(o.inner().as_ref()).into_owned(),
        };
        let delimiter = QuotedChar::try_from(DELIMITER).ok();
        let verb = if lsub { "Lsub" } else { "List" };
        if pattern.is_empty() && !lsub {
            // RFC 9051 section 6.3.9: the delimiter and the root.
            if let Ok(root) = Mailbox::try_from(String::new()) {
                self.enqueue_data(Data::List {
                    items: vec![FlagNameAttribute::Noselect],
                    delimiter,
                    mailbox: root,
                });
            }
            return Done::ok(format!("{verb} completed."));
        }
        let full = format!("{reference}{pattern}");
        if full.len() > MAX_NAME {
            return Done::bad(if lsub { "LSUB" } else { "LIST" }, "Pattern too long.");
        }
        for name in store.folders(&self.user_name()) {
            if !matches(full.as_bytes(), name.as_bytes(), name == "INBOX") {
                continue;
            }
            let Ok(mailbox) = Mailbox::try_from(name.clone()) else {
                continue;
            };
            let items = special_use(&name).into_iter().collect();
            let data = if lsub {
                Data::Lsub {
                    items,
                    delimiter,
                    mailbox,
                }
            } else {
                Data::List {
                    items,
                    delimiter,
                    mailbox,
                }
            };
            self.enqueue_data(data);
        }
        Done::ok(format!("{verb} completed."))
    }

    fn status(
        &mut self,
        mailbox: &Mailbox<'_>,
        names: &[StatusDataItemName],
        store: &mut dyn Mailstore,
    ) -> Done {
        if names.is_empty() {
            return Done::bad("STATUS", "Invalid arguments.");
        }
        let name = folder_name(mailbox);
        let Some(folder) = store.folder(&self.user_name(), &name) else {
            return nonexistent(&name);
        };
        let count = |pred: &dyn Fn(&BTreeSet<String>) -> bool| {
            let n = folder.messages.iter().filter(|m| pred(m.flags)).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        let mut items = Vec::new();
        for item in names {
            items.push(match item {
                StatusDataItemName::Messages => StatusDataItem::Messages(count(&|_| true)),
                StatusDataItemName::Recent => StatusDataItem::Recent(0),
                StatusDataItemName::UidNext => StatusDataItem::UidNext(nonzero(folder.uidnext)),
                StatusDataItemName::UidValidity => {
                    StatusDataItem::UidValidity(nonzero(folder.uidvalidity))
                }
                StatusDataItemName::Unseen => {
                    StatusDataItem::Unseen(count(&|f| !f.contains("\\Seen")))
                }
                StatusDataItemName::Deleted => {
                    StatusDataItem::Deleted(count(&|f| f.contains("\\Deleted")))
                }
                _ => return Done::bad("STATUS", "Unsupported status item."),
            });
        }
        let Ok(mailbox) = Mailbox::try_from(name) else {
            return Done::ok("Status completed.");
        };
        self.enqueue_data(Data::Status {
            mailbox,
            items: items.into(),
        });
        Done::ok("Status completed.")
    }

    fn create(&mut self, mailbox: &Mailbox<'_>, store: &mut dyn Mailstore) -> Done {
        let name = folder_name(mailbox);
        let name = name.trim_end_matches(DELIMITER).to_string();
        if name.len() > MAX_NAME {
            return Done::no(Some(code("CANNOT")), "Mailbox name too long.");
        }
        let user = self.user_name();
        if name.is_empty() || name == "INBOX" || !store.create_folder(&user, &name) {
            return Done::no(Some(code("ALREADYEXISTS")), "Mailbox already exists");
        }
        self.out.push(Output::FolderCreated { folder: name });
        Done::ok("Create completed.")
    }

    fn append(
        &mut self,
        mailbox: &Mailbox<'_>,
        flags: &[Flag<'_>],
        date: i64,
        message: LiteralOrLiteral8<'_>,
        store: &mut dyn Mailstore,
    ) -> Done {
        let LiteralOrLiteral8::Literal(literal) = message else {
            return Done::bad("APPEND", "Binary literals (~{n}) are not supported.");
        };
        let flags = match flag_names("APPEND", flags) {
            Ok(flags) => flags,
            Err(done) => return done,
        };
        let name = folder_name(mailbox);
        let user = self.user_name();
        let Some(uidvalidity) = store.folder(&user, &name).map(|f| f.uidvalidity) else {
            return Done::no(
                Some(Code::TryCreate),
                format!("Mailbox doesn't exist: {name}"),
            );
        };
        let data = literal.data().to_vec();
        let size = data.len();
        let Some(uid) = store.append(&user, &name, data, flags.clone(), date) else {
            return nonexistent(&name);
        };
        self.out.push(Output::Appended {
            folder: name,
            uid,
            size,
            flags,
        });
        Done::ok_with(
            Code::AppendUid {
                uid_validity: nonzero(uidvalidity),
                uid: nonzero(uid),
            },
            "Append completed.",
        )
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// RFC 6154 attributes for the folders every mailbox has, and the usual
/// names of the others.
fn special_use(name: &str) -> Option<FlagNameAttribute<'static>> {
    let attribute = match name {
        "Junk" => "Junk",
        "Sent" => "Sent",
        "Drafts" => "Drafts",
        "Trash" => "Trash",
        "Archive" => "Archive",
        _ => return None,
    };
    Some(FlagNameAttribute::from(Atom::unvalidated(attribute)))
}

/// LIST's pattern matching: `*` matches anything, `%` anything but the
/// delimiter; INBOX matches in any case. Linear in the pattern for each
/// name, however many wildcards it has.
fn matches(pattern: &[u8], name: &[u8], inbox: bool) -> bool {
    // reach[i]: the pattern so far can match exactly name[..i].
    let mut reach = vec![false; name.len() + 1];
    let mut next = reach.clone();
    reach[0] = true;
    for &p in pattern {
        let mut on = false;
        for i in 0..=name.len() {
            match p {
                b'*' => on |= reach[i],
                b'%' => {
                    if i > 0 && name[i - 1] == DELIMITER as u8 {
                        on = false;
                    }
                    on |= reach[i];
                }
                _ => {
                    on = i > 0
                        && reach[i - 1]
                        && (name[i - 1] == p || (inbox && name[i - 1].eq_ignore_ascii_case(&p)));
                }
            }
            next[i] = on;
        }
        if !next.contains(&true) {
            return false;
        }
        std::mem::swap(&mut reach, &mut next);
    }
    reach[name.len()]
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn rfc9051_list_wildcards() {
        assert!(matches(b"*", b"Work/2024", false));
        assert!(!matches(b"%", b"Work/2024", false));
        assert!(matches(b"Work/%", b"Work/2024", false));
        assert!(matches(b"inbox", b"INBOX", true));
        assert!(!matches(b"junk", b"Junk", false));
        assert!(matches(b"J*k", b"Junk", false));
        assert!(matches(b"%/%", b"Work/2024", false));
        assert!(!matches(b"Work", b"Work/2024", false));
        let stars = vec![b'*'; 60_000];
        assert!(!matches(&[&stars[..], b"x"].concat(), b"Sent", false));
    }
}
