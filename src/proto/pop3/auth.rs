//! AUTH PLAIN for POP3 (RFC 5034 with the PLAIN mechanism of RFC 4616),
//! the one SASL mechanism this server offers, and only where USER/PASS
//! would be allowed too.
//!
//! ```text
//! C: AUTH PLAIN AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=    (initial response)
//! S: +OK bob@friend.test's maildrop has 2 messages (56 octets)
//! C: AUTH PLAIN
//! S: +                                              (an empty challenge)
//! C: AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=
//! ```
//!
//! A response of `*` cancels (RFC 5034 section 4); `=` is an empty
//! initial response.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// What a PLAIN response carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// The client sent `*`.
    Cancelled,
    /// Not base64, or not `authzid NUL authcid NUL passwd`.
    Undecodable,
    Credentials {
        authz: String,
        user: String,
        password: String,
    },
}

/// Reads a PLAIN response (initial or after `+ `).
pub fn plain(response: &str) -> Plain {
    if response == "*" {
        return Plain::Cancelled;
    }
    let bytes = if response == "=" {
        Vec::new()
    } else {
        match B64.decode(response) {
            Ok(bytes) => bytes,
            Err(_) => return Plain::Undecodable,
        }
    };
    match crate::proto::sasl::plain(&bytes) {
        Some(p) => Plain::Credentials {
            authz: p.authz,
            user: p.user,
            password: p.password,
        },
        None => Plain::Undecodable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_plain_is_authz_nul_user_nul_password() {
        assert_eq!(
            plain(&B64.encode("\0bob@friend.test\0sec ret")),
            Plain::Credentials {
                authz: String::new(),
                user: "bob@friend.test".into(),
                password: "sec ret".into()
            }
        );
        assert_eq!(plain("*"), Plain::Cancelled);
        assert_eq!(plain("="), Plain::Undecodable);
        assert_eq!(plain("not base64!"), Plain::Undecodable);
        assert_eq!(plain(&B64.encode("two\0parts")), Plain::Undecodable);
        assert_eq!(plain(&B64.encode("a\0b\0c\0d")), Plain::Undecodable);
        assert_eq!(plain(&B64.encode("\0\0pw")), Plain::Undecodable);
        assert_eq!(plain(&B64.encode(b"\0u\0\xff")), Plain::Undecodable);
        assert_eq!(
            plain(&B64.encode("\0bob\r\n+OK forged\0pw")),
            Plain::Undecodable
        );
    }
}
