//! Plugins from OCI registries, from the command line: `portcullis plugin
//! push|generate-key|sign` for authors, `add|list|update|remove|verify` for
//! operators. The operator's commands change `plugins.lock` (and the store
//! beside it), which a running host watches: no restart is needed.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use super::check::offline_loader;
use super::table::Table;
use crate::config::{Config, ProcessEnv};
use crate::oci::cosign::{payload, payload_layer, signature_tag, with_signature};
use crate::oci::keys::{PrivateKey, generate};
use crate::oci::reference::{self, display, pinned, repository, tagged};
use crate::oci::registry::Registry;
use crate::oci::{LockEntry, LockFile, Store, layout, lock, verify};
use crate::plugins::{BUNDLED, wasm_files};

/// The registry commands of `portcullis plugin`.
#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Publish a component to a registry in the CNCF Wasm OCI layout.
    Push {
        /// The component (`NAME.wasm`); it must load as a plugin.
        file: PathBuf,
        /// Where to: `oci://REGISTRY/REPOSITORY:TAG`.
        reference: String,
    },
    /// Make a signing key pair: `PREFIX.key` (private, mode 0600) and `PREFIX.pub`.
    GenerateKey {
        /// The files' path without extension.
        #[arg(long, value_name = "PREFIX", default_value = "portcullis")]
        output: PathBuf,
    },
    /// Sign a published component the way cosign does (its signature tag, its payload, ECDSA P-256).
    Sign {
        /// `oci://REGISTRY/REPOSITORY@sha256:…` (what `push` printed).
        reference: String,
        /// The private key (`PREFIX.key`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Verify a component from a registry and pin it in the lock file.
    Add {
        /// `oci://REGISTRY/REPOSITORY@sha256:…` (or `:TAG` with --allow-tag).
        reference: String,
        /// Resolve a tag to the digest it names now and pin that.
        #[arg(long)]
        allow_tag: bool,
        /// The plugin's name (default: the repository's last part).
        #[arg(long)]
        name: Option<String>,
        /// Which host's lock file.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// List the plugins a host would load and where each comes from.
    List {
        /// Which host.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Resolve a locked plugin's tag again; show the new digest and signer and ask before replacing.
    Update {
        /// The plugin's name in the lock file.
        name: String,
        /// Replace without asking.
        #[arg(long)]
        yes: bool,
        /// Which host's lock file.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Remove a plugin from the lock file.
    Remove {
        /// The plugin's name in the lock file.
        name: String,
        /// Which host's lock file.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Check every locked plugin again: its stored content, its signature under today's trust policy, and that it loads.
    Verify {
        /// Which host's lock file.
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Which host's configuration (and so lock file, store and trust policy).
#[derive(Args, Debug)]
pub struct ConfigArg {
    /// The configuration file (else CONFIG_FILE).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Runs a registry command; its output, or why it failed.
pub fn run(command: RegistryCommand) -> Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        match command {
            RegistryCommand::Push { file, reference } => push(&file, &reference).await,
            RegistryCommand::GenerateKey { output } => generate_key(&output),
            RegistryCommand::Sign { reference, key } => sign(&reference, &key).await,
            RegistryCommand::Add { reference, allow_tag, name, config } => {
                Installed::open(&config)?.add(&reference, allow_tag, name).await
            }
            RegistryCommand::List { config } => Installed::open(&config)?.list(),
            RegistryCommand::Update { name, yes, config } => Installed::open(&config)?.update(&name, yes).await,
            RegistryCommand::Remove { name, config } => Installed::open(&config)?.remove(&name),
            RegistryCommand::Verify { config } => Installed::open(&config)?.verify().await,
        }
    })
}

/// `plugin push`.
async fn push(file: &Path, text: &str) -> Result<String> {
    let reference = reference::parse(text)?;
    if reference.digest().is_some() || reference.tag().is_none() {
        bail!("push to a tag, `oci://REGISTRY/REPOSITORY:TAG`; the digest is the registry's answer");
    }
    let plugin = super::check::component_loader()?
        .load_file(file)
        .await
        .with_context(|| format!("{} is not a plugin this host loads", file.display()))?;
    let wasm = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let artifact = layout::pack(&wasm, &plugin.imports(), &plugin.export_names(), &lock::now());
    let registry = Registry::for_reference(&reference);
    registry.push_blob(&reference, wasm).await?;
    registry.push_blob(&reference, artifact.config).await?;
    let digest = registry.push_manifest(&reference, artifact.manifest).await?;
    let at = display(&pinned(&reference, &digest));
    Ok(format!(
        "pushed {} to {}\ndigest  {digest}\nsign it: portcullis plugin sign {at} --key KEY\nadd it:  portcullis plugin add {at}\n",
        file.display(),
        display(&reference)
    ))
}

/// `plugin generate-key`.
fn generate_key(prefix: &Path) -> Result<String> {
    let (private, public) = generate(prefix)?;
    let fingerprint = crate::oci::TrustedKey::read(&public)?.fingerprint();
    Ok(format!(
        "private key {} (keep it secret)\npublic key  {} ({fingerprint})\ntrust it:    [[plugin_trust]] repository = \"REGISTRY/REPOSITORY*\", keys = [\"{}\"]\n",
        private.display(),
        public.display(),
        public.display()
    ))
}

/// `plugin sign`: appends a signature to the artifact's signature manifest.
async fn sign(text: &str, key_path: &Path) -> Result<String> {
    let reference = reference::parse(text)?;
    let Some(digest) = reference.digest().map(String::from) else {
        bail!(
            "sign by digest, `oci://REGISTRY/REPOSITORY@sha256:…` (what `plugin push` printed): a tag can move after you looked"
        )
    };
    let key = PrivateKey::read(key_path)?;
    let registry = Registry::for_reference(&reference);
    registry.manifest(&reference).await?;
    let body = payload(&repository(&reference), &digest);
    let signature = key.sign(&body);
    let at = tagged(&reference, &signature_tag(&digest)?);
    let existing = registry.manifest_if_any(&at).await?;
    let (config, manifest) = with_signature(existing.as_deref(), payload_layer(&body, &signature))?;
    registry.push_blob(&at, body).await?;
    registry.push_blob(&at, config).await?;
    registry.push_manifest(&at, manifest).await?;
    Ok(format!(
        "signed {} with {} ({})\nsignature at {}\n",
        display(&reference),
        key_path.display(),
        key.public(key_path).fingerprint(),
        display(&at)
    ))
}

/// A host's lock file, store and trust policy.
struct Installed {
    config: Config,
    lock_path: PathBuf,
    store: Store,
}

impl Installed {
    fn open(arg: &ConfigArg) -> Result<Self> {
        let config = Config::load(arg.config.as_deref(), &ProcessEnv)?;
        let (Some(lock_path), Some(store)) = (config.plugins_lock_path(), config.plugin_store()) else {
            bail!(
                "no state directory: set `state_dir` (or PORTCULLIS_STATE_DIR), where plugins from registries are kept"
            )
        };
        Ok(Self { config, lock_path, store })
    }

    fn lock(&self) -> Result<LockFile> {
        LockFile::read(&self.lock_path)
    }

    /// Keeps `verified`, checks that it loads as plugin `name`, and returns its entry.
    async fn install(&self, verified: &verify::Verified, name: &str, source: &str) -> Result<LockEntry> {
        verified.keep(&self.store)?;
        let entry = verified.entry(name, source);
        offline_loader(self.config.clone())?
            .load_locked(&entry)
            .await
            .with_context(|| format!("{source} does not load as a plugin"))?;
        Ok(entry)
    }

    /// `plugin add`.
    async fn add(&self, text: &str, allow_tag: bool, name: Option<String>) -> Result<String> {
        let reference = reference::parse(text)?;
        let name = name.unwrap_or_else(|| reference.repository().rsplit('/').next().unwrap_or_default().to_string());
        super::plugin::check_name(&name)?;
        let mut lock = self.lock()?;
        if let Some(entry) = lock.get(&name) {
            bail!(
                "`{name}` is in the lock file already (from {}): `portcullis plugin update {name}` re-resolves it, `plugin remove {name}` removes it, or choose another --name",
                entry.source
            );
        }
        let target = match reference.digest() {
            Some(digest) => pinned(&reference, digest),
            None if allow_tag => pinned(&reference, &Registry::for_reference(&reference).resolve(&reference).await?),
            None => bail!(
                "{} names a tag, which can move: add it by digest (`oci://{}@sha256:…`), or pass --allow-tag to pin the digest the tag names now",
                display(&reference),
                repository(&reference)
            ),
        };
        let source = display(&reference);
        let verified = verify::fetch(&target, &self.config.plugin_trust).await?;
        let entry = self.install(&verified, &name, &source).await?;
        lock.put(entry.clone());
        lock.write(&self.lock_path)?;
        Ok(format!(
            "added `{name}` from {source}\n  digest  {}\n  sha256  {}\n  signer  {}\npinned in {}; a running host loads it within a second\n",
            entry.digest,
            entry.sha256,
            entry.signer,
            self.lock_path.display()
        ))
    }

    /// `plugin update`.
    async fn update(&self, name: &str, yes: bool) -> Result<String> {
        let mut lock = self.lock()?;
        let Some(entry) = lock.get(name).cloned() else {
            bail!(
                "no `{name}` in the lock file {}; `portcullis plugin list` shows what is there",
                self.lock_path.display()
            )
        };
        let reference = reference::parse(&entry.source)?;
        if reference.digest().is_some() || reference.tag().is_none() {
            return Ok(format!(
                "`{name}` was added by digest ({}); there is no tag to resolve again. `plugin remove {name}` and `plugin add` another digest to move it\n",
                entry.source
            ));
        }
        let digest = Registry::for_reference(&reference).resolve(&reference).await?;
        if digest == entry.digest {
            return Ok(format!("`{name}` is up to date: {} still names {digest}\n", entry.source));
        }
        let verified = verify::fetch(&pinned(&reference, &digest), &self.config.plugin_trust).await?;
        let change = format!(
            "`{name}`: {} now names {digest}\n  was     {}\n  signer  {}\n",
            entry.source, entry.digest, verified.signer
        );
        if !yes && !confirm(&format!("{change}Replace it? [y/N] "))? {
            bail!("not replaced; `{name}` stays at {}", entry.digest);
        }
        let updated = self.install(&verified, name, &entry.source).await?;
        lock.put(updated);
        lock.write(&self.lock_path)?;
        Ok(format!("{change}replaced; a running host loads it within a second\n"))
    }

    /// `plugin remove`.
    fn remove(&self, name: &str) -> Result<String> {
        let mut lock = self.lock()?;
        if !lock.remove(name) {
            bail!(
                "no `{name}` in the lock file {}; `portcullis plugin list` shows what is there",
                self.lock_path.display()
            );
        }
        lock.write(&self.lock_path)?;
        Ok(format!("removed `{name}` from {}; a running host unloads it within a second\n", self.lock_path.display()))
    }

    /// `plugin verify`: fails when any entry does.
    async fn verify(&self) -> Result<String> {
        let lock = self.lock()?;
        let loader = offline_loader(self.config.clone())?;
        let mut report = Table::new(&["NAME", "RESULT", "DIGEST", "SIGNER"]);
        let mut failed = 0;
        for entry in &lock.plugins {
            // The loader verifies the chain before it loads, as the host's does.
            match loader.load_locked(entry).await {
                Ok(_) => report.row([entry.name.clone(), "ok".into(), entry.digest.clone(), entry.signer.clone()]),
                Err(e) => {
                    failed += 1;
                    report.row([entry.name.clone(), format!("FAILED: {e:#}"), entry.digest.clone(), String::new()]);
                }
            }
        }
        if failed > 0 {
            bail!("{failed} of {} locked plugins failed verification:\n{}", lock.plugins.len(), report.render());
        }
        Ok(format!(
            "{}{} locked plugins verified\n",
            if report.is_empty() { String::new() } else { report.render() },
            lock.plugins.len()
        ))
    }

    /// `plugin list`: bundled, locked and directory plugins, and which one wins a name.
    fn list(&self) -> Result<String> {
        let lock = self.lock()?;
        let files: Vec<PathBuf> = match &self.config.plugin_dir {
            Some(dir) => wasm_files(dir).unwrap_or_default(),
            None => Vec::new(),
        };
        let stems: Vec<String> = files.iter().filter_map(|f| f.file_stem()?.to_str().map(String::from)).collect();
        let mut table = Table::new(&["NAME", "FROM", "SOURCE", "DIGEST", "SIGNER"]);
        let shadow = |name: &str, locked: bool| {
            if stems.iter().any(|s| s == name) {
                " (replaced by the directory's)"
            } else if locked && lock.get(name).is_some() {
                " (replaced by the lock file's)"
            } else {
                ""
            }
        };
        if self.config.bundled_plugins {
            for bundled in BUNDLED {
                table.row([bundled.name.into(), format!("bundled{}", shadow(bundled.name, true)), String::new()]);
            }
        }
        for entry in &lock.plugins {
            let from = format!("lock{}", shadow(&entry.name, false));
            table.row([entry.name.clone(), from, entry.source.clone(), entry.digest.clone(), entry.signer.clone()]);
        }
        for (file, stem) in files.iter().zip(&stems) {
            table.row([stem.clone(), "directory".into(), file.display().to_string()]);
        }
        Ok(format!("{}lock file {}\n", table.render(), self.lock_path.display()))
    }
}

/// Asks `question` on stderr and reads the answer from stdin: yes only for `y` or `yes`.
fn confirm(question: &str) -> Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
