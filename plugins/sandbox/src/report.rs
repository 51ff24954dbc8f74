//! Turning what the host did into tool results: text for the model and,
//! where the tool declares an output schema, the matching structured JSON.

use crate::fail::Fail;
use crate::host::{Container, EngineInfo, ExecResult, ExitReason};
use serde_json::{Map, Value, json};

/// The most bytes `read_file` returns; larger files are refused with advice.
pub const MAX_READ_BYTES: usize = 1 << 20;

/// One block of content in a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Plain text.
    Text(String),
    /// An image with its media type.
    Image {
        /// The raw bytes.
        data: Vec<u8>,
        /// The media type (`image/png`, ...).
        mime_type: &'static str,
    },
    /// Binary data embedded as a resource.
    Blob {
        /// Where the data came from (`sandbox://<container><path>`).
        uri: String,
        /// The raw bytes.
        data: Vec<u8>,
    },
}

/// A tool result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Content blocks for the model.
    pub content: Vec<Block>,
    /// The structured result, matching the tool's output schema.
    pub structured: Option<Value>,
    /// The tool ran but failed; the content says why.
    pub is_error: bool,
}

impl Outcome {
    /// A successful result: `text` plus `structured`.
    fn ok(text: String, structured: Value) -> Self {
        Outcome {
            content: vec![Block::Text(text)],
            structured: Some(structured),
            is_error: false,
        }
    }

    /// A failed result with only `text`.
    fn error(text: String) -> Self {
        Outcome {
            content: vec![Block::Text(text)],
            structured: None,
            is_error: true,
        }
    }
}

#[cfg(test)]
impl Outcome {
    /// The text of the first block, if it is text.
    pub fn text(&self) -> &str {
        match self.content.first() {
            Some(Block::Text(text)) => text,
            _ => "",
        }
    }
}

/// Which step of an execute tool a result comes from.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    /// Installing packages failed, so the code did not run.
    Install {
        /// The package manager.
        manager: &'a str,
        /// Everything the install was asked for.
        packages: &'a [String],
        /// Which of those were detected from the code's imports.
        detected: &'a [String],
    },
    /// The code ran, after installing `installed`.
    Run {
        /// Packages installed before the run.
        installed: &'a [String],
    },
}

/// `check_engine` when the engine answered.
pub fn engine(info: &EngineInfo) -> Outcome {
    let text = format!(
        "Docker engine {} (API {}) on {} is reachable; this server owns {} container(s).",
        info.version, info.api_version, info.platform, info.owned_containers
    );
    Outcome::ok(
        text,
        json!({
            "version": info.version,
            "api_version": info.api_version,
            "platform": info.platform,
            "owned_containers": info.owned_containers
        }),
    )
}

/// `check_engine` when the engine (or the grant to reach it) is missing.
pub fn engine_unavailable(fail: &Fail) -> Outcome {
    let what = match fail {
        Fail::Denied(_) => "This server may not use Docker",
        _ => "The Docker engine is not reachable",
    };
    Outcome::error(format!("{what}: {}", fail.message()))
}

/// `create_container`'s result.
pub fn created(container: &Container) -> Outcome {
    let text = format!(
        "Container {} is {} (image {}, session {}, network {}). Use container_id {:?} with the other tools.",
        container.name,
        container.state,
        container.image,
        container.session_id,
        on_off(container.network),
        container.id
    );
    Outcome::ok(text, container_json(container))
}

/// `list_containers`'s result; `show_all` and `session` say what was asked for.
pub fn listed(containers: &[Container], show_all: bool, session: Option<&str>) -> Outcome {
    let scope = match session {
        Some(session) => format!("in session {session}"),
        None => "in any session".to_string(),
    };
    let which = if show_all {
        "containers"
    } else {
        "running containers"
    };
    let text = if containers.is_empty() {
        format!("No {which} {scope}.")
    } else {
        let mut text = format!("{} {which} {scope}:", containers.len());
        for c in containers {
            text.push_str(&format!(
                "\n- {} ({}): {}, image {}, session {}, network {}",
                c.name,
                c.id,
                c.state,
                c.image,
                c.session_id,
                on_off(c.network)
            ));
        }
        text
    };
    Outcome::ok(
        text,
        json!({ "containers": containers.iter().map(container_json).collect::<Vec<_>>() }),
    )
}

