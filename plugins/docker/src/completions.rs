//! Completion of the prompt's `container` argument and the templates'
//! `{container}` variable: the names of the containers in scope.

use crate::host::Host;
use crate::{prompts, resources};
use plugin_kit::Fail;

/// The most values one completion returns.
pub const MAX_VALUES: usize = 100;

/// What is being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// An argument of the named prompt.
    Prompt(String),
    /// A variable of the resource template with this URI template.
    Template(String),
}

/// Suggested values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// At most [`MAX_VALUES`], in name order.
    pub values: Vec<String>,
    /// How many values exist in all.
    pub total: u32,
    /// Whether more values exist than were returned.
    pub has_more: bool,
}

/// Completes `argument` of `reference` whose partial value is `prefix`:
/// `not-found` for an argument this plugin does not complete; otherwise the
/// names of the containers (stopped ones too) that start with `prefix`.
pub fn complete(host: &dyn Host, reference: &Reference, argument: &str, prefix: &str) -> Result<Completion, Fail> {
    let known = match reference {
        Reference::Prompt(name) => prompts::DIAGNOSE.name == name && argument == "container",
        Reference::Template(uri) => {
            resources::TEMPLATES.iter().any(|t| t.uri_template == uri) && argument == resources::VARIABLE
        }
    };
    if !known {
        let of = match reference {
            Reference::Prompt(name) => format!("prompt {name:?}"),
            Reference::Template(uri) => format!("resource template {uri:?}"),
        };
        return Err(Fail::NotFound(format!("the docker plugin completes no argument {argument:?} of {of}")));
    }
    let names = host.list_containers(true, &[])?.into_iter().map(|c| c.name);
    Ok(matching(names, prefix))
}

/// The distinct `names` that start with `prefix`, in order, at most [`MAX_VALUES`].
fn matching(names: impl Iterator<Item = String>, prefix: &str) -> Completion {
    let mut values: Vec<String> = names.filter(|name| name.starts_with(prefix)).collect();
    values.sort();
    values.dedup();
    let total = values.len();
    values.truncate(MAX_VALUES);
    Completion { values, total: u32::try_from(total).unwrap_or(u32::MAX), has_more: total > MAX_VALUES }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter().map(|n| n.to_string()).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn values_start_with_the_prefix_in_name_order() {
        let completion = matching(names(&["web-2", "db", "web-1", "worker"]), "we");
        assert_eq!(completion, Completion { values: vec!["web-1".into(), "web-2".into()], total: 2, has_more: false });
        assert_eq!(matching(names(&["a", "b"]), "").values, ["a", "b"]);
        assert_eq!(matching(names(&["a"]), "z").total, 0);
    }

    #[test]
    fn at_most_a_hundred_values() {
        let many: Vec<String> = (0..150).map(|i| format!("c{i:03}")).collect();
        let completion = matching(many.into_iter(), "c");
        assert_eq!((completion.values.len(), completion.total, completion.has_more), (100, 150, true));
        assert_eq!(completion.values[0], "c000");
    }
}
