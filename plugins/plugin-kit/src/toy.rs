//! The toy packs this crate's tests run against.

use crate::spec::{LanguageSpec, ManagerSpec, PackSpec};
use crate::validate::NameCheck;

fn lower(name: &str) -> Result<(), &'static str> {
    if name.chars().all(|c| c.is_ascii_lowercase()) { Ok(()) } else { Err("be lower-case letters") }
}

fn words(source: &str) -> Vec<String> {
    source.split_whitespace().map(String::from).collect()
}

/// A manager of lower-case names, with a prepare step, an index option and an environment.
const MANAGER: ManagerSpec = ManagerSpec {
    name: "toy",
    names: NameCheck { grammar_specials: "", grammar: lower },
    prepare: &[&["toy", "refresh"]],
    argv: &["toy", "install"],
    index_option: Some("--index"),
    env: &[("TOY_QUIET", "1")],
};

/// A language pack whose imports are the source's words.
pub(crate) const LANG: PackSpec = PackSpec {
    name: "toylang",
    language: Some(LanguageSpec {
        name: "toylang",
        aliases: &["tl"],
        file_extension: "toy",
        runner: "toyrun",
        detect: words,
    }),
    manager: MANAGER,
};

/// An OS pack whose manager takes no index URL.
pub(crate) const OS: PackSpec =
    PackSpec { name: "toyos", language: None, manager: ManagerSpec { index_option: None, ..MANAGER } };
