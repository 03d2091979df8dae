//! The dashboard's run loop: a `select!` over the keys, the driver's news, a poll tick and the
//! signals; it draws only when something on screen would change, at most 30 times a second.
//! Rendering is `ui::draw`, a pure function of the snapshot, the source status, the view state
//! and the clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::layout::Rect;
use ratatui::prelude::Backend;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::time::Instant;

use super::input::{Input, Keys};
use super::terminal::{self, Suspended};
use crate::app::clock::now_micros;
use crate::engine::Zone;
use crate::ui::keymap::Action;
use crate::ui::model::{Snapshot, Status};
use crate::ui::theme::Theme;
use crate::ui::view::{Pages, ViewState};
use crate::ui::{self, Screen};

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// How often the source status (counters, countdowns) is looked at between events.
const POLL: Duration = Duration::from_millis(250);
/// How long a message stays in the footer.
const NOTICE_FOR: Duration = Duration::from_secs(5);

/// What the dashboard shows: a live pipeline or a replay.
pub trait Driver {
    fn snapshot(&self) -> Option<Arc<Snapshot>>;
    fn status(&mut self) -> Status;
    /// Carries out an action that is not the view's; returns a notice for the footer.
    fn act(&mut self, action: Action) -> Option<String>;
    /// A message for the footer that came since the last call (it expires as the answers to
    /// keys do; [`Status::notice`] is for what stays true, and stays).
    fn news(&mut self) -> Option<String> {
        None
    }
    /// Resolves when the driver has something new to show (it may never resolve).
    async fn changed(&mut self);
    /// Whether the dashboard must close: what it shows has failed for good.
    fn failed(&self) -> bool {
        false
    }
}

/// Runs the dashboard over `driver` until the user quits or a signal comes.
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    driver: &mut impl Driver,
    mut keys: Keys,
    zone: &Zone,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut signals = Signals::new()?;
    let theme = Theme::from_env();
    let mut view = ViewState::default();
    let mut notice = Notice::default();
    let mut drawn: Option<(Option<Arc<Snapshot>>, Status, ViewState, i64)> = None;
    let mut last_frame = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut poll = tokio::time::interval(POLL);
    let mut resized = true;
    // How far the page keys move: the rows shown at once, as last laid out.
    let mut pages = Pages::default();
    loop {
        if driver.failed() {
            return Ok(());
        }
        // Draw if anything on screen would differ, at most once per frame.
        let snapshot = driver.snapshot();
        if let Some(text) = driver.news() {
            notice.set(text, Instant::now());
        }
        let mut status = driver.status();
        if status.notice.is_none() {
            status.notice = notice.current(Instant::now()).map(str::to_string);
        }
        let now = now_micros();
        if let Some(shown) = &snapshot {
            let area = screen_area(terminal)?;
            let screen = screen(shown, &status, &view, (now, zone, theme));
            // The pages as laid out; an overlay or a panel scrolled past its end comes back to
            // it (which changes no page).
            pages = ui::pages(&screen, area);
            view.keep_within(ui::scroll_limits(&screen, area));
        }
        let second = now / 1_000_000;
        let same = drawn.as_ref().is_some_and(|(s, st, v, sec)| {
            same_snapshot(s.as_ref(), snapshot.as_ref())
                && *st == status
                && *v == view
                && *sec == second
        });
        if (!same || resized)
            && let Some(shown) = &snapshot
        {
            let wait = FRAME.saturating_sub(last_frame.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            terminal.draw(|frame| {
                ui::draw(frame, &screen(shown, &status, &view, (now, zone, theme)));
            })?;
            last_frame = Instant::now();
            resized = false;
            drawn = Some((snapshot.clone(), status, view.clone(), second));
        }
        tokio::select! {
            input = keys.next() => match input {
                Input::Closed | Input::Action(Action::Quit) => return Ok(()),
                Input::Resize => resized = true,
                Input::Action(Action::Suspend) => {
                    if !signals.suspend(terminal, &mut notice).await? {
                        return Ok(());
                    }
                    resized = true;
                }
                // Too small to show the panels: nothing else acts, unseen.
                _ if !ui::fits(screen_area(terminal)?) => {}
                input => {
                    let area = screen_area(terminal)?;
                    if let Some(text) = handle(input, area, pages, &mut view, driver) {
                        notice.set(text, Instant::now());
                    }
                }
            },
            () = driver.changed() => {}
            _ = poll.tick() => {}
            suspend = signals.next() => {
                if !suspend || !signals.suspend(terminal, &mut notice).await? {
                    return Ok(());
                }
                resized = true;
            }
        }
    }
}

