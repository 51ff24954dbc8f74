//! Shared set-up for the Docker tests: a real engine, the local test images
//! (built by `scripts/test-images.sh`), callers with chosen grants, a client
//! link that records notifications, and sessions that are always cleaned up.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use futures::FutureExt;
use futures::future::BoxFuture;
use portcullis::caller::{CallContext, Caller, ClientLink, ClientRequestError, Grant, PluginPolicy, Principal};
use portcullis::docker::{DockerCall, DockerConfig, DockerService};
use portcullis::plugins::HostServices;
use portcullis::policy::PolicyChain;
use portcullis::providers::Registry;
use portcullis::wit::client::{ElicitRequest, ElicitResponse, Root, SamplingRequest, SamplingResponse};
use portcullis::wit::docker::Host as _;
use portcullis::wit::docker::{Container, ContainerSpec, ExecResult, ExecSpec};
use portcullis::wit::log::Level;
use portcullis::wit::types::Failure;
use tokio_util::sync::CancellationToken;

/// Debian with python3, pip and procps.
pub const PYTHON: &str = "portcullis-test/python:3";
/// A static busybox.
pub const BUSYBOX: &str = "portcullis-test/busybox:1";

/// A client for inspecting what the service did, after checking that the
/// test images exist.
pub async fn engine() -> Docker {
    let docker = Docker::connect_with_local_defaults()
        .expect("the Docker socket")
        .negotiate_version()
        .await
        .expect("these tests need a running Docker engine");
    for image in [PYTHON, BUSYBOX] {
        if docker.inspect_image(image).await.is_err() {
            panic!("test image {image} is missing: run scripts/setup.sh (or scripts/test-images.sh) first");
        }
    }
    docker
}

/// The operator defaults with the test image as default image.
pub fn config() -> DockerConfig {
    DockerConfig { default_image: BUSYBOX.into(), ..DockerConfig::default() }
}

/// Host services with no plugins loaded and the default operator rules.
pub fn services() -> Arc<HostServices> {
    Arc::new(HostServices {
        registry: Arc::new(Registry::default()),
        index_urls: Default::default(),
        policy: PolicyChain::new(DockerConfig::default().operator_policy()),
        docker: None,
    })
}

/// The `docker` capability as a plugin's call reaches it: every primitive a
/// plugin calls goes through the import's grant and policy checks (operator
/// rules from the config, no policy plugins). The service's own methods
/// (sessions, reclaiming) are reached through `Deref`.
pub struct Capability {
    service: Arc<DockerService>,
    policy: PolicyChain,
    services: Arc<HostServices>,
}

impl Capability {
    /// The capability over a service for `config`.
    pub fn new(config: DockerConfig) -> Self {
        let policy = PolicyChain::new(config.operator_policy());
        Capability { service: Arc::new(DockerService::connect(config)), policy, services: services() }
    }

    fn call<'a>(&'a self, caller: &'a Caller) -> DockerCall<'a> {
        DockerCall { caller, service: Some(&self.service), policy: &self.policy, plugins: &self.services }
    }

    /// `docker.create-container` as `caller`.
    pub async fn create_container(&self, caller: &Caller, spec: ContainerSpec) -> Result<Container, Failure> {
        self.call(caller).create_container(spec).await.expect("no trap")
    }

    /// `docker.exec` as `caller`.
    pub async fn exec(&self, caller: &Caller, container: &str, spec: ExecSpec) -> Result<ExecResult, Failure> {
        self.call(caller).exec(container.into(), spec).await.expect("no trap")
    }

    /// `docker.write-file` as `caller`.
    pub async fn write_file(&self, caller: &Caller, container: &str, path: &str, data: Vec<u8>) -> Result<(), Failure> {
        self.call(caller).write_file(container.into(), path.into(), data).await.expect("no trap")
    }

    /// `docker.read-file` as `caller`.
    pub async fn read_file(&self, caller: &Caller, container: &str, path: &str) -> Result<Vec<u8>, Failure> {
        self.call(caller).read_file(container.into(), path.into()).await.expect("no trap")
    }

    /// `docker.engine` as `caller`.
    pub async fn engine_as(&self, caller: &Caller) -> Result<portcullis::wit::docker::EngineInfo, Failure> {
        self.call(caller).engine().await.expect("no trap")
    }

    /// `docker.list-containers` as `caller`.
    pub async fn list_containers(&self, caller: &Caller, session: Option<&str>) -> Result<Vec<Container>, Failure> {
        self.call(caller).list_containers(true, session.map(String::from)).await.expect("no trap")
    }

    /// `docker.remove-session` as `caller`.
    pub async fn remove_session(&self, caller: &Caller, session: Option<&str>) -> Result<u32, Failure> {
        self.call(caller).remove_session(session.map(String::from), true).await.expect("no trap")
    }

