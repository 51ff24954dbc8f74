//! Containers against a real engine: hardened creation, files, reuse, the
//! policy chain's denials, and reclaiming (session end, idle TTL, shutdown,
//! crashed runs). Also the host without an engine, and the `[docker]` config.

mod docker_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use docker_support::*;
use portcullis::caller::{Grant, Principal};
use portcullis::config::{Config, Environment, PluginSettings};
use portcullis::docker::DockerConfig;
use portcullis::plugins::{BUNDLED, CompileCache, Loader, PluginRuntime};
use portcullis::policy::{OperatorPolicy, PolicyChain};
use portcullis::wit::docker::ContainerSpec;
use portcullis::wit::policy::Access;
use portcullis::wit::types::Failure;
use portcullis::wit::types::Mount;

/// Containers of the local user's `session` on the engine, as its labels say.
async fn containers_of(docker: &Docker, session: &str) -> Vec<String> {
    let filters = HashMap::from([("label", vec![format!("portcullis.session=local/{session}")])]);
    let options = ListContainersOptionsBuilder::new().all(true).filters(&filters).build();
    docker.list_containers(Some(options)).await.unwrap().into_iter().filter_map(|c| c.id).collect()
}

/// The workspace volume mounted in `container`.
async fn workspace_volume(docker: &Docker, container: &str) -> String {
    let inspected = docker.inspect_container(container, None).await.unwrap();
    let mounts = inspected.mounts.unwrap_or_default();
    let workspace = mounts.iter().find(|m| m.destination.as_deref() == Some("/workspace")).expect("a /workspace mount");
    workspace.name.clone().expect("a named volume")
}

async fn volume_exists(docker: &Docker, name: &str) -> bool {
    docker.inspect_volume(name).await.is_ok()
}

