//! The `docker-engine` import's grant checks, called as a plugin calls them,
//! against the real engine: without `docker-read` nothing reads, without
//! `docker-manage` nothing changes, each denial names the missing grant, and
//! Portcullis's own containers are absent even with both grants.

mod docker_support;

use docker_support::{BUSYBOX, Capability, caller, config, create, engine, in_session, spec};
use portcullis::caller::{Caller, Grant};
use portcullis::docker::EngineCall;
use portcullis::wit::docker_engine::{Host as _, LogOptions, NetworkSpec, VolumeSpec};
use portcullis::wit::types::Failure;

/// Asserts that `answer` is a denial naming `grant`.
fn denied_naming<T: std::fmt::Debug>(call: &str, answer: Result<T, Failure>, grant: &str) {
    match answer {
        Err(Failure::Denied(why)) => assert!(why.contains(&format!("`{grant}` grant")), "{call}: {why}"),
        other => panic!("{call} was not denied: {other:?}"),
    }
}

/// Every changing function, called as `who`: each must be denied naming `docker-manage`.
async fn every_change(service: &Capability, who: &Caller) {
    let mut call = EngineCall { caller: who, service: Some(service) };
    let c = || "some-container".to_string();
    let manage = "docker-manage";
    denied_naming("start", call.start_container(c()).await.unwrap(), manage);
    denied_naming("stop", call.stop_container(c(), None).await.unwrap(), manage);
    denied_naming("restart", call.restart_container(c(), None).await.unwrap(), manage);
    denied_naming("pause", call.pause_container(c()).await.unwrap(), manage);
    denied_naming("unpause", call.unpause_container(c()).await.unwrap(), manage);
    denied_naming("remove container", call.remove_container(c(), true, true).await.unwrap(), manage);
    denied_naming("pull", call.pull_image("busybox".into()).await.unwrap(), manage);
    denied_naming("remove image", call.remove_image(BUSYBOX.into(), true).await.unwrap(), manage);
    denied_naming("prune", call.prune_images(true).await.unwrap(), manage);
    let volume = VolumeSpec { name: "v".into(), driver: None, labels: vec![] };
    denied_naming("create volume", call.create_volume(volume).await.unwrap(), manage);
    denied_naming("remove volume", call.remove_volume("v".into(), true).await.unwrap(), manage);
    let network = NetworkSpec { name: "n".into(), driver: None, internal: false, labels: vec![] };
    denied_naming("create network", call.create_network(network).await.unwrap(), manage);
    denied_naming("remove network", call.remove_network("n".into()).await.unwrap(), manage);
}

#[tokio::test]
async fn each_call_needs_its_grant_and_a_denial_names_it() {
    engine().await;
    let service = Capability::new(config());
    let nobody = caller("grants", &[]);
    let mut call = EngineCall { caller: &nobody, service: Some(&service) };
    let granted = call.granted().await.unwrap();
    assert!(!granted.read && !granted.manage);
    let read = "docker-read";
    denied_naming("list containers", call.list_containers(true, vec![]).await.unwrap(), read);
    denied_naming("inspect", call.inspect_container("x".into()).await.unwrap(), read);
    let options = LogOptions { tail: None, since: None, timestamps: false };
    denied_naming("logs", call.container_logs("x".into(), options).await.unwrap(), read);
    denied_naming("stats", call.container_stats("x".into()).await.unwrap(), read);
    denied_naming("images", call.list_images(vec![]).await.unwrap(), read);
    denied_naming("volumes", call.list_volumes(vec![]).await.unwrap(), read);
    denied_naming("networks", call.list_networks(vec![]).await.unwrap(), read);
    denied_naming("disk usage", call.disk_usage().await.unwrap(), read);
    denied_naming("events", call.events(0, None, vec![]).await.unwrap(), read);
    every_change(&service, &nobody).await;

    let reader = caller("grants", &[Grant::DockerRead]);
    let mut call = EngineCall { caller: &reader, service: Some(&service) };
    assert!(call.granted().await.unwrap().read);
    assert!(call.list_images(vec![]).await.unwrap().is_ok());
    every_change(&service, &reader).await;
}

#[tokio::test]
async fn an_anonymous_http_client_may_not_manage_the_engine_by_default() {
    engine().await;
    let service = Capability::new(config());
    let mut anonymous = caller("anonymous", &[Grant::DockerRead, Grant::DockerManage]);
    anonymous.call.principal = portcullis::caller::Principal::anonymous();
    let mut call = EngineCall { caller: &anonymous, service: Some(&service) };
    match call.list_containers(true, vec![]).await.unwrap() {
        Err(Failure::Denied(why)) => assert!(why.contains("docker_admin.principals"), "{why}"),
        other => panic!("an anonymous client listed the engine's containers: {other:?}"),
    }
}

#[tokio::test]
async fn the_sandboxs_containers_are_never_reached() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "engine-hidden", |session| async move {
        let both = caller(&session, &[Grant::DockerRead, Grant::DockerManage]);
        let own = create(service, &both, spec(BUSYBOX)).await;
        let mut call = EngineCall { caller: &both, service: Some(service) };
        let listed = call.list_containers(true, vec![]).await.unwrap().unwrap();
        assert!(listed.iter().all(|c| c.id != own.id), "a sandbox container was listed");
        for answer in [
            call.stop_container(own.id.clone(), Some(0)).await.unwrap(),
            call.remove_container(own.name.clone(), true, true).await.unwrap().map(drop),
        ] {
            assert!(matches!(answer, Err(Failure::NotFound(_))), "{answer:?}");
        }
        let still = service.list_containers(&both, Some(&session)).await.unwrap();
        assert_eq!(still.iter().map(|c| (&c.id, c.state.as_str())).collect::<Vec<_>>(), [(&own.id, "running")]);
    })
    .await;
}