/// An execute tool's result from `stage`.
pub fn ran(stage: Stage, result: &ExecResult) -> Outcome {
    let mut text = String::new();
    let installed: &[String] = match stage {
        Stage::Install {
            manager,
            packages,
            detected,
        } => {
            text.push_str(&format!(
                "Installing {} with {manager} failed, so the code did not run. {}\n",
                packages.join(", "),
                summary(result)
            ));
            if !detected.is_empty() {
                text.push_str(&format!(
                    "Detected from the code's imports: {}. If one of them is a local module rather than a package, run again with auto_install=false.\n",
                    detected.join(", ")
                ));
            }
            &[]
        }
        Stage::Run { installed } => {
            if !installed.is_empty() {
                text.push_str(&format!("Installed {} first.\n", installed.join(", ")));
            }
            text.push_str(&summary(result));
            text.push('\n');
            installed
        }
    };
    text.push_str(&output(result));
    let stage_name = match stage {
        Stage::Install { .. } => "install",
        Stage::Run { .. } => "run",
    };
    let mut structured = exec_json(result);
    structured.insert("stage".into(), json!(stage_name));
    structured.insert("installed".into(), json!(installed));
    Outcome {
        content: vec![Block::Text(text)],
        structured: Some(Value::Object(structured)),
        is_error: matches!(stage, Stage::Install { .. }) || !result.succeeded(),
    }
}

/// `add_dependencies`'s result.
pub fn installed(manager: &str, packages: &[String], result: &ExecResult) -> Outcome {
    let head = if result.succeeded() {
        format!(
            "Installed {} with {manager} in {}.",
            packages.join(", "),
            duration(result.duration_ms)
        )
    } else {
        format!(
            "Installing {} with {manager} failed. {}",
            packages.join(", "),
            summary(result)
        )
    };
    let mut structured = exec_json(result);
    structured.insert("manager".into(), json!(manager));
    structured.insert("packages".into(), json!(packages));
    Outcome {
        content: vec![Block::Text(format!("{head}\n{}", output(result)))],
        structured: Some(Value::Object(structured)),
        is_error: !result.succeeded(),
    }
}

/// `cleanup_container`'s result: `removed` containers, described by `what`.
pub fn removed(what: &str, removed: u32, remove_volumes: bool) -> Outcome {
    let volumes = if remove_volumes {
        " Session volumes no longer in use were deleted."
    } else {
        ""
    };
    Outcome::ok(
        format!("Removed {removed} container(s): {what}.{volumes}"),
        json!({ "removed": removed }),
    )
}

/// `write_file`'s result.
pub fn written(path: &str, bytes: usize) -> Outcome {
    Outcome::ok(
        format!("Wrote {bytes} bytes to {path}."),
        json!({ "path": path, "bytes": bytes }),
    )
}

/// `read_file`'s result: text as text, known image formats as images,
/// other bytes as an embedded resource; too-large files as an error.
pub fn file(container: &str, path: &str, data: Vec<u8>) -> Outcome {
    if data.len() > MAX_READ_BYTES {
        return Outcome::error(format!(
            "{path} is {} bytes, more than read_file returns ({MAX_READ_BYTES}); read parts of it with execute_code (head, tail, split).",
            data.len()
        ));
    }
    let content = match String::from_utf8(data) {
        Ok(text) => vec![Block::Text(text)],
        Err(e) => {
            let data = e.into_bytes();
            let note = |kind: &str| Block::Text(format!("{path}: {kind}, {} bytes.", data.len()));
            match image_type(&data) {
                Some(mime_type) => vec![note(mime_type), Block::Image { data, mime_type }],
                None => vec![
                    note("binary data"),
                    Block::Blob {
                        uri: format!("sandbox://{container}{path}"),
                        data,
                    },
                ],
            }
        }
    };
    Outcome {
        content,
        structured: None,
        is_error: false,
    }
}

