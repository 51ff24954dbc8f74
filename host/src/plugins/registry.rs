//! The live set of plugins and the routing tables derived from it: public tool
//! and prompt names (namespaced on collision), resources, templates, language
//! and package-manager claims, and policies. Readers take a cheap snapshot;
//! every change publishes a [`Change`] to subscribers.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio::sync::broadcast;

use super::plugin::{Catalog, Plugin, PluginSource};
use crate::caller::Grant;
use crate::wit::{prompts, resources, tools, types};

/// Separates a plugin's name from a tool or prompt name when two plugins offer
/// the same name: `python__detect_packages`.
const NAMESPACE_SEPARATOR: &str = "__";

/// What changed, for clients that track lists or subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The tool list changed.
    Tools,
    /// The resource or template list changed.
    Resources,
    /// The prompt list changed.
    Prompts,
    /// The contents of one resource changed.
    ResourceUpdated(String),
}

/// A tool as clients see it, and where calls to it go.
#[derive(Clone)]
pub struct ToolRoute {
    /// The plugin that serves it.
    pub plugin: Arc<Plugin>,
    /// The plugin's own descriptor (its own name).
    pub tool: tools::Tool,
}

/// A prompt as clients see it, and where requests for it go.
#[derive(Clone)]
pub struct PromptRoute {
    /// The plugin that serves it.
    pub plugin: Arc<Plugin>,
    /// The plugin's own descriptor (its own name).
    pub prompt: prompts::Prompt,
}

/// An immutable view of the registry at one moment.
#[derive(Default)]
pub struct Snapshot {
    plugins: BTreeMap<String, Arc<Plugin>>,
    tools: BTreeMap<String, ToolRoute>,
    prompts: BTreeMap<String, PromptRoute>,
    resources: BTreeMap<String, (Arc<Plugin>, resources::Resource)>,
    templates: Vec<(Arc<Plugin>, resources::ResourceTemplate)>,
    languages: BTreeMap<String, (Arc<Plugin>, types::Language)>,
    managers: BTreeMap<String, Arc<Plugin>>,
}

impl Snapshot {
    fn build(plugins: BTreeMap<String, Arc<Plugin>>) -> Self {
        let catalogs: Vec<_> = plugins.values().map(|p| (p.clone(), p.catalog())).collect();
        let tools = namespaced(catalogs.iter().flat_map(|(p, c)| {
            c.tools.iter().map(|t| (p.clone(), t.name.clone(), ToolRoute { plugin: p.clone(), tool: t.clone() }))
        }));
        let prompts = namespaced(catalogs.iter().flat_map(|(p, c)| {
            c.prompts
                .iter()
                .map(|pr| (p.clone(), pr.name.clone(), PromptRoute { plugin: p.clone(), prompt: pr.clone() }))
        }));
        let mut snapshot = Snapshot { tools, prompts, ..Default::default() };
        for (plugin, catalog) in &catalogs {
            for resource in &catalog.resources {
                claim(&mut snapshot.resources, "resource", &resource.uri, plugin, (plugin.clone(), resource.clone()));
            }
            snapshot.templates.extend(catalog.templates.iter().map(|t| (plugin.clone(), t.clone())));
        }
        // Languages and package managers decide what runs in every session's
        // containers: bundled packs claim first, then directory plugins the
        // operator granted `language-pack`, each rank in name order.
        let mut packs: Vec<_> = catalogs.iter().filter(|(p, c)| may_serve_languages(p, c)).collect();
        packs.sort_by_key(|(p, _)| (!matches!(p.source(), PluginSource::Bundled), p.name().to_string()));
        for (plugin, catalog) in packs {
            for language in &catalog.languages {
                claim(&mut snapshot.languages, "language", &language.name, plugin, (plugin.clone(), language.clone()));
            }
            for manager in &catalog.managers {
                claim(&mut snapshot.managers, "package manager", manager, plugin, plugin.clone());
            }
        }
        snapshot.plugins = plugins;
        snapshot
    }

    /// Which plugin serves each language and package manager.
    fn servers(&self) -> Vec<(String, String)> {
        let languages = self.languages.iter().map(|(l, (p, _))| (format!("language `{l}`"), p.name().to_string()));
        let managers = self.managers.iter().map(|(m, p)| (format!("package manager `{m}`"), p.name().to_string()));
        languages.chain(managers).collect()
    }

