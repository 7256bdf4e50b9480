//! The configuration a command starts from: core's defaults <- what the window saved in
//! the data dir (`settings.json`) <- `--config FILE`. Each command then applies its own
//! `PIGEONHOLE_*` variables and flags.

use std::path::{Path, PathBuf};

use pigeonhole_core::config::{resolve_data_dir, Config, ConfigFile, SavedSettings};

use crate::error::Result;

/// The layered config with `data_dir` set, and whether saved settings were used. The data
/// dir decides which saved settings apply, so it is settled first: the flag or
/// PIGEONHOLE_DATA_DIR, else the file's `data_dir`, else the platform's.
pub fn config(file: Option<&Path>, data_dir: Option<PathBuf>) -> Result<(Config, bool)> {
    let file = file.map(ConfigFile::read).transpose()?;
    let from_file = file
        .as_ref()
        .map(ConfigFile::data_dir)
        .transpose()?
        .flatten();
    let data_dir = resolve_data_dir(data_dir.or(from_file))?;
    let saved = SavedSettings::load(&data_dir)?;
    let used_saved = saved.is_some();
    let mut c = saved.map(|s| s.engine).unwrap_or_default();
    if let Some(file) = &file {
        c = c.with_file(file)?;
    }
    c.data_dir = Some(data_dir);
    Ok((c, used_saved))
}
