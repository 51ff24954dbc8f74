//! The resource templates: a container's logs and its description, at
//! `docker://containers/{container}/logs` and `.../inspect`.

use crate::format;
use crate::host::{Access, Host, LogOptions};
use plugin_kit::Fail;

/// How many lines of logs the logs resource holds.
pub const LOG_LINES: u32 = 200;

/// What every template's URI starts with, before the container.
const PREFIX: &str = "docker://containers/";

/// The variable every template takes.
pub const VARIABLE: &str = "container";

/// One resource template: `docker://containers/{container}/<view>`.
pub struct Template {
    /// The RFC 6570 URI template.
    pub uri_template: &'static str,
    /// A short programmatic name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the resources hold.
    pub description: &'static str,
    /// Their media type.
    pub mime_type: &'static str,
    /// The last segment of the URI, after the container.
    view: &'static str,
    /// Reads the resource of the named container.
    read: fn(&dyn Host, &str) -> Result<String, Fail>,
}

/// The templates, in the order `list-resource-templates` returns them.
pub const TEMPLATES: &[Template] = &[
    Template {
        uri_template: "docker://containers/{container}/logs",
        name: "container-logs",
        title: "Container logs",
        description: "The last 200 lines a container wrote (standard output and error, interleaved).",
        mime_type: "text/plain",
        view: "logs",
        read: |host, container| {
            let options = LogOptions { tail: Some(LOG_LINES), since: None, timestamps: false };
            Ok(host.container_logs(container, options)?.text)
        },
    },
    Template {
        uri_template: "docker://containers/{container}/inspect",
        name: "container-inspect",
        title: "Container description",
        description: "The engine's full description of a container, as `docker inspect` prints it.",
        mime_type: "application/json",
        view: "inspect",
        read: |host, container| {
            let text = host.inspect_container(container)?;
            Ok(format::description(&text).map_or(text, |(pretty, _)| pretty))
        },
    },
];

/// The templates the grants in `access` allow: all of them with `docker-read`, else none.
pub fn templates(access: Access) -> &'static [Template] {
    if access.read { TEMPLATES } else { &[] }
}

/// The contents of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The resource's URI.
    pub uri: String,
    /// Its media type.
    pub mime_type: &'static str,
    /// Its text.
    pub text: String,
}

/// Reads the resource at `uri`: `not-found` for a URI no template matches;
/// otherwise what the host returns (or its failure, as it worded it).
pub fn read(host: &dyn Host, uri: &str) -> Result<Contents, Fail> {
    let (template, container) = matching(uri).ok_or_else(|| Fail::NotFound(uri.into()))?;
    let text = (template.read)(host, container)?;
    Ok(Contents { uri: uri.into(), mime_type: template.mime_type, text })
}

/// The template `uri` matches and its container: one non-empty segment.
fn matching(uri: &str) -> Option<(&'static Template, &str)> {
    let (container, view) = uri.strip_prefix(PREFIX)?.split_once('/')?;
    if container.is_empty() {
        return None;
    }
    TEMPLATES.iter().find(|t| t.view == view).map(|t| (t, container))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_one_container_and_a_view() {
        fn found(uri: &str) -> Option<(&str, &str)> {
            matching(uri).map(|(t, c)| (t.name, c))
        }
        assert_eq!(found("docker://containers/web/logs"), Some(("container-logs", "web")));
        assert_eq!(found("docker://containers/0123abc/inspect"), Some(("container-inspect", "0123abc")));
        for unknown in [
            "docker://containers//logs",
            "docker://containers/web",
            "docker://containers/web/stats",
            "docker://containers/web/logs/x",
            "docker://images/debian/inspect",
            "file:///etc/passwd",
        ] {
            assert_eq!(found(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn templates_expand_to_the_uris_they_match() {
        for template in TEMPLATES {
            let uri = template.uri_template.replace(&format!("{{{VARIABLE}}}"), "web");
            assert_eq!(matching(&uri).map(|(t, c)| (t.name, c)), Some((template.name, "web")));
        }
    }

    #[test]
    fn templates_need_the_read_grant() {
        assert!(templates(Access::default()).is_empty());
        assert!(templates(Access { read: false, manage: true }).is_empty());
        assert_eq!(templates(Access { read: true, manage: false }).len(), 2);
    }
}
