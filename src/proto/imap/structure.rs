//! A message's MIME structure, for BODYSTRUCTURE and BODY (RFC 9051
//! section 7.5.2) and for body parts by number (`BODY[1]`, `BODY[2.MIME]`,
//! `BODY[2.HEADER]` of an attached message): what a mail client such as
//! Thunderbird asks before it downloads a part.
//!
//! mail-parser reads the MIME tree; each part keeps where its header and
//! its body sit in the stored bytes, so a part is served octet for octet
//! as stored (still in its transfer encoding, as IMAP wants). An attached
//! message (`message/rfc822`) is read again from its own bytes, so its
//! parts are numbered inside it (`2.1`). Part numbers follow RFC 9051: the
//! parts of a multipart count from 1; a message that is not multipart has
//! one part, `1`, its body.

use std::num::NonZeroU32;
use std::ops::Range;

use imap_codec::imap_types::{
    body::{BasicFields, Body, BodyStructure, SpecificFields},
    core::{IString, NString, Vec1},
};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::envelope::envelope;

/// How deep attached messages and multiparts are followed; deeper parts
/// show as opaque bytes.
const MAX_DEPTH: usize = 16;

/// One MIME part: where it sits and what it says it is.
#[derive(Debug, Clone)]
struct Node {
    /// Its MIME header, in the bytes the tree was read from.
    header: Range<usize>,
    body: Range<usize>,
    ctype: String,
    subtype: String,
    params: Vec<(String, String)>,
    id: Option<String>,
    description: Option<String>,
    encoding: String,
    children: Vec<Node>,
    /// For `message/rfc822`: the attached message's root part, read from
    /// `body` (its ranges are already absolute).
    nested: Option<Box<Node>>,
}

/// The MIME tree of `eml`, offsets shifted by `base`.
fn tree(eml: &[u8], base: usize, depth: usize) -> Option<Node> {
    let message = MessageParser::default().parse(eml)?;
    Some(node(&message, 0, eml, base, depth))
}

fn node(message: &Message<'_>, id: usize, eml: &[u8], base: usize, depth: usize) -> Node {
    let part = &message.parts[id];
    let at = |offset: u32| (offset as usize).min(eml.len());
    let (h, b, e) = (
        at(part.offset_header),
        at(part.offset_body),
        at(part.offset_end),
    );
    let (h, b) = (h.min(b), b.min(e));
    let content = part.content_type();
    let (ctype, subtype) = match content {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("plain").to_ascii_lowercase(),
        ),
        None => ("text".into(), "plain".into()),
    };
    let mut params: Vec<(String, String)> = content
        .and_then(|ct| ct.attributes())
        .map(|attrs| {
            attrs
                .iter()
                .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                .collect()
        })
        .unwrap_or_default();
    if content.is_none() {
        params.push(("charset".into(), "us-ascii".into()));
    }
    let mut out = Node {
        header: base + h..base + b,
        body: base + b..base + e,
        ctype,
        subtype,
        params,
        id: part.content_id().map(str::to_string),
        description: part.content_description().map(str::to_string),
        encoding: part
            .content_transfer_encoding()
            .unwrap_or("7bit")
            .to_ascii_lowercase(),
        children: Vec::new(),
        nested: None,
    };
    if depth >= MAX_DEPTH {
        return out;
    }
    match &part.body {
        PartType::Multipart(ids) => {
            out.children = ids
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| i < message.parts.len() && i != id)
                .map(|i| node(message, i, eml, base, depth + 1))
                .collect();
        }
        PartType::Message(_) if out.ctype == "message" => {
            out.nested = tree(&eml[b..e], base + b, depth + 1).map(Box::new);
        }
        _ => {}
    }
    out
}

/// BODYSTRUCTURE (and BODY, the same without extension data, which this
/// server never sends) of a stored message.
pub(super) fn body_structure(eml: &[u8]) -> BodyStructure<'static> {
    match tree(eml, 0, 0) {
        Some(root) => structure(&root, eml),
        None => plain_text(eml),
    }
}

fn structure(node: &Node, eml: &[u8]) -> BodyStructure<'static> {
    if node.ctype == "multipart" {
        let bodies: Vec<BodyStructure<'static>> =
            node.children.iter().map(|c| structure(c, eml)).collect();
        if let Ok(bodies) = Vec1::try_from(bodies) {
            return BodyStructure::Multi {
                bodies,
                subtype: istring(&node.subtype),
                extension_data: None,
            };
        }
    }
    let body = &eml[node.body.clone()];
    let lines = u32::try_from(body.iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX);
    let specific = match (&node.ctype[..], &node.nested) {
        ("text", _) => SpecificFields::Text {
            subtype: istring(&node.subtype),
            number_of_lines: lines,
        },
        ("message", Some(nested)) if node.subtype == "rfc822" => SpecificFields::Message {
            envelope: Box::new(envelope(body)),
            body_structure: Box::new(structure(nested, eml)),
            number_of_lines: lines,
        },
        _ => SpecificFields::Basic {
            r#type: istring(&node.ctype),
            subtype: istring(&node.subtype),
        },
    };
    BodyStructure::Single {
        body: Body {
            basic: BasicFields {
                parameter_list: node
                    .params
                    .iter()
                    .map(|(k, v)| (istring(k), istring(v)))
                    .collect(),
                id: nstring(node.id.as_deref()),
                description: nstring(node.description.as_deref()),
                content_transfer_encoding: istring(&node.encoding),
                size: u32::try_from(body.len()).unwrap_or(u32::MAX),
            },
            specific,
        },
        extension_data: None,
    }
}

