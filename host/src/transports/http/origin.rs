//! Host and Origin validation, the guard against DNS rebinding: a web page
//! whose name an attacker re-points at 127.0.0.1 sends its own name as `Host`
//! and its own `Origin`, and both are refused (403) unless allowed.

use std::sync::Arc;

use anyhow::{Result, bail};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

use super::reject;
use crate::config::HttpConfig;

/// An allowed `Host`: a name (or IP) and, optionally, the only port allowed.
#[derive(Debug, PartialEq)]
enum HostRule {
    Any,
    Name { host: String, port: Option<u16> },
}

/// An allowed `Origin`.
#[derive(Debug, PartialEq)]
enum OriginRule {
    Any,
    /// The `null` origin of sandboxed documents and `file:` pages.
    Null,
    /// A scheme and host, on one port or (`None`) any port.
    Site {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

/// The allowlists from `[http]`: `allowed_hosts`, and `allowed_origins`
/// together with `cors_origins`.
#[derive(Debug)]
pub struct OriginPolicy {
    hosts: Vec<HostRule>,
    origins: Vec<OriginRule>,
}

/// Middleware: refuses (403) a request whose `Host` or `Origin` is not allowed.
pub async fn check(State(policy): State<Arc<OriginPolicy>>, request: Request, next: Next) -> Response {
    match policy.verdict(request.uri(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(why) => {
            tracing::warn!("refused an HTTP request: {why}");
            reject(StatusCode::FORBIDDEN, "forbidden", why)
        }
    }
}

impl OriginPolicy {
    /// Parses the allowlists; an entry that cannot be understood is an error naming its key.
    pub fn new(config: &HttpConfig) -> Result<Self> {
        let hosts = config.allowed_hosts.iter().map(|h| parse_host_rule(h)).collect::<Result<_>>()?;
        let origins = config
            .allowed_origins
            .iter()
            .map(|o| ("http.allowed_origins", o))
            .chain(config.cors_origins.iter().map(|o| ("http.cors_origins", o)))
            .map(|(key, o)| parse_origin_rule(key, o))
            .collect::<Result<_>>()?;
        Ok(Self { hosts, origins })
    }

    /// Why the request must be refused, if it must.
    fn verdict(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), String> {
        let authority = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))
            .ok_or("the request has no Host header")?;
        let (host, port) =
            split_authority(authority).ok_or_else(|| format!("Host `{authority}` is not a valid host"))?;
        if !self.hosts.iter().any(|rule| rule.allows(&host, port)) {
            return Err(format!("Host `{authority}` is not allowed; an operator can add it to `http.allowed_hosts`"));
        }
        let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().map_err(|_| "the Origin header is not text".to_string())?;
        if self.origins.iter().any(|rule| rule.allows(origin)) {
            return Ok(());
        }
        Err(format!(
            "Origin `{origin}` is not allowed; an operator can add it to `http.allowed_origins` (or `http.cors_origins` for browser clients)"
        ))
    }
}

impl HostRule {
    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        match self {
            HostRule::Any => true,
            HostRule::Name { host: allowed, port: allowed_port } => {
                allowed == host && allowed_port.is_none_or(|p| Some(p) == port)
            }
        }
    }
}

impl OriginRule {
    fn allows(&self, origin: &str) -> bool {
        match self {
            OriginRule::Any => true,
            OriginRule::Null => origin == "null",
            OriginRule::Site { scheme, host, port } => parse_origin(origin).is_some_and(|(s, h, p)| {
                &s == scheme && &h == host && port.is_none_or(|allowed| Some(allowed) == p.or_else(|| default_port(&s)))
            }),
        }
    }
}

/// Splits `host[:port]` (IPv6 in brackets) into a lower-case host without
/// brackets and the port.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else if authority.matches(':').count() > 1 {
        (authority, None) // a bare IPv6 address
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = port.map(|p| p.parse::<u16>()).transpose().ok()?;
    Some((host.to_ascii_lowercase(), port))
}

fn parse_host_rule(entry: &str) -> Result<HostRule> {
    if entry.trim() == "*" {
        return Ok(HostRule::Any);
    }
    match split_authority(entry) {
        Some((host, port)) => Ok(HostRule::Name { host, port }),
        None => bail!("`http.allowed_hosts` has an entry that is not a host or host:port: `{entry}`"),
    }
}

/// Splits an origin (`scheme://host[:port]`) into its lower-case scheme, host
/// (IPv6 without brackets) and explicit port.
fn parse_origin(origin: &str) -> Option<(String, String, Option<u16>)> {
    let uri: Uri = origin.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let (host, port) = split_authority(uri.authority()?.as_str())?;
    Some((scheme, host, port))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

fn parse_origin_rule(key: &str, entry: &str) -> Result<OriginRule> {
    match entry.trim() {
        "*" => return Ok(OriginRule::Any),
        "null" => return Ok(OriginRule::Null),
        _ => {}
    }
    let (site, any_port) = match entry.trim().strip_suffix(":*") {
        Some(site) => (site, true),
        None => (entry.trim(), false),
    };
    let Some((scheme, host, port)) = parse_origin(site) else {
        bail!(
            "`{key}` has an entry that is not an origin such as `https://app.example.com` or `http://localhost:*`: `{entry}`"
        )
    };
    let port = if any_port { None } else { port.or_else(|| default_port(&scheme)) };
    Ok(OriginRule::Site { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        let config = HttpConfig { cors_origins: vec!["https://chatgpt.com".into()], ..HttpConfig::default() };
        OriginPolicy::new(&config).unwrap()
    }

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn loopback_hosts_and_origins_pass_by_default() {
        let policy = policy();
        let uri = Uri::from_static("/mcp");
        for (host, origin) in [
            ("127.0.0.1:8808", None),
            ("localhost", Some("http://localhost:3000")),
            ("[::1]:9", Some("http://[::1]:9")),
            ("LOCALHOST:1", Some("https://127.0.0.1")),
            ("127.0.0.1:8808", Some("https://chatgpt.com")),
        ] {
            assert_eq!(policy.verdict(&uri, &headers(host, origin)), Ok(()), "{host} {origin:?}");
        }
    }

    #[test]
    fn foreign_hosts_and_origins_are_refused_with_the_setting_named() {
        let policy = policy();
        let uri = Uri::from_static("/mcp");
        let err = policy.verdict(&uri, &headers("evil.example.com", None)).unwrap_err();
        assert!(err.contains("http.allowed_hosts"), "{err}");
        for origin in ["http://evil.example.com", "https://chatgpt.com:8443", "null", "http://localhost.evil.com"] {
            let err = policy.verdict(&uri, &headers("127.0.0.1:8808", Some(origin))).unwrap_err();
            assert!(err.contains("http.allowed_origins"), "{origin}: {err}");
        }
    }

    #[test]
    fn rules_parse_ports_and_wildcards() {
        assert_eq!(
            parse_host_rule("Example.com:8443").unwrap(),
            HostRule::Name { host: "example.com".into(), port: Some(8443) }
        );
        assert_eq!(parse_host_rule("::1").unwrap(), HostRule::Name { host: "::1".into(), port: None });
        assert_eq!(parse_host_rule("*").unwrap(), HostRule::Any);
        assert_eq!(
            parse_origin_rule("k", "https://app.example.com").unwrap(),
            OriginRule::Site { scheme: "https".into(), host: "app.example.com".into(), port: Some(443) }
        );
        assert!(
            parse_origin_rule("http.cors_origins", "app.example.com")
                .unwrap_err()
                .to_string()
                .contains("http.cors_origins")
        );
        assert!(parse_host_rule("host:port").is_err());
    }
}
