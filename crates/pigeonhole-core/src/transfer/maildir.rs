//! Maildir: one file per message in `cur/` and `new/` (never `tmp/`, which holds mail
//! still being written), with Maildir++ subfolders as `.Name` directories beside them.

use std::io;
use std::path::{Path, PathBuf};

/// True when `dir` is a Maildir: it has a `cur` or a `new` directory.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// The message files of a Maildir and of its Maildir++ subfolders, in a stable order:
/// folder by folder, and by file name (which starts with the delivery time) within one.
pub fn message_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    collect(dir, &mut out)?;
    let mut subs: Vec<PathBuf> = read_dir_sorted(dir)?
        .into_iter()
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
                && is_maildir(p)
        })
        .collect();
    subs.sort();
    for sub in subs {
        collect(&sub, &mut out)?;
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for part in ["cur", "new"] {
        let d = dir.join(part);
        if !d.is_dir() {
            continue;
        }
        out.extend(read_dir_sorted(&d)?.into_iter().filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        }));
    }
    Ok(())
}

fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    v.sort();
    Ok(v)
}

/// The Maildir flags in a file name (`...:2,FS` -> "FS").
pub fn flags(file: &Path) -> &str {
    file.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.rsplit_once(":2,"))
        .map(|(_, f)| f)
        .unwrap_or("")
}

/// Writes messages into a Maildir, creating `cur`, `new` and `tmp`. Each file is written
/// in `tmp/` and renamed into place, as Maildir asks, so a reader never sees half a file.
pub struct Writer {
    dir: PathBuf,
    /// Part of every name, so two exports into one Maildir do not collide.
    stamp: String,
    count: u64,
}

impl Writer {
    pub fn create(dir: &Path) -> io::Result<Writer> {
        for part in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(part))?;
        }
        let now = chrono::Utc::now();
        Ok(Writer {
            dir: dir.to_path_buf(),
            stamp: format!(
                "{}.P{}M{}",
                now.timestamp(),
                std::process::id(),
                now.timestamp_subsec_micros()
            ),
            count: 0,
        })
    }

    /// One message into `cur/`, marked seen when `seen`; returns its path.
    pub fn write(&mut self, id: i64, raw: &[u8], seen: bool) -> io::Result<PathBuf> {
        self.count += 1;
        let name = format!(
            "{}Q{:08}.{id}.pigeonhole:2,{}",
            self.stamp,
            self.count,
            if seen { "S" } else { "" }
        );
        let tmp = self.dir.join("tmp").join(&name);
        std::fs::write(&tmp, raw)?;
        let dest = self.dir.join("cur").join(&name);
        std::fs::rename(&tmp, &dest)?;
        Ok(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maildir_round_trip_gives_back_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("Mail");
        let raws: Vec<Vec<u8>> = vec![
            b"Subject: a\r\n\r\nFrom the body\r\n>From quoted\r\n".to_vec(),
            b"Subject: b\r\n\r\nno final newline".to_vec(),
        ];
        let mut w = Writer::create(&md).unwrap();
        for (i, r) in raws.iter().enumerate() {
            w.write(i as i64 + 1, r, i == 0).unwrap();
        }
        // A Maildir++ subfolder and a message in new/, and junk that must be skipped.
        let sub = md.join(".Archive");
        std::fs::create_dir_all(sub.join("new")).unwrap();
        std::fs::write(sub.join("new").join("1.x.host"), b"Subject: c\r\n\r\nc\r\n").unwrap();
        std::fs::write(md.join("tmp").join("half"), b"Subject: half").unwrap();
        assert!(is_maildir(&md));
        let files = message_files(&md).unwrap();
        assert_eq!(
            files.len(),
            3,
            "cur, and the subfolder's new; never tmp: {files:?}"
        );
        let got: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert_eq!(got[..2], raws[..], "byte for byte, in the order written");
        assert_eq!(flags(&files[0]), "S", "seen is kept as a flag");
        assert_eq!(flags(&files[1]), "");
    }
}
