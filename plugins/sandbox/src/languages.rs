//! The languages the loaded packs run, as the host reports them.

use crate::host::Host;
use plugin_kit::Language;

/// The loaded language called `name` (any ASCII case), or else the one whose
/// file extension is `name`.
pub fn find(host: &dyn Host, name: &str) -> Option<Language> {
    let languages = host.languages();
    let by_name = languages.iter().position(|l| l.name.eq_ignore_ascii_case(name));
    let by_extension = || languages.iter().position(|l| l.file_extension.eq_ignore_ascii_case(name));
    by_name.or_else(by_extension).map(|i| languages[i].clone())
}

/// "no loaded language pack runs `name`", with the languages that can run.
pub fn no_pack_runs(host: &dyn Host, name: &str) -> String {
    let names: Vec<String> = host.languages().into_iter().map(|l| l.name).collect();
    let available = if names.is_empty() { "none".to_string() } else { names.join(", ") };
    format!("no loaded language pack runs {name} (available: {available})")
}
