//! The manual page, `window-tui(1)`: the one page `window-tui man` prints (`window-tui man |
//! man -l -`), so it holds the commands too. `clap_mangen`'s page lists each subcommand as a
//! page of its own (`window-tui-replay(1)`) that nothing writes or installs; here the list names
//! them as they are typed (`window-tui replay`), and each has a section of this page: its
//! synopsis, description, options and examples.

use std::io;

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::Cli;

/// The page, roff.
pub(super) fn page() -> io::Result<Vec<u8>> {
    let mut cli = Cli::command();
    cli.build();
    let man = Man::new(cli.clone());
    let mut page = String::new();
    page += &rendered(|w| man.render_title(w))?;
    page += &part(|w| man.render_name_section(w))?;
    page += &part(|w| man.render_synopsis_section(w))?;
    page += &part(|w| man.render_description_section(w))?;
    page += &part(|w| man.render_options_section(w))?;
    page += &body(&commands_list(&cli))?;
    // clap_mangen heads the long help's end EXTRA; it is the examples (and the notes after them).
    page += &part(|w| man.render_extra_section(w))?.replacen(".SH EXTRA", ".SH EXAMPLES", 1);
    for command in detailed(&cli) {
        page += &command_section(command)?;
    }
    page += &part(|w| man.render_version_section(w))?;
    Ok(page.into_bytes())
}

/// The subcommands a user would look up, in the order `--help` lists them.
fn listed(cli: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cli.get_subcommands().filter(|c| !c.is_hide_set())
}

/// The subcommands with a section of their own: all but `help`, which only shows the others'.
fn detailed(cli: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    listed(cli).filter(|c| c.get_name() != "help")
}

/// How a subcommand is typed: `window-tui replay`.
fn typed(command: &clap::Command) -> String {
    command.get_bin_name().map_or_else(
        || format!("window-tui {}", command.get_name()),
        str::to_owned,
    )
}

/// The heading of a subcommand's section: `WINDOW-TUI REPLAY`.
fn heading(command: &clap::Command) -> String {
    typed(command).to_uppercase()
}

/// The COMMANDS section: each subcommand as typed, what it does, and where its section is.
fn commands_list(cli: &clap::Command) -> Roff {
    let mut roff = Roff::default();
    roff.control("SH", ["COMMANDS"]);
    for command in listed(cli) {
        roff.control("TP", []);
        roff.text([bold(typed(command))]);
        let about = command
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        if command.get_name() == "help" {
            roff.text([roman(about)]);
        } else {
            roff.text([roman(format!("{about} (see {} below)", heading(command)))]);
        }
    }
    roff
}

/// A subcommand's section: its synopsis, its description, its options and its examples, the
/// headings `clap_mangen` gives them one level down.
fn command_section(command: &clap::Command) -> io::Result<String> {
    let man = Man::new(command.clone());
    let mut head = Roff::default();
    head.control("SH", [heading(command).as_str()]);
    let mut section = body(&head)?;
    section += &demoted(&part(|w| man.render_synopsis_section(w))?);
    section += &demoted(&part(|w| man.render_description_section(w))?);
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        section += &demoted(&part(|w| man.render_options_section(w))?);
    }
    if let Some(after) = command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
    {
        let mut examples = Roff::default();
        examples.control("PP", []);
        for line in after.to_string().lines() {
            examples.text([roman(line)]);
        }
        section += &body(&examples)?;
    }
    Ok(section)
}

/// What `render` writes, as text.
fn rendered(render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> io::Result<String> {
    let mut out = Vec::new();
    render(&mut out)?;
    String::from_utf8(out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// What `render` writes, without the preamble every rendering repeats (the string `Aq`
/// defined again): the page's title keeps it.
fn part(render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> io::Result<String> {
    let mut text = String::new();
    for line in rendered(render)?.lines().filter(|line| !is_preamble(line)) {
        text.push_str(line);
        text.push('\n');
    }
    Ok(text)
}

/// `roff` rendered, without its preamble.
fn body(roff: &Roff) -> io::Result<String> {
    part(|w| roff.to_writer(w))
}

/// `text` with its sections made subsections.
fn demoted(text: &str) -> String {
    let mut demoted = String::new();
    for line in text.lines() {
        match line.strip_prefix(".SH ") {
            Some(title) => {
                demoted.push_str(".SS ");
                demoted.push_str(title);
            }
            None => demoted.push_str(line),
        }
        demoted.push('\n');
    }
    demoted
}

/// Whether `line` is one of the two lines of the preamble `roff` writes before each rendering.
fn is_preamble(line: &str) -> bool {
    line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq")
}
