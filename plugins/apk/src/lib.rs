//! The apk pack: plans installs of Alpine OS packages with `apk add`. It
//! runs no language and detects no packages, so it offers no tools; its
//! `languages` list is empty and `detect-packages` and `run-command` fail
//! with `invalid-params`.

mod apk_add;

use plugin_kit::PackSpec;

/// The pack: no language, packages installed by `apk`.
pub const PACK: PackSpec = PackSpec { name: "apk", language: None, manager: apk_add::APK };

#[cfg(target_arch = "wasm32")]
plugin_kit::export_pack!(crate::PACK);

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::assert_os_pack;
    use plugin_kit::{InstallPlan, InstallStep};

    #[test]
    fn is_an_os_pack() {
        assert_os_pack(&PACK);
    }

    #[test]
    fn plan_install_builds_apk_add() {
        let plan = PACK.plan_install("apk", &["curl".into(), "py3-pip".into()], None).unwrap();
        let argv = ["apk", "add", "--no-cache", "--", "curl", "py3-pip"].map(String::from).to_vec();
        assert_eq!(plan, InstallPlan { steps: vec![InstallStep { argv, env: vec![] }] }, "one step, no environment");
    }

    #[test]
    fn plan_install_passes_the_repository() {
        let url = "https://dl-cdn.alpinelinux.org/alpine/edge/community";
        let plan = PACK.plan_install("apk", &["curl".into()], Some(url)).unwrap();
        assert_eq!(plan.steps[0].argv, ["apk", "add", "--no-cache", "--repository", url, "--", "curl"]);
    }
}
