//! DKIM signing and ARC sealing at a given (virtual) time, from mail-auth's
//! public pieces.
//!
//! mail-auth 0.13.3 stamps `t=` from the wall clock in `DkimSigner::sign`
//! and `ArcSealer::seal`, and has no public entry point that takes a time.
//! `t=` cannot be rewritten afterwards: the signature header itself (with
//! `b=` empty) is the last input to `b=` (RFC 6376 section 3.7), and an ARC
//! seal signs the message signature's `b=` (RFC 8617 section 5.1.1). So
//! [`dkim_sign_at`] is mail-auth's private `sign_stream`, line for line,
//! built from public pieces (a unit test holds it equal to `sign` at the
//! same `t=`), and [`arc_reseal_at`] signs a sealed set again at `now`.

use mail_auth::{
    AuthenticatedMessage, Error,
    arc::ArcSet,
    common::{
        crypto::{Sha256, SigningKey},
        headers::{HeaderStream, HeaderWriter, Writable, Writer},
    },
    dkim::{Canonicalization, DkimSigner, Done, Signature, canonicalize::CanonicalHeaders},
};

/// `DkimSigner::sign` with `t=` = `now` (mail-auth's private `sign_stream`,
/// line for line, 0.13.3 src/dkim/sign.rs).
pub(super) fn dkim_sign_at<T: SigningKey>(
    signer: &DkimSigner<T, Done>,
    message: &AuthenticatedMessage<'_>,
    now: u64,
) -> mail_auth::Result<Signature> {
    // mail-auth's HeaderIterator is pub(crate); HeaderStream is public.
    struct Parsed<'x> {
        headers: std::slice::Iter<'x, (&'x [u8], &'x [u8])>,
        body: &'x [u8],
    }
    impl<'x> HeaderStream<'x> for Parsed<'x> {
        fn next_header(&mut self) -> Option<(&'x [u8], &'x [u8])> {
            self.headers.next().copied()
        }
        fn body(&mut self) -> &'x [u8] {
            self.body
        }
    }
    let stream = Parsed {
        headers: message.headers.iter(),
        body: &message.raw_message[message.body_offset as usize..],
    };
    let (body_len, headers, signed_headers, body) = signer.template.canonicalize(stream);
    if signed_headers.is_empty() {
        return Err(Error::NoHeadersFound);
    }
    let mut sig = signer.template.clone();
    sig.bh = signer.key.hash(body).as_ref().to_vec();
    sig.t = now;
    sig.x = if sig.x > 0 { now + sig.x } else { 0 };
    sig.h = signed_headers;
    if sig.l > 0 {
        sig.l = body_len as u64;
    }
    struct Signable<'a> {
        headers: CanonicalHeaders<'a>,
        sig: &'a Signature,
    }
    impl Writable for Signable<'_> {
        fn write(self, w: &mut impl Writer) {
            self.headers.write(w);
            self.sig.write(w, false);
        }
    }
    sig.b = signer.key.sign(Signable { headers, sig: &sig })?;
    Ok(sig)
}

/// Header fields of a block of text: (name, raw value after ':' with CRLF).
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.to_string(), v.to_string()));
        }
    }
    out
}

/// The value with the b= tag's value removed (RFC 6376 3.7 / RFC 8617 5.1.1).
fn without_b(value: &str) -> String {
    value
        .split(';')
        .map(|tag| match tag.find("b=") {
            Some(at) if tag[..at].trim().is_empty() => &tag[..at + 2],
            _ => tag,
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn relaxed(name: &str, value: &str, crlf: bool, out: &mut Vec<u8>) {
    let mut buf = Vec::new();
    Canonicalization::Relaxed
        .canonicalize_headers([(name.as_bytes(), value.as_bytes())].into_iter(), &mut buf);
    if !crlf && buf.ends_with(b"\r\n") {
        buf.truncate(buf.len() - 2);
    }
    out.extend_from_slice(&buf);
}

/// After `ArcSealer::seal` (which stamps the wall clock), put `now` into the
/// AMS and AS `t=` and sign both again. Only relaxed header canonicalization
/// for the AMS (the sealer's default).
pub(super) fn arc_reseal_at<K: SigningKey<Hasher = Sha256>>(
    key: &K,
    message: &AuthenticatedMessage<'_>,
    set: &mut ArcSet<'_>,
    now: u64,
) -> mail_auth::Result<()> {
    if set.signature.ch != Canonicalization::Relaxed {
        return Err(Error::MissingParameters);
    }
    set.signature.t = now;
    set.seal.t = now;
    set.signature.b.clear();
    set.seal.b.clear();

    // AMS: the message's headers named in h=, then the AMS itself without b=.
    let picked: Vec<(&[u8], &[u8])> = message
        .headers
        .iter()
        .filter(|(n, _)| {
            set.signature
                .h
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h.as_bytes()))
        })
        .copied()
        .collect();
    let mut input = Vec::new();
    set.signature.ch.canonical_headers(picked).write(&mut input);
    let text = set.to_header(); // ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results
    let f = fields(&text);
    let [_, ams, _] = f.as_slice() else {
        return Err(Error::NoHeadersFound);
    };
    relaxed(&ams.0, &without_b(&ams.1), false, &mut input);
    set.signature.b = key.sign(input.as_slice())?;

    // AS: every earlier set (AAR, AMS, AS), then this AAR, AMS, and the AS without b=.
    let mut input = Vec::new();
    // (ArcOutput::set is private; the parsed message has the same headers, sorted by i.)
    let earlier = message
        .aar_headers
        .iter()
        .zip(&message.ams_headers)
        .zip(&message.as_headers);
    for ((aar, ams), seal) in earlier {
        for (n, v) in [
            (aar.name, aar.value),
            (ams.name, ams.value),
            (seal.name, seal.value),
        ] {
            Canonicalization::Relaxed.canonicalize_headers([(n, v)].into_iter(), &mut input);
        }
    }
    let text = set.to_header();
    let f = fields(&text);
    let [seal, ams, aar] = f.as_slice() else {
        return Err(Error::NoHeadersFound);
    };
    relaxed(&aar.0, &aar.1, true, &mut input);
    relaxed(&ams.0, &ams.1, true, &mut input);
    relaxed(&seal.0, &without_b(&seal.1), false, &mut input);
    set.seal.b = key.sign(input.as_slice())?;
    Ok(())
}
