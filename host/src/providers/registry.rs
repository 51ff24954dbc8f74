//! The live set of providers (plugins and upstream servers) and the routing
//! tables derived from it: public tool and prompt names (a plugin's
//! namespaced on collision, a server's always prefixed), resources,
//! templates, and the plugins' language and package-manager claims and
//! policies. Readers take a cheap snapshot; every change publishes a
//! [`Change`] to subscribers.
//!
//! A host's registry starts [`Registry::loading`]: its first load of plugins
//! runs while the transports already answer `initialize`, so that a cold
//! start (compiling every component) does not hold the handshake. Readers
//! that answer clients take [`Registry::loaded_snapshot`], which waits for
//! that load; nothing is announced until it is done, since no client can
//! have listed anything before.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{Notify, broadcast};

use super::Provider;
use crate::caller::Grant;
use crate::plugins::{Catalog, Plugin, PluginSource};
use crate::wit::{prompts, resources, tools, types};

/// Separates a provider's name from a tool or prompt name: a plugin's when two
/// providers offer the same name (`python__detect_packages`), a server's always.
pub const NAMESPACE_SEPARATOR: &str = "__";

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
    /// The provider that serves it.
    pub provider: Arc<dyn Provider>,
    /// The plugin's own descriptor (its own name).
    pub tool: tools::Tool,
}

/// A prompt as clients see it, and where requests for it go.
#[derive(Clone)]
pub struct PromptRoute {
    /// The provider that serves it.
    pub provider: Arc<dyn Provider>,
    /// The plugin's own descriptor (its own name).
    pub prompt: prompts::Prompt,
}

/// An immutable view of the registry at one moment.
#[derive(Default)]
pub struct Snapshot {
    plugins: BTreeMap<String, Arc<Plugin>>,
    servers: BTreeMap<String, Arc<dyn Provider>>,
    tools: BTreeMap<String, ToolRoute>,
    prompts: BTreeMap<String, PromptRoute>,
    resources: BTreeMap<String, (Arc<dyn Provider>, resources::Resource)>,
    templates: Vec<(Arc<dyn Provider>, resources::ResourceTemplate)>,
    languages: BTreeMap<String, (Arc<Plugin>, types::Language)>,
    managers: BTreeMap<String, Arc<Plugin>>,
}

impl Snapshot {
    fn build(providers: Providers) -> Self {
        let Providers { plugins, servers } = providers;
        let all = plugins.values().map(|p| p.clone() as Arc<dyn Provider>).chain(servers.values().cloned());
        let catalogs: Vec<_> = all.map(|p| (p.clone(), p.catalog())).collect();
        let tools = namespaced(catalogs.iter().flat_map(|(p, c)| {
            c.tools.iter().map(|t| (p.clone(), t.name.clone(), ToolRoute { provider: p.clone(), tool: t.clone() }))
        }));
        let prompts = namespaced(catalogs.iter().flat_map(|(p, c)| {
            c.prompts
                .iter()
                .map(|pr| (p.clone(), pr.name.clone(), PromptRoute { provider: p.clone(), prompt: pr.clone() }))
        }));
        let mut snapshot = Snapshot { tools, prompts, ..Default::default() };
        for (provider, catalog) in &catalogs {
            for resource in &catalog.resources {
                let value = (provider.clone(), resource.clone());
                claim(&mut snapshot.resources, "resource", &resource.uri, provider.name(), value);
            }
            snapshot.templates.extend(catalog.templates.iter().map(|t| (provider.clone(), t.clone())));
        }
        let catalogs: Vec<_> = plugins.values().map(|p| (p.clone(), p.catalog())).collect();
        // Languages and package managers decide what runs in every session's
        // containers: bundled packs claim first, then directory plugins the
        // operator granted `language-pack`, each rank in name order.
        let mut packs: Vec<_> = catalogs.iter().filter(|(p, c)| may_serve_languages(p, c)).collect();
        packs.sort_by_key(|(p, _)| (!matches!(p.source(), PluginSource::Bundled), p.name().to_string()));
        for (plugin, catalog) in packs {
            for language in &catalog.languages {
                let value = (plugin.clone(), language.clone());
                claim(&mut snapshot.languages, "language", &language.name, plugin.name(), value);
            }
            for manager in &catalog.managers {
                claim(&mut snapshot.managers, "package manager", manager, plugin.name(), plugin.clone());
            }
        }
        snapshot.plugins = plugins;
        snapshot.servers = servers;
        snapshot
    }

