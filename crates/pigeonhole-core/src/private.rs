//! Private files: the data dir is 0700 and what it holds (database, TLS key, settings) 0600,
//! whatever the umask, so another local user cannot read captured mail or the key.
//!
//! Every place that creates the data dir or writes one of these files goes through here.
//! On other platforms than Unix these are plain creates and writes.

use std::io;
use std::path::Path;

// The files of a data dir, named once here; the modules that own them re-export their
// names (`store::DB_FILE`, `config::SETTINGS_FILE`, `smtp::tls::{CERT_FILE, KEY_FILE}`).

/// The SQLite store.
pub const DB_FILE: &str = "pigeonhole.sqlite3";
/// The lock the serving process holds.
pub const LOCK_FILE: &str = "pigeonhole.lock";
/// The saved settings.
pub const SETTINGS_FILE: &str = "settings.json";
/// The self-signed TLS certificate and its key.
pub const CERT_FILE: &str = "tls-cert.pem";
pub const KEY_FILE: &str = "tls-key.pem";

/// Whether `name` is a file Pigeonhole keeps in a data dir: one of the above, SQLite's
/// companions of the store, its clean-close marker, a damaged copy kept aside, or a settings
/// file being written. A directory holding only these (or nothing) is one Pigeonhole made,
/// and may be tightened.
#[cfg(unix)]
fn ours(name: &str) -> bool {
    let of_store = name.strip_prefix(DB_FILE).is_some_and(|rest| {
        matches!(rest, "" | "-wal" | "-shm" | "-journal" | ".clean")
            || rest.starts_with(".damaged-")
    });
    of_store
        || [LOCK_FILE, SETTINGS_FILE, CERT_FILE, KEY_FILE].contains(&name)
        || name.strip_prefix(SETTINGS_FILE) == Some(".tmp")
}

/// Creates `dir` (and its parents) if needed, with mode 0700 for what this creates. An
/// existing directory with a wider mode is tightened to 0700 when it is ours (holds
/// nothing but Pigeonhole's files, and chmod is allowed); otherwise it is left as it is,
/// with a WARN: `--data-dir /tmp` must not change /tmp.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
            // The umask may have narrowed it further (never wider): set it exactly.
            return std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        if !only_ours(dir) {
            tracing::warn!(
                dir = %dir.display(),
                mode = %format!("{mode:o}"),
                "the data directory is readable by other users and holds other files, so it is left as it is; use a directory of its own"
            );
            return Ok(());
        }
        if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
            tracing::warn!(dir = %dir.display(), mode = %format!("{mode:o}"), error = %e,
                "could not make the data directory private (0700)");
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(unix)]
fn only_ours(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        ours(&name)
    })
}

/// Writes `bytes` to `path`, which only its owner can read (0600), also when it existed
/// with a wider mode before.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    restrict_open(&file)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(unix)]
fn restrict_open(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_open(_: &std::fs::File) -> io::Result<()> {
    Ok(())
}

/// Makes an existing file 0600; a missing one is no error (a -wal that is not there yet).
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Creates an empty file with mode 0600 if there is none, so a file another library then
/// opens (SQLite, which gives its -wal and -shm the database's mode) starts private.
pub fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(|_| ())
}

/// The permission bits of `path` (Unix), for the doctor and tests.
#[cfg(unix)]
pub fn mode(path: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_data_dir_of_ours_holds_only_the_files_named_here() {
        for name in [
            "pigeonhole.sqlite3",
            "pigeonhole.sqlite3-wal",
            "pigeonhole.sqlite3-shm",
            "pigeonhole.sqlite3-journal",
            "pigeonhole.sqlite3.clean",
            "pigeonhole.sqlite3.damaged-20261203-101500",
            "pigeonhole.lock",
            "settings.json",
            "settings.json.tmp",
            "tls-cert.pem",
            "tls-key.pem",
        ] {
            assert!(ours(name), "{name} is ours");
        }
        for name in [
            "pigeonhole.sqlite3.bak",
            "pigeonhole.sqlite3-x",
            "settings.json.old",
            "notes.txt",
            "",
        ] {
            assert!(!ours(name), "{name:?} is not ours");
        }
    }

    #[test]
    fn a_new_data_dir_is_0700_and_written_files_are_0600() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("a/b");
        create_dir(&dir).expect("create");
        assert_eq!(
            mode(&dir).unwrap(),
            0o700,
            "a data dir Pigeonhole creates is 0700"
        );
        let file = dir.join("settings.json");
        std::fs::write(&file, b"{}").unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        write_file(&file, b"{\"a\":1}").expect("write");
        assert_eq!(
            mode(&file).unwrap(),
            0o600,
            "a rewritten 0644 file becomes 0600"
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn a_wide_data_dir_is_tightened_only_when_it_holds_only_our_files() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("temp dir");
        let ours = tmp.path().join("ours");
        std::fs::create_dir(&ours).unwrap();
        std::fs::write(ours.join("settings.json"), b"{}").unwrap();
        std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&ours).unwrap();
        assert_eq!(
            mode(&ours).unwrap(),
            0o700,
            "our 0755 data dir is tightened to 0700"
        );

        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::write(shared.join("someone-elses.txt"), b"x").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&shared).unwrap();
        assert_eq!(
            mode(&shared).unwrap(),
            0o755,
            "a directory holding other files is left alone (only warned about)"
        );
    }
}
