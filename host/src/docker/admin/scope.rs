//! The operator's scope for engine management: per kind of object an allow
//! and a deny list of patterns, and the objects that are never in scope
//! (Portcullis's own, and the container the host runs in).
//!
//! A pattern is a name glob (`web-*`, `debian:*`) or a label test
//! (`label:env=dev`, or `label:env` for any value). An object is in scope
//! when no deny pattern matches it and some allow pattern does; a denial
//! names the list and the entry that decided.

use std::collections::HashMap;
use std::sync::OnceLock;

use plugin_kit::glob;

use crate::docker::identity::MANAGED;

/// The kinds of object the operator scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A container.
    Container,
    /// An image.
    Image,
    /// A volume.
    Volume,
    /// A network.
    Network,
}

impl Kind {
    /// The kind's table under `[docker_admin]` (`containers`, ...).
    pub fn table(self) -> &'static str {
        match self {
            Kind::Container => "containers",
            Kind::Image => "images",
            Kind::Volume => "volumes",
            Kind::Network => "networks",
        }
    }

    /// The kind in a sentence.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Image => "image",
            Kind::Volume => "volume",
            Kind::Network => "network",
        }
    }
}

/// One entry of an allow or deny list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A glob (`*` wildcards) matched against each of the object's names.
    Name(String),
    /// The object carries label `key` (with `value`, if given).
    Label {
        /// The label's key.
        key: String,
        /// The value it must have; any when `None`.
        value: Option<String>,
    },
}

impl Pattern {
    /// Parses an entry as written: `label:KEY[=VALUE]`, else a name glob.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        match text.strip_prefix("label:") {
            Some(label) => {
                let (key, value) = match label.split_once('=') {
                    Some((key, value)) => (key, Some(value.to_string())),
                    None => (label, None),
                };
                if key.is_empty() {
                    return Err(format!("`{text}` names no label key; write `label:KEY` or `label:KEY=VALUE`"));
                }
                Ok(Pattern::Label { key: key.to_string(), value })
            }
            None if text.trim().is_empty() => Err("an empty pattern matches nothing; remove it".into()),
            None => Ok(Pattern::Name(text.to_string())),
        }
    }

    fn matches(&self, object: &Object<'_>) -> bool {
        match self {
            Pattern::Name(pattern) => object.names.iter().any(|name| glob(pattern, name)),
            Pattern::Label { key, value } => {
                object.labels.get(key).is_some_and(|v| value.as_ref().is_none_or(|want| want == v))
            }
        }
    }

    /// The entry as the operator wrote it.
    fn written(&self) -> String {
        match self {
            Pattern::Name(glob) => glob.clone(),
            Pattern::Label { key, value: None } => format!("label:{key}"),
            Pattern::Label { key, value: Some(value) } => format!("label:{key}={value}"),
        }
    }
}

/// The allow and deny lists of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Objects must match one of these (default `["*"]`: all).
    pub allow: Vec<Pattern>,
    /// Objects matching one of these are out of scope (default none).
    pub deny: Vec<Pattern>,
}

impl Default for Rules {
    fn default() -> Self {
        Self { allow: vec![Pattern::Name("*".into())], deny: Vec::new() }
    }
}

/// What the scope check sees of an object.
pub struct Object<'a> {
    /// Its kind.
    pub kind: Kind,
    /// The engine's id.
    pub id: &'a str,
    /// Its names: a container's or volume's or network's name, an image's tags.
    pub names: &'a [String],
    /// Its labels.
    pub labels: &'a HashMap<String, String>,
}

/// Whether an object may be touched.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Yes.
    InScope,
    /// Never: it is Portcullis's own, or the host's container. Callers
    /// treat it as absent.
    Hidden,
    /// Not under the operator's rules; the text names the rule.
    Denied(String),
}

