//! ChatGPT's `search` and `fetch` (`[chatgpt] search_fetch = true`): ChatGPT
//! accepts a connector outside Developer Mode only if it offers these two
//! tools. They work over the concrete resources that plugins and upstream
//! servers publish, each principal seeing only what it may read:
//!
//! - `search {query}` answers `{"results": [{"id", "title", "url"}]}`: the
//!   resources whose URI, name, title or description contain every word of
//!   the query (case-insensitive), at most [`MAX_RESULTS`];
//! - `fetch {id}` reads the resource whose URI is `id` and answers
//!   `{"id", "title", "text", "url", "metadata"}`, binary contents as a note
//!   of their type and size.
//!
//! Both answer with that JSON as text content and as structured content, as
//! ChatGPT's connector documentation shows. They are read-only tools, so the
//! `mcp:read` scope suffices.

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::CallToolResult;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::{CallContext, Principal};
use crate::plugins::{Catalog, HostServices};
use crate::providers::{Answer, Provider, ProviderKind, Snapshot, ToolResult};
use crate::wit::{completions, prompts, resources, tools, types};

/// The provider's name, in logs and the activity log.
const NAME: &str = "chatgpt";

/// The most results one search answers.
pub const MAX_RESULTS: usize = 50;

/// The `search` and `fetch` tools, served by the host itself.
pub struct SearchFetch {
    catalog: Arc<Catalog>,
}

impl Default for SearchFetch {
    fn default() -> Self {
        let tool = |name: &str, title: &str, description: &str, argument: &str, about: &str| tools::Tool {
            name: name.into(),
            title: Some(title.into()),
            description: description.into(),
            input_schema: json!({
                "type": "object",
                "properties": {argument: {"type": "string", "description": about}},
                "required": [argument],
            })
            .to_string(),
            output_schema: None,
            annotations: Some(tools::Annotations {
                read_only: Some(true),
                destructive: Some(false),
                idempotent: Some(true),
                open_world: Some(false),
            }),
            task_support: tools::TaskSupport::Forbidden,
        };
        let tools = vec![
            tool(
                "search",
                "Search",
                "Searches the resources this host's plugins and servers publish; returns their ids (URIs) and titles.",
                "query",
                "Words that must all appear in a resource's URI, name, title or description",
            ),
            tool(
                "fetch",
                "Fetch",
                "Reads one resource found by `search`, by its id; returns its text.",
                "id",
                "The id (URI) of a resource from `search`",
            ),
        ];
        Self { catalog: Arc::new(Catalog { tools, ..Catalog::default() }) }
    }
}

#[derive(Deserialize)]
struct SearchArguments {
    query: String,
}

#[derive(Deserialize)]
struct FetchArguments {
    id: String,
}

/// The resources of `snapshot` that `principal` may read and `query` matches.
fn search(snapshot: &Snapshot, principal: &Principal, query: &str) -> Value {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let results: Vec<Value> = snapshot
        .resources()
        .iter()
        .filter(|(_, (provider, _))| provider.serves(principal))
        .filter(|(uri, (_, resource))| {
            let haystack =
                [Some(uri.as_str()), Some(&resource.name), resource.title.as_deref(), resource.description.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n")
                    .to_lowercase();
            words.iter().all(|word| haystack.contains(word))
        })
        .take(MAX_RESULTS)
        .map(|(uri, (_, resource))| json!({"id": uri, "title": title(resource), "url": uri}))
        .collect();
    json!({ "results": results })
}

fn title(resource: &resources::Resource) -> &str {
    resource.title.as_deref().unwrap_or(&resource.name)
}

/// The document `fetch` answers for `contents` of resource `id`.
fn document(id: &str, title: &str, provider: &str, contents: &[types::ResourceContents]) -> Value {
    let text: Vec<String> = contents
        .iter()
        .map(|c| match &c.body {
            types::ResourceBody::Text(text) => text.clone(),
            types::ResourceBody::Blob(bytes) => {
                format!("[{} bytes of {}]", bytes.len(), c.mime_type.as_deref().unwrap_or("binary data"))
            }
        })
        .collect();
    let mime = contents.first().and_then(|c| c.mime_type.clone());
    json!({
        "id": id,
        "title": title,
        "text": text.join("\n\n"),
        "url": id,
        "metadata": {"provider": provider, "mimeType": mime},
    })
}

/// A tool error saying `why`.
fn refused(why: String) -> Answer<ToolResult> {
    Ok(Ok(ToolResult::Mcp(CallToolResult::error(vec![rmcp::model::ContentBlock::text(why)]))))
}

impl SearchFetch {
    async fn fetch(&self, services: &Arc<HostServices>, ctx: CallContext, id: &str) -> Answer<ToolResult> {
        let snapshot = services.registry.snapshot();
        let unknown = || format!("there is no resource `{id}` you may read; `search` lists them");
        let Some(provider) = snapshot.resource_owner(id).filter(|p| p.serves(&ctx.principal)) else {
            return refused(unknown());
        };
        let title = snapshot.resources().get(id).map_or(id, |(_, resource)| title(resource)).to_string();
        match provider.read_resource(services, ctx, id).await? {
            Ok(contents) => {
                Ok(Ok(ToolResult::Mcp(CallToolResult::structured(document(id, &title, provider.name(), &contents)))))
            }
            Err(failure) => refused(format!("`{id}` could not be read: {}", failure.message())),
        }
    }
}

impl Provider for SearchFetch {
    fn name(&self) -> &str {
        NAME
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Host
    }

    fn catalog(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }

    fn call_tool<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, Answer<ToolResult>> {
        Box::pin(async move {
            match name {
                "search" => match serde_json::from_str::<SearchArguments>(arguments) {
                    Ok(SearchArguments { query }) => {
                        let found = search(&services.registry.snapshot(), &ctx.principal, &query);
                        Ok(Ok(ToolResult::Mcp(CallToolResult::structured(found))))
                    }
                    Err(e) => {
                        Ok(Err(types::Failure::InvalidParams(format!("search takes {{\"query\": string}}: {e}"))))
                    }
                },
                "fetch" => match serde_json::from_str::<FetchArguments>(arguments) {
                    Ok(FetchArguments { id }) => self.fetch(services, ctx, &id).await,
                    Err(e) => Ok(Err(types::Failure::InvalidParams(format!("fetch takes {{\"id\": string}}: {e}")))),
                },
                other => Ok(Err(types::Failure::NotFound(format!("no tool `{other}`")))),
            }
        })
    }

    fn read_resource<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        _ctx: CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Answer<Vec<types::ResourceContents>>> {
        Box::pin(async move { Ok(Err(types::Failure::NotFound(format!("no resource `{uri}`")))) })
    }

    fn get_prompt<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        _ctx: CallContext,
        name: &'a str,
        _arguments: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<prompts::PromptResult>> {
        Box::pin(async move { Ok(Err(types::Failure::NotFound(format!("no prompt `{name}`")))) })
    }

    fn complete<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        _ctx: CallContext,
        _reference: completions::Reference,
        _argument: &'a str,
        _value: &'a str,
        _context: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<completions::Completion>> {
        Box::pin(async move { Ok(Ok(completions::Completion { values: Vec::new(), total: Some(0), has_more: false })) })
    }
}
