//! The apt pack: plans installs of Debian and Ubuntu OS packages with
//! `apt-get update` then `apt-get install`. It runs no language and detects no packages, so it offers no
//! tools; its `languages` list is empty and `detect-packages` and
//! `run-command` fail with `invalid-params`.

mod apt_get;

use plugin_kit::PackSpec;

/// The pack: no language, packages installed by `apt-get`.
pub const PACK: PackSpec = PackSpec { name: "apt", language: None, manager: apt_get::APT };

#[cfg(target_arch = "wasm32")]
plugin_kit::export_pack!(crate::PACK);

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::{assert_os_pack, invalid};
    use plugin_kit::{InstallPlan, InstallStep};

    #[test]
    fn is_an_os_pack() {
        assert_os_pack(&PACK);
    }

    #[test]
    fn plan_install_updates_the_lists_then_installs_noninteractively() {
        let plan = PACK.plan_install("apt", &["curl".into(), "libssl-dev=3.0.11-1~deb12u2".into()], None).unwrap();
        let env = vec![("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())];
        let step = |argv: &[&str]| InstallStep { argv: argv.iter().map(|a| a.to_string()).collect(), env: env.clone() };
        assert_eq!(
            plan,
            InstallPlan {
                steps: vec![
                    step(&["apt-get", "-o", "APT::Sandbox::User=root", "update"]),
                    step(&[
                        "apt-get",
                        "-o",
                        "APT::Sandbox::User=root",
                        "install",
                        "-y",
                        "--no-install-recommends",
                        "--",
                        "curl",
                        "libssl-dev=3.0.11-1~deb12u2"
                    ]),
                ]
            }
        );
    }

    #[test]
    fn plan_install_refuses_an_index_url() {
        assert!(
            invalid(PACK.plan_install("apt", &["curl".into()], Some("http://mirror/debian")))
                .contains("takes no index URL")
        );
    }
}