    /// Loaded plugins, by name.
    pub fn plugins(&self) -> &BTreeMap<String, Arc<Plugin>> {
        &self.plugins
    }

    /// Tools by public name, in name order.
    pub fn tools(&self) -> &BTreeMap<String, ToolRoute> {
        &self.tools
    }

    /// Prompts by public name, in name order.
    pub fn prompts(&self) -> &BTreeMap<String, PromptRoute> {
        &self.prompts
    }

    /// Concrete resources by URI.
    pub fn resources(&self) -> &BTreeMap<String, (Arc<Plugin>, resources::Resource)> {
        &self.resources
    }

    /// Resource templates, in plugin-name order.
    pub fn templates(&self) -> &[(Arc<Plugin>, resources::ResourceTemplate)] {
        &self.templates
    }

    /// The plugin serving `uri`: a concrete resource, else the first template that matches.
    pub fn resource_owner(&self, uri: &str) -> Option<Arc<Plugin>> {
        if let Some((plugin, _)) = self.resources.get(uri) {
            return Some(plugin.clone());
        }
        self.templates.iter().find(|(_, t)| template_matches(&t.uri_template, uri)).map(|(p, _)| p.clone())
    }

    /// The pack that claims `language`, with the language's description.
    pub fn language(&self, language: &str) -> Option<&(Arc<Plugin>, types::Language)> {
        self.languages.get(language)
    }

    /// Every claimed language, in name order.
    pub fn languages(&self) -> impl Iterator<Item = &types::Language> {
        self.languages.values().map(|(_, l)| l)
    }

    /// The pack that claims package manager `manager`.
    pub fn manager(&self, manager: &str) -> Option<&Arc<Plugin>> {
        self.managers.get(manager)
    }

    /// Every claimed package manager, in name order.
    pub fn manager_names(&self) -> impl Iterator<Item = &String> {
        self.managers.keys()
    }

    /// Every plugin that exports a policy, in name order.
    pub fn policies(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.plugins.values().filter(|p| p.catalog().policy)
    }
}

/// Gives every item its own name unless two plugins offer the same one; then
/// each of those becomes `plugin__name`. Nothing is silently shadowed.
fn namespaced<T>(items: impl Iterator<Item = (Arc<Plugin>, String, T)>) -> BTreeMap<String, T> {
    let items: Vec<_> = items.collect();
    let mut owners: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, name, _) in &items {
        *owners.entry(name.as_str()).or_default() += 1;
    }
    let collided: Vec<String> = owners.iter().filter(|(_, n)| **n > 1).map(|(name, _)| name.to_string()).collect();
    let mut out = BTreeMap::new();
    for (plugin, name, item) in items {
        let public =
            if collided.contains(&name) { format!("{}{NAMESPACE_SEPARATOR}{name}", plugin.name()) } else { name };
        out.insert(public, item);
    }
    out
}

/// Records the first claimant of `key` (plugins come in name order) and warns
/// about later ones, naming both.
fn claim<V>(map: &mut BTreeMap<String, V>, what: &str, key: &str, plugin: &Plugin, value: V) {
    if map.contains_key(key) {
        tracing::error!(
            plugin = plugin.name(),
            "conflict: {what} `{key}` is already served by a plugin that ranks before this one (bundled first, then by name); this claim is ignored"
        );
        return;
    }
    map.insert(key.to_string(), value);
}

/// Whether `plugin` may serve the languages and managers its catalog names:
/// bundled packs may; a directory plugin needs the `language-pack` grant.
fn may_serve_languages(plugin: &Plugin, catalog: &Catalog) -> bool {
    let claims = !catalog.languages.is_empty() || !catalog.managers.is_empty();
    if !claims || matches!(plugin.source(), PluginSource::Bundled) {
        return claims;
    }
    if plugin.policy().grants.contains(&Grant::LanguagePack) {
        return true;
    }
    tracing::error!(
        plugin = plugin.name(),
        "offers languages or package managers but lacks the `language-pack` grant, so it serves none; the operator can add `grants = [\"language-pack\"]` under [plugins.{}] in portcullis.toml",
        plugin.name()
    );
    false
}

