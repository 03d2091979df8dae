//! Terminal input: crossterm's async event stream, turned into what the run loop acts on (an
//! action from the keymap, a resize, or the end of input).

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;

use crate::ui::keymap::{self, Action};

/// One thing the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    /// The terminal changed size: draw again.
    Resize,
    /// The terminal's input is gone.
    Closed,
}

/// The keys and resizes of the terminal, as they come.
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
                Some(Ok(Event::Resize(..))) => return Input::Resize,
                Some(Ok(_)) => {}
            }
        }
    }
}
