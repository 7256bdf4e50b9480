//! Who may call the API. Three checks, before any handler runs:
//!
//! 1. The token: when one is configured (required off loopback), every request but the
//!    health checks carries `Authorization: Bearer <token>`, or HTTP Basic auth with the
//!    token as the password (what Mailpit's clients send). Otherwise 401.
//! 2. The Host header: without a token, a request must name a loopback host or the bound
//!    address, so a web page whose DNS name was rebound to 127.0.0.1 cannot read mail.
//! 3. The Origin header: a browser request from an origin not configured is refused (403),
//!    so a page the developer visits can neither read nor change anything, over HTTP or the
//!    WebSocket. Clients that are not browsers send no Origin and are not affected.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::error::ApiError;
use crate::state::{Access, AppState};

/// Paths a load balancer or orchestrator probes without credentials.
const OPEN_PATHS: &[&str] = &["/livez", "/readyz"];

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let access = state.access();
    if !OPEN_PATHS.contains(&req.uri().path()) {
        if let Err(e) = check(access, req.headers()) {
            return e.into_response();
        }
    }
    next.run(req).await
}

fn check(access: &Access, headers: &HeaderMap) -> Result<(), ApiError> {
    for name in [header::HOST, header::ORIGIN] {
        if headers.get(&name).is_some_and(|v| v.to_str().is_err()) {
            return Err(ApiError::bad_request(format!(
                "the {name} header is not ASCII"
            )));
        }
    }
    match &access.token {
        Some(token) => {
            if !token_matches(token, headers) {
                return Err(ApiError::new(StatusCode::UNAUTHORIZED, "this API needs a token: send Authorization: Bearer <token> (or Basic auth with the token as password)"));
            }
        }
        None => {
            if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
                if !host_allowed(access, host) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        format!("Host \"{host}\" is not this server: without an api_token only loopback host names are served (this stops DNS rebinding)"),
                    ));
                }
            }
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !origin_allowed(access, origin, host) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("origin {origin} is not allowed: add it to cors_origins to call the API from that page"),
            ));
        }
    }
    Ok(())
}

/// Compares in constant time, so the token cannot be guessed a byte at a time.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_matches(token: &str, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return same(rest.as_bytes(), token.as_bytes());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
            return false;
        };
        let password = match decoded.iter().position(|&b| b == b':') {
            Some(i) => &decoded[i + 1..],
            None => &decoded[..],
        };
        return same(password, token.as_bytes());
    }
    false
}

/// The host part of a Host header value or authority: `[::1]:8025` -> `::1`.
fn host_name(authority: &str) -> &str {
    let a = authority.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match a.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => a,
    }
}

fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn host_allowed(access: &Access, host: &str) -> bool {
    let name = host_name(host);
    if is_loopback_name(name) {
        return true;
    }
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        if access
            .bound
            .iter()
            .any(|a| a.ip() == ip || a.ip().is_unspecified())
        {
            return true;
        }
    }
    access
        .origins
        .iter()
        .any(|o| o != "*" && host_name(o.split("://").nth(1).unwrap_or("")) == name)
}

/// True for a configured origin, or a page served by this very server (same host).
pub fn origin_allowed(access: &Access, origin: &str, host: &str) -> bool {
    if access
        .origins
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin.split("://").nth(1).unwrap_or("");
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_token_is_accepted_as_bearer_or_basic_password_only() {
        let access = Access {
            token: Some("s3cret-token-0123456789".into()),
            ..Default::default()
        };
        let ok = headers(&[(header::AUTHORIZATION, "Bearer s3cret-token-0123456789")]);
        assert!(check(&access, &ok).is_ok());
        let basic = base64::engine::general_purpose::STANDARD.encode("ci:s3cret-token-0123456789");
        let ok = headers(&[(header::AUTHORIZATION, &format!("Basic {basic}"))]);
        assert!(check(&access, &ok).is_ok());
        for bad in [
            "Bearer s3cret",
            "Bearer s3cret-token-01234567890",
            "Token s3cret-token-0123456789",
            "",
        ] {
            let h = headers(&[(header::AUTHORIZATION, bad)]);
            assert_eq!(
                check(&access, &h).unwrap_err().status,
                StatusCode::UNAUTHORIZED,
                "{bad}"
            );
        }
        assert_eq!(
            check(&access, &HeaderMap::new()).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn without_a_token_only_loopback_hosts_are_served() {
        let access = Access::default();
        for host in [
            "127.0.0.1:8025",
            "localhost:8025",
            "[::1]:8025",
            "localhost",
            "app.localhost:1",
        ] {
            assert!(
                check(&access, &headers(&[(header::HOST, host)])).is_ok(),
                "{host}"
            );
        }
        for host in [
            "evil.example:8025",
            "192.168.1.10:8025",
            "localhost.evil.example",
        ] {
            let e = check(&access, &headers(&[(header::HOST, host)])).unwrap_err();
            assert_eq!(e.status, StatusCode::FORBIDDEN, "{host}");
        }
    }

    #[test]
    fn browser_origins_must_be_configured_or_the_same_host() {
        let access = Access {
            origins: vec!["http://localhost:3000".into()],
            ..Default::default()
        };
        let h =
            |origin: &str| headers(&[(header::HOST, "127.0.0.1:8025"), (header::ORIGIN, origin)]);
        assert!(check(&access, &h("http://localhost:3000")).is_ok());
        assert!(
            check(&access, &h("http://127.0.0.1:8025")).is_ok(),
            "same origin"
        );
        assert_eq!(
            check(&access, &h("https://evil.example"))
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            check(&access, &h("null")).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
    }
}
