//! The execute tools: `execute_code` (a shell command line, or code in a
//! loaded pack's language) and `execute_python_script`.

use super::Tool;
use super::containers::not_blank;
use super::deps::{Install, install};
use crate::exec_output::{self, summary};
use crate::host::{ExecResult, ExecSpec, Host, Level};
use crate::languages;
use crate::schema::{self, MAX_TIMEOUT_SECS, object};
use crate::workspace;
use plugin_kit::{Annotations, Args, Block, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// Hints for tools that run caller code in a container: anything may change,
/// and whether it reaches the network depends on the container.
const RUNS_CODE: Annotations = Annotations { read_only: false, destructive: true, idempotent: false, open_world: None };

/// `execute_code`.
pub const EXECUTE_CODE: Tool = Tool {
    name: "execute_code",
    title: "Execute code",
    description: "Runs a shell command line in a container (as `sh -c`), or source code in a language \
        whose pack is loaded (`code` with `language`; the code is saved under /workspace/.portcullis \
        and run by the pack). Reports the exit code, duration, why it ended (exited, timeout, \
        out-of-memory, cancelled) and the output. A non-zero exit, a timeout or running out of memory \
        is reported as an error.",
    input_schema: || {
        object(
            json!({
                "container_id": schema::container_id(),
                "command": {"type": "string",
                    "description": "The shell command line to run, such as `ls -la` or `python3 main.py`. Give this or `code`."},
                "code": {"type": "string",
                    "description": "Source code to run instead of a command; needs `language`."},
                "language": {"type": "string",
                    "description": "The language of `code`: a loaded pack's language name (python, node) or its file extension (py, js)."},
                "auto_install": {"type": "boolean", "default": false,
                    "description": "With `code`: detect the packages the code imports and install them before running."},
                "timeout": schema::timeout(30),
                "stream": {"type": "boolean", "default": true,
                    "description": "Stream output to the client while the command runs."},
                "working_dir": {"type": "string", "default": "/workspace",
                    "description": "The absolute directory to run in."}
            }),
            &["container_id"],
        )
    },
    output_schema: Some(output_schema),
    annotations: RUNS_CODE,
    task_support: TaskSupport::Optional,
    run: |host, args| execute(host, parse_execute_code(args)?),
};

/// `execute_python_script`.
pub const EXECUTE_PYTHON_SCRIPT: Tool = Tool {
    name: "execute_python_script",
    title: "Execute a Python script",
    description: "Runs a Python script in a container. First installs `packages` and, with auto_install \
        (the default), the third-party packages the script imports. Reports like execute_code; if the \
        install fails, the script is not run and the install output is reported.",
    input_schema: || {
        object(
            json!({
                "container_id": schema::container_id(),
                "script": {"type": "string", "description": "The Python source code to run."},
                "packages": {"type": "array", "items": {"type": "string"}, "default": [],
                    "description": "Packages to install (with pip) before running, such as [\"numpy\", \"pandas==2.2.0\"]."},
                "timeout": schema::timeout(60),
                "auto_install": {"type": "boolean", "default": true,
                    "description": "Detect the packages the script imports and install them too. Turn off when an import is a local module."}
            }),
            &["container_id", "script"],
        )
    },
    output_schema: Some(output_schema),
    annotations: RUNS_CODE,
    task_support: TaskSupport::Optional,
    run: |host, args| execute(host, parse_execute_python_script(args)?),
};

/// The structured result of the execute tools.
fn output_schema() -> Value {
    object(
        json!({
            "stage": {"type": "string", "enum": ["install", "run"],
                "description": "`run` for the code's own result; `install` when installing packages failed and the code did not run."},
            "exit_code": schema::exit_code(),
            "reason": schema::reason(),
            "duration_ms": {"type": "integer", "description": "How long it ran, in milliseconds."},
            "stdout": {"type": "string", "description": "Standard output."},
            "stderr": {"type": "string", "description": "Standard error."},
            "truncated": {"type": "boolean", "description": "Whether output was cut at the server's limit."},
            "installed": {"type": "array", "items": {"type": "string"},
                "description": "Packages installed before the run (empty when none)."}
        }),
        &["stage", "exit_code", "reason", "duration_ms", "stdout", "stderr", "truncated", "installed"],
    )
}

/// Source code to write into the container and run with a language pack.
#[derive(Debug, Clone, PartialEq)]
struct Code {
    /// The language: a pack's language name or its file extension.
    language: String,
    /// Whether the caller named the language, so that an unknown one is
    /// their mistake rather than a missing pack.
    named_by_caller: bool,
    /// The source code.
    source: String,
    /// Packages to install before running, whatever detection finds.
    packages: Vec<String>,
    /// Detect the packages the code imports and install them too.
    auto_install: bool,
}

/// What an exec request runs.
#[derive(Debug, Clone, PartialEq)]
enum Program {
    /// A shell command line, run as `sh -c <command>`.
    Command(String),
    /// Code run by its language pack.
    Code(Code),
}

/// An `execute_code` or `execute_python_script` request.
#[derive(Debug, Clone, PartialEq)]
struct ExecRequest {
    /// The container to run in.
    container_id: String,
    /// What to run.
    program: Program,
    /// Kill the run after this many milliseconds.
    timeout_ms: u64,
    /// Stream output to the client while it runs.
    stream: bool,
    /// The working directory.
    working_dir: String,
}

/// `execute_code`: `container_id` and either `command`, or `code` with
/// `language` (and optionally `auto_install`).
fn parse_execute_code(args: &Args) -> Result<ExecRequest, Fail> {
    let container_id = container_id(args)?;
    let command = args.string("command")?;
    let code = args.string("code")?;
    let language = args.string("language")?;
    let auto_install = args.bool("auto_install", false)?;
    let program = match (command, code) {
        (Some(_), Some(_)) => {
            return Err(Fail::InvalidParams(
                "give either `command` (a shell command line) or `code` with `language`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(Fail::InvalidParams(
                "`command` is required: the shell command line to run (or give `code` with `language`)".into(),
            ));
        }
        (Some(command), None) => {
            if language.is_some() || auto_install {
                let extra = if language.is_some() { "language" } else { "auto_install" };
                return Err(Fail::InvalidParams(format!("`{extra}` applies only with `code`, not with `command`")));
            }
            not_blank("command", &command)?;
            if command.contains('\0') {
                return Err(Fail::InvalidParams("`command` must not contain NUL".into()));
            }
            Program::Command(command)
        }
        (None, Some(source)) => {
            let Some(language) = language else {
                return Err(Fail::InvalidParams(
                    "`language` is required with `code`: the language the code is written in, such as `python`".into(),
                ));
            };
            not_blank("language", &language)?;
            Program::Code(Code { language, named_by_caller: true, source, packages: Vec::new(), auto_install })
        }
    };
    let working_dir = args.string("working_dir")?.unwrap_or_else(|| workspace::WORKSPACE.into());
    if !working_dir.starts_with('/') || working_dir.contains('\0') {
        return Err(Fail::InvalidParams(format!(
            "`working_dir` must be an absolute path inside the container, not {working_dir:?}"
        )));
    }
    Ok(ExecRequest {
        container_id,
        program,
        timeout_ms: timeout_ms(args, 30)?,
        stream: args.bool("stream", true)?,
        working_dir,
    })
}

/// `execute_python_script`: a request to run Python code.
fn parse_execute_python_script(args: &Args) -> Result<ExecRequest, Fail> {
    let container_id = container_id(args)?;
    let source = args.required_string("script", "the Python source code to run")?;
    let code = Code {
        language: "python".into(),
        named_by_caller: false,
        source,
        packages: args.string_list("packages")?.unwrap_or_default(),
        auto_install: args.bool("auto_install", true)?,
    };
    Ok(ExecRequest {
        container_id,
        program: Program::Code(code),
        timeout_ms: timeout_ms(args, 60)?,
        stream: true,
        working_dir: workspace::WORKSPACE.into(),
    })
}

/// The required, non-blank `container_id`.
pub(super) fn container_id(args: &Args) -> Result<String, Fail> {
    let id =
        args.required_string("container_id", "the container's id or name, from create_container or list_containers")?;
    not_blank("container_id", &id)?;
    Ok(id)
}

/// `timeout` in seconds (`default` when absent), as milliseconds.
fn timeout_ms(args: &Args, default: u64) -> Result<u64, Fail> {
    Ok(args.integer("timeout", 1, MAX_TIMEOUT_SECS)?.unwrap_or(default) * 1000)
}

/// Runs a command line, or code through its language pack.
fn execute(host: &dyn Host, request: ExecRequest) -> Result<Outcome, Fail> {
    let code = match &request.program {
        Program::Command(command) => {
            let argv = vec!["sh".to_string(), "-c".to_string(), command.clone()];
            return Ok(ran(&[], &run(host, &request, argv)?));
        }
        Program::Code(code) => code,
    };
    let language = languages::find(host, &code.language).ok_or_else(|| unknown_language(host, code))?;
    let path = workspace::script_path(&language.name, &language.file_extension, &code.source)?;
    host.write_file(&request.container_id, &path, code.source.as_bytes())
        .map_err(|f| f.context(&format!("writing the code to {path} in container {}", request.container_id)))?;
    let detected = if code.auto_install {
        host.detect(&language.name, &code.source)
            .map_err(|f| f.context(&format!("detecting the packages the {} code imports", language.name)))?
    } else {
        Vec::new()
    };
    let packages = with_detected(&code.packages, &detected);
    if !packages.is_empty() {
        stage(host, &request, 0.0, &format!("installing {}", packages.join(", ")));
        let install = install(host, &request.container_id, &language.manager, &packages, request.stream)?;
        if install.failure().is_some() {
            return Ok(install_failed(&language.manager, &packages, &detected, &install));
        }
        stage(host, &request, 1.0, &format!("running {path}"));
    }
    let argv = host
        .run_command(&language.name, &path)
        .map_err(|f| f.context(&format!("asking the {} pack how to run {path}", language.name)))?;
    Ok(ran(&packages, &run(host, &request, argv)?))
}

/// Announces step `done` of two (install, run) of `request`: as progress
/// when the host is not streaming output, else as a log record, because the
/// host's streaming progress counts bytes and ours would make it go backwards.
fn stage(host: &dyn Host, request: &ExecRequest, done: f64, message: &str) {
    if request.stream {
        host.log(Level::Info, message);
    } else {
        host.progress(done, Some(2.0), message);
    }
}

/// Runs `argv` as `request` says: its container, directory, timeout and
/// streaming, without a network.
fn run(host: &dyn Host, request: &ExecRequest, argv: Vec<String>) -> Result<ExecResult, Fail> {
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

/// Why `code`'s language cannot run: the caller's mistake if they named it,
/// a missing pack otherwise.
fn unknown_language(host: &dyn Host, code: &Code) -> Fail {
    let why = languages::no_pack_runs(host, &code.language);
    if code.named_by_caller {
        Fail::InvalidParams(format!("`language` {:?}: {why}", code.language))
    } else {
        Fail::NotFound(why)
    }
}

/// The packages to install: `explicit` as given, then each `detected` one
/// that no explicit entry already names (`pandas==2.2` names `pandas`).
fn with_detected(explicit: &[String], detected: &[String]) -> Vec<String> {
    let names = |spec: &str, name: &str| {
        spec.len() >= name.len()
            && spec.is_char_boundary(name.len())
            && spec[..name.len()].eq_ignore_ascii_case(name)
            && !spec[name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    let mut packages = explicit.to_vec();
    for name in detected {
        if !packages.iter().any(|spec| names(spec, name)) {
            packages.push(name.clone());
        }
    }
    packages
}

/// The result of a run after installing `installed`.
fn ran(installed: &[String], result: &ExecResult) -> Outcome {
    let mut text = String::new();
    if !installed.is_empty() {
        text.push_str(&format!("Installed {} first.\n", installed.join(", ")));
    }
    text.push_str(&format!("{}\n{}", summary(result), exec_output::output(result)));
    let mut structured = exec_output::fields(result);
    structured.insert("stage".into(), json!("run"));
    structured.insert("installed".into(), json!(installed));
    Outcome {
        content: vec![Block::Text(text)],
        structured: Some(Value::Object(structured)),
        is_error: !result.succeeded(),
    }
}

/// The result when installing `packages` (some `detected` from the code's
/// imports) failed, so the code did not run.
fn install_failed(manager: &str, packages: &[String], detected: &[String], install: &Install) -> Outcome {
    let mut text = format!(
        "Installing {} with {manager} failed, so the code did not run. It failed at {}\n",
        packages.join(", "),
        install.failure().unwrap_or_default()
    );
    if !detected.is_empty() {
        text.push_str(&format!(
            "Detected from the code's imports: {}. If one of them is a local module rather than a package, run again with auto_install=false.\n",
            detected.join(", ")
        ));
    }
    text.push_str(&install.steps_text());
    let mut structured = exec_output::fields(install.last());
    structured.insert("stage".into(), json!("install"));
    structured.insert("installed".into(), json!([]));
    Outcome { content: vec![Block::Text(text)], structured: Some(Value::Object(structured)), is_error: true }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::call;
    use crate::tools::fake::{Call, Fake, strings};
    use plugin_kit::testing::invalid;
    use std::cell::RefCell;

    fn code_request(json: &str) -> Result<ExecRequest, Fail> {
        parse_execute_code(&crate::tools::args(&EXECUTE_CODE, json)?)
    }

    fn script_request(json: &str) -> Result<ExecRequest, Fail> {
        parse_execute_python_script(&crate::tools::args(&EXECUTE_PYTHON_SCRIPT, json)?)
    }

    fn script(language: &str, ext: &str, code: &str) -> String {
        workspace::script_path(language, ext, code).unwrap()
    }

    #[test]
    fn execute_code_runs_a_command_with_seed_defaults() {
        assert_eq!(
            code_request(r#"{"container_id":"c1","command":"echo 'hi'"}"#).unwrap(),
            ExecRequest {
                container_id: "c1".into(),
                program: Program::Command("echo 'hi'".into()),
                timeout_ms: 30_000,
                stream: true,
                working_dir: "/workspace".into(),
            }
        );
        let request =
            code_request(r#"{"container_id":"c1","command":"ls","timeout":5,"stream":false,"working_dir":"/tmp"}"#)
                .unwrap();
        assert_eq!((request.timeout_ms, request.stream, request.working_dir.as_str()), (5_000, false, "/tmp"));
    }

    #[test]
    fn execute_code_runs_code_in_a_language() {
        let request =
            code_request(r#"{"container_id":"c1","code":"console.log(1)","language":"node","auto_install":true}"#)
                .unwrap();
        let expected = Code {
            language: "node".into(),
            named_by_caller: true,
            source: "console.log(1)".into(),
            packages: vec![],
            auto_install: true,
        };
        assert_eq!(request.program, Program::Code(expected));
        let request = code_request(r#"{"container_id":"c1","code":"x","language":"python"}"#).unwrap();
        assert!(matches!(request.program, Program::Code(Code { auto_install: false, .. })));
    }

    #[test]
    fn execute_code_refuses_conflicting_or_missing_programs() {
        for (arguments, start) in [
            (r#"{"command":"ls"}"#, "`container_id` is required"),
            (r#"{"container_id":"c"}"#, "`command` is required"),
            (r#"{"container_id":"c","code":"x"}"#, "`language` is required"),
            (r#"{"container_id":"c","command":"ls","language":"python"}"#, "`language` applies only"),
            (r#"{"container_id":"c","command":"ls","auto_install":true}"#, "`auto_install` applies only"),
            (r#"{"container_id":"c","command":"  "}"#, "`command` must not be empty"),
            (r#"{"container_id":"c","command":"ls","working_dir":"tmp"}"#, "`working_dir`"),
            (r#"{"container_id":"c","command":"ls","timeout":0}"#, "`timeout`"),
            (r#"{"container_id":"c","command":"ls","timeout":86401}"#, "`timeout`"),
            (r#"{"container_id":"c","command":"ls","code":"x"}"#, "give either `command`"),
        ] {
            let msg = invalid(code_request(arguments));
            assert!(msg.starts_with(start), "{arguments}: {msg}");
        }
    }

    #[test]
    fn python_script_installs_by_default() {
        let request = script_request(r#"{"container_id":"c","script":"import numpy","packages":["numpy"]}"#).unwrap();
        let expected = Code {
            language: "python".into(),
            named_by_caller: false,
            source: "import numpy".into(),
            packages: strings(&["numpy"]),
            auto_install: true,
        };
        assert_eq!(request.program, Program::Code(expected));
        assert_eq!(request.timeout_ms, 60_000);
        assert!(invalid(script_request(r#"{"container_id":"c"}"#)).starts_with("`script` is required"));
        assert!(
            invalid(script_request(r#"{"container_id":"c","script":"","packages":"numpy"}"#)).starts_with("`packages`")
        );
    }

    #[test]
    fn command_runs_through_sh_without_network() {
        let host = Fake::default();
        let outcome =
            call(&host, "execute_code", r#"{"container_id":"c1","command":"echo hi && ls","timeout":5}"#).unwrap();
        assert!(!outcome.is_error);
        assert_eq!(outcome.text(), "Exited with code 0 after 10 ms.\n--- stdout ---\nok\n");
        let spec = &host.execs()[0];
        assert_eq!(spec.argv, ["sh", "-c", "echo hi && ls"]);
        assert_eq!((spec.timeout_ms, spec.with_network, spec.workdir.as_deref()), (5000, false, Some("/workspace")));
    }

    #[test]
    fn code_is_written_then_run_by_its_pack() {
        let host = Fake::default();
        call(&host, "execute_code", r#"{"container_id":"c1","code":"console.log(1)","language":"js"}"#).unwrap();
        let path = script("node", "js", "console.log(1)");
        let calls = host.calls();
        assert_eq!(
            calls[0],
            Call::Write { container: "c1".into(), path: path.clone(), data: b"console.log(1)".to_vec() }
        );
        assert_eq!(calls[1], Call::RunCommand { language: "node".into(), path: path.clone() });
        assert_eq!(host.argvs(), [vec!["node-runner".to_string(), path]]);
    }

    #[test]
    fn unknown_language_is_the_callers_mistake_in_execute_code() {
        let err =
            call(&Fake::default(), "execute_code", r#"{"container_id":"c","code":"x","language":"ruby"}"#).unwrap_err();
        assert_eq!(
            err,
            Fail::InvalidParams(
                "`language` \"ruby\": no loaded language pack runs ruby (available: python, node)".into()
            )
        );
    }

    #[test]
    fn python_script_installs_explicit_and_detected_packages_first() {
        let host = Fake { detected: strings(&["numpy", "requests"]), ..Fake::default() };
        let outcome = call(
            &host,
            "execute_python_script",
            r#"{"container_id":"c1","script":"import numpy","packages":["numpy==1.26"]}"#,
        )
        .unwrap();
        let path = script("python", "py", "import numpy");
        let packages = strings(&["numpy==1.26", "requests"]);
        let calls = host.calls();
        assert_eq!(calls[1], Call::Detect { language: "python".into() });
        assert_eq!(calls[2], Call::Plan { manager: "pip".into(), packages: packages.clone() });
        assert_eq!(
            host.argvs(),
            [strings(&["pip", "install", "--", "numpy==1.26", "requests"]), strings(&["python-runner", &path])]
        );
        let execs = host.execs();
        assert!(execs[0].with_network && execs[0].env == [("QUIET".to_string(), "1".to_string())]);
        assert!(!execs[1].with_network);
        assert_eq!(execs[1].timeout_ms, 60_000);
        assert!(outcome.text().starts_with("Installed numpy==1.26, requests first.\n"));
        assert_eq!(outcome.structured.unwrap()["installed"], json!(packages));
        let logs: Vec<String> = host.logs.borrow().iter().map(|(_, m)| m.clone()).collect();
        assert!(logs.contains(&"installing numpy==1.26, requests".to_string()), "{logs:?}");
        assert!(logs.contains(&format!("running {path}")), "{logs:?}");
    }

    #[test]
    fn steps_are_progress_only_when_output_is_not_streamed() {
        let host = Fake { detected: strings(&["lodash"]), ..Fake::default() };
        let arguments = r#"{"container_id":"c1","code":"x","language":"node","auto_install":true,"stream":false}"#;
        call(&host, "execute_code", arguments).unwrap();
        let progress: Vec<Call> = host.calls().into_iter().filter(|c| matches!(c, Call::Progress { .. })).collect();
        let path = script("node", "js", "x");
        assert_eq!(
            progress,
            [
                Call::Progress { done: 0.0, total: Some(2.0), message: "installing lodash".into() },
                Call::Progress { done: 1.0, total: Some(2.0), message: format!("running {path}") }
            ]
        );
        assert!(!host.execs()[0].stream, "the install follows the caller's stream choice");
    }

    #[test]
    fn python_script_without_a_python_pack_is_not_found() {
        let host = Fake { no_packs: true, ..Fake::default() };
        let err = call(&host, "execute_python_script", r#"{"container_id":"c","script":"1"}"#).unwrap_err();
        assert_eq!(err, Fail::NotFound("no loaded language pack runs python (available: none)".into()));
    }

    #[test]
    fn failed_install_stops_before_running_and_suggests_turning_detection_off() {
        let host = Fake {
            detected: strings(&["mymodule"]),
            prepare: vec![strings(&["pip", "refresh"])],
            exit_codes: RefCell::new(vec![0, 1]),
            ..Fake::default()
        };
        let outcome =
            call(&host, "execute_python_script", r#"{"container_id":"c1","script":"import mymodule"}"#).unwrap();
        assert!(outcome.is_error);
        assert!(!host.calls().iter().any(|c| matches!(c, Call::RunCommand { .. })));
        assert_eq!(
            outcome.text(),
            "Installing mymodule with pip failed, so the code did not run. It failed at step 2 of 2 \
             (`pip install -- mymodule`). Failed: exited with code 1 after 10 ms.\n\
             Detected from the code's imports: mymodule. If one of them is a local module rather than a package, \
             run again with auto_install=false.\n\
             Step 1 of 2: `pip refresh`: Exited with code 0 after 10 ms.\n--- stdout ---\nok\n\
             Step 2 of 2: `pip install -- mymodule`: Failed: exited with code 1 after 10 ms.\n--- stdout ---\nok\n"
        );
        let structured = outcome.structured.unwrap();
        assert_eq!(
            (&structured["stage"], &structured["installed"], &structured["exit_code"]),
            (&json!("install"), &json!([]), &json!(1))
        );
    }

    #[test]
    fn no_install_without_packages_or_with_auto_install_off() {
        let host = Fake { detected: strings(&["numpy"]), ..Fake::default() };
        call(&host, "execute_python_script", r#"{"container_id":"c1","script":"import numpy","auto_install":false}"#)
            .unwrap();
        assert!(
            !host.calls().iter().any(|c| matches!(c, Call::Detect { .. } | Call::Plan { .. })),
            "{:?}",
            host.calls()
        );
    }

    #[test]
    fn non_zero_timeout_oom_and_cancel_are_errors() {
        use crate::host::ExitReason;
        let result = crate::exec_output::sample_result;
        assert!(!ran(&[], &result(ExitReason::Exited, Some(0))).is_error);
        for (reason, code, name) in [
            (ExitReason::Exited, Some(2), "exited"),
            (ExitReason::Timeout, None, "timeout"),
            (ExitReason::OutOfMemory, Some(137), "out-of-memory"),
            (ExitReason::Cancelled, None, "cancelled"),
        ] {
            let outcome = ran(&[], &result(reason, code));
            assert!(outcome.is_error, "{name}");
            assert_eq!(outcome.structured.unwrap()["reason"], name);
        }
    }

    #[test]
    fn detected_packages_named_by_explicit_specs_are_not_repeated() {
        let list = |explicit: &[&str], detected: &[&str]| with_detected(&strings(explicit), &strings(detected));
        assert_eq!(list(&["pandas==2.2", "NumPy"], &["numpy", "pandas", "scipy"]), ["pandas==2.2", "NumPy", "scipy"]);
        assert_eq!(list(&["pandas-stubs"], &["pandas"]), ["pandas-stubs", "pandas"]);
        assert_eq!(list(&["@types/node@20"], &["@types/node"]), ["@types/node@20"]);
        assert_eq!(list(&[], &["a"]), ["a"]);
    }
}
