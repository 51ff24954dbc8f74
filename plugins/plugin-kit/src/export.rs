//! The component glue: binds a [`PackSpec`](crate::PackSpec) to the
//! `portcullis:plugin/language-pack` world.

/// Generates the `language-pack` bindings and exports a [`PackSpec`](crate::PackSpec)
/// through them: the `packages` and `tools` exports call the spec's methods
/// and convert between plain Rust and WIT types, nothing more.
///
/// Invoke it once, at the crate root of a pack, with a path to the pack's
/// spec constant, gated so native builds and tests skip it:
///
/// ```text
/// #[cfg(target_arch = "wasm32")]
/// plugin_kit::export_pack!(crate::PACK);
/// ```
///
/// The invoking crate must depend on `wit-bindgen` and sit two directories
/// below the workspace root (`plugins/<name>`), where `../../wit` is the
/// plugin contract.
#[macro_export]
macro_rules! export_pack {
    ($spec:path) => {
        mod language_pack {
            wit_bindgen::generate!({
                path: "../../wit",
                world: "portcullis:plugin/language-pack",
                generate_all,
            });

            use exports::portcullis::plugin::{packages, tools};
            use portcullis::plugin::types::{Content, Failure, InstallOptions, InstallPlan, Language};

            fn failure(fail: $crate::Fail) -> Failure {
                match fail {
                    $crate::Fail::NotFound(what) => Failure::NotFound(what),
                    $crate::Fail::InvalidParams(why) => Failure::InvalidParams(why),
                }
            }

            struct Pack;

            impl packages::Guest for Pack {
                fn languages() -> Vec<Language> {
                    $spec
                        .languages()
                        .into_iter()
                        .map(|l| Language {
                            name: l.name.into(),
                            file_extension: l.file_extension.into(),
                            manager: l.manager.into(),
                        })
                        .collect()
                }

                fn managers() -> Vec<String> {
                    $spec.managers()
                }

                fn detect_packages(language: String, source: String) -> Result<Vec<String>, Failure> {
                    $spec.detect(&language, &source).map_err(failure)
                }

                fn plan_install(
                    manager: String,
                    packages: Vec<String>,
                    options: InstallOptions,
                ) -> Result<InstallPlan, Failure> {
                    let plan = $spec
                        .plan_install(&manager, &packages, options.index_url.as_deref())
                        .map_err(failure)?;
                    Ok(InstallPlan { argv: plan.argv, env: plan.env })
                }

                fn run_command(language: String, path: String) -> Result<Vec<String>, Failure> {
                    $spec.run_command(&language, &path).map_err(failure)
                }
            }

            impl tools::Guest for Pack {
                fn list_tools() -> Vec<tools::Tool> {
                    $spec
                        .tools()
                        .into_iter()
                        .map(|t| tools::Tool {
                            name: t.name.into(),
                            title: Some(t.title.into()),
                            description: t.description,
                            input_schema: t.input_schema,
                            output_schema: Some(t.output_schema),
                            annotations: Some(tools::Annotations {
                                read_only: Some(t.annotations.read_only),
                                destructive: Some(t.annotations.destructive),
                                idempotent: Some(t.annotations.idempotent),
                                open_world: Some(t.annotations.open_world),
                            }),
                        })
                        .collect()
                }

                fn call_tool(name: String, arguments: String) -> Result<tools::CallResult, Failure> {
                    let output = $spec.call_tool(&name, &arguments).map_err(failure)?;
                    Ok(tools::CallResult {
                        content: vec![Content::Text(output.text)],
                        structured_content: Some(output.structured),
                        is_error: false,
                    })
                }
            }

            export!(Pack);
        }
    };
}
