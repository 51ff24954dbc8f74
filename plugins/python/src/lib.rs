//! The Python language pack: finds the PyPI packages Python code imports,
//! plans `pip` installs, and runs scripts with `python3`.
//!
//! Detection is a lexer and a statement scanner, not a parser: it reads
//! `import` and `from … import` statements anywhere (indented, after `;`,
//! after `try:`), skips comments and string literals (docstrings included),
//! ignores relative imports, drops the standard library and maps import
//! names to distribution names (`cv2` → `opencv-python`). Dynamic imports
//! (`__import__`, `importlib.import_module`) are not seen.

mod imports;
mod pip;
mod renames;
mod scan;
mod stdlib;

use plugin_kit::{LanguageSpec, PackSpec};

/// The pack: Python run by `python3`, packages installed by `pip`.
pub const PACK: PackSpec = PackSpec {
    name: "python",
    language: Some(LanguageSpec { name: "python", aliases: &[], file_extension: "py", runner: "python3", detect }),
    manager: pip::PIP,
};

/// The distributions that Python `source` imports, unsorted and possibly
/// repeated: standard library and relative imports left out, import names
/// mapped to distribution names.
fn detect(source: &str) -> Vec<String> {
    imports::imported_modules(&scan::logical_lines(source))
        .iter()
        .filter(|module| !stdlib::is_stdlib(module.split('.').next().unwrap_or_default()))
        .map(|module| renames::distribution(module).to_string())
        .collect()
}

#[cfg(target_arch = "wasm32")]
plugin_kit::export_pack!(crate::PACK);

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::Language;
    use plugin_kit::testing::invalid;

    fn packages(source: &str) -> Vec<String> {
        PACK.detect("python", source).unwrap()
    }

    #[test]
    fn languages_and_managers() {
        assert_eq!(
            PACK.languages(),
            [Language { name: "python".into(), file_extension: "py".into(), manager: "pip".into() }]
        );
        assert_eq!(PACK.managers(), ["pip"]);
    }

    #[test]
    fn detects_sorted_unique_third_party_packages() {
        let source = "import requests\nimport numpy as np, pandas\nfrom requests.adapters import HTTPAdapter\nimport numpy.linalg\n";
        assert_eq!(packages(source), ["numpy", "pandas", "requests"]);
    }

    #[test]
    fn excludes_standard_library_and_future() {
        let source = "from __future__ import annotations\nimport os, sys\nimport os.path\nfrom collections import abc\nimport json\nimport tomllib\nimport attrs\n";
        assert_eq!(packages(source), ["attrs"]);
    }

    #[test]
    fn ignores_relative_imports() {
        assert_eq!(
            packages("from . import sibling\nfrom .models import User\nfrom ..core import x\nimport flask"),
            ["flask"]
        );
    }

    #[test]
    fn applies_renames() {
        let source = "import cv2\nfrom PIL import Image\nfrom sklearn.model_selection import train_test_split\nimport yaml\nfrom bs4 import BeautifulSoup\nfrom google.protobuf import message\nfrom dateutil.parser import parse\n";
        assert_eq!(
            packages(source),
            ["PyYAML", "beautifulsoup4", "opencv-python", "pillow", "protobuf", "python-dateutil", "scikit-learn"]
        );
    }

    #[test]
    fn from_import_of_a_namespace_submodule_is_renamed() {
        assert_eq!(packages("from google.cloud import storage"), ["google-cloud-storage"]);
    }

    #[test]
    fn finds_indented_imports_in_functions_and_try_blocks() {
        let source = "def main():\n    import click\n    try:\n        import ujson as json\n    except ImportError:\n        import simplejson as json\n";
        assert_eq!(packages(source), ["click", "simplejson", "ujson"]);
    }

    #[test]
    fn ignores_comments_and_strings() {
        let source = r#"
"""Module docstring.

import docstring_pkg
from docstring_mod import x
"""
# import commented_pkg
text = "import string_pkg"
other = '''
import triple_single_pkg
'''
import real_pkg  # import trailing_comment_pkg
"#;
        assert_eq!(packages(source), ["real_pkg"]);
    }

    #[test]
    fn empty_and_import_free_source_detects_nothing() {
        assert!(packages("").is_empty());
        assert!(packages("print('hello')\n").is_empty());
    }

    #[test]
    fn unknown_language_names_python() {
        let msg = invalid(PACK.detect("ruby", ""));
        assert!(msg.contains("python"), "{msg}");
    }

    #[test]
    fn plan_install_builds_pip_argv() {
        let plan = PACK.plan_install("pip", &["requests".into(), "numpy==1.26.0".into()], None).unwrap();
        assert_eq!(plan.steps.len(), 1, "one step");
        assert_eq!(
            plan.steps[0].argv,
            [
                "python3",
                "-m",
                "pip",
                "install",
                "--no-input",
                "--disable-pip-version-check",
                "--root-user-action=ignore",
                "--",
                "requests",
                "numpy==1.26.0",
            ]
        );
        assert!(plan.steps[0].env.is_empty());
    }

    #[test]
    fn plan_install_passes_the_index_url() {
        let plan = PACK.plan_install("pip", &["pkg[extra]".into()], Some("https://pypi.example/simple")).unwrap();
        assert_eq!(plan.steps[0].argv[7..], ["--index-url", "https://pypi.example/simple", "--", "pkg[extra]"]);
    }

    #[test]
    fn plan_install_names_the_first_bad_package() {
        let result = PACK.plan_install("pip", &["ok".into(), "evil;rm -rf /".into(), "$(x)".into()], None);
        let msg = invalid(result);
        assert!(msg.contains("evil;rm") && !msg.contains("$(x)"), "{msg}");
    }

    #[test]
    fn plan_install_refuses_other_managers_and_empty_lists() {
        assert!(invalid(PACK.plan_install("npm", &["x".into()], None)).contains("supports pip"));
        invalid(PACK.plan_install("pip", &[], None));
    }

    #[test]
    fn run_command_uses_python3() {
        assert_eq!(PACK.run_command("python", "/workspace/main.py").unwrap(), ["python3", "/workspace/main.py"]);
        invalid(PACK.run_command("node", "a.js"));
    }

    #[test]
    fn offers_the_detect_packages_tool() {
        let tools = PACK.tools();
        assert_eq!(tools.len(), 1);
        let out = PACK.call_tool("detect_packages", r#"{"code":"import cv2\nimport os"}"#).unwrap();
        assert_eq!(out.text(), "Packages to install: opencv-python");
        assert_eq!(out.structured, Some(serde_json::json!({"language": "python", "packages": ["opencv-python"]})));
    }
}
