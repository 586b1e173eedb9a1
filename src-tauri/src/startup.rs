//! How long the app takes to start: from the start of `run()` to the first view painted
//! with its data, which the UI tells once per run (`first_paint`). Logged for support
//! staff ("first paint" in the log); also written as one JSON line to the file named by
//! `BASTIDE_FIRST_PAINT_FILE`, when set, for the start benchmark (`bench start`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tauri::State;

/// The variable naming the file the first paint is written to.
const FILE_VAR: &str = "BASTIDE_FIRST_PAINT_FILE";

/// When this run of the app started, and whether its first paint was told already.
pub(crate) struct Startup {
    started: Instant,
    told: AtomicBool,
}

impl Startup {
    /// Starts the clock: call it first thing in `run()`.
    pub(crate) fn now() -> Self {
        Self {
            started: Instant::now(),
            told: AtomicBool::new(false),
        }
    }

    /// The first paint, the first time it is told; `None` afterwards.
    fn first(&self, view: FirstView, events: u64) -> Option<FirstPaint> {
        if self.told.swap(true, Ordering::SeqCst) {
            return None;
        }
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Some(FirstPaint { ms, view, events })
    }
}

/// Which view the app showed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum FirstView {
    /// A space's agenda, the view a space opens on.
    Agenda,
    /// The welcome screen: this profile is a member of no space.
    Welcome,
}

/// What is logged and written: milliseconds since the start, the view, and how many
/// events of the shown month it painted.
#[derive(Debug, Serialize)]
struct FirstPaint {
    ms: u64,
    view: FirstView,
    events: u64,
}

/// The UI painted its first view with its data. Only the first call of a run counts.
#[tauri::command]
pub(crate) async fn first_paint(
    startup: State<'_, Startup>,
    view: FirstView,
    events: u64,
) -> crate::commands::Result<()> {
    let Some(paint) = startup.first(view, events) else {
        tracing::debug!("first paint already told in this run");
        return Ok(());
    };
    tracing::info!(ms = paint.ms, view = ?paint.view, events = paint.events, "first paint");
    if let Some(path) = std::env::var_os(FILE_VAR).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if let Err(error) = write(&path, &paint).await {
            tracing::warn!(%error, path = %path.display(), "cannot write the first paint to {FILE_VAR}");
        }
    }
    Ok(())
}

/// Writes `paint` as one JSON line, whole or not at all: a reader polling for `path`
/// never sees half of it.
async fn write(path: &Path, paint: &FirstPaint) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(paint)?;
    line.push(b'\n');
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    tokio::fs::write(&partial, &line).await?;
    tokio::fs::rename(&partial, path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_paint_counts() {
        let startup = Startup::now();
        let first = startup.first(FirstView::Agenda, 312);
        assert!(
            matches!(
                first,
                Some(FirstPaint {
                    events: 312,
                    view: FirstView::Agenda,
                    ..
                })
            ),
            "the first call of a run is the first paint: {first:?}"
        );
        assert!(
            startup.first(FirstView::Welcome, 0).is_none(),
            "a later view (another space opened) is not the start any more"
        );
    }

    #[tokio::test]
    async fn the_file_holds_one_json_line() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("first-paint.json");
        let paint = FirstPaint {
            ms: 840,
            view: FirstView::Agenda,
            events: 312,
        };
        write(&path, &paint).await?;
        let text = std::fs::read_to_string(&path)?;
        assert_eq!(
            text, "{\"ms\":840,\"view\":\"agenda\",\"events\":312}\n",
            "the benchmark reads this line"
        );
        assert!(
            !dir.path().join("first-paint.json.partial").exists(),
            "the partial file is renamed, not left behind"
        );
        Ok(())
    }
}
