//! The dashboard's sinks: the console sink writes into a shared buffer (shown in the batches
//! panel) instead of stdout, which the dashboard draws on; the file sink writes as usual.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use crate::app::config::{SinkConfig, SinkKind};
use crate::app::error::BadInput;
use crate::app::sink::{self, Notices, Resume, SinkSet};
use crate::engine::Query;

/// What the console sink prints, kept for the batches panel.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// The text written since the last call.
    pub fn take(&self) -> String {
        let mut buf = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = String::from_utf8_lossy(&buf).into_owned();
        buf.clear();
        text
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sinks for the dashboard: the console sink writes into `console`, the file sink into
/// `--output`; the json sink needs stdout, which the dashboard uses, so it is refused.
pub fn dashboard_sinks(
    config: &SinkConfig,
    query: &Query,
    console: SharedBuffer,
    resume: Option<Resume>,
) -> anyhow::Result<SinkSet> {
    if config.kinds.contains(&SinkKind::Json) {
        return Err(BadInput(
            "the json sink writes to stdout, which the dashboard draws on; add --headless".into(),
        )
        .into());
    }
    let opener = sink::opener(
        config,
        query,
        resume,
        Box::new(move || Box::new(console.clone())),
        Notices::LogOnly,
    )?;
    let enabled = if config.kinds.is_empty() {
        vec![SinkKind::Console]
    } else {
        config.kinds.clone()
    };
    SinkSet::new(opener, &enabled)
}
