//! TLS for STARTTLS and implicit TLS: a self-signed certificate made once with rcgen and
//! kept in the data directory, so clients that pin it keep working across restarts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("writing the TLS certificate to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("generating a TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("reading the TLS certificate or key at {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

pub use crate::private::{CERT_FILE, KEY_FILE};

/// Loads `tls-cert.pem` / `tls-key.pem` from `dir`, creating them on first run.
pub fn acceptor(dir: &Path, hostname: &str) -> Result<TlsAcceptor, TlsError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    if !cert_path.exists() || !key_path.exists() {
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        if !names.iter().any(|n| n == hostname) {
            names.push(hostname.to_string());
        }
        let generated = rcgen::generate_simple_self_signed(names)?;
        crate::private::create_dir(dir).map_err(|e| TlsError::Write {
            path: dir.to_path_buf(),
            source: e,
        })?;
        // The key is private (0600); the certificate is public, but lives in the 0700 dir.
        crate::private::write_file(&key_path, generated.signing_key.serialize_pem().as_bytes())
            .map_err(|e| TlsError::Write {
                path: key_path.clone(),
                source: e,
            })?;
        std::fs::write(&cert_path, generated.cert.pem()).map_err(|e| TlsError::Write {
            path: cert_path.clone(),
            source: e,
        })?;
        tracing::info!(path = %cert_path.display(), "created a self-signed TLS certificate");
    }
    // A key written by an older build (0644 under the usual umask) is made private too.
    if let Err(e) = crate::private::restrict(&key_path) {
        tracing::warn!(path = %key_path.display(), error = %e, "could not make the TLS key private (0600)");
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|it| it.collect())
        .map_err(|e| TlsError::Read {
            path: cert_path.clone(),
            reason: e.to_string(),
        })?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| TlsError::Read {
        path: key_path,
        reason: e.to_string(),
    })?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_tls_key_is_private_when_made_and_when_an_older_build_left_it_wide() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("data");
        acceptor(&dir, "localhost").expect("first run makes a certificate");
        let key = dir.join(KEY_FILE);
        assert_eq!(
            crate::private::mode(&key).unwrap(),
            0o600,
            "a new tls-key.pem is 0600"
        );
        assert_eq!(
            crate::private::mode(&dir).unwrap(),
            0o700,
            "the data dir it made is 0700"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        acceptor(&dir, "localhost").expect("loads the existing certificate");
        assert_eq!(
            crate::private::mode(&key).unwrap(),
            0o600,
            "a 0644 key left by an older build is tightened on load"
        );
    }
}
