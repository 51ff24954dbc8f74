//! What the operator says about upstream servers: `[servers.<name>]` in
//! `portcullis.toml`, and Claude Desktop style `mcpServers` files (the
//! `servers_file` key, `--servers FILE`, `PORTCULLIS_SERVERS`), accepted as
//! desktop clients write them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::secrets::Secret;
use crate::providers::NAMESPACE_SEPARATOR;
use crate::wit::types::Mount;

/// How an upstream server is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Launch {
    /// A child process on the host speaking MCP on its stdin and stdout.
    Command {
        /// The program (looked up on the host's PATH) and its arguments.
        argv: Vec<String>,
        /// Its whole environment besides PATH and HOME.
        env: Vec<(String, Secret)>,
        /// Its working directory, if not the host's.
        cwd: Option<PathBuf>,
    },
    /// A long-lived container speaking MCP on its attached stdin and stdout,
    /// hardened like the sandbox's; the image, network and mounts pass the
    /// policy chain first.
    Container {
        /// The image.
        image: String,
        /// The command instead of the image's, if any.
        cmd: Option<Vec<String>>,
        /// Its environment variables.
        env: Vec<(String, Secret)>,
        /// Whether it gets a network (the operator must allow networks).
        network: bool,
        /// Host directories it sees (judged by the policy chain).
        mounts: Vec<Mount>,
        /// Its limits, within the operator's; unset ones are the operator's.
        limits: ContainerLimits,
    },
    /// A remote server over Streamable HTTP.
    Url {
        /// The endpoint (`https://…/mcp`).
        url: String,
        /// Headers sent with every request (`Authorization`, say).
        headers: Vec<(String, Secret)>,
    },
}

/// A server container's own limits (`memory_mib`, `cpus`, `pids`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct ContainerLimits {
    /// Memory in MiB.
    pub memory_mib: Option<u64>,
    /// CPU cores.
    pub cpus: Option<f64>,
    /// Processes.
    pub pids: Option<u32>,
}

/// One upstream server, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// Its name: letters, digits, `-` and `_`.
    pub name: String,
    /// How to reach it.
    pub launch: Launch,
    /// What its tool and prompt names are published with (`<name>__` unless set).
    pub prefix: String,
    /// How long it may take to start and answer `initialize`.
    pub startup_timeout: Duration,
    /// How many restarts in a row it may need before it is `failed`.
    pub max_restarts: u32,
    /// Globs over principal names (`key:ci-*`) of who may see and call it;
    /// empty means everyone.
    pub principals: Vec<String>,
    /// Whether one instance serves everyone or each session has its own.
    pub scope: Scope,
    /// How long a stateless client's instance of a session-scoped server
    /// may go unused before it is stopped (such a client has no session end).
    pub idle_timeout: Duration,
}

/// How many instances of a server run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// One instance serves every client.
    #[default]
    Shared,
    /// One instance per client session, started on its first use and
    /// stopped when the session ends.
    Session,
}

/// `[servers.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    command: Option<Vec<String>>,
    image: Option<String>,
    #[serde(default)]
    network: bool,
    #[serde(default)]
    mounts: Vec<MountFile>,
    #[serde(flatten)]
    limits: ContainerLimits,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    prefix: Option<String>,
    startup_timeout_secs: Option<u64>,
    max_restarts: Option<u32>,
    #[serde(default)]
    principals: Vec<String>,
    scope: Option<String>,
    idle_timeout_secs: Option<u64>,
}

/// A host directory in `mounts = [{ host_path, container_path, read_only }]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MountFile {
    host_path: String,
    container_path: String,
    #[serde(default)]
    read_only: bool,
}

/// One entry of an `mcpServers` file, as Claude Desktop, Cursor and VS Code
/// write them; keys Portcullis has no use for are ignored.
#[derive(Debug, Deserialize)]
struct DesktopEntry {
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Debug, Deserialize)]
struct DesktopFile {
    #[serde(rename = "mcpServers")]
    mcp_servers: BTreeMap<String, DesktopEntry>,
}

