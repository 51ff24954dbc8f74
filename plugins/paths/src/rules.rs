//! The policy itself: judging a host path, or every mount of a container,
//! against the denylist and the allowlist.

use crate::prefix::HostPath;
use crate::settings::{self, ALLOW, DENY};
use plugin_kit::{Mount, Verdict};

/// What is done to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading (a read-only mount, copying a file out).
    Read,
    /// Writing (a writable mount, copying a file in).
    Write,
}

/// The rules from the operator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// The settings parsed.
    Lists {
        /// Allowed prefixes; `None` when `allow` is unset, which allows
        /// every path the denylist does not deny.
        allow: Option<Vec<HostPath>>,
        /// Denied prefixes.
        deny: Vec<HostPath>,
    },
    /// A setting did not parse; every path is denied (rather than guess what
    /// the operator meant), with this setting named and why it is wrong.
    Broken {
        /// The full name of the setting.
        setting: String,
        /// What is wrong with it.
        why: String,
    },
}

impl Rules {
    /// Reads the rules through `get` (the `config` import).
    pub fn load(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |key: &str| {
            get(key)
                .map(|text| settings::prefixes(key, &text))
                .transpose()
                .map_err(|why| Rules::Broken { setting: settings::setting_name(key), why })
        };
        let lists = read(DENY).and_then(|deny| Ok((read(ALLOW)?, deny.unwrap_or_default())));
        match lists {
            Ok((allow, deny)) => Rules::Lists { allow, deny },
            Err(broken) => broken,
        }
    }

    /// Judges `access` to the resolved host path `path`: denied if it lies
    /// under a denied prefix or contains one (a directory holding a denied
    /// path exposes it), else allowed if `allow` is unset or it lies under
    /// an allowed prefix. With neither setting there is nothing to judge and
    /// every path is allowed; otherwise a path that is not absolute and
    /// resolved (POSIX form) is denied.
    pub fn check_path(&self, path: &str, access: Access) -> Verdict {
        let what = format!(
            "{} access to {path}",
            match access {
                Access::Read => "read",
                Access::Write => "write",
            }
        );
        self.judge(&what, path)
    }

    /// Judges every mount's host path, read-only mounts as reads and the
    /// others as writes; the first denial wins.
    pub fn check_mounts(&self, mounts: &[Mount]) -> Verdict {
        for mount in mounts {
            let what = format!(
                "{} mount of {} at {}",
                if mount.read_only { "read-only" } else { "writable" },
                mount.host_path,
                mount.container_path
            );
            if let denied @ Verdict::Deny(_) = self.judge(&what, &mount.host_path) {
                return denied;
            }
        }
        Verdict::Allow
    }

