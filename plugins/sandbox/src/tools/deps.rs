//! `add_dependencies`, and the install that the execute tools run too: the
//! host's install plan, run step by step with the network attached.

use super::containers::not_blank;
use super::{Tool, exec::container_id};
use crate::exec_output::{self, duration, summary};
use crate::host::{ExecResult, ExecSpec, Host, Level};
use crate::languages;
use crate::schema::{self, object};
use plugin_kit::{Annotations, Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The package manager `add_dependencies` uses when neither a manager nor a
/// language is named.
const DEFAULT_MANAGER: &str = "pip";

/// How long one install step may run before it is killed (ten minutes).
const STEP_TIMEOUT_MS: u64 = 600_000;

/// `add_dependencies`.
pub const ADD_DEPENDENCIES: Tool = Tool {
    name: "add_dependencies",
    title: "Install packages",
    description: "Installs packages in a container with a package manager (pip, npm, apt, apk: whichever \
        the loaded packs provide), with network access for the duration of the install. The pack plans the \
        install as one or more commands (apt: `apt-get update`, then `apt-get install`), run in order; the \
        first that fails ends the install. Package names are validated; nothing passes through a shell.",
    input_schema: || {
        object(
            json!({
                "container_id": schema::container_id(),
                "packages": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                    "description": "The packages to install, with version specifiers where the manager takes them (requests, pandas>=2)."},
                "package_manager": {"type": "string",
                    "description": "The package manager: pip, npm, apt or apk (those the loaded packs provide). Defaults to the manager of `language`, else pip."},
                "language": {"type": "string",
                    "description": "Install with this language's package manager (python → pip, node → npm) when `package_manager` is not given."}
            }),
            &["container_id", "packages"],
        )
    },
    output_schema: Some(output_schema),
    annotations: Annotations { read_only: false, destructive: false, idempotent: true, open_world: Some(true) },
    task_support: TaskSupport::Optional,
    run: |host, args| add(host, AddRequest::parse(args)?),
};

fn output_schema() -> Value {
    object(
        json!({
            "manager": {"type": "string", "description": "The package manager used."},
            "packages": {"type": "array", "items": {"type": "string"}, "description": "The packages asked for."},
            "steps": {"type": "array", "description": "The install's commands that ran, in order; the last is the one that failed, if any.",
                "items": {"type": "object", "properties": {
                    "argv": {"type": "array", "items": {"type": "string"}, "description": "The command."},
                    "exit_code": schema::exit_code(),
                    "reason": schema::reason(),
                    "duration_ms": {"type": "integer", "description": "How long it ran, in milliseconds."}
                }}},
            "failed_step": {"type": ["integer", "null"], "description": "The number (from 1) of the step that failed; null when every step succeeded."},
            "exit_code": schema::exit_code(),
            "reason": schema::reason(),
            "duration_ms": {"type": "integer", "description": "How long the whole install took, in milliseconds."},
            "stdout": {"type": "string", "description": "The last step's standard output."},
            "stderr": {"type": "string", "description": "The last step's standard error."},
            "truncated": {"type": "boolean", "description": "Whether the last step's output was cut at the server's limit."}
        }),
        &[
            "manager",
            "packages",
            "steps",
            "failed_step",
            "exit_code",
            "reason",
            "duration_ms",
            "stdout",
            "stderr",
            "truncated",
        ],
    )
}

/// An `add_dependencies` request.
#[derive(Debug, Clone, PartialEq)]
struct AddRequest {
    /// The container to install into.
    container_id: String,
    /// The packages, at least one.
    packages: Vec<String>,
    /// The package manager, if named.
    package_manager: Option<String>,
    /// The language whose manager to use, if named.
    language: Option<String>,
}

impl AddRequest {
    fn parse(args: &Args) -> Result<Self, Fail> {
        let container_id = container_id(args)?;
        let packages = args.string_list("packages")?.unwrap_or_default();
        if packages.is_empty() {
            return Err(Fail::InvalidParams("`packages` is required: at least one package name to install".into()));
        }
        let package_manager = args.string("package_manager")?;
        if let Some(manager) = &package_manager {
            not_blank("package_manager", manager)?;
        }
        let language = args.string("language")?;
        if let Some(language) = &language {
            not_blank("language", language)?;
        }
        Ok(AddRequest { container_id, packages, package_manager, language })
    }
}

