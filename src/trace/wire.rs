//! The wire chunk event's payload: the bytes an observer of a link saw,
//! held once in memory and written to JSON the way traces always had them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize, Serializer};

use super::{Dir, Observed};

/// What [`Event::Wire`] records.
///
/// The chunk's bytes are held once, in `data`: wire chunks are a large
/// share of a big run's memory. The JSON carries them twice, as it always
/// has: `data` as base64 (for exports such as pcap) and, for a cleartext
/// chunk, `observed.text` as lossy UTF-8. Both are written from `data`, in
/// the order `conn, dir, len, data, observed`; reading JSON back checks
/// that `len` and `text` agree with `data`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "wire_json::WireIn")]
pub struct Wire {
    pub conn: String,
    pub dir: Dir,
    /// How many bytes: `data.len()`.
    pub len: usize,
    /// The bytes themselves (base64 in JSON).
    pub data: Box<[u8]>,
    pub observed: Observed,
}

impl Wire {
    /// What an observer reads in a cleartext chunk: its bytes as lossy
    /// UTF-8 (borrowed when they are valid UTF-8). `None` for TLS records.
    pub fn observed_text(&self) -> Option<Cow<'_, str>> {
        match self.observed {
            Observed::Text => Some(String::from_utf8_lossy(&self.data)),
            Observed::Tls { .. } => None,
        }
    }
}

impl Serialize for Wire {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        wire_json::WireOut {
            conn: &self.conn,
            dir: self.dir,
            len: self.len,
            data: wire_json::Base64(&self.data),
            observed: match &self.observed {
                Observed::Text => wire_json::ObservedOut::Text {
                    text: String::from_utf8_lossy(&self.data),
                },
                Observed::Tls { records } => wire_json::ObservedOut::Tls { records },
            },
        }
        .serialize(serializer)
    }
}

/// The JSON shape of a [`Wire`], which repeats what the struct holds once.
mod wire_json {
    use std::borrow::Cow;

    use base64::Engine as _;
    use base64::display::Base64Display;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Serialize, Serializer};

    use super::Wire;
    use crate::trace::{Dir, Observed, TlsRecord};

    /// Bytes written as standard base64, straight into the output.
    pub struct Base64<'a>(pub &'a [u8]);

    impl Serialize for Base64<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&Base64Display::new(self.0, &STANDARD))
        }
    }

    #[derive(Serialize)]
    #[serde(rename = "Wire")]
    pub struct WireOut<'a> {
        pub conn: &'a str,
        pub dir: Dir,
        pub len: usize,
        pub data: Base64<'a>,
        pub observed: ObservedOut<'a>,
    }

    #[derive(Serialize)]
    #[serde(rename = "Observed", tag = "as", rename_all = "snake_case")]
    pub enum ObservedOut<'a> {
        Text { text: Cow<'a, str> },
        Tls { records: &'a [TlsRecord] },
    }

    #[derive(Deserialize)]
    #[serde(rename = "Wire")]
    pub struct WireIn {
        conn: String,
        dir: Dir,
        len: usize,
        data: String,
        observed: ObservedIn,
    }

    #[derive(Deserialize)]
    #[serde(rename = "Observed", tag = "as", rename_all = "snake_case")]
    enum ObservedIn {
        Text { text: String },
        Tls { records: Vec<TlsRecord> },
    }

    impl TryFrom<WireIn> for Wire {
        type Error = String;

        fn try_from(json: WireIn) -> Result<Wire, String> {
            let data = STANDARD
                .decode(&json.data)
                .map_err(|e| format!("wire {}: data is not base64: {e}", json.conn))?
                .into_boxed_slice();
            if json.len != data.len() {
                return Err(format!(
                    "wire {}: len is {} but data holds {} bytes",
                    json.conn,
                    json.len,
                    data.len()
                ));
            }
            let observed = match json.observed {
                ObservedIn::Text { text } => {
                    if text != String::from_utf8_lossy(&data) {
                        return Err(format!(
                            "wire {}: observed text is not data read as UTF-8",
                            json.conn
                        ));
                    }
                    Observed::Text
                }
                ObservedIn::Tls { records } => Observed::Tls { records },
            };
            Ok(Wire {
                conn: json.conn,
                dir: json.dir,
                len: json.len,
                data,
                observed,
            })
        }
    }
}