/// How long a server may take to start and answer `initialize` unless its
/// `startup_timeout_secs` or `SERVER_TIMEOUT` says otherwise.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The default `idle_timeout_secs`: as long as an idle Streamable HTTP session lives.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_MAX_RESTARTS: u32 = 5;

impl ServerFile {
    /// The spec of server `name`, which takes `default_timeout` to start
    /// unless it sets `startup_timeout_secs`; errors name the key.
    pub fn resolve(self, name: &str, default_timeout: Duration) -> Result<ServerSpec, String> {
        check_name(name)?;
        let key = |k: &str| format!("`servers.{name}.{k}`");
        if self.image.is_some() && self.url.is_some() {
            return Err(format!("server `{name}` sets both `image` and `url`; choose one"));
        }
        let container_only = self.network || !self.mounts.is_empty() || self.limits != ContainerLimits::default();
        if container_only && self.image.is_none() {
            return Err(format!("{}, {} and the limits are for `image` servers only", key("network"), key("mounts")));
        }
        let launch = match (self.command, self.url) {
            (cmd, None) if let Some(image) = self.image => {
                if image.trim().is_empty() || !self.headers.is_empty() || self.cwd.is_some() {
                    return Err(format!("{} must name an image, without `headers` or `cwd`", key("image")));
                }
                let env = secrets(self.env, &key("env"))?;
                let mounts = self
                    .mounts
                    .into_iter()
                    .map(|m| Mount { host_path: m.host_path, container_path: m.container_path, read_only: m.read_only })
                    .collect();
                Launch::Container { image, cmd, env, network: self.network, mounts, limits: self.limits }
            }
            (Some(argv), None) => {
                if argv.first().is_none_or(|p| p.is_empty()) {
                    return Err(format!(
                        "{} must name a program: `command = [\"program\", \"arg\", …]`",
                        key("command")
                    ));
                }
                if !self.headers.is_empty() {
                    return Err(format!("{} is for `url` servers only", key("headers")));
                }
                Launch::Command { argv, env: secrets(self.env, &key("env"))?, cwd: self.cwd }
            }
            (None, Some(url)) => {
                if !self.env.is_empty() || self.cwd.is_some() {
                    return Err(format!("{} and {} are for `command` servers only", key("env"), key("cwd")));
                }
                Launch::Url { url: check_url(&url, &key("url"))?, headers: secrets(self.headers, &key("headers"))? }
            }
            (Some(_), Some(_)) => return Err(format!("server `{name}` sets both `command` and `url`; choose one")),
            (None, None) => {
                return Err(format!("server `{name}` needs `command = [\"program\", …]` or `url = \"https://…\"`"));
            }
        };
        Ok(ServerSpec {
            name: name.to_string(),
            launch,
            prefix: self.prefix.unwrap_or_else(|| format!("{name}{NAMESPACE_SEPARATOR}")),
            startup_timeout: self.startup_timeout_secs.map_or(default_timeout, Duration::from_secs),
            max_restarts: self.max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
            principals: self.principals,
            scope: match self.scope.as_deref() {
                None | Some("shared") => Scope::Shared,
                Some("session") => Scope::Session,
                Some(other) => return Err(format!("{} is `shared` or `session`, not `{other}`", key("scope"))),
            },
            idle_timeout: match self.idle_timeout_secs {
                None => DEFAULT_IDLE_TIMEOUT,
                Some(0) => return Err(format!("{} must be at least 1", key("idle_timeout_secs"))),
                Some(secs) => Duration::from_secs(secs),
            },
        })
    }
}

/// How `command` entries of an `mcpServers` file run in containers
/// (`servers_in_containers = true`): the image for each program, by the
/// program's file name, and whether they get a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainedImport {
    /// `npx` → a node image, `uvx` and `python` → a python image, … (`[servers_images]`).
    pub images: BTreeMap<String, String>,
    /// Whether the containers get a network (`servers_network`); `npx` and
    /// `uvx` download the server when it starts, so they need one.
    pub network: bool,
}

