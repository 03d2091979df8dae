//! Terminal input: crossterm's async event stream, turned into what the run loop acts on (an
//! action from the keymap, a click or a turn of the mouse wheel, a resize, or the end of input).

use crossterm::event::{Event, EventStream, MouseButton, MouseEventKind};
use futures_util::StreamExt;

use crate::ui::keymap::{self, Action};

/// One thing the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    /// A left click at column `x`, row `y`.
    Click {
        x: u16,
        y: u16,
    },
    /// The mouse wheel turned `by` lines (down is positive) over column `x`, row `y`.
    Wheel {
        x: u16,
        y: u16,
        by: isize,
    },
    /// The terminal changed size: draw again.
    Resize,
    /// The terminal's input is gone.
    Closed,
}

/// The keys, mouse events and resizes of the terminal, as they come.
pub struct Keys {
    events: EventStream,
    /// Replay keys (`n`, `p`) apply.
    replay: bool,
}

impl Keys {
    pub fn new(replay: bool) -> Self {
        Keys {
            events: EventStream::new(),
            replay,
        }
    }

    /// The next input that means something; keys the keymap does not know are passed over.
    pub async fn next(&mut self) -> Input {
        loop {
            match self.events.next().await {
                None | Some(Err(_)) => return Input::Closed,
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = keymap::action(&key, self.replay) {
                        return Input::Action(action);
                    }
                }
                Some(Ok(Event::Mouse(mouse))) => {
                    let (x, y) = (mouse.column, mouse.row);
                    match mouse.kind {
                        MouseEventKind::Down(MouseButton::Left) => return Input::Click { x, y },
                        MouseEventKind::ScrollDown => return Input::Wheel { x, y, by: 1 },
                        MouseEventKind::ScrollUp => return Input::Wheel { x, y, by: -1 },
                        _ => {}
                    }
                }
                Some(Ok(Event::Resize(..))) => return Input::Resize,
                Some(Ok(_)) => {}
            }
        }
    }
}
