//! The trust policy (`[[plugin_trust]]`): for each repository pattern, the
//! public keys one of which must have signed an artifact, or `unsigned =
//! true`. The first rule whose pattern matches decides; an artifact that no
//! rule names is refused.

use anyhow::{Result, bail};

use super::cosign::Signature;
pub use super::keys::PublicKey as TrustedKey;

/// One `[[plugin_trust]]` rule.
#[derive(Debug, Clone)]
pub struct TrustRule {
    /// `registry/repository`, `*` matching any run of characters.
    pub repository: String,
    /// The keys it trusts (empty with `unsigned`).
    pub keys: Vec<TrustedKey>,
    /// Whether artifacts are taken without a signature.
    pub unsigned: bool,
}

/// The rules, in the order the configuration gives them.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    /// The rules; the first that matches decides.
    pub rules: Vec<TrustRule>,
}

impl TrustPolicy {
    /// The rule for `repository` (`registry/repository`).
    pub fn rule_for(&self, repository: &str) -> Option<&TrustRule> {
        self.rules.iter().find(|r| plugin_kit::glob(&r.repository, repository))
    }

    /// Who signed manifest `digest` of `repository`, among `signatures`, as
    /// the policy requires; the error says what is missing and what to do.
    pub fn signer(&self, repository: &str, digest: &str, signatures: &[Signature]) -> Result<String> {
        let Some(rule) = self.rule_for(repository) else {
            bail!(
                "no `[[plugin_trust]]` rule names {repository}: add one with the public keys that sign it (`repository = \"{repository}\"`, `keys = [\"…\"]`), or `unsigned = true` to take it unsigned"
            )
        };
        if rule.unsigned {
            return Ok(format!("unsigned (allowed by the rule for `{}`)", rule.repository));
        }
        let payloads: Vec<(Vec<u8>, &Signature)> = signatures
            .iter()
            .filter(|s| s.signed_digest().as_deref() == Some(digest))
            .filter_map(|s| s.payload_bytes().map(|p| (p, s)))
            .collect();
        for key in &rule.keys {
            if payloads.iter().any(|(payload, s)| key.verifies(payload, &s.signature)) {
                return Ok(format!("key {} ({})", key.path.display(), key.fingerprint()));
            }
        }
        let keys: Vec<String> =
            rule.keys.iter().map(|k| format!("{} ({})", k.path.display(), k.fingerprint())).collect();
        match signatures.len() {
            0 => bail!(
                "{repository}@{digest} is not signed, and the rule for `{}` requires a signature by {}: sign it with `portcullis plugin sign oci://{repository}@{digest} --key KEY`",
                rule.repository,
                keys.join(" or ")
            ),
            n => bail!(
                "none of the {n} signature(s) of {repository}@{digest} is by a key the rule for `{}` trusts ({})",
                rule.repository,
                keys.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cosign::payload;
    use super::super::keys::{PrivateKey, generate};
    use super::*;

    #[test]
    fn the_first_matching_rule_decides_and_only_its_keys_count() {
        let dir = tempfile::tempdir().unwrap();
        let (team_key, team_pub) = generate(&dir.path().join("team")).unwrap();
        let (other_key, _) = generate(&dir.path().join("other")).unwrap();
        let policy = TrustPolicy {
            rules: vec![
                TrustRule { repository: "reg/dev/*".into(), keys: vec![], unsigned: true },
                TrustRule {
                    repository: "reg/*".into(),
                    keys: vec![TrustedKey::read(&team_pub).unwrap()],
                    unsigned: false,
                },
            ],
        };
        let digest = super::super::sha256_digest(b"m");
        let body = payload("reg/team/x", &digest);
        let by = |key| Signature::new(&body, PrivateKey::read(key).unwrap().sign(&body));

        assert!(policy.signer("reg/dev/x", &digest, &[]).unwrap().starts_with("unsigned"));
        assert!(policy.signer("reg/team/x", &digest, &[by(&team_key)]).unwrap().contains("team.pub"));
        let other = policy.signer("reg/team/x", &digest, &[by(&other_key)]).unwrap_err().to_string();
        assert!(other.contains("none of the 1 signature"), "{other}");
        let none = policy.signer("reg/team/x", &digest, &[]).unwrap_err().to_string();
        assert!(none.contains("is not signed") && none.contains("plugin sign"), "{none}");
        let elsewhere = super::super::sha256_digest(b"another manifest");
        assert!(policy.signer("reg/team/x", &elsewhere, &[by(&team_key)]).is_err(), "a signature names its digest");
        let unknown = policy.signer("ghcr.io/x", &digest, &[by(&team_key)]).unwrap_err().to_string();
        assert!(unknown.contains("no `[[plugin_trust]]` rule"), "{unknown}");
    }
}
