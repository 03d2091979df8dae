//! Colours and emphasis, or emphasis alone when `NO_COLOR` is set.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub border: Style,
    pub focused: Style,
    pub title: Style,
    pub dim: Style,
    pub accent: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub bar: Style,
    pub closing: Style,
    pub key: Style,
    pub selected: Style,
}

impl Theme {
    pub fn colored() -> Self {
        Theme {
            border: Style::new().fg(Color::DarkGray),
            focused: Style::new().fg(Color::Cyan),
            title: Style::new().add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(Color::Cyan),
            good: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            bad: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            bar: Style::new().fg(Color::Blue),
            closing: Style::new().fg(Color::Yellow),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
        }
    }

    /// No colour at all (<https://no-color.org>), only bold, dim and reverse.
    pub fn plain() -> Self {
        let none = Style::new();
        Theme {
            border: none,
            focused: Style::new().add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            dim: Style::new().add_modifier(Modifier::DIM),
            accent: none,
            good: none,
            warn: Style::new().add_modifier(Modifier::BOLD),
            bad: Style::new().add_modifier(Modifier::BOLD),
            bar: none,
            closing: Style::new().add_modifier(Modifier::DIM),
            key: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
        }
    }

    /// Plain when `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Self::plain(),
            _ => Self::colored(),
        }
    }
}
