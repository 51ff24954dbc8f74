//! Running the tools: each call's request, carried out on the host services.

use crate::fail::Fail;
use crate::host::{ContainerSpec, ExecResult, ExecSpec, Host, Language, Level};
use crate::params::{
    self, AddRequest, Cleanup, CleanupRequest, Code, CreateRequest, ExecRequest, ListRequest,
    Program,
};
use crate::report::{self, Outcome, Stage};
use crate::workspace;

/// The image `create_container` runs when neither the caller nor the
/// `default_image` setting names one.
pub const DEFAULT_IMAGE: &str = "python:3.12-slim";

/// The setting that overrides [`DEFAULT_IMAGE`].
pub const DEFAULT_IMAGE_SETTING: &str = "default_image";

/// The package manager `add_dependencies` uses when neither a manager nor a
/// language is named.
const DEFAULT_MANAGER: &str = "pip";

/// How long an install may run before it is killed (ten minutes).
const INSTALL_TIMEOUT_MS: u64 = 600_000;

/// Calls tool `name` with `arguments` (a JSON object as text): `not-found`
/// for a tool the sandbox does not offer, `invalid-params` naming the bad
/// parameter, host failures with what was being done; otherwise the result.
pub fn call(host: &impl Host, name: &str, arguments: &str) -> Result<Outcome, Fail> {
    match name {
        "check_engine" => params::check_engine(arguments).map(|()| check_engine(host)),
        "list_containers" => list_containers(host, params::list_containers(arguments)?),
        "create_container" => create_container(host, params::create_container(arguments)?),
        "execute_code" => execute(host, params::execute_code(arguments)?),
        "execute_python_script" => execute(host, params::execute_python_script(arguments)?),
        "add_dependencies" => add_dependencies(host, params::add_dependencies(arguments)?),
        "cleanup_container" => cleanup(host, params::cleanup_container(arguments)?),
        "write_file" => {
            let request = params::write_file(arguments)?;
            host.write_file(
                &request.container_id,
                &request.path,
                request.content.as_bytes(),
            )
            .map_err(|f| {
                f.context(&format!(
                    "writing {} in container {}",
                    request.path, request.container_id
                ))
            })?;
            Ok(report::written(&request.path, request.content.len()))
        }
        "read_file" => {
            let request = params::read_file(arguments)?;
            let data = host
                .read_file(&request.container_id, &request.path)
                .map_err(|f| {
                    f.context(&format!(
                        "reading {} in container {}",
                        request.path, request.container_id
                    ))
                })?;
            Ok(report::file(&request.container_id, &request.path, data))
        }
        _ => Err(Fail::NotFound(format!("the sandbox has no tool {name:?}"))),
    }
}

/// The engine's details, or why it cannot be reached, as a result either way.
fn check_engine(host: &impl Host) -> Outcome {
    match host.engine() {
        Ok(info) => report::engine(&info),
        Err(fail) => report::engine_unavailable(&fail),
    }
}

/// Lists containers of the named session, else of the caller's session,
/// else of every session.
fn list_containers(host: &impl Host, request: ListRequest) -> Result<Outcome, Fail> {
    let session = request.session_id.or_else(|| host.session_id());
    let containers = host
        .list_containers(request.show_all, session.clone())
        .map_err(|f| f.context("listing containers"))?;
    Ok(report::listed(
        &containers,
        request.show_all,
        session.as_deref(),
    ))
}

