//! The declarative description of a language pack.

use crate::validate::NameCheck;

/// Everything a language pack is: the language it runs, if any, and the one
/// package manager it drives. A pack is a `const` of this type; the methods in
/// this crate implement the WIT exports from it.
#[derive(Debug, Clone, Copy)]
pub struct PackSpec {
    /// The pack's name (`python`, `apt`), used in messages.
    pub name: &'static str,
    /// The language the pack runs, or `None` for packs that only install
    /// OS packages.
    pub language: Option<LanguageSpec>,
    /// The package manager the pack drives.
    pub manager: ManagerSpec,
}

/// A language a pack runs and scans.
#[derive(Debug, Clone, Copy)]
pub struct LanguageSpec {
    /// The canonical name, lower case (`node`); reported back to callers.
    pub name: &'static str,
    /// Other names callers may use for it (`javascript`, `js`).
    pub aliases: &'static [&'static str],
    /// The source file extension, without the dot.
    pub file_extension: &'static str,
    /// The program that runs a source file given as its only argument.
    pub runner: &'static str,
    /// The installable package names that source text imports, in any order,
    /// possibly repeated; every name must pass the pack manager's checks.
    pub detect: fn(&str) -> Vec<String>,
}

/// A package manager and how to build its install command.
#[derive(Debug, Clone, Copy)]
pub struct ManagerSpec {
    /// The manager's name (`pip`, `npm`, `apt`, `apk`).
    pub name: &'static str,
    /// The rules every package name must pass.
    pub names: NameCheck,
    /// Commands that run before the install command, in order, with the
    /// same environment (`apt-get update`); usually none.
    pub prepare: &'static [&'static [&'static str]],
    /// The install command up to (not including) the index option and the
    /// package names.
    pub argv: &'static [&'static str],
    /// The option that takes the operator's index URL as the next argument,
    /// or `None` when the manager has no such option (an index URL is then
    /// refused rather than silently ignored).
    pub index_option: Option<&'static str>,
    /// Environment variables every step of the install needs.
    pub env: &'static [(&'static str, &'static str)],
}