/// Installs packages with the named manager, or the named language's, or pip.
fn add(host: &dyn Host, request: AddRequest) -> Result<Outcome, Fail> {
    let manager = match (request.package_manager, &request.language) {
        (Some(manager), _) => manager,
        (None, Some(name)) => match languages::find(host, name) {
            Some(language) => language.manager,
            None => {
                return Err(Fail::InvalidParams(format!(
                    "`language` {name:?}: {}",
                    languages::no_pack_runs(host, name)
                )));
            }
        },
        (None, None) => DEFAULT_MANAGER.to_string(),
    };
    let install = install(host, &request.container_id, &manager, &request.packages, true)?;
    let head = match install.failure() {
        None => {
            format!("Installed {} with {manager} in {}.", request.packages.join(", "), duration(install.duration_ms()))
        }
        Some(failed) => format!("Installing {} with {manager} failed at {failed}", request.packages.join(", ")),
    };
    let mut structured = exec_output::fields(install.last());
    structured.insert("duration_ms".into(), json!(install.duration_ms()));
    structured.insert("manager".into(), json!(manager));
    structured.insert("packages".into(), json!(request.packages));
    structured.insert("steps".into(), install.steps_json());
    structured.insert("failed_step".into(), json!(install.failed_step()));
    Ok(Outcome {
        content: vec![plugin_kit::Block::Text(format!("{head}\n{}", install.steps_text()))],
        structured: Some(Value::Object(structured)),
        is_error: install.failure().is_some(),
    })
}

/// What an install did: the commands of its plan that ran, in order, each
/// with its result. The last one is the one that failed, if any did.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Install {
    /// The steps that ran, with their results; never empty.
    ran: Vec<(Vec<String>, ExecResult)>,
    /// How many steps the plan had.
    planned: usize,
}

impl Install {
    /// The number (from 1) of the step that failed, if one did.
    fn failed_step(&self) -> Option<usize> {
        self.ran.iter().position(|(_, result)| !result.succeeded()).map(|i| i + 1)
    }

    /// "step 1 of 2 (`apt-get update`). `<how it ended>`", if a step failed.
    pub(super) fn failure(&self) -> Option<String> {
        let n = self.failed_step()?;
        let (argv, result) = &self.ran[n - 1];
        Some(format!("step {n} of {} (`{}`). {}", self.planned, argv.join(" "), summary(result)))
    }

    /// The last step that ran: the failing one, if a step failed.
    pub(super) fn last(&self) -> &ExecResult {
        &self.ran[self.ran.len() - 1].1
    }

    /// How long the steps that ran took, together.
    fn duration_ms(&self) -> u64 {
        self.ran.iter().map(|(_, result)| result.duration_ms).sum()
    }

    /// Each step that ran: its command, how it ended, and its output.
    pub(super) fn steps_text(&self) -> String {
        let mut text = String::new();
        for (i, (argv, result)) in self.ran.iter().enumerate() {
            let (n, of) = (i + 1, self.planned);
            text.push_str(&format!("Step {n} of {of}: `{}`: {}\n", argv.join(" "), summary(result)));
            text.push_str(&exec_output::output(result));
        }
        text
    }

    /// Each step that ran, as structured JSON.
    fn steps_json(&self) -> Value {
        let step = |(argv, result): &(Vec<String>, ExecResult)| {
            json!({
                "argv": argv,
                "exit_code": result.exit_code,
                "reason": result.reason.as_str(),
                "duration_ms": result.duration_ms
            })
        };
        Value::Array(self.ran.iter().map(step).collect())
    }
}

