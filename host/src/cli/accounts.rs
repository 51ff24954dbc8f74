//! The authorization server's local commands, which work on the state
//! database directly (the host may be running or not):
//! `portcullis users add|list|remove` and `portcullis oauth rotate-key`.
//! A password is read from stdin (without echo on a terminal), never from
//! the command line, where other local users could read it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::{Config, ProcessEnv};
use crate::oauth::{keys, users};
use crate::state::sqlite::SqliteStore;

/// Where the state database is.
#[derive(Args, Debug)]
pub struct StateArgs {
    /// The configuration file (else CONFIG_FILE), for its `state_dir`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// `portcullis users …`.
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a user who can sign in on the authorization page, or set the
    /// password of one; the password is read from stdin.
    Add {
        /// The user name (a-z, 0-9, `.`, `_`, `-`).
        name: String,
    },
    /// List the users.
    List,
    /// Remove a user.
    Remove {
        /// The user name.
        name: String,
    },
}

/// `portcullis oauth …`.
#[derive(Subcommand, Debug)]
pub enum OAuthCommand {
    /// Add a new signing key for access tokens; it signs from now on (a
    /// running host switches within 30 s), and tokens the older keys signed
    /// stay valid until they expire.
    RotateKey,
}

/// Runs a `portcullis users` command: 0 done, 1 failed.
pub fn users(state: StateArgs, command: UsersCommand) -> ExitCode {
    super::print_outcome(open(&state).and_then(|store| match command {
        UsersCommand::Add { name } => {
            let password = read_password(&name)?;
            let created = users::set(&store, &name, &password)?;
            Ok(format!("{} user `{name}`\n", if created { "added" } else { "updated" }))
        }
        UsersCommand::List => {
            let mut out = String::new();
            for user in users::list(&store)? {
                out.push_str(&format!("{}\n", user.name));
            }
            Ok(out)
        }
        UsersCommand::Remove { name } => match users::remove(&store, &name)? {
            true => Ok(format!("removed user `{name}`\n")),
            false => anyhow::bail!("there is no user `{name}`"),
        },
    }))
}

/// Runs a `portcullis oauth` command: 0 done, 1 failed.
pub fn oauth(state: StateArgs, command: OAuthCommand) -> ExitCode {
    super::print_outcome(open(&state).and_then(|store| match command {
        OAuthCommand::RotateKey => {
            let kid = keys::rotate(&store).map_err(anyhow::Error::msg)?;
            Ok(format!("new signing key `{kid}`\n"))
        }
    }))
}

fn open(state: &StateArgs) -> anyhow::Result<SqliteStore> {
    let config = Config::load(state.config.as_deref(), &ProcessEnv)?;
    let dir = config
        .state_dir
        .ok_or_else(|| anyhow::anyhow!("no state directory: set PORTCULLIS_STATE_DIR or `state_dir`"))?;
    Ok(SqliteStore::open(&dir.join(crate::state::DB_FILE))?)
}

/// A password from stdin: prompted for (twice, without echo) on a terminal,
/// else its first line.
fn read_password(name: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = prompt(&format!("Password for {name}: "))?;
    let second = prompt("Again: ")?;
    anyhow::ensure!(first == second, "the passwords differ");
    Ok(first)
}

fn prompt(text: &str) -> anyhow::Result<String> {
    eprint!("{text}");
    std::io::stderr().flush()?;
    let _quiet = Quiet::on();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    eprintln!();
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The terminal's echo, off until dropped.
struct Quiet(Option<libc::termios>);

impl Quiet {
    fn on() -> Quiet {
        // SAFETY: tcgetattr/tcsetattr on stdin with a zeroed, then filled, termios.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return Quiet(None);
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet);
            Quiet(Some(saved))
        }
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `on`.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
            }
        }
    }
}
