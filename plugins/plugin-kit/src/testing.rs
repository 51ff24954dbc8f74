//! Assertions plugins share in their tests, behind the `testing` feature.
//!
//! The rules themselves are tested once, in this crate; a plugin's tests use
//! these to check how the pack is wired to them.

use crate::validate::SHELL_METACHARACTERS;
use crate::{Fail, NameCheck, PackSpec, ToolSpec};

/// The text of an `invalid-params` failure; panics on any other result.
pub fn invalid<T: std::fmt::Debug>(result: Result<T, Fail>) -> String {
    match result {
        Err(Fail::InvalidParams(msg)) => msg,
        other => panic!("expected invalid-params, got {other:?}"),
    }
}

/// Asserts that `names` leaves exactly the characters in `allowed`, out of
/// [`SHELL_METACHARACTERS`] and `/`, to its grammar, and refuses every other
/// one by the common rules, naming it.
pub fn assert_grammar_specials(names: &NameCheck, allowed: &str) {
    for c in SHELL_METACHARACTERS.chars().chain(['/']) {
        let name = format!("a{c}b");
        let common = Err(if c == '/' {
            "must not contain the path separator `/`".to_string()
        } else {
            format!("must not contain the shell metacharacter `{c}`")
        });
        if allowed.contains(c) {
            assert_ne!(names.check(&name), common, "`{c}` is left to the grammar");
        } else {
            assert_eq!(names.check(&name), common, "`{c}` is refused");
        }
    }
}

/// Asserts the contract of a pack that only installs OS packages: no
/// languages, its one manager, no tools; detecting and running refused
/// naming the pack; installs refused for another manager, an empty list or
/// a bad name.
pub fn assert_os_pack(pack: &PackSpec) {
    let (name, manager) = (pack.name, pack.manager.name);
    assert!(pack.languages().is_empty());
    assert_eq!(pack.managers(), [manager]);
    assert!(pack.tools().is_empty());
    assert!(matches!(pack.call_tool("detect_packages", "{}"), Err(Fail::NotFound(_))));
    assert!(
        invalid(pack.detect("python", "import numpy"))
            .starts_with(&format!("{name} plans OS packages; it detects none"))
    );
    assert!(
        invalid(pack.run_command("python", "/a.py")).starts_with(&format!("{name} plans OS packages; it runs none"))
    );
    assert!(
        invalid(pack.plan_install("no-such-manager", &["curl".into()], None)).contains(&format!("supports {manager}"))
    );
    assert!(invalid(pack.plan_install(manager, &[], None)).contains("no packages"));
    let msg = invalid(pack.plan_install(manager, &["curl".into(), "$(reboot)".into()], None));
    assert!(msg.contains("\"$(reboot)\"") && msg.contains("`$`"), "{msg}");
}

/// Asserts that every tool is described, and that its input and output
/// schemas are closed objects whose every property is described and whose
/// required properties exist.
pub fn assert_tools_described(tools: &[ToolSpec]) {
    for tool in tools {
        assert!(!tool.description.is_empty(), "{} has no description", tool.name);
        for schema in std::iter::once(&tool.input_schema).chain(tool.output_schema.iter()) {
            assert_eq!(schema["type"], "object", "{}", tool.name);
            assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
            for (name, property) in schema["properties"].as_object().unwrap() {
                let description = property["description"].as_str().unwrap_or_default();
                assert!(!description.is_empty(), "{}.{name} has no description", tool.name);
            }
            for required in schema["required"].as_array().unwrap() {
                assert!(schema["properties"].get(required.as_str().unwrap()).is_some(), "{}: {required}", tool.name);
            }
        }
    }
}