impl Rules {
    /// Judges `object` against these rules (the `[docker_admin.<kind>]` table).
    pub fn judge(&self, object: &Object<'_>) -> Verdict {
        if object.labels.get(MANAGED).is_some_and(|v| v == "true")
            || host_container().is_some_and(|me| object.kind == Kind::Container && object.id == me)
        {
            return Verdict::Hidden;
        }
        let (table, noun) = (object.kind.table(), object.kind.noun());
        let name = object.names.first().map_or(object.id, String::as_str);
        if let Some(entry) = self.deny.iter().find(|p| p.matches(object)) {
            return Verdict::Denied(format!(
                "{noun} `{name}` is out of scope: it matches \"{}\" in `docker_admin.{table}.deny` (portcullis.toml)",
                entry.written()
            ));
        }
        if !self.allow.iter().any(|p| p.matches(object)) {
            let allowed: Vec<String> = self.allow.iter().map(|p| format!("\"{}\"", p.written())).collect();
            return Verdict::Denied(format!(
                "{noun} `{name}` is out of scope: it matches none of `docker_admin.{table}.allow` = [{}] (portcullis.toml)",
                allowed.join(", ")
            ));
        }
        Verdict::InScope
    }
}

/// The id of the container this process runs in, if it runs in one: read
/// once from `/proc/self/mountinfo`, where the engine's bind mounts of
/// `/etc/hostname` and friends name `…/containers/<id>/…`.
pub fn host_container() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| std::fs::read_to_string("/proc/self/mountinfo").ok().and_then(|text| container_id_in(&text)))
        .as_deref()
}

/// The first 64-hex-digit id that follows `/containers/` in `mountinfo`.
fn container_id_in(mountinfo: &str) -> Option<String> {
    mountinfo.split("/containers/").skip(1).find_map(|rest| {
        let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (id.len() == 64 && rest[64..].starts_with('/')).then_some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(rules: &Rules, names: &[&str], labels: &[(&str, &str)]) -> Verdict {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let labels: HashMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        rules.judge(&Object { kind: Kind::Container, id: "abc", names: &names, labels: &labels })
    }

    fn rules(allow: &[&str], deny: &[&str]) -> Rules {
        let parse = |list: &[&str]| list.iter().map(|p| Pattern::parse(p).unwrap()).collect();
        Rules { allow: parse(allow), deny: parse(deny) }
    }

    #[test]
    fn deny_wins_and_names_its_entry() {
        let rules = rules(&["*"], &["prod-*", "label:tier=db"]);
        assert_eq!(judge(&rules, &["web"], &[]), Verdict::InScope);
        let Verdict::Denied(why) = judge(&rules, &["prod-web"], &[]) else { panic!("not denied") };
        assert!(why.contains("\"prod-*\" in `docker_admin.containers.deny`"), "{why}");
        let Verdict::Denied(why) = judge(&rules, &["cache"], &[("tier", "db")]) else { panic!("not denied") };
        assert!(why.contains("label:tier=db"), "{why}");
        assert_eq!(judge(&rules, &["cache"], &[("tier", "web")]), Verdict::InScope);
    }

    #[test]
    fn an_object_outside_every_allow_entry_is_denied_with_the_list() {
        let rules = rules(&["dev-*", "label:team"], &[]);
        assert_eq!(judge(&rules, &["dev-api"], &[]), Verdict::InScope);
        assert_eq!(judge(&rules, &["api"], &[("team", "x")]), Verdict::InScope);
        let Verdict::Denied(why) = judge(&rules, &["api"], &[]) else { panic!("not denied") };
        assert!(why.contains("none of `docker_admin.containers.allow` = [\"dev-*\", \"label:team\"]"), "{why}");
    }

    #[test]
    fn portcullis_objects_are_hidden_whatever_the_rules() {
        assert_eq!(judge(&Rules::default(), &["portcullis-x"], &[(MANAGED, "true")]), Verdict::Hidden);
    }

    #[test]
    fn patterns_parse_and_bad_ones_are_refused() {
        assert_eq!(Pattern::parse("label:env").unwrap(), Pattern::Label { key: "env".into(), value: None });
        assert_eq!(
            Pattern::parse("label:env=dev").unwrap(),
            Pattern::Label { key: "env".into(), value: Some("dev".into()) }
        );
        assert!(Pattern::parse("label:=x").is_err());
        assert!(Pattern::parse(" ").is_err());
    }

    #[test]
    fn the_host_container_is_read_from_mountinfo() {
        let id = "0123456789abcdef".repeat(4);
        let line = format!(
            "1234 1200 8:1 /var/lib/docker/containers/{id}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(container_id_in(&line), Some(id));
        assert_eq!(container_id_in("36 35 98:0 / / rw - ext4 /dev/root rw\n"), None);
    }
}
