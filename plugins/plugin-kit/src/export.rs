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
            use portcullis::plugin::types::{Failure, InstallOptions, InstallPlan, Language};

            $crate::wit_types!(portcullis::plugin::types);
            $crate::wit_tools!(portcullis::plugin::types, exports::portcullis::plugin::tools);

            struct Pack;

            impl packages::Guest for Pack {
                fn languages() -> Vec<Language> {
                    $spec.languages().into_iter().map(Into::into).collect()
                }

                fn managers() -> Vec<String> {
                    $spec.managers()
                }

                fn detect_packages(language: String, source: String) -> Result<Vec<String>, Failure> {
                    Ok($spec.detect(&language, &source)?)
                }

                fn plan_install(
                    manager: String,
                    packages: Vec<String>,
                    options: InstallOptions,
                ) -> Result<InstallPlan, Failure> {
                    Ok($spec.plan_install(&manager, &packages, options.index_url.as_deref())?.into())
                }

                fn run_command(language: String, path: String) -> Result<Vec<String>, Failure> {
                    Ok($spec.run_command(&language, &path)?)
                }
            }

            impl tools::Guest for Pack {
                fn list_tools() -> Vec<tools::Tool> {
                    $spec.tools().into_iter().map(Into::into).collect()
                }

                fn call_tool(name: String, arguments: String) -> Result<tools::CallResult, Failure> {
                    Ok($spec.call_tool(&name, &arguments)?.into())
                }
            }

            export!(Pack);
        }
    };
}