/// Creates (or, with `reuse_existing`, finds) a container.
fn create_container(host: &impl Host, request: CreateRequest) -> Result<Outcome, Fail> {
    let image = request
        .image
        .or_else(|| {
            host.setting(DEFAULT_IMAGE_SETTING)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_IMAGE.to_string());
    let spec = ContainerSpec {
        image: image.clone(),
        name: request.name,
        env: request.environment,
        network: request.network_enabled,
        memory_bytes: request.memory_mib.map(|mib| mib << 20),
        cpus: request.cpus,
        reuse_existing: request.reuse_existing,
        session: request.session_id,
        mounts: request.mounts,
    };
    let container = host
        .create_container(spec)
        .map_err(|f| f.context(&format!("creating a container from {image}")))?;
    host.log(
        Level::Info,
        &format!(
            "container {} ({}) ready, image {image}",
            container.name, container.id
        ),
    );
    Ok(report::created(&container))
}

/// Runs a command line, or code through its language pack.
fn execute(host: &impl Host, request: ExecRequest) -> Result<Outcome, Fail> {
    let code = match &request.program {
        Program::Command(command) => {
            let argv = vec!["sh".to_string(), "-c".to_string(), command.clone()];
            let result = run(host, &request, argv)?;
            return Ok(report::ran(Stage::Run { installed: &[] }, &result));
        }
        Program::Code(code) => code,
    };
    let language = language(host, &code.language).ok_or_else(|| unknown_language(host, code))?;
    let path = workspace::script_path(&language.name, &language.file_extension, &code.source)?;
    host.write_file(&request.container_id, &path, code.source.as_bytes())
        .map_err(|f| {
            f.context(&format!(
                "writing the code to {path} in container {}",
                request.container_id
            ))
        })?;
    let detected = if code.auto_install {
        host.detect(&language.name, &code.source).map_err(|f| {
            f.context(&format!(
                "detecting the packages the {} code imports",
                language.name
            ))
        })?
    } else {
        Vec::new()
    };
    let packages = with_detected(&code.packages, &detected);
    if !packages.is_empty() {
        stage(
            host,
            &request,
            0.0,
            &format!("installing {}", packages.join(", ")),
        );
        let result = install(
            host,
            &request.container_id,
            &language.manager,
            &packages,
            request.stream,
        )?;
        if !result.succeeded() {
            let stage = Stage::Install {
                manager: &language.manager,
                packages: &packages,
                detected: &detected,
            };
            return Ok(report::ran(stage, &result));
        }
        stage(host, &request, 1.0, &format!("running {path}"));
    }
    let argv = host.run_command(&language.name, &path).map_err(|f| {
        f.context(&format!(
            "asking the {} pack how to run {path}",
            language.name
        ))
    })?;
    let result = run(host, &request, argv)?;
    Ok(report::ran(
        Stage::Run {
            installed: &packages,
        },
        &result,
    ))
}

/// Announces step `done` of two (install, run) of `request`: as progress
/// when the host is not streaming output, else as a log record, because the
/// host's streaming progress counts bytes and ours would make it go backwards.
fn stage(host: &impl Host, request: &ExecRequest, done: f64, message: &str) {
    if request.stream {
        host.log(Level::Info, message);
    } else {
        host.progress(done, Some(2.0), message);
    }
}

/// Runs `argv` as `request` says: its container, directory, timeout and
/// streaming, without a network.
fn run(host: &impl Host, request: &ExecRequest, argv: Vec<String>) -> Result<ExecResult, Fail> {
    let spec = ExecSpec {
        argv,
        workdir: Some(request.working_dir.clone()),
        env: Vec::new(),
        timeout_ms: request.timeout_ms,
        stream: request.stream,
        with_network: false,
    };
    host.exec(&request.container_id, spec)
        .map_err(|f| f.context(&format!("running in container {}", request.container_id)))
}

/// Installs packages with the named manager, or the named language's, or pip.
fn add_dependencies(host: &impl Host, request: AddRequest) -> Result<Outcome, Fail> {
    let manager = match (request.package_manager, &request.language) {
        (Some(manager), _) => manager,
        (None, Some(name)) => match language(host, name) {
            Some(language) => language.manager,
            None => {
                return Err(Fail::InvalidParams(format!(
                    "`language` {name:?}: {}",
                    no_pack_runs(host, name)
                )));
            }
        },
        (None, None) => DEFAULT_MANAGER.to_string(),
    };
    let result = install(
        host,
        &request.container_id,
        &manager,
        &request.packages,
        true,
    )?;
    Ok(report::installed(&manager, &request.packages, &result))
}

/// Runs `manager`'s install plan for `packages` in `container`, with the
/// network attached for the duration.
fn install(
    host: &impl Host,
    container: &str,
    manager: &str,
    packages: &[String],
    stream: bool,
) -> Result<ExecResult, Fail> {
    let doing = format!("installing {} with {manager}", packages.join(", "));
    let plan = host
        .plan_install(manager, packages)
        .map_err(|f| f.context(&doing))?;
    host.log(Level::Info, &format!("{doing} in container {container}"));
    let spec = ExecSpec {
        argv: plan.argv,
        workdir: None,
        env: plan.env,
        timeout_ms: INSTALL_TIMEOUT_MS,
        stream,
        with_network: true,
    };
    let result = host.exec(container, spec).map_err(|f| f.context(&doing))?;
    if !result.succeeded() {
        host.log(
            Level::Warning,
            &format!(
                "{doing} in container {container} failed ({})",
                result.reason.as_str()
            ),
        );
    }
    Ok(result)
}

/// Removes what the request selects.
fn cleanup(host: &impl Host, request: CleanupRequest) -> Result<Outcome, Fail> {
    let volumes = request.remove_volumes;
    let (what, removed) = match request.target {
        Cleanup::Container(id) => {
            host.remove_container(&id, volumes)
                .map_err(|f| f.context(&format!("removing container {id}")))?;
            (format!("container {id}"), 1)
        }
        Cleanup::Session(session) => {
            let removed = host
                .remove_session(Some(session.clone()), volumes)
                .map_err(|f| f.context(&format!("removing the containers of session {session}")))?;
            (format!("the containers of session {session}"), removed)
        }
        Cleanup::All => {
            let removed = host
                .remove_session(None, volumes)
                .map_err(|f| f.context("removing every container of this server"))?;
            ("every container this server created".to_string(), removed)
        }
    };
    host.log(
        Level::Info,
        &format!("removed {removed} container(s): {what}"),
    );
    Ok(report::removed(&what, removed, volumes))
}

/// The loaded language called `name` (any ASCII case), or else the one whose
/// file extension is `name`.
fn language(host: &impl Host, name: &str) -> Option<Language> {
    let languages = host.languages();
    let by_name = languages
        .iter()
        .position(|l| l.name.eq_ignore_ascii_case(name));
    let by_extension = || {
        languages
            .iter()
            .position(|l| l.file_extension.eq_ignore_ascii_case(name))
    };
    by_name.or_else(by_extension).map(|i| languages[i].clone())
}

/// Why `code`'s language cannot run: the caller's mistake if they named it,
/// a missing pack otherwise.
fn unknown_language(host: &impl Host, code: &Code) -> Fail {
    let why = no_pack_runs(host, &code.language);
    if code.named_by_caller {
        Fail::InvalidParams(format!("`language` {:?}: {why}", code.language))
    } else {
        Fail::NotFound(why)
    }
}

/// "no loaded language pack runs `name`", with the languages that can run.
fn no_pack_runs(host: &impl Host, name: &str) -> String {
    let names: Vec<String> = host.languages().into_iter().map(|l| l.name).collect();
    let available = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    format!("no loaded language pack runs {name} (available: {available})")
}

/// The packages to install: `explicit` as given, then each `detected` one
/// that no explicit entry already names (`pandas==2.2` names `pandas`).
fn with_detected(explicit: &[String], detected: &[String]) -> Vec<String> {
    let names = |spec: &str, name: &str| {
        spec.len() >= name.len()
            && spec.is_char_boundary(name.len())
            && spec[..name.len()].eq_ignore_ascii_case(name)
            && !spec[name.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    let mut packages = explicit.to_vec();
    for name in detected {
        if !packages.iter().any(|spec| names(spec, name)) {
            packages.push(name.clone());
        }
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Container, EngineInfo, ExitReason, InstallPlan};
    use serde_json::json;
    use std::cell::RefCell;

    /// A host that records every call and answers from its fields.
    #[derive(Default)]
    struct Fake {
        calls: RefCell<Vec<String>>,
        logs: RefCell<Vec<String>>,
        execs: RefCell<Vec<ExecSpec>>,
        /// Exit codes for successive execs (0 when the list runs out).
        exit_codes: RefCell<Vec<i64>>,
        engine: Option<Fail>,
        exec_fails: Option<Fail>,
        session: Option<String>,
        default_image: Option<String>,
        detected: Vec<String>,
        /// Pretend no language pack is loaded.
        no_packs: bool,
    }

    impl Fake {
        fn record(&self, call: String) {
            self.calls.borrow_mut().push(call);
        }
        fn calls(&self) -> Vec<String> {
            self.calls.borrow().clone()
        }
    }

    fn container(id: &str, session: &str) -> Container {
        Container {
            id: id.into(),
            name: format!("{id}-name"),
            image: "img".into(),
            state: "running".into(),
            session_id: session.into(),
            network: false,
        }
    }

    impl Host for Fake {
        fn engine(&self) -> Result<EngineInfo, Fail> {
            match &self.engine {
                Some(fail) => Err(fail.clone()),
                None => Ok(EngineInfo {
                    version: "29.0".into(),
                    api_version: "1.53".into(),
                    platform: "linux/amd64".into(),
                    owned_containers: 2,
                }),
            }
        }
        fn create_container(&self, spec: ContainerSpec) -> Result<Container, Fail> {
            self.record(format!("create {spec:?}"));
            Ok(container("c1", spec.session.as_deref().unwrap_or("caller")))
        }
        fn list_containers(
            &self,
            include_stopped: bool,
            session: Option<String>,
        ) -> Result<Vec<Container>, Fail> {
            self.record(format!("list {include_stopped} {session:?}"));
            Ok(vec![container("c1", "s")])
        }
        fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecResult, Fail> {
            self.record(format!("exec {container} {:?}", spec.argv));
            if let Some(fail) = &self.exec_fails {
                return Err(fail.clone());
            }
            self.execs.borrow_mut().push(spec);
            let code = if self.exit_codes.borrow().is_empty() {
                0
            } else {
                self.exit_codes.borrow_mut().remove(0)
            };
            Ok(ExecResult {
                exit_code: Some(code),
                stdout: "ok".into(),
                stderr: String::new(),
                truncated: false,
                duration_ms: 10,
                reason: ExitReason::Exited,
            })
        }
        fn write_file(&self, container: &str, path: &str, data: &[u8]) -> Result<(), Fail> {
            self.record(format!(
                "write {container} {path} {}",
                String::from_utf8_lossy(data)
            ));
            Ok(())
        }
        fn read_file(&self, container: &str, path: &str) -> Result<Vec<u8>, Fail> {
            self.record(format!("read {container} {path}"));
            Ok(b"contents".to_vec())
        }
        fn remove_container(&self, container: &str, remove_volumes: bool) -> Result<(), Fail> {
            self.record(format!("remove {container} {remove_volumes}"));
            Ok(())
        }
        fn remove_session(
            &self,
            session: Option<String>,
            remove_volumes: bool,
        ) -> Result<u32, Fail> {
            self.record(format!("remove-session {session:?} {remove_volumes}"));
            Ok(3)
        }
        fn languages(&self) -> Vec<Language> {
            if self.no_packs {
                return Vec::new();
            }
            vec![
                Language {
                    name: "python".into(),
                    file_extension: "py".into(),
                    manager: "pip".into(),
                },
                Language {
                    name: "node".into(),
                    file_extension: "js".into(),
                    manager: "npm".into(),
                },
            ]
        }
        fn detect(&self, language: &str, _source: &str) -> Result<Vec<String>, Fail> {
            self.record(format!("detect {language}"));
            Ok(self.detected.clone())
        }
        fn plan_install(&self, manager: &str, packages: &[String]) -> Result<InstallPlan, Fail> {
            self.record(format!("plan {manager} {packages:?}"));
            let mut argv = vec![manager.to_string(), "install".into(), "--".into()];
            argv.extend(packages.iter().cloned());
            Ok(InstallPlan {
                argv,
                env: vec![("QUIET".into(), "1".into())],
            })
        }
        fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail> {
            self.record(format!("run-command {language} {path}"));
            Ok(vec![format!("{language}-runner"), path.to_string()])
        }
        fn session_id(&self) -> Option<String> {
            self.session.clone()
        }
        fn setting(&self, key: &str) -> Option<String> {
            (key == DEFAULT_IMAGE_SETTING)
                .then(|| self.default_image.clone())
                .flatten()
        }
        fn log(&self, level: Level, message: &str) {
            self.logs.borrow_mut().push(format!("{level:?} {message}"));
        }
        fn progress(&self, progress: f64, total: Option<f64>, message: &str) {
            self.record(format!("progress {progress}/{total:?} {message}"));
        }
    }

    fn script(language: &str, ext: &str, code: &str) -> String {
        workspace::script_path(language, ext, code).unwrap()
    }

    #[test]
    fn unknown_tool_is_not_found() {
        let err = call(&Fake::default(), "rm_rf", "{}").unwrap_err();
        assert_eq!(
            err,
            Fail::NotFound("the sandbox has no tool \"rm_rf\"".into())
        );
    }

    #[test]
    fn every_catalogued_tool_is_callable() {
        for tool in crate::catalog::tools() {
            let result = call(&Fake::default(), tool.name, "{}");
            assert!(!matches!(result, Err(Fail::NotFound(_))), "{}", tool.name);
        }
    }

    #[test]
    fn unreachable_engine_is_a_result_not_a_failure() {
        let host = Fake {
            engine: Some(Fail::Failed("connection refused".into())),
            ..Fake::default()
        };
        let outcome = call(&host, "check_engine", "{}").unwrap();
        assert!(outcome.is_error && outcome.text().contains("connection refused"));
        let outcome = call(&Fake::default(), "check_engine", "").unwrap();
        assert!(!outcome.is_error && outcome.text().contains("29.0"));
    }

    #[test]
    fn create_uses_the_configured_default_image_then_the_builtin_one() {
        let host = Fake {
            default_image: Some(" alpine:3 ".into()),
            ..Fake::default()
        };
        call(&host, "create_container", "{}").unwrap();
        assert!(
            host.calls()[0].contains("image: \"alpine:3\""),
            "{:?}",
            host.calls()
        );
        let host = Fake::default();
        call(
            &host,
            "create_container",
            r#"{"memory_mib":512,"session_id":"s9"}"#,
        )
        .unwrap();
        let created = &host.calls()[0];
        assert!(created.contains("image: \"python:3.12-slim\""), "{created}");
        assert!(
            created.contains("memory_bytes: Some(536870912)")
                && created.contains("session: Some(\"s9\")"),
            "{created}"
        );
        assert!(
            created.contains("reuse_existing: true") && created.contains("network: false"),
            "{created}"
        );
    }

    #[test]
    fn list_filters_by_the_named_session_then_the_callers() {
        let host = Fake {
            session: Some("mine".into()),
            ..Fake::default()
        };
        call(&host, "list_containers", "{}").unwrap();
        call(
            &host,
            "list_containers",
            r#"{"session_id":"other","show_all":true}"#,
        )
        .unwrap();
        assert_eq!(
            host.calls(),
            ["list false Some(\"mine\")", "list true Some(\"other\")"]
        );
        let host = Fake::default();
        let outcome = call(&host, "list_containers", "{}").unwrap();
        assert_eq!(host.calls(), ["list false None"]);
        assert_eq!(outcome.structured.unwrap()["containers"][0]["id"], "c1");
    }

    #[test]
    fn command_runs_through_sh_without_network() {
        let host = Fake::default();
        let outcome = call(
            &host,
            "execute_code",
            r#"{"container_id":"c1","command":"echo hi && ls","timeout":5}"#,
        )
        .unwrap();
        assert!(!outcome.is_error);
        let spec = host.execs.borrow()[0].clone();
        assert_eq!(spec.argv, ["sh", "-c", "echo hi && ls"]);
        assert_eq!(
            (spec.timeout_ms, spec.with_network, spec.workdir.as_deref()),
            (5000, false, Some("/workspace"))
        );
    }

    #[test]
    fn code_is_written_then_run_by_its_pack() {
        let host = Fake::default();
        call(
            &host,
            "execute_code",
            r#"{"container_id":"c1","code":"console.log(1)","language":"js"}"#,
        )
        .unwrap();
        let path = script("node", "js", "console.log(1)");
        assert_eq!(
            host.calls(),
            [
                format!("write c1 {path} console.log(1)"),
                format!("run-command node {path}"),
                format!("exec c1 [\"node-runner\", \"{path}\"]")
            ]
        );
    }

    #[test]
    fn unknown_language_is_the_callers_mistake_in_execute_code() {
        let err = call(
            &Fake::default(),
            "execute_code",
            r#"{"container_id":"c","code":"x","language":"ruby"}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            Fail::InvalidParams(
                "`language` \"ruby\": no loaded language pack runs ruby (available: python, node)"
                    .into()
            )
        );
    }

    #[test]
    fn python_script_installs_explicit_and_detected_packages_first() {
        let host = Fake {
            detected: vec!["numpy".into(), "requests".into()],
            ..Fake::default()
        };
        let outcome = call(
            &host,
            "execute_python_script",
            r#"{"container_id":"c1","script":"import numpy","packages":["numpy==1.26"]}"#,
        )
        .unwrap();
        let path = script("python", "py", "import numpy");
        assert_eq!(
            host.calls(),
            [
                format!("write c1 {path} import numpy"),
                "detect python".to_string(),
                "plan pip [\"numpy==1.26\", \"requests\"]".to_string(),
                "exec c1 [\"pip\", \"install\", \"--\", \"numpy==1.26\", \"requests\"]".to_string(),
                format!("run-command python {path}"),
                format!("exec c1 [\"python-runner\", \"{path}\"]"),
            ]
        );
        let install = host.execs.borrow()[0].clone();
        assert!(install.with_network && install.env == [("QUIET".to_string(), "1".to_string())]);
        assert!(!host.execs.borrow()[1].with_network);
        assert_eq!(host.execs.borrow()[1].timeout_ms, 60_000);
        assert_eq!(
            outcome.structured.unwrap()["installed"],
            json!(["numpy==1.26", "requests"])
        );
        let logs = host.logs.borrow();
        assert!(
            logs.contains(&"Info installing numpy==1.26, requests".to_string()),
            "{logs:?}"
        );
        assert!(logs.contains(&format!("Info running {path}")), "{logs:?}");
    }

    #[test]
    fn steps_are_progress_only_when_output_is_not_streamed() {
        let host = Fake {
            detected: vec!["lodash".into()],
            ..Fake::default()
        };
        let arguments = r#"{"container_id":"c1","code":"x","language":"node","auto_install":true,"stream":false}"#;
        call(&host, "execute_code", arguments).unwrap();
        let progress: Vec<String> = host
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("progress"))
            .collect();
        let path = script("node", "js", "x");
        assert_eq!(
            progress,
            [
                "progress 0/Some(2.0) installing lodash".to_string(),
                format!("progress 1/Some(2.0) running {path}")
            ]
        );
        assert!(
            !host.execs.borrow()[0].stream,
            "the install follows the caller's stream choice"
        );
    }

    #[test]
    fn python_script_without_a_python_pack_is_not_found() {
        let host = Fake {
            no_packs: true,
            ..Fake::default()
        };
        let err = call(
            &host,
            "execute_python_script",
            r#"{"container_id":"c","script":"1"}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            Fail::NotFound("no loaded language pack runs python (available: none)".into())
        );
    }

    #[test]
    fn failed_install_stops_before_running() {
        let host = Fake {
            detected: vec!["mymodule".into()],
            exit_codes: RefCell::new(vec![1]),
            ..Fake::default()
        };
        let outcome = call(
            &host,
            "execute_python_script",
            r#"{"container_id":"c1","script":"import mymodule"}"#,
        )
        .unwrap();
        assert!(outcome.is_error);
        assert_eq!(outcome.structured.unwrap()["stage"], "install");
        assert!(
            !host.calls().iter().any(|c| c.starts_with("run-command")),
            "{:?}",
            host.calls()
        );
    }

    #[test]
    fn no_install_without_packages_or_with_auto_install_off() {
        let host = Fake {
            detected: vec!["numpy".into()],
            ..Fake::default()
        };
        call(
            &host,
            "execute_python_script",
            r#"{"container_id":"c1","script":"import numpy","auto_install":false}"#,
        )
        .unwrap();
        assert!(
            !host
                .calls()
                .iter()
                .any(|c| c.starts_with("detect") || c.starts_with("plan")),
            "{:?}",
            host.calls()
        );
    }

    #[test]
    fn denied_install_network_is_a_denial_saying_what_was_attempted() {
        let host = Fake {
            exec_fails: Some(Fail::Denied("lacks the `install-network` grant".into())),
            ..Fake::default()
        };
        let err = call(
            &host,
            "add_dependencies",
            r#"{"container_id":"c1","packages":["requests"]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            Fail::Denied("installing requests with pip: lacks the `install-network` grant".into())
        );
    }

    #[test]
    fn add_dependencies_picks_the_manager() {
        let managers = |json: &str| {
            let host = Fake::default();
            call(&host, "add_dependencies", json).unwrap();
            host.calls()[0].clone()
        };
        assert_eq!(
            managers(r#"{"container_id":"c","packages":["a"]}"#),
            "plan pip [\"a\"]"
        );
        assert_eq!(
            managers(r#"{"container_id":"c","packages":["a"],"language":"node"}"#),
            "plan npm [\"a\"]"
        );
        assert_eq!(
            managers(
                r#"{"container_id":"c","packages":["a"],"package_manager":"apk","language":"node"}"#
            ),
            "plan apk [\"a\"]"
        );
        let err = call(
            &Fake::default(),
            "add_dependencies",
            r#"{"container_id":"c","packages":["a"],"language":"cobol"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Fail::InvalidParams(m) if m.starts_with("`language` \"cobol\"")));
    }

    #[test]
    fn failed_install_is_an_error_result_with_output() {
        let host = Fake {
            exit_codes: RefCell::new(vec![1]),
            ..Fake::default()
        };
        let outcome = call(
            &host,
            "add_dependencies",
            r#"{"container_id":"c","packages":["nope"]}"#,
        )
        .unwrap();
        assert!(outcome.is_error && outcome.text().contains("--- stdout ---\nok"));
    }

    #[test]
    fn cleanup_removes_what_was_selected() {
        let host = Fake::default();
        call(&host, "cleanup_container", r#"{"container_id":"c1"}"#).unwrap();
        call(
            &host,
            "cleanup_container",
            r#"{"session_id":"s","remove_volumes":true}"#,
        )
        .unwrap();
        let outcome = call(&host, "cleanup_container", r#"{"cleanup_all":true}"#).unwrap();
        assert_eq!(
            host.calls(),
            [
                "remove c1 false",
                "remove-session Some(\"s\") true",
                "remove-session None false"
            ]
        );
        assert_eq!(outcome.structured.unwrap()["removed"], 3);
    }

    #[test]
    fn file_tools_use_workspace_paths() {
        let host = Fake::default();
        let outcome = call(
            &host,
            "write_file",
            r#"{"container_id":"c","path":"notes.txt","content":"héllo"}"#,
        )
        .unwrap();
        assert_eq!(
            outcome.structured.unwrap(),
            json!({"path": "/workspace/notes.txt", "bytes": 6})
        );
        let outcome = call(
            &host,
            "read_file",
            r#"{"container_id":"c","path":"notes.txt"}"#,
        )
        .unwrap();
        assert_eq!(outcome.text(), "contents");
        assert_eq!(
            host.calls(),
            [
                "write c /workspace/notes.txt héllo",
                "read c /workspace/notes.txt"
            ]
        );
    }

    #[test]
    fn detected_packages_named_by_explicit_specs_are_not_repeated() {
        let list = |explicit: &[&str], detected: &[&str]| {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            with_detected(&own(explicit), &own(detected))
        };
        assert_eq!(
            list(&["pandas==2.2", "NumPy"], &["numpy", "pandas", "scipy"]),
            ["pandas==2.2", "NumPy", "scipy"]
        );
        assert_eq!(
            list(&["pandas-stubs"], &["pandas"]),
            ["pandas-stubs", "pandas"]
        );
        assert_eq!(
            list(&["@types/node@20"], &["@types/node"]),
            ["@types/node@20"]
        );
        assert_eq!(list(&[], &["a"]), ["a"]);
    }
}
