//! SASL PLAIN (RFC 4616), as the SMTP, POP3 and IMAP servers read it once
//! each protocol has taken the response off its own framing (base64 in a
//! line for SMTP and POP3, a decoded AUTHENTICATE response for IMAP).
//!
//! The message is `authzid NUL authcid NUL passwd`: exactly three parts,
//! each UTF-8 (RFC 4616 section 2), a login name that is not empty, and no
//! control characters in the two names, since servers echo them in their
//! answers and logs (a name carrying CRLF would forge a line).

/// What a PLAIN response carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plain {
    /// Who to act as; empty for "the login itself".
    pub authz: String,
    /// The login name.
    pub user: String,
    pub password: String,
}

/// Reads `authzid NUL authcid NUL passwd`; `None` when it is not that.
pub fn plain(bytes: &[u8]) -> Option<Plain> {
    let mut parts = bytes.split(|&b| b == 0);
    let (Some(authz), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    let name = |b: &[u8]| text(b).filter(|t| !t.chars().any(char::is_control));
    let (authz, user, password) = (name(authz)?, name(user)?, text(password)?);
    (!user.is_empty()).then_some(Plain {
        authz,
        user,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_plain_is_three_utf8_parts_with_a_login_name() {
        assert_eq!(
            plain(b"\0bob@friend.test\0sec ret"),
            Some(Plain {
                authz: String::new(),
                user: "bob@friend.test".into(),
                password: "sec ret".into(),
            })
        );
        assert_eq!(
            plain(b"admin\0bob\0pw").map(|p| p.authz),
            Some("admin".into())
        );
        assert_eq!(
            plain("\0joão\0senha çá".as_bytes()).map(|p| p.user),
            Some("joão".into())
        );
        for bad in [
            &b"two\0parts"[..],
            b"a\0b\0c\0d",
            b"\0\0pw",
            b"\0u\0\xff",
            b"\0bob\r\n+OK forged\0pw",
            b"",
        ] {
            assert_eq!(plain(bad), None, "{bad:?}");
        }
    }
}