fn denial(result: Result<impl std::fmt::Debug, Failure>) -> String {
    match result {
        Err(Failure::Denied(message)) => message,
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn mount(host_path: &str, container_path: &str) -> Mount {
    Mount { host_path: host_path.into(), container_path: container_path.into(), read_only: true }
}

#[tokio::test]
async fn hardened_container_with_files_and_reuse() {
    let docker = engine().await;
    let service = &Capability::new(config());
    in_session(service, "hardened", |session| async move {
        let caller = caller(&session, &[]);
        let mut named = spec("");
        named.name = Some("box".into());
        named.env = vec![("GREETING".into(), "hi".into())];
        let c = create(service, &caller, named.clone()).await;
        assert_eq!((c.name.as_str(), c.image.as_str(), c.state.as_str()), ("box", BUSYBOX, "running"));
        assert_eq!(c.session_id, session);
        assert!(!c.network);

        let inspected = docker.inspect_container(&c.id, None).await.unwrap();
        let host = inspected.host_config.unwrap();
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
        assert!(host.security_opt.unwrap_or_default().iter().any(|o| o.starts_with("no-new-privileges")));
        assert_eq!((host.memory, host.memory_swap), (Some(1 << 30), Some(1 << 30)));
        assert_eq!((host.nano_cpus, host.pids_limit), (Some(1_000_000_000), Some(512)));
        assert_eq!((host.network_mode.as_deref(), host.init), (Some("none"), Some(true)));
        let labels = inspected.config.unwrap().labels.unwrap();
        assert_eq!(labels["portcullis.managed"], "true");
        assert_eq!(labels["portcullis.instance"], service.instance_id());
        assert_eq!(labels["portcullis.principal"], "local");
        assert_eq!(labels["portcullis.session"], format!("local/{session}"));
        assert_eq!(labels["portcullis.pid"], std::process::id().to_string());
        assert!(!labels["portcullis.hostname"].is_empty());
        assert!(workspace_volume(&docker, &c.id).await.starts_with("portcullis-"));

        named.reuse_existing = true;
        assert_eq!(create(service, &caller, named.clone()).await.id, c.id, "reuse returns the same container");
        named.reuse_existing = false;
        let clash = service.create_container(&caller, named).await;
        assert!(matches!(&clash, Err(Failure::Failed(m)) if m.contains("already exists")), "{clash:?}");

        // Files, addressed by the container's name.
        service.write_file(&caller, "box", "/workspace/sub/dir/hello.txt", b"hello".to_vec()).await.unwrap();
        assert_eq!(service.read_file(&caller, "box", "/workspace/sub/dir/hello.txt").await.unwrap(), b"hello");
        let cat = run(service, &caller, "box", exec_spec(&["cat", "sub/dir/hello.txt"])).await;
        assert_eq!(cat.stdout, "hello");
        assert_eq!(run(service, &caller, "box", exec_spec(&["sh", "-c", "echo $GREETING"])).await.stdout, "hi\n");
        for bad in ["/etc/passwd", "/workspace/../etc/passwd", "relative.txt", "/workspace"] {
            let written = service.write_file(&caller, "box", bad, b"x".to_vec()).await;
            assert!(matches!(written, Err(Failure::InvalidParams(_))), "{bad}: {written:?}");
            let read = service.read_file(&caller, "box", bad).await;
            assert!(matches!(read, Err(Failure::InvalidParams(_))), "{bad}: {read:?}");
        }
        let missing = service.read_file(&caller, "box", "/workspace/missing.txt").await;
        assert!(matches!(missing, Err(Failure::NotFound(_))), "{missing:?}");

        // Links inside the workspace that point elsewhere are refused, not followed.
        let links = "ln -s /etc /workspace/etcdir && ln -s /etc/hostname /workspace/name && mkdir -p /workspace/d && ln -s /tmp /workspace/d/out";
        assert_eq!(run(service, &caller, "box", exec_spec(&["sh", "-c", links])).await.exit_code, Some(0));
        for through in ["/workspace/etcdir/passwd", "/workspace/name", "/workspace/d/out/planted"] {
            let read = service.read_file(&caller, "box", through).await;
            assert!(matches!(&read, Err(Failure::InvalidParams(m)) if m.contains("symbolic link")), "{through}: {read:?}");
            let written = service.write_file(&caller, "box", through, b"x".to_vec()).await;
            assert!(matches!(&written, Err(Failure::InvalidParams(m)) if m.contains("symbolic link")), "{through}: {written:?}");
        }
        let untouched = run(service, &caller, "box", exec_spec(&["sh", "-c", "ls /tmp; readlink /workspace/etcdir"])).await;
        assert_eq!(untouched.stdout, "/etc\n", "a refused write changed something");
        let directory = service.read_file(&caller, "box", "/workspace/sub").await;
        assert!(matches!(directory, Err(Failure::InvalidParams(_))), "{directory:?}");

        let listed = service.list_containers(&caller, Some(&session)).await.unwrap();
        assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [c.id.as_str()]);
        let info = service.engine(None).await.unwrap();
        assert!(info.owned_containers >= 1 && !info.version.is_empty(), "{info:?}");

        let volume = workspace_volume(&docker, &c.id).await;
        service.remove_container(&caller, "box", true).await.unwrap();
        assert!(containers_of(&docker, &session).await.is_empty());
        assert!(!volume_exists(&docker, &volume).await, "the volume outlived its last container");
    })
    .await;
}

#[tokio::test]
async fn policy_denials_name_the_setting() {
    engine().await;
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let data = allowed.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("f.txt"), "from the host").unwrap();
    std::os::unix::fs::symlink("/etc", allowed.path().join("etc-link")).unwrap();
    std::os::unix::fs::symlink(outside.path(), allowed.path().join("outside-link")).unwrap();
    let service = &Capability::new(DockerConfig {
        mount_allow: vec![allowed.path().to_path_buf()],
        images: vec!["portcullis-test/*".into()],
        ..config()
    });
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    in_session(service, "denials", |session| async move {
        let caller = caller(&session, &[]);
        let with_mount = |host: &str| {
            let mut s = spec(BUSYBOX);
            s.mounts = vec![mount(host, "/data")];
            s
        };
        let attempt = |s| service.create_container(&caller, s);

        for (host, expect) in [
            ("/var/run/docker.sock".to_string(), "engine socket"),
            ("/etc".to_string(), "system path"),
            (path(&allowed.path().join("etc-link")), "resolved to `/etc`"),
        ] {
            let message = denial(attempt(with_mount(&host)).await);
            assert!(message.contains("operator config") && message.contains("docker.mount_allow"), "{message}");
            assert!(message.contains(expect), "{host}: {message}");
        }
        for host in
            [path(&allowed.path().join("outside-link")), format!("{}/..", path(allowed.path())), path(outside.path())]
        {
            let message = denial(attempt(with_mount(&host)).await);
            assert!(message.contains("not under") && message.contains("`docker.mount_allow`"), "{host}: {message}");
        }
        for host in ["/no/such/dir", "relative/dir"] {
            let result = attempt(with_mount(host)).await;
            assert!(matches!(result, Err(Failure::InvalidParams(_))), "{host}: {result:?}");
        }
        let mut onto_workspace = with_mount(&path(&data));
        onto_workspace.mounts[0].container_path = "/workspace".into();
        assert!(matches!(attempt(onto_workspace).await, Err(Failure::InvalidParams(_))));

        let message = denial(attempt(spec("python:3.12-slim")).await);
        assert!(message.contains("operator config") && message.contains("docker.images"), "{message}");

        let mut networked = spec(BUSYBOX);
        networked.network = true;
        let message = denial(attempt(networked.clone()).await);
        assert!(message.contains("`network` grant"), "{message}");
        let strict = Capability::new(DockerConfig { allow_network: false, ..config() });
        let granted = docker_support::caller(&session, &[Grant::Network]);
        let message = denial(strict.create_container(&granted, networked).await);
        assert!(message.contains("docker.allow_network"), "{message}");

        let mut greedy = spec(BUSYBOX);
        greedy.memory_bytes = Some(2 << 30);
        assert!(denial(attempt(greedy).await).contains("docker.memory_mib"));

        let mut orphan = caller.clone();
        orphan.call.session_id = None;
        let result = service.create_container(&orphan, spec(BUSYBOX)).await;
        assert!(matches!(&result, Err(Failure::InvalidParams(m)) if m.contains("no session")), "{result:?}");

        // An allowed mount works, read-only.
        let c = create(service, &caller, with_mount(&path(&data))).await;
        assert_eq!(run(service, &caller, &c.id, exec_spec(&["cat", "/data/f.txt"])).await.stdout, "from the host");
        let write = run(service, &caller, &c.id, exec_spec(&["touch", "/data/new"])).await;
        assert_ne!(write.exit_code, Some(0), "the read-only mount was writable");
    })
    .await;
}

