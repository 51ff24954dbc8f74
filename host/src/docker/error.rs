//! Errors inside the Docker service, and how they reach plugins as a
//! [`Failure`] whose text says what to do.

use crate::wit::types::Failure;

/// What went wrong in a Docker operation.
#[derive(Debug, thiserror::Error)]
pub(super) enum Error {
    /// The engine cannot be reached at all.
    #[error(
        "the Docker engine at {host} is unreachable ({detail}); start the engine and make sure this user may use it, or point DOCKER_HOST (or `host` under [docker] in portcullis.toml) at a running one"
    )]
    Unreachable { host: String, detail: String },
    /// The engine answered with an error.
    #[error("Docker could not {action}: {message}")]
    Engine { action: &'static str, status: u16, message: String },
    /// The object does not exist (or is not this instance's).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    InvalidParams(String),
    /// A limit or grant forbids the request.
    #[error("{0}")]
    Denied(String),
    /// Anything else, already phrased for the caller.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// Classifies a `bollard` error from the engine at `host` while doing `action`.
    pub(super) fn from_engine(host: &str, action: &'static str, error: bollard::errors::Error) -> Error {
        use bollard::errors::Error as B;
        match error {
            B::DockerResponseServerError { status_code, message } => {
                Error::Engine { action, status: status_code, message: message.trim().to_string() }
            }
            B::JsonDataError { .. } | B::JsonSerdeError { .. } | B::APIVersionParseError {} => {
                Error::Engine { action, status: 0, message: error.to_string() }
            }
            transport => Error::Unreachable { host: host.to_string(), detail: transport.to_string() },
        }
    }

    /// Whether the engine said the object does not exist.
    pub(super) fn is_missing(&self) -> bool {
        matches!(self, Error::Engine { status: 404, .. } | Error::NotFound(_))
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        match error {
            Error::NotFound(m) => Failure::NotFound(m),
            Error::InvalidParams(m) => Failure::InvalidParams(m),
            Error::Denied(m) => Failure::Denied(m),
            e @ Error::Engine { status: 404, .. } => Failure::NotFound(e.to_string()),
            e => Failure::Failed(e.to_string()),
        }
    }
}
