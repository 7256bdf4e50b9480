//! Just enough HTTP/1.1 to call a running server's API (plain `http://`, which is what it
//! serves): one GET, `Connection: close`, a body by length, chunks or end of stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{CliError, Result};

/// Where a server's API listens unless told otherwise: the config's `http_addr` default.
pub fn default_api() -> String {
    format!("http://{}", pigeonhole_core::config::DEFAULT_HTTP_ADDR)
}

/// The most of an answer this client reads (a wait answers at most a page of summaries).
const MAX_BODY: usize = 256 * 1024 * 1024;

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// `%XX` for everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `http://host:port[/base]` -> (host:port, base path without a trailing slash).
fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url.trim().strip_prefix("http://").ok_or_else(|| {
        CliError::Usage(format!(
            "--api {url}: use an http:// URL such as http://127.0.0.1:8025"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(CliError::Usage(format!("--api {url}: no host")));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_string()))
}

pub fn get(
    api: &str,
    path_and_query: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<Response> {
    let (authority, base) = split_url(api)?;
    let unreachable =
        |e: std::io::Error| CliError::Api(format!("cannot reach the API at {api}: {e}"));
    let addr = authority
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| CliError::Api(format!("{authority} did not resolve")))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    let mut request = format!(
        "GET {base}{path_and_query} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: pigeonhole-cli/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        request.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut reader = BufReader::new(stream);
    let read_err = |e: std::io::Error| CliError::Api(format!("reading the API's answer: {e}"));
    let mut line = String::new();
    reader.read_line(&mut line).map_err(read_err)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            CliError::Api(format!("{api} did not answer HTTP (got {:?})", line.trim()))
        })?;
    let (mut length, mut chunked) = (None, false);
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(read_err)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("content-length") {
                length = v.parse::<usize>().ok();
            } else if k.eq_ignore_ascii_case("transfer-encoding")
                && v.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(read_err)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .ok()
                .filter(|n| body.len().saturating_add(*n) <= MAX_BODY)
                .ok_or_else(|| CliError::Api("a malformed or oversized chunked answer".into()))?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).map_err(read_err)?;
            line.clear();
            reader.read_line(&mut line).map_err(read_err)?;
        }
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(CliError::Api(format!(
                "the API's answer is {n} bytes, more than this client reads"
            )));
        }
        body.resize(n, 0);
        reader.read_exact(&mut body).map_err(read_err)?;
    } else {
        reader
            .take(MAX_BODY as u64)
            .read_to_end(&mut body)
            .map_err(read_err)?;
    }
    Ok(Response { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_queries_are_split_and_encoded() {
        assert_eq!(
            split_url("http://127.0.0.1:8025").unwrap(),
            ("127.0.0.1:8025".into(), String::new())
        );
        assert_eq!(
            split_url("http://mail.test/pit/").unwrap(),
            ("mail.test:80".into(), "/pit".into())
        );
        assert!(split_url("https://x").is_err());
        assert_eq!(
            encode("subject:\"hi there\" ü"),
            "subject%3A%22hi%20there%22%20%C3%BC"
        );
    }
}
