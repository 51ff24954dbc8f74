//! `requestState` for input-required round trips: the answers collected so far,
//! signed with a key this process holds and bound to the request it belongs to,
//! so a client can neither alter answers nor move them to another request.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use hmac::{Hmac, Mac};
use rmcp::model::InputResponses;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies request states. The key lives as long as the process;
/// a state from an earlier process fails verification and the client is asked again.
pub struct StateSigner {
    key: [u8; 32],
}

impl Default for StateSigner {
    fn default() -> Self {
        Self { key: rand::random() }
    }
}

impl StateSigner {
    fn mac(&self, binding: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(binding.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// `answers` as a state bound to `binding` (the method and target of the request).
    pub fn seal(&self, binding: &str, answers: &InputResponses) -> String {
        let payload = serde_json::to_vec(answers).expect("answers are JSON");
        let tag = self.mac(binding, &payload).finalize().into_bytes();
        format!("{}.{}", BASE64.encode(&payload), BASE64.encode(tag))
    }

    /// The answers in `state`, if it was sealed by this signer for `binding`.
    pub fn open(&self, binding: &str, state: &str) -> Option<InputResponses> {
        let (payload, tag) = state.split_once('.')?;
        let payload = BASE64.decode(payload).ok()?;
        let tag = BASE64.decode(tag).ok()?;
        self.mac(binding, &payload).verify_slice(&tag).ok()?;
        serde_json::from_slice(&payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_state_opens_only_unaltered_and_for_its_request() {
        let signer = StateSigner::default();
        let mut answers = InputResponses::new();
        answers.insert("user_name".into(), serde_json::json!({"action": "accept", "content": {"name": "Ada"}}));
        let state = signer.seal("tools/call:greet", &answers);
        assert_eq!(signer.open("tools/call:greet", &state), Some(answers));
        assert_eq!(signer.open("tools/call:other", &state), None);
        assert_eq!(signer.open("tools/call:greet", &format!("{state}-TAMPERED")), None);
        assert_eq!(StateSigner::default().open("tools/call:greet", &state), None);
    }
}
