//! The published `portcullis:plugin@0.1.0`, kept so that components built
//! against it keep loading. Its text is frozen in `wit/published/0.1.0`.
//!
//! What changed in 0.2.0, and how a 0.1.0 component is served:
//! - `client.session-id` moved to `context`: the host still answers it.
//! - `docker.mount-spec` and `policy.mount` became `types.mount`: same fields.
//! - tool descriptors gained `task-support`: a 0.1.0 tool's is `forbidden`.
//! - install plans gained steps: a 0.1.0 pack's single command becomes one
//!   step; a 0.1.0 caller of `dependencies.plan-install` gets the plan only if
//!   it has a single step, and otherwise a failure asking for a rebuild.
//!
//! Values cross between the two versions' generated types with [`transcode`],
//! which relies on the records having the same fields and the variants the
//! same cases.

/// The generated bindings. Items carry the WIT's doc comments where it has
/// them; the generated plumbing (indices, linker functions) has none.
#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/published/0.1.0",
        world: "portcullis:plugin/full",
        imports: { default: async | trappable },
        exports: { default: async },
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

pub use generated::*;

pub use exports::portcullis::plugin::{completions, packages, policy, prompts, resources, tools};
pub use portcullis::plugin::{client, config, dependencies, docker, events, log, progress, types};

/// The version these bindings implement.
pub const VERSION: &str = "0.1.0";

/// Converts a value of one version's generated type into the other version's
/// type of the same shape. Fails only if the shapes differ, which is a bug in
/// the host, reported as a trap of the call.
pub fn transcode<A: serde::Serialize, B: serde::de::DeserializeOwned>(value: A) -> wasmtime::Result<B> {
    let value = serde_json::to_value(value).map_err(wasmtime::Error::msg)?;
    serde_json::from_value(value).map_err(|e| wasmtime::format_err!("converting between contract versions: {e}"))
}

/// A 0.1.0 tool descriptor as a current one: 0.1.0 knew no tasks, so its
/// tools never run as one.
pub fn tool(tool: tools::Tool) -> wasmtime::Result<crate::wit::tools::Tool> {
    Ok(crate::wit::tools::Tool {
        name: tool.name,
        title: tool.title,
        description: tool.description,
        input_schema: tool.input_schema,
        output_schema: tool.output_schema,
        annotations: transcode(tool.annotations)?,
        task_support: crate::wit::tools::TaskSupport::Forbidden,
    })
}

/// The result of a 0.1.0 import.
pub type Answer<T> = wasmtime::Result<Result<T, types::Failure>>;

/// Converts the result of a current import into the result of its 0.1.0 twin.
pub fn answer<T, U>(result: Result<T, crate::wit::types::Failure>) -> Answer<U>
where
    T: serde::Serialize,
    U: serde::de::DeserializeOwned,
{
    Ok(match result {
        Ok(value) => Ok(transcode(value)?),
        Err(failure) => Err(transcode(failure)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cross_between_versions_unchanged() {
        let old = docker::ContainerSpec {
            image: "busybox".into(),
            name: Some("box".into()),
            env: vec![("A".into(), "1".into())],
            network: false,
            memory_bytes: Some(1 << 20),
            cpus: Some(0.5),
            pids: None,
            mounts: vec![docker::MountSpec { host_path: "/h".into(), container_path: "/c".into(), read_only: true }],
            reuse_existing: true,
            session: None,
        };
        let new: crate::wit::docker::ContainerSpec = transcode(old.clone()).unwrap();
        assert_eq!(new.mounts[0].container_path, "/c");
        assert_eq!(new.cpus, Some(0.5));
        let back: docker::ContainerSpec = transcode(new).unwrap();
        assert_eq!(back, old);
    }

    #[test]
    fn shapes_that_differ_fail_instead_of_guessing() {
        let plan = crate::wit::types::InstallPlan { steps: vec![] };
        assert!(transcode::<_, types::InstallPlan>(plan).is_err());
    }

    #[test]
    fn a_0_1_tool_keeps_its_fields_and_never_runs_as_a_task() {
        let old = tools::Tool {
            name: "echo".into(),
            title: Some("Echo".into()),
            description: "Says it back.".into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: None,
            annotations: Some(tools::Annotations {
                read_only: Some(true),
                destructive: None,
                idempotent: None,
                open_world: None,
            }),
        };
        let new = tool(old).unwrap();
        assert_eq!((new.name.as_str(), new.title.as_deref()), ("echo", Some("Echo")));
        assert_eq!(new.annotations.unwrap().read_only, Some(true));
        assert_eq!(new.task_support, crate::wit::tools::TaskSupport::Forbidden);
    }
}
