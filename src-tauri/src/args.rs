//! The window's command line. Parsed before anything touches GTK, so `--help`, `--version`
//! and a missing display are answered on the terminal instead of with a GTK backtrace.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "pigeonhole-desktop",
    version,
    about = "Pigeonhole's window: captures mail sent to 127.0.0.1:1025 and shows it.",
    after_help = "Without a display, run the headless server instead: pigeonhole serve"
)]
pub struct DesktopArgs {
    /// Data directory; another directory is a separate store that may run beside the
    /// default one [default: the platform data dir, the one `pigeonhole` reads]
    #[arg(long, env = "PIGEONHOLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Write the man page and completions into DIR and exit (used to build the package).
    #[arg(long, hide = true, value_name = "DIR")]
    pub generate_docs: Option<PathBuf>,
}

impl DesktopArgs {
    /// Why the window cannot open here, if it cannot: no X11 or Wayland display.
    pub fn missing_display() -> Option<&'static str> {
        let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
        (!set("DISPLAY") && !set("WAYLAND_DISPLAY"))
            .then_some("no display (DISPLAY and WAYLAND_DISPLAY are unset)")
    }
}
