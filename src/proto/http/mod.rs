//! HTTP/1.1 (RFC 9112), the server's side, as much as account setup needs:
//! one request per connection, answered and closed.
//!
//! A mail client setting up an account asks its provider's web server for a
//! file (`GET /mail/config-v1.1.xml`) or posts a small XML question
//! (Autodiscover). [`Server`] reads the request head with httparse (the
//! parser under hyper) and a body announced by `Content-Length`, hands the
//! request to a [`Site`] that decides the answer, and writes the response
//! with `Connection: close`. The date comes in as text, as in every engine.
//!
//! Strict and bounded: a head over [`MAX_HEAD`] bytes or with more than
//! [`MAX_HEADERS`] fields gets 431, a body over [`MAX_BODY`] 413, a body in
//! chunks 501 (nothing here needs one), a request without `Host` 400
//! (RFC 9112 section 3.2), and anything httparse cannot read 400.
//!
//! ```text
//! C: GET /mail/config-v1.1.xml?emailaddress=ana%40example.test HTTP/1.1
//! C: host: autoconfig.example.test
//! C:
//! S: HTTP/1.1 200 OK
//! S: Date: Mon, 05 Jan 2026 09:00:00 GMT
//! S: Content-Type: application/xml; charset=utf-8
//! S: Content-Length: 1035
//! S: Connection: close
//! S:
//! S: <?xml version="1.0" encoding="UTF-8"?>
//! ```

mod server;
#[cfg(test)]
mod tests;

pub use server::{MAX_BODY, MAX_HEAD, MAX_HEADERS, Output, Server};

/// A request, as the site sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without its `?`, if there was one.
    pub query: Option<String>,
    /// The `Host` field, lowercased, without a port.
    pub host: String,
    pub body: Vec<u8>,
}

/// What a site answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `Content-Type`, when there is a body.
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// For 405: the methods the path allows.
    pub allow: Option<&'static str>,
}

impl Response {
    /// A response with a body of `content_type`.
    pub fn with(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type,
            body,
            allow: None,
        }
    }

    /// An error page in plain text: its reason phrase (`Not Found`). The
    /// code is on the status line only, so no line of the body reads like
    /// a reply code to a view that scans a conversation for one.
    pub fn error(status: u16) -> Self {
        let body = format!("{}\n", reason(status)).into_bytes();
        Response::with(status, "text/plain; charset=utf-8", body)
    }
}

/// What a web server publishes: the answer to each request.
pub trait Site {
    fn answer(&self, request: &Request) -> Response;
}

/// The reason phrase of a status code (RFC 9110 section 15).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        _ => "Unknown",
    }
}