/// What a message mail-parser cannot read is: plain text.
fn plain_text(eml: &[u8]) -> BodyStructure<'static> {
    let start = super::fetch::header_end(eml);
    let node = Node {
        header: 0..start,
        body: start..eml.len(),
        ctype: "text".into(),
        subtype: "plain".into(),
        params: vec![("charset".into(), "us-ascii".into())],
        id: None,
        description: None,
        encoding: "7bit".into(),
        children: Vec::new(),
        nested: None,
    };
    structure(&node, eml)
}

/// Where part `path` is: its MIME header and its body.
pub(super) struct Span {
    pub header: Range<usize>,
    pub body: Range<usize>,
    /// For an attached message: its own header and text.
    pub message: Option<(Range<usize>, Range<usize>)>,
}

/// Finds part `path` (`[2, 1]` for `2.1`), if the message has it.
pub(super) fn part(eml: &[u8], path: &[NonZeroU32]) -> Option<Span> {
    let root = tree(eml, 0, 0)?;
    let mut at = &root;
    for (depth, n) in path.iter().enumerate() {
        let index = n.get() as usize - 1;
        // Inside an attached message, numbering starts at its root.
        let scope = match (&at.nested, depth) {
            (Some(nested), d) if d > 0 => nested,
            _ => at,
        };
        at = if scope.ctype == "multipart" {
            scope.children.get(index)?
        } else if index == 0 && (depth == 0 || !std::ptr::eq(scope, at)) {
            scope
        } else {
            return None;
        };
    }
    Some(Span {
        header: at.header.clone(),
        body: at.body.clone(),
        message: at
            .nested
            .as_ref()
            .map(|n| (n.header.clone(), n.body.clone())),
    })
}

fn istring(text: &str) -> IString<'static> {
    IString::try_from(text.to_string()).unwrap_or_else(|_| {
        IString::try_from(text.chars().filter(|c| !c.is_control()).collect::<String>())
            .unwrap_or_else(|_| IString::try_from("").expect("an empty string is a valid IString"))
    })
}

fn nstring(text: Option<&str>) -> NString<'static> {
    match text {
        Some(t) if !t.is_empty() => NString(Some(istring(t))),
        _ => NString::NIL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_codec::encode::Encoder;
    use imap_codec::imap_types::fetch::MessageDataItem;

    fn shown(eml: &[u8]) -> String {
        let item = MessageDataItem::BodyStructure(body_structure(eml));
        let bytes = imap_codec::ResponseCodec::default()
            .encode(&imap_codec::imap_types::response::Response::Data(
                imap_codec::imap_types::response::Data::Fetch {
                    seq: NonZeroU32::MIN,
                    items: Vec1::from(item),
                },
            ))
            .dump();
        String::from_utf8(bytes).unwrap()
    }

    const PLAIN: &[u8] = b"From: a@x.test\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nline one\r\nline two\r\n";

    const MIXED: &[u8] = b"From: a@x.test\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@y.test\r\nSubject: original\r\n\r\nHello\r\n--B--\r\n";

    #[test]
    fn a_plain_message_is_one_text_part_with_its_size_and_lines() {
        assert_eq!(
            shown(PLAIN),
            "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 20 2))\r\n"
        );
        let span = part(PLAIN, &[NonZeroU32::MIN]).expect("part 1 is the body");
        assert_eq!(&PLAIN[span.body], b"line one\r\nline two\r\n");
        assert!(part(PLAIN, &[NonZeroU32::new(2).unwrap()]).is_none());
    }

    #[test]
    fn a_bounce_is_a_multipart_report_with_the_original_message_inside() {
        let text = shown(MIXED);
        assert!(text.contains("\"report\")"), "{text}");
        assert!(
            text.contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7bit\" 42 (NIL \"original\""),
            "{text}"
        );
        assert!(
            text.contains("\"original\""),
            "the attached message's envelope: {text}"
        );
        let n = |v: u32| NonZeroU32::new(v).unwrap();
        let first = part(MIXED, &[n(1)]).unwrap();
        // The CRLF before a boundary belongs to the boundary (RFC 2046).
        assert_eq!(&MIXED[first.body], b"It failed.");
        assert_eq!(&MIXED[first.header], b"Content-Type: text/plain\r\n\r\n");
        let attached = part(MIXED, &[n(3)]).unwrap();
        let (header, text) = attached.message.expect("an attached message");
        assert!(MIXED[header].starts_with(b"From: b@y.test\r\n"));
        assert_eq!(&MIXED[text], b"Hello");
        let inner = part(MIXED, &[n(3), n(1)]).expect("3.1: the attached message's body");
        assert_eq!(&MIXED[inner.body], b"Hello");
        assert!(part(MIXED, &[n(4)]).is_none());
        assert!(part(MIXED, &[n(1), n(1)]).is_none());
    }

    #[test]
    fn anything_gets_a_structure_that_imap_codec_writes() {
        for eml in [
            &b""[..],
            b"\r\n",
            b"no header at all",
            b"Content-Type: multipart/mixed\r\n\r\nno parts",
        ] {
            let text = shown(eml);
            assert!(text.starts_with("* 1 FETCH (BODYSTRUCTURE ("), "{text}");
        }
    }
}