/// Whether `uri` matches an RFC 6570 level-1 template: each `{var}` matches a
/// non-empty run of characters other than `/`.
fn template_matches(template: &str, uri: &str) -> bool {
    let mut rest = uri;
    let mut parts = template.split('{');
    let Some(first) = parts.next() else { return false };
    let Some(after) = rest.strip_prefix(first) else { return false };
    rest = after;
    for part in parts {
        let Some((_var, literal)) = part.split_once('}') else { return false };
        let end = if literal.is_empty() {
            rest.find('/').unwrap_or(rest.len())
        } else {
            match rest.find(literal) {
                Some(i) => i,
                None => return false,
            }
        };
        if end == 0 || rest[..end].contains('/') {
            return false;
        }
        rest = &rest[end + literal.len()..];
    }
    rest.is_empty()
}

/// The live plugin set.
pub struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    changes: broadcast::Sender<Change>,
}

impl Default for Registry {
    fn default() -> Self {
        Self { snapshot: RwLock::new(Arc::new(Snapshot::default())), changes: broadcast::channel(256).0 }
    }
}

impl Registry {
    /// The current view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap().clone()
    }

    /// Subscribes to changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Adds `plugin`, replacing any plugin of the same name.
    pub fn insert(&self, plugin: Arc<Plugin>) {
        let name = plugin.name().to_string();
        self.update(|plugins| plugins.insert(name, plugin));
    }

    /// Removes the plugin called `name`; returns whether it was loaded.
    pub fn remove(&self, name: &str) -> bool {
        self.update(|plugins| plugins.remove(name)).0.is_some()
    }

    /// Rebuilds routes after a plugin's own catalog changed, and announces
    /// `change` whether or not the rebuilt lists differ.
    pub fn refresh(&self, change: Change) {
        let published = self.update(|_| None::<Arc<Plugin>>).1;
        if !published.contains(&change) {
            let _ = self.changes.send(change);
        }
    }

    /// Tells subscribers that a resource's contents changed.
    pub fn resource_updated(&self, uri: &str) {
        let _ = self.changes.send(Change::ResourceUpdated(uri.to_string()));
    }

    /// Applies `edit` to the plugin set, rebuilds the snapshot and publishes
    /// what changed; returns what `edit` returned and the published changes.
    fn update(
        &self,
        edit: impl FnOnce(&mut BTreeMap<String, Arc<Plugin>>) -> Option<Arc<Plugin>>,
    ) -> (Option<Arc<Plugin>>, Vec<Change>) {
        let (old, new, displaced) = {
            let mut guard = self.snapshot.write().unwrap();
            let mut plugins = guard.plugins.clone();
            let displaced = edit(&mut plugins);
            let new = Arc::new(Snapshot::build(plugins));
            let old = std::mem::replace(&mut *guard, new.clone());
            (old, new, displaced)
        };
        (displaced, self.publish_differences(&old, &new))
    }

    fn publish_differences(&self, old: &Snapshot, new: &Snapshot) -> Vec<Change> {
        let tools = |s: &Snapshot| s.tools.iter().map(|(k, r)| (k.clone(), r.tool.clone())).collect::<Vec<_>>();
        let prompts = |s: &Snapshot| s.prompts.iter().map(|(k, r)| (k.clone(), r.prompt.clone())).collect::<Vec<_>>();
        let resources = |s: &Snapshot| {
            let concrete: Vec<_> = s.resources.values().map(|(_, r)| r.clone()).collect();
            let templates: Vec<_> = s.templates.iter().map(|(_, t)| t.clone()).collect();
            (concrete, templates)
        };
        let mut changes = Vec::new();
        if tools(old) != tools(new) {
            changes.push(Change::Tools);
        }
        if prompts(old) != prompts(new) {
            changes.push(Change::Prompts);
        }
        if resources(old) != resources(new) {
            changes.push(Change::Resources);
        }
        let (before, after) = (old.servers(), new.servers());
        if before != after {
            for (what, plugin) in after.iter().filter(|served| !before.contains(served)) {
                tracing::info!(plugin, "{what} is served by plugin `{plugin}`");
            }
        }
        for change in &changes {
            let _ = self.changes.send(change.clone());
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_one_segment_per_variable() {
        assert!(template_matches("test://template/{id}/data", "test://template/42/data"));
        assert!(!template_matches("test://template/{id}/data", "test://template//data"));
        assert!(!template_matches("test://template/{id}/data", "test://template/4/2/data"));
        assert!(!template_matches("test://template/{id}/data", "test://template/42/other"));
        assert!(template_matches("file:///{name}", "file:///a.txt"));
        assert!(!template_matches("file:///{name}", "file:///dir/a.txt"));
    }
}
