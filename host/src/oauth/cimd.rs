//! Client ID metadata documents: a client whose id is an https URL is
//! described by the JSON document at that URL. Fetching someone else's URL
//! from the server is a request forgery risk, so the fetch is bounded:
//! https only, no redirects, every resolved address public (loopback only
//! with `cimd_allow_loopback`) and the connection pinned to the checked
//! address, [`MAX_DOCUMENT`] bytes and [`FETCH_TIMEOUT`] at most. The
//! document's `client_id` must be its URL, and it authenticates with `none`
//! (PKCE only). Documents are cached for their `Cache-Control: max-age`, at
//! most [`MAX_CACHE`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use reqwest::Url;
use serde::Deserialize;

use super::clients::{Client, Source, check_redirect_uri};
use crate::config::{OAuthServerConfig, SCOPES};

/// The largest document accepted.
pub const MAX_DOCUMENT: usize = 64 * 1024;
/// How long a fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a document without `max-age` is cached.
const DEFAULT_CACHE: Duration = Duration::from_secs(300);
/// The longest a document is cached, whatever it says.
pub const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);
/// The most documents cached at once.
const MAX_CACHED: usize = 1024;

/// Fetches and caches metadata documents.
pub struct Fetcher {
    allow_loopback: bool,
    roots: Vec<reqwest::Certificate>,
    cache: Mutex<HashMap<String, (Client, Instant)>>,
}

/// The fields of a metadata document that matter here.
#[derive(Deserialize)]
struct Document {
    client_id: String,
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
}

impl Fetcher {
    /// A fetcher trusting the system's roots plus `cimd_ca_file`'s.
    pub fn new(config: &OAuthServerConfig) -> anyhow::Result<Self> {
        let roots = match &config.cimd_ca_file {
            None => Vec::new(),
            Some(file) => {
                let pem = std::fs::read(file)
                    .with_context(|| format!("cannot read `oauth_server.cimd_ca_file` {}", file.display()))?;
                reqwest::Certificate::from_pem_bundle(&pem)
                    .with_context(|| format!("`oauth_server.cimd_ca_file` {} is not a PEM bundle", file.display()))?
            }
        };
        Ok(Self { allow_loopback: config.cimd_allow_loopback, roots, cache: Mutex::default() })
    }

    /// The client the document at `url` describes.
    pub async fn client(&self, url: &str) -> Result<Client, String> {
        if let Some((client, until)) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(url)
            && *until > Instant::now()
        {
            return Ok(client.clone());
        }
        let (client, max_age) = self.fetch(url).await?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        cache.retain(|_, (_, until)| *until > now);
        if !max_age.is_zero() && cache.len() < MAX_CACHED {
            cache.insert(url.to_string(), (client.clone(), now + max_age));
        }
        Ok(client)
    }

    async fn fetch(&self, id: &str) -> Result<(Client, Duration), String> {
        let url = Url::parse(id).map_err(|_| "the client id is not a URL".to_string())?;
        if url.scheme() != "https" || url.path() == "/" || url.fragment().is_some() || !url.username().is_empty() {
            return Err("a client id URL must be https, with a path, and no fragment or user".into());
        }
        let host = url.host_str().ok_or("the client id URL has no host")?.trim_matches(['[', ']']).to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let address = self.resolve(&host, port).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .resolve(&host, address);
        for root in &self.roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let http = builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let response = http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("fetching {id} failed: {}", without_url(&e)))?;
        if !response.status().is_success() {
            return Err(format!("{id} answered HTTP {} (redirects are not followed)", response.status().as_u16()));
        }
        let max_age = cache_lifetime(response.headers());
        if response.content_length().is_some_and(|n| n > MAX_DOCUMENT as u64) {
            return Err(format!("the document is larger than {MAX_DOCUMENT} bytes"));
        }
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| format!("reading {id} failed: {}", without_url(&e)))?;
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(format!("the document is larger than {MAX_DOCUMENT} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let document: Document =
            serde_json::from_slice(&body).map_err(|e| format!("the document is not client metadata: {e}"))?;
        Ok((client_of(id, document)?, max_age))
    }

    /// The address to connect to: every address `host` resolves to must be
    /// public (or loopback, when allowed); the first is used.
    async fn resolve(&self, host: &str, port: u16) -> Result<SocketAddr, String> {
        let addresses: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
        let first = *addresses.first().ok_or_else(|| format!("{host} resolves to no address"))?;
        for address in &addresses {
            let ip = address.ip();
            if !(is_public(ip) || (self.allow_loopback && ip.is_loopback())) {
                return Err(format!(
                    "{host} resolves to {ip}, a private address; client metadata is only fetched from public hosts"
                ));
            }
        }
        Ok(first)
    }
}

