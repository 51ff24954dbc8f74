//! The Node.js language pack: finds the npm packages JavaScript code loads,
//! plans `npm install`s, and runs scripts with `node`.
//!
//! Detection lexes the source (comments, strings, templates and regular
//! expressions told apart) and reads `require`, `import` and `export … from`
//! with literal specifiers; relative paths, `node:` and other schemes, and
//! built-in modules are left out, and specifiers are cut to package names
//! (`@scope/pkg/sub` → `@scope/pkg`, `lodash/fp` → `lodash`). Computed
//! specifiers (`require(name)`) are not seen.

mod builtins;
mod imports;
mod npm;
mod resolve;
mod scan;

use plugin_kit::{LanguageSpec, PackSpec};

/// The pack: JavaScript run by `node`, packages installed by `npm`.
pub const PACK: PackSpec = PackSpec {
    name: "node",
    language: Some(LanguageSpec {
        name: "node",
        aliases: &["javascript", "js"],
        file_extension: "js",
        runner: "node",
        detect,
    }),
    manager: npm::NPM,
};

/// The npm packages that JavaScript `source` loads, unsorted and possibly
/// repeated.
fn detect(source: &str) -> Vec<String> {
    imports::specifiers(&scan::tokenize(source))
        .iter()
        .filter_map(|specifier| resolve::package_of(specifier))
        .map(String::from)
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
        PACK.detect("node", source).unwrap()
    }

    #[test]
    fn languages_and_managers() {
        assert_eq!(
            PACK.languages(),
            [Language { name: "node".into(), file_extension: "js".into(), manager: "npm".into() }]
        );
        assert_eq!(PACK.managers(), ["npm"]);
    }

    #[test]
    fn detects_every_form_sorted_and_unique() {
        let source = r#"
const express = require('express');
const chalk = require("chalk");
import React from 'react';
import {useState} from "react";
import 'dotenv/config';
const dayjs = await import('dayjs');
export {default as axios} from 'axios';
export * from "zod";
"#;
        assert_eq!(packages(source), ["axios", "chalk", "dayjs", "dotenv", "express", "react", "zod"]);
    }

    #[test]
    fn ignores_relative_and_absolute_paths() {
        assert_eq!(
            packages("require('./a'); require('../b'); require('/c'); import d from './d.js'; require('e')"),
            ["e"]
        );
    }

    #[test]
    fn excludes_node_scheme_and_built_ins() {
        let source = "require('fs'); require('node:path'); import {readFile} from 'fs/promises'; import test from 'node:test'; require('child_process'); require('crypto'); require('left-pad')";
        assert_eq!(packages(source), ["left-pad"]);
    }

    #[test]
    fn scoped_packages_and_subpaths() {
        assert_eq!(
            packages("require('@scope/pkg/sub/path'); import fp from 'lodash/fp'; import '@babel/core'"),
            ["@babel/core", "@scope/pkg", "lodash"]
        );
    }

    #[test]
    fn ignores_comments_strings_and_regexes() {
        let source = "// require('a')\n/* import b from 'b' */\nconst s = \"require('c')\";\nconst t = `import d from 'd'`;\nconst r = /require\\('e'\\)/;\nrequire('real')";
        assert_eq!(packages(source), ["real"]);
    }

    #[test]
    fn drops_specifiers_npm_would_refuse() {
        assert!(packages("require('has space'); require('semi;colon'); require('@x')").is_empty());
    }

    #[test]
    fn aliases_are_accepted_and_unknown_languages_named() {
        assert_eq!(PACK.detect("javascript", "require('a')").unwrap(), ["a"]);
        assert_eq!(PACK.detect("js", "require('a')").unwrap(), ["a"]);
        let msg = invalid(PACK.detect("python", ""));
        assert!(msg.contains("node, javascript, js"), "{msg}");
    }

    #[test]
    fn plan_install_builds_npm_argv() {
        let plan = PACK.plan_install("npm", &["express".into(), "@types/node@20".into()], None).unwrap();
        assert_eq!(plan.steps.len(), 1, "one step");
        assert_eq!(
            plan.steps[0].argv,
            ["npm", "install", "--no-audit", "--no-fund", "--", "express", "@types/node@20"]
        );
        let plan = PACK.plan_install("npm", &["a".into()], Some("https://registry.example/")).unwrap();
        assert_eq!(
            plan.steps[0].argv,
            ["npm", "install", "--no-audit", "--no-fund", "--registry", "https://registry.example/", "--", "a"]
        );
    }

    #[test]
    fn plan_install_names_the_first_bad_package() {
        let msg = invalid(PACK.plan_install("npm", &["ok".into(), "x&&y".into()], None));
        assert!(msg.contains("\"x&&y\"") && msg.contains("`&`"), "{msg}");
    }

    #[test]
    fn run_command_uses_node_for_every_alias() {
        assert_eq!(PACK.run_command("node", "/workspace/main.js").unwrap(), ["node", "/workspace/main.js"]);
        assert_eq!(PACK.run_command("javascript", "a.js").unwrap(), ["node", "a.js"]);
        invalid(PACK.run_command("python", "a.py"));
    }

    #[test]
    fn tool_reports_the_canonical_language() {
        let out = PACK.call_tool("detect_packages", r#"{"code":"require('a')","language":"js"}"#).unwrap();
        assert_eq!(out.structured, Some(serde_json::json!({"language": "node", "packages": ["a"]})));
    }
}
