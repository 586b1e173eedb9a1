//! Logs: to stderr, and to daily files in the app's log folder (what a user sends to
//! support), keeping two weeks. `RUST_LOG` sets the level (default `info`).

use std::path::PathBuf;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

/// Days of log files kept.
const KEEP_DAYS: usize = 14;

/// Starts logging; without a usable log folder, to stderr only (and says so).
pub(crate) fn init(dir: Option<PathBuf>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    let file = dir.as_ref().and_then(|dir| {
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("bastide")
            .filename_suffix("log")
            .max_log_files(KEEP_DAYS)
            .build(dir)
            .ok()
    });
    let has_file = file.is_some();
    let file = file.map(|appender| fmt::layer().with_ansi(false).with_writer(appender));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file);
    if registry.try_init().is_err() {
        return;
    }
    match (has_file, dir) {
        (true, Some(dir)) => tracing::info!(folder = %dir.display(), "logging to files"),
        _ => tracing::warn!("no log folder: logging to stderr only"),
    }
}
