//! The commands a syncing mail client sends, as imap-types values that
//! imap-codec writes (so every one is well-formed IMAP), and the reading of
//! the parts of the server's answers the client acts on.
//!
//! ```text
//! a1 CAPABILITY
//! a2 STARTTLS
//! a3 LOGIN bob@friend.test secret            a3 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=
//! a4 SELECT INBOX
//! a5 UID SEARCH ALL                          (after IDLE: UID SEARCH UID 8:*)
//! a6 UID FETCH 3:5,7 (UID FLAGS RFC822.SIZE BODY.PEEK[])
//! a7 UID STORE 3:5,7 +FLAGS.SILENT (\Seen)
//! a8 UID MOVE 4 Junk
//! a9 APPEND Sent (\Seen) {310+}
//! a10 IDLE  …  DONE
//! a11 LOGOUT
//! ```

use std::borrow::Cow;
use std::collections::BTreeSet;

use imap_codec::encode::Encoder;
use imap_codec::{GreetingCodec, ResponseCodec};
use imap_next::imap_types::auth::AuthMechanism;
use imap_next::imap_types::command::CommandBody;
use imap_next::imap_types::core::{Literal, Vec1};
use imap_next::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_next::imap_types::fetch::{MessageDataItem, MessageDataItemName};
use imap_next::imap_types::flag::{Flag, FlagFetch, StoreResponse, StoreType};
use imap_next::imap_types::mailbox::Mailbox;
use imap_next::imap_types::response::{Greeting, Response, Status};
use imap_next::imap_types::search::SearchKey;
use imap_next::imap_types::sequence::SequenceSet;

use crate::proto::fetch::Failure;

/// `LOGIN user password`: the password crosses as written.
pub(super) fn login(user: &str, password: &str) -> Result<CommandBody<'static>, Failure> {
    CommandBody::login(user.to_owned(), password.to_owned()).map_err(|_| Failure::Unwritable {
        what: "the user name or password as an IMAP string".into(),
    })
}

/// `AUTHENTICATE PLAIN` (RFC 4616: no authorization identity, the user,
/// the password), with the response on the command line when the server
/// announces SASL-IR (RFC 4959), else after its `+`.
pub(super) fn authenticate_plain(with_ir: bool, token: &[u8]) -> CommandBody<'static> {
    if with_ir {
        CommandBody::authenticate_with_ir(AuthMechanism::Plain, token.to_vec())
    } else {
        CommandBody::authenticate(AuthMechanism::Plain)
    }
}

/// The SASL PLAIN message: `\0user\0password`.
pub(super) fn plain_token(user: &str, password: &str) -> Vec<u8> {
    format!("\0{user}\0{password}").into_bytes()
}

pub(super) fn select(folder: &str) -> Result<CommandBody<'static>, Failure> {
    CommandBody::select(folder.to_owned()).map_err(|_| unwritable_folder(folder))
}

/// `UID SEARCH ALL`, or `UID SEARCH UID n:*` for what arrived after UID
/// `n - 1`.
pub(super) fn search(from: Option<u32>) -> Result<CommandBody<'static>, Failure> {
    let key = match from {
        None => SearchKey::All,
        Some(from) => SearchKey::Uid(sequence(&format!("{from}:*"))?),
    };
    Ok(CommandBody::search(None, Vec1::from(key), true))
}

/// `UID FETCH set (UID FLAGS RFC822.SIZE BODY.PEEK[])`: the whole message
/// without setting `\Seen` (the plan decides that).
pub(super) fn fetch(uids: &BTreeSet<u32>) -> Result<CommandBody<'static>, Failure> {
    let items = vec![
        MessageDataItemName::Uid,
        MessageDataItemName::Flags,
        MessageDataItemName::Rfc822Size,
        MessageDataItemName::BodyExt {
            section: None,
            partial: None,
            peek: true,
        },
    ];
    CommandBody::fetch(uid_set(uids)?, items, true).map_err(|_| bad_set())
}

/// `UID STORE set +FLAGS.SILENT (\Seen)`: the client already knows the
/// flags it set, so it asks for no FETCH back.
pub(super) fn store_seen(uids: &BTreeSet<u32>) -> Result<CommandBody<'static>, Failure> {
    CommandBody::store(
        uid_set(uids)?,
        StoreType::Add,
        StoreResponse::Silent,
        vec![Flag::Seen],
        true,
    )
    .map_err(|_| bad_set())
}

/// `UID MOVE set folder` (RFC 6851).
pub(super) fn r#move(uids: &BTreeSet<u32>, folder: &str) -> Result<CommandBody<'static>, Failure> {
    Ok(CommandBody::Move {
        sequence_set: uid_set(uids)?,
        mailbox: mailbox(folder)?,
        uid: true,
    })
}

