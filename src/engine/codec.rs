//! The engine's state as bytes, for checkpoints: a snapshot (every state row) or a delta (the
//! rows one batch wrote), each with the engine's marks. Restoring a snapshot then the deltas
//! after it gives back the engine exactly; bytes that do not decode are an error, never a
//! silently different state.
//!
//! Layout: the marks, then per state row its window start (and end, for a session), its key's
//! bytes, the batch that last changed it and its buffers. State kept by pane is per key its
//! bytes and its panes (index and buffers), then the magnitudes of averaged values by pane.
//! Numbers are varints (zigzag for signed ones).

use super::accumulate::{Acc, Extreme, Kind, Numeric};
use super::core::{Engine, Marks, Windows};
use super::interner::Id;
use super::pane_state::PaneState;
use super::query::OutputMode;
use super::session::KeySessions;
use super::time::Micros;
use super::window::Window;

/// State bytes that do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the engine's state does not decode ({0})")]
pub struct StateError(&'static str);

const SLIDING: u8 = 0;
const SESSION: u8 = 1;
const PANES: u8 = 2;

impl Engine {
    /// Every state row with the marks: what a checkpoint snapshot holds.
    pub fn encode_snapshot(&self, out: &mut Vec<u8>) {
        self.encode_marks(out);
        match &self.windows {
            Windows::Sliding { state, .. } => {
                out.push(SLIDING);
                let n = self.kinds.len();
                put_u64(out, state.windows().count() as u64);
                for (start, window) in state.windows() {
                    put_i64(out, start);
                    put_u64(out, window.len() as u64);
                    for (i, &id) in window.keys.iter().enumerate() {
                        self.encode_row(out, id, window.touched[i], window.accs(i, n));
                    }
                }
            }
            Windows::Panes { state, .. } => {
                out.push(PANES);
                put_u64(out, state.keys().count() as u64);
                for (id, panes, accs) in state.keys() {
                    put_bytes(out, self.strings.bytes(id));
                    put_u64(out, panes.len() as u64);
                    for (p, accs) in panes.iter().zip(accs.chunks(self.kinds.len().max(1))) {
                        put_i64(out, *p);
                        self.encode_accs(out, accs);
                    }
                }
                encode_spent(out, state);
            }
            Windows::Session(sessions) => {
                out.push(SESSION);
                put_u64(out, sessions.keys().count() as u64);
                for (id, key) in sessions.keys() {
                    self.encode_sessions(out, id, Some(key));
                }
            }
        }
    }

    /// The state rows the last batch wrote (still held), with the marks: a checkpoint delta.
    /// Not for an engine that does not [`Engine::note_deltas`].
    pub fn encode_delta(&self, out: &mut Vec<u8>) {
        debug_assert!(self.changed.noting(), "a delta of an engine without deltas");
        self.encode_marks(out);
        match &self.windows {
            Windows::Sliding { state, .. } => {
                out.push(SLIDING);
                let n = self.kinds.len();
                let live: Vec<(Micros, usize, &super::window_state::WindowState)> = self
                    .changed
                    .rows()
                    .iter()
                    .filter_map(|&(start, id)| {
                        let window = state.window(start)?;
                        Some((start, window.find(id)?, window))
                    })
                    .collect();
                put_u64(out, live.len() as u64);
                for (start, i, window) in live {
                    put_i64(out, start);
                    put_u64(out, 1);
                    self.encode_row(out, window.keys[i], window.touched[i], window.accs(i, n));
                }
            }
            Windows::Panes { state, .. } => {
                out.push(PANES);
                let geometry = state.geometry();
                let live: Vec<(Id, i64, &[Acc])> = self
                    .changed
                    .rows()
                    .iter()
                    .filter_map(|&(start, id)| {
                        let p = geometry.pane_of_start(start);
                        Some((id, p, state.pane(id, p)?))
                    })
                    .collect();
                put_u64(out, live.len() as u64);
                for (id, p, accs) in live {
                    put_bytes(out, self.strings.bytes(id));
                    put_u64(out, 1);
                    put_i64(out, p);
                    self.encode_accs(out, accs);
                }
                encode_spent(out, state);
            }
            Windows::Session(sessions) => {
                out.push(SESSION);
                put_u64(out, self.changed.rows().len() as u64);
                for &(_, id) in self.changed.rows() {
                    self.encode_sessions(out, id, sessions.of(id));
                }
            }
        }
    }

    fn encode_marks(&self, out: &mut Vec<u8>) {
        let marks = self.marks();
        put_u64(out, marks.next_batch_id);
        put_i64(out, marks.batch_watermark);
        put_i64(out, marks.next_watermark);
        match marks.max_event_time {
            Some(t) => {
                out.push(1);
                put_i64(out, t);
            }
            None => out.push(0),
        }
    }

    fn encode_row(&self, out: &mut Vec<u8>, id: Id, touched: u64, accs: &[Acc]) {
        put_bytes(out, self.strings.bytes(id));
        put_u64(out, touched);
        self.encode_accs(out, accs);
    }

    fn encode_sessions(&self, out: &mut Vec<u8>, id: Id, sessions: Option<&KeySessions>) {
        put_bytes(out, self.strings.bytes(id));
        let n = self.kinds.len();
        let spans = sessions.map_or(&[][..], |s| &s.spans);
        put_u64(out, spans.len() as u64);
        for (i, window) in spans.iter().enumerate() {
            put_i64(out, window.start);
            put_i64(out, window.end);
            let accs = sessions.map_or(&[][..], |s| &s.accs[i * n..(i + 1) * n]);
            self.encode_accs(out, accs);
        }
    }

    fn encode_accs(&self, out: &mut Vec<u8>, accs: &[Acc]) {
        for (kind, acc) in self.kinds.iter().zip(accs) {
            match kind {
                Kind::Count | Kind::CountColumn => put_u64(out, acc.a),
                Kind::Extreme(_, Numeric::Str) => {
                    out.push(u8::from(acc.b != 0));
                    if acc.b != 0 {
                        put_bytes(out, self.strings.bytes(acc.a as Id));
                    }
                }
                _ => {
                    out.extend_from_slice(&acc.a.to_le_bytes());
                    put_u64(out, acc.b);
                }
            }
        }
    }

    /// Moves an engine being restored from a checkpoint on by one state file, a snapshot or a
    /// delta, in order: what its watermark closed is dropped (it was emitted), then its rows are
    /// set.
    pub fn apply_state(&mut self, mut bytes: &[u8]) -> Result<(), StateError> {
        let at = &mut bytes;
        let marks = Marks {
            next_batch_id: take_u64(at)?,
            batch_watermark: take_i64(at)?,
            next_watermark: take_i64(at)?,
            max_event_time: match take_byte(at)? {
                0 => None,
                1 => Some(take_i64(at)?),
                _ => return Err(StateError("max event time")),
            },
        };
        self.evict_through(marks.batch_watermark);
        let kind = take_byte(at)?;
        let count = take_u64(at)?;
        if kind == SLIDING {
            // Written by window (before state by pane, or after a batch left it): so on.
            self.state_by_window();
        }
        match (&self.windows, kind) {
            (Windows::Sliding { .. }, SLIDING) => {
                for _ in 0..count {
                    let start = take_i64(at)?;
                    for _ in 0..take_u64(at)? {
                        let id = self.take_key(at)?;
                        let touched = take_u64(at)?;
                        let accs = self.take_accs(at)?;
                        let Windows::Sliding { state, .. } = &mut self.windows else {
                            unreachable!("matched above")
                        };
                        state.set(start, id, &accs, touched, &mut self.strings, &self.kinds);
                        self.strings.release_if_unused(id);
                    }
                }
            }
            (Windows::Panes { .. }, PANES) => {
                for _ in 0..count {
                    let id = self.take_key(at)?;
                    for _ in 0..take_u64(at)? {
                        let p = take_i64(at)?;
                        let accs = self.take_accs(at)?;
                        let Windows::Panes { state, .. } = &mut self.windows else {
                            unreachable!("matched above")
                        };
                        state.set(id, p, &accs, &mut self.strings);
                    }
                    self.strings.release_if_unused(id);
                }
                let spent = (0..take_u64(at)?)
                    .map(|_| Ok((take_i64(at)?, take_u64(at)?)))
                    .collect::<Result<Vec<_>, StateError>>()?;
                let Windows::Panes { state, .. } = &mut self.windows else {
                    unreachable!("matched above")
                };
                state.set_spent(spent);
                state.recount();
            }
            (Windows::Session(_), SESSION) => {
                for _ in 0..count {
                    let id = self.take_key(at)?;
                    let mut sessions = KeySessions::default();
                    for _ in 0..take_u64(at)? {
                        let (start, end) = (take_i64(at)?, take_i64(at)?);
                        sessions.spans.push(Window { start, end });
                        sessions.accs.extend(self.take_accs(at)?);
                    }
                    let Windows::Session(state) = &mut self.windows else {
                        unreachable!("matched above")
                    };
                    state.set(id, sessions, &mut self.strings, &self.kinds);
                    self.strings.release_if_unused(id);
                }
            }
            _ => return Err(StateError("the window kind is not the query's")),
        }
        if !at.is_empty() {
            return Err(StateError("bytes after the last row"));
        }
        self.next_batch_id = marks.next_batch_id;
        self.batch_watermark = marks.batch_watermark;
        self.next_watermark = marks.next_watermark;
        self.max_event_time = marks.max_event_time;
        Ok(())
    }

    /// Drops what a batch with watermark `watermark` evicted (not in complete mode).
    fn evict_through(&mut self, watermark: Micros) {
        if self.query.mode() == OutputMode::Complete {
            return;
        }
        let mut out = super::emit::Emission::new(self.query.agg_types());
        match &mut self.windows {
            Windows::Sliding { state, .. } => super::emit::sliding(
                state,
                self.query.spec().map_or(0, super::window::WindowSpec::size),
                OutputMode::Update,
                watermark,
                u64::MAX,
                &self.kinds,
                self.query.aggs(),
                &mut self.strings,
                &mut out,
            ),
            Windows::Panes { state, .. } => {
                state.close(watermark, &self.kinds, &mut self.strings, None);
            }
            Windows::Session(sessions) => sessions.emit(
                OutputMode::Append,
                watermark,
                &self.kinds,
                self.query.aggs(),
                &mut self.strings,
                &mut out,
            ),
        }
    }

    /// A key's bytes, interned (no reference taken yet).
    fn take_key(&mut self, at: &mut &[u8]) -> Result<Id, StateError> {
        let bytes = take_bytes(at)?;
        Ok(self.strings.intern(bytes).0)
    }

    /// A state row's buffers; string values are interned with a reference each.
    fn take_accs(&mut self, at: &mut &[u8]) -> Result<Vec<Acc>, StateError> {
        let mut accs = Vec::with_capacity(self.kinds.len());
        for kind in &self.kinds {
            let acc = match kind {
                Kind::Count | Kind::CountColumn => Acc {
                    a: take_u64(at)?,
                    b: 0,
                },
                Kind::Extreme(_, Numeric::Str) => match take_byte(at)? {
                    0 => Acc::default(),
                    1 => {
                        let (id, _) = self.strings.intern(take_bytes(at)?);
                        self.strings.acquire(id);
                        Acc {
                            a: u64::from(id),
                            b: 1,
                        }
                    }
                    _ => return Err(StateError("a string aggregate")),
                },
                Kind::SumLong
                | Kind::SumDouble
                | Kind::Avg
                | Kind::Extreme(Extreme::Min | Extreme::Max, _) => {
                    let a = u64::from_le_bytes(take_fixed(at)?);
                    Acc {
                        a,
                        b: take_u64(at)?,
                    }
                }
            };
            accs.push(acc);
        }
        Ok(accs)
    }
}

/// The magnitudes of averaged values held by state kept by pane.
fn encode_spent(out: &mut Vec<u8>, state: &PaneState) {
    put_u64(out, state.spent_by_pane().count() as u64);
    for (p, magnitude) in state.spent_by_pane() {
        put_i64(out, p);
        put_u64(out, magnitude);
    }
}

fn put_u64(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_i64(out: &mut Vec<u8>, n: i64) {
    put_u64(out, ((n << 1) ^ (n >> 63)) as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn take_byte(at: &mut &[u8]) -> Result<u8, StateError> {
    let (&b, rest) = at.split_first().ok_or(StateError("cut short"))?;
    *at = rest;
    Ok(b)
}

fn take_u64(at: &mut &[u8]) -> Result<u64, StateError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = take_byte(at)?;
        n |= u64::from(b & 0x7F) << shift;
        if b < 0x80 {
            return Ok(n);
        }
    }
    Err(StateError("a number too long"))
}

fn take_i64(at: &mut &[u8]) -> Result<i64, StateError> {
    let n = take_u64(at)?;
    Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
}

fn take_fixed(at: &mut &[u8]) -> Result<[u8; 8], StateError> {
    let (head, rest) = at.split_first_chunk::<8>().ok_or(StateError("cut short"))?;
    *at = rest;
    Ok(*head)
}

fn take_bytes<'a>(at: &mut &'a [u8]) -> Result<&'a [u8], StateError> {
    let len = usize::try_from(take_u64(at)?).map_err(|_| StateError("a length"))?;
    if len > at.len() {
        return Err(StateError("cut short"));
    }
    let (bytes, rest) = at.split_at(len);
    *at = rest;
    Ok(bytes)
}
