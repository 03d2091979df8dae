//! Every key the dashboard knows, in one table: key handling, the footer and the help overlay all
//! read it, so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    Close,
    ToggleConsole,
    ToggleFile,
    /// Pause or resume the source (live), or playback (replay).
    Pause,
    Faster,
    Slower,
    InjectLate,
    StepNext,
    StepPrev,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Sort,
    Export,
    /// The modes view on/off.
    Modes,
    /// Back to the shell, the run paused with the process (`fg` brings both back).
    Suspend,
}

/// A key, as bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Always,
    Live,
    Replay,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the help overlay names the keys.
    pub shown: &'static str,
    pub action: Action,
    /// What the key does; the help overlay names the query's columns for `{aggregate}` (the
    /// first aggregate) and `{group-by}` (the group-by columns).
    pub help: &'static str,
    /// The footer's word for it, if the footer shows it.
    pub footer: Option<&'static str>,
    pub scope: Scope,
}

const fn bind(
    keys: &'static [Key],
    shown: &'static str,
    action: Action,
    help: &'static str,
    footer: Option<&'static str>,
    scope: Scope,
) -> Binding {
    Binding {
        keys,
        shown,
        action,
        help,
        footer,
        scope,
    }
}

use Action as A;
use Key::{Char, Code, Ctrl};
use Scope::{Always, Live, Replay};

pub const BINDINGS: &[Binding] = &[
    bind(
        &[Char('q'), Ctrl('c')],
        "q",
        A::Quit,
        "quit (the running batch finishes, sinks are flushed)",
        Some("quit"),
        Always,
    ),
    bind(
        &[Ctrl('z')],
        "Ctrl-Z",
        A::Suspend,
        "suspend to the shell (the run pauses too); fg comes back",
        None,
        Always,
    ),
    bind(
        &[Char('?')],
        "?",
        A::Help,
        "show this help",
        Some("help"),
        Always,
    ),
    bind(
        &[Code(KeyCode::Esc)],
        "Esc",
        A::Close,
        "close the help, the batch or the modes view",
        None,
        Always,
    ),
    bind(
        &[Char('c')],
        "c",
        A::ToggleConsole,
        "console sink on/off (its tables fill Output batches)",
        Some("console"),
        Always,
    ),
    bind(
        &[Char('f')],
        "f",
        A::ToggleFile,
        "file sink on/off (CSV files under --output)",
        Some("file"),
        Always,
    ),
    bind(
        &[Char(' ')],
        "space",
        A::Pause,
        "pause/resume the source",
        Some("pause"),
        Live,
    ),
    bind(
        &[Char(' ')],
        "space",
        A::Pause,
        "play/pause the replay",
        Some("pause"),
        Replay,
    ),
    bind(
        &[Char('+'), Char('=')],
        "+",
        A::Faster,
        "faster generator (halves the delay)",
        Some("rate"),
        Live,
    ),
    bind(
        &[Char('-')],
        "-",
        A::Slower,
        "slower generator (doubles the delay)",
        None,
        Live,
    ),
    bind(
        &[Char('+'), Char('=')],
        "+",
        A::Faster,
        "play faster",
        Some("speed"),
        Replay,
    ),
    bind(&[Char('-')], "-", A::Slower, "play slower", None, Replay),
    bind(
        &[Char('l')],
        "l",
        A::InjectLate,
        "send a late row (watch it be dropped)",
        Some("late row"),
        Live,
    ),
    bind(
        &[Char('n')],
        "n",
        A::StepNext,
        "next batch",
        Some("next"),
        Replay,
    ),
    bind(
        &[Char('p')],
        "p",
        A::StepPrev,
        "previous batch",
        Some("prev"),
        Replay,
    ),
    bind(
        &[Code(KeyCode::Tab)],
        "Tab",
        A::FocusNext,
        "focus the next panel",
        Some("focus"),
        Always,
    ),
    bind(
        &[Code(KeyCode::BackTab)],
        "Shift-Tab",
        A::FocusPrev,
        "focus the previous panel",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        A::Up,
        "scroll up / newer batch",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        A::Down,
        "scroll down / older batch",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::PageUp)],
        "PgUp",
        A::PageUp,
        "scroll a page up",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::PageDown)],
        "PgDn",
        A::PageDown,
        "scroll a page down",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::Home), Char('g')],
        "Home g",
        A::Top,
        "to the top (newest batch)",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::End), Char('G')],
        "End G",
        A::Bottom,
        "to the bottom",
        None,
        Always,
    ),
    bind(
        &[Code(KeyCode::Enter)],
        "Enter",
        A::Open,
        "open the selected batch in full",
        None,
        Always,
    ),
    bind(
        &[Char('o')],
        "o",
        A::Modes,
        "output modes side by side: what append, update and complete emit",
        Some("modes"),
        Always,
    ),
    bind(
        &[Char('s')],
        "s",
        A::Sort,
        "sort Open windows by window, {aggregate} or {group-by}",
        None,
        Always,
    ),
    bind(
        &[Char('e')],
        "e",
        A::Export,
        "export the query as a PySpark job",
        None,
        Always,
    ),
];