/// `APPEND folder (\Seen) {n}`: a sent copy, already read. A
/// non-synchronizing literal (`{n+}`, RFC 7888) when the server announces
/// LITERAL+, else the client waits for the server's `+` before the message.
pub(super) fn append(
    folder: &str,
    message: &[u8],
    literal_plus: bool,
) -> Result<CommandBody<'static>, Failure> {
    let literal = Literal::try_from(message.to_vec()).map_err(|_| Failure::Unwritable {
        what: "the message as an IMAP literal (it holds a NUL byte)".into(),
    })?;
    let literal = if literal_plus {
        literal.into_non_sync()
    } else {
        literal
    };
    Ok(CommandBody::Append {
        mailbox: mailbox(folder)?,
        flags: vec![Flag::Seen],
        date: None,
        message: LiteralOrLiteral8::Literal(literal),
    })
}

/// A set of UIDs written as ranges: `3:5,7`.
fn uid_set(uids: &BTreeSet<u32>) -> Result<SequenceSet, Failure> {
    let mut text = String::new();
    let mut run: Option<(u32, u32)> = None;
    let flush = |run: (u32, u32), text: &mut String| {
        if !text.is_empty() {
            text.push(',');
        }
        if run.0 == run.1 {
            text.push_str(&run.0.to_string());
        } else {
            text.push_str(&format!("{}:{}", run.0, run.1));
        }
    };
    for &uid in uids {
        run = match run {
            Some((first, last)) if last.checked_add(1) == Some(uid) => Some((first, uid)),
            Some(done) => {
                flush(done, &mut text);
                Some((uid, uid))
            }
            None => Some((uid, uid)),
        };
    }
    if let Some(done) = run {
        flush(done, &mut text);
    }
    sequence(&text)
}

fn sequence(text: &str) -> Result<SequenceSet, Failure> {
    SequenceSet::try_from(text).map_err(|_| bad_set())
}

fn bad_set() -> Failure {
    Failure::Unwritable {
        what: "that set of UIDs (UID 0 does not exist)".into(),
    }
}

fn mailbox(folder: &str) -> Result<Mailbox<'static>, Failure> {
    Mailbox::try_from(folder.to_owned()).map_err(|_| unwritable_folder(folder))
}

fn unwritable_folder(folder: &str) -> Failure {
    Failure::Unwritable {
        what: format!("the folder name {folder:?}"),
    }
}

/// What one FETCH response says about a message.
#[derive(Default)]
pub(super) struct FetchItems {
    pub uid: Option<u32>,
    pub flags: Option<Vec<String>>,
    pub size: Option<u32>,
    /// `BODY[]`: the whole message, when it came.
    pub body: Option<Vec<u8>>,
}

impl FetchItems {
    pub fn read(items: Vec1<MessageDataItem<'static>>) -> Self {
        let mut read = FetchItems::default();
        for item in items.into_inner() {
            match item {
                MessageDataItem::Uid(uid) => read.uid = Some(uid.get()),
                MessageDataItem::Flags(flags) => {
                    read.flags = Some(flags.iter().map(flag_text).collect());
                }
                MessageDataItem::Rfc822Size(size) => read.size = Some(size),
                MessageDataItem::BodyExt {
                    section: None,
                    origin: None,
                    data,
                } => read.body = data.0.map(|s| s.into_inner().into_owned()),
                _ => {}
            }
        }
        read
    }
}

/// A flag as IMAP writes it: `\Seen`, `$Junk`, `\Recent`.
fn flag_text(flag: &FlagFetch<'_>) -> String {
    match flag {
        FlagFetch::Flag(flag) => flag.to_string(),
        FlagFetch::Recent => "\\Recent".into(),
    }
}

/// The server's words in a status response, as imap-codec writes them
/// back, less the tag and the line end: `NO [AUTHENTICATIONFAILED]
/// Authentication failed.`, `BYE Shutting down`.
pub(super) fn said(status: &Status<'static>) -> String {
    let bytes = ResponseCodec::default()
        .encode(&Response::Status(status.clone()))
        .dump();
    without_tag(&bytes)
}

/// The words of a greeting, less the `*`: `BYE Too many connections`.
pub(super) fn greeting_said(greeting: &Greeting<'static>) -> String {
    without_tag(&GreetingCodec::default().encode(greeting).dump())
}

fn without_tag(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    match text.split_once(' ') {
        Some((_, rest)) => rest.to_owned(),
        None => text.to_owned(),
    }
}

/// A capability as the client compares it: upper case, as written
/// (`IMAP4REV1`, `AUTH=PLAIN`, `LITERAL+`).
pub(super) fn capability_name(capability: &impl ToString) -> String {
    capability.to_string().to_ascii_uppercase()
}

/// The raw bytes of a SASL token, for AUTHENTICATE's continuation.
pub(super) fn token_data(token: &[u8]) -> Cow<'static, [u8]> {
    Cow::Owned(token.to_vec())
}