impl Default for ContainedImport {
    fn default() -> Self {
        let images = [
            ("npx", "node:22-slim"),
            ("node", "node:22-slim"),
            ("uvx", "ghcr.io/astral-sh/uv:python3.12-bookworm-slim"),
            ("uv", "ghcr.io/astral-sh/uv:python3.12-bookworm-slim"),
            ("python", "python:3.12-slim"),
            ("python3", "python:3.12-slim"),
        ];
        Self { images: images.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), network: false }
    }
}

impl ContainedImport {
    /// `spec` (a `command` server) as a container of the program's image;
    /// a program without one is an error naming the setting.
    fn contain(&self, spec: ServerSpec) -> Result<ServerSpec, String> {
        let Launch::Command { argv, env, .. } = spec.launch else { return Ok(spec) };
        let program = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
        let Some(image) = self.images.get(program) else {
            return Err(format!(
                "server `{}` runs `{program}`, which has no image to run in (`servers_in_containers` is on); add one under [servers_images]",
                spec.name
            ));
        };
        let limits = ContainerLimits::default();
        let launch = Launch::Container {
            image: image.clone(),
            cmd: Some(argv),
            env,
            network: self.network,
            mounts: vec![],
            limits,
        };
        Ok(ServerSpec { launch, ..spec })
    }
}

/// The servers of an `mcpServers` file (disabled entries left out), each
/// taking `timeout` to start; with `contained`, its `command` entries run in
/// containers.
pub fn load_desktop_file(
    path: &Path,
    contained: Option<&ContainedImport>,
    timeout: Duration,
) -> Result<Vec<ServerSpec>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("servers file `{}`: {e}", path.display()))?;
    let file: DesktopFile =
        serde_json::from_str(&text).map_err(|e| format!("servers file `{}`: {e}", path.display()))?;
    let mut specs = Vec::new();
    for (name, entry) in file.mcp_servers.into_iter().filter(|(_, e)| !e.disabled) {
        let command = entry.command.map(|program| std::iter::once(program).chain(entry.args).collect());
        let as_file = ServerFile {
            command,
            image: None,
            network: false,
            mounts: Vec::new(),
            limits: ContainerLimits::default(),
            env: entry.env,
            cwd: entry.cwd,
            url: entry.url,
            headers: entry.headers,
            prefix: None,
            startup_timeout_secs: None,
            max_restarts: None,
            principals: Vec::new(),
            scope: None,
            idle_timeout_secs: None,
        };
        let spec = as_file.resolve(&name, timeout).map_err(|e| format!("servers file `{}`: {e}", path.display()))?;
        let spec = match contained {
            Some(import) => import.contain(spec).map_err(|e| format!("servers file `{}`: {e}", path.display()))?,
            None => spec,
        };
        specs.push(spec);
    }
    Ok(specs)
}

fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.contains(NAMESPACE_SEPARATOR);
    if valid {
        return Ok(());
    }
    Err(format!(
        "server name `{name}` is invalid: use 1 to 64 letters, digits, `-` and `_`, without `{NAMESPACE_SEPARATOR}`"
    ))
}

fn check_url(url: &str, key: &str) -> Result<String, String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(format!("{key} must be an http:// or https:// URL, not `{url}`")),
    }
}