fn applies(binding: &Binding, replay: bool) -> bool {
    match binding.scope {
        Always => true,
        Live => !replay,
        Replay => replay,
    }
}

fn matches(key: Key, event: &KeyEvent) -> bool {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    match key {
        Char(c) => !ctrl && event.code == KeyCode::Char(c),
        Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
        Code(code) => event.code == code,
    }
}

/// The action a key press asks for, if any (releases and repeats of other kinds are ignored).
pub fn action(event: &KeyEvent, replay: bool) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|b| applies(b, replay))
        .find(|b| b.keys.iter().any(|k| matches(*k, event)))
        .map(|b| b.action)
}

/// The bindings that apply, for the help overlay.
pub fn bindings(replay: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| applies(b, replay))
}

/// `(key, word)` pairs for the footer, in table order; while `paused`, the pause key's word
/// is what it does then (`play`, or `resume` the source).
pub fn footer(replay: bool, paused: bool) -> Vec<(&'static str, &'static str)> {
    bindings(replay)
        .filter_map(|b| {
            let key = match b.action {
                A::Faster => "+/-",
                A::FocusNext => "Tab",
                _ => b.shown,
            };
            let word = match b.action {
                A::Pause if paused && replay => Some("play"),
                A::Pause if paused => Some("resume"),
                _ => b.footer,
            };
            word.map(|word| (key, word))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_to_actions() {
        let live = |code| action(&press(code), false);
        assert_eq!(live(KeyCode::Char('q')), Some(A::Quit));
        assert_eq!(
            action(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                false
            ),
            Some(A::Quit)
        );
        assert_eq!(live(KeyCode::Char('c')), Some(A::ToggleConsole));
        assert_eq!(live(KeyCode::Char('f')), Some(A::ToggleFile));
        assert_eq!(live(KeyCode::Char(' ')), Some(A::Pause));
        assert_eq!(live(KeyCode::Char('+')), Some(A::Faster));
        assert_eq!(live(KeyCode::Char('-')), Some(A::Slower));
        assert_eq!(live(KeyCode::Char('l')), Some(A::InjectLate));
        assert_eq!(live(KeyCode::Tab), Some(A::FocusNext));
        assert_eq!(live(KeyCode::BackTab), Some(A::FocusPrev));
        assert_eq!(live(KeyCode::Char('j')), Some(A::Down));
        assert_eq!(live(KeyCode::Up), Some(A::Up));
        assert_eq!(live(KeyCode::PageDown), Some(A::PageDown));
        assert_eq!(live(KeyCode::Char('?')), Some(A::Help));
        assert_eq!(live(KeyCode::Esc), Some(A::Close));
        assert_eq!(live(KeyCode::Char('n')), None, "stepping is for replays");
        assert_eq!(live(KeyCode::Char('x')), None);
        assert_eq!(action(&press(KeyCode::Char('n')), true), Some(A::StepNext));
        assert_eq!(action(&press(KeyCode::Char('p')), true), Some(A::StepPrev));
        assert_eq!(
            action(&press(KeyCode::Char('l')), true),
            None,
            "no late rows in a replay"
        );
        let mut release = press(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action(&release, false), None);
    }

    #[test]
    fn footer_and_help_come_from_the_same_table() {
        let footer = footer(false, false);
        assert_eq!(
            &footer[..3],
            &[("q", "quit"), ("?", "help"), ("c", "console")]
        );
        assert!(footer.contains(&("+/-", "rate")));
        for (key, _) in &footer {
            assert!(
                bindings(false).any(|b| b.shown == *key || *key == "+/-" || *key == "Tab"),
                "{key}"
            );
        }
        // Every action a key can trigger in a live run is explained in its help.
        assert!(bindings(false).all(|b| !b.help.is_empty()));
        assert!(super::footer(true, true).contains(&("n", "next")));
    }

    /// The pause key's word is what pressing it does now.
    #[test]
    fn the_footer_says_what_space_does_now() {
        for (replay, paused, word) in [
            (false, false, "pause"),
            (false, true, "resume"),
            (true, false, "pause"),
            (true, true, "play"),
        ] {
            let footer = footer(replay, paused);
            assert!(footer.contains(&("space", word)), "{footer:?}");
        }
    }
}
