//! The file tools: `write_file` and `read_file`, on paths inside `/workspace`.

use super::exec::container_id;
use super::{LOOK, REPLACES, Tool};
use crate::host::Host;
use crate::schema::{self, object};
use crate::workspace;
use plugin_kit::{Args, Block, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The most bytes of a file `read_file` puts into a result for the model: a
/// display limit, not a read limit (the host reads the file under its own
/// limit first). A larger file is answered with advice instead of its bytes.
pub const DISPLAY_LIMIT_BYTES: usize = 1 << 20;

/// `write_file`.
pub const WRITE_FILE: Tool = Tool {
    name: "write_file",
    title: "Write a file",
    description: "Writes text to a file in a container's /workspace, replacing it if it exists.",
    input_schema: || {
        object(
            json!({
                "container_id": schema::container_id(),
                "path": path_schema("The file to write"),
                "content": {"type": "string", "description": "The text to write (UTF-8)."}
            }),
            &["container_id", "path", "content"],
        )
    },
    output_schema: Some(|| {
        object(
            json!({
                "path": {"type": "string", "description": "The absolute path written."},
                "bytes": {"type": "integer", "description": "How many bytes were written."}
            }),
            &["path", "bytes"],
        )
    }),
    annotations: REPLACES,
    task_support: TaskSupport::Forbidden,
    run: write,
};

/// `read_file`.
pub const READ_FILE: Tool = Tool {
    name: "read_file",
    title: "Read a file",
    description: "Reads a file from a container's /workspace: text as text, PNG, JPEG, GIF and WebP as \
        images, anything else as an embedded binary resource. Files over 1 MiB are not shown; read parts \
        of them with execute_code.",
    input_schema: || {
        object(
            json!({"container_id": schema::container_id(), "path": path_schema("The file to read")}),
            &["container_id", "path"],
        )
    },
    output_schema: None,
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: read,
};

/// A `path` parameter inside the workspace; `what` starts its description.
fn path_schema(what: &str) -> Value {
    json!({"type": "string",
        "description": format!("{what}: a path inside /workspace, absolute (/workspace/data.csv) or relative to it (data.csv).")})
}

/// Writes `content` to `path` in the container.
fn write(host: &dyn Host, args: &Args) -> Result<Outcome, Fail> {
    let container = container_id(args)?;
    let path = workspace::resolve("path", &args.required_string("path", "where to write, inside /workspace")?)?;
    let content = args.required_string("content", "the text to write")?;
    host.write_file(&container, &path, content.as_bytes())
        .map_err(|f| f.context(&format!("writing {path} in container {container}")))?;
    let bytes = content.len();
    Ok(Outcome::ok(format!("Wrote {bytes} bytes to {path}."), json!({ "path": path, "bytes": bytes })))
}

/// Reads `path` from the container and shows it.
fn read(host: &dyn Host, args: &Args) -> Result<Outcome, Fail> {
    let container = container_id(args)?;
    let path = workspace::resolve("path", &args.required_string("path", "the file to read, inside /workspace")?)?;
    let data = host
        .read_file(&container, &path)
        .map_err(|f| f.context(&format!("reading {path} in container {container}")))?;
    Ok(shown(&container, &path, data))
}

/// A file's contents as a result: text as text, known image formats as
/// images, other bytes as an embedded resource; files over the display
/// limit as an error with advice.
fn shown(container: &str, path: &str, data: Vec<u8>) -> Outcome {
    if data.len() > DISPLAY_LIMIT_BYTES {
        return Outcome::error(format!(
            "{path} is {} bytes, more than read_file shows ({DISPLAY_LIMIT_BYTES}); read parts of it with execute_code (head, tail, split).",
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
                None => vec![note("binary data"), Block::Blob { uri: format!("sandbox://{container}{path}"), data }],
            }
        }
    };
    Outcome { content, structured: None, is_error: false }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::call;
    use crate::tools::fake::{Call, Fake};
    use plugin_kit::testing::invalid;

    #[test]
    fn files_use_workspace_paths() {
        let host = Fake::default();
        let outcome =
            call(&host, "write_file", r#"{"container_id":"c","path":"notes.txt","content":"héllo"}"#).unwrap();
        assert_eq!(outcome.structured.unwrap(), json!({"path": "/workspace/notes.txt", "bytes": 6}));
        let outcome = call(&host, "read_file", r#"{"container_id":"c","path":"notes.txt"}"#).unwrap();
        assert_eq!(outcome.content, vec![Block::Text("contents".into())]);
        assert_eq!(
            host.calls(),
            [
                Call::Write { container: "c".into(), path: "/workspace/notes.txt".into(), data: "héllo".into() },
                Call::Read { container: "c".into(), path: "/workspace/notes.txt".into() }
            ]
        );
    }

    #[test]
    fn paths_outside_the_workspace_and_missing_content_are_refused() {
        let host = Fake::default();
        assert!(
            invalid(call(&host, "write_file", r#"{"container_id":"c","path":"/etc/x","content":""}"#))
                .starts_with("`path`")
        );
        assert!(
            invalid(call(&host, "write_file", r#"{"container_id":"c","path":"a"}"#))
                .starts_with("`content` is required")
        );
        assert!(invalid(call(&host, "read_file", r#"{"container_id":"c","path":"../x"}"#)).starts_with("`path`"));
        assert!(host.calls().is_empty());
    }

    #[test]
    fn files_come_back_as_text_images_or_blobs() {
        assert_eq!(shown("c", "/workspace/a.txt", b"hi".to_vec()).content, vec![Block::Text("hi".into())]);
        let png = b"\x89PNG\r\n\x1a\n\0\0".to_vec();
        assert_eq!(
            shown("c", "/workspace/p.png", png.clone()).content,
            vec![
                Block::Text("/workspace/p.png: image/png, 10 bytes.".into()),
                Block::Image { data: png, mime_type: "image/png" }
            ]
        );
        assert_eq!(
            shown("c", "/workspace/b.bin", vec![0xff, 0]).content[1],
            Block::Blob { uri: "sandbox://c/workspace/b.bin".into(), data: vec![0xff, 0] }
        );
    }

    #[test]
    fn files_over_the_display_limit_are_not_shown() {
        assert!(!shown("c", "/workspace/at", vec![b'a'; DISPLAY_LIMIT_BYTES]).is_error);
        let outcome = shown("c", "/workspace/big", vec![b'a'; DISPLAY_LIMIT_BYTES + 1]);
        assert!(outcome.is_error);
        assert!(outcome.text().starts_with("/workspace/big is 1048577 bytes, more than read_file shows"));
    }

    #[test]
    fn image_signatures() {
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WAVEfmt "), None);
    }
}