fn secrets(values: BTreeMap<String, String>, key: &str) -> Result<Vec<(String, Secret)>, String> {
    values.into_iter().map(|(k, v)| Ok((k.clone(), Secret::resolve(&v, &format!("{key}.{k}"))?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<ServerSpec, String> {
        let file: ServerFile = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        file.resolve("git", DEFAULT_STARTUP_TIMEOUT)
    }

    #[test]
    fn a_command_server_gets_its_environment_and_the_default_prefix() {
        let spec = parse("command = [\"python3\", \"-m\", \"mcp_server_git\"]\nenv = { TOKEN = \"t\" }").unwrap();
        assert_eq!(spec.prefix, "git__");
        let Launch::Command { argv, env, .. } = &spec.launch else { panic!("{spec:?}") };
        assert_eq!(argv, &["python3", "-m", "mcp_server_git"]);
        assert_eq!(env[0].1.expose(), "t");
        assert!(!format!("{spec:?}").contains("\"t\""), "secrets never print");
    }

    #[test]
    fn mistakes_name_the_key() {
        assert!(parse("url = \"ftp://x\"").unwrap_err().contains("`servers.git.url`"));
        assert!(parse("command = []").unwrap_err().contains("`servers.git.command`"));
        assert!(parse("").unwrap_err().contains("needs `command"));
        assert!(parse("command = [\"a\"]\nurl = \"https://x\"").unwrap_err().contains("both"));
        assert!(parse("url = \"https://x\"\nimage = \"x\"").unwrap_err().contains("both"));
        assert!(parse("command = [\"a\"]\nnetwork = true").unwrap_err().contains("`servers.git.network`"));
        assert!(parse("command = [\"a\"]\nmemory_mib = 64").unwrap_err().contains("for `image` servers only"));
        assert!(parse("command = [\"a\"]\nscope = \"global\"").unwrap_err().contains("`servers.git.scope`"));
        assert_eq!(parse("command = [\"a\"]\nscope = \"session\"").unwrap().scope, Scope::Session);
        assert_eq!(parse("command = [\"a\"]").unwrap().idle_timeout, Duration::from_secs(300));
        assert!(
            parse("command = [\"a\"]\nidle_timeout_secs = 0").unwrap_err().contains("`servers.git.idle_timeout_secs`")
        );
        assert!(parse("command = [\"a\"]\nvolume = 1").is_err(), "unknown keys are refused");
        let boxed = parse("image = \"mcp/git\"\ncommand = [\"serve\"]").unwrap();
        assert!(matches!(boxed.launch, Launch::Container { cmd: Some(_), network: false, .. }), "{boxed:?}");
        assert!(
            ServerFile::resolve(toml::from_str("command = [\"a\"]").unwrap(), "a__b", DEFAULT_STARTUP_TIMEOUT).is_err()
        );
    }

    #[test]
    fn a_claude_desktop_file_loads_unchanged() {
        let path = std::env::temp_dir().join(format!("portcullis-desktop-{}.json", std::process::id()));
        std::fs::write(
            &path,
            r#"{"mcpServers": {
                "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
                "remote": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer x"}, "type": "http"},
                "off": {"command": "x", "disabled": true}
            }, "globalShortcut": "Ctrl+Space"}"#,
        )
        .unwrap();
        let specs = load_desktop_file(&path, None, DEFAULT_STARTUP_TIMEOUT).unwrap();
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fs", "remote"]);
        assert!(matches!(&specs[0].launch, Launch::Command { argv, .. } if argv[0] == "npx" && argv.len() == 4));
        assert!(matches!(&specs[1].launch, Launch::Url { url, .. } if url == "https://example.com/mcp"));

        // With servers_in_containers, the npx entry runs in a node image; the URL stays.
        let contained = load_desktop_file(&path, Some(&ContainedImport::default()), DEFAULT_STARTUP_TIMEOUT).unwrap();
        assert!(
            matches!(&contained[0].launch, Launch::Container { image, cmd: Some(cmd), network: false, .. } if image == "node:22-slim" && cmd[0] == "npx"),
            "{:?}",
            contained[0]
        );
        assert!(matches!(&contained[1].launch, Launch::Url { .. }));
        let no_image = ContainedImport { images: BTreeMap::new(), network: false };
        let err = load_desktop_file(&path, Some(&no_image), DEFAULT_STARTUP_TIMEOUT).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(err.contains("`npx`") && err.contains("[servers_images]"), "{err}");
    }
}