    /// Which plugin serves each language and package manager.
    fn claimants(&self) -> Vec<(String, String)> {
        let languages = self.languages.iter().map(|(l, (p, _))| (format!("language `{l}`"), p.name().to_string()));
        let managers = self.managers.iter().map(|(m, p)| (format!("package manager `{m}`"), p.name().to_string()));
        languages.chain(managers).collect()
    }

    /// Loaded plugins, by name.
    pub fn plugins(&self) -> &BTreeMap<String, Arc<Plugin>> {
        &self.plugins
    }

    /// Upstream servers, by name.
    pub fn servers(&self) -> &BTreeMap<String, Arc<dyn Provider>> {
        &self.servers
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
    pub fn resources(&self) -> &BTreeMap<String, (Arc<dyn Provider>, resources::Resource)> {
        &self.resources
    }

    /// Resource templates, plugins' first, each kind in name order.
    pub fn templates(&self) -> &[(Arc<dyn Provider>, resources::ResourceTemplate)] {
        &self.templates
    }

    /// The provider serving `uri`: a concrete resource, else the first template that matches.
    pub fn resource_owner(&self, uri: &str) -> Option<Arc<dyn Provider>> {
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

/// Public names: a provider with a fixed prefix (a server) always publishes
/// `prefix + name`; the others (plugins) publish plain names, and where a
/// plain name is offered twice or taken by a prefixed one, each of those
/// becomes `provider__name`. A name still taken after that is left out with
/// an error naming both providers: nothing is silently shadowed.
fn namespaced<T>(items: impl Iterator<Item = (Arc<dyn Provider>, String, T)>) -> BTreeMap<String, T> {
    let items: Vec<_> = items.collect();
    let fixed = |p: &Arc<dyn Provider>, name: &str| p.fixed_prefix().map(|prefix| format!("{prefix}{name}"));
    let mut offers: BTreeMap<String, usize> = BTreeMap::new();
    for (provider, name, _) in &items {
        *offers.entry(fixed(provider, name).unwrap_or_else(|| name.clone())).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for (provider, name, item) in items {
        let public = match fixed(&provider, &name) {
            Some(public) => public,
            None if offers[&name] > 1 => format!("{}{NAMESPACE_SEPARATOR}{name}", provider.name()),
            None => name,
        };
        if let Some(owner) = owners.get(&public) {
            tracing::error!(
                provider = provider.name(),
                "conflict: `{public}` is already published by `{owner}`; this one is left out (give the server another `prefix`)"
            );
            continue;
        }
        owners.insert(public.clone(), provider.name().to_string());
        out.insert(public, item);
    }
    out
}

/// Records the first claimant of `key` (plugins come in name order) and warns
/// about later ones, naming both.
fn claim<V>(map: &mut BTreeMap<String, V>, what: &str, key: &str, claimant: &str, value: V) {
    if map.contains_key(key) {
        tracing::error!(
            plugin = claimant,
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

/// The providers a snapshot is built from.
#[derive(Clone, Default)]
struct Providers {
    plugins: BTreeMap<String, Arc<Plugin>>,
    servers: BTreeMap<String, Arc<dyn Provider>>,
}

/// The live provider set.
pub struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    changes: broadcast::Sender<Change>,
    /// Whether the first load of plugins is done, and who waits for it.
    loaded: AtomicBool,
    load_done: Notify,
}

impl Default for Registry {
    /// A registry whose first load counts as done (tools and commands that
    /// fill it themselves).
    fn default() -> Self {
        Self {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            changes: broadcast::channel(256).0,
            loaded: AtomicBool::new(true),
            load_done: Notify::new(),
        }
    }
}

impl Registry {
    /// A registry whose first load is still to come: [`Registry::loaded_snapshot`]
    /// waits until [`Registry::finish_loading`].
    pub fn loading() -> Self {
        Self { loaded: AtomicBool::new(false), ..Self::default() }
    }

    /// Marks the first load done: waiting readers go on, and changes are announced from now on.
    pub fn finish_loading(&self) {
        self.loaded.store(true, Ordering::Release);
        self.load_done.notify_waiters();
    }

    /// Whether the first load is done.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// The current view once the first load is done: what answers clients.
    pub async fn loaded_snapshot(&self) -> Arc<Snapshot> {
        while !self.is_loaded() {
            let done = self.load_done.notified();
            if self.is_loaded() {
                break;
            }
            done.await;
        }
        self.snapshot()
    }

    /// The current view, loaded or not.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap().clone()
    }

    /// Announces `change`, unless the first load is still going on.
    fn announce(&self, change: Change) {
        if self.is_loaded() {
            let _ = self.changes.send(change);
        }
    }

    /// Subscribes to changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Adds `plugin`, replacing any plugin of the same name.
    pub fn insert(&self, plugin: Arc<Plugin>) {
        let name = plugin.name().to_string();
        self.update(|providers| providers.plugins.insert(name, plugin).is_some());
    }

    /// Removes the plugin called `name`; returns whether it was loaded.
    pub fn remove(&self, name: &str) -> bool {
        self.update(|providers| providers.plugins.remove(name).is_some()).0
    }

    /// Adds upstream `server`, replacing any server of the same name.
    pub fn insert_server(&self, server: Arc<dyn Provider>) {
        let name = server.name().to_string();
        self.update(|providers| providers.servers.insert(name, server).is_some());
    }

    /// Removes the upstream server called `name`; returns whether it was there.
    pub fn remove_server(&self, name: &str) -> bool {
        self.update(|providers| providers.servers.remove(name).is_some()).0
    }

    /// Rebuilds routes after a provider's own catalog changed, and announces
    /// `change` whether or not the rebuilt lists differ.
    pub fn refresh(&self, change: Change) {
        let published = self.update(|_| false).1;
        if !published.contains(&change) {
            self.announce(change);
        }
    }

    /// Tells subscribers that a resource's contents changed.
    pub fn resource_updated(&self, uri: &str) {
        self.announce(Change::ResourceUpdated(uri.to_string()));
    }

    /// Applies `edit` to the provider set, rebuilds the snapshot and
    /// publishes what changed; returns what `edit` returned and the published
    /// changes.
    fn update(&self, edit: impl FnOnce(&mut Providers) -> bool) -> (bool, Vec<Change>) {
        let (old, new, edited) = {
            let mut guard = self.snapshot.write().unwrap();
            let mut providers = Providers { plugins: guard.plugins.clone(), servers: guard.servers.clone() };
            let edited = edit(&mut providers);
            let new = Arc::new(Snapshot::build(providers));
            let old = std::mem::replace(&mut *guard, new.clone());
            (old, new, edited)
        };
        (edited, self.publish_differences(&old, &new))
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
        let (before, after) = (old.claimants(), new.claimants());
        if before != after {
            for (what, plugin) in after.iter().filter(|served| !before.contains(served)) {
                tracing::info!(plugin, "{what} is served by plugin `{plugin}`");
            }
        }
        for change in &changes {
            self.announce(change.clone());
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::{Change, Registry, template_matches};

    #[tokio::test]
    async fn readers_wait_for_the_first_load_and_nothing_is_announced_before_it() {
        let registry = std::sync::Arc::new(Registry::loading());
        let mut changes = registry.subscribe();
        let reader = tokio::spawn({
            let registry = registry.clone();
            async move { registry.loaded_snapshot().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!reader.is_finished(), "a reader waits while the first load runs");
        registry.refresh(Change::Tools);
        assert!(changes.try_recv().is_err(), "nothing is announced during the first load");
        registry.finish_loading();
        reader.await.unwrap();
        registry.refresh(Change::Tools);
        assert_eq!(changes.try_recv().unwrap(), Change::Tools);
        let done = tokio::time::timeout(std::time::Duration::from_secs(1), registry.loaded_snapshot()).await;
        assert!(done.is_ok(), "once loaded, readers do not wait");
        assert!(Registry::default().is_loaded(), "a registry that tools fill themselves counts as loaded");
    }

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
