//! FETCH and UID FETCH (RFC 9051 section 6.4.5): flags, UID, size,
//! internal date, envelope, the whole message and its header or text, by
//! `BODY[…]` (setting `\Seen`) or `BODY.PEEK[…]`, whole or from an origin
//! (`BODY[]<0.100>`), BODYSTRUCTURE and BODY, and body parts by number
//! (`BODY[2]`, `BODY[2.MIME]`, see `structure`). BINARY is refused with
//! `NO [CANNOT]`.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use imap_codec::imap_types::{
    core::{AString, IString, Literal, NString, Vec1},
    fetch::{MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName, Part, Section},
    response::Data,
    sequence::SequenceSet,
};

use super::selected::fetch_flags;
use super::structure::{body_structure, part};
use super::words::{Done, code};
use super::{Fetched, Mailstore, MessageView, Output, Server};

impl Server {
    pub(super) fn fetch(
        &mut self,
        set: &SequenceSet,
        items: MacroOrMessageDataItemNames<'static>,
        uid: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        let command = if uid { "UID FETCH" } else { "FETCH" };
        let Some(selected) = &self.selected else {
            return Done::bad(command, "No mailbox selected.");
        };
        let mut names: Vec<MessageDataItemName<'static>> = match items {
            MacroOrMessageDataItemNames::Macro(m) => m
                .expand()
                .into_iter()
                .map(|n| match n {
                    MessageDataItemName::Flags => MessageDataItemName::Flags,
                    MessageDataItemName::InternalDate => MessageDataItemName::InternalDate,
                    MessageDataItemName::Rfc822Size => MessageDataItemName::Rfc822Size,
                    MessageDataItemName::Envelope => MessageDataItemName::Envelope,
                    _ => MessageDataItemName::Body,
                })
                .collect(),
            MacroOrMessageDataItemNames::MessageDataItemNames(names) => names,
        };
        if names.is_empty() {
            return Done::bad(command, "Invalid arguments.");
        }
        if let Some(refused) = names.iter().find_map(unsupported) {
            return Done::no(
                Some(code("CANNOT")),
                format!("FETCH {refused} is not supported by this server."),
            );
        }
        // UID FETCH always answers with the UID (RFC 9051 section 6.4.9).
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let Some(targets) = selected.resolve(set, uid) else {
            return Done::bad(command, "Invalid messageset.");
        };
        let read_only = selected.read_only;
        let folder = selected.folder.clone();
        let user = self.user_name();
        let marks_seen = !read_only && names.iter().any(sets_seen);
        let tells_flags = names.contains(&MessageDataItemName::Flags);
        let mut seen = Vec::new();
        let mut told = Vec::new();
        if let Some(view) = store.folder(&user, &folder) {
            for (seq, u) in targets {
                // A message expunged elsewhere and not yet told is skipped.
                let Ok(at) = view.messages.binary_search_by_key(&u, |m| m.uid) else {
                    continue;
                };
                let message = &view.messages[at];
                let mut flags = message.flags.clone();
                let newly_seen = marks_seen && flags.insert("\\Seen".to_string());
                let mut items: Vec<MessageDataItem<'static>> = names
                    .iter()
                    .map(|name| self.item(name, message, &flags, &folder))
                    .collect();
                if newly_seen && !tells_flags {
                    items.push(MessageDataItem::Flags(fetch_flags(&flags)));
                }
                if newly_seen {
                    seen.push((u, flags));
                } else if tells_flags {
                    told.push((u, flags));
                }
                self.enqueue_data(Data::Fetch {
                    seq: nonzero(seq),
                    items: Vec1::unvalidated(items),
                });
            }
        }
        for (u, flags) in told {
            self.told_flags(u, &flags);
        }
        for (u, flags) in seen {
            store.set_flags(&user, &folder, u, flags.clone());
            self.told_flags(u, &flags);
            self.out.push(Output::FlagsStored {
                folder: folder.clone(),
                uid: u,
                flags,
            });
        }
        Done::ok("Fetch completed.")
    }

    /// One data item of one message; retrievals of content are recorded.
    fn item(
        &mut self,
        name: &MessageDataItemName<'static>,
        message: &MessageView<'_>,
        flags: &BTreeSet<String>,
        folder: &str,
    ) -> MessageDataItem<'static> {
        let eml = message.eml;
        let mut retrieved = |label: String, whole: bool, data: &[u8]| {
            self.out.push(Output::Fetched(Fetched {
                folder: folder.to_string(),
                uid: message.uid,
                section: label,
                whole,
                data: data.to_vec(),
            }));
            nstring(data)
        };
        match name {
            MessageDataItemName::Flags => MessageDataItem::Flags(fetch_flags(flags)),
            MessageDataItemName::Uid => MessageDataItem::Uid(nonzero(message.uid)),
            MessageDataItemName::Rfc822Size => {
                MessageDataItem::Rfc822Size(u32::try_from(message.size).unwrap_or(u32::MAX))
            }
            MessageDataItemName::InternalDate => {
                MessageDataItem::InternalDate(super::dates::internal_date(message.internal_date))
            }
            MessageDataItemName::Envelope => {
                MessageDataItem::Envelope(super::envelope::envelope(eml))
            }
            MessageDataItemName::Rfc822 => {
                MessageDataItem::Rfc822(retrieved("RFC822".into(), true, eml))
            }
            MessageDataItemName::Rfc822Header => {
                let header = &eml[..header_end(eml)];
                MessageDataItem::Rfc822Header(retrieved("RFC822.HEADER".into(), false, header))
            }
            MessageDataItemName::BodyStructure => {
                MessageDataItem::BodyStructure(body_structure(eml))
            }
            MessageDataItemName::Body => MessageDataItem::Body(body_structure(eml)),
            MessageDataItemName::Rfc822Text => {
                let text = &eml[header_end(eml)..];
                MessageDataItem::Rfc822Text(retrieved("RFC822.TEXT".into(), false, text))
            }
            MessageDataItemName::BodyExt {
                section, partial, ..
            } => {
                let content = section_bytes(eml, section.as_ref());
                let label = section_label(section.as_ref());
                let (origin, data) = match partial {
                    Some((origin, length)) => {
                        let start = (*origin as usize).min(content.len());
                        let end = start
                            .saturating_add(length.get() as usize)
                            .min(content.len());
                        (Some(*origin), content[start..end].to_vec())
                    }
                    None => (None, content),
                };
                let whole = section.is_none() && partial.is_none();
                let shown = match origin {
                    Some(o) => format!("BODY[{label}]<{o}>"),
                    None => format!("BODY[{label}]"),
                };
                MessageDataItem::BodyExt {
                    section: section.clone(),
                    origin,
                    data: retrieved(shown, whole, &data),
                }
            }
            // Refused before any message is looked at.
            _ => MessageDataItem::Uid(nonzero(message.uid)),
        }
    }
}