/// The signals the dashboard answers. Raw mode turns Ctrl-C and Ctrl-Z into keys, but `kill`
/// still sends signals: every way of being told to go ends the loop, so the terminal is given
/// back, and `SIGTSTP` suspends it as Ctrl-Z does.
struct Signals {
    ends: [Signal; 4],
    stop: Signal,
    /// Set by any of the ending signals, for a suspended dashboard, which runs no loop.
    ended: Arc<AtomicBool>,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        let ended = Arc::new(AtomicBool::new(false));
        for end in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal_hook::flag::register(end, ended.clone())?;
        }
        Ok(Signals {
            ends: [
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
                signal(SignalKind::quit())?,
            ],
            stop: signal(SignalKind::from_raw(SIGTSTP))?,
            ended,
        })
    }

    /// Suspends the dashboard ([`terminal::suspend`]); whether it goes on (not when an ending
    /// signal came while it was stopped). Without a shell to come back to, it says so instead.
    async fn suspend<B: Backend>(
        &self,
        terminal: &mut Terminal<B>,
        notice: &mut Notice,
    ) -> anyhow::Result<bool>
    where
        B::Error: Send + Sync + 'static,
    {
        let ended = || self.ended.load(Ordering::SeqCst);
        Ok(match terminal::suspend(terminal, ended).await? {
            Suspended::Resumed => true,
            Suspended::Ended => false,
            Suspended::Refused => {
                let why = "Ctrl-Z: no job-control shell here to bring the dashboard back; q quits";
                notice.set(why.into(), Instant::now());
                true
            }
        })
    }

    /// The next signal: `true` to suspend, `false` to end.
    async fn next(&mut self) -> bool {
        let [interrupt, terminate, hangup, quit] = &mut self.ends;
        tokio::select! {
            _ = self.stop.recv() => true,
            _ = interrupt.recv() => false,
            _ = terminate.recv() => false,
            _ = hangup.recv() => false,
            _ = quit.recv() => false,
        }
    }
}

/// Acts on a key or a mouse event in a terminal of `area`, whose page keys move by `pages`: the
/// view's own actions change the view, the others go to the driver; returns what the driver
/// answered.
fn handle(
    input: Input,
    area: Rect,
    pages: Pages,
    view: &mut ViewState,
    driver: &mut impl Driver,
) -> Option<String> {
    let current = driver.snapshot();
    match input {
        Input::Click { x, y } => {
            if let Some(panel) = ui::panel_at(area, x, y) {
                view.click(panel);
            }
        }
        Input::Wheel { x, y, by } => {
            if let Some(current) = &current {
                view.wheel(ui::panel_at(area, x, y), by, current);
            }
        }
        Input::Action(action) => {
            let handled = current
                .as_ref()
                .is_some_and(|s| view.apply(action, s, pages));
            if !handled {
                return driver.act(action);
            }
        }
        Input::Resize | Input::Closed => {}
    }
    None
}

/// The whole terminal, as `ui` lays it out.
fn screen_area<B: Backend>(terminal: &Terminal<B>) -> Result<Rect, B::Error> {
    let size = terminal.size()?;
    Ok(Rect::new(0, 0, size.width, size.height))
}

/// The latest message for the footer, shown for [`NOTICE_FOR`] after it came.
#[derive(Debug, Default)]
struct Notice(Option<(String, Instant)>);

impl Notice {
    fn set(&mut self, text: String, at: Instant) {
        self.0 = Some((text, at));
    }

    fn current(&self, now: Instant) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|(_, at)| now.saturating_duration_since(*at) < NOTICE_FOR)
            .map(|(text, _)| text.as_str())
    }
}

fn same_snapshot(a: Option<&Arc<Snapshot>>, b: Option<&Arc<Snapshot>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// What a frame draws: `shown` with the status and view, at `now` in `zone`.
fn screen<'a>(
    shown: &'a Snapshot,
    status: &'a Status,
    view: &'a ViewState,
    (now, zone, theme): (i64, &Zone, Theme),
) -> Screen<'a> {
    Screen {
        snapshot: shown,
        status,
        view,
        now,
        zone: zone.clone(),
        theme,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_expires_after_five_seconds() {
        let start = Instant::now();
        let mut notice = Notice::default();
        assert_eq!(notice.current(start), None);
        notice.set("file sink on".into(), start);
        assert_eq!(notice.current(start), Some("file sink on"));
        let later = start + Duration::from_millis(4_900);
        assert_eq!(notice.current(later), Some("file sink on"));
        assert_eq!(notice.current(start + NOTICE_FOR), None, "gone after 5 s");
        // A new message starts its own five seconds.
        notice.set("source paused".into(), later);
        assert_eq!(notice.current(start + NOTICE_FOR), Some("source paused"));
    }
}
