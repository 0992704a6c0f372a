//! The ENVELOPE of a message (RFC 9051 section 7.5.2): its header fields
//! as a mail client lists them, read with mail-parser. Dates, subjects and
//! message ids are given as written (encoded words stay encoded); names in
//! addresses are decoded by the parser, so a name outside ASCII is encoded
//! again as an RFC 2047 word.

use base64::Engine as _;
use imap_codec::imap_types::{
    core::{IString, NString},
    envelope::{Address, Envelope},
};
use mail_parser::{Address as Parsed, MessageParser};

/// The envelope of a stored message; all NIL for one the parser cannot
/// read.
pub(super) fn envelope(eml: &[u8]) -> Envelope<'static> {
    let Some(message) = MessageParser::new().parse_headers(eml) else {
        return Envelope {
            date: NString::NIL,
            subject: NString::NIL,
            from: Vec::new(),
            sender: Vec::new(),
            reply_to: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            in_reply_to: NString::NIL,
            message_id: NString::NIL,
        };
    };
    let raw = |name: &str| nstring(message.header_raw(name).map(unfold));
    let from = addresses(message.from());
    // Sender and Reply-To default to From (RFC 9051 section 7.5.2).
    let or_from = |list: Vec<Address<'static>>| if list.is_empty() { from.clone() } else { list };
    Envelope {
        date: raw("Date"),
        subject: raw("Subject"),
        sender: or_from(addresses(message.sender())),
        reply_to: or_from(addresses(message.reply_to())),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        bcc: addresses(message.bcc()),
        in_reply_to: raw("In-Reply-To"),
        message_id: raw("Message-ID"),
        from,
    }
}

/// A header value on one line, without the space after the colon.
fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "")
        .replace('\n', "")
        .trim()
        .to_string()
}

fn nstring(value: Option<String>) -> NString<'static> {
    match value {
        Some(v) if !v.is_empty() => IString::try_from(v).map_or(NString::NIL, |s| NString(Some(s))),
        _ => NString::NIL,
    }
}

/// An address list; a group becomes its start marker (NIL NIL "name"
/// NIL), its members and its end marker (all NIL).
fn addresses(parsed: Option<&Parsed<'_>>) -> Vec<Address<'static>> {
    let mut out = Vec::new();
    match parsed {
        None => {}
        Some(Parsed::List(list)) => {
            out.extend(
                list.iter()
                    .map(|a| address(a.name.as_deref(), a.address.as_deref())),
            );
        }
        Some(Parsed::Group(groups)) => {
            for group in groups {
                let named = group.name.is_some();
                if named {
                    out.push(Address {
                        name: NString::NIL,
                        adl: NString::NIL,
                        mailbox: nstring(group.name.as_deref().map(str::to_string)),
                        host: NString::NIL,
                    });
                }
                out.extend(
                    group
                        .addresses
                        .iter()
                        .map(|a| address(a.name.as_deref(), a.address.as_deref())),
                );
                if named {
                    out.push(Address {
                        name: NString::NIL,
                        adl: NString::NIL,
                        mailbox: NString::NIL,
                        host: NString::NIL,
                    });
                }
            }
        }
    }
    out
}

fn address(name: Option<&str>, address: Option<&str>) -> Address<'static> {
    let (mailbox, host) = match address.and_then(|a| a.rsplit_once('@')) {
        Some((local, host)) => (Some(local.to_string()), Some(host.to_string())),
        None => (address.map(str::to_string), None),
    };
    let name = name.filter(|n| !n.is_empty()).map(|n| {
        if n.is_ascii() {
            n.to_string()
        } else {
            let encoded = base64::engine::general_purpose::STANDARD.encode(n);
            format!("=?UTF-8?B?{encoded}?=")
        }
    });
    Address {
        name: nstring(name),
        adl: NString::NIL,
        mailbox: nstring(mailbox),
        host: nstring(host),
    }
}