/// The media type of `data` if its signature is PNG, JPEG, GIF or WebP.
fn image_type(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// One sentence on how an exec ended.
fn summary(result: &ExecResult) -> String {
    let after = duration(result.duration_ms);
    let code = match result.exit_code {
        Some(code) => format!(" (exit code {code})"),
        None => String::new(),
    };
    match (result.reason, result.exit_code) {
        (ExitReason::Exited, Some(0)) => format!("Exited with code 0 after {after}."),
        (ExitReason::Exited, Some(code)) => {
            format!("Failed: exited with code {code} after {after}.")
        }
        (ExitReason::Exited, None) => format!("Ended without an exit code after {after}."),
        (ExitReason::Timeout, _) => {
            format!("Timed out after {after}; its processes were killed{code}.")
        }
        (ExitReason::OutOfMemory, _) => {
            format!(
                "Ran out of memory after {after} and was killed{code}; ask for a larger memory_mib."
            )
        }
        (ExitReason::Cancelled, _) => format!("Cancelled by the client after {after}{code}."),
    }
}

/// The captured output, in labelled sections, with the truncation note.
fn output(result: &ExecResult) -> String {
    let mut text = String::new();
    for (label, stream) in [("stdout", &result.stdout), ("stderr", &result.stderr)] {
        if !stream.is_empty() {
            text.push_str(&format!("--- {label} ---\n{stream}"));
            if !stream.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    if text.is_empty() {
        text.push_str("(no output)\n");
    }
    if result.truncated {
        text.push_str("(output was truncated at the server's capture limit)\n");
    }
    text
}

/// `ms` milliseconds, readably.
fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `on` or `off`.
fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// A container as structured JSON.
fn container_json(c: &Container) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "image": c.image,
        "state": c.state,
        "session_id": c.session_id,
        "network": c.network
    })
}

