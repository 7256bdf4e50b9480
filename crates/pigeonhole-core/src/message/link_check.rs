//! The on-request link check: one HEAD (then GET, if HEAD is refused) per http(s) link and
//! resource of a message, bounded everywhere, so a hostile message cannot make it hang or
//! flood: at most [`MAX_LINKS`] targets, [`CONCURRENCY`] at a time, [`TIMEOUT`] each
//! (connect, TLS and answer together), [`MAX_REDIRECTS`] redirects, and only the status
//! line and headers read. `file:` and every other scheme is never requested.
//!
//! A minimal HTTP/1.1 client over tokio and rustls (webpki roots): the check needs a status
//! code, not a body, and core already has both crates. Addresses that are never a web
//! link's target (unspecified, link-local such as cloud metadata at 169.254.169.254 or
//! fd00:ec2::254, multicast, broadcast, also when written as IPv6) are refused; loopback
//! is allowed, since a developer's links point at their own app.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::model::{LinkCheck, LinkStatus};

/// Most targets requested for one message (Mailpit checks 100).
pub const MAX_LINKS: usize = 100;
/// Requests in flight at once.
pub const CONCURRENCY: usize = 8;
/// For one request: resolve, connect, TLS, send and read the head.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed when asked to follow (Mailpit: 3).
pub const MAX_REDIRECTS: usize = 3;
/// Largest response head read.
const MAX_HEAD: usize = 32 * 1024;

/// Requests each distinct http(s) URL among `urls` (in order, at most [`MAX_LINKS`]);
/// other schemes are answered without a request. With `follow`, redirects are followed
/// and the final status is reported; without, a 3xx is the answer.
pub async fn check(urls: Vec<String>, follow: bool) -> LinkCheck {
    check_within(urls, follow, TIMEOUT).await
}

async fn check_within(urls: Vec<String>, follow: bool, timeout: Duration) -> LinkCheck {
    let mut seen = std::collections::HashSet::new();
    let urls: Vec<String> = urls
        .into_iter()
        .filter(|u| seen.insert(u.clone()))
        .take(MAX_LINKS)
        .collect();
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (i, url) in urls.iter().cloned().enumerate() {
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            // Per request `timeout`; the whole of one link (HEAD, GET, redirects) twice that.
            let status =
                match tokio::time::timeout(timeout * 2, status_of(&url, follow, timeout)).await {
                    Ok(s) => s,
                    Err(_) => refused(&url, "timed out"),
                };
            (i, status)
        });
    }
    let mut links: Vec<Option<LinkStatus>> = vec![None; urls.len()];
    while let Some(done) = tasks.join_next().await {
        if let Ok((i, status)) = done {
            links[i] = Some(status);
        }
    }
    let links: Vec<LinkStatus> = links
        .into_iter()
        .zip(&urls)
        .map(|(s, u)| s.unwrap_or_else(|| refused(u, "the check failed")))
        .collect();
    let errors = links
        .iter()
        .filter(|l| l.status_code == 0 || l.status_code >= 400)
        .count() as u32;
    LinkCheck { errors, links }
}

fn refused(url: &str, why: &str) -> LinkStatus {
    LinkStatus {
        url: url.to_string(),
        status_code: 0,
        status: why.to_string(),
    }
}

/// HEAD, and GET when HEAD answers an error (many servers refuse or mishandle HEAD).
async fn status_of(link: &str, follow: bool, timeout: Duration) -> LinkStatus {
    let mut url = match Url::parse(link) {
        Ok(u) => u,
        Err(e) => return refused(link, &format!("invalid URL: {e}")),
    };
    match url.scheme() {
        "http" | "https" => {}
        "file" => {
            return refused(
                link,
                "not requested: file: links point at the reader's own disk",
            )
        }
        other => return refused(link, &format!("not requested: {other}: is not a web link")),
    }
    let mut hops = 0;
    loop {
        let head = match request(&url, "HEAD", timeout).await {
            Ok(h) if h.code >= 400 => request(&url, "GET", timeout)
                .await
                .or(Ok::<Head, String>(h)),
            other => other,
        };
        let head = match head {
            Ok(h) => h,
            Err(why) => return refused(link, &why),
        };
        if follow && (300..400).contains(&head.code) {
            if let Some(next) = head.location.as_deref().and_then(|l| url.join(l).ok()) {
                if hops >= MAX_REDIRECTS {
                    return refused(link, "too many redirects");
                }
                if !matches!(next.scheme(), "http" | "https") {
                    return refused(link, &format!("redirect to {}: refused", next.scheme()));
                }
                hops += 1;
                url = next;
                continue;
            }
        }
        return LinkStatus {
            url: link.to_string(),
            status_code: head.code,
            status: reason(head.code).map_or(head.reason, str::to_string),
        };
    }
}