    /// Judges the host path `path`; `what` names the action in the reason.
    fn judge(&self, what: &str, path: &str) -> Verdict {
        let deny = Verdict::deny;
        let (allow, denied) = match self {
            Rules::Lists { allow, deny } => (allow, deny),
            Rules::Broken { setting, why } => {
                return deny(
                    format!(
                        "{what} is denied: the paths policy denies every host path until its setting is fixed: {why}"
                    ),
                    setting.clone(),
                );
            }
        };
        if allow.is_none() && denied.is_empty() {
            return Verdict::Allow;
        }
        let host_path = match HostPath::parse(path) {
            Ok(host_path) => host_path,
            Err(rule) => {
                let reason = format!("{what} is denied: the path {rule}, so the paths policy cannot judge it");
                return deny(reason, "plugins.paths".into());
            }
        };
        let (allow_name, deny_name) = (settings::setting_name(ALLOW), settings::setting_name(DENY));
        if let Some(prefix) = denied.iter().find(|p| host_path.is_under(p)) {
            return deny(format!("{what} is denied: it is under {prefix}, which {deny_name} lists"), deny_name);
        }
        if let Some(prefix) = denied.iter().find(|p| p.is_under(&host_path)) {
            return deny(format!("{what} is denied: it contains {prefix}, which {deny_name} lists"), deny_name);
        }
        match allow {
            None => Verdict::Allow,
            Some(allow) if allow.iter().any(|p| host_path.is_under(p)) => Verdict::Allow,
            Some(allow) if allow.is_empty() => {
                deny(format!("{what} is denied: {allow_name} is empty, so no host path is allowed"), allow_name)
            }
            Some(allow) => {
                let listed: Vec<String> = allow.iter().map(ToString::to_string).collect();
                let reason =
                    format!("{what} is denied: it is not under any path in {allow_name} ({})", listed.join(", "));
                deny(reason, allow_name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::Denial;

    fn rules(allow: Option<&str>, deny: Option<&str>) -> Rules {
        Rules::load(|key| match key {
            "allow" => allow.map(String::from),
            "deny" => deny.map(String::from),
            _ => None,
        })
    }

    fn denial(verdict: Verdict) -> Denial {
        match verdict {
            Verdict::Deny(denial) => denial,
            Verdict::Allow => panic!("expected a denial"),
        }
    }

    fn denied(setting: &str, reason: &str) -> Verdict {
        Verdict::Deny(Denial { reason: reason.into(), setting: setting.into() })
    }

    #[test]
    fn unset_settings_allow_everything() {
        let rules = rules(None, None);
        assert_eq!(rules.check_path("/etc/shadow", Access::Read), Verdict::Allow);
        assert_eq!(rules.check_path("/", Access::Write), Verdict::Allow);
        assert_eq!(
            rules.check_path(r"C:\Users\me", Access::Read),
            Verdict::Allow,
            "with no rules there is nothing to judge, whatever the path's form"
        );
    }

    #[test]
    fn allowlist_admits_only_paths_under_it() {
        let rules = rules(Some(r#"["/home/me/projects", "/srv"]"#), None);
        assert_eq!(rules.check_path("/home/me/projects", Access::Write), Verdict::Allow);
        assert_eq!(rules.check_path("/srv/data/x.csv", Access::Read), Verdict::Allow);
        assert_eq!(
            rules.check_path("/home/me/projects2", Access::Write),
            denied(
                "plugins.paths.settings.allow",
                "write access to /home/me/projects2 is denied: it is not under any path in plugins.paths.settings.allow (/home/me/projects, /srv)"
            )
        );
        assert_eq!(denial(rules.check_path("/home/me", Access::Read)).setting, "plugins.paths.settings.allow");
    }

    #[test]
    fn empty_allowlist_allows_nothing() {
        let d = denial(rules(Some("[]"), None).check_path("/srv", Access::Read));
        assert!(d.reason.contains("is empty, so no host path is allowed"), "{}", d.reason);
    }

    #[test]
    fn denylist_wins_and_names_the_matching_prefix() {
        let rules = rules(Some(r#"["/data"]"#), Some(r#"["/data/secret"]"#));
        assert_eq!(
            rules.check_path("/data/secret/key.pem", Access::Read),
            denied(
                "plugins.paths.settings.deny",
                "read access to /data/secret/key.pem is denied: it is under /data/secret, which plugins.paths.settings.deny lists"
            )
        );
        assert_eq!(rules.check_path("/data/secrets", Access::Read), Verdict::Allow, "component-wise");
        assert_eq!(rules.check_path("/data/public", Access::Write), Verdict::Allow);
    }

    #[test]
    fn a_directory_holding_a_denied_path_is_denied() {
        let rules = rules(None, Some(r#"["/home/me/.ssh"]"#));
        let d = denial(rules.check_path("/home/me", Access::Read));
        assert!(d.reason.contains("it contains /home/me/.ssh"), "{}", d.reason);
        assert_eq!(denial(rules.check_path("/", Access::Read)).setting, "plugins.paths.settings.deny");
        assert_eq!(rules.check_path("/home/me/code", Access::Read), Verdict::Allow);
    }

    #[test]
    fn unjudgeable_paths_are_denied_once_rules_are_set() {
        let d = denial(rules(Some(r#"["/"]"#), None).check_path("relative/x", Access::Read));
        assert!(d.reason.contains("is not absolute"), "{}", d.reason);
        assert_eq!(d.setting, "plugins.paths");
        let d = denial(rules(None, Some(r#"["/etc"]"#)).check_path("/tmp/../etc/passwd", Access::Read));
        assert!(d.reason.contains("`..`"), "{}", d.reason);
    }

    #[test]
    fn broken_settings_deny_every_path_naming_the_setting() {
        let broken = rules(Some("/srv"), None);
        let d = denial(broken.check_path("/srv/x", Access::Read));
        assert_eq!(d.setting, "plugins.paths.settings.allow");
        assert!(
            d.reason.starts_with("read access to /srv/x is denied: the paths policy denies every host path until its setting is fixed: plugins.paths.settings.allow is \"/srv\""),
            "{}",
            d.reason
        );
        let d = denial(rules(Some("[]"), Some(r#"["rel"]"#)).check_path("/x", Access::Write));
        assert_eq!(d.setting, "plugins.paths.settings.deny");
    }

    #[test]
    fn broken_settings_do_not_block_containers_without_mounts() {
        let broken = rules(None, Some("nonsense"));
        assert_eq!(broken.check_mounts(&[]), Verdict::Allow);
        let mount = Mount { host_path: "/srv".into(), container_path: "/mnt".into(), read_only: true };
        assert_eq!(denial(broken.check_mounts(&[mount])).setting, "plugins.paths.settings.deny");
    }

    #[test]
    fn mounts_are_judged_by_access_and_the_first_denial_wins() {
        let rules = rules(Some(r#"["/srv"]"#), Some(r#"["/srv/private"]"#));
        let mount =
            |host: &str, read_only: bool| Mount { host_path: host.into(), container_path: "/mnt".into(), read_only };
        assert_eq!(rules.check_mounts(&[]), Verdict::Allow);
        assert_eq!(rules.check_mounts(&[mount("/srv/a", true), mount("/srv/b", false)]), Verdict::Allow);
        let d =
            denial(rules.check_mounts(&[mount("/srv/a", true), mount("/srv/private/k", true), mount("/opt", false)]));
        assert_eq!(d.setting, "plugins.paths.settings.deny");
        assert!(d.reason.starts_with("read-only mount of /srv/private/k at /mnt is denied"), "{}", d.reason);
        let d = denial(rules.check_mounts(&[mount("/opt", false)]));
        assert!(d.reason.starts_with("writable mount of /opt at /mnt is denied"), "{}", d.reason);
    }
}
