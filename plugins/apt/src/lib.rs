//! The apt pack: plans installs of Debian and Ubuntu OS packages with
//! `apt-get`. It runs no language and detects no packages, so it offers no
//! tools; its `languages` list is empty and `detect-packages` and
//! `run-command` fail with `invalid-params`.

mod apt_get;

use pack_kit::PackSpec;

/// The pack: no language, packages installed by `apt-get`.
pub const PACK: PackSpec = PackSpec {
    name: "apt",
    language: None,
    manager: apt_get::APT,
};

#[cfg(target_arch = "wasm32")]
pack_kit::export_pack!(crate::PACK);

#[cfg(test)]
mod tests {
    use super::*;
    use pack_kit::Fail;

    fn invalid<T: std::fmt::Debug>(result: Result<T, Fail>) -> String {
        match result {
            Err(Fail::InvalidParams(msg)) => msg,
            other => panic!("expected invalid-params, got {other:?}"),
        }
    }

    #[test]
    fn no_languages_one_manager_no_tools() {
        assert!(PACK.languages().is_empty());
        assert_eq!(PACK.managers(), ["apt"]);
        assert!(PACK.tools().is_empty());
        assert!(matches!(
            PACK.call_tool("detect_packages", "{}"),
            Err(Fail::NotFound(_))
        ));
    }

    #[test]
    fn detects_and_runs_nothing() {
        assert!(
            invalid(PACK.detect("python", "import numpy"))
                .starts_with("apt plans OS packages; it detects none")
        );
        assert!(invalid(PACK.run_command("python", "/a.py")).starts_with("apt plans OS packages"));
    }

    #[test]
    fn plan_install_builds_noninteractive_apt_get() {
        let plan = PACK
            .plan_install(
                "apt",
                &["curl".into(), "libssl-dev=3.0.11-1~deb12u2".into()],
                None,
            )
            .unwrap();
        assert_eq!(
            plan.argv,
            [
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                "--",
                "curl",
                "libssl-dev=3.0.11-1~deb12u2"
            ]
        );
        assert_eq!(
            plan.env,
            [("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())]
        );
    }

    #[test]
    fn plan_install_refuses_bad_names_managers_lists_and_index_urls() {
        let msg = invalid(PACK.plan_install("apt", &["curl".into(), "wget;reboot".into()], None));
        assert!(
            msg.contains("\"wget;reboot\"") && msg.contains("`;`"),
            "{msg}"
        );
        assert!(invalid(PACK.plan_install("apk", &["curl".into()], None)).contains("supports apt"));
        assert!(invalid(PACK.plan_install("apt", &[], None)).contains("no packages"));
        assert!(
            invalid(PACK.plan_install("apt", &["curl".into()], Some("http://mirror/debian")))
                .contains("takes no index URL")
        );
    }
}