/// Runs `manager`'s install plan for `packages` in `container`: each step in
/// order, with the network attached for its duration, stopping at the first
/// that fails.
pub(super) fn install(
    host: &dyn Host,
    container: &str,
    manager: &str,
    packages: &[String],
    stream: bool,
) -> Result<Install, Fail> {
    let doing = format!("installing {} with {manager}", packages.join(", "));
    let plan = host.plan_install(manager, packages).map_err(|f| f.context(&doing))?;
    if plan.steps.is_empty() {
        return Err(Fail::Failed(format!("{doing}: the {manager} pack planned no steps")));
    }
    host.log(Level::Info, &format!("{doing} in container {container}"));
    let planned = plan.steps.len();
    let mut ran = Vec::new();
    for step in plan.steps {
        let spec = ExecSpec {
            argv: step.argv.clone(),
            workdir: None,
            env: step.env,
            timeout_ms: STEP_TIMEOUT_MS,
            stream,
            with_network: true,
        };
        let result = host.exec(container, spec).map_err(|f| f.context(&doing))?;
        let failed = !result.succeeded();
        ran.push((step.argv, result));
        if failed {
            break;
        }
    }
    let install = Install { ran, planned };
    if let Some(failure) = install.failure() {
        host.log(Level::Warning, &format!("{doing} in container {container} failed at {failure}"));
    }
    Ok(install)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::call;
    use crate::tools::fake::{Call, Fake, strings};
    use plugin_kit::testing::invalid;
    use std::cell::RefCell;

    fn request(json: &str) -> Result<AddRequest, Fail> {
        AddRequest::parse(&crate::tools::args(&ADD_DEPENDENCIES, json)?)
    }

    #[test]
    fn needs_packages() {
        assert_eq!(
            request(r#"{"container_id":"c","packages":["express"],"package_manager":"npm"}"#).unwrap(),
            AddRequest {
                container_id: "c".into(),
                packages: strings(&["express"]),
                package_manager: Some("npm".into()),
                language: None
            }
        );
        assert!(invalid(request(r#"{"container_id":"c","packages":[]}"#)).starts_with("`packages` is required"));
        assert!(invalid(request(r#"{"container_id":"c"}"#)).starts_with("`packages` is required"));
        assert!(invalid(request(r#"{"container_id":"c","packages":["a"],"language":""}"#)).starts_with("`language`"));
    }

    #[test]
    fn picks_the_manager() {
        let manager = |json: &str| {
            let host = Fake::default();
            call(&host, "add_dependencies", json).unwrap();
            host.calls()[0].clone()
        };
        let plan = |manager: &str| Call::Plan { manager: manager.into(), packages: strings(&["a"]) };
        assert_eq!(manager(r#"{"container_id":"c","packages":["a"]}"#), plan("pip"));
        assert_eq!(manager(r#"{"container_id":"c","packages":["a"],"language":"node"}"#), plan("npm"));
        assert_eq!(
            manager(r#"{"container_id":"c","packages":["a"],"package_manager":"apk","language":"node"}"#),
            plan("apk")
        );
        let err =
            call(&Fake::default(), "add_dependencies", r#"{"container_id":"c","packages":["a"],"language":"cobol"}"#)
                .unwrap_err();
        assert_eq!(
            err,
            Fail::InvalidParams(
                "`language` \"cobol\": no loaded language pack runs cobol (available: python, node)".into()
            )
        );
    }

    #[test]
    fn runs_every_step_in_order_with_the_network_and_shows_each_command() {
        let host = Fake { prepare: vec![strings(&["apt-get", "update"])], ..Fake::default() };
        let outcome =
            call(&host, "add_dependencies", r#"{"container_id":"c","packages":["curl"],"package_manager":"apt"}"#)
                .unwrap();
        assert!(!outcome.is_error);
        assert_eq!(host.argvs(), [strings(&["apt-get", "update"]), strings(&["apt", "install", "--", "curl"])]);
        for spec in host.execs() {
            assert!(spec.with_network, "every step has the network");
            assert_eq!(spec.env, [("QUIET".to_string(), "1".to_string())], "every step has its env");
        }
        assert_eq!(
            outcome.text(),
            "Installed curl with apt in 20 ms.\n\
             Step 1 of 2: `apt-get update`: Exited with code 0 after 10 ms.\n--- stdout ---\nok\n\
             Step 2 of 2: `apt install -- curl`: Exited with code 0 after 10 ms.\n--- stdout ---\nok\n"
        );
        let structured = outcome.structured.unwrap();
        assert_eq!(structured["failed_step"], Value::Null);
        assert_eq!(structured["steps"][0]["argv"], json!(["apt-get", "update"]));
        assert_eq!(structured["steps"][1]["argv"], json!(["apt", "install", "--", "curl"]));
        assert_eq!(structured["duration_ms"], 20);
    }

    #[test]
    fn stops_at_the_first_failing_step_and_says_which() {
        let host = Fake {
            prepare: vec![strings(&["apt-get", "update"])],
            exit_codes: RefCell::new(vec![100]),
            ..Fake::default()
        };
        let outcome =
            call(&host, "add_dependencies", r#"{"container_id":"c","packages":["curl"],"package_manager":"apt"}"#)
                .unwrap();
        assert!(outcome.is_error);
        assert_eq!(host.argvs(), [strings(&["apt-get", "update"])], "the install step never ran");
        assert_eq!(
            outcome.text(),
            "Installing curl with apt failed at step 1 of 2 (`apt-get update`). Failed: exited with code 100 after 10 ms.\n\
             Step 1 of 2: `apt-get update`: Failed: exited with code 100 after 10 ms.\n--- stdout ---\nok\n"
        );
        let structured = outcome.structured.unwrap();
        assert_eq!((structured["failed_step"].clone(), structured["exit_code"].clone()), (json!(1), json!(100)));
        assert_eq!(structured["steps"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn denied_install_network_is_a_denial_saying_what_was_attempted() {
        let host =
            Fake { exec_fails: Some(Fail::Denied("lacks the `install-network` grant".into())), ..Fake::default() };
        let err = call(&host, "add_dependencies", r#"{"container_id":"c1","packages":["requests"]}"#).unwrap_err();
        assert_eq!(err, Fail::Denied("installing requests with pip: lacks the `install-network` grant".into()));
    }
}
