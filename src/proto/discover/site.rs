//! A provider's web server as mail clients and servers see it: the
//! autoconfig file at its two paths, Autodiscover's answer, the domain's
//! MTA-STS policy, or 404 Not Found.

use super::{autoconfig, autodiscover};
use crate::policy::mta_sts;
use crate::proto::http::{Request, Response, Site};
use crate::scenario::Web;

/// Where Thunderbird asks for the file: `https://autoconfig.<domain>` + the
/// first, `https://<domain>` + the second.
pub const AUTOCONFIG_PATHS: [&str; 2] = [
    "/mail/config-v1.1.xml",
    "/.well-known/autoconfig/mail/config-v1.1.xml",
];

/// Where Autodiscover questions are posted (matched without regard to case,
/// as IIS does).
pub const AUTODISCOVER_PATH: &str = "/autodiscover/autodiscover.xml";

/// What one node's web server publishes, for the mail domains it serves.
pub struct Provider<'a> {
    pub web: &'a Web,
    /// The domains named in the autoconfig file (its `emailProvider`).
    pub domains: &'a [String],
}

impl Site for Provider<'_> {
    fn answer(&self, request: &Request) -> Response {
        let method = request.method.as_str();
        if AUTOCONFIG_PATHS.contains(&request.path.as_str()) {
            if !matches!(method, "GET" | "HEAD") {
                return not_allowed("GET, HEAD");
            }
            return match &self.web.autoconfig {
                Some(settings) => Response::with(
                    200,
                    "application/xml; charset=utf-8",
                    autoconfig::write(settings, self.domains).into_bytes(),
                ),
                None => Response::error(404),
            };
        }
        if request.path == mta_sts::POLICY_PATH {
            if !matches!(method, "GET" | "HEAD") {
                return not_allowed("GET, HEAD");
            }
            let web = self.web;
            return match (&web.mta_sts_text, &web.mta_sts) {
                (Some(text), _) => {
                    Response::with(200, mta_sts::MEDIA_TYPE, text.clone().into_bytes())
                }
                (None, Some(policy)) => {
                    Response::with(200, mta_sts::MEDIA_TYPE, policy.text().into_bytes())
                }
                (None, None) => Response::error(404),
            };
        }
        if request.path.eq_ignore_ascii_case(AUTODISCOVER_PATH) {
            if method != "POST" {
                return not_allowed("POST");
            }
            let Some(settings) = &self.web.autodiscover else {
                return Response::error(404);
            };
            let question = String::from_utf8_lossy(&request.body);
            return match autodiscover::read_request(&question) {
                Some(address) => Response::with(
                    200,
                    "text/xml; charset=utf-8",
                    autodiscover::response(settings, &address).into_bytes(),
                ),
                None => Response::error(400),
            };
        }
        Response::error(404)
    }
}

fn not_allowed(allow: &'static str) -> Response {
    Response {
        allow: Some(allow),
        ..Response::error(405)
    }
}