    /// `docker.remove-container` as `caller`.
    pub async fn remove_container(
        &self,
        caller: &Caller,
        container: &str,
        remove_volumes: bool,
    ) -> Result<(), Failure> {
        self.call(caller).remove_container(container.into(), remove_volumes).await.expect("no trap")
    }
}

impl std::ops::Deref for Capability {
    type Target = Arc<DockerService>;

    fn deref(&self) -> &Arc<DockerService> {
        &self.service
    }
}

/// A session id no other test (or run) uses.
pub fn session(name: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("test-{name}-{}-{nanos}", std::process::id())
}

/// A caller (the local user) in `session` holding `grants` (and `docker`).
pub fn caller(session: &str, grants: &[Grant]) -> Caller {
    caller_with(session, grants, None, CancellationToken::new())
}

/// A caller for `principal` in `session`, holding `docker`.
pub fn caller_as(principal: Principal, session: &str) -> Caller {
    let mut caller = caller(session, &[]);
    caller.call.principal = principal;
    caller
}

/// A caller with a client link and a cancellation token.
pub fn caller_with(
    session: &str,
    grants: &[Grant],
    client: Option<Arc<dyn ClientLink>>,
    cancel: CancellationToken,
) -> Caller {
    let grants: BTreeSet<Grant> = grants.iter().copied().chain([Grant::Docker]).collect();
    Caller {
        plugin: "tester".into(),
        policy: Arc::new(PluginPolicy { grants, ..PluginPolicy::default() }),
        call: CallContext { principal: Principal::local(), session_id: Some(session.to_string()), client, cancel },
    }
}

/// A container spec for `image` with everything else at its default.
pub fn spec(image: &str) -> ContainerSpec {
    ContainerSpec {
        image: image.into(),
        name: None,
        env: vec![],
        network: false,
        memory_bytes: None,
        cpus: None,
        pids: None,
        mounts: vec![],
        reuse_existing: false,
        session: None,
    }
}

/// An exec of `argv` with everything else at its default.
pub fn exec_spec(argv: &[&str]) -> ExecSpec {
    ExecSpec {
        argv: argv.iter().map(|a| a.to_string()).collect(),
        workdir: None,
        env: vec![],
        timeout_ms: None,
        stream: false,
        with_network: false,
    }
}

/// Runs `body` with a fresh session, then ends the session whatever happened.
pub async fn in_session<F, Fut>(service: &Capability, name: &str, body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let session = session(name);
    let outcome = AssertUnwindSafe(body(session.clone())).catch_unwind().await;
    service.end_session(&Principal::local(), &session).await.expect("end_session");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Creates a container in `caller`'s session, panicking with the failure.
pub async fn create(service: &Capability, caller: &Caller, spec: ContainerSpec) -> Container {
    service.create_container(caller, spec).await.unwrap_or_else(|e| panic!("create_container: {e:?}"))
}

/// Runs an exec, panicking with the failure.
pub async fn run(service: &Capability, caller: &Caller, container: &str, spec: ExecSpec) -> ExecResult {
    service.exec(caller, container, spec).await.unwrap_or_else(|e| panic!("exec: {e:?}"))
}

/// The command lines of the processes in `container`.
pub async fn processes(service: &Capability, caller: &Caller, container: &str) -> String {
    run(service, caller, container, exec_spec(&["ps", "-o", "args"])).await.stdout
}

/// One notification a [`Recorder`] saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Log(Level, String, String),
    Progress(f64, Option<String>),
}

/// A client link that records logs and progress and refuses requests.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Note>>);

impl Recorder {
    pub fn notes(&self) -> Vec<Note> {
        self.0.lock().unwrap().clone()
    }
}

impl ClientLink for Recorder {
    fn log(&self, level: Level, logger: String, message: String) -> BoxFuture<'_, ()> {
        self.0.lock().unwrap().push(Note::Log(level, logger, message));
        Box::pin(async {})
    }

    fn progress(&self, progress: f64, _total: Option<f64>, message: Option<String>) -> BoxFuture<'_, ()> {
        self.0.lock().unwrap().push(Note::Progress(progress, message));
        Box::pin(async {})
    }

    fn can_elicit(&self) -> bool {
        false
    }

    fn elicit(&self, _: ElicitRequest) -> BoxFuture<'_, Result<ElicitResponse, ClientRequestError>> {
        Box::pin(async { Err(ClientRequestError::Failed("not in tests".into())) })
    }

    fn sample(&self, _: SamplingRequest) -> BoxFuture<'_, Result<SamplingResponse, ClientRequestError>> {
        Box::pin(async { Err(ClientRequestError::Failed("not in tests".into())) })
    }

    fn list_roots(&self, _: Option<String>) -> BoxFuture<'_, Result<Vec<Root>, ClientRequestError>> {
        Box::pin(async { Err(ClientRequestError::Failed("not in tests".into())) })
    }

    fn run_as_task(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}
