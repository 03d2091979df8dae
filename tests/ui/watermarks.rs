//! What the Watermark panel says about the windows' fate in each output mode.

use super::*;

/// Complete mode keeps every window: nothing is marked closing and no close is counted down.
#[test]
fn complete_mode_marks_no_window_closing() {
    let snapshot = as_live("seed_random", &["--output-mode", "complete"], 6);
    for size in SIZES {
        let screen = render(&snapshot, &status(), &ViewState::default(), size);
        assert!(
            !screen.contains("closing") && !screen.contains("next close"),
            "{screen}"
        );
        assert!(screen.contains("complete mode evicts nothing"), "{screen}");
    }
    check("complete", &snapshot, &status(), &ViewState::default());
}

/// Update mode drops a window the watermark passed without emitting it: evicted, not closed.
#[test]
fn update_mode_says_evicted_not_closing() {
    let snapshot = as_live("seed_random", &["--output-mode", "update"], 6);
    let screen = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    assert!(
        !screen.contains("closing") && !screen.contains("next close"),
        "{screen}"
    );
    assert!(
        screen.contains("evicted") && screen.contains("next eviction"),
        "{screen}"
    );
}
