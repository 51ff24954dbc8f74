//! Asking the user before a destructive engine call, as
//! `docker_admin.confirm` says, through the client's elicitation.

use super::config::Confirm;
use crate::caller::{CallContext, ClientRequestError};
use crate::wit::client::{ElicitRequest, ElicitResponse};
use crate::wit::types::Failure;

/// A destructive action, as confirmations and refusals phrase it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Destructive {
    StopContainer,
    RemoveContainer,
    RemoveImage,
    PruneImages,
    RemoveVolume,
    RemoveNetwork,
}

impl Destructive {
    /// The verb: "stop", "remove", "prune".
    fn verb(self) -> &'static str {
        match self {
            Destructive::StopContainer => "stop",
            Destructive::PruneImages => "prune",
            _ => "remove",
        }
    }

    /// Names the request among the call's requests to the client.
    fn key(self) -> &'static str {
        match self {
            Destructive::StopContainer => "stop-container",
            Destructive::RemoveContainer => "remove-container",
            Destructive::RemoveImage => "remove-image",
            Destructive::PruneImages => "prune-images",
            Destructive::RemoveVolume => "remove-volume",
            Destructive::RemoveNetwork => "remove-network",
        }
    }

    /// What the user is warned of.
    fn warning(self) -> &'static str {
        match self {
            Destructive::StopContainer => "Its processes are terminated.",
            Destructive::RemoveContainer => "Its writable layer is deleted; this cannot be undone.",
            Destructive::RemoveVolume => "Its data is deleted; this cannot be undone.",
            _ => "This cannot be undone.",
        }
    }
}

/// Asks the user of `call` whether to `action` `what` (`subject` keys the
/// request, stable across a 2026-07-28 call's attempts). Goes ahead without
/// asking under `never`, or under `elicit` when the client cannot ask.
/// A decline or dismissal, or `require` with a client that cannot ask, is
/// `denied` and says that nothing changed.
pub(super) async fn confirm(
    mode: Confirm,
    call: &CallContext,
    action: Destructive,
    what: &str,
    subject: &str,
) -> Result<(), Failure> {
    let verb = action.verb();
    let link = call.client.as_ref().filter(|link| link.can_elicit());
    let link = match (mode, link) {
        (Confirm::Never, _) | (Confirm::Elicit, None) => return Ok(()),
        (Confirm::Require, None) => {
            return Err(Failure::Denied(format!(
                "to {verb} {what} needs the user's confirmation (`docker_admin.confirm = \"require\"` in portcullis.toml), and this client cannot ask the user (it does not support elicitation); nothing changed"
            )));
        }
        (_, Some(link)) => link,
    };
    let mut question = format!("{verb} {what}? {}", action.warning());
    question[..1].make_ascii_uppercase();
    let request = ElicitRequest {
        key: Some(format!("confirm-{}-{subject}", action.key())),
        message: question,
        requested_schema: r#"{"type":"object","properties":{}}"#.into(),
    };
    match link.elicit(request).await {
        Ok(ElicitResponse::Accept(_)) => Ok(()),
        Ok(ElicitResponse::Decline) => {
            Err(Failure::Denied(format!("the user declined to {verb} {what}; nothing changed")))
        }
        Ok(ElicitResponse::Cancel) => {
            Err(Failure::Denied(format!("the user dismissed the request to {verb} {what}; nothing changed")))
        }
        Err(ClientRequestError::Pending(why)) => Err(Failure::Failed(why)),
        Err(ClientRequestError::Failed(why)) => Err(Failure::Failed(format!(
            "could not ask the user to confirm that they want to {verb} {what} ({why}); nothing changed"
        ))),
    }
}
