//! A batch that takes a whole tick aggregated elsewhere ([`TickPartial`]) in one step, with
//! the answers, state, statistics and late sample it would have had from the tick's rows
//! pushed one by one.

use super::super::tick_partial::TickPartial;
use super::{Batch, Engine, Windows};

/// Why a batch did not absorb a tick: its rows must be pushed one by one instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotAbsorbed {
    #[error("the batch already has rows")]
    HasRows,
    #[error("the state may reach --max-state-rows: rows of new keys are refused one by one")]
    StateFull,
    #[error("the tick was aggregated for another query")]
    OtherQuery,
}

impl Batch<'_> {
    /// Takes `tick` as the batch's rows, all of them (the batch has none yet), for the engine
    /// and each follower; nothing is taken when one of them cannot.
    pub fn absorb(&mut self, tick: &TickPartial) -> Result<(), NotAbsorbed> {
        self.engine.can_absorb(tick)?;
        for follower in &self.followers {
            follower.engine.can_absorb(tick)?;
        }
        self.engine.absorb(tick);
        for follower in &mut self.followers {
            follower.engine.absorb(tick);
        }
        Ok(())
    }
}

impl Engine {
    fn can_absorb(&self, tick: &TickPartial) -> Result<(), NotAbsorbed> {
        if self.running.event_times.count() > 0 {
            return Err(NotAbsorbed::HasRows);
        }
        if !self.has_room(tick.keys.id_bound()) {
            return Err(NotAbsorbed::StateFull);
        }
        match &self.windows {
            Windows::Sliding { spec, .. } | Windows::Panes { spec, .. }
                if *spec == tick.spec && self.counts_only && !self.running.by_window =>
            {
                Ok(())
            }
            _ => Err(NotAbsorbed::OtherQuery),
        }
    }

    /// What [`Engine::push`] of each of the tick's rows would have done, key by key and run by
    /// run: keys are interned in the order they first came, and counted in each run in the
    /// order they came in it, so the batch's entries (and its output's order) are the same.
    fn absorb(&mut self, tick: &TickPartial) {
        self.running.event_times = tick.event_times;
        self.running.event_times.add_zeros(tick.without_time);
        self.running.without_time = tick.without_time;
        // The latest time of the rows that have one: a NULL's 0 is in the statistics alone.
        if let Some(max) = tick.event_times.max_micros()
            && self.max_event_time.is_none_or(|before| max > before)
        {
            self.max_event_time = Some(max);
        }
        let ids: Vec<_> = (0..tick.keys.id_bound())
            .map(|local| {
                let (id, fresh) = self.strings.intern(tick.keys.bytes(local as u32));
                if fresh {
                    self.strings.acquire(id);
                    self.new_keys.push(id);
                }
                id
            })
            .collect();
        let (Windows::Sliding { spec, partial, .. } | Windows::Panes { spec, partial, .. }) =
            &mut self.windows
        else {
            return;
        };
        for (pane, counts) in tick.runs() {
            for &(local, n) in counts {
                partial.count_rows(pane, ids[local as usize], n);
            }
        }
        // The sample of late pairs: those of the latest rows of late panes, in row order (none
        // where no row is late: complete mode's time windows).
        let threshold = self.running.late_threshold;
        let filters_late = self.query.filters_late();
        let late_pane = |pane| {
            filters_late
                && spec
                    .windows_of_pane(pane)
                    .next()
                    .is_some_and(|w| w.end <= threshold)
        };
        let mut late: Vec<_> = tick
            .last_rows()
            .filter(|last| late_pane(last.pane))
            .flat_map(|last| last.rows().iter().map(|&row| (row, last.pane)))
            .collect();
        late.sort_unstable_by_key(|&((number, ..), _)| number);
        for ((_, event_time, local), pane) in late {
            let key = tick.keys.bytes(local);
            for window in spec
                .windows_of_pane(pane)
                .take_while(|w| w.end <= threshold)
            {
                self.late.record(event_time, key, window, threshold);
            }
        }
    }
}
