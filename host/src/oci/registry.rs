//! The registry client: `oci-client` over HTTPS (plain HTTP only for a
//! registry on loopback), with the credentials Docker would use for the
//! registry (the Docker config file and its credential helpers) or none.
//! Every manifest and blob fetched is checked against its digest here.

use anyhow::{Result, bail};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::layout::{Descriptor, MAX_COMPONENT_BYTES, OCI_MANIFEST};
use super::reference::{display, is_loopback};
use super::sha256_digest;

/// The client for one registry.
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
    registry: String,
}

impl Registry {
    /// A client for the registry `reference` names.
    pub fn for_reference(reference: &Reference) -> Self {
        crate::install_crypto_provider();
        let registry = reference.resolve_registry().to_string();
        let protocol = if is_loopback(&registry) { ClientProtocol::Http } else { ClientProtocol::Https };
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(std::time::Duration::from_secs(10)),
            read_timeout: Some(std::time::Duration::from_secs(60)),
            user_agent: concat!("portcullis/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        Self { client: Client::new(config), auth: credentials(&registry), registry }
    }

    /// The digest the registry gives for `reference` now (a tag's target).
    pub async fn resolve(&self, reference: &Reference) -> Result<String> {
        let digest =
            self.client.fetch_manifest_digest(reference, &self.auth).await.map_err(|e| self.failed(reference, e))?;
        super::check_digest(&digest)?;
        Ok(digest)
    }

    /// The manifest `reference` names, its bytes checked against the
    /// reference's digest when it has one; returns the bytes and digest.
    pub async fn manifest(&self, reference: &Reference) -> Result<(Vec<u8>, String)> {
        let (bytes, digest) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[OCI_MANIFEST])
            .await
            .map_err(|e| self.failed(reference, e))?;
        let actual = sha256_digest(&bytes);
        if reference.digest().is_some_and(|d| d != actual) || digest != actual {
            bail!("the registry sent a manifest for {} that hashes to {actual}, not {digest}", display(reference));
        }
        Ok((bytes.to_vec(), actual))
    }

    /// Like [`Registry::manifest`], but `None` when there is no such manifest.
    pub async fn manifest_if_any(&self, reference: &Reference) -> Result<Option<Vec<u8>>> {
        match self.client.pull_manifest_raw(reference, &self.auth, &[OCI_MANIFEST]).await {
            Ok((bytes, _)) => Ok(Some(bytes.to_vec())),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.failed(reference, e)),
        }
    }

    /// The blob `descriptor` names in `reference`'s repository, checked
    /// against its digest and size.
    pub async fn blob(&self, reference: &Reference, descriptor: &Descriptor) -> Result<Vec<u8>> {
        if descriptor.size > MAX_COMPONENT_BYTES {
            bail!(
                "the blob {} is {} bytes; this host takes at most {MAX_COMPONENT_BYTES}",
                descriptor.digest,
                descriptor.size
            );
        }
        let layer = oci_client::manifest::OciDescriptor {
            media_type: descriptor.media_type.clone(),
            digest: descriptor.digest.clone(),
            size: descriptor.size as i64,
            ..Default::default()
        };
        let mut bytes = Vec::with_capacity(descriptor.size as usize);
        self.client.pull_blob(reference, &layer, &mut bytes).await.map_err(|e| self.failed(reference, e))?;
        if sha256_digest(&bytes) != descriptor.digest || bytes.len() as u64 != descriptor.size {
            bail!("the registry sent a blob for {} that does not match its digest", descriptor.digest);
        }
        Ok(bytes)
    }

    /// Uploads `bytes` as a blob of `reference`'s repository (skipped when
    /// the registry has it).
    pub async fn push_blob(&self, reference: &Reference, bytes: Vec<u8>) -> Result<String> {
        let digest = sha256_digest(&bytes);
        self.client.store_auth_if_needed(&self.registry, &self.auth).await;
        let present = self.client.blob_exists(reference, &digest).await.map_err(|e| self.failed(reference, e))?;
        if !present {
            self.client.push_blob(reference, bytes, &digest).await.map_err(|e| self.failed(reference, e))?;
        }
        Ok(digest)
    }

    /// Uploads an OCI image manifest at `reference` (a tag); returns its digest.
    pub async fn push_manifest(&self, reference: &Reference, manifest: Vec<u8>) -> Result<String> {
        let digest = sha256_digest(&manifest);
        let content_type = http::HeaderValue::from_static(OCI_MANIFEST);
        self.client
            .push_manifest_raw(reference, manifest, content_type)
            .await
            .map_err(|e| self.failed(reference, e))?;
        Ok(digest)
    }

    /// A registry error as people read it: which reference, what failed, and
    /// a hint when it is about credentials.
    fn failed(&self, reference: &Reference, error: OciDistributionError) -> anyhow::Error {
        let hint = match &error {
            OciDistributionError::UnauthorizedError { .. } | OciDistributionError::AuthenticationFailure(_) => {
                format!("; log in with `docker login {}` (credentials are read from Docker's config)", self.registry)
            }
            _ if is_not_found(&error) => " (not found)".to_string(),
            _ => String::new(),
        };
        anyhow::Error::new(error).context(format!("registry {} failed for {}{hint}", self.registry, display(reference)))
    }
}

/// Whether the registry said there is no such manifest or blob.
fn is_not_found(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::BlobUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound
            )
        }),
        _ => false,
    }
}

/// The credentials Docker has for `registry`, else anonymous access. A
/// credential helper's failure is logged (without the secret) and anonymous
/// access tried.
fn credentials(registry: &str) -> RegistryAuth {
    let key =
        if registry == "docker.io" || registry == "index.docker.io" { "https://index.docker.io/v1/" } else { registry };
    match docker_credential::get_credential(key) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            RegistryAuth::Basic(user, password)
        }
        Ok(docker_credential::DockerCredential::IdentityToken(token)) => RegistryAuth::Bearer(token),
        Err(docker_credential::CredentialRetrievalError::ConfigNotFound)
        | Err(docker_credential::CredentialRetrievalError::NoCredentialConfigured) => RegistryAuth::Anonymous,
        Err(e) => {
            // A failing helper's output is not repeated: it may hold a secret.
            let why = match e {
                docker_credential::CredentialRetrievalError::HelperFailure { helper, .. } => {
                    format!("credential helper `{helper}` failed")
                }
                other => other.to_string(),
            };
            tracing::warn!(registry, "cannot read Docker's credentials for the registry ({why}); trying anonymously");
            RegistryAuth::Anonymous
        }
    }
}
