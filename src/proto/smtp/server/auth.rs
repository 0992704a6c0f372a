//! SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN, the two
//! mechanisms real clients use over TLS.
//!
//! ```text
//! C: AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==     (initial response)
//! S: 235 2.7.0 Authentication successful
//! C: AUTH LOGIN
//! S: 334 VXNlcm5hbWU6                            ("Username:")
//! C: YWxpY2VAaG9tZS50ZXN0
//! S: 334 UGFzc3dvcmQ6                            ("Password:")
//! C: cHc=
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Waiting for the client's answer to a `334` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    Plain,
    LoginUser,
    LoginPassword { user: String },
}

/// What an AUTH command or answer leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send `334 prompt` and wait in this state.
    Challenge(AuthState, &'static str),
    /// The client sent `*`.
    Aborted,
    /// The answer was not base64, or not in the mechanism's shape.
    Undecodable,
    /// Credentials to check.
    Done {
        mechanism: &'static str,
        authz: String,
        user: String,
        password: String,
    },
}

const USERNAME: &str = "VXNlcm5hbWU6";
const PASSWORD: &str = "UGFzc3dvcmQ6";

impl AuthState {
    /// `AUTH PLAIN [initial]`. RFC 4954: `=` is an empty initial response;
    /// nothing means "send a challenge".
    pub fn plain(initial: &str) -> Step {
        match initial {
            "" => Step::Challenge(AuthState::Plain, ""),
            "=" => plain_credentials(b""),
            text => decode(text).map_or(Step::Undecodable, |b| plain_credentials(&b)),
        }
    }

    /// `AUTH LOGIN [user]`.
    pub fn login(initial: &str) -> Step {
        match initial {
            "" => Step::Challenge(AuthState::LoginUser, USERNAME),
            text => match decode(text) {
                Some(user) => {
                    Step::Challenge(AuthState::LoginPassword { user: lossy(&user) }, PASSWORD)
                }
                None => Step::Undecodable,
            },
        }
    }

    /// The client's answer line to a challenge.
    pub fn step(&self, line: &[u8]) -> Step {
        if line == b"*" {
            return Step::Aborted;
        }
        let Some(bytes) = decode(&lossy(line)) else {
            return Step::Undecodable;
        };
        match self {
            AuthState::Plain => plain_credentials(&bytes),
            AuthState::LoginUser => Step::Challenge(
                AuthState::LoginPassword {
                    user: lossy(&bytes),
                },
                PASSWORD,
            ),
            AuthState::LoginPassword { user } => Step::Done {
                mechanism: "LOGIN",
                authz: String::new(),
                user: user.clone(),
                password: lossy(&bytes),
            },
        }
    }
}

/// `authzid NUL authcid NUL passwd` (RFC 4616 section 2).
fn plain_credentials(bytes: &[u8]) -> Step {
    match crate::proto::sasl::plain(bytes) {
        Some(p) => Step::Done {
            mechanism: "PLAIN",
            authz: p.authz,
            user: p.user,
            password: p.password,
        },
        None => Step::Undecodable,
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim()).ok()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(authz: &str, user: &str, password: &str, mechanism: &'static str) -> Step {
        Step::Done {
            mechanism,
            authz: authz.into(),
            user: user.into(),
            password: password.into(),
        }
    }

    #[test]
    fn plain_with_an_initial_response() {
        let token = B64.encode("\0alice@home.test\0pw");
        assert_eq!(
            AuthState::plain(&token),
            done("", "alice@home.test", "pw", "PLAIN")
        );
        let proxy = B64.encode("bob@home.test\0alice@home.test\0pw");
        assert_eq!(
            AuthState::plain(&proxy),
            done("bob@home.test", "alice@home.test", "pw", "PLAIN")
        );
    }

    #[test]
    fn plain_without_initial_response_is_challenged() {
        let Step::Challenge(state, "") = AuthState::plain("") else {
            panic!("expected a challenge");
        };
        let token = B64.encode("\0u\0p");
        assert_eq!(state.step(token.as_bytes()), done("", "u", "p", "PLAIN"));
        assert_eq!(state.step(b"*"), Step::Aborted);
        assert_eq!(state.step(b"!!"), Step::Undecodable);
        assert_eq!(
            state.step(B64.encode("only-two\0parts").as_bytes()),
            Step::Undecodable
        );
    }

    #[test]
    fn login_asks_for_user_then_password() {
        let Step::Challenge(state, USERNAME) = AuthState::login("") else {
            panic!("expected the username prompt");
        };
        let Step::Challenge(state, PASSWORD) = state.step(B64.encode("u").as_bytes()) else {
            panic!("expected the password prompt");
        };
        assert_eq!(
            state.step(B64.encode("p").as_bytes()),
            done("", "u", "p", "LOGIN")
        );
    }
}
