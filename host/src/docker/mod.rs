//! Docker primitives for plugins, backed by `bollard`.

use crate::plugins::bindings::docker::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec};
use crate::plugins::bindings::types::Failure;
use crate::plugins::Caller;

/// The host's connection to the Docker engine and its bookkeeping.
pub struct DockerService {}

impl DockerService {
    pub async fn engine(&self) -> Result<EngineInfo, Failure> { todo!() }
    pub async fn create_container(&self, _caller: &Caller, _spec: ContainerSpec) -> Result<Container, Failure> { todo!() }
    pub async fn list_containers(&self, _all: bool, _session: Option<String>) -> Result<Vec<Container>, Failure> { todo!() }
    pub async fn exec(&self, _caller: &Caller, _id: &str, _spec: ExecSpec) -> Result<ExecResult, Failure> { todo!() }
    pub async fn write_file(&self, _id: &str, _path: &str, _data: Vec<u8>) -> Result<(), Failure> { todo!() }
    pub async fn read_file(&self, _id: &str, _path: &str) -> Result<Vec<u8>, Failure> { todo!() }
    pub async fn remove_container(&self, _id: &str, _volumes: bool) -> Result<(), Failure> { todo!() }
    pub async fn remove_session(&self, _session: Option<String>, _volumes: bool) -> Result<u32, Failure> { todo!() }
}
