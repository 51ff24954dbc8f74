//! A network for the duration of an install: a container created without a
//! network is moved from `none` to the default bridge while at least one
//! `with-network` exec runs in it, and back to `none` when the last one ends.

use bollard::models::{NetworkConnectRequest, NetworkDisconnectRequest};
use tokio::sync::Mutex;

use super::engine::Client;
use super::error::Error;

/// The network Docker gives containers by default.
const BRIDGE: &str = "bridge";
/// The network of a container without one.
const NONE: &str = "none";

/// How many execs in one container currently hold the network.
#[derive(Debug, Default)]
pub(super) struct NetworkLease {
    holders: Mutex<u32>,
}

impl NetworkLease {
    /// Attaches the bridge network unless another exec already holds it.
    pub(super) async fn acquire(&self, client: &Client, container: &str) -> Result<(), Error> {
        let mut holders = self.holders.lock().await;
        if *holders == 0 {
            disconnect(client, container, NONE).await?;
            if let Err(e) = connect(client, container, BRIDGE).await {
                // Put the container back as it was before reporting.
                if let Err(undo) = connect(client, container, NONE).await {
                    tracing::warn!(container, "could not restore network `none`: {undo}");
                }
                return Err(e);
            }
        }
        *holders += 1;
        Ok(())
    }

    /// Releases one hold; the last one detaches the bridge network and
    /// restores `none`. An error means the container may still have a network.
    pub(super) async fn release(&self, client: &Client, container: &str) -> Result<(), Error> {
        let mut holders = self.holders.lock().await;
        *holders = holders.saturating_sub(1);
        if *holders == 0 {
            disconnect(client, container, BRIDGE).await?;
            connect(client, container, NONE).await?;
        }
        Ok(())
    }
}

async fn connect(client: &Client, container: &str, network: &str) -> Result<(), Error> {
    let request = NetworkConnectRequest { container: container.to_string(), endpoint_config: None };
    client.api.connect_network(network, request).await.map_err(client.err("attach a network"))
}

async fn disconnect(client: &Client, container: &str, network: &str) -> Result<(), Error> {
    let request = NetworkDisconnectRequest { container: container.to_string(), force: Some(true) };
    client.api.disconnect_network(network, request).await.map_err(client.err("detach a network"))
}
