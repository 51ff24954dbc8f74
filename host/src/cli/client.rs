//! The admin API over HTTP: one request per call, the admin key as a
//! sensitive bearer header, and every way a request can fail turned into a
//! [`CliError`] that says what to do.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

/// The URL of a host on the default HTTP listener (`http.bind`, 127.0.0.1:8808).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8808";

/// How long to wait for the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for an answer (starting a server waits for its process).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum CliError {
    /// The command line or the environment is wrong (exit 2).
    Usage(String),
    /// No admin API answered at the URL (exit 2).
    Unreachable(String),
    /// The admin API refused or failed the operation (exit 1).
    Api {
        /// The answer's status.
        status: StatusCode,
        /// The API's error code (`not_found`, `unauthorized`, …).
        code: String,
        /// What the API said.
        message: String,
    },
    /// The operation ran but did not end as asked, e.g. a server that failed to start (exit 1).
    Failed(String),
    /// The host answered, and the answer is a failure (a tool error, an
    /// unhealthy server): `out` is still printed on stdout, `why` on stderr (exit 1).
    Answered {
        /// What goes to stdout, as for a success.
        out: String,
        /// What went wrong.
        why: String,
    },
}

impl CliError {
    /// The process's exit code: 1 for a refused or failed operation, 2 when
    /// no admin API could be asked.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Api { .. } | CliError::Failed(_) | CliError::Answered { .. } => 1,
            CliError::Usage(_) | CliError::Unreachable(_) => 2,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Unreachable(m) | CliError::Failed(m) => f.write_str(m),
            CliError::Answered { why, .. } => f.write_str(why),
            CliError::Api { status, code, message } => {
                write!(f, "{message} (HTTP {}, {code})", status.as_u16())?;
                if *status == StatusCode::UNAUTHORIZED {
                    write!(
                        f,
                        "\nset ADMIN_API_KEY (or --admin-key) to one of the host's admin keys: its ADMIN_API_KEY or `[admin] keys`"
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// An error answer: the admin API's `{"error": {"code", "message"}}`, or the
/// shared HTTP guards' `{"error", "error_description"}` (rate limit, Host check).
#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorAnswer {
    Admin { error: ErrorDetail },
    Guard { error: String, error_description: String },
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// A client of one host's admin API.
pub struct Client {
    base: Url,
    key: Option<HeaderValue>,
    http: reqwest::Client,
}

impl Client {
    /// A client of the admin API at `url`, sending `key` (if any) as a bearer token.
    pub fn new(url: &str, key: Option<&str>) -> Result<Client, CliError> {
        let base = Url::parse(url).map_err(|e| {
            CliError::Usage(format!(
                "`{url}` is not a URL ({e}); --url or PORTCULLIS_URL takes one such as {DEFAULT_URL}"
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(CliError::Usage(format!(
                "`{}` is not an http:// or https:// URL; --url or PORTCULLIS_URL takes one such as {DEFAULT_URL}",
                shown(&base)
            )));
        }
        let key = match key.filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    CliError::Usage(
                        "the admin key has characters an HTTP header cannot carry (check ADMIN_API_KEY)".into(),
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        if key.is_some() && base.scheme() == "http" && !is_loopback(&base) {
            eprintln!(
                "portcullis: warning: sending the admin key unencrypted to {}; use an https:// URL for a host on another machine",
                shown(&base)
            );
        }
        let mut http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // The admin API never redirects; following one could hand the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("portcullis-cli/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&base) {
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| CliError::Usage(format!("cannot set up an HTTP client: {e}")))?;
        Ok(Client { base, key, http })
    }

    /// The host's URL as it may be shown (without any password in it).
    pub fn url(&self) -> String {
        shown(&self.base)
    }

    /// `GET /api/v1/<segments>`: the answer's body.
    pub async fn get(&self, segments: &[&str]) -> Result<String, CliError> {
        self.send(Method::GET, segments, &[], None, None).await
    }

    /// `GET /api/v1/<segments>?<query>`: the answer's body.
    pub async fn get_query(&self, segments: &[&str], query: &[(&str, String)]) -> Result<String, CliError> {
        self.send(Method::GET, segments, query, None, None).await
    }

    /// `GET /api/v1/<segments>`, taking an answer of status `also` (a route
    /// that answers its own body with an error status, as a server's health
    /// does with 503) as an answer rather than an error.
    pub async fn get_also(&self, segments: &[&str], also: StatusCode) -> Result<String, CliError> {
        self.send(Method::GET, segments, &[], None, Some(also)).await
    }

    /// `POST /api/v1/<segments>` with no body: the answer's body.
    pub async fn post(&self, segments: &[&str]) -> Result<String, CliError> {
        self.send(Method::POST, segments, &[], None, None).await
    }

    /// `POST /api/v1/<segments>` with a JSON body: the answer's body.
    pub async fn post_json(&self, segments: &[&str], body: &serde_json::Value) -> Result<String, CliError> {
        self.send(Method::POST, segments, &[], Some(body), None).await
    }

    /// `DELETE /api/v1/<segments>`: the answer's body (empty for 204).
    pub async fn delete(&self, segments: &[&str]) -> Result<String, CliError> {
        self.send(Method::DELETE, segments, &[], None, None).await
    }

    /// The URL of `/api/v1/<segments>`, each segment percent-encoded.
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(["api", "v1"])
            .extend(segments);
        url
    }

    /// The one way every request is sent and its answer read: the body of a
    /// success (or of status `also`), else the API's error as a [`CliError`].
    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        json: Option<&serde_json::Value>,
        also: Option<StatusCode>,
    ) -> Result<String, CliError> {
        let mut endpoint = self.endpoint(segments);
        if !query.is_empty() {
            endpoint.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.http.request(method, endpoint.clone());
        if let Some(key) = &self.key {
            request = request.header(AUTHORIZATION, key.clone());
        }
        if let Some(json) = json {
            request = request.json(json);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() || Some(status) == also {
            return Ok(body);
        }
        match serde_json::from_str::<ErrorAnswer>(&body) {
            Ok(ErrorAnswer::Admin { error }) => Err(CliError::Api { status, code: error.code, message: error.message }),
            Ok(ErrorAnswer::Guard { error, error_description }) => {
                Err(CliError::Api { status, code: error, message: error_description })
            }
            Err(_) => Err(CliError::Unreachable(format!(
                "{} answered HTTP {status} without the admin API's JSON error; is {} a Portcullis host? \
                 Point the CLI at one with --url or PORTCULLIS_URL",
                shown(&endpoint),
                self.url()
            ))),
        }
    }

    fn unreachable(&self, error: &reqwest::Error) -> CliError {
        let mut cause: &dyn std::error::Error = error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        let what = match () {
            _ if error.is_timeout() => format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
            _ => cause.to_string(),
        };
        CliError::Unreachable(format!(
            "cannot reach the admin API at {}: {what}\nis `portcullis serve --http` running there? \
             Point the CLI at another host with --url or PORTCULLIS_URL (default {DEFAULT_URL})",
            self.url()
        ))
    }

    /// Parses an answer's body as `T`; one that does not parse is not the admin API's.
    pub fn parse<T: serde::de::DeserializeOwned>(&self, body: &str) -> Result<T, CliError> {
        serde_json::from_str(body).map_err(|e| {
            CliError::Unreachable(format!(
                "the answer from {} is not the admin API's JSON ({e}); is it a Portcullis host of this version?",
                self.url()
            ))
        })
    }
}

/// `url` without its password.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_password(None);
    url.to_string().trim_end_matches('/').to_string()
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_a_path_prefix_and_encode_names() {
        let client = Client::new("http://127.0.0.1:8808", None).unwrap();
        assert_eq!(
            client.endpoint(&["servers", "a/b", "stop"]).as_str(),
            "http://127.0.0.1:8808/api/v1/servers/a%2Fb/stop"
        );
        let proxied = Client::new("https://ops.example/portcullis/", None).unwrap();
        assert_eq!(proxied.endpoint(&["health"]).as_str(), "https://ops.example/portcullis/api/v1/health");
    }

    #[test]
    fn bad_urls_and_keys_are_usage_errors_that_do_not_echo_the_key() {
        for url in ["127.0.0.1:8808", "ftp://host/", "not a url"] {
            let Err(e) = Client::new(url, None) else { panic!("{url} was taken") };
            assert_eq!(e.exit_code(), 2, "{e}");
        }
        let Err(e) = Client::new(DEFAULT_URL, Some("secret\nvalue")) else { panic!("a newline in a key was taken") };
        assert_eq!(e.exit_code(), 2);
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn passwords_in_urls_are_not_shown() {
        let client = Client::new("http://user:hunter2@localhost:8808/", None).unwrap();
        assert_eq!(client.url(), "http://user@localhost:8808");
    }

    #[test]
    fn the_default_url_is_the_default_listener() {
        let bind = crate::config::HttpConfig::default().bind;
        assert_eq!(DEFAULT_URL, format!("http://{bind}"));
    }
}