/// A response's status and the header that matters here.
#[derive(Debug)]
struct Head {
    code: u16,
    reason: String,
    location: Option<String>,
}

async fn request(url: &Url, method: &str, timeout: Duration) -> Result<Head, String> {
    tokio::time::timeout(timeout, request_inner(url, method))
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

async fn request_inner(url: &Url, method: &str) -> Result<Head, String> {
    let host = url.host_str().ok_or("no host")?.to_string();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("no such host: {e}"))?
        .collect();
    let addr = *addrs.first().ok_or("no such host")?;
    if let Some(why) = refused_ip(addr.ip()) {
        return Err(format!("not requested: {host} is {why}"));
    }
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connection failed: {e}"))?;
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Pigeonhole/{} (link check)\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if url.scheme() == "https" {
        let name =
            rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                .map_err(|e| format!("invalid host name: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS failed: {e}"))?;
        exchange(tls, &req).await
    } else {
        exchange(tcp, &req).await
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, req: &str) -> Result<Head, String> {
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("sending failed: {e}"))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            return parse_head(&buf[..end]);
        }
        if buf.len() > MAX_HEAD {
            return Err("response head too large".into());
        }
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| format!("reading failed: {e}"))?;
        if n == 0 {
            if buf.is_empty() {
                return Err("empty reply".into());
            }
            return parse_head(&buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_head(head: &[u8]) -> Result<Head, String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or("");
    let mut parts = status.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/") {
        return Err("not an HTTP reply".into());
    }
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .filter(|c| (100..1000).contains(c))
        .ok_or("no status code")?;
    let reason = parts.next().unwrap_or("").trim().to_string();
    let location = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    Ok(Head {
        code,
        reason,
        location,
    })
}

