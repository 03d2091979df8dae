//! A private tmux server for the tests that drive the real binary in a real terminal: start a
//! command in it, send keys, read the screen back with `capture-pane`.
//!
//! Without tmux on the machine [`have_tmux`] says so and the test passes, unless
//! `WINDOW_TUI_REQUIRE_TMUX` is set (`.ci/run` installs tmux and sets it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server, killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(name: &str, dir: &Path, command: &str, width: u16, height: u16) -> Tmux {
        let tmux = Tmux {
            socket: format!("window-tui-{name}-{}", std::process::id()),
        };
        let status = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "main",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-c", &dir.display().to_string()])
            .arg(command)
            .env_remove("TMUX")
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "main"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "main"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format expanded for the pane, e.g. `#{mouse_any_flag}` (whether the program in it
    /// asked for mouse events).
    pub fn format(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display-message",
                "-p",
                "-t",
                "main",
                format,
            ])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen satisfies `done`; panics with the screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

pub fn have_tmux() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("WINDOW_TUI_REQUIRE_TMUX").is_none(),
            "tmux is required here (apt-get install tmux)"
        );
        eprintln!("skipped: tmux is not installed");
    }
    found
}
