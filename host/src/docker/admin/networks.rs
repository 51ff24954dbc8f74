//! Networks: listing, inspection, creation and removal.

use std::collections::HashMap;

use bollard::models::{Network, NetworkCreateRequest};
use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::scope::{Kind, Object};
use super::{EngineAdmin, Target, check_reference, check_spec_labels, filter_map, json_text, label_list, short_id};
use crate::docker::error::Error;
use crate::wit::docker_engine::{NetworkSpec, NetworkSummary, Removal};

impl EngineAdmin<'_> {
    /// Resolves the network the caller named and admits it.
    async fn resolve_network(&self, asked: &str) -> Result<(Target, bollard::models::NetworkInspect), Error> {
        check_reference(Kind::Network, asked)?;
        let network =
            self.client.api.inspect_network(asked, None).await.map_err(self.client.err("inspect the network"))?;
        let id = network.id.clone().unwrap_or_default();
        let name = network.name.clone().unwrap_or_default();
        let labels = network.labels.clone().unwrap_or_default();
        let names = [name.clone()];
        self.admit(&Object { kind: Kind::Network, id: &id, names: &names, labels: &labels }, asked)?;
        let driver = network.driver.clone().unwrap_or_default();
        let description = format!("network `{name}` (id {}, driver {driver})", short_id(&id));
        Ok((Target { id, description }, network))
    }

    /// The network the caller named, admitted.
    pub(super) async fn network(&self, asked: &str) -> Result<Target, Error> {
        Ok(self.resolve_network(asked).await?.0)
    }

    /// Networks in scope, by name.
    pub(super) async fn list_networks(&self, filters: Vec<(String, String)>) -> Result<Vec<NetworkSummary>, Error> {
        let options = ListNetworksOptionsBuilder::new().filters(&filter_map(filters)).build();
        let listed = self.client.api.list_networks(Some(options)).await.map_err(self.client.err("list networks"))?;
        let mut networks: Vec<NetworkSummary> = listed
            .into_iter()
            .map(summary)
            .filter(|n| {
                let (names, labels) = ([n.name.clone()], n.labels.iter().cloned().collect());
                self.in_scope(&Object { kind: Kind::Network, id: &n.id, names: &names, labels: &labels })
            })
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    /// The engine's description of a network, as JSON text.
    pub(super) async fn inspect_network(&self, asked: &str) -> Result<String, Error> {
        json_text(&self.resolve_network(asked).await?.1)
    }

    /// Creates a network whose name and labels are in scope.
    pub(super) async fn create_network(&self, spec: NetworkSpec) -> Result<NetworkSummary, Error> {
        check_reference(Kind::Network, &spec.name)?;
        let labels: HashMap<String, String> = check_spec_labels(spec.labels)?;
        let names = [spec.name.clone()];
        self.admit(&Object { kind: Kind::Network, id: &spec.name, names: &names, labels: &labels }, &spec.name)?;
        let request = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver,
            internal: Some(spec.internal),
            labels: Some(labels),
            ..Default::default()
        };
        let created = self.client.api.create_network(request).await.map_err(self.client.err("create the network"))?;
        tracing::info!(network = %spec.name, id = %created.id, "created a network through docker-engine");
        let filters = HashMap::from([("id".to_string(), vec![created.id.clone()])]);
        let options = ListNetworksOptionsBuilder::new().filters(&filters).build();
        let listed = self.client.api.list_networks(Some(options)).await.map_err(self.client.err("list networks"))?;
        listed.into_iter().next().map(summary).ok_or_else(|| {
            Error::Failed(format!(
                "network `{}` was created (id {}) but the engine does not list it",
                spec.name, created.id
            ))
        })
    }

    /// Removes an admitted network.
    pub(super) async fn remove_network(&self, target: &Target) -> Result<Removal, Error> {
        self.client.api.remove_network(&target.id).await.map_err(self.client.err("remove the network"))?;
        tracing::info!(network = %target.id, "removed a network through docker-engine");
        Ok(Removal { removed: vec![target.id.clone()], reclaimed_bytes: 0 })
    }
}

/// A network in WIT form.
fn summary(network: Network) -> NetworkSummary {
    NetworkSummary {
        id: network.id.unwrap_or_default(),
        name: network.name.unwrap_or_default(),
        driver: network.driver.unwrap_or_default(),
        scope: network.scope.unwrap_or_default(),
        internal: network.internal.unwrap_or(false),
        labels: label_list(network.labels.unwrap_or_default()),
    }
}
