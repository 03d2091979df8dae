//! The modes view's engines: the run's stream through Spark's other two output modes, tick by
//! tick, so the dashboard can show side by side what append, update and complete mode emit for
//! the same rows. Display only: nothing here reaches a sink, the checkpoint or the progress log.
//!
//! Each other mode has an engine of its own that takes every row the run's engine takes (as a
//! follower of its data batches, [`crate::engine::Engine::begin_with`]) and runs its own no-data
//! batches by its own tick rule, so its batch ids and watermarks are what Spark would give in
//! that mode. A mode Spark refuses for the query (update with session windows) says why. Complete
//! mode never forgets a window: past [`MAX_STATE_ROWS`] such an engine stops and says so, so
//! that a long run's memory stays bounded by what the run's own mode holds. A run resumed from a
//! checkpoint starts its other modes empty.

use std::collections::VecDeque;

use crate::engine::{BatchOutput, Engine, OutputMode, Query, Tick};

/// Trigger ticks the view keeps.
pub const RECENT_TICKS: usize = 12;
/// Emitted rows kept per batch (the count of all is kept too).
pub const ROWS_KEPT: usize = 40;
/// State rows past which an other mode's engine stops.
pub const MAX_STATE_ROWS: usize = 1_000_000;

/// One mode's batch at one tick, its rows cut to [`ROWS_KEPT`]: the first ones, or in complete
/// mode the last ones (the newest windows, where the table changes).
#[derive(Debug, Clone)]
pub struct ModeBatch {
    pub output: BatchOutput,
    /// Rows the batch emitted in all.
    pub emitted: usize,
}

impl ModeBatch {
    fn of(output: &BatchOutput) -> Self {
        ModeBatch {
            output: if output.mode == OutputMode::Complete {
                output.excerpt(output.rows.len().saturating_sub(ROWS_KEPT)..usize::MAX)
            } else {
                output.excerpt(0..ROWS_KEPT)
            },
            emitted: output.rows.len(),
        }
    }
}

/// What each mode ran at one trigger tick, in [`OutputMode::ALL`]'s order (none: no batch).
#[derive(Debug, Clone)]
pub struct TickModes {
    pub tick: u64,
    pub batches: [Option<ModeBatch>; 3],
}

/// An other mode's engine, or why there is none.
enum Other {
    Running(Box<Engine>),
    /// Spark refuses the query in this mode, or the engine stopped; the reason.
    Off(String),
}

/// The engines of the modes the run does not use, and what every mode did lately.
pub struct OtherModes {
    main: OutputMode,
    others: Vec<(OutputMode, Other)>,
    recent: VecDeque<TickModes>,
}

fn index(mode: OutputMode) -> usize {
    OutputMode::ALL
        .iter()
        .position(|m| *m == mode)
        .unwrap_or_default()
}

impl OtherModes {
    /// Engines for `query` in each output mode but its own.
    pub fn new(query: &Query) -> Self {
        let others = OutputMode::ALL
            .into_iter()
            .filter(|mode| *mode != query.mode())
            .map(|mode| {
                let mut request = query.request().clone();
                request.mode = mode;
                let other = match Query::new(request) {
                    Ok(query) => {
                        // Never checkpointed: no deltas to note.
                        let mut engine = Engine::new(query);
                        engine.note_deltas(false);
                        Other::Running(Box::new(engine))
                    }
                    Err(e) => Other::Off(e.to_string()),
                };
                (mode, other)
            })
            .collect();
        OtherModes {
            main: query.mode(),
            others,
            recent: VecDeque::new(),
        }
    }

    /// The engines that take the next data batch's rows, in mode order.
    pub fn engines_mut(&mut self) -> impl Iterator<Item = &mut Engine> {
        self.others.iter_mut().filter_map(|(_, other)| match other {
            Other::Running(engine) => Some(&mut **engine),
            Other::Off(_) => None,
        })
    }

    /// Records tick `tick`'s data batch: the run's `main` output and its followers' `outputs`
    /// (in the order [`OtherModes::engines_mut`] gave the engines).
    pub fn record_data(&mut self, tick: u64, main: &BatchOutput, outputs: &[BatchOutput]) {
        let main_mode = self.main;
        let running: Vec<OutputMode> = self
            .others
            .iter()
            .filter(|(_, other)| matches!(other, Other::Running(_)))
            .map(|(mode, _)| *mode)
            .collect();
        let entry = self.entry(tick);
        entry.batches[index(main_mode)] = Some(ModeBatch::of(main));
        for (mode, output) in running.into_iter().zip(outputs) {
            entry.batches[index(mode)] = Some(ModeBatch::of(output));
        }
        self.stop_the_overgrown(tick);
    }

    /// A tick without rows: records the run's no-data batch `main` (if it ran one) and runs each
    /// other mode's no-data batch where its tick rule says so.
    pub fn idle(&mut self, tick: u64, main: Option<&BatchOutput>) {
        if let Some(main) = main {
            let at = index(self.main);
            self.entry(tick).batches[at] = Some(ModeBatch::of(main));
        }
        let mut ran = Vec::new();
        for (mode, other) in &mut self.others {
            if let Other::Running(engine) = other
                && let Tick::Run(kind) = engine.tick(false)
            {
                let output = engine.begin(kind).finish();
                ran.push((*mode, ModeBatch::of(&output)));
            }
        }
        for (mode, batch) in ran {
            self.entry(tick).batches[index(mode)] = Some(batch);
        }
        self.stop_the_overgrown(tick);
    }

    /// The latest ticks at which some mode ran a batch, newest first.
    pub fn recent(&self) -> &VecDeque<TickModes> {
        &self.recent
    }

    /// Why a mode has no batches (refused by Spark, or stopped), in [`OutputMode::ALL`]'s order.
    pub fn notes(&self) -> [Option<String>; 3] {
        let mut notes = [None, None, None];
        for (mode, other) in &self.others {
            if let Other::Off(why) = other {
                notes[index(*mode)] = Some(why.clone());
            }
        }
        notes
    }

    /// The run's own mode.
    pub fn main(&self) -> OutputMode {
        self.main
    }

    /// The record of tick `tick`, made the newest if it is not there yet.
    fn entry(&mut self, tick: u64) -> &mut TickModes {
        if self.recent.front().is_none_or(|t| t.tick != tick) {
            self.recent.push_front(TickModes {
                tick,
                batches: [None, None, None],
            });
            self.recent.truncate(RECENT_TICKS);
        }
        self.recent.front_mut().expect("pushed above")
    }

    fn stop_the_overgrown(&mut self, tick: u64) {
        for (mode, other) in &mut self.others {
            if let Other::Running(engine) = other
                && engine.state_rows() > MAX_STATE_ROWS
            {
                *other = Other::Off(format!(
                    "stopped at tick {tick}: {} mode's state grew past {MAX_STATE_ROWS} rows",
                    mode.name()
                ));
            }
        }
    }
}