/// The name of an item this server does not serve, if it is one.
fn unsupported(name: &MessageDataItemName<'_>) -> Option<&'static str> {
    match name {
        MessageDataItemName::Binary { .. } => Some("BINARY"),
        MessageDataItemName::BinarySize { .. } => Some("BINARY.SIZE"),
        MessageDataItemName::Body
        | MessageDataItemName::BodyStructure
        | MessageDataItemName::BodyExt { .. }
        | MessageDataItemName::Envelope
        | MessageDataItemName::Flags
        | MessageDataItemName::InternalDate
        | MessageDataItemName::Rfc822
        | MessageDataItemName::Rfc822Header
        | MessageDataItemName::Rfc822Size
        | MessageDataItemName::Rfc822Text
        | MessageDataItemName::Uid => None,
        #[allow(unreachable_patterns)]
        _ => Some("of this item"),
    }
}

/// Items whose fetching marks the message read (RFC 9051 section 6.4.5).
fn sets_seen(name: &MessageDataItemName<'_>) -> bool {
    matches!(
        name,
        MessageDataItemName::BodyExt { peek: false, .. }
            | MessageDataItemName::Rfc822
            | MessageDataItemName::Rfc822Text
    )
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Content as a literal, the way servers send message data. A NUL, which
/// no IMAP literal may hold without BINARY, goes out as a space.
fn nstring(data: &[u8]) -> NString<'static> {
    let literal = Literal::try_from(data.to_vec()).unwrap_or_else(|_| {
        let clean: Vec<u8> = data
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect();
        Literal::unvalidated(clean)
    });
    NString(Some(IString::Literal(literal)))
}

/// Where the header ends: after the empty line, or the whole message if
/// it has none.
pub(super) fn header_end(eml: &[u8]) -> usize {
    if let Some(at) = eml.windows(4).position(|w| w == b"\r\n\r\n") {
        return at + 4;
    }
    eml.windows(2)
        .position(|w| w == b"\n\n")
        .map_or(eml.len(), |at| at + 2)
}

/// The bytes a section names; empty for a part the message does not
/// have (as Dovecot answers), or HEADER and TEXT of a part that is not an
/// attached message.
fn section_bytes(eml: &[u8], section: Option<&Section<'_>>) -> Vec<u8> {
    let end = header_end(eml);
    // The header and text of the message, or of the attached message
    // that part `p` is.
    let message = |p: Option<&Part>| match p {
        None => Some((0..end, end..eml.len())),
        Some(p) => part(eml, p.0.as_ref()).and_then(|span| span.message),
    };
    match section {
        None => eml.to_vec(),
        Some(Section::Part(p)) => {
            part(eml, p.0.as_ref()).map_or_else(Vec::new, |s| eml[s.body].to_vec())
        }
        Some(Section::Mime(p)) => {
            part(eml, p.0.as_ref()).map_or_else(Vec::new, |s| eml[s.header].to_vec())
        }
        Some(Section::Header(p)) => {
            message(p.as_ref()).map_or_else(Vec::new, |(h, _)| eml[h].to_vec())
        }
        Some(Section::Text(p)) => {
            message(p.as_ref()).map_or_else(Vec::new, |(_, t)| eml[t].to_vec())
        }
        Some(Section::HeaderFields(p, names)) => message(p.as_ref())
            .map_or_else(Vec::new, |(h, _)| {
                header_fields(&eml[h], names.as_ref(), true)
            }),
        Some(Section::HeaderFieldsNot(p, names)) => message(p.as_ref())
            .map_or_else(Vec::new, |(h, _)| {
                header_fields(&eml[h], names.as_ref(), false)
            }),
    }
}

/// The header fields named (or, with `keep` false, all others), each with
/// its folded lines, then the empty line.
fn header_fields(header: &[u8], names: &[AString<'_>], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut taking = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            let field = line.split(|&b| b == b':').next().unwrap_or_default();
            let field = field.trim_ascii();
            let named = names.iter().any(|n| n.as_ref().eq_ignore_ascii_case(field));
            taking = named == keep;
        }
        if taking {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn section_label(section: Option<&Section<'_>>) -> String {
    let names = |names: &Vec1<AString<'_>>| {
        names
            .as_ref()
            .iter()
            .map(|n| String::from_utf8_lossy(n.as_ref()).to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let number = |p: &Part| {
        p.0.as_ref()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(".")
    };
    let prefix = |p: &Option<Part>| {
        p.as_ref()
            .map(|p| format!("{}.", number(p)))
            .unwrap_or_default()
    };
    match section {
        None => String::new(),
        Some(Section::Part(p)) => number(p),
        Some(Section::Mime(p)) => format!("{}.MIME", number(p)),
        Some(Section::Header(p)) => format!("{}HEADER", prefix(p)),
        Some(Section::Text(p)) => format!("{}TEXT", prefix(p)),
        Some(Section::HeaderFields(p, n)) => format!("{}HEADER.FIELDS ({})", prefix(p), names(n)),
        Some(Section::HeaderFieldsNot(p, n)) => {
            format!("{}HEADER.FIELDS.NOT ({})", prefix(p), names(n))
        }
    }
}
