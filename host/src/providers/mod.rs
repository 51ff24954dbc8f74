//! Providers: what serves MCP tools, resources, prompts and completions. A
//! provider is a wasm plugin ([`crate::plugins`]) or, through the same
//! interface, an upstream MCP server, and the [`Registry`] routes public
//! names to providers, so `protocol` and `transports` never learn which
//! kind serves a name.

mod registry;

use std::sync::Arc;

use futures::future::BoxFuture;

pub use registry::{Change, NAMESPACE_SEPARATOR, PromptRoute, Registry, Snapshot, ToolRoute};

use crate::caller::{CallContext, Principal};
use crate::plugins::{Catalog, HostServices, PluginFault};
use crate::wit::{completions, prompts, tools, types};

/// What a provider answers: its own result or failure, or a fault that kept
/// it from answering.
pub type Answer<T> = Result<Result<T, types::Failure>, PluginFault>;

/// A tool's result: in the contract's terms (a plugin's answer), or as an
/// MCP server sent it, which passes to the client unconverted (nothing the
/// contract has no place for is lost, and nothing is converted twice).
#[derive(Debug)]
pub enum ToolResult {
    /// A plugin's result.
    Contract(tools::CallResult),
    /// An upstream server's result, as it arrived.
    Mcp(rmcp::model::CallToolResult),
}

/// Which kind of provider serves a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// A wasm plugin.
    Plugin,
    /// An upstream MCP server.
    Server,
    /// The host itself (ChatGPT's `search` and `fetch`).
    Host,
}

/// Something that serves MCP capabilities. Every method may be called
/// concurrently; `services` is what the host lends the call.
pub trait Provider: Send + Sync {
    /// Its name: a plugin's file stem or a server's configured name.
    fn name(&self) -> &str;

    /// Which kind it is.
    fn kind(&self) -> ProviderKind;

    /// What it offers now.
    fn catalog(&self) -> Arc<Catalog>;

    /// The prefix of its tool and prompt names, if it always has one
    /// (upstream servers: `<server>__`); `None` means plain names, namespaced
    /// only on collision (plugins).
    fn fixed_prefix(&self) -> Option<&str> {
        None
    }

    /// Whether `principal` may see and call what it offers (default: everyone).
    fn serves(&self, _principal: &Principal) -> bool {
        true
    }

    /// Calls its tool `name` with `arguments` (JSON object text).
    fn call_tool<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, Answer<ToolResult>>;

    /// Reads its resource at `uri`.
    fn read_resource<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Answer<Vec<types::ResourceContents>>>;

    /// Renders its prompt `name`.
    fn get_prompt<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<prompts::PromptResult>>;

    /// Completes an argument of its prompt or resource template.
    fn complete<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        reference: completions::Reference,
        argument: &'a str,
        value: &'a str,
        context: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<completions::Completion>>;
}
