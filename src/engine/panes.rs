//! A batch's entries on their way from panes to windows ([`super::sliding::Partial`]): the merge
//! of a run of one key's panes, shared by the windows that hold that run, and the entries put in
//! window start order for the fold into the state.

use super::accumulate::{self, Acc, Kind};
use super::interner::Interner;
use super::time::Micros;

/// The indices of `items` (each with a window start, a multiple of `slide`) in start order,
/// those of one start in the order they came: counted into one bucket a start when the starts
/// are close together (a batch's usually are), sorted otherwise.
pub(super) fn start_order<T>(
    items: &[T],
    start: impl Fn(&T) -> Micros,
    slide: Micros,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let (Some(first), Some(last)) = (
        items.iter().map(&start).min(),
        items.iter().map(&start).max(),
    ) else {
        return order;
    };
    let Some(buckets) = (last.checked_sub(first))
        .map(|span| span / slide + 1)
        .filter(|&b| b <= items.len() as i64)
    else {
        order.sort_by_key(|&at| start(&items[at]));
        return order;
    };
    let bucket = |item: &T| ((start(item) - first) / slide) as usize;
    let mut next = vec![0; buckets as usize + 1];
    for item in items {
        next[bucket(item) + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    for (at, item) in items.iter().enumerate() {
        let place = &mut next[bucket(item)];
        order[*place] = at;
        *place += 1;
    }
    order
}

/// The merge of a run of one key's panes ([`super::sliding::Partial::panes_to_windows`]), kept
/// while the windows swept hold that run.
pub(super) struct Panes {
    /// The run merged, as `(lo, hi)` of the key's panes.
    held: Option<(usize, usize)>,
    pub accs: Vec<Acc>,
    pub rows: u64,
}

impl Panes {
    pub fn new(n: usize) -> Panes {
        Panes {
            held: None,
            accs: vec![Acc::default(); n],
            rows: 0,
        }
    }

    /// Makes the merge that of `panes[lo..hi]` (entries into `accs` and `rows`), unless it is
    /// (cleared for each key).
    pub fn hold(
        &mut self,
        (lo, hi): (usize, usize),
        panes: &[usize],
        (accs, rows): (&[Acc], &[u64]),
        kinds: &[Kind],
        strings: &mut Interner,
    ) {
        if self.held == Some((lo, hi)) {
            return;
        }
        self.clear(kinds, strings);
        let n = kinds.len();
        for &at in &panes[lo..hi] {
            accumulate::merge_all(kinds, &mut self.accs, &accs[at * n..(at + 1) * n], strings);
            self.rows += rows[at];
        }
        self.held = Some((lo, hi));
    }

    /// Empties the merge, giving back the string references it held.
    pub fn clear(&mut self, kinds: &[Kind], strings: &mut Interner) {
        for (kind, acc) in kinds.iter().zip(&mut self.accs) {
            accumulate::release(*kind, acc, strings);
            *acc = Acc::default();
        }
        self.rows = 0;
        self.held = None;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::interner::Id;
    use super::*;

    proptest! {
        #[test]
        fn entries_come_in_start_order_and_in_the_order_they_came_within_a_start(
            units in prop::collection::vec(
                (prop_oneof![0i64..40, Just(i64::MIN / 5), Just(i64::MAX / 5)], 0u32..5),
                0..60,
            ),
        ) {
            let units: Vec<(Micros, Id)> = units.into_iter().map(|(s, id)| (s * 5, id)).collect();
            let order = start_order(&units, |u| u.0, 5);
            let mut sorted: Vec<usize> = (0..units.len()).collect();
            sorted.sort_by_key(|&at| units[at].0);
            prop_assert_eq!(order, sorted);
        }
    }
}