/// The client a document describes, if it is one this server accepts.
fn client_of(id: &str, document: Document) -> Result<Client, String> {
    if document.client_id != id {
        return Err(format!("its `client_id` is `{}`, not its own URL", document.client_id));
    }
    match document.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some(other) => return Err(format!("`token_endpoint_auth_method` is `{other}`; only `none` is accepted here")),
    }
    if document.redirect_uris.is_empty() {
        return Err("it lists no `redirect_uris`".into());
    }
    for uri in &document.redirect_uris {
        check_redirect_uri(uri).map_err(|why| format!("redirect URI `{uri}` {why}"))?;
    }
    let host = Url::parse(id).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
    Ok(Client {
        id: id.to_string(),
        name: document.client_name.map(|n| n.chars().take(100).collect()).unwrap_or(host),
        redirect_uris: document.redirect_uris,
        presets: false,
        secret_sha256: None,
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        source: Source::Metadata,
        used: true,
        registered_ms: 0,
    })
}

/// How long a response may be cached: its `max-age`, capped; zero for
/// `no-store` or `no-cache`.
fn cache_lifetime(headers: &reqwest::header::HeaderMap) -> Duration {
    let Some(value) = headers.get(reqwest::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) else {
        return DEFAULT_CACHE;
    };
    let mut lifetime = DEFAULT_CACHE;
    for directive in value.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache") {
            return Duration::ZERO;
        }
        if let Some(secs) = directive.strip_prefix("max-age=").and_then(|s| s.parse::<u64>().ok()) {
            lifetime = Duration::from_secs(secs);
        }
    }
    lifetime.min(MAX_CACHE)
}

/// Whether `ip` is a public unicast address.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || first == 0x2001 && v6.segments()[1] == 0xdb8)
            }
        },
    }
}

/// A reqwest error without the URL it repeats.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn cache_lifetimes_follow_cache_control_within_the_cap() {
        let headers = |value: &str| {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(reqwest::header::CACHE_CONTROL, value.parse().unwrap());
            h
        };
        assert_eq!(cache_lifetime(&headers("public, max-age=60")), Duration::from_secs(60));
        assert_eq!(cache_lifetime(&headers("max-age=99999999")), MAX_CACHE);
        assert_eq!(cache_lifetime(&headers("no-store")), Duration::ZERO);
        assert_eq!(cache_lifetime(&reqwest::header::HeaderMap::new()), DEFAULT_CACHE);
    }

    #[test]
    fn a_document_must_name_itself_and_be_a_public_client() {
        let id = "https://app.example/client.json";
        let document = |client_id: &str, method: Option<&str>| Document {
            client_id: client_id.into(),
            client_name: Some("App".into()),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            token_endpoint_auth_method: method.map(String::from),
        };
        let client = client_of(id, document(id, None)).unwrap();
        assert_eq!((client.name.as_str(), client.source, client.secret_sha256), ("App", Source::Metadata, None));
        assert!(client_of(id, document("https://other.example/c.json", None)).unwrap_err().contains("not its own URL"));
        assert!(client_of(id, document(id, Some("client_secret_basic"))).unwrap_err().contains("only `none`"));
    }

    #[tokio::test]
    async fn a_private_host_is_refused_before_any_connection() {
        let config = OAuthServerConfig::with_defaults("https://as.example".into()).unwrap();
        let fetcher = Fetcher::new(&config).unwrap();
        let error = fetcher.client("https://127.0.0.1:1/client.json").await.unwrap_err();
        assert!(error.contains("private address"), "{error}");
        let error = fetcher.client("http://app.example/client.json").await.unwrap_err();
        assert!(error.contains("must be https"), "{error}");
    }
}
