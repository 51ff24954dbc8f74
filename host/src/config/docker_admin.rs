//! `[docker_admin]`: the scope of engine management (which containers,
//! images, volumes and networks the `docker-engine` import may touch) and
//! when destructive calls are confirmed.

use serde::Deserialize;

use super::ConfigError;
use crate::docker::{Confirm, DockerAdminConfig, Pattern, Rules};

/// `[docker_admin]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DockerAdminFile {
    principals: Option<Vec<String>>,
    confirm: Option<String>,
    logs_cap_bytes: Option<usize>,
    containers: Option<RulesFile>,
    images: Option<RulesFile>,
    volumes: Option<RulesFile>,
    networks: Option<RulesFile>,
}

/// `[docker_admin.<kind>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
}

impl RulesFile {
    /// Applies the table `docker_admin.<table>` over `rules`.
    fn apply(self, table: &str, rules: &mut Rules) -> Result<(), ConfigError> {
        let parse = |list: &str, entries: Vec<String>| {
            entries
                .iter()
                .map(|entry| {
                    Pattern::parse(entry).map_err(|why| ConfigError(format!("`docker_admin.{table}.{list}`: {why}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        if let Some(allow) = self.allow {
            rules.allow = parse("allow", allow)?;
        }
        if let Some(deny) = self.deny {
            rules.deny = parse("deny", deny)?;
        }
        Ok(())
    }
}

impl DockerAdminFile {
    /// Applies the section over `admin`.
    pub(super) fn apply(self, admin: &mut DockerAdminConfig) -> Result<(), ConfigError> {
        if let Some(principals) = self.principals {
            admin.principals = principals;
        }
        if let Some(mode) = self.confirm {
            admin.confirm = Confirm::ALL.into_iter().find(|c| c.name() == mode).ok_or_else(|| {
                ConfigError(format!("`docker_admin.confirm` is `{mode}`; write \"never\", \"elicit\" or \"require\""))
            })?;
        }
        if let Some(bytes) = self.logs_cap_bytes {
            if bytes == 0 {
                return Err(ConfigError("`docker_admin.logs_cap_bytes` must be greater than zero".into()));
            }
            admin.logs_cap_bytes = bytes;
        }
        let tables = [
            ("containers", self.containers, &mut admin.containers),
            ("images", self.images, &mut admin.images),
            ("volumes", self.volumes, &mut admin.volumes),
            ("networks", self.networks, &mut admin.networks),
        ];
        for (table, file, rules) in tables {
            if let Some(file) = file {
                file.apply(table, rules)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(toml: &str) -> Result<DockerAdminConfig, ConfigError> {
        let file: DockerAdminFile = toml::from_str(toml).map_err(|e| ConfigError(e.to_string()))?;
        let mut admin = DockerAdminConfig::default();
        file.apply(&mut admin)?;
        Ok(admin)
    }

    #[test]
    fn the_section_sets_scope_and_confirmation() {
        assert_eq!(applied("").unwrap(), DockerAdminConfig::default());
        let admin = applied(
            "confirm = \"require\"\n[containers]\nallow = [\"dev-*\"]\ndeny = [\"label:tier=db\"]\n[images]\ndeny = [\"*:latest\"]",
        )
        .unwrap();
        assert_eq!(admin.confirm, Confirm::Require);
        assert_eq!(admin.containers.allow, vec![Pattern::Name("dev-*".into())]);
        assert_eq!(admin.containers.deny, vec![Pattern::Label { key: "tier".into(), value: Some("db".into()) }]);
        assert_eq!(admin.images.allow, Rules::default().allow);
        assert_eq!(admin.volumes, Rules::default());
        let everyone = applied("principals = [\"*\"]").unwrap();
        assert!(everyone.admit_principal(&crate::caller::Principal::anonymous()).is_ok());
    }

    #[test]
    fn mistakes_name_their_key() {
        assert!(applied("confirm = \"always\"").unwrap_err().0.contains("docker_admin.confirm"));
        assert!(applied("[volumes]\nallow = [\"label:\"]").unwrap_err().0.contains("docker_admin.volumes.allow"));
        assert!(applied("logs_cap_bytes = 0").unwrap_err().0.contains("logs_cap_bytes"));
        assert!(applied("[networks]\nallowed = []").is_err());
    }
}