/// Why an address is never requested, or None. An IPv6 address that carries an IPv4 one
/// (mapped `::ffff:a.b.c.d`, the deprecated compatible `::a.b.c.d`, or NAT64 `64:ff9b::/96`)
/// is judged by the IPv4 address it reaches. Private LAN ranges (10/8, 172.16/12, 192.168/16,
/// fc00::/7) stay allowed, like loopback: a developer's staging links point there, and a
/// check only runs when the person asks for it.
fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.octets()[0] == 0 {
                Some("an unspecified address (0.0.0.0/8 reaches this machine)")
            } else if v4.is_link_local() {
                Some("a link-local address (cloud metadata lives there)")
            } else if v4.is_multicast() || v4.is_broadcast() {
                Some("a multicast or broadcast address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let embedded = |o: [u8; 16]| std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]);
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_ip(IpAddr::V4(v4));
            }
            // NAT64 (RFC 6052) and IPv4-compatible addresses reach an IPv4 host.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (seg[..6] == [0; 6] && seg[6] != 0) {
                return refused_ip(IpAddr::V4(embedded(v6.octets())));
            }
            if v6.is_unspecified() {
                Some("an unspecified address")
            } else if (seg[0] & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if seg == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
                Some("a cloud metadata address (fd00:ec2::254)")
            } else {
                None
            }
        }
    }
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// The standard reason phrase, as Mailpit reports it (Go's `http.StatusText`).
fn reason(code: u16) -> Option<&'static str> {
    Some(match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        429 => "Too Many Requests",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// A local server answering each request by path: "/ok" 200, "/gone" 404, "/moved"
    /// 301 to /ok, "/loop" 302 to itself, "/nohead" 405 to HEAD and 200 to GET, "/slow"
    /// never. Counts requests.
    async fn server() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let c = c.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    c.fetch_add(1, Ordering::SeqCst);
                    let req = String::from_utf8_lossy(&buf[..n]).to_string();
                    let mut first = req.split_whitespace();
                    let method = first.next().unwrap_or("").to_string();
                    let path = first.next().unwrap_or("").to_string();
                    let reply = match (method.as_str(), path.as_str()) {
                        (_, "/ok") | (_, "/ok?x=1") => {
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_string()
                        }
                        (_, "/gone") => "HTTP/1.1 404 Not Found\r\n\r\n".to_string(),
                        (_, "/moved") => {
                            "HTTP/1.1 301 Moved Permanently\r\nLocation: /ok\r\n\r\n".to_string()
                        }
                        (_, "/loop") => "HTTP/1.1 302 Found\r\nlocation: /loop\r\n\r\n".to_string(),
                        ("HEAD", "/nohead") => {
                            "HTTP/1.1 405 Method Not Allowed\r\n\r\n".to_string()
                        }
                        ("GET", "/nohead") => "HTTP/1.1 200 OK\r\n\r\n".to_string(),
                        (_, "/slow") => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            String::new()
                        }
                        _ => "HTTP/1.1 500 Internal Server Error\r\n\r\n".to_string(),
                    };
                    let _ = s.write_all(reply.as_bytes()).await;
                });
            }
        });
        (base, count)
    }

    fn codes(c: &LinkCheck) -> Vec<u16> {
        c.links.iter().map(|l| l.status_code).collect()
    }

    #[tokio::test]
    async fn each_link_gets_its_status_in_order_and_errors_are_counted() {
        let (base, _) = server().await;
        let urls = vec![
            format!("{base}/ok?x=1"),
            format!("{base}/gone"),
            format!("{base}/nohead"),
        ];
        let c = check(urls.clone(), false).await;
        assert_eq!(
            codes(&c),
            vec![200, 404, 200],
            "HEAD refused falls back to GET: {c:?}"
        );
        assert_eq!(c.links[1].status, "Not Found");
        assert_eq!(c.links[0].url, urls[0]);
        assert_eq!(c.errors, 1, "only the 404");
    }

    #[tokio::test]
    async fn redirects_are_reported_or_followed_as_asked_and_loops_end() {
        let (base, _) = server().await;
        let urls = vec![format!("{base}/moved"), format!("{base}/loop")];
        let plain = check(urls.clone(), false).await;
        assert_eq!(codes(&plain), vec![301, 302]);
        let followed = check(urls, true).await;
        assert_eq!(followed.links[0].status_code, 200, "301 to /ok followed");
        assert_eq!(followed.links[1].status_code, 0);
        assert_eq!(followed.links[1].status, "too many redirects");
        assert_eq!(followed.errors, 1);
    }

    #[tokio::test]
    async fn file_and_other_schemes_are_never_requested() {
        let (base, count) = server().await;
        let c = check(
            vec![
                "file:///etc/passwd".into(),
                "mailto:a@b.test".into(),
                "javascript:alert(1)".into(),
                format!("{base}/ok"),
            ],
            false,
        )
        .await;
        assert_eq!(codes(&c), vec![0, 0, 0, 200]);
        assert!(c.links[0].status.contains("file:"), "{}", c.links[0].status);
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "only the http link reached a server"
        );
        assert_eq!(c.errors, 3);
    }

    #[tokio::test]
    async fn link_local_addresses_are_refused_without_a_connection() {
        let c = check(
            vec![
                "http://169.254.169.254/latest/meta-data".into(),
                "http://[::]/".into(),
            ],
            false,
        )
        .await;
        assert!(
            c.links
                .iter()
                .all(|l| l.status_code == 0 && l.status.starts_with("not requested")),
            "{c:?}"
        );
    }

    #[tokio::test]
    async fn duplicates_are_checked_once_and_the_total_is_capped() {
        let (base, count) = server().await;
        let mut urls: Vec<String> = (0..MAX_LINKS + 20)
            .map(|i| format!("{base}/ok?n={i}"))
            .collect();
        urls.insert(0, format!("{base}/gone"));
        urls.insert(1, format!("{base}/gone"));
        let c = check(urls, false).await;
        assert_eq!(c.links.len(), MAX_LINKS, "capped");
        assert_eq!(
            c.links.iter().filter(|l| l.url.ends_with("/gone")).count(),
            1,
            "deduplicated"
        );
        // /gone is HEAD then GET; every /ok?n= is answered 500 by the test server (path
        // with another query) and tried twice as well.
        assert_eq!(count.load(Ordering::SeqCst), MAX_LINKS * 2);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let (base, _) = server().await;
        let c = check_within(
            vec![format!("{base}/slow")],
            false,
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(c.links[0].status_code, 0);
        assert_eq!(c.links[0].status, "timed out");
    }

    #[test]
    fn metadata_and_unspecified_addresses_are_refused_however_they_are_spelled() {
        let refused = |s: &str| refused_ip(s.parse().unwrap()).is_some();
        for bad in [
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::169.254.169.254",
            "fd00:ec2::254",
            "fe80::1",
            "::",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused(bad), "{bad} must be refused");
        }
        for ok in [
            "127.0.0.1",
            "::1",
            "10.0.0.5",
            "192.168.1.20",
            "93.184.216.34",
            "2606:2800:220:1::1",
        ] {
            assert!(!refused(ok), "{ok} is a web link's target");
        }
    }

    #[test]
    fn heads_parse_with_their_location_and_garbage_is_an_error() {
        let h = parse_head(b"HTTP/1.0 302 Found\r\nX: y\r\nLOCATION:  /next \r\n").unwrap();
        assert_eq!((h.code, h.location.as_deref()), (302, Some("/next")));
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_head(b"HTTP/1.1 abc").is_err());
    }
}
