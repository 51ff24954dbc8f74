//! `[[plugin_trust]]` and `plugins_lock`: which signers the host trusts for
//! plugins from OCI registries, and where the lock file is. Key paths are
//! relative to the configuration file's directory; every key is read and
//! checked when the configuration loads.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;
use crate::oci::{TrustRule, TrustedKey};

/// One `[[plugin_trust]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PluginTrustFile {
    repository: String,
    #[serde(default)]
    keys: Vec<PathBuf>,
    #[serde(default)]
    unsigned: bool,
    issuer: Option<String>,
    subject: Option<String>,
    subject_regex: Option<String>,
}

impl PluginTrustFile {
    /// The rule, its keys read from files relative to `dir`.
    pub(super) fn resolve(self, index: usize, dir: &Path) -> Result<TrustRule, ConfigError> {
        let at = format!("`plugin_trust[{index}]` (repository = \"{}\")", self.repository.escape_debug());
        if self.issuer.is_some() || self.subject.is_some() || self.subject_regex.is_some() {
            return Err(ConfigError(format!(
                "{at}: keyless signers (`issuer`, `subject`, `subject_regex`) are not supported by this version; sign with a key (`portcullis plugin generate-key`, `plugin sign --key`) and list its public key under `keys`"
            )));
        }
        if self.repository.trim().is_empty() || self.repository.contains("://") {
            return Err(ConfigError(format!(
                "{at}: `repository` is `registry/repository`, `*` matching any run of characters, without a scheme"
            )));
        }
        match (self.keys.is_empty(), self.unsigned) {
            (true, false) => {
                return Err(ConfigError(format!(
                    "{at}: list the public keys that sign it under `keys`, or set `unsigned = true`"
                )));
            }
            (false, true) => {
                return Err(ConfigError(format!("{at}: `keys` and `unsigned = true` exclude each other; keep one")));
            }
            _ => {}
        }
        let keys = self
            .keys
            .iter()
            .map(|path| TrustedKey::read(&dir.join(path)).map_err(|e| ConfigError(format!("{at}: {e:#}"))))
            .collect::<Result<_, _>>()?;
        Ok(TrustRule { repository: self.repository, keys, unsigned: self.unsigned })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(toml: &str, dir: &Path) -> Result<TrustRule, ConfigError> {
        let file: PluginTrustFile = toml::from_str(toml).map_err(|e| ConfigError(e.to_string()))?;
        file.resolve(0, dir)
    }

    #[test]
    fn rules_need_keys_or_unsigned_and_read_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        crate::oci::keys::generate(&dir.path().join("team")).unwrap();
        let rule = resolve("repository = \"reg/team/*\"\nkeys = [\"team.pub\"]", dir.path()).unwrap();
        assert_eq!((rule.keys.len(), rule.unsigned), (1, false));
        assert!(resolve("repository = \"reg/dev/*\"\nunsigned = true", dir.path()).unwrap().unsigned);
        for (bad, why) in [
            ("repository = \"reg/x\"", "under `keys`"),
            ("repository = \"reg/x\"\nkeys = [\"team.pub\"]\nunsigned = true", "exclude each other"),
            ("repository = \"reg/x\"\nkeys = [\"absent.pub\"]", "cannot read the public key"),
            ("repository = \"reg/x\"\nkeys = [\"team.key\"]", "not an ECDSA P-256 public key"),
            ("repository = \"oci://reg/x\"\nunsigned = true", "without a scheme"),
            ("repository = \"reg/x\"\nissuer = \"https://token.actions.githubusercontent.com\"", "keyless"),
        ] {
            let err = resolve(bad, dir.path()).unwrap_err().0;
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
