//! Man pages (clap_mangen) and shell completions (clap_complete) for a binary, written from
//! its clap definition, so what `--help` says and what the package installs cannot differ.
//! Both `pigeonhole generate-docs DIR` and `pigeonhole-desktop --generate-docs DIR` call
//! `write`; `scripts/package-assets` runs them before the .deb is bundled.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

/// Writes `NAME.1`, `NAME.bash`, `_NAME` (zsh) and `NAME.fish` into `dir`; returns the paths.
pub fn write(cmd: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let name = cmd.get_name().to_string();
    let mut written = Vec::new();
    let man = dir.join(format!("{name}.1"));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    std::fs::write(&man, page)?;
    written.push(man);
    for (shell, file) in [
        (Shell::Bash, format!("{name}.bash")),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ] {
        let path = dir.join(file);
        let mut out = std::fs::File::create(&path)?;
        clap_complete::generate(shell, &mut cmd.clone(), name.clone(), &mut out);
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_man_page_and_three_completions_are_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cmd = clap::Command::new("demo")
            .about("A demo")
            .arg(clap::Arg::new("data-dir").long("data-dir"));
        let files = write(cmd, dir.path()).expect("written");
        assert_eq!(files.len(), 4, "man page plus bash, zsh and fish");
        let man = std::fs::read_to_string(dir.path().join("demo.1")).expect("man page");
        assert!(
            man.contains(".TH demo") && man.contains("data\\-dir"),
            "{man}"
        );
        let bash = std::fs::read_to_string(dir.path().join("demo.bash")).expect("bash");
        assert!(bash.contains("--data-dir"), "bash completes the flag");
    }
}
