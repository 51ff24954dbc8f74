//! Management of the whole Docker engine: the `docker-engine` import.
//!
//! `host` implements the import: each call checks its grant (`docker-read`
//! or `docker-manage`) and, when destructive, asks the user to confirm as
//! the operator chose (`confirm`). [`EngineAdmin`] then resolves the object
//! named, checks it against the operator's scope (`scope`, set by `config`)
//! and acts; one module per kind of object (`containers`, `images`,
//! `volumes`, `networks`) and one for the engine-wide reports (`system`).
//! Portcullis's own objects are never in scope: the sandbox's session rules
//! govern them.

mod config;
mod confirm;
mod containers;
mod host;
mod images;
mod networks;
mod scope;
mod system;
mod volumes;

use std::collections::HashMap;

pub use config::{Confirm, DockerAdminConfig};
pub use host::{EngineCall, EngineImport};
pub use scope::{Pattern, Rules};

use super::DockerService;
use super::engine::Client;
use super::error::Error;
use scope::{Kind, Object, Verdict};

/// One call's view of engine management: a connected client and the
/// operator's scope.
struct EngineAdmin<'a> {
    client: Client,
    config: &'a DockerAdminConfig,
}

/// An object that was resolved and admitted: what a confirmation names and
/// what the action addresses.
struct Target {
    /// The engine's id, which actions use (never the name the caller gave).
    id: String,
    /// The object in a sentence: "container `web` (id 0123456789ab, nginx, running)".
    description: String,
}

impl DockerService {
    /// Engine management under the operator's `[docker_admin]` scope.
    async fn admin(&self) -> Result<EngineAdmin<'_>, Error> {
        Ok(EngineAdmin { client: self.engine.client().await?, config: &self.config.admin })
    }
}

impl EngineAdmin<'_> {
    fn rules(&self, kind: Kind) -> &Rules {
        match kind {
            Kind::Container => &self.config.containers,
            Kind::Image => &self.config.images,
            Kind::Volume => &self.config.volumes,
            Kind::Network => &self.config.networks,
        }
    }

    /// Whether a listing shows `object`.
    fn in_scope(&self, object: &Object<'_>) -> bool {
        self.rules(object.kind).judge(object) == Verdict::InScope
    }

    /// Admits `object`, which the caller named `asked`: a hidden one is
    /// reported as absent, one out of the operator's scope as denied.
    fn admit(&self, object: &Object<'_>, asked: &str) -> Result<(), Error> {
        match self.rules(object.kind).judge(object) {
            Verdict::InScope => Ok(()),
            Verdict::Hidden => Err(Error::NotFound(format!("no {} `{asked}` on the engine", object.kind.noun()))),
            Verdict::Denied(why) => Err(Error::Denied(why)),
        }
    }
}

/// Refuses a name or reference that could not name an engine object, before
/// it reaches a request path: empty, too long, `..`, whitespace, or URL syntax.
fn check_reference(kind: Kind, text: &str) -> Result<(), Error> {
    let noun = kind.noun();
    if text.is_empty() {
        return Err(Error::InvalidParams(format!("name the {noun}: its id, name or reference")));
    }
    if text.len() > 512
        || text.contains("..")
        || text.starts_with('/')
        || text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '%' | '\\'))
    {
        return Err(Error::InvalidParams(format!(
            "`{text}` is not {} {noun} id, name or reference (letters, digits and `._-:/@`, at most 512 characters)",
            if noun.starts_with('i') { "an" } else { "a" }
        )));
    }
    Ok(())
}

/// The labels of an object to create; Portcullis's own label keys are
/// refused, so nothing made here can pass for one of its objects.
fn check_spec_labels(labels: Vec<(String, String)>) -> Result<HashMap<String, String>, Error> {
    match labels.iter().find(|(key, _)| key.starts_with("portcullis.")) {
        Some((key, _)) => Err(Error::InvalidParams(format!(
            "label `{key}` is reserved: keys starting with `portcullis.` mark Portcullis's own objects"
        ))),
        None => Ok(labels.into_iter().collect()),
    }
}

/// Labels as the WIT carries them, sorted by key.
fn label_list(labels: HashMap<String, String>) -> Vec<(String, String)> {
    let mut labels: Vec<_> = labels.into_iter().collect();
    labels.sort();
    labels
}

/// Engine filters from the WIT's name/value pairs.
fn filter_map(filters: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in filters {
        map.entry(name).or_default().push(value);
    }
    map
}

/// The first 12 digits of an id, as `docker ps` shows it.
fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

/// An engine document as JSON text.
fn json_text(document: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(document).map_err(|e| Error::Failed(format!("the engine's answer cannot be encoded: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_that_could_escape_the_request_path_are_refused() {
        for bad in ["", "../images/x", "a b", "x?all=1", "/etc", "a%2e", "a\\b"] {
            assert!(check_reference(Kind::Image, bad).is_err(), "{bad:?} passed");
        }
        for good in ["web", "0123abc", "localhost:5000/team/app:1.2", "debian@sha256:00ff", "my_vol-1.x"] {
            assert!(check_reference(Kind::Image, good).is_ok(), "{good:?} refused");
        }
    }
}
