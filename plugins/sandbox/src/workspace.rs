//! Where files live inside a container: the `/workspace` volume, the paths
//! the file tools accept in it, and where submitted code is written.

use plugin_kit::Fail;

/// The session's persistent volume inside every container.
pub const WORKSPACE: &str = "/workspace";

/// The directory, inside the workspace, that holds code written by
/// `execute_code` and `execute_python_script`.
pub const SCRIPTS: &str = "/workspace/.portcullis";

/// The absolute path of file `path` in the workspace, or `invalid-params`
/// naming `param`. A relative path is taken from `/workspace`; `.` and empty
/// components are dropped; `..`, NUL and paths outside `/workspace` (or the
/// workspace itself) are refused.
pub fn resolve(param: &str, path: &str) -> Result<String, Fail> {
    let refuse = |why: &str| Fail::InvalidParams(format!("`{param}` {path:?} {why}"));
    if path.contains('\0') {
        return Err(refuse("must not contain NUL"));
    }
    let mut parts = Vec::new();
    let absolute = path.starts_with('/');
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(refuse("must not contain `..`")),
            part => parts.push(part),
        }
    }
    let inside = if absolute {
        match parts.split_first() {
            Some((&"workspace", rest)) => rest,
            _ => return Err(refuse("must be inside /workspace (or relative to it)")),
        }
    } else {
        &parts[..]
    };
    if inside.is_empty() {
        return Err(refuse("must name a file inside /workspace"));
    }
    Ok(format!("{WORKSPACE}/{}", inside.join("/")))
}

/// Where code in `language` with file extension `extension` is written: a
/// name derived from the language and the code, so the same code reuses the
/// same file. Fails if the language pack declared an extension that is not
/// plain letters and digits.
pub fn script_path(language: &str, extension: &str, code: &str) -> Result<String, Fail> {
    if extension.is_empty() || !extension.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Fail::Failed(format!(
            "the language pack for {language} declares the file extension {extension:?}, which is not letters and digits"
        )));
    }
    let hash = fnv1a(&[language.as_bytes(), &[0], code.as_bytes()]);
    Ok(format!("{SCRIPTS}/{hash:016x}.{extension}"))
}

/// 64-bit FNV-1a over `chunks`, in order: a stable, dependency-free name
/// for content (not a security property).
fn fnv1a(chunks: &[&[u8]]) -> u64 {
    chunks
        .iter()
        .flat_map(|c| c.iter())
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(path: &str) -> String {
        match resolve("path", path) {
            Err(Fail::InvalidParams(msg)) => msg,
            other => panic!("expected invalid-params for {path:?}, got {other:?}"),
        }
    }

    #[test]
    fn relative_paths_are_taken_from_the_workspace() {
        assert_eq!(resolve("path", "data/a.csv").unwrap(), "/workspace/data/a.csv");
        assert_eq!(resolve("path", "./a.py").unwrap(), "/workspace/a.py");
    }

    #[test]
    fn absolute_paths_must_be_in_the_workspace() {
        assert_eq!(resolve("path", "/workspace/a.py").unwrap(), "/workspace/a.py");
        assert_eq!(resolve("path", "//workspace//x/./y").unwrap(), "/workspace/x/y");
        assert!(refused("/etc/passwd").contains("inside /workspace"));
        assert!(refused("/workspace2/a").contains("inside /workspace"), "component-wise, not a string prefix");
        assert!(refused("/").contains("inside /workspace"));
    }

    #[test]
    fn traversal_nul_and_the_workspace_itself_are_refused() {
        assert!(refused("../etc/passwd").contains("`..`"));
        assert!(refused("/workspace/a/../../etc").contains("`..`"));
        assert!(refused("a\0b").contains("NUL"));
        assert!(refused("/workspace").contains("name a file"));
        assert!(refused("").contains("name a file"));
        assert!(refused("/etc").starts_with("`path` \"/etc\" "), "the message names the parameter and the path");
    }

    #[test]
    fn script_paths_depend_on_language_and_code() {
        let a = script_path("python", "py", "print(1)").unwrap();
        assert!(a.starts_with("/workspace/.portcullis/") && a.ends_with(".py"), "{a}");
        assert_eq!(a.len(), "/workspace/.portcullis/".len() + 16 + 3);
        assert_eq!(a, script_path("python", "py", "print(1)").unwrap());
        assert_ne!(a, script_path("python", "py", "print(2)").unwrap());
        assert_ne!(script_path("node", "js", "1").unwrap(), script_path("deno", "js", "1").unwrap());
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"foo"]), 0xdcb2_7518_fed9_d577);
    }

    #[test]
    fn odd_extensions_from_a_pack_are_refused() {
        for ext in ["", "py/../x", "p y", ".py"] {
            assert!(matches!(script_path("python", ext, "x"), Err(Fail::Failed(_))), "{ext:?}");
        }
    }
}