#[tokio::test]
async fn policy_plugins_are_consulted_and_their_denial_wins() {
    let paths = BUNDLED
        .iter()
        .find(|b| b.name == "paths")
        .expect("the bundled `paths` policy is absent: run this test on a host built without PORTCULLIS_NO_BUNDLE");
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for sub in ["open", "secret"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    let secret = root.join("secret").display().to_string();
    let mut config = Config::default();
    let settings = PluginSettings {
        settings: [("deny".to_string(), serde_json::json!([secret]).to_string())].into(),
        ..Default::default()
    };
    config.plugins.insert("paths".into(), settings);
    let services = services();
    let runtime = Arc::new(PluginRuntime::new(CompileCache::new(None)).unwrap());
    Loader::new(runtime, services.clone(), Arc::new(config), Default::default()).load_bundled(paths).await.unwrap();
    let chain =
        PolicyChain::new(OperatorPolicy { mount_allow: vec![root.clone()], allow_network: true, ..Default::default() });

    let open = root.join("open").display().to_string();
    assert_eq!(chain.check_mount(&services, &open, Access::Write).await.unwrap(), root.join("open"));
    let message = denial(chain.check_mount(&services, &secret, Access::Read).await);
    assert!(message.contains("denied by plugin paths") && message.contains("plugins.paths.settings.deny"), "{message}");
}

#[tokio::test]
async fn end_session_leaves_no_container_or_volume() {
    let docker = engine().await;
    let service = &Capability::new(config());
    let session = session("end");
    let caller = caller(&session, &[]);
    let first = create(service, &caller, spec(BUSYBOX)).await;
    let mut named = spec(BUSYBOX);
    named.name = Some("second".into());
    create(service, &caller, named).await;
    let volume = workspace_volume(&docker, &first.id).await;
    assert_eq!(containers_of(&docker, &session).await.len(), 2);

    assert_eq!(service.end_session(&Principal::local(), &session).await.unwrap(), 2);
    assert!(containers_of(&docker, &session).await.is_empty());
    assert!(!volume_exists(&docker, &volume).await);
}

#[tokio::test]
async fn shutdown_removes_everything_this_instance_owns() {
    let docker = engine().await;
    let service = &Capability::new(config());
    let (one, two) = (session("shutdown-a"), session("shutdown-b"));
    let a = create(service, &caller(&one, &[]), spec(BUSYBOX)).await;
    create(service, &caller(&two, &[]), spec(BUSYBOX)).await;
    let volume = workspace_volume(&docker, &a.id).await;
    assert_eq!(service.shutdown().await.unwrap(), 2);
    assert!(containers_of(&docker, &one).await.is_empty() && containers_of(&docker, &two).await.is_empty());
    assert!(!volume_exists(&docker, &volume).await);
}

#[tokio::test]
async fn idle_containers_and_their_volumes_are_reaped() {
    let docker = engine().await;
    let service = &Arc::new(Capability::new(DockerConfig { idle_ttl: Duration::from_secs(1), ..config() }));
    in_session(service, "idle", |session| async move {
        let c = create(service, &caller(&session, &[]), spec(BUSYBOX)).await;
        let volume = workspace_volume(&docker, &c.id).await;
        service.start_idle_reaper();
        let deadline = Instant::now() + Duration::from_secs(6);
        while !containers_of(&docker, &session).await.is_empty() || volume_exists(&docker, &volume).await {
            assert!(Instant::now() < deadline, "the idle container or its volume was not reaped");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn leftovers_of_dead_processes_are_reaped_and_live_ones_kept() {
    let docker = engine().await;
    let service = &Capability::new(config());
    in_session(service, "leftovers", |session| async move {
        let own = create(service, &caller(&session, &[]), spec(BUSYBOX)).await;
        let labels = docker.inspect_container(&own.id, None).await.unwrap().config.unwrap().labels.unwrap();
        let fake = |instance: &str, pid: &str| {
            let mut labels = labels.clone();
            labels.insert("portcullis.instance".into(), instance.into());
            labels.insert("portcullis.pid".into(), pid.into());
            labels
        };
        let crashed = fake("crashed-run", "999999999");
        let alive = fake("live-neighbour", &std::process::id().to_string());
        let leftover_volume = format!("portcullis-leftover-{}", session.rsplit('-').next().unwrap());
        let volume = VolumeCreateRequest {
            name: Some(leftover_volume.clone()),
            labels: Some(crashed.clone()),
            ..Default::default()
        };
        docker.create_volume(volume).await.unwrap();
        let mut ids = vec![];
        for labels in [crashed, alive] {
            let body = ContainerCreateBody { image: Some(BUSYBOX.into()), labels: Some(labels), ..Default::default() };
            let options = CreateContainerOptionsBuilder::new().build();
            ids.push(docker.create_container(Some(options), body).await.unwrap().id);
        }

        let reaped = service.reap_leftovers().await.unwrap();
        assert!(reaped.containers >= 1 && reaped.volumes >= 1, "{reaped:?}");
        assert!(docker.inspect_container(&ids[0], None).await.is_err(), "the crashed run's container survived");
        assert!(!volume_exists(&docker, &leftover_volume).await, "the crashed run's volume survived");
        assert!(docker.inspect_container(&ids[1], None).await.is_ok(), "a live process's container was reaped");
        assert!(docker.inspect_container(&own.id, None).await.is_ok(), "this instance's container was reaped");
        let force = RemoveContainerOptionsBuilder::new().force(true).build();
        docker.remove_container(&ids[1], Some(force)).await.unwrap();
    })
    .await;
}

struct FakeEnv(Vec<(&'static str, &'static str)>);

impl Environment for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

#[tokio::test]
async fn without_an_engine_every_call_fails_clearly() {
    let env = FakeEnv(vec![("DOCKER_HOST", "tcp://127.0.0.1:1"), ("PORTCULLIS_DOCKER_IMAGES", "a:*, b ,")]);
    let loaded = Config::load(None, &env).unwrap();
    assert_eq!(loaded.docker.images, ["a:*", "b"]);
    let service = &Capability::new(DockerConfig { images: vec![], ..loaded.docker });
    let expect_clear = |result: Result<String, Failure>| match result {
        Err(Failure::Failed(message)) => {
            assert!(message.contains("tcp://127.0.0.1:1") && message.contains("DOCKER_HOST"), "{message}");
            assert!(message.contains("unreachable"), "{message}");
        }
        other => panic!("expected a failure naming the engine, got {other:?}"),
    };
    let caller = caller(&session("absent"), &[]);
    expect_clear(service.engine(None).await.map(|i| format!("{i:?}")));
    expect_clear(service.create_container(&caller, spec(BUSYBOX)).await.map(|c| c.id));
    expect_clear(service.list_containers(&caller, None).await.map(|l| format!("{l:?}")));
    expect_clear(service.exec(&caller, "x", exec_spec(&["true"])).await.map(|r| r.stdout));
    expect_clear(service.end_session(&Principal::local(), "absent").await.map(|n| n.to_string()));
    expect_clear(service.reap_leftovers().await.map(|r| format!("{r:?}")));
    expect_clear(service.shutdown().await.map(|n| n.to_string()));

    let socket = Capability::new(DockerConfig { host: Some("unix:///no/such/docker.sock".into()), ..config() });
    let message = format!("{:?}", socket.engine(None).await.unwrap_err());
    assert!(message.contains("/no/such/docker.sock"), "{message}");
}

#[test]
fn docker_section_of_the_config_file() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "[docker]\nhost = \"unix:///srv/docker.sock\"\nmemory_mib = 256\ncpus = 0.5\npids = 64\nallow_network = false\nimages = [\"python:*\"]\nmount_allow = [\"/srv\"]\nidle_ttl_secs = 5\nexec_timeout_secs = 7\noutput_cap_bytes = 4096\ndefault_image = \"python:3\"\nmax_containers_per_principal = 3\n",
    )
    .unwrap();
    let docker = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap().docker;
    assert_eq!(docker.host.as_deref(), Some("unix:///srv/docker.sock"));
    assert_eq!((docker.memory_bytes, docker.cpus, docker.pids), (256 << 20, 0.5, 64));
    assert!(!docker.allow_network);
    assert_eq!((docker.images, docker.mount_allow), (vec!["python:*".to_string()], vec!["/srv".into()]));
    assert_eq!((docker.idle_ttl, docker.exec_timeout), (Duration::from_secs(5), Duration::from_secs(7)));
    assert_eq!((docker.output_cap_bytes, docker.default_image.as_str()), (4096, "python:3"));
    assert_eq!(docker.max_containers_per_principal, 3);

    let env = FakeEnv(vec![("DOCKER_HOST", "tcp://10.0.0.1:2375")]);
    assert_eq!(Config::load(Some(file.path()), &env).unwrap().docker.host.as_deref(), Some("tcp://10.0.0.1:2375"));

    std::fs::write(file.path(), "[docker]\nmemroy_mib = 1\n").unwrap();
    let error = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap_err().to_string();
    assert!(error.contains("memroy_mib"), "{error}");
    std::fs::write(file.path(), "[docker]\ncpus = -1.0\n").unwrap();
    let error = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap_err().to_string();
    assert!(error.contains("docker.cpus"), "{error}");
}

#[tokio::test]
async fn principals_reach_only_their_own_containers_and_workspaces() {
    engine().await;
    let service = &Capability::new(config());
    let session = session("owners");
    let elsewhere = format!("{session}-elsewhere");
    let alice = caller_as(Principal::api_key("alice"), &session);
    // Bob picks the same session name, on purpose.
    let bob = caller_as(Principal::api_key("bob"), &session);
    let boxed = |name: &str| ContainerSpec { name: Some(name.into()), ..spec(BUSYBOX) };
    let a = create(service, &alice, boxed("box")).await;
    service.write_file(&alice, &a.id, "/workspace/secret.txt", b"alice's".to_vec()).await.unwrap();

    let gone = |what: &str, result: Result<String, Failure>| {
        assert!(
            matches!(&result, Err(Failure::NotFound(m)) if m.starts_with("you have no container")),
            "{what}: {result:?}"
        );
    };
    for reference in [a.id.as_str(), &a.id[..12], "box"] {
        gone(reference, service.exec(&bob, reference, exec_spec(&["true"])).await.map(|r| r.stdout));
        gone(reference, service.read_file(&bob, reference, "/workspace/secret.txt").await.map(|_| "read".into()));
        gone(reference, service.write_file(&bob, reference, "/workspace/x", vec![]).await.map(|_| "written".into()));
        gone(reference, service.remove_container(&bob, reference, true).await.map(|_| "removed".into()));
    }
    assert_eq!(service.list_containers(&bob, None).await.unwrap(), vec![]);
    assert_eq!(service.list_containers(&bob, Some(&session)).await.unwrap(), vec![]);
    assert_eq!(service.engine_as(&bob).await.unwrap().owned_containers, 0, "not even a count of others'");
    assert_eq!(service.engine_as(&alice).await.unwrap().owned_containers, 1);

    // Bob's session of the same name is his own, with an empty workspace,
    // and he sees it under the name he chose.
    let b = create(service, &bob, spec(BUSYBOX)).await;
    assert_eq!(b.session_id, session);
    assert_eq!(run(service, &bob, &b.id, exec_spec(&["ls", "-A", "/workspace"])).await.stdout, "");
    // Bob's "remove all" removes his own only.
    assert_eq!(service.remove_session(&bob, None).await.unwrap(), 1);
    assert_eq!(service.read_file(&alice, "box", "/workspace/secret.txt").await.unwrap(), b"alice's");

    // A name resolves from any of its principal's sessions (seed 002's flow);
    // a name used in two of them must be disambiguated.
    let alice_elsewhere = caller_as(Principal::api_key("alice"), &elsewhere);
    assert_eq!(
        run(service, &alice_elsewhere, "box", exec_spec(&["cat", "/workspace/secret.txt"])).await.stdout,
        "alice's"
    );
    create(service, &alice_elsewhere, boxed("box")).await;
    let ambiguous = service.exec(&alice, "box", exec_spec(&["true"])).await;
    assert!(
        matches!(&ambiguous, Err(Failure::InvalidParams(m)) if m.contains("names 2 of your containers")),
        "{ambiguous:?}"
    );
    assert_eq!(service.list_containers(&alice, None).await.unwrap().len(), 2);

    assert_eq!(service.remove_session(&alice, None).await.unwrap(), 2);
}

#[tokio::test]
async fn each_principal_has_its_own_container_cap() {
    engine().await;
    let service = &Capability::new(DockerConfig { max_containers_per_principal: 2, ..config() });
    let session = session("cap");
    let alice = caller_as(Principal::api_key("alice"), &session);
    let bob = caller_as(Principal::api_key("bob"), &session);
    create(service, &alice, spec(BUSYBOX)).await;
    create(service, &alice, ContainerSpec { name: Some("kept".into()), ..spec(BUSYBOX) }).await;
    let third = service.create_container(&alice, spec(BUSYBOX)).await;
    assert!(
        matches!(&third, Err(Failure::Failed(m)) if m.contains("docker.max_containers_per_principal")),
        "{third:?}"
    );
    // Reusing one by name is not a new container; another principal has its own allowance.
    let reuse = ContainerSpec { name: Some("kept".into()), reuse_existing: true, ..spec(BUSYBOX) };
    assert!(service.create_container(&alice, reuse).await.is_ok());
    create(service, &bob, spec(BUSYBOX)).await;
    assert_eq!(service.remove_session(&alice, None).await.unwrap(), 2);
    assert_eq!(service.remove_session(&bob, None).await.unwrap(), 1);
}