/// The fields every exec result shares, as a JSON object.
fn exec_json(result: &ExecResult) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("exit_code".into(), json!(result.exit_code));
    map.insert("reason".into(), json!(result.reason.as_str()));
    map.insert("duration_ms".into(), json!(result.duration_ms));
    map.insert("stdout".into(), json!(result.stdout));
    map.insert("stderr".into(), json!(result.stderr));
    map.insert("truncated".into(), json!(result.truncated));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(reason: ExitReason, exit_code: Option<i64>) -> ExecResult {
        ExecResult {
            exit_code,
            stdout: "out".into(),
            stderr: String::new(),
            truncated: false,
            duration_ms: 1500,
            reason,
        }
    }

    #[test]
    fn success_is_not_an_error_and_reports_everything() {
        let outcome = ran(
            Stage::Run { installed: &[] },
            &result(ExitReason::Exited, Some(0)),
        );
        assert!(!outcome.is_error);
        assert_eq!(
            outcome.text(),
            "Exited with code 0 after 1.5 s.\n--- stdout ---\nout\n"
        );
        assert_eq!(
            outcome.structured.unwrap(),
            json!({"stage": "run", "exit_code": 0, "reason": "exited", "duration_ms": 1500,
                   "stdout": "out", "stderr": "", "truncated": false, "installed": []})
        );
    }

    #[test]
    fn non_zero_timeout_oom_and_cancel_are_errors() {
        let cases = [
            (ExitReason::Exited, Some(2), "exited with code 2", "exited"),
            (
                ExitReason::Timeout,
                None,
                "Timed out after 1.5 s",
                "timeout",
            ),
            (
                ExitReason::OutOfMemory,
                Some(137),
                "Ran out of memory",
                "out-of-memory",
            ),
            (
                ExitReason::Cancelled,
                None,
                "Cancelled by the client",
                "cancelled",
            ),
        ];
        for (reason, code, says, name) in cases {
            let outcome = ran(Stage::Run { installed: &[] }, &result(reason, code));
            assert!(outcome.is_error, "{reason:?}");
            assert!(outcome.text().contains(says), "{}", outcome.text());
            assert_eq!(outcome.structured.unwrap()["reason"], name);
        }
    }

    #[test]
    fn exit_code_is_null_when_killed() {
        let outcome = ran(
            Stage::Run { installed: &[] },
            &result(ExitReason::Timeout, None),
        );
        assert_eq!(outcome.structured.unwrap()["exit_code"], Value::Null);
    }

    #[test]
    fn truncation_and_empty_output_are_said() {
        let mut r = result(ExitReason::Exited, Some(0));
        r.stdout.clear();
        r.truncated = true;
        let text = ran(Stage::Run { installed: &[] }, &r).text().to_string();
        assert!(
            text.contains("(no output)") && text.contains("truncated"),
            "{text}"
        );
    }

    #[test]
    fn failed_install_explains_and_suggests_turning_detection_off() {
        let packages = ["mymodule".to_string(), "numpy".to_string()];
        let stage = Stage::Install {
            manager: "pip",
            packages: &packages,
            detected: &packages[..1],
        };
        let outcome = ran(stage, &result(ExitReason::Exited, Some(1)));
        assert!(outcome.is_error);
        let text = outcome.text();
        assert!(
            text.starts_with(
                "Installing mymodule, numpy with pip failed, so the code did not run."
            ),
            "{text}"
        );
        assert!(
            text.contains("Detected from the code's imports: mymodule.")
                && text.contains("auto_install=false"),
            "{text}"
        );
        let structured = outcome.structured.unwrap();
        assert_eq!(
            (structured["stage"].as_str(), &structured["installed"]),
            (Some("install"), &json!([]))
        );
    }

    #[test]
    fn run_after_install_names_the_packages() {
        let installed = ["numpy".to_string()];
        let outcome = ran(
            Stage::Run {
                installed: &installed,
            },
            &result(ExitReason::Exited, Some(0)),
        );
        assert!(outcome.text().starts_with("Installed numpy first.\n"));
        assert_eq!(outcome.structured.unwrap()["installed"], json!(["numpy"]));
    }

    #[test]
    fn add_dependencies_reports_manager_and_packages() {
        let packages = ["requests".to_string()];
        let outcome = installed("pip", &packages, &result(ExitReason::Exited, Some(0)));
        assert!(
            !outcome.is_error
                && outcome
                    .text()
                    .starts_with("Installed requests with pip in 1.5 s.")
        );
        let structured = outcome.structured.unwrap();
        assert_eq!(
            (structured["manager"].as_str(), &structured["packages"]),
            (Some("pip"), &json!(["requests"]))
        );
        let outcome = installed("pip", &packages, &result(ExitReason::Exited, Some(1)));
        assert!(outcome.is_error && outcome.text().contains("failed"));
    }

    #[test]
    fn unreachable_engine_is_an_error_result() {
        let outcome = engine_unavailable(&Fail::Failed("connection refused".into()));
        assert!(outcome.is_error);
        assert_eq!(
            outcome.text(),
            "The Docker engine is not reachable: connection refused"
        );
        assert!(
            engine_unavailable(&Fail::Denied("grant".into()))
                .text()
                .starts_with("This server may not use Docker")
        );
    }

    #[test]
    fn listing_says_what_was_listed() {
        assert_eq!(
            listed(&[], false, Some("s1")).text(),
            "No running containers in session s1."
        );
        assert_eq!(
            listed(&[], true, None).text(),
            "No containers in any session."
        );
    }

    #[test]
    fn files_come_back_as_text_images_or_blobs() {
        assert_eq!(
            file("c", "/workspace/a.txt", b"hi".to_vec()).content,
            vec![Block::Text("hi".into())]
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0".to_vec();
        let outcome = file("c", "/workspace/p.png", png.clone());
        assert_eq!(
            outcome.content[1],
            Block::Image {
                data: png,
                mime_type: "image/png"
            }
        );
        let outcome = file("c", "/workspace/b.bin", vec![0xff, 0]);
        assert_eq!(
            outcome.content[1],
            Block::Blob {
                uri: "sandbox://c/workspace/b.bin".into(),
                data: vec![0xff, 0]
            }
        );
        assert!(file("c", "/workspace/big", vec![b'a'; MAX_READ_BYTES + 1]).is_error);
    }

    #[test]
    fn image_signatures() {
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WAVEfmt "), None);
    }
}
