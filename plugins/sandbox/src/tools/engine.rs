//! `check_engine`: whether the Docker engine is reachable.

use super::{LOOK, Tool};
use crate::host::{EngineInfo, Host};
use crate::schema::object;
use plugin_kit::{Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// `check_engine`.
pub const CHECK_ENGINE: Tool = Tool {
    name: "check_engine",
    title: "Check the Docker engine",
    description: "Reports whether the Docker engine is reachable, with its version, API version, \
        platform and how many containers this server owns. Call it first when other tools fail.",
    input_schema: || object(json!({}), &[]),
    output_schema: Some(output_schema),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run,
};

fn output_schema() -> Value {
    object(
        json!({
            "version": {"type": "string", "description": "The engine's version."},
            "api_version": {"type": "string", "description": "The engine's API version."},
            "platform": {"type": "string", "description": "Operating system and architecture."},
            "owned_containers": {"type": "integer", "description": "Containers this server owns."}
        }),
        &["version", "api_version", "platform", "owned_containers"],
    )
}

/// The engine's details, or why it cannot be reached, as a result either way.
fn run(host: &dyn Host, _: &Args) -> Result<Outcome, Fail> {
    Ok(match host.engine() {
        Ok(info) => reachable(&info),
        Err(fail) => unavailable(&fail),
    })
}

/// The result when the engine answered.
fn reachable(info: &EngineInfo) -> Outcome {
    let text = format!(
        "Docker engine {} (API {}) on {} is reachable; this server owns {} container(s).",
        info.version, info.api_version, info.platform, info.owned_containers
    );
    let structured = json!({
        "version": info.version,
        "api_version": info.api_version,
        "platform": info.platform,
        "owned_containers": info.owned_containers
    });
    Outcome::ok(text, structured)
}

/// The result when the engine (or the grant to reach it) is missing.
fn unavailable(fail: &Fail) -> Outcome {
    let what = match fail {
        Fail::Denied(_) => "This server may not use Docker",
        _ => "The Docker engine is not reachable",
    };
    Outcome::error(format!("{what}: {}", fail.message()))
}

#[cfg(test)]
mod tests {
    use crate::tools::call;
    use crate::tools::fake::Fake;
    use plugin_kit::Fail;
    use serde_json::json;

    #[test]
    fn reachable_engine_reports_its_details() {
        let outcome = call(&Fake::default(), "check_engine", "").unwrap();
        assert!(!outcome.is_error);
        assert_eq!(
            outcome.text(),
            "Docker engine 29.0 (API 1.53) on linux/amd64 is reachable; this server owns 2 container(s)."
        );
        assert_eq!(
            outcome.structured,
            Some(json!({"version": "29.0", "api_version": "1.53", "platform": "linux/amd64", "owned_containers": 2}))
        );
    }

    #[test]
    fn unreachable_engine_is_a_result_not_a_failure() {
        let host = Fake { engine: Some(Fail::Failed("connection refused".into())), ..Fake::default() };
        let outcome = call(&host, "check_engine", "{}").unwrap();
        assert!(outcome.is_error);
        assert_eq!(outcome.text(), "The Docker engine is not reachable: connection refused");
        let host = Fake { engine: Some(Fail::Denied("grant".into())), ..Fake::default() };
        assert_eq!(call(&host, "check_engine", "{}").unwrap().text(), "This server may not use Docker: grant");
    }

    #[test]
    fn takes_no_parameters() {
        let err = call(&Fake::default(), "check_engine", r#"{"verbose":true}"#).unwrap_err();
        assert_eq!(err, Fail::InvalidParams("unknown parameter `verbose`: this tool takes no parameters".into()));
    }
}
